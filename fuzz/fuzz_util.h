// Helpers shared by the libFuzzer targets: reading every byte of a span a
// decoder returned makes AddressSanitizer check that the span really lies
// inside the input, and the volatile sink keeps the reads from being
// optimised away.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

// An invariant a target checks beyond the sanitizers: a failure aborts
// (libFuzzer keeps the input) and names the file, line and condition.
#define CHECK(cond)                                                             \
  do {                                                                          \
    if (!(cond)) {                                                              \
      std::fprintf(stderr, "fuzz: %s:%d: %s\n", __FILE__, __LINE__, #cond);     \
      std::abort();                                                             \
    }                                                                           \
  } while (0)

namespace ringsmb::fuzz {

inline volatile uint64_t g_sink;

inline void touch(std::span<const uint8_t> b) {
  uint64_t s = 0;
  for (uint8_t x : b) s += x;
  g_sink = g_sink + s + b.size();
}
inline void touch(std::string_view s) {
  touch(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
}
template <class T>
inline void touch_value(const T& v) {
  g_sink = g_sink + static_cast<uint64_t>(v);
}

}  // namespace ringsmb::fuzz
