// wire/validate.h: compound splitting (MS-SMB2 3.3.5.2.7) and the
// table-driven request check (3.3.5.2.6).
#include <gtest/gtest.h>

#include "../test_util.h"
#include "wire/smb2.h"
#include "wire/validate.h"

using namespace ringsmb::wire;
using ringsmb::testing::as_bytes;

namespace {

// ----------------------------------------------------------- split_compound

// One request of total length len (>= 64) with the given NextCommand.
std::vector<uint8_t> msg(size_t len, uint32_t next, uint16_t cmd = 13) {
  std::vector<uint8_t> m(len, 0);
  Header h;
  h.command = cmd;
  h.next_command = next;
  encode_header(m.data(), h);
  if (len >= 66) st16(m.data() + 64, 4);
  return m;
}

std::vector<uint8_t> cat(std::initializer_list<std::vector<uint8_t>> parts) {
  std::vector<uint8_t> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

TEST(SplitCompound, SingleRequest) {
  auto f = msg(100, 0);
  std::vector<MessageSpan> out;
  ASSERT_EQ(split_compound(as_bytes(f), out), Verdict::Ok);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].offset, 0u);
  EXPECT_EQ(out[0].length, 100u);
}

TEST(SplitCompound, AlignedChain) {
  auto f = cat({msg(104, 104), msg(120, 120), msg(70, 0)});
  std::vector<MessageSpan> out;
  ASSERT_EQ(split_compound(as_bytes(f), out), Verdict::Ok);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].offset, 0u);
  EXPECT_EQ(out[0].length, 104u);
  EXPECT_EQ(out[1].offset, 104u);
  EXPECT_EQ(out[1].length, 120u);
  EXPECT_EQ(out[2].offset, 224u);
  EXPECT_EQ(out[2].length, 70u);
}

TEST(SplitCompound, OutIsClearedFirst) {
  std::vector<MessageSpan> out = {{1, 2}, {3, 4}};
  auto f = msg(64, 0);
  ASSERT_EQ(split_compound(as_bytes(f), out), Verdict::Ok);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].length, 64u);
}

TEST(SplitCompound, MisalignedNextDisconnects) {
  auto f = cat({msg(100, 100), msg(80, 0)});
  std::vector<MessageSpan> out;
  EXPECT_EQ(split_compound(as_bytes(f), out), Verdict::Disconnect);
}

TEST(SplitCompound, NextInsideHeaderDisconnects) {
  for (uint32_t next : {8u, 32u, 56u}) {
    auto f = cat({msg(104, next), msg(80, 0)});
    std::vector<MessageSpan> out;
    EXPECT_EQ(split_compound(as_bytes(f), out), Verdict::Disconnect) << next;
  }
}

TEST(SplitCompound, NextPastEndDisconnects) {
  auto a = msg(104, 0);
  // NextCommand exactly at the end, and beyond it.
  for (uint32_t next : {104u, 112u, 0xFFFFFFF8u}) {
    auto f = a;
    st32(f.data() + 20, next);
    std::vector<MessageSpan> out;
    EXPECT_EQ(split_compound(as_bytes(f), out), Verdict::Disconnect) << next;
  }
}

TEST(SplitCompound, ShortFollowingRequestDisconnects) {
  // The second request would be only 32 bytes: shorter than a header.
  auto f = cat({msg(104, 104), std::vector<uint8_t>(32, 0)});
  std::memcpy(f.data() + 104, "\xFESMB", 4);
  std::vector<MessageSpan> out;
  EXPECT_EQ(split_compound(as_bytes(f), out), Verdict::Disconnect);
}

TEST(SplitCompound, ShortOrEmptyFrameDisconnects) {
  std::vector<MessageSpan> out;
  EXPECT_EQ(split_compound({}, out), Verdict::Disconnect);
  auto f = msg(64, 0);
  EXPECT_EQ(split_compound(Bytes(f.data(), 63), out), Verdict::Disconnect);
}

