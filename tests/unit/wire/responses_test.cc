// Response encoders of wire/messages.h: StructureSize values from MS-SMB2
// 2.2.x, field positions, and offsets (counted from the SMB2 header, which
// the caller places right before the body) that point at the data.
#include <gtest/gtest.h>

#include "../test_util.h"
#include "wire/messages.h"

using namespace ringsmb::wire;
using ringsmb::testing::as_bytes;
using ringsmb::testing::same;

namespace {

// A response as it goes on the wire: 64 header bytes, then the body.
// The writer gets ample capacity so that these layout checks do not trip
// over Writer growth (see ContextWrittenAcrossWriterGrowth).
struct Msg {
  Writer w{1 << 16};
  Msg() { w.zeros(kHeaderSize); }
  const uint8_t* body() const { return w.data() + kHeaderSize; }
  size_t body_size() const { return w.size() - kHeaderSize; }
  Bytes at(size_t off, size_t len) const { return w.bytes().subspan(off, len); }
};

constexpr FileId kFid{0xAAAABBBBCCCCDDDDull, 0x1111222233334444ull};

TEST(EncodeNegotiateResponse, Smb311WithContexts) {
  Msg m;
  NegotiateResponse r;
  r.security_mode = NEGOTIATE_SIGNING_ENABLED;
  r.dialect = dialect::SMB311;
  for (int i = 0; i < 16; ++i) r.server_guid.b[i] = static_cast<uint8_t>(0xF0 + i);
  r.capabilities = cap::LARGE_MTU | cap::DFS;
  r.max_transact = 8 << 20;
  r.max_read = 4 << 20;
  r.max_write = 2 << 20;
  r.system_time = 0x01D0000000000000ull;
  r.server_start_time = 0;
  std::vector<uint8_t> sec(75, 0x60);  // odd length: contexts need padding
  r.security_buffer = as_bytes(sec);
  std::vector<uint8_t> pre(38, 0x01);
  std::vector<uint8_t> enc = {1, 0, 2, 0};
  r.contexts = {{negctx::PREAUTH_INTEGRITY_CAPABILITIES, pre},
                {negctx::ENCRYPTION_CAPABILITIES, enc}};
  encode_negotiate_response(m.w, r);
  const uint8_t* p = m.body();
  EXPECT_EQ(ld16(p), 65);  // StructureSize
  EXPECT_EQ(ld16(p + 2), NEGOTIATE_SIGNING_ENABLED);
  EXPECT_EQ(ld16(p + 4), dialect::SMB311);
  EXPECT_EQ(ld16(p + 6), 2);  // NegotiateContextCount
  EXPECT_EQ(ld_guid(p + 8), r.server_guid);
  EXPECT_EQ(ld32(p + 24), cap::LARGE_MTU | cap::DFS);
  EXPECT_EQ(ld32(p + 28), 8u << 20);
  EXPECT_EQ(ld32(p + 32), 4u << 20);
  EXPECT_EQ(ld32(p + 36), 2u << 20);
  EXPECT_EQ(ld64(p + 40), r.system_time);
  EXPECT_EQ(ld64(p + 48), 0u);
  // Security buffer right after the 64-byte fixed part: header offset 128.
  EXPECT_EQ(ld16(p + 56), 128);
  EXPECT_EQ(ld16(p + 58), sec.size());
  EXPECT_TRUE(same(m.at(128, sec.size()), as_bytes(sec)));
  // Contexts: 8-byte aligned from the header start, each one aligned.
  uint32_t off = ld32(p + 60);
  EXPECT_EQ(off % 8, 0u);
  EXPECT_GE(off, 128 + sec.size());
  ASSERT_LE(off + 8 + pre.size(), m.w.size());
  EXPECT_EQ(ld16(m.w.data() + off), negctx::PREAUTH_INTEGRITY_CAPABILITIES);
  EXPECT_EQ(ld16(m.w.data() + off + 2), pre.size());
  EXPECT_EQ(ld32(m.w.data() + off + 4), 0u);
  EXPECT_TRUE(same(m.at(off + 8, pre.size()), as_bytes(pre)));
  size_t second = (off + 8 + pre.size() + 7) & ~size_t{7};
  ASSERT_EQ(second + 8 + enc.size(), m.w.size());
  EXPECT_EQ(ld16(m.w.data() + second), negctx::ENCRYPTION_CAPABILITIES);
  EXPECT_EQ(ld16(m.w.data() + second + 2), enc.size());
  EXPECT_TRUE(same(m.at(second + 8, enc.size()), as_bytes(enc)));
}

// Regression for the Writer growth use-after-free: the second negotiate
// context's ContextType lands exactly on the writer's initial 256-byte
// capacity.
TEST(EncodeNegotiateResponse, ContextWrittenAcrossWriterGrowth) {
  Writer w;  // default capacity (256)
  w.zeros(kHeaderSize);
  NegotiateResponse r;
  r.dialect = dialect::SMB311;
  std::vector<uint8_t> sec(75, 0x60);
  r.security_buffer = as_bytes(sec);
  std::vector<uint8_t> pre(38, 0x01);
  std::vector<uint8_t> enc = {1, 0, 2, 0};
  r.contexts = {{negctx::PREAUTH_INTEGRITY_CAPABILITIES, pre},
                {negctx::ENCRYPTION_CAPABILITIES, enc}};
  encode_negotiate_response(w, r);
  uint32_t off = ld32(w.data() + 64 + 60);
  size_t second = (off + 8 + pre.size() + 7) & ~size_t{7};
  ASSERT_EQ(second, 256u);
  ASSERT_EQ(second + 8 + enc.size(), w.size());
  EXPECT_EQ(ld16(w.data() + second), negctx::ENCRYPTION_CAPABILITIES);
}

TEST(EncodeNegotiateResponse, OlderDialectHasNoContexts) {
  Msg m;
  NegotiateResponse r;
  r.dialect = dialect::SMB210;
  std::vector<uint8_t> pre(38, 0x01);
  r.contexts = {{negctx::PREAUTH_INTEGRITY_CAPABILITIES, pre}};
  std::vector<uint8_t> sec = {0x60, 0x03, 0x06, 0x01, 0x00};
  r.security_buffer = as_bytes(sec);
  encode_negotiate_response(m.w, r);
  const uint8_t* p = m.body();
  EXPECT_EQ(ld16(p), 65);
  EXPECT_EQ(ld16(p + 6), 0);
  EXPECT_EQ(ld32(p + 60), 0u);
  EXPECT_EQ(m.body_size(), 64 + sec.size());
  EXPECT_TRUE(same(m.at(ld16(p + 56), ld16(p + 58)), as_bytes(sec)));
}

TEST(EncodeNegotiateResponse, EmptyVariablePartStillHasOneByte) {
  Msg m;
  NegotiateResponse r;
  r.dialect = dialect::SMB202;
  encode_negotiate_response(m.w, r);
  EXPECT_EQ(ld16(m.body()), 65);
  EXPECT_EQ(ld16(m.body() + 58), 0);
  EXPECT_EQ(m.body_size(), 65u);
}

TEST(EncodeSessionSetupResponse, WithAndWithoutBuffer) {
  {
    Msg m;
    std::vector<uint8_t> tok = {0xA1, 0x07, 0x30, 0x05, 0xA0, 0x03, 0x0A, 0x01, 0x00};
    encode_session_setup_response(m.w, SESSION_FLAG_IS_GUEST, as_bytes(tok));
    const uint8_t* p = m.body();
    EXPECT_EQ(ld16(p), 9);
    EXPECT_EQ(ld16(p + 2), SESSION_FLAG_IS_GUEST);
    EXPECT_EQ(ld16(p + 4), 72);
    EXPECT_EQ(ld16(p + 6), tok.size());
    EXPECT_TRUE(same(m.at(ld16(p + 4), ld16(p + 6)), as_bytes(tok)));
    EXPECT_EQ(m.body_size(), 8 + tok.size());
  }
  {
    Msg m;
    encode_session_setup_response(m.w, 0, {});
    EXPECT_EQ(ld16(m.body()), 9);
    EXPECT_EQ(ld16(m.body() + 6), 0);
    EXPECT_EQ(m.body_size(), 9u);  // StructureSize 9 counts one buffer byte
  }
}

TEST(EncodeTreeConnectResponse, Layout) {
  Msg m;
  TreeConnectResponse r;
  r.share_type = SHARE_TYPE_PIPE;
  r.share_flags = shareflag::NO_CACHING | shareflag::ENCRYPT_DATA;
  r.capabilities = sharecap::DFS;
  r.maximal_access = access::FILE_ALL_ACCESS;
  encode_tree_connect_response(m.w, r);
  const uint8_t* p = m.body();
  ASSERT_EQ(m.body_size(), 16u);
  EXPECT_EQ(ld16(p), 16);
  EXPECT_EQ(p[2], SHARE_TYPE_PIPE);
  EXPECT_EQ(p[3], 0);
  EXPECT_EQ(ld32(p + 4), shareflag::NO_CACHING | shareflag::ENCRYPT_DATA);
  EXPECT_EQ(ld32(p + 8), sharecap::DFS);
  EXPECT_EQ(ld32(p + 12), access::FILE_ALL_ACCESS);
}

TEST(EncodeEmptyResponse, Sizes) {
  Msg m;
  encode_empty_response(m.w);
  ASSERT_EQ(m.body_size(), 4u);
  EXPECT_EQ(ld16(m.body()), 4);
  EXPECT_EQ(ld16(m.body() + 2), 0);
  Msg m2;
  encode_empty_response(m2.w, 24);
  ASSERT_EQ(m2.body_size(), 24u);
  EXPECT_EQ(ld16(m2.body()), 24);
}

TEST(EncodeCreateResponse, NoContexts) {
  Msg m;
  CreateResponse r;
  r.oplock_level = oplock::LEVEL_II;
  r.flags = 0;
  r.create_action = createaction::CREATED;
  r.info = {1, 2, 3, 4, 4096, 100, attr::ARCHIVE};
  r.file_id = kFid;
  encode_create_response(m.w, r);
  const uint8_t* p = m.body();
  EXPECT_EQ(ld16(p), 89);
  EXPECT_EQ(p[2], oplock::LEVEL_II);
  EXPECT_EQ(p[3], 0);
  EXPECT_EQ(ld32(p + 4), createaction::CREATED);
  EXPECT_EQ(ld64(p + 8), 1u);    // CreationTime
  EXPECT_EQ(ld64(p + 16), 2u);   // LastAccessTime
  EXPECT_EQ(ld64(p + 24), 3u);   // LastWriteTime
  EXPECT_EQ(ld64(p + 32), 4u);   // ChangeTime
  EXPECT_EQ(ld64(p + 40), 4096u);  // AllocationSize
  EXPECT_EQ(ld64(p + 48), 100u);   // EndofFile
  EXPECT_EQ(ld32(p + 56), attr::ARCHIVE);
  EXPECT_EQ(ld32(p + 60), 0u);  // Reserved2
  EXPECT_EQ(ld_file_id(p + 64), kFid);
  EXPECT_EQ(ld32(p + 80), 0u);  // CreateContextsOffset
  EXPECT_EQ(ld32(p + 84), 0u);  // CreateContextsLength
  EXPECT_EQ(m.body_size(), 89u);
}

TEST(EncodeCreateResponse, ContextsRoundTrip) {
  Msg m;
  CreateResponse r;
  r.file_id = kFid;
  std::vector<uint8_t> mxac(8);
  st32(mxac.data(), 0);
  st32(mxac.data() + 4, access::FILE_ALL_ACCESS);
  std::vector<uint8_t> qfid(32, 0x77);
  r.contexts = {{"MxAc", mxac}, {"QFid", qfid}, {"EMPT", {}}};
  encode_create_response(m.w, r);
  const uint8_t* p = m.body();
  EXPECT_EQ(ld16(p), 89);
  uint32_t off = ld32(p + 80), len = ld32(p + 84);
  EXPECT_EQ(off, 64u + 88u);
  EXPECT_EQ(off % 8, 0u);
  ASSERT_EQ(off + len, m.w.size());
  auto list = parse_create_contexts(m.at(off, len));
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ(ringsmb::testing::str((*list)[0].name), "MxAc");
  EXPECT_TRUE(same((*list)[0].data, as_bytes(mxac)));
  EXPECT_EQ(ringsmb::testing::str((*list)[1].name), "QFid");
  EXPECT_TRUE(same((*list)[1].data, as_bytes(qfid)));
  EXPECT_EQ(ringsmb::testing::str((*list)[2].name), "EMPT");
  EXPECT_TRUE((*list)[2].data.empty());
  // Each context and its data start 8-byte aligned (MS-SMB2 2.2.13.2).
  size_t pos = off;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(pos % 8, 0u);
    uint16_t doff = ld16(m.w.data() + pos + 10);
    if (doff != 0) {
      EXPECT_EQ((pos + doff) % 8, 0u);
    }
    EXPECT_EQ(ld16(m.w.data() + pos + 4), 16);  // NameOffset
    uint32_t next = ld32(m.w.data() + pos);
    if (i < 2) {
      EXPECT_NE(next, 0u);
    } else {
      EXPECT_EQ(next, 0u);
    }
    pos += next;
  }
}

