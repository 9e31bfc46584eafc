#include "rt/worker.h"

#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <stdexcept>

namespace ringsmb::rt {

namespace {
thread_local Worker* t_worker = nullptr;
}

Worker* Worker::current() { return t_worker; }

Worker::Worker(unsigned id, WorkerConfig cfg) : id_(id), cfg_(std::move(cfg)) {
  efd_ = eventfd(0, EFD_CLOEXEC);
  if (efd_ < 0) throw std::runtime_error("eventfd failed");
  efd_reader_.w = this;
  efd_reader_.rearm = true;
  msg_target_.w = this;
}

Worker::~Worker() {
  if (thread_.joinable()) {
    request_stop();
    thread_.join();
  }
  if (efd_ >= 0) ::close(efd_);
}

void Worker::start(std::function<void()> init) {
  thread_ = std::thread([this, init = std::move(init)] { run_here(init); });
}

void Worker::run_here(std::function<void()> init) {
  // Before the ring and the pool: see WorkerConfig::cpus.
  if (cfg_.cpu >= 0 || !cfg_.cpus.empty()) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (cfg_.cpus.empty()) {
      if (cfg_.cpu < CPU_SETSIZE) CPU_SET(cfg_.cpu, &set);
    } else {
      for (int c : cfg_.cpus)
        if (c >= 0 && c < CPU_SETSIZE) CPU_SET(c, &set);
    }
    affinity_error_ = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
  }
  t_worker = this;
  ring_ = std::make_unique<Ring>(cfg_.ring_entries);
  Ring::set_current(ring_.get());
  pool_ = std::make_unique<BufferPool>(ring_.get(), cfg_.buffers);
  ring_fd_.store(ring_->fd(), std::memory_order_release);
  arm_eventfd();
  if (init) init();
  loop();
  // Anything posted after the loop ended still runs, so posted cleanups
  // are not lost.
  drain();
  pool_.reset();
  Ring::set_current(nullptr);
  ring_.reset();
  t_worker = nullptr;
}

void Worker::arm_eventfd() {
  io_uring_sqe* s = ring_->sqe();
  io_uring_prep_read(s, efd_, &efd_value_, sizeof(efd_value_), 0);
  io_uring_sqe_set_data(s, static_cast<Completion*>(&efd_reader_));
}

void Worker::Wakeup::complete(int, uint32_t) noexcept {
  // Re-armed while stopping too: held work (open connections draining) may
  // still be waiting for posts from other threads. The ring's teardown
  // cancels the last read.
  if (rearm) w->arm_eventfd();
  w->drain();
}

void Worker::drain() {
  for (;;) {
    std::vector<std::function<void()>> q;
    {
      std::lock_guard lk(mu_);
      q.swap(queue_);
    }
    if (q.empty()) break;
    for (auto& fn : q) fn();
  }
}

void Worker::loop() {
  for (;;) {
    drain();
    if (stop_.load(std::memory_order_acquire)) {
      if (!stop_hooks_ran_) {
        stop_hooks_ran_ = true;
        for (auto& h : stop_hooks_) h();
        continue;  // hooks may have started work: let it run
      }
      if (holds_ <= 0) break;
    }
    ring_->run_once(true);
  }
}

void Worker::post(std::function<void()> fn) {
  {
    std::lock_guard lk(mu_);
    queue_.push_back(std::move(fn));
  }
  Worker* self = t_worker;
  int target_fd = ring_fd_.load(std::memory_order_acquire);
  if (self == this) return;  // our own loop drains before it sleeps again
  if (self != nullptr && target_fd >= 0 && self->ring_->features().msg_ring) {
    io_uring_sqe* s = self->ring_->sqe();
    io_uring_prep_msg_ring(s, target_fd, 0,
                           reinterpret_cast<uint64_t>(static_cast<Completion*>(&msg_target_)), 0);
    io_uring_sqe_set_data(s, nullptr);
    // Submit now: the sender may not enter the kernel again for a while.
    io_uring_submit(self->ring_->raw());
    return;
  }
  uint64_t one = 1;
  ssize_t rc = ::write(efd_, &one, sizeof(one));
  (void)rc;
}

void Worker::request_stop() {
  stop_.store(true, std::memory_order_release);
  post([] {});
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

}  // namespace ringsmb::rt
