// The one place where Linux errno values become NTSTATUS codes.
#pragma once

#include "fs/names.h"
#include "wire/status.h"

namespace ringsmb::server {

// errno (positive or negative) -> NTSTATUS for a failed file operation.
// not_found is what ENOENT means in context (OBJECT_NAME_NOT_FOUND for the
// target itself, OBJECT_PATH_NOT_FOUND for a missing parent).
wire::NtStatus status_from_errno(int err,
                                 wire::NtStatus not_found = wire::status::OBJECT_NAME_NOT_FOUND);

wire::NtStatus status_from_name_error(fs::NameError e);

}  // namespace ringsmb::server
