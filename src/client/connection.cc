#include "client/connection.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "client/replies.h"
#include "rt/iov.h"
#include "rt/ops.h"
#include "wire/client.h"
#include "wire/transform.h"

namespace ringsmb::client {

namespace st = wire::status;

namespace {

constexpr size_t kStagingSize = 64 * 1024;
constexpr size_t kMaxIovPerSend = 256;
// The largest frame we accept: an 8 MiB READ plus headers and padding, or
// a 16 MiB directory/ioctl answer at most.
constexpr size_t kMaxFrame = 16 * 1024 * 1024 + 64 * 1024;

wire::Guid process_guid() {
  static wire::Guid g = [] {
    wire::Guid x;
    auth::random_bytes(std::span<uint8_t>(x.b, sizeof(x.b)));
    return x;
  }();
  return g;
}

bool is_v3(uint16_t d) { return d >= wire::dialect::SMB300 && d != wire::dialect::WILDCARD; }

}  // namespace

std::string Endpoint::to_string() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

NtStatus status_from_socket_error(int e) {
  switch (-e) {
    case ECONNREFUSED:
      return st::CONNECTION_REFUSED;
    case ENETUNREACH:
      return st::NETWORK_UNREACHABLE;
    case EHOSTUNREACH:
      return st::HOST_UNREACHABLE;
    case ETIMEDOUT:
    case ECANCELED:
      return st::IO_TIMEOUT;
    default:
      return st::CONNECTION_DISCONNECTED;
  }
}

// A call waiting for its answer; lives in the calling coroutine's frame.
struct Connection::Pending {
  std::coroutine_handle<> h;
  Result<Reply> result{wire::Err{st::CONNECTION_DISCONNECTED}};
  Protection prot;
  uint32_t charge = 1;
  bool async = false;  // an interim STATUS_PENDING came: no deadline
  bool done = false;
  std::chrono::steady_clock::time_point deadline;
  uint16_t command = 0;
};

Connection::Connection(Endpoint ep, ConnectOptions opt, int fd)
    : ep_(std::move(ep)), opt_(std::move(opt)), fd_(fd), worker_(rt::Worker::current()) {}

Connection::~Connection() {
  if (fd_ >= 0) ::close(fd_);
}

bool Connection::can_encrypt() const {
  return is_v3(dialect_) && cipher_ != 0;
}

void Connection::add_session_keys(uint64_t id, std::shared_ptr<const auth::SmbKeys> k) {
  session_keys_[id] = std::move(k);
}
void Connection::remove_session_keys(uint64_t id) { session_keys_.erase(id); }

rt::Task<Result<std::shared_ptr<Connection>>> Connection::open(Endpoint ep, ConnectOptions opt) {
  if (opt.client_guid.is_zero()) opt.client_guid = process_guid();
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  std::string port = std::to_string(ep.port);
  if (getaddrinfo(ep.host.c_str(), port.c_str(), &hints, &res) != 0 || res == nullptr) {
    co_return wire::Err{st::BAD_NETWORK_PATH};
  }
  int fd = -1;
  int last = -ECONNREFUSED;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      last = -errno;
      continue;
    }
    int rc = co_await rt::connect(fd, ai->ai_addr, ai->ai_addrlen)
                 .deadline(std::chrono::duration_cast<std::chrono::nanoseconds>(opt.timeout));
    if (rc == 0) break;
    last = rc;
    ::close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (fd < 0) co_return wire::Err{status_from_socket_error(last)};
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

  std::shared_ptr<Connection> c(new Connection(std::move(ep), std::move(opt), fd));
  c->rbuf_ = c->worker_->buffers().get(kStagingSize);
  rt::spawn(c->reader());
  NtStatus s = co_await c->negotiate();
  if (s != st::SUCCESS) {
    c->close();
    co_return wire::Err{s};
  }
  rt::spawn(c->watchdog());
  co_return c;
}

