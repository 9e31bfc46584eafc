// rt/sync.h: Semaphore, Event and WaitGroup on one ring; waiters are
// resumed through the ring, never inline.
#include <gtest/gtest.h>

#include <vector>

#include "../test_util.h"
#include "rt/ops.h"
#include "rt/sync.h"

using namespace ringsmb;
using ringsmb::testing::TestRing;
using rt::Task;

namespace {

void drain(TestRing& t, const bool* stop, int max_turns = 10000) {
  for (int i = 0; i < max_turns && !*stop; ++i) t.ring().run_once(true);
}

// ---------------------------------------------------------------- Semaphore

Task<void> worker(rt::Semaphore* s, int id, int* active, int* peak, std::vector<int>* order,
                  int* finished) {
  co_await s->acquire();
  order->push_back(id);
  ++*active;
  if (*active > *peak) *peak = *active;
  co_await rt::yield();
  co_await rt::yield();
  --*active;
  s->release();
  ++*finished;
}

TEST(Semaphore, LimitsConcurrencyAndIsFifo) {
  TestRing t;
  rt::Semaphore s(2);
  EXPECT_EQ(s.available(), 2u);
  int active = 0, peak = 0, finished = 0;
  std::vector<int> order;
  for (int i = 0; i < 6; ++i) rt::spawn(worker(&s, i, &active, &peak, &order, &finished));
  EXPECT_EQ(order, (std::vector<int>{0, 1}));  // the first two got permits at once
  EXPECT_EQ(s.available(), 0u);
  for (int turns = 0; finished < 6 && turns < 100000; ++turns) t.ring().run_once(true);
  EXPECT_EQ(finished, 6);
  EXPECT_EQ(peak, 2);
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(s.available(), 2u);
}

TEST(Semaphore, ReleaseWithoutWaitersCounts) {
  TestRing t;
  rt::Semaphore s(0);
  s.release();
  s.release();
  EXPECT_EQ(s.available(), 2u);
  bool got = false;
  auto take = [](rt::Semaphore* sem, bool* g) -> Task<void> {
    co_await sem->acquire();
    *g = true;
  };
  rt::spawn(take(&s, &got));
  EXPECT_TRUE(got);  // a permit was there: no suspension
  EXPECT_EQ(s.available(), 1u);
}

TEST(Semaphore, ReleaseHandsPermitToWaiterThroughTheRing) {
  TestRing t;
  rt::Semaphore s(0);
  bool got = false;
  auto take = [](rt::Semaphore* sem, bool* g) -> Task<void> {
    co_await sem->acquire();
    *g = true;
  };
  rt::spawn(take(&s, &got));
  EXPECT_FALSE(got);
  s.release();
  EXPECT_FALSE(got);  // not resumed inline
  EXPECT_EQ(s.available(), 0u);  // the permit went to the waiter
  drain(t, &got);
  EXPECT_TRUE(got);
  EXPECT_EQ(s.available(), 0u);
}

// -------------------------------------------------------------------- Event

TEST(Event, SetWakesAllWaitersLater) {
  TestRing t;
  rt::Event e;
  EXPECT_FALSE(e.is_set());
  std::vector<int> woke;
  auto wait = [](rt::Event* ev, std::vector<int>* w, int id) -> Task<void> {
    co_await ev->wait();
    w->push_back(id);
  };
  for (int i = 0; i < 3; ++i) rt::spawn(wait(&e, &woke, i));
  EXPECT_TRUE(woke.empty());
  e.set();
  EXPECT_TRUE(e.is_set());
  EXPECT_TRUE(woke.empty());  // resumed through the ring, not inside set()
  while (woke.size() < 3) t.ring().run_once(true);
  EXPECT_EQ(woke, (std::vector<int>{0, 1, 2}));
}

TEST(Event, WaitOnSetEventDoesNotSuspend) {
  TestRing t;
  rt::Event e;
  e.set();
  bool passed = false;
  auto wait = [](rt::Event* ev, bool* p) -> Task<void> {
    co_await ev->wait();
    *p = true;
  };
  rt::spawn(wait(&e, &passed));
  EXPECT_TRUE(passed);
  e.reset();
  EXPECT_FALSE(e.is_set());
  bool second = false;
  rt::spawn(wait(&e, &second));
  EXPECT_FALSE(second);
  e.set();
  drain(t, &second);
  EXPECT_TRUE(second);
}

// ---------------------------------------------------------------- WaitGroup

TEST(WaitGroup, WaitsForAllTasks) {
  TestRing t;
  rt::WaitGroup wg;
  std::vector<std::string> log;
  auto task = [](rt::WaitGroup* g, std::vector<std::string>* l, int turns) -> Task<void> {
    for (int i = 0; i < turns; ++i) co_await rt::yield();
    l->push_back("task" + std::to_string(turns));
    g->done();
  };
  bool waited = false;
  auto waiter = [](rt::WaitGroup* g, std::vector<std::string>* l, bool* w) -> Task<void> {
    co_await g->wait();
    l->push_back("waiter");
    *w = true;
  };
  wg.add(3);
  EXPECT_EQ(wg.count(), 3u);
  rt::spawn(task(&wg, &log, 3));
  rt::spawn(task(&wg, &log, 1));
  rt::spawn(waiter(&wg, &log, &waited));
  rt::spawn(task(&wg, &log, 2));
  drain(t, &waited);
  ASSERT_TRUE(waited);
  EXPECT_EQ(wg.count(), 0u);
  EXPECT_EQ(log, (std::vector<std::string>{"task1", "task2", "task3", "waiter"}));
}

TEST(WaitGroup, WaitWithNothingRunning) {
  TestRing t;
  rt::WaitGroup wg;
  bool passed = false;
  auto waiter = [](rt::WaitGroup* g, bool* p) -> Task<void> {
    co_await g->wait();
    *p = true;
  };
  rt::spawn(waiter(&wg, &passed));
  EXPECT_TRUE(passed);
}

TEST(WaitGroup, ReusableAfterReachingZero) {
  TestRing t;
  rt::WaitGroup wg;
  wg.add();
  wg.done();
  EXPECT_EQ(wg.count(), 0u);
  wg.add(2);  // a new round: waiting must block again
  bool passed = false;
  auto waiter = [](rt::WaitGroup* g, bool* p) -> Task<void> {
    co_await g->wait();
    *p = true;
  };
  rt::spawn(waiter(&wg, &passed));
  EXPECT_FALSE(passed);
  wg.done();
  t.ring().run_once(false);
  EXPECT_FALSE(passed);
  wg.done();
  drain(t, &passed);
  EXPECT_TRUE(passed);
}

}  // namespace