TEST(SplitCompound, ForeignProtocolIdDisconnects) {
  auto f = cat({msg(104, 104), msg(80, 0)});
  f[104] = 0xFF;  // an SMB1 header inside an SMB2 chain
  std::vector<MessageSpan> out;
  EXPECT_EQ(split_compound(as_bytes(f), out), Verdict::Disconnect);
  auto g = msg(80, 0);
  g[0] = 0xFD;  // a transform header is not a request
  EXPECT_EQ(split_compound(as_bytes(g), out), Verdict::Disconnect);
}

std::vector<uint8_t> chain_of(size_t n) {
  std::vector<uint8_t> f;
  for (size_t i = 0; i < n; ++i) {
    auto m = msg(72, i + 1 == n ? 0 : 72);
    f.insert(f.end(), m.begin(), m.end());
  }
  return f;
}

TEST(SplitCompound, TooManyRequestsDisconnect) {
  std::vector<MessageSpan> out;
  auto ok64 = chain_of(64);
  ASSERT_EQ(split_compound(as_bytes(ok64), out), Verdict::Ok);
  EXPECT_EQ(out.size(), 64u);
  EXPECT_EQ(out.back().offset, 63u * 72u);
  auto bad65 = chain_of(65);
  EXPECT_EQ(split_compound(as_bytes(bad65), out), Verdict::Disconnect);
  auto three = chain_of(3);
  EXPECT_EQ(split_compound(as_bytes(three), out, 2), Verdict::Disconnect);
  EXPECT_EQ(split_compound(as_bytes(three), out, 3), Verdict::Ok);
  EXPECT_EQ(out.size(), 3u);
}

// ---------------------------------------------------------- validate_request

// StructureSize of every request, MS-SMB2 2.2.3 - 2.2.24.
constexpr uint16_t kSpecSize[kCommandCount] = {
    36, 25, 4, 9, 4, 57, 24, 24, 49, 49, 48, 57, 4, 4, 33, 32, 41, 33, 24,
};

TEST(RequestStructureSize, MatchesSpecTable) {
  for (uint16_t c = 0; c < kCommandCount; ++c) {
    EXPECT_EQ(request_structure_size(c), kSpecSize[c]) << command_name(c);
  }
  EXPECT_EQ(request_structure_size(kCommandCount), 0);
  EXPECT_EQ(request_structure_size(0xFFFF), 0);
}

// The smallest valid request of each command.
std::vector<uint8_t> minimal(uint16_t cmd) {
  const uint16_t ss = kSpecSize[cmd];
  size_t body = ss & ~1u;
  if (cmd == 0) body = 36 + 2;  // one dialect
  std::vector<uint8_t> m(64 + body, 0);
  Header h;
  h.command = cmd;
  encode_header(m.data(), h);
  st16(m.data() + 64, ss);
  if (cmd == 0) {
    st16(m.data() + 64 + 2, 1);
    st16(m.data() + 64 + 36, dialect::SMB210);
  }
  if (cmd == 10) st16(m.data() + 64 + 2, 1);  // LockCount 1, element in the fixed part
  return m;
}

TEST(ValidateRequest, EveryCommandMinimalOk) {
  for (uint16_t c = 0; c < kCommandCount; ++c) {
    auto m = minimal(c);
    EXPECT_EQ(validate_request(as_bytes(m)), Verdict::Ok) << command_name(c);
  }
}

TEST(ValidateRequest, WrongStructureSizeInvalid) {
  for (uint16_t c = 0; c < kCommandCount; ++c) {
    for (int delta : {-1, 1, 2}) {
      auto m = minimal(c);
      m.resize(m.size() + 8, 0);  // room, so only the size is wrong
      st16(m.data() + 64, static_cast<uint16_t>(kSpecSize[c] + delta));
      EXPECT_EQ(validate_request(as_bytes(m)), Verdict::Invalid)
          << command_name(c) << " delta " << delta;
    }
    auto m = minimal(c);
    st16(m.data() + 64, 0);
    EXPECT_EQ(validate_request(as_bytes(m)), Verdict::Invalid) << command_name(c);
  }
}

TEST(ValidateRequest, TruncatedFixedPartInvalid) {
  for (uint16_t c = 0; c < kCommandCount; ++c) {
    auto m = minimal(c);
    for (size_t n = 64; n < m.size(); ++n) {
      std::vector<uint8_t> cut(m.begin(), m.begin() + static_cast<long>(n));
      EXPECT_EQ(validate_request(as_bytes(cut)), Verdict::Invalid)
          << command_name(c) << " cut to " << n;
    }
  }
}

