// The client half of the SMB2 codec (see client.h).
//
// Requests: every encoder reserves its fixed part with begin_body(), fills
// it with put* at the spec's positions, then appends the variable part. A
// request whose StructureSize is odd counts one byte of its variable part
// in that size (MS-SMB2 2.2.x), and Windows checks that the message is at
// least that long, so an empty variable part is sent as one zero byte.
//
// Responses: decoders accept a body that holds the fixed part (StructureSize
// rounded down to even) and every buffer its (offset, length) pairs
// describe. The one byte of variable part that an odd StructureSize counts
// is not required when the buffers are empty: a server that leaves it out
// sent nothing the client would read.
#include "wire/client.h"

#include <algorithm>

#include "wire/utf16.h"

namespace ringsmb::wire {

namespace {

constexpr NtStatus kBad = status::INVALID_NETWORK_RESPONSE;

// ------------------------------------------------------------ request side

// Appends a zeroed fixed part of `fixed` bytes with StructureSize set and
// returns where it starts. The header sits right before it, so a body
// position p is at header offset kHeaderSize + (p - base).
size_t begin_body(Writer& w, uint16_t structure_size, size_t fixed) {
  size_t base = w.zeros(fixed);
  w.put16(base, structure_size);
  return base;
}

// Offset of the writer's end, counted from the header before `base`.
uint32_t header_offset(const Writer& w, size_t base) {
  return static_cast<uint32_t>(kHeaderSize + (w.size() - base));
}

// Pads with zeros to an 8-byte boundary counted from the header start
// (every SMB2 message starts 8-byte aligned in its frame).
void align8(Writer& w, size_t base) {
  size_t off = kHeaderSize + (w.size() - base);
  w.zeros((8 - off % 8) % 8);
}

// Appends the variable part, or the one zero byte an odd StructureSize
// counts when it is empty.
void append_buffer(Writer& w, Bytes b) {
  if (b.empty()) {
    w.zeros(1);
  } else {
    w.append(b);
  }
}

void put_fid(Writer& w, size_t at, FileId f) { st_file_id(w.data() + at, f); }

// A request made only of StructureSize 4 and Reserved (2.2.7, 2.2.11,
// 2.2.28, 2.2.30).
void encode_four(Writer& w) { begin_body(w, 4, 4); }

// ----------------------------------------------------------- response side

// The body of a response whose StructureSize must be `structure_size`;
// its fixed part (the size rounded down to even) must be present.
Result<Reader> response_body(Bytes msg, uint16_t structure_size) {
  const size_t fixed = structure_size & ~size_t{1};
  if (msg.size() < kHeaderSize || msg.size() - kHeaderSize < fixed) return Err{kBad};
  Reader r(msg.subspan(kHeaderSize));
  if (r.u16(0) != structure_size) return Err{kBad};
  return r;
}

// A buffer given by an offset from the header start and a length: empty
// when the length is zero (the offset then means nothing), otherwise it
// must lie after the fixed part and inside the message.
Result<Bytes> buffer_at(Bytes msg, uint64_t off, uint64_t len, size_t fixed) {
  if (len == 0) return Bytes{};
  if (off < kHeaderSize + fixed || off > msg.size() || len > msg.size() - off) {
    return Err{kBad};
  }
  return msg.subspan(off, len);
}

NetworkOpenInfo ld_open_info(const uint8_t* p) {
  NetworkOpenInfo i;
  i.creation_time = ld64(p);
  i.last_access_time = ld64(p + 8);
  i.last_write_time = ld64(p + 16);
  i.change_time = ld64(p + 24);
  i.allocation_size = ld64(p + 32);
  i.end_of_file = ld64(p + 40);
  i.attributes = ld32(p + 48);
  return i;
}

}  // namespace

// ================================================================= requests

// NEGOTIATE (2.2.3): StructureSize 36, DialectCount, SecurityMode,
// Reserved, Capabilities, ClientGuid, then NegotiateContextOffset/Count
// (3.1.1) or ClientStartTime (zero), Dialects, padding, contexts.
void encode_request(Writer& w, const NegotiateRequest& q) {
  const size_t base = begin_body(w, 36, 36);
  w.put16(base + 2, static_cast<uint16_t>(q.dialects.size()));
  w.put16(base + 4, q.security_mode);
  w.put32(base + 8, q.capabilities);
  st_guid(w.data() + base + 12, q.client_guid);
  for (uint16_t d : q.dialects) w.u16(d);
  const bool has311 =
      std::find(q.dialects.begin(), q.dialects.end(), dialect::SMB311) != q.dialects.end();
  if (!has311 || q.contexts.empty()) return;
  // 2.2.3: the first context at the first 8-byte aligned offset after the
  // dialects, each later one 8-byte aligned after the one before; no
  // padding after the last (2.2.3.1).
  align8(w, base);
  w.put32(base + 28, header_offset(w, base));
  w.put16(base + 32, static_cast<uint16_t>(q.contexts.size()));
  for (size_t i = 0; i < q.contexts.size(); ++i) {
    if (i != 0) align8(w, base);
    const NegotiateContext& c = q.contexts[i];
    w.u16(c.type);
    w.u16(static_cast<uint16_t>(c.data.size()));
    w.u32(0);  // Reserved
    w.append(c.data);
  }
}

// SMB2_PREAUTH_INTEGRITY_CAPABILITIES (2.2.3.1.1): HashAlgorithmCount,
// SaltLength, HashAlgorithms, Salt.
std::vector<uint8_t> preauth_context(Bytes salt) {
  std::vector<uint8_t> out(6 + salt.size());
  st16(out.data(), 1);
  st16(out.data() + 2, static_cast<uint16_t>(salt.size()));
  st16(out.data() + 4, HASH_SHA512);
  std::copy(salt.begin(), salt.end(), out.begin() + 6);
  return out;
}

// SMB2_ENCRYPTION_CAPABILITIES (2.2.3.1.2) and SMB2_SIGNING_CAPABILITIES
// (2.2.3.1.7): a 16-bit count, then the 16-bit ids.
std::vector<uint8_t> u16_list_context(const std::vector<uint16_t>& ids) {
  std::vector<uint8_t> out(2 + 2 * ids.size());
  st16(out.data(), static_cast<uint16_t>(ids.size()));
  for (size_t i = 0; i < ids.size(); ++i) st16(out.data() + 2 + 2 * i, ids[i]);
  return out;
}

// SESSION_SETUP (2.2.5): the security buffer at 0x58.
void encode_request(Writer& w, const SessionSetupRequest& q) {
  const size_t base = begin_body(w, 25, 24);
  w.data()[base + 2] = q.flags;
  w.data()[base + 3] = q.security_mode;
  w.put32(base + 4, q.capabilities);
  w.put32(base + 8, q.channel);
  w.put16(base + 12, static_cast<uint16_t>(header_offset(w, base)));
  w.put16(base + 14, static_cast<uint16_t>(q.security_buffer.size()));
  w.put64(base + 16, q.previous_session_id);
  append_buffer(w, q.security_buffer);
}

void encode_logoff_request(Writer& w) { encode_four(w); }

// TREE_CONNECT (2.2.9): Flags, the path at 0x48.
void encode_request(Writer& w, const TreeConnectRequest& q) {
  const size_t base = begin_body(w, 9, 8);
  w.put16(base + 2, q.flags);
  w.put16(base + 4, static_cast<uint16_t>(header_offset(w, base)));
  w.put16(base + 6, static_cast<uint16_t>(q.path.size()));
  append_buffer(w, q.path);
}

void encode_tree_disconnect_request(Writer& w) { encode_four(w); }

// CREATE (2.2.13). NameOffset is 0x78 even for an empty name (the server
// opens the share root); the contexts follow at the next 8-byte boundary.
void encode_request(Writer& w, const CreateRequest& q) {
  const size_t base = begin_body(w, 57, 56);
  w.data()[base + 2] = q.security_flags;
  w.data()[base + 3] = q.oplock_level;
  w.put32(base + 4, q.impersonation_level);
  w.put64(base + 8, q.create_flags);
  // base + 16: Reserved (8 bytes).
  w.put32(base + 24, q.desired_access);
  w.put32(base + 28, q.file_attributes);
  w.put32(base + 32, q.share_access);
  w.put32(base + 36, q.disposition);
  w.put32(base + 40, q.options);
  w.put16(base + 44, static_cast<uint16_t>(header_offset(w, base)));
  w.put16(base + 46, static_cast<uint16_t>(q.name.size()));
  w.append(q.name);
  if (q.contexts.empty()) {
    if (q.name.empty()) w.zeros(1);  // Buffer is never empty
    return;
  }
  align8(w, base);
  const size_t chain = w.size();
  size_t prev = 0;
  for (size_t i = 0; i < q.contexts.size(); ++i) {
    // SMB2_CREATE_CONTEXT (2.2.13.2): Next, NameOffset, NameLength,
    // Reserved, DataOffset, DataLength, then the name at 16 and the data
    // at the next 8-byte boundary. Next links to the next 8-byte aligned
    // context; the last has Next 0 and no trailing padding.
    if (i != 0) {
      align8(w, base);
      w.put32(prev, static_cast<uint32_t>(w.size() - prev));
    }
    prev = w.size();
    const CreateContext& c = q.contexts[i];
    w.zeros(16);
    w.put16(prev + 4, 16);
    w.put16(prev + 6, static_cast<uint16_t>(c.name.size()));
    w.append(c.name);
    if (!c.data.empty()) {
      align8(w, base);
      w.put16(prev + 10, static_cast<uint16_t>(w.size() - prev));
      w.put32(prev + 12, static_cast<uint32_t>(c.data.size()));
      w.append(c.data);
    }
  }
  w.put32(base + 48, static_cast<uint32_t>(kHeaderSize + (chain - base)));
  w.put32(base + 52, static_cast<uint32_t>(w.size() - chain));
}

// CLOSE (2.2.15): Flags, Reserved, FileId.
void encode_request(Writer& w, const CloseRequest& q) {
  const size_t base = begin_body(w, 24, 24);
  w.put16(base + 2, q.flags);
  put_fid(w, base + 8, q.file_id);
}

// FLUSH (2.2.17): Reserved1, Reserved2, FileId.
void encode_request(Writer& w, const FlushRequest& q) {
  const size_t base = begin_body(w, 24, 24);
  put_fid(w, base + 8, q.file_id);
}

// READ (2.2.19): no channel info, so ReadChannelInfoOffset/Length are 0
// and the Buffer is the single zero byte.
void encode_request(Writer& w, const ReadRequest& q) {
  const size_t base = begin_body(w, 49, 48);
  w.data()[base + 2] = q.padding;
  w.data()[base + 3] = q.flags;
  w.put32(base + 4, q.length);
  w.put64(base + 8, q.offset);
  put_fid(w, base + 16, q.file_id);
  w.put32(base + 32, q.minimum_count);
  w.put32(base + 36, q.channel);
  w.put32(base + 40, q.remaining_bytes);
  w.zeros(1);
}

namespace {
// WRITE (2.2.21) fixed part: DataOffset, Length, Offset, FileId, Channel,
// RemainingBytes, WriteChannelInfoOffset/Length (0), Flags.
void write_fixed(Writer& w, const WriteRequest& q, uint32_t length) {
  const size_t base = begin_body(w, 49, 48);
  w.put16(base + 2, static_cast<uint16_t>(kHeaderSize + 48));
  w.put32(base + 4, length);
  w.put64(base + 8, q.offset);
  put_fid(w, base + 16, q.file_id);
  w.put32(base + 32, q.channel);
  w.put32(base + 36, q.remaining_bytes);
  w.put32(base + 44, q.flags);
}
}  // namespace

// Length is the size of q.data (q.length and q.data_offset are not read).
void encode_request(Writer& w, const WriteRequest& q) {
  write_fixed(w, q, static_cast<uint32_t>(q.data.size()));
  append_buffer(w, q.data);
}

void encode_write_request_fixed(Writer& w, const WriteRequest& q, uint32_t length) {
  write_fixed(w, q, length);
}

// LOCK (2.2.26): LockCount, LockSequenceNumber/Index, FileId, then the
// SMB2_LOCK_ELEMENTs (Offset, Length, Flags, Reserved). StructureSize 48
// counts one element; an empty list still takes its room.
void encode_request(Writer& w, const LockRequest& q) {
  const size_t n = q.locks.size();
  const size_t base = begin_body(w, 48, 24 + 24 * std::max<size_t>(n, 1));
  w.put16(base + 2, static_cast<uint16_t>(n));
  w.put32(base + 4, q.lock_sequence);
  put_fid(w, base + 8, q.file_id);
  for (size_t i = 0; i < n; ++i) {
    const size_t e = base + 24 + 24 * i;
    w.put64(e, q.locks[i].offset);
    w.put64(e + 8, q.locks[i].length);
    w.put32(e + 16, q.locks[i].flags);
  }
}

// IOCTL (2.2.31): InputOffset and OutputOffset both 0x78 as Windows sends
// them; OutputCount is 0 (a request carries no output).
void encode_request(Writer& w, const IoctlRequest& q) {
  const size_t base = begin_body(w, 57, 56);
  const uint32_t buf = static_cast<uint32_t>(kHeaderSize + 56);
  w.put32(base + 4, q.ctl_code);
  put_fid(w, base + 8, q.file_id);
  w.put32(base + 24, buf);
  w.put32(base + 28, static_cast<uint32_t>(q.input.size()));
  w.put32(base + 32, q.max_input_response);
  w.put32(base + 36, buf);
  w.put32(base + 40, 0);
  w.put32(base + 44, q.max_output_response);
  w.put32(base + 48, q.flags);
  append_buffer(w, q.input);
}

// QUERY_DIRECTORY (2.2.33): the search pattern at 0x60.
void encode_request(Writer& w, const QueryDirectoryRequest& q) {
  const size_t base = begin_body(w, 33, 32);
  w.data()[base + 2] = q.info_class;
  w.data()[base + 3] = q.flags;
  w.put32(base + 4, q.file_index);
  put_fid(w, base + 8, q.file_id);
  w.put16(base + 24, static_cast<uint16_t>(header_offset(w, base)));
  w.put16(base + 26, static_cast<uint16_t>(q.pattern.size()));
  w.put32(base + 28, q.output_length);
  append_buffer(w, q.pattern);
}

// CHANGE_NOTIFY (2.2.35): Flags, OutputBufferLength, FileId,
// CompletionFilter, Reserved.
void encode_request(Writer& w, const ChangeNotifyRequest& q) {
  const size_t base = begin_body(w, 32, 32);
  w.put16(base + 2, q.flags);
  w.put32(base + 4, q.output_length);
  put_fid(w, base + 8, q.file_id);
  w.put32(base + 24, q.completion_filter);
}

// QUERY_INFO (2.2.37): the input buffer at 0x68.
void encode_request(Writer& w, const QueryInfoRequest& q) {
  const size_t base = begin_body(w, 41, 40);
  w.data()[base + 2] = q.info_type;
  w.data()[base + 3] = q.info_class;
  w.put32(base + 4, q.output_length);
  w.put16(base + 8, static_cast<uint16_t>(header_offset(w, base)));
  w.put32(base + 12, static_cast<uint32_t>(q.input.size()));
  w.put32(base + 16, q.additional_information);
  w.put32(base + 20, q.flags);
  put_fid(w, base + 24, q.file_id);
  append_buffer(w, q.input);
}

// SET_INFO (2.2.39): BufferLength, then BufferOffset (0x60).
void encode_request(Writer& w, const SetInfoRequest& q) {
  const size_t base = begin_body(w, 33, 32);
  w.data()[base + 2] = q.info_type;
  w.data()[base + 3] = q.info_class;
  w.put32(base + 4, static_cast<uint32_t>(q.buffer.size()));
  w.put16(base + 8, static_cast<uint16_t>(header_offset(w, base)));
  w.put32(base + 12, q.additional_information);
  put_fid(w, base + 16, q.file_id);
  append_buffer(w, q.buffer);
}

// OPLOCK_BREAK Acknowledgment (2.2.24.1): OplockLevel, Reserved,
// Reserved2, FileId.
void encode_request(Writer& w, const OplockBreakAck& q) {
  const size_t base = begin_body(w, 24, 24);
  w.data()[base + 2] = q.oplock_level;
  put_fid(w, base + 8, q.file_id);
}

void encode_echo_request(Writer& w) { encode_four(w); }
void encode_cancel_request(Writer& w) { encode_four(w); }

// ================================================================ responses

// ERROR (2.2.2): ErrorContextCount, Reserved, ByteCount, ErrorData.
Result<ErrorResponse> parse_error_response(Bytes msg) {
  auto b = response_body(msg, 9);
  if (!b) return Err{b.status()};
  const Reader& r = *b;
  uint32_t count = r.u32(4);
  if (!r.has(8, count)) return Err{kBad};
  return ErrorResponse{r.u8(2), r.sub(8, count)};
}

// NEGOTIATE response (2.2.4).
Result<NegotiateResponseView> parse_negotiate_response(Bytes msg) {
  auto b = response_body(msg, 65);
  if (!b) return Err{b.status()};
  const Reader& r = *b;
  const uint8_t* p = r.bytes().data();
  NegotiateResponseView v;
  v.security_mode = r.u16(2);
  v.dialect = r.u16(4);
  v.server_guid = ld_guid(p + 8);
  v.capabilities = r.u32(24);
  v.max_transact = r.u32(28);
  v.max_read = r.u32(32);
  v.max_write = r.u32(36);
  v.system_time = r.u64(40);
  v.server_start_time = r.u64(48);
  auto sec = buffer_at(msg, r.u16(56), r.u16(58), 64);
  if (!sec) return Err{sec.status()};
  v.security_buffer = *sec;
  const uint16_t count = r.u16(6);
  if (v.dialect != dialect::SMB311 || count == 0) return v;
  // The first context at NegotiateContextOffset, each later one at the
  // first 8-byte aligned offset after the one before (2.2.4). Each needs
  // its 8-byte ContextType/DataLength/Reserved and its data.
  size_t pos = r.u32(60);
  if (pos < kHeaderSize + 64) return Err{kBad};
  for (uint16_t i = 0; i < count; ++i) {
    if (i != 0) pos = (pos + 7) & ~size_t{7};
    if (pos > msg.size() || msg.size() - pos < 8) return Err{kBad};
    const uint16_t type = ld16(msg.data() + pos);
    const uint16_t len = ld16(msg.data() + pos + 2);
    if (msg.size() - pos - 8 < len) return Err{kBad};
    v.contexts.push_back({type, msg.subspan(pos + 8, len)});
    pos += 8 + size_t{len};
  }
  return v;
}

// SESSION_SETUP response (2.2.6): SessionFlags, SecurityBufferOffset/Length.
Result<SessionSetupResponse> parse_session_setup_response(Bytes msg) {
  auto b = response_body(msg, 9);
  if (!b) return Err{b.status()};
  const Reader& r = *b;
  auto sec = buffer_at(msg, r.u16(4), r.u16(6), 8);
  if (!sec) return Err{sec.status()};
  return SessionSetupResponse{r.u16(2), *sec};
}

// TREE_CONNECT response (2.2.10): ShareType, Reserved, ShareFlags,
// Capabilities, MaximalAccess.
Result<TreeConnectResponse> parse_tree_connect_response(Bytes msg) {
  auto b = response_body(msg, 16);
  if (!b) return Err{b.status()};
  const Reader& r = *b;
  TreeConnectResponse t;
  t.share_type = r.u8(2);
  t.share_flags = r.u32(4);
  t.capabilities = r.u32(8);
  t.maximal_access = r.u32(12);
  return t;
}

// CREATE response (2.2.14): OplockLevel, Flags, CreateAction, the
// network-open fields (with Reserved2 after FileAttributes), FileId,
// CreateContextsOffset/Length.
Result<CreateResponseView> parse_create_response(Bytes msg) {
  auto b = response_body(msg, 89);
  if (!b) return Err{b.status()};
  const Reader& r = *b;
  const uint8_t* p = r.bytes().data();
  CreateResponseView v;
  v.oplock_level = r.u8(2);
  v.flags = r.u8(3);
  v.create_action = r.u32(4);
  v.info = ld_open_info(p + 8);
  v.file_id = ld_file_id(p + 64);
  auto chain = buffer_at(msg, r.u32(80), r.u32(84), 88);
  if (!chain) return Err{chain.status()};
  if (!chain->empty()) {
    auto list = parse_create_contexts(*chain);
    if (!list) return Err{kBad};
    v.contexts = std::move(*list);
  }
  return v;
}

// CLOSE response (2.2.16): Flags, Reserved, then the network-open fields.
Result<CloseResponse> parse_close_response(Bytes msg) {
  auto b = response_body(msg, 60);
  if (!b) return Err{b.status()};
  const Reader& r = *b;
  return CloseResponse{r.u16(2), ld_open_info(r.bytes().data() + 8)};
}

// READ response (2.2.20): DataOffset is one byte, then Reserved,
// DataLength, DataRemaining, Reserved2 (Flags in 3.1.1).
Result<ReadResponseView> parse_read_response(Bytes msg) {
  auto b = response_body(msg, 17);
  if (!b) return Err{b.status()};
  const Reader& r = *b;
  auto data = buffer_at(msg, r.u8(2), r.u32(4), 16);
  if (!data) return Err{data.status()};
  return ReadResponseView{*data, r.u32(8)};
}

// WRITE response (2.2.22): Reserved, Count, Remaining,
// WriteChannelInfoOffset/Length.
Result<uint32_t> parse_write_response(Bytes msg) {
  auto b = response_body(msg, 17);
  if (!b) return Err{b.status()};
  return b->u32(4);
}

// IOCTL response (2.2.32): CtlCode, FileId, InputOffset/Count,
// OutputOffset/Count, Flags. Also the shape of a STATUS_BUFFER_OVERFLOW
// answer (3.3.4.4), which the caller tells apart by the header status.
Result<IoctlResponseView> parse_ioctl_response(Bytes msg) {
  auto b = response_body(msg, 49);
  if (!b) return Err{b.status()};
  const Reader& r = *b;
  IoctlResponseView v;
  v.ctl_code = r.u32(4);
  v.file_id = ld_file_id(r.bytes().data() + 8);
  auto in = buffer_at(msg, r.u32(24), r.u32(28), 48);
  if (!in) return Err{in.status()};
  auto out = buffer_at(msg, r.u32(32), r.u32(36), 48);
  if (!out) return Err{out.status()};
  v.input = *in;
  v.output = *out;
  v.flags = r.u32(40);
  return v;
}

// QUERY_DIRECTORY (2.2.34), CHANGE_NOTIFY (2.2.36), QUERY_INFO (2.2.38):
// OutputBufferOffset (2 bytes), OutputBufferLength (4 bytes).
Result<Bytes> parse_buffer_response(Bytes msg) {
  auto b = response_body(msg, 9);
  if (!b) return Err{b.status()};
  return buffer_at(msg, b->u16(2), b->u32(4), 8);
}

// Oplock Break Notification (2.2.23.1). A Lease Break Notification
// (2.2.23.2, StructureSize 44) is not this shape and is refused.
Result<OplockBreakAck> parse_oplock_break_notification(Bytes msg) {
  auto b = response_body(msg, 24);
  if (!b) return Err{b.status()};
  return OplockBreakAck{b->u8(2), ld_file_id(b->bytes().data() + 8)};
}

NtStatus parse_empty_response(Bytes msg) {
  if (msg.size() < kHeaderSize) return kBad;
  const NtStatus st = ld32(msg.data() + 8);
  if (st != status::SUCCESS) return st;
  auto b = response_body(msg, 4);
  return b ? status::SUCCESS : kBad;
}

// ======================================================== FSCC, client side

namespace {

// Where a directory class keeps FileNameLength and FileName (MS-FSCC 2.4:
// FileDirectoryInformation, FileFullDirectoryInformation,
// FileBothDirectoryInformation, FileNamesInformation,
// FileIdBothDirectoryInformation, FileIdFullDirectoryInformation,
// FileIdExtdDirectoryInformation; section numbers move between revisions).
struct DirLayout {
  size_t name_length_at;
  size_t name_at;  // the fixed size
};

bool dir_layout(uint8_t cls, DirLayout* out) {
  switch (cls) {
    case fileinfo::Directory: *out = {60, 64}; return true;
    case fileinfo::FullDirectory: *out = {60, 68}; return true;
    case fileinfo::BothDirectory: *out = {60, 94}; return true;
    case fileinfo::Names: *out = {8, 12}; return true;
    case fileinfo::IdBothDirectory: *out = {60, 104}; return true;
    case fileinfo::IdFullDirectory: *out = {60, 80}; return true;
    case fileinfo::IdExtdDirectory: *out = {60, 88}; return true;
    default: return false;
  }
}

// Fills one entry whose fixed part (e) and name bounds are already checked.
bool fill_dir_entry(uint8_t cls, const uint8_t* e, Bytes name, DirEntry* d) {
  d->file_index = ld32(e + 4);
  if (cls != fileinfo::Names) {
    // The prefix every other class shares (FileDirectoryInformation).
    d->creation_time = ld64(e + 8);
    d->last_access_time = ld64(e + 16);
    d->last_write_time = ld64(e + 24);
    d->change_time = ld64(e + 32);
    d->end_of_file = ld64(e + 40);
    d->allocation_size = ld64(e + 48);
    d->attributes = ld32(e + 56);
  }
  switch (cls) {
    case fileinfo::FullDirectory:
      d->ea_size = ld32(e + 64);
      break;
    case fileinfo::BothDirectory:
    case fileinfo::IdBothDirectory: {
      // EaSize, ShortNameLength (1 byte), Reserved1, ShortName (24 bytes);
      // then Reserved2 (2) and FileId (8) in the Id class.
      d->ea_size = ld32(e + 64);
      const uint8_t short_len = e[68];
      if (short_len > 24) return false;
      auto s = utf16le_to_utf8(Bytes(e + 70, short_len));
      if (!s) return false;
      d->short_name = std::move(*s);
      if (cls == fileinfo::IdBothDirectory) d->file_id = ld64(e + 96);
      break;
    }
    case fileinfo::IdFullDirectory:
      // EaSize, Reserved, FileId.
      d->ea_size = ld32(e + 64);
      d->file_id = ld64(e + 72);
      break;
    case fileinfo::IdExtdDirectory:
      // EaSize, ReparsePointTag, FileId (128 bits: the low 64 are kept).
      d->ea_size = ld32(e + 64);
      d->file_id = ld64(e + 72);
      break;
    default:
      break;
  }
  auto n = utf16le_to_utf8(name);
  if (!n) return false;
  d->name = std::move(*n);
  return true;
}

}  // namespace

Result<std::vector<DirEntry>> parse_dir_entries(Bytes buffer, uint8_t info_class) {
  DirLayout lay;
  if (!dir_layout(info_class, &lay)) return Err{status::INVALID_INFO_CLASS};
  std::vector<DirEntry> out;
  size_t pos = 0;
  while (pos < buffer.size()) {
    const size_t left = buffer.size() - pos;
    if (left < lay.name_at) return Err{kBad};
    const uint8_t* e = buffer.data() + pos;
    const uint32_t next = ld32(e);
    const uint32_t name_len = ld32(e + lay.name_length_at);
    // The entry ends where the next begins, or at the end of the buffer;
    // its name must lie inside it, so entries never overlap and every step
    // moves forward.
    const size_t extent = next == 0 ? left : next;
    if (next != 0 && (next >= left || next < lay.name_at)) return Err{kBad};
    if (name_len > extent - lay.name_at) return Err{kBad};
    DirEntry d;
    if (!fill_dir_entry(info_class, e, buffer.subspan(pos + lay.name_at, name_len), &d)) {
      return Err{kBad};
    }
    out.push_back(std::move(d));
    if (next == 0) break;
    pos += next;
  }
  return out;
}

// FileAllInformation (MS-FSCC 2.4.2): Basic (40), Standard (24), Internal
// (8), Ea (4), Access (4), Position (8), Mode (4), Alignment (4), then
// FileNameInformation (FileNameLength, FileName).
Result<AllInfo> parse_all_info(Bytes buffer) {
  constexpr size_t kFixed = 100;
  if (buffer.size() < kFixed) return Err{kBad};
  const uint8_t* p = buffer.data();
  AllInfo a;
  a.creation_time = ld64(p);
  a.last_access_time = ld64(p + 8);
  a.last_write_time = ld64(p + 16);
  a.change_time = ld64(p + 24);
  a.attributes = ld32(p + 32);
  a.allocation_size = ld64(p + 40);
  a.end_of_file = ld64(p + 48);
  a.number_of_links = ld32(p + 56);
  a.delete_pending = p[60] != 0;
  a.directory = p[61] != 0;
  a.index_number = ld64(p + 64);
  a.ea_size = ld32(p + 72);
  a.access_flags = ld32(p + 76);
  a.current_byte_offset = ld64(p + 80);
  a.mode = ld32(p + 88);
  a.alignment = ld32(p + 92);
  const uint32_t name_len = ld32(p + 96);
  if (name_len > buffer.size() - kFixed) return Err{kBad};
  auto name = utf16le_to_utf8(buffer.subspan(kFixed, name_len));
  if (!name) return Err{kBad};
  a.name = std::move(*name);
  return a;
}

// FileBasicInformation (MS-FSCC 2.4.7): four times, FileAttributes,
// Reserved.
Result<NetworkOpenInfo> parse_basic_info(Bytes buffer) {
  if (buffer.size() < kBasicInfoSize) return Err{kBad};
  const uint8_t* p = buffer.data();
  NetworkOpenInfo i;
  i.creation_time = ld64(p);
  i.last_access_time = ld64(p + 8);
  i.last_write_time = ld64(p + 16);
  i.change_time = ld64(p + 24);
  i.attributes = ld32(p + 32);
  return i;
}

// FileNetworkOpenInformation (MS-FSCC 2.4): four times, AllocationSize,
// EndOfFile, FileAttributes, Reserved.
Result<NetworkOpenInfo> parse_network_open_info(Bytes buffer) {
  if (buffer.size() < kNetworkOpenInfoSize) return Err{kBad};
  return ld_open_info(buffer.data());
}

// FileFsFullSizeInformation (MS-FSCC 2.5.4).
Result<FsFullSize> parse_fs_full_size(Bytes buffer) {
  if (buffer.size() < 32) return Err{kBad};
  const uint8_t* p = buffer.data();
  return FsFullSize{ld64(p), ld64(p + 8), ld64(p + 16), ld32(p + 24), ld32(p + 28)};
}

// FILE_RENAME_INFORMATION_TYPE_2 (MS-FSCC FileRenameInformation, the SMB2
// form): ReplaceIfExists, Reserved (7), RootDirectory (8, zero for SMB2),
// FileNameLength, FileName. A server may check the buffer against the
// 24-byte C structure (FileName declared as one WCHAR, then padding), so a
// one-character name is padded to 24 bytes; FileNameLength stays exact.
std::vector<uint8_t> rename_info(std::string_view new_name_utf8, bool replace) {
  std::vector<uint8_t> out(20);
  out[0] = replace ? 1 : 0;
  const size_t n = append_utf16le(out, new_name_utf8);
  st32(out.data() + 16, static_cast<uint32_t>(n));
  if (out.size() < 24) out.resize(24, 0);
  return out;
}

// FileDispositionInformation (MS-FSCC 2.4.11): DeletePending (1 byte).
std::vector<uint8_t> disposition_info(bool delete_pending) {
  return {static_cast<uint8_t>(delete_pending ? 1 : 0)};
}

// FileBasicInformation (MS-FSCC 2.4.7).
std::vector<uint8_t> basic_info(const NetworkOpenInfo& t) {
  std::vector<uint8_t> out(kBasicInfoSize, 0);
  st64(out.data(), t.creation_time);
  st64(out.data() + 8, t.last_access_time);
  st64(out.data() + 16, t.last_write_time);
  st64(out.data() + 24, t.change_time);
  st32(out.data() + 32, t.attributes);
  return out;
}

// FileEndOfFileInformation (MS-FSCC 2.4.13).
std::vector<uint8_t> end_of_file_info(uint64_t size) {
  std::vector<uint8_t> out(8);
  st64(out.data(), size);
  return out;
}

// NETWORK_INTERFACE_INFO (MS-SMB2 2.2.32.5): Next, IfIndex, Capability,
// Reserved, LinkSpeed, SockAddr_Storage (128 bytes). SOCKADDR_STORAGE
// (2.2.32.5.1) is Family (little-endian, like every SMB2 integer) and a
// 126-byte Buffer holding SOCKADDR_IN (2.2.32.5.1.1: Port, IPv4Address,
// Reserved 8) or SOCKADDR_IN6 (2.2.32.5.1.2: Port, FlowInfo, IPv6Address,
// ScopeId), whose fields are "in network byte order": FlowInfo and ScopeId
// are big-endian.
namespace {
constexpr size_t kNetIfSize = 152;
constexpr size_t kSockAddr = 24;  // SockAddr_Storage within the entry

void st_be32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}
}  // namespace

