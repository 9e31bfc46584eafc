// Awaitable io_uring operations.
//
// Each op is one awaitable: `int n = co_await rt::recv(fd, buf, len);`.
// The result is what the CQE says: >= 0 on success, -errno on failure
// (errors never go through errno). Ops use the ring of the calling thread.
//
// One place builds SQEs: Op<Prep> takes the SQE from the ring and lets the
// op's prep function (a liburing io_uring_prep_* helper, which in turn
// funnels through io_uring_prep_rw) fill in its own fields.
//
// Ownership: the caller keeps buffers, paths and the fd alive until the op
// completes; awaiting does exactly that.
#pragma once

#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/time_types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <chrono>
#include <coroutine>
#include <cstdint>

#include "rt/ring.h"

namespace ringsmb::rt {

template <class Prep>
class [[nodiscard]] Op final : public Completion {
 public:
  explicit Op(Prep p) : prep_(p) {}
  Op(const Op&) = delete;
  Op& operator=(const Op&) = delete;
  // GCC moves an awaitable given as an xvalue into the coroutine frame
  // before awaiting it, so the move must carry everything (a dropped
  // deadline would make the op wait forever). Never moved once submitted.
  Op(Op&& o) noexcept
      : prep_(o.prep_),
        timeout_(o.timeout_),
        has_timeout_(o.has_timeout_),
        personality_(o.personality_) {}

  // With a deadline, the op is linked to a LINK_TIMEOUT; if the time runs
  // out first the op completes with -ECANCELED.
  Op&& deadline(std::chrono::nanoseconds d) && {
    timeout_.tv_sec = static_cast<long long>(d.count() / 1000000000);
    timeout_.tv_nsec = static_cast<long long>(d.count() % 1000000000);
    has_timeout_ = true;
    return std::move(*this);
  }

  // Runs the op with a registered personality (rt/creds.h); 0: none.
  Op&& as(int personality) && {
    personality_ = static_cast<uint16_t>(personality);
    return std::move(*this);
  }

  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    h_ = h;
    Ring* r = Ring::current();
    if (has_timeout_) r->reserve(2);
    io_uring_sqe* s = r->sqe();
    prep_(s);
    s->personality = personality_;
    io_uring_sqe_set_data(s, static_cast<Completion*>(this));
    if (has_timeout_) {
      s->flags |= IOSQE_IO_LINK;
      io_uring_sqe* t = r->sqe();
      io_uring_prep_link_timeout(t, &timeout_, 0);
      io_uring_sqe_set_data(t, nullptr);
    }
  }
  int await_resume() const noexcept { return res_; }
  uint32_t cqe_flags() const noexcept { return flags_; }

  void complete(int res, uint32_t flags) noexcept override {
    res_ = res;
    flags_ = flags;
    h_.resume();
  }

 private:
  Prep prep_;
  std::coroutine_handle<> h_;
  __kernel_timespec timeout_{};
  bool has_timeout_ = false;
  uint16_t personality_ = 0;
  int res_ = 0;
  uint32_t flags_ = 0;
};

template <class Prep>
Op<Prep> make_op(Prep p) {
  return Op<Prep>(p);
}

// --- sockets ---------------------------------------------------------------

inline auto recv(int fd, void* buf, size_t len, int flags = 0) {
  return make_op([=](io_uring_sqe* s) { io_uring_prep_recv(s, fd, buf, len, flags); });
}
inline auto send(int fd, const void* buf, size_t len, int flags = MSG_NOSIGNAL) {
  return make_op([=](io_uring_sqe* s) { io_uring_prep_send(s, fd, buf, len, flags); });
}
inline auto sendmsg(int fd, const msghdr* msg, unsigned flags = MSG_NOSIGNAL) {
  return make_op([=](io_uring_sqe* s) { io_uring_prep_sendmsg(s, fd, msg, flags); });
}
inline auto recvmsg(int fd, msghdr* msg, unsigned flags = 0) {
  return make_op([=](io_uring_sqe* s) { io_uring_prep_recvmsg(s, fd, msg, flags); });
}
inline auto accept(int fd, sockaddr* addr, socklen_t* len, int flags = SOCK_CLOEXEC) {
  return make_op([=](io_uring_sqe* s) { io_uring_prep_accept(s, fd, addr, len, flags); });
}
inline auto connect(int fd, const sockaddr* addr, socklen_t len) {
  return make_op([=](io_uring_sqe* s) { io_uring_prep_connect(s, fd, addr, len); });
}
inline auto shutdown(int fd, int how) {
  return make_op([=](io_uring_sqe* s) { io_uring_prep_shutdown(s, fd, how); });
}

