#include "server/connection.h"

#include <fcntl.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "rt/iov.h"
#include "rt/ops.h"
#include "rt/worker.h"
#include "server/dispatch.h"
#include "server/log.h"
#include "server/server.h"
#include "server/session_ops.h"
#include "wire/smb1.h"
#include "wire/transform.h"
#include "auth/smb_keys.h"
#include "wire/validate.h"

namespace ringsmb::server {

using namespace std::chrono_literals;

namespace {
constexpr size_t kStagingSize = 64 * 1024;
// WRITE frames from this size on may take the splice path.
constexpr size_t kSpliceWriteMin = 128 * 1024;
// Before a session is authenticated a frame has no business being large:
// this bounds what an anonymous peer can make the server allocate.
constexpr size_t kPreAuthMaxFrame = 128 * 1024;
// Received-but-unanswered bytes per connection before the reader waits.
constexpr size_t kMaxBytesInFlight = 64 * 1024 * 1024;
constexpr size_t kMaxIovPerSend = 256;
}  // namespace

Connection::Connection(Server& server, int fd, std::string peer)
    : server_(server),
      fd_(fd),
      peer_(std::move(peer)),
      credits_(server.config().max_credits),
      frame_slots_(server.config().limits.outstanding_requests) {
  peer_addr_ = peer_address(peer_);
}

std::string peer_address(const std::string& peer) {
  // "1.2.3.4:445" or "[::1]:445" -> the address alone.
  size_t colon = peer.rfind(':');
  std::string a = colon == std::string::npos ? peer : peer.substr(0, colon);
  if (a.size() > 1 && a.front() == '[') a = a.substr(1, a.size() - 2);
  return a;
}

Connection::~Connection() {
  if (fd_ >= 0) ::close(fd_);
}

void Connection::close() {
  if (closing_) return;
  closing_ = true;
  ::shutdown(fd_, SHUT_RDWR);
}

bool Connection::can_encrypt() const {
  if (dialect_ == wire::dialect::SMB311) return cipher_ != 0;
  return (dialect_ == wire::dialect::SMB300 || dialect_ == wire::dialect::SMB302) &&
         (server_caps_ & wire::cap::ENCRYPTION) != 0;
}

uint32_t Connection::max_io() const {
  return large_mtu() ? server_.config().max_io_size : 65536;
}

void Connection::set_negotiated(uint16_t dialect, uint16_t client_security_mode,
                                uint32_t client_caps, const wire::Guid& client_guid,
                                std::vector<uint16_t> client_dialects) {
  dialect_ = dialect;
  client_security_mode_ = client_security_mode;
  client_caps_ = client_caps;
  client_guid_ = client_guid;
  client_dialects_ = std::move(client_dialects);
}

void Connection::add_session(const std::shared_ptr<Session>& s) {
  if (!has_session(s->id)) sessions_.push_back(s);
  std::erase_if(pending_sessions_, [&](const auto& w) {
    auto p = w.lock();
    return !p || p == s;
  });
  authenticated_once_ = true;
}

void Connection::remove_session(uint64_t id) {
  std::erase_if(sessions_, [id](const auto& s) { return s->id == id; });
}

bool Connection::has_session(uint64_t id) const {
  return std::any_of(sessions_.begin(), sessions_.end(),
                     [id](const auto& s) { return s->id == id; });
}

size_t Connection::session_count() const {
  size_t n = sessions_.size();
  for (const auto& w : pending_sessions_)
    if (!w.expired()) ++n;
  return n;
}

// Fills dst with exactly n bytes: first from the staging buffer, then from
// the socket (large reads go straight into dst). Returns n, 0 at end of
// stream, or -errno (-ECANCELED when the deadline passed first).
rt::Task<int> Connection::recv_exact(uint8_t* dst, size_t n, Clock::time_point deadline) {
  size_t got = 0;
  while (got < n) {
    // One deadline for the whole of it, so a peer trickling bytes cannot
    // stretch it.
    auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - Clock::now());
    if (left.count() <= 0) co_return -ECANCELED;
    if (rpos_ < rlen_) {
      size_t take = std::min(n - got, rlen_ - rpos_);
      std::memcpy(dst + got, rbuf_.data() + rpos_, take);
      rpos_ += take;
      got += take;
      continue;
    }
    const size_t want = n - got;
    if (want >= kStagingSize) {
      unsigned chunk = static_cast<unsigned>(std::min<size_t>(want, 1u << 30));
      int rc = co_await rt::recv(fd_, dst + got, chunk).deadline(left);
      if (rc <= 0) co_return rc;
      got += static_cast<size_t>(rc);
    } else {
      int rc = co_await rt::recv(fd_, rbuf_.data(), rbuf_.capacity()).deadline(left);
      if (rc <= 0) co_return rc;
      rpos_ = 0;
      rlen_ = static_cast<size_t>(rc);
    }
  }
  co_return static_cast<int>(n);
}