std::vector<uint8_t> encode_network_interfaces(const std::vector<NetworkInterface>& list) {
  std::vector<uint8_t> out(kNetIfSize * list.size(), 0);
  for (size_t i = 0; i < list.size(); ++i) {
    const NetworkInterface& n = list[i];
    uint8_t* e = out.data() + kNetIfSize * i;
    st32(e, i + 1 < list.size() ? static_cast<uint32_t>(kNetIfSize) : 0);
    st32(e + 4, n.if_index);
    st32(e + 8, n.capability);
    st64(e + 16, n.link_speed);
    uint8_t* sa = e + kSockAddr;
    st16(sa, n.family);
    // Port (sa + 2) stays 0 in both forms.
    if (n.family == SOCKADDR_INET) {
      std::copy(n.addr, n.addr + 4, sa + 4);
    } else if (n.family == SOCKADDR_INET6) {
      st_be32(sa + 4, n.ipv6_flowinfo);
      std::copy(n.addr, n.addr + 16, sa + 8);
      st_be32(sa + 24, n.ipv6_scope_id);
    }
  }
  return out;
}

// Entries of a family other than IPv4 and IPv6 are skipped: the client
// could not connect to them anyway.
Result<std::vector<NetworkInterface>> parse_network_interfaces(Bytes buffer) {
  std::vector<NetworkInterface> out;
  size_t pos = 0;
  while (pos < buffer.size()) {
    const size_t left = buffer.size() - pos;
    if (left < kNetIfSize) return Err{kBad};
    const uint8_t* e = buffer.data() + pos;
    const uint32_t next = ld32(e);
    // A non-zero Next announces another entry, which must fit after this one.
    if (next != 0 && (next < kNetIfSize || next >= left)) return Err{kBad};
    NetworkInterface n;
    n.if_index = ld32(e + 4);
    n.capability = ld32(e + 8);
    n.link_speed = ld64(e + 16);
    const uint8_t* sa = e + kSockAddr;
    n.family = ld16(sa);
    if (n.family == SOCKADDR_INET) {
      std::copy(sa + 4, sa + 8, n.addr);
      out.push_back(n);
    } else if (n.family == SOCKADDR_INET6) {
      n.ipv6_flowinfo = ld_be32(sa + 4);
      std::copy(sa + 8, sa + 24, n.addr);
      n.ipv6_scope_id = ld_be32(sa + 24);
      out.push_back(n);
    }
    if (next == 0) break;
    pos += next;
  }
  return out;
}

}  // namespace ringsmb::wire
