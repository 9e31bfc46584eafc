#include "wire/smb1.h"

#include "wire/smb2.h"

namespace ringsmb::wire {

Result<std::vector<std::string>> parse_smb1_negotiate(Bytes msg) {
  constexpr size_t kHdr = 32;
  if (msg.size() < kHdr + 3) return Err{status::INVALID_PARAMETER};
  if (ld32(msg.data()) != kSmb1ProtocolId) return Err{status::INVALID_PARAMETER};
  if (msg[4] != kSmb1ComNegotiate) return Err{status::NOT_SUPPORTED};
  uint8_t word_count = msg[kHdr];
  size_t pos = kHdr + 1 + size_t{word_count} * 2;
  if (msg.size() < pos + 2) return Err{status::INVALID_PARAMETER};
  uint16_t byte_count = ld16(msg.data() + pos);
  pos += 2;
  if (msg.size() - pos < byte_count) return Err{status::INVALID_PARAMETER};
  Bytes b = msg.subspan(pos, byte_count);
  std::vector<std::string> dialects;
  size_t i = 0;
  while (i < b.size()) {
    if (b[i] != 0x02) return Err{status::INVALID_PARAMETER};  // BufferFormat
    ++i;
    size_t start = i;
    while (i < b.size() && b[i] != 0) ++i;
    if (i == b.size()) return Err{status::INVALID_PARAMETER};  // unterminated
    dialects.emplace_back(reinterpret_cast<const char*>(b.data() + start), i - start);
    ++i;
    if (dialects.size() > 64) return Err{status::INVALID_PARAMETER};
  }
  return dialects;
}

}  // namespace ringsmb::wire
