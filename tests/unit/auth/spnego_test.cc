// auth/spnego.h: server tokens parse back, hand-built client tokens
// (RFC 4178 4.2, MS-SPNG) decode into ClientToken, garbage is refused.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "auth/der.h"
#include "auth/spnego.h"

namespace der = ringsmb::auth::der;
using namespace ringsmb::auth;

namespace {

Bytes B(const std::vector<uint8_t>& v) { return {v.data(), v.size()}; }
std::vector<uint8_t> V(Bytes b) { return {b.begin(), b.end()}; }

const std::vector<uint8_t> kOidKrb5 = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02};
const std::vector<uint8_t> kOidMsKrb5 = {0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02};

std::vector<uint8_t> ntlm_negotiate_msg() {
  static const uint8_t kHead[] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0, 1, 0, 0, 0,
                                  0x97, 0x82, 0x08, 0xe2};
  std::vector<uint8_t> m(40, 0);
  for (size_t i = 0; i < sizeof(kHead); ++i) m[i] = kHead[i];
  return m;
}

// InitialContextToken ::= [APPLICATION 0] { thisMech OID, [0] NegTokenInit }
std::vector<uint8_t> client_init(const std::vector<std::vector<uint8_t>>& mechs,
                                 const std::vector<uint8_t>& token,
                                 const std::vector<uint8_t>& mic = {},
                                 bool with_req_flags = false) {
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
  if (with_req_flags) {
    w.begin(der::context(1));
    std::vector<uint8_t> bits = {0x00, 0x00};
    w.tlv(der::kBitString, B(bits));
    w.end();
  }
  if (!token.empty()) {
    w.begin(der::context(2));
    w.tlv(der::kOctetString, B(token));
    w.end();
  }
  if (!mic.empty()) {
    w.begin(der::context(3));
    w.tlv(der::kOctetString, B(mic));
    w.end();
  }
  w.end();
  w.end();
  w.end();
  return w.take();
}

// The DER of SEQUENCE OF MechType for the given list.
std::vector<uint8_t> mech_list_der(const std::vector<std::vector<uint8_t>>& mechs) {
  der::Writer w;
  w.begin(der::kSequence);
  for (const auto& m : mechs) w.tlv(der::kOid, B(m));
  w.end();
  return w.take();
}

// NegTokenResp ::= [1] SEQUENCE { negState [0], supportedMech [1],
//                                 responseToken [2], mechListMIC [3] }
std::vector<uint8_t> client_resp(std::optional<uint8_t> state, const std::vector<uint8_t>& token,
                                 const std::vector<uint8_t>& mic) {
  der::Writer w;
  w.begin(der::context(1));
  w.begin(der::kSequence);
  if (state) {
    w.begin(der::context(0));
    std::vector<uint8_t> e = {*state};
    w.tlv(der::kEnumerated, B(e));
    w.end();
  }
  if (!token.empty()) {
    w.begin(der::context(2));
    w.tlv(der::kOctetString, B(token));
    w.end();
  }
  if (!mic.empty()) {
    w.begin(der::context(3));
    w.tlv(der::kOctetString, B(mic));
    w.end();
  }
  w.end();
  w.end();
  return w.take();
}

TEST(SpnegoOids, Values) {
  // 1.3.6.1.5.5.2 and 1.3.6.1.4.1.311.2.2.10.
  EXPECT_EQ(kOidSpnego, (std::vector<uint8_t>{0x2b, 0x06, 0x01, 0x05, 0x05, 0x02}));
  EXPECT_EQ(kOidNtlmssp,
            (std::vector<uint8_t>{0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a}));
}

TEST(ServerNegTokenInit, Structure) {
  auto tok = server_neg_token_init();
  Bytes b = B(tok);
  auto app = der::expect(b, der::kApplication0);
  ASSERT_TRUE(app);
  EXPECT_TRUE(b.empty());
  Bytes a = *app;
  auto oid = der::expect(a, der::kOid);
  ASSERT_TRUE(oid);
  EXPECT_EQ(V(*oid), kOidSpnego);
  auto init = der::expect(a, der::context(0));
  ASSERT_TRUE(init);
  EXPECT_TRUE(a.empty());
  Bytes i = *init;
  auto seq = der::expect(i, der::kSequence);
  ASSERT_TRUE(seq);
  Bytes s = *seq;
  // mechTypes [0]: exactly NTLMSSP.
  auto mt = der::expect(s, der::context(0));
  ASSERT_TRUE(mt);
  Bytes m = *mt;
  auto list = der::expect(m, der::kSequence);
  ASSERT_TRUE(list);
  Bytes l = *list;
  auto only = der::expect(l, der::kOid);
  ASSERT_TRUE(only);
  EXPECT_EQ(V(*only), kOidNtlmssp);
  EXPECT_TRUE(l.empty());
  // negHints [3] { hintName [0] GeneralString } (MS-SPNG 2.2.1).
  auto hints = der::expect(s, der::context(3));
  ASSERT_TRUE(hints);
  EXPECT_TRUE(s.empty());
  Bytes h = *hints;
  auto hs = der::expect(h, der::kSequence);
  ASSERT_TRUE(hs);
  Bytes hh = *hs;
  auto name = der::expect(hh, der::context(0));
  ASSERT_TRUE(name);
  Bytes n = *name;
  auto gs = der::expect(n, der::kGeneralString);
  ASSERT_TRUE(gs);
  EXPECT_EQ(std::string(gs->begin(), gs->end()), "not_defined_in_RFC4178@please_ignore");
}

