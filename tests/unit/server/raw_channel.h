// A raw SMB 3.0.2 client for server tests: one blocking TCP connection
// driven from the test thread, every request built from the codec's
// encoders and sent as the test says, alone or as a compound chain, with
// its responses collected as they come.
//
// It exists for what the client library does not do on purpose: compound
// chains (related or not), pipelining many requests before reading any
// answer, seeing interim STATUS_PENDING and OPLOCK_BREAK notifications, and
// dropping a connection at a chosen moment. It logs on with NTLMv2
// (auth::NtlmClient), unsigned unless the server asks, and binds channels
// with the signatures binding needs (MS-SMB2 3.2.4.2.3); nothing else is
// signed or encrypted.
//
//   RawChannel c(port);
//   c.negotiate(guid);
//   c.login("alice", "wonderland");           // session_id(), keys()
//   uint32_t tid = c.tree_connect("\\\\127.0.0.1\\s");
//   auto m = c.call(c.create(tid, "a.txt", ...));   // one request, its answer
//   auto ids = c.send({c.logoff(), c.create(tid, "b", ...).related()});
//   auto r = c.wait(ids[1]);                        // STATUS_USER_SESSION_DELETED
//
// Every wait has a bound (a failure, never a hang); what a wait reads that
// is not its answer is kept for a later wait.
#pragma once

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <chrono>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "auth/ntlm_client.h"
#include "auth/smb_keys.h"
#include "wire/client.h"
#include "wire/header.h"
#include "wire/smb2.h"
#include "wire/status.h"
#include "wire/utf16.h"

