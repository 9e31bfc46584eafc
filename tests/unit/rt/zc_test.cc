// rt/zc.h: SEND_ZC (result at the first completion, the kept memory freed
// only at the notification), the pipe pool (sizes, reuse only when empty)
// and a full splice file -> pipe -> socket round trip.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "../test_util.h"
#include "rt/ops.h"
#include "rt/zc.h"

using namespace ringsmb;
using ringsmb::testing::TempDir;
using ringsmb::testing::TestRing;

namespace {

struct SocketPair {
  int fd[2] = {-1, -1};
  SocketPair() { EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fd), 0); }
  ~SocketPair() {
    for (int f : fd)
      if (f >= 0) close(f);
  }
};

std::string read_n(int fd, size_t n) {
  std::string out(n, '\0');
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, out.data() + got, n - got);
    if (r <= 0) break;
    got += static_cast<size_t>(r);
  }
  out.resize(got);
  return out;
}

TEST(SendZc, SendsAndReleasesAtNotification) {
  TestRing t;
  if (!t.ring().features().send_zc) GTEST_SKIP() << "no SEND_ZC in this kernel";
  // SEND_ZC needs a TCP or UDP socket: a loopback TCP pair.
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(ls, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  ASSERT_EQ(listen(ls, 1), 0);
  socklen_t len = sizeof(a);
  getsockname(ls, reinterpret_cast<sockaddr*>(&a), &len);
  int c = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_EQ(connect(c, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  int s = accept(ls, nullptr, nullptr);
  ASSERT_GE(s, 0);

  int freed = 0;
  std::string msg(200000, 'z');
  for (size_t i = 0; i < msg.size(); i += 997) msg[i] = static_cast<char>('a' + i % 26);
  std::shared_ptr<void> keep(new int(0), [&freed](void* p) {
    ++freed;
    delete static_cast<int*>(p);
  });
  auto body = [&]() -> rt::Task<int> {
    size_t sent = 0;
    while (sent < msg.size()) {
      int n = co_await rt::send_zc(s, msg.data() + sent, msg.size() - sent, -1, keep);
      if (n <= 0) co_return n;
      sent += static_cast<size_t>(n);
    }
    co_return static_cast<int>(sent);
  };
  std::string got;
  // The receiver drains on its own so the sender never stalls.
  std::thread reader([&] { got = read_n(c, msg.size()); });
  EXPECT_EQ(t.run(body()), static_cast<int>(msg.size()));
  reader.join();
  EXPECT_EQ(got, msg);
  keep.reset();
  // Notifications may still be on their way: drive the ring until every
  // operation has let go of the memory.
  for (int i = 0; i < 2000 && freed == 0; ++i) {
    t.ring().run_once(false);
    if (freed == 0) usleep(1000);
  }
  EXPECT_EQ(freed, 1);
  close(c);
  close(s);
  close(ls);
}

TEST(PipePool, ReusesOnlyEmptyPipes) {
  rt::PipePool pool(1u << 20);
  int r1;
  {
    rt::PipeLease l = pool.get();
    ASSERT_TRUE(l);
    EXPECT_GE(l.capacity(), 65536u);
    r1 = l.read_fd();
  }
  {
    rt::PipeLease l = pool.get();
    EXPECT_EQ(l.read_fd(), r1);  // the empty pipe came back
    const uint8_t data[5] = {1, 2, 3, 4, 5};
    ASSERT_TRUE(l.fill(data, sizeof(data)));
    EXPECT_EQ(l.pending, 5u);
  }  // returned with data in it: closed, not pooled
  EXPECT_EQ(fcntl(r1, F_GETFD), -1);
  rt::PipeLease l = pool.get();
  ASSERT_TRUE(l);
  const uint8_t data[3] = {7, 8, 9};
  ASSERT_TRUE(l.fill(data, 3));
  uint8_t back[3] = {};
  ASSERT_TRUE(l.drain(back));
  EXPECT_EQ(l.pending, 0u);
  EXPECT_EQ(back[0], 7);
  EXPECT_EQ(back[2], 9);
}

TEST(Splice, FileThroughPipeToSocket) {
  TestRing t;
  if (!t.ring().features().splice) GTEST_SKIP() << "no SPLICE in this kernel";
  TempDir tmp;
  std::string path = tmp.path() + "/f";
  std::string content(300000, 'x');
  for (size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>(i * 7);
  int fd = open(path.c_str(), O_RDWR | O_CREAT, 0600);
  ASSERT_EQ(write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
  SocketPair sp;
  rt::PipePool pool(1u << 20);
  rt::PipeLease pipe = pool.get();
  ASSERT_GE(pipe.capacity(), 300000u + 4096);
  // Unaligned: from offset 1000, 200,000 bytes.
  auto body = [&]() -> rt::Task<int> {
    size_t in = 0;
    while (in < 200000) {
      int n = co_await rt::splice(fd, 1000 + static_cast<int64_t>(in), pipe.write_fd(), -1,
                                  static_cast<unsigned>(200000 - in),
                                  SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n <= 0) co_return n;
      in += static_cast<size_t>(n);
    }
    size_t out = 0;
    while (out < in) {
      int n = co_await rt::splice(pipe.read_fd(), -1, sp.fd[0], -1,
                                  static_cast<unsigned>(in - out), SPLICE_F_MOVE);
      if (n <= 0) co_return n;
      out += static_cast<size_t>(n);
    }
    co_return static_cast<int>(out);
  };
  std::string got;
  std::thread reader([&] { got = read_n(sp.fd[1], 200000); });
  EXPECT_EQ(t.run(body()), 200000);
  reader.join();
  EXPECT_EQ(got, content.substr(1000, 200000));
  close(fd);
}

}  // namespace
