#include "tool/stats.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace ringsmb::tool {

namespace {

constexpr uint64_t kUs = 1000;
constexpr size_t kLinear = 1000;            // 1 us buckets: [0, 1 ms)
constexpr uint64_t kLogStart = kLinear * kUs;  // 1 ms
constexpr uint64_t kLogEnd = 1000'000'000'000ull;  // 1000 s
constexpr double kGrowth = 1.01;

// First value of each logarithmic bucket, ascending; computed once so that
// bucket_of() and the bounds agree exactly (integers, no float compares).
const std::vector<uint64_t>& log_lows() {
  static const std::vector<uint64_t> lows = [] {
    std::vector<uint64_t> v{kLogStart};
    double x = static_cast<double>(kLogStart);
    while (v.back() < kLogEnd) {
      x *= kGrowth;
      v.push_back(std::max(v.back() + 1, static_cast<uint64_t>(std::llround(x))));
    }
    return v;
  }();
  return lows;
}

}  // namespace

LatencyHistogram::LatencyHistogram() : counts_(bucket_count(), 0) {}

size_t LatencyHistogram::bucket_count() { return kLinear + log_lows().size(); }

size_t LatencyHistogram::bucket_of(uint64_t ns) {
  if (ns < kLogStart) return static_cast<size_t>(ns / kUs);
  const auto& lows = log_lows();
  // The last bucket whose low is <= ns.
  auto it = std::upper_bound(lows.begin(), lows.end(), ns);
  return kLinear + static_cast<size_t>(it - lows.begin()) - 1;
}

uint64_t LatencyHistogram::bucket_low(size_t i) {
  if (i < kLinear) return i * kUs;
  return log_lows()[i - kLinear];
}

uint64_t LatencyHistogram::bucket_high(size_t i) {
  if (i < kLinear) return (i + 1) * kUs;
  const auto& lows = log_lows();
  size_t j = i - kLinear + 1;
  return j < lows.size() ? lows[j] : UINT64_MAX;
}

void LatencyHistogram::record(uint64_t ns) {
  ++counts_[bucket_of(ns)];
  ++count_;
  min_ = std::min(min_, ns);
  max_ = std::max(max_, ns);
  sum_ += static_cast<double>(ns);
}

void LatencyHistogram::merge(const LatencyHistogram& o) {
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += o.counts_[i];
  count_ += o.count_;
  min_ = std::min(min_, o.min_);
  max_ = std::max(max_, o.max_);
  sum_ += o.sum_;
}

double LatencyHistogram::quantile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  // Nearest rank: the smallest value with at least q * count at or below.
  uint64_t rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  // The extremes are known exactly.
  if (rank == count_) return static_cast<double>(max_);
  if (rank == 1) return static_cast<double>(min_);
  uint64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen < rank) continue;
    uint64_t lo = bucket_low(i), hi = bucket_high(i);
    double mid = hi == UINT64_MAX ? static_cast<double>(max_)
                                  : (static_cast<double>(lo) + static_cast<double>(hi)) / 2;
    return std::clamp(mid, static_cast<double>(min_), static_cast<double>(max_));
  }
  return static_cast<double>(max_);
}

std::optional<uint64_t> parse_size(std::string_view s) {
  size_t i = 0;
  uint64_t v = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
    uint64_t d = static_cast<uint64_t>(s[i] - '0');
    if (v > (UINT64_MAX - d) / 10) return std::nullopt;
    v = v * 10 + d;
    ++i;
  }
  if (i == 0) return std::nullopt;
  std::string unit;
  for (; i < s.size(); ++i) unit.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(s[i]))));
  unsigned shift;
  if (unit.empty() || unit == "b") {
    shift = 0;
  } else {
    const std::string_view letters = "kmgt";
    size_t p = letters.find(unit[0]);
    if (p == std::string_view::npos) return std::nullopt;
    std::string_view rest = std::string_view(unit).substr(1);
    if (!rest.empty() && rest != "b" && rest != "ib") return std::nullopt;
    shift = 10 * static_cast<unsigned>(p + 1);
  }
  if (shift > 0 && v > (UINT64_MAX >> shift)) return std::nullopt;
  return v << shift;
}

std::string json_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += buf;
        } else {
          out.push_back(c);
        }
    }
  }
  return out;
}

std::string json_string(std::string_view s) { return "\"" + json_escape(s) + "\""; }

std::string json_number(double v, int decimals) {
  if (!std::isfinite(v)) return "0";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", std::clamp(decimals, 0, 9), v);
  // "-0.000" is valid JSON but reads oddly.
  if (buf[0] == '-' && std::strtod(buf, nullptr) == 0) return std::string(buf + 1);
  return buf;
}

}  // namespace ringsmb::tool