TEST(EncodeCloseResponse, WithAndWithoutInfo) {
  NetworkOpenInfo info{10, 20, 30, 40, 8192, 5000, attr::DIRECTORY};
  Msg a;
  encode_close_response(a.w, CLOSE_FLAG_POSTQUERY_ATTRIB, &info);
  ASSERT_EQ(a.body_size(), 60u);
  const uint8_t* p = a.body();
  EXPECT_EQ(ld16(p), 60);
  EXPECT_EQ(ld16(p + 2), CLOSE_FLAG_POSTQUERY_ATTRIB);
  EXPECT_EQ(ld32(p + 4), 0u);
  EXPECT_EQ(ld64(p + 8), 10u);
  EXPECT_EQ(ld64(p + 16), 20u);
  EXPECT_EQ(ld64(p + 24), 30u);
  EXPECT_EQ(ld64(p + 32), 40u);
  EXPECT_EQ(ld64(p + 40), 8192u);
  EXPECT_EQ(ld64(p + 48), 5000u);
  EXPECT_EQ(ld32(p + 56), attr::DIRECTORY);

  Msg b;
  encode_close_response(b.w, 0, nullptr);
  ASSERT_EQ(b.body_size(), 60u);
  EXPECT_EQ(ld16(b.body()), 60);
  for (size_t i = 2; i < 60; ++i) EXPECT_EQ(b.body()[i], 0) << i;
}

