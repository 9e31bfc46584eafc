// The server: workers, listening sockets, shares and the global tables.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "auth/userdb.h"
#include "rt/worker.h"
#include "server/config.h"
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

  // Per-worker registry of live connections (for shutdown).
  void register_connection(const std::shared_ptr<Connection>& c);
  void unregister_connection(Connection* c);

 private:
  void start_listener(int lfd);
  void dispatch_accepted(int fd);

  Config cfg_;
  std::unordered_map<std::string, std::shared_ptr<const ShareRuntime>> shares_;  // by folded name
  SessionTable sessions_;
  FileTable files_;
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
};

}  // namespace ringsmb::server
