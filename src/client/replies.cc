#include "client/replies.h"

#include <algorithm>

#include "wire/smb2.h"

namespace ringsmb::client {

namespace st = wire::status;

namespace {

constexpr NtStatus kBad = st::INVALID_NETWORK_RESPONSE;

bool contains(const std::vector<uint16_t>& v, uint16_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// A final SESSION_SETUP reply is signed with the key it establishes
// (3.2.5.3.1): verify it with k.
bool signature_matches(const auth::SmbKeys& k, Bytes msg) {
  static const uint8_t kZero[16] = {};
  Bytes pieces[] = {msg.subspan(0, 48), Bytes(kZero, 16), msg.subspan(64)};
  auto sig = auth::smb_signature(k, wire::ld64(msg.data() + 24), true, false, pieces);
  return auth::equal_ct(Bytes(sig.data(), 16), msg.subspan(48, 16));
}

}  // namespace

// MS-SMB2 3.2.5.2.
Result<Negotiated> settle_negotiate(const NegotiateOffer& offer, Bytes msg) {
  auto n = wire::parse_negotiate_response(msg);
  if (!n) return wire::Err{kBad};
  if (!contains(offer.dialects, n->dialect)) return wire::Err{kBad};  // incl. 0x02FF
  Negotiated s;
  s.dialect = n->dialect;
  s.capabilities = n->capabilities;
  s.security_mode = n->security_mode;
  s.server_guid = n->server_guid;
  s.security_hint = n->security_buffer;
  const uint32_t cap_io = s.dialect == wire::dialect::SMB202 ? 65536u : offer.max_io;
  s.max_read = std::min(n->max_read, cap_io);
  s.max_write = std::min(n->max_write, cap_io);
  s.max_transact = std::min(n->max_transact, cap_io);
  if (s.max_read < 4096 || s.max_write < 4096) return wire::Err{kBad};
  s.signing_alg = s.dialect < wire::dialect::SMB300 ? wire::signalg::HMAC_SHA256
                                                    : wire::signalg::AES_CMAC;
  if (s.dialect == wire::dialect::SMB311) {
    bool have_preauth = false;
    for (const auto& ctx : n->contexts) {
      if (ctx.type == wire::negctx::PREAUTH_INTEGRITY_CAPABILITIES) {
        have_preauth = true;
      } else if (ctx.type == wire::negctx::ENCRYPTION_CAPABILITIES) {
        auto ids = wire::parse_u16_list(ctx.data);
        if (!ids || ids->size() != 1) return wire::Err{kBad};
        const uint16_t id = (*ids)[0];
        if (id != 0 && !contains(offer.ciphers, id)) return wire::Err{kBad};
        s.cipher = id;
      } else if (ctx.type == wire::negctx::SIGNING_CAPABILITIES) {
        auto ids = wire::parse_u16_list(ctx.data);
        if (!ids || ids->size() != 1) return wire::Err{kBad};
        const uint16_t id = (*ids)[0];
        if (!contains(offer.signing_algs, id)) return wire::Err{kBad};
        s.signing_alg = id;
      }
    }
    if (!have_preauth) return wire::Err{kBad};  // 3.2.5.2
  } else if (wire::is_smb3(s.dialect) && (s.capabilities & wire::cap::ENCRYPTION)) {
    s.cipher = wire::cipher::AES128_CCM;
  }
  return s;
}

// ------------------------------------------------------------ SetupExchange

SetupExchange::SetupExchange(const auth::NtlmCredentials& creds, Params p)
    : ntlm_(creds), p_(std::move(p)), session_id_(p_.binding ? p_.session_id : 0) {}

bool SetupExchange::dialect_is_311() const { return p_.dialect == wire::dialect::SMB311; }

const std::vector<uint8_t>& SetupExchange::first_token(Bytes server_hint) {
  token_ = ntlm_.first_token(server_hint);
  return token_;
}

// MS-SMB2 3.2.5.3.
NtStatus SetupExchange::on_reply(const wire::Header& h, Bytes msg, bool was_encrypted) {
  const NtStatus s = h.status;
  if (s != st::SUCCESS && s != st::MORE_PROCESSING_REQUIRED) return s;
  auto resp = wire::parse_session_setup_response(msg);
  if (!resp) return kBad;
  if (!p_.binding) session_id_ = h.session_id;
  if (session_id_ == 0 || (p_.binding && h.session_id != p_.session_id)) return kBad;
  const bool v311 = dialect_is_311();
  if (s == st::MORE_PROCESSING_REQUIRED) {
    if (v311) p_.preauth.update(msg);
    auto next = ntlm_.next_token(resp->security_buffer);
    if (!next) return st::LOGON_FAILURE;
    token_ = std::move(*next);
    return st::MORE_PROCESSING_REQUIRED;
  }
  // SUCCESS. A guest or anonymous session has no key, so the server's
  // last token carries no mechListMIC: only keyed sessions are held to it.
  const bool keyless_flags =
      (resp->session_flags & (wire::SESSION_FLAG_IS_GUEST | wire::SESSION_FLAG_IS_NULL)) != 0;
  if (!keyless_flags && !ntlm_.finish(resp->security_buffer)) return st::LOGON_FAILURE;
  session_flags_ = resp->session_flags;
  if (ntlm_.anonymous() || keyless_flags) return st::SUCCESS;
  auto k = std::make_shared<auth::SmbKeys>(auth::derive_smb_keys(
      ntlm_.session_key(), p_.dialect, p_.signing_alg, p_.cipher,
      v311 ? &p_.preauth.value() : nullptr));
  // 3.2.5.3.1: for 3.1.1 (and for every binding) the final response is
  // signed with the new key; verify it.
  if ((v311 || p_.binding) && !was_encrypted) {
    if (!h.is_signed() || !signature_matches(*k, msg)) return st::ACCESS_DENIED;
  }
  keys_ = std::move(k);
  return st::SUCCESS;
}

// ------------------------------------------------------------------- Tree

Result<OpenFile> decode_create(Bytes msg) {
  auto cr = wire::parse_create_response(msg);
  if (!cr) return wire::Err{kBad};
  OpenFile f;
  f.id = cr->file_id;
  f.info = cr->info;
  f.create_action = cr->create_action;
  return f;
}

Result<Bytes> decode_read(Bytes msg, uint32_t asked) {
  auto rd = wire::parse_read_response(msg);
  if (!rd) return wire::Err{kBad};
  if (rd->data.size() > asked) return wire::Err{kBad};
  return rd->data;
}

Result<std::vector<wire::DirEntry>> decode_directory(Bytes msg, uint8_t info_class) {
  auto buf = wire::parse_buffer_response(msg);
  if (!buf) return wire::Err{kBad};
  return wire::parse_dir_entries(*buf, info_class);
}

Result<wire::AllInfo> decode_all_info(Bytes msg) {
  auto buf = wire::parse_buffer_response(msg);
  if (!buf) return wire::Err{kBad};
  return wire::parse_all_info(*buf);
}

Result<wire::FsFullSize> decode_fs_full_size(Bytes msg) {
  auto buf = wire::parse_buffer_response(msg);
  if (!buf) return wire::Err{kBad};
  return wire::parse_fs_full_size(*buf);
}

Result<std::vector<wire::NetworkInterface>> decode_network_interfaces(Bytes msg) {
  auto io = wire::parse_ioctl_response(msg);
  if (!io) return wire::Err{kBad};
  return wire::parse_network_interfaces(io->output);
}

}  // namespace ringsmb::client