TEST(EncodeReadResponse, Fixed) {
  uint8_t out[16];
  std::memset(out, 0xEE, sizeof(out));
  encode_read_response_fixed(out, 123456, 7);
  EXPECT_EQ(ld16(out), 17);
  EXPECT_EQ(out[2], 80);  // DataOffset: 64 + 16
  EXPECT_EQ(out[3], 0);
  EXPECT_EQ(ld32(out + 4), 123456u);
  EXPECT_EQ(ld32(out + 8), 7u);
  EXPECT_EQ(ld32(out + 12), 0u);
  EXPECT_EQ(kReadResponseFixed, 16u);
}

TEST(EncodeWriteResponse, Layout) {
  Msg m;
  encode_write_response(m.w, 65536);
  ASSERT_EQ(m.body_size(), 17u);
  const uint8_t* p = m.body();
  EXPECT_EQ(ld16(p), 17);
  EXPECT_EQ(ld32(p + 4), 65536u);
  EXPECT_EQ(ld32(p + 8), 0u);   // Remaining
  EXPECT_EQ(ld16(p + 12), 0);   // WriteChannelInfoOffset
  EXPECT_EQ(ld16(p + 14), 0);
}

TEST(EncodeIoctlResponse, OutputAndEmpty) {
  Msg m;
  std::vector<uint8_t> out(24, 0x5C);
  encode_ioctl_response(m.w, fsctl::VALIDATE_NEGOTIATE_INFO, kFid, as_bytes(out));
  const uint8_t* p = m.body();
  EXPECT_EQ(ld16(p), 49);
  EXPECT_EQ(ld32(p + 4), fsctl::VALIDATE_NEGOTIATE_INFO);
  EXPECT_EQ(ld_file_id(p + 8), kFid);
  EXPECT_EQ(ld32(p + 28), 0u);  // InputCount
  uint32_t ooff = ld32(p + 32), olen = ld32(p + 36);
  EXPECT_EQ(ooff, 112u);
  EXPECT_EQ(olen, out.size());
  EXPECT_EQ(ooff % 8, 0u);
  EXPECT_TRUE(same(m.at(ooff, olen), as_bytes(out)));
  EXPECT_EQ(ld32(p + 40), 0u);  // Flags
  EXPECT_EQ(m.body_size(), 48 + out.size());

  Msg e;
  encode_ioctl_response(e.w, fsctl::PIPE_WAIT, kFid, {});
  EXPECT_EQ(ld16(e.body()), 49);
  EXPECT_EQ(ld32(e.body() + 36), 0u);
  EXPECT_EQ(e.body_size(), 49u);
}

