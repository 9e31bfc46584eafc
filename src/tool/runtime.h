// Workers for the ringsmb command line: worker 0 is the main thread, the
// others are threads of their own; each channel of a session lives on one
// of them, so transfers over several channels use several cores.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "rt/signal.h"
#include "rt/task.h"
#include "rt/worker.h"

namespace ringsmb::tool {

class Runtime {
 public:
  // workers >= 1. bulk: buffer pools sized for large transfers.
  explicit Runtime(unsigned workers, bool bulk = true);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Runs main on worker 0 (the calling thread) and returns its result once
  // it finished and every worker stopped.
  int run(std::function<rt::Task<int>()> main);

  unsigned size() const { return static_cast<unsigned>(workers_.size()); }
  rt::Worker* worker(unsigned i) const { return workers_[i % workers_.size()].get(); }

 private:
  std::vector<std::unique_ptr<rt::Worker>> workers_;
};

namespace detail {
template <class T>
struct Slot {
  std::optional<T> value;
};
template <class T>
rt::Task<void> run_and_fire(std::function<rt::Task<T>()> fn, std::shared_ptr<Slot<T>> slot,
                            std::shared_ptr<rt::Signal> sig) {
  slot->value.emplace(co_await fn());
  sig->fire();
}
}  // namespace detail

// Runs fn on worker w and resumes the caller on its own worker when it is
// done. fn and what it captures are moved to w's thread.
template <class T>
rt::Task<T> run_on(rt::Worker* w, std::function<rt::Task<T>()> fn) {
  if (w == rt::Worker::current()) co_return co_await fn();
  auto slot = std::make_shared<detail::Slot<T>>();
  auto sig = rt::Signal::make();
  w->post([fn = std::move(fn), slot, sig]() mutable {
    rt::spawn(detail::run_and_fire<T>(std::move(fn), slot, sig));
  });
  co_await sig->wait(std::chrono::hours(24 * 365));
  co_return std::move(*slot->value);
}

}  // namespace ringsmb::tool
