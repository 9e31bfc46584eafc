#include "auth/crypto.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include <openssl/rand.h>

#include <cstdlib>
#include <cstring>
#include <mutex>

namespace ringsmb::auth {

namespace {

// A library context with the default and legacy providers, for MD4 and RC4.
struct Legacy {
  OSSL_LIB_CTX* ctx = nullptr;
  bool ok = false;
  Legacy() {
    ctx = OSSL_LIB_CTX_new();
    if (ctx == nullptr) return;
    OSSL_PROVIDER* d = OSSL_PROVIDER_load(ctx, "default");
    OSSL_PROVIDER* l = OSSL_PROVIDER_load(ctx, "legacy");
    ok = d != nullptr && l != nullptr;
  }
};
Legacy& legacy() {
  static Legacy l;
  return l;
}

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "ringsmb: OpenSSL failure in %s\n", what);
  std::abort();
}

template <size_t N>
std::array<uint8_t, N> digest(OSSL_LIB_CTX* lib, const char* name,
                              std::initializer_list<Bytes> pieces) {
  EVP_MD* md = EVP_MD_fetch(lib, name, nullptr);
  if (md == nullptr) die(name);
  EVP_MD_CTX* c = EVP_MD_CTX_new();
  EVP_DigestInit_ex(c, md, nullptr);
  for (Bytes b : pieces) EVP_DigestUpdate(c, b.data(), b.size());
  std::array<uint8_t, N> out{};
  unsigned len = 0;
  EVP_DigestFinal_ex(c, out.data(), &len);
  EVP_MD_CTX_free(c);
  EVP_MD_free(md);
  return out;
}

template <size_t N>
std::array<uint8_t, N> mac(const char* alg, const char* param_name, const char* param_value,
                           Bytes key, std::span<const Bytes> pieces, Bytes iv = {}) {
  EVP_MAC* m = EVP_MAC_fetch(nullptr, alg, nullptr);
  if (m == nullptr) die(alg);
  EVP_MAC_CTX* c = EVP_MAC_CTX_new(m);
  OSSL_PARAM params[3];
  size_t n = 0;
  params[n++] = OSSL_PARAM_construct_utf8_string(param_name, const_cast<char*>(param_value), 0);
  if (!iv.empty()) {
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_IV,
                                                    const_cast<uint8_t*>(iv.data()), iv.size());
  }
  params[n] = OSSL_PARAM_construct_end();
  if (EVP_MAC_init(c, key.data(), key.size(), params) != 1) die(alg);
  for (Bytes b : pieces) EVP_MAC_update(c, b.data(), b.size());
  std::array<uint8_t, N> out{};
  size_t len = 0;
  EVP_MAC_final(c, out.data(), &len, out.size());
  EVP_MAC_CTX_free(c);
  EVP_MAC_free(m);
  return out;
}

const char* aes_name(size_t key_len, bool gcm) {
  if (key_len == 16) return gcm ? "AES-128-GCM" : "AES-128-CCM";
  if (key_len == 32) return gcm ? "AES-256-GCM" : "AES-256-CCM";
  return nullptr;
}

}  // namespace

void random_bytes(std::span<uint8_t> out) {
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) std::abort();
}

bool legacy_available() { return legacy().ok; }

Key16 md4(std::initializer_list<Bytes> pieces) {
  if (!legacy().ok) die("MD4 (legacy provider missing)");
  return digest<16>(legacy().ctx, "MD4", pieces);
}

Key16 md5(std::initializer_list<Bytes> pieces) { return digest<16>(nullptr, "MD5", pieces); }

std::array<uint8_t, 64> sha512(std::initializer_list<Bytes> pieces) {
  return digest<64>(nullptr, "SHA512", pieces);
}

Key16 hmac_md5(Bytes key, std::initializer_list<Bytes> pieces) {
  std::vector<Bytes> v(pieces);
  return mac<16>("HMAC", OSSL_MAC_PARAM_DIGEST, "MD5", key, v);
}

