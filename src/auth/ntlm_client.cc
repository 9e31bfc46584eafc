#include "auth/ntlm_client.h"

#include <cstring>
#include <ctime>

#include "auth/ntlm_server.h"
#include "auth/ntlmssp.h"
#include "auth/spnego.h"
#include "auth/userdb.h"
#include "wire/fscc.h"
#include "wire/le.h"
#include "wire/utf16.h"

namespace ringsmb::auth {

namespace {

namespace f = ntlm::flag;
using wire::ld16;
using wire::ld32;
using wire::ld64;
using wire::st16;
using wire::st32;

constexpr uint8_t kSig[8] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};

// What the NEGOTIATE asks for (MS-NLMP 3.1.5.1.1), as a Windows client does
// (less OEM and LM_KEY, which are never used here; plus TARGET_INFO, which
// the AUTHENTICATE carries anyway). NTLMv2 with extended session security
// and key exchange is the only thing spoken.
constexpr uint32_t kClientFlags = f::UNICODE | f::REQUEST_TARGET | f::SIGN | f::SEAL | f::NTLM |
                                  f::ALWAYS_SIGN | f::EXTENDED_SESSIONSECURITY | f::TARGET_INFO |
                                  f::VERSION | f::NEG_128 | f::KEY_EXCH | f::NEG_56;

// Message layouts (MS-NLMP 2.2.1.1 - 2.2.1.3).
constexpr size_t kNegotiateSize = 40;      // fixed part with Version, no payload
constexpr size_t kChallengeMinSize = 48;   // up to TargetInfoFields
constexpr size_t kAuthenticateFixed = 72;  // up to and with Version
constexpr size_t kMicOffset = 72;          // MIC follows Version when sent
constexpr size_t kMicSize = 16;

// Version (MS-NLMP 2.2.2.10): Windows 10 / Server 2022 (10.0 build 20348),
// NTLMSSP revision 15.
void put_version(uint8_t* p) {
  p[0] = 10;
  p[1] = 0;
  st16(p + 2, 20348);
  p[4] = p[5] = p[6] = 0;
  p[7] = 15;
}

std::vector<uint8_t> build_negotiate() {
  // DomainNameFields and WorkstationFields stay zero: neither is supplied.
  std::vector<uint8_t> m(kNegotiateSize, 0);
  std::memcpy(m.data(), kSig, 8);
  st32(m.data() + 8, 1);
  st32(m.data() + 12, kClientFlags);
  put_version(m.data() + 32);
  return m;
}

// A decoded CHALLENGE_MESSAGE (MS-NLMP 2.2.1.2); spans point into it.
struct Challenge {
  uint32_t flags = 0;
  Bytes server_challenge;
  std::vector<ntlm::AvPair> target_info;  // without MsvAvEOL
  std::optional<uint64_t> timestamp;      // MsvAvTimestamp
  bool has_nb_names = false;              // MsvAvNbComputerName and MsvAvNbDomainName
};

// An AV_PAIR list (MS-NLMP 2.2.2.1) ending with MsvAvEOL; an empty list is
// taken as one holding only MsvAvEOL.
std::optional<std::vector<ntlm::AvPair>> parse_av_list(Bytes in) {
  std::vector<ntlm::AvPair> out;
  if (in.empty()) return out;
  size_t pos = 0;
  while (in.size() - pos >= 4) {
    uint16_t id = ld16(in.data() + pos);
    uint16_t len = ld16(in.data() + pos + 2);
    pos += 4;
    if (len > in.size() - pos) return std::nullopt;
    if (id == ntlm::av::EOL) return out;
    out.push_back({id, in.subspan(pos, len)});
    pos += len;
    if (out.size() > 64) return std::nullopt;
  }
  return std::nullopt;
}

std::optional<Challenge> parse_challenge(Bytes in) {
  if (in.size() < kChallengeMinSize || std::memcmp(in.data(), kSig, 8) != 0 ||
      ld32(in.data() + 8) != 2) {
    return std::nullopt;
  }
  Challenge c;
  c.flags = ld32(in.data() + 20);
  c.server_challenge = in.subspan(24, 8);
  // TargetInfoFields; the TargetName is not needed for NTLMv2.
  uint16_t len = ld16(in.data() + 40);
  uint32_t off = ld32(in.data() + 44);
  Bytes info;
  if (len != 0) {
    if (off > in.size() || len > in.size() - off) return std::nullopt;
    info = in.subspan(off, len);
  }
  auto pairs = parse_av_list(info);
  if (!pairs) return std::nullopt;
  bool nb_computer = false, nb_domain = false;
  for (const auto& p : *pairs) {
    if (p.id == ntlm::av::TIMESTAMP) {
      if (p.value.size() != 8) return std::nullopt;
      c.timestamp = ld64(p.value.data());
    }
    nb_computer |= p.id == ntlm::av::NB_COMPUTER;
    nb_domain |= p.id == ntlm::av::NB_DOMAIN;
  }
  c.has_nb_names = nb_computer && nb_domain;
  c.target_info = std::move(*pairs);
  return c;
}

void put_av(std::vector<uint8_t>& out, uint16_t id, Bytes value) {
  size_t o = out.size();
  out.resize(o + 4 + value.size());
  st16(out.data() + o, id);
  st16(out.data() + o + 2, static_cast<uint16_t>(value.size()));
  if (!value.empty()) std::memcpy(out.data() + o + 4, value.data(), value.size());
}

// The AV pairs of the NTLMv2 response (MS-NLMP 3.1.5.1.2): the server's,
// with MsvAvFlags saying a MIC is present when one is sent, then MsvAvEOL.
std::vector<uint8_t> client_av_pairs(const std::vector<ntlm::AvPair>& server, bool with_mic) {
  std::vector<uint8_t> out;
  bool flags_done = false;
  for (const auto& p : server) {
    if (p.id == ntlm::av::FLAGS && p.value.size() == 4 && with_mic) {
      uint8_t v[4];
      st32(v, ld32(p.value.data()) | ntlm::AV_FLAG_MIC_PRESENT);
      put_av(out, p.id, Bytes(v, 4));
      flags_done = true;
      continue;
    }
    put_av(out, p.id, p.value);
  }
  if (with_mic && !flags_done) {
    uint8_t v[4];
    st32(v, ntlm::AV_FLAG_MIC_PRESENT);
    put_av(out, ntlm::av::FLAGS, Bytes(v, 4));
  }
  put_av(out, ntlm::av::EOL, {});
  return out;
}

struct AuthenticateFields {
  uint32_t flags = 0;
  Bytes lm_response;
  Bytes nt_response;
  Bytes domain;  // UTF-16LE
  Bytes user;
  Bytes workstation;
  Bytes encrypted_random_session_key;
  bool with_mic = false;  // reserves the MIC field (zeroed) after Version
};

// AUTHENTICATE_MESSAGE (MS-NLMP 2.2.1.3), payload in the order Windows
// writes it. nullopt when a field does not fit its 16-bit length.
std::optional<std::vector<uint8_t>> build_authenticate(const AuthenticateFields& a) {
  size_t fixed = kAuthenticateFixed + (a.with_mic ? kMicSize : 0);
  std::vector<uint8_t> m(fixed, 0);
  std::memcpy(m.data(), kSig, 8);
  st32(m.data() + 8, 3);
  bool fits = true;
  auto add = [&m, &fits](size_t field, Bytes b) {
    if (b.size() > 0xFFFF) fits = false;
    st16(m.data() + field, static_cast<uint16_t>(b.size()));
    st16(m.data() + field + 2, static_cast<uint16_t>(b.size()));
    st32(m.data() + field + 4, static_cast<uint32_t>(m.size()));
    m.insert(m.end(), b.begin(), b.end());
  };
  add(28, a.domain);
  add(36, a.user);
  add(44, a.workstation);
  add(12, a.lm_response);
  add(20, a.nt_response);
  add(52, a.encrypted_random_session_key);
  if (!fits) return std::nullopt;
  st32(m.data() + 60, a.flags);
  put_version(m.data() + 64);
  return m;
}

// The NTLMv2 responses and SessionBaseKey (MS-NLMP 3.3.2) for
// ResponseKeyNT = ResponseKeyLM = owf. lm_zero: Z(24) instead of LMv2,
// which is what a client sends when the CHALLENGE had MsvAvTimestamp
// (3.1.5.1.2).
struct Ntlmv2Response {
  std::vector<uint8_t> lm;
  std::vector<uint8_t> nt;
  Key16 session_base_key{};
};
Ntlmv2Response ntlmv2_response(const Key16& owf, Bytes server_challenge, const uint8_t cc[8],
                               uint64_t time, Bytes av_pairs, bool lm_zero) {
  // temp = 0x01 0x01 Z(6) Time ClientChallenge Z(4) AvPairs Z(4).
  std::vector<uint8_t> temp(28, 0);
  temp[0] = 1;
  temp[1] = 1;
  wire::st64(temp.data() + 8, time);
  std::memcpy(temp.data() + 16, cc, 8);
  temp.insert(temp.end(), av_pairs.begin(), av_pairs.end());
  temp.insert(temp.end(), 4, 0);

  Bytes key(owf.data(), owf.size());
  Ntlmv2Response r;
  Key16 proof = hmac_md5(key, {server_challenge, Bytes(temp.data(), temp.size())});
  r.nt.assign(proof.begin(), proof.end());
  r.nt.insert(r.nt.end(), temp.begin(), temp.end());
  r.lm.assign(24, 0);
  if (!lm_zero) {
    Key16 lmv2 = hmac_md5(key, {server_challenge, Bytes(cc, 8)});
    std::memcpy(r.lm.data(), lmv2.data(), 16);
    std::memcpy(r.lm.data() + 16, cc, 8);
  }
  r.session_base_key = hmac_md5(key, {Bytes(proof.data(), proof.size())});
  return r;
}

uint64_t now_filetime() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return wire::unix_to_filetime(ts.tv_sec, static_cast<uint32_t>(ts.tv_nsec));
}

