// wire/utf16.h: UTF-16LE <-> UTF-8.
#include <gtest/gtest.h>

#include "../test_util.h"
#include "wire/utf16.h"

using namespace ringsmb::wire;
using ringsmb::testing::as_bytes;

namespace {

std::vector<uint8_t> le(std::initializer_list<uint16_t> units) {
  std::vector<uint8_t> out;
  for (uint16_t u : units) {
    out.push_back(static_cast<uint8_t>(u));
    out.push_back(static_cast<uint8_t>(u >> 8));
  }
  return out;
}

TEST(Utf16, AsciiRoundTrip) {
  auto u = utf8_to_utf16le("Hello\\World.txt");
  EXPECT_EQ(u, le({'H', 'e', 'l', 'l', 'o', '\\', 'W', 'o', 'r', 'l', 'd', '.', 't', 'x', 't'}));
  auto back = utf16le_to_utf8(as_bytes(u));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, "Hello\\World.txt");
}

TEST(Utf16, EmptyString) {
  EXPECT_TRUE(utf8_to_utf16le("").empty());
  auto r = utf16le_to_utf8({});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, "");
  EXPECT_EQ(utf16le_length(""), 0u);
}

TEST(Utf16, BmpCharacters) {
  // U+00C4 (2 UTF-8 bytes), U+20AC (3 bytes), U+FFFF boundary (3 bytes).
  const std::string s = "\xC3\x84\xE2\x82\xAC\xEF\xBF\xBF";
  auto u = utf8_to_utf16le(s);
  EXPECT_EQ(u, le({0x00C4, 0x20AC, 0xFFFF}));
  auto back = utf16le_to_utf8(as_bytes(u));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, s);
}

TEST(Utf16, SurrogatePairs) {
  // U+1F600 and U+10FFFF (the last code point) and U+10000 (the first).
  const std::string s = "\xF0\x9F\x98\x80" "a" "\xF4\x8F\xBF\xBF" "\xF0\x90\x80\x80";
  auto u = utf8_to_utf16le(s);
  EXPECT_EQ(u, le({0xD83D, 0xDE00, 'a', 0xDBFF, 0xDFFF, 0xD800, 0xDC00}));
  EXPECT_EQ(utf16le_length(s), u.size());
  auto back = utf16le_to_utf8(as_bytes(u));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, s);
}

TEST(Utf16, UnpairedSurrogatesRejected) {
  EXPECT_FALSE(utf16le_to_utf8(as_bytes(le({0xD83D}))));               // high at the end
  EXPECT_FALSE(utf16le_to_utf8(as_bytes(le({'a', 0xD83D}))));
  EXPECT_FALSE(utf16le_to_utf8(as_bytes(le({0xD83D, 'a'}))));          // high, then no low
  EXPECT_FALSE(utf16le_to_utf8(as_bytes(le({0xD83D, 0xD83D, 0xDE00}))));  // two highs
  EXPECT_FALSE(utf16le_to_utf8(as_bytes(le({0xDE00}))));               // lone low
  EXPECT_FALSE(utf16le_to_utf8(as_bytes(le({'x', 0xDC00, 'y'}))));
  EXPECT_FALSE(utf16le_to_utf8(as_bytes(le({0xDE00, 0xD83D}))));       // reversed pair
}

TEST(Utf16, OddByteCountRejected) {
  std::vector<uint8_t> odd = {'a', 0, 'b'};
  EXPECT_FALSE(utf16le_to_utf8(as_bytes(odd)));
  std::vector<uint8_t> one = {'a'};
  EXPECT_FALSE(utf16le_to_utf8(as_bytes(one)));
}

TEST(Utf16, EmbeddedNulKept) {
  auto r = utf16le_to_utf8(as_bytes(le({'a', 0, 'b'})));
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, std::string("a\0b", 3));
}

