// Extended attributes (MS-FSCC 2.4.15 FILE_FULL_EA_INFORMATION) kept as
// Linux user xattrs "user.<NAME>". EA names are case-insensitive; the
// server's own xattrs (user.ringsmb.*) are never listed or writable.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ringsmb::fs {

struct Ea {
  std::string name;
  std::vector<uint8_t> value;
  uint8_t flags = 0;
};

// The EAs of an open file (descriptor must not be O_PATH). Returns 0 or
// -errno; a file system without user xattrs simply has none.
int list_eas(int fd, std::vector<Ea>* out);
// The same for a name inside an open directory (symlinks not followed),
// or for a full path when dirfd is AT_FDCWD.
int list_eas_at(int dirfd, const char* name, std::vector<Ea>* out);
// Bytes the EAs take as a FILE_FULL_EA_INFORMATION list (MS-FSCC 2.4.15):
// what FileEaInformation and the directory classes report as EaSize.
uint32_t full_ea_list_size(const std::vector<Ea>& eas);

// Sets (or, with an empty value, removes) one EA, matching an existing name
// case-insensitively. Returns 0 or -errno.
int set_ea(int fd, const std::string& name, const std::vector<uint8_t>& value);
// True for names a client may not use as EA names.
bool reserved_ea_name(const std::string& name);

}  // namespace ringsmb::fs