bool is_ntlmssp(Bytes oid) {
  return oid.size() == kOidNtlmssp.size() &&
         std::memcmp(oid.data(), kOidNtlmssp.data(), oid.size()) == 0;
}

Bytes bytes_of(const std::vector<uint8_t>& v) { return {v.data(), v.size()}; }

}  // namespace

NtlmClient::NtlmClient(NtlmCredentials creds) : creds_(std::move(creds)) {}

void NtlmClient::set_test_randoms(const uint8_t client_challenge[8],
                                  const Key16& random_session_key, uint64_t timestamp) {
  fixed_randoms_ = true;
  std::memcpy(client_challenge_, client_challenge, 8);
  random_session_key_ = random_session_key;
  timestamp_ = timestamp;
}

std::vector<uint8_t> NtlmClient::first_token(std::span<const uint8_t> server_hint) {
  // Each call starts the exchange over.
  negotiate_msg_.clear();
  session_key_ = Key16{};
  flags_ = 0;
  mic_sent_ = false;
  if (!server_hint.empty() && !hint_offers_ntlmssp(server_hint)) return {};
  negotiate_msg_ = build_negotiate();
  mech_types_der_ = ntlmssp_mech_type_list();
  return client_neg_token_init(bytes_of(mech_types_der_), bytes_of(negotiate_msg_));
}

