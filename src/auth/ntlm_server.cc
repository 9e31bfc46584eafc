#include "auth/ntlm_server.h"

#include <ctime>
#include <cstring>

#include "wire/fscc.h"
#include "wire/le.h"
#include "wire/utf16.h"

namespace ringsmb::auth {

namespace {

constexpr char kC2SSign[] = "session key to client-to-server signing key magic constant";
constexpr char kS2CSign[] = "session key to server-to-client signing key magic constant";
constexpr char kC2SSeal[] = "session key to client-to-server sealing key magic constant";
constexpr char kS2CSeal[] = "session key to server-to-client sealing key magic constant";

// The constants are hashed with their terminating zero.
Bytes with_nul(const char* s) { return {reinterpret_cast<const uint8_t*>(s), std::strlen(s) + 1}; }

uint32_t challenge_flags(uint32_t client) {
  namespace f = ntlm::flag;
  uint32_t out = f::NTLM | f::ALWAYS_SIGN | f::TARGET_TYPE_SERVER | f::TARGET_INFO | f::VERSION |
                 f::REQUEST_TARGET | f::EXTENDED_SESSIONSECURITY;
  out |= (client & f::UNICODE) ? f::UNICODE : f::OEM;
  for (uint32_t b : {f::SIGN, f::SEAL, f::NEG_128, f::NEG_56, f::KEY_EXCH, f::ANONYMOUS}) {
    if (client & b) out |= b;
  }
  return out;
}

uint64_t now_filetime() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return wire::unix_to_filetime(ts.tv_sec, static_cast<uint32_t>(ts.tv_nsec));
}

}  // namespace

Key16 ntowf_v2(const Key16& nt_hash, std::string_view user, std::string_view domain) {
  std::string s = wire::to_upper(user);
  s.append(domain);
  auto u = wire::utf8_to_utf16le(s);
  return hmac_md5(Bytes(nt_hash.data(), 16), {Bytes(u.data(), u.size())});
}

Key16 ntlm_sign_key(const Key16& session_key, bool client_to_server) {
  return md5({Bytes(session_key.data(), 16), with_nul(client_to_server ? kC2SSign : kS2CSign)});
}

std::vector<uint8_t> ntlm_seal_key(const Key16& session_key, uint32_t flags,
                                   bool client_to_server) {
  // MS-NLMP 3.4.5.3 SEALKEY with extended session security.
  size_t len = (flags & ntlm::flag::NEG_128) ? 16 : (flags & ntlm::flag::NEG_56) ? 7 : 5;
  Key16 k = md5({Bytes(session_key.data(), len),
                 with_nul(client_to_server ? kC2SSeal : kS2CSeal)});
  return {k.begin(), k.end()};
}

std::array<uint8_t, 16> ntlm_signature(const Key16& sign_key, Bytes seal_key, uint32_t flags,
                                       uint32_t seq, Bytes message) {
  uint8_t seqb[4];
  wire::st32(seqb, seq);
  Key16 mac = hmac_md5(Bytes(sign_key.data(), 16), {Bytes(seqb, 4), message});
  std::array<uint8_t, 16> sig{};
  wire::st32(sig.data(), 1);  // Version
  std::memcpy(sig.data() + 4, mac.data(), 8);
  if (flags & ntlm::flag::KEY_EXCH) {
    Rc4 rc4(seal_key);
    rc4.apply(std::span<uint8_t>(sig.data() + 4, 8));
  }
  wire::st32(sig.data() + 12, seq);
  return sig;
}

std::optional<std::vector<uint8_t>> NtlmServer::challenge(Bytes negotiate_msg) {
  auto neg = ntlm::parse_negotiate(negotiate_msg);
  if (!neg) return std::nullopt;
  negotiate_msg_.assign(negotiate_msg.begin(), negotiate_msg.end());
  ntlm::ChallengeParams p;
  p.flags = challenge_flags(neg->flags);
  random_bytes(p.server_challenge);
  std::memcpy(server_challenge_, p.server_challenge, 8);
  p.nb_domain = cfg_.nb_domain;
  p.nb_computer = cfg_.nb_computer;
  p.dns_domain = cfg_.dns_domain;
  p.dns_computer = cfg_.dns_computer;
  p.timestamp = now_filetime();
  flags_ = p.flags;
  challenge_msg_ = ntlm::build_challenge(p);
  return challenge_msg_;
}