TEST(ValidateRequest, ShortOrForeignDisconnects) {
  auto m = minimal(13);
  EXPECT_EQ(validate_request({}), Verdict::Disconnect);
  EXPECT_EQ(validate_request(Bytes(m.data(), 63)), Verdict::Disconnect);
  auto smb1 = m;
  smb1[0] = 0xFF;
  EXPECT_EQ(validate_request(as_bytes(smb1)), Verdict::Disconnect);
  auto tf = m;
  tf[0] = 0xFD;
  EXPECT_EQ(validate_request(as_bytes(tf)), Verdict::Disconnect);
}

TEST(ValidateRequest, BadHeaderStructureSizeInvalid) {
  auto m = minimal(13);
  st16(m.data() + 4, 65);
  EXPECT_EQ(validate_request(as_bytes(m)), Verdict::Invalid);
  st16(m.data() + 4, 0);
  EXPECT_EQ(validate_request(as_bytes(m)), Verdict::Invalid);
}

TEST(ValidateRequest, UnknownCommandDisconnects) {
  for (uint16_t c : {uint16_t{0x13}, uint16_t{0x14}, uint16_t{0x100}, uint16_t{0xFFFF}}) {
    auto m = minimal(13);
    st16(m.data() + 12, c);
    EXPECT_EQ(validate_request(as_bytes(m)), Verdict::Disconnect) << c;
  }
}

TEST(ValidateRequest, HeaderOnlyInvalid) {
  auto m = minimal(13);
  m.resize(64);
  EXPECT_EQ(validate_request(as_bytes(m)), Verdict::Invalid);
  m.resize(65);
  EXPECT_EQ(validate_request(as_bytes(m)), Verdict::Invalid);
}

struct BufField {
  uint16_t cmd;
  uint8_t off_pos, off_width, len_pos, len_width;
};
// Every (offset, length) pair of the request side, MS-SMB2 2.2.x.
constexpr BufField kFields[] = {
    {1, 12, 2, 14, 2},   // SESSION_SETUP SecurityBuffer
    {3, 4, 2, 6, 2},     // TREE_CONNECT Path
    {5, 44, 2, 46, 2},   // CREATE Name
    {5, 48, 4, 52, 4},   // CREATE CreateContexts
    {8, 44, 2, 46, 2},   // READ ReadChannelInfo
    {9, 2, 2, 4, 4},     // WRITE Data
    {9, 40, 2, 42, 2},   // WRITE WriteChannelInfo
    {11, 24, 4, 28, 4},  // IOCTL Input
    {11, 36, 4, 40, 4},  // IOCTL Output
    {14, 24, 2, 26, 2},  // QUERY_DIRECTORY FileName
    {16, 8, 2, 12, 4},   // QUERY_INFO InputBuffer
    {17, 8, 2, 4, 4},    // SET_INFO Buffer
};

void put(std::vector<uint8_t>& m, size_t pos, int width, uint64_t v) {
  if (width == 2) {
    st16(m.data() + pos, static_cast<uint16_t>(v));
  } else {
    st32(m.data() + pos, static_cast<uint32_t>(v));
  }
}

