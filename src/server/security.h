// Security descriptors (MS-DTYP 2.4.6) built from POSIX ownership and mode:
// owner S-1-22-1-<uid>, group S-1-22-2-<gid> (Samba's Unix SIDs) and a DACL
// whose ACEs grant owner, group and everyone what the mode bits allow.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <vector>

namespace ringsmb::server {

inline constexpr uint32_t OWNER_SECURITY_INFORMATION = 0x1;
inline constexpr uint32_t GROUP_SECURITY_INFORMATION = 0x2;
inline constexpr uint32_t DACL_SECURITY_INFORMATION = 0x4;
inline constexpr uint32_t SACL_SECURITY_INFORMATION = 0x8;

std::vector<uint8_t> build_security_descriptor(uid_t uid, gid_t gid, mode_t mode, bool is_dir,
                                               uint32_t parts);

}  // namespace ringsmb::server
