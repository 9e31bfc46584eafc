// rt/buffer.h: size classes, registered indices, heap fallback, return to
// the pool (also from another thread), and READ_FIXED into a pool buffer.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <set>
#include <thread>

#include "../test_util.h"
#include "rt/buffer.h"
#include "rt/ops.h"

using namespace ringsmb;
using ringsmb::testing::TempDir;
using ringsmb::testing::TestRing;

namespace {

rt::BufferPoolConfig small() {
  rt::BufferPoolConfig c;
  c.classes = {{4096, 2}, {65536, 1}};
  return c;
}

TEST(Buffer, HeapBuffers) {
  rt::Buffer a = rt::Buffer::heap(0);
  ASSERT_TRUE(a);
  EXPECT_EQ(a.capacity(), 4096u);
  EXPECT_EQ(a.buf_index(), -1);
  EXPECT_FALSE(a.registered());
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a.data()) % 4096, 0u);
  rt::Buffer b = rt::Buffer::heap(5000);
  EXPECT_EQ(b.capacity(), 8192u);
  EXPECT_EQ(b.span().size(), 8192u);
  b.data()[8191] = 1;  // the whole capacity is usable
}

TEST(Buffer, MoveSemantics) {
  rt::Buffer a = rt::Buffer::heap(10);
  uint8_t* p = a.data();
  rt::Buffer b(std::move(a));
  EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(a.capacity(), 0u);
  EXPECT_EQ(b.data(), p);
  rt::Buffer c = rt::Buffer::heap(10);
  c = std::move(b);  // c's old buffer is released
  EXPECT_EQ(c.data(), p);
  EXPECT_FALSE(b);
  rt::Buffer empty;
  EXPECT_FALSE(empty);
  EXPECT_EQ(empty.buf_index(), -1);
}

TEST(BufferPool, ClassSelection) {
  TestRing t;
  rt::BufferPool pool(&t.ring(), small());
  EXPECT_EQ(pool.largest_class(), 65536u);
  {
    rt::Buffer b = pool.get(100);
    EXPECT_EQ(b.capacity(), 4096u);
  }
  {
    rt::Buffer b = pool.get(4096);
    EXPECT_EQ(b.capacity(), 4096u);
  }
  {
    rt::Buffer b = pool.get(4097);
    EXPECT_EQ(b.capacity(), 65536u);
  }
  {
    rt::Buffer b = pool.get(65536);
    EXPECT_EQ(b.capacity(), 65536u);
  }
  EXPECT_EQ(pool.stats().hits, 4u);
  EXPECT_EQ(pool.stats().misses, 0u);
}

TEST(BufferPool, RegisteredIndices) {
  TestRing t;
  rt::BufferPool pool(&t.ring(), small());
  rt::Buffer a = pool.get(1), b = pool.get(1), c = pool.get(5000);
  if (!pool.registered()) {
    for (const auto* x : {&a, &b, &c}) EXPECT_EQ(x->buf_index(), -1);
    GTEST_SKIP() << "buffer registration refused (RLIMIT_MEMLOCK?)";
  }
  std::set<int> idx = {a.buf_index(), b.buf_index(), c.buf_index()};
  EXPECT_EQ(idx, (std::set<int>{0, 1, 2}));  // one iovec per buffer, classes in order
  EXPECT_EQ(c.buf_index(), 2);
  EXPECT_TRUE(a.registered());
}

TEST(BufferPool, FallsBackWhenExhausted) {
  TestRing t;
  rt::BufferPool pool(&t.ring(), small());
  rt::Buffer a = pool.get(100), b = pool.get(100);
  EXPECT_EQ(a.capacity(), 4096u);
  EXPECT_EQ(b.capacity(), 4096u);
  rt::Buffer c = pool.get(100);  // small class empty: the next class serves
  EXPECT_EQ(c.capacity(), 65536u);
  rt::Buffer d = pool.get(100);  // everything taken: heap
  ASSERT_TRUE(d);
  EXPECT_EQ(d.buf_index(), -1);
  EXPECT_GE(d.capacity(), 100u);
  EXPECT_EQ(pool.stats().hits, 3u);
  EXPECT_EQ(pool.stats().misses, 1u);
  rt::Buffer big = pool.get(1 << 20);  // larger than any class
  EXPECT_EQ(big.buf_index(), -1);
  EXPECT_GE(big.capacity(), 1u << 20);
  EXPECT_EQ(pool.stats().misses, 2u);
  // Distinct memory.
  std::set<uint8_t*> ptrs = {a.data(), b.data(), c.data(), d.data(), big.data()};
  EXPECT_EQ(ptrs.size(), 5u);
}