namespace ringsmb::testing {

using namespace std::chrono_literals;

// One received message (header included).
struct RawMsg {
  wire::Header hdr;
  std::vector<uint8_t> bytes;
  wire::NtStatus status() const { return hdr.status; }
  wire::Bytes view() const { return {bytes.data(), bytes.size()}; }
  bool interim() const {
    return hdr.status == wire::status::PENDING && hdr.is_async();
  }
};

// One request to send: the 64 header bytes (filled in by send()) and body.
struct RawReq {
  uint16_t command = 0;
  uint64_t session_id = 0;
  uint32_t tree_id = 0;
  uint32_t flags = 0;
  uint16_t credit_charge = 1;
  std::shared_ptr<const auth::SmbKeys> sign;  // sign with these keys
  wire::Writer msg{1024};
  RawReq() { msg.zeros(wire::kHeaderSize); }
  explicit RawReq(wire::Command c) : command(static_cast<uint16_t>(c)) {
    msg.zeros(wire::kHeaderSize);
  }
  // Marks this request as related to the previous one of its chain.
  RawReq&& related() && {
    flags |= wire::flags::RELATED_OPERATIONS;
    return std::move(*this);
  }
};

// The FileId a related request uses for "the previous one".
inline constexpr wire::FileId kRelatedFid{~uint64_t{0}, ~uint64_t{0}};

inline std::vector<uint8_t> utf16(std::string_view s) { return wire::utf8_to_utf16le(s); }

class RawChannel {
 public:
  explicit RawChannel(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
      ADD_FAILURE() << "connect: " << std::strerror(errno);
      close();
      return;
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  ~RawChannel() { close(); }
  RawChannel(const RawChannel&) = delete;
  RawChannel& operator=(const RawChannel&) = delete;

  // Drops the connection (the server sees the end of the stream).
  void close() {
    if (fd_ >= 0) {
      ::shutdown(fd_, SHUT_RDWR);
      ::close(fd_);
      fd_ = -1;
    }
  }
  bool open() const { return fd_ >= 0 && !eof_; }
  uint64_t session_id() const { return session_id_; }
  const std::shared_ptr<const auth::SmbKeys>& keys() const { return keys_; }

  // ------------------------------------------------------------- sending

  // Sends the requests as one frame: a compound chain when there are
  // several (NextCommand and padding set here). Returns their MessageIds.
  std::vector<uint64_t> send(std::vector<RawReq> chain) {
    std::vector<uint64_t> mids;
    std::vector<uint8_t> frame(4, 0);
    for (size_t i = 0; i < chain.size(); ++i) {
      RawReq& r = chain[i];
      take_credits(r.credit_charge);
      const uint64_t mid = next_mid_;
      next_mid_ += r.credit_charge == 0 ? 1 : r.credit_charge;
      mids.push_back(mid);
      const bool last = i + 1 == chain.size();
      if (!last) r.msg.align(8);
      wire::Header h;
      h.command = r.command;
      h.credit_charge = r.credit_charge;
      h.credits = 64;
      h.flags = r.flags | (r.sign ? wire::flags::SIGNED : 0);
      h.message_id = mid;
      h.tree_id = r.tree_id;
      h.session_id = r.session_id;
      h.next_command = last ? 0 : static_cast<uint32_t>(r.msg.size());
      wire::encode_header(r.msg.data(), h);
      if (r.sign) {
        wire::Bytes pieces[] = {r.msg.bytes()};
        auto sig = auth::smb_signature(*r.sign, mid, false, false, pieces);
        std::memcpy(r.msg.data() + 48, sig.data(), 16);
      }
      frame.insert(frame.end(), r.msg.vec().begin(), r.msg.vec().end());
    }
    const size_t len = frame.size() - 4;
    frame[1] = static_cast<uint8_t>(len >> 16);
    frame[2] = static_cast<uint8_t>(len >> 8);
    frame[3] = static_cast<uint8_t>(len);
    write_all(frame);
    return mids;
  }
  uint64_t send(RawReq r) {
    std::vector<RawReq> v;
    v.push_back(std::move(r));
    return send(std::move(v)).at(0);
  }

  // ----------------------------------------------------------- receiving

  // The final response to mid (interim STATUS_PENDING answers are noted
  // and skipped). nullopt when the connection ends or nothing comes in
  // `timeout`.
  std::optional<RawMsg> wait(uint64_t mid, std::chrono::milliseconds timeout = 30s) {
    return wait_for([mid](const RawMsg& m) { return m.hdr.message_id == mid && !m.interim(); },
                    timeout);
  }
  // The interim STATUS_PENDING answer to mid (the request went async).
  std::optional<RawMsg> wait_interim(uint64_t mid, std::chrono::milliseconds timeout = 30s) {
    return wait_for([mid](const RawMsg& m) { return m.hdr.message_id == mid && m.interim(); },
                    timeout);
  }
  // An OPLOCK_BREAK notification (MessageId all ones).
  std::optional<RawMsg> wait_break(std::chrono::milliseconds timeout = 30s) {
    return wait_for([](const RawMsg& m) { return m.hdr.message_id == ~uint64_t{0}; }, timeout);
  }
  // Whether a final answer to mid has arrived by now (reads what is
  // already there, waits for nothing).
  bool answered(uint64_t mid) {
    while (receive_frame(0ms)) {
    }
    for (const auto& m : stash_)
      if (m.hdr.message_id == mid && !m.interim()) return true;
    return false;
  }
  // True when the server ends the connection within timeout.
  bool wait_closed(std::chrono::milliseconds timeout = 30s) {
    auto until = std::chrono::steady_clock::now() + timeout;
    while (!eof_) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      receive_frame(left);
    }
    return true;
  }

  // One request and its final answer.
  std::optional<RawMsg> call(RawReq r, std::chrono::milliseconds timeout = 30s) {
    return wait(send(std::move(r)), timeout);
  }
  wire::NtStatus call_status(RawReq r) {
    auto m = call(std::move(r));
    return m ? m->status() : kNoAnswer;
  }
  // What call_status() says when nothing came back.
  static constexpr wire::NtStatus kNoAnswer = 0xFFFFFFFF;

  // --------------------------------------------------------- protocol

  // NEGOTIATE for SMB 3.0.2 with multichannel (no preauth hash, AES-CMAC).
  wire::NtStatus negotiate(const wire::Guid& client_guid) {
    wire::NegotiateRequest q;
    q.security_mode = wire::NEGOTIATE_SIGNING_ENABLED;
    q.capabilities = wire::cap::LARGE_MTU | wire::cap::MULTI_CHANNEL;
    q.client_guid = client_guid;
    q.dialects = {wire::dialect::SMB302};
    RawReq r(wire::Command::Negotiate);
    r.credit_charge = 0;
    wire::encode_request(r.msg, q);
    auto m = call(std::move(r));
    if (!m) return kNoAnswer;
    if (m->status() != wire::status::SUCCESS) return m->status();
    auto n = wire::parse_negotiate_response(m->view());
    if (!n) return wire::status::INVALID_NETWORK_RESPONSE;
    hint_.assign(n->security_buffer.begin(), n->security_buffer.end());
    return n->dialect == wire::dialect::SMB302 ? wire::status::SUCCESS
                                               : wire::status::INVALID_NETWORK_RESPONSE;
  }

