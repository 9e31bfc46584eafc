// auth/ntlmssp.h: CHALLENGE layout (MS-NLMP 2.2.1.2), NEGOTIATE and
// AUTHENTICATE decoding (2.2.1.1, 2.2.1.3), AV pairs (2.2.2.1), anonymous
// detection (3.2.5.1.2).
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "auth/ntlmssp.h"
#include "wire/le.h"
#include "wire/utf16.h"

using namespace ringsmb::auth::ntlm;
using ringsmb::wire::ld16;
using ringsmb::wire::ld32;
using ringsmb::wire::ld64;
using ringsmb::wire::st16;
using ringsmb::wire::st32;
using ringsmb::wire::st64;
using ringsmb::wire::utf8_to_utf16le;

namespace {

Bytes B(const std::vector<uint8_t>& v) { return {v.data(), v.size()}; }
std::vector<uint8_t> V(Bytes b) { return {b.begin(), b.end()}; }
const uint8_t kSig[8] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};

// ---------------------------------------------------------------- NEGOTIATE

TEST(NtlmNegotiate, Parse) {
  std::vector<uint8_t> m(32, 0);
  std::memcpy(m.data(), kSig, 8);
  st32(m.data() + 8, 1);
  st32(m.data() + 12, flag::UNICODE | flag::NTLM | flag::EXTENDED_SESSIONSECURITY);
  auto r = parse_negotiate(B(m));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->flags, flag::UNICODE | flag::NTLM | flag::EXTENDED_SESSIONSECURITY);
  // Just the flags is enough.
  std::vector<uint8_t> min(m.begin(), m.begin() + 16);
  EXPECT_TRUE(parse_negotiate(B(min)));
}

TEST(NtlmNegotiate, Malformed) {
  std::vector<uint8_t> m(32, 0);
  std::memcpy(m.data(), kSig, 8);
  st32(m.data() + 8, 1);
  for (size_t n = 0; n < 16; ++n) {
    std::vector<uint8_t> cut(m.begin(), m.begin() + static_cast<long>(n));
    EXPECT_FALSE(parse_negotiate(B(cut))) << n;
  }
  auto type3 = m;
  st32(type3.data() + 8, 3);
  EXPECT_FALSE(parse_negotiate(B(type3)));
  auto sig = m;
  sig[7] = 'X';
  EXPECT_FALSE(parse_negotiate(B(sig)));
}

// ---------------------------------------------------------------- CHALLENGE

std::vector<std::pair<uint16_t, std::vector<uint8_t>>> av_list(Bytes info) {
  std::vector<std::pair<uint16_t, std::vector<uint8_t>>> out;
  size_t pos = 0;
  while (pos + 4 <= info.size()) {
    uint16_t id = ld16(info.data() + pos);
    uint16_t len = ld16(info.data() + pos + 2);
    pos += 4;
    EXPECT_LE(pos + len, info.size());
    if (pos + len > info.size()) break;
    out.push_back({id, std::vector<uint8_t>(info.begin() + static_cast<long>(pos),
                                            info.begin() + static_cast<long>(pos + len))});
    pos += len;
    if (id == av::EOL) break;
  }
  EXPECT_EQ(pos, info.size()) << "bytes after MsvAvEOL";
  return out;
}

ChallengeParams params(uint64_t ts) {
  ChallengeParams p;
  p.flags = flag::UNICODE | flag::NTLM | flag::TARGET_INFO | flag::TARGET_TYPE_SERVER |
            flag::EXTENDED_SESSIONSECURITY | flag::VERSION | flag::NEG_128;
  for (int i = 0; i < 8; ++i) p.server_challenge[i] = static_cast<uint8_t>(0xC0 + i);
  p.nb_domain = "WORKGROUP";
  p.nb_computer = "RINGSMB";
  p.dns_domain = "example.org";
  p.dns_computer = "ringsmb.example.org";
  p.timestamp = ts;
  return p;
}

