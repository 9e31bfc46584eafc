// Directory enumeration for QUERY_DIRECTORY: names come from getdents64
// (io_uring has no getdents op; this is one syscall per 32 KiB of names),
// metadata from statx submitted for a whole page of entries at once.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "fs/share.h"
#include "rt/task.h"
#include "wire/fscc.h"

namespace ringsmb::fs {

struct DirEntry {
  std::string name;
  uint64_t ino = 0;
  uint8_t d_type = 0;
};

// All entries of an open directory, "." and ".." first, in the order the
// file system returns them. Reads through a duplicate descriptor so the
// caller's offset is untouched. Returns 0 or -errno.
int list_directory(int dirfd, std::vector<DirEntry>* out);

// Whether an open directory has nothing but "." and "..": reads only
// until the first other name. 1 empty, 0 not, -errno on failure.
int directory_is_empty(int dirfd);

// Fills infos[i] for entries[i]; ok[i] is false for entries that vanished
// or that are symlinks leading outside the share (they are not listed).
// dir_rel is the real relative path of the directory, dirfd its descriptor.
// with_ea_size: also fill FileInfo::ea_size (one listxattr per entry).
rt::Task<void> stat_entries(Share& share, int dirfd, const std::string& dir_rel,
                            std::span<const DirEntry> entries, std::vector<wire::FileInfo>* infos,
                            std::vector<bool>* ok, bool with_ea_size = false);

}  // namespace ringsmb::fs
