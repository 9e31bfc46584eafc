// Access masks (MS-DTYP 2.4.3, MS-SMB2 2.2.13.1).
#pragma once

#include <cstdint>

#include "wire/smb2.h"

namespace ringsmb::server {

namespace a = wire::access;

inline constexpr uint32_t kFileGenericRead = 0x00120089;
inline constexpr uint32_t kFileGenericWrite = 0x00120116;
inline constexpr uint32_t kFileGenericExecute = 0x001200A0;

// Access bits that change something; a read-only share grants none.
inline constexpr uint32_t kWriteAccessMask =
    a::FILE_WRITE_DATA | a::FILE_APPEND_DATA | a::FILE_WRITE_EA | a::FILE_DELETE_CHILD |
    a::FILE_WRITE_ATTRIBUTES | a::DELETE | a::WRITE_DAC | a::WRITE_OWNER;

// GENERIC_* bits replaced by the file-specific rights they stand for.
inline uint32_t map_generic_access(uint32_t m) {
  uint32_t out = m & ~(a::GENERIC_READ | a::GENERIC_WRITE | a::GENERIC_EXECUTE | a::GENERIC_ALL);
  if (m & a::GENERIC_READ) out |= kFileGenericRead;
  if (m & a::GENERIC_WRITE) out |= kFileGenericWrite;
  if (m & a::GENERIC_EXECUTE) out |= kFileGenericExecute;
  if (m & a::GENERIC_ALL) out |= a::FILE_ALL_ACCESS;
  return out;
}

}  // namespace ringsmb::server
