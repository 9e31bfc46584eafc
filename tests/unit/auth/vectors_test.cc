// Published test vectors for the crypto under src/auth (crypto.h, userdb.h,
// ntlm_server.h, smb_keys.h). Every expected value below is either copied
// from the publication named next to it or, where a comment says so,
// computed by an independent tool (openssl(1) 3.0 command lines, or Python's
// `cryptography` package) from inputs that are themselves published.
//
// Sources:
//  [RFC1320]  MD4, appendix A.5 test suite.
//  [RFC1321]  MD5, appendix A.5 test suite.
//  [FIPS180]  FIPS 180-2 appendix C (SHA-512 examples C.1, C.2).
//  [RFC2202]  HMAC-MD5 test cases 1-7 (section 2).
//  [RFC4231]  HMAC-SHA256 test cases 1-7 (section 4).
//  [RFC4493]  AES-CMAC, section 4 "Test Vectors", examples 1-4.
//  [GCM]      McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)",
//             appendix B test cases 1-4 (AES-128) and 13-16 (AES-256).
//  [CAVP]     NIST CAVP gcmEncryptExtIV128.rsp, [PTlen = 0, AADlen = 128,
//             Taglen = 128], counts 0 and 1 (GMAC: additional data only).
//  [MS-NLMP]  section 4.2 "Cryptographic Values for Validation": 4.2.1
//             common values; 4.2.2 (NTLMv1: 4.2.2.1.2 NTOWFv1, the 24-byte
//             LMv1/NTLMv1 responses); 4.2.3 (NTLMv1 with client challenge:
//             key exchange key, its GSS_WrapEx example's keys, sealed data and
//             signature); 4.2.4 (NTLMv2: 4.2.4.1.1 NTOWFv2, SessionBaseKey,
//             temp, LMv2 and NTLMv2 responses, encrypted session key, the
//             4.2.4.3 AUTHENTICATE_MESSAGE, the 4.2.4.4 GSS_WrapEx example).
//             The vectors were cross-checked against several independent
//             implementations' test suites that quote them.
//  [SMB30ENC] Microsoft Open Specifications blog, "Encryption in SMB 3.0: A
//             protocol perspective" (E. Olougouna, 2012-10-05), "Test vector":
//             SMB 3.0 keys, AES-128-CCM WRITE request and response.
//  [SMB311ENC] Microsoft Open Specifications blog, "SMB 3.1.1 Encryption in
//             Windows 10" (2015-09-09), appendix A.1 (AES-128-GCM) and A.2
//             (AES-128-CCM): SMB 3.1.1 keys and encrypted WRITE exchanges.
//  [SMBKEYS]  Microsoft Open Specifications blog, "SMB 2 and SMB 3 security
//             in Windows 10: the anatomy of signing and cryptographic keys"
//             (2017-05-26), appendix "Key derivation examples": SMB 3.0 and
//             3.1.1 multichannel key derivation (with the preauth hash chain
//             and the signed SESSION_SETUP responses), and "NTLMv2 SessionKey
//             calculation example" (a Windows NTLMv2 exchange with MIC and
//             mechListMIC).
//
// The spec section numbers for the SMB side: MS-SMB2 2.2.41 (TRANSFORM_HEADER),
// 3.1.4.1 (signing), 3.1.4.2 (KDF), 3.1.4.3 (encryption), 3.3.4.1.1 (which
// key signs a SESSION_SETUP response), 3.3.5.4/3.3.5.5 (preauth hash),
// 3.3.5.5.3 (session keys).
#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/crypto.h"
#include "auth/ntlm_server.h"
#include "auth/ntlmssp.h"
#include "auth/smb_keys.h"
#include "auth/userdb.h"
#include "wire/le.h"
#include "wire/smb2.h"

using namespace ringsmb::auth;
namespace wire = ringsmb::wire;
namespace nflag = ringsmb::auth::ntlm::flag;
using wire::ld16;
using wire::ld32;
using wire::ld64;
using wire::st16;
using wire::st32;

namespace {

// ------------------------------------------------------------------ helpers

// Hex to bytes; whitespace and anything that is not a hex digit is skipped,
// so vectors can be pasted as printed.
std::vector<uint8_t> H(std::string_view s) {
  std::vector<uint8_t> out;
  int hi = -1;
  for (char c : s) {
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      v = c - 'A' + 10;
    } else {
      continue;
    }
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<uint8_t>(hi << 4 | v));
      hi = -1;
    }
  }
  EXPECT_EQ(hi, -1) << "odd number of hex digits";
  return out;
}

// Bytes to lower-case hex, so failures print readably.
std::string X(Bytes b) {
  static const char d[] = "0123456789abcdef";
  std::string s;
  for (uint8_t c : b) {
    s.push_back(d[c >> 4]);
    s.push_back(d[c & 15]);
  }
  return s;
}
// A hex literal in the form X() prints.
std::string N(std::string_view hex) {
  auto v = H(hex);
  return X(Bytes(v.data(), v.size()));
}

Bytes BV(const std::vector<uint8_t>& v) { return {v.data(), v.size()}; }
Bytes S(std::string_view s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }
std::vector<uint8_t> rep(uint8_t b, size_t n) { return std::vector<uint8_t>(n, b); }

// UTF-16LE of an ASCII string, written out here (not wire/utf16.h) so the
// NTLM computations on the test side stay independent of the code under test.
std::vector<uint8_t> U16(std::string_view s) {
  std::vector<uint8_t> out;
  for (char c : s) {
    out.push_back(static_cast<uint8_t>(c));
    out.push_back(0);
  }
  return out;
}
std::string upper_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

// The NTLM algorithms legitimately need MD4 and RC4 (OpenSSL legacy provider).
#define REQUIRE_LEGACY() ASSERT_TRUE(legacy_available()) << "OpenSSL legacy provider (MD4/RC4) missing"

// ------------------------------------------------------ digests and MACs

TEST(VectorsDigest, Md4Rfc1320) {
  REQUIRE_LEGACY();
  // [RFC1320] A.5.
  EXPECT_EQ(X(md4({S("")})), N("31d6cfe0d16ae931b73c59d7e0c089c0"));
  EXPECT_EQ(X(md4({S("a")})), N("bde52cb31de33e46245e05fbdbd6fb24"));
  EXPECT_EQ(X(md4({S("abc")})), N("a448017aaf21d8525fc10ae87aa6729d"));
  EXPECT_EQ(X(md4({S("message digest")})), N("d9130a8164549fe818874806e1c7014b"));
  EXPECT_EQ(X(md4({S("abcdefghijklmnopqrstuvwxyz")})), N("d79e1c308aa5bbcdeea8ed63df412da9"));
  EXPECT_EQ(X(md4({S("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")})),
            N("043f8582f241db351ce627e153e7f0e4"));
  const std::string digits =
      "12345678901234567890123456789012345678901234567890123456789012345678901234567890";
  EXPECT_EQ(X(md4({S(digits)})), N("e33b4ddc9c38f2199c3e7b164fcc0536"));
  // The same message given in pieces.
  EXPECT_EQ(X(md4({S("message "), S(""), S("digest")})), N("d9130a8164549fe818874806e1c7014b"));
}

TEST(VectorsDigest, Md5Rfc1321) {
  // [RFC1321] A.5.
  EXPECT_EQ(X(md5({S("")})), N("d41d8cd98f00b204e9800998ecf8427e"));
  EXPECT_EQ(X(md5({S("a")})), N("0cc175b9c0f1b6a831c399e269772661"));
  EXPECT_EQ(X(md5({S("abc")})), N("900150983cd24fb0d6963f7d28e17f72"));
  EXPECT_EQ(X(md5({S("message digest")})), N("f96b697d7cb7938d525a2f31aaf161d0"));
  EXPECT_EQ(X(md5({S("abcdefghijklmnopqrstuvwxyz")})), N("c3fcd3d76192e4007dfb496cca67e13b"));
  EXPECT_EQ(X(md5({S("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")})),
            N("d174ab98d277d9f5a5611c2c9f419d9f"));
  const std::string digits =
      "12345678901234567890123456789012345678901234567890123456789012345678901234567890";
  EXPECT_EQ(X(md5({S(digits)})), N("57edf4a22be3c955ac49da2e2107b67a"));
  EXPECT_EQ(X(md5({S(digits.substr(0, 33)), S(digits.substr(33))})),
            N("57edf4a22be3c955ac49da2e2107b67a"));
}

TEST(VectorsDigest, Sha512Fips180) {
  // [FIPS180] C.1 and C.2.
  EXPECT_EQ(X(sha512({S("abc")})),
            N("ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
              "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"));
  EXPECT_EQ(X(sha512({S("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
                        "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu")})),
            N("8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
              "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909"));
}

TEST(VectorsHmac, HmacMd5Rfc2202) {
  // [RFC2202] section 2, test cases 1-7.
  EXPECT_EQ(X(hmac_md5(BV(rep(0x0b, 16)), {S("Hi There")})), N("9294727a3638bb1c13f48ef8158bfc9d"));
  EXPECT_EQ(X(hmac_md5(S("Jefe"), {S("what do ya want for nothing?")})),
            N("750c783e6ab0b503eaa86e310a5db738"));
  EXPECT_EQ(X(hmac_md5(BV(rep(0xaa, 16)), {BV(rep(0xdd, 50))})), N("56be34521d144c88dbb8c733f0e8b3f6"));
  auto k4 = H("0102030405060708090a0b0c0d0e0f10111213141516171819");
  EXPECT_EQ(X(hmac_md5(BV(k4), {BV(rep(0xcd, 50))})), N("697eaf0aca3a3aea3a75164746ffaa79"));
  EXPECT_EQ(X(hmac_md5(BV(rep(0x0c, 16)), {S("Test With Truncation")})),
            N("56461ef2342edc00f9bab995690efd4c"));
  EXPECT_EQ(X(hmac_md5(BV(rep(0xaa, 80)), {S("Test Using Larger Than Block-Size Key - Hash Key First")})),
            N("6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd"));
  EXPECT_EQ(X(hmac_md5(BV(rep(0xaa, 80)),
                       {S("Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data")})),
            N("6f630fad67cda0ee1fb1f562db3aa53e"));
  // Pieces are concatenated.
  EXPECT_EQ(X(hmac_md5(S("Jefe"), {S("what do ya "), S("want for nothing?")})),
            N("750c783e6ab0b503eaa86e310a5db738"));
}

