// A growable byte writer for encoding responses: callers reserve fixed
// parts, fill them with st* helpers at known offsets, and append
// variable-length buffers with alignment.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "wire/le.h"

namespace ringsmb::wire {

class Writer {
 public:
  Writer() { buf_.reserve(256); }
  explicit Writer(size_t reserve) { buf_.reserve(reserve); }

  size_t size() const { return buf_.size(); }
  uint8_t* data() { return buf_.data(); }
  const uint8_t* data() const { return buf_.data(); }
  std::vector<uint8_t>& vec() { return buf_; }
  Bytes bytes() const { return {buf_.data(), buf_.size()}; }

  // Appends n zero bytes and returns the offset where they start.
  size_t zeros(size_t n) {
    size_t off = buf_.size();
    buf_.resize(off + n, 0);
    return off;
  }
  size_t append(const void* p, size_t n) {
    size_t off = buf_.size();
    buf_.resize(off + n);
    if (n != 0) std::memcpy(buf_.data() + off, p, n);
    return off;
  }
  size_t append(Bytes b) { return append(b.data(), b.size()); }
  void align(size_t a) {
    size_t pad = (a - buf_.size() % a) % a;
    zeros(pad);
  }
  void u8(uint8_t v) { buf_.push_back(v); }
  void u16(uint16_t v) {
    size_t at = zeros(2);  // may reallocate: take data() after it
    st16(buf_.data() + at, v);
  }
  void u32(uint32_t v) {
    size_t at = zeros(4);  // may reallocate: take data() after it
    st32(buf_.data() + at, v);
  }
  void u64(uint64_t v) {
    size_t at = zeros(8);  // may reallocate: take data() after it
    st64(buf_.data() + at, v);
  }
  void put16(size_t off, uint16_t v) { st16(buf_.data() + off, v); }
  void put32(size_t off, uint32_t v) { st32(buf_.data() + off, v); }
  void put64(size_t off, uint64_t v) { st64(buf_.data() + off, v); }
  void clear() { buf_.clear(); }

 private:
  std::vector<uint8_t> buf_;
};

}  // namespace ringsmb::wire