TEST(ServerNegTokenInit, ParsesAsClientInit) {
  auto tok = server_neg_token_init();
  auto t = parse_client_token(B(tok));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->kind, ClientToken::Kind::Init);
  ASSERT_EQ(t->mech_types.size(), 1u);
  EXPECT_EQ(t->mech_types[0], kOidNtlmssp);
  EXPECT_TRUE(t->ntlmssp_offered);
  EXPECT_TRUE(t->ntlmssp_preferred);
  EXPECT_TRUE(t->mech_token.empty());
  EXPECT_TRUE(t->mech_list_mic.empty());  // the hint is not a MIC
  EXPECT_EQ(V(t->mech_types_der), mech_list_der({kOidNtlmssp}));
}

TEST(ServerNegTokenResp, FirstReplyWithSupportedMech) {
  std::vector<uint8_t> challenge = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0, 2, 0, 0, 0, 7, 7};
  auto tok = server_neg_token_resp(NegState::AcceptIncomplete, true, B(challenge), {});
  // Structure: [1] SEQUENCE { [0] ENUMERATED 1, [1] OID ntlmssp, [2] OCTET STRING }.
  Bytes b = B(tok);
  auto outer = der::expect(b, der::context(1));
  ASSERT_TRUE(outer);
  Bytes o = *outer;
  auto seq = der::expect(o, der::kSequence);
  ASSERT_TRUE(seq);
  Bytes s = *seq;
  auto st = der::expect(s, der::context(0));
  ASSERT_TRUE(st);
  Bytes stb = *st;
  auto e = der::expect(stb, der::kEnumerated);
  ASSERT_TRUE(e);
  ASSERT_EQ(e->size(), 1u);
  EXPECT_EQ((*e)[0], 1);
  auto mech = der::expect(s, der::context(1));
  ASSERT_TRUE(mech);
  Bytes mb = *mech;
  auto oid = der::expect(mb, der::kOid);
  ASSERT_TRUE(oid);
  EXPECT_EQ(V(*oid), kOidNtlmssp);
  auto rt = der::expect(s, der::context(2));
  ASSERT_TRUE(rt);
  EXPECT_TRUE(s.empty());

  auto t = parse_client_token(B(tok));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->kind, ClientToken::Kind::Resp);
  ASSERT_TRUE(t->neg_state);
  EXPECT_EQ(*t->neg_state, NegState::AcceptIncomplete);
  EXPECT_EQ(V(t->mech_token), challenge);
  EXPECT_TRUE(t->mech_list_mic.empty());
}

TEST(ServerNegTokenResp, FinalReplyWithMic) {
  std::vector<uint8_t> mic(16, 0x99);
  auto tok = server_neg_token_resp(NegState::AcceptCompleted, false, {}, B(mic));
  auto t = parse_client_token(B(tok));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->kind, ClientToken::Kind::Resp);
  EXPECT_EQ(*t->neg_state, NegState::AcceptCompleted);
  EXPECT_TRUE(t->mech_token.empty());
  EXPECT_EQ(V(t->mech_list_mic), mic);
  // No supportedMech: the sequence holds [0] and [3] only.
  Bytes b = B(tok);
  auto outer = der::expect(b, der::context(1));
  Bytes o = *outer;
  auto seq = der::expect(o, der::kSequence);
  Bytes s = *seq;
  auto first = der::read(s);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->tag, der::context(0));
  auto second = der::read(s);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->tag, der::context(3));
  EXPECT_TRUE(s.empty());
}

TEST(ServerNegTokenResp, RejectAlone) {
  auto tok = server_neg_token_resp(NegState::Reject, false, {}, {});
  auto t = parse_client_token(B(tok));
  ASSERT_TRUE(t);
  EXPECT_EQ(*t->neg_state, NegState::Reject);
  EXPECT_EQ(tok, (std::vector<uint8_t>{0xA1, 0x07, 0x30, 0x05, 0xA0, 0x03, 0x0A, 0x01, 0x02}));
}

