// auth/smb_keys.h: key derivation per dialect (MS-SMB2 3.3.5.5.3), message
// signatures (3.1.4.1) and encryption nonces.
#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "auth/crypto.h"
#include "auth/smb_keys.h"
#include "wire/le.h"
#include "wire/smb2.h"

using namespace ringsmb::auth;
namespace wire = ringsmb::wire;

namespace {

Bytes BV(const std::vector<uint8_t>& v) { return {v.data(), v.size()}; }
template <size_t N>
Bytes lit(const char (&s)[N]) {  // with the terminating zero
  return {reinterpret_cast<const uint8_t*>(s), N};
}

// KDF in counter mode, built from HMAC-SHA256 directly (SP800-108 5.1).
std::vector<uint8_t> kdf(Bytes key, Bytes label, Bytes context, size_t len) {
  std::vector<uint8_t> in = {0, 0, 0, 1};
  in.insert(in.end(), label.begin(), label.end());
  in.push_back(0);
  in.insert(in.end(), context.begin(), context.end());
  uint32_t bits = static_cast<uint32_t>(len * 8);
  for (int sh = 24; sh >= 0; sh -= 8) in.push_back(static_cast<uint8_t>(bits >> sh));
  auto h = hmac_sha256(key, {BV(in)});
  return {h.begin(), h.begin() + static_cast<long>(len)};
}

Key16 session_key() {
  Key16 k;
  for (int i = 0; i < 16; ++i) k[i] = static_cast<uint8_t>(0x30 + i * 7);
  return k;
}

TEST(SmbKeys, Smb2UsesSessionKeyAndHmac) {
  for (uint16_t d : {wire::dialect::SMB202, wire::dialect::SMB210}) {
    SmbKeys k = derive_smb_keys(session_key(), d, wire::signalg::AES_CMAC, 0, nullptr);
    EXPECT_TRUE(k.valid());
    EXPECT_EQ(k.dialect, d);
    EXPECT_EQ(k.signing_alg, wire::signalg::HMAC_SHA256);
    Key16 sk = session_key();
    EXPECT_EQ(k.signing_key, std::vector<uint8_t>(sk.begin(), sk.end()));
    EXPECT_TRUE(k.encryption_key.empty());
  }
}

TEST(SmbKeys, Smb30Labels) {
  Key16 sk = session_key();
  Bytes s(sk.data(), sk.size());
  for (uint16_t d : {wire::dialect::SMB300, wire::dialect::SMB302}) {
    SmbKeys k = derive_smb_keys(sk, d, 0, wire::cipher::AES128_CCM, nullptr);
    EXPECT_EQ(k.signing_alg, wire::signalg::AES_CMAC);
    EXPECT_EQ(k.signing_key, kdf(s, lit("SMB2AESCMAC"), lit("SmbSign"), 16));
    EXPECT_EQ(k.application_key, kdf(s, lit("SMB2APP"), lit("SmbRpc"), 16));
    EXPECT_EQ(k.encryption_key, kdf(s, lit("SMB2AESCCM"), lit("ServerOut"), 16));
    EXPECT_EQ(k.decryption_key, kdf(s, lit("SMB2AESCCM"), lit("ServerIn "), 16));
    EXPECT_NE(k.encryption_key, k.decryption_key);
  }
}

TEST(SmbKeys, Smb311LabelsWithPreauthContext) {
  Key16 sk = session_key();
  Bytes s(sk.data(), sk.size());
  std::array<uint8_t, 64> pre;
  for (int i = 0; i < 64; ++i) pre[i] = static_cast<uint8_t>(i);
  Bytes ctx(pre.data(), pre.size());
  SmbKeys k = derive_smb_keys(sk, wire::dialect::SMB311, wire::signalg::AES_GMAC,
                              wire::cipher::AES128_GCM, &pre);
  EXPECT_EQ(k.signing_alg, wire::signalg::AES_GMAC);
  EXPECT_EQ(k.cipher, wire::cipher::AES128_GCM);
  EXPECT_EQ(k.signing_key, kdf(s, lit("SMBSigningKey"), ctx, 16));
  EXPECT_EQ(k.application_key, kdf(s, lit("SMBAppKey"), ctx, 16));
  EXPECT_EQ(k.encryption_key, kdf(s, lit("SMBS2CCipherKey"), ctx, 16));
  EXPECT_EQ(k.decryption_key, kdf(s, lit("SMBC2SCipherKey"), ctx, 16));
  // AES-256 ciphers get 32-byte keys (L = 256); the signing key stays 16.
  for (uint16_t c : {wire::cipher::AES256_CCM, wire::cipher::AES256_GCM}) {
    SmbKeys k256 = derive_smb_keys(sk, wire::dialect::SMB311, wire::signalg::AES_CMAC, c, &pre);
    EXPECT_EQ(k256.encryption_key, kdf(s, lit("SMBS2CCipherKey"), ctx, 32));
    EXPECT_EQ(k256.decryption_key, kdf(s, lit("SMBC2SCipherKey"), ctx, 32));
    EXPECT_EQ(k256.signing_key.size(), 16u);
  }
  // A different preauth hash gives different keys.
  pre[0] ^= 1;
  SmbKeys other = derive_smb_keys(sk, wire::dialect::SMB311, wire::signalg::AES_GMAC,
                                  wire::cipher::AES128_GCM, &pre);
  EXPECT_NE(other.signing_key, k.signing_key);
}

TEST(SmbSignature, PerAlgorithm) {
  std::string hdr(64, 'h'), body = "the body";
  Bytes pieces[] = {Bytes(reinterpret_cast<const uint8_t*>(hdr.data()), hdr.size()),
                    Bytes(reinterpret_cast<const uint8_t*>(body.data()), body.size())};
  std::string whole = hdr + body;
  Bytes all(reinterpret_cast<const uint8_t*>(whole.data()), whole.size());

  SmbKeys h = derive_smb_keys(session_key(), wire::dialect::SMB210, 0, 0, nullptr);
  auto hs = smb_signature(h, 5, true, false, pieces);
  auto full = hmac_sha256(BV(h.signing_key), {all});
  EXPECT_EQ(std::memcmp(hs.data(), full.data(), 16), 0);

  SmbKeys c = derive_smb_keys(session_key(), wire::dialect::SMB300, 0, 0, nullptr);
  Bytes one[] = {all};
  EXPECT_EQ(smb_signature(c, 5, true, false, pieces), aes_cmac(BV(c.signing_key), one));

  std::array<uint8_t, 64> pre{};
  SmbKeys g = derive_smb_keys(session_key(), wire::dialect::SMB311, wire::signalg::AES_GMAC,
                              0, &pre);
  // Nonce: MessageId, then bit 0 = from the server, bit 1 = CANCEL.
  auto gmac = [&](uint64_t mid, uint32_t bits) {
    uint8_t n[12];
    wire::st64(n, mid);
    wire::st32(n + 8, bits);
    return aes_gmac(BV(g.signing_key), Bytes(n, 12), one);
  };
  EXPECT_EQ(smb_signature(g, 0x1234, true, false, pieces), gmac(0x1234, 1));
  EXPECT_EQ(smb_signature(g, 0x1234, false, false, pieces), gmac(0x1234, 0));
  EXPECT_EQ(smb_signature(g, 0x1234, false, true, pieces), gmac(0x1234, 2));
  EXPECT_NE(smb_signature(g, 0x1234, true, false, pieces),
            smb_signature(g, 0x1235, true, false, pieces));
}

TEST(NonceSource, UniqueAndShaped) {
  EXPECT_TRUE(is_gcm(wire::cipher::AES128_GCM));
  EXPECT_TRUE(is_gcm(wire::cipher::AES256_GCM));
  EXPECT_FALSE(is_gcm(wire::cipher::AES128_CCM));
  EXPECT_EQ(nonce_len(wire::cipher::AES128_CCM), 11u);
  EXPECT_EQ(nonce_len(wire::cipher::AES256_GCM), 12u);
  NonceSource ns;
  std::set<std::vector<uint8_t>> seen;
  for (int i = 0; i < 1000; ++i) {
    uint16_t c = i % 2 ? wire::cipher::AES128_GCM : wire::cipher::AES128_CCM;
    uint8_t n[16];
    std::memset(n, 0xEE, sizeof(n));
    ns.next(c, n);
    for (size_t j = nonce_len(c); j < 16; ++j) EXPECT_EQ(n[j], 0) << j;  // unused bytes zero
    seen.insert(std::vector<uint8_t>(n, n + nonce_len(c)));
  }
  EXPECT_EQ(seen.size(), 1000u);
}

}  // namespace