TEST(ValidateRequest, BufferFieldsChecked) {
  for (const BufField& f : kFields) {
    SCOPED_TRACE(command_name(f.cmd));
    auto base = minimal(f.cmd);
    const size_t fixed = kSpecSize[f.cmd] & ~1u;
    base.resize(64 + fixed + 16, 0xAB);  // a 16-byte buffer after the fixed part
    const size_t off = 64 + fixed;
    const size_t size = base.size();
    auto with = [&](uint64_t o, uint64_t l) {
      auto m = base;
      put(m, 64 + f.off_pos, f.off_width, o);
      put(m, 64 + f.len_pos, f.len_width, l);
      return validate_request(as_bytes(m));
    };
    EXPECT_EQ(with(off, 16), Verdict::Ok);
    EXPECT_EQ(with(off + 8, 8), Verdict::Ok);
    EXPECT_EQ(with(0xFFFF, 0), Verdict::Ok);  // no data, offset irrelevant
    EXPECT_EQ(with(off, 17), Verdict::Invalid);
    EXPECT_EQ(with(off + 1, 16), Verdict::Invalid);
    EXPECT_EQ(with(size, 1), Verdict::Invalid);
    EXPECT_EQ(with(size + 100, 1), Verdict::Invalid);
    EXPECT_EQ(with(0, 16), Verdict::Invalid);        // into the header
    EXPECT_EQ(with(64, 16), Verdict::Invalid);       // into the fixed part
    EXPECT_EQ(with(off - 1, 16), Verdict::Invalid);  // last fixed byte
    const uint64_t maxo = f.off_width == 2 ? 0xFFFF : 0xFFFFFFFF;
    const uint64_t maxl = f.len_width == 2 ? 0xFFFF : 0xFFFFFFFF;
    EXPECT_EQ(with(maxo, 16), Verdict::Invalid);
    EXPECT_EQ(with(off, maxl), Verdict::Invalid);
    EXPECT_EQ(with(maxo, maxl), Verdict::Invalid);
  }
}

TEST(ValidateRequest, LockCounts) {
  auto m = minimal(10);
  st16(m.data() + 66, 0);
  EXPECT_EQ(validate_request(as_bytes(m)), Verdict::Invalid);  // LockCount 0
  st16(m.data() + 66, 2);
  EXPECT_EQ(validate_request(as_bytes(m)), Verdict::Invalid);  // only one element there
  m.resize(m.size() + 24, 0);
  EXPECT_EQ(validate_request(as_bytes(m)), Verdict::Ok);
  st16(m.data() + 66, 0xFFFF);
  EXPECT_EQ(validate_request(as_bytes(m)), Verdict::Invalid);
}

TEST(ValidateRequest, NegotiateDialectCount) {
  auto m = minimal(0);
  st16(m.data() + 66, 0);
  EXPECT_EQ(validate_request(as_bytes(m)), Verdict::Invalid);
  st16(m.data() + 66, 2);
  EXPECT_EQ(validate_request(as_bytes(m)), Verdict::Invalid);
  m.resize(m.size() + 2, 0);
  st16(m.data() + 64 + 38, dialect::SMB311);
  EXPECT_EQ(validate_request(as_bytes(m)), Verdict::Ok);
}

TEST(ValidateRequest, LeaseBreakAckSize) {
  // OPLOCK_BREAK acknowledgment 24, lease break acknowledgment 36.
  auto m = minimal(0x12);
  m.resize(64 + 36, 0);
  st16(m.data() + 64, 36);
  EXPECT_EQ(validate_request(as_bytes(m)), Verdict::Ok);
  m.resize(64 + 24);
  EXPECT_EQ(validate_request(as_bytes(m)), Verdict::Invalid);
}

TEST(ValidateRequest, AllOnesBodiesNeverOk) {
  for (uint16_t c = 0; c < kCommandCount; ++c) {
    std::vector<uint8_t> m(64 + 128, 0xFF);
    Header h;
    h.command = c;
    encode_header(m.data(), h);
    st16(m.data() + 64, kSpecSize[c]);
    // Every offset/length/count field is 0xFF..: if the command has any,
    // they cannot all lie inside 128 bytes.
    Verdict v = validate_request(as_bytes(m));
    bool has_var = c == 0 || c == 1 || c == 3 || c == 5 || c == 8 || c == 9 || c == 10 ||
                   c == 11 || c == 14 || c == 16 || c == 17;
    if (has_var) {
      EXPECT_EQ(v, Verdict::Invalid) << command_name(c);
    } else {
      EXPECT_EQ(v, Verdict::Ok) << command_name(c);
    }
  }
}

TEST(CommandName, KnownAndUnknown) {
  EXPECT_STREQ(command_name(0), "NEGOTIATE");
  EXPECT_STREQ(command_name(5), "CREATE");
  EXPECT_STREQ(command_name(0x12), "OPLOCK_BREAK");
  EXPECT_STREQ(command_name(0x13), "UNKNOWN");
}

}  // namespace
