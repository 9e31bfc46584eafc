// NTLMSSP messages (MS-NLMP 2.2.1): decoding NEGOTIATE and AUTHENTICATE,
// encoding CHALLENGE. Pure codec: the authentication decision lives in
// auth/authenticator.h.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace ringsmb::auth::ntlm {

using Bytes = std::span<const uint8_t>;

// NegotiateFlags (MS-NLMP 2.2.2.5).
namespace flag {
inline constexpr uint32_t UNICODE = 0x00000001;
inline constexpr uint32_t OEM = 0x00000002;
inline constexpr uint32_t REQUEST_TARGET = 0x00000004;
inline constexpr uint32_t SIGN = 0x00000010;
inline constexpr uint32_t SEAL = 0x00000020;
inline constexpr uint32_t LM_KEY = 0x00000080;
inline constexpr uint32_t NTLM = 0x00000200;
inline constexpr uint32_t ANONYMOUS = 0x00000800;
inline constexpr uint32_t ALWAYS_SIGN = 0x00008000;
inline constexpr uint32_t TARGET_TYPE_DOMAIN = 0x00010000;
inline constexpr uint32_t TARGET_TYPE_SERVER = 0x00020000;
inline constexpr uint32_t EXTENDED_SESSIONSECURITY = 0x00080000;
inline constexpr uint32_t IDENTIFY = 0x00100000;
inline constexpr uint32_t TARGET_INFO = 0x00800000;
inline constexpr uint32_t VERSION = 0x02000000;
inline constexpr uint32_t NEG_128 = 0x20000000;
inline constexpr uint32_t KEY_EXCH = 0x40000000;
inline constexpr uint32_t NEG_56 = 0x80000000;
}  // namespace flag

// AV pair ids (MS-NLMP 2.2.2.1).
namespace av {
inline constexpr uint16_t EOL = 0;
inline constexpr uint16_t NB_COMPUTER = 1;
inline constexpr uint16_t NB_DOMAIN = 2;
inline constexpr uint16_t DNS_COMPUTER = 3;
inline constexpr uint16_t DNS_DOMAIN = 4;
inline constexpr uint16_t DNS_TREE = 5;
inline constexpr uint16_t FLAGS = 6;
inline constexpr uint16_t TIMESTAMP = 7;
inline constexpr uint16_t SINGLE_HOST = 8;
inline constexpr uint16_t TARGET_NAME = 9;
inline constexpr uint16_t CHANNEL_BINDINGS = 10;
}  // namespace av
inline constexpr uint32_t AV_FLAG_MIC_PRESENT = 0x00000002;

struct NegotiateMessage {
  uint32_t flags = 0;
};
std::optional<NegotiateMessage> parse_negotiate(Bytes in);

struct ChallengeParams {
  uint32_t flags = 0;
  uint8_t server_challenge[8] = {};
  std::string nb_domain;     // target name and MsvAvNbDomainName
  std::string nb_computer;   // MsvAvNbComputerName
  std::string dns_domain;    // MsvAvDnsDomainName
  std::string dns_computer;  // MsvAvDnsComputerName
  uint64_t timestamp = 0;    // FILETIME; 0: no MsvAvTimestamp
};
std::vector<uint8_t> build_challenge(const ChallengeParams& p);

struct AuthenticateMessage {
  Bytes lm_response;
  Bytes nt_response;
  std::string domain;       // decoded (UTF-16LE or OEM per flags)
  std::string user;
  std::string workstation;
  Bytes encrypted_random_session_key;
  uint32_t flags = 0;
  // MIC: present when the NTLMv2 response's AV pairs say so; its 16 bytes
  // sit at offset 72 of the message (zeroed for the MIC computation).
  bool has_mic = false;
  Bytes mic;
};
std::optional<AuthenticateMessage> parse_authenticate(Bytes in);

// MS-NLMP 3.2.5.1.2: empty user, empty NT response, LM response empty or
// one zero byte.
bool is_anonymous(const AuthenticateMessage& m);

// The AV pairs of an NTLMv2 response (after the 28-byte header), or
// nullopt when it is too short to be NTLMv2 or the list is malformed.
struct AvPair {
  uint16_t id;
  Bytes value;
};
std::optional<std::vector<AvPair>> ntlmv2_av_pairs(Bytes nt_response);

}  // namespace ringsmb::auth::ntlm
