// SMB2 TRANSFORM_HEADER (MS-SMB2 2.2.41): the 52-byte header in front of an
// encrypted message. The AEAD's additional data is the header from Nonce to
// the end (bytes 20..51).
#pragma once

#include <cstdint>
#include <cstring>

#include "wire/le.h"
#include "wire/result.h"

namespace ringsmb::wire {

inline constexpr size_t kTransformHeaderSize = 52;
inline constexpr size_t kTransformAadOffset = 20;
inline constexpr uint16_t TRANSFORM_FLAG_ENCRYPTED = 0x0001;

struct TransformHeader {
  uint8_t signature[16] = {};  // the AEAD tag
  uint8_t nonce[16] = {};      // 11 bytes used for CCM, 12 for GCM
  uint32_t original_size = 0;
  uint16_t flags = 0;
  uint64_t session_id = 0;
};

// Fails unless the frame starts with 0xFD 'SMB', is long enough, has the
// Encrypted flag, and OriginalMessageSize matches the bytes that follow.
Result<TransformHeader> parse_transform(Bytes frame);
void encode_transform(uint8_t* out52, const TransformHeader& h);

}  // namespace ringsmb::wire
