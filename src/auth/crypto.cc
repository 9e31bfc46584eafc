#include "auth/crypto.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdlib>

namespace ringsmb::auth {

void random_bytes(std::span<uint8_t> out) {
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) std::abort();
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

}  // namespace ringsmb::auth
