#include "server/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "auth/crypto.h"
#include "rt/ops.h"
#include "server/connection.h"
#include "server/log.h"
#include "wire/fscc.h"

namespace ringsmb::server {

namespace {

// Multishot accept on one listening socket, on the worker that owns it.
class AcceptLoop final : public rt::Completion {
 public:
  AcceptLoop(Server* s, int lfd, std::function<void(int)> on_fd)
      : server_(s), lfd_(lfd), on_fd_(std::move(on_fd)) {}

  void arm() {
    rt::Worker::current()->hold();
    armed_ = true;
    io_uring_sqe* sqe = rt::Ring::current()->sqe();
    if (rt::Ring::current()->features().accept_multishot) {
      io_uring_prep_multishot_accept(sqe, lfd_, nullptr, nullptr, SOCK_CLOEXEC);
    } else {
      io_uring_prep_accept(sqe, lfd_, nullptr, nullptr, SOCK_CLOEXEC);
    }
    io_uring_sqe_set_data(sqe, static_cast<rt::Completion*>(this));
  }

  void cancel() {
    stopping_ = true;
    if (!armed_) return;
    io_uring_sqe* sqe = rt::Ring::current()->sqe();
    io_uring_prep_cancel64(sqe, reinterpret_cast<uint64_t>(static_cast<rt::Completion*>(this)), 0);
    io_uring_sqe_set_data(sqe, nullptr);
  }

  void complete(int res, uint32_t flags) noexcept override {
    if (res >= 0) {
      if (stopping_) {
        ::close(res);
      } else {
        on_fd_(res);
      }
    } else if (res != -ECANCELED && res != -EINTR && res != -EAGAIN) {
      log::warn("accept: {}", std::strerror(-res));
    }
    if ((flags & IORING_CQE_F_MORE) == 0) {
      armed_ = false;
      rt::Worker::current()->unhold();
      if (!stopping_) arm();
    }
  }

 private:
  [[maybe_unused]] Server* server_;
  int lfd_;
  std::function<void(int)> on_fd_;
  bool armed_ = false;
  bool stopping_ = false;
};

rt::Task<void> serve_connection(std::shared_ptr<Connection> c, Server* s) {
  co_await c->run();
  s->unregister_connection(c.get());
}

std::string peer_name(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "?";
  char buf[INET6_ADDRSTRLEN];
  if (ss.ss_family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, buf, sizeof(buf));
    return fmt::format("{}:{}", buf, ntohs(a->sin_port));
  }
  auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
  inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof(buf));
  return fmt::format("[{}]:{}", buf, ntohs(a->sin6_port));
}

uint64_t now_filetime() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return wire::unix_to_filetime(ts.tv_sec, static_cast<uint32_t>(ts.tv_nsec));
}

}  // namespace

struct Server::PerWorker {
  std::unordered_map<Connection*, std::weak_ptr<Connection>> conns;
  std::vector<std::unique_ptr<AcceptLoop>> accepts;
};

Server::Server(Config cfg) : cfg_(std::move(cfg)) {
  root_ = geteuid() == 0;
  auth::random_bytes(std::span<uint8_t>(guid_.b, 16));
  start_time_ = now_filetime();
  for (const auto& sc : cfg_.shares) {
    auto rtm = std::make_shared<ShareRuntime>();
    rtm->cfg = sc;
    int err = 0;
    rtm->fs = fs::Share::open(sc.path, sc.case_sensitive, &err);
    if (!rtm->fs) {
      throw std::runtime_error(fmt::format("share [{}]: path {}: {}", sc.name, sc.path,
                                           std::strerror(err)));
    }
    shares_[std::string(sc.name)] = rtm;
  }
  auto ipc = std::make_shared<ShareRuntime>();
  ipc->cfg.name = "IPC$";
  ipc->cfg.comment = "IPC Service";
  ipc->is_ipc = true;
  shares_["IPC$"] = ipc;
}

Server::~Server() {
  if (netif_thread_.joinable()) netif_thread_.join();
  for (int fd : listen_fds_) ::close(fd);
}

std::shared_ptr<const ShareRuntime> Server::share(std::string_view name) const {
  for (const auto& [k, v] : shares_)
    if (fs::equal_ci(k, name)) return v;
  return nullptr;
}

