// The client half of the SMB2 codec (wire/client.h).
//
// Requests: every encoder's message passes validate_request() and the
// server's parse_x() gives the request back. Responses: every server
// encoder's message decodes to what was encoded, and every truncation of it
// fails with STATUS_INVALID_NETWORK_RESPONSE instead of reading past the
// end. A few messages are checked byte for byte against layouts written out
// by hand from MS-SMB2 2.2.3, 2.2.13 and 2.2.21, and NETWORK_INTERFACE_INFO
// against 2.2.32.5.
//
// Messages are built in Writers with the default (small) capacity, so the
// encoders are exercised across Writer growth. Truncated copies are
// separate heap allocations so that a sanitizer build catches any read past
// the end.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <iterator>

#include "../test_util.h"
#include "wire/client.h"
#include "wire/header.h"
#include "wire/messages.h"
#include "wire/utf16.h"
#include "wire/validate.h"

using namespace ringsmb::wire;
using ringsmb::testing::as_bytes;
using ringsmb::testing::inside;
using ringsmb::testing::same;
using ringsmb::testing::vec;

namespace {

constexpr FileId kFid{0x0102030405060708ull, 0x1112131415161718ull};
constexpr NtStatus kBad = status::INVALID_NETWORK_RESPONSE;

std::vector<uint8_t> u16s(std::string_view s) { return utf8_to_utf16le(s); }

// A request as the client sends it: the 64-byte header, then the body.
std::vector<uint8_t> request(Command cmd, const std::function<void(Writer&)>& body) {
  Writer w;
  w.zeros(kHeaderSize);
  Header h;
  h.command = static_cast<uint16_t>(cmd);
  h.message_id = 9;
  h.credits = 1;
  h.tree_id = 0x77;
  h.session_id = 0x1234;
  encode_header(w.data(), h);
  body(w);
  return vec(w.bytes());
}

// A response as the server sends it.
std::vector<uint8_t> response(Command cmd, const std::function<void(Writer&)>& body,
                              NtStatus st = status::SUCCESS) {
  Writer w;
  w.zeros(kHeaderSize);
  Header h;
  h.command = static_cast<uint16_t>(cmd);
  h.status = st;
  h.flags = flags::SERVER_TO_REDIR;
  h.message_id = 9;
  h.credits = 1;
  encode_header(w.data(), h);
  body(w);
  return vec(w.bytes());
}

Bytes body_of(const std::vector<uint8_t>& m) { return as_bytes(m).subspan(kHeaderSize); }

// Every prefix of m must fail with STATUS_INVALID_NETWORK_RESPONSE, except
// the last `tolerated` ones: a response whose variable part is only the one
// padding byte an odd StructureSize counts still parses without it.
template <class Parse>
void expect_truncations_fail(const std::vector<uint8_t>& m, Parse parse, size_t tolerated = 0) {
  for (size_t n = 0; n < m.size(); ++n) {
    std::vector<uint8_t> cut(m.begin(), m.begin() + static_cast<long>(n));
    auto r = parse(as_bytes(cut));
    if (n + tolerated >= m.size()) continue;  // either answer; no crash
    EXPECT_FALSE(r.ok()) << "prefix of " << n << " of " << m.size() << " bytes parsed";
    if (!r.ok()) {
      EXPECT_EQ(r.status(), kBad) << n;
    }
  }
}

// ===================================================================== requests

TEST(ClientRequest, NegotiateWithContextsRoundTrips) {
  std::vector<uint8_t> salt(32);
  for (size_t i = 0; i < salt.size(); ++i) salt[i] = static_cast<uint8_t>(0x40 + i);
  auto pre = preauth_context(as_bytes(salt));
  auto enc = u16_list_context({cipher::AES128_GCM, cipher::AES128_CCM, cipher::AES256_GCM});
  auto sig = u16_list_context({signalg::AES_GMAC, signalg::AES_CMAC});
  NegotiateRequest q;
  q.security_mode = NEGOTIATE_SIGNING_REQUIRED;
  q.capabilities = cap::DFS | cap::LEASING | cap::LARGE_MTU | cap::ENCRYPTION;
  for (int i = 0; i < 16; ++i) q.client_guid.b[i] = static_cast<uint8_t>(0xC0 + i);
  q.dialects = {dialect::SMB202, dialect::SMB210, dialect::SMB300, dialect::SMB302,
                dialect::SMB311};
  q.contexts = {{negctx::PREAUTH_INTEGRITY_CAPABILITIES, as_bytes(pre)},
                {negctx::ENCRYPTION_CAPABILITIES, as_bytes(enc)},
                {negctx::SIGNING_CAPABILITIES, as_bytes(sig)}};
  auto m = request(Command::Negotiate, [&](Writer& w) { encode_request(w, q); });
  ASSERT_EQ(validate_request(as_bytes(m)), Verdict::Ok);
  auto p = parse_negotiate(as_bytes(m));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->security_mode, q.security_mode);
  EXPECT_EQ(p->capabilities, q.capabilities);
  EXPECT_EQ(p->client_guid, q.client_guid);
  EXPECT_EQ(p->dialects, q.dialects);
  ASSERT_EQ(p->contexts.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(p->contexts[i].type, q.contexts[i].type);
    EXPECT_TRUE(same(p->contexts[i].data, q.contexts[i].data)) << i;
  }
  // Offsets are 8-byte aligned from the header start.
  const uint8_t* b = m.data() + kHeaderSize;
  EXPECT_EQ(ld32(b + 28) % 8, 0u);
  EXPECT_EQ(ld16(b + 32), 3);
  for (const auto& c : p->contexts) EXPECT_EQ((c.data.data() - 8 - m.data()) % 8, 0);

  auto caps = parse_preauth_caps(p->contexts[0].data);
  ASSERT_TRUE(caps.ok());
  EXPECT_EQ(caps->hash_algorithms, std::vector<uint16_t>{HASH_SHA512});
  EXPECT_TRUE(same(caps->salt, as_bytes(salt)));
  auto ciphers = parse_u16_list(p->contexts[1].data);
  ASSERT_TRUE(ciphers.ok());
  EXPECT_EQ(*ciphers, (std::vector<uint16_t>{cipher::AES128_GCM, cipher::AES128_CCM,
                                             cipher::AES256_GCM}));
  auto algs = parse_u16_list(p->contexts[2].data);
  ASSERT_TRUE(algs.ok());
  EXPECT_EQ(*algs, (std::vector<uint16_t>{signalg::AES_GMAC, signalg::AES_CMAC}));
}

TEST(ClientRequest, NegotiateWithoutSmb311HasNoContexts) {
  std::vector<uint8_t> pre = preauth_context({});
  NegotiateRequest q;
  q.security_mode = NEGOTIATE_SIGNING_ENABLED;
  q.dialects = {dialect::SMB202, dialect::SMB210};
  q.contexts = {{negctx::PREAUTH_INTEGRITY_CAPABILITIES, as_bytes(pre)}};  // ignored
  auto m = request(Command::Negotiate, [&](Writer& w) { encode_request(w, q); });
  ASSERT_EQ(validate_request(as_bytes(m)), Verdict::Ok);
  ASSERT_EQ(m.size(), kHeaderSize + 36 + 4);
  // ClientStartTime (2.2.3) is zero.
  for (size_t i = 28; i < 36; ++i) EXPECT_EQ(m[kHeaderSize + i], 0) << i;
  auto p = parse_negotiate(as_bytes(m));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->dialects, q.dialects);
  EXPECT_TRUE(p->contexts.empty());
}

// MS-SMB2 2.2.3 laid out by hand: five dialects end at header offset 110,
// so the first context starts at 112 after two padding bytes; the preauth
// context (8 + 10 bytes) ends at 130, so the encryption context starts at
// 136; nothing follows the last one.
TEST(ClientRequest, NegotiateBytesExact) {
  const uint8_t salt[] = {0xA0, 0xA1, 0xA2, 0xA3};
  auto pre = preauth_context(Bytes(salt, 4));
  auto enc = u16_list_context({cipher::AES128_GCM, cipher::AES128_CCM});
  NegotiateRequest q;
  q.security_mode = NEGOTIATE_SIGNING_ENABLED;
  q.capabilities = 0x45;
  for (int i = 0; i < 16; ++i) q.client_guid.b[i] = static_cast<uint8_t>(0x10 + i);
  q.dialects = {0x0202, 0x0210, 0x0300, 0x0302, 0x0311};
  q.contexts = {{negctx::PREAUTH_INTEGRITY_CAPABILITIES, as_bytes(pre)},
                {negctx::ENCRYPTION_CAPABILITIES, as_bytes(enc)}};
  auto m = request(Command::Negotiate, [&](Writer& w) { encode_request(w, q); });
  const std::vector<uint8_t> want = {
      0x24, 0x00,              // StructureSize 36
      0x05, 0x00,              // DialectCount
      0x01, 0x00,              // SecurityMode
      0x00, 0x00,              // Reserved
      0x45, 0x00, 0x00, 0x00,  // Capabilities
      0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,  // ClientGuid
      0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F,
      0x70, 0x00, 0x00, 0x00,  // NegotiateContextOffset 112
      0x02, 0x00,              // NegotiateContextCount
      0x00, 0x00,              // Reserved2
      0x02, 0x02, 0x10, 0x02, 0x00, 0x03, 0x02, 0x03, 0x11, 0x03,  // Dialects
      0x00, 0x00,              // Padding to 112
      // SMB2_PREAUTH_INTEGRITY_CAPABILITIES (2.2.3.1.1)
      0x01, 0x00, 0x0A, 0x00, 0x00, 0x00, 0x00, 0x00,  // type 1, length 10, Reserved
      0x01, 0x00,              // HashAlgorithmCount
      0x04, 0x00,              // SaltLength
      0x01, 0x00,              // SHA-512
      0xA0, 0xA1, 0xA2, 0xA3,  // Salt
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // Padding to 136
      // SMB2_ENCRYPTION_CAPABILITIES (2.2.3.1.2)
      0x02, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00,  // type 2, length 6, Reserved
      0x02, 0x00,              // CipherCount
      0x02, 0x00, 0x01, 0x00,  // AES-128-GCM, AES-128-CCM
  };
  EXPECT_EQ(vec(body_of(m)), want);
  EXPECT_EQ(m.size(), 150u);
}