TEST(NtlmChallenge, Layout) {
  ChallengeParams p = params(0x01D9000000000000ull);
  auto m = build_challenge(p);
  ASSERT_GE(m.size(), 56u);
  EXPECT_EQ(std::memcmp(m.data(), kSig, 8), 0);
  EXPECT_EQ(ld32(m.data() + 8), 2u);  // MessageType
  // TargetNameFields.
  auto target = utf8_to_utf16le("WORKGROUP");
  EXPECT_EQ(ld16(m.data() + 12), target.size());
  EXPECT_EQ(ld16(m.data() + 14), target.size());
  const uint32_t toff = ld32(m.data() + 16);
  EXPECT_EQ(toff, 56u);  // right after the fixed part with Version
  ASSERT_LE(toff + target.size(), m.size());
  EXPECT_EQ(std::vector<uint8_t>(m.begin() + toff, m.begin() + toff + target.size()), target);
  EXPECT_EQ(ld32(m.data() + 20), p.flags);
  EXPECT_EQ(std::memcmp(m.data() + 24, p.server_challenge, 8), 0);
  EXPECT_EQ(ld64(m.data() + 32), 0u);  // Reserved
  // TargetInfoFields.
  const uint16_t ilen = ld16(m.data() + 40);
  EXPECT_EQ(ld16(m.data() + 42), ilen);
  const uint32_t ioff = ld32(m.data() + 44);
  EXPECT_EQ(ioff, toff + target.size());
  ASSERT_EQ(ioff + ilen, m.size());
  // Version (2.2.2.10): major, minor, build, 3 reserved, NTLMSSP_REVISION_W2K3.
  EXPECT_EQ(m[48], 6);
  EXPECT_EQ(m[49], 1);
  EXPECT_EQ(ld16(m.data() + 50), 7600);
  EXPECT_EQ(m[52], 0);
  EXPECT_EQ(m[53], 0);
  EXPECT_EQ(m[54], 0);
  EXPECT_EQ(m[55], 15);

  auto avs = av_list(Bytes(m.data() + ioff, ilen));
  ASSERT_EQ(avs.size(), 6u);
  EXPECT_EQ(avs[0].first, av::NB_DOMAIN);
  EXPECT_EQ(avs[0].second, utf8_to_utf16le("WORKGROUP"));
  EXPECT_EQ(avs[1].first, av::NB_COMPUTER);
  EXPECT_EQ(avs[1].second, utf8_to_utf16le("RINGSMB"));
  EXPECT_EQ(avs[2].first, av::DNS_DOMAIN);
  EXPECT_EQ(avs[2].second, utf8_to_utf16le("example.org"));
  EXPECT_EQ(avs[3].first, av::DNS_COMPUTER);
  EXPECT_EQ(avs[3].second, utf8_to_utf16le("ringsmb.example.org"));
  EXPECT_EQ(avs[4].first, av::TIMESTAMP);
  ASSERT_EQ(avs[4].second.size(), 8u);
  EXPECT_EQ(ld64(avs[4].second.data()), 0x01D9000000000000ull);
  EXPECT_EQ(avs[5].first, av::EOL);
  EXPECT_TRUE(avs[5].second.empty());
}

TEST(NtlmChallenge, NoTimestampWhenZero) {
  auto m = build_challenge(params(0));
  const uint16_t ilen = ld16(m.data() + 40);
  const uint32_t ioff = ld32(m.data() + 44);
  ASSERT_EQ(ioff + ilen, m.size());
  auto avs = av_list(Bytes(m.data() + ioff, ilen));
  ASSERT_EQ(avs.size(), 5u);
  for (const auto& [id, v] : avs) EXPECT_NE(id, av::TIMESTAMP);
  EXPECT_EQ(avs.back().first, av::EOL);
}

TEST(NtlmChallenge, NonAsciiNames) {
  ChallengeParams p = params(0);
  p.nb_domain = "D\xC3\x96M";  // "DÖM"
  auto m = build_challenge(p);
  EXPECT_EQ(ld16(m.data() + 12), 6);
  auto name = ringsmb::wire::utf16le_to_utf8(Bytes(m.data() + 56, 6));
  ASSERT_TRUE(name);
  EXPECT_EQ(*name, "D\xC3\x96M");
}

// ------------------------------------------------------------- AUTHENTICATE

