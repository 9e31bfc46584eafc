// One client connection, owned by one worker for its whole life.
//
// The receive loop reads NetBIOS-framed messages and starts a task per
// frame, so many requests of one connection run at once (a client keeps
// dozens of READs in flight). Responses go through one ordered send queue:
// a single sender drains it, gathering queued frames into one sendmsg.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <unordered_map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "auth/crypto.h"
#include "rt/buffer.h"
#include "rt/zc.h"
#include "rt/signal.h"
#include "rt/sync.h"
#include "rt/task.h"
#include "server/credits.h"
#include "server/state.h"
#include "wire/header.h"
#include "wire/messages.h"
#include "wire/writer.h"

namespace ringsmb::server {

class Server;
class Connection;
struct ChainState;

// Something an asynchronous request waits for: the event it wants, a
// CANCEL, or its handle going away. Whoever comes first sets the reason.
struct Waiter {
  enum Reason : int { None = 0, Event = 1, Cancelled = 2, Cleanup = 3, Timeout = 4, DeletePending = 5 };
  std::shared_ptr<rt::Signal> signal = rt::Signal::make();
  std::atomic<int> reason{None};
  void wake(Reason r) {
    int expected = None;
    reason.compare_exchange_strong(expected, r);
    signal->fire();
  }
};

// A validated request, with what the checks before dispatch resolved.
struct Request {
  Connection& conn;
  wire::Header hdr;
  wire::Bytes msg;  // this request, header included
  std::shared_ptr<Session> session;
  std::shared_ptr<TreeConnect> tree;
  fs::Cred cred;  // the session's credentials for file operations
  // Related compounds: the FileId of the previous request, substituted
  // for the all-ones placeholder by resolve_file_id().
  std::optional<wire::FileId> related_file_id;
  // Registered-buffer index of the frame holding msg (-1: not registered),
  // so WRITE can hand its payload to WRITE_FIXED without a copy.
  int frame_buf_index = -1;
  // The open whose channel sequence this request was counted under
  // (MS-SMB2 3.3.5.2.10), and under which count.
  std::shared_ptr<Open> seq_open;
  uint16_t seq = 0;
  // WRITE: the payload waits in this pipe, not in msg (splice write path).
  rt::PipeLease* spliced = nullptr;
  // The session whose keys decrypted this request (null: not encrypted).
  std::shared_ptr<Session> encrypted_by;
  // The session whose (channel) key verified this request's signature.
  std::shared_ptr<Session> signed_by;
  std::shared_ptr<const auth::SmbKeys> signed_keys;
  std::shared_ptr<Session> binding;  // SESSION_SETUP binding to this session
  bool signature_failed = false;  // such a response is never signed
  // Asynchronous processing (MS-SMB2 3.3.4.2): the chain this request is
  // part of, and the AsyncId once an interim response went out.
  ChainState* chain_state = nullptr;
  bool last_in_chain = true;
  bool alone = false;  // the only request of its frame (no compound)
  uint64_t async_id = 0;

