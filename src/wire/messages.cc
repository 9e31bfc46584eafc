#include "wire/messages.h"

namespace ringsmb::wire {

namespace {

constexpr NtStatus kInvalid = status::INVALID_PARAMETER;

// The body of a request after the header, or an error when it is shorter
// than the command's fixed part.
Result<Reader> body_of(Bytes msg, size_t fixed) {
  if (msg.size() < kHeaderSize + fixed) return Err{kInvalid};
  return Reader(msg.subspan(kHeaderSize));
}

// A buffer given by an offset from the header start and a length. Empty
// when the length is zero; an error when it does not lie inside msg after
// the fixed part.
Result<Bytes> buffer_at(Bytes msg, uint64_t off, uint64_t len, size_t fixed) {
  if (len == 0) return Bytes{};
  if (off < kHeaderSize + fixed || off > msg.size() || len > msg.size() - off) {
    return Err{kInvalid};
  }
  return msg.subspan(off, len);
}

}  // namespace

// ---------------------------------------------------------------- NEGOTIATE

Result<NegotiateRequest> parse_negotiate(Bytes msg) {
  auto b = body_of(msg, 36);
  if (!b) return Err{b.status()};
  Reader& r = *b;
  if (r.u16(0) != 36) return Err{kInvalid};
  NegotiateRequest q;
  uint16_t count = r.u16(2);
  if (count == 0) return Err{kInvalid};
  q.security_mode = r.u16(4);
  q.capabilities = r.u32(8);
  q.client_guid = ld_guid(r.bytes().data() + 12);
  if (!r.has(36, size_t{count} * 2)) return Err{kInvalid};
  bool has311 = false;
  for (uint16_t i = 0; i < count; ++i) {
    uint16_t d = r.u16(36 + 2u * i);
    q.dialects.push_back(d);
    if (d == dialect::SMB311) has311 = true;
  }
  if (has311) {
    uint32_t ctx_off = r.u32(28);
    uint16_t ctx_count = r.u16(32);
    if (ctx_count > 0) {
      // Offsets count from the header; contexts are 8-byte aligned.
      size_t pos = ctx_off;
      if (pos < kHeaderSize + 36 || pos > msg.size()) return Err{kInvalid};
      for (uint16_t i = 0; i < ctx_count; ++i) {
        pos = (pos + 7) & ~size_t{7};
        if (pos > msg.size() || msg.size() - pos < 8) return Err{kInvalid};
        uint16_t type = ld16(msg.data() + pos);
        uint16_t len = ld16(msg.data() + pos + 2);
        if (msg.size() - pos - 8 < len) return Err{kInvalid};
        q.contexts.push_back({type, msg.subspan(pos + 8, len)});
        pos += 8 + len;
      }
    }
  }
  return q;
}

Result<PreauthIntegrityCaps> parse_preauth_caps(Bytes data) {
  if (data.size() < 4) return Err{kInvalid};
  uint16_t count = ld16(data.data());
  uint16_t salt_len = ld16(data.data() + 2);
  if (count == 0) return Err{kInvalid};
  if (data.size() < 4 + size_t{count} * 2 + salt_len) return Err{kInvalid};
  PreauthIntegrityCaps c;
  for (uint16_t i = 0; i < count; ++i) c.hash_algorithms.push_back(ld16(data.data() + 4 + 2 * i));
  c.salt = data.subspan(4 + size_t{count} * 2, salt_len);
  return c;
}

Result<std::vector<uint16_t>> parse_u16_list(Bytes data) {
  if (data.size() < 2) return Err{kInvalid};
  uint16_t count = ld16(data.data());
  if (count == 0 || data.size() < 2 + size_t{count} * 2) return Err{kInvalid};
  std::vector<uint16_t> v;
  for (uint16_t i = 0; i < count; ++i) v.push_back(ld16(data.data() + 2 + 2 * i));
  return v;
}

void encode_negotiate_response(Writer& w, const NegotiateResponse& r) {
  size_t base = w.size();
  w.zeros(64);
  uint8_t* p = w.data() + base;
  st16(p, 65);
  st16(p + 2, r.security_mode);
  st16(p + 4, r.dialect);
  st16(p + 6, static_cast<uint16_t>(r.dialect == dialect::SMB311 ? r.contexts.size() : 0));
  st_guid(p + 8, r.server_guid);
  st32(p + 24, r.capabilities);
  st32(p + 28, r.max_transact);
  st32(p + 32, r.max_read);
  st32(p + 36, r.max_write);
  st64(p + 40, r.system_time);
  st64(p + 48, r.server_start_time);
  st16(p + 56, static_cast<uint16_t>(kHeaderSize + 64));
  st16(p + 58, static_cast<uint16_t>(r.security_buffer.size()));
  w.append(r.security_buffer);
  if (r.dialect == dialect::SMB311 && !r.contexts.empty()) {
    w.align(8);
    w.put32(base + 60, static_cast<uint32_t>(kHeaderSize + w.size() - base));
    for (size_t i = 0; i < r.contexts.size(); ++i) {
      if (i != 0) w.align(8);
      w.u16(r.contexts[i].first);
      w.u16(static_cast<uint16_t>(r.contexts[i].second.size()));
      w.u32(0);
      w.append(r.contexts[i].second.data(), r.contexts[i].second.size());
    }
  }
  if (w.size() - base == 64) w.zeros(1);  // the variable part is never empty
}

// ------------------------------------------------------------ SESSION_SETUP

Result<SessionSetupRequest> parse_session_setup(Bytes msg) {
  auto b = body_of(msg, 24);
  if (!b) return Err{b.status()};
  Reader& r = *b;
  SessionSetupRequest q;
  q.flags = r.u8(2);
  q.security_mode = r.u8(3);
  q.capabilities = r.u32(4);
  q.channel = r.u32(8);
  auto sec = buffer_at(msg, r.u16(12), r.u16(14), 24);
  if (!sec) return Err{sec.status()};
  q.security_buffer = *sec;
  q.previous_session_id = r.u64(16);
  return q;
}

void encode_session_setup_response(Writer& w, uint16_t session_flags, Bytes security_buffer) {
  size_t base = w.size();
  w.zeros(8);
  uint8_t* p = w.data() + base;
  st16(p, 9);
  st16(p + 2, session_flags);
  st16(p + 4, static_cast<uint16_t>(security_buffer.empty() ? 0 : kHeaderSize + 8));
  st16(p + 6, static_cast<uint16_t>(security_buffer.size()));
  if (security_buffer.empty()) {
    w.zeros(1);
  } else {
    w.append(security_buffer);
  }
}

// ------------------------------------------------------------- TREE_CONNECT

Result<TreeConnectRequest> parse_tree_connect(Bytes msg) {
  auto b = body_of(msg, 8);
  if (!b) return Err{b.status()};
  Reader& r = *b;
  TreeConnectRequest q;
  q.flags = r.u16(2);
  auto path = buffer_at(msg, r.u16(4), r.u16(6), 8);
  if (!path) return Err{path.status()};
  q.path = *path;
  return q;
}

void encode_tree_connect_response(Writer& w, const TreeConnectResponse& r) {
  size_t base = w.size();
  w.zeros(16);
  uint8_t* p = w.data() + base;
  st16(p, 16);
  st8(p + 2, r.share_type);
  st32(p + 4, r.share_flags);
  st32(p + 8, r.capabilities);
  st32(p + 12, r.maximal_access);
}

void encode_empty_response(Writer& w, uint16_t structure_size) {
  size_t base = w.size();
  w.zeros(structure_size & ~1u);
  st16(w.data() + base, structure_size);
}

// ------------------------------------------------------------------- CREATE

Result<std::vector<CreateContext>> parse_create_contexts(Bytes chain) {
  std::vector<CreateContext> out;
  size_t pos = 0;
  while (pos < chain.size()) {
    if (chain.size() - pos < 16) return Err{kInvalid};
    const uint8_t* c = chain.data() + pos;
    uint32_t next = ld32(c);
    uint16_t name_off = ld16(c + 4);
    uint16_t name_len = ld16(c + 6);
    uint16_t data_off = ld16(c + 10);
    uint32_t data_len = ld32(c + 12);
    size_t limit = next == 0 ? chain.size() - pos : next;
    // A non-zero Next announces another context (MS-SMB2 2.2.13.2), so it
    // must point inside the chain.
    if (next != 0 && (next % 8 != 0 || next >= chain.size() - pos || next < 16)) {
      return Err{kInvalid};
    }
    if (name_len == 0 || name_off < 16 || name_off > limit || name_len > limit - name_off) {
      return Err{kInvalid};
    }
    CreateContext cc;
    cc.name = chain.subspan(pos + name_off, name_len);
    if (data_len != 0) {
      if (data_off < 16 || data_off > limit || data_len > limit - data_off) return Err{kInvalid};
      cc.data = chain.subspan(pos + data_off, data_len);
    }
    out.push_back(cc);
    if (out.size() > 64) return Err{kInvalid};
    if (next == 0) break;
    pos += next;
  }
  return out;
}

Result<CreateRequest> parse_create(Bytes msg) {
  auto b = body_of(msg, 56);
  if (!b) return Err{b.status()};
  Reader& r = *b;
  CreateRequest q;
  q.security_flags = r.u8(2);
  q.oplock_level = r.u8(3);
  q.impersonation_level = r.u32(4);
  q.create_flags = r.u64(8);
  q.desired_access = r.u32(24);
  q.file_attributes = r.u32(28);
  q.share_access = r.u32(32);
  q.disposition = r.u32(36);
  q.options = r.u32(40);
  auto name = buffer_at(msg, r.u16(44), r.u16(46), 56);
  if (!name) return Err{name.status()};
  q.name = *name;
  auto ctx = buffer_at(msg, r.u32(48), r.u32(52), 56);
  if (!ctx) return Err{ctx.status()};
  if (!ctx->empty()) {
    auto list = parse_create_contexts(*ctx);
    if (!list) return Err{list.status()};
    q.contexts = std::move(*list);
  }
  return q;
}

namespace {
void put_open_info(uint8_t* p, const NetworkOpenInfo& i) {
  st64(p, i.creation_time);
  st64(p + 8, i.last_access_time);
  st64(p + 16, i.last_write_time);
  st64(p + 24, i.change_time);
  st64(p + 32, i.allocation_size);
  st64(p + 40, i.end_of_file);
  st32(p + 48, i.attributes);
}
}  // namespace

void encode_create_response(Writer& w, const CreateResponse& r) {
  size_t base = w.size();
  w.zeros(88);
  uint8_t* p = w.data() + base;
  st16(p, 89);
  st8(p + 2, r.oplock_level);
  st8(p + 3, r.flags);
  st32(p + 4, r.create_action);
  put_open_info(p + 8, r.info);
  st_file_id(p + 64, r.file_id);
  if (r.contexts.empty()) {
    w.zeros(1);
    return;
  }
  size_t chain_start = w.size();
  size_t prev = 0;
  for (size_t i = 0; i < r.contexts.size(); ++i) {
    if (i != 0) {
      w.align(8);
      w.put32(prev, static_cast<uint32_t>(w.size() - prev));
    }
    prev = w.size();
    const auto& [name, data] = r.contexts[i];
    w.zeros(16);
    w.put16(prev + 4, 16);
    w.put16(prev + 6, static_cast<uint16_t>(name.size()));
    w.append(name.data(), name.size());
    w.align(8);
    if (!data.empty()) {
      w.put16(prev + 10, static_cast<uint16_t>(w.size() - prev));
      w.put32(prev + 12, static_cast<uint32_t>(data.size()));
      w.append(data.data(), data.size());
    }
  }
  w.put32(base + 80, static_cast<uint32_t>(kHeaderSize + chain_start - base));
  w.put32(base + 84, static_cast<uint32_t>(w.size() - chain_start));
}

// -------------------------------------------------------------------- CLOSE

Result<CloseRequest> parse_close(Bytes msg) {
  auto b = body_of(msg, 24);
  if (!b) return Err{b.status()};
  return CloseRequest{b->u16(2), ld_file_id(b->bytes().data() + 8)};
}

void encode_close_response(Writer& w, uint16_t flags, const NetworkOpenInfo* info) {
  size_t base = w.size();
  w.zeros(60);
  uint8_t* p = w.data() + base;
  st16(p, 60);
  st16(p + 2, flags);
  if (info != nullptr) put_open_info(p + 8, *info);
}

// -------------------------------------------------------------------- FLUSH

Result<FlushRequest> parse_flush(Bytes msg) {
  auto b = body_of(msg, 24);
  if (!b) return Err{b.status()};
  return FlushRequest{ld_file_id(b->bytes().data() + 8)};
}

// --------------------------------------------------------------------- READ

Result<ReadRequest> parse_read(Bytes msg) {
  auto b = body_of(msg, 48);
  if (!b) return Err{b.status()};
  Reader& r = *b;
  ReadRequest q;
  q.padding = r.u8(2);
  q.flags = r.u8(3);
  q.length = r.u32(4);
  q.offset = r.u64(8);
  q.file_id = ld_file_id(r.bytes().data() + 16);
  q.minimum_count = r.u32(32);
  q.channel = r.u32(36);
  q.remaining_bytes = r.u32(40);
  return q;
}

void encode_read_response_fixed(uint8_t* out16, uint32_t data_length, uint32_t data_remaining) {
  st16(out16, 17);
  st8(out16 + 2, static_cast<uint8_t>(kHeaderSize + kReadResponseFixed));
  st8(out16 + 3, 0);
  st32(out16 + 4, data_length);
  st32(out16 + 8, data_remaining);
  st32(out16 + 12, 0);
}

// -------------------------------------------------------------------- WRITE

Result<WriteRequest> parse_write(Bytes msg) {
  auto b = body_of(msg, 48);
  if (!b) return Err{b.status()};
  Reader& r = *b;
  WriteRequest q;
  q.data_offset = r.u16(2);
  q.length = r.u32(4);
  q.offset = r.u64(8);
  q.file_id = ld_file_id(r.bytes().data() + 16);
  q.channel = r.u32(32);
  q.remaining_bytes = r.u32(36);
  q.flags = r.u32(44);
  auto data = buffer_at(msg, q.data_offset, q.length, 48);
  if (!data) return Err{data.status()};
  q.data = *data;
  return q;
}

void encode_write_response(Writer& w, uint32_t count) {
  size_t base = w.size();
  w.zeros(16);
  st16(w.data() + base, 17);
  st32(w.data() + base + 4, count);
  w.zeros(1);
}

// --------------------------------------------------------------------- LOCK

Result<LockRequest> parse_lock(Bytes msg) {
  auto b = body_of(msg, 48);
  if (!b) return Err{b.status()};
  Reader& r = *b;
  uint16_t count = r.u16(2);
  if (count == 0 || !r.has(24, size_t{count} * 24)) return Err{kInvalid};
  LockRequest q;
  q.lock_sequence = r.u32(4);
  q.file_id = ld_file_id(r.bytes().data() + 8);
  for (uint16_t i = 0; i < count; ++i) {
    size_t o = 24 + size_t{i} * 24;
    q.locks.push_back({r.u64(o), r.u64(o + 8), r.u32(o + 16)});
  }
  return q;
}

// -------------------------------------------------------------------- IOCTL

Result<IoctlRequest> parse_ioctl(Bytes msg) {
  auto b = body_of(msg, 56);
  if (!b) return Err{b.status()};
  Reader& r = *b;
  IoctlRequest q;
  q.ctl_code = r.u32(4);
  q.file_id = ld_file_id(r.bytes().data() + 8);
  auto in = buffer_at(msg, r.u32(24), r.u32(28), 56);
  if (!in) return Err{in.status()};
  q.input = *in;
  q.max_input_response = r.u32(32);
  q.max_output_response = r.u32(44);
  q.flags = r.u32(48);
  return q;
}

void encode_ioctl_response(Writer& w, uint32_t ctl_code, FileId file_id, Bytes output) {
  size_t base = w.size();
  w.zeros(48);
  uint8_t* p = w.data() + base;
  st16(p, 49);
  st32(p + 4, ctl_code);
  st_file_id(p + 8, file_id);
  st32(p + 24, static_cast<uint32_t>(kHeaderSize + 48));  // InputOffset
  st32(p + 28, 0);
  st32(p + 32, static_cast<uint32_t>(kHeaderSize + 48));  // OutputOffset
  st32(p + 36, static_cast<uint32_t>(output.size()));
  if (output.empty()) {
    w.zeros(1);
  } else {
    w.append(output);
  }
}

// ----------------------------------------------------------- QUERY_DIRECTORY

Result<QueryDirectoryRequest> parse_query_directory(Bytes msg) {
  auto b = body_of(msg, 32);
  if (!b) return Err{b.status()};
  Reader& r = *b;
  QueryDirectoryRequest q;
  q.info_class = r.u8(2);
  q.flags = r.u8(3);
  q.file_index = r.u32(4);
  q.file_id = ld_file_id(r.bytes().data() + 8);
  auto name = buffer_at(msg, r.u16(24), r.u16(26), 32);
  if (!name) return Err{name.status()};
  q.pattern = *name;
  q.output_length = r.u32(28);
  return q;
}

void encode_buffer_response(Writer& w, Bytes output) {
  size_t base = w.size();
  w.zeros(8);
  uint8_t* p = w.data() + base;
  st16(p, 9);
  st16(p + 2, static_cast<uint16_t>(output.empty() ? 0 : kHeaderSize + 8));
  st32(p + 4, static_cast<uint32_t>(output.size()));
  if (output.empty()) {
    w.zeros(1);
  } else {
    w.append(output);
  }
}

// ------------------------------------------------------------- CHANGE_NOTIFY

Result<ChangeNotifyRequest> parse_change_notify(Bytes msg) {
  auto b = body_of(msg, 32);
  if (!b) return Err{b.status()};
  Reader& r = *b;
  return ChangeNotifyRequest{r.u16(2), r.u32(4), ld_file_id(r.bytes().data() + 8), r.u32(24)};
}

// ---------------------------------------------------------------- QUERY_INFO

Result<QueryInfoRequest> parse_query_info(Bytes msg) {
  auto b = body_of(msg, 40);
  if (!b) return Err{b.status()};
  Reader& r = *b;
  QueryInfoRequest q;
  q.info_type = r.u8(2);
  q.info_class = r.u8(3);
  q.output_length = r.u32(4);
  auto in = buffer_at(msg, r.u16(8), r.u32(12), 40);
  if (!in) return Err{in.status()};
  q.input = *in;
  q.additional_information = r.u32(16);
  q.flags = r.u32(20);
  q.file_id = ld_file_id(r.bytes().data() + 24);
  return q;
}

// ------------------------------------------------------------------ SET_INFO

Result<SetInfoRequest> parse_set_info(Bytes msg) {
  auto b = body_of(msg, 32);
  if (!b) return Err{b.status()};
  Reader& r = *b;
  SetInfoRequest q;
  q.info_type = r.u8(2);
  q.info_class = r.u8(3);
  auto buf = buffer_at(msg, r.u16(8), r.u32(4), 32);
  if (!buf) return Err{buf.status()};
  q.buffer = *buf;
  q.additional_information = r.u32(12);
  q.file_id = ld_file_id(r.bytes().data() + 16);
  return q;
}

// ------------------------------------------------------------- OPLOCK_BREAK

Result<OplockBreakAck> parse_oplock_break_ack(Bytes msg) {
  auto b = body_of(msg, 24);
  if (!b) return Err{b.status()};
  return OplockBreakAck{b->u8(2), ld_file_id(b->bytes().data() + 8)};
}

// -------------------------------------------------------------------- ERROR

void encode_error_response(Writer& w, Bytes error_data) {
  size_t base = w.size();
  w.zeros(8);
  st16(w.data() + base, 9);
  st32(w.data() + base + 4, static_cast<uint32_t>(error_data.size()));
  if (error_data.empty()) {
    w.zeros(1);
  } else {
    w.append(error_data);
  }
}

}  // namespace ringsmb::wire
