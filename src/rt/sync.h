// Single-thread coroutine synchronisation: everything here belongs to one
// worker and is used only from its thread, so no atomics are needed.
// Waiters are resumed through the ring (a NOP completion), never inline, so
// a signaller's stack does not grow with the number of waiters it wakes.
#pragma once

#include <coroutine>
#include <cstddef>
#include <deque>

#include "rt/ops.h"
#include "rt/task.h"

namespace ringsmb::rt {

namespace detail {
// Resumes h on the next loop turn of the current ring.
class Resumer final : public Completion {
 public:
  static void schedule(std::coroutine_handle<> h) {
    auto* r = new Resumer(h);
    io_uring_sqe* s = Ring::current()->sqe();
    io_uring_prep_nop(s);
    io_uring_sqe_set_data(s, static_cast<Completion*>(r));
  }
  void complete(int, uint32_t) noexcept override {
    auto h = h_;
    delete this;
    h.resume();
  }

 private:
  explicit Resumer(std::coroutine_handle<> h) : h_(h) {}
  std::coroutine_handle<> h_;
};
}  // namespace detail

// A counting semaphore for coroutines of one worker.
class Semaphore {
 public:
  explicit Semaphore(size_t n) : count_(n) {}

  struct Acquire {
    Semaphore& s;
    bool await_ready() const noexcept {
      if (s.count_ > 0) {
        --s.count_;
        return true;
      }
      return false;
    }
    void await_suspend(std::coroutine_handle<> h) { s.waiters_.push_back(h); }
    void await_resume() const noexcept {}
  };
  Acquire acquire() { return Acquire{*this}; }

  void release() {
    if (!waiters_.empty()) {
      auto h = waiters_.front();
      waiters_.pop_front();
      detail::Resumer::schedule(h);  // the permit passes to h
    } else {
      ++count_;
    }
  }
  size_t available() const { return count_; }

 private:
  size_t count_;
  std::deque<std::coroutine_handle<>> waiters_;
};

// A latch-like event: wait() suspends until set(); set() wakes all waiters.
class Event {
 public:
  struct Wait {
    Event& e;
    bool await_ready() const noexcept { return e.set_; }
    void await_suspend(std::coroutine_handle<> h) { e.waiters_.push_back(h); }
    void await_resume() const noexcept {}
  };
  Wait wait() { return Wait{*this}; }
  void set() {
    set_ = true;
    while (!waiters_.empty()) {
      detail::Resumer::schedule(waiters_.front());
      waiters_.pop_front();
    }
  }
  void reset() { set_ = false; }
  bool is_set() const { return set_; }

 private:
  bool set_ = false;
  std::deque<std::coroutine_handle<>> waiters_;
};

// Counts running tasks; wait() finishes when the count returns to zero.
class WaitGroup {
 public:
  void add(size_t n = 1) {
    count_ += n;
    if (count_ > 0) done_.reset();
  }
  void done() {
    if (--count_ == 0) done_.set();
  }
  auto wait() {
    if (count_ == 0) done_.set();
    return done_.wait();
  }
  size_t count() const { return count_; }

 private:
  size_t count_ = 0;
  Event done_;
};

}  // namespace ringsmb::rt