bool Connection::idle() const {
  if (inflight_.count() != 0 || !cancel_by_mid_.empty() || !cancel_by_async_.empty()) return false;
  for (const auto& s : sessions_) {
    std::lock_guard lk(s->mu);
    if (!s->opens.empty()) return false;
  }
  return true;
}

rt::Task<int> Connection::await_next_frame() {
  const Limits& lim = server_.config().limits;
  while (rpos_ == rlen_) {
    Clock::time_point deadline = Clock::time_point::max();
    if (!authenticated_once_) {
      deadline = handshake_deadline_;
    } else if (lim.idle_timeout_s != 0) {
      deadline = Clock::now() + std::chrono::seconds(lim.idle_timeout_s);
    }
    auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - Clock::now());
    if (left.count() <= 0) co_return -ETIMEDOUT;
    int rc = deadline == Clock::time_point::max()
                 ? co_await rt::recv(fd_, rbuf_.data(), rbuf_.capacity())
                 : co_await rt::recv(fd_, rbuf_.data(), rbuf_.capacity()).deadline(left);
    if (rc == -ECANCELED) {
      // Time ran out with nothing received. An authenticated connection
      // with something open or in flight is not idle: wait again.
      if (!authenticated_once_ || idle()) co_return -ETIMEDOUT;
      continue;
    }
    if (rc <= 0) co_return rc;
    rpos_ = 0;
    rlen_ = static_cast<size_t>(rc);
  }
  co_return 1;
}

rt::Task<void> Connection::reserve_memory(size_t len) {
  // Waiting for this connection's own requests to finish is exact; when
  // others hold the memory, poll (they are on other workers).
  while (!closing_ && !server_.reserve_buffer(len)) {
    if (inflight_bytes_ > 0) {
      bytes_freed_.reset();
      co_await bytes_freed_.wait();
    } else {
      co_await rt::sleep(std::chrono::milliseconds(2));
    }
  }
}

rt::Task<void> Connection::run() {
  auto self = shared_from_this();
  rt::Worker* w = rt::Worker::current();
  w->hold();
  rbuf_ = w->buffers().get(kStagingSize);
  const Limits& lim = server_.config().limits;
  handshake_deadline_ = Clock::now() + std::chrono::seconds(server_.config().handshake_timeout_s);
  log::debug("{}: connected", peer_);
  uint8_t nb[4];
  while (!closing_) {
    int rc = co_await await_next_frame();
    if (rc <= 0) {
      if (rc == -ETIMEDOUT && !authenticated_once_) {
        log::info("{}: no session after {} s, closing", peer_, server_.config().handshake_timeout_s);
      } else if (rc == -ETIMEDOUT) {
        log::info("{}: idle for {} s with nothing open, closing", peer_, lim.idle_timeout_s);
      }
      break;
    }
    const bool handshake = !authenticated_once_;
    // Once its first byte is here, a frame must arrive whole in time
    // (before SESSION_SETUP completes: within the handshake deadline).
    Clock::time_point deadline =
        handshake ? handshake_deadline_
                  : Clock::now() + std::chrono::seconds(lim.request_timeout_s);
    rc = co_await recv_exact(nb, 4, deadline);
    if (rc <= 0) {
      if (rc == -ECANCELED) log::info("{}: frame header too slow, closing", peer_);
      break;
    }
    // Direct TCP transport (MS-SMB2 2.1): a zero byte, then a 24-bit length.
    const size_t len = (size_t{nb[1]} << 16) | (size_t{nb[2]} << 8) | nb[3];
    if (nb[0] != 0) {
      log::info("{}: bad transport header type 0x{:02x}, closing", peer_, nb[0]);
      break;
    }
    const size_t limit = handshake ? kPreAuthMaxFrame : max_io() + 64 * 1024;
    if (len < 4 || len > limit) {
      log::info("{}: frame length {} out of range (limit {}), closing", peer_, len, limit);
      break;
    }
    co_await frame_slots_.acquire();
    while (inflight_bytes_ > 0 && inflight_bytes_ + len > kMaxBytesInFlight && !closing_) {
      bytes_freed_.reset();
      co_await bytes_freed_.wait();
    }
    co_await reserve_memory(len);
    if (closing_) {
      frame_slots_.release();
      break;
    }
    // The rest of the frame, in time, after any wait for memory.
    if (!handshake) deadline = Clock::now() + std::chrono::seconds(lim.request_timeout_s);
    auto drop = [&] {
      frame_slots_.release();
      server_.release_buffer(len);
      if (rc == -ECANCELED) log::info("{}: request of {} bytes too slow, closing", peer_, len);
    };
    rt::Buffer frame = w->buffers().get(len);
    // A large plain WRITE to a share that asks for it: the payload goes
    // socket -> pipe here and pipe -> file in the handler.
    std::unique_ptr<rt::PipeLease> pipe;
    size_t head = 0;
    if (!handshake && len >= kSpliceWriteMin && splice_writes()) {
      rc = co_await recv_exact(frame.data(), kWriteHead, deadline);
      if (rc <= 0) {
        drop();
        break;
      }
      head = kWriteHead;
      if (splice_write_wanted(*this, frame.data(), len)) {
        pipe = std::make_unique<rt::PipeLease>(rt::PipePool::current().get());
        if (!*pipe || pipe->capacity() < len) pipe.reset();
      }
      if (pipe) {
        rc = co_await recv_splice(*pipe, len - head, deadline);
        if (rc == -EAGAIN) {
          // The pipe filled up (small socket buffers take a slot each):
          // what is in it goes to the frame, the rest is received.
          head += pipe->pending;
          rc = pipe->drain(frame.data() + kWriteHead) ? 1 : -EIO;
          pipe.reset();
        }
        if (rc <= 0) {
          drop();
          break;
        }
      }
    }
    if (!pipe) {
      rc = co_await recv_exact(frame.data() + head, len - head, deadline);
      if (rc <= 0) {
        drop();
        break;
      }
    }
    inflight_.add();
    inflight_bytes_ += len;
    rt::spawn(handle_frame(std::move(frame), len, std::move(pipe)));
  }
  co_await teardown();
  log::debug("{}: closed", peer_);
  w->unhold();
}

