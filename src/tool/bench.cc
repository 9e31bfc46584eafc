#include "tool/bench.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <thread>

#include "rt/sync.h"
#include "tool/runtime.h"
#include "tool/stats.h"

namespace ringsmb::tool {

namespace st = wire::status;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr uint32_t kMetaWrite = 4096;  // bytes each meta loop writes
constexpr unsigned kListEvery = 16;    // meta loops per directory listing

enum class Kind { SeqWrite, SeqRead, RandRead, RandWrite, Meta };
constexpr std::array<Kind, 5> kOrder = {Kind::SeqWrite, Kind::SeqRead, Kind::RandRead,
                                        Kind::RandWrite, Kind::Meta};

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::SeqWrite: return "seq-write";
    case Kind::SeqRead: return "seq-read";
    case Kind::RandRead: return "rand-read";
    case Kind::RandWrite: return "rand-write";
    case Kind::Meta: return "meta";
  }
  return "?";
}

bool is_read(Kind k) { return k == Kind::SeqRead || k == Kind::RandRead; }

// The steps of the meta mix, each timed on its own.
enum MetaOp { kCreate, kWrite, kClose, kStat, kList, kDelete, kMetaOps };
constexpr std::array<const char*, kMetaOps> kMetaOpNames = {"create", "write", "close",
                                                            "stat",   "list",  "delete"};

// What one channel measured. Only that channel's worker touches it while
// the workload runs; the main task reads it once every lane finished.
struct ChannelStats {
  LatencyHistogram lat;
  std::array<LatencyHistogram, kMetaOps> meta;  // meta only: per step
  uint64_t bytes = 0;
  uint64_t ops = 0;
  Status first;  // the first failure of a lane of this channel
};

// One run of a workload over every channel.
struct Job {
  Kind kind = Kind::SeqRead;
  std::shared_ptr<client::Tree> tree;
  wire::FileId fid;
  uint64_t file_size = 0;
  uint32_t io = 0;       // bytes per READ/WRITE
  unsigned lanes = 1;    // per channel
  bool wrap = true;      // sequential: start over at the end of the file (else stop there)
  Clock::time_point deadline = Clock::time_point::max();
  std::string dir;       // meta: where the files go (share-relative)
  std::atomic<uint64_t> next{0};  // sequential: the next chunk to take
  std::atomic<bool> stop{false};  // a lane failed: everyone stops
  std::vector<ChannelStats> chans;

  bool keep_going() const {
    return !stop.load(std::memory_order_relaxed) && Clock::now() < deadline;
  }
  uint64_t chunks() const { return (file_size + io - 1) / io; }
};

void lane_failed(Job& j, ChannelStats& cs, Status s) {
  if (cs.first.ok()) cs.first = s;
  j.stop.store(true, std::memory_order_relaxed);
}

uint64_t since_ns(Clock::time_point t0) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count());
}