std::optional<std::vector<uint8_t>> NtlmClient::next_token(std::span<const uint8_t> server_token) {
  // One CHALLENGE per NEGOTIATE.
  if (negotiate_msg_.empty() || flags_ != 0) return std::nullopt;
  auto tok = parse_server_token(server_token);
  if (!tok) return std::nullopt;
  // The first reply must carry negState (RFC 4178 4.2.2) and go on.
  if (!tok->neg_state ||
      (*tok->neg_state != NegState::AcceptIncomplete && *tok->neg_state != NegState::RequestMic)) {
    return std::nullopt;
  }
  if (!tok->supported_mech.empty() && !is_ntlmssp(tok->supported_mech)) return std::nullopt;
  Bytes challenge_msg = tok->response_token;
  auto chal = parse_challenge(challenge_msg);
  if (!chal) return std::nullopt;

  // What we asked for, less what the server did not grant; REQUEST_TARGET
  // is a request, which the AUTHENTICATE repeats (MS-NLMP 4.2.4.3 does).
  uint32_t flags = kClientFlags & (chal->flags | f::REQUEST_TARGET);
  // Strings go out in UTF-16LE only.
  if (!(flags & f::UNICODE)) return std::nullopt;

  auto domain = wire::utf8_to_utf16le(creds_.domain);
  auto user = wire::utf8_to_utf16le(creds_.user);
  auto workstation = wire::utf8_to_utf16le(creds_.workstation);
  AuthenticateFields a;
  a.domain = bytes_of(domain);
  a.user = bytes_of(user);
  a.workstation = bytes_of(workstation);

  Key16 exported{};
  std::optional<std::vector<uint8_t>> auth;
  if (anonymous()) {
    // MS-NLMP 3.1.5.1.2: empty NtChallengeResponse, LmChallengeResponse
    // Z(1), no key exchange; the session key stays zero.
    flags = (flags & ~f::KEY_EXCH) | f::ANONYMOUS;
    static const uint8_t kZero = 0;
    a.flags = flags;
    a.lm_response = Bytes(&kZero, 1);
    auth = build_authenticate(a);
    if (!auth) return std::nullopt;
  } else {
    // The only NTLMSSP signature implemented (ntlm_signature, for the
    // mechListMIC) is that of extended session security.
    if (!(flags & f::EXTENDED_SESSIONSECURITY)) return std::nullopt;
    // With integrity asked for, NTLMv2 needs both NetBIOS names in the
    // target info (MS-NLMP 3.1.5.1.2).
    if (!chal->has_nb_names) return std::nullopt;

    uint8_t cc[8];
    Key16 random_key{};
    uint64_t own_time;
    if (fixed_randoms_) {
      std::memcpy(cc, client_challenge_, 8);
      random_key = random_session_key_;
      own_time = timestamp_;
    } else {
      random_bytes(cc);
      random_bytes(random_key);
      own_time = now_filetime();
    }
    // With the server's MsvAvTimestamp: its time, a MIC, and Z(24) for the
    // LM response (MS-NLMP 3.1.5.1.2); otherwise our time and LMv2.
    bool with_mic = chal->timestamp.has_value();
    uint64_t time = chal->timestamp.value_or(own_time);

    auto pairs = client_av_pairs(chal->target_info, with_mic);
    Key16 hash = creds_.nt_hash ? *creds_.nt_hash : nt_hash(creds_.password);
    Key16 owf = ntowf_v2(hash, creds_.user, creds_.domain);
    auto v2 = ntlmv2_response(owf, chal->server_challenge, cc, time, bytes_of(pairs), with_mic);
    // KeyExchangeKey = SessionBaseKey for NTLMv2 (3.4.5.1).
    const Key16& kxkey = v2.session_base_key;
    std::vector<uint8_t> esk;
    if (flags & f::KEY_EXCH) {
      esk.assign(random_key.begin(), random_key.end());
      Rc4 rc4(Bytes(kxkey.data(), kxkey.size()));
      rc4.apply(esk);
      exported = random_key;
    } else {
      exported = kxkey;
    }

    a.flags = flags;
    a.lm_response = bytes_of(v2.lm);
    a.nt_response = bytes_of(v2.nt);
    a.encrypted_random_session_key = bytes_of(esk);
    a.with_mic = with_mic;
    auth = build_authenticate(a);
    if (!auth) return std::nullopt;
    if (with_mic) {
      // MIC = HMAC_MD5(ExportedSessionKey, NEGOTIATE || CHALLENGE ||
      // AUTHENTICATE with the MIC field zero) (3.1.5.1.2).
      Key16 mic = hmac_md5(Bytes(exported.data(), exported.size()),
                           {bytes_of(negotiate_msg_), challenge_msg, bytes_of(*auth)});
      std::memcpy(auth->data() + kMicOffset, mic.data(), kMicSize);
    }
    mic_sent_ = with_mic || *tok->neg_state == NegState::RequestMic;
  }

  session_key_ = exported;
  flags_ = flags;
  std::array<uint8_t, 16> mech_list_mic{};
  Bytes mic_bytes;
  if (mic_sent_) {
    // MS-SPNG 3.1.5.1: the NTLMSSP signature (seq 0) of the MechTypeList.
    Key16 sign = ntlm_sign_key(session_key_, true);
    auto seal = ntlm_seal_key(session_key_, flags_, true);
    mech_list_mic = ntlm_signature(sign, bytes_of(seal), flags_, 0, bytes_of(mech_types_der_));
    mic_bytes = Bytes(mech_list_mic.data(), mech_list_mic.size());
  }
  return client_neg_token_resp(bytes_of(*auth), mic_bytes);
}

bool NtlmClient::finish(std::span<const uint8_t> server_token) {
  if (flags_ == 0) return false;  // no AUTHENTICATE went out
  if (server_token.empty()) return !mic_sent_;
  auto tok = parse_server_token(server_token);
  if (!tok) return false;
  // negState may be left out after the first reply (RFC 4178 4.2.2); NTLM
  // is complete after the AUTHENTICATE, so nothing but completion fits.
  if (tok->neg_state && *tok->neg_state != NegState::AcceptCompleted) return false;
  if (!tok->supported_mech.empty() && !is_ntlmssp(tok->supported_mech)) return false;
  if (!tok->response_token.empty()) return false;
  if (tok->mech_list_mic.empty()) return !mic_sent_;
  // An anonymous login has no key to check a MIC with.
  if (anonymous()) return true;
  Key16 sign = ntlm_sign_key(session_key_, false);
  auto seal = ntlm_seal_key(session_key_, flags_, false);
  auto expect = ntlm_signature(sign, bytes_of(seal), flags_, 0, bytes_of(mech_types_der_));
  return equal_ct(Bytes(expect.data(), expect.size()), tok->mech_list_mic);
}

}  // namespace ringsmb::auth
