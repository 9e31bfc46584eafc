#include "server/dispatch.h"

#include <algorithm>
#include <cstring>

#include "auth/smb_keys.h"
#include "server/handlers.h"
#include "server/log.h"
#include "server/server.h"
#include "server/session_ops.h"
#include "rt/worker.h"
#include "wire/header.h"
#include "wire/transform.h"
#include "wire/smb2.h"
#include "wire/validate.h"

namespace ringsmb::server {

namespace {

using wire::Command;
using wire::NtStatus;
namespace st = wire::status;

using Handler = rt::Task<void> (*)(Request&, Response&);

// The payload size a request moves, for the credit charge check
// (MS-SMB2 3.3.5.2.5). Reads fields of an already validated request.
using PayloadFn = uint64_t (*)(wire::Bytes body);

uint64_t payload_none(wire::Bytes) { return 0; }
uint64_t payload_read(wire::Bytes b) { return wire::ld32(b.data() + 4); }
uint64_t payload_write(wire::Bytes b) { return wire::ld32(b.data() + 4); }
uint64_t payload_ioctl(wire::Bytes b) {
  return std::max<uint64_t>(wire::ld32(b.data() + 28), wire::ld32(b.data() + 44));
}
uint64_t payload_query_dir(wire::Bytes b) { return wire::ld32(b.data() + 28); }
uint64_t payload_notify(wire::Bytes b) { return wire::ld32(b.data() + 4); }
uint64_t payload_query_info(wire::Bytes b) {
  return std::max<uint64_t>(wire::ld32(b.data() + 4), wire::ld32(b.data() + 12));
}
uint64_t payload_set_info(wire::Bytes b) { return wire::ld32(b.data() + 4); }

struct CommandInfo {
  Handler handler;
  bool needs_session;
  bool needs_tree;
  int file_id_offset;  // body offset of the FileId, -1: none
  PayloadFn payload;
};

// Dialect-independent command table, indexed by command code.
const CommandInfo kCommands[wire::kCommandCount] = {
    /* NEGOTIATE */ {handlers::negotiate, false, false, -1, payload_none},
    /* SESSION_SETUP */ {handlers::session_setup, false, false, -1, payload_none},
    /* LOGOFF */ {handlers::logoff, true, false, -1, payload_none},
    /* TREE_CONNECT */ {handlers::tree_connect, true, false, -1, payload_none},
    /* TREE_DISCONNECT */ {handlers::tree_disconnect, true, true, -1, payload_none},
    /* CREATE */ {handlers::create, true, true, -1, payload_none},
    /* CLOSE */ {handlers::close, true, true, 8, payload_none},
    /* FLUSH */ {handlers::flush, true, true, 8, payload_none},
    /* READ */ {handlers::read, true, true, 16, payload_read},
    /* WRITE */ {handlers::write, true, true, 16, payload_write},
    /* LOCK */ {handlers::lock, true, true, 8, payload_none},
    /* IOCTL */ {handlers::ioctl, true, true, 8, payload_ioctl},
    /* CANCEL */ {handlers::cancel, false, false, -1, payload_none},
    /* ECHO */ {handlers::echo, false, false, -1, payload_none},
    /* QUERY_DIRECTORY */ {handlers::query_directory, true, true, 8, payload_query_dir},
    /* CHANGE_NOTIFY */ {handlers::change_notify, true, true, 8, payload_notify},
    /* QUERY_INFO */ {handlers::query_info, true, true, 24, payload_query_info},
    /* SET_INFO */ {handlers::set_info, true, true, 16, payload_set_info},
    /* OPLOCK_BREAK */ {handlers::oplock_break, true, true, 8, payload_none},
};

// MS-SMB2 3.3.5.2.4: the signature of a request, computed over the message
// with its Signature field taken as zero.
bool signature_ok(const auth::SmbKeys& k, wire::Bytes msg, const wire::Header& h) {
  static const uint8_t kZero[16] = {};
  wire::Bytes pieces[] = {msg.subspan(0, 48), wire::Bytes(kZero, 16), msg.subspan(64)};
  auto sig = auth::smb_signature(k, h.message_id, false,
                                 h.command == static_cast<uint16_t>(Command::Cancel), pieces);
  return auth::equal_ct(wire::Bytes(sig.data(), 16), msg.subspan(48, 16));
}

// The keys a binding request is checked with and its error responses are
// signed with: the session's own signing key and algorithm (the client
// signs with what it has for the session, whatever the new connection
// negotiated).
std::shared_ptr<const auth::SmbKeys> binding_keys(const Session& s, const Connection&) {
  return std::make_shared<auth::SmbKeys>(s.keys);
}

// MS-SMB2 3.3.5.5 (binding an existing session to this connection), in the
// order Windows and Samba apply the checks: signing algorithms first
// (GMAC cannot be mixed with the others), then the dialect and cipher.
NtStatus check_binding(Connection& conn, Request& req) {
  Server& server = conn.server();
  if (req.hdr.session_id == 0) return st::INVALID_PARAMETER;
  auto s = server.sessions().find(req.hdr.session_id);
  if (!s || !s->keys.valid()) return st::USER_SESSION_DELETED;
  {
    std::lock_guard lk(s->mu);
    if (s->state != SessionState::Valid) return st::REQUEST_NOT_ACCEPTED;
  }
  req.binding = s;
  if (conn.has_session(s->id)) {
    // Already a channel here: the request is checked like any other on
    // this connection, with the channel's key.
    auto ck = s->keys_for(&conn);
    req.signed_keys = ck;
    if (!req.hdr.is_signed() || !signature_ok(*ck, req.msg, req.hdr)) return st::ACCESS_DENIED;
    return st::REQUEST_NOT_ACCEPTED;
  }
  const uint16_t salg = s->keys.signing_alg, calg = conn.signing_alg();
  const bool smb3 = conn.dialect() >= wire::dialect::SMB300;
  if (smb3 && calg == wire::signalg::AES_GMAC && salg != wire::signalg::AES_GMAC) {
    return st::NOT_SUPPORTED;
  }
  if (salg == wire::signalg::AES_GMAC && calg != wire::signalg::AES_GMAC) {
    return 0xC000042A;  // STATUS_REQUEST_OUT_OF_SEQUENCE
  }
  if (!smb3 || !server.config().multichannel) return st::REQUEST_NOT_ACCEPTED;
  if (!req.hdr.is_signed()) return st::INVALID_PARAMETER;
  if (conn.dialect() != s->dialect) return st::INVALID_PARAMETER;
  if (conn.dialect() == wire::dialect::SMB311 && conn.cipher() != s->keys.cipher) {
    return st::INVALID_PARAMETER;
  }
  {
    std::lock_guard lk(s->mu);  // a re-authentication may change them
    if (s->guest || s->anonymous) return st::NOT_SUPPORTED;
  }
  auto k = binding_keys(*s, conn);
  if (!signature_ok(*k, req.msg, req.hdr)) return st::ACCESS_DENIED;
  req.signed_keys = k;
  return st::SUCCESS;
}

// State carried from one request of a chain to the next (3.3.5.2.7.2).
struct Chain {
  std::shared_ptr<Session> session;
  std::shared_ptr<TreeConnect> tree;
  std::optional<wire::FileId> file_id;
  NtStatus create_status = st::SUCCESS;  // of the last CREATE in the chain
};

// Everything that must hold before a handler may run. Fills resp.status
// (or resp.disconnect) and returns false when the request stops here.
// MS-SMB2 3.3.5.2.10: requests carrying a FileId are counted under their
// ChannelSequence; one from a sequence older than the open's (a request a
// client sent before it moved to another channel) must not modify the
// file. Returns false (resp.status set) when the request fails.
bool check_channel_sequence(Connection& conn, Request& req, Response& resp, const CommandInfo& ci) {
  if (ci.file_id_offset < 0 || !wire::is_smb3(conn.dialect()) || !req.session) return true;
  wire::FileId fid = wire::ld_file_id(req.msg.data() + wire::kHeaderSize + ci.file_id_offset);
  if (fid.is_related_placeholder()) return true;
  std::shared_ptr<Open> open;
  {
    std::lock_guard lk(req.session->mu);
    auto it = req.session->opens.find(fid.volatile_);
    if (it == req.session->opens.end()) return true;  // the handler answers FILE_CLOSED
    open = it->second;
  }
  const auto cmd = static_cast<Command>(req.hdr.command);
  const bool modifies = cmd == Command::Write || cmd == Command::SetInfo || cmd == Command::Ioctl;
  const uint16_t seq = wire::ld16(req.msg.data() + 8);  // ChannelSequence
  const bool replay = (req.hdr.flags & wire::flags::REPLAY_OPERATION) != 0;
  std::lock_guard lk(open->seq_mu);
  const bool newer = static_cast<uint16_t>(seq - open->channel_sequence) <= 0x7FFF;
  bool ok = true;
  if (seq == open->channel_sequence) {
    ok = !replay || open->outstanding_pre == 0;
    if (ok) ++open->outstanding;
  } else if (newer && (!replay || open->outstanding_pre == 0)) {
    open->outstanding_pre += open->outstanding;
    open->outstanding = 1;
    open->channel_sequence = seq;
  } else {
    ok = false;
  }
  if (!ok) {
    if (!modifies) return true;  // only WRITE, SET_INFO and IOCTL fail
    resp.status = st::FILE_NOT_AVAILABLE;
    return false;
  }
  req.seq_open = std::move(open);
  req.seq = seq;
  return true;
}

// The request under req.seq_open completed: it is no longer outstanding.
void end_channel_sequence(Request& req) {
  if (!req.seq_open) return;
  Open& o = *req.seq_open;
  std::lock_guard lk(o.seq_mu);
  if (req.seq == o.channel_sequence) {
    if (o.outstanding > 0) --o.outstanding;
  } else if (o.outstanding_pre > 0) {
    --o.outstanding_pre;
  }
  req.seq_open.reset();
}

bool pre_dispatch(Connection& conn, Request& req, Response& resp, const CommandInfo& ci,
                  Chain& chain, bool first_in_chain) {
  Server& server = conn.server();
  const auto cmd = static_cast<Command>(req.hdr.command);
  const bool related = req.hdr.is_related();

  if (!conn.negotiated() && cmd != Command::Negotiate) {
    resp.disconnect = true;  // nothing but NEGOTIATE before NEGOTIATE
    resp.send = false;
    return false;
  }
  if (conn.negotiated() && cmd == Command::Negotiate) {
    resp.disconnect = true;  // 3.3.5.4: a second NEGOTIATE disconnects "and not reply"
    resp.send = false;
    return false;
  }
  if (related && first_in_chain) {
    resp.status = st::INVALID_PARAMETER;  // 3.3.5.2.7.2
    return false;
  }
  if (req.hdr.is_async() && cmd != Command::Cancel) {
    resp.status = st::INVALID_PARAMETER;
    return false;
  }

  // Binding a session to this connection is checked on its own (3.3.5.5);
  // its errors are signed with the session's key.
  if (cmd == Command::SessionSetup && req.msg.size() > wire::kHeaderSize + 2 &&
      (req.msg[wire::kHeaderSize + 2] & wire::SESSION_FLAG_BINDING)) {
    NtStatus bs = check_binding(conn, req);
    if (bs != st::SUCCESS) {
      resp.status = bs;
      if (req.signed_keys) {
        resp.sign_with = req.signed_keys;
      } else if (req.binding && req.binding->keys.valid()) {
        resp.sign_with = binding_keys(*req.binding, conn);
      }
      return false;
    }
    return true;
  }

  // Signatures (3.3.5.2.4). An encrypted request is authenticated by its
  // transform; otherwise a signed request is verified with the key of its
  // session, and a session that requires signing refuses unsigned ones.
  if (!req.encrypted_by) {
    std::shared_ptr<Session> ss =
        related ? chain.session
                : (req.hdr.session_id != 0 ? server.sessions().find(req.hdr.session_id) : nullptr);
    auto keys = ss ? ss->keys_for(&conn) : nullptr;
    if (ss && keys) {
      if (req.hdr.is_signed()) {
        if (!signature_ok(*keys, req.msg, req.hdr)) {
          log::info("{}: bad signature on {} (mid {})", conn.peer(),
                    wire::command_name(req.hdr.command), req.hdr.message_id);
          resp.status = st::ACCESS_DENIED;
          req.signature_failed = true;
          // The refusal itself is signed with the channel's key, as
          // clients that require signing drop unsigned replies.
          if (conn.has_session(ss->id)) resp.sign_with = keys;
          return false;
        }
        req.signed_by = ss;
        req.signed_keys = keys;
      } else if (ss->signing_required && cmd != Command::Cancel && conn.has_session(ss->id)) {
        // Includes re-authentication: only a session being set up (no
        // keys yet) may send unsigned SESSION_SETUPs.
        resp.status = st::ACCESS_DENIED;
        resp.sign_with = keys;
        return false;
      }
    }
  }

  // Credit charge against the payload (3.3.5.2.5).
  if (conn.large_mtu()) {
    uint64_t bytes = ci.payload(req.msg.subspan(wire::kHeaderSize));
    uint32_t charge = req.hdr.credit_charge == 0 ? 1 : req.hdr.credit_charge;
    if (bytes > 65536 && charge < credits_for(bytes)) {
      resp.status = st::INVALID_PARAMETER;
      return false;
    }
  }

  // Session (3.3.5.2.9).
  bool want_session = ci.needs_session;
  if ((cmd == Command::Echo || cmd == Command::Cancel) && req.hdr.session_id == 0 && !related) {
    want_session = false;
  }
  if (cmd == Command::SessionSetup) want_session = false;  // the handler looks it up
  if (want_session) {
    std::shared_ptr<Session> s;
    if (related) {
      s = chain.session;
      if (!s) {
        resp.status = st::INVALID_PARAMETER;
        return false;
      }
      // The inherited SessionId is looked up like any other, in the
      // connection's table: a LOGOFF earlier in the chain took it out
      // (3.3.5.6), so what follows finds no session.
      if (!conn.has_session(s->id)) {
        resp.status = st::USER_SESSION_DELETED;
        return false;
      }
    } else {
      s = server.sessions().find(req.hdr.session_id);
      if (!s || !conn.has_session(s->id)) {
        // A related request after this one has no session to inherit and
        // fails with INVALID_PARAMETER (3.3.5.2.7.2; smbtorture
        // compound.invalid2).
        chain.session.reset();
        chain.tree.reset();
        resp.status = st::USER_SESSION_DELETED;
        return false;
      }
    }
    {
      std::lock_guard lk(s->mu);
      // Expired is what end_session leaves (LOGOFF on another channel,
      // a failed re-authentication, a PreviousSessionId): the session is
      // out of the server's table, and a request of its chain or one that
      // looked it up just before is answered as if it were not found.
      // (STATUS_NETWORK_SESSION_EXPIRED is for a session that a
      // re-authentication could revive; no session here expires so.)
      if (s->state != SessionState::Valid) {
        resp.status = st::USER_SESSION_DELETED;
        return false;
      }
    }
    req.session = s;
    {
      std::lock_guard lk(s->mu);
      req.cred = s->cred;
    }
  } else if (cmd == Command::SessionSetup && related) {
    req.session = chain.session;
  }

  // Encryption (3.3.5.2.9): a session that encrypts accepts nothing in the
  // clear, and an encrypted request must belong to the session whose keys
  // decrypted it.
  if (req.encrypted_by && !related && req.hdr.session_id != req.encrypted_by->id) {
    resp.status = st::ACCESS_DENIED;
    return false;
  }
  if (req.session && req.session->encrypt_data && !req.encrypted_by &&
      cmd != Command::SessionSetup) {
    resp.status = st::ACCESS_DENIED;
    return false;
  }

  // Tree connect (3.3.5.2.11).
  if (ci.needs_tree) {
    std::shared_ptr<TreeConnect> t;
    if (related) {
      t = chain.tree;
      if (!t) {
        resp.status = st::INVALID_PARAMETER;
        return false;
      }
      // The tree must still exist in the session (a TREE_DISCONNECT earlier
      // in the chain removes it).
      std::lock_guard lk(req.session->mu);
      if (req.session->trees.count(t->id) == 0) {
        resp.status = st::NETWORK_NAME_DELETED;
        return false;
      }
    } else {
      std::lock_guard lk(req.session->mu);
      auto it = req.session->trees.find(req.hdr.tree_id);
      if (it == req.session->trees.end()) {
        resp.status = st::NETWORK_NAME_DELETED;
        return false;
      }
      t = it->second;
    }
    req.tree = t;
    if (t->encrypt_required && !req.encrypted_by) {
      resp.status = st::ACCESS_DENIED;  // the share requires encryption
      return false;
    }
  }

  // Related FileId substitution: a failed CREATE earlier in the chain
  // fails what follows with its status (3.3.5.2.7.2).
  if (related && ci.file_id_offset >= 0) {
    wire::FileId fid =
        wire::ld_file_id(req.msg.data() + wire::kHeaderSize + ci.file_id_offset);
    if (fid.is_related_placeholder()) {
      if (chain.create_status != st::SUCCESS) {
        resp.status = chain.create_status;
        return false;
      }
      if (!chain.file_id) {
        resp.status = st::INVALID_PARAMETER;
        return false;
      }
    }
    req.related_file_id = chain.file_id;
  }

  if (!check_channel_sequence(conn, req, resp, ci)) return false;
  return true;
}

}  // namespace

void append_response(OutFrame& out, const wire::Header& rq, Response& resp, uint16_t credits,
                     bool last) {
  if (out.segs.empty()) out.segs.push_back({std::vector<uint8_t>(4, 0)});  // NetBIOS header
  if (resp.body.size() == 0) wire::encode_error_response(resp.body, resp.error_data);

  wire::Header h;
  h.credit_charge = rq.credit_charge;
  h.status = resp.status;
  h.command = rq.command;
  h.credits = credits;
  h.flags = wire::flags::SERVER_TO_REDIR |
            (rq.flags & (wire::flags::RELATED_OPERATIONS | wire::flags::PRIORITY_MASK));
  h.message_id = rq.message_id;
  h.tree_id = resp.tree_id.value_or(rq.tree_id);
  if (resp.async_id != 0) {
    h.flags |= wire::flags::ASYNC_COMMAND;
    h.async_id = resp.async_id;
  }
  h.session_id = resp.session_id.value_or(rq.session_id);

  std::vector<uint8_t> msg(wire::kHeaderSize + resp.body.size());
  std::memcpy(msg.data() + wire::kHeaderSize, resp.body.data(), resp.body.size());
  const size_t total = msg.size() + resp.payload_len + resp.splice_len;
  const size_t pad = last ? 0 : (8 - total % 8) % 8;
  if (!last) h.next_command = static_cast<uint32_t>(total + pad);
  if (resp.sign_with || resp.signed_flag_only) h.flags |= wire::flags::SIGNED;
  wire::encode_header(msg.data(), h);
  if (resp.sign_with) {
    // 3.3.4.1.1: over the whole message including the padding that
    // precedes the next response of the chain.
    static const uint8_t kPad[8] = {};
    wire::Bytes pieces[3];
    size_t n = 0;
    pieces[n++] = wire::Bytes(msg.data(), msg.size());
    if (resp.payload_len != 0) {
      pieces[n++] = wire::Bytes(resp.payload.data() + resp.payload_offset, resp.payload_len);
    }
    if (pad != 0) pieces[n++] = wire::Bytes(kPad, pad);
    auto sig = auth::smb_signature(*resp.sign_with, rq.message_id, true, false,
                                   std::span<const wire::Bytes>(pieces, n));
    std::memcpy(msg.data() + 48, sig.data(), 16);
  }
  if (resp.preauth != nullptr) resp.preauth->update(wire::Bytes(msg.data(), msg.size()));

  out.segs.push_back({std::move(msg)});
  if (resp.payload_len != 0) {
    out.buffers.push_back(std::move(resp.payload));
    out.segs.push_back({{}, static_cast<int>(out.buffers.size() - 1), resp.payload_offset,
                        resp.payload_len});
  }
  if (pad != 0) out.segs.push_back({std::vector<uint8_t>(pad, 0)});
  if (resp.splice_len != 0) {  // READ data in a pipe: the frame's tail
    out.pipe = std::move(resp.pipe);
    out.splice_len = resp.splice_len;
  }
  out.total += total + pad;
  if (resp.disconnect) out.close_after = true;
}

namespace {
// A lone READ response whose buffer has room before the data: NetBIOS
// header and message are copied in front of it, so the frame is one
// contiguous registered range for SEND_ZC.
void make_contiguous(OutFrame& out) {
  if (out.segs.size() != 3 || out.segs[2].buffer < 0 || out.pipe) return;
  const auto& msg = out.segs[1].bytes;
  const size_t prefix = 4 + msg.size();
  OutFrame::Segment& data = out.segs[2];
  if (data.offset < prefix) return;
  rt::Buffer& buf = out.buffers[static_cast<size_t>(data.buffer)];
  const size_t start = data.offset - prefix;
  std::memcpy(buf.data() + start + 4, msg.data(), msg.size());
  out.zc_buffer = data.buffer;
  out.zc_offset = start;
}
}  // namespace

void finish_frame(OutFrame& out) {
  uint8_t* nb = out.segs[0].bytes.data();
  nb[0] = 0;
  nb[1] = static_cast<uint8_t>(out.total >> 16);
  nb[2] = static_cast<uint8_t>(out.total >> 8);
  nb[3] = static_cast<uint8_t>(out.total);
  if (out.zc_buffer >= 0) {
    std::memcpy(out.buffers[static_cast<size_t>(out.zc_buffer)].data() + out.zc_offset, nb, 4);
  }
  out.iov.clear();
  for (auto& s : out.segs) {
    if (s.buffer >= 0) {
      out.iov.push_back({out.buffers[static_cast<size_t>(s.buffer)].data() + s.offset, s.length});
    } else {
      out.iov.push_back({s.bytes.data(), s.bytes.size()});
    }
  }
}

// The responses of a chain collected so far, until they are sent together.
struct ChainState {
  struct Done {
    wire::Header hdr;
    Response resp;
    uint16_t credits;
  };
  Connection& conn;
  std::shared_ptr<Session> encrypted_by;
  std::vector<Done> done;

