// wire/smb1.h (the multi-protocol NEGOTIATE) and wire/status.h.
#include <gtest/gtest.h>

#include "../test_util.h"
#include "wire/smb1.h"
#include "wire/smb2.h"
#include "wire/status.h"

using namespace ringsmb::wire;
using ringsmb::testing::as_bytes;

namespace {

// ---------------------------------------------------------------- SMB1

// SMB_COM_NEGOTIATE: 32-byte SMB header, WordCount 0, ByteCount, then
// 0x02-prefixed NUL-terminated dialect strings ([MS-CIFS] 2.2.4.52.1).
std::vector<uint8_t> smb1_negotiate(const std::vector<std::string>& dialects,
                                    uint8_t command = kSmb1ComNegotiate) {
  std::vector<uint8_t> m(32, 0);
  st32(m.data(), kSmb1ProtocolId);
  m[4] = command;
  m[9] = 0x18;  // Flags
  m.push_back(0);  // WordCount
  std::vector<uint8_t> bytes;
  for (const auto& d : dialects) {
    bytes.push_back(0x02);
    bytes.insert(bytes.end(), d.begin(), d.end());
    bytes.push_back(0);
  }
  m.push_back(static_cast<uint8_t>(bytes.size()));
  m.push_back(static_cast<uint8_t>(bytes.size() >> 8));
  m.insert(m.end(), bytes.begin(), bytes.end());
  return m;
}

TEST(Smb1Negotiate, WindowsDialectList) {
  std::vector<std::string> d = {"PC NETWORK PROGRAM 1.0", "LANMAN1.0", "NT LM 0.12",
                                "SMB 2.002", "SMB 2.???"};
  auto m = smb1_negotiate(d);
  auto r = parse_smb1_negotiate(as_bytes(m));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, d);
}

TEST(Smb1Negotiate, WordCountSkipped) {
  // A non-zero WordCount moves ByteCount along.
  auto m = smb1_negotiate({"NT LM 0.12"});
  std::vector<uint8_t> w(m.begin(), m.begin() + 32);
  w.push_back(2);
  w.insert(w.end(), {0xAA, 0xBB, 0xCC, 0xDD});
  w.insert(w.end(), m.begin() + 33, m.end());
  auto r = parse_smb1_negotiate(as_bytes(w));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0], "NT LM 0.12");
}

TEST(Smb1Negotiate, EmptyDialectString) {
  auto m = smb1_negotiate({"", "SMB 2.002"});
  auto r = parse_smb1_negotiate(as_bytes(m));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0], "");
  EXPECT_EQ((*r)[1], "SMB 2.002");
}

TEST(Smb1Negotiate, Malformed) {
  auto good = smb1_negotiate({"NT LM 0.12", "SMB 2.002"});
  ASSERT_TRUE(parse_smb1_negotiate(as_bytes(good)).ok());
  // Every truncation fails.
  for (size_t n = 0; n < good.size(); ++n) {
    std::vector<uint8_t> cut(good.begin(), good.begin() + static_cast<long>(n));
    EXPECT_FALSE(parse_smb1_negotiate(as_bytes(cut)).ok()) << n;
  }
  auto smb2 = good;
  st32(smb2.data(), kSmb2ProtocolId);
  EXPECT_EQ(parse_smb1_negotiate(as_bytes(smb2)).status(), status::INVALID_PARAMETER);
  auto other = smb1_negotiate({"NT LM 0.12"}, 0x73);  // SESSION_SETUP_ANDX
  EXPECT_EQ(parse_smb1_negotiate(as_bytes(other)).status(), status::NOT_SUPPORTED);
  auto fmt = good;
  fmt[35] = 0x03;  // BufferFormat of the first dialect
  EXPECT_FALSE(parse_smb1_negotiate(as_bytes(fmt)).ok());
  auto unterminated = good;
  unterminated.back() = '!';
  EXPECT_FALSE(parse_smb1_negotiate(as_bytes(unterminated)).ok());
  auto bc = good;
  st16(bc.data() + 33, static_cast<uint16_t>(good.size()));  // ByteCount too large
  EXPECT_FALSE(parse_smb1_negotiate(as_bytes(bc)).ok());
  auto wc = good;
  wc[32] = 0xFF;  // WordCount pointing past the end
  EXPECT_FALSE(parse_smb1_negotiate(as_bytes(wc)).ok());
}

