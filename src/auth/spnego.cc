#include "auth/spnego.h"

#include <cstring>

#include "auth/der.h"

namespace ringsmb::auth {

const std::vector<uint8_t> kOidSpnego = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x02};
const std::vector<uint8_t> kOidNtlmssp = {0x2b, 0x06, 0x01, 0x04, 0x01,
                                          0x82, 0x37, 0x02, 0x02, 0x0a};

namespace {
constexpr uint8_t kNtlmsspSig[8] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};

bool same(Bytes a, const std::vector<uint8_t>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size()) == 0;
}

// NegTokenInit ::= SEQUENCE { mechTypes [0], reqFlags [1], mechToken [2],
//                             mechListMIC [3] }
bool parse_init(Bytes seq_content, ClientToken& out) {
  Bytes in = seq_content;
  while (!in.empty()) {
    auto t = der::read(in);
    if (!t) return false;
    switch (t->tag) {
      case der::context(0): {
        Bytes v = t->value;
        out.mech_types_der = v;  // MIC covers the SEQUENCE OF inside [0]
        auto seq = der::expect(v, der::kSequence);
        if (!seq) return false;
        Bytes s = *seq;
        while (!s.empty()) {
          auto oid = der::expect(s, der::kOid);
          if (!oid) return false;
          if (same(*oid, kOidNtlmssp)) {
            if (out.mech_types.empty()) out.ntlmssp_preferred = true;
            out.ntlmssp_offered = true;
          }
          out.mech_types.emplace_back(oid->begin(), oid->end());
          if (out.mech_types.size() > 32) return false;
        }
        break;
      }
      case der::context(1):
        break;  // reqFlags: ignored
      case der::context(2): {
        Bytes v = t->value;
        auto tok = der::expect(v, der::kOctetString);
        if (!tok) return false;
        out.mech_token = *tok;
        break;
      }
      case der::context(3): {
        Bytes v = t->value;
        auto mic = der::expect(v, der::kOctetString);
        if (mic) out.mech_list_mic = *mic;  // Windows may put a GeneralString hint here
        break;
      }
      default:
        return false;
    }
  }
  return true;
}

// NegTokenResp ::= SEQUENCE { negState [0], supportedMech [1],
//                             responseToken [2], mechListMIC [3] }
// The same parse serves the client's tokens (server side) and the
// server's (client side).
struct RespFields {
  std::optional<NegState> neg_state;
  Bytes supported_mech;
  Bytes token;
  Bytes mic;
};

bool parse_resp(Bytes seq_content, RespFields& out) {
  Bytes in = seq_content;
  while (!in.empty()) {
    auto t = der::read(in);
    if (!t) return false;
    Bytes v = t->value;
    switch (t->tag) {
      case der::context(0): {
        auto e = der::expect(v, der::kEnumerated);
        if (!e || e->size() != 1 || (*e)[0] > 3) return false;
        out.neg_state = static_cast<NegState>((*e)[0]);
        break;
      }
      case der::context(1): {
        auto oid = der::expect(v, der::kOid);
        if (!oid) return false;
        out.supported_mech = *oid;
        break;
      }
      case der::context(2): {
        auto tok = der::expect(v, der::kOctetString);
        if (!tok) return false;
        out.token = *tok;
        break;
      }
      case der::context(3): {
        auto mic = der::expect(v, der::kOctetString);
        if (!mic) return false;
        out.mic = *mic;
        break;
      }
      default:
        return false;
    }
  }
  return true;
}

// Opens InitialContextToken (RFC 2743 3.1) { thisMech, [0] NegTokenInit
// SEQUENCE { mechTypes [0] ... and writes mechTypes; the caller adds the
// fields that follow and then calls end_neg_token_init.
void begin_neg_token_init(der::Writer& w, Bytes mech_types_der) {
  w.begin(der::kApplication0);
  w.tlv(der::kOid, kOidSpnego);
  w.begin(der::context(0));
  w.begin(der::kSequence);
  w.begin(der::context(0));
  w.raw(mech_types_der);
  w.end();
}
void end_neg_token_init(der::Writer& w) {
  w.end();  // SEQUENCE
  w.end();  // [0]
  w.end();  // [APPLICATION 0]
}

// NegTokenResp from either side; supported_mech and the other fields are
// left out when empty.
std::vector<uint8_t> neg_token_resp(NegState state, Bytes supported_mech, Bytes response_token,
                                    Bytes mech_list_mic) {
  der::Writer w;
  w.begin(der::context(1));
  w.begin(der::kSequence);
  w.begin(der::context(0));
  uint8_t st = static_cast<uint8_t>(state);
  w.tlv(der::kEnumerated, Bytes(&st, 1));
  w.end();
  if (!supported_mech.empty()) {
    w.begin(der::context(1));
    w.tlv(der::kOid, supported_mech);
    w.end();
  }
  if (!response_token.empty()) {
    w.begin(der::context(2));
    w.tlv(der::kOctetString, response_token);
    w.end();
  }
  if (!mech_list_mic.empty()) {
    w.begin(der::context(3));
    w.tlv(der::kOctetString, mech_list_mic);
    w.end();
  }
  w.end();
  w.end();
  return w.take();
}
}  // namespace

