// auth/der.h: the TLV reader and the nesting writer (X.690 definite
// lengths, short and long form).
#include <gtest/gtest.h>

#include <vector>

#include "auth/der.h"

namespace der = ringsmb::auth::der;

namespace {

der::Bytes B(const std::vector<uint8_t>& v) { return {v.data(), v.size()}; }

TEST(DerRead, ShortForm) {
  std::vector<uint8_t> in = {0x04, 0x03, 'a', 'b', 'c', 0x05, 0x00};
  der::Bytes b = B(in);
  auto t = der::read(b);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->tag, 0x04);
  ASSERT_EQ(t->value.size(), 3u);
  EXPECT_EQ(t->value[0], 'a');
  EXPECT_EQ(t->value.data(), in.data() + 2);
  // Advanced past the element: the NULL follows.
  ASSERT_EQ(b.size(), 2u);
  auto n = der::read(b);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->tag, 0x05);
  EXPECT_TRUE(n->value.empty());
  EXPECT_TRUE(b.empty());
}

TEST(DerRead, LongForms) {
  for (size_t len : {size_t{128}, size_t{200}, size_t{255}, size_t{256}, size_t{1000},
                     size_t{65535}, size_t{65536}, size_t{70000}}) {
    std::vector<uint8_t> in = {0x04};
    if (len < 256) {
      in.insert(in.end(), {0x81, static_cast<uint8_t>(len)});
    } else if (len < 65536) {
      in.insert(in.end(), {0x82, static_cast<uint8_t>(len >> 8), static_cast<uint8_t>(len)});
    } else {
      in.insert(in.end(), {0x83, static_cast<uint8_t>(len >> 16), static_cast<uint8_t>(len >> 8),
                           static_cast<uint8_t>(len)});
    }
    size_t hdr = in.size();
    in.resize(hdr + len, 0x5A);
    in.push_back(0xEE);  // one byte after the element
    der::Bytes b = B(in);
    auto t = der::read(b);
    ASSERT_TRUE(t) << len;
    EXPECT_EQ(t->value.size(), len);
    EXPECT_EQ(t->value.data(), in.data() + hdr);
    ASSERT_EQ(b.size(), 1u);
    EXPECT_EQ(b[0], 0xEE);
  }
}

TEST(DerRead, NonMinimalLongFormAccepted) {
  // BER allows 0x81 0x05 for a length of 5; clients do send such lengths.
  std::vector<uint8_t> in = {0x30, 0x81, 0x05, 1, 2, 3, 4, 5};
  der::Bytes b = B(in);
  auto t = der::read(b);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->value.size(), 5u);
}

TEST(DerRead, Truncated) {
  const std::vector<std::vector<uint8_t>> bad = {
      {},
      {0x04},                    // tag only
      {0x04, 0x03, 'a', 'b'},    // value short
      {0x04, 0x81},              // long form, length bytes missing
      {0x04, 0x82, 0x01},        // one of two length bytes
      {0x04, 0x81, 0x80},        // 128 announced, none there
      {0x04, 0x82, 0x01, 0x00, 0x00},
  };
  for (const auto& v : bad) {
    der::Bytes b = B(v);
    EXPECT_FALSE(der::read(b)) << v.size();
    EXPECT_EQ(b.size(), v.size()) << "input consumed on failure";
  }
}

TEST(DerRead, IndefiniteAndOversizedLengthsRefused) {
  std::vector<uint8_t> indefinite = {0x30, 0x80, 0x04, 0x00, 0x00, 0x00};
  der::Bytes b = B(indefinite);
  EXPECT_FALSE(der::read(b));
  // Four length bytes: beyond the 16 MiB limit by construction.
  std::vector<uint8_t> four = {0x04, 0x84, 0x00, 0x00, 0x00, 0x01, 0xAA};
  b = B(four);
  EXPECT_FALSE(der::read(b));
  std::vector<uint8_t> huge = {0x04, 0x83, 0xFF, 0xFF, 0xFF, 0x00};
  b = B(huge);
  EXPECT_FALSE(der::read(b));
}

TEST(DerExpect, TagChecked) {
  std::vector<uint8_t> in = {0x06, 0x02, 0x2B, 0x06, 0x04, 0x01, 0x7F};
  der::Bytes b = B(in);
  EXPECT_FALSE(der::expect(b, der::kOctetString));
  der::Bytes c = B(in);
  auto oid = der::expect(c, der::kOid);
  ASSERT_TRUE(oid);
  EXPECT_EQ(oid->size(), 2u);
  auto os = der::expect(c, der::kOctetString);
  ASSERT_TRUE(os);
  EXPECT_EQ((*os)[0], 0x7F);
  EXPECT_TRUE(c.empty());
  EXPECT_FALSE(der::expect(c, der::kOctetString));
}

