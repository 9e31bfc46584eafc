// tcp_probe: the loopback TCP ceiling the benchmark compares servers with.
//
//   tcp_probe read     FILE [--streams N] [--chunk BYTES] [--pipeline N]
//   tcp_probe sendfile FILE [--streams N] [--chunk BYTES]
//   tcp_probe write    FILE --bytes N [--streams N] [--chunk BYTES] [--pipeline N]
//
// One process plays both ends over 127.0.0.1, with N connections (default
// 1), each carrying an equal slice of the data:
//   read      per connection, a sender pread()s its slice of FILE, chunk by
//             chunk, into a buffer and send()s it; a receiver recv()s each
//             chunk into a buffer of its own and drops it. What a server's
//             READ path does at best without SMB: file -> user buffer ->
//             socket -> client buffer.
//   sendfile  the same with sendfile(2) instead of pread + send (the data
//             never passes through the sender's user space).
//   write     the other direction of a WRITE: the sender sends from a
//             buffer; the receiver recv()s a chunk into a buffer and
//             pwrite()s it to FILE (created or truncated; the caller
//             removes it).
// --pipeline N (read, write) splits the end that touches the file in two
// threads with N chunk buffers between them, so the file I/O of one chunk
// overlaps the socket I/O of the next, as a server with requests in flight
// does; without it (0, the default) each chunk is read and sent (received
// and written) in turn by one thread.
// Plain blocking system calls, default socket buffers: no SMB framing, no
// io_uring, no protocol work. The clock runs from the moment every
// connection is established until the last byte is received (read,
// sendfile) or written (write).
//
// Output: one JSON object on stdout:
//   {"mode": "read", "streams": 1, "pipeline": 0, "chunk": 8388608, "bytes": ...,
//    "seconds": ..., "MBps": ..., "cpu_s": ...}
// MBps is 10^6 bytes per second; cpu_s is user + system time of the whole
// process (both ends) while the clock ran. Exit status 1 on a failure
// (with a one-line message on stderr), 2 on a usage error.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

enum class Mode { Read, Sendfile, Write };

struct Options {
  Mode mode = Mode::Read;
  std::string file;
  unsigned streams = 1;
  unsigned pipeline = 0;  // chunk buffers between the file thread and the socket thread
  uint64_t chunk = 8ull << 20;
  uint64_t bytes = 0;  // write: how much to send
};

// A file descriptor that closes itself.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = o.release();
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

[[noreturn]] void die(const std::string& what, int err) {
  std::fprintf(stderr, "tcp_probe: %s: %s\n", what.c_str(), std::strerror(err));
  std::exit(1);
}

[[noreturn]] void usage(const std::string& msg) {
  std::fprintf(stderr,
               "tcp_probe: %s\n"
               "usage: tcp_probe read FILE [--streams N] [--chunk BYTES] [--pipeline N]\n"
               "       tcp_probe sendfile FILE [--streams N] [--chunk BYTES]\n"
               "       tcp_probe write FILE --bytes N [--streams N] [--chunk BYTES] [--pipeline N]\n",
               msg.c_str());
  std::exit(2);
}

// "8M", "2G", "4096": bytes, or false for anything else.
bool parse_size(std::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  uint64_t mult = 1;
  switch (s.back()) {
    case 'K': case 'k': mult = 1ull << 10; break;
    case 'M': case 'm': mult = 1ull << 20; break;
    case 'G': case 'g': mult = 1ull << 30; break;
    case 'T': case 't': mult = 1ull << 40; break;
    default: break;
  }
  if (mult != 1) s.remove_suffix(1);
  if (s.empty()) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    if (v > (UINT64_MAX - 9) / 10) return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > UINT64_MAX / mult) return false;
  *out = v * mult;
  return true;
}

