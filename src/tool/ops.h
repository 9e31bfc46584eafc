// The operations behind the ringsmb subcommands, on top of client/.
//
// A Target is one session (with its channels, each on a worker of the
// Runtime) and one tree connect. Transfers spread their I/O over every
// channel: each channel runs a pipeline of reads or writes on its own
// worker, taking the next chunk of the file from a shared counter, and
// writes received data to the local file from the buffer it arrived in.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "auth/ntlm_client.h"
#include "client/session.h"
#include "tool/runtime.h"
#include "tool/url.h"

namespace ringsmb::tool {

// An outcome: an NTSTATUS from the server or an errno from the local side.
struct Status {
  wire::NtStatus nt = 0;
  int err = 0;        // positive errno
  std::string where;  // the local path an errno is about (empty: the remote side)
  bool ok() const { return nt == 0 && err == 0; }
  std::string to_string() const;
  static Status from_nt(wire::NtStatus s) { return {s, 0, {}}; }
  static Status from_errno(int e, std::string path = {}) {
    return {0, e < 0 ? -e : e, std::move(path)};
  }
};

struct ClientOptions {
  unsigned channels = 1;
  bool sign = false;
  bool encrypt = false;
  uint16_t min_protocol = wire::dialect::SMB202;
  uint16_t max_protocol = wire::dialect::SMB311;
  auth::NtlmCredentials creds;  // empty user: anonymous
  std::chrono::milliseconds timeout{60000};
  unsigned depth = 0;       // I/Os in flight per channel (0: 4 for large I/O)
  uint32_t io_size = 0;     // bytes per READ/WRITE (0: the negotiated maximum)
};

struct Target {
  SmbUrl url;
  Runtime* runtime = nullptr;
  std::shared_ptr<client::Session> session;
  std::shared_ptr<client::Tree> tree;
  unsigned channels() const { return static_cast<unsigned>(session->channel_count()); }
  rt::Worker* worker_of(unsigned ch) const { return runtime->worker(ch); }
  uint32_t max_read() const;
  uint32_t max_write() const;
};

// Connects, authenticates, opens and binds the extra channels (channel i
// on worker i % workers), and connects the tree. Runs on worker 0.
rt::Task<wire::Result<std::shared_ptr<Target>>> open_target(Runtime& rt, const SmbUrl& url,
                                                            const ClientOptions& opt);
// Disconnects and closes every channel (each on its worker).
rt::Task<void> close_target(Target& t);

// Bytes moved so far, for progress reports; any thread adds.
struct Progress {
  std::atomic<uint64_t> bytes{0};
  std::atomic<uint64_t> total{0};
  std::atomic<uint64_t> files{0};
};

struct TransferStats {
  uint64_t bytes = 0;
  uint64_t files = 0;
  double seconds = 0;
};

// Copies a remote file to a local path (created or truncated).
rt::Task<Status> get_file(Target& t, std::string remote, std::string local, const ClientOptions& o,
                          Progress* p);
// Copies a local file to a remote path (created or overwritten).
rt::Task<Status> put_file(Target& t, std::string local, std::string remote, const ClientOptions& o,
                          Progress* p);
// Recursive forms: a directory tree, created on the other side.
rt::Task<Status> get_tree(Target& t, std::string remote, std::string local, const ClientOptions& o,
                          Progress* p);
rt::Task<Status> put_tree(Target& t, std::string local, std::string remote, const ClientOptions& o,
                          Progress* p);
// Writes a remote file to a local descriptor (stdout), in order.
rt::Task<Status> cat_file(Target& t, std::string remote, int fd);
// Removes a file, or with recursive a directory tree.
rt::Task<Status> remove_path(Target& t, std::string remote, bool recursive);

// Prints a progress line on stderr every 250 ms until *done (terminals
// only); clears it at the end.
rt::Task<void> show_progress(const Progress& p, const std::atomic<bool>& done, std::string label);

// Formatting helpers.
std::string human_bytes(double bytes);
std::string format_time(uint64_t filetime);

}  // namespace ringsmb::tool