  Request(Connection& c, const wire::Header& h, wire::Bytes m) : conn(c), hdr(h), msg(m) {}
  // The FileId a request names, with the related-compound substitution.
  wire::FileId resolve_file_id(wire::FileId id) const {
    if (id.is_related_placeholder() && related_file_id) return *related_file_id;
    return id;
  }
};

// What a handler produces. The body excludes the header; the payload (READ
// data) follows the body as its own iovec, never copied into it.
struct Response {
  wire::NtStatus status = wire::status::SUCCESS;
  wire::Writer body;
  rt::Buffer payload;
  size_t payload_offset = 0;
  size_t payload_len = 0;
  std::vector<uint8_t> error_data;  // for error responses
  bool send = true;                 // false: no response at all (CANCEL)
  std::optional<uint64_t> session_id;  // SESSION_SETUP assigns one
  std::optional<uint32_t> tree_id;     // TREE_CONNECT assigns one
  std::optional<wire::FileId> file_id;  // used or created: for related compounds
  bool disconnect = false;  // close the connection after sending
  // SMB 3.1.1 preauth integrity: the hash this response also goes into
  // (NEGOTIATE: the connection's; SESSION_SETUP in progress: the session's).
  auth::PreauthHash* preauth = nullptr;
  std::shared_ptr<Session> preauth_owner;  // keeps a session's hash alive
  // Sign the response with these keys (3.3.4.1.1): the channel's.
  std::shared_ptr<const auth::SmbKeys> sign_with;
  uint64_t async_id = 0;  // an asynchronous response (ASYNC_COMMAND)
  // Set SIGNED without a signature: the reply to a signed request whose
  // session is gone (clients skip the check for USER_SESSION_DELETED but
  // want the flag).
  bool signed_flag_only = false;
  // READ data paths (docs/performance.md). zero_copy: the payload buffer
  // has room before payload_offset for the NetBIOS header and the message,
  // so a lone response goes out as one SEND_ZC of a registered buffer.
  bool zero_copy = false;
  // splice: the data waits in a pipe and follows the message on the
  // socket (only for lone, unsigned, unencrypted responses).
  rt::PipeLease pipe;
  size_t splice_len = 0;
};

// One frame ready to send: the NetBIOS header, then response pieces. A
// segment is either bytes it owns (headers, bodies, padding) or a range of
// one of the frame's payload buffers (READ data, never copied).
struct OutFrame {
  struct Segment {
    std::vector<uint8_t> bytes;
    int buffer = -1;
    size_t offset = 0;
    size_t length = 0;
  };
  std::vector<Segment> segs;
  std::vector<rt::Buffer> buffers;
  std::vector<iovec> iov;  // built by finish_frame()
  size_t total = 0;        // bytes after the NetBIOS header
  bool close_after = false;
  // The whole frame (NetBIOS header included) lies in buffers[zc_buffer]
  // from zc_offset: sent with SEND_ZC, the buffer kept until the kernel's
  // notification.
  int zc_buffer = -1;
  size_t zc_offset = 0;
  // splice_len bytes from the pipe follow the segments on the socket.
  rt::PipeLease pipe;
  size_t splice_len = 0;
};

// "1.2.3.4:445" -> "1.2.3.4", "[::1]:445" -> "::1".
std::string peer_address(const std::string& peer);

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Server& server, int fd, std::string peer);
  ~Connection();

  // Runs until the peer goes away or the server stops.
  rt::Task<void> run();
  // Makes run() end (shutdown of the socket); safe to call twice.
  void close();

  Server& server() { return server_; }
  const std::string& peer() const { return peer_; }
  // The peer's address without the port (for per-address accounting).
  const std::string& peer_addr() const { return peer_addr_; }
  int fd() const { return fd_; }

  // Negotiated state (MS-SMB2 3.3.1.7).
  // 0x02FF (answered to an SMB1 NEGOTIATE) still waits for the SMB2 one.
  bool negotiated() const { return dialect_ != 0 && dialect_ != wire::dialect::WILDCARD; }
  uint16_t dialect() const { return dialect_; }
  void set_negotiated(uint16_t dialect, uint16_t client_security_mode, uint32_t client_caps,
                      const wire::Guid& client_guid, std::vector<uint16_t> client_dialects);
  uint16_t client_security_mode() const { return client_security_mode_; }
  uint32_t client_capabilities() const { return client_caps_; }
  uint32_t server_capabilities() const { return server_caps_; }
  void set_server_capabilities(uint32_t c) { server_caps_ = c; }
  uint16_t server_security_mode() const { return server_security_mode_; }
  // SMB 3.1.1 negotiate contexts (0: none chosen).
  uint16_t cipher() const { return cipher_; }
  uint16_t signing_alg() const { return signing_alg_; }
  void set_cipher(uint16_t c) { cipher_ = c; }
  void set_signing_alg(uint16_t a) { signing_alg_ = a; }
  // Whether this connection can carry encrypted messages.
  bool can_encrypt() const;
  void set_server_security_mode(uint16_t m) { server_security_mode_ = m; }
  const wire::Guid& client_guid() const { return client_guid_; }
  const std::vector<uint16_t>& client_dialects() const { return client_dialects_; }
  bool large_mtu() const { return negotiated() && dialect_ >= wire::dialect::SMB210; }
  uint32_t max_io() const;

  // SMB 3.1.1 connection preauth hash (NEGOTIATE request and response).
  auth::PreauthHash& preauth() { return preauth_; }

  // Sessions whose SESSION_SETUP began here and is not complete: removed
  // from the server's table if the connection goes first.
  void add_pending_session(const std::shared_ptr<Session>& s) { pending_sessions_.push_back(s); }
  // Sessions established on this connection (its channels).
  void add_session(const std::shared_ptr<Session>& s);
  void remove_session(uint64_t id);
  bool has_session(uint64_t id) const;
  // Sessions established or being set up here (for the per-connection limit).
  size_t session_count() const;
  // Requests waiting asynchronously (interim response sent).
  size_t async_pending() const { return cancel_by_async_.size(); }

  // Queues a frame; frames go out in queue order.
  void send_frame(OutFrame f);

  CreditWindow& credits() { return credits_; }

  // Requests that a CANCEL may reach, by MessageId and by AsyncId.
  void add_cancelable(uint64_t message_id, uint64_t async_id, std::shared_ptr<Waiter> w);
  void remove_cancelable(uint64_t message_id, uint64_t async_id);
  // Wakes the request a CANCEL names; false when there is none.
  bool cancel(uint64_t message_id, uint64_t async_id, bool by_async_id);
  uint64_t next_async_id() { return ++last_async_id_; }

  // Session binding in progress on this connection, by session id.
  std::shared_ptr<void>& binding_ctx(uint64_t session_id) { return binding_[session_id]; }
  void end_binding(uint64_t session_id) { binding_.erase(session_id); }
  bool closing() const { return closing_; }
  // Whether this connection leaves through a physical NIC (its local
  // address belongs to an interface with a device behind it, not lo, veth
  // or a bridge): where SEND_ZC can avoid the copy. Computed once.
  bool nic_backed();

 private:
  using Clock = std::chrono::steady_clock;
  rt::Task<void> handle_frame(rt::Buffer buf, size_t len, std::unique_ptr<rt::PipeLease> spliced);
  rt::Task<int> recv_splice(rt::PipeLease& pipe, size_t n, Clock::time_point deadline);
  bool splice_writes();  // some share has `ringsmb:write path = splice`
  rt::Task<void> handle_smb1(wire::Bytes frame);
  rt::Task<void> handle_transform(wire::Bytes frame);
  rt::Task<void> sender();
  rt::Task<bool> send_iov(std::vector<iovec>& iov, int flags);
  rt::Task<bool> send_special(OutFrame& f);
  rt::Task<int> recv_exact(uint8_t* dst, size_t n, Clock::time_point deadline);
  // Waits until the next frame's first bytes are in the staging buffer:
  // 1 when they are, 0 at end of stream, -errno; -ETIMEDOUT when the
  // connection stayed idle (idle_timeout) or the handshake deadline passed.
  rt::Task<int> await_next_frame();
  // Nothing open and nothing in flight: the idle timeout may close it.
  bool idle() const;
  // Waits for room for a frame of len bytes in the server's buffer memory.
  rt::Task<void> reserve_memory(size_t len);
  rt::Task<void> teardown();

  Server& server_;
  int fd_;
  std::string peer_;
  std::string peer_addr_;
  bool closing_ = false;
  int nic_backed_ = -1;  // -1: not known yet
  int splice_writes_ = -1;

  uint16_t dialect_ = 0;
  uint16_t client_security_mode_ = 0;
  uint16_t server_security_mode_ = 0;
  uint32_t client_caps_ = 0;
  uint32_t server_caps_ = 0;
  uint16_t cipher_ = 0;
  uint16_t signing_alg_ = 0;
  wire::Guid client_guid_;
  std::vector<uint16_t> client_dialects_;
  auth::PreauthHash preauth_;
  bool got_first_frame_ = false;
  bool authenticated_once_ = false;

  CreditWindow credits_;
  std::vector<std::shared_ptr<Session>> sessions_;
  std::vector<std::weak_ptr<Session>> pending_sessions_;
  // The moment by which SESSION_SETUP must have completed.
  std::chrono::steady_clock::time_point handshake_deadline_;
  // Bytes of frames received and not yet answered, bounded per connection.
  size_t inflight_bytes_ = 0;
  rt::Event bytes_freed_;

  // Staging buffer for small frames.
  rt::Buffer rbuf_;
  size_t rpos_ = 0;
  size_t rlen_ = 0;

  std::unordered_map<uint64_t, std::shared_ptr<Waiter>> cancel_by_mid_;
  std::unordered_map<uint64_t, std::shared_ptr<Waiter>> cancel_by_async_;
  uint64_t last_async_id_ = 0;
  std::unordered_map<uint64_t, std::shared_ptr<void>> binding_;

  // Ordered send queue.
  std::deque<OutFrame> sendq_;
  rt::Event send_wakeup_;
  bool sender_running_ = false;
  rt::Event sender_done_;
  rt::WaitGroup inflight_;
  rt::Semaphore frame_slots_;
};

}  // namespace ringsmb::server