void Server::bind() {
  for (const auto& la : cfg_.listen) {
    sockaddr_storage ss{};
    socklen_t len;
    int family;
    if (la.host.empty() || la.host.find(':') != std::string::npos) {
      auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
      a->sin6_family = AF_INET6;
      a->sin6_port = htons(la.port);
      if (!la.host.empty() && inet_pton(AF_INET6, la.host.c_str(), &a->sin6_addr) != 1) {
        throw std::runtime_error(fmt::format("listen address {}: invalid", la.host));
      }
      if (la.host.empty()) a->sin6_addr = in6addr_any;
      len = sizeof(sockaddr_in6);
      family = AF_INET6;
    } else {
      auto* a = reinterpret_cast<sockaddr_in*>(&ss);
      a->sin_family = AF_INET;
      a->sin_port = htons(la.port);
      if (inet_pton(AF_INET, la.host.c_str(), &a->sin_addr) != 1) {
        throw std::runtime_error(fmt::format("listen address {}: invalid", la.host));
      }
      len = sizeof(sockaddr_in);
      family = AF_INET;
    }
    int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error(fmt::format("socket: {}", std::strerror(errno)));
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (family == AF_INET6 && la.host.empty()) {
      int zero = 0;  // "any" means IPv4 and IPv6
      setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
    }
    if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
      int e = errno;
      ::close(fd);
      throw std::runtime_error(fmt::format("cannot listen on {}:{}: {}",
                                           la.host.empty() ? "*" : la.host, la.port,
                                           std::strerror(e)));
    }
    if (::listen(fd, 1024) != 0) {
      int e = errno;
      ::close(fd);
      throw std::runtime_error(fmt::format("listen: {}", std::strerror(e)));
    }
    listen_fds_.push_back(fd);
  }
}

std::vector<uint16_t> Server::bound_ports() const {
  std::vector<uint16_t> out;
  for (int fd : listen_fds_) {
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
    out.push_back(ntohs(ss.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&ss)->sin_port
                                                : reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port));
  }
  return out;
}

void Server::start() {
  unsigned n = cfg_.workers;
  if (n == 0) n = std::max(1u, std::thread::hardware_concurrency());

  // The interfaces clients are told about, and where workers run: both
  // decided before any worker exists (a worker is pinned before it
  // allocates its buffers).
  netif_ = load_interfaces();
  std::string ifs;
  for (const auto& i : netif_->list) {
    ifs += fmt::format("{}{} {} (IfIndex {}, {} Mb/s{}{})", ifs.empty() ? "" : ", ", i.name,
                       i.address(), i.if_index, i.link_speed / 1'000'000,
                       (i.capability & wire::NETIF_RSS_CAPABLE) ? ", RSS" : "",
                       i.numa_node >= 0 ? fmt::format(", node {}", i.numa_node) : "");
  }
  log::info("network interfaces reported to clients: {}", ifs.empty() ? "none" : ifs);
  PlacementInput pin;
  pin.mode = cfg_.numa;
  pin.node = cfg_.numa_node;
  pin.nodes = read_numa_nodes(cfg_.sysfs_root);
  for (const auto& i : netif_->list) pin.interface_nodes.push_back(i.numa_node);
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof(allowed), &allowed) == 0) {
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &allowed)) pin.allowed_cpus.push_back(c);
  }
  pin.workers = n;
  PlacementPlan plan = plan_placement(pin);  // throws ConfigError for a bad ringsmb:numa node
  log::info("{}", plan.summary);
  if (cfg_.numa == NumaMode::Auto && plan.workers_by_node.size() > 1) {
    workers_by_node_ = plan.workers_by_node;
    placed_interfaces_ = netif_->list;
  }

  for (unsigned i = 0; i < n; ++i) {
    rt::WorkerConfig wc;
    wc.cpus = plan.workers[i].cpus;
    workers_.push_back(std::make_unique<rt::Worker>(i, wc));
    per_worker_.push_back(std::make_unique<PerWorker>());
  }
  for (unsigned i = 0; i < n; ++i) {
    rt::Worker* w = workers_[i].get();
    PerWorker* pw = per_worker_[i].get();
    w->on_stop([this, pw] {
      durables_.release_all();  // preserved durable opens end with the server
      for (auto& a : pw->accepts) a->cancel();
      for (auto& [ptr, weak] : pw->conns)
        if (auto c = weak.lock()) c->close();
    });
    std::function<void()> init;
    if (i == 0) {
      init = [this] {
        for (int lfd : listen_fds_) start_listener(lfd);
        const auto& f = rt::Ring::current()->features();
        log::info("io_uring: {} ring, send_zc={} msg_ring={} multishot accept={} recv={}",
                  f.setup_mode, f.send_zc, f.msg_ring, f.accept_multishot, f.recv_multishot);
      };
    }
    if (!plan.workers[i].cpus.empty()) {
      init = [inner = std::move(init), cpus = format_cpulist(plan.workers[i].cpus)] {
        if (int e = rt::Worker::current()->affinity_error()) {
          log::warn("cannot pin the worker to cpus {}: {}; it runs unpinned", cpus,
                    std::strerror(e));
        }
        if (inner) inner();
      };
    }
    w->start(std::move(init));
  }
}

