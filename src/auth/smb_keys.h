// SMB2/3 session keys, signatures and encryption (MS-SMB2 3.1.4).
//
//  2.0.2, 2.1: HMAC-SHA256 with the session key.
//  3.0, 3.0.2: AES-128-CMAC; keys by SP800-108 KDF with fixed contexts
//              ("SMB2AESCMAC"/"SmbSign", "SMB2AESCCM"/"ServerIn "/"ServerOut").
//  3.1.1:      AES-128-CMAC or AES-128-GMAC as negotiated; keys by KDF with
//              the preauth integrity hash as context; AES-128/256-CCM/GCM.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <span>
#include <vector>

#include "auth/crypto.h"

namespace ringsmb::auth {

struct SmbKeys {
  uint16_t dialect = 0;
  uint16_t signing_alg = 0;  // wire::signalg::*
  uint16_t cipher = 0;       // wire::cipher::*, 0: none
  std::vector<uint8_t> signing_key;
  std::vector<uint8_t> encryption_key;  // server to client ("ServerOut", S2C)
  std::vector<uint8_t> decryption_key;  // client to server ("ServerIn", C2S)
  std::vector<uint8_t> application_key;
  bool valid() const { return !signing_key.empty(); }
};

// Derives every key of a session (MS-SMB2 3.3.5.5.3). preauth is the
// session's preauth integrity hash (3.1.1 only).
SmbKeys derive_smb_keys(const Key16& session_key, uint16_t dialect, uint16_t signing_alg,
                        uint16_t cipher, const std::array<uint8_t, 64>* preauth);

// The 16-byte signature of one message given as pieces whose concatenation
// is the message with its Signature field zeroed (3.1.4.1). For GMAC the
// nonce is built from the MessageId and whether this is a response (server
// to client) or a CANCEL request.
std::array<uint8_t, 16> smb_signature(const SmbKeys& k, uint64_t message_id, bool response,
                                      bool cancel, std::span<const Bytes> pieces);

// Nonces for encryption: unique per key (a counter and a random prefix).
class NonceSource {
 public:
  NonceSource();
  // Fills the 16-byte nonce field: 11 meaningful bytes for CCM, 12 for GCM.
  void next(uint16_t cipher, uint8_t out[16]);

 private:
  std::atomic<uint64_t> counter_{0};
  uint8_t random_[4];
};

inline bool is_gcm(uint16_t cipher) { return cipher == 0x0002 || cipher == 0x0004; }
inline size_t nonce_len(uint16_t cipher) { return is_gcm(cipher) ? 12 : 11; }

}  // namespace ringsmb::auth