// splitmix64: cheap, good enough for offsets and fill bytes.
uint64_t next_random(uint64_t& s) {
  uint64_t z = (s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

void fill_random(uint8_t* p, size_t n, uint64_t seed) {
  for (size_t i = 0; i < n; i += 8) {
    uint64_t v = next_random(seed);
    std::memcpy(p + i, &v, std::min<size_t>(8, n - i));
  }
}

// ------------------------------------------------------------ lanes

// Sequential I/O: takes the next chunk of the file until time is up.
rt::Task<void> seq_lane(std::shared_ptr<Job> j, unsigned ch, unsigned lane, rt::WaitGroup* wg) {
  ChannelStats& cs = j->chans[ch];
  const bool write = j->kind == Kind::SeqWrite;
  rt::Buffer buf;
  if (write) {
    buf = rt::Worker::current()->buffers().get(j->io);
    fill_random(buf.data(), j->io, (uint64_t{ch} << 32) | lane);
  }
  const uint64_t chunks = j->chunks();
  while (j->keep_going()) {
    uint64_t k = j->next.fetch_add(1, std::memory_order_relaxed);
    if (k >= chunks && !j->wrap) break;
    uint64_t off = (k % chunks) * j->io;
    uint32_t len = static_cast<uint32_t>(std::min<uint64_t>(j->io, j->file_size - off));
    auto t0 = Clock::now();
    if (write) {
      auto w = co_await j->tree->write(j->fid, off, wire::Bytes(buf.data(), len), ch);
      if (!w || *w == 0) {
        lane_failed(*j, cs, Status::from_nt(w ? st::DISK_FULL : w.status()));
        break;
      }
      cs.bytes += *w;
    } else {
      auto r = co_await j->tree->read(j->fid, off, len, ch);
      if (!r || r->data.empty()) {  // empty: the file is shorter than it said
        lane_failed(*j, cs, Status::from_nt(r ? st::END_OF_FILE : r.status()));
        break;
      }
      cs.bytes += r->data.size();
    }
    cs.lat.record(since_ns(t0));
    ++cs.ops;
  }
  wg->done();
}

// Random I/O of one block at uniformly chosen aligned offsets.
rt::Task<void> rand_lane(std::shared_ptr<Job> j, unsigned ch, unsigned lane, rt::WaitGroup* wg) {
  ChannelStats& cs = j->chans[ch];
  const bool write = j->kind == Kind::RandWrite;
  uint64_t seed = (uint64_t{ch} << 32) ^ (uint64_t{lane} << 8) ^ 0x5eed;
  rt::Buffer buf;
  if (write) {
    buf = rt::Worker::current()->buffers().get(j->io);
    fill_random(buf.data(), j->io, seed);
  }
  const uint64_t blocks = j->file_size / j->io;
  while (j->keep_going()) {
    uint64_t off = (next_random(seed) % blocks) * j->io;
    auto t0 = Clock::now();
    if (write) {
      auto w = co_await j->tree->write(j->fid, off, wire::Bytes(buf.data(), j->io), ch);
      if (!w || *w == 0) {
        lane_failed(*j, cs, Status::from_nt(w ? st::DISK_FULL : w.status()));
        break;
      }
      cs.bytes += *w;
    } else {
      auto r = co_await j->tree->read(j->fid, off, j->io, ch);
      if (!r || r->data.empty()) {
        lane_failed(*j, cs, Status::from_nt(r ? st::END_OF_FILE : r.status()));
        break;
      }
      cs.bytes += r->data.size();
    }
    cs.lat.record(since_ns(t0));
    ++cs.ops;
  }
  wg->done();
}

void note_meta(ChannelStats& cs, MetaOp op, Clock::time_point t0) {
  uint64_t ns = since_ns(t0);
  cs.lat.record(ns);
  cs.meta[op].record(ns);
  ++cs.ops;
}

// One lane of the metadata mix. Each file is new (CREATE, not OPEN_IF);
// names carry the channel, lane and loop so no two lanes collide.
rt::Task<void> meta_lane(std::shared_ptr<Job> j, unsigned ch, unsigned lane, rt::WaitGroup* wg) {
  ChannelStats& cs = j->chans[ch];
  client::Tree& tree = *j->tree;
  std::vector<uint8_t> data(kMetaWrite);
  fill_random(data.data(), data.size(), (uint64_t{ch} << 32) | lane);
  client::CreateParams cp = client::CreateParams::write_file(false);
  cp.disposition = wire::disposition::CREATE;
  const client::CreateParams dp = client::CreateParams::directory();
  const std::string prefix = "m" + std::to_string(ch) + "-" + std::to_string(lane) + "-";
  for (uint64_t i = 0; j->keep_going(); ++i) {
    std::string name = join_path(j->dir, prefix + std::to_string(i));
    auto t0 = Clock::now();
    auto f = co_await tree.create(name, cp, ch);
    if (!f) {
      lane_failed(*j, cs, Status::from_nt(f.status()));
      break;
    }
    note_meta(cs, kCreate, t0);

    t0 = Clock::now();
    auto w = co_await tree.write(f->id, 0, wire::Bytes(data), ch);
    if (!w || *w != data.size()) {
      lane_failed(*j, cs, Status::from_nt(w ? st::DISK_FULL : w.status()));
      co_await tree.close(f->id, ch);  // the file goes with the directory
      break;
    }
    cs.bytes += *w;
    note_meta(cs, kWrite, t0);

    t0 = Clock::now();
    wire::NtStatus cs_close = co_await tree.close(f->id, ch);
    if (cs_close != st::SUCCESS) {
      lane_failed(*j, cs, Status::from_nt(cs_close));
      break;
    }
    note_meta(cs, kClose, t0);

    t0 = Clock::now();
    auto a = co_await tree.stat(name, ch);
    if (!a) {
      lane_failed(*j, cs, Status::from_nt(a.status()));
      break;
    }
    note_meta(cs, kStat, t0);

    if (i % kListEvery == kListEvery - 1) {
      t0 = Clock::now();
      auto d = co_await tree.create(j->dir, dp, ch);
      if (!d) {
        lane_failed(*j, cs, Status::from_nt(d.status()));
        break;
      }
      auto entries = co_await tree.list(d->id, "*", ch);
      wire::NtStatus dc = co_await tree.close(d->id, ch);
      if (!entries || dc != st::SUCCESS) {
        lane_failed(*j, cs, Status::from_nt(entries ? dc : entries.status()));
        break;
      }
      note_meta(cs, kList, t0);
    }

    t0 = Clock::now();
    wire::NtStatus rm = co_await tree.remove(name, false, ch);
    if (rm != st::SUCCESS) {
      lane_failed(*j, cs, Status::from_nt(rm));
      break;
    }
    note_meta(cs, kDelete, t0);
  }
  wg->done();
}

// ------------------------------------------------------------ spreading

// Runs the job's lanes for channel ch on the calling worker (ch's).
rt::Task<Status> run_channel(std::shared_ptr<Job> j, unsigned ch) {
  rt::WaitGroup wg;
  for (unsigned i = 0; i < j->lanes; ++i) {
    wg.add();
    switch (j->kind) {
      case Kind::SeqRead:
      case Kind::SeqWrite: rt::spawn(seq_lane(j, ch, i, &wg)); break;
      case Kind::RandRead:
      case Kind::RandWrite: rt::spawn(rand_lane(j, ch, i, &wg)); break;
      case Kind::Meta: rt::spawn(meta_lane(j, ch, i, &wg)); break;
    }
  }
  co_await wg.wait();
  co_return j->chans[ch].first;
}

rt::Task<void> channel_task(rt::Worker* w, std::shared_ptr<Job> j, unsigned ch, Status* first,
                            rt::WaitGroup* wg) {
  // A named function object, not a lambda inside the co_await (GCC 12).
  std::function<rt::Task<Status>()> fn = [j, ch]() { return run_channel(j, ch); };
  Status s = co_await run_on<Status>(w, std::move(fn));
  if (!s.ok() && first->ok()) *first = s;
  wg->done();
}

// Every channel of t works on j until it is done; the first failure.
rt::Task<Status> run_job(Target& t, std::shared_ptr<Job> j) {
  const unsigned n = t.channels();
  j->chans.resize(n);
  Status first;
  rt::WaitGroup wg;
  for (unsigned ch = 0; ch < n; ++ch) {
    wg.add();
    rt::spawn(channel_task(t.worker_of(ch), j, ch, &first, &wg));
  }
  co_await wg.wait();
  co_return first;
}

rt::Task<uint64_t> calls_of(std::shared_ptr<client::Connection> c) { co_return c->stats().calls; }

// SMB requests sent so far on every channel (each read on its worker).
rt::Task<uint64_t> count_requests(Target& t) {
  uint64_t n = 0;
  for (unsigned ch = 0; ch < t.channels(); ++ch) {
    auto c = t.session->channel(ch)->conn;
    std::function<rt::Task<uint64_t>()> fn = [c]() { return calls_of(c); };
    uint64_t k = co_await run_on<uint64_t>(t.worker_of(ch), std::move(fn));
    n += k;
  }
  co_return n;
}

// ------------------------------------------------------------ results

struct WorkloadResult {
  Kind kind = Kind::SeqRead;
  double seconds = 0;
  uint64_t bytes = 0;
  uint64_t ops = 0;
  uint64_t requests = 0;
  double cpu_s = 0;
  uint32_t io_size = 0;
  unsigned depth = 0;
  LatencyHistogram lat;
  std::array<LatencyHistogram, kMetaOps> meta;

  double throughput() const { return seconds > 0 ? static_cast<double>(bytes) / seconds : 0; }
  double iops() const { return seconds > 0 ? static_cast<double>(ops) / seconds : 0; }
};

double cpu_seconds() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  auto tv = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return tv(ru.ru_utime) + tv(ru.ru_stime);
}

std::string dialect_string(uint16_t d) {
  switch (d) {
    case wire::dialect::SMB202: return "2.0.2";
    case wire::dialect::SMB210: return "2.1";
    case wire::dialect::SMB300: return "3.0";
    case wire::dialect::SMB302: return "3.0.2";
    case wire::dialect::SMB311: return "3.1.1";
  }
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%04x", d);
  return buf;
}

std::string io_label(uint32_t n) {
  char buf[32];
  if (n >= (1u << 20) && n % (1u << 20) == 0) std::snprintf(buf, sizeof(buf), "%u MiB", n >> 20);
  else if (n >= 1024 && n % 1024 == 0) std::snprintf(buf, sizeof(buf), "%u KiB", n >> 10);
  else std::snprintf(buf, sizeof(buf), "%u B", n);
  return buf;
}

void print_table(const std::vector<WorkloadResult>& rs, unsigned channels) {
  std::printf("%-10s %8s %8s %8s %10s %10s %9s %9s %9s %12s\n", "workload", "channels", "io size",
              "qd/lanes", "MB/s", "IOPS", "p50 us", "p99 us", "p99.9 us", "client CPU s");
  for (const WorkloadResult& r : rs) {
    std::printf("%-10s %8u %8s %8u %10.1f %10.0f %9.1f %9.1f %9.1f %12.2f\n", kind_name(r.kind),
                channels, io_label(r.io_size).c_str(), r.depth, r.throughput() / 1e6, r.iops(),
                r.lat.quantile(0.50) / 1e3, r.lat.quantile(0.99) / 1e3, r.lat.quantile(0.999) / 1e3,
                r.cpu_s);
  }
  std::fflush(stdout);
}

std::string json_latency(const LatencyHistogram& h) {
  return "{\"p50\": " + json_number(h.quantile(0.50) / 1e3, 1) +
         ", \"p99\": " + json_number(h.quantile(0.99) / 1e3, 1) +
         ", \"p999\": " + json_number(h.quantile(0.999) / 1e3, 1) +
         ", \"mean\": " + json_number(h.mean() / 1e3, 1) +
         ", \"max\": " + json_number(static_cast<double>(h.max()) / 1e3, 1) + "}";
}

struct RunInfo {
  std::string target;
  unsigned channels = 0;
  uint16_t dialect = 0;
  bool signing = false;
  bool encryption = false;
  std::string error;  // the failure that stopped the run, if any
};

void print_json(const RunInfo& info, const std::vector<WorkloadResult>& rs) {
  std::string out = "{\"target\": " + json_string(info.target) +
                    ", \"channels\": " + std::to_string(info.channels) +
                    ", \"dialect\": " + json_string(dialect_string(info.dialect)) +
                    ", \"signing\": " + (info.signing ? "true" : "false") +
                    ", \"encryption\": " + (info.encryption ? "true" : "false") +
                    ", \"results\": [";
  for (size_t i = 0; i < rs.size(); ++i) {
    const WorkloadResult& r = rs[i];
    out += i ? ",\n  " : "\n  ";
    out += "{\"workload\": " + json_string(kind_name(r.kind)) +
           ", \"seconds\": " + json_number(r.seconds, 3) +
           ", \"bytes\": " + std::to_string(r.bytes) +
           ", \"ops\": " + std::to_string(r.ops) +
           ", \"smb_requests\": " + std::to_string(r.requests) +
           ", \"throughput_Bps\": " + json_number(r.throughput(), 0) +
           ", \"iops\": " + json_number(r.iops(), 1) +
           ", \"lat_us\": " + json_latency(r.lat) +
           ", \"client_cpu_s\": " + json_number(r.cpu_s, 3) +
           ", \"io_size\": " + std::to_string(r.io_size) +
           ", \"depth\": " + std::to_string(r.depth);
    if (r.kind == Kind::Meta) {
      out += ", \"steps\": {";
      for (int k = 0; k < kMetaOps; ++k) {
        out += k ? ", " : "";
        out += json_string(kMetaOpNames[k]) + ": {\"ops\": " + std::to_string(r.meta[k].count()) +
               ", \"lat_us\": " + json_latency(r.meta[k]) + "}";
      }
      out += "}";
    }
    out += "}";
  }
  out += rs.empty() ? "]" : "\n]";
  if (!info.error.empty()) out += ", \"error\": " + json_string(info.error);
  out += "}\n";
  std::fputs(out.c_str(), stdout);
  std::fflush(stdout);
}

// A status line on a terminal while a workload runs.
void say(const std::string& what) {
  if (!isatty(STDERR_FILENO)) return;
  if (what.empty()) std::fputs("\r\033[K", stderr);
  else std::fprintf(stderr, "\r\033[K%s", what.c_str());
  std::fflush(stderr);
}

// ------------------------------------------------------------ the run

struct Bench {
  Target* t = nullptr;
  BenchOptions bo;
  ClientOptions co;
  std::vector<Kind> kinds;
  std::string dir;  // share-relative
  std::string data_path;
  bool have_data = false;   // our data file is open
  wire::FileId data_fid;
  uint64_t filled = 0;      // bytes of the data file written from 0
  bool have_reuse = false;  // --file is open
  wire::FileId reuse_fid;
  uint64_t reuse_size = 0;
  std::vector<WorkloadResult> results;
  RunInfo info;
};

uint32_t seq_io(const Bench& b, bool write) {
  uint32_t max = write ? b.t->max_write() : b.t->max_read();
  return b.co.io_size ? std::min(b.co.io_size, max) : max;
}

unsigned seq_depth(const Bench& b, uint32_t io) {
  if (b.co.depth) return b.co.depth;
  return io >= (1u << 20) ? 4 : 16;
}

// Writes the data file from `filled` to its end, untimed.
rt::Task<Status> fill_data(Bench& b) {
  if (b.filled >= b.bo.file_size) co_return Status{};
  say("ringsmb bench: writing the test file...");
  auto j = std::make_shared<Job>();
  j->kind = Kind::SeqWrite;
  j->tree = b.t->tree;
  j->fid = b.data_fid;
  j->file_size = b.bo.file_size;
  j->io = seq_io(b, true);
  j->lanes = seq_depth(b, j->io);
  j->wrap = false;
  j->next = b.filled / j->io;  // filled is a multiple of io or the whole file
  Status s = co_await run_job(*b.t, j);
  say("");
  if (s.ok()) b.filled = b.bo.file_size;
  co_return s;
}

// Runs one workload for --seconds and appends its result.
rt::Task<Status> run_workload(Bench& b, Kind k) {
  auto j = std::make_shared<Job>();
  j->kind = k;
  j->tree = b.t->tree;
  const bool reuse = is_read(k) && b.have_reuse;
  j->fid = reuse ? b.reuse_fid : b.data_fid;
  j->file_size = reuse ? b.reuse_size : b.bo.file_size;
  switch (k) {
    case Kind::SeqRead:
    case Kind::SeqWrite:
      j->io = seq_io(b, k == Kind::SeqWrite);
      j->lanes = seq_depth(b, j->io);
      break;
    case Kind::RandRead:
    case Kind::RandWrite:
      j->io = b.bo.block;
      j->lanes = b.bo.qd;
      if (j->file_size < j->io) co_return Status::from_nt(st::END_OF_FILE);
      break;
    case Kind::Meta:
      j->io = kMetaWrite;
      j->lanes = b.bo.meta_lanes;
      j->dir = b.dir;
      break;
  }
  if (k != Kind::Meta && j->file_size == 0) co_return Status::from_nt(st::END_OF_FILE);
  // Reads of our own file and random writes need all of it there.
  if ((is_read(k) && !reuse) || k == Kind::RandWrite) {
    Status s = co_await fill_data(b);
    if (!s.ok()) co_return s;
  }

  say(std::string("ringsmb bench: ") + kind_name(k) + "...");
  uint64_t req0 = co_await count_requests(*b.t);
  double cpu0 = cpu_seconds();
  auto start = Clock::now();
  j->deadline = start + std::chrono::duration_cast<Clock::duration>(
                            std::chrono::duration<double>(b.bo.seconds));
  Status s = co_await run_job(*b.t, j);
  auto end = Clock::now();
  double cpu1 = cpu_seconds();
  uint64_t req1 = co_await count_requests(*b.t);
  say("");
  if (!s.ok()) co_return s;

  if (k == Kind::SeqWrite) {
    uint64_t taken = j->next.load();
    b.filled = taken >= j->chunks() ? b.bo.file_size : taken * j->io;
  }
  WorkloadResult r;
  r.kind = k;
  r.seconds = std::chrono::duration<double>(end - start).count();
  r.cpu_s = cpu1 - cpu0;
  r.requests = req1 - req0;
  r.io_size = j->io;
  r.depth = j->lanes;
  for (const ChannelStats& cs : j->chans) {
    r.bytes += cs.bytes;
    r.ops += cs.ops;
    r.lat.merge(cs.lat);
    for (int m = 0; m < kMetaOps; ++m) r.meta[m].merge(cs.meta[m]);
  }
  b.results.push_back(std::move(r));
  co_return Status{};
}

void report_failure(const std::string& what, const Status& s) {
  std::fprintf(stderr, "ringsmb: %s: %s\n", what.c_str(), s.to_string().c_str());
}

// Opens what the workloads need and runs them; the first failure stops it.
rt::Task<int> run_workloads(Bench& b) {
  client::Tree& tree = *b.t->tree;
  bool own_file = false, reuse = false;
  for (Kind k : b.kinds) {
    if (is_read(k) && !b.bo.reuse_file.empty()) reuse = true;
    else if (k != Kind::Meta) own_file = true;
    if (k == Kind::RandRead || k == Kind::RandWrite) {
      uint32_t max = k == Kind::RandRead ? b.t->max_read() : b.t->max_write();
      if (b.bo.block > max) {
        std::fprintf(stderr, "ringsmb: bench %s: --block %s is above the server's limit (%s)\n",
                     kind_name(k), io_label(b.bo.block).c_str(), io_label(max).c_str());
        co_return kExitFailure;
      }
    }
  }
  if (reuse) {
    std::string path = join_path(b.t->url.path, b.bo.reuse_file);
    auto f = co_await tree.create(path, client::CreateParams::read_file());
    if (!f) {
      report_failure("bench: " + b.bo.reuse_file, Status::from_nt(f.status()));
      co_return kExitFailure;
    }
    b.have_reuse = true;
    b.reuse_fid = f->id;
    b.reuse_size = f->info.end_of_file;
  }
  if (own_file) {
    auto f = co_await tree.create(b.data_path, client::CreateParams::write_file(true));
    if (!f) {
      report_failure("bench: " + b.data_path, Status::from_nt(f.status()));
      co_return kExitFailure;
    }
    b.have_data = true;
    b.data_fid = f->id;
  }
  for (Kind k : b.kinds) {
    Status s = co_await run_workload(b, k);
    if (!s.ok()) {
      std::string what = std::string("bench ") + kind_name(k);
      report_failure(what, s);
      b.info.error = what + ": " + s.to_string();
      co_return kExitFailure;
    }
  }
  co_return 0;
}

// Closes the files and removes the test directory (unless --keep).
rt::Task<int> clean_up(Bench& b) {
  client::Tree& tree = *b.t->tree;
  int rc = 0;
  if (b.have_data) {
    wire::NtStatus s = co_await tree.close(b.data_fid);
    if (s != st::SUCCESS) rc = kExitFailure;
  }
  if (b.have_reuse) co_await tree.close(b.reuse_fid);
  if (b.bo.keep) {
    std::fprintf(stderr, "ringsmb: bench: kept %s/%s\n", b.t->url.display().c_str(), b.dir.c_str());
    co_return rc;
  }
  Status s = co_await remove_path(*b.t, b.dir, true);
  if (!s.ok()) {
    report_failure("bench: removing " + b.dir, s);
    rc = kExitFailure;
  }
  co_return rc;
}

rt::Task<int> bench_main(Runtime& rtm, const SmbUrl& url, const ClientOptions& co,
                         const BenchOptions& bo, std::vector<Kind> kinds) {
  auto t = co_await open_target(rtm, url, co);
  if (!t) {
    report_failure(url.display(), Status::from_nt(t.status()));
    co_return kExitFailure;
  }
  Bench b;
  b.t = t->get();
  b.bo = bo;
  b.co = co;
  b.kinds = std::move(kinds);
  b.dir = join_path(url.path, "ringsmb-bench-" + std::to_string(getpid()));
  b.data_path = join_path(b.dir, "data");
  b.info.target = url.display();
  b.info.channels = b.t->channels();
  b.info.dialect = b.t->session->dialect();
  b.info.signing = b.t->session->signing();
  b.info.encryption = b.t->session->encrypting() || b.t->tree->encrypts();

  int rc = 0;
  wire::NtStatus md = co_await b.t->tree->mkdir(b.dir);
  if (md != st::SUCCESS && md != st::OBJECT_NAME_COLLISION) {
    report_failure("bench: mkdir " + b.dir, Status::from_nt(md));
    rc = kExitFailure;
  } else {
    rc = co_await run_workloads(b);
    int crc = co_await clean_up(b);
    if (rc == 0) rc = crc;
  }
  co_await close_target(*b.t);

  if (bo.json) print_json(b.info, b.results);
  else if (!b.results.empty()) print_table(b.results, b.info.channels);
  co_return rc;
}

int usage(const std::string& msg) {
  std::fprintf(stderr, "ringsmb: bench: %s\n", msg.c_str());
  return kExitUsage;
}

}  // namespace

