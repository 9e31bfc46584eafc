// auth/crypto.h: the SMB 3.1.1 preauthentication integrity hash (MS-SMB2
// 3.3.5.4) and the random source.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <array>
#include <cstring>
#include <string>
#include <vector>

#include "auth/crypto.h"

using namespace ringsmb::auth;

namespace {

Bytes B(std::string_view s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

// SHA-512(a || b), computed independently of the code under test.
std::array<uint8_t, 64> ref_sha512(Bytes a, Bytes b) {
  std::array<uint8_t, 64> out{};
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned len = 0;
  EXPECT_EQ(EVP_DigestInit_ex(ctx, EVP_sha512(), nullptr), 1);
  EXPECT_EQ(EVP_DigestUpdate(ctx, a.data(), a.size()), 1);
  EXPECT_EQ(EVP_DigestUpdate(ctx, b.data(), b.size()), 1);
  EXPECT_EQ(EVP_DigestFinal_ex(ctx, out.data(), &len), 1);
  EVP_MD_CTX_free(ctx);
  EXPECT_EQ(len, 64u);
  return out;
}

std::array<uint8_t, 64> from_hex(std::string_view hex) {
  std::array<uint8_t, 64> out{};
  for (size_t i = 0; i < 64; ++i) out[i] = static_cast<uint8_t>(std::stoi(std::string(hex.substr(2 * i, 2)), nullptr, 16));
  return out;
}

TEST(PreauthHash, StartsAtZero) {
  PreauthHash h;
  for (uint8_t b : h.value()) EXPECT_EQ(b, 0);
}

TEST(PreauthHash, FixedVector) {
  // (head -c 64 /dev/zero; printf 'abc') | openssl dgst -sha512
  PreauthHash h;
  h.update(B("abc"));
  EXPECT_EQ(h.value(), from_hex("7682b6b84c6f692545a896ad210299bcc6f74e189d829e165739b11dd83b6f2c"
                                "8cfacf27e812bf064df756d6235ac33c062b89ecb80f8215516dbbb844ce8480"));
  // head -c 64 /dev/zero | openssl dgst -sha512: an empty message.
  PreauthHash e;
  e.update(Bytes{});
  EXPECT_EQ(e.value(), from_hex("7be9fda48f4179e611c698a73cff09faf72869431efee6eaad14de0cb44bbf66"
                                "503f752b7a8eb17083355f3ce6eb7d2806f236b25af96a24e22b887405c20081"));
}

TEST(PreauthHash, EqualsSha512OfPreviousAndMessage) {
  const std::string msgs[] = {"NEGOTIATE request", "NEGOTIATE response", std::string(1000, 'x')};
  PreauthHash h;
  std::array<uint8_t, 64> expect{};
  for (const auto& m : msgs) {
    expect = ref_sha512(Bytes(expect.data(), expect.size()), B(m));
    h.update(B(m));
    EXPECT_EQ(h.value(), expect);
  }
}

TEST(PreauthHash, PiecesEqualWhole) {
  PreauthHash a, b;
  a.update(B("headerbodypayload"));
  Bytes pieces[] = {B("header"), B(""), B("body"), B("payload")};
  b.update(std::span<const Bytes>(pieces));
  EXPECT_EQ(a.value(), b.value());
}

TEST(PreauthHash, Reset) {
  PreauthHash h;
  h.update(B("x"));
  const std::array<uint8_t, 64> zero{};
  EXPECT_NE(h.value(), zero);
  h.reset();
  EXPECT_EQ(h.value(), zero);
  PreauthHash fresh;
  fresh.update(B("y"));
  h.update(B("y"));
  EXPECT_EQ(h.value(), fresh.value());
}

TEST(RandomBytes, FillsAndDiffers) {
  std::array<uint8_t, 32> a{}, b{};
  random_bytes(a);
  random_bytes(b);
  EXPECT_NE(a, b);
  const std::array<uint8_t, 32> zero{};
  EXPECT_NE(a, zero);
  std::array<uint8_t, 0> none{};
  random_bytes(none);  // an empty request is fine
}

// ------------------------------------------------- digests, MACs, ciphers

std::vector<uint8_t> hex(std::string_view h) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < h.size(); i += 2)
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  return out;
}
template <size_t N>
std::vector<uint8_t> V(const std::array<uint8_t, N>& a) {
  return {a.begin(), a.end()};
}
Bytes BV(const std::vector<uint8_t>& v) { return {v.data(), v.size()}; }