std::array<uint8_t, 32> hmac_sha256(Bytes key, std::initializer_list<Bytes> pieces) {
  std::vector<Bytes> v(pieces);
  return mac<32>("HMAC", OSSL_MAC_PARAM_DIGEST, "SHA256", key, v);
}

Key16 aes_cmac(Bytes key, std::span<const Bytes> pieces) {
  return mac<16>("CMAC", OSSL_MAC_PARAM_CIPHER, key.size() == 32 ? "AES-256-CBC" : "AES-128-CBC",
                 key, pieces);
}

Key16 aes_gmac(Bytes key, Bytes nonce12, std::span<const Bytes> pieces) {
  return mac<16>("GMAC", OSSL_MAC_PARAM_CIPHER, key.size() == 32 ? "AES-256-GCM" : "AES-128-GCM",
                 key, pieces, nonce12);
}

Rc4::Rc4(Bytes key) {
  if (!legacy().ok) die("RC4 (legacy provider missing)");
  EVP_CIPHER* c = EVP_CIPHER_fetch(legacy().ctx, "RC4", nullptr);
  if (c == nullptr) die("RC4");
  auto* ctx = EVP_CIPHER_CTX_new();
  EVP_CipherInit_ex2(ctx, c, nullptr, nullptr, 1, nullptr);
  EVP_CIPHER_CTX_set_key_length(ctx, static_cast<int>(key.size()));
  EVP_CipherInit_ex2(ctx, nullptr, key.data(), nullptr, 1, nullptr);
  EVP_CIPHER_free(c);
  ctx_ = ctx;
}

Rc4::~Rc4() { EVP_CIPHER_CTX_free(static_cast<EVP_CIPHER_CTX*>(ctx_)); }

void Rc4::apply(std::span<uint8_t> data) {
  int len = 0;
  EVP_CipherUpdate(static_cast<EVP_CIPHER_CTX*>(ctx_), data.data(), &len, data.data(),
                   static_cast<int>(data.size()));
}

std::vector<uint8_t> kdf_counter_hmac_sha256(Bytes key, Bytes label, Bytes context,
                                             size_t out_len) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "KBKDF", nullptr);
  if (kdf == nullptr) die("KBKDF");
  EVP_KDF_CTX* c = EVP_KDF_CTX_new(kdf);
  OSSL_PARAM params[7];
  size_t n = 0;
  params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MODE, const_cast<char*>("counter"), 0);
  params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MAC, const_cast<char*>("HMAC"), 0);
  params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>("SHA256"), 0);
  params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<uint8_t*>(key.data()), key.size());
  params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<uint8_t*>(label.data()), label.size());
  params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<uint8_t*>(context.data()), context.size());
  params[n] = OSSL_PARAM_construct_end();
  std::vector<uint8_t> out(out_len);
  if (EVP_KDF_derive(c, out.data(), out.size(), params) != 1) die("KBKDF derive");
  EVP_KDF_CTX_free(c);
  EVP_KDF_free(kdf);
  return out;
}

