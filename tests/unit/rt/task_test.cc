// rt/task.h: lazy tasks, values, nesting, symmetric transfer, spawn.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "rt/task.h"

using ringsmb::rt::spawn;
using ringsmb::rt::Task;

namespace {

// Runs a Task<T> with no I/O to completion and returns its value.
template <class T>
T run_sync(Task<T> t) {
  std::optional<T> out;
  bool done = false;
  auto wrap = [](Task<T> inner, std::optional<T>* o, bool* d) -> Task<void> {
    o->emplace(co_await std::move(inner));
    *d = true;
  };
  spawn(wrap(std::move(t), &out, &done));
  EXPECT_TRUE(done);
  return std::move(*out);
}

Task<int> answer() { co_return 42; }
Task<int> add(int a, int b) {
  int x = co_await answer();
  co_return x + a + b;
}
Task<std::string> greet(std::string who) { co_return "hello " + who; }
Task<std::unique_ptr<int>> boxed(int v) { co_return std::make_unique<int>(v); }

TEST(Task, ValuesAndNesting) {
  EXPECT_EQ(run_sync(answer()), 42);
  EXPECT_EQ(run_sync(add(1, 2)), 45);
  EXPECT_EQ(run_sync(greet("world")), "hello world");
  auto p = run_sync(boxed(7));  // move-only values
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, 7);
}

TEST(Task, LazyUntilAwaited) {
  int runs = 0;
  auto body = [](int* r) -> Task<void> {
    ++*r;
    co_return;
  };
  {
    Task<void> t = body(&runs);
    EXPECT_EQ(runs, 0);  // created, not started
  }                      // destroyed unstarted: no leak, no run
  EXPECT_EQ(runs, 0);
  spawn(body(&runs));
  EXPECT_EQ(runs, 1);
}

TEST(Task, MoveTransfersOwnership) {
  int runs = 0;
  auto body = [](int* r) -> Task<void> {
    ++*r;
    co_return;
  };
  Task<void> a = body(&runs);
  Task<void> b = std::move(a);
  Task<void> c;
  c = std::move(b);
  spawn(std::move(c));
  EXPECT_EQ(runs, 1);
}

Task<int> sum_list(const std::vector<int>* v, size_t i) {
  if (i == v->size()) co_return 0;
  int rest = co_await sum_list(v, i + 1);
  co_return (*v)[i] + rest;
}

TEST(Task, ManyNestedAwaits) {
  std::vector<int> v(1000);
  for (int i = 0; i < 1000; ++i) v[static_cast<size_t>(i)] = i;
  EXPECT_EQ(run_sync(sum_list(&v, 0)), 999 * 1000 / 2);
}

Task<long> depth(long n) {
  if (n == 0) co_return 0;
  long below = co_await depth(n - 1);
  co_return below + 1;
}

TEST(Task, DeepChainDoesNotOverflowTheStack) {
#if defined(__SANITIZE_ADDRESS__) || !defined(__OPTIMIZE__)
  // ASan (and -O0) keep GCC from turning the symmetric-transfer resume into
  // a tail call, so every level costs native stack in those builds.
  GTEST_SKIP() << "symmetric transfer is not a tail call without optimisation or under ASan";
#endif
  // 100000 nested awaits: with symmetric transfer neither the descent
  // (await_suspend returns the callee's handle) nor the unwinding
  // (final_suspend returns the continuation) grows the native stack.
  EXPECT_EQ(run_sync(depth(100000)), 100000);
}

Task<void> loop_awaits(int n, int* count) {
  for (int i = 0; i < n; ++i) {
    int v = co_await answer();
    *count += v == 42 ? 1 : 0;
  }
}

TEST(Task, SequentialAwaitsInALoop) {
#if defined(__SANITIZE_ADDRESS__) || !defined(__OPTIMIZE__)
  GTEST_SKIP() << "symmetric transfer is not a tail call without optimisation or under ASan";
#endif
  int count = 0;
  spawn(loop_awaits(100000, &count));
  EXPECT_EQ(count, 100000);
}

// A hand-written awaitable that suspends until resumed by the test.
struct Gate {
  std::coroutine_handle<> waiter;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) { waiter = h; }
  void await_resume() const noexcept {}
};

Task<int> wait_gate(Gate* g) {
  co_await *g;
  co_return 5;
}

TEST(Task, SpawnRunsToFirstSuspensionThenResumes) {
  Gate g;
  int result = 0;
  bool done = false;
  auto outer = [](Gate* gate, int* r, bool* d) -> Task<void> {
    *r = co_await wait_gate(gate);
    *d = true;
  };
  spawn(outer(&g, &result, &done));
  ASSERT_TRUE(g.waiter);  // suspended inside the nested task
  EXPECT_FALSE(done);
  g.waiter.resume();  // completes the inner task, which resumes the outer
  EXPECT_TRUE(done);
  EXPECT_EQ(result, 5);
}

TEST(Task, DetachedFrameFreesItself) {
  // The frame owns a shared_ptr copy; after the task finishes only ours is left.
  auto token = std::make_shared<int>(1);
  auto body = [](std::shared_ptr<int> t) -> Task<void> {
    ++*t;
    co_return;
  };
  spawn(body(token));
  EXPECT_EQ(*token, 2);
  EXPECT_EQ(token.use_count(), 1);
  // A suspended-then-resumed detached task frees itself too.
  Gate g;
  auto waiting = [](std::shared_ptr<int> t, Gate* gate) -> Task<void> {
    co_await *gate;
    ++*t;
  };
  spawn(waiting(token, &g));
  EXPECT_EQ(token.use_count(), 2);
  g.waiter.resume();
  EXPECT_EQ(*token, 3);
  EXPECT_EQ(token.use_count(), 1);
}

}  // namespace
