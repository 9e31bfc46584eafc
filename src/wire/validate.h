// Request validation before dispatch (MS-SMB2 3.3.5.2.6, 3.3.5.2.7).
//
// One table-driven pass checks every request of a frame: header, command,
// StructureSize, and every (offset, length) pair and counted array against
// the bounds of that request. Handlers only ever see requests that passed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "wire/le.h"
#include "wire/status.h"

namespace ringsmb::wire {

struct MessageSpan {
  size_t offset = 0;  // from the start of the frame
  size_t length = 0;  // up to NextCommand, or to the end of the frame
};

enum class Verdict {
  Ok,          // dispatch it
  Invalid,     // answer STATUS_INVALID_PARAMETER
  Disconnect,  // close the connection without a response
};

// Splits a frame (NetBIOS payload) into its chained requests. Disconnect
// when a request is shorter than a header, has a foreign protocol id, when
// NextCommand is not 8-byte aligned (3.3.5.2.7), points inside the header or
// past the frame, or when the chain holds more than max_messages requests.
Verdict split_compound(Bytes frame, std::vector<MessageSpan>& out, size_t max_messages = 64);

// Checks one request (its own bytes, header included).
Verdict validate_request(Bytes msg);

// The fixed StructureSize of a request, 0 for unknown commands.
uint16_t request_structure_size(uint16_t command);

}  // namespace ringsmb::wire
