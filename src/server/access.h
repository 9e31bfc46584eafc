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

// MS-FSA 2.1.5.1.2.1: would a new open with (access, share) conflict with
// an existing open of the same stream (its granted access and share mode)?
inline bool share_conflict(uint32_t existing_access, uint32_t existing_share, uint32_t access,
                           uint32_t share) {
  constexpr uint32_t kRead = a::FILE_READ_DATA | a::FILE_EXECUTE;
  constexpr uint32_t kWrite = a::FILE_WRITE_DATA | a::FILE_APPEND_DATA;
  constexpr uint32_t kDelete = a::DELETE;
  auto conflicts = [](uint32_t acc, uint32_t other_share) {
    return ((acc & kRead) && !(other_share & wire::FILE_SHARE_READ)) ||
           ((acc & kWrite) && !(other_share & wire::FILE_SHARE_WRITE)) ||
           ((acc & kDelete) && !(other_share & wire::FILE_SHARE_DELETE));
  };
  // Only opens that use data or delete access take part, on both sides: a
  // stat open neither restricts others nor is restricted (smb2.lease.statopen).
  if ((existing_access & (kRead | kWrite | kDelete)) == 0 ||
      (access & (kRead | kWrite | kDelete)) == 0) {
    return false;
  }
  return conflicts(access, existing_share) || conflicts(existing_access, share);
}

// An open that only reads or sets attributes or reads the security
// descriptor neither breaks leases nor counts against a W grant (what
// Windows and Samba treat as a "stat open" for leases; smbtorture
// smb2.lease.statopen4 lists the rights).
inline bool is_lease_stat_open(uint32_t access) {
  constexpr uint32_t kStat = a::SYNCHRONIZE | a::FILE_READ_ATTRIBUTES | a::FILE_WRITE_ATTRIBUTES |
                             a::READ_CONTROL;
  return (access & ~kStat) == 0;
}

}  // namespace ringsmb::server