TEST(Utf16, EveryBmpNonSurrogateRoundTrips) {
  std::vector<uint8_t> all;
  for (uint32_t c = 1; c < 0x10000; ++c) {
    if (c >= 0xD800 && c <= 0xDFFF) continue;
    all.push_back(static_cast<uint8_t>(c));
    all.push_back(static_cast<uint8_t>(c >> 8));
  }
  auto s = utf16le_to_utf8(as_bytes(all));
  ASSERT_TRUE(s);
  EXPECT_EQ(utf8_to_utf16le(*s), all);
  EXPECT_EQ(utf16le_length(*s), all.size());
}

TEST(Utf16, InvalidUtf8BecomesReplacement) {
  // A lone continuation byte, a truncated sequence, a bad lead byte.
  EXPECT_EQ(utf8_to_utf16le("\x80"), le({0xFFFD}));
  EXPECT_EQ(utf8_to_utf16le("a\xC3"), le({'a', 0xFFFD}));
  EXPECT_EQ(utf8_to_utf16le("\xFF" "b"), le({0xFFFD, 'b'}));
  // A lead byte followed by a non-continuation: the next byte is kept.
  EXPECT_EQ(utf8_to_utf16le("\xE2(" "c"), le({0xFFFD, '(', 'c'}));
  // Encoded surrogates and values above U+10FFFF are not characters.
  EXPECT_EQ(utf8_to_utf16le("\xED\xA0\x80"), le({0xFFFD}));
  EXPECT_EQ(utf8_to_utf16le("\xF4\x90\x80\x80"), le({0xFFFD}));
  EXPECT_EQ(utf16le_length("\xED\xA0\x80"), 2u);
}

// Regression: overlong UTF-8 forms (invalid per RFC 3629 section 3) were
// decoded to the short code point, so "\xC0\xAF" compared equal to "/".
TEST(Utf16, OverlongFormsBecomeReplacement) {
  EXPECT_EQ(utf8_to_utf16le("\xC0\xAF"), le({0xFFFD}));
  EXPECT_EQ(utf8_to_utf16le("\xC0\x80"), le({0xFFFD}));
  EXPECT_EQ(utf8_to_utf16le("\xE0\x80\xAE"), le({0xFFFD}));
  EXPECT_EQ(utf8_to_utf16le("\xF0\x80\x80\xAF"), le({0xFFFD}));
}

TEST(Utf16, NextCodePointAdvances) {
  const std::string s = "a\xC3\x84\xE2\x82\xAC\xF0\x9F\x98\x80";
  size_t i = 0;
  EXPECT_EQ(next_code_point(s, i), U'a');
  EXPECT_EQ(i, 1u);
  EXPECT_EQ(next_code_point(s, i), U'\u00C4');
  EXPECT_EQ(i, 3u);
  EXPECT_EQ(next_code_point(s, i), U'\u20AC');
  EXPECT_EQ(i, 6u);
  EXPECT_EQ(next_code_point(s, i), U'\U0001F600');
  EXPECT_EQ(i, s.size());
  // A truncated sequence stops at the end of the string.
  std::string t = "\xF0\x9F";
  size_t j = 0;
  EXPECT_EQ(next_code_point(t, j), 0xFFFDu);
  EXPECT_LE(j, t.size());
}

TEST(Utf16, AppendReturnsBytesAppended) {
  std::vector<uint8_t> out = {9, 9};
  size_t n = append_utf16le(out, "ab\xF0\x9F\x98\x80");
  EXPECT_EQ(n, 8u);
  ASSERT_EQ(out.size(), 10u);
  EXPECT_EQ(out[0], 9);
  EXPECT_EQ(std::vector<uint8_t>(out.begin() + 2, out.end()), le({'a', 'b', 0xD83D, 0xDE00}));
  EXPECT_EQ(append_utf16le(out, ""), 0u);
  EXPECT_EQ(out.size(), 10u);
}

}  // namespace