// MS-SMB2 3.2.4.2.2 (NEGOTIATE) and 3.2.5.2 (its response).
rt::Task<NtStatus> Connection::negotiate() {
  static constexpr uint16_t kAll[] = {wire::dialect::SMB202, wire::dialect::SMB210,
                                      wire::dialect::SMB300, wire::dialect::SMB302,
                                      wire::dialect::SMB311};
  wire::NegotiateRequest q;
  q.security_mode = wire::NEGOTIATE_SIGNING_ENABLED |
                    (opt_.require_signing ? wire::NEGOTIATE_SIGNING_REQUIRED : 0);
  q.client_guid = opt_.client_guid;
  for (uint16_t d : kAll)
    if (d >= opt_.min_dialect && d <= opt_.max_dialect) q.dialects.push_back(d);
  if (q.dialects.empty()) co_return st::INVALID_PARAMETER;
  const bool offer3 = opt_.max_dialect >= wire::dialect::SMB300;
  if (offer3) {
    q.capabilities = wire::cap::LARGE_MTU | wire::cap::MULTI_CHANNEL | wire::cap::ENCRYPTION;
  }
  std::vector<uint8_t> pre, enc, sig;
  const bool offer311 = opt_.max_dialect >= wire::dialect::SMB311;
  if (offer311) {
    uint8_t salt[32];
    auth::random_bytes(std::span<uint8_t>(salt, sizeof(salt)));
    pre = wire::preauth_context(Bytes(salt, sizeof(salt)));
    enc = wire::u16_list_context(opt_.ciphers);
    sig = wire::u16_list_context(opt_.signing_algs);
    q.contexts.push_back({wire::negctx::PREAUTH_INTEGRITY_CAPABILITIES, pre});
    if (!opt_.ciphers.empty()) q.contexts.push_back({wire::negctx::ENCRYPTION_CAPABILITIES, enc});
    if (!opt_.signing_algs.empty())
      q.contexts.push_back({wire::negctx::SIGNING_CAPABILITIES, sig});
  }
  Call c(static_cast<uint16_t>(wire::Command::Negotiate));
  wire::encode_request(c.msg, q);
  c.preauth = &preauth_;
  auto r = co_await call(std::move(c));
  if (!r) co_return r.status();
  if (r->status() != st::SUCCESS) co_return r->status();
  NegotiateOffer offer{q.dialects, opt_.ciphers, opt_.signing_algs, opt_.max_io};
  auto n = settle_negotiate(offer, r->msg);
  if (!n) co_return n.status();
  dialect_ = n->dialect;
  cipher_ = n->cipher;
  signing_alg_ = n->signing_alg;
  server_caps_ = n->capabilities;
  server_security_mode_ = n->security_mode;
  server_guid_ = n->server_guid;
  security_hint_.assign(n->security_hint.begin(), n->security_hint.end());
  max_read_ = n->max_read;
  max_write_ = n->max_write;
  max_transact_ = n->max_transact;
  if (dialect_ == wire::dialect::SMB311) preauth_.update(r->msg);
  co_return st::SUCCESS;
}

namespace {
// Awaits until the pending call is answered; the receive loop resumes it.
struct WaitReply {
  bool& done;
  std::coroutine_handle<>& slot;
  bool await_ready() const noexcept { return done; }
  void await_suspend(std::coroutine_handle<> h) { slot = h; }
  void await_resume() const noexcept {}
};
}  // namespace

