// libFuzzer target: the security blobs of SESSION_SETUP. The first byte
// picks the decoder, the rest is its input:
//   0  SPNEGO token from a client (NegTokenInit / NegTokenResp / raw NTLMSSP),
//      then the NTLMSSP message it carries
//   1  NTLMSSP NEGOTIATE
//   2  NTLMSSP AUTHENTICATE, then the NTLMv2 response's AV pairs
//   3  SPNEGO token from a server (the client's side) and the hint check
//   4  a server's NegTokenResp carrying a CHALLENGE, through NtlmClient
// Seeds carry the selector byte too (fuzz/make_seeds.cc).
#include <cstddef>
#include <cstdint>

#include "auth/ntlm_client.h"
#include "auth/ntlmssp.h"
#include "auth/spnego.h"
#include "fuzz_util.h"

namespace a = ringsmb::auth;
using ringsmb::fuzz::touch;
using ringsmb::fuzz::touch_value;

namespace {

void ntlm_message(a::Bytes in) {
  if (auto n = a::ntlm::parse_negotiate(in)) touch_value(n->flags);
  if (auto m = a::ntlm::parse_authenticate(in)) {
    touch(m->lm_response);
    touch(m->nt_response);
    touch(m->domain);
    touch(m->user);
    touch(m->workstation);
    touch(m->encrypted_random_session_key);
    touch(m->mic);
    touch_value(a::ntlm::is_anonymous(*m));
    if (auto pairs = a::ntlm::ntlmv2_av_pairs(m->nt_response))
      for (const auto& p : *pairs) touch(p.value);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const a::Bytes in(data + 1, size - 1);
  switch (data[0] % 5) {
    case 0:
      if (auto t = a::parse_client_token(in)) {
        for (const auto& m : t->mech_types) touch(m);
        touch(t->mech_types_der);
        touch(t->mech_list_mic);
        touch(t->mech_token);
        ntlm_message(t->mech_token);
      }
      break;
    case 1:
    case 2:
      ntlm_message(in);
      break;
    case 3:
      if (auto t = a::parse_server_token(in)) {
        touch(t->supported_mech);
        touch(t->response_token);
        touch(t->mech_list_mic);
      }
      touch_value(a::hint_offers_ntlmssp(in));
      break;
    case 4: {
      a::NtlmCredentials creds;
      creds.user = "fuzz";
      creds.domain = "RINGSMB";
      creds.password = "fuzz";
      a::NtlmClient c(creds);
      touch(c.first_token());
      if (auto next = c.next_token(in)) {
        touch(*next);
        touch_value(c.finish(in));
      }
      break;
    }
  }
  return 0;
}
