// One io_uring per worker thread.
//
// Every SQE carries a Completion* as user_data (0 means "ignore the CQE",
// used for link timeouts and fire-and-forget ops). The ring is created with
// SINGLE_ISSUER|DEFER_TASKRUN where the kernel takes it, COOP_TASKRUN
// otherwise, and a plain ring as the last resort; only the owning thread may
// touch it.
#pragma once

#include <liburing.h>

#include <cstdint>
#include <string>

namespace ringsmb::rt {

// Receives the CQE(s) of one submitted operation. Multishot operations get
// several calls, the last one without IORING_CQE_F_MORE in flags.
struct Completion {
  virtual void complete(int res, uint32_t flags) noexcept = 0;

 protected:
  ~Completion() = default;
};

// What this kernel offers, probed once when the ring is created.
struct Features {
  std::string setup_mode;  // "defer_taskrun", "coop_taskrun" or "plain"
  bool send_zc = false;
  bool msg_ring = false;
  bool openat2 = false;
  bool splice = false;
  bool statx = false;
  bool mkdirat = false;
  bool renameat = false;
  bool unlinkat = false;
  bool fsetxattr = false;
  bool socket = false;
  bool recv_multishot = false;   // kernel >= 6.0
  bool accept_multishot = false;  // kernel >= 5.19
};

class Ring {
 public:
  explicit Ring(unsigned entries = 1024);
  ~Ring();
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;

  // A free SQE. When the submission queue is full it submits what is queued
  // and tries again; it never returns null.
  io_uring_sqe* sqe();
  // Makes sure at least n SQEs are free (for linked chains that must be
  // submitted together).
  void reserve(unsigned n);

  // Submits queued SQEs and, if wait is set, blocks in io_uring_enter until
  // at least one CQE is there; then dispatches every available CQE.
  // Returns the number of CQEs dispatched.
  unsigned run_once(bool wait);

  int fd() const { return ring_.ring_fd; }
  io_uring* raw() { return &ring_; }
  const Features& features() const { return features_; }

  // The ring of the calling thread (set by the worker that owns it).
  static Ring* current();
  static void set_current(Ring* r);

 private:
  void probe();
  io_uring ring_{};
  Features features_;
};

}  // namespace ringsmb::rt