TEST(ServerNegTokenResp, LongTokenUsesLongLengths) {
  std::vector<uint8_t> big(1000, 0x31);
  auto tok = server_neg_token_resp(NegState::AcceptIncomplete, true, B(big), {});
  EXPECT_EQ(tok[1], 0x82);
  auto t = parse_client_token(B(tok));
  ASSERT_TRUE(t);
  EXPECT_EQ(V(t->mech_token), big);
}

TEST(ClientToken, InitNtlmsspFirst) {
  auto ntlm = ntlm_negotiate_msg();
  auto tok = client_init({kOidNtlmssp, kOidKrb5}, ntlm, {}, true);
  auto t = parse_client_token(B(tok));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->kind, ClientToken::Kind::Init);
  ASSERT_EQ(t->mech_types.size(), 2u);
  EXPECT_EQ(t->mech_types[0], kOidNtlmssp);
  EXPECT_EQ(t->mech_types[1], kOidKrb5);
  EXPECT_TRUE(t->ntlmssp_offered);
  EXPECT_TRUE(t->ntlmssp_preferred);
  EXPECT_EQ(V(t->mech_token), ntlm);
  EXPECT_FALSE(t->neg_state);
  // mechListMIC covers the DER of the MechTypeList.
  EXPECT_EQ(V(t->mech_types_der), mech_list_der({kOidNtlmssp, kOidKrb5}));
  // Spans point into the input.
  EXPECT_GE(t->mech_token.data(), tok.data());
  EXPECT_LE(t->mech_token.data() + t->mech_token.size(), tok.data() + tok.size());
}

TEST(ClientToken, InitKerberosFirst) {
  std::vector<uint8_t> krb_token = {0x60, 0x03, 0x06, 0x01, 0x00};
  auto tok = client_init({kOidMsKrb5, kOidKrb5, kOidNtlmssp}, krb_token);
  auto t = parse_client_token(B(tok));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->kind, ClientToken::Kind::Init);
  EXPECT_EQ(t->mech_types.size(), 3u);
  EXPECT_TRUE(t->ntlmssp_offered);
  EXPECT_FALSE(t->ntlmssp_preferred);  // the optimistic token is Kerberos
  EXPECT_EQ(V(t->mech_token), krb_token);
}

TEST(ClientToken, InitWithoutNtlmssp) {
  auto tok = client_init({kOidKrb5}, {});
  auto t = parse_client_token(B(tok));
  ASSERT_TRUE(t);
  EXPECT_FALSE(t->ntlmssp_offered);
  EXPECT_FALSE(t->ntlmssp_preferred);
  EXPECT_TRUE(t->mech_token.empty());
}

TEST(ClientToken, InitWithMic) {
  std::vector<uint8_t> mic(16, 0x4D);
  auto tok = client_init({kOidNtlmssp}, ntlm_negotiate_msg(), mic);
  auto t = parse_client_token(B(tok));
  ASSERT_TRUE(t);
  EXPECT_EQ(V(t->mech_list_mic), mic);
}

TEST(ClientToken, RespWithTokenAndMic) {
  std::vector<uint8_t> auth = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0, 3, 0, 0, 0, 1, 2, 3};
  std::vector<uint8_t> mic(16, 0x17);
  auto tok = client_resp(std::nullopt, auth, mic);
  auto t = parse_client_token(B(tok));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->kind, ClientToken::Kind::Resp);
  EXPECT_FALSE(t->neg_state);
  EXPECT_EQ(V(t->mech_token), auth);
  EXPECT_EQ(V(t->mech_list_mic), mic);
  EXPECT_TRUE(t->mech_types.empty());
  EXPECT_TRUE(t->ntlmssp_offered);
}

TEST(ClientToken, RespNegStates) {
  for (uint8_t s = 0; s <= 3; ++s) {
    auto tok = client_resp(s, {1}, {});
    auto t = parse_client_token(B(tok));
    ASSERT_TRUE(t) << int(s);
    ASSERT_TRUE(t->neg_state);
    EXPECT_EQ(static_cast<uint8_t>(*t->neg_state), s);
  }
  EXPECT_FALSE(parse_client_token(B(client_resp(4, {1}, {}))));
  EXPECT_FALSE(parse_client_token(B(client_resp(0xFF, {1}, {}))));
}