TEST(ClientRequest, PreauthAndListContextBytes) {
  const uint8_t salt[] = {9, 8, 7};
  EXPECT_EQ(preauth_context(Bytes(salt, 3)),
            (std::vector<uint8_t>{1, 0, 3, 0, 1, 0, 9, 8, 7}));
  EXPECT_EQ(preauth_context({}), (std::vector<uint8_t>{1, 0, 0, 0, 1, 0}));
  EXPECT_EQ(u16_list_context({0x0102}), (std::vector<uint8_t>{1, 0, 2, 1}));
  EXPECT_EQ(u16_list_context({}), (std::vector<uint8_t>{0, 0}));
}

TEST(ClientRequest, SessionSetupRoundTrips) {
  std::vector<uint8_t> token(300);
  for (size_t i = 0; i < token.size(); ++i) token[i] = static_cast<uint8_t>(i * 7);
  SessionSetupRequest q;
  q.flags = SESSION_FLAG_BINDING;
  q.security_mode = NEGOTIATE_SIGNING_ENABLED;
  q.capabilities = cap::DFS;
  q.channel = 0;
  q.security_buffer = as_bytes(token);
  q.previous_session_id = 0xFEEDFACECAFEBEEFull;
  auto m = request(Command::SessionSetup, [&](Writer& w) { encode_request(w, q); });
  ASSERT_EQ(validate_request(as_bytes(m)), Verdict::Ok);
  EXPECT_EQ(ld16(m.data() + kHeaderSize + 12), 0x58);
  auto p = parse_session_setup(as_bytes(m));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->flags, q.flags);
  EXPECT_EQ(p->security_mode, q.security_mode);
  EXPECT_EQ(p->capabilities, q.capabilities);
  EXPECT_EQ(p->channel, q.channel);
  EXPECT_TRUE(same(p->security_buffer, as_bytes(token)));
  EXPECT_EQ(p->previous_session_id, q.previous_session_id);

  SessionSetupRequest empty;
  auto e = request(Command::SessionSetup, [&](Writer& w) { encode_request(w, empty); });
  ASSERT_EQ(validate_request(as_bytes(e)), Verdict::Ok);
  EXPECT_EQ(e.size(), kHeaderSize + 25);  // never shorter than StructureSize
  auto pe = parse_session_setup(as_bytes(e));
  ASSERT_TRUE(pe.ok());
  EXPECT_TRUE(pe->security_buffer.empty());
}

TEST(ClientRequest, FourByteBodies) {
  const std::pair<Command, void (*)(Writer&)> cases[] = {
      {Command::Logoff, encode_logoff_request},
      {Command::TreeDisconnect, encode_tree_disconnect_request},
      {Command::Echo, encode_echo_request},
      {Command::Cancel, encode_cancel_request},
  };
  for (const auto& [cmd, enc] : cases) {
    auto m = request(cmd, [&](Writer& w) { enc(w); });
    EXPECT_EQ(validate_request(as_bytes(m)), Verdict::Ok) << static_cast<int>(cmd);
    EXPECT_EQ(vec(body_of(m)), (std::vector<uint8_t>{4, 0, 0, 0}));
  }
}

TEST(ClientRequest, TreeConnectRoundTrips) {
  auto path = u16s("\\\\server\\share");
  TreeConnectRequest q{0, as_bytes(path)};
  auto m = request(Command::TreeConnect, [&](Writer& w) { encode_request(w, q); });
  ASSERT_EQ(validate_request(as_bytes(m)), Verdict::Ok);
  EXPECT_EQ(ld16(m.data() + kHeaderSize + 4), 0x48);
  auto p = parse_tree_connect(as_bytes(m));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->flags, 0);
  EXPECT_TRUE(same(p->path, as_bytes(path)));
}

CreateRequest sample_create() {
  CreateRequest q;
  q.security_flags = 0;
  q.oplock_level = oplock::BATCH;
  q.impersonation_level = 2;
  q.create_flags = 0;
  q.desired_access = access::GENERIC_READ | access::FILE_WRITE_DATA;
  q.file_attributes = attr::NORMAL;
  q.share_access = FILE_SHARE_READ | FILE_SHARE_WRITE;
  q.disposition = disposition::OPEN_IF;
  q.options = createopt::NON_DIRECTORY_FILE;
  return q;
}

void expect_create_equal(const CreateRequest& a, const CreateRequest& b) {
  EXPECT_EQ(a.security_flags, b.security_flags);
  EXPECT_EQ(a.oplock_level, b.oplock_level);
  EXPECT_EQ(a.impersonation_level, b.impersonation_level);
  EXPECT_EQ(a.create_flags, b.create_flags);
  EXPECT_EQ(a.desired_access, b.desired_access);
  EXPECT_EQ(a.file_attributes, b.file_attributes);
  EXPECT_EQ(a.share_access, b.share_access);
  EXPECT_EQ(a.disposition, b.disposition);
  EXPECT_EQ(a.options, b.options);
  EXPECT_TRUE(same(a.name, b.name));
  ASSERT_EQ(a.contexts.size(), b.contexts.size());
  for (size_t i = 0; i < a.contexts.size(); ++i) {
    EXPECT_TRUE(same(a.contexts[i].name, b.contexts[i].name)) << i;
    EXPECT_TRUE(same(a.contexts[i].data, b.contexts[i].data)) << i;
  }
}

TEST(ClientRequest, CreateRoundTrips) {
  // Names of every length modulo 8, with and without contexts, so that the
  // padding before the chain takes every value; long enough to grow the
  // Writer.
  std::vector<uint8_t> lease(52, 0x5A), dhnq(16, 0), secd(100, 0x33);
  for (size_t chars : {0, 1, 2, 3, 4, 5, 6, 7, 8, 100}) {
    std::string n(chars, 'f');
    auto name = u16s(n);
    for (int with_ctx = 0; with_ctx < 2; ++with_ctx) {
      CreateRequest q = sample_create();
      q.name = as_bytes(name);
      if (with_ctx) {
        q.contexts = {{as_bytes(std::string_view("MxAc")), {}},
                      {as_bytes(std::string_view("RqLs")), as_bytes(lease)},
                      {as_bytes(std::string_view("DHnQ")), as_bytes(dhnq)},
                      {as_bytes(std::string_view("SecD")), as_bytes(secd)},
                      {as_bytes(std::string_view("QFid")), {}}};
      }
      auto m = request(Command::Create, [&](Writer& w) { encode_request(w, q); });
      ASSERT_EQ(validate_request(as_bytes(m)), Verdict::Ok) << chars << with_ctx;
      const uint8_t* b = m.data() + kHeaderSize;
      EXPECT_EQ(ld16(b + 44), 0x78);  // NameOffset, even for an empty name
      EXPECT_EQ(ld16(b + 46), name.size());
      EXPECT_GE(m.size(), kHeaderSize + 57);
      if (with_ctx) {
        EXPECT_EQ(ld32(b + 48) % 8, 0u);
        EXPECT_GE(ld32(b + 48), 0x78 + name.size());
        EXPECT_EQ(ld32(b + 48) + ld32(b + 52), m.size());  // no trailing padding
      } else {
        EXPECT_EQ(ld32(b + 48), 0u);
        EXPECT_EQ(ld32(b + 52), 0u);
        EXPECT_EQ(m.size(), kHeaderSize + 56 + std::max<size_t>(name.size(), 1));
      }
      auto p = parse_create(as_bytes(m));
      ASSERT_TRUE(p.ok()) << chars << with_ctx;
      expect_create_equal(*p, q);
      if (with_ctx) {
        // Every context 8-byte aligned from the header, data 8-aligned.
        size_t pos = ld32(b + 48);
        for (;;) {
          EXPECT_EQ(pos % 8, 0u);
          EXPECT_EQ(ld16(m.data() + pos + 4), 16);
          uint16_t doff = ld16(m.data() + pos + 10);
          if (ld32(m.data() + pos + 12) != 0) {
            EXPECT_EQ(doff % 8, 0);
          } else {
            EXPECT_EQ(doff, 0);
          }
          uint32_t next = ld32(m.data() + pos);
          if (next == 0) break;
          pos += next;
        }
      }
    }
  }
}

