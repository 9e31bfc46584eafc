// auth/ntlm_client.h and the client half of auth/spnego.h: the NTLMv2
// client (MS-NLMP 3.1.5, 3.3.2) against published values (MS-NLMP 4.2.4),
// against a recorded Windows exchange ([SMBKEYS] below), and end to end
// against the real NtlmServer; malformed server tokens are refused.
//
// Sources of the fixed values:
//  [MS-NLMP]  4.2.1 common values and 4.2.4 (NTLMv2): NTOWFv2, the LMv2
//             and NTLMv2 responses, SessionBaseKey, EncryptedRandomSessionKey
//             and the 4.2.4.3 AUTHENTICATE_MESSAGE.
//  [SMBKEYS]  Microsoft Open Specifications blog, "SMB 2 and SMB 3 security
//             in Windows 10: the anatomy of signing and cryptographic keys"
//             (2017-05-26), "NTLMv2 SessionKey calculation example": the
//             SPNEGO security buffers of the two SESSION_SETUP round trips
//             (the same packets tests/unit/auth/vectors_test.cc decodes).
#include "auth/ntlm_client.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/crypto.h"
#include "auth/der.h"
#include "auth/ntlm_server.h"
#include "auth/ntlmssp.h"
#include "auth/spnego.h"
#include "auth/userdb.h"
#include "wire/le.h"
#include "wire/utf16.h"

using namespace ringsmb::auth;
namespace der = ringsmb::auth::der;
namespace nflag = ringsmb::auth::ntlm::flag;
using ringsmb::wire::ld16;
using ringsmb::wire::ld32;
using ringsmb::wire::ld64;
using ringsmb::wire::st16;
using ringsmb::wire::st32;
using ringsmb::wire::st64;

namespace {

// ------------------------------------------------------------------ helpers

// Hex to bytes; anything that is not a hex digit is skipped.
std::vector<uint8_t> H(std::string_view s) {
  std::vector<uint8_t> out;
  int hi = -1;
  for (char c : s) {
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      v = c - 'A' + 10;
    } else {
      continue;
    }
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<uint8_t>(hi << 4 | v));
      hi = -1;
    }
  }
  EXPECT_EQ(hi, -1) << "odd number of hex digits";
  return out;
}
std::string X(Bytes b) {
  static const char d[] = "0123456789abcdef";
  std::string s;
  for (uint8_t c : b) {
    s.push_back(d[c >> 4]);
    s.push_back(d[c & 15]);
  }
  return s;
}
std::string N(std::string_view hex) {
  auto v = H(hex);
  return X(Bytes(v.data(), v.size()));
}
Bytes B(const std::vector<uint8_t>& v) { return {v.data(), v.size()}; }
Bytes B(const std::array<uint8_t, 16>& v) { return {v.data(), v.size()}; }
std::vector<uint8_t> V(Bytes b) { return {b.begin(), b.end()}; }
Key16 K16(std::string_view hex) {
  auto v = H(hex);
  Key16 k{};
  EXPECT_EQ(v.size(), 16u);
  std::memcpy(k.data(), v.data(), std::min<size_t>(16, v.size()));
  return k;
}
std::vector<uint8_t> cut(const std::vector<uint8_t>& v, size_t n) {
  return {v.begin(), v.begin() + static_cast<long>(n)};
}

#define REQUIRE_LEGACY() \
  ASSERT_TRUE(legacy_available()) << "OpenSSL legacy provider (MD4/RC4) missing"

const std::vector<uint8_t> kOidKrb5 = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02};

using Lookup = std::function<std::optional<Key16>(const std::string&)>;
Lookup users(const std::string& name, const std::string& password) {
  return [name, password](const std::string& who) -> std::optional<Key16> {
    if (ringsmb::wire::equal_ci(who, name)) return nt_hash(password);
    return std::nullopt;
  };
}

// The server half of the exchange, as server/session_setup.cc runs it.
struct ServerSide {
  NtlmServer ntlm{NtlmServerConfig{}};
  std::vector<uint8_t> mech_types_der;
  std::vector<uint8_t> challenge_msg;

  // The client's NegTokenInit -> the CHALLENGE (not yet wrapped).
  std::optional<std::vector<uint8_t>> challenge(Bytes init) {
    auto t = parse_client_token(init);
    if (!t || t->kind != ClientToken::Kind::Init || !t->ntlmssp_preferred) return std::nullopt;
    mech_types_der = V(t->mech_types_der);
    auto c = ntlm.challenge(t->mech_token);
    if (c) challenge_msg = *c;
    return c;
  }
  std::vector<uint8_t> wrap_challenge(Bytes chal, NegState st = NegState::AcceptIncomplete) {
    return server_neg_token_resp(st, true, chal, {});
  }
  // The client's NegTokenResp -> the outcome and, when authenticated, the
  // final NegTokenResp (with our mechListMIC where the client sent one).
  struct Final {
    NtlmServer::Outcome outcome = NtlmServer::Outcome::Malformed;
    bool client_mic_ok = false;
    std::vector<uint8_t> token;
  };
  Final authenticate(Bytes resp, const Lookup& lookup) {
    Final f;
    auto t = parse_client_token(resp);
    EXPECT_TRUE(t);
    if (!t) return f;
    EXPECT_EQ(t->kind, ClientToken::Kind::Resp);
    auto r = ntlm.authenticate(t->mech_token, lookup);
    f.outcome = r.outcome;
    if (r.outcome == NtlmServer::Outcome::Anonymous) {
      f.token = server_neg_token_resp(NegState::AcceptCompleted, false, {}, {});
    } else if (r.outcome == NtlmServer::Outcome::Authenticated) {
      std::vector<uint8_t> mic;
      if (!t->mech_list_mic.empty()) {
        f.client_mic_ok = ntlm.verify_mech_list_mic(B(mech_types_der), t->mech_list_mic);
        mic = ntlm.sign_mech_list(B(mech_types_der));
      }
      f.token = server_neg_token_resp(NegState::AcceptCompleted, false, {}, B(mic));
    } else {
      f.token = server_neg_token_resp(NegState::Reject, false, {}, {});
    }
    return f;
  }
};

// The mechToken / responseToken of a client token (NEGOTIATE, AUTHENTICATE).
std::vector<uint8_t> mech_token_of(const std::vector<uint8_t>& resp) {
  auto t = parse_client_token(B(resp));
  EXPECT_TRUE(t);
  return t ? V(t->mech_token) : std::vector<uint8_t>{};
}

// The CHALLENGE the NtlmServer sent, rebuilt without MsvAvTimestamp (and
// with flags changed as asked): what an older server sends.
std::vector<uint8_t> without_timestamp(const std::vector<uint8_t>& chal, uint32_t clear_flags = 0) {
  ntlm::ChallengeParams p;
  NtlmServerConfig cfg;
  p.flags = ld32(chal.data() + 20) & ~clear_flags;
  std::memcpy(p.server_challenge, chal.data() + 24, 8);
  p.nb_domain = cfg.nb_domain;
  p.nb_computer = cfg.nb_computer;
  p.dns_domain = cfg.dns_domain;
  p.dns_computer = cfg.dns_computer;
  p.timestamp = 0;
  return ntlm::build_challenge(p);
}

