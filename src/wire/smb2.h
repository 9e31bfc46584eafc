// SMB2/3 protocol constants (MS-SMB2 section 2.2).
#pragma once

#include <cstdint>

namespace ringsmb::wire {

inline constexpr uint32_t kSmb2ProtocolId = 0x424D53FE;      // 0xFE 'S' 'M' 'B'
inline constexpr uint32_t kSmb1ProtocolId = 0x424D53FF;      // 0xFF 'S' 'M' 'B'
inline constexpr uint32_t kTransformProtocolId = 0x424D53FD; // 0xFD 'S' 'M' 'B'
inline constexpr uint32_t kCompressionProtocolId = 0x424D53FC;
inline constexpr size_t kHeaderSize = 64;

enum class Command : uint16_t {
  Negotiate = 0x0000,
  SessionSetup = 0x0001,
  Logoff = 0x0002,
  TreeConnect = 0x0003,
  TreeDisconnect = 0x0004,
  Create = 0x0005,
  Close = 0x0006,
  Flush = 0x0007,
  Read = 0x0008,
  Write = 0x0009,
  Lock = 0x000A,
  Ioctl = 0x000B,
  Cancel = 0x000C,
  Echo = 0x000D,
  QueryDirectory = 0x000E,
  ChangeNotify = 0x000F,
  QueryInfo = 0x0010,
  SetInfo = 0x0011,
  OplockBreak = 0x0012,
};
inline constexpr uint16_t kCommandCount = 0x13;
const char* command_name(uint16_t cmd);

// Header flags (2.2.1.2).
namespace flags {
inline constexpr uint32_t SERVER_TO_REDIR = 0x00000001;
inline constexpr uint32_t ASYNC_COMMAND = 0x00000002;
inline constexpr uint32_t RELATED_OPERATIONS = 0x00000004;
inline constexpr uint32_t SIGNED = 0x00000008;
inline constexpr uint32_t PRIORITY_MASK = 0x00000070;
inline constexpr uint32_t DFS_OPERATIONS = 0x10000000;
inline constexpr uint32_t REPLAY_OPERATION = 0x20000000;
}  // namespace flags

// Dialects.
namespace dialect {
inline constexpr uint16_t SMB202 = 0x0202;
inline constexpr uint16_t SMB210 = 0x0210;
inline constexpr uint16_t SMB300 = 0x0300;
inline constexpr uint16_t SMB302 = 0x0302;
inline constexpr uint16_t SMB311 = 0x0311;
inline constexpr uint16_t WILDCARD = 0x02FF;
}  // namespace dialect

inline bool is_smb3(uint16_t d) { return d >= dialect::SMB300 && d != dialect::WILDCARD; }

// Security mode (2.2.3 / 2.2.4).
inline constexpr uint16_t NEGOTIATE_SIGNING_ENABLED = 0x0001;
inline constexpr uint16_t NEGOTIATE_SIGNING_REQUIRED = 0x0002;

// Global capabilities.
namespace cap {
inline constexpr uint32_t DFS = 0x00000001;
inline constexpr uint32_t LEASING = 0x00000002;
inline constexpr uint32_t LARGE_MTU = 0x00000004;
inline constexpr uint32_t MULTI_CHANNEL = 0x00000008;
inline constexpr uint32_t PERSISTENT_HANDLES = 0x00000010;
inline constexpr uint32_t DIRECTORY_LEASING = 0x00000020;
inline constexpr uint32_t ENCRYPTION = 0x00000040;
}  // namespace cap

// Negotiate context types (2.2.3.1).
namespace negctx {
inline constexpr uint16_t PREAUTH_INTEGRITY_CAPABILITIES = 0x0001;
inline constexpr uint16_t ENCRYPTION_CAPABILITIES = 0x0002;
inline constexpr uint16_t COMPRESSION_CAPABILITIES = 0x0003;
inline constexpr uint16_t NETNAME_NEGOTIATE_CONTEXT_ID = 0x0005;
inline constexpr uint16_t TRANSPORT_CAPABILITIES = 0x0006;
inline constexpr uint16_t RDMA_TRANSFORM_CAPABILITIES = 0x0007;
inline constexpr uint16_t SIGNING_CAPABILITIES = 0x0008;
inline constexpr uint16_t CONTEXTTYPE_RESERVED = 0x0100;
}  // namespace negctx
inline constexpr uint16_t HASH_SHA512 = 0x0001;
namespace cipher {
inline constexpr uint16_t AES128_CCM = 0x0001;
inline constexpr uint16_t AES128_GCM = 0x0002;
inline constexpr uint16_t AES256_CCM = 0x0003;
inline constexpr uint16_t AES256_GCM = 0x0004;
}  // namespace cipher
namespace signalg {
inline constexpr uint16_t HMAC_SHA256 = 0x0000;
inline constexpr uint16_t AES_CMAC = 0x0001;
inline constexpr uint16_t AES_GMAC = 0x0002;
}  // namespace signalg

// Session setup.
inline constexpr uint8_t SESSION_FLAG_BINDING = 0x01;
inline constexpr uint16_t SESSION_FLAG_IS_GUEST = 0x0001;
inline constexpr uint16_t SESSION_FLAG_IS_NULL = 0x0002;
inline constexpr uint16_t SESSION_FLAG_ENCRYPT_DATA = 0x0004;

// Tree connect (2.2.10).
inline constexpr uint8_t SHARE_TYPE_DISK = 0x01;
inline constexpr uint8_t SHARE_TYPE_PIPE = 0x02;
inline constexpr uint8_t SHARE_TYPE_PRINT = 0x03;
namespace shareflag {
inline constexpr uint32_t MANUAL_CACHING = 0x00000000;
inline constexpr uint32_t AUTO_CACHING = 0x00000010;
inline constexpr uint32_t VDO_CACHING = 0x00000020;
inline constexpr uint32_t NO_CACHING = 0x00000030;
inline constexpr uint32_t DFS = 0x00000001;
inline constexpr uint32_t ENCRYPT_DATA = 0x00008000;
}  // namespace shareflag
namespace sharecap {
inline constexpr uint32_t DFS = 0x00000008;
inline constexpr uint32_t CONTINUOUS_AVAILABILITY = 0x00000010;
inline constexpr uint32_t SCALEOUT = 0x00000020;
inline constexpr uint32_t CLUSTER = 0x00000040;
inline constexpr uint32_t ASYMMETRIC = 0x00000080;
}  // namespace sharecap

// Access mask (MS-SMB2 2.2.13.1, MS-DTYP 2.4.3).
namespace access {
inline constexpr uint32_t FILE_READ_DATA = 0x00000001;
inline constexpr uint32_t FILE_LIST_DIRECTORY = 0x00000001;
inline constexpr uint32_t FILE_WRITE_DATA = 0x00000002;
inline constexpr uint32_t FILE_ADD_FILE = 0x00000002;
inline constexpr uint32_t FILE_APPEND_DATA = 0x00000004;
inline constexpr uint32_t FILE_ADD_SUBDIRECTORY = 0x00000004;
inline constexpr uint32_t FILE_READ_EA = 0x00000008;
inline constexpr uint32_t FILE_WRITE_EA = 0x00000010;
inline constexpr uint32_t FILE_EXECUTE = 0x00000020;
inline constexpr uint32_t FILE_TRAVERSE = 0x00000020;
inline constexpr uint32_t FILE_DELETE_CHILD = 0x00000040;
inline constexpr uint32_t FILE_READ_ATTRIBUTES = 0x00000080;
inline constexpr uint32_t FILE_WRITE_ATTRIBUTES = 0x00000100;
inline constexpr uint32_t DELETE = 0x00010000;
inline constexpr uint32_t READ_CONTROL = 0x00020000;
inline constexpr uint32_t WRITE_DAC = 0x00040000;
inline constexpr uint32_t WRITE_OWNER = 0x00080000;
inline constexpr uint32_t SYNCHRONIZE = 0x00100000;
inline constexpr uint32_t ACCESS_SYSTEM_SECURITY = 0x01000000;
inline constexpr uint32_t MAXIMUM_ALLOWED = 0x02000000;
inline constexpr uint32_t GENERIC_ALL = 0x10000000;
inline constexpr uint32_t GENERIC_EXECUTE = 0x20000000;
inline constexpr uint32_t GENERIC_WRITE = 0x40000000;
inline constexpr uint32_t GENERIC_READ = 0x80000000;
inline constexpr uint32_t FILE_ALL_ACCESS = 0x001F01FF;
// Bits a client may ask for; anything else is invalid (MS-SMB2 3.3.5.9).
inline constexpr uint32_t VALID_MASK = 0xF21F01FF;
}  // namespace access

// Share access.
inline constexpr uint32_t FILE_SHARE_READ = 0x1;
inline constexpr uint32_t FILE_SHARE_WRITE = 0x2;
inline constexpr uint32_t FILE_SHARE_DELETE = 0x4;

// Create dispositions.
namespace disposition {
inline constexpr uint32_t SUPERSEDE = 0;
inline constexpr uint32_t OPEN = 1;
inline constexpr uint32_t CREATE = 2;
inline constexpr uint32_t OPEN_IF = 3;
inline constexpr uint32_t OVERWRITE = 4;
inline constexpr uint32_t OVERWRITE_IF = 5;
}  // namespace disposition

// Create options.
namespace createopt {
inline constexpr uint32_t DIRECTORY_FILE = 0x00000001;
inline constexpr uint32_t WRITE_THROUGH = 0x00000002;
inline constexpr uint32_t SEQUENTIAL_ONLY = 0x00000004;
inline constexpr uint32_t NO_INTERMEDIATE_BUFFERING = 0x00000008;
inline constexpr uint32_t SYNCHRONOUS_IO_ALERT = 0x00000010;
inline constexpr uint32_t SYNCHRONOUS_IO_NONALERT = 0x00000020;
inline constexpr uint32_t NON_DIRECTORY_FILE = 0x00000040;
inline constexpr uint32_t COMPLETE_IF_OPLOCKED = 0x00000100;
inline constexpr uint32_t NO_EA_KNOWLEDGE = 0x00000200;
inline constexpr uint32_t RANDOM_ACCESS = 0x00000800;
inline constexpr uint32_t DELETE_ON_CLOSE = 0x00001000;
inline constexpr uint32_t OPEN_BY_FILE_ID = 0x00002000;
inline constexpr uint32_t OPEN_FOR_BACKUP_INTENT = 0x00004000;
inline constexpr uint32_t NO_COMPRESSION = 0x00008000;
inline constexpr uint32_t OPEN_REMOTE_INSTANCE = 0x00000400;
inline constexpr uint32_t OPEN_REQUIRING_OPLOCK = 0x00010000;
inline constexpr uint32_t DISALLOW_EXCLUSIVE = 0x00020000;
inline constexpr uint32_t RESERVE_OPFILTER = 0x00100000;
inline constexpr uint32_t OPEN_REPARSE_POINT = 0x00200000;
inline constexpr uint32_t OPEN_NO_RECALL = 0x00400000;
inline constexpr uint32_t OPEN_FOR_FREE_SPACE_QUERY = 0x00800000;
}  // namespace createopt

// Create actions.
namespace createaction {
inline constexpr uint32_t SUPERSEDED = 0;
inline constexpr uint32_t OPENED = 1;
inline constexpr uint32_t CREATED = 2;
inline constexpr uint32_t OVERWRITTEN = 3;
}  // namespace createaction

// Impersonation levels.
inline constexpr uint32_t IMPERSONATION_DELEGATE = 3;

// Oplock levels.
namespace oplock {
inline constexpr uint8_t NONE = 0x00;
inline constexpr uint8_t LEVEL_II = 0x01;
inline constexpr uint8_t EXCLUSIVE = 0x08;
inline constexpr uint8_t BATCH = 0x09;
inline constexpr uint8_t LEASE = 0xFF;
}  // namespace oplock

// CLOSE flags.
inline constexpr uint16_t CLOSE_FLAG_POSTQUERY_ATTRIB = 0x0001;

// READ flags / WRITE flags.
inline constexpr uint8_t READFLAG_READ_UNBUFFERED = 0x01;
inline constexpr uint8_t READFLAG_REQUEST_COMPRESSED = 0x02;
inline constexpr uint32_t WRITEFLAG_WRITE_THROUGH = 0x00000001;
inline constexpr uint32_t WRITEFLAG_WRITE_UNBUFFERED = 0x00000002;

// QUERY_DIRECTORY flags.
inline constexpr uint8_t QD_RESTART_SCANS = 0x01;
inline constexpr uint8_t QD_RETURN_SINGLE_ENTRY = 0x02;
inline constexpr uint8_t QD_INDEX_SPECIFIED = 0x04;
inline constexpr uint8_t QD_REOPEN = 0x10;

// QUERY_INFO / SET_INFO info types.
inline constexpr uint8_t INFO_FILE = 0x01;
inline constexpr uint8_t INFO_FILESYSTEM = 0x02;
inline constexpr uint8_t INFO_SECURITY = 0x03;
inline constexpr uint8_t INFO_QUOTA = 0x04;

// IOCTL.
inline constexpr uint32_t IOCTL_IS_FSCTL = 0x00000001;
namespace fsctl {
inline constexpr uint32_t DFS_GET_REFERRALS = 0x00060194;
inline constexpr uint32_t DFS_GET_REFERRALS_EX = 0x000601B0;
inline constexpr uint32_t PIPE_PEEK = 0x0011400C;
inline constexpr uint32_t PIPE_WAIT = 0x00110018;
inline constexpr uint32_t PIPE_TRANSCEIVE = 0x0011C017;
inline constexpr uint32_t SRV_COPYCHUNK = 0x001440F2;
inline constexpr uint32_t SRV_ENUMERATE_SNAPSHOTS = 0x00144064;
inline constexpr uint32_t SRV_REQUEST_RESUME_KEY = 0x00140078;
inline constexpr uint32_t SRV_READ_HASH = 0x001441BB;
inline constexpr uint32_t SRV_COPYCHUNK_WRITE = 0x001480F2;
inline constexpr uint32_t LMR_REQUEST_RESILIENCY = 0x001401D4;
inline constexpr uint32_t QUERY_NETWORK_INTERFACE_INFO = 0x001401FC;
inline constexpr uint32_t SET_REPARSE_POINT = 0x000900A4;
inline constexpr uint32_t GET_REPARSE_POINT = 0x000900A8;
inline constexpr uint32_t FILE_LEVEL_TRIM = 0x00098208;
inline constexpr uint32_t VALIDATE_NEGOTIATE_INFO = 0x00140204;
inline constexpr uint32_t CREATE_OR_GET_OBJECT_ID = 0x000900C0;
inline constexpr uint32_t GET_OBJECT_ID = 0x0009009C;
inline constexpr uint32_t SET_SPARSE = 0x000900C4;
inline constexpr uint32_t SET_ZERO_DATA = 0x000980C8;
inline constexpr uint32_t QUERY_ALLOCATED_RANGES = 0x000940CF;
inline constexpr uint32_t GET_COMPRESSION = 0x0009003C;
inline constexpr uint32_t SET_COMPRESSION = 0x0009C040;
inline constexpr uint32_t GET_INTEGRITY_INFORMATION = 0x0009027C;
}  // namespace fsctl

// File attributes (MS-FSCC 2.6).
namespace attr {
inline constexpr uint32_t READONLY = 0x00000001;
inline constexpr uint32_t HIDDEN = 0x00000002;
inline constexpr uint32_t SYSTEM = 0x00000004;
inline constexpr uint32_t DIRECTORY = 0x00000010;
inline constexpr uint32_t ARCHIVE = 0x00000020;
inline constexpr uint32_t NORMAL = 0x00000080;
inline constexpr uint32_t TEMPORARY = 0x00000100;
inline constexpr uint32_t SPARSE_FILE = 0x00000200;
inline constexpr uint32_t REPARSE_POINT = 0x00000400;
inline constexpr uint32_t COMPRESSED = 0x00000800;
inline constexpr uint32_t OFFLINE = 0x00001000;
inline constexpr uint32_t NOT_CONTENT_INDEXED = 0x00002000;
inline constexpr uint32_t ENCRYPTED = 0x00004000;
inline constexpr uint32_t INTEGRITY_STREAM = 0x00008000;
inline constexpr uint32_t NO_SCRUB_DATA = 0x00020000;
// What a client may set or store (MS-FSA 2.1.5.14.2).
inline constexpr uint32_t SETTABLE = READONLY | HIDDEN | SYSTEM | ARCHIVE | TEMPORARY |
                                     OFFLINE | NOT_CONTENT_INDEXED;
}  // namespace attr

}  // namespace ringsmb::wire