// MS-SMB2 2.2.13 and 2.2.13.2 laid out by hand: the 6-byte name at 0x78
// ends at 126, so the chain starts at 128 (0x80); "MxAc" without data ends
// at chain+20, so the second context starts at chain+24 (Next 24); its
// name ends at +20 and its data starts at +24 (DataOffset 24).
TEST(ClientRequest, CreateBytesExact) {
  auto name = u16s("a\\b");
  const uint8_t twrp[] = {1, 2, 3, 4, 5, 6, 7, 8};
  CreateRequest q;
  q.oplock_level = oplock::BATCH;
  q.impersonation_level = 2;
  q.desired_access = 0x0012019F;
  q.file_attributes = attr::NORMAL;
  q.share_access = 7;
  q.disposition = disposition::OPEN_IF;
  q.options = createopt::NON_DIRECTORY_FILE;
  q.name = as_bytes(name);
  q.contexts = {{as_bytes(std::string_view("MxAc")), {}},
                {as_bytes(std::string_view("TWrp")), Bytes(twrp, 8)}};
  auto m = request(Command::Create, [&](Writer& w) { encode_request(w, q); });
  const std::vector<uint8_t> want = {
      0x39, 0x00,              // StructureSize 57
      0x00,                    // SecurityFlags
      0x09,                    // RequestedOplockLevel: batch
      0x02, 0x00, 0x00, 0x00,  // ImpersonationLevel
      0, 0, 0, 0, 0, 0, 0, 0,  // SmbCreateFlags
      0, 0, 0, 0, 0, 0, 0, 0,  // Reserved
      0x9F, 0x01, 0x12, 0x00,  // DesiredAccess
      0x80, 0x00, 0x00, 0x00,  // FileAttributes
      0x07, 0x00, 0x00, 0x00,  // ShareAccess
      0x03, 0x00, 0x00, 0x00,  // CreateDisposition
      0x40, 0x00, 0x00, 0x00,  // CreateOptions
      0x78, 0x00,              // NameOffset
      0x06, 0x00,              // NameLength
      0x80, 0x00, 0x00, 0x00,  // CreateContextsOffset
      0x38, 0x00, 0x00, 0x00,  // CreateContextsLength 56
      'a', 0, '\\', 0, 'b', 0,  // Name
      0x00, 0x00,              // Padding to 128
      // Context 1
      0x18, 0x00, 0x00, 0x00,  // Next 24
      0x10, 0x00, 0x04, 0x00,  // NameOffset 16, NameLength 4
      0x00, 0x00, 0x00, 0x00,  // Reserved, DataOffset 0
      0x00, 0x00, 0x00, 0x00,  // DataLength 0
      'M', 'x', 'A', 'c',
      0x00, 0x00, 0x00, 0x00,  // Padding
      // Context 2
      0x00, 0x00, 0x00, 0x00,  // Next 0
      0x10, 0x00, 0x04, 0x00,  // NameOffset 16, NameLength 4
      0x00, 0x00, 0x18, 0x00,  // Reserved, DataOffset 24
      0x08, 0x00, 0x00, 0x00,  // DataLength 8
      'T', 'W', 'r', 'p',
      0x00, 0x00, 0x00, 0x00,  // Padding
      1, 2, 3, 4, 5, 6, 7, 8,  // Data
  };
  EXPECT_EQ(vec(body_of(m)), want);
}

TEST(ClientRequest, CreateEmptyNameNoContextsHasOneBufferByte) {
  CreateRequest q = sample_create();
  auto m = request(Command::Create, [&](Writer& w) { encode_request(w, q); });
  ASSERT_EQ(m.size(), kHeaderSize + 57);
  EXPECT_EQ(m.back(), 0);
  EXPECT_EQ(ld16(m.data() + kHeaderSize + 44), 0x78);
  EXPECT_EQ(ld16(m.data() + kHeaderSize + 46), 0);
  ASSERT_EQ(validate_request(as_bytes(m)), Verdict::Ok);
  auto p = parse_create(as_bytes(m));
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->name.empty());
}

TEST(ClientRequest, CloseAndFlushRoundTrip) {
  CloseRequest c{CLOSE_FLAG_POSTQUERY_ATTRIB, kFid};
  auto m = request(Command::Close, [&](Writer& w) { encode_request(w, c); });
  ASSERT_EQ(validate_request(as_bytes(m)), Verdict::Ok);
  EXPECT_EQ(m.size(), kHeaderSize + 24);
  auto pc = parse_close(as_bytes(m));
  ASSERT_TRUE(pc.ok());
  EXPECT_EQ(pc->flags, c.flags);
  EXPECT_EQ(pc->file_id, kFid);

  FlushRequest f{kFid};
  auto fm = request(Command::Flush, [&](Writer& w) { encode_request(w, f); });
  ASSERT_EQ(validate_request(as_bytes(fm)), Verdict::Ok);
  EXPECT_EQ(fm.size(), kHeaderSize + 24);
  auto pf = parse_flush(as_bytes(fm));
  ASSERT_TRUE(pf.ok());
  EXPECT_EQ(pf->file_id, kFid);
}

TEST(ClientRequest, ReadRoundTrips) {
  ReadRequest q;
  q.padding = 0x50;
  q.flags = READFLAG_READ_UNBUFFERED;
  q.length = 1 << 20;
  q.offset = 0x123456789ull;
  q.file_id = kFid;
  q.minimum_count = 7;
  q.channel = 0;
  q.remaining_bytes = 99;
  auto m = request(Command::Read, [&](Writer& w) { encode_request(w, q); });
  ASSERT_EQ(validate_request(as_bytes(m)), Verdict::Ok);
  ASSERT_EQ(m.size(), kHeaderSize + 49);  // one Buffer byte
  EXPECT_EQ(m.back(), 0);
  EXPECT_EQ(ld16(m.data() + kHeaderSize), 49);
  EXPECT_EQ(ld32(m.data() + kHeaderSize + 44), 0u);  // ReadChannelInfoOffset/Length
  auto p = parse_read(as_bytes(m));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->padding, q.padding);
  EXPECT_EQ(p->flags, q.flags);
  EXPECT_EQ(p->length, q.length);
  EXPECT_EQ(p->offset, q.offset);
  EXPECT_EQ(p->file_id, kFid);
  EXPECT_EQ(p->minimum_count, q.minimum_count);
  EXPECT_EQ(p->channel, q.channel);
  EXPECT_EQ(p->remaining_bytes, q.remaining_bytes);
}

TEST(ClientRequest, WriteRoundTrips) {
  std::vector<uint8_t> data(1000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i ^ 0x5A);
  WriteRequest q;
  q.offset = 0x7000;
  q.file_id = kFid;
  q.remaining_bytes = 3;
  q.flags = WRITEFLAG_WRITE_THROUGH;
  q.data = as_bytes(data);
  auto m = request(Command::Write, [&](Writer& w) { encode_request(w, q); });
  ASSERT_EQ(validate_request(as_bytes(m)), Verdict::Ok);
  EXPECT_EQ(m.size(), kHeaderSize + 48 + data.size());
  auto p = parse_write(as_bytes(m));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->data_offset, 0x70);
  EXPECT_EQ(p->length, data.size());
  EXPECT_EQ(p->offset, q.offset);
  EXPECT_EQ(p->file_id, kFid);
  EXPECT_EQ(p->channel, 0u);
  EXPECT_EQ(p->remaining_bytes, q.remaining_bytes);
  EXPECT_EQ(p->flags, q.flags);
  EXPECT_TRUE(same(p->data, as_bytes(data)));

  WriteRequest empty;
  empty.file_id = kFid;
  auto e = request(Command::Write, [&](Writer& w) { encode_request(w, empty); });
  ASSERT_EQ(validate_request(as_bytes(e)), Verdict::Ok);
  EXPECT_EQ(e.size(), kHeaderSize + 49);
  auto pe = parse_write(as_bytes(e));
  ASSERT_TRUE(pe.ok());
  EXPECT_EQ(pe->length, 0u);
}

// MS-SMB2 2.2.21 laid out by hand.
TEST(ClientRequest, WriteFixedBytesExact) {
  WriteRequest q;
  q.offset = 0x0000000123456789ull;
  q.file_id = {0x1122334455667788ull, 0x99AABBCCDDEEFF00ull};
  q.flags = WRITEFLAG_WRITE_THROUGH;
  auto m = request(Command::Write,
                   [&](Writer& w) { encode_write_request_fixed(w, q, 0x10000); });
  const std::vector<uint8_t> want = {
      0x31, 0x00,              // StructureSize 49
      0x70, 0x00,              // DataOffset 112
      0x00, 0x00, 0x01, 0x00,  // Length 65536
      0x89, 0x67, 0x45, 0x23, 0x01, 0x00, 0x00, 0x00,  // Offset
      0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,  // FileId.Persistent
      0x00, 0xFF, 0xEE, 0xDD, 0xCC, 0xBB, 0xAA, 0x99,  // FileId.Volatile
      0x00, 0x00, 0x00, 0x00,  // Channel
      0x00, 0x00, 0x00, 0x00,  // RemainingBytes
      0x00, 0x00, 0x00, 0x00,  // WriteChannelInfoOffset, Length
      0x01, 0x00, 0x00, 0x00,  // Flags: WRITE_THROUGH
  };
  EXPECT_EQ(vec(body_of(m)), want);
  // With the payload appended as its own segment, the server reads it back.
  std::vector<uint8_t> payload(0x10000, 0xEE);
  m.insert(m.end(), payload.begin(), payload.end());
  ASSERT_EQ(validate_request(as_bytes(m)), Verdict::Ok);
  auto p = parse_write(as_bytes(m));
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(same(p->data, as_bytes(payload)));
}

TEST(ClientRequest, LockRoundTrips) {
  LockRequest q;
  q.lock_sequence = 0x12;
  q.file_id = kFid;
  q.locks = {{0, 100, LOCKFLAG_EXCLUSIVE | LOCKFLAG_FAIL_IMMEDIATELY},
             {0xFFFFFFFF00000000ull, 0xFFFFFFFFull, LOCKFLAG_SHARED},
             {5, 5, LOCKFLAG_UNLOCK}};
  auto m = request(Command::Lock, [&](Writer& w) { encode_request(w, q); });
  ASSERT_EQ(validate_request(as_bytes(m)), Verdict::Ok);
  EXPECT_EQ(m.size(), kHeaderSize + 24 + 3 * 24);
  auto p = parse_lock(as_bytes(m));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->lock_sequence, q.lock_sequence);
  EXPECT_EQ(p->file_id, kFid);
  ASSERT_EQ(p->locks.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(p->locks[i].offset, q.locks[i].offset);
    EXPECT_EQ(p->locks[i].length, q.locks[i].length);
    EXPECT_EQ(p->locks[i].flags, q.locks[i].flags);
  }
}