rt::Task<Result<Reply>> Connection::call(Call c) {
  if (dead_) co_return wire::Err{dead_status_};
  const bool large_mtu = dialect_ >= wire::dialect::SMB210;
  const uint32_t charge = CreditWindow::charge_for(c.payload_size, large_mtu);
  while (!dead_ && !window_.affords(charge)) {
    // Nothing in flight can bring more credits: the server granted too
    // few for a request this large.
    if (window_.starved(charge)) co_return wire::Err{st::INSUFFICIENT_RESOURCES};
    credit_event_.reset();
    co_await credit_event_.wait();
  }
  if (dead_) co_return wire::Err{dead_status_};
  const uint64_t mid = window_.spend(charge);

  wire::Header h;
  h.command = c.command;
  h.credit_charge = large_mtu ? static_cast<uint16_t>(charge) : 0;
  // Ask for what we spend plus whatever brings us back to the target.
  h.credits = window_.request(charge, opt_.credit_target);
  h.message_id = mid;
  h.tree_id = c.tree_id;
  h.session_id = c.prot.session_id;
  h.flags = c.extra_flags;
  const bool seal = c.prot.seal != nullptr;
  const bool sign = !seal && c.prot.sign != nullptr;
  if (sign) h.flags |= wire::flags::SIGNED;
  encode_header(c.msg.data(), h);
  if (dialect_ >= wire::dialect::SMB300) wire::st16(c.msg.data() + 8, c.channel_sequence);
  Bytes pieces[2] = {c.msg.bytes(), c.payload};
  if (sign) {
    auto s = auth::smb_signature(*c.prot.sign, mid, false,
                                 c.command == static_cast<uint16_t>(wire::Command::Cancel), pieces);
    std::memcpy(c.msg.data() + 48, s.data(), 16);
  }
  if (c.preauth != nullptr) c.preauth->update(pieces);

  OutFrame f;
  const size_t plain = c.msg.size() + c.payload.size();
  if (seal) {
    const auth::SmbKeys& k = *c.prot.seal;
    wire::TransformHeader th;
    nonces_.next(k.cipher, th.nonce);
    th.original_size = static_cast<uint32_t>(plain);
    th.flags = wire::TRANSFORM_FLAG_ENCRYPTED;
    th.session_id = c.prot.session_id;
    f.bytes.resize(4 + wire::kTransformHeaderSize + plain);
    uint8_t* t = f.bytes.data() + 4;
    wire::encode_transform(t, th);
    uint8_t tag[16];
    bool ok = auth::aead_encrypt(
        auth::is_gcm(k.cipher) ? auth::Aead::Gcm : auth::Aead::Ccm,
        Bytes(k.decryption_key.data(), k.decryption_key.size()),  // client to server
        Bytes(th.nonce, auth::nonce_len(k.cipher)),
        Bytes(t + wire::kTransformAadOffset, wire::kTransformHeaderSize - wire::kTransformAadOffset),
        pieces, t + wire::kTransformHeaderSize, tag);
    if (!ok) co_return wire::Err{st::INTERNAL_ERROR};
    std::memcpy(t + 4, tag, 16);
  } else {
    f.bytes = std::move(c.msg.vec());
    f.bytes.insert(f.bytes.begin(), 4, 0);
    f.payload = c.payload;
  }
  const size_t total = f.bytes.size() - 4 + f.payload.size();
  f.bytes[0] = 0;
  f.bytes[1] = static_cast<uint8_t>(total >> 16);
  f.bytes[2] = static_cast<uint8_t>(total >> 8);
  f.bytes[3] = static_cast<uint8_t>(total);

  Pending p;
  p.prot = std::move(c.prot);
  p.charge = charge;
  p.command = c.command;
  p.deadline = std::chrono::steady_clock::now() + opt_.timeout;
  pending_[mid] = &p;
  ++stats_.calls;
  enqueue(std::move(f));
  co_await WaitReply{p.done, p.h};
  co_return std::move(p.result);
}

void Connection::enqueue(OutFrame f) {
  sendq_.push_back(std::move(f));
  if (!sender_running_) {
    sender_running_ = true;
    sender_idle_.reset();
    rt::spawn(sender());
  }
}

