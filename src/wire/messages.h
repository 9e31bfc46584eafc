// SMB2 request decoders and response encoders (MS-SMB2 2.2.3 - 2.2.39).
//
// Decoders take one request (header included, as split by validate.h) and
// return a view: small fields copied, buffers as spans into the request.
// They re-check every bound themselves, so they are safe on any input (the
// fuzz targets call them directly), not only after validate_request().
//
// Encoders append a response body (without header) to a Writer. Offsets
// written into responses count from the start of the SMB2 header, which the
// caller places immediately before the body.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "wire/le.h"
#include "wire/result.h"
#include "wire/smb2.h"
#include "wire/writer.h"

namespace ringsmb::wire {

struct FileId {
  uint64_t persistent = 0;
  uint64_t volatile_ = 0;
  bool operator==(const FileId&) const = default;
  // Related compound requests use all ones to mean "the previous FileId".
  bool is_related_placeholder() const {
    return persistent == ~uint64_t{0} && volatile_ == ~uint64_t{0};
  }
};
inline FileId ld_file_id(const uint8_t* p) { return {ld64(p), ld64(p + 8)}; }
inline void st_file_id(uint8_t* p, FileId f) {
  st64(p, f.persistent);
  st64(p + 8, f.volatile_);
}

// ---------------------------------------------------------------- NEGOTIATE

struct NegotiateContext {
  uint16_t type = 0;
  Bytes data;
};

struct NegotiateRequest {
  uint16_t security_mode = 0;
  uint32_t capabilities = 0;
  Guid client_guid;
  std::vector<uint16_t> dialects;
  std::vector<NegotiateContext> contexts;  // only when 0x0311 is offered
};
Result<NegotiateRequest> parse_negotiate(Bytes msg);

struct PreauthIntegrityCaps {
  std::vector<uint16_t> hash_algorithms;
  Bytes salt;
};
Result<PreauthIntegrityCaps> parse_preauth_caps(Bytes data);
// A list of 16-bit ids after a 16-bit count (encryption and signing caps).
Result<std::vector<uint16_t>> parse_u16_list(Bytes data);

struct NegotiateResponse {
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
  std::vector<std::pair<uint16_t, std::vector<uint8_t>>> contexts;
};
void encode_negotiate_response(Writer& w, const NegotiateResponse& r);

// ------------------------------------------------------------ SESSION_SETUP

struct SessionSetupRequest {
  uint8_t flags = 0;
  uint8_t security_mode = 0;
  uint32_t capabilities = 0;
  uint32_t channel = 0;
  Bytes security_buffer;
  uint64_t previous_session_id = 0;
};
Result<SessionSetupRequest> parse_session_setup(Bytes msg);
void encode_session_setup_response(Writer& w, uint16_t session_flags, Bytes security_buffer);

// ------------------------------------------------------------- TREE_CONNECT

struct TreeConnectRequest {
  uint16_t flags = 0;
  Bytes path;  // UTF-16LE \\server\share
};
Result<TreeConnectRequest> parse_tree_connect(Bytes msg);

struct TreeConnectResponse {
  uint8_t share_type = SHARE_TYPE_DISK;
  uint32_t share_flags = 0;
  uint32_t capabilities = 0;
  uint32_t maximal_access = 0;
};
void encode_tree_connect_response(Writer& w, const TreeConnectResponse& r);

// Bodies that are only StructureSize + Reserved (LOGOFF, TREE_DISCONNECT,
// FLUSH response, ECHO, LOCK response ...).
void encode_empty_response(Writer& w, uint16_t structure_size = 4);

// ------------------------------------------------------------------- CREATE

struct CreateContext {
  Bytes name;
  Bytes data;
};

struct CreateRequest {
  uint8_t security_flags = 0;
  uint8_t oplock_level = 0;
  uint32_t impersonation_level = 0;
  uint64_t create_flags = 0;
  uint32_t desired_access = 0;
  uint32_t file_attributes = 0;
  uint32_t share_access = 0;
  uint32_t disposition = 0;
  uint32_t options = 0;
  Bytes name;  // UTF-16LE, no leading backslash
  std::vector<CreateContext> contexts;
};
Result<CreateRequest> parse_create(Bytes msg);
// Parses a chain of SMB2_CREATE_CONTEXT structures (2.2.13.2).
Result<std::vector<CreateContext>> parse_create_contexts(Bytes chain);

// Times and sizes returned by CREATE and CLOSE (and many info classes).
struct NetworkOpenInfo {
  uint64_t creation_time = 0;
  uint64_t last_access_time = 0;
  uint64_t last_write_time = 0;
  uint64_t change_time = 0;
  uint64_t allocation_size = 0;
  uint64_t end_of_file = 0;
  uint32_t attributes = 0;
};

struct CreateResponse {
  uint8_t oplock_level = 0;
  uint8_t flags = 0;
  uint32_t create_action = 0;
  NetworkOpenInfo info;
  FileId file_id;
  // (name, data) pairs, encoded as a create context chain.
  std::vector<std::pair<std::string, std::vector<uint8_t>>> contexts;
};
void encode_create_response(Writer& w, const CreateResponse& r);

// -------------------------------------------------------------------- CLOSE

struct CloseRequest {
  uint16_t flags = 0;
  FileId file_id;
};
Result<CloseRequest> parse_close(Bytes msg);
// info == nullptr: all attribute fields zero (POSTQUERY_ATTRIB not asked).
void encode_close_response(Writer& w, uint16_t flags, const NetworkOpenInfo* info);

// -------------------------------------------------------------------- FLUSH

struct FlushRequest {
  FileId file_id;
};
Result<FlushRequest> parse_flush(Bytes msg);

// --------------------------------------------------------------------- READ

struct ReadRequest {
  uint8_t padding = 0;
  uint8_t flags = 0;
  uint32_t length = 0;
  uint64_t offset = 0;
  FileId file_id;
  uint32_t minimum_count = 0;
  uint32_t channel = 0;
  uint32_t remaining_bytes = 0;
};
Result<ReadRequest> parse_read(Bytes msg);
inline constexpr size_t kReadResponseFixed = 16;
// Writes the 16-byte fixed part; data follows at header offset 64+16 = 80.
void encode_read_response_fixed(uint8_t* out16, uint32_t data_length, uint32_t data_remaining);

// -------------------------------------------------------------------- WRITE

struct WriteRequest {
  uint16_t data_offset = 0;
  uint32_t length = 0;
  uint64_t offset = 0;
  FileId file_id;
  uint32_t channel = 0;
  uint32_t remaining_bytes = 0;
  uint32_t flags = 0;
  Bytes data;
};
Result<WriteRequest> parse_write(Bytes msg);
void encode_write_response(Writer& w, uint32_t count);

// --------------------------------------------------------------------- LOCK

struct LockElement {
  uint64_t offset = 0;
  uint64_t length = 0;
  uint32_t flags = 0;
};
inline constexpr uint32_t LOCKFLAG_SHARED = 0x1;
inline constexpr uint32_t LOCKFLAG_EXCLUSIVE = 0x2;
inline constexpr uint32_t LOCKFLAG_UNLOCK = 0x4;
inline constexpr uint32_t LOCKFLAG_FAIL_IMMEDIATELY = 0x10;
struct LockRequest {
  uint32_t lock_sequence = 0;
  FileId file_id;
  std::vector<LockElement> locks;
};
Result<LockRequest> parse_lock(Bytes msg);

// -------------------------------------------------------------------- IOCTL

struct IoctlRequest {
  uint32_t ctl_code = 0;
  FileId file_id;
  Bytes input;
  uint32_t max_input_response = 0;
  uint32_t max_output_response = 0;
  uint32_t flags = 0;
};
Result<IoctlRequest> parse_ioctl(Bytes msg);
void encode_ioctl_response(Writer& w, uint32_t ctl_code, FileId file_id, Bytes output);

// ----------------------------------------------------------- QUERY_DIRECTORY

struct QueryDirectoryRequest {
  uint8_t info_class = 0;
  uint8_t flags = 0;
  uint32_t file_index = 0;
  FileId file_id;
  Bytes pattern;  // UTF-16LE
  uint32_t output_length = 0;
};
Result<QueryDirectoryRequest> parse_query_directory(Bytes msg);
// Response with a 9-byte StructureSize and an output buffer (QUERY_DIRECTORY,
// QUERY_INFO, CHANGE_NOTIFY share this shape).
void encode_buffer_response(Writer& w, Bytes output);

// ------------------------------------------------------------- CHANGE_NOTIFY

struct ChangeNotifyRequest {
  uint16_t flags = 0;
  uint32_t output_length = 0;
  FileId file_id;
  uint32_t completion_filter = 0;
};
Result<ChangeNotifyRequest> parse_change_notify(Bytes msg);

// ---------------------------------------------------------------- QUERY_INFO

struct QueryInfoRequest {
  uint8_t info_type = 0;
  uint8_t info_class = 0;
  uint32_t output_length = 0;
  Bytes input;
  uint32_t additional_information = 0;
  uint32_t flags = 0;
  FileId file_id;
};
Result<QueryInfoRequest> parse_query_info(Bytes msg);

// ------------------------------------------------------------------ SET_INFO

struct SetInfoRequest {
  uint8_t info_type = 0;
  uint8_t info_class = 0;
  Bytes buffer;
  uint32_t additional_information = 0;
  FileId file_id;
};
Result<SetInfoRequest> parse_set_info(Bytes msg);

// ------------------------------------------------------------- OPLOCK_BREAK

struct OplockBreakAck {
  uint8_t oplock_level = 0;
  FileId file_id;
};
Result<OplockBreakAck> parse_oplock_break_ack(Bytes msg);

// -------------------------------------------------------------------- ERROR

// SMB2 ERROR Response (2.2.2): StructureSize 9, ByteCount, at least one byte.
void encode_error_response(Writer& w, Bytes error_data = {});

}  // namespace ringsmb::wire
