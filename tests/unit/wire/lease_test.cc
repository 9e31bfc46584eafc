// Lease codecs of wire/lease.h: the create context in both versions, the
// response context, the break notification and the acknowledgment, laid
// out as MS-SMB2 2.2.13.2.8/10, 2.2.14.2.10/11, 2.2.23.2 and 2.2.24.2 say.
#include <gtest/gtest.h>

#include "../test_util.h"
#include "wire/lease.h"
#include "wire/smb2.h"

using namespace ringsmb::wire;
using ringsmb::testing::as_bytes;
using ringsmb::testing::Req;

namespace {

Guid guid_of(uint8_t first) {
  Guid g;
  for (int i = 0; i < 16; ++i) g.b[i] = static_cast<uint8_t>(first + i);
  return g;
}

std::vector<uint8_t> request_bytes(size_t size) {
  std::vector<uint8_t> d(size, 0);
  st_guid(d.data(), guid_of(1));
  st32(d.data() + 16, lease::READ | lease::HANDLE);
  st32(d.data() + 20, size == lease::kV2Size ? lease::FLAG_PARENT_LEASE_KEY_SET : 0);
  st64(d.data() + 24, 0);
  if (size == lease::kV2Size) {
    st_guid(d.data() + 32, guid_of(0x40));
    st16(d.data() + 48, 0x4711);
  }
  return d;
}

TEST(LeaseCodec, ParsesVersion1Request) {
  auto d = request_bytes(lease::kV1Size);
  auto q = parse_lease_request(as_bytes(d));
  ASSERT_TRUE(q);
  EXPECT_FALSE(q->v2);
  EXPECT_EQ(q->key, guid_of(1));
  EXPECT_EQ(q->state, lease::READ | lease::HANDLE);
  EXPECT_EQ(q->epoch, 0);
}

TEST(LeaseCodec, ParsesVersion2Request) {
  auto d = request_bytes(lease::kV2Size);
  auto q = parse_lease_request(as_bytes(d));
  ASSERT_TRUE(q);
  EXPECT_TRUE(q->v2);
  EXPECT_EQ(q->flags, lease::FLAG_PARENT_LEASE_KEY_SET);
  EXPECT_EQ(q->parent_key, guid_of(0x40));
  EXPECT_EQ(q->epoch, 0x4711);
}

TEST(LeaseCodec, RefusesOtherSizes) {
  for (size_t n : {0u, 16u, 31u, 33u, 51u, 53u, 64u}) {
    std::vector<uint8_t> d(n, 0);
    EXPECT_FALSE(parse_lease_request(as_bytes(d))) << n;
  }
}

TEST(LeaseCodec, EncodesResponsesOfBothVersions) {
  LeaseResponse r;
  r.key = guid_of(7);
  r.state = lease::ALL;
  r.flags = lease::FLAG_BREAK_IN_PROGRESS;
  auto v1 = encode_lease_response(r);
  ASSERT_EQ(v1.size(), lease::kV1Size);
  EXPECT_EQ(ld_guid(v1.data()), guid_of(7));
  EXPECT_EQ(ld32(v1.data() + 16), lease::ALL);
  EXPECT_EQ(ld32(v1.data() + 20), lease::FLAG_BREAK_IN_PROGRESS);
  EXPECT_EQ(ld64(v1.data() + 24), 0u);

  r.v2 = true;
  r.flags = lease::FLAG_PARENT_LEASE_KEY_SET;
  r.parent_key = guid_of(9);
  r.epoch = 3;
  auto v2 = encode_lease_response(r);
  ASSERT_EQ(v2.size(), lease::kV2Size);
  EXPECT_EQ(ld_guid(v2.data() + 32), guid_of(9));
  EXPECT_EQ(ld16(v2.data() + 48), 3);
  EXPECT_EQ(ld16(v2.data() + 50), 0);
}

TEST(LeaseCodec, ParentKeyOnlyWhenFlagged) {
  LeaseResponse r;
  r.v2 = true;
  r.parent_key = guid_of(9);
  auto v2 = encode_lease_response(r);
  EXPECT_TRUE(ld_guid(v2.data() + 32).is_zero());
}

TEST(LeaseCodec, EncodesBreakNotification) {
  Writer w;
  LeaseBreak b;
  b.new_epoch = 5;
  b.flags = lease::NOTIFY_ACK_REQUIRED;
  b.key = guid_of(3);
  b.current_state = lease::ALL;
  b.new_state = lease::READ | lease::HANDLE;
  encode_lease_break(w, b);
  ASSERT_EQ(w.size(), lease::kBreakNotificationSize);
  const uint8_t* p = w.data();
  EXPECT_EQ(ld16(p), 44);
  EXPECT_EQ(ld16(p + 2), 5);
  EXPECT_EQ(ld32(p + 4), lease::NOTIFY_ACK_REQUIRED);
  EXPECT_EQ(ld_guid(p + 8), guid_of(3));
  EXPECT_EQ(ld32(p + 24), lease::ALL);
  EXPECT_EQ(ld32(p + 28), lease::READ | lease::HANDLE);
  for (size_t i = 32; i < 44; ++i) EXPECT_EQ(p[i], 0) << i;
}

TEST(LeaseCodec, AckRoundTrips) {
  Req r(static_cast<uint16_t>(Command::OplockBreak));
  r.w().zeros(lease::kAckSize);
  r.put16(0, 36);
  st_guid(r.w().data() + Req::body(8), guid_of(0x20));
  r.put32(24, lease::READ);
  auto bytes = r.bytes();
  auto a = parse_lease_break_ack(as_bytes(bytes));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->key, guid_of(0x20));
  EXPECT_EQ(a->state, lease::READ);

  Writer w;
  encode_lease_break_response(w, *a);
  ASSERT_EQ(w.size(), lease::kAckSize);
  EXPECT_TRUE(std::equal(w.data(), w.data() + w.size(), bytes.begin() + kHeaderSize));
}

TEST(LeaseCodec, AckRefusesTruncationAndOtherSizes) {
  Req r(static_cast<uint16_t>(Command::OplockBreak));
  r.w().zeros(lease::kAckSize);
  r.put16(0, 24);
  auto bytes = r.bytes();
  EXPECT_FALSE(parse_lease_break_ack(as_bytes(bytes)));
  r.put16(0, 36);
  bytes = r.bytes();
  for (size_t n = 0; n < bytes.size(); ++n) {
    std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + n);
    EXPECT_FALSE(parse_lease_break_ack(as_bytes(cut))) << n;
  }
}

}  // namespace