TEST(DerWriter, ShortLengths) {
  der::Writer w;
  std::vector<uint8_t> v = {1, 2, 3};
  w.tlv(der::kOctetString, B(v));
  auto out = w.take();
  EXPECT_EQ(out, (std::vector<uint8_t>{0x04, 0x03, 1, 2, 3}));
}

TEST(DerWriter, BoundaryAt127And128) {
  for (size_t len : {size_t{0}, size_t{127}, size_t{128}, size_t{255}, size_t{256}}) {
    der::Writer w;
    std::vector<uint8_t> v(len, 0x11);
    w.tlv(der::kOctetString, B(v));
    auto out = w.take();
    if (len < 128) {
      ASSERT_EQ(out.size(), 2 + len);
      EXPECT_EQ(out[1], len);
    } else if (len < 256) {
      ASSERT_EQ(out.size(), 3 + len);
      EXPECT_EQ(out[1], 0x81);
      EXPECT_EQ(out[2], len);
    } else {
      ASSERT_EQ(out.size(), 4 + len);
      EXPECT_EQ(out[1], 0x82);
      EXPECT_EQ(out[2], len >> 8);
      EXPECT_EQ(out[3], len & 0xFF);
    }
    der::Bytes b = B(out);
    auto t = der::read(b);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->value.size(), len);
    EXPECT_TRUE(b.empty());
  }
}

TEST(DerWriter, NestingProducesCorrectLongLengths) {
  // SEQUENCE { [0] { OCTET STRING (300 bytes) }, OCTET STRING (200 bytes) }
  std::vector<uint8_t> big(300, 0xAB), mid(200, 0xCD);
  der::Writer w;
  w.begin(der::kSequence);
  w.begin(der::context(0));
  w.tlv(der::kOctetString, B(big));
  w.end();
  w.tlv(der::kOctetString, B(mid));
  w.end();
  auto out = w.take();
  // Inner OCTET STRING: 4 + 300 = 304; [0]: 4 + 304 = 308; second: 3 + 200 =
  // 203; SEQUENCE content 511, with its header 515.
  ASSERT_EQ(out.size(), 515u);
  EXPECT_EQ(out[0], 0x30);
  EXPECT_EQ(out[1], 0x82);
  EXPECT_EQ((out[2] << 8) | out[3], 511);
  EXPECT_EQ(out[4], 0xA0);
  EXPECT_EQ(out[5], 0x82);
  EXPECT_EQ((out[6] << 8) | out[7], 304);
  EXPECT_EQ(out[8], 0x04);
  EXPECT_EQ(out[9], 0x82);
  EXPECT_EQ((out[10] << 8) | out[11], 300);

  der::Bytes b = B(out);
  auto seq = der::expect(b, der::kSequence);
  ASSERT_TRUE(seq);
  EXPECT_TRUE(b.empty());
  der::Bytes s = *seq;
  auto ctx = der::expect(s, der::context(0));
  ASSERT_TRUE(ctx);
  der::Bytes c = *ctx;
  auto inner = der::expect(c, der::kOctetString);
  ASSERT_TRUE(inner);
  EXPECT_EQ(inner->size(), 300u);
  EXPECT_EQ((*inner)[299], 0xAB);
  auto second = der::expect(s, der::kOctetString);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->size(), 200u);
  EXPECT_EQ((*second)[0], 0xCD);
  EXPECT_TRUE(s.empty());
}

TEST(DerWriter, DeepNestingAndThreeByteLength) {
  std::vector<uint8_t> payload(70000, 0x42);
  der::Writer w;
  for (int i = 0; i < 5; ++i) w.begin(der::context(static_cast<uint8_t>(i)));
  w.raw(B(payload));
  for (int i = 0; i < 5; ++i) w.end();
  auto out = w.take();
  der::Bytes b = B(out);
  for (int i = 0; i < 5; ++i) {
    auto t = der::read(b);
    ASSERT_TRUE(t) << i;
    EXPECT_EQ(t->tag, der::context(static_cast<uint8_t>(i)));
    EXPECT_TRUE(b.empty());
    b = t->value;
  }
  EXPECT_EQ(b.size(), payload.size());
  EXPECT_EQ(out[1], 0x83);  // the outermost needs three length bytes
}

TEST(DerTags, ContextTags) {
  EXPECT_EQ(der::context(0), 0xA0);
  EXPECT_EQ(der::context(3), 0xA3);
}

}  // namespace