Options parse_args(int argc, char** argv) {
  if (argc < 3) usage("missing arguments");
  Options o;
  std::string_view mode = argv[1];
  if (mode == "read") o.mode = Mode::Read;
  else if (mode == "sendfile") o.mode = Mode::Sendfile;
  else if (mode == "write") o.mode = Mode::Write;
  else usage("unknown mode '" + std::string(mode) + "'");
  o.file = argv[2];
  for (int i = 3; i < argc; ++i) {
    std::string_view a = argv[i];
    if (i + 1 >= argc) usage("option " + std::string(a) + " needs a value");
    std::string_view v = argv[++i];
    uint64_t n = 0;
    if (!parse_size(v, &n)) usage("'" + std::string(v) + "' is not a size");
    if (a == "--streams") {
      if (n == 0 || n > 64) usage("--streams: 1 to 64");
      o.streams = static_cast<unsigned>(n);
    } else if (a == "--chunk") {
      if (n == 0 || n > (1ull << 30)) usage("--chunk: 1 byte to 1G");
      o.chunk = n;
    } else if (a == "--bytes") {
      if (n == 0) usage("--bytes must be positive");
      o.bytes = n;
    } else if (a == "--pipeline") {
      if (n > 64) usage("--pipeline: 0 to 64");
      o.pipeline = static_cast<unsigned>(n);
    } else {
      usage("unknown option '" + std::string(a) + "'");
    }
  }
  if (o.mode == Mode::Write && o.bytes == 0) usage("write needs --bytes");
  if (o.mode == Mode::Sendfile && o.pipeline != 0) usage("sendfile has no --pipeline");
  return o;
}

double cpu_seconds() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  auto tv = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return tv(ru.ru_utime) + tv(ru.ru_stime);
}

// A connected pair over 127.0.0.1: the sending end and the receiving one.
struct Pair {
  Fd send;
  Fd recv;
};

