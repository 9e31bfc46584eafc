// wire/header.h beyond the basic round trip: async headers, flags helpers,
// the signature field, and the three ways parse_header fails.
#include <gtest/gtest.h>

#include <cstring>

#include "wire/header.h"

using namespace ringsmb::wire;

namespace {

TEST(HeaderMore, AsyncRoundTripAndLayout) {
  Header h;
  h.command = 15;  // CHANGE_NOTIFY, answered async
  h.flags = flags::SERVER_TO_REDIR | flags::ASYNC_COMMAND;
  h.status = status::PENDING;
  h.async_id = 0x0102030405060708ull;
  h.tree_id = 99;  // not encoded for async headers
  h.session_id = 0x1122334455667788ull;
  h.next_command = 128;
  for (int i = 0; i < 16; ++i) h.signature[i] = static_cast<uint8_t>(0xA0 + i);
  uint8_t b[64];
  std::memset(b, 0xCC, sizeof(b));
  encode_header(b, h);
  EXPECT_EQ(ld32(b), kSmb2ProtocolId);
  EXPECT_EQ(b[0], 0xFE);
  EXPECT_EQ(ld16(b + 4), 64);
  EXPECT_EQ(ld32(b + 8), status::PENDING);
  EXPECT_EQ(ld16(b + 12), 15);
  EXPECT_EQ(ld32(b + 20), 128u);
  EXPECT_EQ(ld64(b + 32), h.async_id);  // AsyncId replaces Reserved + TreeId
  EXPECT_EQ(ld64(b + 40), h.session_id);
  EXPECT_EQ(b[48], 0xA0);
  EXPECT_EQ(b[63], 0xAF);
  auto r = parse_header(Bytes(b, 64));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->is_async());
  EXPECT_EQ(r->async_id, h.async_id);
  EXPECT_EQ(r->tree_id, 0u);
  EXPECT_EQ(r->status, status::PENDING);
  EXPECT_EQ(r->next_command, 128u);
  EXPECT_EQ(std::memcmp(r->signature, h.signature, 16), 0);
}

TEST(HeaderMore, SyncHeaderZeroesReserved) {
  Header h;
  h.tree_id = 0xDEADBEEF;
  uint8_t b[64];
  std::memset(b, 0xCC, sizeof(b));
  encode_header(b, h);
  EXPECT_EQ(ld32(b + 32), 0u);  // Reserved
  EXPECT_EQ(ld32(b + 36), 0xDEADBEEFu);
  auto r = parse_header(Bytes(b, 64));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->is_async());
  EXPECT_EQ(r->tree_id, 0xDEADBEEFu);
  EXPECT_EQ(r->async_id, 0u);
}

TEST(HeaderMore, FlagHelpers) {
  Header h;
  EXPECT_FALSE(h.is_related());
  EXPECT_FALSE(h.is_signed());
  h.flags = flags::RELATED_OPERATIONS | flags::SIGNED;
  EXPECT_TRUE(h.is_related());
  EXPECT_TRUE(h.is_signed());
  EXPECT_FALSE(h.is_async());
  h.status = 0xABCD0007;  // 3.x requests: ChannelSequence in the low 16 bits
  EXPECT_EQ(h.channel_sequence(), 0x0007);
}

TEST(HeaderMore, ParseFailures) {
  Header h;
  uint8_t b[64];
  encode_header(b, h);
  for (size_t n = 0; n < 64; ++n) {
    EXPECT_FALSE(parse_header(Bytes(b, n)).ok()) << n;
  }
  uint8_t smb1[64];
  std::memcpy(smb1, b, 64);
  smb1[0] = 0xFF;
  EXPECT_EQ(parse_header(Bytes(smb1, 64)).status(), status::INVALID_PARAMETER);
  uint8_t tf[64];
  std::memcpy(tf, b, 64);
  tf[0] = 0xFD;
  EXPECT_FALSE(parse_header(Bytes(tf, 64)).ok());
  uint8_t ss[64];
  std::memcpy(ss, b, 64);
  st16(ss + 4, 65);
  EXPECT_FALSE(parse_header(Bytes(ss, 64)).ok());
  // Longer input is fine: only the first 64 bytes are the header.
  uint8_t longer[100] = {};
  std::memcpy(longer, b, 64);
  EXPECT_TRUE(parse_header(Bytes(longer, 100)).ok());
}

TEST(HeaderMore, ResultHoldsValueOrStatus) {
  Result<int> ok = 5;
  EXPECT_TRUE(ok.ok());
  EXPECT_TRUE(static_cast<bool>(ok));
  EXPECT_EQ(ok.status(), status::SUCCESS);
  EXPECT_EQ(*ok, 5);
  Result<int> bad = Err{status::ACCESS_DENIED};
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.status(), status::ACCESS_DENIED);
}

}  // namespace
