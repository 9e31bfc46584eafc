// Many independent ops submitted together and awaited as one:
//
//   rt::Batch b;
//   for (...) b.add([&](io_uring_sqe* s) { io_uring_prep_statx(s, ...); });
//   co_await b;            // resumes when every op has completed
//   b.result(i)            // the CQE result of op i
//
// Used where a request fans out (stat of every entry of a directory page).
#pragma once

#include <coroutine>
#include <functional>
#include <memory>
#include <vector>

#include "rt/ring.h"

namespace ringsmb::rt {

class Batch {
 public:
  Batch() = default;
  Batch(const Batch&) = delete;
  Batch& operator=(const Batch&) = delete;

  template <class Prep>
  void add(Prep p) {
    slots_.push_back(std::make_unique<Slot>());
    slots_.back()->owner = this;
    preps_.emplace_back(std::move(p));
  }
  size_t size() const { return slots_.size(); }
  int result(size_t i) const { return slots_[i]->res; }

  bool await_ready() const noexcept { return slots_.empty(); }
  void await_suspend(std::coroutine_handle<> h) {
    h_ = h;
    remaining_ = slots_.size();
    Ring* r = Ring::current();
    for (size_t i = 0; i < slots_.size(); ++i) {
      io_uring_sqe* s = r->sqe();
      preps_[i](s);
      io_uring_sqe_set_data(s, static_cast<Completion*>(slots_[i].get()));
    }
    preps_.clear();
  }
  void await_resume() const noexcept {}

 private:
  struct Slot final : Completion {
    Batch* owner = nullptr;
    int res = 0;
    void complete(int r, uint32_t) noexcept override {
      res = r;
      if (--owner->remaining_ == 0) owner->h_.resume();
    }
  };
  std::vector<std::unique_ptr<Slot>> slots_;
  std::vector<std::function<void(io_uring_sqe*)>> preps_;
  size_t remaining_ = 0;
  std::coroutine_handle<> h_;
};

}  // namespace ringsmb::rt