TEST(Digests, KnownVectors) {
  EXPECT_EQ(V(md5({B("abc")})), hex("900150983cd24fb0d6963f7d28e17f72"));  // RFC 1321
  EXPECT_EQ(V(md5({B("a"), B(""), B("bc")})), hex("900150983cd24fb0d6963f7d28e17f72"));
  EXPECT_EQ(V(sha512({B("abc")})),
            hex("ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"));
  if (!legacy_available()) GTEST_SKIP() << "OpenSSL legacy provider (MD4) not available";
  EXPECT_EQ(V(md4({B("abc")})), hex("a448017aaf21d8525fc10ae87aa6729d"));  // RFC 1320
  EXPECT_EQ(V(md4({B("")})), hex("31d6cfe0d16ae931b73c59d7e0c089c0"));
}

TEST(Macs, KnownVectors) {
  std::vector<uint8_t> k16(16, 0x0b), k20(20, 0x0b);
  // RFC 2104 / RFC 2202 and RFC 4231 test case 1.
  EXPECT_EQ(V(hmac_md5(BV(k16), {B("Hi There")})), hex("9294727a3638bb1c13f48ef8158bfc9d"));
  EXPECT_EQ(V(hmac_md5(BV(k16), {B("Hi "), B("There")})), hex("9294727a3638bb1c13f48ef8158bfc9d"));
  EXPECT_EQ(V(hmac_sha256(BV(k20), {B("Hi There")})),
            hex("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"));
  // RFC 4493 AES-CMAC examples 1 and 2.
  auto key = hex("2b7e151628aed2a6abf7158809cf4f3c");
  EXPECT_EQ(V(aes_cmac(BV(key), {})), hex("bb1d6929e95937287fa37d129b756746"));
  auto m = hex("6bc1bee22e409f96e93d7e117393172a");
  Bytes one[] = {BV(m)};
  EXPECT_EQ(V(aes_cmac(BV(key), one)), hex("070a16b46b4d4144f79bdd9dd04a287c"));
  Bytes split[] = {Bytes(m.data(), 5), Bytes(m.data() + 5, 11)};
  EXPECT_EQ(V(aes_cmac(BV(key), split)), hex("070a16b46b4d4144f79bdd9dd04a287c"));
  // GMAC with no data is GCM's tag for empty input (GCM spec test case 1).
  std::vector<uint8_t> zero16(16, 0), zero12(12, 0);
  EXPECT_EQ(V(aes_gmac(BV(zero16), BV(zero12), {})), hex("58e2fccefa7e3061367f1d57a4e7455a"));
}

TEST(Rc4, KnownVectors) {
  if (!legacy_available()) GTEST_SKIP() << "OpenSSL legacy provider (RC4) not available";
  std::vector<uint8_t> data = {'P', 'l', 'a', 'i', 'n', 't', 'e', 'x', 't'};
  Rc4 r(B("Key"));
  r.apply(data);
  EXPECT_EQ(data, hex("bbf316e8d940af0ad3"));
  // The keystream continues across calls.
  std::vector<uint8_t> a = {'A', 't', 't', 'a', 'c', 'k', ' '}, b = {'a', 't', ' ', 'd', 'a', 'w', 'n'};
  Rc4 s(B("Secret"));
  s.apply(a);
  s.apply(b);
  a.insert(a.end(), b.begin(), b.end());
  EXPECT_EQ(a, hex("45a01f645fc35b383552544b9bf5"));
}

// SP800-108 counter mode with HMAC-SHA256 as MS-SMB2 3.1.4.2 uses it:
// HMAC(key, i || label || 0x00 || context || L), i = 1, L in bits.
std::vector<uint8_t> kdf_reference(Bytes key, Bytes label, Bytes context, size_t out_len) {
  std::vector<uint8_t> in = {0, 0, 0, 1};
  in.insert(in.end(), label.begin(), label.end());
  in.push_back(0);
  in.insert(in.end(), context.begin(), context.end());
  uint32_t bits = static_cast<uint32_t>(out_len * 8);
  for (int sh = 24; sh >= 0; sh -= 8) in.push_back(static_cast<uint8_t>(bits >> sh));
  auto h = hmac_sha256(key, {BV(in)});
  return {h.begin(), h.begin() + static_cast<long>(out_len)};
}

TEST(Kdf, MatchesSp800108Construction) {
  auto key = hex("7cd451825d0450d235424e44ba6e78cc");
  const char label[] = "SMB2AESCMAC";  // with its NUL, as the SMB 3.0 labels are
  const char ctx[] = "SmbSign";
  Bytes l(reinterpret_cast<const uint8_t*>(label), sizeof(label));
  Bytes c(reinterpret_cast<const uint8_t*>(ctx), sizeof(ctx));
  for (size_t len : {size_t{16}, size_t{32}}) {
    auto out = kdf_counter_hmac_sha256(BV(key), l, c, len);
    ASSERT_EQ(out.size(), len);
    EXPECT_EQ(out, kdf_reference(BV(key), l, c, len)) << len;
  }
  EXPECT_NE(kdf_counter_hmac_sha256(BV(key), l, B("SmbRpc"), 16),
            kdf_counter_hmac_sha256(BV(key), l, c, 16));
}

