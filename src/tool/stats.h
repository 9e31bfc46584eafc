// Pure helpers of ringsmb bench: a latency histogram with percentiles,
// size parsing ("64K", "1G") and JSON text escaping. No I/O, no runtime.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ringsmb::tool {

// Latencies in nanoseconds, counted in buckets: 1 us wide below 1 ms, then
// each bucket 1% wider than the one before, up to 1000 s (longer ones land
// in the last bucket). A quantile is read back within half a microsecond
// below 1 ms and within 0.5% above. Fixed size (about 19 KiB), so one per
// channel can record millions of operations; not thread-safe: one writer,
// merged afterwards.
class LatencyHistogram {
 public:
  LatencyHistogram();

  void record(uint64_t ns);
  void merge(const LatencyHistogram& o);

  uint64_t count() const { return count_; }
  uint64_t min() const { return count_ ? min_ : 0; }
  uint64_t max() const { return max_; }
  double mean() const { return count_ ? sum_ / static_cast<double>(count_) : 0; }

  // The q-quantile (0 <= q <= 1) in nanoseconds: the value below which a
  // fraction q of the recorded ones lie (nearest rank), estimated as the
  // middle of its bucket and clamped to [min, max]; the first and the last
  // rank are min and max exactly. 0 when empty.
  double quantile(double q) const;

  // The bucket layout, for tests.
  static size_t bucket_count();
  static size_t bucket_of(uint64_t ns);
  static uint64_t bucket_low(size_t i);   // first value of bucket i
  static uint64_t bucket_high(size_t i);  // one past its last value

 private:
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
  double sum_ = 0;
};

// "4096", "64K", "64k", "64KiB", "64KB", "8M", "1G", "2T": binary units
// (K = 1024). nullopt on anything else, on an overflow and on no digits.
std::optional<uint64_t> parse_size(std::string_view s);

// s with '"', '\\' and control characters escaped for a JSON string (no
// quotes added). Bytes >= 0x80 pass through: UTF-8 stays UTF-8.
std::string json_escape(std::string_view s);
// json_escape(s) in double quotes.
std::string json_string(std::string_view s);
// A number as JSON text with `decimals` digits after the point ("0" for
// NaN and infinities, which JSON cannot carry).
std::string json_number(double v, int decimals);

}  // namespace ringsmb::tool