// --- files -----------------------------------------------------------------

inline auto read(int fd, void* buf, unsigned len, uint64_t off) {
  return make_op([=](io_uring_sqe* s) { io_uring_prep_read(s, fd, buf, len, off); });
}
inline auto write(int fd, const void* buf, unsigned len, uint64_t off) {
  return make_op([=](io_uring_sqe* s) { io_uring_prep_write(s, fd, buf, len, off); });
}
// buf must lie inside registered buffer buf_index of this thread's ring.
inline auto read_fixed(int fd, void* buf, unsigned len, uint64_t off, int buf_index) {
  return make_op(
      [=](io_uring_sqe* s) { io_uring_prep_read_fixed(s, fd, buf, len, off, buf_index); });
}
inline auto write_fixed(int fd, const void* buf, unsigned len, uint64_t off, int buf_index) {
  return make_op(
      [=](io_uring_sqe* s) { io_uring_prep_write_fixed(s, fd, buf, len, off, buf_index); });
}
inline auto openat2(int dfd, const char* path, open_how* how) {
  return make_op([=](io_uring_sqe* s) { io_uring_prep_openat2(s, dfd, path, how); });
}
inline auto statx(int dfd, const char* path, int flags, unsigned mask, struct statx* out) {
  return make_op([=](io_uring_sqe* s) { io_uring_prep_statx(s, dfd, path, flags, mask, out); });
}
inline auto close(int fd) {
  return make_op([=](io_uring_sqe* s) { io_uring_prep_close(s, fd); });
}
inline auto unlinkat(int dfd, const char* path, int flags) {
  return make_op([=](io_uring_sqe* s) { io_uring_prep_unlinkat(s, dfd, path, flags); });
}
inline auto renameat(int olddfd, const char* oldpath, int newdfd, const char* newpath,
                     unsigned flags) {
  return make_op([=](io_uring_sqe* s) {
    io_uring_prep_renameat(s, olddfd, oldpath, newdfd, newpath, flags);
  });
}
inline auto mkdirat(int dfd, const char* path, mode_t mode) {
  return make_op([=](io_uring_sqe* s) { io_uring_prep_mkdirat(s, dfd, path, mode); });
}
inline auto fsync(int fd, unsigned flags = 0) {
  return make_op([=](io_uring_sqe* s) { io_uring_prep_fsync(s, fd, flags); });
}
inline auto fallocate(int fd, int mode, uint64_t off, uint64_t len) {
  return make_op([=](io_uring_sqe* s) { io_uring_prep_fallocate(s, fd, mode, off, len); });
}
inline auto splice(int fd_in, int64_t off_in, int fd_out, int64_t off_out, unsigned nbytes,
                   unsigned flags) {
  return make_op([=](io_uring_sqe* s) {
    io_uring_prep_splice(s, fd_in, off_in, fd_out, off_out, nbytes, flags);
  });
}

// --- control ---------------------------------------------------------------

// Completes after d (result -ETIME), or early with -ECANCELED.
class [[nodiscard]] Sleep final : public Completion {
 public:
  explicit Sleep(std::chrono::nanoseconds d) {
    ts_.tv_sec = static_cast<long long>(d.count() / 1000000000);
    ts_.tv_nsec = static_cast<long long>(d.count() % 1000000000);
  }
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    h_ = h;
    io_uring_sqe* s = Ring::current()->sqe();
    io_uring_prep_timeout(s, &ts_, 0, 0);
    io_uring_sqe_set_data(s, static_cast<Completion*>(this));
  }
  int await_resume() const noexcept { return res_; }
  void complete(int res, uint32_t) noexcept override {
    res_ = res;
    h_.resume();
  }

 private:
  __kernel_timespec ts_{};
  std::coroutine_handle<> h_;
  int res_ = 0;
};

inline Sleep sleep(std::chrono::nanoseconds d) { return Sleep(d); }

// Asks the kernel to cancel every op on fd of this ring; fire and forget.
inline void cancel_fd(int fd) {
  io_uring_sqe* s = Ring::current()->sqe();
  io_uring_prep_cancel_fd(s, fd, IORING_ASYNC_CANCEL_ALL);
  io_uring_sqe_set_data(s, nullptr);
}

// Moves to the back of the run queue: completes on the next loop turn.
inline auto yield() {
  return make_op([](io_uring_sqe* s) { io_uring_prep_nop(s); });
}

}  // namespace ringsmb::rt