rt::Task<void> Connection::teardown() {
  close();
  // Requests waiting asynchronously end now (their responses go nowhere).
  for (auto& [mid, w] : cancel_by_mid_) w->wake(Waiter::Cleanup);
  co_await inflight_.wait();
  while (sender_running_) co_await rt::yield();
  sendq_.clear();
  // A session survives the loss of one channel; it ends with its last
  // (MS-SMB2 3.3.7.1).
  auto sessions = std::move(sessions_);
  sessions_.clear();
  for (auto& s : sessions) {
    bool last;
    {
      std::lock_guard lk(s->mu);
      std::erase_if(s->channels, [this](const Channel& c) { return c.conn == this; });
      last = s->channels.empty();
    }
    if (last) {
      co_await destroy_session(server_, s, true);
    } else {
      log::info("{}: channel of session 0x{:x} closed, the session goes on", peer_, s->id);
    }
  }
  for (auto& w : pending_sessions_) {
    if (auto s = w.lock()) co_await destroy_session(server_, s);
  }
  pending_sessions_.clear();
  rbuf_ = rt::Buffer();
}

// Fills the pipe with the next n bytes of the stream: what the staging
// buffer holds first, the rest spliced from the socket. Returns n, 0 at
// end of stream, -EAGAIN when the pipe is full before n (the caller takes
// what is in it), -ECANCELED when the deadline passed, or another -errno.
rt::Task<int> Connection::recv_splice(rt::PipeLease& pipe, size_t n, Clock::time_point deadline) {
  if (rpos_ < rlen_) {
    size_t take = std::min(n, rlen_ - rpos_);
    if (!pipe.fill(rbuf_.data() + rpos_, take)) co_return -EIO;
    rpos_ += take;
  }
  while (pipe.pending < n) {
    auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - Clock::now());
    if (left.count() <= 0) co_return -ECANCELED;
    // SPLICE_F_NONBLOCK concerns the pipe only: the socket still blocks
    // (in a kernel worker) until data comes, a full pipe says -EAGAIN.
    int rc = co_await rt::splice(fd_, -1, pipe.write_fd(), -1,
                                 static_cast<unsigned>(n - pipe.pending),
                                 SPLICE_F_MOVE | SPLICE_F_NONBLOCK)
                 .deadline(left);
    if (rc == -EINTR) continue;
    if (rc <= 0) co_return rc;
    pipe.pending += static_cast<size_t>(rc);
  }
  co_return static_cast<int>(n);
}

bool Connection::splice_writes() {
  if (splice_writes_ < 0) {
    splice_writes_ = 0;
    for (const auto& s : server_.config().shares)
      if (s.write_path == WritePath::Splice) splice_writes_ = 1;
  }
  return splice_writes_ == 1;
}