// An NTLMv2 response: NTProofStr(16), then NTLMv2_CLIENT_CHALLENGE:
// RespType, HiRespType, Reserved1(2), Reserved2(4), TimeStamp(8),
// ChallengeFromClient(8), Reserved3(4), AvPairs.
std::vector<uint8_t> ntlmv2_response(const std::vector<std::pair<uint16_t, std::vector<uint8_t>>>& avs,
                                     bool eol = true) {
  std::vector<uint8_t> r(16 + 28, 0);
  for (int i = 0; i < 16; ++i) r[i] = static_cast<uint8_t>(0x10 + i);
  r[16] = 1;
  r[17] = 1;
  st64(r.data() + 24, 0x01D9111122223333ull);
  for (int i = 0; i < 8; ++i) r[32 + i] = static_cast<uint8_t>(0xE0 + i);
  for (const auto& [id, v] : avs) {
    size_t o = r.size();
    r.resize(o + 4);
    st16(r.data() + o, id);
    st16(r.data() + o + 2, static_cast<uint16_t>(v.size()));
    r.insert(r.end(), v.begin(), v.end());
  }
  if (eol) {
    r.insert(r.end(), {0, 0, 0, 0});
    r.insert(r.end(), {0, 0, 0, 0});  // trailing padding, as Windows sends
  }
  return r;
}

std::vector<uint8_t> le32(uint32_t v) {
  std::vector<uint8_t> b(4);
  st32(b.data(), v);
  return b;
}

struct AuthSpec {
  std::vector<uint8_t> lm, nt, domain, user, ws, key;
  uint32_t flags = flag::UNICODE | flag::NTLM | flag::EXTENDED_SESSIONSECURITY | flag::KEY_EXCH;
  std::vector<uint8_t> mic = std::vector<uint8_t>(16, 0x3C);
};

// Fixed part 88 bytes (with Version and MIC), payload in field order.
std::vector<uint8_t> build_auth(const AuthSpec& s) {
  std::vector<uint8_t> m(88, 0);
  std::memcpy(m.data(), kSig, 8);
  st32(m.data() + 8, 3);
  const std::vector<uint8_t>* fields[] = {&s.lm, &s.nt, &s.domain, &s.user, &s.ws, &s.key};
  for (int i = 0; i < 6; ++i) {
    size_t pos = 12 + 8 * i;
    st16(m.data() + pos, static_cast<uint16_t>(fields[i]->size()));
    st16(m.data() + pos + 2, static_cast<uint16_t>(fields[i]->size()));
    st32(m.data() + pos + 4, static_cast<uint32_t>(m.size()));
    m.insert(m.end(), fields[i]->begin(), fields[i]->end());
  }
  st32(m.data() + 60, s.flags);
  m[64] = 10;  // Version
  m[66] = 0x61;
  m[71] = 15;
  std::memcpy(m.data() + 72, s.mic.data(), 16);
  return m;
}

AuthSpec alice(bool mic_flag) {
  AuthSpec s;
  s.lm = std::vector<uint8_t>(24, 0);
  std::vector<std::pair<uint16_t, std::vector<uint8_t>>> avs = {
      {av::NB_DOMAIN, utf8_to_utf16le("DOM")},
      {av::NB_COMPUTER, utf8_to_utf16le("SRV")},
  };
  if (mic_flag) avs.push_back({av::FLAGS, le32(AV_FLAG_MIC_PRESENT)});
  avs.push_back({av::TIMESTAMP, std::vector<uint8_t>(8, 1)});
  s.nt = ntlmv2_response(avs);
  s.domain = utf8_to_utf16le("DOMAIN");
  s.user = utf8_to_utf16le("alice");
  s.ws = utf8_to_utf16le("WS-01");
  s.key = std::vector<uint8_t>(16, 0x6B);
  return s;
}

TEST(NtlmAuthenticate, ParseWithMic) {
  AuthSpec s = alice(true);
  auto m = build_auth(s);
  auto r = parse_authenticate(B(m));
  ASSERT_TRUE(r);
  EXPECT_EQ(V(r->lm_response), s.lm);
  EXPECT_EQ(V(r->nt_response), s.nt);
  EXPECT_EQ(r->domain, "DOMAIN");
  EXPECT_EQ(r->user, "alice");
  EXPECT_EQ(r->workstation, "WS-01");
  EXPECT_EQ(V(r->encrypted_random_session_key), s.key);
  EXPECT_EQ(r->flags, s.flags);
  EXPECT_TRUE(r->has_mic);
  ASSERT_EQ(r->mic.size(), 16u);
  EXPECT_EQ(r->mic.data(), m.data() + 72);
  EXPECT_EQ(V(r->mic), s.mic);
  // Spans into the message.
  EXPECT_EQ(r->nt_response.data(), m.data() + 88 + 24);
  EXPECT_FALSE(is_anonymous(*r));
}