TEST(ClientRequest, IoctlRoundTrips) {
  std::vector<uint8_t> in(24, 0x42);
  for (int with_input = 0; with_input < 2; ++with_input) {
    IoctlRequest q;
    q.ctl_code = with_input ? fsctl::VALIDATE_NEGOTIATE_INFO : fsctl::QUERY_NETWORK_INTERFACE_INFO;
    q.file_id = {~uint64_t{0}, ~uint64_t{0}};
    if (with_input) q.input = as_bytes(in);
    q.max_input_response = 0;
    q.max_output_response = 65536;
    q.flags = IOCTL_IS_FSCTL;
    auto m = request(Command::Ioctl, [&](Writer& w) { encode_request(w, q); });
    ASSERT_EQ(validate_request(as_bytes(m)), Verdict::Ok);
    EXPECT_EQ(m.size(), kHeaderSize + 56 + (with_input ? in.size() : 1));
    const uint8_t* b = m.data() + kHeaderSize;
    EXPECT_EQ(ld32(b + 24), 0x78u);  // InputOffset
    EXPECT_EQ(ld32(b + 36), 0x78u);  // OutputOffset
    EXPECT_EQ(ld32(b + 40), 0u);     // OutputCount
    auto p = parse_ioctl(as_bytes(m));
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->ctl_code, q.ctl_code);
    EXPECT_EQ(p->file_id, q.file_id);
    EXPECT_TRUE(same(p->input, q.input));
    EXPECT_EQ(p->max_input_response, q.max_input_response);
    EXPECT_EQ(p->max_output_response, q.max_output_response);
    EXPECT_EQ(p->flags, q.flags);
  }
}

TEST(ClientRequest, QueryDirectoryRoundTrips) {
  auto pattern = u16s("*.txt");
  QueryDirectoryRequest q;
  q.info_class = fileinfo::IdBothDirectory;
  q.flags = QD_RESTART_SCANS;
  q.file_index = 0;
  q.file_id = kFid;
  q.pattern = as_bytes(pattern);
  q.output_length = 65536;
  auto m = request(Command::QueryDirectory, [&](Writer& w) { encode_request(w, q); });
  ASSERT_EQ(validate_request(as_bytes(m)), Verdict::Ok);
  EXPECT_EQ(ld16(m.data() + kHeaderSize + 24), 0x60);
  auto p = parse_query_directory(as_bytes(m));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->info_class, q.info_class);
  EXPECT_EQ(p->flags, q.flags);
  EXPECT_EQ(p->file_index, q.file_index);
  EXPECT_EQ(p->file_id, kFid);
  EXPECT_TRUE(same(p->pattern, as_bytes(pattern)));
  EXPECT_EQ(p->output_length, q.output_length);
}

TEST(ClientRequest, ChangeNotifyRoundTrips) {
  ChangeNotifyRequest q{0x0001, 4096, kFid, 0x17};
  auto m = request(Command::ChangeNotify, [&](Writer& w) { encode_request(w, q); });
  ASSERT_EQ(validate_request(as_bytes(m)), Verdict::Ok);
  EXPECT_EQ(m.size(), kHeaderSize + 32);
  auto p = parse_change_notify(as_bytes(m));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->flags, q.flags);
  EXPECT_EQ(p->output_length, q.output_length);
  EXPECT_EQ(p->file_id, kFid);
  EXPECT_EQ(p->completion_filter, q.completion_filter);
}

TEST(ClientRequest, QueryInfoRoundTrips) {
  std::vector<uint8_t> in = {1, 2, 3, 4, 5};
  for (int with_input = 0; with_input < 2; ++with_input) {
    QueryInfoRequest q;
    q.info_type = INFO_FILE;
    q.info_class = fileinfo::All;
    q.output_length = 4096;
    if (with_input) q.input = as_bytes(in);
    q.additional_information = 0x7;
    q.flags = 0x1;
    q.file_id = kFid;
    auto m = request(Command::QueryInfo, [&](Writer& w) { encode_request(w, q); });
    ASSERT_EQ(validate_request(as_bytes(m)), Verdict::Ok);
    EXPECT_EQ(m.size(), kHeaderSize + 40 + (with_input ? in.size() : 1));
    EXPECT_EQ(ld16(m.data() + kHeaderSize + 8), 0x68);
    auto p = parse_query_info(as_bytes(m));
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->info_type, q.info_type);
    EXPECT_EQ(p->info_class, q.info_class);
    EXPECT_EQ(p->output_length, q.output_length);
    EXPECT_TRUE(same(p->input, q.input));
    EXPECT_EQ(p->additional_information, q.additional_information);
    EXPECT_EQ(p->flags, q.flags);
    EXPECT_EQ(p->file_id, kFid);
  }
}

TEST(ClientRequest, SetInfoRoundTripsEveryPayload) {
  NetworkOpenInfo t;
  t.creation_time = 1;
  t.last_write_time = 0x01D9000000000000ull;
  t.attributes = attr::HIDDEN;
  const std::pair<uint8_t, std::vector<uint8_t>> payloads[] = {
      {fileinfo::Rename, rename_info("dir\\new name.txt", true)},
      {fileinfo::Disposition, disposition_info(true)},
      {fileinfo::Basic, basic_info(t)},
      {fileinfo::EndOfFile, end_of_file_info(12345)},
  };
  for (const auto& [cls, buf] : payloads) {
    SetInfoRequest q;
    q.info_type = INFO_FILE;
    q.info_class = cls;
    q.buffer = as_bytes(buf);
    q.additional_information = 0;
    q.file_id = kFid;
    auto m = request(Command::SetInfo, [&](Writer& w) { encode_request(w, q); });
    ASSERT_EQ(validate_request(as_bytes(m)), Verdict::Ok) << int(cls);
    EXPECT_EQ(ld16(m.data() + kHeaderSize + 8), 0x60);
    auto p = parse_set_info(as_bytes(m));
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->info_type, INFO_FILE);
    EXPECT_EQ(p->info_class, cls);
    EXPECT_TRUE(same(p->buffer, as_bytes(buf)));
    EXPECT_EQ(p->file_id, kFid);
  }
}

TEST(ClientRequest, OplockBreakAckRoundTrips) {
  OplockBreakAck q{oplock::LEVEL_II, kFid};
  auto m = request(Command::OplockBreak, [&](Writer& w) { encode_request(w, q); });
  ASSERT_EQ(validate_request(as_bytes(m)), Verdict::Ok);
  EXPECT_EQ(m.size(), kHeaderSize + 24);
  auto p = parse_oplock_break_ack(as_bytes(m));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->oplock_level, oplock::LEVEL_II);
  EXPECT_EQ(p->file_id, kFid);
}

// In a compound the second request's header is not at the writer's start:
// offsets still count from that request's own header.
TEST(ClientRequest, OffsetsCountFromTheirOwnHeader) {
  Writer w;
  w.zeros(kHeaderSize);
  encode_echo_request(w);
  w.align(8);
  const size_t second = w.size();
  w.zeros(kHeaderSize);
  Header h;
  h.command = static_cast<uint16_t>(Command::Create);
  h.flags = flags::RELATED_OPERATIONS;
  encode_header(w.data() + second, h);
  auto name = u16s("x.txt");
  CreateRequest q = sample_create();
  q.name = as_bytes(name);
  q.contexts = {{as_bytes(std::string_view("MxAc")), {}}};
  encode_request(w, q);
  Bytes msg = w.bytes().subspan(second);
  ASSERT_EQ(validate_request(msg), Verdict::Ok);
  auto p = parse_create(msg);
  ASSERT_TRUE(p.ok());
  expect_create_equal(*p, q);
}

// ==================================================================== responses

TEST(ClientResponse, ErrorResponse) {
  const uint8_t need[] = {0x00, 0x10, 0x00, 0x00};  // STATUS_BUFFER_TOO_SMALL data
  auto m = response(
      Command::QueryInfo, [&](Writer& w) { encode_error_response(w, Bytes(need, 4)); },
      status::BUFFER_TOO_SMALL);
  auto r = parse_error_response(as_bytes(m));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->error_context_count, 0);
  EXPECT_TRUE(same(r->error_data, Bytes(need, 4)));
  expect_truncations_fail(m, parse_error_response);

  auto e = response(Command::Create, [&](Writer& w) { encode_error_response(w); },
                    status::OBJECT_NAME_NOT_FOUND);
  auto re = parse_error_response(as_bytes(e));
  ASSERT_TRUE(re.ok());
  EXPECT_TRUE(re->error_data.empty());
  expect_truncations_fail(e, parse_error_response, 1);

  // The error shape is not a CREATE response.
  EXPECT_EQ(parse_create_response(as_bytes(e)).status(), kBad);
}

NegotiateResponse sample_negotiate(uint16_t d) {
  NegotiateResponse r;
  r.security_mode = NEGOTIATE_SIGNING_ENABLED | NEGOTIATE_SIGNING_REQUIRED;
  r.dialect = d;
  for (int i = 0; i < 16; ++i) r.server_guid.b[i] = static_cast<uint8_t>(0xE0 + i);
  r.capabilities = cap::LARGE_MTU | cap::MULTI_CHANNEL;
  r.max_transact = 8 << 20;
  r.max_read = 4 << 20;
  r.max_write = 2 << 20;
  r.system_time = 0x01DA112233445566ull;
  r.server_start_time = 0x01D0000000000001ull;
  return r;
}

void expect_negotiate_equal(const NegotiateResponseView& v, const NegotiateResponse& r) {
  EXPECT_EQ(v.security_mode, r.security_mode);
  EXPECT_EQ(v.dialect, r.dialect);
  EXPECT_EQ(v.server_guid, r.server_guid);
  EXPECT_EQ(v.capabilities, r.capabilities);
  EXPECT_EQ(v.max_transact, r.max_transact);
  EXPECT_EQ(v.max_read, r.max_read);
  EXPECT_EQ(v.max_write, r.max_write);
  EXPECT_EQ(v.system_time, r.system_time);
  EXPECT_EQ(v.server_start_time, r.server_start_time);
  EXPECT_TRUE(same(v.security_buffer, r.security_buffer));
}