void Server::start_listener(int lfd) {
  auto loop = std::make_unique<AcceptLoop>(this, lfd, [this](int fd) { dispatch_accepted(fd); });
  loop->arm();
  per_worker_[rt::Worker::current()->id()]->accepts.push_back(std::move(loop));
}

void Server::dispatch_accepted(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  std::string peer = peer_name(fd);
  std::string addr = peer_address(peer);
  if (!admit(addr)) {
    // Nothing has been said on this connection yet, so there is no request
    // to fail: closing it is the answer (docs/reliability.md).
    ::close(fd);
    return;
  }
  unsigned idx = pick_worker(fd);
  workers_[idx]->post([this, fd, peer = std::move(peer), addr = std::move(addr)] {
    if (rt::Worker::current()->stopping()) {
      ::close(fd);
      leave(addr);
      return;
    }
    auto c = std::make_shared<Connection>(*this, fd, peer);
    register_connection(c);
    rt::spawn(serve_connection(c, this));
  });
}

unsigned Server::pick_worker(int fd) {
  const unsigned rr = next_worker_.fetch_add(1, std::memory_order_relaxed);
  if (!workers_by_node_.empty()) {
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
      int family = ss.ss_family;
      const uint8_t* a = nullptr;
      if (family == AF_INET) {
        a = reinterpret_cast<const uint8_t*>(&reinterpret_cast<sockaddr_in*>(&ss)->sin_addr);
      } else if (family == AF_INET6) {
        a = reinterpret_cast<const uint8_t*>(&reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr);
        // IPv4 on a dual-stack socket: ::ffff:a.b.c.d
        if (IN6_IS_ADDR_V4MAPPED(reinterpret_cast<const in6_addr*>(a))) {
          family = AF_INET;
          a += 12;
        }
      }
      for (const auto& i : placed_interfaces_) {
        if (a == nullptr || i.family != family || i.numa_node < 0) continue;
        if (std::memcmp(i.addr, a, family == AF_INET ? 4 : 16) != 0) continue;
        auto it = workers_by_node_.find(i.numa_node);
        if (it != workers_by_node_.end()) return it->second[rr % it->second.size()];
      }
    }
  }
  return rr % static_cast<unsigned>(workers_.size());
}

std::shared_ptr<const Server::InterfaceList> Server::load_interfaces() const {
  auto l = std::make_shared<InterfaceList>();
  l->list = select_interfaces(cfg_, host_addresses());
  l->output = wire::encode_network_interfaces(to_wire(l->list));
  l->taken = std::chrono::steady_clock::now();
  return l;
}

std::shared_ptr<const Server::InterfaceList> Server::network_interfaces() {
  constexpr auto kMaxAge = std::chrono::seconds(60);
  std::lock_guard lk(netif_mu_);
  if (netif_ == nullptr) {
    // Not started (tests drive handlers without start()): take it here.
    netif_ = load_interfaces();
  } else if (!netif_refreshing_ && std::chrono::steady_clock::now() - netif_->taken > kMaxAge) {
    // getifaddrs and sysfs reads block: done on a thread of its own. The
    // previous one has finished (netif_refreshing_ is false), so the join
    // returns at once.
    netif_refreshing_ = true;
    if (netif_thread_.joinable()) netif_thread_.join();
    netif_thread_ = std::thread([this] {
      auto fresh = load_interfaces();
      std::lock_guard lk2(netif_mu_);
      netif_ = std::move(fresh);
      netif_refreshing_ = false;
    });
  }
  return netif_;
}

