#include "wire/lease.h"

#include "wire/smb2.h"
#include "wire/status.h"

namespace ringsmb::wire {

Result<LeaseRequest> parse_lease_request(Bytes data) {
  // Windows and Samba tell the versions apart by the data length alone.
  if (data.size() != lease::kV1Size && data.size() != lease::kV2Size) {
    return Err{status::INVALID_PARAMETER};
  }
  LeaseRequest q;
  q.key = ld_guid(data.data());
  q.state = ld32(data.data() + 16);
  q.flags = ld32(data.data() + 20);
  // LeaseDuration (8 bytes at 24) is reserved.
  if (data.size() == lease::kV2Size) {
    q.v2 = true;
    q.parent_key = ld_guid(data.data() + 32);
    q.epoch = ld16(data.data() + 48);
  }
  return q;
}

std::vector<uint8_t> encode_lease_response(const LeaseResponse& r) {
  std::vector<uint8_t> d(r.v2 ? lease::kV2Size : lease::kV1Size, 0);
  st_guid(d.data(), r.key);
  st32(d.data() + 16, r.state);
  st32(d.data() + 20, r.flags);
  if (r.v2) {
    if (r.flags & lease::FLAG_PARENT_LEASE_KEY_SET) st_guid(d.data() + 32, r.parent_key);
    st16(d.data() + 48, r.epoch);
  }
  return d;
}

void encode_lease_break(Writer& w, const LeaseBreak& b) {
  size_t at = w.zeros(lease::kBreakNotificationSize);
  uint8_t* p = w.data() + at;
  st16(p, lease::kBreakNotificationSize);
  st16(p + 2, b.new_epoch);
  st32(p + 4, b.flags);
  st_guid(p + 8, b.key);
  st32(p + 24, b.current_state);
  st32(p + 28, b.new_state);
  // BreakReason, AccessMaskHint and ShareMaskHint stay zero.
}

Result<LeaseBreakAck> parse_lease_break_ack(Bytes msg) {
  if (msg.size() < kHeaderSize + lease::kAckSize) return Err{status::INVALID_PARAMETER};
  const uint8_t* p = msg.data() + kHeaderSize;
  if (ld16(p) != lease::kAckSize) return Err{status::INVALID_PARAMETER};
  LeaseBreakAck a;
  a.key = ld_guid(p + 8);
  a.state = ld32(p + 24);
  return a;
}

void encode_lease_break_response(Writer& w, const LeaseBreakAck& a) {
  size_t at = w.zeros(lease::kAckSize);
  uint8_t* p = w.data() + at;
  st16(p, lease::kAckSize);
  st_guid(p + 8, a.key);
  st32(p + 24, a.state);
}

}  // namespace ringsmb::wire