TEST(ClientToken, RawNtlmssp) {
  auto ntlm = ntlm_negotiate_msg();
  auto t = parse_client_token(B(ntlm));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->kind, ClientToken::Kind::RawNtlmssp);
  EXPECT_EQ(t->mech_token.data(), ntlm.data());
  EXPECT_EQ(t->mech_token.size(), ntlm.size());
  EXPECT_TRUE(t->ntlmssp_offered);
  EXPECT_TRUE(t->ntlmssp_preferred);
}

TEST(ClientToken, GarbageRefused) {
  const std::vector<std::vector<uint8_t>> bad = {
      {},
      {0x00},
      {0xFF, 0xFF, 0xFF, 0xFF},
      {'N', 'T', 'L', 'M', 'S', 'S', 'P'},  // 7 bytes: not a signature
      {0x30, 0x03, 0x02, 0x01, 0x00},       // a SEQUENCE, neither [APP 0] nor [1]
      {0xA0, 0x02, 0x05, 0x00},             // [0]
      {0xA1, 0x02, 0x05, 0x00},             // [1] without a SEQUENCE
      {0x60, 0x02, 0x05, 0x00},             // [APP 0] without an OID
  };
  for (const auto& v : bad) EXPECT_FALSE(parse_client_token(B(v))) << v.size();

  // [APPLICATION 0] with the Kerberos OID instead of SPNEGO's.
  der::Writer w;
  w.begin(der::kApplication0);
  w.tlv(der::kOid, B(kOidKrb5));
  w.begin(der::context(0));
  w.begin(der::kSequence);
  w.end();
  w.end();
  w.end();
  EXPECT_FALSE(parse_client_token(B(w.take())));
}

TEST(ClientToken, EveryTruncationRefused) {
  auto init = client_init({kOidNtlmssp, kOidKrb5}, ntlm_negotiate_msg(), std::vector<uint8_t>(16, 1));
  auto resp = client_resp(1, std::vector<uint8_t>(200, 3), std::vector<uint8_t>(16, 2));
  for (const auto* tok : {&init, &resp}) {
    ASSERT_TRUE(parse_client_token(B(*tok)));
    for (size_t n = 0; n < tok->size(); ++n) {
      std::vector<uint8_t> cut(tok->begin(), tok->begin() + static_cast<long>(n));
      EXPECT_FALSE(parse_client_token(B(cut))) << n;
    }
  }
}

TEST(ClientToken, MalformedInnerElementsRefused) {
  // Unknown context tag inside NegTokenInit.
  {
    der::Writer w;
    w.begin(der::kApplication0);
    w.tlv(der::kOid, B(kOidSpnego));
    w.begin(der::context(0));
    w.begin(der::kSequence);
    w.begin(der::context(5));
    w.end();
    w.end();
    w.end();
    w.end();
    EXPECT_FALSE(parse_client_token(B(w.take())));
  }
  // A mechType that is not an OID.
  {
    der::Writer w;
    w.begin(der::kApplication0);
    w.tlv(der::kOid, B(kOidSpnego));
    w.begin(der::context(0));
    w.begin(der::kSequence);
    w.begin(der::context(0));
    w.begin(der::kSequence);
    w.tlv(der::kOctetString, B(kOidNtlmssp));
    w.end();
    w.end();
    w.end();
    w.end();
    w.end();
    EXPECT_FALSE(parse_client_token(B(w.take())));
  }
  // mechToken not an OCTET STRING.
  {
    der::Writer w;
    w.begin(der::kApplication0);
    w.tlv(der::kOid, B(kOidSpnego));
    w.begin(der::context(0));
    w.begin(der::kSequence);
    w.begin(der::context(2));
    w.tlv(der::kOid, B(kOidNtlmssp));
    w.end();
    w.end();
    w.end();
    w.end();
    EXPECT_FALSE(parse_client_token(B(w.take())));
  }
  // Too many mechTypes.
  {
    std::vector<std::vector<uint8_t>> many(33, kOidKrb5);
    EXPECT_FALSE(parse_client_token(B(client_init(many, {}))));
    many.resize(32);
    EXPECT_TRUE(parse_client_token(B(client_init(many, {}))));
  }
  // NegTokenResp with an unknown element and with a non-OCTET-STRING MIC.
  {
    der::Writer w;
    w.begin(der::context(1));
    w.begin(der::kSequence);
    w.begin(der::context(4));
    w.end();
    w.end();
    w.end();
    EXPECT_FALSE(parse_client_token(B(w.take())));
  }
  {
    der::Writer w;
    w.begin(der::context(1));
    w.begin(der::kSequence);
    w.begin(der::context(3));
    w.tlv(der::kGeneralString, B(kOidNtlmssp));
    w.end();
    w.end();
    w.end();
    EXPECT_FALSE(parse_client_token(B(w.take())));
  }
}

}  // namespace
