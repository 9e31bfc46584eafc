// SPNEGO (RFC 4178, MS-SPNG) wrapping for NTLMSSP: the server's
// NegTokenInit2 hint, the client's NegTokenInit / NegTokenResp, and the
// server's NegTokenResp.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace ringsmb::auth {

using Bytes = std::span<const uint8_t>;

// DER contents (without tag and length) of the OIDs we speak of.
extern const std::vector<uint8_t> kOidSpnego;
extern const std::vector<uint8_t> kOidNtlmssp;

enum class NegState : uint8_t {
  AcceptCompleted = 0,
  AcceptIncomplete = 1,
  Reject = 2,
  RequestMic = 3,
};

// What a client sent in a SESSION_SETUP security buffer.
struct ClientToken {
  enum class Kind { RawNtlmssp, Init, Resp } kind = Kind::RawNtlmssp;
  std::vector<std::vector<uint8_t>> mech_types;  // Init only
  Bytes mech_types_der;  // the whole MechTypeList TLV, for mechListMIC
  bool ntlmssp_offered = false;
  bool ntlmssp_preferred = false;  // first in the list, so mech_token is NTLMSSP
  Bytes mech_token;                // Init: mechToken; Resp: responseToken
  Bytes mech_list_mic;
  std::optional<NegState> neg_state;  // Resp only
};

// nullopt when the bytes are neither SPNEGO nor raw NTLMSSP.
std::optional<ClientToken> parse_client_token(Bytes in);

// The NegTokenInit2 the server puts in its NEGOTIATE response.
std::vector<uint8_t> server_neg_token_init();

// A NegTokenResp from the server. supported_mech only in the first reply.
std::vector<uint8_t> server_neg_token_resp(NegState state, bool include_supported_mech,
                                           Bytes response_token, Bytes mech_list_mic);

// ------------------------------------------------------------ client side

// The DER MechTypeList (SEQUENCE OF MechType) naming NTLMSSP alone: the
// mechTypes of the client's NegTokenInit, and what both mechListMICs cover
// (RFC 4178 4.2.1, MS-SPNG 3.1.5.1).
std::vector<uint8_t> ntlmssp_mech_type_list();

// The client's first token: InitialContextToken { SPNEGO OID, [0]
// NegTokenInit { mechTypes, mechToken } }. mech_types_der is the whole
// MechTypeList TLV (ntlmssp_mech_type_list()).
std::vector<uint8_t> client_neg_token_init(Bytes mech_types_der, Bytes mech_token);

// The client's NegTokenResp: negState accept-incomplete (as Windows sends
// it), responseToken, and mechListMIC when not empty.
std::vector<uint8_t> client_neg_token_resp(Bytes response_token, Bytes mech_list_mic);

// What a server sent back in a SESSION_SETUP response: a NegTokenResp.
// The spans point into the parsed bytes.
struct ServerToken {
  std::optional<NegState> neg_state;  // absent: decided by the mechanism
  Bytes supported_mech;               // OID contents; empty when absent
  Bytes response_token;
  Bytes mech_list_mic;
};

// nullopt unless in is exactly one well-formed NegTokenResp.
std::optional<ServerToken> parse_server_token(Bytes in);

// True when in (the NEGOTIATE response's NegTokenInit2 hint, MS-SPNG
// 2.2.1) is well formed and lists NTLMSSP among its mechTypes.
bool hint_offers_ntlmssp(Bytes in);

}  // namespace ringsmb::auth
