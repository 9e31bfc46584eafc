// Thin wrappers over OpenSSL 3 for what the protocol needs. No cipher or
// hash is implemented here; everything goes to libcrypto.
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace ringsmb::auth {

using Bytes = std::span<const uint8_t>;

// Fills out with cryptographically random bytes (RAND_bytes); aborts on
// failure, which only happens when the RNG cannot be seeded.
void random_bytes(std::span<uint8_t> out);

// SMB 3.1.1 preauthentication integrity hash (MS-SMB2 3.3.5.4, 3.3.5.5):
// H(i) = SHA-512(H(i-1) || message(i)), starting from 64 zero bytes.
class PreauthHash {
 public:
  PreauthHash() { value_.fill(0); }
  void update(Bytes message);
  // For a message sent as several pieces (header + body + payload).
  void update(std::span<const Bytes> pieces);
  const std::array<uint8_t, 64>& value() const { return value_; }
  void reset() { value_.fill(0); }

 private:
  std::array<uint8_t, 64> value_;
};

}  // namespace ringsmb::auth