TEST(ClientResponse, NegotiateSmb311WithContexts) {
  std::vector<uint8_t> sec(75, 0x60);  // odd: the contexts need padding
  std::vector<uint8_t> salt(32, 0x99);
  NegotiateResponse r = sample_negotiate(dialect::SMB311);
  r.security_buffer = as_bytes(sec);
  r.contexts = {{negctx::PREAUTH_INTEGRITY_CAPABILITIES, preauth_context(as_bytes(salt))},
                {negctx::ENCRYPTION_CAPABILITIES, u16_list_context({cipher::AES128_GCM})},
                {negctx::SIGNING_CAPABILITIES, u16_list_context({signalg::AES_GMAC})}};
  auto m = response(Command::Negotiate, [&](Writer& w) { encode_negotiate_response(w, r); });
  auto v = parse_negotiate_response(as_bytes(m));
  ASSERT_TRUE(v.ok());
  expect_negotiate_equal(*v, r);
  ASSERT_EQ(v->contexts.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(v->contexts[i].type, r.contexts[i].first);
    EXPECT_TRUE(same(v->contexts[i].data, as_bytes(r.contexts[i].second))) << i;
    EXPECT_TRUE(inside(v->contexts[i].data, m));
  }
  expect_truncations_fail(m, parse_negotiate_response);

  // A context count larger than the list is malformed.
  auto more = m;
  st16(more.data() + kHeaderSize + 6, 4);
  EXPECT_EQ(parse_negotiate_response(as_bytes(more)).status(), kBad);
  // So is a context offset into the fixed part.
  auto into = m;
  st32(into.data() + kHeaderSize + 60, kHeaderSize + 8);
  EXPECT_EQ(parse_negotiate_response(as_bytes(into)).status(), kBad);
}

TEST(ClientResponse, NegotiateOlderDialects) {
  std::vector<uint8_t> sec(40, 0x61);
  for (uint16_t d : {dialect::SMB202, dialect::SMB210, dialect::SMB300, dialect::SMB302,
                     dialect::WILDCARD}) {
    NegotiateResponse r = sample_negotiate(d);
    r.security_buffer = as_bytes(sec);
    auto m = response(Command::Negotiate, [&](Writer& w) { encode_negotiate_response(w, r); });
    auto v = parse_negotiate_response(as_bytes(m));
    ASSERT_TRUE(v.ok()) << d;
    expect_negotiate_equal(*v, r);
    EXPECT_TRUE(v->contexts.empty());
    expect_truncations_fail(m, parse_negotiate_response);
  }
  // No security buffer: the body ends in the one padding byte.
  NegotiateResponse r = sample_negotiate(dialect::SMB210);
  auto m = response(Command::Negotiate, [&](Writer& w) { encode_negotiate_response(w, r); });
  auto v = parse_negotiate_response(as_bytes(m));
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->security_buffer.empty());
  expect_truncations_fail(m, parse_negotiate_response, 1);
}

TEST(ClientResponse, SessionSetup) {
  std::vector<uint8_t> token(200, 0xA1);
  auto m = response(
      Command::SessionSetup,
      [&](Writer& w) { encode_session_setup_response(w, SESSION_FLAG_IS_GUEST, as_bytes(token)); },
      status::MORE_PROCESSING_REQUIRED);
  auto v = parse_session_setup_response(as_bytes(m));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->session_flags, SESSION_FLAG_IS_GUEST);
  EXPECT_TRUE(same(v->security_buffer, as_bytes(token)));
  expect_truncations_fail(m, parse_session_setup_response);

  auto e = response(Command::SessionSetup,
                    [&](Writer& w) { encode_session_setup_response(w, 0, {}); });
  auto ve = parse_session_setup_response(as_bytes(e));
  ASSERT_TRUE(ve.ok());
  EXPECT_TRUE(ve->security_buffer.empty());
  expect_truncations_fail(e, parse_session_setup_response, 1);
}

TEST(ClientResponse, TreeConnect) {
  TreeConnectResponse r{SHARE_TYPE_DISK, shareflag::ENCRYPT_DATA | shareflag::NO_CACHING,
                        sharecap::CONTINUOUS_AVAILABILITY, access::FILE_ALL_ACCESS};
  auto m = response(Command::TreeConnect, [&](Writer& w) { encode_tree_connect_response(w, r); });
  auto v = parse_tree_connect_response(as_bytes(m));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->share_type, r.share_type);
  EXPECT_EQ(v->share_flags, r.share_flags);
  EXPECT_EQ(v->capabilities, r.capabilities);
  EXPECT_EQ(v->maximal_access, r.maximal_access);
  expect_truncations_fail(m, parse_tree_connect_response);
}

NetworkOpenInfo sample_open_info() {
  NetworkOpenInfo i;
  i.creation_time = 0x01D9000000000001ull;
  i.last_access_time = 0x01D9000000000002ull;
  i.last_write_time = 0x01D9000000000003ull;
  i.change_time = 0x01D9000000000004ull;
  i.allocation_size = 8192;
  i.end_of_file = 5000;
  i.attributes = attr::ARCHIVE | attr::READONLY;
  return i;
}

void expect_open_info_equal(const NetworkOpenInfo& a, const NetworkOpenInfo& b) {
  EXPECT_EQ(a.creation_time, b.creation_time);
  EXPECT_EQ(a.last_access_time, b.last_access_time);
  EXPECT_EQ(a.last_write_time, b.last_write_time);
  EXPECT_EQ(a.change_time, b.change_time);
  EXPECT_EQ(a.allocation_size, b.allocation_size);
  EXPECT_EQ(a.end_of_file, b.end_of_file);
  EXPECT_EQ(a.attributes, b.attributes);
}

TEST(ClientResponse, CreateWithAndWithoutContexts) {
  for (int with_ctx = 0; with_ctx < 2; ++with_ctx) {
    CreateResponse r;
    r.oplock_level = oplock::LEASE;
    r.flags = 0;
    r.create_action = createaction::CREATED;
    r.info = sample_open_info();
    r.file_id = kFid;
    if (with_ctx) {
      r.contexts = {{"MxAc", {0, 0, 0, 0, 0xFF, 0x01, 0x1F, 0x00}},
                    {"QFid", std::vector<uint8_t>(32, 0x0F)},
                    {"RqLs", std::vector<uint8_t>(52, 0x11)}};
    }
    auto m = response(Command::Create, [&](Writer& w) { encode_create_response(w, r); });
    auto v = parse_create_response(as_bytes(m));
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v->oplock_level, r.oplock_level);
    EXPECT_EQ(v->flags, r.flags);
    EXPECT_EQ(v->create_action, r.create_action);
    expect_open_info_equal(v->info, r.info);
    EXPECT_EQ(v->file_id, kFid);
    ASSERT_EQ(v->contexts.size(), r.contexts.size());
    for (size_t i = 0; i < r.contexts.size(); ++i) {
      EXPECT_TRUE(same(v->contexts[i].name, as_bytes(r.contexts[i].first))) << i;
      EXPECT_TRUE(same(v->contexts[i].data, as_bytes(r.contexts[i].second))) << i;
    }
    expect_truncations_fail(m, parse_create_response, with_ctx ? 0 : 1);
    if (with_ctx) {
      // A broken chain is a network error, not INVALID_PARAMETER.
      auto bad = m;
      size_t chain = ld32(bad.data() + kHeaderSize + 80);
      st32(bad.data() + chain, 3);  // Next not 8-aligned
      EXPECT_EQ(parse_create_response(as_bytes(bad)).status(), kBad);
    }
  }
}

TEST(ClientResponse, Close) {
  NetworkOpenInfo i = sample_open_info();
  auto m = response(Command::Close,
                    [&](Writer& w) { encode_close_response(w, CLOSE_FLAG_POSTQUERY_ATTRIB, &i); });
  auto v = parse_close_response(as_bytes(m));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->flags, CLOSE_FLAG_POSTQUERY_ATTRIB);
  expect_open_info_equal(v->info, i);
  expect_truncations_fail(m, parse_close_response);

  auto z = response(Command::Close, [&](Writer& w) { encode_close_response(w, 0, nullptr); });
  auto vz = parse_close_response(as_bytes(z));
  ASSERT_TRUE(vz.ok());
  expect_open_info_equal(vz->info, NetworkOpenInfo{});
}

std::vector<uint8_t> read_response(Bytes data, uint32_t remaining) {
  return response(Command::Read, [&](Writer& w) {
    size_t at = w.zeros(kReadResponseFixed);
    encode_read_response_fixed(w.data() + at, static_cast<uint32_t>(data.size()), remaining);
    if (data.empty()) {
      w.zeros(1);
    } else {
      w.append(data);
    }
  });
}

TEST(ClientResponse, Read) {
  std::vector<uint8_t> data(5000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 13);
  auto m = read_response(as_bytes(data), 77);
  auto v = parse_read_response(as_bytes(m));
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(same(v->data, as_bytes(data)));
  EXPECT_TRUE(inside(v->data, m));
  EXPECT_EQ(v->data_remaining, 77u);
  expect_truncations_fail(m, parse_read_response);

  auto e = read_response({}, 0);
  auto ve = parse_read_response(as_bytes(e));
  ASSERT_TRUE(ve.ok());
  EXPECT_TRUE(ve->data.empty());
  expect_truncations_fail(e, parse_read_response, 1);

  // DataOffset inside the fixed part.
  auto bad = m;
  bad[kHeaderSize + 2] = kHeaderSize + 8;
  EXPECT_EQ(parse_read_response(as_bytes(bad)).status(), kBad);
}

TEST(ClientResponse, Write) {
  auto m = response(Command::Write, [&](Writer& w) { encode_write_response(w, 123456); });
  auto v = parse_write_response(as_bytes(m));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 123456u);
  expect_truncations_fail(m, parse_write_response, 1);
}

