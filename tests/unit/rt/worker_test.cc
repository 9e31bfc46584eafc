// rt/worker.h: posting from other threads (eventfd) and from other workers
// (IORING_OP_MSG_RING), ordering, stop hooks and holds.
//
// Every wait on another thread is bounded, so a broken wakeup fails the test
// instead of hanging the suite.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include "rt/ops.h"
#include "rt/task.h"
#include "rt/worker.h"

using namespace ringsmb;
using namespace std::chrono_literals;

namespace {

rt::WorkerConfig small_cfg() {
  rt::WorkerConfig c;
  c.ring_entries = 64;
  c.buffers.classes = {{4096, 4}};
  return c;
}

template <class T>
bool ready(std::future<T>& f, std::chrono::milliseconds d = 5000ms) {
  return f.wait_for(d) == std::future_status::ready;
}

TEST(Worker, PostRunsOnWorkerThreadInOrder) {
  rt::Worker w(3, small_cfg());
  std::promise<void> init_done;
  std::thread::id init_thread;
  w.start([&] {
    init_thread = std::this_thread::get_id();
    init_done.set_value();
  });
  auto f = init_done.get_future();
  ASSERT_TRUE(ready(f));
  EXPECT_NE(init_thread, std::this_thread::get_id());

  std::vector<int> seen;  // touched only on the worker thread
  std::promise<std::vector<int>> result;
  bool wrong_thread = false;
  for (int i = 0; i < 200; ++i) {
    w.post([&, i] {
      if (std::this_thread::get_id() != init_thread || rt::Worker::current() != &w ||
          rt::Ring::current() != &w.ring()) {
        wrong_thread = true;
      }
      seen.push_back(i);
    });
  }
  w.post([&] { result.set_value(seen); });
  auto r = result.get_future();
  ASSERT_TRUE(ready(r));
  std::vector<int> expect(200);
  for (int i = 0; i < 200; ++i) expect[static_cast<size_t>(i)] = i;
  EXPECT_EQ(r.get(), expect);
  EXPECT_FALSE(wrong_thread);
  EXPECT_EQ(w.id(), 3u);
  w.request_stop();
  w.join();
}

TEST(Worker, PostsFromManyThreads) {
  rt::Worker w(0, small_cfg());
  w.start();
  std::atomic<int> count{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([&] {
      for (int i = 0; i < 500; ++i) w.post([&] { count.fetch_add(1); });
    });
  }
  for (auto& t : ts) t.join();
  std::promise<int> p;
  w.post([&] { p.set_value(count.load()); });
  auto f = p.get_future();
  ASSERT_TRUE(ready(f));
  EXPECT_EQ(f.get(), 2000);
  w.request_stop();
  w.join();
}

TEST(Worker, PostFromAnotherWorker) {
  rt::Worker a(1, small_cfg()), b(2, small_cfg());
  a.start();
  b.start();
  std::promise<bool> msg_ring;
  a.post([&] { msg_ring.set_value(rt::Ring::current()->features().msg_ring); });
  auto mr = msg_ring.get_future();
  ASSERT_TRUE(ready(mr));
  // On kernels with MSG_RING the posts below travel as an SQE on a's ring.
  RecordProperty("msg_ring", mr.get() ? "yes" : "no");

  constexpr int kN = 300;
  std::atomic<int> on_b{0};
  std::atomic<bool> wrong{false};
  std::promise<void> all;
  a.post([&] {
    for (int i = 0; i < kN; ++i) {
      b.post([&, i] {
        if (rt::Worker::current() != &b) wrong = true;
        if (on_b.fetch_add(1) + 1 == kN) all.set_value();
        (void)i;
      });
    }
  });
  auto f = all.get_future();
  ASSERT_TRUE(ready(f)) << "only " << on_b.load() << " of " << kN << " posts arrived";
  EXPECT_FALSE(wrong);
  // Ping-pong: each side answers from its own thread.
  std::promise<int> pong;
  a.post([&] {
    b.post([&] { a.post([&] { pong.set_value(static_cast<int>(rt::Worker::current()->id())); }); });
  });
  auto pf = pong.get_future();
  ASSERT_TRUE(ready(pf));
  EXPECT_EQ(pf.get(), 1);
  a.request_stop();
  b.request_stop();
  a.join();
  b.join();
}

TEST(Worker, PostToSelfRunsLater) {
  rt::Worker w(0, small_cfg());
  w.start();
  std::promise<std::vector<int>> p;
  w.post([&] {
    auto* order = new std::vector<int>;
    rt::Worker::current()->post([&, order] {
      order->push_back(2);
      p.set_value(*order);
      delete order;
    });
    order->push_back(1);  // the self-post did not run inline
  });
  auto f = p.get_future();
  ASSERT_TRUE(ready(f));
  EXPECT_EQ(f.get(), (std::vector<int>{1, 2}));
  w.request_stop();
  w.join();
}

TEST(Worker, StopHooksRunOnceOnWorkerThread) {
  rt::Worker w(0, small_cfg());
  std::atomic<int> hooks{0};
  std::atomic<bool> on_worker{false};
  w.on_stop([&] {
    hooks.fetch_add(1);
    on_worker = rt::Worker::current() == &w && rt::Worker::current()->stopping();
  });
  w.start();
  EXPECT_FALSE(w.stopping());
  w.request_stop();
  EXPECT_TRUE(w.stopping());
  w.request_stop();  // twice is harmless
  auto joined = std::async(std::launch::async, [&] { w.join(); });
  ASSERT_TRUE(ready(joined));
  EXPECT_EQ(hooks.load(), 1);
  EXPECT_TRUE(on_worker);
}

rt::Task<void> held_work(std::atomic<bool>* saw_stop, std::atomic<bool>* finished) {
  rt::Worker::current()->hold();
  co_await rt::sleep(200ms);
  *saw_stop = rt::Worker::current()->stopping();
  *finished = true;
  rt::Worker::current()->unhold();
}

TEST(Worker, HoldKeepsLoopRunningAfterStop) {
  rt::Worker w(0, small_cfg());
  std::atomic<bool> saw_stop{false}, finished{false};
  std::promise<void> started;
  w.start([&] {
    rt::spawn(held_work(&saw_stop, &finished));
    started.set_value();
  });
  auto s = started.get_future();
  ASSERT_TRUE(ready(s));
  auto t0 = std::chrono::steady_clock::now();
  w.request_stop();
  auto joined = std::async(std::launch::async, [&] { w.join(); });
  ASSERT_TRUE(ready(joined));
  EXPECT_TRUE(finished);   // the held task ran to its end
  EXPECT_TRUE(saw_stop);   // after stop had been requested
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 150ms);
}

