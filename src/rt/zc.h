// Zero-copy sends and splice pipes.
//
// SEND_ZC completes twice: first with the byte count (IORING_CQE_F_MORE
// set when a notification will follow), later with IORING_CQE_F_NOTIF once
// the kernel no longer references the memory. The awaiting coroutine
// resumes at the first; what keeps the memory alive (`keep`) is released at
// the second, which may come after the caller has moved on.
//
// Pipes for splice (file -> pipe -> socket, socket -> pipe -> file) come
// from a per-worker pool; a pipe goes back only when empty.
#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "rt/ring.h"

namespace ringsmb::rt {

class SendZc {
 public:
  // buf_index >= 0: buf lies in that registered buffer (no per-send page
  // pinning). The result: bytes sent (possibly short) or -errno.
  SendZc(int fd, const void* buf, size_t len, int buf_index, std::shared_ptr<void> keep,
         int flags = 0)
      : fd_(fd), buf_(buf), len_(len), index_(buf_index), flags_(flags), keep_(std::move(keep)) {}

  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h);
  int await_resume() const noexcept { return res_; }

 private:
  struct Op;
  int fd_;
  const void* buf_;
  size_t len_;
  int index_;
  int flags_;
  std::shared_ptr<void> keep_;
  int res_ = 0;
};

inline SendZc send_zc(int fd, const void* buf, size_t len, int buf_index,
                      std::shared_ptr<void> keep, int flags = 0) {
  return SendZc(fd, buf, len, buf_index, std::move(keep), flags);
}

// A pipe of the calling worker's pool. Destroying a lease returns the pipe
// (or closes it if data is left in it).
class PipeLease {
 public:
  PipeLease() = default;
  PipeLease(PipeLease&& o) noexcept { *this = std::move(o); }
  PipeLease& operator=(PipeLease&& o) noexcept;
  PipeLease(const PipeLease&) = delete;
  PipeLease& operator=(const PipeLease&) = delete;
  ~PipeLease() { release(); }

  int read_fd() const { return fds_[0]; }
  int write_fd() const { return fds_[1]; }
  size_t capacity() const { return capacity_; }
  explicit operator bool() const { return fds_[0] >= 0; }
  // Bytes in the pipe, kept by the user of the lease: a pipe with data in
  // it is closed instead of being reused.
  size_t pending = 0;

  // Synchronous moves between memory and the pipe, for the few bytes
  // already in user memory and for fallbacks: fill() writes n bytes into a
  // pipe with room for them, drain() reads all pending bytes into dst.
  // Both return false on an error (the lease then holds a broken pipe).
  bool fill(const uint8_t* src, size_t n);
  bool drain(uint8_t* dst);

 private:
  friend class PipePool;
  void release();
  int fds_[2] = {-1, -1};
  size_t capacity_ = 0;
  class PipePool* pool_ = nullptr;
};

class PipePool {
 public:
  // want: the pipe size to ask for (F_SETPIPE_SZ); pipes get what the
  // system allows (a privileged process may exceed pipe-max-size).
  explicit PipePool(size_t want = 16u << 20) : want_(want) {}
  ~PipePool();
  PipePool(const PipePool&) = delete;
  PipePool& operator=(const PipePool&) = delete;

  // An empty lease when pipes cannot be made (fd limits).
  PipeLease get();

  // The pool of the calling worker's thread.
  static PipePool& current();

 private:
  friend class PipeLease;
  void put(int r, int w, size_t cap);
  size_t want_;
  std::vector<std::pair<std::pair<int, int>, size_t>> free_;
};

}  // namespace ringsmb::rt
