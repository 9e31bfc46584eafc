// The server: workers, listening sockets, shares and the global tables.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <cstdint>
#include <memory>
#include <map>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "auth/userdb.h"
#include "rt/worker.h"
#include "server/config.h"
#include "server/netif.h"
#include "server/durable.h"
#include "server/lease.h"
#include "server/state.h"
#include "wire/le.h"

namespace ringsmb::server {

class Connection;

class Server {
 public:
  explicit Server(Config cfg);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the listening sockets; throws std::runtime_error naming the
  // address when one cannot be bound.
  void bind();
  // Starts the workers; returns at once.
  void start();
  // Blocks until every worker has ended (after request_stop()).
  void wait();
  // Thread-safe: closes listeners and connections, then workers end.
  void request_stop();

  const Config& config() const { return cfg_; }
  std::shared_ptr<const ShareRuntime> share(std::string_view name) const;
  SessionTable& sessions() { return sessions_; }
  FileTable& files() { return files_; }
  LeaseTable& leases() { return leases_; }
  DurableTable& durables() { return durables_; }
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }
  const wire::Guid& guid() const { return guid_; }
  uint64_t start_time() const { return start_time_; }
  uint64_t next_file_id() { return next_file_id_.fetch_add(1, std::memory_order_relaxed); }
  unsigned worker_count() const { return static_cast<unsigned>(workers_.size()); }
  // The ports actually bound (after bind(); port 0 in the config picks one).
  std::vector<uint16_t> bound_ports() const;

  // The passdb entry of a user, reloading the file when it changed.
  std::optional<auth::UserRecord> find_user(const std::string& name);
  // Logon failures per source address: the delay to apply before answering
  // the next failure, and the bookkeeping.
  std::chrono::milliseconds logon_failure_delay(const std::string& addr);
  void record_logon_result(const std::string& addr, bool ok);
  bool running_as_root() const { return root_; }

  // FSCTL_QUERY_NETWORK_INTERFACE_INFO (netif.h): the addresses reported
  // and their encoded output. Taken in start(); a list older than a minute
  // is still returned at once, while a thread of the server's own (never a
  // worker) takes a new one for the callers after. Thread-safe.
  struct InterfaceList {
    std::vector<NetInterface> list;
    std::vector<uint8_t> output;  // NETWORK_INTERFACE_INFO chain (2.2.32.5)
    std::chrono::steady_clock::time_point taken;
  };
  std::shared_ptr<const InterfaceList> network_interfaces();

  // Server-wide memory for received, not yet answered requests
  // (Limits::buffer_memory): false when len bytes do not fit now (one
  // frame always fits when nothing else is held). Thread-safe.
  bool reserve_buffer(size_t len);
  void release_buffer(size_t len);

  // Per-worker registry of live connections (for shutdown).
  void register_connection(const std::shared_ptr<Connection>& c);
  void unregister_connection(Connection* c);

 private:
  void start_listener(int lfd);
  void dispatch_accepted(int fd);
  // The worker for a new connection: round-robin, among the workers on
  // the NUMA node of the interface it arrived on when workers are spread
  // over nodes (ringsmb:numa = auto).
  unsigned pick_worker(int fd);
  std::shared_ptr<const InterfaceList> load_interfaces() const;

  Config cfg_;
  std::unordered_map<std::string, std::shared_ptr<const ShareRuntime>> shares_;  // by folded name
  SessionTable sessions_;
  FileTable files_;
  LeaseTable leases_;
  DurableTable durables_;
  wire::Guid guid_;
  uint64_t start_time_ = 0;
  std::atomic<uint64_t> next_file_id_{1};
  std::vector<int> listen_fds_;
  std::vector<std::unique_ptr<rt::Worker>> workers_;
  std::atomic<unsigned> next_worker_{0};
  std::atomic<bool> stopping_{false};
  struct PerWorker;
  std::vector<std::unique_ptr<PerWorker>> per_worker_;
  bool root_ = false;

  std::mutex netif_mu_;
  std::shared_ptr<const InterfaceList> netif_;
  bool netif_refreshing_ = false;
  std::thread netif_thread_;
  // Set in start() when workers sit on more than one node: node -> workers,
  // and the interfaces (with their nodes) connections are matched against.
  std::map<int, std::vector<unsigned>> workers_by_node_;
  std::vector<NetInterface> placed_interfaces_;

  std::mutex users_mu_;
  auth::UserDb users_;
  struct timespec users_mtime_ {};
  bool users_loaded_ = false;

  struct Failures {
    unsigned count = 0;
    std::chrono::steady_clock::time_point last;
  };
  std::mutex failures_mu_;
  std::unordered_map<std::string, Failures> failures_;

  // Connections, in all and per peer address (Limits): admit() before a
  // connection is created, leave() when it ends.
  bool admit(const std::string& addr);
  void leave(const std::string& addr);
  std::mutex conn_count_mu_;
  size_t conn_total_ = 0;
  std::unordered_map<std::string, unsigned> conn_per_addr_;
  std::chrono::steady_clock::time_point last_refusal_log_;
  std::atomic<uint64_t> buffered_{0};
};

}  // namespace ringsmb::server
