#include "tool/ops.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <tuple>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "rt/ops.h"
#include "rt/sync.h"
#include "wire/fscc.h"

namespace ringsmb::tool {

namespace st = wire::status;
using client::CreateParams;

std::string Status::to_string() const {
  if (nt != 0) return std::string(wire::status_name(nt));
  if (err != 0) return std::strerror(err);
  return "success";
}

uint32_t Target::max_read() const { return session->channel(0)->conn->max_read(); }
uint32_t Target::max_write() const { return session->channel(0)->conn->max_write(); }

std::string human_bytes(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (b >= 1024 && u < 4) {
    b /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), u == 0 ? "%.0f %s" : "%.2f %s", b, units[u]);
  return buf;
}

std::string format_time(uint64_t ft) {
  if (ft == 0) return "-";
  int64_t sec;
  uint32_t nsec;
  wire::filetime_to_unix(ft, &sec, &nsec);
  time_t t = static_cast<time_t>(sec);
  struct tm tmv;
  localtime_r(&t, &tmv);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tmv);
  return buf;
}

// ------------------------------------------------------------ connecting

namespace {

client::ConnectOptions connect_options(const ClientOptions& o) {
  client::ConnectOptions c;
  c.min_dialect = o.min_protocol;
  c.max_dialect = o.max_protocol;
  c.require_signing = o.sign;
  c.timeout = o.timeout;
  return c;
}

// Opens a connection on the calling worker (to `target`, or to `fallback`
// when that cannot be reached) and binds it to the session.
rt::Task<wire::NtStatus> add_channel(std::shared_ptr<client::Session> s, client::Endpoint target,
                                     client::Endpoint fallback, client::ConnectOptions co) {
  auto c = co_await client::Connection::open(target, co);
  if (!c && (target.host != fallback.host || target.port != fallback.port)) {
    c = co_await client::Connection::open(fallback, co);
  }
  if (!c) co_return c.status();
  wire::NtStatus r = co_await s->bind(*c);
  if (r != st::SUCCESS) (*c)->close();
  co_return r;
}

// The server's interface addresses of the same family as `used`, fastest
// (then RSS-capable) first; `used` itself when the list has none.
std::vector<client::Endpoint> channel_endpoints(
    const wire::Result<std::vector<wire::NetworkInterface>>& list, const client::Endpoint& used) {
  std::vector<client::Endpoint> out;
  const bool v6 = used.host.find(':') != std::string::npos;
  if (list) {
    std::vector<wire::NetworkInterface> ifs = *list;
    std::stable_sort(ifs.begin(), ifs.end(), [](const auto& a, const auto& b) {
      if (a.link_speed != b.link_speed) return a.link_speed > b.link_speed;
      return (a.capability & wire::NETIF_RSS_CAPABLE) > (b.capability & wire::NETIF_RSS_CAPABLE);
    });
    for (const auto& i : ifs) {
      char buf[INET6_ADDRSTRLEN] = {};
      if (!v6 && i.family == wire::SOCKADDR_INET) {
        inet_ntop(AF_INET, i.addr, buf, sizeof(buf));
      } else if (v6 && i.family == wire::SOCKADDR_INET6 && i.ipv6_scope_id == 0) {
        inet_ntop(AF_INET6, i.addr, buf, sizeof(buf));
      } else {
        continue;
      }
      client::Endpoint e{buf, used.port};
      bool dup = false;
      for (const auto& o : out) dup = dup || o.host == e.host;
      if (!dup) out.push_back(e);
    }
  }
  if (out.empty()) out.push_back(used);
  return out;
}

rt::Task<void> close_conn(std::shared_ptr<client::Connection> c) {
  c->close();
  co_return;
}

}  // namespace