TEST(Aead, GcmKnownVector) {
  // GCM spec test case 2: K = 0, IV = 0, P = 16 zero bytes.
  std::vector<uint8_t> key(16, 0), nonce(12, 0), pt(16, 0), out(16);
  uint8_t tag[16];
  Bytes pieces[] = {BV(pt)};
  ASSERT_TRUE(aead_encrypt(Aead::Gcm, BV(key), BV(nonce), {}, pieces, out.data(), tag));
  EXPECT_EQ(out, hex("0388dace60b6a392f328c2b971b2fe78"));
  EXPECT_EQ(std::vector<uint8_t>(tag, tag + 16), hex("ab6e47d42cec13bdf53a67b21257bddf"));
  std::vector<uint8_t> back(16);
  ASSERT_TRUE(aead_decrypt(Aead::Gcm, BV(key), BV(nonce), {}, BV(out), tag, back.data()));
  EXPECT_EQ(back, pt);
}

void aead_round_trip(Aead alg, size_t key_len, size_t nonce_len) {
  SCOPED_TRACE(std::to_string(key_len) + (alg == Aead::Gcm ? " GCM" : " CCM"));
  std::vector<uint8_t> key(key_len), nonce(nonce_len), aad(32, 0xAA);
  for (size_t i = 0; i < key_len; ++i) key[i] = static_cast<uint8_t>(i * 3);
  for (size_t i = 0; i < nonce_len; ++i) nonce[i] = static_cast<uint8_t>(0x40 + i);
  std::string a = "SMB2 header and body ", b = "and the payload that follows";
  std::vector<uint8_t> out(a.size() + b.size());
  uint8_t tag[16];
  Bytes pieces[] = {B(a), B(b)};
  ASSERT_TRUE(aead_encrypt(alg, BV(key), BV(nonce), BV(aad), pieces, out.data(), tag));
  EXPECT_NE(std::string(out.begin(), out.end()), a + b);
  // One piece or two: the same ciphertext.
  std::string ab = a + b;
  std::vector<uint8_t> out1(ab.size());
  uint8_t tag1[16];
  Bytes whole[] = {B(ab)};
  ASSERT_TRUE(aead_encrypt(alg, BV(key), BV(nonce), BV(aad), whole, out1.data(), tag1));
  EXPECT_EQ(out1, out);
  EXPECT_EQ(std::memcmp(tag, tag1, 16), 0);
  std::vector<uint8_t> back(out.size());
  ASSERT_TRUE(aead_decrypt(alg, BV(key), BV(nonce), BV(aad), BV(out), tag, back.data()));
  EXPECT_EQ(std::string(back.begin(), back.end()), ab);
  // Any change is detected.
  auto bad = out;
  bad[3] ^= 1;
  EXPECT_FALSE(aead_decrypt(alg, BV(key), BV(nonce), BV(aad), BV(bad), tag, back.data()));
  uint8_t badtag[16];
  std::memcpy(badtag, tag, 16);
  badtag[15] ^= 0x80;
  EXPECT_FALSE(aead_decrypt(alg, BV(key), BV(nonce), BV(aad), BV(out), badtag, back.data()));
  auto badaad = aad;
  badaad[0] ^= 1;
  EXPECT_FALSE(aead_decrypt(alg, BV(key), BV(nonce), BV(badaad), BV(out), tag, back.data()));
}

TEST(Aead, RoundTripsAndTamperDetection) {
  aead_round_trip(Aead::Gcm, 16, 12);
  aead_round_trip(Aead::Gcm, 32, 12);
  aead_round_trip(Aead::Ccm, 16, 11);
  aead_round_trip(Aead::Ccm, 32, 11);
}

TEST(Aead, BadKeyLengthFails) {
  std::vector<uint8_t> key(20, 1), nonce(12, 0), out(4);
  uint8_t tag[16];
  Bytes pieces[] = {B("data")};
  EXPECT_FALSE(aead_encrypt(Aead::Gcm, BV(key), BV(nonce), {}, pieces, out.data(), tag));
}

TEST(EqualCt, Compares) {
  EXPECT_TRUE(equal_ct(B("abc"), B("abc")));
  EXPECT_FALSE(equal_ct(B("abc"), B("abd")));
  EXPECT_FALSE(equal_ct(B("abc"), B("ab")));
  EXPECT_TRUE(equal_ct(B(""), B("")));
  EXPECT_EQ(literal("SMBSigningKey").size(), 13u);
}

}  // namespace
