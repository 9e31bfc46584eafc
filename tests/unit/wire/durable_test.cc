// Durable handle contexts of wire/durable.h, laid out as MS-SMB2
// 2.2.13.2.3/4/11/12 and 2.2.14.2.3/12 say.
#include <gtest/gtest.h>

#include "../test_util.h"
#include "wire/durable.h"

using namespace ringsmb::wire;
using ringsmb::testing::as_bytes;

namespace {

Guid guid_of(uint8_t first) {
  Guid g;
  for (int i = 0; i < 16; ++i) g.b[i] = static_cast<uint8_t>(first + i);
  return g;
}

TEST(DurableCodec, V2Request) {
  std::vector<uint8_t> d(32, 0xEE);
  st32(d.data(), 300000);
  st32(d.data() + 4, durable::FLAG_PERSISTENT);
  st_guid(d.data() + 16, guid_of(5));
  auto q = parse_durable_v2_request(as_bytes(d));
  ASSERT_TRUE(q);
  EXPECT_EQ(q->timeout_ms, 300000u);
  EXPECT_EQ(q->flags, durable::FLAG_PERSISTENT);
  EXPECT_EQ(q->create_guid, guid_of(5));
  d.pop_back();
  EXPECT_FALSE(parse_durable_v2_request(as_bytes(d)));
}

TEST(DurableCodec, Reconnects) {
  std::vector<uint8_t> v1(16, 0);
  st_file_id(v1.data(), {1, 2});
  auto a = parse_durable_reconnect(as_bytes(v1));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->file_id, (FileId{1, 2}));
  EXPECT_TRUE(a->create_guid.is_zero());

  std::vector<uint8_t> v2(36, 0);
  st_file_id(v2.data(), {3, 4});
  st_guid(v2.data() + 16, guid_of(9));
  st32(v2.data() + 32, durable::FLAG_PERSISTENT);
  auto b = parse_durable_v2_reconnect(as_bytes(v2));
  ASSERT_TRUE(b);
  EXPECT_EQ(b->file_id, (FileId{3, 4}));
  EXPECT_EQ(b->create_guid, guid_of(9));
  EXPECT_EQ(b->flags, durable::FLAG_PERSISTENT);

  EXPECT_FALSE(parse_durable_reconnect(as_bytes(v2)));
  EXPECT_FALSE(parse_durable_v2_reconnect(as_bytes(v1)));
}

TEST(DurableCodec, V1RequestAndResponses) {
  std::vector<uint8_t> d(16, 0);
  EXPECT_TRUE(valid_durable_v1_request(as_bytes(d)));
  d.resize(15);
  EXPECT_FALSE(valid_durable_v1_request(as_bytes(d)));
  EXPECT_EQ(encode_durable_response(), std::vector<uint8_t>(8, 0));
  auto r = encode_durable_v2_response(60000, 0);
  ASSERT_EQ(r.size(), 8u);
  EXPECT_EQ(ld32(r.data()), 60000u);
  EXPECT_EQ(ld32(r.data() + 4), 0u);
}

}  // namespace