  // A new session (NTLMv2). Sets session_id() and keys().
  // previous: PreviousSessionId, a session of the same user this one
  // replaces (3.3.5.5.3).
  wire::NtStatus login(const std::string& user, const std::string& password,
                       uint64_t previous = 0) {
    previous_ = previous;
    return authenticate(user, password, 0, nullptr);
  }
  // Re-authentication of this connection's session (3.3.5.5.3).
  wire::NtStatus reauth(const std::string& user, const std::string& password) {
    previous_ = 0;
    return authenticate(user, password, session_id_, nullptr);
  }
  // Binds this connection to a session established elsewhere: each leg
  // signed with the session's key. On success the channel's requests are
  // not signed (the server does not require it in these tests).
  wire::NtStatus bind(uint64_t session_id, std::shared_ptr<const auth::SmbKeys> session_keys,
                      const std::string& user, const std::string& password) {
    previous_ = 0;
    return authenticate(user, password, session_id, std::move(session_keys));
  }
  // The first leg of a binding only (the server keeps the exchange open).
  wire::NtStatus bind_first_leg(uint64_t session_id,
                                std::shared_ptr<const auth::SmbKeys> session_keys,
                                const std::string& user) {
    auth::NtlmCredentials c;
    c.user = user;
    c.password = "x";
    auth::NtlmClient ntlm(c);
    RawReq r = session_setup(ntlm.first_token(hint_), wire::SESSION_FLAG_BINDING, session_id);
    r.sign = std::move(session_keys);
    return call_status(std::move(r));
  }

  uint32_t tree_connect(const std::string& unc, wire::NtStatus* status = nullptr) {
    auto path = utf16(unc);
    wire::TreeConnectRequest q;
    q.path = {path.data(), path.size()};
    RawReq r(wire::Command::TreeConnect);
    r.session_id = session_id_;
    wire::encode_request(r.msg, q);
    auto m = call(std::move(r));
    if (status) *status = m ? m->status() : kNoAnswer;
    return m && m->status() == wire::status::SUCCESS ? m->hdr.tree_id : 0;
  }

  // ----------------------------------------------------- request builders

  RawReq create(uint32_t tid, std::string_view name, uint32_t access, uint32_t share,
                uint32_t disposition, uint32_t options = 0, uint8_t oplock = 0) const {
    auto n = utf16(name);
    wire::CreateRequest q;
    q.oplock_level = oplock;
    q.impersonation_level = 2;
    q.desired_access = access;
    q.share_access = share;
    q.disposition = disposition;
    q.options = options;
    q.name = {n.data(), n.size()};
    RawReq r(wire::Command::Create);
    addr(r, tid);
    wire::encode_request(r.msg, q);
    return r;
  }
  RawReq close_file(uint32_t tid, wire::FileId f) const {
    wire::CloseRequest q;
    q.file_id = f;
    RawReq r(wire::Command::Close);
    addr(r, tid);
    wire::encode_request(r.msg, q);
    return r;
  }
  RawReq read(uint32_t tid, wire::FileId f, uint64_t off, uint32_t len) const {
    wire::ReadRequest q;
    q.file_id = f;
    q.offset = off;
    q.length = len;
    RawReq r(wire::Command::Read);
    addr(r, tid);
    r.credit_charge = static_cast<uint16_t>(len == 0 ? 1 : (len - 1) / 65536 + 1);
    wire::encode_request(r.msg, q);
    return r;
  }
  RawReq write(uint32_t tid, wire::FileId f, uint64_t off, wire::Bytes data) const {
    wire::WriteRequest q;
    q.file_id = f;
    q.offset = off;
    q.length = static_cast<uint32_t>(data.size());
    q.data = data;
    RawReq r(wire::Command::Write);
    addr(r, tid);
    r.credit_charge = static_cast<uint16_t>(data.empty() ? 1 : (data.size() - 1) / 65536 + 1);
    wire::encode_request(r.msg, q);
    return r;
  }
  RawReq query_directory(uint32_t tid, wire::FileId f, bool restart = true) const {
    auto pat = utf16("*");
    wire::QueryDirectoryRequest q;
    q.info_class = 37;  // FileIdBothDirectoryInformation
    q.flags = restart ? wire::QD_RESTART_SCANS : 0;
    q.file_id = f;
    q.pattern = {pat.data(), pat.size()};
    q.output_length = 65536;
    RawReq r(wire::Command::QueryDirectory);
    addr(r, tid);
    wire::encode_request(r.msg, q);
    return r;
  }
  RawReq query_info(uint32_t tid, wire::FileId f) const {
    wire::QueryInfoRequest q;
    q.info_type = wire::INFO_FILE;
    q.info_class = 18;  // FileAllInformation
    q.output_length = 4096;
    q.file_id = f;
    RawReq r(wire::Command::QueryInfo);
    addr(r, tid);
    wire::encode_request(r.msg, q);
    return r;
  }
  RawReq change_notify(uint32_t tid, wire::FileId f) const {
    wire::ChangeNotifyRequest q;
    q.output_length = 4096;
    q.file_id = f;
    q.completion_filter = 0x3;  // FILE_NAME | DIR_NAME
    RawReq r(wire::Command::ChangeNotify);
    addr(r, tid);
    wire::encode_request(r.msg, q);
    return r;
  }
  RawReq oplock_ack(uint32_t tid, wire::FileId f, uint8_t level) const {
    wire::OplockBreakAck q;
    q.oplock_level = level;
    q.file_id = f;
    RawReq r(wire::Command::OplockBreak);
    addr(r, tid);
    wire::encode_request(r.msg, q);
    return r;
  }
  RawReq logoff() const {
    RawReq r(wire::Command::Logoff);
    r.session_id = session_id_;
    wire::encode_logoff_request(r.msg);
    return r;
  }
  RawReq tree_disconnect(uint32_t tid) const {
    RawReq r(wire::Command::TreeDisconnect);
    addr(r, tid);
    wire::encode_tree_disconnect_request(r.msg);
    return r;
  }
  RawReq echo() const {
    RawReq r(wire::Command::Echo);
    r.session_id = session_id_;
    wire::encode_echo_request(r.msg);
    return r;
  }

