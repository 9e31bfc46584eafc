// A worker: one thread, one ring, one buffer pool, one queue of messages
// from other threads. The thread blocks only in io_uring_enter.
//
// Cross-thread messages: post() appends to a locked queue and wakes the
// target. From another worker's thread the wakeup is an IORING_OP_MSG_RING
// SQE on the sender's ring (no syscall of its own); from any other thread,
// or where the kernel lacks MSG_RING, it is a write to the target's eventfd,
// which the target keeps a read for in its own ring.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "rt/buffer.h"
#include "rt/ring.h"

namespace ringsmb::rt {

struct WorkerConfig {
  unsigned ring_entries = 1024;
  BufferPoolConfig buffers;
  int cpu = -1;  // pin the thread to this CPU when >= 0
  // Or, taking precedence, to this set of CPUs (a NUMA node's) when not
  // empty. Either is applied on the thread before the ring and the buffer
  // pool exist, so the pool's pages are faulted in (at registration or
  // first use) from these CPUs and come from their node under the default
  // first-touch policy.
  std::vector<int> cpus;
};

class Worker {
 public:
  Worker(unsigned id, WorkerConfig cfg);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Starts the thread; init runs on it once the ring exists.
  void start(std::function<void()> init = {});
  // Thread-safe: fn runs on this worker's thread, in order of posting.
  void post(std::function<void()> fn);
  // Thread-safe: asks the loop to end once nothing holds it (see hold()).
  void request_stop();
  void join();

  // The loop keeps running after request_stop() while holds are taken
  // (live connections, listeners). Owner-thread only.
  void hold() { ++holds_; }
  void unhold() { --holds_; }
  bool stopping() const { return stop_.load(std::memory_order_acquire); }

  unsigned id() const { return id_; }
  // 0, or the error pthread_setaffinity_np gave for cpu/cpus (set on the
  // worker's thread before init runs).
  int affinity_error() const { return affinity_error_; }
  Ring& ring() { return *ring_; }
  BufferPool& buffers() { return *pool_; }

  // Hooks run on the worker thread when stop is requested.
  void on_stop(std::function<void()> fn) { stop_hooks_.push_back(std::move(fn)); }

  static Worker* current();

  // Runs the loop on the calling thread (tests use this without start()).
  void run_here(std::function<void()> init = {});

 private:
  struct Wakeup final : Completion {
    Worker* w = nullptr;
    bool rearm = false;  // the eventfd reader re-arms, the MSG_RING target does not
    void complete(int res, uint32_t flags) noexcept override;
  };
  void loop();
  void arm_eventfd();
  void drain();

  unsigned id_;
  WorkerConfig cfg_;
  std::unique_ptr<Ring> ring_;
  std::unique_ptr<BufferPool> pool_;
  std::thread thread_;
  std::atomic<int> ring_fd_{-1};
  int efd_ = -1;
  uint64_t efd_value_ = 0;
  Wakeup efd_reader_;
  Wakeup msg_target_;

  std::mutex mu_;
  std::vector<std::function<void()>> queue_;
  std::atomic<bool> stop_{false};
  bool stop_hooks_ran_ = false;
  std::vector<std::function<void()>> stop_hooks_;
  long holds_ = 0;
  int affinity_error_ = 0;
};

}  // namespace ringsmb::rt