TEST(Smb1Negotiate, TooManyDialectsRefused) {
  std::vector<std::string> d(64, "X");
  EXPECT_TRUE(parse_smb1_negotiate(as_bytes(smb1_negotiate(d))).ok());
  d.push_back("Y");
  EXPECT_FALSE(parse_smb1_negotiate(as_bytes(smb1_negotiate(d))).ok());
}

// -------------------------------------------------------------- NTSTATUS

TEST(Status, ValuesPerMsErref) {
  EXPECT_EQ(status::SUCCESS, 0x00000000u);
  EXPECT_EQ(status::PENDING, 0x00000103u);
  EXPECT_EQ(status::BUFFER_OVERFLOW, 0x80000005u);
  EXPECT_EQ(status::NO_MORE_FILES, 0x80000006u);
  EXPECT_EQ(status::INVALID_PARAMETER, 0xC000000Du);
  EXPECT_EQ(status::ACCESS_DENIED, 0xC0000022u);
  EXPECT_EQ(status::OBJECT_NAME_NOT_FOUND, 0xC0000034u);
  EXPECT_EQ(status::MORE_PROCESSING_REQUIRED, 0xC0000016u);
  EXPECT_EQ(status::LOGON_FAILURE, 0xC000006Du);
  EXPECT_EQ(status::NOT_SUPPORTED, 0xC00000BBu);
  EXPECT_EQ(status::USER_SESSION_DELETED, 0xC0000203u);
  EXPECT_EQ(status::NETWORK_NAME_DELETED, 0xC00000C9u);
}

TEST(Status, NamesOfKnownCodes) {
  EXPECT_EQ(status_name(status::SUCCESS), "STATUS_SUCCESS");
  EXPECT_EQ(status_name(status::ACCESS_DENIED), "STATUS_ACCESS_DENIED");
  EXPECT_EQ(status_name(0xC0000034), "STATUS_OBJECT_NAME_NOT_FOUND");
  EXPECT_EQ(status_name(status::FILE_TOO_LARGE), "STATUS_FILE_TOO_LARGE");
  EXPECT_EQ(status_name(status::EA_LIST_INCONSISTENT), "STATUS_EA_LIST_INCONSISTENT");
}

TEST(Status, NamesOfUnknownCodes) {
  EXPECT_EQ(status_name(0xC0001234), "0xC0001234");
  EXPECT_EQ(status_name(0x00000001), "0x00000001");
  EXPECT_EQ(status_name(0xFFFFFFFF), "0xFFFFFFFF");
  // The buffer is reused, but a copy taken first stays valid.
  std::string a(status_name(0xC0000999));
  std::string b(status_name(0xC0000998));
  EXPECT_EQ(a, "0xC0000999");
  EXPECT_EQ(b, "0xC0000998");
}

TEST(Status, FromName) {
  NtStatus s = 1;
  EXPECT_TRUE(status_from_name("STATUS_ACCESS_DENIED", &s));
  EXPECT_EQ(s, status::ACCESS_DENIED);
  EXPECT_TRUE(status_from_name("NO_MORE_FILES", &s));
  EXPECT_EQ(s, status::NO_MORE_FILES);
  EXPECT_TRUE(status_from_name("SUCCESS", &s));
  EXPECT_EQ(s, status::SUCCESS);
  s = 7;
  EXPECT_FALSE(status_from_name("STATUS_NO_SUCH_THING", &s));
  EXPECT_EQ(s, 0u);
  EXPECT_FALSE(status_from_name("", &s));
  EXPECT_FALSE(status_from_name("access_denied", &s));
}

TEST(Status, NameRoundTripsForEveryKnownCode) {
  const NtStatus all[] = {
#define X(name, value) value,
      RINGSMB_NTSTATUS_LIST(X)
#undef X
  };
  for (NtStatus v : all) {
    std::string n(status_name(v));
    ASSERT_TRUE(n.starts_with("STATUS_")) << n;
    NtStatus back = 0xDEAD;
    ASSERT_TRUE(status_from_name(n, &back)) << n;
    EXPECT_EQ(back, v) << n;
  }
}

TEST(Status, Severity) {
  EXPECT_TRUE(nt_success(status::SUCCESS));
  EXPECT_TRUE(nt_success(status::PENDING));
  EXPECT_FALSE(nt_error(status::SUCCESS));
  EXPECT_FALSE(nt_error(status::BUFFER_OVERFLOW));  // a warning, not an error
  EXPECT_TRUE(nt_error(status::ACCESS_DENIED));
  EXPECT_FALSE(nt_success(status::ACCESS_DENIED));
  EXPECT_TRUE(nt_error(0xC0000000));
}

}  // namespace