  // CREATE helpers: the FileId of a successful answer.
  static std::optional<wire::FileId> file_id_of(const std::optional<RawMsg>& m) {
    if (!m || m->status() != wire::status::SUCCESS) return std::nullopt;
    auto c = wire::parse_create_response(m->view());
    if (!c) return std::nullopt;
    return c->file_id;
  }
  static uint8_t oplock_of(const std::optional<RawMsg>& m) {
    if (!m || m->status() != wire::status::SUCCESS) return 0xEE;
    auto c = wire::parse_create_response(m->view());
    return c ? c->oplock_level : 0xEE;
  }

  // Uses another connection's session (a bound channel shares it).
  void use_session(uint64_t id, std::shared_ptr<const auth::SmbKeys> keys) {
    session_id_ = id;
    keys_ = std::move(keys);
  }

 private:
  void addr(RawReq& r, uint32_t tid) const {
    r.session_id = session_id_;
    r.tree_id = tid;
  }

  RawReq session_setup(std::vector<uint8_t> token, uint8_t flags, uint64_t sid) {
    token_ = std::move(token);
    wire::SessionSetupRequest q;
    q.flags = flags;
    q.security_mode = wire::NEGOTIATE_SIGNING_ENABLED;
    q.security_buffer = {token_.data(), token_.size()};
    q.previous_session_id = previous_;
    RawReq r(wire::Command::SessionSetup);
    r.session_id = sid;
    wire::encode_request(r.msg, q);
    return r;
  }

  // One NTLMSSP exchange over SESSION_SETUP (MS-SMB2 3.2.4.2.3). sid 0:
  // a new session; binding keys set: a binding of session sid; otherwise
  // a re-authentication of sid.
  wire::NtStatus authenticate(const std::string& user, const std::string& password, uint64_t sid,
                              std::shared_ptr<const auth::SmbKeys> binding) {
    auth::NtlmCredentials c;
    c.user = user;
    c.password = password;
    auth::NtlmClient ntlm(c);
    std::vector<uint8_t> token = ntlm.first_token(hint_);
    const uint8_t flags = binding ? wire::SESSION_FLAG_BINDING : 0;
    for (int round = 0; round < 3; ++round) {
      RawReq r = session_setup(std::move(token), flags, sid);
      r.sign = binding;
      auto m = call(std::move(r));
      if (!m) return kNoAnswer;
      const wire::NtStatus s = m->status();
      if (s != wire::status::SUCCESS && s != wire::status::MORE_PROCESSING_REQUIRED) return s;
      auto resp = wire::parse_session_setup_response(m->view());
      if (!resp) return wire::status::INVALID_NETWORK_RESPONSE;
      sid = m->hdr.session_id;
      if (s == wire::status::MORE_PROCESSING_REQUIRED) {
        auto next = ntlm.next_token(resp->security_buffer);
        if (!next) return wire::status::LOGON_FAILURE;
        token = std::move(*next);
        continue;
      }
      if (!binding) {
        session_id_ = sid;
        keys_ = std::make_shared<auth::SmbKeys>(
            auth::derive_smb_keys(ntlm.session_key(), wire::dialect::SMB302,
                                  wire::signalg::AES_CMAC, wire::cipher::AES128_CCM, nullptr));
      } else {
        use_session(sid, std::move(binding));
      }
      return wire::status::SUCCESS;
    }
    return wire::status::LOGON_FAILURE;
  }

