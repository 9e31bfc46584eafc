// NTSTATUS values used by the server and the client (MS-ERREF 2.3.1).
#pragma once

#include <cstdint>
#include <string_view>

namespace ringsmb::wire {

using NtStatus = uint32_t;

namespace status {
#define RINGSMB_NTSTATUS_LIST(X)                 \
  X(SUCCESS, 0x00000000)                         \
  X(PENDING, 0x00000103)                         \
  X(NOTIFY_CLEANUP, 0x0000010B)                  \
  X(NOTIFY_ENUM_DIR, 0x0000010C)                 \
  X(BUFFER_OVERFLOW, 0x80000005)                 \
  X(NO_MORE_FILES, 0x80000006)                   \
  X(EA_LIST_INCONSISTENT, 0x80000014)            \
  X(STOPPED_ON_SYMLINK, 0x8000002D)              \
  X(UNSUCCESSFUL, 0xC0000001)                    \
  X(NOT_IMPLEMENTED, 0xC0000002)                 \
  X(INVALID_INFO_CLASS, 0xC0000003)              \
  X(INFO_LENGTH_MISMATCH, 0xC0000004)            \
  X(INVALID_HANDLE, 0xC0000008)                  \
  X(INVALID_PARAMETER, 0xC000000D)               \
  X(NO_SUCH_DEVICE, 0xC000000E)                  \
  X(NO_SUCH_FILE, 0xC000000F)                    \
  X(INVALID_DEVICE_REQUEST, 0xC0000010)          \
  X(END_OF_FILE, 0xC0000011)                     \
  X(MORE_PROCESSING_REQUIRED, 0xC0000016)        \
  X(NO_MEMORY, 0xC0000017)                       \
  X(INVALID_LOCK_SEQUENCE, 0xC000001E)           \
  X(ACCESS_DENIED, 0xC0000022)                   \
  X(BUFFER_TOO_SMALL, 0xC0000023)                \
  X(OBJECT_TYPE_MISMATCH, 0xC0000024)            \
  X(OBJECT_NAME_INVALID, 0xC0000033)             \
  X(OBJECT_NAME_NOT_FOUND, 0xC0000034)           \
  X(OBJECT_NAME_COLLISION, 0xC0000035)           \
  X(OBJECT_PATH_INVALID, 0xC0000039)             \
  X(OBJECT_PATH_NOT_FOUND, 0xC000003A)           \
  X(OBJECT_PATH_SYNTAX_BAD, 0xC000003B)          \
  X(SHARING_VIOLATION, 0xC0000043)               \
  X(EAS_NOT_SUPPORTED, 0xC000004F)               \
  X(EA_TOO_LARGE, 0xC0000050)                    \
  X(NONEXISTENT_EA_ENTRY, 0xC0000051)            \
  X(NO_EAS_ON_FILE, 0xC0000052)                  \
  X(EA_CORRUPT_ERROR, 0xC0000053)                \
  X(FILE_LOCK_CONFLICT, 0xC0000054)              \
  X(LOCK_NOT_GRANTED, 0xC0000055)                \
  X(DELETE_PENDING, 0xC0000056)                  \
  X(PRIVILEGE_NOT_HELD, 0xC0000061)              \
  X(NO_SUCH_USER, 0xC0000064)                    \
  X(WRONG_PASSWORD, 0xC000006A)                  \
  X(LOGON_FAILURE, 0xC000006D)                   \
  X(ACCOUNT_RESTRICTION, 0xC000006E)             \
  X(PASSWORD_EXPIRED, 0xC0000071)                \
  X(ACCOUNT_DISABLED, 0xC0000072)                \
  X(NONE_MAPPED, 0xC0000073)                     \
  X(RANGE_NOT_LOCKED, 0xC000007E)                \
  X(DISK_FULL, 0xC000007F)                       \
  X(INSUFFICIENT_RESOURCES, 0xC000009A)          \
  X(MEDIA_WRITE_PROTECTED, 0xC00000A2)           \
  X(BAD_IMPERSONATION_LEVEL, 0xC00000A5)         \
  X(IO_TIMEOUT, 0xC00000B5)                      \
  X(FILE_IS_A_DIRECTORY, 0xC00000BA)             \
  X(NOT_SUPPORTED, 0xC00000BB)                   \
  X(BAD_NETWORK_PATH, 0xC00000BE)                \
  X(INVALID_NETWORK_RESPONSE, 0xC00000C3)        \
  X(NETWORK_NAME_DELETED, 0xC00000C9)            \
  X(NETWORK_ACCESS_DENIED, 0xC00000CA)           \
  X(BAD_DEVICE_TYPE, 0xC00000CB)                 \
  X(BAD_NETWORK_NAME, 0xC00000CC)                \
  X(REQUEST_NOT_ACCEPTED, 0xC00000D0)            \
  X(NOT_SAME_DEVICE, 0xC00000D4)                 \
  X(INVALID_OPLOCK_PROTOCOL, 0xC00000E3)         \
  X(INTERNAL_ERROR, 0xC00000E5)                  \
  X(DIRECTORY_NOT_EMPTY, 0xC0000101)             \
  X(NOT_A_DIRECTORY, 0xC0000103)                 \
  X(NAME_TOO_LONG, 0xC0000106)                   \
  X(TOO_MANY_OPENED_FILES, 0xC000011F)           \
  X(CANCELLED, 0xC0000120)                       \
  X(CANNOT_DELETE, 0xC0000121)                   \
  X(FILE_CLOSED, 0xC0000128)                     \
  X(FILE_NOT_AVAILABLE, 0xC0000467)              \
  X(INVALID_DEVICE_STATE, 0xC0000184)            \
  X(IO_DEVICE_ERROR, 0xC0000185)                 \
  X(FS_DRIVER_REQUIRED, 0xC000019C)              \
  X(USER_SESSION_DELETED, 0xC0000203)            \
  X(INSUFF_SERVER_RESOURCES, 0xC0000205)         \
  X(INVALID_BUFFER_SIZE, 0xC0000206)             \
  X(CONNECTION_DISCONNECTED, 0xC000020C)         \
  X(NOT_FOUND, 0xC0000225)                       \
  X(CONNECTION_REFUSED, 0xC0000236)              \
  X(NETWORK_UNREACHABLE, 0xC000023C)             \
  X(HOST_UNREACHABLE, 0xC000023D)                \
  X(PATH_NOT_COVERED, 0xC0000257)                \
  X(TOO_MANY_LINKS, 0xC0000265)                  \
  X(NOT_A_REPARSE_POINT, 0xC0000275)             \
  X(NETWORK_SESSION_EXPIRED, 0xC000035C)         \
  X(FILE_SYSTEM_LIMITATION, 0xC0000427)          \
  X(FILE_TOO_LARGE, 0xC0000904)

#define RINGSMB_NTSTATUS_CONST(name, value) inline constexpr NtStatus name = value;
RINGSMB_NTSTATUS_LIST(RINGSMB_NTSTATUS_CONST)
#undef RINGSMB_NTSTATUS_CONST
}  // namespace status

// "STATUS_ACCESS_DENIED", or "0xC0001234" for values not in the table.
std::string_view status_name(NtStatus s);
// The reverse, for tools and tests: 0 and false when unknown.
bool status_from_name(std::string_view name, NtStatus* out);

inline bool nt_success(NtStatus s) { return (s & 0xC0000000u) != 0xC0000000u; }
inline bool nt_error(NtStatus s) { return (s & 0xC0000000u) == 0xC0000000u; }

}  // namespace ringsmb::wire
