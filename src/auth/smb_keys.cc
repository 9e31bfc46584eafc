#include "auth/smb_keys.h"

#include <cstring>

#include "wire/le.h"
#include "wire/smb2.h"

namespace ringsmb::auth {

namespace {
// Labels and contexts include their terminating zero (MS-SMB2 3.1.4.2).
template <size_t N>
Bytes lit(const char (&s)[N]) {
  return {reinterpret_cast<const uint8_t*>(s), N};
}
}  // namespace

SmbKeys derive_smb_keys(const Key16& session_key, uint16_t dialect, uint16_t signing_alg,
                        uint16_t cipher, const std::array<uint8_t, 64>* preauth) {
  SmbKeys k;
  k.dialect = dialect;
  k.cipher = cipher;
  Bytes sk(session_key.data(), session_key.size());
  if (dialect < wire::dialect::SMB300) {
    k.signing_alg = wire::signalg::HMAC_SHA256;
    k.signing_key.assign(session_key.begin(), session_key.end());
    return k;
  }
  const size_t enc_len = (cipher == wire::cipher::AES256_CCM || cipher == wire::cipher::AES256_GCM)
                             ? 32 : 16;
  if (dialect == wire::dialect::SMB311) {
    k.signing_alg = signing_alg;  // as negotiated (CMAC without a signing context)
    Bytes ctx(preauth->data(), preauth->size());
    k.signing_key = kdf_counter_hmac_sha256(sk, lit("SMBSigningKey"), ctx, 16);
    k.application_key = kdf_counter_hmac_sha256(sk, lit("SMBAppKey"), ctx, 16);
    k.decryption_key = kdf_counter_hmac_sha256(sk, lit("SMBC2SCipherKey"), ctx, enc_len);
    k.encryption_key = kdf_counter_hmac_sha256(sk, lit("SMBS2CCipherKey"), ctx, enc_len);
  } else {
    k.signing_alg = wire::signalg::AES_CMAC;
    k.signing_key = kdf_counter_hmac_sha256(sk, lit("SMB2AESCMAC"), lit("SmbSign"), 16);
    k.application_key = kdf_counter_hmac_sha256(sk, lit("SMB2APP"), lit("SmbRpc"), 16);
    k.decryption_key = kdf_counter_hmac_sha256(sk, lit("SMB2AESCCM"), lit("ServerIn "), 16);
    k.encryption_key = kdf_counter_hmac_sha256(sk, lit("SMB2AESCCM"), lit("ServerOut"), 16);
  }
  return k;
}

std::array<uint8_t, 16> smb_signature(const SmbKeys& k, uint64_t message_id, bool response,
                                      bool cancel, std::span<const Bytes> pieces) {
  Bytes key(k.signing_key.data(), k.signing_key.size());
  switch (k.signing_alg) {
    case wire::signalg::HMAC_SHA256: {
      std::vector<uint8_t> joined;
      // hmac_sha256 takes an initializer list; join the few pieces.
      for (Bytes p : pieces) joined.insert(joined.end(), p.begin(), p.end());
      auto full = hmac_sha256(key, {Bytes(joined.data(), joined.size())});
      std::array<uint8_t, 16> out{};
      std::memcpy(out.data(), full.data(), 16);
      return out;
    }
    case wire::signalg::AES_GMAC: {
      // MS-SMB2 3.1.4.1: nonce = MessageId, then a 32-bit field whose bit 0
      // says "sent by the server" and bit 1 "a CANCEL request".
      uint8_t nonce[12];
      wire::st64(nonce, message_id);
      wire::st32(nonce + 8, (response ? 1u : 0u) | (cancel ? 2u : 0u));
      return aes_gmac(key, Bytes(nonce, 12), pieces);
    }
    default:
      return aes_cmac(key, pieces);
  }
}

NonceSource::NonceSource() { random_bytes(random_); }

void NonceSource::next(uint16_t cipher, uint8_t out[16]) {
  std::memset(out, 0, 16);
  uint64_t c = counter_.fetch_add(1, std::memory_order_relaxed);
  wire::st64(out, c);
  std::memcpy(out + 8, random_, nonce_len(cipher) - 8);
}

}  // namespace ringsmb::auth
