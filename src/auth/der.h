// The few DER/BER pieces SPNEGO needs (RFC 4178, X.690): a bounds-checked
// TLV reader and a writer that fixes up lengths.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace ringsmb::auth::der {

using Bytes = std::span<const uint8_t>;

struct Tlv {
  uint8_t tag = 0;
  Bytes value;
};

// Reads one TLV from the front of in and advances in past it. nullopt on a
// truncated element, indefinite length, or a length beyond 16 MiB.
std::optional<Tlv> read(Bytes& in);

// Reads a TLV and checks its tag.
std::optional<Bytes> expect(Bytes& in, uint8_t tag);

// Builds DER by nesting: begin(tag) ... end() writes the definite length.
class Writer {
 public:
  void begin(uint8_t tag);
  void end();
  void raw(Bytes b);
  void tlv(uint8_t tag, Bytes value);
  std::vector<uint8_t> take();

 private:
  std::vector<uint8_t> out_;
  std::vector<size_t> open_;  // positions of the tag bytes of open elements
};

// Tags used by SPNEGO.
inline constexpr uint8_t kSequence = 0x30;
inline constexpr uint8_t kOid = 0x06;
inline constexpr uint8_t kOctetString = 0x04;
inline constexpr uint8_t kEnumerated = 0x0A;
inline constexpr uint8_t kBitString = 0x03;
inline constexpr uint8_t kGeneralString = 0x1B;
inline constexpr uint8_t kApplication0 = 0x60;
inline constexpr uint8_t context(uint8_t n) { return static_cast<uint8_t>(0xA0 | n); }

}  // namespace ringsmb::auth::der