// ------------------------------------------------------------ MS-NLMP 4.2.4

// [MS-NLMP] 4.2.1 / 4.2.4 inputs.
const char kServerChallenge[] = "0123456789abcdef";
const char kClientChallenge[] = "aaaaaaaaaaaaaaaa";
const char kRandomSessionKey[] = "55555555555555555555555555555555";
// 4.2.4.1 temp: 01 01 Z(6) Time(0) ClientChallenge Z(4) ServerName Z(4),
// ServerName being the CHALLENGE's AV pairs (NbDomainName "Domain",
// NbComputerName "Server", MsvAvEOL).
const char kNlmpTemp[] =
    "0101000000000000 0000000000000000 aaaaaaaaaaaaaaaa 00000000"
    "02000c0044006f006d00610069006e00 01000c00530065007200760065007200 00000000"
    "00000000";
// 4.2.4.3 AUTHENTICATE_MESSAGE.
const char kNlmpAuthenticate[] =
    "4e544c4d5353500003000000180018006c00000054005400840000000c000c00480000000800080054000000"
    "100010005c00000010001000d8000000358288e20501280a0000000f44006f006d00610069006e0055007300"
    "6500720043004f004d005000550054004500520086c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa"
    "68cd0ab851e51c96aabc927bebef6a1c01010000000000000000000000000000aaaaaaaaaaaaaaaa00000000"
    "02000c0044006f006d00610069006e0001000c005300650072007600650072000000000000000000c5dad254"
    "4fc9799094ce1ce90bc9d03e";

// The 4.2.4 CHALLENGE: flags 0xe28a8233, TargetName "Server", the server
// challenge above and the AV pairs of temp, with extra AV pairs (before
// MsvAvEOL) when asked. Version 6.0.6000, revision 15.
std::vector<uint8_t> nlmp_challenge(const std::vector<uint8_t>& extra_pairs = {}) {
  auto server = H("530065007200760065007200");  // "Server"
  auto pairs = H("02000c0044006f006d00610069006e00 01000c00530065007200760065007200");
  pairs.insert(pairs.end(), extra_pairs.begin(), extra_pairs.end());
  pairs.insert(pairs.end(), 4, 0);
  std::vector<uint8_t> m(56, 0);
  std::memcpy(m.data(), "NTLMSSP", 8);
  st32(m.data() + 8, 2);
  st16(m.data() + 12, static_cast<uint16_t>(server.size()));
  st16(m.data() + 14, static_cast<uint16_t>(server.size()));
  st32(m.data() + 16, 56);
  st32(m.data() + 20, 0xe28a8233);
  auto sc = H(kServerChallenge);
  std::memcpy(m.data() + 24, sc.data(), 8);
  st16(m.data() + 40, static_cast<uint16_t>(pairs.size()));
  st16(m.data() + 42, static_cast<uint16_t>(pairs.size()));
  st32(m.data() + 44, static_cast<uint32_t>(56 + server.size()));
  m[48] = 6;
  st16(m.data() + 50, 6000);
  m[55] = 15;
  m.insert(m.end(), server.begin(), server.end());
  m.insert(m.end(), pairs.begin(), pairs.end());
  return m;
}

NtlmClient nlmp_client() {
  NtlmCredentials c;
  c.user = "User";
  c.domain = "Domain";
  c.password = "Password";
  c.workstation = "COMPUTER";
  NtlmClient client(c);
  auto cc = H(kClientChallenge);
  client.set_test_randoms(cc.data(), K16(kRandomSessionKey), 0);
  return client;
}

TEST(NtlmClientVectors, Nlmp424ResponseAndKeys) {
  REQUIRE_LEGACY();
  NtlmClient client = nlmp_client();
  auto init = client.first_token();
  ASSERT_FALSE(init.empty());
  auto chal = nlmp_challenge();
  auto resp =
      client.next_token(B(server_neg_token_resp(NegState::AcceptIncomplete, true, B(chal), {})));
  ASSERT_TRUE(resp);
  auto t = parse_client_token(B(*resp));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->kind, ClientToken::Kind::Resp);
  // No MsvAvTimestamp: no MIC, so no mechListMIC either.
  EXPECT_TRUE(t->mech_list_mic.empty());
  auto auth = V(t->mech_token);
  auto a = ntlm::parse_authenticate(B(auth));
  ASSERT_TRUE(a);
  EXPECT_FALSE(a->has_mic);
  EXPECT_EQ(a->flags, 0xe2888235u);  // the 4.2.4.3 message's flags
  EXPECT_EQ(a->user, "User");
  EXPECT_EQ(a->domain, "Domain");
  EXPECT_EQ(a->workstation, "COMPUTER");

  // 4.2.4.1.1 NTOWFv2 (what the client keys everything with).
  Key16 owf = ntowf_v2(nt_hash("Password"), "User", "Domain");
  EXPECT_EQ(X(owf), N("0c 86 8a 40 3b fd 7a 93 a3 00 1e f2 2e f0 2e 3f"));
  // 4.2.4.2.1 LMv2 response (no timestamp in the CHALLENGE).
  EXPECT_EQ(X(a->lm_response), N("86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa"));
  // 4.2.4.2.2 NTLMv2 response: NTProofStr || temp.
  ASSERT_EQ(a->nt_response.size(), 16u + H(kNlmpTemp).size());
  EXPECT_EQ(X(a->nt_response.subspan(0, 16)), N("68cd0ab851e51c96aabc927bebef6a1c"));
  EXPECT_EQ(X(a->nt_response.subspan(16)), N(kNlmpTemp));
  // 4.2.4.1.2 SessionBaseKey, from the client's NTProofStr.
  Key16 base = hmac_md5(Bytes(owf), {a->nt_response.subspan(0, 16)});
  EXPECT_EQ(X(base), N("8de40ccadbc14a82f15cb0ad0de95ca3"));
  // 4.2.4.2.3 EncryptedRandomSessionKey; it unwraps to the random key.
  EXPECT_EQ(X(a->encrypted_random_session_key), N("c5dad2544fc9799094ce1ce90bc9d03e"));
  std::vector<uint8_t> esk = V(a->encrypted_random_session_key);
  Rc4(Bytes(base)).apply(esk);
  EXPECT_EQ(X(B(esk)), N(kRandomSessionKey));
  EXPECT_EQ(X(client.session_key()), N(kRandomSessionKey));

  // Byte for byte the 4.2.4.3 message, but for our Version field.
  auto expect = H(kNlmpAuthenticate);
  ASSERT_EQ(auth.size(), expect.size());
  std::memcpy(expect.data() + 64, auth.data() + 64, 8);
  EXPECT_EQ(X(B(auth)), X(B(expect)));
  EXPECT_EQ(auth[64], 10);  // Version 10.0, NTLMSSP revision 15
  EXPECT_EQ(auth[71], 15);

  // Nothing more from the server: an empty token or a bare accept-completed.
  EXPECT_TRUE(client.finish({}));
  EXPECT_TRUE(client.finish(B(server_neg_token_resp(NegState::AcceptCompleted, false, {}, {}))));
}