NtlmServer::Result NtlmServer::authenticate(
    Bytes msg, const std::function<std::optional<Key16>(const std::string&)>& lookup) {
  Result r;
  auto am = ntlm::parse_authenticate(msg);
  if (!am || challenge_msg_.empty()) return r;
  r.user = am->user;
  r.domain = am->domain;
  r.workstation = am->workstation;
  if (ntlm::is_anonymous(*am)) {
    r.outcome = Outcome::Anonymous;
    return r;
  }
  // NTLMv2 only: the response carries NTProofStr (16) + a blob (>= 28).
  if (am->nt_response.size() < 16 + 28) {
    r.outcome = Outcome::Refused;
    return r;
  }
  // The blob (MS-NLMP 2.2.2.7): RespType and HiRespType 1, then AV pairs
  // ending with MsvAvEOL. A blob that does not parse is malformed input.
  if (am->nt_response[16] != 1 || am->nt_response[17] != 1 ||
      !ntlm::ntlmv2_av_pairs(am->nt_response)) {
    r.outcome = Outcome::Malformed;
    return r;
  }
  auto hash = lookup(am->user);
  if (!hash) {
    r.outcome = Outcome::UnknownUser;
    return r;
  }
  Bytes proof = am->nt_response.subspan(0, 16);
  Bytes blob = am->nt_response.subspan(16);
  // The client computed NTOWFv2 with the domain it sent; Windows clients
  // also succeed against the upper-cased and the empty domain.
  std::string domains[] = {am->domain, wire::to_upper(am->domain), std::string()};
  bool matched = false;
  Key16 owf{};
  for (const auto& d : domains) {
    owf = ntowf_v2(*hash, am->user, d);
    Key16 p = hmac_md5(Bytes(owf.data(), 16), {Bytes(server_challenge_, 8), blob});
    if (equal_ct(Bytes(p.data(), 16), proof)) {
      matched = true;
      break;
    }
  }
  if (!matched) {
    r.outcome = Outcome::WrongPassword;
    return r;
  }
  // MS-NLMP 3.3.2: SessionBaseKey = KeyExchangeKey for NTLMv2.
  Key16 base = hmac_md5(Bytes(owf.data(), 16), {proof});
  if ((am->flags & ntlm::flag::KEY_EXCH) && am->encrypted_random_session_key.size() == 16) {
    std::memcpy(session_key_.data(), am->encrypted_random_session_key.data(), 16);
    Rc4 rc4(Bytes(base.data(), 16));
    rc4.apply(session_key_);
  } else {
    session_key_ = base;
  }
  flags_ &= am->flags | ntlm::flag::UNICODE;  // what both agreed
  if ((am->flags & ntlm::flag::KEY_EXCH) == 0) flags_ &= ~ntlm::flag::KEY_EXCH;
  if (am->has_mic) {
    // MIC = HMAC_MD5(ExportedSessionKey, NEGOTIATE || CHALLENGE || AUTHENTICATE
    // with the MIC field zeroed) (MS-NLMP 3.2.5.1.2).
    std::vector<uint8_t> auth_copy(msg.begin(), msg.end());
    std::memset(auth_copy.data() + 72, 0, 16);
    Key16 mic = hmac_md5(Bytes(session_key_.data(), 16),
                         {Bytes(negotiate_msg_.data(), negotiate_msg_.size()),
                          Bytes(challenge_msg_.data(), challenge_msg_.size()),
                          Bytes(auth_copy.data(), auth_copy.size())});
    if (!equal_ct(Bytes(mic.data(), 16), am->mic)) {
      r.outcome = Outcome::WrongPassword;  // tampered or wrong key
      return r;
    }
    mic_present_ = true;
  }
  r.outcome = Outcome::Authenticated;
  return r;
}

bool NtlmServer::verify_mech_list_mic(Bytes mech_types_der, Bytes mic) {
  if (mic.size() != 16) return false;
  Key16 sk = ntlm_sign_key(session_key_, true);
  auto seal = ntlm_seal_key(session_key_, flags_, true);
  auto expect = ntlm_signature(sk, seal, flags_, 0, mech_types_der);
  return equal_ct(Bytes(expect.data(), 16), mic);
}

std::vector<uint8_t> NtlmServer::sign_mech_list(Bytes mech_types_der) {
  Key16 sk = ntlm_sign_key(session_key_, false);
  auto seal = ntlm_seal_key(session_key_, flags_, false);
  auto sig = ntlm_signature(sk, seal, flags_, 0, mech_types_der);
  return {sig.begin(), sig.end()};
}

}  // namespace ringsmb::auth
