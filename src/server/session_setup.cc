// SESSION_SETUP and LOGOFF (MS-SMB2 3.3.5.5, 3.3.5.6).
//
// Authentication is SPNEGO-wrapped NTLMSSP (raw NTLMSSP is accepted too).
// This foundation authenticates anonymous and guest logins: an anonymous
// AUTHENTICATE gives a null session, any named user becomes a guest when
// "map to guest" allows it (there is no user database yet).
#include <ctime>

#include "auth/crypto.h"
#include "auth/ntlmssp.h"
#include "auth/spnego.h"
#include "server/handlers.h"
#include "server/log.h"
#include "server/server.h"
#include "server/session_ops.h"
#include "wire/fscc.h"

namespace ringsmb::server::handlers {

namespace st = wire::status;
namespace ntlm = auth::ntlm;

namespace {

struct NtlmContext {
  bool spnego = true;  // answer in SPNEGO, or raw NTLMSSP
  bool challenged = false;
  uint32_t flags = 0;
  uint8_t challenge[8] = {};
  std::vector<uint8_t> negotiate_msg;
  std::vector<uint8_t> challenge_msg;
};

uint64_t now_filetime() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return wire::unix_to_filetime(ts.tv_sec, static_cast<uint32_t>(ts.tv_nsec));
}

std::vector<uint8_t> wrap(const NtlmContext& ctx, auth::NegState state, bool first,
                          wire::Bytes token) {
  if (!ctx.spnego) return std::vector<uint8_t>(token.begin(), token.end());
  return auth::server_neg_token_resp(state, first, token, {});
}

// Server flags for the CHALLENGE: what the client asked for that we do.
uint32_t challenge_flags(uint32_t client) {
  uint32_t f = ntlm::flag::NTLM | ntlm::flag::ALWAYS_SIGN | ntlm::flag::TARGET_TYPE_SERVER |
               ntlm::flag::TARGET_INFO | ntlm::flag::VERSION | ntlm::flag::REQUEST_TARGET;
  f |= (client & ntlm::flag::UNICODE) ? ntlm::flag::UNICODE : ntlm::flag::OEM;
  for (uint32_t b : {ntlm::flag::SIGN, ntlm::flag::SEAL, ntlm::flag::EXTENDED_SESSIONSECURITY,
                     ntlm::flag::NEG_128, ntlm::flag::NEG_56, ntlm::flag::KEY_EXCH,
                     ntlm::flag::ANONYMOUS}) {
    if (client & b) f |= b;
  }
  return f;
}

}  // namespace

