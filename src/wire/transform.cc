#include "wire/transform.h"

#include "wire/smb2.h"

namespace ringsmb::wire {

Result<TransformHeader> parse_transform(Bytes f) {
  if (f.size() < kTransformHeaderSize + kHeaderSize) return Err{status::INVALID_PARAMETER};
  if (ld32(f.data()) != kTransformProtocolId) return Err{status::INVALID_PARAMETER};
  TransformHeader h;
  std::memcpy(h.signature, f.data() + 4, 16);
  std::memcpy(h.nonce, f.data() + 20, 16);
  h.original_size = ld32(f.data() + 36);
  h.flags = ld16(f.data() + 42);
  h.session_id = ld64(f.data() + 44);
  if (h.flags != TRANSFORM_FLAG_ENCRYPTED) return Err{status::INVALID_PARAMETER};
  if (h.original_size != f.size() - kTransformHeaderSize) return Err{status::INVALID_PARAMETER};
  return h;
}

void encode_transform(uint8_t* out, const TransformHeader& h) {
  st32(out, kTransformProtocolId);
  std::memcpy(out + 4, h.signature, 16);
  std::memcpy(out + 20, h.nonce, 16);
  st32(out + 36, h.original_size);
  st16(out + 40, 0);
  st16(out + 42, h.flags);
  st64(out + 44, h.session_id);
}

}  // namespace ringsmb::wire