std::vector<Pair> connect_pairs(unsigned n) {
  Fd lst(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (lst.get() < 0) die("socket", errno);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(lst.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0) die("bind", errno);
  if (::listen(lst.get(), static_cast<int>(n)) < 0) die("listen", errno);
  socklen_t len = sizeof(addr);
  if (::getsockname(lst.get(), reinterpret_cast<sockaddr*>(&addr), &len) < 0) {
    die("getsockname", errno);
  }
  std::vector<Pair> pairs;
  for (unsigned i = 0; i < n; ++i) {
    Pair p;
    p.send = Fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (p.send.get() < 0) die("socket", errno);
    if (::connect(p.send.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0) {
      die("connect", errno);
    }
    p.recv = Fd(::accept4(lst.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (p.recv.get() < 0) die("accept", errno);
    int one = 1;
    ::setsockopt(p.send.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    pairs.push_back(std::move(p));
  }
  return pairs;
}

// What one thread ran into: 0, or an errno with what it was doing.
struct Outcome {
  int err = 0;
  const char* what = "";
};

// A chunk of one slice: its buffer, where it belongs and how much it holds.
struct Chunk {
  uint8_t* data = nullptr;
  uint64_t off = 0;
  size_t len = 0;  // 0 with end = true: no more chunks
  bool end = false;
};

// A blocking queue of chunks between two threads. close() wakes every
// waiter; pop() then returns an end chunk.
class ChunkQueue {
 public:
  void push(Chunk c) {
    {
      std::lock_guard lk(mu_);
      q_.push_back(c);
    }
    cv_.notify_one();
  }
  Chunk pop() {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return !q_.empty() || closed_; });
    if (q_.empty()) return Chunk{nullptr, 0, 0, true};
    Chunk c = q_.front();
    q_.pop_front();
    return c;
  }
  void close() {
    {
      std::lock_guard lk(mu_);
      closed_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Chunk> q_;
  bool closed_ = false;
};

bool send_all(int sock, const uint8_t* p, size_t n, Outcome* out) {
  while (n > 0) {
    ssize_t rc = ::send(sock, p, n, MSG_NOSIGNAL);
    if (rc < 0) {
      if (errno == EINTR) continue;
      *out = {errno, "send"};
      return false;
    }
    p += rc;
    n -= static_cast<size_t>(rc);
  }
  return true;
}

bool recv_all(int sock, uint8_t* p, size_t n, Outcome* out) {
  while (n > 0) {
    ssize_t rc = ::recv(sock, p, n, 0);
    if (rc < 0) {
      if (errno == EINTR) continue;
      *out = {errno, "recv"};
      return false;
    }
    if (rc == 0) {
      *out = {EPIPE, "recv (the sender stopped early)"};
      return false;
    }
    p += rc;
    n -= static_cast<size_t>(rc);
  }
  return true;
}

// pread of a whole chunk (short only at the end of the file, which is an error here).
bool pread_all(int fd, uint8_t* p, size_t n, uint64_t off, Outcome* out) {
  while (n > 0) {
    ssize_t rc = ::pread(fd, p, n, static_cast<off_t>(off));
    if (rc < 0) {
      if (errno == EINTR) continue;
      *out = {errno, "pread"};
      return false;
    }
    if (rc == 0) {
      *out = {EIO, "pread (the file is shorter than it was)"};
      return false;
    }
    p += rc;
    n -= static_cast<size_t>(rc);
    off += static_cast<uint64_t>(rc);
  }
  return true;
}

bool pwrite_all(int fd, const uint8_t* p, size_t n, uint64_t off, Outcome* out) {
  while (n > 0) {
    ssize_t rc = ::pwrite(fd, p, n, static_cast<off_t>(off));
    if (rc < 0) {
      if (errno == EINTR) continue;
      *out = {errno, "pwrite"};
      return false;
    }
    p += rc;
    n -= static_cast<size_t>(rc);
    off += static_cast<uint64_t>(rc);
  }
  return true;
}

// Chunk buffers of one end of one connection.
std::vector<std::unique_ptr<uint8_t[]>> make_buffers(const Options& o, unsigned n, bool fill) {
  std::vector<std::unique_ptr<uint8_t[]>> bufs;
  for (unsigned i = 0; i < n; ++i) {
    bufs.emplace_back(new uint8_t[o.chunk]);
    if (fill) {  // not zeros: nothing may take a shortcut over them
      uint64_t x = 0x9e3779b97f4a7c15ull + i;
      for (uint64_t k = 0; k < o.chunk; k += 8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        std::memcpy(bufs.back().get() + k, &x, std::min<uint64_t>(8, o.chunk - k));
      }
    }
  }
  return bufs;
}

// The slice [off, off + len) in chunks; fn(chunk offset, chunk length)
// until it returns false.
template <typename Fn>
void for_each_chunk(const Options& o, uint64_t off, uint64_t len, Fn fn) {
  for (uint64_t pos = off; pos < off + len;) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(o.chunk, off + len - pos));
    if (!fn(pos, n)) return;
    pos += n;
  }
}

// The file end of a pipelined slice: moves chunks between the file and the
// socket thread through two queues (free buffers one way, full ones the other).
void file_stage(const Options& o, int file, uint64_t off, uint64_t len, ChunkQueue* free_q,
                ChunkQueue* full_q, Outcome* out) {
  if (o.mode == Mode::Read) {  // pread -> full queue -> sender
    for_each_chunk(o, off, len, [&](uint64_t pos, size_t n) {
      Chunk c = free_q->pop();
      if (c.end) return false;  // the sender gave up
      if (!pread_all(file, c.data, n, pos, out)) return false;
      c.off = pos;
      c.len = n;
      full_q->push(c);
      return true;
    });
    full_q->push(Chunk{nullptr, 0, 0, true});
  } else {  // receiver -> full queue -> pwrite
    for (;;) {
      Chunk c = full_q->pop();
      if (c.end) break;
      if (!pwrite_all(file, c.data, c.len, c.off, out)) {
        free_q->close();  // the receiver stops at its next chunk
        break;
      }
      free_q->push(c);
    }
  }
}

// Sends [off, off + len) of the file (read, sendfile) or of a filled buffer (write).
void sender(const Options& o, int file, int sock, uint64_t off, uint64_t len, Outcome* out) {
  if (o.mode == Mode::Sendfile) {
    off_t pos = static_cast<off_t>(off);
    const uint64_t end = off + len;
    while (static_cast<uint64_t>(pos) < end) {
      size_t want = static_cast<size_t>(std::min<uint64_t>(o.chunk, end - static_cast<uint64_t>(pos)));
      ssize_t rc = ::sendfile(sock, file, &pos, want);
      if (rc < 0) {
        if (errno == EINTR) continue;
        *out = {errno, "sendfile"};
        break;
      }
      if (rc == 0) {
        *out = {EIO, "sendfile (the file is shorter than it was)"};
        break;
      }
    }
  } else if (o.mode == Mode::Write) {
    auto bufs = make_buffers(o, 1, true);
    for_each_chunk(o, off, len, [&](uint64_t, size_t n) { return send_all(sock, bufs[0].get(), n, out); });
  } else if (o.pipeline == 0) {
    auto bufs = make_buffers(o, 1, false);
    for_each_chunk(o, off, len, [&](uint64_t pos, size_t n) {
      return pread_all(file, bufs[0].get(), n, pos, out) && send_all(sock, bufs[0].get(), n, out);
    });
  } else {
    auto bufs = make_buffers(o, o.pipeline, false);
    ChunkQueue free_q, full_q;
    for (auto& b : bufs) free_q.push(Chunk{b.get(), 0, 0, false});
    Outcome file_out;
    std::thread reader(file_stage, std::cref(o), file, off, len, &free_q, &full_q, &file_out);
    for (;;) {
      Chunk c = full_q.pop();
      if (c.end) break;
      if (!send_all(sock, c.data, c.len, out)) {
        free_q.close();  // the reader stops at its next chunk
        break;
      }
      free_q.push(c);
    }
    reader.join();
    if (out->err == 0) *out = file_out;
  }
  ::shutdown(sock, SHUT_WR);
}

// Reads the socket until the sender is done, so that a sender blocked in
// send() finishes after the receiving end failed.
void drain(int sock) {
  std::vector<uint8_t> scratch(1 << 16);
  while (::recv(sock, scratch.data(), scratch.size(), 0) > 0) {
  }
}

// Receives len bytes, chunk by chunk; in write mode they go to file at [off, off + len).
void receiver(const Options& o, int file, int sock, uint64_t off, uint64_t len, Outcome* out) {
  if (o.mode != Mode::Write || o.pipeline == 0) {
    auto bufs = make_buffers(o, 1, false);
    for_each_chunk(o, off, len, [&](uint64_t pos, size_t n) {
      if (!recv_all(sock, bufs[0].get(), n, out)) return false;
      return o.mode != Mode::Write || pwrite_all(file, bufs[0].get(), n, pos, out);
    });
    if (out->err != 0) drain(sock);
    return;
  }
  auto bufs = make_buffers(o, o.pipeline, false);
  ChunkQueue free_q, full_q;
  for (auto& b : bufs) free_q.push(Chunk{b.get(), 0, 0, false});
  Outcome file_out;
  std::thread writer(file_stage, std::cref(o), file, off, len, &free_q, &full_q, &file_out);
  for_each_chunk(o, off, len, [&](uint64_t pos, size_t n) {
    Chunk c = free_q.pop();
    if (c.end) return false;  // the writer gave up
    if (!recv_all(sock, c.data, n, out)) return false;
    c.off = pos;
    c.len = n;
    full_q.push(c);
    return true;
  });
  full_q.push(Chunk{nullptr, 0, 0, true});
  writer.join();
  if (out->err == 0) *out = file_out;
  if (out->err != 0) drain(sock);
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse_args(argc, argv);

  uint64_t total = o.bytes;
  Fd file;
  if (o.mode == Mode::Write) {
    file = Fd(::open(o.file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (file.get() < 0) die(o.file, errno);
  } else {
    file = Fd(::open(o.file.c_str(), O_RDONLY | O_CLOEXEC));
    if (file.get() < 0) die(o.file, errno);
    struct stat sb {};
    if (::fstat(file.get(), &sb) < 0) die(o.file, errno);
    total = static_cast<uint64_t>(sb.st_size);
    if (total == 0) usage(o.file + " is empty");
  }

  std::vector<Pair> pairs = connect_pairs(o.streams);
  std::vector<Outcome> outcomes(2 * o.streams);
  std::vector<std::thread> threads;
  const double cpu0 = cpu_seconds();
  const auto t0 = Clock::now();
  for (unsigned i = 0; i < o.streams; ++i) {
    // Slice i: an equal share, the last one takes the remainder.
    uint64_t off = total / o.streams * i;
    uint64_t len = i + 1 == o.streams ? total - off : total / o.streams;
    threads.emplace_back(receiver, std::cref(o), file.get(), pairs[i].recv.get(), off, len,
                         &outcomes[2 * i]);
    threads.emplace_back(sender, std::cref(o), file.get(), pairs[i].send.get(), off, len,
                         &outcomes[2 * i + 1]);
  }
  for (auto& t : threads) t.join();
  const auto t1 = Clock::now();
  const double cpu1 = cpu_seconds();
  // The cause first: a sender that stopped early makes its receiver fail
  // with EPIPE too.
  for (const Outcome& oc : outcomes) {
    if (oc.err != 0 && oc.err != EPIPE) die(oc.what, oc.err);
  }
  for (const Outcome& oc : outcomes) {
    if (oc.err != 0) die(oc.what, oc.err);
  }

  const double secs = std::chrono::duration<double>(t1 - t0).count();
  const char* mode = o.mode == Mode::Read ? "read" : o.mode == Mode::Sendfile ? "sendfile" : "write";
  std::printf(
      "{\"mode\": \"%s\", \"streams\": %u, \"pipeline\": %u, \"chunk\": %llu, \"bytes\": %llu, "
      "\"seconds\": %.6f, \"MBps\": %.1f, \"cpu_s\": %.3f}\n",
      mode, o.streams, o.pipeline, static_cast<unsigned long long>(o.chunk),
      static_cast<unsigned long long>(total), secs,
      secs > 0 ? static_cast<double>(total) / secs / 1e6 : 0.0, cpu1 - cpu0);
  return 0;
}