TEST(ClientResponse, Ioctl) {
  std::vector<uint8_t> out(304, 0x21);
  for (NtStatus st : {status::SUCCESS, status::BUFFER_OVERFLOW}) {
    auto m = response(
        Command::Ioctl,
        [&](Writer& w) {
          encode_ioctl_response(w, fsctl::QUERY_NETWORK_INTERFACE_INFO, kFid, as_bytes(out));
        },
        st);
    auto v = parse_ioctl_response(as_bytes(m));
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v->ctl_code, fsctl::QUERY_NETWORK_INTERFACE_INFO);
    EXPECT_EQ(v->file_id, kFid);
    EXPECT_TRUE(v->input.empty());
    EXPECT_TRUE(same(v->output, as_bytes(out)));
    EXPECT_EQ(v->flags, 0u);
    expect_truncations_fail(m, parse_ioctl_response);
  }
  auto e = response(Command::Ioctl, [&](Writer& w) {
    encode_ioctl_response(w, fsctl::SET_SPARSE, kFid, {});
  });
  auto ve = parse_ioctl_response(as_bytes(e));
  ASSERT_TRUE(ve.ok());
  EXPECT_TRUE(ve->output.empty());
  expect_truncations_fail(e, parse_ioctl_response, 1);

  // Input echoed back as well (pass-through FSCTLs): both buffers decode.
  auto both = response(Command::Ioctl, [&](Writer& w) {
    encode_ioctl_response(w, fsctl::PIPE_TRANSCEIVE, kFid, as_bytes(out));
  });
  st32(both.data() + kHeaderSize + 28, 10);  // InputCount: the first 10 bytes
  st32(both.data() + kHeaderSize + 32, kHeaderSize + 48 + 16);
  st32(both.data() + kHeaderSize + 36, static_cast<uint32_t>(out.size() - 16));
  auto vb = parse_ioctl_response(as_bytes(both));
  ASSERT_TRUE(vb.ok());
  EXPECT_EQ(vb->input.size(), 10u);
  EXPECT_EQ(vb->output.size(), out.size() - 16);
}

TEST(ClientResponse, BufferResponsesIncludingBufferOverflow) {
  std::vector<uint8_t> out(100, 0x3C);
  for (NtStatus st : {status::SUCCESS, status::BUFFER_OVERFLOW}) {
    auto m = response(Command::QueryInfo,
                      [&](Writer& w) { encode_buffer_response(w, as_bytes(out)); }, st);
    auto v = parse_buffer_response(as_bytes(m));
    ASSERT_TRUE(v.ok());
    EXPECT_TRUE(same(*v, as_bytes(out)));
    expect_truncations_fail(m, parse_buffer_response);
  }
  auto e = response(Command::ChangeNotify, [&](Writer& w) { encode_buffer_response(w, {}); });
  auto ve = parse_buffer_response(as_bytes(e));
  ASSERT_TRUE(ve.ok());
  EXPECT_TRUE(ve->empty());
  expect_truncations_fail(e, parse_buffer_response, 1);

  // OutputBufferOffset into the header, or a length past the end.
  auto m = response(Command::QueryDirectory,
                    [&](Writer& w) { encode_buffer_response(w, as_bytes(out)); });
  auto bad = m;
  st16(bad.data() + kHeaderSize + 2, 8);
  EXPECT_EQ(parse_buffer_response(as_bytes(bad)).status(), kBad);
  bad = m;
  st32(bad.data() + kHeaderSize + 4, 101);
  EXPECT_EQ(parse_buffer_response(as_bytes(bad)).status(), kBad);
  bad = m;
  st32(bad.data() + kHeaderSize + 4, 0xFFFFFFFF);
  EXPECT_EQ(parse_buffer_response(as_bytes(bad)).status(), kBad);
}

// The notification as server/oplock.cc builds it (MS-SMB2 2.2.23.1).
TEST(ClientResponse, OplockBreakNotification) {
  auto m = response(Command::OplockBreak, [&](Writer& w) {
    size_t at = w.zeros(24);
    st16(w.data() + at, 24);
    w.data()[at + 2] = oplock::LEVEL_II;
    st_file_id(w.data() + at + 8, kFid);
  });
  auto v = parse_oplock_break_notification(as_bytes(m));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->oplock_level, oplock::LEVEL_II);
  EXPECT_EQ(v->file_id, kFid);
  expect_truncations_fail(m, parse_oplock_break_notification);
  // A lease break (StructureSize 44) is another shape.
  auto lease = m;
  st16(lease.data() + kHeaderSize, 44);
  lease.resize(kHeaderSize + 44, 0);
  EXPECT_EQ(parse_oplock_break_notification(as_bytes(lease)).status(), kBad);
}

TEST(ClientResponse, EmptyResponses) {
  for (Command c : {Command::Logoff, Command::TreeDisconnect, Command::Flush, Command::Echo,
                    Command::Lock}) {
    auto m = response(c, [&](Writer& w) { encode_empty_response(w); });
    EXPECT_EQ(parse_empty_response(as_bytes(m)), status::SUCCESS);
    for (size_t n = 0; n < m.size(); ++n) {
      std::vector<uint8_t> cut(m.begin(), m.begin() + static_cast<long>(n));
      EXPECT_EQ(parse_empty_response(as_bytes(cut)), kBad) << n;
    }
    auto wrong = m;
    st16(wrong.data() + kHeaderSize, 9);
    EXPECT_EQ(parse_empty_response(as_bytes(wrong)), kBad);
  }
  // An error answer gives its status.
  auto err = response(Command::Lock, [&](Writer& w) { encode_error_response(w); },
                      status::LOCK_NOT_GRANTED);
  EXPECT_EQ(parse_empty_response(as_bytes(err)), status::LOCK_NOT_GRANTED);
}

// ================================================================== FSCC

FileInfo sample_file(uint64_t n) {
  FileInfo f;
  f.creation_time = 0x01D9000000000010ull + n;
  f.last_access_time = 0x01D9000000000020ull + n;
  f.last_write_time = 0x01D9000000000030ull + n;
  f.change_time = 0x01D9000000000040ull + n;
  f.allocation_size = 4096 * (n + 1);
  f.end_of_file = 1000 * n + 1;
  f.attributes = n % 2 ? attr::DIRECTORY : attr::ARCHIVE;
  f.nlink = static_cast<uint32_t>(n + 1);
  f.file_id = 0xABCD000000000000ull + n;
  f.ea_size = static_cast<uint32_t>(n * 4);
  f.directory = n % 2 != 0;
  return f;
}

struct Named {
  const char* name;
  const char* short_name;
};
constexpr Named kNames[] = {
    {"a", ""},
    {"file name.txt", "FILENA~1.TXT"},
    {"\xC3\x84rger \xF0\x9F\x98\x80.doc", "RGER~1.DOC"},  // non-BMP: a surrogate pair
};

// Entries chained the way server/query_directory.cc links them.
std::vector<uint8_t> dir_buffer(uint8_t cls) {
  Writer out;
  size_t last = 0;
  for (size_t k = 0; k < std::size(kNames); ++k) {
    out.align(8);
    if (k != 0) out.put32(last, static_cast<uint32_t>(out.size() - last));
    last = out.size();
    auto name = u16s(kNames[k].name);
    auto shortn = u16s(kNames[k].short_name);
    put_dir_entry(out, cls, sample_file(k), static_cast<uint32_t>(100 + k), as_bytes(name),
                  as_bytes(shortn));
  }
  return vec(out.bytes());
}

TEST(ClientFscc, DirEntriesEveryClassTheServerEncodes) {
  const uint8_t classes[] = {fileinfo::Directory,       fileinfo::FullDirectory,
                             fileinfo::BothDirectory,   fileinfo::Names,
                             fileinfo::IdBothDirectory, fileinfo::IdFullDirectory,
                             fileinfo::IdExtdDirectory};
  for (uint8_t cls : classes) {
    auto buf = dir_buffer(cls);
    // Through a whole QUERY_DIRECTORY response first.
    auto m = response(Command::QueryDirectory,
                      [&](Writer& w) { encode_buffer_response(w, as_bytes(buf)); });
    auto out = parse_buffer_response(as_bytes(m));
    ASSERT_TRUE(out.ok());
    auto list = parse_dir_entries(*out, cls);
    ASSERT_TRUE(list.ok()) << int(cls);
    ASSERT_EQ(list->size(), std::size(kNames)) << int(cls);
    for (size_t k = 0; k < std::size(kNames); ++k) {
      const DirEntry& d = (*list)[k];
      const FileInfo f = sample_file(k);
      SCOPED_TRACE(testing::Message() << "class " << int(cls) << " entry " << k);
      EXPECT_EQ(d.file_index, 100 + k);
      EXPECT_EQ(d.name, kNames[k].name);
      const bool names_only = cls == fileinfo::Names;
      EXPECT_EQ(d.creation_time, names_only ? 0 : f.creation_time);
      EXPECT_EQ(d.last_access_time, names_only ? 0 : f.last_access_time);
      EXPECT_EQ(d.last_write_time, names_only ? 0 : f.last_write_time);
      EXPECT_EQ(d.change_time, names_only ? 0 : f.change_time);
      EXPECT_EQ(d.end_of_file, names_only ? 0 : f.end_of_file);
      EXPECT_EQ(d.allocation_size, names_only ? 0 : f.allocation_size);
      EXPECT_EQ(d.attributes, names_only ? 0 : f.attributes);
      const bool has_ea = !names_only && cls != fileinfo::Directory;
      EXPECT_EQ(d.ea_size, has_ea ? f.ea_size : 0);
      const bool has_id = cls == fileinfo::IdBothDirectory || cls == fileinfo::IdFullDirectory ||
                          cls == fileinfo::IdExtdDirectory;
      EXPECT_EQ(d.file_id, has_id ? f.file_id : 0);
      const bool has_short = cls == fileinfo::BothDirectory || cls == fileinfo::IdBothDirectory;
      EXPECT_EQ(d.short_name, has_short ? kNames[k].short_name : "");
    }
    // Every truncation of the chain fails (the empty buffer holds no entry).
    for (size_t n = 1; n < buf.size(); ++n) {
      std::vector<uint8_t> cut(buf.begin(), buf.begin() + static_cast<long>(n));
      auto r = parse_dir_entries(as_bytes(cut), cls);
      EXPECT_FALSE(r.ok()) << int(cls) << " prefix " << n;
      if (!r.ok()) {
        EXPECT_EQ(r.status(), kBad);
      }
    }
  }
}