TEST(NtlmClientVectors, Nlmp424WithServerTimestamp) {
  REQUIRE_LEGACY();
  NtlmClient client = nlmp_client();
  auto neg = mech_token_of(client.first_token());
  ASSERT_EQ(neg.size(), 40u);
  EXPECT_EQ(ld32(neg.data() + 8), 1u);
  // MsvAvTimestamp 0x01d0aecbadf5a1a1 (any value the server chose).
  auto ts = H("07000800 a1a1f5adcbaed001");
  auto chal = nlmp_challenge(ts);
  auto resp =
      client.next_token(B(server_neg_token_resp(NegState::AcceptIncomplete, true, B(chal), {})));
  ASSERT_TRUE(resp);
  auto t = parse_client_token(B(*resp));
  ASSERT_TRUE(t);
  auto auth = V(t->mech_token);
  auto a = ntlm::parse_authenticate(B(auth));
  ASSERT_TRUE(a);
  ASSERT_TRUE(a->has_mic);
  // The server's time in the blob, not the test time (0); Z(24) for LM.
  EXPECT_EQ(X(a->nt_response.subspan(24, 8)), N("a1a1f5adcbaed001"));
  EXPECT_EQ(X(a->lm_response), std::string(48, '0'));
  // AV pairs: the server's (timestamp included), then MsvAvFlags = MIC present.
  auto pairs = ntlm::ntlmv2_av_pairs(a->nt_response);
  ASSERT_TRUE(pairs);
  ASSERT_EQ(pairs->size(), 4u);
  EXPECT_EQ((*pairs)[2].id, ntlm::av::TIMESTAMP);
  EXPECT_EQ((*pairs)[3].id, ntlm::av::FLAGS);
  EXPECT_EQ(ld32((*pairs)[3].value.data()), ntlm::AV_FLAG_MIC_PRESENT);
  // NTProofStr and keys, recomputed here.
  Key16 owf = ntowf_v2(nt_hash("Password"), "User", "Domain");
  auto sc = H(kServerChallenge);
  Key16 proof = hmac_md5(Bytes(owf), {B(sc), a->nt_response.subspan(16)});
  EXPECT_EQ(X(proof), X(a->nt_response.subspan(0, 16)));
  Key16 base = hmac_md5(Bytes(owf), {Bytes(proof)});
  std::vector<uint8_t> esk = V(a->encrypted_random_session_key);
  Rc4(Bytes(base)).apply(esk);
  EXPECT_EQ(X(B(esk)), N(kRandomSessionKey));
  // MIC = HMAC_MD5(ExportedSessionKey, NEGOTIATE || CHALLENGE || AUTHENTICATE
  // with the MIC zeroed), at offset 72.
  auto zeroed = auth;
  std::memset(zeroed.data() + 72, 0, 16);
  Key16 exported = K16(kRandomSessionKey);
  EXPECT_EQ(X(a->mic), X(hmac_md5(Bytes(exported), {B(neg), B(chal), B(zeroed)})));
  EXPECT_EQ(ld32(auth.data() + 28 + 4), 88u);  // payload after the MIC
  // The mechListMIC is sent and the server's is then required.
  ASSERT_EQ(t->mech_list_mic.size(), 16u);
  auto mech = ntlmssp_mech_type_list();
  auto c2s = ntlm_signature(ntlm_sign_key(exported, true),
                            B(ntlm_seal_key(exported, a->flags, true)), a->flags, 0, B(mech));
  EXPECT_EQ(X(t->mech_list_mic), X(c2s));
  EXPECT_FALSE(client.finish({}));
  EXPECT_FALSE(client.finish(B(server_neg_token_resp(NegState::AcceptCompleted, false, {}, {}))));
  auto s2c = ntlm_signature(ntlm_sign_key(exported, false),
                            B(ntlm_seal_key(exported, a->flags, false)), a->flags, 0, B(mech));
  EXPECT_FALSE(
      client.finish(B(server_neg_token_resp(NegState::AcceptCompleted, false, {}, B(c2s)))));
  EXPECT_TRUE(
      client.finish(B(server_neg_token_resp(NegState::AcceptCompleted, false, {}, B(s2c)))));
}

// ------------------------------------------------- [SMBKEYS] Windows exchange

// The SESSION_SETUP security buffers of the example.
const char kWinInit[] =  // request 1: NegTokenInit(NEGOTIATE)
    "604806062B0601050502A03E303CA00E300C060A2B06010401823702020AA22A04284E544C4D535350000100"
    "0000978208E200000000000000000000000000000000060380250000000F";
const char kWinChallenge[] =  // response 1: NegTokenResp(CHALLENGE)
    "A181B03081ADA0030A0101A10C060A2B06010401823702020AA281970481944E544C4D53535000020000000C"
    "000C003800000015828AE20D1D8BA31179D008000000000000000050005000440000000A0092270000000F53"
    "005500540033003100310002000C0053005500540033003100310001000C0053005500540033003100310004"
    "000C0053005500540033003100310003000C0053005500540033003100310007000800A1A1F5ADCBAED00100"
    "000000";
const char kWinAuthenticate[] =  // request 2: NegTokenResp(AUTHENTICATE, mechListMIC)
    "A18201CB308201C7A0030A0101A28201AA048201A64E544C4D53535000030000001800180090000000EE00EE"
    "00A80000000C000C00580000001A001A0064000000120012007E0000001000100096010000158288E2060380"
    "250000000FECAC77A5F385A8BF9C38C706EEEDDCD3530055005400330031003100610064006D0069006E0069"
    "00730074007200610074006F0072004400520049005600450052003300310031000000000000000000000000"
    "0000000000000000000000000063078EB639FE03E20A231C3AE3BF23080101000000000000A1A1F5ADCBAED0"
    "01BC4AD05F223CC90F0000000002000C0053005500540033003100310001000C005300550054003300310031"
    "0004000C0053005500540033003100310003000C0053005500540033003100310007000800A1A1F5ADCBAED0"
    "0106000400020000000800300030000000000000000000000000300000B61FEFCAA857EA57BF1EDCEBF8974B"
    "8E0EBA5A6DFD9D07A31D11B548F8C9D0CC0A0010000000000000000000000000000000000009001600630069"
    "00660073002F005300550054003300310031000000000000000000000000003B9BDFF38F5EE8F9663F11A0F4"
    "C03A78A31204100100000063775A9A5FD97F0600000000";
const char kWinFinal[] =  // response 2: NegTokenResp(accept-completed, mechListMIC)
    "A11B3019A0030A0100A3120410010000003B453CDC3524164200000000";
const char kWinClientMic[] = "0100000063775A9A5FD97F0600000000";
const char kWinServerMic[] = "010000003B453CDC3524164200000000";
const char kWinExportedKey[] = "270E1BA896585EEB7AF3472D3B4C75A7";
const char kWinClientChallenge[] = "BC4AD05F223CC90F";

