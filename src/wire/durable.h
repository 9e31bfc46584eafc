// Durable handle create contexts (MS-SMB2 2.2.13.2.3, 2.2.13.2.4,
// 2.2.13.2.11, 2.2.13.2.12, 2.2.14.2.3, 2.2.14.2.12). Pure.
#pragma once

#include <cstdint>
#include <vector>

#include "wire/le.h"
#include "wire/messages.h"
#include "wire/result.h"

namespace ringsmb::wire {

namespace durable {
inline constexpr uint32_t FLAG_PERSISTENT = 0x00000002;  // DH2Q/DH2C Flags
inline constexpr size_t kV1RequestSize = 16;             // DHnQ: reserved
inline constexpr size_t kV1ReconnectSize = 16;           // DHnC: FileId
inline constexpr size_t kV2RequestSize = 32;             // DH2Q
inline constexpr size_t kV2ReconnectSize = 36;           // DH2C
}  // namespace durable

// SMB2_CREATE_DURABLE_HANDLE_REQUEST_V2 ("DH2Q").
struct DurableV2Request {
  uint32_t timeout_ms = 0;
  uint32_t flags = 0;
  Guid create_guid;
};
Result<DurableV2Request> parse_durable_v2_request(Bytes data);

// SMB2_CREATE_DURABLE_HANDLE_RECONNECT ("DHnC") and _V2 ("DH2C"); v1
// leaves create_guid and flags zero.
struct DurableReconnect {
  FileId file_id;
  Guid create_guid;
  uint32_t flags = 0;
};
Result<DurableReconnect> parse_durable_reconnect(Bytes data);
Result<DurableReconnect> parse_durable_v2_reconnect(Bytes data);
// SMB2_CREATE_DURABLE_HANDLE_REQUEST ("DHnQ"): 16 reserved bytes.
bool valid_durable_v1_request(Bytes data);

// SMB2_CREATE_DURABLE_HANDLE_RESPONSE: 8 reserved bytes.
std::vector<uint8_t> encode_durable_response();
// SMB2_CREATE_DURABLE_HANDLE_RESPONSE_V2: Timeout and Flags.
std::vector<uint8_t> encode_durable_v2_response(uint32_t timeout_ms, uint32_t flags);

}  // namespace ringsmb::wire
