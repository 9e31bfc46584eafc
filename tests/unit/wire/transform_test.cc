// wire/transform.h: the SMB2 TRANSFORM_HEADER (MS-SMB2 2.2.41).
#include <gtest/gtest.h>

#include <vector>

#include "wire/smb2.h"
#include "wire/transform.h"

using namespace ringsmb::wire;

namespace {

std::vector<uint8_t> frame(size_t payload, uint16_t flags = TRANSFORM_FLAG_ENCRYPTED) {
  std::vector<uint8_t> f(kTransformHeaderSize + payload, 0x5A);
  TransformHeader h;
  for (int i = 0; i < 16; ++i) {
    h.signature[i] = static_cast<uint8_t>(0x10 + i);
    h.nonce[i] = static_cast<uint8_t>(0x80 + i);
  }
  h.original_size = static_cast<uint32_t>(payload);
  h.flags = flags;
  h.session_id = 0x0000400000000011ull;
  encode_transform(f.data(), h);
  return f;
}

TEST(Transform, LayoutAndRoundTrip) {
  auto f = frame(100);
  EXPECT_EQ(f[0], 0xFD);
  EXPECT_EQ(ld32(f.data()), kTransformProtocolId);
  EXPECT_EQ(f[4], 0x10);        // Signature
  EXPECT_EQ(f[20], 0x80);       // Nonce
  EXPECT_EQ(ld32(f.data() + 36), 100u);  // OriginalMessageSize
  EXPECT_EQ(ld16(f.data() + 40), 0);     // Reserved
  EXPECT_EQ(ld16(f.data() + 42), TRANSFORM_FLAG_ENCRYPTED);
  EXPECT_EQ(ld64(f.data() + 44), 0x0000400000000011ull);
  EXPECT_EQ(kTransformAadOffset, 20u);  // AAD = Nonce .. SessionId
  auto r = parse_transform(Bytes(f.data(), f.size()));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->original_size, 100u);
  EXPECT_EQ(r->flags, TRANSFORM_FLAG_ENCRYPTED);
  EXPECT_EQ(r->session_id, 0x0000400000000011ull);
  EXPECT_EQ(r->signature[15], 0x1F);
  EXPECT_EQ(r->nonce[15], 0x8F);
}

TEST(Transform, Refused) {
  // Shorter than header + an SMB2 header.
  auto small = frame(63);
  EXPECT_FALSE(parse_transform(Bytes(small.data(), small.size())).ok());
  auto ok = frame(64);
  EXPECT_TRUE(parse_transform(Bytes(ok.data(), ok.size())).ok());
  for (size_t n = 0; n < ok.size(); ++n) {
    std::vector<uint8_t> cut(ok.begin(), ok.begin() + static_cast<long>(n));
    EXPECT_FALSE(parse_transform(Bytes(cut.data(), cut.size())).ok()) << n;
  }
  auto smb2 = frame(80);
  smb2[0] = 0xFE;
  EXPECT_FALSE(parse_transform(Bytes(smb2.data(), smb2.size())).ok());
  auto noflag = frame(80, 0);
  EXPECT_FALSE(parse_transform(Bytes(noflag.data(), noflag.size())).ok());
  auto size = frame(80);
  st32(size.data() + 36, 81);
  EXPECT_FALSE(parse_transform(Bytes(size.data(), size.size())).ok());
  st32(size.data() + 36, 0xFFFFFFFF);
  EXPECT_FALSE(parse_transform(Bytes(size.data(), size.size())).ok());
  auto extra = frame(80);
  extra.push_back(0);  // one byte more than OriginalMessageSize says
  EXPECT_FALSE(parse_transform(Bytes(extra.data(), extra.size())).ok());
}

}  // namespace
