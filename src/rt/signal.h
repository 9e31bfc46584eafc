// A one-shot signal one coroutine waits on and any thread may fire.
//
//   auto sig = rt::Signal::make();      // on the waiting worker
//   hand sig to others ...
//   bool fired = co_await sig->wait(35s);  // false: timed out
//   sig->fire();                        // from any thread, any number of times
//
// Firing posts the resumption to the waiter's worker, so the waiter always
// resumes on its own thread, from its loop. Whichever comes first, fire or timeout, wins.
#pragma once

#include <atomic>
#include <chrono>
#include <coroutine>
#include <memory>

#include "rt/ops.h"
#include "rt/task.h"
#include "rt/worker.h"

namespace ringsmb::rt {

class Signal : public std::enable_shared_from_this<Signal> {
 public:
  static std::shared_ptr<Signal> make() { return std::shared_ptr<Signal>(new Signal()); }

  // Thread-safe. True for the call that actually fired it.
  bool fire() { return finish(true); }
  bool fired() const { return state_.load(std::memory_order_acquire) != 0; }

  struct Wait {
    std::shared_ptr<Signal> s;
    bool await_ready() const noexcept { return s->state_.load(std::memory_order_acquire) != 0; }
    void await_suspend(std::coroutine_handle<> h) { s->handle_ = h; }
    bool await_resume() const noexcept { return s->state_.load() == 1; }
  };
  // Suspends until fired (true) or until timeout passes (false).
  Wait wait(std::chrono::nanoseconds timeout) {
    spawn(timer(shared_from_this(), timeout));
    return Wait{shared_from_this()};
  }

 private:
  Signal() : worker_(Worker::current()) {}

  static Task<void> timer(std::shared_ptr<Signal> s, std::chrono::nanoseconds t) {
    Sleep sl(t);
    s->sleep_ = &sl;
    co_await sl;
    s->sleep_ = nullptr;
    s->finish(false);
  }

  // On the waiter's worker, after the signal fired: the timer is no longer
  // needed; remove it from the ring (it then completes with -ECANCELED).
  void cancel_timer() {
    if (sleep_ == nullptr) return;
    io_uring_sqe* sqe = Ring::current()->sqe();
    io_uring_prep_timeout_remove(sqe, reinterpret_cast<uint64_t>(static_cast<Completion*>(sleep_)), 0);
    io_uring_sqe_set_data(sqe, nullptr);
    sleep_ = nullptr;
  }

  bool finish(bool by_fire) {
    int expected = 0;
    if (!state_.compare_exchange_strong(expected, by_fire ? 1 : 2, std::memory_order_acq_rel)) {
      return false;
    }
    // Always through the waiter's queue, even from its own thread: the
    // firing code may hold locks the waiter is about to take.
    auto self = shared_from_this();
    worker_->post([self] {
      self->cancel_timer();
      if (auto h = std::exchange(self->handle_, {})) h.resume();
    });
    return true;
  }

  Worker* worker_;
  std::atomic<int> state_{0};  // 0 pending, 1 fired, 2 timed out
  std::coroutine_handle<> handle_;
  Sleep* sleep_ = nullptr;  // the pending timer, touched only on worker_
};

}  // namespace ringsmb::rt