TEST(ClientFscc, DirEntriesRejectMalformed) {
  auto buf = dir_buffer(fileinfo::FullDirectory);
  auto ok = parse_dir_entries(as_bytes(buf), fileinfo::FullDirectory);
  ASSERT_TRUE(ok.ok());
  auto empty = parse_dir_entries({}, fileinfo::FullDirectory);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  // An unknown class.
  EXPECT_EQ(parse_dir_entries(as_bytes(buf), fileinfo::Basic).status(), status::INVALID_INFO_CLASS);
  // A Next that lands inside the entry's fixed part, or on the buffer end.
  for (uint32_t next : {1u, 8u, 67u, static_cast<uint32_t>(buf.size())}) {
    auto bad = buf;
    st32(bad.data(), next);
    EXPECT_EQ(parse_dir_entries(as_bytes(bad), fileinfo::FullDirectory).status(), kBad) << next;
  }
  // A name running into the next entry, or past the end.
  auto bad = buf;
  st32(bad.data() + 60, ld32(bad.data()) - 68 + 2);
  EXPECT_EQ(parse_dir_entries(as_bytes(bad), fileinfo::FullDirectory).status(), kBad);
  bad = buf;
  st32(bad.data() + 60, 0xFFFFFFFF);
  EXPECT_EQ(parse_dir_entries(as_bytes(bad), fileinfo::FullDirectory).status(), kBad);
  // An odd name length is not UTF-16.
  bad = buf;
  st32(bad.data() + 60, 1);
  EXPECT_EQ(parse_dir_entries(as_bytes(bad), fileinfo::FullDirectory).status(), kBad);
  // A lone surrogate in the name.
  Writer w;
  const uint8_t lone[] = {0x00, 0xD8};
  put_dir_entry(w, fileinfo::Names, FileInfo{}, 0, Bytes(lone, 2));
  EXPECT_EQ(parse_dir_entries(w.bytes(), fileinfo::Names).status(), kBad);
  // A short name longer than its 24-byte field.
  auto both = dir_buffer(fileinfo::BothDirectory);
  both[68] = 26;
  EXPECT_EQ(parse_dir_entries(as_bytes(both), fileinfo::BothDirectory).status(), kBad);
}

TEST(ClientFscc, AllInformation) {
  FileInfo f = sample_file(3);
  f.delete_pending = true;
  auto name = u16s("\\dir\\f\xC3\xBC.txt");
  auto m = response(Command::QueryInfo, [&](Writer& w) {
    Writer info;
    put_all_info(info, f, 0x0012019F, 4242, 0x20, as_bytes(name));
    encode_buffer_response(w, info.bytes());
  });
  auto out = parse_buffer_response(as_bytes(m));
  ASSERT_TRUE(out.ok());
  auto a = parse_all_info(*out);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->creation_time, f.creation_time);
  EXPECT_EQ(a->last_access_time, f.last_access_time);
  EXPECT_EQ(a->last_write_time, f.last_write_time);
  EXPECT_EQ(a->change_time, f.change_time);
  EXPECT_EQ(a->attributes, f.attributes);
  EXPECT_EQ(a->allocation_size, f.allocation_size);
  EXPECT_EQ(a->end_of_file, f.end_of_file);
  EXPECT_EQ(a->number_of_links, f.nlink);
  EXPECT_TRUE(a->delete_pending);
  EXPECT_EQ(a->directory, f.directory);
  EXPECT_EQ(a->index_number, f.file_id);
  EXPECT_EQ(a->ea_size, f.ea_size);
  EXPECT_EQ(a->access_flags, 0x0012019Fu);
  EXPECT_EQ(a->current_byte_offset, 4242u);
  EXPECT_EQ(a->mode, 0x20u);
  EXPECT_EQ(a->alignment, 0u);
  EXPECT_EQ(a->name, "\\dir\\f\xC3\xBC.txt");
  auto buf = vec(*out);
  expect_truncations_fail(buf, parse_all_info);
}

TEST(ClientFscc, BasicAndNetworkOpenInformation) {
  FileInfo f = sample_file(5);
  Writer b;
  put_basic_info(b, f);
  auto basic = parse_basic_info(b.bytes());
  ASSERT_TRUE(basic.ok());
  EXPECT_EQ(basic->creation_time, f.creation_time);
  EXPECT_EQ(basic->last_access_time, f.last_access_time);
  EXPECT_EQ(basic->last_write_time, f.last_write_time);
  EXPECT_EQ(basic->change_time, f.change_time);
  EXPECT_EQ(basic->attributes, f.attributes);
  EXPECT_EQ(basic->allocation_size, 0u);
  EXPECT_EQ(basic->end_of_file, 0u);
  expect_truncations_fail(vec(b.bytes()), parse_basic_info);

  Writer n;
  put_network_open_info(n, f);
  auto open = parse_network_open_info(n.bytes());
  ASSERT_TRUE(open.ok());
  EXPECT_EQ(open->creation_time, f.creation_time);
  EXPECT_EQ(open->last_access_time, f.last_access_time);
  EXPECT_EQ(open->last_write_time, f.last_write_time);
  EXPECT_EQ(open->change_time, f.change_time);
  EXPECT_EQ(open->allocation_size, f.allocation_size);
  EXPECT_EQ(open->end_of_file, f.end_of_file);
  EXPECT_EQ(open->attributes, f.attributes);
  expect_truncations_fail(vec(n.bytes()), parse_network_open_info);
}

// As server/query_info.cc writes FileFsFullSizeInformation (MS-FSCC 2.5.4).
TEST(ClientFscc, FsFullSize) {
  Writer w;
  w.u64(1000000);
  w.u64(250000);
  w.u64(260000);
  w.u32(8);
  w.u32(512);
  auto s = parse_fs_full_size(w.bytes());
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->total_units, 1000000u);
  EXPECT_EQ(s->caller_available_units, 250000u);
  EXPECT_EQ(s->actual_available_units, 260000u);
  EXPECT_EQ(s->sectors_per_unit, 8u);
  EXPECT_EQ(s->bytes_per_sector, 512u);
  expect_truncations_fail(vec(w.bytes()), parse_fs_full_size);
}

TEST(ClientFscc, SetInfoPayloadLayouts) {
  // FILE_RENAME_INFORMATION_TYPE_2: ReplaceIfExists, Reserved(7),
  // RootDirectory(8), FileNameLength, FileName.
  auto r = rename_info("dir\\new name.txt", true);
  auto name = u16s("dir\\new name.txt");
  ASSERT_EQ(r.size(), 20 + name.size());
  EXPECT_EQ(r[0], 1);
  for (size_t i = 1; i < 16; ++i) EXPECT_EQ(r[i], 0) << i;
  EXPECT_EQ(ld32(r.data() + 16), name.size());
  EXPECT_TRUE(same(Bytes(r.data() + 20, name.size()), as_bytes(name)));
  auto s = rename_info("x", false);
  ASSERT_EQ(s.size(), 24u);  // padded to the C structure's size
  EXPECT_EQ(s[0], 0);
  EXPECT_EQ(ld32(s.data() + 16), 2u);
  EXPECT_EQ(s[20], 'x');
  EXPECT_EQ(s[21], 0);

  EXPECT_EQ(disposition_info(true), std::vector<uint8_t>{1});
  EXPECT_EQ(disposition_info(false), std::vector<uint8_t>{0});

  NetworkOpenInfo t = sample_open_info();
  auto b = basic_info(t);
  ASSERT_EQ(b.size(), kBasicInfoSize);
  auto back = parse_basic_info(as_bytes(b));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->creation_time, t.creation_time);
  EXPECT_EQ(back->last_access_time, t.last_access_time);
  EXPECT_EQ(back->last_write_time, t.last_write_time);
  EXPECT_EQ(back->change_time, t.change_time);
  EXPECT_EQ(back->attributes, t.attributes);
  EXPECT_EQ(ld32(b.data() + 36), 0u);  // Reserved

  auto e = end_of_file_info(0x0102030405060708ull);
  EXPECT_EQ(e, (std::vector<uint8_t>{8, 7, 6, 5, 4, 3, 2, 1}));
}

// --------------------------------------------------- NETWORK_INTERFACE_INFO

std::vector<NetworkInterface> sample_interfaces() {
  NetworkInterface v4;
  v4.if_index = 3;
  v4.capability = NETIF_RSS_CAPABLE;
  v4.link_speed = 10'000'000'000ull;
  v4.family = SOCKADDR_INET;
  const uint8_t a4[] = {192, 168, 1, 10};
  std::memcpy(v4.addr, a4, 4);
  NetworkInterface v6;
  v6.if_index = 3;
  v6.capability = NETIF_RSS_CAPABLE | NETIF_RDMA_CAPABLE;
  v6.link_speed = 1'000'000'000ull;
  v6.family = SOCKADDR_INET6;
  const uint8_t a6[] = {0xFE, 0x80, 0,    0,    0,    0,    0,    0,
                        0x02, 0x11, 0x22, 0xFF, 0xFE, 0x33, 0x44, 0x55};
  std::memcpy(v6.addr, a6, 16);
  v6.ipv6_flowinfo = 0;
  v6.ipv6_scope_id = 5;
  return {v4, v6};
}