TEST(SpnegoClient, InitMatchesWindows) {
  auto win = H(kWinInit);
  // The NEGOTIATE inside (offset 34, 0x28 bytes) rewrapped.
  std::vector<uint8_t> neg(win.begin() + 34, win.end());
  ASSERT_EQ(neg.size(), 0x28u);
  auto mech = ntlmssp_mech_type_list();
  EXPECT_EQ(X(B(mech)), N("300C060A2B06010401823702020A"));
  EXPECT_EQ(X(B(client_neg_token_init(B(mech), B(neg)))), X(B(win)));
  // And what the server side reads from ours.
  auto ours = client_neg_token_init(B(mech), B(neg));
  auto t = parse_client_token(B(ours));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->kind, ClientToken::Kind::Init);
  EXPECT_TRUE(t->ntlmssp_preferred);
  EXPECT_EQ(V(t->mech_types_der), mech);
  EXPECT_EQ(V(t->mech_token), neg);
}

TEST(SpnegoClient, RespMatchesWindows) {
  auto win = H(kWinAuthenticate);
  // AUTHENTICATE at offset 21 (0x1A6 bytes), then [3] OCTET STRING MIC.
  std::vector<uint8_t> auth(win.begin() + 21, win.begin() + 21 + 0x1A6);
  auto mic = H(kWinClientMic);
  EXPECT_EQ(X(B(client_neg_token_resp(B(auth), B(mic)))), X(B(win)));
  auto t = parse_client_token(B(win));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->kind, ClientToken::Kind::Resp);
  ASSERT_TRUE(t->neg_state);
  EXPECT_EQ(*t->neg_state, NegState::AcceptIncomplete);
  EXPECT_EQ(V(t->mech_token), auth);
  // Without a MIC the [3] element is left out.
  auto bare = client_neg_token_resp(B(auth), {});
  auto tb = parse_client_token(B(bare));
  ASSERT_TRUE(tb);
  EXPECT_TRUE(tb->mech_list_mic.empty());
  EXPECT_EQ(bare.size(), win.size() - 20);
}

TEST(SpnegoClient, ParseServerTokens) {
  auto r1 = H(kWinChallenge);
  auto t = parse_server_token(B(r1));
  ASSERT_TRUE(t);
  ASSERT_TRUE(t->neg_state);
  EXPECT_EQ(*t->neg_state, NegState::AcceptIncomplete);
  EXPECT_EQ(V(t->supported_mech), kOidNtlmssp);
  EXPECT_EQ(t->response_token.size(), 0x94u);
  EXPECT_EQ(t->response_token.data(), r1.data() + 31);
  EXPECT_TRUE(t->mech_list_mic.empty());

  auto r2 = H(kWinFinal);
  auto f = parse_server_token(B(r2));
  ASSERT_TRUE(f);
  ASSERT_TRUE(f->neg_state);
  EXPECT_EQ(*f->neg_state, NegState::AcceptCompleted);
  EXPECT_TRUE(f->supported_mech.empty());
  EXPECT_TRUE(f->response_token.empty());
  EXPECT_EQ(X(f->mech_list_mic), N(kWinServerMic));

  // Our own server's tokens.
  std::vector<uint8_t> mic(16, 7);
  for (auto st : {NegState::AcceptCompleted, NegState::AcceptIncomplete, NegState::Reject,
                  NegState::RequestMic}) {
    auto tok = server_neg_token_resp(st, true, B(r1), B(mic));
    auto p = parse_server_token(B(tok));
    ASSERT_TRUE(p);
    ASSERT_TRUE(p->neg_state);
    EXPECT_EQ(*p->neg_state, st);
    EXPECT_EQ(V(p->response_token), r1);
    EXPECT_EQ(V(p->mech_list_mic), mic);
  }
  // A bare [1] SEQUENCE {}: nothing set.
  auto bare = H("A1023000");
  auto empty = parse_server_token(B(bare));
  ASSERT_TRUE(empty);
  EXPECT_FALSE(empty->neg_state);
}

TEST(SpnegoClient, MalformedServerTokensRefused) {
  for (const char* hex : {kWinChallenge, kWinFinal}) {
    auto tok = H(hex);
    ASSERT_TRUE(parse_server_token(B(tok)));
    for (size_t n = 0; n < tok.size(); ++n) EXPECT_FALSE(parse_server_token(B(cut(tok, n)))) << n;
    // Trailing bytes after the NegTokenResp.
    auto longer = tok;
    longer.push_back(0);
    EXPECT_FALSE(parse_server_token(B(longer)));
  }
  const std::vector<std::vector<uint8_t>> bad = {
      {},
      {0xA1},
      {0xA1, 0x00},                                            // no SEQUENCE
      {0xA0, 0x02, 0x30, 0x00},                                // [0]: a NegTokenInit tag
      {0x30, 0x00},                                            // a bare SEQUENCE
      {0xA1, 0x04, 0x30, 0x00, 0x30, 0x00},                    // two things in [1]
      {0xA1, 0x07, 0x30, 0x05, 0xA0, 0x03, 0x0A, 0x01, 0x04},  // negState 4
      {0xA1, 0x07, 0x30, 0x05, 0xA0, 0x03, 0x02, 0x01, 0x00},  // negState an INTEGER
      {0xA1, 0x06, 0x30, 0x04, 0xA1, 0x02, 0x04, 0x00},        // supportedMech not an OID
      {0xA1, 0x06, 0x30, 0x04, 0xA2, 0x02, 0x06, 0x00},        // responseToken not OCTET STRING
      {0xA1, 0x06, 0x30, 0x04, 0xA3, 0x02, 0x1B, 0x00},        // mechListMIC a GeneralString
      {0xA1, 0x06, 0x30, 0x04, 0xA4, 0x02, 0x04, 0x00},        // [4]: not in NegTokenResp
      {0xA1, 0x84, 0x00, 0x00, 0x00, 0x02, 0x30, 0x00},        // 4-byte length
  };
  for (const auto& v : bad) EXPECT_FALSE(parse_server_token(B(v))) << X(B(v));
  // A client NegTokenInit is not a server token.
  auto init = H(kWinInit);
  EXPECT_FALSE(parse_server_token(B(init)));
}

TEST(SpnegoClient, HintOffersNtlmssp) {
  auto hint = server_neg_token_init();
  EXPECT_TRUE(hint_offers_ntlmssp(B(hint)));
  // A client NegTokenInit has the same shape.
  EXPECT_TRUE(hint_offers_ntlmssp(B(H(kWinInit))));
  // Windows' hint lists Kerberos first (MS-SPNG 2.2.1 NegTokenInit2 with
  // negHints and a mechListMIC [4]).
  auto build = [](const std::vector<std::vector<uint8_t>>& mechs, bool with_mic4) {
    der::Writer w;
    w.begin(der::kApplication0);
    w.tlv(der::kOid, B(kOidSpnego));
    w.begin(der::context(0));
    w.begin(der::kSequence);
    w.begin(der::context(0));
    w.begin(der::kSequence);
    for (const auto& m : mechs) w.tlv(der::kOid, B(m));
    w.end();
    w.end();
    w.begin(der::context(3));
    w.begin(der::kSequence);
    w.end();
    w.end();
    if (with_mic4) {
      w.begin(der::context(4));
      w.tlv(der::kOctetString, B(std::vector<uint8_t>(16, 1)));
      w.end();
    }
    w.end();
    w.end();
    w.end();
    return w.take();
  };
  EXPECT_TRUE(hint_offers_ntlmssp(B(build({kOidKrb5, kOidNtlmssp}, true))));
  EXPECT_FALSE(hint_offers_ntlmssp(B(build({kOidKrb5}, true))));
  EXPECT_FALSE(hint_offers_ntlmssp(B(build({}, false))));
  // Every truncation, garbage, a server NegTokenResp, a wrong outer OID.
  for (size_t n = 0; n < hint.size(); ++n) EXPECT_FALSE(hint_offers_ntlmssp(B(cut(hint, n)))) << n;
  EXPECT_FALSE(hint_offers_ntlmssp(B(H(kWinFinal))));
  EXPECT_FALSE(hint_offers_ntlmssp(B(H("FFFFFFFF"))));
  auto wrong = hint;
  wrong[4] ^= 0x01;  // the SPNEGO OID's first byte
  EXPECT_FALSE(hint_offers_ntlmssp(B(wrong)));
  // A mechType that is not an OID.
  auto not_oid = hint;
  for (size_t i = 0; i + 1 < not_oid.size(); ++i) {
    if (not_oid[i] == 0x06 && not_oid[i + 1] == 0x0A) {
      not_oid[i] = 0x04;
      break;
    }
  }
  EXPECT_FALSE(hint_offers_ntlmssp(B(not_oid)));
}