rt::Task<wire::Result<std::shared_ptr<Target>>> open_target(Runtime& rtm, const SmbUrl& url,
                                                            const ClientOptions& o) {
  auto t = std::make_shared<Target>();
  t->url = url;
  t->runtime = &rtm;
  client::Endpoint ep{url.host, url.port};
  client::ConnectOptions co = connect_options(o);
  auto conn = co_await client::Connection::open(ep, co);
  if (!conn) co_return wire::Err{conn.status()};
  client::SessionOptions so;
  so.sign = o.sign;
  so.encrypt = o.encrypt;
  auto sess = co_await client::Session::login(*conn, o.creds, so);
  if (!sess) {
    (*conn)->close();
    co_return wire::Err{sess.status()};
  }
  t->session = *sess;
  auto tree = co_await t->session->tree_connect(url.unc());
  if (!tree) {
    co_await close_target(*t);
    co_return wire::Err{tree.status()};
  }
  t->tree = *tree;
  if (o.channels > 1) {
    if (!(*conn)->multichannel()) {
      co_await close_target(*t);
      co_return wire::Err{st::NOT_SUPPORTED};  // the server does not do multichannel
    }
    // Where extra channels go: the server's interfaces of our address
    // family (3.2.4.20.10), fastest first, or else the address we used.
    std::vector<client::Endpoint> eps = channel_endpoints(
        co_await t->tree->network_interfaces(), ep);
    // Extra connections use the first one's client GUID (3.2.4.2.3.1).
    co.client_guid = (*conn)->client_guid();
    co.min_dialect = co.max_dialect = (*conn)->dialect();
    for (unsigned i = 1; i < o.channels; ++i) {
      auto s = t->session;
      client::Endpoint target = eps[(i - 1) % eps.size()];
      // Built as a named object, not inside the co_await expression: GCC 12
      // relocates lambda temporaries of co_await operands bitwise, which
      // breaks captured std::strings.
      std::function<rt::Task<wire::NtStatus>()> fn = [s, target, ep, co]() {
        return add_channel(s, target, ep, co);
      };
      wire::NtStatus r = co_await run_on<wire::NtStatus>(rtm.worker(i), std::move(fn));
      if (r == st::INSUFFICIENT_RESOURCES) {
        // The server's channel limit: go on with the channels it took.
        std::fprintf(stderr, "ringsmb: the server takes %u channel(s) for this session, not %u\n",
                     i, o.channels);
        break;
      }
      if (r != st::SUCCESS) {
        co_await close_target(*t);
        co_return wire::Err{r};
      }
    }
  }
  t->tree = *tree;
  co_return t;
}

rt::Task<void> close_target(Target& t) {
  if (t.tree) co_await t.tree->disconnect();
  if (t.session) {
    co_await t.session->logoff();
    for (unsigned i = 0; i < t.session->channel_count(); ++i) {
      auto ch = t.session->channel(i);
      std::function<rt::Task<int>()> fn = [c = ch->conn]() -> rt::Task<int> {
        co_await close_conn(c);
        co_return 0;
      };
      co_await run_on<int>(t.worker_of(i), std::move(fn));
    }
  }
}

// ------------------------------------------------------------ transfers

namespace {

struct FileJob {
  std::shared_ptr<client::Tree> tree;
  wire::FileId fid;
  int fd = -1;
  uint64_t size = 0;
  uint32_t chunk = 0;
  unsigned depth = 1;
  std::atomic<uint64_t> next{0};
  std::atomic<bool> failed{false};
  Progress* progress = nullptr;
  // Ranges whose channel died under them, for the lanes of live channels.
  std::atomic<uint32_t> lost{0};  // bit ch: channel ch is gone
  std::mutex mu;
  std::vector<std::pair<uint64_t, uint64_t>> retry;  // guarded by mu