TEST(BufferPool, BuffersAreReturned) {
  TestRing t;
  rt::BufferPool pool(&t.ring(), small());
  uint8_t* first;
  int idx;
  {
    rt::Buffer a = pool.get(10);
    first = a.data();
    idx = a.buf_index();
    rt::Buffer b = pool.get(10);
    EXPECT_NE(b.data(), first);
  }
  // Both back: the pool serves again without touching the heap.
  rt::Buffer x = pool.get(10), y = pool.get(10);
  EXPECT_EQ(pool.stats().misses, 0u);
  EXPECT_TRUE(x.data() == first || y.data() == first);
  EXPECT_TRUE(x.buf_index() == idx || y.buf_index() == idx);
  // A moved buffer returns exactly once.
  rt::Buffer z = std::move(x);
  z = rt::Buffer();
  rt::Buffer again = pool.get(10);
  EXPECT_EQ(again.capacity(), 4096u);
  EXPECT_EQ(pool.stats().misses, 0u);
}

TEST(BufferPool, ReturnFromAnotherThread) {
  TestRing t;
  rt::BufferPoolConfig cfg;
  cfg.classes = {{4096, 1}};
  rt::BufferPool pool(&t.ring(), cfg);
  rt::Buffer a = pool.get(1);
  uint8_t* p = a.data();
  std::thread th([b = std::move(a)]() mutable { b = rt::Buffer(); });
  th.join();
  rt::Buffer again = pool.get(1);  // drains the remote list first
  EXPECT_EQ(again.data(), p);
  EXPECT_EQ(pool.stats().misses, 0u);
}

TEST(BufferPool, WithoutRingIsUnregistered) {
  rt::BufferPool pool(nullptr, small());
  EXPECT_FALSE(pool.registered());
  rt::Buffer a = pool.get(1);
  EXPECT_EQ(a.capacity(), 4096u);
  EXPECT_EQ(a.buf_index(), -1);
  EXPECT_EQ(pool.stats().hits, 1u);
}

TEST(BufferPool, EmptyConfig) {
  rt::BufferPool pool(nullptr, rt::BufferPoolConfig{{}});
  EXPECT_EQ(pool.largest_class(), 0u);
  rt::Buffer a = pool.get(10);
  ASSERT_TRUE(a);
  EXPECT_EQ(a.buf_index(), -1);
  EXPECT_EQ(pool.stats().misses, 1u);
}

rt::Task<int> fixed_io(int fd, rt::Buffer* in, rt::Buffer* out) {
  std::memcpy(out->data(), "fixed buffers!", 14);
  int w = co_await rt::write_fixed(fd, out->data(), 14, 0, out->buf_index());
  if (w != 14) co_return -1000 + w;
  co_return co_await rt::read_fixed(fd, in->data(), 14, 0, in->buf_index());
}

TEST(BufferPool, ReadWriteFixed) {
  TestRing t;
  rt::BufferPool pool(&t.ring(), small());
  if (!pool.registered()) GTEST_SKIP() << "buffer registration refused";
  TempDir tmp;
  int fd = ::open((tmp / "f").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  {
    rt::Buffer in = pool.get(100), out = pool.get(100);
    ASSERT_TRUE(in.registered());
    ASSERT_TRUE(out.registered());
    EXPECT_EQ(t.run(fixed_io(fd, &in, &out)), 14);
    EXPECT_EQ(std::string(reinterpret_cast<char*>(in.data()), 14), "fixed buffers!");
  }
  ::close(fd);
}

}  // namespace