rt::Task<void> Connection::handle_frame(rt::Buffer buf, size_t len,
                                        std::unique_ptr<rt::PipeLease> spliced) {
  auto self = shared_from_this();
  wire::Bytes frame(buf.data(), len);
  const bool first = !got_first_frame_;
  got_first_frame_ = true;
  const uint32_t proto = wire::ld32(frame.data());
  if (proto == wire::kSmb2ProtocolId) {
    co_await process_smb2(*this, frame, buf.buf_index(), nullptr, spliced.get());
  } else if (proto == wire::kSmb1ProtocolId && first && !negotiated()) {
    co_await handle_smb1(frame);
  } else if (proto == wire::kTransformProtocolId && negotiated()) {
    co_await handle_transform(frame);
  } else {
    log::info("{}: unexpected protocol id 0x{:08x}, closing", peer_, proto);
    close();
  }
  frame_slots_.release();
  inflight_bytes_ -= len;
  server_.release_buffer(len);
  bytes_freed_.set();
  inflight_.done();
}

// MS-SMB2 3.3.5.2.1.1: decrypt with the session's client-to-server key,
// then process the plaintext like any frame, answering encrypted. Anything
// wrong (no such session, no key, a bad tag) closes the connection.
rt::Task<void> Connection::handle_transform(wire::Bytes frame) {
  auto th = wire::parse_transform(frame);
  std::shared_ptr<Session> s = th ? server_.sessions().find(th->session_id) : nullptr;
  if (!s || !has_session(s->id) || !s->keys.valid() || s->keys.cipher == 0) {
    log::info("{}: encrypted message for an unknown session or without keys, closing", peer_);
    close();
    co_return;
  }
  const auth::SmbKeys& k = s->keys;
  rt::Buffer plain = rt::Worker::current()->buffers().get(th->original_size);
  bool ok = auth::aead_decrypt(
      auth::is_gcm(k.cipher) ? auth::Aead::Gcm : auth::Aead::Ccm,
      wire::Bytes(k.decryption_key.data(), k.decryption_key.size()),
      wire::Bytes(th->nonce, auth::nonce_len(k.cipher)),
      frame.subspan(wire::kTransformAadOffset, wire::kTransformHeaderSize - wire::kTransformAadOffset),
      frame.subspan(wire::kTransformHeaderSize), th->signature, plain.data());
  if (!ok || wire::ld32(plain.data()) != wire::kSmb2ProtocolId) {
    log::info("{}: message failed to decrypt, closing", peer_);
    close();
    co_return;
  }
  co_await process_smb2(*this, wire::Bytes(plain.data(), th->original_size), plain.buf_index(), s);
}

// MS-SMB2 3.3.5.3.1: an SMB1 NEGOTIATE that offers SMB2 is answered with an
// SMB2 NEGOTIATE response: DialectRevision 0x02FF when "SMB 2.???" is
// offered (the client then sends an SMB2 NEGOTIATE), 0x0202 when only
// "SMB 2.002" is. Anything else ends the connection: there is no SMB1 here.
rt::Task<void> Connection::handle_smb1(wire::Bytes frame) {
  auto dialects = wire::parse_smb1_negotiate(frame);
  if (!dialects) {
    log::info("{}: SMB1 message that is not a valid NEGOTIATE, closing", peer_);
    close();
    co_return;
  }
  bool wildcard = false, smb2002 = false;
  for (const auto& d : *dialects) {
    if (d == "SMB 2.???") wildcard = true;
    if (d == "SMB 2.002") smb2002 = true;
  }
  uint16_t dialect = 0;
  const auto& cfg = server_.config();
  if (wildcard && cfg.max_protocol >= wire::dialect::SMB210) {
    dialect = wire::dialect::WILDCARD;
  } else if (smb2002 && cfg.min_protocol <= wire::dialect::SMB202) {
    dialect = wire::dialect::SMB202;
  }
  if (dialect == 0) {
    log::info("{}: SMB1 NEGOTIATE without a usable SMB2 dialect, closing", peer_);
    close();
    co_return;
  }
  co_await smb1_upgrade(*this, dialect);
}

void Connection::add_cancelable(uint64_t message_id, uint64_t async_id,
                                std::shared_ptr<Waiter> w) {
  cancel_by_mid_[message_id] = w;
  if (async_id != 0) cancel_by_async_[async_id] = std::move(w);
}

void Connection::remove_cancelable(uint64_t message_id, uint64_t async_id) {
  cancel_by_mid_.erase(message_id);
  if (async_id != 0) cancel_by_async_.erase(async_id);
}