// MS-SMB2 2.2.32.5 written out by hand: Next, IfIndex, Capability,
// Reserved, LinkSpeed, then SockAddr_Storage: Family (little-endian), and
// SOCKADDR_IN (Port, IPv4Address, Reserved[8]) or SOCKADDR_IN6 (Port,
// FlowInfo, IPv6Address, ScopeId; network byte order), zero to 128 bytes.
std::vector<uint8_t> hand_interfaces() {
  std::vector<uint8_t> b(304, 0);
  auto put = [&](size_t at, std::initializer_list<uint8_t> bytes) {
    std::copy(bytes.begin(), bytes.end(), b.begin() + static_cast<long>(at));
  };
  // Entry 0 at 0.
  put(0, {0x98, 0x00, 0x00, 0x00});  // Next 152
  put(4, {0x03, 0x00, 0x00, 0x00});  // IfIndex 3
  put(8, {0x01, 0x00, 0x00, 0x00});  // RSS_CAPABLE
  put(12, {0x00, 0x00, 0x00, 0x00});  // Reserved
  put(16, {0x00, 0xE4, 0x0B, 0x54, 0x02, 0x00, 0x00, 0x00});  // 10 Gbit/s
  put(24, {0x02, 0x00});              // Family InterNetwork
  put(26, {0x00, 0x00});              // Port
  put(28, {192, 168, 1, 10});         // IPv4Address
  // 32..40 Reserved, 40..152 rest of the storage: zero.
  // Entry 1 at 152.
  put(152, {0x00, 0x00, 0x00, 0x00});  // Next 0
  put(156, {0x03, 0x00, 0x00, 0x00});  // IfIndex 3
  put(160, {0x03, 0x00, 0x00, 0x00});  // RSS_CAPABLE | RDMA_CAPABLE
  put(168, {0x00, 0xCA, 0x9A, 0x3B, 0x00, 0x00, 0x00, 0x00});  // 1 Gbit/s
  put(176, {0x17, 0x00});              // Family InterNetworkV6
  put(178, {0x00, 0x00});              // Port
  put(180, {0x00, 0x00, 0x00, 0x00});  // FlowInfo
  put(184, {0xFE, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x11, 0x22, 0xFF, 0xFE, 0x33, 0x44, 0x55});
  put(200, {0x00, 0x00, 0x00, 0x05});  // ScopeId 5, network byte order
  return b;
}

void expect_interface_equal(const NetworkInterface& a, const NetworkInterface& b) {
  EXPECT_EQ(a.if_index, b.if_index);
  EXPECT_EQ(a.capability, b.capability);
  EXPECT_EQ(a.link_speed, b.link_speed);
  EXPECT_EQ(a.family, b.family);
  EXPECT_EQ(0, std::memcmp(a.addr, b.addr, sizeof a.addr));
  EXPECT_EQ(a.ipv6_flowinfo, b.ipv6_flowinfo);
  EXPECT_EQ(a.ipv6_scope_id, b.ipv6_scope_id);
}

TEST(ClientNetworkInterfaces, BytesMatchTheSpec) {
  EXPECT_EQ(encode_network_interfaces(sample_interfaces()), hand_interfaces());
  EXPECT_TRUE(encode_network_interfaces({}).empty());
}

TEST(ClientNetworkInterfaces, RoundTripIpv4AndIpv6) {
  auto want = sample_interfaces();
  auto got = parse_network_interfaces(as_bytes(hand_interfaces()));
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 2u);
  for (size_t i = 0; i < 2; ++i) expect_interface_equal((*got)[i], want[i]);

  // Through a whole IOCTL response.
  auto buf = encode_network_interfaces(want);
  auto m = response(Command::Ioctl, [&](Writer& w) {
    encode_ioctl_response(w, fsctl::QUERY_NETWORK_INTERFACE_INFO, {~0ull, ~0ull}, as_bytes(buf));
  });
  auto io = parse_ioctl_response(as_bytes(m));
  ASSERT_TRUE(io.ok());
  auto again = parse_network_interfaces(io->output);
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->size(), 2u);
  for (size_t i = 0; i < 2; ++i) expect_interface_equal((*again)[i], want[i]);

  // Many entries.
  std::vector<NetworkInterface> many;
  for (uint32_t i = 0; i < 20; ++i) {
    NetworkInterface n = want[i % 2];
    n.if_index = i + 1;
    n.addr[3] = static_cast<uint8_t>(i);
    many.push_back(n);
  }
  auto mb = encode_network_interfaces(many);
  ASSERT_EQ(mb.size(), 20 * 152u);
  auto mp = parse_network_interfaces(as_bytes(mb));
  ASSERT_TRUE(mp.ok());
  ASSERT_EQ(mp->size(), 20u);
  for (size_t i = 0; i < 20; ++i) expect_interface_equal((*mp)[i], many[i]);
}

TEST(ClientNetworkInterfaces, Malformed) {
  auto b = hand_interfaces();
  // Every truncation fails but the empty buffer, which lists no interface.
  for (size_t n = 1; n < b.size(); ++n) {
    std::vector<uint8_t> cut(b.begin(), b.begin() + static_cast<long>(n));
    EXPECT_EQ(parse_network_interfaces(as_bytes(cut)).status(), kBad) << n;
  }
  auto empty = parse_network_interfaces({});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  for (uint32_t next : {1u, 151u, 304u, 0xFFFFFFFFu}) {
    auto bad = b;
    st32(bad.data(), next);
    EXPECT_EQ(parse_network_interfaces(as_bytes(bad)).status(), kBad) << next;
  }
  // An entry of an unknown family is skipped, the rest kept.
  auto other = b;
  st16(other.data() + 24, 0x0001);
  auto p = parse_network_interfaces(as_bytes(other));
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->size(), 1u);
  EXPECT_EQ((*p)[0].family, SOCKADDR_INET6);
}

// ============================================================ hostile input

// Every decoder on every single-byte change of every valid response: no
// crash, and whatever is accepted points inside the message.
TEST(ClientDecoders, SurviveByteMutations) {
  std::vector<std::vector<uint8_t>> seeds;
  {
    std::vector<uint8_t> sec(11, 0x60);
    NegotiateResponse r = sample_negotiate(dialect::SMB311);
    r.security_buffer = as_bytes(sec);
    r.contexts = {{negctx::PREAUTH_INTEGRITY_CAPABILITIES, preauth_context(as_bytes(sec))},
                  {negctx::ENCRYPTION_CAPABILITIES, u16_list_context({2, 1})}};
    seeds.push_back(
        response(Command::Negotiate, [&](Writer& w) { encode_negotiate_response(w, r); }));
    CreateResponse c;
    c.info = sample_open_info();
    c.contexts = {{"MxAc", {0, 0, 0, 0, 1, 2, 3, 4}}, {"QFid", std::vector<uint8_t>(32, 7)}};
    seeds.push_back(response(Command::Create, [&](Writer& w) { encode_create_response(w, c); }));
    std::vector<uint8_t> d(40, 0x44);
    seeds.push_back(read_response(as_bytes(d), 0));
    auto ifs = encode_network_interfaces(sample_interfaces());
    seeds.push_back(response(Command::Ioctl, [&](Writer& w) {
      encode_ioctl_response(w, fsctl::QUERY_NETWORK_INTERFACE_INFO, kFid, as_bytes(ifs));
    }));
    auto dir = dir_buffer(fileinfo::IdBothDirectory);
    seeds.push_back(response(Command::QueryDirectory,
                             [&](Writer& w) { encode_buffer_response(w, as_bytes(dir)); }));
    seeds.push_back(response(Command::SessionSetup, [&](Writer& w) {
      encode_session_setup_response(w, 0, as_bytes(d));
    }));
    seeds.push_back(response(Command::Create, [&](Writer& w) {
      encode_error_response(w, as_bytes(d));
    }));
  }
  size_t accepted = 0;
  auto run_all = [&](const std::vector<uint8_t>& m) {
    Bytes b = as_bytes(m);
    auto check = [&](Bytes x) { EXPECT_TRUE(inside(x, m)); };
    if (auto r = parse_error_response(b)) check(r->error_data), ++accepted;
    if (auto r = parse_negotiate_response(b)) {
      check(r->security_buffer);
      for (auto& c : r->contexts) check(c.data);
      ++accepted;
    }
    if (auto r = parse_session_setup_response(b)) check(r->security_buffer);
    (void)parse_tree_connect_response(b);
    if (auto r = parse_create_response(b)) {
      for (auto& c : r->contexts) check(c.name), check(c.data);
    }
    (void)parse_close_response(b);
    if (auto r = parse_read_response(b)) check(r->data);
    (void)parse_write_response(b);
    if (auto r = parse_ioctl_response(b)) {
      check(r->input), check(r->output);
      (void)parse_network_interfaces(r->output);
    }
    if (auto r = parse_buffer_response(b)) {
      check(*r);
      for (uint8_t cls : {1, 2, 3, 12, 37, 38, 60}) (void)parse_dir_entries(*r, cls);
      (void)parse_all_info(*r);
      (void)parse_basic_info(*r);
      (void)parse_network_open_info(*r);
      (void)parse_fs_full_size(*r);
    }
    (void)parse_oplock_break_notification(b);
    (void)parse_empty_response(b);
    (void)parse_network_interfaces(b);
    for (uint8_t cls : {1, 2, 3, 12, 37, 38, 60}) (void)parse_dir_entries(b, cls);
    (void)parse_all_info(b);
  };
  for (const auto& seed : seeds) {
    run_all(seed);
    for (size_t i = 0; i < seed.size(); ++i) {
      for (uint8_t v : {uint8_t{0x00}, uint8_t{0xFF}, uint8_t{0x7F}, uint8_t(seed[i] ^ 0x80),
                        uint8_t(seed[i] + 1)}) {
        auto m = seed;
        m[i] = v;
        run_all(m);
      }
    }
  }
  EXPECT_GT(accepted, 0u);
}

}  // namespace
