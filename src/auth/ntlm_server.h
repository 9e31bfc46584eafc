// The server side of one NTLMSSP exchange (MS-NLMP 3.2.5, 3.3.2): issues
// the CHALLENGE, verifies an NTLMv2 AUTHENTICATE against a user's NT hash,
// derives the session key, checks the message MIC, and signs / verifies the
// SPNEGO mechListMIC (MS-NLMP 3.4.4.2, MS-SPNG 3.1.5.1).
//
// LM, NTLMv1 and NTLMv2 without a proper blob are refused: only an
// NtChallengeResponse longer than 24 bytes is considered.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "auth/crypto.h"
#include "auth/ntlmssp.h"

namespace ringsmb::auth {

struct NtlmServerConfig {
  std::string nb_domain = "WORKGROUP";
  std::string nb_computer = "RINGSMB";
  std::string dns_domain;
  std::string dns_computer = "ringsmb";
};

class NtlmServer {
 public:
  explicit NtlmServer(NtlmServerConfig cfg) : cfg_(std::move(cfg)) {}

  // NEGOTIATE -> CHALLENGE; nullopt when the NEGOTIATE is malformed.
  std::optional<std::vector<uint8_t>> challenge(Bytes negotiate_msg);
  bool challenged() const { return !challenge_msg_.empty(); }

  enum class Outcome { Anonymous, Authenticated, UnknownUser, WrongPassword, Refused, Malformed };
  struct Result {
    Outcome outcome = Outcome::Malformed;
    std::string user, domain, workstation;
  };
  // Verifies the AUTHENTICATE. lookup returns the NT hash of a user (nullopt
  // when there is no such user). On Authenticated, session_key() is valid.
  Result authenticate(Bytes authenticate_msg,
                      const std::function<std::optional<Key16>(const std::string&)>& lookup);

  const Key16& session_key() const { return session_key_; }
  // True when the client included a MIC: SPNEGO then requires mechListMIC
  // both ways (MS-SPNG 3.3.5.1).
  bool mic_present() const { return mic_present_; }

  // mechListMIC over the DER MechTypeList: the client's (verify) and ours.
  bool verify_mech_list_mic(Bytes mech_types_der, Bytes mic);
  std::vector<uint8_t> sign_mech_list(Bytes mech_types_der);

 private:
  NtlmServerConfig cfg_;
  uint32_t flags_ = 0;
  uint8_t server_challenge_[8] = {};
  std::vector<uint8_t> negotiate_msg_;
  std::vector<uint8_t> challenge_msg_;
  Key16 session_key_{};
  bool mic_present_ = false;
};

// NTOWFv2 (MS-NLMP 3.3.2): HMAC_MD5(nt_hash, UTF16LE(upper(user) + domain)).
Key16 ntowf_v2(const Key16& nt_hash, std::string_view user, std::string_view domain);

// The signing and sealing keys of MS-NLMP 3.4.5.2 / 3.4.5.3 (extended
// session security): client_to_server selects the direction.
Key16 ntlm_sign_key(const Key16& session_key, bool client_to_server);
std::vector<uint8_t> ntlm_seal_key(const Key16& session_key, uint32_t flags, bool client_to_server);
// The 16-byte NTLMSSP message signature with extended session security.
std::array<uint8_t, 16> ntlm_signature(const Key16& sign_key, Bytes seal_key, uint32_t flags,
                                       uint32_t seq, Bytes message);

}  // namespace ringsmb::auth