  // The next range to move: one given back by a lost channel first.
  bool take(uint64_t* off, uint64_t* end) {
    {
      std::lock_guard lk(mu);
      if (!retry.empty()) {
        std::tie(*off, *end) = retry.back();
        retry.pop_back();
        return true;
      }
    }
    *off = next.fetch_add(chunk);
    if (*off >= size) return false;
    *end = std::min<uint64_t>(*off + chunk, size);
    return true;
  }
  void give_back(uint64_t off, uint64_t end) {
    std::lock_guard lk(mu);
    retry.push_back({off, end});
  }
  bool has_retry() {
    std::lock_guard lk(mu);
    return !retry.empty();
  }
};

// Whether a failed call on channel ch lost the channel itself (its
// connection is gone) while the session has others: the range then moves
// to another channel (the session survives the loss, MS-SMB2 3.3.7.1).
bool channel_lost(FileJob& j, unsigned ch, wire::NtStatus s) {
  if (s != st::CONNECTION_DISCONNECTED && s != st::IO_TIMEOUT) return false;
  auto& sess = *j.tree->session();
  auto c = sess.channel(ch);
  if (!c || c->conn->alive() || sess.channel_count() < 2) return false;
  if (!(j.lost.fetch_or(1u << (ch % 32)) & (1u << (ch % 32)))) {
    sess.raise_channel_sequence();
    std::fprintf(stderr, "ringsmb: channel %u lost (%s), its work goes on over the others\n",
                 ch + 1, std::string(wire::status_name(s)).c_str());
  }
  return true;
}

void record(Status* first, const Status& s) {
  if (!s.ok() && first->ok()) *first = s;
}

rt::Task<Status> write_all(int fd, const uint8_t* p, size_t n, uint64_t off) {
  while (n > 0) {
    unsigned len = static_cast<unsigned>(std::min<size_t>(n, 1u << 30));
    int rc = co_await rt::write(fd, p, len, off);
    if (rc < 0) co_return Status::from_errno(rc);
    if (rc == 0) co_return Status::from_errno(EIO);
    p += rc;
    n -= static_cast<size_t>(rc);
    off += static_cast<uint64_t>(rc);
  }
  co_return Status{};
}

// One lane of a download on channel ch: takes chunks until none are left.
rt::Task<void> get_lane(std::shared_ptr<FileJob> j, unsigned ch, Status* first, rt::WaitGroup* wg) {
  uint64_t off = 0, end = 0;
  bool lost = false;
  while (!lost && !j->failed.load(std::memory_order_relaxed) && j->take(&off, &end)) {
    while (off < end) {
      auto rd = co_await j->tree->read(j->fid, off, static_cast<uint32_t>(end - off), ch);
      if (!rd && channel_lost(*j, ch, rd.status())) {
        j->give_back(off, end);
        lost = true;
        break;
      }
      if (!rd) {
        record(first, Status::from_nt(rd.status()));
        j->failed = true;
        break;
      }
      if (rd->data.empty()) {  // the file shrank: what is left is gone
        end = off;
        break;
      }
      Status s = co_await write_all(j->fd, rd->data.data(), rd->data.size(), off);
      if (!s.ok()) {
        record(first, s);
        j->failed = true;
        break;
      }
      off += rd->data.size();
      if (j->progress) j->progress->bytes.fetch_add(rd->data.size(), std::memory_order_relaxed);
    }
  }
  wg->done();
}

rt::Task<void> put_lane(std::shared_ptr<FileJob> j, unsigned ch, Status* first, rt::WaitGroup* wg) {
  rt::Buffer buf = rt::Worker::current()->buffers().get(j->chunk);
  uint64_t off = 0, end = 0;
  bool lost = false;
  while (!lost && !j->failed.load(std::memory_order_relaxed) && j->take(&off, &end)) {
    uint32_t n = static_cast<uint32_t>(end - off);
    uint32_t got = 0;
    while (got < n) {
      int rc = co_await rt::read(j->fd, buf.data() + got, n - got, off + got);
      if (rc <= 0) break;
      got += static_cast<uint32_t>(rc);
    }
    if (got < n) {  // the local file shrank
      record(first, Status::from_errno(EIO));
      j->failed = true;
      break;
    }
    uint32_t sent = 0;
    while (sent < n) {
      auto w = co_await j->tree->write(j->fid, off + sent, wire::Bytes(buf.data() + sent, n - sent), ch);
      if (!w && channel_lost(*j, ch, w.status())) {
        // Written again elsewhere, whole: a WRITE lost with the channel may
        // or may not have reached the file, rewriting the range is safe.
        j->give_back(off, end);
        lost = true;
        break;
      }
      if (!w || *w == 0) {
        record(first, Status::from_nt(w ? st::DISK_FULL : w.status()));
        j->failed = true;
        break;
      }
      sent += *w;
    }
    if (j->failed || lost) break;
    if (j->progress) j->progress->bytes.fetch_add(n, std::memory_order_relaxed);
  }
  wg->done();
}

// Runs `depth` lanes of a job on the calling worker's channel.
rt::Task<Status> run_lanes(std::shared_ptr<FileJob> j, unsigned ch, bool get) {
  Status first;
  rt::WaitGroup wg;
  for (unsigned i = 0; i < j->depth; ++i) {
    wg.add();
    rt::spawn(get ? get_lane(j, ch, &first, &wg) : put_lane(j, ch, &first, &wg));
  }
  co_await wg.wait();
  co_return first;
}

rt::Task<void> channel_task(rt::Worker* w, std::shared_ptr<FileJob> j, unsigned ch, bool get,
                            Status* first, rt::WaitGroup* wg) {
  std::function<rt::Task<Status>()> fn = [j, ch, get]() { return run_lanes(j, ch, get); };
  Status s = co_await run_on<Status>(w, std::move(fn));
  record(first, s);
  wg->done();
}

// Every live channel works on the job; returns the first failure. Ranges
// a lost channel gave back after the others ran out of work get another
// round on the channels still alive.
rt::Task<Status> spread(Target& t, std::shared_ptr<FileJob> j, bool get, unsigned channels) {
  Status first;
  for (;;) {
    rt::WaitGroup wg;
    unsigned live = 0;
    for (unsigned ch = 0; ch < channels; ++ch) {
      if (j->lost.load() & (1u << (ch % 32))) continue;
      ++live;
      wg.add();
      rt::spawn(channel_task(t.worker_of(ch), j, ch, get, &first, &wg));
    }
    if (live == 0) {
      first = Status::from_nt(st::CONNECTION_DISCONNECTED);
      break;
    }
    co_await wg.wait();
    if (!first.ok() || !j->has_retry()) break;
  }
  co_return first;
}

unsigned default_depth(uint32_t chunk) { return chunk >= (1u << 20) ? 4 : 16; }

}  // namespace

