// Thin wrappers over OpenSSL 3 for what the protocol needs. No cipher or
// hash is implemented here; everything goes to libcrypto (MD4 and RC4, which
// NTLM still needs, come from OpenSSL's legacy provider).
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

namespace ringsmb::auth {

using Bytes = std::span<const uint8_t>;
using Key16 = std::array<uint8_t, 16>;

// Fills out with cryptographically random bytes (RAND_bytes); aborts on
// failure, which only happens when the RNG cannot be seeded.
void random_bytes(std::span<uint8_t> out);

// True when OpenSSL's legacy provider (MD4, RC4) could be loaded.
bool legacy_available();

// One-shot digests and MACs over the concatenation of pieces.
Key16 md4(std::initializer_list<Bytes> pieces);
Key16 md5(std::initializer_list<Bytes> pieces);
Key16 hmac_md5(Bytes key, std::initializer_list<Bytes> pieces);
std::array<uint8_t, 32> hmac_sha256(Bytes key, std::initializer_list<Bytes> pieces);
std::array<uint8_t, 64> sha512(std::initializer_list<Bytes> pieces);
Key16 aes_cmac(Bytes key, std::span<const Bytes> pieces);
// AES-128-GMAC: GCM with no plaintext, the pieces as additional data.
Key16 aes_gmac(Bytes key, Bytes nonce12, std::span<const Bytes> pieces);

// RC4 keystream state (NTLMSSP key exchange and signatures).
class Rc4 {
 public:
  explicit Rc4(Bytes key);
  ~Rc4();
  Rc4(const Rc4&) = delete;
  Rc4& operator=(const Rc4&) = delete;
  void apply(std::span<uint8_t> data);  // in place

 private:
  void* ctx_;
};

// SP800-108 counter-mode KDF with HMAC-SHA256 (MS-SMB2 3.1.4.2): out_len
// bytes (16 or 32) from key, label and context.
std::vector<uint8_t> kdf_counter_hmac_sha256(Bytes key, Bytes label, Bytes context,
                                             size_t out_len);

// AEAD for SMB3 encryption (MS-SMB2 3.1.4.3). key is 16 or 32 bytes;
// nonce 11 bytes (CCM) or 12 (GCM). Encrypt fills out (same length as
// plaintext) and tag; decrypt returns false when the tag does not match.
enum class Aead { Ccm, Gcm };
bool aead_encrypt(Aead alg, Bytes key, Bytes nonce, Bytes aad, std::span<const Bytes> plaintext,
                  uint8_t* out, uint8_t tag[16]);
bool aead_decrypt(Aead alg, Bytes key, Bytes nonce, Bytes aad, Bytes ciphertext,
                  const uint8_t tag[16], uint8_t* out);

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

// Bytes of a string literal, for labels ("SMBSigningKey\0" and the like
// include their terminating zero: pass sizeof, not strlen).
inline Bytes literal(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Compares in constant time.
bool equal_ct(Bytes a, Bytes b);

}  // namespace ringsmb::auth