TEST(NtlmAuthenticate, NoMicWithoutAvFlag) {
  auto m = build_auth(alice(false));
  auto r = parse_authenticate(B(m));
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->has_mic);
  EXPECT_TRUE(r->mic.empty());
  // MsvAvFlags without the MIC bit.
  AuthSpec s = alice(false);
  s.nt = ntlmv2_response({{av::FLAGS, le32(0x1)}});
  const auto msg_r2 = build_auth(s);  // the view points into it
  auto r2 = parse_authenticate(B(msg_r2));
  ASSERT_TRUE(r2);
  EXPECT_FALSE(r2->has_mic);
}

TEST(NtlmAuthenticate, Ntlmv1ResponseHasNoMic) {
  AuthSpec s = alice(false);
  s.nt = std::vector<uint8_t>(24, 0x24);  // NTLMv1: no AV pairs to look at
  const auto msg_r = build_auth(s);  // the view points into it
  auto r = parse_authenticate(B(msg_r));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->nt_response.size(), 24u);
  EXPECT_FALSE(r->has_mic);
}

TEST(NtlmAuthenticate, OemStrings) {
  AuthSpec s = alice(false);
  s.flags = flag::OEM | flag::NTLM;
  s.domain = {'D', 'O', 'M'};
  s.user = {'b', 'o', 'b'};
  s.ws = {'W'};
  const auto msg_r = build_auth(s);  // the view points into it
  auto r = parse_authenticate(B(msg_r));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->domain, "DOM");
  EXPECT_EQ(r->user, "bob");
  EXPECT_EQ(r->workstation, "W");
}

TEST(NtlmAuthenticate, AnonymousMessage) {
  AuthSpec s;
  s.lm = {0};
  s.mic = std::vector<uint8_t>(16, 0);
  const auto msg_r = build_auth(s);  // the view points into it
  auto r = parse_authenticate(B(msg_r));
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->user.empty());
  EXPECT_TRUE(r->nt_response.empty());
  EXPECT_FALSE(r->has_mic);
  EXPECT_TRUE(is_anonymous(*r));
}

TEST(NtlmAuthenticate, EveryTruncationRefused) {
  auto m = build_auth(alice(true));
  ASSERT_TRUE(parse_authenticate(B(m)));
  for (size_t n = 0; n < m.size(); ++n) {
    std::vector<uint8_t> cut(m.begin(), m.begin() + static_cast<long>(n));
    EXPECT_FALSE(parse_authenticate(B(cut))) << n;
  }
}

TEST(NtlmAuthenticate, MalformedRefused) {
  const auto m = build_auth(alice(true));
  auto with = [&](size_t pos, int width, uint32_t v) {
    auto b = m;
    if (width == 2) {
      st16(b.data() + pos, static_cast<uint16_t>(v));
    } else {
      st32(b.data() + pos, v);
    }
    return parse_authenticate(B(b)).has_value();
  };
  EXPECT_FALSE(with(8, 4, 2));  // MessageType
  EXPECT_FALSE(with(8, 4, 1));
  for (size_t field = 12; field <= 52; field += 8) {
    EXPECT_FALSE(with(field + 4, 4, static_cast<uint32_t>(m.size()))) << field;     // offset at end
    EXPECT_FALSE(with(field + 4, 4, 0xFFFFFFFF)) << field;                          // huge offset
    EXPECT_FALSE(with(field, 2, 0xFFFF)) << field;                                  // huge length
  }
  // An odd-length UTF-16 user name.
  AuthSpec s = alice(false);
  s.user.push_back('x');
  EXPECT_FALSE(parse_authenticate(B(build_auth(s))));
  // An unpaired surrogate in the domain.
  AuthSpec d = alice(false);
  d.domain = {0x3D, 0xD8};
  EXPECT_FALSE(parse_authenticate(B(build_auth(d))));
  // Bad signature.
  auto sig = m;
  sig[0] = 'n';
  EXPECT_FALSE(parse_authenticate(B(sig)));
}

TEST(NtlmAuthenticate, EmptyFieldsIgnoreOffsets) {
  AuthSpec s = alice(false);
  s.ws.clear();
  s.key.clear();
  auto m = build_auth(s);
  st32(m.data() + 44 + 4, 0xFFFFFFFF);  // Workstation: length 0, offset nonsense
  auto r = parse_authenticate(B(m));
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->workstation.empty());
  EXPECT_TRUE(r->encrypted_random_session_key.empty());
}

