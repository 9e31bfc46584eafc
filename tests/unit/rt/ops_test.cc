// rt/ring.h, rt/ops.h and rt/batch.h on a ring owned by the test thread.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <cstring>
#include <fstream>
#include <string>

#include "../test_util.h"
#include "rt/batch.h"
#include "rt/ops.h"
#include "rt/task.h"

using namespace ringsmb;
using namespace std::chrono_literals;
using ringsmb::testing::TempDir;
using ringsmb::testing::TestRing;
using rt::Task;

namespace {

struct Pipe {
  int r = -1, w = -1;
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) == 0) {
      r = fds[0];
      w = fds[1];
    }
  }
  ~Pipe() {
    if (r >= 0) ::close(r);
    if (w >= 0) ::close(w);
  }
};

struct SocketPair {
  int a = -1, b = -1;
  SocketPair() {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0) {
      a = fds[0];
      b = fds[1];
    }
  }
  ~SocketPair() {
    if (a >= 0) ::close(a);
    if (b >= 0) ::close(b);
  }
};

TEST(Ring, CurrentAndFeatures) {
  EXPECT_EQ(rt::Ring::current(), nullptr);
  {
    TestRing t;
    EXPECT_EQ(rt::Ring::current(), &t.ring());
    EXPECT_GE(t.ring().fd(), 0);
    const auto& f = t.ring().features();
    EXPECT_TRUE(f.setup_mode == "defer_taskrun" || f.setup_mode == "coop_taskrun" ||
                f.setup_mode == "plain")
        << f.setup_mode;
    // The server relies on these (kernel >= 5.19 for the runtime).
    EXPECT_TRUE(f.openat2);
    EXPECT_TRUE(f.statx);
  }
  EXPECT_EQ(rt::Ring::current(), nullptr);
}

TEST(Ring, RunOnceWithoutWorkReturnsZero) {
  TestRing t;
  EXPECT_EQ(t.ring().run_once(false), 0u);
}

TEST(Ring, SqeNeverNullWhenQueueIsFull) {
  TestRing t(8);  // tiny submission queue
  int done = 0;
  struct Count final : rt::Completion {
    int* n;
    explicit Count(int* p) : n(p) {}
    void complete(int res, uint32_t) noexcept override { *n += res == 0 ? 1 : 0; }
  } c(&done);
  for (int i = 0; i < 100; ++i) {
    io_uring_sqe* s = t.ring().sqe();
    ASSERT_NE(s, nullptr);
    io_uring_prep_nop(s);
    io_uring_sqe_set_data(s, static_cast<rt::Completion*>(&c));
  }
  while (done < 100) t.ring().run_once(true);
  EXPECT_EQ(done, 100);
}

Task<int> nop_task() { co_return co_await rt::yield(); }

TEST(Ops, YieldCompletesWithZero) {
  TestRing t;
  EXPECT_EQ(t.run(nop_task()), 0);
}

// Yield really goes through the ring: two tasks interleave.
Task<void> ticker(std::vector<int>* log, int id, int n) {
  for (int i = 0; i < n; ++i) {
    log->push_back(id);
    co_await rt::yield();
  }
}

TEST(Ops, YieldInterleavesTasks) {
  TestRing t;
  std::vector<int> log;
  rt::spawn(ticker(&log, 1, 3));
  rt::spawn(ticker(&log, 2, 3));
  // Both ran to their first yield before any CQE was reaped.
  ASSERT_EQ(log.size(), 2u);
  while (log.size() < 6) t.ring().run_once(true);
  t.ring().run_once(false);
  EXPECT_EQ(log, (std::vector<int>{1, 2, 1, 2, 1, 2}));
}

Task<std::string> pipe_round_trip(int r, int w) {
  const char msg[] = "through the ring";
  int n = co_await rt::write(w, msg, sizeof(msg) - 1, static_cast<uint64_t>(-1));
  if (n != static_cast<int>(sizeof(msg) - 1)) co_return "write: " + std::to_string(n);
  char buf[64];
  int got = co_await rt::read(r, buf, sizeof(buf), static_cast<uint64_t>(-1));
  if (got < 0) co_return "read: " + std::to_string(got);
  co_return std::string(buf, static_cast<size_t>(got));
}

TEST(Ops, ReadWritePipe) {
  TestRing t;
  Pipe p;
  ASSERT_GE(p.r, 0);
  EXPECT_EQ(t.run(pipe_round_trip(p.r, p.w)), "through the ring");
}

Task<std::string> file_io(int fd) {
  const char a[] = "0123456789";
  if (co_await rt::write(fd, a, 10, 0) != 10) co_return "w1";
  if (co_await rt::write(fd, "AB", 2, 4) != 2) co_return "w2";
  if (co_await rt::fsync(fd) != 0) co_return "fsync";
  char buf[16] = {};
  int n = co_await rt::read(fd, buf, 6, 2);
  if (n != 6) co_return "read " + std::to_string(n);
  int eof = co_await rt::read(fd, buf + 6, 4, 100);
  if (eof != 0) co_return "eof " + std::to_string(eof);
  co_return std::string(buf, 6);
}