// A CLI11 transform that turns "64K" into "65536".
CLI::Validator size_value() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        auto v = parse_size(s);
        if (!v) return "'" + s + "' is not a size (a number, optionally with K, M, G or T)";
        s = std::to_string(*v);
        return {};
      },
      "SIZE");
}

void add_bench_options(CLI::App& cmd, BenchOptions& o) {
  cmd.add_option("-w,--workload", o.workloads,
                 "seq-read, seq-write, rand-read, rand-write, meta or all; repeat or separate "
                 "with commas (default: all)")
      ->delimiter(',')
      ->check(CLI::IsMember({"all", "seq-read", "seq-write", "rand-read", "rand-write", "meta"}));
  cmd.add_option("-t,--seconds", o.seconds, "time per workload (default 10)")
      ->check(CLI::PositiveNumber);
  cmd.add_option("--file-size", o.file_size, "size of the test file (default 1G)")
      ->transform(size_value());
  cmd.add_option("--block", o.block, "random I/O size (default 4K)")->transform(size_value());
  cmd.add_option("--qd", o.qd, "random I/Os in flight per channel (default 32)")
      ->check(CLI::Range(1u, 4096u));
  cmd.add_option("--meta-lanes", o.meta_lanes, "metadata loops per channel (default 16)")
      ->check(CLI::Range(1u, 1024u));
  cmd.add_flag("--json", o.json, "print the results as one JSON object");
  cmd.add_flag("--keep", o.keep, "leave the test directory in place");
  cmd.add_option("--file", o.reuse_file,
                 "read this existing file (relative to the URL's path) instead of writing one");
}