TEST(EncodeBufferResponse, QueryDirectoryShape) {
  Msg m;
  std::vector<uint8_t> out(300, 0x12);
  encode_buffer_response(m.w, as_bytes(out));
  const uint8_t* p = m.body();
  EXPECT_EQ(ld16(p), 9);
  EXPECT_EQ(ld16(p + 2), 72);
  EXPECT_EQ(ld32(p + 4), 300u);
  EXPECT_TRUE(same(m.at(ld16(p + 2), ld32(p + 4)), as_bytes(out)));

  Msg e;
  encode_buffer_response(e.w, {});
  EXPECT_EQ(ld16(e.body()), 9);
  EXPECT_EQ(ld16(e.body() + 2), 0);
  EXPECT_EQ(ld32(e.body() + 4), 0u);
  EXPECT_EQ(e.body_size(), 9u);
}

TEST(EncodeErrorResponse, Layout) {
  Msg m;
  encode_error_response(m.w);
  ASSERT_EQ(m.body_size(), 9u);
  EXPECT_EQ(ld16(m.body()), 9);
  EXPECT_EQ(m.body()[2], 0);  // ErrorContextCount
  EXPECT_EQ(ld32(m.body() + 4), 0u);  // ByteCount

  Msg d;
  std::vector<uint8_t> data = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  encode_error_response(d.w, as_bytes(data));
  EXPECT_EQ(ld16(d.body()), 9);
  EXPECT_EQ(ld32(d.body() + 4), data.size());
  EXPECT_TRUE(same(d.at(72, data.size()), as_bytes(data)));
  EXPECT_EQ(d.body_size(), 8 + data.size());
}

// Encoders append: a body after an earlier one in the same writer (a
// compound response) keeps the earlier bytes intact.
TEST(Encoders, AppendDoesNotDisturbEarlierBytes) {
  Writer w;
  w.zeros(64);
  encode_error_response(w);
  std::vector<uint8_t> first(w.bytes().begin(), w.bytes().end());
  w.align(8);
  w.zeros(64);
  encode_tree_connect_response(w, TreeConnectResponse{});
  EXPECT_TRUE(same(Bytes(w.data(), first.size()), as_bytes(first)));
  ASSERT_EQ(w.size(), 80u + 64u + 16u);  // 73 rounded up to 80, header, body
  EXPECT_EQ(ld16(w.data() + 80 + 64), 16);
}

}  // namespace
