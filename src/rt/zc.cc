#include "rt/zc.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace ringsmb::rt {

// The heap half of a SEND_ZC: outlives the awaiter until the notification.
struct SendZc::Op final : Completion {
  std::coroutine_handle<> h;
  int* res = nullptr;  // the awaiter's result slot, valid until resumed
  std::shared_ptr<void> keep;
  void complete(int r, uint32_t flags) noexcept override {
    if (flags & IORING_CQE_F_NOTIF) {  // the kernel is done with the memory
      delete this;
      return;
    }
    auto handle = h;
    *res = r;
    res = nullptr;
    // Without MORE no notification follows (an error, or nothing to send).
    if (!(flags & IORING_CQE_F_MORE)) delete this;
    handle.resume();
  }
};

void SendZc::await_suspend(std::coroutine_handle<> h) {
  auto* op = new Op();
  op->h = h;
  op->res = &res_;
  op->keep = std::move(keep_);
  io_uring_sqe* s = Ring::current()->sqe();
  if (index_ >= 0) {
    io_uring_prep_send_zc_fixed(s, fd_, buf_, len_, flags_ | MSG_NOSIGNAL, 0,
                                static_cast<unsigned>(index_));
  } else {
    io_uring_prep_send_zc(s, fd_, buf_, len_, flags_ | MSG_NOSIGNAL, 0);
  }
  io_uring_sqe_set_data(s, static_cast<Completion*>(op));
}

PipeLease& PipeLease::operator=(PipeLease&& o) noexcept {
  if (this != &o) {
    release();
    fds_[0] = std::exchange(o.fds_[0], -1);
    fds_[1] = std::exchange(o.fds_[1], -1);
    capacity_ = o.capacity_;
    pool_ = std::exchange(o.pool_, nullptr);
    pending = std::exchange(o.pending, 0);
  }
  return *this;
}

void PipeLease::release() {
  if (fds_[0] < 0) return;
  if (pending == 0 && pool_ != nullptr) {
    pool_->put(fds_[0], fds_[1], capacity_);
  } else {
    ::close(fds_[0]);
    ::close(fds_[1]);
  }
  fds_[0] = fds_[1] = -1;
  pool_ = nullptr;
  pending = 0;
}

bool PipeLease::fill(const uint8_t* src, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fds_[1], src, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    src += w;
    n -= static_cast<size_t>(w);
    pending += static_cast<size_t>(w);
  }
  return true;
}

bool PipeLease::drain(uint8_t* dst) {
  while (pending > 0) {
    ssize_t r = ::read(fds_[0], dst, pending);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    dst += r;
    pending -= static_cast<size_t>(r);
  }
  return true;
}

PipePool::~PipePool() {
  for (auto& [fds, cap] : free_) {
    ::close(fds.first);
    ::close(fds.second);
  }
}

PipeLease PipePool::get() {
  PipeLease l;
  if (!free_.empty()) {
    auto [fds, cap] = free_.back();
    free_.pop_back();
    l.fds_[0] = fds.first;
    l.fds_[1] = fds.second;
    l.capacity_ = cap;
    l.pool_ = this;
    return l;
  }
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) return l;
  // Ask for the whole size, then halve until the system agrees.
  size_t cap = 0;
  for (size_t want = want_; want >= 65536; want /= 2) {
    int r = fcntl(fds[1], F_SETPIPE_SZ, static_cast<int>(want));
    if (r > 0) {
      cap = static_cast<size_t>(r);
      break;
    }
  }
  if (cap == 0) {
    int r = fcntl(fds[1], F_GETPIPE_SZ);
    cap = r > 0 ? static_cast<size_t>(r) : 65536;
  }
  l.fds_[0] = fds[0];
  l.fds_[1] = fds[1];
  l.capacity_ = cap;
  l.pool_ = this;
  return l;
}

void PipePool::put(int r, int w, size_t cap) {
  if (free_.size() >= 64) {
    ::close(r);
    ::close(w);
    return;
  }
  free_.push_back({{r, w}, cap});
}

PipePool& PipePool::current() {
  thread_local PipePool pool;
  return pool;
}

}  // namespace ringsmb::rt
