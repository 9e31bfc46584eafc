#include "wire/validate.h"

#include "wire/smb2.h"

namespace ringsmb::wire {

namespace {

// One variable-length buffer described by an (offset, length) pair of fields
// in the fixed part of a request. Positions are from the start of the body
// (just after the header); offsets in the field are from the header.
struct BufferField {
  uint8_t off_pos;
  uint8_t off_width;  // 0: unused slot
  uint8_t len_pos;
  uint8_t len_width;
};

// A counted array at a fixed position: count field * element size.
struct ArrayField {
  uint8_t count_pos;
  uint8_t count_width;  // 0: unused
  uint8_t elem_size;
  uint8_t start;  // body offset of the first element
  bool at_least_one;
};

struct Rule {
  uint16_t structure_size;
  uint16_t alt_structure_size;  // 0: none
  BufferField buf[2];
  ArrayField arr;
};

// MS-SMB2 2.2.3 - 2.2.39, request side.
constexpr Rule kRules[kCommandCount] = {
    /* NEGOTIATE */ {36, 0, {}, {2, 2, 2, 36, true}},
    /* SESSION_SETUP */ {25, 0, {{12, 2, 14, 2}, {}}, {}},
    /* LOGOFF */ {4, 0, {}, {}},
    /* TREE_CONNECT */ {9, 0, {{4, 2, 6, 2}, {}}, {}},
    /* TREE_DISCONNECT */ {4, 0, {}, {}},
    /* CREATE */ {57, 0, {{44, 2, 46, 2}, {48, 4, 52, 4}}, {}},
    /* CLOSE */ {24, 0, {}, {}},
    /* FLUSH */ {24, 0, {}, {}},
    /* READ */ {49, 0, {{44, 2, 46, 2}, {}}, {}},
    /* WRITE */ {49, 0, {{2, 2, 4, 4}, {40, 2, 42, 2}}, {}},
    /* LOCK */ {48, 0, {}, {2, 2, 24, 24, true}},
    /* IOCTL */ {57, 0, {{24, 4, 28, 4}, {36, 4, 40, 4}}, {}},
    /* CANCEL */ {4, 0, {}, {}},
    /* ECHO */ {4, 0, {}, {}},
    /* QUERY_DIRECTORY */ {33, 0, {{24, 2, 26, 2}, {}}, {}},
    /* CHANGE_NOTIFY */ {32, 0, {}, {}},
    /* QUERY_INFO */ {41, 0, {{8, 2, 12, 4}, {}}, {}},
    /* SET_INFO */ {33, 0, {{8, 2, 4, 4}, {}}, {}},
    /* OPLOCK_BREAK */ {24, 36, {}, {}},
};

uint64_t load(const uint8_t* p, uint8_t width) {
  switch (width) {
    case 1: return ld8(p);
    case 2: return ld16(p);
    case 4: return ld32(p);
    default: return ld64(p);
  }
}

}  // namespace

uint16_t request_structure_size(uint16_t command) {
  return command < kCommandCount ? kRules[command].structure_size : 0;
}

Verdict split_compound(Bytes frame, std::vector<MessageSpan>& out, size_t max_messages) {
  out.clear();
  size_t pos = 0;
  for (;;) {
    if (frame.size() - pos < kHeaderSize) return Verdict::Disconnect;
    const uint8_t* h = frame.data() + pos;
    if (ld32(h) != kSmb2ProtocolId) return Verdict::Disconnect;
    uint32_t next = ld32(h + 20);
    if (out.size() >= max_messages) return Verdict::Disconnect;
    if (next == 0) {
      out.push_back({pos, frame.size() - pos});
      return Verdict::Ok;
    }
    // Each following request starts on an 8-byte boundary, after a full
    // header, inside the frame. NextCommand only moves forward, so a chain
    // can never loop.
    if (next % 8 != 0 || next < kHeaderSize || next >= frame.size() - pos) {
      return Verdict::Disconnect;
    }
    out.push_back({pos, next});
    pos += next;
  }
}

Verdict validate_request(Bytes msg) {
  if (msg.size() < kHeaderSize) return Verdict::Disconnect;
  if (ld32(msg.data()) != kSmb2ProtocolId) return Verdict::Disconnect;
  uint16_t command = ld16(msg.data() + 12);
  if (command >= kCommandCount) return Verdict::Disconnect;
  if (ld16(msg.data() + 4) != kHeaderSize) return Verdict::Invalid;

  const Rule& r = kRules[command];
  const size_t body_len = msg.size() - kHeaderSize;
  if (body_len < 2) return Verdict::Invalid;
  const uint8_t* body = msg.data() + kHeaderSize;
  const uint16_t ss = ld16(body);
  if (ss != r.structure_size && (r.alt_structure_size == 0 || ss != r.alt_structure_size)) {
    return Verdict::Invalid;
  }
  const size_t fixed = ss & ~1u;  // odd sizes count one byte of the buffer
  if (body_len < fixed) return Verdict::Invalid;

  for (const BufferField& f : r.buf) {
    if (f.off_width == 0) continue;
    uint64_t off = load(body + f.off_pos, f.off_width);
    uint64_t len = load(body + f.len_pos, f.len_width);
    if (len == 0) continue;  // offset is meaningless without data
    if (off < kHeaderSize + fixed) return Verdict::Invalid;
    if (off > msg.size() || len > msg.size() - off) return Verdict::Invalid;
  }
  if (r.arr.count_width != 0 && ss == r.structure_size) {
    uint64_t count = load(body + r.arr.count_pos, r.arr.count_width);
    if (r.arr.at_least_one && count == 0) return Verdict::Invalid;
    uint64_t need = r.arr.start + count * r.arr.elem_size;
    if (need > body_len) return Verdict::Invalid;
  }
  return Verdict::Ok;
}

}  // namespace ringsmb::wire