// ----------------------------------------------------------------- AV pairs

TEST(NtlmV2AvPairs, Parse) {
  auto nt = ntlmv2_response({{av::NB_DOMAIN, {1, 2}}, {av::FLAGS, le32(2)}, {av::TARGET_NAME, {}}});
  auto p = ntlmv2_av_pairs(B(nt));
  ASSERT_TRUE(p);
  ASSERT_EQ(p->size(), 3u);
  EXPECT_EQ((*p)[0].id, av::NB_DOMAIN);
  EXPECT_EQ(V((*p)[0].value), (std::vector<uint8_t>{1, 2}));
  EXPECT_EQ((*p)[1].id, av::FLAGS);
  EXPECT_EQ(ld32((*p)[1].value.data()), 2u);
  EXPECT_EQ((*p)[2].id, av::TARGET_NAME);
  EXPECT_TRUE((*p)[2].value.empty());
}

TEST(NtlmV2AvPairs, MissingEolRefused) {
  // MS-NLMP 2.2.2.1: the list ends with MsvAvEOL.
  std::vector<uint8_t> nt(44, 0);
  nt.insert(nt.end(), {av::NB_COMPUTER, 0, 2, 0, 'a', 0});
  EXPECT_FALSE(ntlmv2_av_pairs(B(nt)));
  nt.insert(nt.end(), {0, 0, 0, 0});
  auto p = ntlmv2_av_pairs(B(nt));
  ASSERT_TRUE(p);
  ASSERT_EQ(p->size(), 1u);
  EXPECT_EQ((*p)[0].id, av::NB_COMPUTER);
  // An authenticate message whose NTLMv2 response has no EOL: no MIC seen.
  AuthSpec s = alice(false);
  s.nt = ntlmv2_response({{av::FLAGS, le32(AV_FLAG_MIC_PRESENT)}}, /*eol=*/false);
  const auto msg_r = build_auth(s);  // the view points into it
  auto r = parse_authenticate(B(msg_r));
  if (r) {
    EXPECT_FALSE(r->has_mic);
  }
}

TEST(NtlmV2AvPairs, Malformed) {
  EXPECT_FALSE(ntlmv2_av_pairs({}));
  std::vector<uint8_t> short_resp(43, 0);
  EXPECT_FALSE(ntlmv2_av_pairs(B(short_resp)));
  std::vector<uint8_t> nt(44, 0);
  nt.insert(nt.end(), {av::NB_COMPUTER, 0, 10, 0, 'a', 0});  // length past the end
  EXPECT_FALSE(ntlmv2_av_pairs(B(nt)));
  std::vector<uint8_t> many(44, 0);
  for (int i = 0; i < 65; ++i) many.insert(many.end(), {av::NB_COMPUTER, 0, 0, 0});
  EXPECT_FALSE(ntlmv2_av_pairs(B(many)));
  // Exactly 44 bytes: no list, not even an EOL.
  std::vector<uint8_t> bare(44, 0);
  EXPECT_FALSE(ntlmv2_av_pairs(B(bare)));
  // Only an EOL: an empty list.
  std::vector<uint8_t> eol_only(48, 0);
  ASSERT_TRUE(ntlmv2_av_pairs(B(eol_only)));
  EXPECT_TRUE(ntlmv2_av_pairs(B(eol_only))->empty());
}

// ---------------------------------------------------------------- anonymous

TEST(NtlmAnonymous, Rules) {
  std::vector<uint8_t> zero1 = {0}, one1 = {1}, zero24(24, 0), nt(24, 5);
  AuthenticateMessage m;
  EXPECT_TRUE(is_anonymous(m));  // everything empty
  m.lm_response = B(zero1);
  EXPECT_TRUE(is_anonymous(m));  // LM is Z(1)
  m.lm_response = B(one1);
  EXPECT_FALSE(is_anonymous(m));
  m.lm_response = B(zero24);
  EXPECT_FALSE(is_anonymous(m));  // only empty or one zero byte
  m.lm_response = {};
  m.user = "guest";
  EXPECT_FALSE(is_anonymous(m));
  m.user.clear();
  m.nt_response = B(nt);
  EXPECT_FALSE(is_anonymous(m));
  m.nt_response = {};
  m.domain = "WORKGROUP";  // domain and workstation do not matter
  m.workstation = "WS";
  EXPECT_TRUE(is_anonymous(m));
}

}  // namespace
