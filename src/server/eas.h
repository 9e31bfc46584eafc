// Applying a FILE_FULL_EA_INFORMATION list (from SET_INFO or the ExtA
// create context) to an open file.
#pragma once

#include "wire/le.h"
#include "wire/status.h"

namespace ringsmb::server {

wire::NtStatus apply_eas(int fd, wire::Bytes list);

}  // namespace ringsmb::server