bool Connection::cancel(uint64_t message_id, uint64_t async_id, bool by_async_id) {
  auto& table = by_async_id ? cancel_by_async_ : cancel_by_mid_;
  auto it = table.find(by_async_id ? async_id : message_id);
  if (it == table.end()) return false;
  it->second->wake(Waiter::Cancelled);
  return true;
}

bool Connection::nic_backed() {
  if (nic_backed_ >= 0) return nic_backed_ == 1;
  nic_backed_ = 0;
  sockaddr_storage local{};
  socklen_t len = sizeof(local);
  if (getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &len) < 0) return false;
  // The server's cached interface list (netif.cc) knows which addresses
  // have a device behind them; one it does not list is not a NIC's.
  const void* addr = local.ss_family == AF_INET6
                         ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(&local)->sin6_addr)
                         : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(&local)->sin_addr);
  const size_t alen = local.ss_family == AF_INET6 ? 16 : 4;
  for (const NetInterface& i : server_.network_interfaces()->list) {
    if (i.family == local.ss_family && std::memcmp(i.addr, addr, alen) == 0) {
      nic_backed_ = i.hardware ? 1 : 0;
      break;
    }
  }
  return nic_backed_ == 1;
}

void Connection::send_frame(OutFrame f) {
  if (closing_ && !f.close_after) return;
  sendq_.push_back(std::move(f));
  if (!sender_running_) {
    sender_running_ = true;
    rt::spawn(sender());
  }
}

rt::Task<void> Connection::sender() {
  auto self = shared_from_this();
  std::vector<OutFrame> batch;
  std::vector<iovec> iov;
  auto special = [](const OutFrame& f) { return f.zc_buffer >= 0 || f.splice_len != 0; };
  while (!sendq_.empty()) {
    bool failed = false;
    bool close_after = false;
    if (special(sendq_.front())) {
      OutFrame f = std::move(sendq_.front());
      sendq_.pop_front();
      failed = !(co_await send_special(f));
      close_after = f.close_after;
    } else {
      batch.clear();
      iov.clear();
      while (!sendq_.empty() && !special(sendq_.front()) &&
             (batch.empty() || iov.size() + sendq_.front().iov.size() <= kMaxIovPerSend)) {
        batch.push_back(std::move(sendq_.front()));
        sendq_.pop_front();
        iov.insert(iov.end(), batch.back().iov.begin(), batch.back().iov.end());
        close_after = close_after || batch.back().close_after;
      }
      failed = !(co_await send_iov(iov, 0));
    }
    if (failed || close_after) {
      close();
      sendq_.clear();
      break;
    }
  }
  batch.clear();
  sender_running_ = false;
}

rt::Task<bool> Connection::send_iov(std::vector<iovec>& iov, int flags) {
  size_t idx = 0;
  while (idx < iov.size()) {
    msghdr mh{};
    mh.msg_iov = iov.data() + idx;
    mh.msg_iovlen = iov.size() - idx;
    int n = co_await rt::sendmsg(fd_, &mh, MSG_NOSIGNAL | flags);
    if (n <= 0) co_return false;
    rt::advance_iov(iov, &idx, static_cast<size_t>(n));
  }
  co_return true;
}

// A frame that is one registered range (SEND_ZC), or whose data waits in
// a pipe (splice after the message).
rt::Task<bool> Connection::send_special(OutFrame& f) {
  if (f.zc_buffer >= 0) {
    auto keep = std::make_shared<rt::Buffer>(std::move(f.buffers[static_cast<size_t>(f.zc_buffer)]));
    const uint8_t* data = keep->data() + f.zc_offset;
    const size_t len = 4 + f.total;
    size_t sent = 0;
    while (sent < len) {
      int n = co_await rt::send_zc(fd_, data + sent, len - sent, keep->buf_index(), keep);
      if (n <= 0) co_return false;
      sent += static_cast<size_t>(n);
    }
    co_return true;
  }
  // Splice: the NetBIOS header and message first, held back for the data.
  if (!(co_await send_iov(f.iov, MSG_MORE))) co_return false;
  size_t left = f.splice_len;
  while (left > 0) {
    int n = co_await rt::splice(f.pipe.read_fd(), -1, fd_, -1,
                                static_cast<unsigned>(std::min<size_t>(left, 1u << 30)),
                                SPLICE_F_MOVE);
    if (n <= 0) co_return false;
    left -= static_cast<size_t>(n);
    f.pipe.pending -= static_cast<size_t>(n);
  }
  co_return true;
}

}  // namespace ringsmb::server