TEST(Worker, StopHookCanReleaseHold) {
  rt::Worker w(0, small_cfg());
  w.on_stop([] { rt::Worker::current()->unhold(); });
  std::promise<void> started;
  w.start([&] {
    rt::Worker::current()->hold();  // like a listener
    started.set_value();
  });
  auto s = started.get_future();
  ASSERT_TRUE(ready(s));
  w.request_stop();
  auto joined = std::async(std::launch::async, [&] { w.join(); });
  EXPECT_TRUE(ready(joined));
}

// Regression: the eventfd read was not re-armed once stop had been
// requested, so while holds kept the loop alive a post() from another
// thread waited for unrelated I/O (here a 1 s ticker) to wake the loop.
TEST(Worker, PostAfterStopWhileHeldIsDelivered) {
  rt::Worker w(0, small_cfg());
  std::atomic<bool> quit{false};
  std::promise<void> started;
  auto ticker = [](std::atomic<bool>* q) -> rt::Task<void> {
    rt::Worker::current()->hold();
    while (!*q) co_await rt::sleep(1000ms);
    rt::Worker::current()->unhold();
  };
  w.start([&] {
    rt::Worker::current()->hold();  // a live connection
    rt::spawn(ticker(&quit));
    started.set_value();
  });
  auto s = started.get_future();
  ASSERT_TRUE(ready(s));
  w.request_stop();
  std::this_thread::sleep_for(100ms);  // the loop has seen the stop
  std::promise<void> ran;
  auto t0 = std::chrono::steady_clock::now();
  w.post([&] {
    rt::Worker::current()->unhold();
    quit = true;
    ran.set_value();
  });
  auto r = ran.get_future();
  ASSERT_TRUE(ready(r));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 300ms);
  auto joined = std::async(std::launch::async, [&] { w.join(); });
  EXPECT_TRUE(ready(joined));
}

TEST(Worker, RunHereOnCallingThread) {
  rt::Worker w(7, small_cfg());
  std::vector<std::string> log;
  w.run_here([&] {
    EXPECT_EQ(rt::Worker::current(), &w);
    EXPECT_EQ(rt::Ring::current(), &w.ring());
    log.push_back("init");
    w.post([&] {
      log.push_back("posted");
      w.request_stop();
    });
  });
  EXPECT_EQ(log, (std::vector<std::string>{"init", "posted"}));
  EXPECT_EQ(rt::Worker::current(), nullptr);
  EXPECT_EQ(rt::Ring::current(), nullptr);
}

TEST(Worker, DestructorStopsRunningThread) {
  std::promise<void> ran;
  auto f = ran.get_future();
  {
    rt::Worker w(0, small_cfg());
    w.start();
    w.post([&] { ran.set_value(); });
    ASSERT_TRUE(ready(f));
  }  // ~Worker requests stop and joins: reaching here means it did
}

TEST(Worker, PostsQueuedBeforeStopStillRun) {
  rt::Worker w(0, small_cfg());
  w.start();
  std::atomic<int> n{0};
  for (int i = 0; i < 100; ++i) w.post([&] { n.fetch_add(1); });
  w.request_stop();
  auto joined = std::async(std::launch::async, [&] { w.join(); });
  ASSERT_TRUE(ready(joined));
  EXPECT_EQ(n.load(), 100);
}

}  // namespace
