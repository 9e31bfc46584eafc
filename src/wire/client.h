// The client half of the SMB2 codec: request encoders and response
// decoders (MS-SMB2 2.2.3 - 2.2.39), the mirror of messages.h.
//
// Encoders reuse the request structures of messages.h, so that
// encode_request(x) followed by the server's parse_x() gives x back. They
// append a request body to a Writer that already holds the 64-byte header
// at its start (offsets written into the body count from there). Spans
// inside the request structures must stay valid during the call.
//
// Decoders take one whole response (header included) and, like the
// server's request decoders, check every bound themselves: they are safe
// on any input. Variable parts are returned as spans into the message. A
// response that breaks the format is STATUS_INVALID_NETWORK_RESPONSE.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "wire/fscc.h"
#include "wire/messages.h"
#include "wire/result.h"
#include "wire/writer.h"

namespace ringsmb::wire {

// ------------------------------------------------------------------ requests

// NEGOTIATE (2.2.3). Contexts (2.2.3.1) are written only when dialects
// include 0x0311; each context's data is copied as given.
void encode_request(Writer& w, const NegotiateRequest& q);
// Context payload builders for NEGOTIATE (2.2.3.1.1 - 2.2.3.1.7).
std::vector<uint8_t> preauth_context(Bytes salt);  // SHA-512 only
std::vector<uint8_t> u16_list_context(const std::vector<uint16_t>& ids);  // ciphers, signing algs

void encode_request(Writer& w, const SessionSetupRequest& q);  // 2.2.5
void encode_logoff_request(Writer& w);                           // 2.2.7
void encode_request(Writer& w, const TreeConnectRequest& q);     // 2.2.9 (no extension)
void encode_tree_disconnect_request(Writer& w);                  // 2.2.11

// CREATE (2.2.13): contexts become a chain of SMB2_CREATE_CONTEXT
// structures, 8-byte aligned.
void encode_request(Writer& w, const CreateRequest& q);
void encode_request(Writer& w, const CloseRequest& q);  // 2.2.15
void encode_request(Writer& w, const FlushRequest& q);  // 2.2.17
// READ (2.2.19): one zero byte of Buffer as the spec requires.
void encode_request(Writer& w, const ReadRequest& q);
// WRITE (2.2.21) with q.data appended after the 48-byte fixed part
// (DataOffset 112).
void encode_request(Writer& w, const WriteRequest& q);
// Only the 48-byte fixed part of a WRITE, DataOffset 112 and Length
// `length`: the caller sends the payload as a separate segment.
void encode_write_request_fixed(Writer& w, const WriteRequest& q, uint32_t length);
void encode_request(Writer& w, const LockRequest& q);             // 2.2.26
void encode_request(Writer& w, const IoctlRequest& q);            // 2.2.31
void encode_request(Writer& w, const QueryDirectoryRequest& q);   // 2.2.33
void encode_request(Writer& w, const ChangeNotifyRequest& q);     // 2.2.35
void encode_request(Writer& w, const QueryInfoRequest& q);        // 2.2.37
void encode_request(Writer& w, const SetInfoRequest& q);          // 2.2.39
void encode_request(Writer& w, const OplockBreakAck& q);          // 2.2.24.1
void encode_echo_request(Writer& w);                               // 2.2.28
void encode_cancel_request(Writer& w);                             // 2.2.30

// ----------------------------------------------------------------- responses

// SMB2 ERROR Response (2.2.2): the error data (ErrorContexts or, for
// STATUS_BUFFER_TOO_SMALL, the 4-byte size needed).
struct ErrorResponse {
  uint8_t error_context_count = 0;
  Bytes error_data;
};
Result<ErrorResponse> parse_error_response(Bytes msg);

struct NegotiateResponseView {
  uint16_t security_mode = 0;
  uint16_t dialect = 0;
  Guid server_guid;
  uint32_t capabilities = 0;
  uint32_t max_transact = 0;
  uint32_t max_read = 0;
  uint32_t max_write = 0;
  uint64_t system_time = 0;
  uint64_t server_start_time = 0;
  Bytes security_buffer;
  std::vector<NegotiateContext> contexts;  // 3.1.1 only
};
Result<NegotiateResponseView> parse_negotiate_response(Bytes msg);

struct SessionSetupResponse {
  uint16_t session_flags = 0;
  Bytes security_buffer;
};
Result<SessionSetupResponse> parse_session_setup_response(Bytes msg);

Result<TreeConnectResponse> parse_tree_connect_response(Bytes msg);

struct CreateResponseView {
  uint8_t oplock_level = 0;
  uint8_t flags = 0;
  uint32_t create_action = 0;
  NetworkOpenInfo info;
  FileId file_id;
  std::vector<CreateContext> contexts;
};
Result<CreateResponseView> parse_create_response(Bytes msg);

struct CloseResponse {
  uint16_t flags = 0;
  NetworkOpenInfo info;  // zero unless POSTQUERY_ATTRIB was asked
};
Result<CloseResponse> parse_close_response(Bytes msg);

struct ReadResponseView {
  Bytes data;
  uint32_t data_remaining = 0;
};
Result<ReadResponseView> parse_read_response(Bytes msg);

// WRITE response (2.2.22): the byte count written.
Result<uint32_t> parse_write_response(Bytes msg);

struct IoctlResponseView {
  uint32_t ctl_code = 0;
  FileId file_id;
  Bytes input;
  Bytes output;
  uint32_t flags = 0;
};
Result<IoctlResponseView> parse_ioctl_response(Bytes msg);

// QUERY_DIRECTORY, QUERY_INFO and CHANGE_NOTIFY responses: the output
// buffer.
Result<Bytes> parse_buffer_response(Bytes msg);

// OPLOCK_BREAK notification (2.2.23.1) as the server sends it.
Result<OplockBreakAck> parse_oplock_break_notification(Bytes msg);

// Bodies of StructureSize 4 (LOGOFF, TREE_DISCONNECT, FLUSH, ECHO, LOCK):
// SUCCESS or the error.
NtStatus parse_empty_response(Bytes msg);

// ------------------------------------------------------ FSCC, client side

// One entry of a QUERY_DIRECTORY answer, for any of the directory classes
// 1, 2, 3, 12, 37, 38, 60 (fields a class lacks stay zero).
struct DirEntry {
  uint32_t file_index = 0;
  uint64_t creation_time = 0;
  uint64_t last_access_time = 0;
  uint64_t last_write_time = 0;
  uint64_t change_time = 0;
  uint64_t end_of_file = 0;
  uint64_t allocation_size = 0;
  uint32_t attributes = 0;
  uint32_t ea_size = 0;
  uint64_t file_id = 0;
  std::string name;        // UTF-8
  std::string short_name;  // UTF-8, Both classes only
};
// Walks the NextEntryOffset chain; an entry that runs past the buffer or
// a name that is not valid UTF-16 is an error (STATUS_INVALID_NETWORK_RESPONSE).
Result<std::vector<DirEntry>> parse_dir_entries(Bytes buffer, uint8_t info_class);

// FileAllInformation (2.4.2) and the classes it is made of.
struct AllInfo {
  uint64_t creation_time = 0;
  uint64_t last_access_time = 0;
  uint64_t last_write_time = 0;
  uint64_t change_time = 0;
  uint32_t attributes = 0;
  uint64_t allocation_size = 0;
  uint64_t end_of_file = 0;
  uint32_t number_of_links = 0;
  bool delete_pending = false;
  bool directory = false;
  uint64_t index_number = 0;
  uint32_t ea_size = 0;
  uint32_t access_flags = 0;
  uint64_t current_byte_offset = 0;
  uint32_t mode = 0;
  uint32_t alignment = 0;
  std::string name;  // UTF-8
};
Result<AllInfo> parse_all_info(Bytes buffer);
Result<NetworkOpenInfo> parse_basic_info(Bytes buffer);  // times and attributes only
Result<NetworkOpenInfo> parse_network_open_info(Bytes buffer);

// FileFsFullSizeInformation (2.5.4).
struct FsFullSize {
  uint64_t total_units = 0;
  uint64_t caller_available_units = 0;
  uint64_t actual_available_units = 0;
  uint32_t sectors_per_unit = 0;
  uint32_t bytes_per_sector = 0;
};
Result<FsFullSize> parse_fs_full_size(Bytes buffer);

// Set-info payloads.
// FileRenameInformation (2.4.37, the SMB2 form: RootDirectory 8 bytes 0).
std::vector<uint8_t> rename_info(std::string_view new_name_utf8, bool replace);
// FileDispositionInformation (2.4.11).
std::vector<uint8_t> disposition_info(bool delete_pending);
// FileBasicInformation (2.4.7); zero fields mean "do not change".
std::vector<uint8_t> basic_info(const NetworkOpenInfo& times_and_attributes);
// FileEndOfFileInformation (2.4.13).
std::vector<uint8_t> end_of_file_info(uint64_t size);

// NETWORK_INTERFACE_INFO (MS-SMB2 2.2.32.5): the output of
// FSCTL_QUERY_NETWORK_INTERFACE_INFO, both directions.
struct NetworkInterface {
  uint32_t if_index = 0;
  uint32_t capability = 0;  // 0x1 RSS_CAPABLE, 0x2 RDMA_CAPABLE
  uint64_t link_speed = 0;  // bits per second
  // SOCKADDR_STORAGE: family 2 (IPv4, 4 address bytes) or 23 (IPv6, 16
  // address bytes, flow info and scope id); port is always 0 on the wire.
  uint16_t family = 0;
  uint8_t addr[16] = {};
  uint32_t ipv6_flowinfo = 0;
  uint32_t ipv6_scope_id = 0;
};
inline constexpr uint32_t NETIF_RSS_CAPABLE = 0x1;
inline constexpr uint32_t NETIF_RDMA_CAPABLE = 0x2;
inline constexpr uint16_t SOCKADDR_INET = 0x0002;
inline constexpr uint16_t SOCKADDR_INET6 = 0x0017;
// 152 bytes per entry, chained with Next (0 on the last).
std::vector<uint8_t> encode_network_interfaces(const std::vector<NetworkInterface>& list);
Result<std::vector<NetworkInterface>> parse_network_interfaces(Bytes buffer);

}  // namespace ringsmb::wire