bool aead_encrypt(Aead alg, Bytes key, Bytes nonce, Bytes aad, std::span<const Bytes> plaintext,
                  uint8_t* out, uint8_t tag[16]) {
  const bool gcm = alg == Aead::Gcm;
  EVP_CIPHER* ci = EVP_CIPHER_fetch(nullptr, aes_name(key.size(), gcm), nullptr);
  if (ci == nullptr) return false;
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  bool ok = EVP_EncryptInit_ex2(c, ci, nullptr, nullptr, nullptr) == 1;
  ok = ok && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN, static_cast<int>(nonce.size()), nullptr) == 1;
  if (!gcm) ok = ok && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, 16, nullptr) == 1;
  ok = ok && EVP_EncryptInit_ex2(c, nullptr, key.data(), nonce.data(), nullptr) == 1;
  int len = 0;
  if (!gcm) {
    size_t total = 0;
    for (Bytes p : plaintext) total += p.size();
    ok = ok && EVP_EncryptUpdate(c, nullptr, &len, nullptr, static_cast<int>(total)) == 1;
  }
  // No AAD update when there is none: for CCM a null input means "set the
  // message length" and would reset it to 0.
  if (!aad.empty())
    ok = ok && EVP_EncryptUpdate(c, nullptr, &len, aad.data(), static_cast<int>(aad.size())) == 1;
  size_t pos = 0;
  if (gcm) {
    for (Bytes p : plaintext) {
      ok = ok && EVP_EncryptUpdate(c, out + pos, &len, p.data(), static_cast<int>(p.size())) == 1;
      pos += static_cast<size_t>(len);
    }
  } else {
    // CCM takes the plaintext in one call.
    std::vector<uint8_t> joined;
    if (plaintext.size() == 1) {
      ok = ok && EVP_EncryptUpdate(c, out, &len, plaintext[0].data(),
                                   static_cast<int>(plaintext[0].size())) == 1;
    } else {
      for (Bytes p : plaintext) joined.insert(joined.end(), p.begin(), p.end());
      ok = ok && EVP_EncryptUpdate(c, out, &len, joined.data(), static_cast<int>(joined.size())) == 1;
    }
    pos = static_cast<size_t>(len);
  }
  ok = ok && EVP_EncryptFinal_ex(c, out + pos, &len) == 1;
  ok = ok && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, tag) == 1;
  EVP_CIPHER_CTX_free(c);
  EVP_CIPHER_free(ci);
  return ok;
}

bool aead_decrypt(Aead alg, Bytes key, Bytes nonce, Bytes aad, Bytes ciphertext,
                  const uint8_t tag[16], uint8_t* out) {
  const bool gcm = alg == Aead::Gcm;
  EVP_CIPHER* ci = EVP_CIPHER_fetch(nullptr, aes_name(key.size(), gcm), nullptr);
  if (ci == nullptr) return false;
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  bool ok = EVP_DecryptInit_ex2(c, ci, nullptr, nullptr, nullptr) == 1;
  ok = ok && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN, static_cast<int>(nonce.size()), nullptr) == 1;
  if (!gcm) {
    ok = ok && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, 16, const_cast<uint8_t*>(tag)) == 1;
  }
  ok = ok && EVP_DecryptInit_ex2(c, nullptr, key.data(), nonce.data(), nullptr) == 1;
  int len = 0;
  if (!gcm) {
    ok = ok && EVP_DecryptUpdate(c, nullptr, &len, nullptr, static_cast<int>(ciphertext.size())) == 1;
  }
  // No AAD update when there is none: for CCM a null input means "set the
  // message length" and would reset it to 0.
  if (!aad.empty())
    ok = ok && EVP_DecryptUpdate(c, nullptr, &len, aad.data(), static_cast<int>(aad.size())) == 1;
  // For CCM the tag check happens in this update.
  ok = ok && EVP_DecryptUpdate(c, out, &len, ciphertext.data(), static_cast<int>(ciphertext.size())) == 1;
  if (gcm) {
    ok = ok && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, 16, const_cast<uint8_t*>(tag)) == 1;
    int flen = 0;
    ok = ok && EVP_DecryptFinal_ex(c, out + len, &flen) == 1;
  }
  EVP_CIPHER_CTX_free(c);
  EVP_CIPHER_free(ci);
  return ok;
}

void PreauthHash::update(Bytes message) {
  Bytes one[] = {message};
  update(one);
}

void PreauthHash::update(std::span<const Bytes> pieces) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr) std::abort();
  EVP_DigestInit_ex(ctx, EVP_sha512(), nullptr);
  EVP_DigestUpdate(ctx, value_.data(), value_.size());
  for (Bytes b : pieces) EVP_DigestUpdate(ctx, b.data(), b.size());
  unsigned len = 0;
  EVP_DigestFinal_ex(ctx, value_.data(), &len);
  EVP_MD_CTX_free(ctx);
}

bool equal_ct(Bytes a, Bytes b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace ringsmb::auth
