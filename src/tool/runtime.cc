#include "tool/runtime.h"

#include "rt/ops.h"

namespace ringsmb::tool {

namespace {
// Registered buffers are pinned memory: a transfer gets enough 8 MiB
// buffers for a deep pipeline per worker, other commands a few small ones.
rt::WorkerConfig client_worker_config(bool bulk) {
  rt::WorkerConfig c;
  c.ring_entries = 1024;
  if (bulk) {
    c.buffers.classes = {{64 * 1024, 128}, {1024 * 1024, 8}, {8 * 1024 * 1024 + 64 * 1024, 8}};
  } else {
    c.buffers.classes = {{64 * 1024, 32}, {1024 * 1024, 2}, {8 * 1024 * 1024 + 64 * 1024, 1}};
  }
  return c;
}
}  // namespace

Runtime::Runtime(unsigned n, bool bulk) {
  if (n == 0) n = 1;
  for (unsigned i = 0; i < n; ++i) {
    workers_.push_back(std::make_unique<rt::Worker>(i, client_worker_config(bulk)));
  }
}

Runtime::~Runtime() {
  for (size_t i = 1; i < workers_.size(); ++i) {
    workers_[i]->request_stop();
    workers_[i]->join();
  }
}

int Runtime::run(std::function<rt::Task<int>()> main) {
  for (size_t i = 1; i < workers_.size(); ++i) workers_[i]->start();
  int rc = 1;
  rt::Worker* w0 = workers_[0].get();
  w0->run_here([&] {
    auto body = [](std::function<rt::Task<int>()> m, int* out, rt::Worker* w) -> rt::Task<void> {
      w->hold();
      *out = co_await m();
      // Let cancelled timers (run_on's signals) complete before the ring
      // goes away, so their frames are freed.
      for (int i = 0; i < 4; ++i) co_await rt::yield();
      w->unhold();
      w->request_stop();
    };
    rt::spawn(body(std::move(main), &rc, w0));
  });
  for (size_t i = 1; i < workers_.size(); ++i) {
    workers_[i]->request_stop();
    workers_[i]->join();
  }
  return rc;
}

}  // namespace ringsmb::tool
