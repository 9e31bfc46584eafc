#include "server/eas.h"

#include <cerrno>

#include "fs/ea.h"
#include "server/fs_status.h"
#include "wire/fscc.h"

namespace ringsmb::server {

wire::NtStatus apply_eas(int fd, wire::Bytes list) {
  auto eas = wire::parse_full_ea_list(list);
  if (!eas) return eas.status();
  for (const auto& e : *eas) {
    std::string name(e.name);
    // EA names are ASCII without the characters NTFS refuses in them.
    for (unsigned char c : name) {
      if (c < 0x20 || c >= 0x7F || std::string_view("\"*+,/:;<=>?[\\]|").find(static_cast<char>(c)) !=
                                         std::string_view::npos) {
        return wire::status::INVALID_PARAMETER;
      }
    }
    if (fs::reserved_ea_name(name)) return wire::status::INVALID_PARAMETER;
    std::vector<uint8_t> value(e.value.begin(), e.value.end());
    int rc = fs::set_ea(fd, name, value);
    if (rc == -ENOTSUP || rc == -EOPNOTSUPP) return wire::status::EAS_NOT_SUPPORTED;
    if (rc == -ENOSPC || rc == -E2BIG || rc == -ERANGE) return wire::status::EA_TOO_LARGE;
    if (rc < 0) return status_from_errno(rc);
  }
  return wire::status::SUCCESS;
}

}  // namespace ringsmb::server