std::optional<ClientToken> parse_client_token(Bytes in) {
  ClientToken out;
  if (in.size() >= 8 && std::memcmp(in.data(), kNtlmsspSig, 8) == 0) {
    out.kind = ClientToken::Kind::RawNtlmssp;
    out.mech_token = in;
    out.ntlmssp_offered = out.ntlmssp_preferred = true;
    return out;
  }
  Bytes b = in;
  auto t = der::read(b);
  if (!t) return std::nullopt;
  if (t->tag == der::kApplication0) {
    // InitialContextToken: thisMech OID, then [0] NegTokenInit.
    Bytes v = t->value;
    auto oid = der::expect(v, der::kOid);
    if (!oid || !same(*oid, kOidSpnego)) return std::nullopt;
    auto init = der::expect(v, der::context(0));
    if (!init) return std::nullopt;
    Bytes iv = *init;
    auto seq = der::expect(iv, der::kSequence);
    if (!seq) return std::nullopt;
    out.kind = ClientToken::Kind::Init;
    if (!parse_init(*seq, out)) return std::nullopt;
    return out;
  }
  if (t->tag == der::context(1)) {
    Bytes v = t->value;
    auto seq = der::expect(v, der::kSequence);
    if (!seq) return std::nullopt;
    out.kind = ClientToken::Kind::Resp;
    RespFields f;
    if (!parse_resp(*seq, f)) return std::nullopt;
    out.neg_state = f.neg_state;
    out.mech_token = f.token;
    out.mech_list_mic = f.mic;
    out.ntlmssp_offered = out.ntlmssp_preferred = true;
    return out;
  }
  return std::nullopt;
}

std::vector<uint8_t> server_neg_token_init() {
  static const char kHint[] = "not_defined_in_RFC4178@please_ignore";
  auto mech_types = ntlmssp_mech_type_list();
  der::Writer w;
  begin_neg_token_init(w, mech_types);
  // negHints [3] { hintName [0] GeneralString } (MS-SPNG 2.2.1).
  w.begin(der::context(3));
  w.begin(der::kSequence);
  w.begin(der::context(0));
  w.tlv(der::kGeneralString, Bytes(reinterpret_cast<const uint8_t*>(kHint), sizeof(kHint) - 1));
  w.end();
  w.end();
  w.end();
  end_neg_token_init(w);
  return w.take();
}

std::vector<uint8_t> server_neg_token_resp(NegState state, bool include_supported_mech,
                                           Bytes response_token, Bytes mech_list_mic) {
  return neg_token_resp(state, include_supported_mech ? Bytes(kOidNtlmssp) : Bytes(),
                        response_token, mech_list_mic);
}

// ------------------------------------------------------------ client side

std::vector<uint8_t> ntlmssp_mech_type_list() {
  der::Writer w;
  w.begin(der::kSequence);
  w.tlv(der::kOid, kOidNtlmssp);
  w.end();
  return w.take();
}

std::vector<uint8_t> client_neg_token_init(Bytes mech_types_der, Bytes mech_token) {
  der::Writer w;
  begin_neg_token_init(w, mech_types_der);
  if (!mech_token.empty()) {
    w.begin(der::context(2));
    w.tlv(der::kOctetString, mech_token);
    w.end();
  }
  end_neg_token_init(w);
  return w.take();
}

std::vector<uint8_t> client_neg_token_resp(Bytes response_token, Bytes mech_list_mic) {
  return neg_token_resp(NegState::AcceptIncomplete, {}, response_token, mech_list_mic);
}

std::optional<ServerToken> parse_server_token(Bytes in) {
  Bytes b = in;
  auto outer = der::expect(b, der::context(1));
  if (!outer || !b.empty()) return std::nullopt;
  Bytes o = *outer;
  auto seq = der::expect(o, der::kSequence);
  if (!seq || !o.empty()) return std::nullopt;
  RespFields f;
  if (!parse_resp(*seq, f)) return std::nullopt;
  return ServerToken{f.neg_state, f.supported_mech, f.token, f.mic};
}

bool hint_offers_ntlmssp(Bytes in) {
  Bytes b = in;
  auto app = der::expect(b, der::kApplication0);
  if (!app) return false;
  Bytes a = *app;
  auto oid = der::expect(a, der::kOid);
  if (!oid || !same(*oid, kOidSpnego)) return false;
  auto init = der::expect(a, der::context(0));
  if (!init) return false;
  Bytes i = *init;
  auto seq = der::expect(i, der::kSequence);
  if (!seq) return false;
  // NegTokenInit2 ::= SEQUENCE { mechTypes [0], reqFlags [1], mechToken [2],
  // negHints [3], mechListMIC [4] }: only mechTypes matters here.
  Bytes s = *seq;
  bool offered = false;
  while (!s.empty()) {
    auto t = der::read(s);
    if (!t) return false;
    if (t->tag != der::context(0)) continue;
    Bytes v = t->value;
    auto list = der::expect(v, der::kSequence);
    if (!list) return false;
    Bytes l = *list;
    while (!l.empty()) {
      auto mech = der::expect(l, der::kOid);
      if (!mech) return false;
      if (same(*mech, kOidNtlmssp)) offered = true;
    }
  }
  return offered;
}

}  // namespace ringsmb::auth