TEST(Ops, ReadWriteFileAtOffsets) {
  TestRing t;
  TempDir tmp;
  int fd = ::open((tmp / "f").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(t.run(file_io(fd)), "23AB67");
  ::close(fd);
}

TEST(Ops, ErrorsAreNegativeErrno) {
  TestRing t;
  char b[4];
  auto body = [](char* buf) -> Task<int> { co_return co_await rt::read(-1, buf, 4, 0); };
  EXPECT_EQ(t.run(body(b)), -EBADF);
}

TEST(Ops, Statx) {
  TestRing t;
  TempDir tmp;
  { std::ofstream f(tmp / "s"); f << std::string(1234, 'x'); }
  auto body = [](std::string dir, struct statx* out) -> Task<int> {
    co_return co_await rt::statx(AT_FDCWD, (dir + "/s").c_str(), 0, STATX_BASIC_STATS, out);
  };
  struct statx stx {};
  ASSERT_EQ(t.run(body(tmp.path(), &stx)), 0);
  EXPECT_EQ(stx.stx_size, 1234u);
  EXPECT_TRUE(S_ISREG(stx.stx_mode));
  auto missing = [](std::string dir, struct statx* out) -> Task<int> {
    co_return co_await rt::statx(AT_FDCWD, (dir + "/nope").c_str(), 0, STATX_BASIC_STATS, out);
  };
  EXPECT_EQ(t.run(missing(tmp.path(), &stx)), -ENOENT);
}

Task<int> open_beneath(int dfd, std::string path) {
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH;
  co_return co_await rt::openat2(dfd, path.c_str(), &how);
}

TEST(Ops, Openat2ResolveBeneath) {
  TestRing t;
  TempDir tmp;
  ASSERT_EQ(::mkdir((tmp / "root").c_str(), 0755), 0);
  { std::ofstream f(tmp / "root/in"); f << "in"; }
  { std::ofstream f(tmp / "x"); f << "x"; }
  int root = ::open((tmp / "root").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(root, 0);
  int fd = t.run(open_beneath(root, "in"));
  ASSERT_GE(fd, 0);
  ::close(fd);
  EXPECT_EQ(t.run(open_beneath(root, "../x")), -EXDEV);
  EXPECT_EQ(t.run(open_beneath(root, (tmp / "x"))), -EXDEV);  // absolute
  EXPECT_EQ(t.run(open_beneath(root, "missing")), -ENOENT);
  ::close(root);
}

Task<int> dir_ops(int dfd) {
  if (int rc = co_await rt::mkdirat(dfd, "d", 0755); rc != 0) co_return 1000 + rc;
  if (int rc = co_await rt::mkdirat(dfd, "d", 0755); rc != -EEXIST) co_return 2000 + rc;
  if (int rc = co_await rt::renameat(dfd, "d", dfd, "e", 0); rc != 0) co_return 3000 + rc;
  if (int rc = co_await rt::unlinkat(dfd, "e", AT_REMOVEDIR); rc != 0) co_return 4000 + rc;
  if (int rc = co_await rt::unlinkat(dfd, "e", AT_REMOVEDIR); rc != -ENOENT) co_return 5000 + rc;
  co_return 0;
}

TEST(Ops, MkdirRenameUnlink) {
  TestRing t;
  TempDir tmp;
  int d = ::open(tmp.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(d, 0);
  EXPECT_EQ(t.run(dir_ops(d)), 0);
  ::close(d);
}

TEST(Ops, CloseOp) {
  TestRing t;
  Pipe p;
  int dup = ::dup(p.r);
  ASSERT_GE(dup, 0);
  auto body = [](int fd) -> Task<int> { co_return co_await rt::close(fd); };
  EXPECT_EQ(t.run(body(dup)), 0);
  EXPECT_EQ(::fcntl(dup, F_GETFD), -1);
}

Task<int> recv_with_deadline(int fd, std::chrono::nanoseconds d, char* buf) {
  co_return co_await rt::recv(fd, buf, 16).deadline(d);
}

// Sends one byte to fd after `after` unless stopped first: turns a recv that
// would hang forever into a failing test.
class Watchdog {
 public:
  Watchdog(int fd, std::chrono::milliseconds after)
      : th_([this, fd, after] {
          std::unique_lock lk(mu_);
          if (!cv_.wait_for(lk, after, [this] { return stop_; })) {
            fired_ = true;
            (void)!::send(fd, "!", 1, MSG_NOSIGNAL);
          }
        }) {}
  ~Watchdog() {
    {
      std::lock_guard lk(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    th_.join();
  }
  bool fired() {
    std::lock_guard lk(mu_);
    return fired_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false, fired_ = false;
  std::thread th_;
};

// A recv linked to a deadline completes with -ECANCELED. (GCC moves the
// xvalue returned by deadline() into a new awaiter, so this also checks
// that Op's move keeps the deadline.) The watchdog turns a missing timeout
// into a failure instead of a hang.
TEST(Ops, RecvDeadlineTimesOut) {
  TestRing t;
  SocketPair sp;
  ASSERT_GE(sp.a, 0);
  char buf[16];
  Watchdog wd(sp.b, 3000ms);
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(t.run(recv_with_deadline(sp.a, 50ms, buf)), -ECANCELED);
  auto el = std::chrono::steady_clock::now() - t0;
  EXPECT_FALSE(wd.fired());
  EXPECT_GE(el, 45ms);
  EXPECT_LT(el, 2000ms);
  // The timeout's own CQE (user_data 0) is ignored; the ring keeps working.
  EXPECT_EQ(t.run(nop_task()), 0);
}

TEST(Ops, RecvDeadlineNotReachedWhenDataArrives) {
  TestRing t;
  SocketPair sp;
  ASSERT_EQ(::send(sp.b, "ping", 4, 0), 4);
  char buf[16];
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(t.run(recv_with_deadline(sp.a, 5s, buf)), 4);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  EXPECT_EQ(std::string(buf, 4), "ping");
  // Later ops are not hit by the cancelled link timeout.
  ASSERT_EQ(::send(sp.b, "pong", 4, 0), 4);
  EXPECT_EQ(t.run(recv_with_deadline(sp.a, 5s, buf)), 4);
  EXPECT_EQ(std::string(buf, 4), "pong");
}

TEST(Ops, SendRecvSocket) {
  TestRing t;
  SocketPair sp;
  auto body = [](int a, int b) -> Task<std::string> {
    int s = co_await rt::send(a, "hello", 5);
    if (s != 5) co_return "send " + std::to_string(s);
    char buf[8];
    int r = co_await rt::recv(b, buf, sizeof(buf));
    co_return std::string(buf, static_cast<size_t>(std::max(r, 0)));
  };
  EXPECT_EQ(t.run(body(sp.a, sp.b)), "hello");
}

Task<int> sleep_for(std::chrono::nanoseconds d) { co_return co_await rt::sleep(d); }

TEST(Ops, Sleep) {
  TestRing t;
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(t.run(sleep_for(30ms)), -ETIME);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 25ms);
  EXPECT_EQ(t.run(sleep_for(0ns)), -ETIME);
}

TEST(Ops, SleepsCompleteInDeadlineOrder) {
  TestRing t;
  std::vector<int> order;
  auto one = [](std::vector<int>* o, int id, std::chrono::milliseconds d) -> Task<void> {
    co_await rt::sleep(d);
    o->push_back(id);
  };
  rt::spawn(one(&order, 3, 60ms));
  rt::spawn(one(&order, 1, 10ms));
  rt::spawn(one(&order, 2, 30ms));
  while (order.size() < 3) t.ring().run_once(true);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(Ops, CancelFdWakesPendingRecv) {
  TestRing t;
  SocketPair sp;
  int res = 1;
  bool done = false;
  char buf[8];
  auto body = [](int fd, char* b, int* r, bool* d) -> Task<void> {
    *r = co_await rt::recv(fd, b, 8);
    *d = true;
  };
  rt::spawn(body(sp.a, buf, &res, &done));
  t.ring().run_once(false);  // submit the recv
  EXPECT_FALSE(done);
  rt::cancel_fd(sp.a);
  while (!done) t.ring().run_once(true);
  EXPECT_EQ(res, -ECANCELED);
}

// ------------------------------------------------------------------- Batch

TEST(Batch, EmptyBatchDoesNotSuspend) {
  TestRing t;
  auto body = []() -> Task<size_t> {
    rt::Batch b;
    co_await b;
    co_return b.size();
  };
  EXPECT_EQ(t.run(body()), 0u);
}

Task<int> stat_many(const std::vector<std::string>* paths, std::vector<struct statx>* out,
                    std::vector<int>* results) {
  rt::Batch b;
  out->resize(paths->size());
  for (size_t i = 0; i < paths->size(); ++i) {
    const char* p = (*paths)[i].c_str();
    struct statx* o = &(*out)[i];
    b.add([=](io_uring_sqe* s) { io_uring_prep_statx(s, AT_FDCWD, p, 0, STATX_BASIC_STATS, o); });
  }
  co_await b;
  for (size_t i = 0; i < b.size(); ++i) results->push_back(b.result(i));
  co_return static_cast<int>(b.size());
}

TEST(Batch, ManyStatx) {
  TestRing t(64);  // fewer SQEs than ops: the batch must submit in pieces
  TempDir tmp;
  std::vector<std::string> paths;
  for (int i = 0; i < 500; ++i) {
    std::string p = tmp / ("f" + std::to_string(i));
    std::ofstream(p) << std::string(static_cast<size_t>(i), 'z');
    paths.push_back(p);
  }
  paths.push_back(tmp / "missing");
  std::vector<struct statx> out;
  std::vector<int> res;
  ASSERT_EQ(t.run(stat_many(&paths, &out, &res)), 501);
  ASSERT_EQ(res.size(), 501u);
  for (int i = 0; i < 500; ++i) {
    EXPECT_EQ(res[static_cast<size_t>(i)], 0) << i;
    EXPECT_EQ(out[static_cast<size_t>(i)].stx_size, static_cast<uint64_t>(i)) << i;
  }
  EXPECT_EQ(res[500], -ENOENT);
}

}  // namespace
