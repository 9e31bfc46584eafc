#include "rt/ring.h"

#include <sys/utsname.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace ringsmb::rt {

namespace {
thread_local Ring* t_current = nullptr;

bool kernel_at_least(int major, int minor) {
  utsname u{};
  if (uname(&u) != 0) return false;
  int ma = 0, mi = 0;
  if (std::sscanf(u.release, "%d.%d", &ma, &mi) != 2) return false;
  return ma > major || (ma == major && mi >= minor);
}
}  // namespace

Ring* Ring::current() { return t_current; }
void Ring::set_current(Ring* r) { t_current = r; }

Ring::Ring(unsigned entries) {
  io_uring_params p{};
  p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE;
  p.cq_entries = entries * 4;
  int rc = io_uring_queue_init_params(entries, &ring_, &p);
  features_.setup_mode = "defer_taskrun";
  if (rc == -EINVAL) {
    p = {};
    p.flags = IORING_SETUP_COOP_TASKRUN | IORING_SETUP_CQSIZE;
    p.cq_entries = entries * 4;
    rc = io_uring_queue_init_params(entries, &ring_, &p);
    features_.setup_mode = "coop_taskrun";
  }
  if (rc == -EINVAL) {
    p = {};
    p.flags = IORING_SETUP_CQSIZE;
    p.cq_entries = entries * 4;
    rc = io_uring_queue_init_params(entries, &ring_, &p);
    features_.setup_mode = "plain";
  }
  if (rc < 0) {
    throw std::runtime_error(std::string("io_uring_queue_init: ") + std::strerror(-rc));
  }
  probe();
}

Ring::~Ring() { io_uring_queue_exit(&ring_); }

void Ring::probe() {
  io_uring_probe* pr = io_uring_get_probe_ring(&ring_);
  if (pr == nullptr) return;
  auto has = [&](int op) { return io_uring_opcode_supported(pr, op) != 0; };
  features_.send_zc = has(IORING_OP_SEND_ZC);
  features_.msg_ring = has(IORING_OP_MSG_RING);
  features_.openat2 = has(IORING_OP_OPENAT2);
  features_.splice = has(IORING_OP_SPLICE);
  features_.statx = has(IORING_OP_STATX);
  features_.mkdirat = has(IORING_OP_MKDIRAT);
  features_.renameat = has(IORING_OP_RENAMEAT);
  features_.unlinkat = has(IORING_OP_UNLINKAT);
  features_.fsetxattr = has(IORING_OP_FSETXATTR);
  features_.socket = has(IORING_OP_SOCKET);
  io_uring_free_probe(pr);
  // Multishot flavours share their opcode with the one-shot op; the probe
  // cannot tell them apart, the kernel version can.
  features_.accept_multishot = kernel_at_least(5, 19);
  features_.recv_multishot = kernel_at_least(6, 0);
}

io_uring_sqe* Ring::sqe() {
  for (;;) {
    io_uring_sqe* s = io_uring_get_sqe(&ring_);
    if (s != nullptr) return s;
    // Full: hand what is queued to the kernel and retry.
    int rc = io_uring_submit(&ring_);
    if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) {
      throw std::runtime_error(std::string("io_uring_submit: ") + std::strerror(-rc));
    }
    if (rc == -EBUSY || rc == -EAGAIN) {
      // CQ overflow backlog: reap before queueing more.
      run_once(false);
    }
  }
}

void Ring::reserve(unsigned n) {
  while (io_uring_sq_space_left(&ring_) < n) {
    int rc = io_uring_submit(&ring_);
    if (rc == -EBUSY || rc == -EAGAIN) run_once(false);
  }
}

unsigned Ring::run_once(bool wait) {
  int rc = wait ? io_uring_submit_and_wait(&ring_, 1) : io_uring_submit(&ring_);
  if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY && rc != -ETIME) {
    throw std::runtime_error(std::string("io_uring_submit_and_wait: ") + std::strerror(-rc));
  }
  if (!wait && (ring_.flags & IORING_SETUP_DEFER_TASKRUN) != 0) {
    // With DEFER_TASKRUN completions are only posted when we ask for events.
    io_uring_get_events(&ring_);
  }
  unsigned n = 0;
  io_uring_cqe* batch[64];
  for (;;) {
    unsigned got = io_uring_peek_batch_cqe(&ring_, batch, 64);
    if (got == 0) break;
    // Copy out before resuming anything: a resumed coroutine may submit and
    // reap on this ring again.
    struct Item {
      Completion* c;
      int res;
      uint32_t flags;
    } items[64];
    for (unsigned i = 0; i < got; ++i) {
      items[i] = {reinterpret_cast<Completion*>(io_uring_cqe_get_data(batch[i])), batch[i]->res,
                  batch[i]->flags};
    }
    io_uring_cq_advance(&ring_, got);
    for (unsigned i = 0; i < got; ++i) {
      if (items[i].c != nullptr) items[i].c->complete(items[i].res, items[i].flags);
    }
    n += got;
  }
  return n;
}

}  // namespace ringsmb::rt