int run_bench(const SmbUrl& url, const ClientOptions& co, const BenchOptions& bo) {
  std::vector<Kind> kinds;
  for (Kind k : kOrder) {
    for (const std::string& w : bo.workloads) {
      if (w == "all" || w == kind_name(k)) {
        kinds.push_back(k);
        break;
      }
    }
  }
  if (kinds.empty()) return usage("no workload selected");
  if (!(bo.seconds > 0)) return usage("--seconds must be positive");
  if (bo.block == 0) return usage("--block must be positive");
  if (bo.qd == 0 || bo.meta_lanes == 0) return usage("--qd and --meta-lanes must be positive");
  bool own_file = false;
  for (Kind k : kinds) own_file |= k != Kind::Meta && !(is_read(k) && !bo.reuse_file.empty());
  if (own_file && bo.file_size == 0) return usage("--file-size must be positive");
  for (Kind k : kinds) {
    if ((k == Kind::RandRead && bo.reuse_file.empty()) || k == Kind::RandWrite) {
      if (bo.file_size < bo.block) return usage("--file-size is smaller than --block");
    }
  }

  Runtime rtm(std::min(co.channels, std::max(1u, std::thread::hardware_concurrency())));
  return rtm.run([&]() { return bench_main(rtm, url, co, bo, kinds); });
}

}  // namespace ringsmb::tool