TEST(VectorsHmac, HmacSha256Rfc4231) {
  // [RFC4231] section 4, test cases 1-7 (case 5 is truncated to 128 bits).
  EXPECT_EQ(X(hmac_sha256(BV(rep(0x0b, 20)), {S("Hi There")})),
            N("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"));
  EXPECT_EQ(X(hmac_sha256(S("Jefe"), {S("what do ya want for nothing?")})),
            N("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
  EXPECT_EQ(X(hmac_sha256(BV(rep(0xaa, 20)), {BV(rep(0xdd, 50))})),
            N("773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"));
  auto k4 = H("0102030405060708090a0b0c0d0e0f10111213141516171819");
  EXPECT_EQ(X(hmac_sha256(BV(k4), {BV(rep(0xcd, 50))})),
            N("82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"));
  auto t5 = hmac_sha256(BV(rep(0x0c, 20)), {S("Test With Truncation")});
  EXPECT_EQ(X(Bytes(t5.data(), 16)), N("a3b6167473100ee06e0c796c2955552b"));
  EXPECT_EQ(X(hmac_sha256(BV(rep(0xaa, 131)), {S("Test Using Larger Than Block-Size Key - Hash Key First")})),
            N("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"));
  EXPECT_EQ(X(hmac_sha256(BV(rep(0xaa, 131)),
                          {S("This is a test using a larger than block-size key and a larger than "
                             "block-size data. The key needs to be hashed before being used by the "
                             "HMAC algorithm.")})),
            N("9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"));
}

TEST(VectorsCmac, AesCmacRfc4493) {
  // [RFC4493] section 4: K and the four message lengths 0, 16, 40, 64.
  auto key = H("2b7e1516 28aed2a6 abf71588 09cf4f3c");
  auto m = H("6bc1bee2 2e409f96 e93d7e11 7393172a ae2d8a57 1e03ac9c 9eb76fac 45af8e51"
             "30c81c46 a35ce411 e5fbc119 1a0a52ef f69f2445 df4f9b17 ad2b417b e66c3710");
  ASSERT_EQ(m.size(), 64u);
  struct Case {
    size_t len;
    const char* mac;
  } cases[] = {{0, "bb1d6929 e9593728 7fa37d12 9b756746"},
               {16, "070a16b4 6b4d4144 f79bdd9d d04a287c"},
               {40, "dfa66747 de9ae630 30ca3261 1497c827"},
               {64, "51f0bebf 7e3b9d92 fc497417 79363cfe"}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.len);
    Bytes one[] = {Bytes(m.data(), c.len)};
    EXPECT_EQ(X(aes_cmac(BV(key), one)), N(c.mac));
    // Split at an odd place: the pieces are one message.
    size_t cut = c.len / 3;
    Bytes two[] = {Bytes(m.data(), cut), Bytes(m.data() + cut, c.len - cut)};
    EXPECT_EQ(X(aes_cmac(BV(key), two)), N(c.mac));
  }
  std::span<const Bytes> none;
  EXPECT_EQ(X(aes_cmac(BV(key), none)), N(cases[0].mac));
}

// ------------------------------------------------------------ AES-GCM

struct GcmCase {
  const char* name;
  const char* key;
  const char* iv;
  const char* pt;
  const char* aad;
  const char* ct;
  const char* tag;
};

// [GCM] appendix B. Case 1 and 13 (empty plaintext, no AAD) are GMAC of
// nothing and are checked against aes_gmac below as well.
const GcmCase kGcm[] = {
    {"TC1", "00000000000000000000000000000000", "000000000000000000000000", "", "", "",
     "58e2fccefa7e3061367f1d57a4e7455a"},
    {"TC2", "00000000000000000000000000000000", "000000000000000000000000",
     "00000000000000000000000000000000", "", "0388dace60b6a392f328c2b971b2fe78",
     "ab6e47d42cec13bdf53a67b21257bddf"},
    {"TC3", "feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
     "",
     "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
     "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
     "4d5c2af327cd64a62cf35abd2ba6fab4"},
    {"TC4", "feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
     "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
     "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
     "5bc94fbc3221a5db94fae95ae7121a47"},
    {"TC13", "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "", "", "", "530f8afbc74536b9a963b4f1c4cb738b"},
    {"TC14", "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "00000000000000000000000000000000", "",
     "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"},
    {"TC15", "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
     "cafebabefacedbaddecaf888",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
     "",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
     "b094dac5d93471bdec1a502270e3cc6c"},
    {"TC16", "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
     "cafebabefacedbaddecaf888",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
     "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
     "76fc6ece0f4e1768cddf8853bb2d551b"},
};

TEST(VectorsGcm, EncryptMatchesSpecTestCases) {
  for (const auto& c : kGcm) {
    SCOPED_TRACE(c.name);
    auto key = H(c.key), iv = H(c.iv), pt = H(c.pt), aad = H(c.aad);
    std::vector<uint8_t> out(pt.size() + 1);  // +1: never a null buffer
    uint8_t tag[16];
    Bytes whole[] = {BV(pt)};
    ASSERT_TRUE(aead_encrypt(Aead::Gcm, BV(key), BV(iv), BV(aad), whole, out.data(), tag));
    EXPECT_EQ(X(Bytes(out.data(), pt.size())), N(c.ct));
    EXPECT_EQ(X(Bytes(tag, 16)), N(c.tag));
    // The plaintext in uneven pieces gives the same result.
    size_t cut = pt.size() / 2 + 3 > pt.size() ? pt.size() : pt.size() / 2 + 3;
    Bytes two[] = {Bytes(pt.data(), cut), Bytes(pt.data() + cut, pt.size() - cut)};
    std::fill(out.begin(), out.end(), 0);
    std::memset(tag, 0, 16);
    ASSERT_TRUE(aead_encrypt(Aead::Gcm, BV(key), BV(iv), BV(aad), two, out.data(), tag));
    EXPECT_EQ(X(Bytes(out.data(), pt.size())), N(c.ct));
    EXPECT_EQ(X(Bytes(tag, 16)), N(c.tag));
  }
}

TEST(VectorsGcm, DecryptMatchesSpecTestCases) {
  for (const auto& c : kGcm) {
    SCOPED_TRACE(c.name);
    auto key = H(c.key), iv = H(c.iv), ct = H(c.ct), aad = H(c.aad), tag = H(c.tag);
    std::vector<uint8_t> out(ct.size() + 1);
    ASSERT_TRUE(aead_decrypt(Aead::Gcm, BV(key), BV(iv), BV(aad), BV(ct), tag.data(), out.data()));
    EXPECT_EQ(X(Bytes(out.data(), ct.size())), N(c.pt));
  }
}

TEST(VectorsGcm, RejectsTamperedInput) {
  // Every single-bit change to tag, ciphertext, AAD, nonce or key of TC4 and
  // TC16 must fail authentication.
  for (const auto& c : {kGcm[3], kGcm[7]}) {
    SCOPED_TRACE(c.name);
    auto key = H(c.key), iv = H(c.iv), ct = H(c.ct), aad = H(c.aad), tag = H(c.tag);
    std::vector<uint8_t> out(ct.size());
    ASSERT_TRUE(aead_decrypt(Aead::Gcm, BV(key), BV(iv), BV(aad), BV(ct), tag.data(), out.data()));
    for (size_t bit : {size_t{0}, size_t{7}, size_t{64}, size_t{127}}) {
      auto t = tag;
      t[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
      EXPECT_FALSE(aead_decrypt(Aead::Gcm, BV(key), BV(iv), BV(aad), BV(ct), t.data(), out.data()))
          << "tag bit " << bit;
    }
    for (size_t i : {size_t{0}, ct.size() / 2, ct.size() - 1}) {
      auto x = ct;
      x[i] ^= 0x01;
      EXPECT_FALSE(aead_decrypt(Aead::Gcm, BV(key), BV(iv), BV(aad), BV(x), tag.data(), out.data()))
          << "ciphertext byte " << i;
    }
    auto a = aad;
    a[aad.size() - 1] ^= 0x80;
    EXPECT_FALSE(aead_decrypt(Aead::Gcm, BV(key), BV(iv), BV(a), BV(ct), tag.data(), out.data()));
    EXPECT_FALSE(aead_decrypt(Aead::Gcm, BV(key), BV(iv), {}, BV(ct), tag.data(), out.data()));
    auto n = iv;
    n[11] ^= 0x01;
    EXPECT_FALSE(aead_decrypt(Aead::Gcm, BV(key), BV(n), BV(aad), BV(ct), tag.data(), out.data()));
    auto k = key;
    k[0] ^= 0x01;
    EXPECT_FALSE(aead_decrypt(Aead::Gcm, BV(k), BV(iv), BV(aad), BV(ct), tag.data(), out.data()));
    // A truncated ciphertext does not authenticate either.
    EXPECT_FALSE(aead_decrypt(Aead::Gcm, BV(key), BV(iv), BV(aad), Bytes(ct.data(), ct.size() - 1),
                              tag.data(), out.data()));
  }
}

TEST(VectorsGcm, GmacAdditionalDataOnly) {
  struct Case {
    const char* key;
    const char* iv;
    const char* aad;
    const char* tag;
  } cases[] = {
      // [GCM] test cases 1 and 13: no data at all.
      {"00000000000000000000000000000000", "000000000000000000000000", "",
       "58e2fccefa7e3061367f1d57a4e7455a"},
      {"0000000000000000000000000000000000000000000000000000000000000000",
       "000000000000000000000000", "", "530f8afbc74536b9a963b4f1c4cb738b"},
      // [CAVP] gcmEncryptExtIV128.rsp, PTlen 0, AADlen 128, counts 0 and 1.
      {"77be63708971c4e240d1cb79e8d77feb", "e0e00f19fed7ba0136a797f3",
       "7a43ec1d9c0a5a78a0b16533a6213cab", "209fcc8d3675ed938e9c7166709dd946"},
      {"7680c5d3ca6154758e510f4d25b98820", "f8f105f9c3df4965780321f8",
       "c94c410194c765e3dcc7964379758ed3", "94dca8edfcf90bb74b153c8d48a17930"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.key);
    auto key = H(c.key), iv = H(c.iv), aad = H(c.aad);
    Bytes one[] = {BV(aad)};
    EXPECT_EQ(X(aes_gmac(BV(key), BV(iv), one)), N(c.tag));
    if (aad.size() > 5) {
      Bytes two[] = {Bytes(aad.data(), 5), Bytes(aad.data() + 5, aad.size() - 5)};
      EXPECT_EQ(X(aes_gmac(BV(key), BV(iv), two)), N(c.tag));
    }
    // GMAC is GCM with nothing to encrypt: the same tag from aead_encrypt.
    uint8_t dummy[1];
    uint8_t tag[16];
    std::span<const Bytes> none;
    ASSERT_TRUE(aead_encrypt(Aead::Gcm, BV(key), BV(iv), BV(aad), none, dummy, tag));
    EXPECT_EQ(X(Bytes(tag, 16)), N(c.tag));
  }
}

// ----------------------------------------- SMB encryption (CCM and GCM)

// A TRANSFORM_HEADER message (MS-SMB2 2.2.41) as published: ProtocolId(4),
// Signature(16), Nonce(16), OriginalMessageSize(4), Reserved(2),
// Flags/EncryptionAlgorithm(2), SessionId(8), then the ciphertext. The AAD
// is the 32 bytes from Nonce on (3.1.4.3).
struct Transformed {
  std::vector<uint8_t> m;
  explicit Transformed(std::string_view hex) : m(H(hex)) {}
  Bytes signature() const { return {m.data() + 4, 16}; }
  Bytes nonce(size_t n) const { return {m.data() + 20, n}; }
  Bytes aad() const { return {m.data() + 20, 32}; }
  Bytes ciphertext() const { return {m.data() + 52, m.size() - 52}; }
  uint32_t original_size() const { return ld32(m.data() + 36); }
};

// The receiving side: decrypting t with key gives plain.
void expect_decrypts(Aead alg, Bytes key, const Transformed& t, std::string_view plain_hex) {
  auto plain = H(plain_hex);
  ASSERT_EQ(t.original_size(), plain.size());
  ASSERT_EQ(t.ciphertext().size(), plain.size());
  const size_t nlen = alg == Aead::Gcm ? 12 : 11;
  std::vector<uint8_t> out(plain.size());
  ASSERT_TRUE(aead_decrypt(alg, key, t.nonce(nlen), t.aad(), t.ciphertext(), t.signature().data(),
                           out.data()));
  EXPECT_EQ(X(BV(out)), X(BV(plain)));
}

// The sending side: encrypting plain (header and body as separate pieces)
// with the published nonce and AAD gives exactly the published ciphertext
// and Signature.
void expect_encrypts(Aead alg, Bytes key, const Transformed& t, std::string_view plain_hex) {
  auto plain = H(plain_hex);
  ASSERT_EQ(t.ciphertext().size(), plain.size());
  const size_t nlen = alg == Aead::Gcm ? 12 : 11;
  std::vector<uint8_t> out(plain.size());
  uint8_t tag[16];
  Bytes pieces[] = {Bytes(plain.data(), 64), Bytes(plain.data() + 64, plain.size() - 64)};
  ASSERT_TRUE(aead_encrypt(alg, key, t.nonce(nlen), t.aad(), pieces, out.data(), tag));
  EXPECT_EQ(X(BV(out)), X(t.ciphertext()));
  EXPECT_EQ(X(Bytes(tag, 16)), X(t.signature()));
}

// Single-bit changes anywhere must make decryption fail.
void expect_rejects_tampering(Aead alg, Bytes key, const Transformed& t) {
  const size_t nlen = alg == Aead::Gcm ? 12 : 11;
  std::vector<uint8_t> out(t.ciphertext().size());
  auto decrypts = [&](const Transformed& x, Bytes k) {
    return aead_decrypt(alg, k, x.nonce(nlen), x.aad(), x.ciphertext(), x.signature().data(),
                        out.data());
  };
  ASSERT_TRUE(decrypts(t, key));
  const size_t positions[] = {4, 19, 20, 20 + nlen - 1, 36, 44, 51, 52, t.m.size() - 1};
  for (size_t pos : positions) {
    Transformed x = t;
    x.m[pos] ^= 0x04;
    EXPECT_FALSE(decrypts(x, key)) << "byte " << pos << " of the transformed message";
  }
  std::vector<uint8_t> k(key.begin(), key.end());
  k[k.size() - 1] ^= 0x01;
  EXPECT_FALSE(decrypts(t, BV(k))) << "wrong key";
}

// [SMB30ENC] Test vector: SMB 3.0, AES-128-CCM, 11-byte nonce, 16-byte tag.
constexpr std::string_view kSmb30SessionKey = "B4546771B515F766A86735532DD6C4F0";
constexpr std::string_view kSmb30WriteReq =
    "FD534D4281A286535415445DAE393921E44FA42E66E69A111892584FB5ED524A"
    "744DA3EE87000000000001001100001400E4080025C8FEE16605A437832D1CD5"
    "2DA9F4645333482A175FE5384563F45FCDAFAEF38BC62BA4D5C62897996625A4"
    "4C29BE5658DE2E6117585779E7B59FFD971278D08580D7FA899E410E910EABF5"
    "AA1DB43050B33B49182637759AC15D84BFCDF5B6B238993C0F4CF4D6012023F6"
    "C627297075D84B7803912D0A9639634453595EF3E33FFE4E7AC2AB";
constexpr std::string_view kSmb30WriteReqPlain =
    "FE534D4240000100000000000900400008000000000000000400000000000000"
    "FFFE0000010000001100001400E4080000000000000000000000000000000000"
    "3100700017000000000000000000000015010000390000020100000039020000"
    "00000000000000007000000000000000536D623320656E6372797074696F6E20"
    "74657374696E67";
constexpr std::string_view kSmb30WriteResp =
    "FD534D42A6015530A18F6D9AFFE22AFAE8E66484860000000000000011000014"
    "00E4080050000000000001001100001400E40800DBF46435C5F14169293CE079"
    "E344479BF670227E49873F458672C3098DAC467DD5809F369D67409166515787"
    "1483E01F7BECD02064EAC3E235F913668BBC2F097980D4B378F1993EFF6E60D1"
    "77309E5B";
constexpr std::string_view kSmb30WriteRespPlain =
    "FE534D4240000100000000000900210009000000000000000400000000000000"
    "FFFE0000010000001100001400E4080000000000000000000000000000000000"
    "11000000170000000000000000000000";

// [SMB311ENC] A.1: SMB 3.1.1, AES-128-GCM.
constexpr std::string_view kA1SessionKey = "419FDDF34C1E001909D362AE7FB6AF79";
constexpr std::string_view kA1Preauth =
    "B23F3CBFD69487D9832B79B1594A367CDD950909B774C3A4C412B4FCEA9EDDDBA7DB256BA2EA30E9"
    "77F11F9B113247578E0E915C6D2A513B8F2FCA5707DC8770";
constexpr std::string_view kA1WriteReq =
    "FD534D42BD73D97D2BC9001BCAFAC0FDFF5FEEBCC7D6822D269CAF48904C664C0000000087000000"
    "0000010025000000001000006ECDD2A7AFC7B47763057A041B8FD4DAFFE990B70C9E09D36C084E02"
    "D14EF247F8BDE38ACF6256F8B1D3B56F77FBDEB312FEA5E92CBCC1ED8FB2EBBFAA75E49A4A394BB4"
    "4576545567C24D4C014D47C9FBDFDAFD2C4F9B72F8D256452620A299F48E29E53D6B61D1C13A19E9"
    "1AF013F00D17E3ABC2FC3D36C8C1B6B93973253852DBD442E46EE8";
constexpr std::string_view kA1WriteReqPlain =
    "FE534D4240000100000000000900010008000000000000000500000000000000FFFE000001000000"
    "25000000001000000000000000000000000000000000000031007000170000000000000000000000"
    "0600000004000000010000000400000000000000000000007000000000000000536D623320656E63"
    "72797074696F6E2074657374696E67";
constexpr std::string_view kA1WriteResp =
    "FD534D42ACBE1CB7ED343ADF1725EF144D90D4B0E06831DD2E8EB7B4000000000000000050000000"
    "00000100250000000010000026BBBF949983A6C1C796559D0F2C510CB651D1F7B6AC8DED32A2A0B8"
    "F2D793A815C6F6B848D69767A215841A42D400AE6DDB5F0B44173A014973321FDD7950DA6179159B"
    "82E03C9E18A050FF0EA1C967";
constexpr std::string_view kA1WriteRespPlain =
    "FE534D4240000100000000000900010001000000000000000500000000000000FFFE000001000000"
    "25000000001000000000000000000000000000000000000011000000170000000000000000000000";

// [SMB311ENC] A.2: SMB 3.1.1, AES-128-CCM.
constexpr std::string_view kA2SessionKey = "07B7F69C1E2581662DF6987E88F9E891";
constexpr std::string_view kA2Preauth =
    "DECF98A420718718F22090D3580FCC5E484BD310FA1268210C6E86335A8891E767F5BCD99FA5A785"
    "9D665AD07A73EA94E1BCDB7CFA69A6962A28A244138340B1";
constexpr std::string_view kA2WriteReq =
    "FD534D42E89551D666DAB8993488F5A97103116C9F6F1EAAD7E9F24AACD38F000000000087000000"
    "00000100210000000010000056A74778199A9D2B6E9C3A376FD88D27680694FED253A313BEB07381"
    "AE8689F973ACDB8D716E4477803BCE53A92E1B81FA3E965AD9AF2C89C08CE66A344664453B8FC881"
    "18EDC9814CF58E92AA465E6EFB09958A9FDAD96FBD55B36A710C30D5E7C64AD7B9449F9F17EDD024"
    "FE8BA79154F340A82740D1D5180C69B0A2DE6A4BA893BD55D3210E";
constexpr std::string_view kA2WriteReqPlain =
    "FE534D4240000100000000000900010008000000000000000500000000000000FFFE000001000000"
    "21000000001000000000000000000000000000000000000031007000170000000000000000000000"
    "0500000004000000010000000400000000000000000000007000000000000000536D623320656E63"
    "72797074696F6E2074657374696E67";
constexpr std::string_view kA2WriteResp =
    "FD534D42DD33EC41A927DD51476FE887C2D3C136D96831DD2E8EB7B4000000000000000050000000"
    "000001002100000000100000F783157E0F6F1C055D746753CA16D20C21088E2A67564E056C2F68A7"
    "F14F226C3BD809B7A2D52E5FE4ECF49821BC6001733430CF174E2764B3CCB213AAD8BB9FBAF6C15E"
    "13D9120965390E004A96A3F7";
constexpr std::string_view kA2WriteRespPlain =
    "FE534D4240000100000000000900010001000000000000000500000000000000FFFE000001000000"
    "21000000001000000000000000000000000000000000000011000000170000000000000000000000";

Key16 K16(std::string_view hex) {
  auto v = H(hex);
  Key16 k{};
  EXPECT_EQ(v.size(), 16u);
  std::memcpy(k.data(), v.data(), std::min<size_t>(16, v.size()));
  return k;
}
std::array<uint8_t, 64> K64(std::string_view hex) {
  auto v = H(hex);
  std::array<uint8_t, 64> k{};
  EXPECT_EQ(v.size(), 64u);
  std::memcpy(k.data(), v.data(), std::min<size_t>(64, v.size()));
  return k;
}

TEST(VectorsCcm, Smb30BlogVectorWithPublishedKeys) {
  // The blog's client EncryptionKey encrypts requests, its DecryptionKey
  // decrypts responses: AES-128-CCM with the leftmost 11 bytes of the nonce
  // field and a 16-byte tag, exactly the shape aead_* implement.
  auto c2s = H("261B72350558F2E9DCF613070383EDBF");
  auto s2c = H("8FE2B57EC34D2DB5B1A9727F526BBDB5");
  Transformed req(kSmb30WriteReq), resp(kSmb30WriteResp);
  expect_encrypts(Aead::Ccm, BV(c2s), req, kSmb30WriteReqPlain);
  expect_decrypts(Aead::Ccm, BV(c2s), req, kSmb30WriteReqPlain);
  expect_encrypts(Aead::Ccm, BV(s2c), resp, kSmb30WriteRespPlain);
  expect_decrypts(Aead::Ccm, BV(s2c), resp, kSmb30WriteRespPlain);
}

TEST(VectorsCcm, Smb311BlogVectorWithPublishedKeys) {
  // [SMB311ENC] A.2, keys as printed there.
  auto c2s = H("DFAAA31AAE40A2485D47AC4DF09FDA1D");
  auto s2c = H("95C544AEF6072680DA1CE49A68A97FA6");
  Transformed req(kA2WriteReq), resp(kA2WriteResp);
  expect_encrypts(Aead::Ccm, BV(c2s), req, kA2WriteReqPlain);
  expect_decrypts(Aead::Ccm, BV(c2s), req, kA2WriteReqPlain);
  expect_encrypts(Aead::Ccm, BV(s2c), resp, kA2WriteRespPlain);
  expect_decrypts(Aead::Ccm, BV(s2c), resp, kA2WriteRespPlain);
}

TEST(VectorsCcm, RejectsTamperedInput) {
  expect_rejects_tampering(Aead::Ccm, BV(H("261B72350558F2E9DCF613070383EDBF")),
                           Transformed(kSmb30WriteReq));
  expect_rejects_tampering(Aead::Ccm, BV(H("95C544AEF6072680DA1CE49A68A97FA6")),
                           Transformed(kA2WriteResp));
}

TEST(VectorsCcm, Aes256CcmIndependentVectorAndRoundTrip) {
  // No published AES-256-CCM vector with an 11-byte nonce and a 16-byte tag
  // was found (RFC 3610 uses 13-byte nonces and 8/10-byte tags, SP 800-38C's
  // examples shorter tags), so the expected value was computed independently
  // with Python's `cryptography` (48.0):
  //   AESCCM(key, tag_length=16).encrypt(nonce, plaintext, aad)
  // with key = the AES-256 SMBC2SCipherKey of the [SMB311ENC] A.1 session
  // (derived below with `openssl kdf -keylen 32 ... KBKDF`), and the nonce,
  // AAD and plaintext of the [SMB311ENC] A.2 WRITE request.
  auto key = H("CB61EB110446FBCAEB6A83BEEDB92779130B833A706E5B3495879D52195B90ED");
  Transformed a2(kA2WriteReq);
  auto plain = H(kA2WriteReqPlain);
  std::vector<uint8_t> out(plain.size());
  uint8_t tag[16];
  Bytes one[] = {BV(plain)};
  ASSERT_TRUE(aead_encrypt(Aead::Ccm, BV(key), a2.nonce(11), a2.aad(), one, out.data(), tag));
  EXPECT_EQ(X(BV(out)),
            N("59ef261192bbea03e2f3fb914841c6d94938777037f348034087ce12660b8eed"
              "670e9693f0f2e5579e68ecc9d398800a9717be385cd2df3f9a028c96a7389751"
              "73947ed029a965003b2f3009006272f681aa35f5974f00dfd0fa6a052ea38acd"
              "13a7a36886b02b28b5df48cdac4fef3f2cdbfa53d36d71b878d4efc25fa92e80"
              "25775982732e78"));
  EXPECT_EQ(X(Bytes(tag, 16)), N("4b2abd01550b6037ea2cc0f892645e6d"));
  // Round trip, and the tag is checked.
  std::vector<uint8_t> back(plain.size());
  ASSERT_TRUE(aead_decrypt(Aead::Ccm, BV(key), a2.nonce(11), a2.aad(), BV(out), tag, back.data()));
  EXPECT_EQ(X(BV(back)), X(BV(plain)));
  uint8_t bad[16];
  std::memcpy(bad, tag, 16);
  bad[0] ^= 0x01;
  EXPECT_FALSE(aead_decrypt(Aead::Ccm, BV(key), a2.nonce(11), a2.aad(), BV(out), bad, back.data()));
  auto flipped = out;
  flipped[100] ^= 0x10;
  EXPECT_FALSE(aead_decrypt(Aead::Ccm, BV(key), a2.nonce(11), a2.aad(), BV(flipped), tag, back.data()));
  // The AES-128 key of the same session must not open it.
  EXPECT_FALSE(aead_decrypt(Aead::Ccm, Bytes(key.data(), 16), a2.nonce(11), a2.aad(), BV(out), tag,
                            back.data()));
}

// CCM with no additional data (not an SMB case: SMB always authenticates the
// 32-byte transform header, but the API takes any AAD). Expected values from
// Python `cryptography` 48.0:
//   AESCCM(bytes.fromhex('DFAAA31AAE40A2485D47AC4DF09FDA1D'), tag_length=16)
//     .encrypt(bytes.fromhex('9F6F1EAAD7E9F24AACD38F'), b'Smb3 encryption testing', None)
constexpr std::string_view kEmptyAadCt = "fb99680979fff2481ce54a430fb7e2071463e78abb3dc4";
constexpr std::string_view kEmptyAadTag = "24b7113f8300547a8f27933591e92fc8";

void ccm_empty_aad(Bytes aad) {
  auto key = H("DFAAA31AAE40A2485D47AC4DF09FDA1D");
  auto nonce = H("9F6F1EAAD7E9F24AACD38F");
  const std::string_view msg = "Smb3 encryption testing";
  std::vector<uint8_t> out(msg.size());
  uint8_t tag[16];
  Bytes one[] = {S(msg)};
  ASSERT_TRUE(aead_encrypt(Aead::Ccm, BV(key), BV(nonce), aad, one, out.data(), tag));
  EXPECT_EQ(X(BV(out)), N(kEmptyAadCt));
  EXPECT_EQ(X(Bytes(tag, 16)), N(kEmptyAadTag));
  auto ct = H(kEmptyAadCt);
  auto t = H(kEmptyAadTag);
  std::vector<uint8_t> back(msg.size());
  ASSERT_TRUE(aead_decrypt(Aead::Ccm, BV(key), BV(nonce), aad, BV(ct), t.data(), back.data()));
  EXPECT_EQ(std::string(back.begin(), back.end()), msg);
  t[3] ^= 0x01;
  EXPECT_FALSE(aead_decrypt(Aead::Ccm, BV(key), BV(nonce), aad, BV(ct), t.data(), back.data()));
}

// Regression: an empty AAD given as a default-constructed span (null data)
// made OpenSSL's CCM read the AAD update as "set the message length" and
// reset it to 0, so both directions failed.
TEST(VectorsCcm, EmptyAadAsDefaultSpan) { ccm_empty_aad(Bytes{}); }

TEST(VectorsCcm, EmptyAadAsNonNullEmptySpan) {
  static const uint8_t none[1] = {0};
  ccm_empty_aad(Bytes(none, 0));
}

// ------------------------------------------- SMB 3.x key derivation (KDF)

std::string hexv(const std::vector<uint8_t>& v) { return X(BV(v)); }

TEST(VectorsSmbKeys, Smb30BlogKeys) {
  // [SMBKEYS] "Key derivation example for SMB 3.0 multichannel" and
  // [SMB30ENC]. The blogs print the client's view: its EncryptionKey is
  // "ServerIn " (client to server), which is the server's decryption_key.
  struct Case {
    const char* session_key;
    const char* signing;
    const char* c2s;
    const char* s2c;
    const char* app;
  } cases[] = {
      {"7CD451825D0450D235424E44BA6E78CC", "0B7E9C5CAC36C0F6EA9AB275298CEDCE",
       "FAD27796665B313EBB578F388632B4F7", "B0F0427F7CEB416D1D9DCC0CD4F99447",
       "BB23A4575AA26C721AF525AF15A87B4F"},
      {"B4546771B515F766A86735532DD6C4F0", "F773CD23C18FD1E08EE510CADA7CF852",
       "261B72350558F2E9DCF613070383EDBF", "8FE2B57EC34D2DB5B1A9727F526BBDB5",
       "77432F808CE99156B5BC6A3676D730D1"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.session_key);
    for (uint16_t d : {wire::dialect::SMB300, wire::dialect::SMB302}) {
      SmbKeys k = derive_smb_keys(K16(c.session_key), d, wire::signalg::AES_CMAC,
                                  wire::cipher::AES128_CCM, nullptr);
      EXPECT_EQ(k.signing_alg, wire::signalg::AES_CMAC);
      EXPECT_EQ(hexv(k.signing_key), N(c.signing));
      EXPECT_EQ(hexv(k.decryption_key), N(c.c2s));
      EXPECT_EQ(hexv(k.encryption_key), N(c.s2c));
      EXPECT_EQ(hexv(k.application_key), N(c.app));
    }
  }
  // The second channel of the multichannel example: its SessionKey gives
  // Channel.SigningKey by the same derivation.
  SmbKeys ch = derive_smb_keys(K16("4E01A2B313BCF660CC250BEF021AEDE6"), wire::dialect::SMB300,
                               wire::signalg::AES_CMAC, wire::cipher::AES128_CCM, nullptr);
  EXPECT_EQ(hexv(ch.signing_key), N("BA1A17DBBFEC349BCA105563D598952F"));
  // And the raw KDF with the SMB 3.0 signing label (MS-SMB2 3.1.4.2).
  const char label[] = "SMB2AESCMAC";
  const char ctx[] = "SmbSign";
  auto sk = H("7CD451825D0450D235424E44BA6E78CC");
  EXPECT_EQ(hexv(kdf_counter_hmac_sha256(BV(sk), Bytes(reinterpret_cast<const uint8_t*>(label), sizeof label),
                                         Bytes(reinterpret_cast<const uint8_t*>(ctx), sizeof ctx), 16)),
            N("0B7E9C5CAC36C0F6EA9AB275298CEDCE"));
}

TEST(VectorsSmbKeys, Smb311BlogKeys) {
  struct Case {
    const char* source;
    const char* session_key;
    std::string_view preauth;
    uint16_t cipher;
    const char* signing;
    const char* c2s;
    const char* s2c;
    const char* app;
  } cases[] = {
      {"[SMBKEYS] 3.1.1 master session", "270E1BA896585EEB7AF3472D3B4C75A7",
       "0DD13628CC3ED218EF9DF9772D436D0887AB9814BFAE63A80AA845F36909DB7928622DDDAD522D97"
       "51640A459762C5A9D6BB084CBB3CE6BDADEF5D5BCE3C6C01",
       wire::cipher::AES128_GCM, "73FE7A9A77BEF0BDE49C650D8CCB5F76",
       "629BCBC54422A0F572B97F45989B6073", "E2AF0DCEFAC68DA71A0DFBD0D1350D74",
       "6D7AD7954E9EC61E907B4D473DC178FF"},
      {"[SMB311ENC] A.1", kA1SessionKey.data(), kA1Preauth, wire::cipher::AES128_GCM,
       "8765949DFEAEE105CE9118B45BE988F0", "A2F5E80E5D59103034F32E52F698E5EC",
       "748C50868C90F302962A5C35F5F9A8BF", "099D610789FBE82055B313601C3E8CC4"},
      {"[SMB311ENC] A.2", kA2SessionKey.data(), kA2Preauth, wire::cipher::AES128_CCM,
       "3DCC82C5795AE27F383242761078C59B", "DFAAA31AAE40A2485D47AC4DF09FDA1D",
       "95C544AEF6072680DA1CE49A68A97FA6", "7A2F0F73EC2D530879B2913BBFCE242F"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.source);
    auto pre = K64(c.preauth);
    SmbKeys k = derive_smb_keys(K16(std::string_view(c.session_key, 32)), wire::dialect::SMB311,
                                wire::signalg::AES_CMAC, c.cipher, &pre);
    EXPECT_EQ(k.signing_alg, wire::signalg::AES_CMAC);
    EXPECT_EQ(hexv(k.signing_key), N(c.signing));
    EXPECT_EQ(hexv(k.decryption_key), N(c.c2s));
    EXPECT_EQ(hexv(k.encryption_key), N(c.s2c));
    EXPECT_EQ(hexv(k.application_key), N(c.app));
  }
  // [SMBKEYS] second channel (session binding): Channel.SigningKey.
  auto pre2 = K64(
      "EA3BF912B11CBFEC5B1889E8209614218687F82FA5294521AD3063425E49E88A10BD022124CE2512"
      "3BC9111F52D9566BA88BF46344E6063DC5E3FF0389026F6C");
  SmbKeys ch = derive_smb_keys(K16("84B9DBB730116A8FA6E9889555C265F9"), wire::dialect::SMB311,
                               wire::signalg::AES_CMAC, wire::cipher::AES128_GCM, &pre2);
  EXPECT_EQ(hexv(ch.signing_key), N("C962BCA1A9DD1697B030644199705431"));
}

TEST(VectorsSmbKeys, Smb311Aes256KeysIndependent) {
  // No published AES-256 SMB key example; the expected values come from
  //   openssl kdf -keylen 32 -kdfopt mac:HMAC -kdfopt digest:SHA256
  //     -kdfopt hexkey:419FDDF34C1E001909D362AE7FB6AF79
  //     -kdfopt hexsalt:<"SMBC2SCipherKey\0" or "SMBS2CCipherKey\0" in hex>
  //     -kdfopt hexinfo:<the A.1 preauth hash> KBKDF
  // (L = 256 for AES-256 keys, MS-SMB2 3.3.5.5.3), cross-checked with a
  // plain HMAC-SHA256(key, 00000001 || label || 00 || context || 00000100)
  // in Python. The signing key stays 128 bits and equals the blog's.
  auto pre = K64(kA1Preauth);
  for (uint16_t cipher : {wire::cipher::AES256_GCM, wire::cipher::AES256_CCM}) {
    SCOPED_TRACE(cipher);
    SmbKeys k = derive_smb_keys(K16(kA1SessionKey), wire::dialect::SMB311, wire::signalg::AES_GMAC,
                                cipher, &pre);
    EXPECT_EQ(k.signing_alg, wire::signalg::AES_GMAC);
    EXPECT_EQ(hexv(k.signing_key), N("8765949DFEAEE105CE9118B45BE988F0"));
    EXPECT_EQ(hexv(k.decryption_key),
              N("CB61EB110446FBCAEB6A83BEEDB92779130B833A706E5B3495879D52195B90ED"));
    EXPECT_EQ(hexv(k.encryption_key),
              N("F8CAE3069FFCDC7662E2941207AF463614D520A1A204AAF6B9EAD136DE931111"));
    EXPECT_EQ(hexv(k.application_key), N("099D610789FBE82055B313601C3E8CC4"));
  }
}

TEST(VectorsSmbKeys, Smb2xSigningKeyIsSessionKey) {
  // MS-SMB2 3.3.5.5.3: for 2.0.2 and 2.1, Session.SigningKey = SessionKey.
  for (uint16_t d : {wire::dialect::SMB202, wire::dialect::SMB210}) {
    SmbKeys k = derive_smb_keys(K16("270E1BA896585EEB7AF3472D3B4C75A7"), d, wire::signalg::AES_CMAC,
                                0, nullptr);
    EXPECT_EQ(k.signing_alg, wire::signalg::HMAC_SHA256);
    EXPECT_EQ(hexv(k.signing_key), N("270E1BA896585EEB7AF3472D3B4C75A7"));
    EXPECT_TRUE(k.encryption_key.empty());
    EXPECT_TRUE(k.decryption_key.empty());
  }
}

// ----------------------------------- [SMBKEYS] the 3.1.1 session, packet by packet

// The SMB2 packets of the master session's NEGOTIATE and SESSION_SETUP, as
// printed in [SMBKEYS] "Key derivation example for SMB 3.1.1 multichannel".
constexpr std::string_view kNegReq =
    "FE534D4240000100000000000000800000000000000000000100000000000000FFFE000000000000"
    "00000000000000000000000000000000000000000000000024000500000000003F000000ECD86F32"
    "6276024F9F7752B89BB33F3A70000000020000000202100200030203110300000100260000000000"
    "010020000100FA49E6578F1F3A9F4CD3E9CC14A67AA884B3D05844E0E5A118225C15887F32FF0000"
    "0200060000000000020002000100";
constexpr std::string_view kNegResp =
    "FE534D4240000100000000000000010001000000000000000100000000000000FFFE000000000000"
    "000000000000000000000000000000000000000000000000410001001103020039CBCAF329714942"
    "BDCE5D60F09AB3FB2F000000000080000000800000008000D8DAE5ADCBAED00109094AB095AED001"
    "80004001C00100006082013C06062B0601050502A08201303082012CA01A3018060A2B0601040182"
    "3702021E060A2B06010401823702020AA282010C048201084E45474F455854530100000000000000"
    "60000000700000007C7CC0FD06D6362D02DDE1CF343BFE292900F49750B4AA97934D9C4296B26E51"
    "FD370471B235E15A50DAE15BD5489C87000000000000000060000000010000000000000000000000"
    "5C33530DEAF90D4DB2EC4AE3786EC3084E45474F4558545303000000010000004000000098000000"
    "7C7CC0FD06D6362D02DDE1CF343BFE295C33530DEAF90D4DB2EC4AE3786EC3084000000058000000"
    "3056A05430523027802530233121301F06035504031318546F6B656E205369676E696E6720507562"
    "6C6963204B65793027802530233121301F06035504031318546F6B656E205369676E696E67205075"
    "626C6963204B6579010026000000000001002000010060A3C3B95C3C7CCD51EC536648D9B3AC74C4"
    "83CA5B65385A251117BEB30712E50000020004000000000001000200";
constexpr std::string_view kSsReq1 =
    "FE534D4240000100000000000100800000000000000000000200000000000000FFFE000000000000"
    "00000000000000000000000000000000000000000000000019000001010000000000000058004A00"
    "0000000000000000604806062B0601050502A03E303CA00E300C060A2B06010401823702020AA22A"
    "04284E544C4D5353500001000000978208E200000000000000000000000000000000060380250000"
    "000F";
constexpr std::string_view kSsResp1 =
    "FE534D4240000100160000C00100010001000000000000000200000000000000FFFE000000000000"
    "190000000010000000000000000000000000000000000000090000004800B300A181B03081ADA003"
    "0A0101A10C060A2B06010401823702020AA281970481944E544C4D53535000020000000C000C0038"
    "00000015828AE20D1D8BA31179D008000000000000000050005000440000000A0092270000000F53"
    "005500540033003100310002000C0053005500540033003100310001000C00530055005400330031"
    "00310004000C0053005500540033003100310003000C0053005500540033003100310007000800A1"
    "A1F5ADCBAED00100000000";
constexpr std::string_view kSsReq2 =
    "FE534D4240000100000000000100800000000000000000000300000000000000FFFE000000000000"
    "1900000000100000000000000000000000000000000000001900000101000000000000005800CF01"
    "0000000000000000A18201CB308201C7A0030A0101A28201AA048201A64E544C4D53535000030000"
    "001800180090000000EE00EE00A80000000C000C00580000001A001A0064000000120012007E0000"
    "001000100096010000158288E2060380250000000FECAC77A5F385A8BF9C38C706EEEDDCD3530055"
    "005400330031003100610064006D0069006E006900730074007200610074006F0072004400520049"
    "0056004500520033003100310000000000000000000000000000000000000000000000000063078E"
    "B639FE03E20A231C3AE3BF23080101000000000000A1A1F5ADCBAED001BC4AD05F223CC90F000000"
    "0002000C0053005500540033003100310001000C0053005500540033003100310004000C00530055"
    "00540033003100310003000C0053005500540033003100310007000800A1A1F5ADCBAED001060004"
    "00020000000800300030000000000000000000000000300000B61FEFCAA857EA57BF1EDCEBF8974B"
    "8E0EBA5A6DFD9D07A31D11B548F8C9D0CC0A00100000000000000000000000000000000000090016"
    "0063006900660073002F005300550054003300310031000000000000000000000000003B9BDFF38F"
    "5EE8F9663F11A0F4C03A78A31204100100000063775A9A5FD97F0600000000";
// The final (STATUS_SUCCESS) SESSION_SETUP response, signed.
constexpr std::string_view kSsResp2 =
    "FE534D4240000100000000000100800009000000000000000300000000000000FFFE000000000000"
    "1900000000100000EBE146DA120BA25FC3376A49DFE31BC10900000048001D00A11B3019A0030A01"
    "00A3120410010000003B453CDC3524164200000000";

// The second channel (session binding) of the same example.
constexpr std::string_view kBindReq1 =
    "FE534D4240000100000000000100800008000000000000000200000000000000FFFE000000000000"
    "190000000010000068BD0C58F613CE1334B1EB51C68D39EA19000101010000000000000058004A00"
    "0000000000000000604806062B0601050502A03E303CA00E300C060A2B06010401823702020AA22A"
    "04284E544C4D5353500001000000978208E200000000000000000000000000000000060380250000"
    "000F";
constexpr std::string_view kBindResp1 =
    "FE534D4240000100160000C00100010009000000000000000200000000000000FFFE000000000000"
    "1900000000100000014A71CAE724995E612430E2BE87578C090000004800B300A181B03081ADA003"
    "0A0101A10C060A2B06010401823702020AA281970481944E544C4D53535000020000000C000C0038"
    "00000015828AE23823DA68E32D2FE1000000000000000050005000440000000A0092270000000F53"
    "005500540033003100310002000C0053005500540033003100310001000C00530055005400330031"
    "00310004000C0053005500540033003100310003000C005300550054003300310031000700080041"
    "3B42AECBAED00100000000";
constexpr std::string_view kBindResp2 =
    "FE534D4240000100000000000100800009000000000000000300000000000000FFFE000000000000"
    "19000000001000008D604217FFBACF40635BF9D8729921500900000048001D00A11B3019A0030A01"
    "00A312041001000000CFB046FC5D368E2200000000";

TEST(VectorsPreauth, Smb311HashChain) {
  // [SMBKEYS]: Connection.PreauthIntegrityHashValue after NEGOTIATE request
  // and response, then PreauthSession.PreauthIntegrityHashValue after each
  // SESSION_SETUP request and the MORE_PROCESSING response (MS-SMB2 3.3.5.4,
  // 3.3.5.5; the final response is not hashed).
  const std::string_view msgs[] = {kNegReq, kNegResp, kSsReq1, kSsResp1, kSsReq2};
  const char* expect[] = {
      "DD94EFC5321BB618A2E208BA8920D2F422992526947A409B5037DE1E0FE8C7362B8C47122594CDE0"
      "CE26AA9DFC8BCDBDE0621957672623351A7540F1E54A0426",
      "324BFA92A4F3A190E466EBEA08D9C110DC88BFED758D9846ECC6F541CC1D02AE3C94A79F36011E99"
      "7E13F841B91B50957AD07B19C8E2539C0B23FDAE09D2C513",
      "AC0B0F2B9986257700365E416D142A6EDC96DF03594A19E52A15F6BD0D041CD5D432F8ED42C55E33"
      "197A50C9EC00F1462B50C592211B1471A04B56088FDFD5F9",
      "2729E3440DFDDD839E37193F6E8F20C20CEFB3469E453A70CD980EEC06B8835740A7376008563336"
      "4C8989895ECE81BF102DEEB14D4B7D48AFA76901A7A38387",
      "0DD13628CC3ED218EF9DF9772D436D0887AB9814BFAE63A80AA845F36909DB7928622DDDAD522D97"
      "51640A459762C5A9D6BB084CBB3CE6BDADEF5D5BCE3C6C01",
  };
  PreauthHash h;
  for (size_t i = 0; i < 5; ++i) {
    SCOPED_TRACE(i);
    auto m = H(msgs[i]);
    if (i % 2 == 0) {
      h.update(BV(m));
    } else {
      // A response goes in as header + body pieces.
      Bytes pieces[] = {Bytes(m.data(), 64), Bytes(m.data() + 64, m.size() - 64)};
      h.update(pieces);
    }
    EXPECT_EQ(X(h.value()), N(expect[i]));
  }
  // From there to the keys and the signature of the final response, as a
  // server computes them.
  SmbKeys k = derive_smb_keys(K16("270E1BA896585EEB7AF3472D3B4C75A7"), wire::dialect::SMB311,
                              wire::signalg::AES_CMAC, wire::cipher::AES128_GCM, &h.value());
  EXPECT_EQ(hexv(k.signing_key), N("73FE7A9A77BEF0BDE49C650D8CCB5F76"));
  auto resp = H(kSsResp2);
  std::memset(resp.data() + 48, 0, 16);
  Bytes one[] = {BV(resp)};
  EXPECT_EQ(X(smb_signature(k, 3, true, false, one)), N("EBE146DA120BA25FC3376A49DFE31BC1"));
  // The second channel's chain, from its NEGOTIATE on: only the first
  // connection-level value is checked, which proves the start from zero.
  PreauthHash h2;
  h2.update(BV(H("FE534D4240000100000000000000800000000000000000000100000000000000FFFE000000000000"
                 "00000000000000000000000000000000000000000000000024000500010000003F000000ECD86F32"
                 "6276024F9F7752B89BB33F3A70000000020000000202100200030203110300000100260000000000"
                 "0100200001003E38B8B81A9AFB172278056F4898FD09A1B9976A49B2D771161FCD4D40DF7D7D0000"
                 "0200060000000000020002000100")));
  EXPECT_EQ(X(h2.value()),
            N("F035C2B2BAB116E0DCF6A74E26670604D1BF6DDA065913AF7C30E93C1F025AC3CE2DD44D4DE26524"
              "A785E5D8E06AF0BE1C74296FEF05B045C3793A12B32C49DF"));
}

// ---------------------------------------------------------- SMB2 signing

// Signs pkt (its Signature field zeroed) and returns the hex signature.
std::string sign_packet(const SmbKeys& k, std::vector<uint8_t> pkt, bool response, bool cancel,
                        bool split = false) {
  std::memset(pkt.data() + 48, 0, 16);
  uint64_t mid = ld64(pkt.data() + 24);
  if (split) {
    Bytes pieces[] = {Bytes(pkt.data(), 64), Bytes(pkt.data() + 64, 7),
                      Bytes(pkt.data() + 71, pkt.size() - 71)};
    return X(smb_signature(k, mid, response, cancel, pieces));
  }
  Bytes one[] = {BV(pkt)};
  return X(smb_signature(k, mid, response, cancel, one));
}
std::string signature_field(const std::vector<uint8_t>& pkt) { return X(Bytes(pkt.data() + 48, 16)); }

TEST(VectorsSmbSign, Smb311CmacBlogMessages) {
  auto pre = K64(
      "0DD13628CC3ED218EF9DF9772D436D0887AB9814BFAE63A80AA845F36909DB7928622DDDAD522D97"
      "51640A459762C5A9D6BB084CBB3CE6BDADEF5D5BCE3C6C01");
  SmbKeys session = derive_smb_keys(K16("270E1BA896585EEB7AF3472D3B4C75A7"), wire::dialect::SMB311,
                                    wire::signalg::AES_CMAC, wire::cipher::AES128_GCM, &pre);
  auto pre2 = K64(
      "EA3BF912B11CBFEC5B1889E8209614218687F82FA5294521AD3063425E49E88A10BD022124CE2512"
      "3BC9111F52D9566BA88BF46344E6063DC5E3FF0389026F6C");
  SmbKeys channel = derive_smb_keys(K16("84B9DBB730116A8FA6E9889555C265F9"), wire::dialect::SMB311,
                                    wire::signalg::AES_CMAC, wire::cipher::AES128_GCM, &pre2);
  // Final SESSION_SETUP response of the master session (Session.SigningKey).
  auto r2 = H(kSsResp2);
  EXPECT_EQ(sign_packet(session, r2, true, false), N("EBE146DA120BA25FC3376A49DFE31BC1"));
  EXPECT_EQ(sign_packet(session, r2, true, false, true), signature_field(r2));
  // Binding: the requests and the MORE_PROCESSING response are signed with
  // Session.SigningKey, the final STATUS_SUCCESS response with the new
  // Channel.SigningKey (MS-SMB2 3.3.4.1.1).
  auto b1 = H(kBindReq1);
  EXPECT_EQ(sign_packet(session, b1, false, false), N("68BD0C58F613CE1334B1EB51C68D39EA"));
  auto br1 = H(kBindResp1);
  EXPECT_EQ(sign_packet(session, br1, true, false), N("014A71CAE724995E612430E2BE87578C"));
  auto br2 = H(kBindResp2);
  EXPECT_EQ(sign_packet(channel, br2, true, false), N("8D604217FFBACF40635BF9D872992150"));
  EXPECT_NE(sign_packet(session, br2, true, false), signature_field(br2));
  // One flipped bit anywhere changes the signature.
  auto t = r2;
  t[70] ^= 0x01;
  EXPECT_NE(sign_packet(session, t, true, false), signature_field(r2));
}

TEST(VectorsSmbSign, HmacSha256AndGmacIndependent) {
  // No published HMAC-SHA256 (2.x) or AES-GMAC (3.1.1) signed SMB2 message
  // was found; the expected values are from openssl(1) over the [SMBKEYS]
  // final SESSION_SETUP response with its Signature zeroed (ssresp2.bin):
  //   openssl mac -digest SHA256 -macopt hexkey:270E1BA896585EEB7AF3472D3B4C75A7
  //     -in ssresp2.bin HMAC                                 (first 16 bytes)
  //   openssl mac -cipher AES-128-GCM -macopt hexkey:73FE7A9A77BEF0BDE49C650D8CCB5F76
  //     -macopt hexiv:<nonce> -in ssresp2.bin GMAC
  // with the nonce of MS-SMB2 3.1.4.1: MessageId (8 bytes, little endian),
  // then a 32-bit field with bit 0 set when the server sends and bit 1 set
  // for a CANCEL request.
  auto pkt = H(kSsResp2);
  SmbKeys k2 = derive_smb_keys(K16("270E1BA896585EEB7AF3472D3B4C75A7"), wire::dialect::SMB210,
                               wire::signalg::AES_CMAC, 0, nullptr);
  EXPECT_EQ(sign_packet(k2, pkt, true, false), N("69F4B33F052C75B5F93906A96746A04E"));
  EXPECT_EQ(sign_packet(k2, pkt, true, false, true), N("69F4B33F052C75B5F93906A96746A04E"));

  auto pre = K64(
      "0DD13628CC3ED218EF9DF9772D436D0887AB9814BFAE63A80AA845F36909DB7928622DDDAD522D97"
      "51640A459762C5A9D6BB084CBB3CE6BDADEF5D5BCE3C6C01");
  SmbKeys g = derive_smb_keys(K16("270E1BA896585EEB7AF3472D3B4C75A7"), wire::dialect::SMB311,
                              wire::signalg::AES_GMAC, wire::cipher::AES128_GCM, &pre);
  ASSERT_EQ(g.signing_alg, wire::signalg::AES_GMAC);
  EXPECT_EQ(hexv(g.signing_key), N("73FE7A9A77BEF0BDE49C650D8CCB5F76"));
  // MessageId 3 (from the packet): nonce 03..00 01000000 / 00000000 / 02000000.
  EXPECT_EQ(sign_packet(g, pkt, true, false), N("75D05BAC99FF7FCC52A44C354381D559"));
  EXPECT_EQ(sign_packet(g, pkt, true, false, true), N("75D05BAC99FF7FCC52A44C354381D559"));
  EXPECT_EQ(sign_packet(g, pkt, false, false), N("48FE6970628518BC1797BC5FEC22A901"));
  EXPECT_EQ(sign_packet(g, pkt, false, true), N("54F7EA543DF57EB9F1B3F8E7425FF396"));
  // A long MessageId, for the byte order: nonce 0807060504030201 01000000
  // (response) and 0807060504030201 02000000 (CANCEL request).
  auto zeroed = pkt;
  std::memset(zeroed.data() + 48, 0, 16);
  Bytes one[] = {BV(zeroed)};
  EXPECT_EQ(X(smb_signature(g, 0x0102030405060708ull, true, false, one)),
            N("7C1C0979A2551E53613974C469080E25"));
  EXPECT_EQ(X(smb_signature(g, 0x0102030405060708ull, false, true, one)),
            N("DE2E330016ED31AF5E92898D0BAAFD34"));
}

// ----------------------------- SMB3 encryption with the derived keys

TEST(VectorsSmbEncrypt, Smb30CcmServerSide) {
  // [SMB30ENC]: a server holding the session key decrypts the client's
  // request with its decryption_key and produces the Windows server's exact
  // encrypted response with its encryption_key.
  SmbKeys k = derive_smb_keys(K16(kSmb30SessionKey), wire::dialect::SMB300, wire::signalg::AES_CMAC,
                              wire::cipher::AES128_CCM, nullptr);
  expect_decrypts(Aead::Ccm, BV(k.decryption_key), Transformed(kSmb30WriteReq), kSmb30WriteReqPlain);
  expect_encrypts(Aead::Ccm, BV(k.encryption_key), Transformed(kSmb30WriteResp), kSmb30WriteRespPlain);
}

TEST(VectorsSmbEncrypt, Smb311GcmServerSide) {
  auto pre = K64(kA1Preauth);
  SmbKeys k = derive_smb_keys(K16(kA1SessionKey), wire::dialect::SMB311, wire::signalg::AES_CMAC,
                              wire::cipher::AES128_GCM, &pre);
  ASSERT_TRUE(is_gcm(k.cipher));
  ASSERT_EQ(nonce_len(k.cipher), 12u);
  expect_decrypts(Aead::Gcm, BV(k.decryption_key), Transformed(kA1WriteReq), kA1WriteReqPlain);
  expect_encrypts(Aead::Gcm, BV(k.encryption_key), Transformed(kA1WriteResp), kA1WriteRespPlain);
  // The client's side of the same exchange, for completeness.
  expect_encrypts(Aead::Gcm, BV(k.decryption_key), Transformed(kA1WriteReq), kA1WriteReqPlain);
  expect_decrypts(Aead::Gcm, BV(k.encryption_key), Transformed(kA1WriteResp), kA1WriteRespPlain);
  expect_rejects_tampering(Aead::Gcm, BV(k.decryption_key), Transformed(kA1WriteReq));
  expect_rejects_tampering(Aead::Gcm, BV(k.encryption_key), Transformed(kA1WriteResp));
}

TEST(VectorsSmbEncrypt, Smb311CcmServerSide) {
  auto pre = K64(kA2Preauth);
  SmbKeys k = derive_smb_keys(K16(kA2SessionKey), wire::dialect::SMB311, wire::signalg::AES_CMAC,
                              wire::cipher::AES128_CCM, &pre);
  ASSERT_FALSE(is_gcm(k.cipher));
  ASSERT_EQ(nonce_len(k.cipher), 11u);
  expect_decrypts(Aead::Ccm, BV(k.decryption_key), Transformed(kA2WriteReq), kA2WriteReqPlain);
  expect_encrypts(Aead::Ccm, BV(k.encryption_key), Transformed(kA2WriteResp), kA2WriteRespPlain);
}

// ------------------------------------------------------- NTLM (MS-NLMP)

const uint32_t kNlmpV2Flags = 0xE28A8233;  // [MS-NLMP] 4.2.4, "33 82 8a e2"
const uint32_t kNlmpV1EssFlags = 0x820A8233;  // [MS-NLMP] 4.2.3

TEST(VectorsNtlm, NtHash) {
  REQUIRE_LEGACY();
  // [MS-NLMP] 4.2.2.1.2 NTOWFv1("Password").
  EXPECT_EQ(X(nt_hash("Password")), N("a4 f4 9c 40 65 10 bd ca b6 82 4e e7 c3 0f d8 52"));
  // [SMBKEYS] NTLMv2 SessionKey example: NtHash of "Password01!".
  EXPECT_EQ(X(nt_hash("Password01!")), N("7C4FE5EADA682714A036E39378362BAB"));
  // NTOWFv1 is MD4 of the UTF-16LE password.
  auto u = U16("Password");
  EXPECT_EQ(X(md4({BV(u)})), N("a4f49c406510bdcab6824ee7c30fd852"));
}

TEST(VectorsNtlm, Ntowfv2) {
  REQUIRE_LEGACY();
  // [MS-NLMP] 4.2.4.1.1: User "User", UserDom "Domain", Passwd "Password".
  EXPECT_EQ(X(ntowf_v2(nt_hash("Password"), "User", "Domain")),
            N("0c 86 8a 40 3b fd 7a 93 a3 00 1e f2 2e f0 2e 3f"));
  // The user name is upper-cased, the domain is not.
  EXPECT_EQ(X(ntowf_v2(nt_hash("Password"), "user", "Domain")),
            N("0c868a403bfd7a93a3001ef22ef02e3f"));
  EXPECT_NE(X(ntowf_v2(nt_hash("Password"), "User", "DOMAIN")),
            N("0c868a403bfd7a93a3001ef22ef02e3f"));
  // [SMBKEYS]: "administrator" in domain "SUT311".
  EXPECT_EQ(X(ntowf_v2(nt_hash("Password01!"), "administrator", "SUT311")),
            N("AEE3959B44A815F1EB28C9511B4F533B"));
}

// [MS-NLMP] 4.2.1 common values.
const char kServerChallenge[] = "0123456789abcdef";
const char kClientChallenge[] = "aaaaaaaaaaaaaaaa";
// 4.2.4.1 "temp" = 01 01 Z(6) Time(0) ClientChallenge Z(4) ServerName Z(4),
// ServerName being the CHALLENGE's AV pairs (NbDomainName "Domain",
// NbComputerName "Server", MsvAvEOL).
const char kNlmpTemp[] =
    "0101000000000000 0000000000000000 aaaaaaaaaaaaaaaa 00000000"
    "02000c0044006f006d00610069006e00 01000c00530065007200760065007200 00000000"
    "00000000";

TEST(VectorsNtlm, Ntlmv2ResponseAndKeys) {
  REQUIRE_LEGACY();
  Key16 owf = ntowf_v2(nt_hash("Password"), "User", "Domain");
  auto sc = H(kServerChallenge), cc = H(kClientChallenge), temp = H(kNlmpTemp);
  // 4.2.4.2 LMv2 response: HMAC_MD5(ResponseKeyLM, SC || CC) || CC.
  Key16 lm = hmac_md5(Bytes(owf), {BV(sc), BV(cc)});
  EXPECT_EQ(X(lm) + X(BV(cc)), N("86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa"));
  // 4.2.4.2 NTLMv2 response: NTProofStr = HMAC_MD5(ResponseKeyNT, SC || temp).
  Key16 proof = hmac_md5(Bytes(owf), {BV(sc), BV(temp)});
  EXPECT_EQ(X(proof), N("68cd0ab851e51c96aabc927bebef6a1c"));
  // 4.2.4.1 SessionBaseKey = HMAC_MD5(ResponseKeyNT, NTProofStr).
  Key16 base = hmac_md5(Bytes(owf), {Bytes(proof)});
  EXPECT_EQ(X(base), N("8de40ccadbc14a82f15cb0ad0de95ca3"));
  // 4.2.4.2 EncryptedRandomSessionKey = RC4(KeyExchangeKey, RandomSessionKey)
  // with the 4.2.1 RandomSessionKey 55 x 16; RC4 again gives it back.
  std::vector<uint8_t> key = rep(0x55, 16);
  Rc4(Bytes(base)).apply(key);
  EXPECT_EQ(X(BV(key)), N("c5dad2544fc9799094ce1ce90bc9d03e"));
  Rc4(Bytes(base)).apply(key);
  EXPECT_EQ(X(BV(key)), N("55555555555555555555555555555555"));
}

TEST(VectorsNtlm, AuthenticateMessage424) {
  REQUIRE_LEGACY();
  // [MS-NLMP] 4.2.4.3 AUTHENTICATE_MESSAGE (no MIC: the example's AV pairs
  // carry no MsvAvFlags).
  auto m = H(
      "4e544c4d5353500003000000180018006c00000054005400840000000c000c00480000000800080054000000"
      "100010005c00000010001000d8000000358288e20501280a0000000f44006f006d00610069006e0055007300"
      "6500720043004f004d005000550054004500520086c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa"
      "68cd0ab851e51c96aabc927bebef6a1c01010000000000000000000000000000aaaaaaaaaaaaaaaa00000000"
      "02000c0044006f006d00610069006e0001000c005300650072007600650072000000000000000000c5dad254"
      "4fc9799094ce1ce90bc9d03e");
  auto a = ntlm::parse_authenticate(BV(m));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->flags, 0xe2888235u);
  EXPECT_EQ(a->user, "User");
  EXPECT_EQ(a->domain, "Domain");
  EXPECT_EQ(a->workstation, "COMPUTER");
  EXPECT_FALSE(a->has_mic);
  EXPECT_EQ(X(a->lm_response), N("86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa"));
  ASSERT_EQ(a->nt_response.size(), 84u);
  EXPECT_EQ(X(a->nt_response.subspan(16)), N(kNlmpTemp));
  EXPECT_EQ(X(a->encrypted_random_session_key), N("c5dad2544fc9799094ce1ce90bc9d03e"));
  auto pairs = ntlm::ntlmv2_av_pairs(a->nt_response);
  ASSERT_TRUE(pairs);
  ASSERT_EQ(pairs->size(), 2u);
  EXPECT_EQ((*pairs)[0].id, ntlm::av::NB_DOMAIN);
  EXPECT_EQ((*pairs)[1].id, ntlm::av::NB_COMPUTER);
  // What a server does with it: NTProofStr, session base key, and the
  // exported session key (55 x 16) out of the key exchange.
  Key16 owf = ntowf_v2(nt_hash("Password"), a->user, a->domain);
  auto sc = H(kServerChallenge);
  Key16 proof = hmac_md5(Bytes(owf), {BV(sc), a->nt_response.subspan(16)});
  EXPECT_EQ(X(proof), X(a->nt_response.subspan(0, 16)));
  Key16 base = hmac_md5(Bytes(owf), {Bytes(proof)});
  std::vector<uint8_t> esk(a->encrypted_random_session_key.begin(),
                           a->encrypted_random_session_key.end());
  Rc4(Bytes(base)).apply(esk);
  EXPECT_EQ(X(BV(esk)), N("55555555555555555555555555555555"));
}

TEST(VectorsNtlm, GssWrapExNtlmv2) {
  REQUIRE_LEGACY();
  // [MS-NLMP] 4.2.4.4: ExportedSessionKey 55 x 16, flags of 4.2.4.
  Key16 esk{};
  esk.fill(0x55);
  Key16 sign = ntlm_sign_key(esk, true);
  auto seal = ntlm_seal_key(esk, kNlmpV2Flags, true);
  EXPECT_EQ(X(sign), N("47 88 dc 86 1b 47 82 f3 5d 43 fd 98 fe 1a 2d 39"));
  EXPECT_EQ(X(BV(seal)), N("59 f6 00 97 3c c4 96 0a 25 48 0a 7c 19 6e 4c 58"));
  // Sealing "Plaintext" (UTF-16LE) and then the checksum with the same RC4
  // handle gives the example's sealed data and signature. ntlm_signature
  // with KEY_EXCH off returns the bare HMAC checksum, which is what the
  // sealing handle then encrypts (3.4.4.2).
  auto text = U16("Plaintext");
  auto bare = ntlm_signature(sign, BV(seal), kNlmpV2Flags & ~nflag::KEY_EXCH, 0, BV(text));
  EXPECT_EQ(X(Bytes(bare.data(), 4)), N("01000000"));
  EXPECT_EQ(X(Bytes(bare.data() + 12, 4)), N("00000000"));
  Rc4 handle(BV(seal));
  auto sealed = text;
  handle.apply(sealed);
  EXPECT_EQ(X(BV(sealed)), N("54 e5 01 65 bf 19 36 dc 99 60 20 c1 81 1b 0f 06 fb 5f"));
  std::array<uint8_t, 16> sig = bare;
  handle.apply(std::span<uint8_t>(sig.data() + 4, 8));
  EXPECT_EQ(X(sig), N("01 00 00 00 7f b3 8e c5 c5 5d 49 76 00 00 00 00"));
}

TEST(VectorsNtlm, GssWrapExNtlmv1WithClientChallenge) {
  REQUIRE_LEGACY();
  // [MS-NLMP] 4.2.3: NEGOTIATE_56 without NEGOTIATE_128 or KEY_EXCH, so the
  // sealing key is MD5 over the first 7 bytes of the key and the checksum is
  // not encrypted. The KeyExchangeKey of 4.2.3's calculations:
  Key16 kxkey = K16("eb93429a8bd952f8b89c55b87f475edc");
  Key16 sign = ntlm_sign_key(kxkey, true);
  auto seal = ntlm_seal_key(kxkey, kNlmpV1EssFlags, true);
  // 4.2.3's GSS_WrapEx example.
  EXPECT_EQ(X(sign), N("60 e7 99 be 5c 72 fc 92 92 2a e8 eb e9 61 fb 8d"));
  EXPECT_EQ(X(BV(seal)), N("04 dd 7f 01 4d 85 04 d2 65 a2 5c c8 6a 3a 7c 06"));
  auto text = U16("Plaintext");
  EXPECT_EQ(X(ntlm_signature(sign, BV(seal), kNlmpV1EssFlags, 0, BV(text))),
            N("01 00 00 00 ff 2a eb 52 f6 81 79 3a 00 00 00 00"));
  auto sealed = text;
  Rc4(BV(seal)).apply(sealed);
  EXPECT_EQ(X(BV(sealed)), N("a0 23 72 f6 53 02 73 f3 aa 1e b9 01 90 ce 52 00 c9 9d"));
}

// [SMBKEYS] "NTLMv2 SessionKey calculation example": the NTLM messages
// inside the master session's SESSION_SETUP packets (kSsReq1 .. kSsResp2).
struct WindowsExchange {
  std::vector<uint8_t> req1 = H(kSsReq1), resp1 = H(kSsResp1), req2 = H(kSsReq2),
                       resp2 = H(kSsResp2);
  static Bytes find(const std::vector<uint8_t>& pkt, uint32_t type, size_t len) {
    for (size_t i = 64; i + 12 <= pkt.size(); ++i) {
      if (std::memcmp(pkt.data() + i, "NTLMSSP", 8) == 0 && ld32(pkt.data() + i + 8) == type) {
        EXPECT_LE(i + len, pkt.size());
        return {pkt.data() + i, std::min(len, pkt.size() - i)};
      }
    }
    ADD_FAILURE() << "no NTLMSSP message of type " << type;
    return {};
  }
  // Lengths from the SPNEGO OCTET STRINGs around them (04 28, 04 81 94,
  // 04 82 01 a6).
  Bytes negotiate() const { return find(req1, 1, 0x28); }
  Bytes challenge() const { return find(resp1, 2, 0x94); }
  Bytes authenticate() const { return find(req2, 3, 0x1a6); }
  // mechListMIC [3] OCTET STRING after the AUTHENTICATE, and the server's.
  Bytes client_mic() const {
    Bytes a = authenticate();
    size_t off = static_cast<size_t>(a.data() + a.size() - req2.data());
    EXPECT_EQ(X(Bytes(req2.data() + off, 4)), "a3120410");
    return {req2.data() + off + 4, 16};
  }
  Bytes server_mic() const { return {resp2.data() + resp2.size() - 16, 16}; }
};
// The MechTypeList [0] of the client's NegTokenInit: just NTLMSSP.
const char kMechTypes[] = "300C060A2B06010401823702020A";

TEST(VectorsNtlm, WindowsExchangeKeys) {
  REQUIRE_LEGACY();
  WindowsExchange w;
  auto a = ntlm::parse_authenticate(w.authenticate());
  ASSERT_TRUE(a);
  EXPECT_EQ(a->flags, 0xE2888215u);
  EXPECT_EQ(a->user, "administrator");
  EXPECT_EQ(a->domain, "SUT311");
  EXPECT_EQ(a->workstation, "DRIVER311");
  ASSERT_TRUE(a->has_mic);
  EXPECT_EQ(X(a->mic), N("ECAC77A5F385A8BF9C38C706EEEDDCD3"));
  ASSERT_EQ(a->nt_response.size(), 238u);
  EXPECT_EQ(X(a->encrypted_random_session_key), N("3B9BDFF38F5EE8F9663F11A0F4C03A78"));
  Bytes chal = w.challenge();
  EXPECT_EQ(X(chal.subspan(24, 8)), N("0D1D8BA31179D008"));

  Key16 owf = ntowf_v2(nt_hash("Password01!"), a->user, a->domain);
  EXPECT_EQ(X(owf), N("AEE3959B44A815F1EB28C9511B4F533B"));
  Key16 proof = hmac_md5(Bytes(owf), {chal.subspan(24, 8), a->nt_response.subspan(16)});
  EXPECT_EQ(X(proof), N("63078EB639FE03E20A231C3AE3BF2308"));
  Key16 base = hmac_md5(Bytes(owf), {Bytes(proof)});
  EXPECT_EQ(X(base), N("B4CF22566926B1C069ACD80E4D73C814"));
  std::vector<uint8_t> esk(a->encrypted_random_session_key.begin(),
                           a->encrypted_random_session_key.end());
  Rc4(Bytes(base)).apply(esk);
  EXPECT_EQ(X(BV(esk)), N("270E1BA896585EEB7AF3472D3B4C75A7"));
  Key16 exported = K16("270E1BA896585EEB7AF3472D3B4C75A7");

  // The MIC over NEGOTIATE || CHALLENGE || AUTHENTICATE (MIC zeroed),
  // MS-NLMP 3.1.5.1.2 / 3.2.5.1.2.
  std::vector<uint8_t> auth(w.authenticate().begin(), w.authenticate().end());
  std::memset(auth.data() + 72, 0, 16);
  EXPECT_EQ(X(hmac_md5(Bytes(exported), {w.negotiate(), chal, BV(auth)})),
            N("ECAC77A5F385A8BF9C38C706EEEDDCD3"));

  // The four session-security keys printed in the blog (3.4.5.2, 3.4.5.3).
  EXPECT_EQ(X(ntlm_sign_key(exported, true)), N("D43F36C44BCE0630250A09EA0C2E8C2C"));
  EXPECT_EQ(X(ntlm_sign_key(exported, false)), N("E1BD8B416B0B709D295E12F2CF18E6C5"));
  EXPECT_EQ(X(BV(ntlm_seal_key(exported, a->flags, true))), N("31E5557D99BE13F1B2665C7C7C52CE70"));
  EXPECT_EQ(X(BV(ntlm_seal_key(exported, a->flags, false))), N("B0F5A0B32C81FF34A878E1409B3B0EF2"));
}

TEST(VectorsNtlm, WindowsMechListMic) {
  REQUIRE_LEGACY();
  // The SPNEGO mechListMIC both ways (MS-SPNG 3.1.5.1, MS-NLMP 3.4.4.2 with
  // KEY_EXCH: the checksum RC4-encrypted with a fresh sealing handle).
  WindowsExchange w;
  auto a = ntlm::parse_authenticate(w.authenticate());
  ASSERT_TRUE(a);
  Key16 exported = K16("270E1BA896585EEB7AF3472D3B4C75A7");
  auto mech = H(kMechTypes);
  // The NegTokenInit really carries these mechTypes.
  auto init = w.req1;
  bool found = false;
  for (size_t i = 64; i + mech.size() <= init.size(); ++i) {
    if (std::memcmp(init.data() + i, mech.data(), mech.size()) == 0) found = true;
  }
  EXPECT_TRUE(found);
  auto c = ntlm_signature(ntlm_sign_key(exported, true), BV(ntlm_seal_key(exported, a->flags, true)),
                          a->flags, 0, BV(mech));
  EXPECT_EQ(X(c), N("0100000063775A9A5FD97F0600000000"));
  EXPECT_EQ(X(c), X(w.client_mic()));
  auto s = ntlm_signature(ntlm_sign_key(exported, false),
                          BV(ntlm_seal_key(exported, a->flags, false)), a->flags, 0, BV(mech));
  EXPECT_EQ(X(s), N("010000003B453CDC3524164200000000"));
  EXPECT_EQ(X(s), X(w.server_mic()));
}

// ------------------------------------------------- NtlmServer round trip

// The client side of NTLMv2 (MS-NLMP 3.1.5.1.2, 3.3.2), computed here from
// the MS-NLMP formulas with the crypto.h primitives (md4, md5, hmac_md5,
// Rc4) only; nothing from ntlm_server.h or userdb.h.
struct TestClient {
  std::string user = "Alice";
  std::string domain = "RINGTEST";
  std::string password = "Correct Horse 1!";
  std::string workstation = "CLIENT7";
  bool key_exch = true;
  bool mic = true;
  Key16 random_session_key = K16("0f1e2d3c4b5a69788796a5b4c3d2e1f0");
  std::vector<uint8_t> client_challenge = H("a1b2c3d4e5f60718");
  // Results.
  uint32_t flags = 0;
  Key16 session_base_key{};
  Key16 exported{};

  // The NEGOTIATE a Windows client sent in [SMBKEYS] (flags 0xE2088297),
  // less KEY_EXCH when asked.
  std::vector<uint8_t> negotiate() const {
    auto m = H("4E544C4D5353500001000000978208E200000000000000000000000000000000060380250000000F");
    if (!key_exch) st32(m.data() + 12, ld32(m.data() + 12) & ~nflag::KEY_EXCH);
    return m;
  }

  Key16 ntowfv2() const {
    auto p = U16(password);
    Key16 nt = md4({BV(p)});
    auto ud = U16(upper_ascii(user) + domain);
    return hmac_md5(Bytes(nt), {BV(ud)});
  }

  static std::vector<uint8_t> assemble(uint32_t f, Bytes lm, Bytes nt, std::string_view dom,
                                       std::string_view usr, std::string_view ws, Bytes esk) {
    auto d = U16(dom), u = U16(usr), w = U16(ws);
    std::vector<uint8_t> m(88, 0);  // fixed part with Version and MIC
    std::memcpy(m.data(), "NTLMSSP", 8);
    st32(m.data() + 8, 3);
    auto add = [&m](size_t field, Bytes b) {
      st16(m.data() + field, static_cast<uint16_t>(b.size()));
      st16(m.data() + field + 2, static_cast<uint16_t>(b.size()));
      st32(m.data() + field + 4, static_cast<uint32_t>(m.size()));
      for (uint8_t x : b) m.push_back(x);  // (insert trips a GCC 12 -O3 array-bounds false positive)
    };
    add(28, BV(d));
    add(36, BV(u));
    add(44, BV(w));
    add(12, lm);
    add(20, nt);
    add(52, esk);
    st32(m.data() + 60, f);
    m[64] = 10;  // Version 10.0.19041, NTLM revision 15
    st16(m.data() + 66, 19041);
    m[71] = 15;
    return m;
  }

  // The AUTHENTICATE answering chal.
  std::vector<uint8_t> authenticate(Bytes neg, Bytes chal) {
    flags = ld32(chal.data() + 20);
    if (!key_exch) flags &= ~nflag::KEY_EXCH;
    Bytes server_challenge = chal.subspan(24, 8);
    Bytes info = chal.subspan(ld32(chal.data() + 44), ld16(chal.data() + 40));
    // The server's AV pairs less MsvAvEOL, then MsvAvFlags (MIC present), then EOL.
    std::vector<uint8_t> pairs;
    std::vector<uint8_t> timestamp(8, 0);
    for (size_t pos = 0; pos + 4 <= info.size();) {
      uint16_t id = ld16(info.data() + pos), len = ld16(info.data() + pos + 2);
      if (id == ntlm::av::EOL) break;
      if (id == ntlm::av::TIMESTAMP && len == 8) {
        timestamp.assign(info.data() + pos + 4, info.data() + pos + 12);
      }
      pairs.insert(pairs.end(), info.data() + pos, info.data() + pos + 4 + len);
      pos += 4 + len;
    }
    if (mic) {
      const uint8_t f[] = {6, 0, 4, 0, 2, 0, 0, 0};
      pairs.insert(pairs.end(), f, f + 8);
    }
    pairs.insert(pairs.end(), 4, 0);
    std::vector<uint8_t> temp = {1, 1, 0, 0, 0, 0, 0, 0};
    temp.insert(temp.end(), timestamp.begin(), timestamp.end());
    temp.insert(temp.end(), client_challenge.begin(), client_challenge.end());
    temp.insert(temp.end(), 4, 0);
    temp.insert(temp.end(), pairs.begin(), pairs.end());
    temp.insert(temp.end(), 4, 0);
    Key16 owf = ntowfv2();
    Key16 proof = hmac_md5(Bytes(owf), {server_challenge, BV(temp)});
    session_base_key = hmac_md5(Bytes(owf), {Bytes(proof)});
    std::vector<uint8_t> nt(proof.begin(), proof.end());
    nt.insert(nt.end(), temp.begin(), temp.end());
    std::vector<uint8_t> lm(24, 0);  // Z(24): the CHALLENGE had MsvAvTimestamp
    std::vector<uint8_t> esk;
    exported = session_base_key;
    if (flags & nflag::KEY_EXCH) {
      esk.assign(random_session_key.begin(), random_session_key.end());
      Rc4(Bytes(session_base_key)).apply(esk);
      exported = random_session_key;
    }
    auto m = assemble(flags, BV(lm), BV(nt), domain, user, workstation, BV(esk));
    if (mic) {
      Key16 v = hmac_md5(Bytes(exported), {neg, chal, BV(m)});
      std::memcpy(m.data() + 72, v.data(), 16);
    }
    return m;
  }

  // The SPNEGO mechListMIC, NTLMSSP_MESSAGE_SIGNATURE with extended session
  // security (MS-NLMP 3.4.4.2, SIGNKEY/SEALKEY 3.4.5.2, 3.4.5.3), seq 0.
  std::array<uint8_t, 16> mech_list_mic(Bytes mech, bool client_to_server) const {
    const char* sign_magic = client_to_server
                                 ? "session key to client-to-server signing key magic constant"
                                 : "session key to server-to-client signing key magic constant";
    const char* seal_magic = client_to_server
                                 ? "session key to client-to-server sealing key magic constant"
                                 : "session key to server-to-client sealing key magic constant";
    Key16 sk = md5({Bytes(exported), Bytes(reinterpret_cast<const uint8_t*>(sign_magic),
                                           std::strlen(sign_magic) + 1)});
    EXPECT_TRUE(flags & nflag::NEG_128);
    Key16 seal = md5({Bytes(exported), Bytes(reinterpret_cast<const uint8_t*>(seal_magic),
                                             std::strlen(seal_magic) + 1)});
    const uint8_t seq[4] = {0, 0, 0, 0};
    Key16 h = hmac_md5(Bytes(sk), {Bytes(seq, 4), mech});
    std::array<uint8_t, 16> sig{};
    sig[0] = 1;
    std::memcpy(sig.data() + 4, h.data(), 8);
    if (flags & nflag::KEY_EXCH) Rc4(Bytes(seal)).apply(std::span<uint8_t>(sig.data() + 4, 8));
    return sig;
  }
};

using Lookup = std::function<std::optional<Key16>(const std::string&)>;
Lookup users(const std::string& name, const std::string& password) {
  return [name, password](const std::string& who) -> std::optional<Key16> {
    if (upper_ascii(who) == upper_ascii(name)) return nt_hash(password);
    return std::nullopt;
  };
}

TEST(VectorsNtlmServer, RoundTripWithKeyExchangeAndMic) {
  REQUIRE_LEGACY();
  TestClient c;
  NtlmServer server(NtlmServerConfig{});
  auto neg = c.negotiate();
  auto chal = server.challenge(BV(neg));
  ASSERT_TRUE(chal);
  EXPECT_TRUE(server.challenged());
  // The CHALLENGE offers what the client asked for and NTLMv2 needs.
  uint32_t cf = ld32(chal->data() + 20);
  for (uint32_t f : {nflag::UNICODE, nflag::NTLM, nflag::EXTENDED_SESSIONSECURITY,
                     nflag::TARGET_INFO, nflag::KEY_EXCH, nflag::NEG_128, nflag::SIGN}) {
    EXPECT_TRUE(cf & f) << std::hex << f;
  }
  auto auth = c.authenticate(BV(neg), BV(*chal));
  auto r = server.authenticate(BV(auth), users("alice", c.password));
  ASSERT_EQ(r.outcome, NtlmServer::Outcome::Authenticated);
  EXPECT_EQ(r.user, "Alice");
  EXPECT_EQ(r.domain, "RINGTEST");
  EXPECT_EQ(r.workstation, "CLIENT7");
  // With KEY_EXCH the session key is the client's random session key.
  EXPECT_EQ(X(server.session_key()), N("0f1e2d3c4b5a69788796a5b4c3d2e1f0"));
  EXPECT_NE(X(server.session_key()), X(c.session_base_key));
  EXPECT_TRUE(server.mic_present());

  // mechListMIC: the client's verifies, the server's is what the client
  // expects, and neither direction's MIC passes for the other.
  auto mech = H(kMechTypes);
  auto client_mic = c.mech_list_mic(BV(mech), true);
  EXPECT_TRUE(server.verify_mech_list_mic(BV(mech), client_mic));
  auto server_mic = server.sign_mech_list(BV(mech));
  EXPECT_EQ(X(BV(server_mic)), X(c.mech_list_mic(BV(mech), false)));
  EXPECT_FALSE(server.verify_mech_list_mic(BV(mech), BV(server_mic)));
  auto bad = client_mic;
  bad[9] ^= 0x20;
  EXPECT_FALSE(server.verify_mech_list_mic(BV(mech), bad));
  auto other = H("3018060A2B06010401823702021E060A2B06010401823702020A");
  EXPECT_FALSE(server.verify_mech_list_mic(BV(other), client_mic));
  EXPECT_FALSE(server.verify_mech_list_mic(BV(mech), Bytes(client_mic.data(), 15)));
}

TEST(VectorsNtlmServer, RoundTripWithoutKeyExchange) {
  REQUIRE_LEGACY();
  TestClient c;
  c.key_exch = false;
  NtlmServer server(NtlmServerConfig{});
  auto neg = c.negotiate();
  auto chal = server.challenge(BV(neg));
  ASSERT_TRUE(chal);
  EXPECT_FALSE(ld32(chal->data() + 20) & nflag::KEY_EXCH);
  auto auth = c.authenticate(BV(neg), BV(*chal));
  auto r = server.authenticate(BV(auth), users("Alice", c.password));
  ASSERT_EQ(r.outcome, NtlmServer::Outcome::Authenticated);
  // Without KEY_EXCH the session key is the SessionBaseKey (3.3.2).
  EXPECT_EQ(X(server.session_key()), X(c.session_base_key));
  auto mech = H(kMechTypes);
  EXPECT_TRUE(server.verify_mech_list_mic(BV(mech), c.mech_list_mic(BV(mech), true)));
  EXPECT_EQ(X(BV(server.sign_mech_list(BV(mech)))), X(c.mech_list_mic(BV(mech), false)));
}

TEST(VectorsNtlmServer, WrongPasswordAndUnknownUser) {
  REQUIRE_LEGACY();
  {
    TestClient c;
    c.password = "correct horse 1!";  // case matters
    NtlmServer server(NtlmServerConfig{});
    auto neg = c.negotiate();
    auto chal = server.challenge(BV(neg));
    ASSERT_TRUE(chal);
    auto r = server.authenticate(BV(c.authenticate(BV(neg), BV(*chal))),
                                 users("Alice", "Correct Horse 1!"));
    EXPECT_EQ(r.outcome, NtlmServer::Outcome::WrongPassword);
    EXPECT_EQ(r.user, "Alice");
  }
  {
    TestClient c;
    NtlmServer server(NtlmServerConfig{});
    auto neg = c.negotiate();
    auto chal = server.challenge(BV(neg));
    ASSERT_TRUE(chal);
    auto r = server.authenticate(BV(c.authenticate(BV(neg), BV(*chal))), users("bob", c.password));
    EXPECT_EQ(r.outcome, NtlmServer::Outcome::UnknownUser);
  }
  {
    // An AUTHENTICATE computed for another CHALLENGE does not verify.
    TestClient c;
    NtlmServer s1(NtlmServerConfig{}), s2(NtlmServerConfig{});
    auto neg = c.negotiate();
    auto chal1 = s1.challenge(BV(neg));
    auto chal2 = s2.challenge(BV(neg));
    ASSERT_TRUE(chal1 && chal2);
    ASSERT_NE(X(Bytes(chal1->data() + 24, 8)), X(Bytes(chal2->data() + 24, 8)));
    auto r = s2.authenticate(BV(c.authenticate(BV(neg), BV(*chal1))), users("Alice", c.password));
    EXPECT_EQ(r.outcome, NtlmServer::Outcome::WrongPassword);
  }
}

TEST(VectorsNtlmServer, LmAndNtlmv1Refused) {
  REQUIRE_LEGACY();
  TestClient c;
  NtlmServer server(NtlmServerConfig{});
  auto neg = c.negotiate();
  auto chal = server.challenge(BV(neg));
  ASSERT_TRUE(chal);
  uint32_t f = ld32(chal->data() + 20);
  // 24-byte NTLMv1 and LMv1 responses of [MS-NLMP] 4.2.2.2.
  auto v1 = H("67c43011f30298a2ad35ece64f16331c44bdbed927841f94");
  auto lm1 = H("98def7b87f88aa5dafe2df779688a172def11c7d5ccdef13");
  auto m = TestClient::assemble(f, BV(lm1), BV(v1), "Domain", "User", "COMPUTER", {});
  auto r = server.authenticate(BV(m), users("User", "Password"));
  EXPECT_EQ(r.outcome, NtlmServer::Outcome::Refused);
  // LM response only.
  auto lm_only = TestClient::assemble(f, BV(lm1), {}, "Domain", "User", "COMPUTER", {});
  EXPECT_EQ(server.authenticate(BV(lm_only), users("User", "Password")).outcome,
            NtlmServer::Outcome::Refused);
  // NTLMv1 with client challenge (4.2.3.2; its LM response is CC || Z(16)).
  auto v1ess = H("7537f803ae367128ca458204bde7caf81e97ed2683267232");
  auto lmess = H("aaaaaaaaaaaaaaaa00000000000000000000000000000000");
  auto ess = TestClient::assemble(f, BV(lmess), BV(v1ess), "Domain", "User", "COMPUTER", {});
  EXPECT_EQ(server.authenticate(BV(ess), users("User", "Password")).outcome,
            NtlmServer::Outcome::Refused);
  // None of this leaves a session key behind.
  EXPECT_EQ(X(server.session_key()), N("00000000000000000000000000000000"));
}

TEST(VectorsNtlmServer, TamperedMicFails) {
  REQUIRE_LEGACY();
  struct Tamper {
    const char* what;
    std::function<void(std::vector<uint8_t>&)> apply;
  } tampers[] = {
      {"MIC byte", [](std::vector<uint8_t>& m) { m[72 + 5] ^= 0x01; }},
      {"last MIC byte", [](std::vector<uint8_t>& m) { m[87] ^= 0x80; }},
      {"Version", [](std::vector<uint8_t>& m) { m[64] ^= 0x01; }},
      // The workstation name: covered only by the MIC.
      {"workstation", [](std::vector<uint8_t>& m) { m[ld32(m.data() + 48)] ^= 0x01; }},
      // An extra flag bit: covered only by the MIC.
      {"flags", [](std::vector<uint8_t>& m) { st32(m.data() + 60, ld32(m.data() + 60) | nflag::IDENTIFY); }},
  };
  for (const auto& t : tampers) {
    SCOPED_TRACE(t.what);
    TestClient c;
    NtlmServer server(NtlmServerConfig{});
    auto neg = c.negotiate();
    auto chal = server.challenge(BV(neg));
    ASSERT_TRUE(chal);
    auto auth = c.authenticate(BV(neg), BV(*chal));
    t.apply(auth);
    auto r = server.authenticate(BV(auth), users("Alice", c.password));
    EXPECT_EQ(r.outcome, NtlmServer::Outcome::WrongPassword);
    EXPECT_FALSE(server.mic_present());
  }
  // The same message untampered passes (so the failures above are the MIC's).
  TestClient c;
  NtlmServer server(NtlmServerConfig{});
  auto neg = c.negotiate();
  auto chal = server.challenge(BV(neg));
  ASSERT_TRUE(chal);
  EXPECT_EQ(server.authenticate(BV(c.authenticate(BV(neg), BV(*chal))), users("Alice", c.password))
                .outcome,
            NtlmServer::Outcome::Authenticated);
  // And a NEGOTIATE other than the one the MIC covers fails it.
  TestClient c2;
  NtlmServer server2(NtlmServerConfig{});
  auto neg2 = c2.negotiate();
  auto chal2 = server2.challenge(BV(neg2));
  ASSERT_TRUE(chal2);
  auto neg_other = neg2;
  neg_other[39] ^= 0x01;  // Version byte
  EXPECT_EQ(server2.authenticate(BV(c2.authenticate(BV(neg_other), BV(*chal2))),
                                 users("Alice", c2.password))
                .outcome,
            NtlmServer::Outcome::WrongPassword);
}

}  // namespace