rt::Task<void> Connection::sender() {
  auto self = shared_from_this();
  std::vector<OutFrame> batch;
  std::vector<iovec> iov;
  while (!sendq_.empty() && !dead_) {
    batch.clear();
    iov.clear();
    while (!sendq_.empty() && iov.size() + 2 <= kMaxIovPerSend) {
      batch.push_back(std::move(sendq_.front()));
      sendq_.pop_front();
      const OutFrame& b = batch.back();
      iov.push_back({const_cast<uint8_t*>(b.bytes.data()), b.bytes.size()});
      if (!b.payload.empty())
        iov.push_back({const_cast<uint8_t*>(b.payload.data()), b.payload.size()});
    }
    size_t idx = 0;
    while (idx < iov.size()) {
      msghdr mh{};
      mh.msg_iov = iov.data() + idx;
      mh.msg_iovlen = iov.size() - idx;
      int n = co_await rt::sendmsg(fd_, &mh, MSG_NOSIGNAL);
      if (n <= 0) {
        fail(n == 0 ? st::CONNECTION_DISCONNECTED : status_from_socket_error(n));
        break;
      }
      stats_.bytes_sent += static_cast<uint64_t>(n);
      rt::advance_iov(iov, &idx, static_cast<size_t>(n));
    }
  }
  if (dead_) sendq_.clear();
  sender_running_ = false;
  sender_idle_.set();
}

rt::Task<int> Connection::recv_exact(uint8_t* dst, size_t n) {
  size_t got = 0;
  while (got < n) {
    if (rpos_ < rlen_) {
      size_t take = std::min(n - got, rlen_ - rpos_);
      std::memcpy(dst + got, rbuf_.data() + rpos_, take);
      rpos_ += take;
      got += take;
      continue;
    }
    const size_t want = n - got;
    int rc;
    if (want >= kStagingSize) {
      rc = co_await rt::recv(fd_, dst + got, static_cast<unsigned>(std::min<size_t>(want, 1u << 30)));
      if (rc <= 0) co_return rc == 0 ? -ECONNRESET : rc;
      got += static_cast<size_t>(rc);
    } else {
      rc = co_await rt::recv(fd_, rbuf_.data(), static_cast<unsigned>(rbuf_.capacity()));
      if (rc <= 0) co_return rc == 0 ? -ECONNRESET : rc;
      rpos_ = 0;
      rlen_ = static_cast<size_t>(rc);
    }
    stats_.bytes_received += static_cast<uint64_t>(rc);
  }
  co_return static_cast<int>(n);
}

rt::Task<void> Connection::reader() {
  auto self = shared_from_this();
  worker_->hold();
  uint8_t nb[4];
  while (!dead_) {
    int rc = co_await recv_exact(nb, 4);
    if (rc <= 0) {
      fail(status_from_socket_error(rc));
      break;
    }
    const size_t len = (size_t{nb[1]} << 16) | (size_t{nb[2]} << 8) | nb[3];
    if (nb[0] != 0 || len < 4 || len > kMaxFrame) {
      fail(st::INVALID_NETWORK_RESPONSE);
      break;
    }
    rt::Buffer buf = worker_->buffers().get(len);
    rc = co_await recv_exact(buf.data(), len);
    if (rc <= 0) {
      fail(status_from_socket_error(rc));
      break;
    }
    handle_frame(std::move(buf), len);
  }
  // Calls must not resume while the sender may still read their payloads.
  while (sender_running_) co_await sender_idle_.wait();
  for (auto& [mid, p] : pending_) {
    p->result = wire::Err{dead_status_};
    p->done = true;
    if (p->h) rt::detail::Resumer::schedule(p->h);
  }
  pending_.clear();
  credit_event_.set();
  reader_done_.set();
  worker_->unhold();
}

rt::Task<void> Connection::watchdog() {
  auto self = shared_from_this();
  worker_->hold();
  while (!dead_) {
    rt::Sleep sl(std::chrono::seconds(1));
    watchdog_sleep_ = &sl;
    co_await sl;
    watchdog_sleep_ = nullptr;
    if (dead_) break;
    auto now = std::chrono::steady_clock::now();
    for (auto& [mid, p] : pending_) {
      if (!p->async && p->deadline < now) {
        fail(st::IO_TIMEOUT);
        break;
      }
    }
  }
  worker_->unhold();
}