rt::Task<void> session_setup(Request& req, Response& resp) {
  Connection& conn = req.conn;
  Server& server = conn.server();
  auto q = wire::parse_session_setup(req.msg);
  if (!q) {
    resp.status = q.status();
    co_return;
  }
  if (q->flags & wire::SESSION_FLAG_BINDING) {
    // Multichannel binding arrives with the data path work.
    resp.status = st::REQUEST_NOT_ACCEPTED;
    co_return;
  }

  std::shared_ptr<Session> s;
  bool is_new = false;
  if (req.hdr.session_id == 0) {
    s = server.sessions().create(conn.dialect());
    s->creator = &conn;
    conn.add_pending_session(s);
    is_new = true;
    if (conn.dialect() == wire::dialect::SMB311) s->preauth = conn.preauth();
  } else {
    s = server.sessions().find(req.hdr.session_id);
    // A session in progress belongs to the connection that began it; an
    // established one to the connections it is bound to.
    if (!s || (!conn.has_session(s->id) && s->creator != &conn)) {
      resp.status = st::USER_SESSION_DELETED;
      co_return;
    }
    std::lock_guard lk(s->mu);
    if (s->state == SessionState::Expired) {
      resp.status = st::NETWORK_SESSION_EXPIRED;
      co_return;
    }
  }
  resp.session_id = s->id;
  auto fail = [&](wire::NtStatus status) -> void {
    resp.status = status;
    if (is_new || s->state == SessionState::InProgress) server.sessions().remove(s->id);
  };

  if (conn.dialect() == wire::dialect::SMB311 && !conn.has_session(s->id)) {
    s->preauth.update(req.msg);
  }

  auto tok = auth::parse_client_token(q->security_buffer);
  if (!tok || !tok->ntlmssp_offered) {
    fail(tok ? st::NOT_SUPPORTED : st::INVALID_PARAMETER);
    co_return;
  }
  auto ctx = std::static_pointer_cast<NtlmContext>(s->auth_ctx);
  if (!ctx || tok->kind == auth::ClientToken::Kind::Init ||
      tok->kind == auth::ClientToken::Kind::RawNtlmssp) {
    // A (re)start of authentication.
    if (!ctx || !ctx->challenged || tok->kind == auth::ClientToken::Kind::Init) {
      ctx = std::make_shared<NtlmContext>();
      s->auth_ctx = ctx;
    }
    ctx->spnego = tok->kind != auth::ClientToken::Kind::RawNtlmssp;
  }

  wire::Bytes token = tok->mech_token;
  if (tok->kind == auth::ClientToken::Kind::Init && !tok->ntlmssp_preferred) {
    // The optimistic token is for a mechanism we do not speak: ask for
    // NTLMSSP instead (RFC 4178 4.2.1).
    auto out = auth::server_neg_token_resp(auth::NegState::AcceptIncomplete, true, {}, {});
    resp.status = st::MORE_PROCESSING_REQUIRED;
    wire::encode_session_setup_response(resp.body, 0, out);
    if (conn.dialect() == wire::dialect::SMB311) {
      resp.preauth = &s->preauth;
      resp.preauth_owner = s;
    }
    co_return;
  }

  if (!ctx->challenged) {
    auto neg = ntlm::parse_negotiate(token);
    if (!neg) {
      fail(st::INVALID_PARAMETER);
      co_return;
    }
    ctx->negotiate_msg.assign(token.begin(), token.end());
    ntlm::ChallengeParams p;
    p.flags = challenge_flags(neg->flags);
    auth::random_bytes(p.server_challenge);
    std::memcpy(ctx->challenge, p.server_challenge, 8);
    p.nb_domain = server.config().workgroup;
    p.nb_computer = server.config().netbios_name;
    p.dns_domain = "";
    p.dns_computer = server.config().netbios_name;
    p.timestamp = now_filetime();
    ctx->flags = p.flags;
    ctx->challenge_msg = ntlm::build_challenge(p);
    ctx->challenged = true;
    auto out = wrap(*ctx, auth::NegState::AcceptIncomplete, true, ctx->challenge_msg);
    resp.status = st::MORE_PROCESSING_REQUIRED;
    wire::encode_session_setup_response(resp.body, 0, out);
    if (conn.dialect() == wire::dialect::SMB311) {
      resp.preauth = &s->preauth;
      resp.preauth_owner = s;
    }
    co_return;
  }

  auto am = ntlm::parse_authenticate(token);
  if (!am) {
    fail(st::INVALID_PARAMETER);
    co_return;
  }
  uint16_t session_flags = 0;
  if (ntlm::is_anonymous(*am)) {
    session_flags = wire::SESSION_FLAG_IS_NULL;
    s->anonymous = true;
  } else if (server.config().map_to_guest != "never" || server.config().guest_only) {
    // No user database yet: every named user is a guest.
    session_flags = wire::SESSION_FLAG_IS_GUEST;
    s->guest = true;
  } else {
    log::info("{}: logon of {}\\{} refused (no user database, map to guest = never)",
              conn.peer(), am->domain, am->user);
    fail(st::LOGON_FAILURE);
    co_return;
  }
  s->user = am->user;
  s->domain = am->domain;
  s->auth_ctx.reset();
  {
    std::lock_guard lk(s->mu);
    s->state = SessionState::Valid;
  }
  conn.add_session(s);
  log::info("{}: session 0x{:x} for {} ({})", conn.peer(), s->id,
            s->anonymous ? std::string("anonymous") : am->user, s->guest ? "guest" : "null");
  auto out = wrap(*ctx, auth::NegState::AcceptCompleted, false, {});
  wire::encode_session_setup_response(resp.body, session_flags, out);
}

rt::Task<void> logoff(Request& req, Response& resp) {
  auto s = req.session;
  req.conn.remove_session(s->id);
  co_await destroy_session(req.conn.server(), s);
  wire::encode_empty_response(resp.body, 4);
}

}  // namespace ringsmb::server::handlers