rt::Task<Status> get_file(Target& t, std::string remote, std::string local, const ClientOptions& o,
                          Progress* p) {
  auto f = co_await t.tree->create(remote, CreateParams::read_file());
  if (!f) co_return Status::from_nt(f.status());
  int fd = ::open(local.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    int e = errno;
    co_await t.tree->close(f->id);
    co_return Status::from_errno(e, local);
  }
  auto j = std::make_shared<FileJob>();
  j->tree = t.tree;
  j->fid = f->id;
  j->fd = fd;
  j->size = f->info.end_of_file;
  j->chunk = o.io_size ? std::min(o.io_size, t.max_read()) : t.max_read();
  j->depth = o.depth ? o.depth : default_depth(j->chunk);
  j->progress = p;
  Status s;
  if (j->size > 0) {
    struct stat sb;
    // Sized up front so lanes can write anywhere (regular files only:
    // /dev/null and pipes take the data as it comes).
    if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
        ftruncate(fd, static_cast<off_t>(j->size)) < 0) {
      s = Status::from_errno(errno, local);
    }
    // Small files do not need every channel.
    unsigned chans = j->size <= uint64_t{j->chunk} * 2 ? 1 : t.channels();
    if (s.ok()) s = co_await spread(t, j, true, chans);
    // A file that shrank while we read it ends where the data ended.
  }
  if (::close(fd) < 0 && s.ok()) s = Status::from_errno(errno, local);
  if (!s.ok() && s.err != 0 && s.where.empty()) s.where = local;
  wire::NtStatus cs = co_await t.tree->close(f->id);
  if (s.ok() && cs != st::SUCCESS) s = Status::from_nt(cs);
  if (p) p->files.fetch_add(1);
  co_return s;
}

rt::Task<Status> put_file(Target& t, std::string local, std::string remote, const ClientOptions& o,
                          Progress* p) {
  int fd = ::open(local.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) co_return Status::from_errno(errno, local);
  struct stat sb;
  if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
    int e = errno ? errno : EINVAL;
    ::close(fd);
    co_return Status::from_errno(S_ISDIR(sb.st_mode) ? EISDIR : e, local);
  }
  auto f = co_await t.tree->create(remote, CreateParams::write_file(true));
  if (!f) {
    ::close(fd);
    co_return Status::from_nt(f.status());
  }
  auto j = std::make_shared<FileJob>();
  j->tree = t.tree;
  j->fid = f->id;
  j->fd = fd;
  j->size = static_cast<uint64_t>(sb.st_size);
  j->chunk = o.io_size ? std::min(o.io_size, t.max_write()) : t.max_write();
  j->depth = o.depth ? o.depth : default_depth(j->chunk);
  j->progress = p;
  Status s;
  if (j->size > 0) {
    unsigned chans = j->size <= uint64_t{j->chunk} * 2 ? 1 : t.channels();
    s = co_await spread(t, j, false, chans);
  }
  ::close(fd);
  if (!s.ok() && s.err != 0 && s.where.empty()) s.where = local;
  wire::NtStatus cs = co_await t.tree->close(f->id);
  if (s.ok() && cs != st::SUCCESS) s = Status::from_nt(cs);
  if (p) p->files.fetch_add(1);
  co_return s;
}

