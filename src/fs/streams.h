// Named data streams ("file:name:$DATA", MS-FSCC 2.1.5.1) kept in user
// xattrs named "user.DosStream.<name>:$DATA", the layout Samba's
// streams_xattr module uses, so files carry their streams between the two
// servers. A stream is limited to what one xattr value may hold (64 KiB on
// most file systems, one block on ext4 without ea_inode).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ringsmb::fs {

struct StreamInfo {
  std::string name;  // without ":" and ":$DATA"
  uint64_t size = 0;
};

// All named streams of an open file (descriptor not O_PATH); 0 or -errno.
int list_streams(int fd, std::vector<StreamInfo>* out);
// The on-disk spelling of a stream name matched case-insensitively, or "".
std::string find_stream(int fd, const std::string& name);
// Whole-value access; -ENOENT when the stream does not exist.
int read_stream(int fd, const std::string& name, std::vector<uint8_t>* out);
// Replaces the value; create_only fails with -EEXIST if it exists.
int write_stream(int fd, const std::string& name, const std::vector<uint8_t>& data,
                 bool create_only);
int remove_stream(int fd, const std::string& name);

}  // namespace ringsmb::fs
