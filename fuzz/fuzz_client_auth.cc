// libFuzzer target: the client's login, from the server's side of a
// connection (input format: fuzz/client_sim.h). A first NEGOTIATE
// response is settled as Connection::negotiate() does (settle_negotiate:
// dialect, cipher, signing algorithm, the SPNEGO hint, the 3.1.1 preauth
// hash); then every SESSION_SETUP response goes to a SetupExchange, as
// Session::authenticate() hands them over: SPNEGO NegTokenResp and the
// NTLMSSP CHALLENGE inside it (auth/spnego, auth/ntlm_client), the
// accept-completed token and its mechListMIC, key derivation, and the
// signature of the last response. At most four rounds, like the client.
//
// The requests are those fuzz/client_sim.h makes (fixed MessageIds,
// credits and randoms), so that make_seeds can write logins that succeed:
// the server side of make_seeds answers them with this client's keys.
//
// Invariants checked: a successful keyed login has keys of the sizes its
// dialect and cipher call for, and guests and anonymous logins have none;
// a failed exchange never leaves keys behind.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "client/frames.h"
#include "client/replies.h"
#include "client_sim.h"
#include "fuzz_util.h"
#include "wire/smb2.h"

namespace c = ringsmb::client;
namespace w = ringsmb::wire;
namespace f = ringsmb::fuzz;
using ringsmb::fuzz::touch;
using ringsmb::fuzz::touch_value;

namespace {

void check_keys(const c::SetupExchange& ex, w::NtStatus s, bool anonymous, uint16_t dialect,
                uint16_t cipher) {
  if (s != w::status::SUCCESS) {
    CHECK(!ex.keys());
    return;
  }
  const bool keyless =
      anonymous || (ex.session_flags() & (w::SESSION_FLAG_IS_GUEST | w::SESSION_FLAG_IS_NULL)) != 0;
  CHECK(keyless == !ex.keys());
  if (!ex.keys()) return;
  const auto& k = *ex.keys();
  CHECK(k.signing_key.size() == 16);
  if (dialect >= w::dialect::SMB300) {
    // 3.0 and 3.0.2 know AES-128 only; 3.1.1 keys follow the cipher.
    const bool aes256 = cipher == w::cipher::AES256_CCM || cipher == w::cipher::AES256_GCM;
    const size_t n = dialect == w::dialect::SMB311 && aes256 ? 32 : 16;
    CHECK(k.encryption_key.size() == n && k.decryption_key.size() == n);
  }
  touch(std::span<const uint8_t>(k.signing_key));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const auto replies = f::all_replies(w::Bytes(data + 1, size - 1));
  const f::AuthStart st = f::auth_start(data[0], replies);
  const c::SetupExchange::Params& p = st.params;
  const bool anonymous = st.anonymous;
  size_t next = st.first_setup;

  c::SetupExchange ex(f::credentials(anonymous), p);
  f::fix_randoms(ex.ntlm());
  touch(ex.first_token(st.hint));
  w::NtStatus s = w::status::LOGON_FAILURE;
  for (int round = 0; round < 4 && next < replies.size(); ++round, ++next) {
    auto req = f::setup_request(ex, round);
    if (auto* h = ex.preauth()) h->update(req);
    s = ex.on_reply(replies[next].hdr, replies[next].msg, st.encrypted);
    touch_value(s);
    if (s != w::status::MORE_PROCESSING_REQUIRED) break;
    touch(ex.token());
  }
  check_keys(ex, s, anonymous, p.dialect, p.cipher);
  return 0;
}
