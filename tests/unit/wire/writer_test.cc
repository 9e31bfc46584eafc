// wire/writer.h and wire/le.h: the byte writer and little-endian helpers
// every encoder is built on.
#include <gtest/gtest.h>

#include "../test_util.h"
#include "wire/le.h"
#include "wire/writer.h"

using namespace ringsmb::wire;

namespace {

TEST(LittleEndian, LoadsAndStores) {
  uint8_t b[8];
  st16(b, 0x1234);
  EXPECT_EQ(b[0], 0x34);
  EXPECT_EQ(b[1], 0x12);
  EXPECT_EQ(ld16(b), 0x1234);
  st32(b, 0xA1B2C3D4);
  EXPECT_EQ(b[0], 0xD4);
  EXPECT_EQ(b[3], 0xA1);
  EXPECT_EQ(ld32(b), 0xA1B2C3D4u);
  EXPECT_EQ(ld_be32(b), 0xD4C3B2A1u);
  st64(b, 0x0102030405060708ull);
  EXPECT_EQ(b[0], 0x08);
  EXPECT_EQ(b[7], 0x01);
  EXPECT_EQ(ld64(b), 0x0102030405060708ull);
}

TEST(Reader, BoundsChecks) {
  std::vector<uint8_t> v(10, 0);
  Reader r(Bytes(v.data(), v.size()));
  EXPECT_TRUE(r.has(0, 10));
  EXPECT_TRUE(r.has(10, 0));
  EXPECT_FALSE(r.has(0, 11));
  EXPECT_FALSE(r.has(11, 0));
  EXPECT_FALSE(r.has(5, ~size_t{0}));  // no overflow on huge lengths
  EXPECT_FALSE(r.has(~size_t{0}, 1));
}

TEST(Guid, ZeroAndCopy) {
  Guid g;
  EXPECT_TRUE(g.is_zero());
  uint8_t b[16];
  for (int i = 0; i < 16; ++i) b[i] = static_cast<uint8_t>(i);
  Guid h = ld_guid(b);
  EXPECT_FALSE(h.is_zero());
  uint8_t out[16] = {};
  st_guid(out, h);
  EXPECT_EQ(std::memcmp(out, b, 16), 0);
  EXPECT_EQ(h, ld_guid(out));
}

TEST(Writer, ZerosAppendAlignPut) {
  Writer w;
  EXPECT_EQ(w.zeros(3), 0u);
  EXPECT_EQ(w.size(), 3u);
  const uint8_t x[] = {9, 8, 7};
  EXPECT_EQ(w.append(x, 3), 3u);
  w.align(8);
  EXPECT_EQ(w.size(), 8u);
  w.align(8);
  EXPECT_EQ(w.size(), 8u);  // already aligned: nothing added
  w.put16(0, 0xBEEF);
  w.put32(4, 0x11223344);
  EXPECT_EQ(ld16(w.data()), 0xBEEF);
  EXPECT_EQ(w.data()[2], 0);
  EXPECT_EQ(ld32(w.data() + 4), 0x11223344u);
  w.u8(0x55);
  w.u16(0x6677);
  w.u32(0x8899AABB);
  w.u64(0x0102030405060708ull);
  ASSERT_EQ(w.size(), 8u + 1 + 2 + 4 + 8);
  EXPECT_EQ(w.data()[8], 0x55);
  EXPECT_EQ(ld16(w.data() + 9), 0x6677);
  EXPECT_EQ(ld32(w.data() + 11), 0x8899AABBu);
  EXPECT_EQ(ld64(w.data() + 15), 0x0102030405060708ull);
  EXPECT_EQ(w.append(nullptr, 0), 23u);
  w.clear();
  EXPECT_EQ(w.size(), 0u);
}

// Regression: u16/u32/u64 once computed `buf_.data() + zeros(n)`, whose
// operands are unsequenced; GCC took data() before zeros() reallocated and
// the value was written into the freed buffer (heap use-after-free).
TEST(Writer, ScalarAppendsSurviveGrowth) {
  for (int width : {2, 4, 8}) {
    Writer w(16);
    w.zeros(w.vec().capacity());  // full: the next append must reallocate
    size_t at = w.size();
    switch (width) {
      case 2: w.u16(0xABCD); break;
      case 4: w.u32(0xABCDEF01); break;
      default: w.u64(0xABCDEF0123456789ull); break;
    }
    ASSERT_EQ(w.size(), at + width);
    switch (width) {
      case 2: EXPECT_EQ(ld16(w.data() + at), 0xABCD); break;
      case 4: EXPECT_EQ(ld32(w.data() + at), 0xABCDEF01u); break;
      default: EXPECT_EQ(ld64(w.data() + at), 0xABCDEF0123456789ull); break;
    }
  }
}

TEST(Writer, ScalarAppendsWithinCapacity) {
  Writer w(64);
  for (uint16_t i = 0; i < 8; ++i) w.u16(static_cast<uint16_t>(0x100 + i));
  for (uint16_t i = 0; i < 8; ++i) EXPECT_EQ(ld16(w.data() + 2 * i), 0x100 + i);
}

TEST(Writer, AppendAcrossGrowthKeepsBytes) {
  Writer w(4);
  std::vector<uint8_t> big(1000);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<uint8_t>(i);
  w.zeros(3);
  EXPECT_EQ(w.append(Bytes(big.data(), big.size())), 3u);
  ASSERT_EQ(w.size(), 1003u);
  EXPECT_EQ(std::memcmp(w.data() + 3, big.data(), big.size()), 0);
}

}  // namespace
