// Little-endian loads and stores over byte spans. The SMB2 codec never casts
// buffers to packed structs; every field goes through these.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace ringsmb::wire {

using Bytes = std::span<const uint8_t>;
using MutBytes = std::span<uint8_t>;

inline uint8_t ld8(const uint8_t* p) { return p[0]; }
inline uint16_t ld16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] | (static_cast<uint16_t>(p[1]) << 8));
}
inline uint32_t ld32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}
inline uint64_t ld64(const uint8_t* p) {
  return static_cast<uint64_t>(ld32(p)) | (static_cast<uint64_t>(ld32(p + 4)) << 32);
}
inline void st8(uint8_t* p, uint8_t v) { p[0] = v; }
inline void st16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}
inline void st32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline void st64(uint8_t* p, uint64_t v) {
  st32(p, static_cast<uint32_t>(v));
  st32(p + 4, static_cast<uint32_t>(v >> 32));
}
inline uint32_t ld_be32(const uint8_t* p) {
  return (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) |
         (static_cast<uint32_t>(p[2]) << 8) | p[3];
}

// Bounds-checked reader over a span; every get fails softly (returns false)
// instead of reading past the end.
class Reader {
 public:
  explicit Reader(Bytes b) : b_(b) {}
  size_t size() const { return b_.size(); }
  bool has(size_t off, size_t n) const { return off <= b_.size() && n <= b_.size() - off; }
  uint8_t u8(size_t off) const { return b_[off]; }
  uint16_t u16(size_t off) const { return ld16(b_.data() + off); }
  uint32_t u32(size_t off) const { return ld32(b_.data() + off); }
  uint64_t u64(size_t off) const { return ld64(b_.data() + off); }
  Bytes sub(size_t off, size_t n) const { return b_.subspan(off, n); }
  Bytes bytes() const { return b_; }

 private:
  Bytes b_;
};

// A 128-bit GUID kept as its 16 wire bytes.
struct Guid {
  uint8_t b[16] = {};
  bool operator==(const Guid&) const = default;
  bool is_zero() const {
    for (uint8_t x : b)
      if (x != 0) return false;
    return true;
  }
};

inline Guid ld_guid(const uint8_t* p) {
  Guid g;
  std::memcpy(g.b, p, 16);
  return g;
}
inline void st_guid(uint8_t* p, const Guid& g) { std::memcpy(p, g.b, 16); }

}  // namespace ringsmb::wire