// Our client against the recorded Windows server: with the client challenge
// and session key of the recording, the mechListMICs both ways are
// Windows' own (they depend on the key, the flags and the MechTypeList
// only), so the Windows server's final token verifies.
TEST(NtlmClientWindows, AgainstRecordedServer) {
  REQUIRE_LEGACY();
  NtlmCredentials creds;
  creds.user = "administrator";
  creds.domain = "SUT311";
  creds.password = "Password01!";
  creds.workstation = "DRIVER311";
  NtlmClient client(creds);
  auto cc = H(kWinClientChallenge);
  client.set_test_randoms(cc.data(), K16(kWinExportedKey), 0);
  auto init = client.first_token();
  auto neg = mech_token_of(init);
  ASSERT_EQ(neg.size(), 40u);

  auto resp = client.next_token(B(H(kWinChallenge)));
  ASSERT_TRUE(resp);
  EXPECT_EQ(X(client.session_key()), N(kWinExportedKey));
  auto t = parse_client_token(B(*resp));
  ASSERT_TRUE(t);
  EXPECT_EQ(X(t->mech_list_mic), N(kWinClientMic));
  auto auth = V(t->mech_token);
  auto a = ntlm::parse_authenticate(B(auth));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->flags, 0xE2888215u);  // what the Windows client sent
  EXPECT_EQ(a->user, "administrator");
  EXPECT_EQ(a->domain, "SUT311");
  EXPECT_EQ(a->workstation, "DRIVER311");
  ASSERT_TRUE(a->has_mic);
  EXPECT_EQ(X(a->lm_response), std::string(48, '0'));
  // The blob: server time, our client challenge, the server's AV pairs.
  EXPECT_EQ(X(a->nt_response.subspan(24, 8)), N("A1A1F5ADCBAED001"));
  EXPECT_EQ(X(a->nt_response.subspan(32, 8)), N(kWinClientChallenge));
  auto chal_tok = H(kWinChallenge);
  Bytes chal(chal_tok.data() + 31, 0x94);
  Key16 owf = ntowf_v2(nt_hash("Password01!"), "administrator", "SUT311");
  EXPECT_EQ(X(owf), N("AEE3959B44A815F1EB28C9511B4F533B"));
  Key16 proof = hmac_md5(Bytes(owf), {chal.subspan(24, 8), a->nt_response.subspan(16)});
  EXPECT_EQ(X(proof), X(a->nt_response.subspan(0, 16)));
  Key16 base = hmac_md5(Bytes(owf), {Bytes(proof)});
  std::vector<uint8_t> esk = V(a->encrypted_random_session_key);
  Rc4(Bytes(base)).apply(esk);
  EXPECT_EQ(X(B(esk)), N(kWinExportedKey));
  auto zeroed = auth;
  std::memset(zeroed.data() + 72, 0, 16);
  EXPECT_EQ(X(a->mic), X(hmac_md5(Bytes(K16(kWinExportedKey)), {B(neg), chal, B(zeroed)})));

  EXPECT_TRUE(client.finish(B(H(kWinFinal))));
  // A flipped bit in the server's MIC fails it.
  auto bad = H(kWinFinal);
  bad[bad.size() - 9] ^= 0x01;
  EXPECT_FALSE(client.finish(B(bad)));
}

// -------------------------------------------------- against the NtlmServer

TEST(NtlmClientExchange, NamedUserWithMic) {
  REQUIRE_LEGACY();
  NtlmClient client({"alice", "RINGTEST", "Correct Horse 1!", std::nullopt, "CLIENT7"});
  ServerSide server;
  auto chal = server.challenge(B(client.first_token(server_neg_token_init())));
  ASSERT_TRUE(chal);
  auto resp = client.next_token(B(server.wrap_challenge(B(*chal))));
  ASSERT_TRUE(resp);
  auto f = server.authenticate(B(*resp), users("Alice", "Correct Horse 1!"));
  ASSERT_EQ(f.outcome, NtlmServer::Outcome::Authenticated);
  EXPECT_TRUE(server.ntlm.mic_present());  // the server checked our MIC
  EXPECT_TRUE(f.client_mic_ok);
  EXPECT_EQ(X(client.session_key()), X(server.ntlm.session_key()));
  EXPECT_NE(X(client.session_key()), std::string(32, '0'));
  EXPECT_TRUE(client.finish(B(f.token)));
  // The server's MIC is required once ours was sent.
  EXPECT_FALSE(client.finish({}));
  EXPECT_FALSE(client.finish(B(server_neg_token_resp(NegState::AcceptCompleted, false, {}, {}))));
  // Our own (client-to-server) MIC does not pass as the server's.
  auto t = parse_client_token(B(*resp));
  ASSERT_TRUE(t);
  EXPECT_FALSE(client.finish(
      B(server_neg_token_resp(NegState::AcceptCompleted, false, {}, t->mech_list_mic))));
  // Nothing but completion ends it.
  auto mic = server.ntlm.sign_mech_list(B(server.mech_types_der));
  EXPECT_FALSE(client.finish(B(server_neg_token_resp(NegState::Reject, false, {}, B(mic)))));
  EXPECT_FALSE(
      client.finish(B(server_neg_token_resp(NegState::AcceptIncomplete, false, {}, B(mic)))));
  EXPECT_FALSE(
      client.finish(B(server_neg_token_resp(NegState::AcceptCompleted, false, B(*chal), B(mic)))));
  // negState may be left out of the last reply.
  der::Writer w;
  w.begin(der::context(1));
  w.begin(der::kSequence);
  w.begin(der::context(3));
  w.tlv(der::kOctetString, B(mic));
  w.end();
  w.end();
  w.end();
  EXPECT_TRUE(client.finish(B(w.take())));
  // Fresh randoms each time: a second client gets another key.
  NtlmClient again({"alice", "RINGTEST", "Correct Horse 1!", std::nullopt, "CLIENT7"});
  ServerSide s2;
  auto c2 = s2.challenge(B(again.first_token()));
  ASSERT_TRUE(c2);
  ASSERT_TRUE(again.next_token(B(s2.wrap_challenge(B(*c2)))));
  EXPECT_NE(X(again.session_key()), X(client.session_key()));
}