  // Sends what has been collected, as one frame.
  void flush() {
    if (done.empty()) return;
    OutFrame out;
    const bool zero_copy = done.size() == 1 && done[0].resp.zero_copy;
    for (size_t j = 0; j < done.size(); ++j) {
      append_response(out, done[j].hdr, done[j].resp, done[j].credits, j + 1 == done.size());
    }
    done.clear();
    if (encrypted_by) {
      encrypt_frame(out, *encrypted_by, zero_copy);
    } else if (zero_copy) {
      make_contiguous(out);
    }
    finish_frame(out);
    conn.send_frame(std::move(out));
  }
};

bool go_async(Request& req) {
  if (req.chain_state == nullptr || !req.last_in_chain || req.async_id != 0) {
    return req.async_id != 0;
  }
  ChainState& cs = *req.chain_state;
  req.async_id = req.conn.next_async_id();
  // The interim response (3.3.4.2) carries the credits; the final one none.
  Response interim;
  interim.status = st::PENDING;
  interim.async_id = req.async_id;
  cs.done.push_back({req.hdr, std::move(interim), req.conn.credits().grant(req.hdr.credits)});
  cs.flush();
  return true;
}

bool splice_write_wanted(Connection& conn, const uint8_t* head, size_t len) {
  if (!rt::Ring::current()->features().splice) return false;
  if (wire::ld32(head) != wire::kSmb2ProtocolId) return false;
  const uint32_t flags = wire::ld32(head + 16);
  if (wire::ld16(head + 4) != wire::kHeaderSize ||
      wire::ld16(head + 12) != static_cast<uint16_t>(Command::Write) ||
      wire::ld32(head + 20) != 0 /* NextCommand */ ||
      (flags & (wire::flags::SIGNED | wire::flags::RELATED_OPERATIONS | wire::flags::ASYNC_COMMAND))) {
    return false;
  }
  const uint8_t* w = head + wire::kHeaderSize;  // MS-SMB2 2.2.21
  if (wire::ld16(w) != 49 || wire::ld16(w + 2) != kWriteHead ||
      wire::ld32(w + 4) != len - kWriteHead || wire::ld32(w + 32) != 0 /* Channel */ ||
      wire::ld16(w + 42) != 0 /* WriteChannelInfoLength */) {
    return false;
  }
  const uint64_t session_id = wire::ld64(head + 40);
  if (!conn.has_session(session_id)) return false;
  std::shared_ptr<Session> s = conn.server().sessions().find(session_id);
  if (!s || s->signing_required || s->encrypt_data) return false;
  std::lock_guard lk(s->mu);
  if (s->state != SessionState::Valid) return false;
  auto it = s->trees.find(wire::ld32(head + 36));
  if (it == s->trees.end() || it->second->encrypt_required || !it->second->share) return false;
  const WritePath want = it->second->share->cfg.write_path;
  // auto: docs/performance.md has the measurements behind this choice.
  return want == WritePath::Splice;
}

rt::Task<void> process_smb2(Connection& conn, wire::Bytes frame, int buf_index,
                            std::shared_ptr<Session> encrypted_by, rt::PipeLease* spliced) {
  std::vector<wire::MessageSpan> spans;
  if (wire::split_compound(frame, spans) != wire::Verdict::Ok) {
    log::info("{}: malformed compound chain, closing", conn.peer());
    conn.close();
    co_return;
  }
  ChainState cs{conn, encrypted_by, {}};
  cs.done.reserve(spans.size());
  Chain chain;
  for (size_t i = 0; i < spans.size(); ++i) {
    // A closing connection starts nothing more of a chain: no answer could
    // be sent, and its teardown has woken every request waiting
    // asynchronously already, so a CHANGE_NOTIFY that began to wait now
    // would wait for an event that may never come, and the teardown (which
    // waits for every request) with it.
    if (conn.closing()) co_return;
    wire::Bytes msg = frame.subspan(spans[i].offset, spans[i].length);
    wire::Verdict v = wire::validate_request(msg);
    if (v == wire::Verdict::Disconnect) {
      log::info("{}: invalid request, closing", conn.peer());
      conn.close();
      co_return;
    }
    // The header itself was checked by split_compound except StructureSize;
    // read its fields raw so even an invalid one can be answered.
    wire::Header hdr;
    {
      const uint8_t* p = msg.data();
      hdr.credit_charge = wire::ld16(p + 6);
      hdr.status = wire::ld32(p + 8);
      hdr.command = wire::ld16(p + 12);
      hdr.credits = wire::ld16(p + 14);
      hdr.flags = wire::ld32(p + 16);
      hdr.message_id = wire::ld64(p + 24);
      if (hdr.is_async()) {
        hdr.async_id = wire::ld64(p + 32);
      } else {
        hdr.tree_id = wire::ld32(p + 36);
      }
      hdr.session_id = wire::ld64(p + 40);
    }
    const auto cmd = static_cast<Command>(hdr.command);

    // Sequence window (3.3.5.2.3); CANCEL consumes no message id.
    if (cmd != Command::Cancel &&
        !conn.credits().consume(hdr.message_id, hdr.credit_charge)) {
      log::info("{}: message id {} (charge {}) outside the granted window, closing", conn.peer(),
                hdr.message_id, hdr.credit_charge);
      conn.close();
      co_return;
    }

    Request req(conn, hdr, msg);
    req.frame_buf_index = buf_index;
    req.encrypted_by = encrypted_by;
    req.chain_state = &cs;
    req.last_in_chain = i + 1 == spans.size();
    req.alone = spans.size() == 1;
    req.spliced = spliced;
    Response resp;
    const CommandInfo& ci = kCommands[hdr.command];
    if (v == wire::Verdict::Invalid) {
      resp.status = st::INVALID_PARAMETER;
    } else if (pre_dispatch(conn, req, resp, ci, chain, i == 0)) {
      co_await ci.handler(req, resp);
      if (cmd == Command::Create && resp.status == st::SUCCESS && resp.file_id) {
        // The session or tree may have ended while the CREATE ran
        // (session_ops.h): its open must not outlive them.
        NtStatus s = co_await settle_new_open(conn.server(), *req.session, *req.tree, *resp.file_id);
        if (s != st::SUCCESS) {
          resp.status = s;
          resp.body.clear();
          resp.file_id.reset();
        }
      }
    }
    end_channel_sequence(req);
    if (resp.disconnect && !resp.send) {
      conn.close();
      co_return;
    }
    // Sign the response of a signed request, and every response of a
    // session that requires signing (3.3.4.1.1); encrypted responses are
    // not signed.
    if (!resp.sign_with && !req.encrypted_by && !req.signature_failed) {
      if (req.signed_keys) {
        resp.sign_with = req.signed_keys;
      } else if (req.session && req.session->signing_required) {
        resp.sign_with = req.session->keys_for(&conn);
      }
    }
    if (req.encrypted_by) resp.sign_with.reset();
    if (!resp.sign_with && hdr.is_signed() && resp.status == st::USER_SESSION_DELETED) {
      resp.signed_flag_only = true;
    }
    log::trace("{}: {} mid={} -> {}", conn.peer(), wire::command_name(hdr.command),
               hdr.message_id, wire::status_name(resp.status));

    // Carry identifiers to the next request of a related chain.
    if (req.session) chain.session = req.session;
    if (resp.session_id && !chain.session) chain.session = conn.server().sessions().find(*resp.session_id);
    if (req.tree) chain.tree = req.tree;
    if (resp.tree_id && chain.session) {
      std::lock_guard lk(chain.session->mu);
      auto it = chain.session->trees.find(*resp.tree_id);
      if (it != chain.session->trees.end()) chain.tree = it->second;
    }
    if (cmd == Command::Create) chain.create_status = resp.status;
    if (resp.file_id) {
      chain.file_id = resp.file_id;
    } else if (ci.file_id_offset >= 0 && v == wire::Verdict::Ok) {
      chain.file_id =
          req.resolve_file_id(wire::ld_file_id(msg.data() + wire::kHeaderSize + ci.file_id_offset));
    }

    if (!resp.send) continue;  // CANCEL has no response
    // An asynchronous request's credits went out with its interim response.
    uint16_t credits = req.async_id != 0 ? 0 : conn.credits().grant(hdr.credits);
    resp.async_id = req.async_id;
    bool stop = resp.disconnect;
    cs.done.push_back({hdr, std::move(resp), credits});
    if (stop) break;
  }
  cs.flush();
}

void encrypt_frame(OutFrame& out, Session& s, bool zero_copy) {
  const auth::SmbKeys& k = s.keys;
  const size_t plain = out.total;
  // Into a second registered buffer, with room for the NetBIOS header in
  // front so the frame can leave as one SEND_ZC.
  rt::Buffer whole = rt::Worker::current()->buffers().get(4 + wire::kTransformHeaderSize + plain);
  struct Shifted {
    rt::Buffer& b;
    uint8_t* data() const { return b.data() + 4; }
  } buf{whole};
  wire::TransformHeader th;
  s.nonces.next(k.cipher, th.nonce);
  th.original_size = static_cast<uint32_t>(plain);
  th.flags = wire::TRANSFORM_FLAG_ENCRYPTED;
  th.session_id = s.id;
  wire::encode_transform(buf.data(), th);
  std::vector<wire::Bytes> pieces;
  for (size_t i = 1; i < out.segs.size(); ++i) {  // segs[0] is the NetBIOS header
    const auto& seg = out.segs[i];
    if (seg.buffer >= 0) {
      pieces.emplace_back(out.buffers[static_cast<size_t>(seg.buffer)].data() + seg.offset,
                          seg.length);
    } else {
      pieces.emplace_back(seg.bytes.data(), seg.bytes.size());
    }
  }
  uint8_t tag[16];
  const auth::Aead alg = auth::is_gcm(k.cipher) ? auth::Aead::Gcm : auth::Aead::Ccm;
  bool ok = auth::aead_encrypt(
      alg, wire::Bytes(k.encryption_key.data(), k.encryption_key.size()),
      wire::Bytes(th.nonce, auth::nonce_len(k.cipher)),
      wire::Bytes(buf.data() + wire::kTransformAadOffset,
                  wire::kTransformHeaderSize - wire::kTransformAadOffset),
      pieces, buf.data() + wire::kTransformHeaderSize, tag);
  if (!ok) std::abort();  // only on a key of the wrong size: a bug
  std::memcpy(buf.data() + 4, tag, 16);
  OutFrame enc;
  enc.segs.push_back(std::move(out.segs[0]));
  enc.buffers.push_back(std::move(whole));
  enc.segs.push_back({{}, 0, 4, wire::kTransformHeaderSize + plain});
  enc.total = wire::kTransformHeaderSize + plain;
  enc.close_after = out.close_after;
  if (zero_copy) {
    enc.zc_buffer = 0;
    enc.zc_offset = 0;
  }
  out = std::move(enc);
}

rt::Task<void> smb1_upgrade(Connection& conn, uint16_t dialect) {
  // Reuse the SMB2 NEGOTIATE handler with a synthetic request for exactly
  // this dialect; the response carries MessageId 0.
  wire::Header hdr;
  hdr.command = static_cast<uint16_t>(Command::Negotiate);
  std::vector<uint8_t> msg(wire::kHeaderSize + 36 + 2, 0);
  wire::encode_header(msg.data(), hdr);
  uint8_t* b = msg.data() + wire::kHeaderSize;
  wire::st16(b, 36);
  wire::st16(b + 2, 1);
  wire::st16(b + 36, dialect);
  Request req(conn, hdr, wire::Bytes(msg.data(), msg.size()));
  Response resp;
  co_await handlers::negotiate(req, resp);
  if (resp.status != st::SUCCESS) {
    conn.close();
    co_return;
  }
  if (!conn.credits().consume(0, 1)) {
    conn.close();
    co_return;
  }
  OutFrame out;
  append_response(out, hdr, resp, conn.credits().grant(1), true);
  finish_frame(out);
  conn.send_frame(std::move(out));
}

}  // namespace ringsmb::server
