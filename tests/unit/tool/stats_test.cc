// The pure helpers behind ringsmb bench: latency histogram, percentiles,
// size parsing, JSON escaping.
#include "tool/stats.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>

namespace ringsmb::tool {
namespace {

constexpr uint64_t kUs = 1000;
constexpr uint64_t kMs = 1000 * kUs;

TEST(LatencyHistogram, EmptyReadsZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.mean(), 0);
  EXPECT_EQ(h.quantile(0.5), 0);
  EXPECT_EQ(h.quantile(0.999), 0);
}

TEST(LatencyHistogram, OneValueIsEveryQuantile) {
  for (uint64_t v : {uint64_t{0}, 1234 * kUs / 1000, 777 * kUs, 3 * kMs + 17, 90'000 * kMs}) {
    LatencyHistogram h;
    h.record(v);
    EXPECT_EQ(h.quantile(0), static_cast<double>(v)) << v;
    EXPECT_EQ(h.quantile(0.5), static_cast<double>(v)) << v;
    EXPECT_EQ(h.quantile(1), static_cast<double>(v)) << v;
  }
}

TEST(LatencyHistogram, BucketsTileTheRange) {
  // Every bucket starts where the previous ended, 1 us wide below 1 ms and
  // at most about 1% wide above.
  const size_t n = LatencyHistogram::bucket_count();
  ASSERT_GT(n, 1000u);
  EXPECT_EQ(LatencyHistogram::bucket_low(0), 0u);
  for (size_t i = 0; i + 1 < n; ++i) {
    uint64_t lo = LatencyHistogram::bucket_low(i), hi = LatencyHistogram::bucket_high(i);
    ASSERT_LT(lo, hi) << i;
    ASSERT_EQ(hi, LatencyHistogram::bucket_low(i + 1)) << i;
    if (lo < kMs) {
      ASSERT_EQ(hi - lo, kUs) << i;
    } else {
      ASSERT_LE(static_cast<double>(hi - lo), static_cast<double>(lo) * 0.0101 + 1) << i;
    }
    ASSERT_EQ(LatencyHistogram::bucket_of(lo), i);
    ASSERT_EQ(LatencyHistogram::bucket_of(hi - 1), i);
  }
  EXPECT_EQ(LatencyHistogram::bucket_of(UINT64_MAX), n - 1);
  EXPECT_GE(LatencyHistogram::bucket_low(n - 1), 1000ull * 1000 * kMs);  // reaches 1000 s
}

TEST(LatencyHistogram, LinearRangeIsMicrosecondExact) {
  LatencyHistogram h;
  for (uint64_t us = 1; us <= 1000; ++us) h.record(us * kUs - 1);  // 0.999 .. 999.999 us
  EXPECT_EQ(h.count(), 1000u);
  // Nearest rank: the 500th value is 499.999 us, in bucket [499, 500) us.
  EXPECT_NEAR(h.quantile(0.5), 499.5 * kUs, 0.5 * kUs);
  EXPECT_NEAR(h.quantile(0.99), 989.5 * kUs, 0.5 * kUs);
  EXPECT_NEAR(h.quantile(0.999), 998.5 * kUs, 0.5 * kUs);
  EXPECT_EQ(h.quantile(1.0), static_cast<double>(1000 * kUs - 1));  // clamped to the max
  EXPECT_EQ(h.quantile(0.0), static_cast<double>(kUs - 1));         // clamped to the min
  EXPECT_NEAR(h.mean(), 500.5 * kUs - 1, 1e-6);
}

TEST(LatencyHistogram, LogRangeWithinOnePercent) {
  // 10000 values spread from 1 ms to 10 s geometrically.
  LatencyHistogram h;
  std::vector<double> vals;
  for (int i = 0; i < 10000; ++i) {
    double v = 1e6 * std::pow(1e4, i / 9999.0);
    vals.push_back(std::floor(v));
    h.record(static_cast<uint64_t>(v));
  }
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    double exact = vals[static_cast<size_t>(std::ceil(q * 10000)) - 1];
    EXPECT_NEAR(h.quantile(q), exact, exact * 0.01) << q;
  }
}

TEST(LatencyHistogram, QuantilesOfASkewedMix) {
  // 990 fast ops at 50 us, 9 at 2 ms, 1 at 100 ms.
  LatencyHistogram h;
  for (int i = 0; i < 990; ++i) h.record(50 * kUs + 300);
  for (int i = 0; i < 9; ++i) h.record(2 * kMs);
  h.record(100 * kMs);
  EXPECT_NEAR(h.quantile(0.5), 50.5 * kUs, 1);
  EXPECT_NEAR(h.quantile(0.99), 50.5 * kUs, 1);  // rank 990 is still fast
  EXPECT_NEAR(h.quantile(0.995), 2.0 * kMs, 0.01 * 2 * kMs);
  EXPECT_NEAR(h.quantile(0.999), 2.0 * kMs, 0.01 * 2 * kMs);
  EXPECT_EQ(h.quantile(1.0), static_cast<double>(100 * kMs));
  EXPECT_EQ(h.max(), 100 * kMs);
  EXPECT_EQ(h.min(), 50 * kUs + 300);
}

TEST(LatencyHistogram, MergeEqualsRecordingTogether) {
  LatencyHistogram a, b, all;
  for (uint64_t i = 0; i < 5000; ++i) {
    uint64_t v = (i * 7919) % (20 * kMs);
    (i % 3 ? a : b).record(v);
    all.record(v);
  }
  LatencyHistogram m;
  m.merge(a);
  m.merge(b);
  EXPECT_EQ(m.count(), all.count());
  EXPECT_EQ(m.min(), all.min());
  EXPECT_EQ(m.max(), all.max());
  EXPECT_DOUBLE_EQ(m.mean(), all.mean());
  for (double q : {0.0, 0.25, 0.5, 0.99, 0.999, 1.0}) EXPECT_EQ(m.quantile(q), all.quantile(q)) << q;
  // Merging an empty one changes nothing.
  m.merge(LatencyHistogram{});
  EXPECT_EQ(m.min(), all.min());
  EXPECT_EQ(m.count(), all.count());
}

TEST(ParseSize, NumbersAndUnits) {
  EXPECT_EQ(parse_size("0"), 0u);
  EXPECT_EQ(parse_size("4096"), 4096u);
  EXPECT_EQ(parse_size("4096b"), 4096u);
  EXPECT_EQ(parse_size("4K"), 4096u);
  EXPECT_EQ(parse_size("4k"), 4096u);
  EXPECT_EQ(parse_size("4KiB"), 4096u);
  EXPECT_EQ(parse_size("4kb"), 4096u);
  EXPECT_EQ(parse_size("8M"), 8u << 20);
  EXPECT_EQ(parse_size("1G"), 1ull << 30);
  EXPECT_EQ(parse_size("3g"), 3ull << 30);
  EXPECT_EQ(parse_size("2T"), 2ull << 40);
  EXPECT_EQ(parse_size("18446744073709551615"), UINT64_MAX);
}

TEST(ParseSize, Rejects) {
  for (const char* s : {"", "K", "-1", "1.5G", "1 G", "1X", "1Kx", "1KiBs", "0x10", " 1",
                        "18446744073709551616", "17179869184G"}) {
    EXPECT_FALSE(parse_size(s).has_value()) << s;
  }
}

TEST(Json, Escape) {
  EXPECT_EQ(json_escape("plain smb://h:445/share"), "plain smb://h:445/share");
  EXPECT_EQ(json_escape("a\"b\\c"), "a\\\"b\\\\c");
  EXPECT_EQ(json_escape("\n\r\t\b\f"), "\\n\\r\\t\\b\\f");
  EXPECT_EQ(json_escape(std::string("x\x01y\x1f", 4)), "x\\u0001y\\u001f");
  EXPECT_EQ(json_escape(std::string("\0", 1)), "\\u0000");
  EXPECT_EQ(json_escape("caf\xc3\xa9"), "caf\xc3\xa9");  // UTF-8 passes
  EXPECT_EQ(json_string("a\"b"), "\"a\\\"b\"");
  EXPECT_EQ(json_string(""), "\"\"");
}

TEST(Json, Numbers) {
  EXPECT_EQ(json_number(1.25, 1), "1.2");  // round half to even in printf
  EXPECT_EQ(json_number(1234567.0, 0), "1234567");
  EXPECT_EQ(json_number(0.5, 3), "0.500");
  EXPECT_EQ(json_number(-0.0001, 2), "0.00");
  EXPECT_EQ(json_number(-2.5, 1), "-2.5");
  EXPECT_EQ(json_number(std::nan(""), 2), "0");
  EXPECT_EQ(json_number(HUGE_VAL, 2), "0");
}

}  // namespace
}  // namespace ringsmb::tool
