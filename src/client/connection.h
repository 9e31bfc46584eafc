// One client connection to an SMB2/3 server (MS-SMB2 3.2): TCP on the
// calling worker's ring, NEGOTIATE, MessageIds and credits, the ordered
// send queue, the receive loop that matches responses to waiting calls,
// and signing, verification, encryption and decryption of messages with
// the keys a call names.
//
// A connection belongs to the worker that opened it: every method must be
// called on that worker's thread. Many calls may be in flight at once (as
// many as the credits allow); each call() suspends until its final
// response arrives (interim STATUS_PENDING responses are absorbed).
#pragma once

#include <chrono>
#include <coroutine>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "auth/crypto.h"
#include "auth/smb_keys.h"
#include "client/frames.h"
#include "rt/buffer.h"
#include "rt/ops.h"
#include "rt/sync.h"
#include "rt/task.h"
#include "rt/worker.h"
#include "wire/header.h"
#include "wire/result.h"
#include "wire/smb2.h"
#include "wire/status.h"
#include "wire/writer.h"

namespace ringsmb::client {

using wire::Bytes;
using wire::NtStatus;
using wire::Result;

struct Endpoint {
  std::string host;  // numeric address or name
  uint16_t port = 445;
  std::string to_string() const;
};

struct ConnectOptions {
  uint16_t min_dialect = wire::dialect::SMB202;
  uint16_t max_dialect = wire::dialect::SMB311;
  bool require_signing = false;  // SecurityMode: SIGNING_REQUIRED
  // 3.1.1 offers, most preferred first.
  std::vector<uint16_t> ciphers = {wire::cipher::AES128_GCM, wire::cipher::AES128_CCM,
                                   wire::cipher::AES256_GCM, wire::cipher::AES256_CCM};
  std::vector<uint16_t> signing_algs = {wire::signalg::AES_GMAC, wire::signalg::AES_CMAC,
                                        wire::signalg::HMAC_SHA256};
  wire::Guid client_guid;  // all zero: one random GUID per process
  uint32_t max_io = 8 * 1024 * 1024;  // largest READ/WRITE we ask for
  // A call that gets no answer for this long fails the connection (an
  // interim STATUS_PENDING stops the clock for that call).
  std::chrono::milliseconds timeout{60000};
  uint16_t credit_target = 512;  // credits kept in hand
};

// A received message and the buffer it lives in.
struct Reply {
  rt::Buffer buf;
  Bytes msg;  // header included
  wire::Header hdr;
  bool was_encrypted = false;
  NtStatus status() const { return hdr.status; }
};

// One request to send.
struct Call {
  uint16_t command = 0;
  uint32_t tree_id = 0;
  Protection prot;
  wire::Writer msg{512};  // the 64 header bytes (written by call()) + body
  Bytes payload;          // appended after msg without a copy (WRITE data)
  // Bytes the request or its response carries beyond the fixed parts, for
  // the credit charge (3.2.4.1.5): one credit per 64 KiB, at least one.
  uint64_t payload_size = 0;
  uint32_t extra_flags = 0;
  // SMB 3.x ChannelSequence (MS-SMB2 2.2.1.2, 3.2.4.1.1): the session's,
  // raised after it lost a channel so the server can tell a resent WRITE
  // from one still queued on the dead connection.
  uint16_t channel_sequence = 0;
  // SMB 3.1.1 preauth integrity: the request and its final reply are
  // added to this hash.
  auth::PreauthHash* preauth = nullptr;
  Call() { msg.zeros(wire::kHeaderSize); }
  explicit Call(uint16_t cmd) : command(cmd) { msg.zeros(wire::kHeaderSize); }
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // Connects, negotiates, and starts the receive loop.
  static rt::Task<Result<std::shared_ptr<Connection>>> open(Endpoint ep, ConnectOptions opt);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Sends c and waits for its final response (any status: the caller
  // decides). Errors of the transport: STATUS_CONNECTION_DISCONNECTED,
  // STATUS_IO_TIMEOUT, STATUS_INVALID_NETWORK_RESPONSE, STATUS_ACCESS_DENIED
  // for a reply whose signature does not verify.
  rt::Task<Result<Reply>> call(Call c);

  // Shuts the socket down; pending calls fail. Idempotent. On the
  // connection's worker, like every method.
  void close();
  bool alive() const { return !dead_; }

  // What NEGOTIATE settled (MS-SMB2 3.2.5.2).
  uint16_t dialect() const { return dialect_; }
  uint16_t cipher() const { return cipher_; }
  uint16_t signing_alg() const { return signing_alg_; }
  uint32_t server_capabilities() const { return server_caps_; }
  uint16_t server_security_mode() const { return server_security_mode_; }
  const wire::Guid& server_guid() const { return server_guid_; }
  const wire::Guid& client_guid() const { return opt_.client_guid; }
  uint32_t max_read() const { return max_read_; }
  uint32_t max_write() const { return max_write_; }
  uint32_t max_transact() const { return max_transact_; }
  const std::vector<uint8_t>& security_hint() const { return security_hint_; }
  const auth::PreauthHash& preauth() const { return preauth_; }
  bool can_encrypt() const;
  bool multichannel() const { return (server_caps_ & wire::cap::MULTI_CHANNEL) != 0; }
  const Endpoint& endpoint() const { return ep_; }
  const ConnectOptions& options() const { return opt_; }
  rt::Worker* worker() const { return worker_; }

  // Sessions whose encrypted replies this connection must decrypt.
  void add_session_keys(uint64_t session_id, std::shared_ptr<const auth::SmbKeys> k);
  void remove_session_keys(uint64_t session_id);

  struct Stats {
    uint64_t bytes_sent = 0, bytes_received = 0, calls = 0;
  };
  const Stats& stats() const { return stats_; }

 private:
  Connection(Endpoint ep, ConnectOptions opt, int fd);
  struct Pending;
  // A frame to send: the NetBIOS header and message (or the whole
  // encrypted frame), then a payload span the caller keeps alive.
  struct OutFrame {
    std::vector<uint8_t> bytes;
    Bytes payload;
  };

  rt::Task<NtStatus> negotiate();
  rt::Task<void> reader();
  rt::Task<void> sender();
  rt::Task<void> watchdog();
  rt::Task<int> recv_exact(uint8_t* dst, size_t n);
  void handle_frame(rt::Buffer buf, size_t len);
  void handle_message(rt::Buffer buf, Bytes msg, bool encrypted, bool owns);
  void fail(NtStatus why);
  void grant(uint16_t credits);
  void enqueue(OutFrame f);

  Endpoint ep_;
  ConnectOptions opt_;
  int fd_;
  rt::Worker* worker_;
  bool dead_ = false;
  NtStatus dead_status_ = wire::status::CONNECTION_DISCONNECTED;

  uint16_t dialect_ = 0;
  uint16_t cipher_ = 0;
  uint16_t signing_alg_ = 0;
  uint32_t server_caps_ = 0;
  uint16_t server_security_mode_ = 0;
  wire::Guid server_guid_;
  uint32_t max_read_ = 65536, max_write_ = 65536, max_transact_ = 65536;
  std::vector<uint8_t> security_hint_;
  auth::PreauthHash preauth_;

  // MessageIds and credits (3.2.4.1.3 - 3.2.4.1.5).
  CreditWindow window_;
  rt::Event credit_event_;

  std::unordered_map<uint64_t, Pending*> pending_;
  std::unordered_map<uint64_t, std::shared_ptr<const auth::SmbKeys>> session_keys_;
  auth::NonceSource nonces_;

  // Receive staging for small frames.
  rt::Buffer rbuf_;
  size_t rpos_ = 0, rlen_ = 0;

  std::deque<OutFrame> sendq_;
  bool sender_running_ = false;
  rt::Event reader_done_;
  rt::Sleep* watchdog_sleep_ = nullptr;
  rt::Event sender_idle_;
  Stats stats_;
};

// Maps a negative errno from connect/send/recv to an NTSTATUS.
NtStatus status_from_socket_error(int neg_errno);

}  // namespace ringsmb::client
