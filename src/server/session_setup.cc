// SESSION_SETUP and LOGOFF (MS-SMB2 3.3.5.5, 3.3.5.6).
//
// Authentication is SPNEGO-wrapped NTLMSSP (raw NTLMSSP is accepted too),
// NTLMv2 only, against the passdb. Anonymous logons give a null session;
// unknown users (and, with "map to guest = bad password", wrong passwords)
// become guests when the configuration allows it. An authenticated session
// gets its keys (3.3.5.5.3) and the Unix identity it acts as.
#include <grp.h>
#include <pwd.h>

#include <chrono>

#include "auth/ntlm_server.h"
#include "auth/spnego.h"
#include "rt/ops.h"
#include "rt/worker.h"
#include "server/handlers.h"
#include "server/log.h"
#include "server/server.h"
#include "server/session_ops.h"

namespace ringsmb::server::handlers {

namespace st = wire::status;

namespace {

struct AuthContext {
  explicit AuthContext(auth::NtlmServerConfig c) : ntlm(std::move(c)) {}
  auth::NtlmServer ntlm;
  bool spnego = true;  // answer in SPNEGO, or raw NTLMSSP
  std::vector<uint8_t> mech_types_der;  // for mechListMIC
};

std::vector<uint8_t> wrap(const AuthContext& ctx, auth::NegState state, bool first,
                          wire::Bytes token, wire::Bytes mic = {}) {
  if (!ctx.spnego) return std::vector<uint8_t>(token.begin(), token.end());
  return auth::server_neg_token_resp(state, first, token, mic);
}

// Looks up the Unix account a session acts as. False when it does not exist.
// Fills unix_user, uid, gid and groups of s.
bool resolve_identity(Session& s, const std::string& account) {
  s.unix_user = account;
  long bufsz = sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buf(static_cast<size_t>(bufsz > 0 ? bufsz : 16384));
  passwd pw{};
  passwd* res = nullptr;
  if (getpwnam_r(account.c_str(), &pw, buf.data(), buf.size(), &res) != 0 || res == nullptr) {
    return false;
  }
  s.uid = pw.pw_uid;
  s.gid = pw.pw_gid;
  int n = 64;
  std::vector<gid_t> groups(static_cast<size_t>(n));
  if (getgrouplist(account.c_str(), pw.pw_gid, groups.data(), &n) < 0) {
    groups.resize(static_cast<size_t>(n));
    getgrouplist(account.c_str(), pw.pw_gid, groups.data(), &n);
  }
  groups.resize(static_cast<size_t>(n));
  s.groups = std::move(groups);
  return true;
}

// Binding this connection to an existing session as a new channel
// (3.3.5.5.2 onwards): a fresh authentication of the same user, whose key
// becomes the channel's signing key. Checks ran in dispatch.
struct BindingContext {
  explicit BindingContext(auth::NtlmServerConfig c) : ctx(std::move(c)) {}
  AuthContext ctx;
  auth::PreauthHash preauth;  // the channel's, from this connection's NEGOTIATE
};

rt::Task<void> bind_channel(Request& req, Response& resp, const wire::SessionSetupRequest& q) {
  Connection& conn = req.conn;
  Server& server = conn.server();
  const Config& cfg = server.config();
  std::shared_ptr<Session> s = req.binding;
  resp.session_id = s->id;
  auto session_keys = std::make_shared<auth::SmbKeys>(s->keys);
  // Intermediate and failed binding responses are signed with the
  // session's key; the final one with the new channel's.
  resp.sign_with = session_keys;
  {
    // A session has at most so many channels (Limits); the session and
    // its channels go on, only this binding is refused.
    const unsigned max_channels = cfg.limits.channels_per_session;
    std::lock_guard lk(s->mu);
    if (max_channels != 0 && s->channels.size() >= max_channels) {
      conn.end_binding(s->id);
      resp.status = st::INSUFFICIENT_RESOURCES;
      co_return;
    }
  }
  auto& slot = conn.binding_ctx(s->id);
  auto tok = auth::parse_client_token(q.security_buffer);
  if (!tok || !tok->ntlmssp_offered) {
    conn.end_binding(s->id);
    resp.status = tok ? st::NOT_SUPPORTED : st::INVALID_PARAMETER;
    co_return;
  }
  auto b = std::static_pointer_cast<BindingContext>(slot);
  if (!b || tok->kind != auth::ClientToken::Kind::Resp) {
    auth::NtlmServerConfig nc;
    nc.nb_domain = cfg.workgroup;
    nc.nb_computer = cfg.netbios_name;
    nc.dns_computer = cfg.netbios_name;
    b = std::make_shared<BindingContext>(nc);
    b->ctx.spnego = tok->kind != auth::ClientToken::Kind::RawNtlmssp;
    b->ctx.mech_types_der.assign(tok->mech_types_der.begin(), tok->mech_types_der.end());
    b->preauth = conn.preauth();
    slot = b;
  }
  const bool v311 = conn.dialect() == wire::dialect::SMB311;
  if (v311) b->preauth.update(req.msg);
  if (!b->ctx.ntlm.challenged()) {
    auto challenge = b->ctx.ntlm.challenge(tok->mech_token);
    if (!challenge) {
      conn.end_binding(s->id);
      resp.status = st::INVALID_PARAMETER;
      co_return;
    }
    resp.status = st::MORE_PROCESSING_REQUIRED;
    wire::encode_session_setup_response(resp.body, 0,
                                        wrap(b->ctx, auth::NegState::AcceptIncomplete, true, *challenge));
    if (v311) resp.preauth = &b->preauth;
    resp.preauth_owner = s;
    // Keep the context alive with the response (it holds the hash).
    co_return;
  }
  std::optional<auth::UserRecord> record;
  auto result = b->ctx.ntlm.authenticate(tok->mech_token, [&](const std::string& name) {
    record = server.find_user(name);
    return record ? std::optional<auth::Key16>(record->nt_hash) : std::nullopt;
  });
  conn.end_binding(s->id);
  if (result.outcome != auth::NtlmServer::Outcome::Authenticated) {
    server.record_logon_result(conn.peer_addr(), false);
    resp.status = result.outcome == auth::NtlmServer::Outcome::Malformed ? st::INVALID_PARAMETER
                                                                         : st::LOGON_FAILURE;
    co_return;
  }
  std::vector<uint8_t> our_mic;
  if (b->ctx.spnego && b->ctx.ntlm.mic_present()) {
    if (tok->mech_list_mic.empty() ||
        !b->ctx.ntlm.verify_mech_list_mic(b->ctx.mech_types_der, tok->mech_list_mic)) {
      resp.status = st::LOGON_FAILURE;
      co_return;
    }
    our_mic = b->ctx.ntlm.sign_mech_list(b->ctx.mech_types_der);
  }
  {
    std::lock_guard lk(s->mu);
    if (!wire::equal_ci(s->user, result.user) || s->state != SessionState::Valid) {
      // A channel must be the session's own user (3.3.5.5.3).
      resp.status = s->state != SessionState::Valid ? st::USER_SESSION_DELETED : st::ACCESS_DENIED;
      co_return;
    }
  }
  auth::SmbKeys derived = auth::derive_smb_keys(b->ctx.ntlm.session_key(), conn.dialect(),
                                               conn.signing_alg(), s->keys.cipher, &b->preauth.value());
  auto ch_keys = std::make_shared<auth::SmbKeys>(s->keys);
  ch_keys->signing_key = derived.signing_key;
  ch_keys->signing_alg = conn.signing_alg();
  {
    std::lock_guard lk(s->mu);
    if (s->channels.size() >= 32) {
      resp.status = st::INSUFFICIENT_RESOURCES;
      co_return;
    }
    Channel ch;
    ch.conn = &conn;
    ch.conn_ref = conn.shared_from_this();
    ch.worker = rt::Worker::current();
    ch.keys = ch_keys;
    s->channels.push_back(std::move(ch));
  }
  conn.add_session(s);
  server.record_logon_result(conn.peer_addr(), true);
  log::info("{}: channel {} of session 0x{:x} ({})", conn.peer(), s->channels.size(), s->id, s->user);
  uint16_t flags = s->encrypt_data ? wire::SESSION_FLAG_ENCRYPT_DATA : 0;
  wire::encode_session_setup_response(resp.body, flags,
                                      wrap(b->ctx, auth::NegState::AcceptCompleted, false, {}, our_mic));
  resp.sign_with = ch_keys;
}

}  // namespace

rt::Task<void> session_setup(Request& req, Response& resp) {
  Connection& conn = req.conn;
  Server& server = conn.server();
  const Config& cfg = server.config();
  auto q = wire::parse_session_setup(req.msg);
  if (!q) {
    resp.status = q.status();
    co_return;
  }
  if (q->flags & wire::SESSION_FLAG_BINDING) {
    co_await bind_channel(req, resp, *q);
    co_return;
  }

  std::shared_ptr<Session> s;
  bool is_new = false;
  bool reauth = false;
  if (req.hdr.session_id == 0) {
    const unsigned max_sessions = cfg.limits.sessions_per_connection;
    if (max_sessions != 0 && conn.session_count() >= max_sessions) {
      resp.status = st::INSUFFICIENT_RESOURCES;
      co_return;
    }
    s = server.sessions().create(conn.dialect());
    s->creator = &conn;
    conn.add_pending_session(s);
    is_new = true;
    if (conn.dialect() == wire::dialect::SMB311) s->preauth = conn.preauth();
  } else {
    s = server.sessions().find(req.hdr.session_id);
    // A session in progress belongs to the connection that began it; an
    // established one to the connections it is bound to.
    if (!s || (!conn.has_session(s->id) && !s->in_setup_on(&conn))) {
      resp.status = st::USER_SESSION_DELETED;
      co_return;
    }
    std::lock_guard lk(s->mu);
    if (s->state == SessionState::Expired) {
      resp.status = st::NETWORK_SESSION_EXPIRED;
      co_return;
    }
    reauth = s->state == SessionState::Valid;
  }
  resp.session_id = s->id;
  // A failed logon removes the session; a failed re-authentication too
  // (its requests then get STATUS_USER_SESSION_DELETED).
  auto fail = [&](wire::NtStatus status) {
    resp.status = status;
    s->auth_ctx.reset();
    if (reauth) {
      conn.remove_session(s->id);
      rt::spawn(destroy_session(server, s));
    } else {
      server.sessions().remove(s->id);
    }
  };
  const bool in_preauth = conn.dialect() == wire::dialect::SMB311 && !reauth;
  if (in_preauth) s->preauth.update(req.msg);
  auto more = [&](std::vector<uint8_t> token) {
    resp.status = st::MORE_PROCESSING_REQUIRED;
    wire::encode_session_setup_response(resp.body, 0, token);
    if (in_preauth) {
      resp.preauth = &s->preauth;
      resp.preauth_owner = s;
    }
  };

  auto tok = auth::parse_client_token(q->security_buffer);
  if (!tok || !tok->ntlmssp_offered) {
    fail(tok ? st::NOT_SUPPORTED : st::INVALID_PARAMETER);
    co_return;
  }
  auto ctx = std::static_pointer_cast<AuthContext>(s->auth_ctx);
  if (tok->kind != auth::ClientToken::Kind::Resp || !ctx) {
    // A (re)start of authentication.
    auth::NtlmServerConfig nc;
    nc.nb_domain = cfg.workgroup;
    nc.nb_computer = cfg.netbios_name;
    nc.dns_computer = cfg.netbios_name;
    ctx = std::make_shared<AuthContext>(nc);
    ctx->spnego = tok->kind != auth::ClientToken::Kind::RawNtlmssp;
    ctx->mech_types_der.assign(tok->mech_types_der.begin(), tok->mech_types_der.end());
    s->auth_ctx = ctx;
    if (tok->kind == auth::ClientToken::Kind::Init && !tok->ntlmssp_preferred) {
      // The optimistic token is for a mechanism we do not speak: offer
      // NTLMSSP instead (RFC 4178 4.2.1).
      more(auth::server_neg_token_resp(auth::NegState::AcceptIncomplete, true, {}, {}));
      co_return;
    }
  }

  if (!ctx->ntlm.challenged()) {
    auto challenge = ctx->ntlm.challenge(tok->mech_token);
    if (!challenge) {
      fail(st::INVALID_PARAMETER);
      co_return;
    }
    more(wrap(*ctx, auth::NegState::AcceptIncomplete, true, *challenge));
    co_return;
  }

  std::optional<auth::UserRecord> record;
  auto result = ctx->ntlm.authenticate(tok->mech_token, [&](const std::string& name) {
    record = server.find_user(name);
    return record ? std::optional<auth::Key16>(record->nt_hash) : std::nullopt;
  });
  using O = auth::NtlmServer::Outcome;
  const std::string& addr = conn.peer_addr();
  bool guest = false, anonymous = false;
  switch (result.outcome) {
    case O::Malformed:
      fail(st::INVALID_PARAMETER);
      co_return;
    case O::Anonymous:
      anonymous = true;
      break;
    case O::Authenticated:
      guest = cfg.guest_only;
      break;
    case O::UnknownUser:
      guest = cfg.guest_only || cfg.map_to_guest == "bad user" || cfg.map_to_guest == "bad password";
      break;
    case O::WrongPassword:
      guest = cfg.guest_only || cfg.map_to_guest == "bad password";
      break;
    case O::Refused:
      guest = cfg.guest_only;
      break;
  }
  const bool authenticated = result.outcome == O::Authenticated && !guest;
  if (!authenticated && !guest && !anonymous) {
    auto delay = server.logon_failure_delay(addr);
    server.record_logon_result(addr, false);
    log::info("{}: logon of {}\\{} failed ({})", conn.peer(), result.domain, result.user,
              result.outcome == O::UnknownUser     ? "unknown user"
              : result.outcome == O::WrongPassword ? "wrong password"
                                                   : "LM/NTLMv1 refused");
    if (delay.count() > 0) co_await rt::sleep(delay);
    fail(st::LOGON_FAILURE);
    co_return;
  }
  if ((guest || anonymous) && cfg.signing == Signing::Mandatory && !reauth) {
    // A new guest session has no key to sign with (a re-authenticated
    // session keeps the keys it has).
    log::info("{}: guest/anonymous logon refused: server signing is mandatory", conn.peer());
    fail(st::ACCESS_DENIED);
    co_return;
  }

  // SPNEGO mechListMIC (MS-SPNG 3.1.5.1): required both ways once the
  // NTLMSSP exchange carried a MIC.
  std::vector<uint8_t> our_mic;
  if (authenticated && ctx->spnego && ctx->ntlm.mic_present()) {
    if (tok->mech_list_mic.empty() ||
        !ctx->ntlm.verify_mech_list_mic(ctx->mech_types_der, tok->mech_list_mic)) {
      server.record_logon_result(addr, false);
      fail(st::LOGON_FAILURE);
      co_return;
    }
    our_mic = ctx->ntlm.sign_mech_list(ctx->mech_types_der);
  }

  // Identity: the user's Unix account, or the guest account.
  std::string account = authenticated ? record->unix_user : cfg.guest_account;
  Session probe;
  if (!resolve_identity(probe, account) && server.running_as_root()) {
    log::warn("{}: Unix account '{}' for {} does not exist", conn.peer(), account, result.user);
    fail(st::LOGON_FAILURE);
    co_return;
  }
  if (server.running_as_root()) {
    // File operations of this session run with the account's credentials.
    auto id = std::make_shared<rt::Identity>();
    id->uid = probe.uid;
    id->gid = probe.gid;
    id->groups = probe.groups;
    probe.cred = std::move(id);
  }

  if (reauth) {
    // Re-authentication (3.3.5.5.3) keeps the session and its keys; what
    // the session may do follows the new identity, as Samba does.
    {
      std::lock_guard lk(s->mu);
      s->user = result.user;
      s->domain = result.domain;
      s->guest = guest;
      s->anonymous = anonymous;
      s->unix_user = probe.unix_user;
      s->uid = probe.uid;
      s->gid = probe.gid;
      s->groups = probe.groups;
      s->cred = probe.cred;
    }
    s->auth_ctx.reset();
    server.record_logon_result(addr, true);
    log::info("{}: session 0x{:x} re-authenticated as {}", conn.peer(), s->id,
              anonymous ? std::string("anonymous") : result.user);
    uint16_t flags = guest ? wire::SESSION_FLAG_IS_GUEST
                     : anonymous ? wire::SESSION_FLAG_IS_NULL : 0;
    if (s->encrypt_data) flags |= wire::SESSION_FLAG_ENCRYPT_DATA;
    wire::encode_session_setup_response(resp.body, flags,
                                        wrap(*ctx, auth::NegState::AcceptCompleted, false, {}, our_mic));
    resp.sign_with = s->keys_for(&conn);
    co_return;
  }
  s->unix_user = probe.unix_user;
  s->uid = probe.uid;
  s->gid = probe.gid;
  s->groups = probe.groups;
  s->cred = probe.cred;

  s->user = result.user;
  s->domain = result.domain;
  s->guest = guest;
  s->anonymous = anonymous;
  uint16_t session_flags = guest ? wire::SESSION_FLAG_IS_GUEST
                           : anonymous ? wire::SESSION_FLAG_IS_NULL : 0;
  if (authenticated) {
    s->keys = auth::derive_smb_keys(ctx->ntlm.session_key(), conn.dialect(), conn.signing_alg(),
                                    conn.cipher(), &s->preauth.value());
    s->signing_required = cfg.signing == Signing::Mandatory ||
                          (conn.client_security_mode() & wire::NEGOTIATE_SIGNING_REQUIRED) ||
                          (q->security_mode & wire::NEGOTIATE_SIGNING_REQUIRED);
    if (cfg.encrypt == Encrypt::Required || (cfg.encrypt == Encrypt::Desired && conn.can_encrypt())) {
      if (!conn.can_encrypt()) {
        log::info("{}: {} refused: encryption is required and the client cannot encrypt",
                  conn.peer(), result.user);
        fail(st::ACCESS_DENIED);
        co_return;
      }
      s->encrypt_data = true;
      session_flags |= wire::SESSION_FLAG_ENCRYPT_DATA;
    }
  } else if (cfg.encrypt == Encrypt::Required) {
    fail(st::ACCESS_DENIED);  // nothing to encrypt with
    co_return;
  }
  s->auth_ctx.reset();
  {
    std::lock_guard lk(s->mu);
    s->state = SessionState::Valid;
    Channel ch;
    ch.conn = &conn;
    ch.conn_ref = conn.shared_from_this();
    ch.worker = rt::Worker::current();
    if (s->keys.valid()) ch.keys = std::make_shared<const auth::SmbKeys>(s->keys);
    s->channels.push_back(std::move(ch));
  }
  conn.add_session(s);
  // A reconnecting client names its previous session: it ends, with its
  // opens, when the same user authenticated (3.3.5.5.3).
  if (q->previous_session_id != 0 && q->previous_session_id != s->id && authenticated) {
    if (auto prev = server.sessions().find(q->previous_session_id)) {
      bool same_user;
      {
        std::lock_guard lk(prev->mu);
        same_user = prev->state == SessionState::Valid && !prev->guest && !prev->anonymous &&
                    wire::equal_ci(prev->user, result.user);
      }
      if (same_user) {
        log::info("{}: session 0x{:x} replaces 0x{:x}", conn.peer(), s->id, prev->id);
        co_await destroy_session(server, prev, true);  // its durable opens stay
      }
    }
  }
  server.record_logon_result(addr, true);
  static const char* const kSign[] = {"HMAC-SHA256", "AES-128-CMAC", "AES-128-GMAC"};
  static const char* const kCipher[] = {"none", "AES-128-CCM", "AES-128-GCM", "AES-256-CCM",
                                        "AES-256-GCM"};
  log::info("{}: session 0x{:x}: {}{} as {}{}{}{}", conn.peer(), s->id,
            anonymous ? std::string("anonymous") : result.user, guest ? " (guest)" : "", account,
            s->keys.valid() ? fmt::format(", signing {}", kSign[s->keys.signing_alg % 3]) : "",
            s->keys.valid() && s->keys.cipher != 0
                ? fmt::format(", cipher {}", kCipher[s->keys.cipher % 5])
                : "",
            s->signing_required ? ", signing required" : s->encrypt_data ? ", encrypt data" : "");
  wire::encode_session_setup_response(resp.body, session_flags,
                                      wrap(*ctx, auth::NegState::AcceptCompleted, false, {}, our_mic));
  // The final response is signed: always on 3.1.1 (3.3.5.5.3), otherwise
  // when signing is in use.
  if (s->keys.valid() && (conn.dialect() == wire::dialect::SMB311 || s->signing_required ||
                          req.hdr.is_signed())) {
    resp.sign_with = s->keys_for(&conn);
  }
  (void)is_new;
}

rt::Task<void> logoff(Request& req, Response& resp) {
  auto s = req.session;
  req.conn.remove_session(s->id);
  // The response goes out signed with the keys of the session it ends.
  if (s->keys.valid() && (s->signing_required || req.hdr.is_signed())) {
    resp.sign_with = s->keys_for(&req.conn);
  }
  const bool ended_here = co_await end_session(req.conn.server(), s);
  if (!ended_here) {
    resp.status = st::USER_SESSION_DELETED;  // a LOGOFF on another channel came first
    co_return;
  }
  wire::encode_empty_response(resp.body, 4);
}

}  // namespace ringsmb::server::handlers