  void take_credits(uint16_t charge) {
    const uint32_t need = charge == 0 ? 1 : charge;
    // Answers bring credits; read what has come until there are enough.
    auto until = std::chrono::steady_clock::now() + 30s;
    while (credits_ < need && !eof_ && std::chrono::steady_clock::now() < until) {
      receive_frame(100ms);
    }
    if (credits_ < need) {
      ADD_FAILURE() << "out of credits";
      return;
    }
    credits_ -= need;
  }

  void write_all(const std::vector<uint8_t>& b) {
    size_t off = 0;
    while (fd_ >= 0 && off < b.size()) {
      ssize_t n = ::send(fd_, b.data() + off, b.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;  // the server closed: waits will say so
      off += static_cast<size_t>(n);
    }
  }

  template <class Pred>
  std::optional<RawMsg> wait_for(Pred pred, std::chrono::milliseconds timeout) {
    auto until = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      for (auto it = stash_.begin(); it != stash_.end(); ++it) {
        if (pred(*it)) {
          RawMsg m = std::move(*it);
          stash_.erase(it);
          return m;
        }
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      if (eof_ || left.count() <= 0) return std::nullopt;
      receive_frame(left);
    }
  }

  // Reads one frame if one begins within timeout; its messages go to the
  // stash. False on timeout or end of stream.
  bool receive_frame(std::chrono::milliseconds timeout) {
    if (fd_ < 0 || eof_) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(std::max<int64_t>(timeout.count(), 0))) <= 0) return false;
    // A frame has begun: the rest follows (a bound keeps a broken server
    // from hanging the test).
    uint8_t nb[4];
    if (!read_exact(nb, 4)) return false;
    const size_t len = (size_t{nb[1]} << 16) | (size_t{nb[2]} << 8) | nb[3];
    std::vector<uint8_t> frame(len);
    if (!read_exact(frame.data(), len)) return false;
    size_t off = 0;
    while (off < len) {
      auto h = wire::parse_header(wire::Bytes(frame.data() + off, len - off));
      if (!h) {
        ADD_FAILURE() << "unparsable response";
        eof_ = true;
        return false;
      }
      const size_t n = h->next_command ? std::min<size_t>(h->next_command, len - off) : len - off;
      RawMsg m;
      m.hdr = *h;
      m.bytes.assign(frame.begin() + static_cast<long>(off),
                     frame.begin() + static_cast<long>(off + n));
      credits_ += h->credits;
      stash_.push_back(std::move(m));
      if (h->next_command == 0) break;
      off += n;
    }
    return true;
  }

  bool read_exact(uint8_t* dst, size_t n) {
    size_t got = 0;
    auto until = std::chrono::steady_clock::now() + 30s;
    while (got < n) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      pollfd p{fd_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
        ADD_FAILURE() << "a response frame stopped half way";
        eof_ = true;
        return false;
      }
      ssize_t r = ::recv(fd_, dst + got, n - got, 0);
      if (r <= 0) {
        eof_ = true;
        return false;
      }
      got += static_cast<size_t>(r);
    }
    return true;
  }

  int fd_ = -1;
  bool eof_ = false;
  uint64_t next_mid_ = 0;
  uint32_t credits_ = 1;
  std::vector<uint8_t> hint_;
  std::vector<uint8_t> token_;
  uint64_t session_id_ = 0;
  uint64_t previous_ = 0;
  std::shared_ptr<const auth::SmbKeys> keys_;
  std::deque<RawMsg> stash_;
};

}  // namespace ringsmb::testing
