// The 64-byte SMB2 packet header (MS-SMB2 2.2.1).
#pragma once

#include <cstdint>
#include <cstring>

#include "wire/le.h"
#include "wire/result.h"
#include "wire/smb2.h"

namespace ringsmb::wire {

struct Header {
  uint16_t credit_charge = 0;
  uint32_t status = 0;  // responses; in 3.x requests: ChannelSequence + Reserved
  uint16_t command = 0;
  uint16_t credits = 0;  // CreditRequest / CreditResponse
  uint32_t flags = 0;
  uint32_t next_command = 0;
  uint64_t message_id = 0;
  uint64_t async_id = 0;  // when flags has ASYNC_COMMAND
  uint32_t tree_id = 0;   // otherwise
  uint64_t session_id = 0;
  uint8_t signature[16] = {};

  bool is_async() const { return (flags & flags::ASYNC_COMMAND) != 0; }
  bool is_related() const { return (flags & flags::RELATED_OPERATIONS) != 0; }
  bool is_signed() const { return (flags & flags::SIGNED) != 0; }
  uint16_t channel_sequence() const { return static_cast<uint16_t>(status & 0xFFFF); }
};

// Decodes the header at the start of msg. Fails when msg is shorter than a
// header, the protocol id is not 0xFE 'SMB', or StructureSize is not 64.
Result<Header> parse_header(Bytes msg);

// Writes 64 bytes at out.
void encode_header(uint8_t* out, const Header& h);

}  // namespace ringsmb::wire