TEST(NtlmClientExchange, NtHashInsteadOfPassword) {
  REQUIRE_LEGACY();
  NtlmClient client({"bob", "", "", nt_hash("s3cret"), "WS"});
  ServerSide server;
  auto chal = server.challenge(B(client.first_token()));
  ASSERT_TRUE(chal);
  auto resp = client.next_token(B(server.wrap_challenge(B(*chal))));
  ASSERT_TRUE(resp);
  auto f = server.authenticate(B(*resp), users("BOB", "s3cret"));
  ASSERT_EQ(f.outcome, NtlmServer::Outcome::Authenticated);
  EXPECT_EQ(X(client.session_key()), X(server.ntlm.session_key()));
  EXPECT_TRUE(client.finish(B(f.token)));
}

TEST(NtlmClientExchange, WithoutServerTimestamp) {
  REQUIRE_LEGACY();
  NtlmClient client({"alice", "RINGTEST", "pw", std::nullopt, "CLIENT7"});
  ServerSide server;
  auto chal = server.challenge(B(client.first_token()));
  ASSERT_TRUE(chal);
  auto old = without_timestamp(*chal);
  auto resp = client.next_token(B(server.wrap_challenge(B(old))));
  ASSERT_TRUE(resp);
  auto t = parse_client_token(B(*resp));
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->mech_list_mic.empty());
  auto a = ntlm::parse_authenticate(t->mech_token);
  ASSERT_TRUE(a);
  EXPECT_FALSE(a->has_mic);
  // LMv2: HMAC || client challenge, the one in the blob.
  ASSERT_EQ(a->lm_response.size(), 24u);
  EXPECT_EQ(X(a->lm_response.subspan(16)), X(a->nt_response.subspan(32, 8)));
  // Our own time, near now (FILETIME after 2020).
  EXPECT_GT(ld64(a->nt_response.data() + 24), 132223104000000000ull);
  auto f = server.authenticate(B(*resp), users("alice", "pw"));
  ASSERT_EQ(f.outcome, NtlmServer::Outcome::Authenticated);
  EXPECT_FALSE(server.ntlm.mic_present());
  EXPECT_EQ(X(client.session_key()), X(server.ntlm.session_key()));
  EXPECT_TRUE(client.finish({}));
  EXPECT_TRUE(client.finish(B(f.token)));
  // A MIC the server sends anyway is still checked.
  auto mic = server.ntlm.sign_mech_list(B(server.mech_types_der));
  EXPECT_TRUE(
      client.finish(B(server_neg_token_resp(NegState::AcceptCompleted, false, {}, B(mic)))));
  mic[5] ^= 1;
  EXPECT_FALSE(
      client.finish(B(server_neg_token_resp(NegState::AcceptCompleted, false, {}, B(mic)))));
}

TEST(NtlmClientExchange, RequestMicWithoutTimestamp) {
  REQUIRE_LEGACY();
  NtlmClient client({"alice", "RINGTEST", "pw", std::nullopt, "CLIENT7"});
  ServerSide server;
  auto chal = server.challenge(B(client.first_token()));
  ASSERT_TRUE(chal);
  auto old = without_timestamp(*chal);
  auto resp = client.next_token(B(server.wrap_challenge(B(old), NegState::RequestMic)));
  ASSERT_TRUE(resp);
  auto f = server.authenticate(B(*resp), users("alice", "pw"));
  ASSERT_EQ(f.outcome, NtlmServer::Outcome::Authenticated);
  EXPECT_TRUE(f.client_mic_ok);
  EXPECT_FALSE(client.finish({}));
  EXPECT_TRUE(client.finish(B(f.token)));
}

TEST(NtlmClientExchange, WithoutKeyExchange) {
  REQUIRE_LEGACY();
  NtlmClient client({"alice", "RINGTEST", "pw", std::nullopt, "CLIENT7"});
  ServerSide server;
  auto chal = server.challenge(B(client.first_token()));
  ASSERT_TRUE(chal);
  // A server that does not grant KEY_EXCH: the session key is the
  // SessionBaseKey on both sides.
  auto old = without_timestamp(*chal, nflag::KEY_EXCH);
  auto resp = client.next_token(B(server.wrap_challenge(B(old), NegState::RequestMic)));
  ASSERT_TRUE(resp);
  auto auth = mech_token_of(*resp);
  auto a = ntlm::parse_authenticate(B(auth));
  ASSERT_TRUE(a);
  EXPECT_FALSE(a->flags & nflag::KEY_EXCH);
  EXPECT_TRUE(a->encrypted_random_session_key.empty());
  auto f = server.authenticate(B(*resp), users("alice", "pw"));
  ASSERT_EQ(f.outcome, NtlmServer::Outcome::Authenticated);
  EXPECT_TRUE(f.client_mic_ok);
  EXPECT_EQ(X(client.session_key()), X(server.ntlm.session_key()));
  EXPECT_TRUE(client.finish(B(f.token)));
}

TEST(NtlmClientExchange, WrongPassword) {
  REQUIRE_LEGACY();
  NtlmClient client({"alice", "RINGTEST", "correct horse 1!", std::nullopt, "CLIENT7"});
  ServerSide server;
  auto chal = server.challenge(B(client.first_token()));
  ASSERT_TRUE(chal);
  auto resp = client.next_token(B(server.wrap_challenge(B(*chal))));
  ASSERT_TRUE(resp);
  auto f = server.authenticate(B(*resp), users("alice", "Correct Horse 1!"));
  EXPECT_EQ(f.outcome, NtlmServer::Outcome::WrongPassword);
  EXPECT_FALSE(client.finish(B(f.token)));  // reject
  // Without a timestamp too (no MIC: the NTProofStr alone fails).
  NtlmClient c2({"alice", "RINGTEST", "wrong", std::nullopt, "CLIENT7"});
  ServerSide s2;
  auto chal2 = s2.challenge(B(c2.first_token()));
  ASSERT_TRUE(chal2);
  auto resp2 = c2.next_token(B(s2.wrap_challenge(B(without_timestamp(*chal2)))));
  ASSERT_TRUE(resp2);
  EXPECT_EQ(s2.authenticate(B(*resp2), users("alice", "right")).outcome,
            NtlmServer::Outcome::WrongPassword);
}

TEST(NtlmClientExchange, UnknownUser) {
  REQUIRE_LEGACY();
  NtlmClient client({"mallory", "RINGTEST", "pw", std::nullopt, "CLIENT7"});
  ServerSide server;
  auto chal = server.challenge(B(client.first_token()));
  ASSERT_TRUE(chal);
  auto resp = client.next_token(B(server.wrap_challenge(B(*chal))));
  ASSERT_TRUE(resp);
  auto f = server.authenticate(B(*resp), users("alice", "pw"));
  EXPECT_EQ(f.outcome, NtlmServer::Outcome::UnknownUser);
  EXPECT_FALSE(client.finish(B(f.token)));
}

