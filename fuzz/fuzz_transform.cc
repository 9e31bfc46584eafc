// libFuzzer target: the framing layers in front of SMB2 requests, the
// TRANSFORM_HEADER (0xFD 'SMB') and the SMB1 multi-protocol NEGOTIATE.
// An accepted transform header is re-encoded and must decode the same.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "fuzz_util.h"
#include "wire/smb1.h"
#include "wire/transform.h"

namespace w = ringsmb::wire;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  w::Bytes frame(data, size);
  if (auto t = w::parse_transform(frame)) {
    uint8_t again[w::kTransformHeaderSize];
    w::encode_transform(again, *t);
    // Round trip: the encoder writes back the 52 bytes it was given
    // (the reserved field excepted, which the decoder drops).
    if (std::memcmp(again, data, 40) != 0 || std::memcmp(again + 42, data + 42, 10) != 0)
      std::abort();
    ringsmb::fuzz::touch(frame.subspan(w::kTransformHeaderSize));
  }
  if (auto d = w::parse_smb1_negotiate(frame))
    for (const auto& s : *d) ringsmb::fuzz::touch(s);
  return 0;
}