void Connection::fail(NtStatus why) {
  if (dead_) return;
  dead_ = true;
  dead_status_ = why;
  ::shutdown(fd_, SHUT_RDWR);
  credit_event_.set();
  if (watchdog_sleep_ != nullptr) {  // wake the watchdog so it can end
    io_uring_sqe* s = rt::Ring::current()->sqe();
    io_uring_prep_timeout_remove(
        s, reinterpret_cast<uint64_t>(static_cast<rt::Completion*>(watchdog_sleep_)), 0);
    io_uring_sqe_set_data(s, nullptr);
    watchdog_sleep_ = nullptr;
  }
}

void Connection::close() {
  if (!dead_) fail(st::CONNECTION_DISCONNECTED);
}

void Connection::grant(uint16_t n) {
  window_.grant(n);
  if (n > 0) credit_event_.set();
}

void Connection::handle_frame(rt::Buffer buf, size_t len) {
  Bytes frame(buf.data(), len);
  const uint32_t proto = wire::ld32(frame.data());
  if (proto == wire::kTransformProtocolId) {
    auto th = sealed_header(frame);
    if (!th) {
      fail(th.status());
      return;
    }
    auto it = session_keys_.find(th->session_id);
    if (it == session_keys_.end() || !it->second) {
      fail(st::INVALID_NETWORK_RESPONSE);
      return;
    }
    const size_t plain = th->original_size;
    rt::Buffer out = worker_->buffers().get(plain);
    const NtStatus s = unseal(*it->second, frame, *th, out.data());
    if (s != st::SUCCESS) {
      fail(s);
      return;
    }
    const Bytes msgs(out.data(), plain);
    handle_message(std::move(out), msgs, true, true);
    return;
  }
  if (proto != wire::kSmb2ProtocolId || frame.size() < wire::kHeaderSize) {
    fail(st::INVALID_NETWORK_RESPONSE);
    return;
  }
  handle_message(std::move(buf), frame, false, true);
}

// One frame may hold a chain of responses (NextCommand); each goes to its
// own call. A lone message keeps the frame buffer; chained ones are copied.
void Connection::handle_message(rt::Buffer buf, Bytes frame, bool encrypted, bool) {
  size_t off = 0;
  for (;;) {
    auto m = next_reply(frame, off);
    if (!m) {
      fail(m.status());
      return;
    }
    const wire::Header& h = m->hdr;
    const Bytes msg = m->msg;
    const size_t len = msg.size();
    grant(h.credits);

    auto it = pending_.find(h.message_id);
    if (h.message_id == ~uint64_t{0} || it == pending_.end()) {
      // OPLOCK_BREAK notifications (we take no oplocks) or replies nobody
      // waits for any more.
    } else if (is_interim(h)) {
      it->second->async = true;  // 3.2.5.1.5: the final answer comes later
    } else {
      Pending* p = it->second;
      pending_.erase(it);
      window_.settle(p->charge);
      Result<Reply> r{wire::Err{st::INVALID_NETWORK_RESPONSE}};
      const NtStatus verdict = check_reply(p->prot, h, msg, encrypted);
      if (verdict != st::SUCCESS) {
        r = wire::Err{verdict};
      } else {
        Reply rep;
        if (len == frame.size() && off == 0 && buf) {
          rep.buf = std::move(buf);
          rep.msg = msg;
        } else {
          rep.buf = worker_->buffers().get(len);
          std::memcpy(rep.buf.data(), msg.data(), len);
          rep.msg = Bytes(rep.buf.data(), len);
        }
        rep.hdr = h;
        rep.was_encrypted = encrypted;
        r = std::move(rep);
      }
      p->result = std::move(r);
      p->done = true;
      if (p->h) rt::detail::Resumer::schedule(p->h);
    }
    if (h.next_command == 0) break;
    off += len;
  }
}

}  // namespace ringsmb::client
