// Lease codecs (MS-SMB2 2.2.13.2.8, 2.2.13.2.10, 2.2.14.2.10, 2.2.14.2.11,
// 2.2.23.2, 2.2.24.2, 2.2.25.2): the lease create contexts, the lease break
// notification, acknowledgment and response. Pure: no I/O, no server state.
#pragma once

#include <cstdint>
#include <vector>

#include "wire/le.h"
#include "wire/result.h"
#include "wire/writer.h"

namespace ringsmb::wire {

// Lease states (2.2.13.2.8) and flags.
namespace lease {
inline constexpr uint32_t NONE = 0x00;
inline constexpr uint32_t READ = 0x01;    // R
inline constexpr uint32_t HANDLE = 0x02;  // H
inline constexpr uint32_t WRITE = 0x04;   // W
inline constexpr uint32_t ALL = READ | HANDLE | WRITE;
// LeaseFlags of the create contexts (2.2.13.2.10, 2.2.14.2.10/11).
inline constexpr uint32_t FLAG_BREAK_IN_PROGRESS = 0x02;
inline constexpr uint32_t FLAG_PARENT_LEASE_KEY_SET = 0x04;
// Flags of the break notification (2.2.23.2).
inline constexpr uint32_t NOTIFY_ACK_REQUIRED = 0x01;
inline constexpr size_t kV1Size = 32;
inline constexpr size_t kV2Size = 52;
inline constexpr size_t kBreakNotificationSize = 44;
inline constexpr size_t kAckSize = 36;
}  // namespace lease

// SMB2_CREATE_REQUEST_LEASE ("RqLs") in either version: 32 bytes are a
// version 1 request, 52 a version 2 request (parent key and epoch).
struct LeaseRequest {
  Guid key;
  uint32_t state = 0;
  uint32_t flags = 0;
  Guid parent_key;
  uint16_t epoch = 0;
  bool v2 = false;
};
Result<LeaseRequest> parse_lease_request(Bytes data);

// The data of SMB2_CREATE_RESPONSE_LEASE(_V2): v1 (32 bytes) or v2 (52).
struct LeaseResponse {
  Guid key;
  uint32_t state = 0;
  uint32_t flags = 0;
  Guid parent_key;
  uint16_t epoch = 0;
  bool v2 = false;
};
std::vector<uint8_t> encode_lease_response(const LeaseResponse& r);

// Lease Break Notification body (2.2.23.2), 44 bytes.
struct LeaseBreak {
  uint16_t new_epoch = 0;
  uint32_t flags = 0;
  Guid key;
  uint32_t current_state = 0;
  uint32_t new_state = 0;
};
void encode_lease_break(Writer& w, const LeaseBreak& b);

// Lease Break Acknowledgment (2.2.24.2): the request after the header.
// The response (2.2.25.2) has the same layout.
struct LeaseBreakAck {
  Guid key;
  uint32_t state = 0;
};
Result<LeaseBreakAck> parse_lease_break_ack(Bytes msg);
void encode_lease_break_response(Writer& w, const LeaseBreakAck& a);

}  // namespace ringsmb::wire