void Server::register_connection(const std::shared_ptr<Connection>& c) {
  per_worker_[rt::Worker::current()->id()]->conns[c.get()] = c;
}

void Server::unregister_connection(Connection* c) {
  per_worker_[rt::Worker::current()->id()]->conns.erase(c);
  leave(c->peer_addr());
}

bool Server::admit(const std::string& addr) {
  const Limits& lim = cfg_.limits;
  std::lock_guard lk(conn_count_mu_);
  unsigned& n = conn_per_addr_[addr];
  const char* which = nullptr;
  if (lim.connections != 0 && conn_total_ >= lim.connections) {
    which = "ringsmb:max connections";
  } else if (lim.connections_per_address != 0 && n >= lim.connections_per_address) {
    which = "ringsmb:max connections per address";
  }
  if (which != nullptr) {
    if (n == 0) conn_per_addr_.erase(addr);
    // At most one line a second, however hard someone knocks.
    auto now = std::chrono::steady_clock::now();
    if (now - last_refusal_log_ >= std::chrono::seconds(1)) {
      last_refusal_log_ = now;
      log::warn("{}: connection refused: {} reached ({} in all, {} from this address)", addr,
                which, conn_total_, n);
    }
    return false;
  }
  ++n;
  ++conn_total_;
  return true;
}

void Server::leave(const std::string& addr) {
  std::lock_guard lk(conn_count_mu_);
  auto it = conn_per_addr_.find(addr);
  if (it != conn_per_addr_.end() && --it->second == 0) conn_per_addr_.erase(it);
  if (conn_total_ > 0) --conn_total_;
}

bool Server::reserve_buffer(size_t len) {
  const uint64_t budget = cfg_.limits.buffer_memory;
  uint64_t cur = buffered_.load(std::memory_order_relaxed);
  do {
    if (cur != 0 && cur + len > budget) return false;
  } while (!buffered_.compare_exchange_weak(cur, cur + len, std::memory_order_relaxed));
  return true;
}

void Server::release_buffer(size_t len) { buffered_.fetch_sub(len, std::memory_order_relaxed); }

std::optional<auth::UserRecord> Server::find_user(const std::string& name) {
  std::lock_guard lk(users_mu_);
  struct stat st {};
  bool exists = ::stat(cfg_.passdb_file.c_str(), &st) == 0;
  if (!exists) {
    users_ = auth::UserDb();
    users_loaded_ = false;
    return std::nullopt;
  }
  if (!users_loaded_ || st.st_mtim.tv_sec != users_mtime_.tv_sec ||
      st.st_mtim.tv_nsec != users_mtime_.tv_nsec) {
    std::string err;
    auto db = auth::UserDb::load(cfg_.passdb_file, &err);
    if (!db) {
      log::error("passdb: {}", err);
    } else {
      users_ = std::move(*db);
      users_mtime_ = st.st_mtim;
      users_loaded_ = true;
    }
  }
  if (const auth::UserRecord* r = users_.find(name)) return *r;
  return std::nullopt;
}

std::chrono::milliseconds Server::logon_failure_delay(const std::string& addr) {
  std::lock_guard lk(failures_mu_);
  auto it = failures_.find(addr);
  if (it == failures_.end()) return std::chrono::milliseconds(0);
  // Forgotten after a quiet quarter of an hour.
  if (std::chrono::steady_clock::now() - it->second.last > std::chrono::minutes(15)) {
    failures_.erase(it);
    return std::chrono::milliseconds(0);
  }
  unsigned n = it->second.count;
  if (n < 3) return std::chrono::milliseconds(0);
  unsigned shift = std::min(n - 3, 5u);
  return std::chrono::milliseconds(250u << shift);  // 250 ms doubling to 8 s
}

void Server::record_logon_result(const std::string& addr, bool ok) {
  std::lock_guard lk(failures_mu_);
  if (ok) {
    failures_.erase(addr);
    return;
  }
  auto& f = failures_[addr];
  ++f.count;
  f.last = std::chrono::steady_clock::now();
  if (failures_.size() > 65536) failures_.clear();  // bound the table under attack
}

void Server::request_stop() {
  if (stopping_.exchange(true)) return;
  for (auto& w : workers_) w->request_stop();
}

void Server::wait() {
  for (auto& w : workers_) w->join();
}

}  // namespace ringsmb::server