TEST(NtlmClientExchange, Anonymous) {
  REQUIRE_LEGACY();
  for (bool timestamp : {true, false}) {
    SCOPED_TRACE(timestamp);
    NtlmClient client({"", "", "", std::nullopt, "CLIENT7"});
    EXPECT_TRUE(client.anonymous());
    ServerSide server;
    auto chal = server.challenge(B(client.first_token()));
    ASSERT_TRUE(chal);
    auto c = timestamp ? *chal : without_timestamp(*chal);
    auto resp = client.next_token(B(server.wrap_challenge(B(c))));
    ASSERT_TRUE(resp);
    auto t = parse_client_token(B(*resp));
    ASSERT_TRUE(t);
    EXPECT_TRUE(t->mech_list_mic.empty());
    auto a = ntlm::parse_authenticate(t->mech_token);
    ASSERT_TRUE(a);
    EXPECT_TRUE(ntlm::is_anonymous(*a));
    EXPECT_EQ(X(a->lm_response), "00");
    EXPECT_TRUE(a->nt_response.empty());
    EXPECT_TRUE(a->encrypted_random_session_key.empty());
    EXPECT_TRUE(a->flags & nflag::ANONYMOUS);
    EXPECT_FALSE(a->flags & nflag::KEY_EXCH);
    EXPECT_FALSE(a->has_mic);
    EXPECT_EQ(a->workstation, "CLIENT7");
    EXPECT_EQ(X(client.session_key()), std::string(32, '0'));
    auto f = server.authenticate(B(*resp), users("alice", "pw"));
    EXPECT_EQ(f.outcome, NtlmServer::Outcome::Anonymous);
    EXPECT_TRUE(client.finish(B(f.token)));
    EXPECT_TRUE(client.finish({}));
    EXPECT_FALSE(client.finish(B(server_neg_token_resp(NegState::Reject, false, {}, {}))));
  }
}

// --------------------------------------------------- malformed server input

struct Started {
  NtlmClient client{NtlmCredentials{"alice", "RINGTEST", "pw", std::nullopt, "CLIENT7"}};
  ServerSide server;
  std::vector<uint8_t> chal;
  Started() {
    auto c = server.challenge(B(client.first_token()));
    EXPECT_TRUE(c);
    if (c) chal = *c;
  }
};

TEST(NtlmClientMalformed, EveryTruncation) {
  REQUIRE_LEGACY();
  Started s;
  auto tok = s.server.wrap_challenge(B(s.chal));
  for (size_t n = 0; n < tok.size(); ++n) {
    EXPECT_FALSE(s.client.next_token(B(cut(tok, n)))) << n;
  }
  // The CHALLENGE itself cut short, in a well-formed NegTokenResp.
  for (size_t n = 0; n < s.chal.size(); ++n) {
    EXPECT_FALSE(s.client.next_token(B(s.server.wrap_challenge(B(cut(s.chal, n)))))) << n;
  }
  // The failures left the client usable.
  EXPECT_TRUE(s.client.next_token(B(tok)));
}

TEST(NtlmClientMalformed, WrongMechOrState) {
  REQUIRE_LEGACY();
  Started s;
  auto with = [&](std::optional<NegState> st, const std::vector<uint8_t>& mech, Bytes token) {
    der::Writer w;
    w.begin(der::context(1));
    w.begin(der::kSequence);
    if (st) {
      w.begin(der::context(0));
      uint8_t v = static_cast<uint8_t>(*st);
      w.tlv(der::kEnumerated, Bytes(&v, 1));
      w.end();
    }
    if (!mech.empty()) {
      w.begin(der::context(1));
      w.tlv(der::kOid, B(mech));
      w.end();
    }
    w.begin(der::context(2));
    w.tlv(der::kOctetString, token);
    w.end();
    w.end();
    w.end();
    return w.take();
  };
  Bytes c = B(s.chal);
  EXPECT_FALSE(s.client.next_token(B(with(NegState::AcceptIncomplete, kOidKrb5, c))));
  EXPECT_FALSE(s.client.next_token(B(with(NegState::AcceptIncomplete, kOidSpnego, c))));
  EXPECT_FALSE(s.client.next_token(B(with(NegState::Reject, kOidNtlmssp, c))));
  EXPECT_FALSE(s.client.next_token(B(with(NegState::AcceptCompleted, kOidNtlmssp, c))));
  EXPECT_FALSE(s.client.next_token(B(with(std::nullopt, kOidNtlmssp, c))));
  EXPECT_FALSE(s.client.next_token(B(server_neg_token_resp(NegState::Reject, false, {}, {}))));
  // Not SPNEGO at all: the raw CHALLENGE, a NegTokenInit.
  EXPECT_FALSE(s.client.next_token(c));
  EXPECT_FALSE(s.client.next_token(B(server_neg_token_init())));
  EXPECT_FALSE(s.client.next_token({}));
  // supportedMech may be left out; the right one goes through.
  Started s2;
  EXPECT_TRUE(s2.client.next_token(B(with(NegState::AcceptIncomplete, {}, B(s2.chal)))));
  // And only once.
  EXPECT_FALSE(s2.client.next_token(B(with(NegState::AcceptIncomplete, {}, B(s2.chal)))));
}

TEST(NtlmClientMalformed, BadChallengeMessages) {
  REQUIRE_LEGACY();
  Started s;
  auto wrap = [&](const std::vector<uint8_t>& m) { return s.server.wrap_challenge(B(m)); };
  auto try_ = [&](const std::vector<uint8_t>& m) {
    return s.client.next_token(B(wrap(m))).has_value();
  };
  {
    auto m = s.chal;
    st32(m.data() + 8, 1);  // a NEGOTIATE
    EXPECT_FALSE(try_(m));
    st32(m.data() + 8, 3);  // an AUTHENTICATE
    EXPECT_FALSE(try_(m));
  }
  {
    auto m = s.chal;
    m[0] = 'X';
    EXPECT_FALSE(try_(m));
  }
  {
    auto m = s.chal;
    st32(m.data() + 44, static_cast<uint32_t>(m.size()));  // TargetInfo past the end
    EXPECT_FALSE(try_(m));
    st32(m.data() + 44, 0xFFFFFFF0u);
    EXPECT_FALSE(try_(m));
  }
  {
    auto m = s.chal;
    m.resize(m.size() - 4);  // drop MsvAvEOL, fix the length
    st16(m.data() + 40, static_cast<uint16_t>(ld16(m.data() + 40) - 4));
    EXPECT_FALSE(try_(m));
  }
  {
    // An AV pair running past the list.
    auto m = s.chal;
    size_t info = ld32(m.data() + 44);
    st16(m.data() + info + 2, 0xFFFF);
    EXPECT_FALSE(try_(m));
  }
  {
    // No UNICODE: strings would have to go out in OEM.
    auto m = without_timestamp(s.chal);
    st32(m.data() + 20, (ld32(m.data() + 20) & ~nflag::UNICODE) | nflag::OEM);
    EXPECT_FALSE(try_(m));
  }
  {
    // No EXTENDED_SESSIONSECURITY: the only signing we do is that one.
    auto m = without_timestamp(s.chal);
    st32(m.data() + 20, ld32(m.data() + 20) & ~nflag::EXTENDED_SESSIONSECURITY);
    EXPECT_FALSE(try_(m));
  }
  {
    // MsvAvTimestamp of the wrong size.
    auto m = nlmp_challenge(H("07000400 01020304"));
    EXPECT_FALSE(try_(m));
  }
  {
    // Without MsvAvNbComputerName (MS-NLMP 3.1.5.1.2 refuses that when
    // signing is wanted); an anonymous login does not need it.
    auto m = nlmp_challenge();
    size_t info = ld32(m.data() + 44);
    // Turn the NbComputerName pair (the second, after 16 bytes) into DnsTreeName.
    ASSERT_EQ(ld16(m.data() + info + 16), ntlm::av::NB_COMPUTER);
    st16(m.data() + info + 16, ntlm::av::DNS_TREE);
    EXPECT_FALSE(try_(m));
    NtlmClient anon({"", "", "", std::nullopt, "WS"});
    anon.first_token();
    EXPECT_TRUE(anon.next_token(B(wrap(m))));
  }
  // After all that, the real one.
  EXPECT_TRUE(try_(s.chal));
}

