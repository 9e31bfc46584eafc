#include "wire/durable.h"

#include "wire/status.h"

namespace ringsmb::wire {

Result<DurableV2Request> parse_durable_v2_request(Bytes data) {
  if (data.size() != durable::kV2RequestSize) return Err{status::INVALID_PARAMETER};
  DurableV2Request q;
  q.timeout_ms = ld32(data.data());
  q.flags = ld32(data.data() + 4);
  // 8 reserved bytes at 8.
  q.create_guid = ld_guid(data.data() + 16);
  return q;
}

Result<DurableReconnect> parse_durable_reconnect(Bytes data) {
  if (data.size() != durable::kV1ReconnectSize) return Err{status::INVALID_PARAMETER};
  DurableReconnect q;
  q.file_id = ld_file_id(data.data());
  return q;
}

Result<DurableReconnect> parse_durable_v2_reconnect(Bytes data) {
  if (data.size() != durable::kV2ReconnectSize) return Err{status::INVALID_PARAMETER};
  DurableReconnect q;
  q.file_id = ld_file_id(data.data());
  q.create_guid = ld_guid(data.data() + 16);
  q.flags = ld32(data.data() + 32);
  return q;
}

bool valid_durable_v1_request(Bytes data) { return data.size() == durable::kV1RequestSize; }

std::vector<uint8_t> encode_durable_response() { return std::vector<uint8_t>(8, 0); }

std::vector<uint8_t> encode_durable_v2_response(uint32_t timeout_ms, uint32_t flags) {
  std::vector<uint8_t> d(8, 0);
  st32(d.data(), timeout_ms);
  st32(d.data() + 4, flags);
  return d;
}

}  // namespace ringsmb::wire
