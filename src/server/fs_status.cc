#include "server/fs_status.h"

#include <cerrno>

namespace ringsmb::server {

namespace st = wire::status;

wire::NtStatus status_from_errno(int err, wire::NtStatus not_found) {
  if (err < 0) err = -err;
  switch (err) {
    case 0: return st::SUCCESS;
    case ENOENT: return not_found;
    case ENOTDIR: return st::OBJECT_PATH_NOT_FOUND;
    case EEXIST: return st::OBJECT_NAME_COLLISION;
    case EACCES:
    case EPERM: return st::ACCESS_DENIED;
    case EROFS: return st::MEDIA_WRITE_PROTECTED;
    case EISDIR: return st::FILE_IS_A_DIRECTORY;
    case ENOTEMPTY: return st::DIRECTORY_NOT_EMPTY;
    case ENOSPC:
    case EDQUOT: return st::DISK_FULL;
    case ENAMETOOLONG: return st::NAME_TOO_LONG;
    case EXDEV: return st::ACCESS_DENIED;  // a path that would leave the share
    case ELOOP: return st::OBJECT_PATH_NOT_FOUND;  // too many links, or a magic link
    case EMFILE:
    case ENFILE: return st::TOO_MANY_OPENED_FILES;
    case ENOMEM: return st::NO_MEMORY;
    case EBUSY:
    case ETXTBSY: return st::SHARING_VIOLATION;
    case EINVAL: return st::INVALID_PARAMETER;
    case EFBIG: return st::DISK_FULL;
    case EBADF: return st::INVALID_HANDLE;
    case EMLINK: return st::TOO_MANY_LINKS;
    case ENOTSUP: return st::NOT_SUPPORTED;
    case EIO: return st::IO_DEVICE_ERROR;
    case ENXIO:
    case ENODEV: return st::NO_SUCH_DEVICE;
    case EAGAIN: return st::FILE_LOCK_CONFLICT;
    default: return st::UNSUCCESSFUL;
  }
}

wire::NtStatus status_from_name_error(fs::NameError e) {
  switch (e) {
    case fs::NameError::None: return st::SUCCESS;
    case fs::NameError::Invalid: return st::OBJECT_NAME_INVALID;
    case fs::NameError::DotDot: return st::OBJECT_PATH_SYNTAX_BAD;
    case fs::NameError::TooLong: return st::NAME_TOO_LONG;
  }
  return st::OBJECT_NAME_INVALID;
}

}  // namespace ringsmb::server