TEST(NtlmClientMalformed, OutOfOrder) {
  REQUIRE_LEGACY();
  NtlmClient client({"alice", "RINGTEST", "pw", std::nullopt, "CLIENT7"});
  ServerSide server;
  auto first = client.first_token();
  auto chal = server.challenge(B(first));
  ASSERT_TRUE(chal);
  auto tok = server.wrap_challenge(B(*chal));
  // finish() before next_token(): nothing to finish.
  EXPECT_FALSE(client.finish({}));
  EXPECT_FALSE(client.finish(B(server_neg_token_resp(NegState::AcceptCompleted, false, {}, {}))));
  // next_token() before first_token().
  NtlmClient fresh({"alice", "RINGTEST", "pw", std::nullopt, "CLIENT7"});
  EXPECT_FALSE(fresh.next_token(B(tok)));
  // One CHALLENGE per exchange: a second next_token() is refused.
  ASSERT_TRUE(client.next_token(B(tok)));
  Key16 key = client.session_key();
  EXPECT_FALSE(client.next_token(B(tok)));
  EXPECT_EQ(X(client.session_key()), X(key));
  // A new first_token() starts over.
  auto again = client.first_token();
  ASSERT_FALSE(again.empty());
  EXPECT_FALSE(client.finish({}));
  ServerSide s2;
  auto chal2 = s2.challenge(B(again));
  ASSERT_TRUE(chal2);
  auto resp = client.next_token(B(s2.wrap_challenge(B(*chal2))));
  ASSERT_TRUE(resp);
  auto f = s2.authenticate(B(*resp), users("alice", "pw"));
  EXPECT_EQ(f.outcome, NtlmServer::Outcome::Authenticated);
  EXPECT_TRUE(client.finish(B(f.token)));
}

TEST(NtlmClientMalformed, FinalTokenTruncations) {
  REQUIRE_LEGACY();
  Started s;
  auto resp = s.client.next_token(B(s.server.wrap_challenge(B(s.chal))));
  ASSERT_TRUE(resp);
  auto f = s.server.authenticate(B(*resp), users("alice", "pw"));
  ASSERT_EQ(f.outcome, NtlmServer::Outcome::Authenticated);
  // Every proper prefix but the empty one (which means "no token").
  for (size_t n = 1; n < f.token.size(); ++n)
    EXPECT_FALSE(s.client.finish(B(cut(f.token, n)))) << n;
  auto longer = f.token;
  longer.push_back(0);
  EXPECT_FALSE(s.client.finish(B(longer)));
  // A MIC of the wrong length, a wrong supportedMech.
  auto mic = s.server.ntlm.sign_mech_list(B(s.server.mech_types_der));
  EXPECT_FALSE(s.client.finish(
      B(server_neg_token_resp(NegState::AcceptCompleted, false, {}, Bytes(mic.data(), 15)))));
  der::Writer w;
  w.begin(der::context(1));
  w.begin(der::kSequence);
  w.begin(der::context(1));
  w.tlv(der::kOid, B(kOidKrb5));
  w.end();
  w.begin(der::context(3));
  w.tlv(der::kOctetString, B(mic));
  w.end();
  w.end();
  w.end();
  EXPECT_FALSE(s.client.finish(B(w.take())));
  EXPECT_TRUE(s.client.finish(B(f.token)));
}

TEST(NtlmClientHint, FirstToken) {
  NtlmClient client({"alice", "", "pw", std::nullopt, "WS"});
  auto tok = client.first_token(server_neg_token_init());
  ASSERT_FALSE(tok.empty());
  auto t = parse_client_token(B(tok));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->kind, ClientToken::Kind::Init);
  ASSERT_EQ(t->mech_types.size(), 1u);
  EXPECT_EQ(t->mech_types[0], kOidNtlmssp);
  EXPECT_EQ(V(t->mech_types_der), ntlmssp_mech_type_list());
  auto neg = ntlm::parse_negotiate(t->mech_token);
  ASSERT_TRUE(neg);
  for (uint32_t fl : {nflag::KEY_EXCH, nflag::NEG_128, nflag::EXTENDED_SESSIONSECURITY, nflag::SIGN,
                      nflag::SEAL, nflag::ALWAYS_SIGN, nflag::UNICODE, nflag::REQUEST_TARGET,
                      nflag::NTLM, nflag::TARGET_INFO, nflag::VERSION}) {
    EXPECT_TRUE(neg->flags & fl) << std::hex << fl;
  }
  EXPECT_FALSE(neg->flags & nflag::OEM);
  EXPECT_FALSE(neg->flags & nflag::LM_KEY);
  EXPECT_EQ(t->mech_token.size(), 40u);
  EXPECT_EQ(t->mech_token[32], 10);  // Version 10.0
  EXPECT_EQ(t->mech_token[39], 15);  // NTLMSSP revision 15
  // No hint is fine; a hint without NTLMSSP or a broken one is not.
  EXPECT_EQ(client.first_token(), tok);
  der::Writer w;
  w.begin(der::kApplication0);
  w.tlv(der::kOid, B(kOidSpnego));
  w.begin(der::context(0));
  w.begin(der::kSequence);
  w.begin(der::context(0));
  w.begin(der::kSequence);
  w.tlv(der::kOid, B(kOidKrb5));
  w.end();
  w.end();
  w.end();
  w.end();
  w.end();
  EXPECT_TRUE(client.first_token(B(w.take())).empty());
  EXPECT_TRUE(client.first_token(B(H("0102030405"))).empty());
  auto hint = server_neg_token_init();
  EXPECT_TRUE(client.first_token(B(cut(hint, hint.size() - 1))).empty());
  // After a refused hint there is no exchange to continue.
  auto chal = nlmp_challenge();
  EXPECT_FALSE(
      client.next_token(B(server_neg_token_resp(NegState::AcceptIncomplete, true, B(chal), {}))));
  EXPECT_FALSE(client.first_token(B(hint)).empty());
  EXPECT_TRUE(
      client.next_token(B(server_neg_token_resp(NegState::AcceptIncomplete, true, B(chal), {}))));
}

}  // namespace
