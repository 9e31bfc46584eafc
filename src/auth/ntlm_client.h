// The client side of one NTLMSSP exchange (MS-NLMP 3.1.5, 3.3.2) wrapped
// in SPNEGO (RFC 4178, MS-SPNG), as an SMB2 client runs it over
// SESSION_SETUP:
//
//   NtlmClient c(creds);
//   token1 = c.first_token(server_hint);      // NegTokenInit(NEGOTIATE)
//   ... server answers NegTokenResp(CHALLENGE), STATUS_MORE_PROCESSING ...
//   token2 = c.next_token(server_token);       // NegTokenResp(AUTHENTICATE, mechListMIC)
//   ... server answers NegTokenResp(accept-completed[, mechListMIC]) ...
//   c.finish(server_token);                    // checks the server's mechListMIC
//   c.session_key();                           // for SMB key derivation
//
// Only NTLMv2 is produced. With key exchange the session key is a fresh
// random key sent RC4-encrypted; the AUTHENTICATE carries a MIC when the
// CHALLENGE has a timestamp (MsvAvTimestamp), and then the SPNEGO
// mechListMIC is sent and the server's is required.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "auth/crypto.h"

namespace ringsmb::auth {

struct NtlmCredentials {
  std::string user;      // empty: anonymous
  std::string domain;    // may be empty
  std::string password;  // used when nt_hash is unset
  std::optional<Key16> nt_hash;
  std::string workstation = "RINGSMB";
};

class NtlmClient {
 public:
  explicit NtlmClient(NtlmCredentials creds);

  // The first SESSION_SETUP security buffer: a SPNEGO NegTokenInit with
  // NTLMSSP as the only mechanism and a NEGOTIATE message as mechToken.
  // server_hint is the NEGOTIATE response's security buffer (may be
  // empty); it is only checked to offer NTLMSSP. Empty when a non-empty
  // hint is malformed or does not offer NTLMSSP.
  std::vector<uint8_t> first_token(std::span<const uint8_t> server_hint = {});

  // The server's NegTokenResp carrying the CHALLENGE -> our NegTokenResp
  // with the AUTHENTICATE (and mechListMIC when a MIC was sent). nullopt
  // when the token is malformed, rejects, or does not hold a CHALLENGE.
  std::optional<std::vector<uint8_t>> next_token(std::span<const uint8_t> server_token);

  // The server's last NegTokenResp (accept-completed): true when it
  // accepts and, where we sent a mechListMIC, its mechListMIC verifies.
  // An empty token (some servers send none on success) is accepted when no
  // MIC was exchanged.
  bool finish(std::span<const uint8_t> server_token);

  bool anonymous() const { return creds_.user.empty(); }
  // Valid after next_token(): ExportedSessionKey (MS-NLMP 3.1.5.1.2); all
  // zero for anonymous logins.
  const Key16& session_key() const { return session_key_; }

  // For tests: fixes the client challenge, the random session key and the
  // timestamp used when the CHALLENGE has none (all random otherwise).
  void set_test_randoms(const uint8_t client_challenge[8], const Key16& random_session_key,
                        uint64_t timestamp);

 private:
  NtlmCredentials creds_;
  std::vector<uint8_t> negotiate_msg_;
  std::vector<uint8_t> mech_types_der_;
  Key16 session_key_{};
  uint32_t flags_ = 0;  // the AUTHENTICATE's NegotiateFlags; 0 until next_token() succeeds
  bool mic_sent_ = false;
  bool fixed_randoms_ = false;
  uint8_t client_challenge_[8] = {};
  Key16 random_session_key_{};
  uint64_t timestamp_ = 0;
};

}  // namespace ringsmb::auth