namespace {

struct TreeItem {
  std::string remote, local;
  uint64_t size = 0;
};

bool is_dot(const std::string& n) { return n == "." || n == ".."; }

rt::Task<Status> list_remote(Target& t, const std::string& remote, const std::string& local,
                             std::vector<TreeItem>* files, std::vector<std::string>* dirs) {
  auto d = co_await t.tree->create(remote, CreateParams::directory());
  if (!d) co_return Status::from_nt(d.status());
  auto entries = co_await t.tree->list(d->id);
  co_await t.tree->close(d->id);
  if (!entries) co_return Status::from_nt(entries.status());
  dirs->push_back(local);
  for (const auto& e : *entries) {
    if (is_dot(e.name)) continue;
    std::string r = join_path(remote, e.name), l = local + "/" + e.name;
    if (e.attributes & wire::attr::DIRECTORY) {
      Status s = co_await list_remote(t, r, l, files, dirs);
      if (!s.ok()) co_return s;
    } else {
      files->push_back({r, l, e.end_of_file});
    }
  }
  co_return Status{};
}

Status list_local(const std::string& local, const std::string& remote,
                  std::vector<TreeItem>* files, std::vector<std::string>* dirs) {
  DIR* d = opendir(local.c_str());
  if (!d) return Status::from_errno(errno, local);
  dirs->push_back(remote);
  std::vector<std::pair<std::string, bool>> kids;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (is_dot(n)) continue;
    struct stat sb;
    std::string path = local + "/" + n;
    if (lstat(path.c_str(), &sb) < 0) continue;
    if (S_ISDIR(sb.st_mode)) kids.push_back({n, true});
    else if (S_ISREG(sb.st_mode)) files->push_back({join_path(remote, n), path, static_cast<uint64_t>(sb.st_size)});
  }
  closedir(d);
  for (auto& [n, isdir] : kids) {
    Status s = list_local(local + "/" + n, join_path(remote, n), files, dirs);
    if (!s.ok()) return s;
  }
  return Status{};
}

// Small files go through several lanes at once, each lane a whole file on
// one channel; large ones one at a time over every channel.
struct TreeJob {
  Target* t;
  const ClientOptions* o;
  Progress* p;
  bool get;
  std::vector<TreeItem> small;
  size_t next = 0;
  Status first;
};

rt::Task<Status> copy_one(Target& t, const TreeItem& it, const ClientOptions& o, Progress* p,
                          bool get) {
  if (get) co_return co_await get_file(t, it.remote, it.local, o, p);
  co_return co_await put_file(t, it.local, it.remote, o, p);
}

rt::Task<void> small_lane(TreeJob* j, rt::WaitGroup* wg) {
  while (j->first.ok() && j->next < j->small.size()) {
    const TreeItem& it = j->small[j->next++];
    Status s = co_await copy_one(*j->t, it, *j->o, j->p, j->get);
    record(&j->first, s);
  }
  wg->done();
}

rt::Task<Status> copy_items(Target& t, std::vector<TreeItem> files, const ClientOptions& o,
                            Progress* p, bool get) {
  const uint64_t big = uint64_t{get ? t.max_read() : t.max_write()} * 2;
  TreeJob j{&t, &o, p, get, {}, 0, {}};
  std::vector<TreeItem> large;
  for (auto& f : files) (f.size > big ? large : j.small).push_back(std::move(f));
  if (!j.small.empty()) {
    rt::WaitGroup wg;
    for (int i = 0; i < 16; ++i) {
      wg.add();
      rt::spawn(small_lane(&j, &wg));
    }
    co_await wg.wait();
  }
  if (!j.first.ok()) co_return j.first;
  for (const auto& f : large) {
    Status s = co_await copy_one(t, f, o, p, get);
    if (!s.ok()) co_return s;
  }
  co_return Status{};
}

}  // namespace

rt::Task<Status> get_tree(Target& t, std::string remote, std::string local, const ClientOptions& o,
                          Progress* p) {
  std::vector<TreeItem> files;
  std::vector<std::string> dirs;
  Status s = co_await list_remote(t, remote, local, &files, &dirs);
  if (!s.ok()) co_return s;
  for (const auto& d : dirs) {
    if (::mkdir(d.c_str(), 0755) < 0 && errno != EEXIST) co_return Status::from_errno(errno, d);
  }
  uint64_t total = 0;
  for (const auto& f : files) total += f.size;
  if (p) p->total = total;
  co_return co_await copy_items(t, std::move(files), o, p, true);
}

rt::Task<Status> put_tree(Target& t, std::string local, std::string remote, const ClientOptions& o,
                          Progress* p) {
  std::vector<TreeItem> files;
  std::vector<std::string> dirs;
  Status s = list_local(local, remote, &files, &dirs);
  if (!s.ok()) co_return s;
  for (const auto& d : dirs) {
    if (d.empty()) continue;
    wire::NtStatus r = co_await t.tree->mkdir(d);
    if (r != st::SUCCESS && r != st::OBJECT_NAME_COLLISION) co_return Status::from_nt(r);
  }
  uint64_t total = 0;
  for (const auto& f : files) total += f.size;
  if (p) p->total = total;
  co_return co_await copy_items(t, std::move(files), o, p, false);
}

rt::Task<Status> cat_file(Target& t, std::string remote, int fd) {
  auto f = co_await t.tree->create(remote, CreateParams::read_file());
  if (!f) co_return Status::from_nt(f.status());
  const uint32_t chunk = std::min<uint32_t>(t.max_read(), 1024 * 1024);
  uint64_t off = 0;
  Status s;
  for (;;) {
    auto rd = co_await t.tree->read(f->id, off, chunk);
    if (!rd) {
      s = Status::from_nt(rd.status());
      break;
    }
    if (rd->data.empty()) break;
    const uint8_t* d = rd->data.data();
    size_t n = rd->data.size();
    while (n > 0) {
      ssize_t w = ::write(fd, d, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        s = Status::from_errno(errno, "stdout");
        break;
      }
      d += w;
      n -= static_cast<size_t>(w);
    }
    if (!s.ok()) break;
    off += rd->data.size();
  }
  co_await t.tree->close(f->id);
  co_return s;
}

rt::Task<Status> remove_path(Target& t, std::string remote, bool recursive) {
  wire::NtStatus r = co_await t.tree->remove(remote, false);
  if (r == st::SUCCESS) co_return Status{};
  if (r != st::FILE_IS_A_DIRECTORY) co_return Status::from_nt(r);
  if (!recursive) co_return Status::from_nt(r);
  auto d = co_await t.tree->create(remote, CreateParams::directory());
  if (!d) co_return Status::from_nt(d.status());
  auto entries = co_await t.tree->list(d->id);
  co_await t.tree->close(d->id);
  if (!entries) co_return Status::from_nt(entries.status());
  for (const auto& e : *entries) {
    if (is_dot(e.name)) continue;
    Status s = co_await remove_path(t, join_path(remote, e.name), true);
    if (!s.ok()) co_return s;
  }
  co_return Status::from_nt(co_await t.tree->remove(remote, true));
}

rt::Task<void> show_progress(const Progress& p, const std::atomic<bool>& done, std::string label) {
  if (!isatty(2)) co_return;
  auto start = std::chrono::steady_clock::now();
  bool printed = false;
  while (!done.load()) {
    co_await rt::sleep(std::chrono::milliseconds(250));
    if (done.load()) break;
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    uint64_t b = p.bytes.load(), total = p.total.load();
    double rate = secs > 0 ? static_cast<double>(b) / secs : 0;
    char line[256];
    if (total > 0) {
      double frac = std::min(1.0, static_cast<double>(b) / static_cast<double>(total));
      int bar = static_cast<int>(frac * 30);
      double eta = rate > 0 ? static_cast<double>(total - std::min(b, total)) / rate : 0;
      std::snprintf(line, sizeof(line), "\r%-24.24s [%-30s] %3.0f%% %10s/s  ETA %d:%02d ",
                    label.c_str(), std::string(static_cast<size_t>(bar), '#').c_str(), frac * 100,
                    human_bytes(rate).c_str(), static_cast<int>(eta) / 60, static_cast<int>(eta) % 60);
    } else {
      std::snprintf(line, sizeof(line), "\r%-24.24s %12s %10s/s ", label.c_str(),
                    human_bytes(static_cast<double>(b)).c_str(), human_bytes(rate).c_str());
    }
    std::fputs(line, stderr);
    std::fflush(stderr);
    printed = true;
  }
  if (printed) {
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
  }
}

}  // namespace ringsmb::tool
