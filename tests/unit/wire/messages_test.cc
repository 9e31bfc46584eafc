// Request decoders of wire/messages.h: every field round-trips from bytes
// built the way MS-SMB2 2.2.x lays them out, and every truncation or bad
// (offset, length) pair is an error instead of an out-of-bounds read.
//
// Truncated copies are separate heap allocations so that a sanitizer build
// catches any read past the end.
#include <gtest/gtest.h>

#include <cstring>
#include <limits>

#include "../test_util.h"
#include "wire/messages.h"
#include "wire/utf16.h"

using namespace ringsmb::wire;
using ringsmb::testing::as_bytes;
using ringsmb::testing::inside;
using ringsmb::testing::Req;
using ringsmb::testing::same;
using ringsmb::testing::vec;

namespace {

constexpr FileId kFid{0x0102030405060708ull, 0x1112131415161718ull};

void put_fid(Req& r, size_t body_off, FileId f) { st_file_id(r.w().data() + Req::body(body_off), f); }

uint64_t load(const std::vector<uint8_t>& m, size_t pos, int width) {
  switch (width) {
    case 2: return ld16(m.data() + pos);
    case 4: return ld32(m.data() + pos);
    default: return ld64(m.data() + pos);
  }
}
void store(std::vector<uint8_t>& m, size_t pos, int width, uint64_t v) {
  switch (width) {
    case 2: st16(m.data() + pos, static_cast<uint16_t>(v)); break;
    case 4: st32(m.data() + pos, static_cast<uint32_t>(v)); break;
    default: st64(m.data() + pos, v); break;
  }
}
uint64_t max_of(int width) { return width == 2 ? 0xFFFF : width == 4 ? 0xFFFFFFFF : ~0ull; }

// Every prefix of m shorter than `needed` bytes must fail to parse.
template <class Parse>
void expect_prefixes_fail(const std::vector<uint8_t>& m, size_t needed, Parse parse) {
  ASSERT_LE(needed, m.size());
  for (size_t n = 0; n < needed; ++n) {
    std::vector<uint8_t> cut(m.begin(), m.begin() + static_cast<long>(n));
    auto r = parse(as_bytes(cut));
    EXPECT_FALSE(r.ok()) << "prefix of " << n << " bytes parsed";
    if (!r.ok()) {
      EXPECT_EQ(r.status(), status::INVALID_PARAMETER);
    }
  }
}

// The (offset, length) field pair at absolute positions off_pos/len_pos
// describes a non-empty buffer in m; every way of pointing it outside the
// request (into the header or fixed part, past the end, overflowing) must
// be refused, and a zero length makes the offset irrelevant.
template <class Parse>
void expect_bad_buffer_refused(const std::vector<uint8_t>& m, size_t off_pos, int ow,
                               size_t len_pos, int lw, size_t fixed, Parse parse) {
  const uint64_t off = load(m, off_pos, ow);
  const uint64_t len = load(m, len_pos, lw);
  ASSERT_GT(len, 0u);
  ASSERT_TRUE(parse(as_bytes(m)).ok());
  const uint64_t size = m.size();
  struct Case {
    uint64_t off, len;
  } cases[] = {
      {0, len},                          // inside the header
      {kHeaderSize - 1, len},            // inside the header
      {kHeaderSize, len},                // the fixed part
      {kHeaderSize + fixed - 1, len},    // last byte of the fixed part
      {size, len},                       // just past the end
      {size - len + 1, len},             // runs one byte past the end
      {off, size - off + 1},             // length one too long
      {max_of(ow), len},                 // huge offset
      {off, max_of(lw)},                 // huge length
      {max_of(ow), max_of(lw)},          // both: overflow bait
  };
  for (const Case& c : cases) {
    if (c.off > max_of(ow) || c.len > max_of(lw)) continue;  // not encodable
    std::vector<uint8_t> bad = m;
    store(bad, off_pos, ow, c.off);
    store(bad, len_pos, lw, c.len);
    EXPECT_FALSE(parse(as_bytes(bad)).ok()) << "offset " << c.off << " length " << c.len;
  }
  // Length zero: the offset is not looked at.
  std::vector<uint8_t> empty = m;
  store(empty, off_pos, ow, max_of(ow));
  store(empty, len_pos, lw, 0);
  EXPECT_TRUE(parse(as_bytes(empty)).ok());
}

std::vector<uint8_t> u16(std::string_view s) { return utf8_to_utf16le(s); }

// ---------------------------------------------------------------- NEGOTIATE

struct NegSpec {
  std::vector<uint16_t> dialects;
  std::vector<std::pair<uint16_t, std::vector<uint8_t>>> contexts;
};

std::vector<uint8_t> build_negotiate(const NegSpec& s, Guid guid = {}) {
  Req r(0);
  r.w().zeros(36);
  r.put16(0, 36);
  r.put16(2, static_cast<uint16_t>(s.dialects.size()));
  r.put16(4, NEGOTIATE_SIGNING_ENABLED);
  r.put32(8, cap::LARGE_MTU | cap::ENCRYPTION);
  st_guid(r.w().data() + Req::body(12), guid);
  for (uint16_t d : s.dialects) r.w().u16(d);
  if (!s.contexts.empty()) {
    r.w().align(8);
    r.put32(28, static_cast<uint32_t>(r.size()));
    r.put16(32, static_cast<uint16_t>(s.contexts.size()));
    for (size_t i = 0; i < s.contexts.size(); ++i) {
      if (i != 0) r.w().align(8);
      r.w().u16(s.contexts[i].first);
      r.w().u16(static_cast<uint16_t>(s.contexts[i].second.size()));
      r.w().u32(0);
      r.w().append(s.contexts[i].second.data(), s.contexts[i].second.size());
    }
  }
  return r.bytes();
}

std::vector<uint8_t> preauth_ctx_data(uint16_t salt_len) {
  std::vector<uint8_t> d(4 + 2 + salt_len);
  st16(d.data(), 1);
  st16(d.data() + 2, salt_len);
  st16(d.data() + 4, HASH_SHA512);
  for (uint16_t i = 0; i < salt_len; ++i) d[6 + i] = static_cast<uint8_t>(0xA0 + i);
  return d;
}

std::vector<uint8_t> u16_list(std::vector<uint16_t> ids) {
  std::vector<uint8_t> d(2 + 2 * ids.size());
  st16(d.data(), static_cast<uint16_t>(ids.size()));
  for (size_t i = 0; i < ids.size(); ++i) st16(d.data() + 2 + 2 * i, ids[i]);
  return d;
}

TEST(ParseNegotiate, RoundTripWithContexts) {
  Guid g;
  for (int i = 0; i < 16; ++i) g.b[i] = static_cast<uint8_t>(i + 1);
  NegSpec s;
  s.dialects = {dialect::SMB202, dialect::SMB210, dialect::SMB300, dialect::SMB302,
                dialect::SMB311};
  s.contexts = {{negctx::PREAUTH_INTEGRITY_CAPABILITIES, preauth_ctx_data(32)},
                {negctx::ENCRYPTION_CAPABILITIES, u16_list({cipher::AES128_GCM, cipher::AES128_CCM})},
                {negctx::SIGNING_CAPABILITIES, u16_list({signalg::AES_CMAC})}};
  auto m = build_negotiate(s, g);
  auto r = parse_negotiate(as_bytes(m));
  ASSERT_TRUE(r.ok()) << std::hex << r.status();
  EXPECT_EQ(r->security_mode, NEGOTIATE_SIGNING_ENABLED);
  EXPECT_EQ(r->capabilities, cap::LARGE_MTU | cap::ENCRYPTION);
  EXPECT_EQ(r->client_guid, g);
  EXPECT_EQ(r->dialects, s.dialects);
  ASSERT_EQ(r->contexts.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(r->contexts[i].type, s.contexts[i].first);
    EXPECT_TRUE(same(r->contexts[i].data, as_bytes(s.contexts[i].second)));
    EXPECT_TRUE(inside(r->contexts[i].data, m));
  }
  auto pre = parse_preauth_caps(r->contexts[0].data);
  ASSERT_TRUE(pre.ok());
  EXPECT_EQ(pre->hash_algorithms, std::vector<uint16_t>{HASH_SHA512});
  ASSERT_EQ(pre->salt.size(), 32u);
  EXPECT_EQ(pre->salt[0], 0xA0);
  EXPECT_EQ(pre->salt[31], 0xA0 + 31);
  auto enc = parse_u16_list(r->contexts[1].data);
  ASSERT_TRUE(enc.ok());
  EXPECT_EQ(*enc, (std::vector<uint16_t>{cipher::AES128_GCM, cipher::AES128_CCM}));
  auto sig = parse_u16_list(r->contexts[2].data);
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(*sig, std::vector<uint16_t>{signalg::AES_CMAC});
}

TEST(ParseNegotiate, ContextsIgnoredWithout311) {
  NegSpec s;
  s.dialects = {dialect::SMB210, dialect::SMB300};
  s.contexts = {{negctx::PREAUTH_INTEGRITY_CAPABILITIES, preauth_ctx_data(8)}};
  auto m = build_negotiate(s);
  auto r = parse_negotiate(as_bytes(m));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->dialects, s.dialects);
  EXPECT_TRUE(r->contexts.empty());
  // Even a context offset pointing nowhere does not matter then.
  std::vector<uint8_t> bad = m;
  st32(bad.data() + Req::body(28), 0xFFFFFFF0);
  EXPECT_TRUE(parse_negotiate(as_bytes(bad)).ok());
}

TEST(ParseNegotiate, NoContextsWith311) {
  NegSpec s;
  s.dialects = {dialect::SMB311};
  auto m = build_negotiate(s);
  auto r = parse_negotiate(as_bytes(m));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->dialects, std::vector<uint16_t>{dialect::SMB311});
  EXPECT_TRUE(r->contexts.empty());
}

TEST(ParseNegotiate, EveryTruncationFails) {
  NegSpec s;
  s.dialects = {dialect::SMB202, dialect::SMB311};
  s.contexts = {{negctx::PREAUTH_INTEGRITY_CAPABILITIES, preauth_ctx_data(32)},
                {negctx::ENCRYPTION_CAPABILITIES, u16_list({cipher::AES256_GCM})}};
  auto m = build_negotiate(s);
  ASSERT_TRUE(parse_negotiate(as_bytes(m)).ok());
  expect_prefixes_fail(m, m.size(), parse_negotiate);
}

TEST(ParseNegotiate, BadFieldsRefused) {
  NegSpec s;
  s.dialects = {dialect::SMB210, dialect::SMB311};
  s.contexts = {{negctx::PREAUTH_INTEGRITY_CAPABILITIES, preauth_ctx_data(16)}};
  const auto m = build_negotiate(s);
  ASSERT_TRUE(parse_negotiate(as_bytes(m)).ok());
  auto with = [&](size_t abs_pos, int width, uint64_t v) {
    std::vector<uint8_t> b = m;
    store(b, abs_pos, width, v);
    return parse_negotiate(as_bytes(b)).ok();
  };
  EXPECT_FALSE(with(Req::body(0), 2, 37));      // StructureSize
  EXPECT_FALSE(with(Req::body(0), 2, 0));
  EXPECT_FALSE(with(Req::body(2), 2, 0));       // DialectCount 0
  EXPECT_FALSE(with(Req::body(2), 2, 0xFFFF));  // dialects past the end
  EXPECT_FALSE(with(Req::body(28), 4, 0));      // context offset into the header
  EXPECT_FALSE(with(Req::body(28), 4, 64 + 35));  // inside the fixed part
  EXPECT_FALSE(with(Req::body(28), 4, m.size() + 1));
  EXPECT_FALSE(with(Req::body(28), 4, 0xFFFFFFFF));
  EXPECT_FALSE(with(Req::body(32), 2, 2));      // a second context that is not there
  EXPECT_FALSE(with(Req::body(32), 2, 0xFFFF));
  // The context's DataLength runs past the end.
  const size_t ctx = ld32(m.data() + Req::body(28));
  EXPECT_FALSE(with(ctx + 2, 2, m.size() - ctx - 8 + 1));
  EXPECT_FALSE(with(ctx + 2, 2, 0xFFFF));
}

TEST(ParsePreauthCaps, GoodAndBad) {
  auto good = preauth_ctx_data(4);
  auto r = parse_preauth_caps(as_bytes(good));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->hash_algorithms.size(), 1u);
  EXPECT_EQ(r->salt.size(), 4u);
  // No salt at all is fine.
  auto nosalt = preauth_ctx_data(0);
  ASSERT_TRUE(parse_preauth_caps(as_bytes(nosalt)).ok());
  EXPECT_TRUE(parse_preauth_caps(as_bytes(nosalt))->salt.empty());

  EXPECT_FALSE(parse_preauth_caps({}).ok());
  EXPECT_FALSE(parse_preauth_caps(Bytes(good.data(), 3)).ok());
  for (size_t n = 0; n < good.size(); ++n) {
    std::vector<uint8_t> cut(good.begin(), good.begin() + static_cast<long>(n));
    EXPECT_FALSE(parse_preauth_caps(as_bytes(cut)).ok()) << n;
  }
  auto zero = good;
  st16(zero.data(), 0);  // HashAlgorithmCount 0
  EXPECT_FALSE(parse_preauth_caps(as_bytes(zero)).ok());
  auto longsalt = good;
  st16(longsalt.data() + 2, 0xFFFF);
  EXPECT_FALSE(parse_preauth_caps(as_bytes(longsalt)).ok());
  auto many = good;
  st16(many.data(), 0xFFFF);
  EXPECT_FALSE(parse_preauth_caps(as_bytes(many)).ok());
}

TEST(ParseU16List, GoodAndBad) {
  auto good = u16_list({1, 2, 3});
  auto r = parse_u16_list(as_bytes(good));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, (std::vector<uint16_t>{1, 2, 3}));
  EXPECT_FALSE(parse_u16_list({}).ok());
  EXPECT_FALSE(parse_u16_list(Bytes(good.data(), 1)).ok());
  EXPECT_FALSE(parse_u16_list(Bytes(good.data(), good.size() - 1)).ok());
  auto zero = u16_list({});
  EXPECT_FALSE(parse_u16_list(as_bytes(zero)).ok());
  auto many = good;
  st16(many.data(), 0xFFFF);
  EXPECT_FALSE(parse_u16_list(as_bytes(many)).ok());
  // Trailing bytes after the list are allowed.
  auto extra = good;
  extra.push_back(0xEE);
  ASSERT_TRUE(parse_u16_list(as_bytes(extra)).ok());
  EXPECT_EQ(parse_u16_list(as_bytes(extra))->size(), 3u);
}

// ------------------------------------------------------------ SESSION_SETUP

std::vector<uint8_t> build_session_setup(const std::vector<uint8_t>& sec) {
  Req r(1);
  r.w().zeros(24);
  r.put16(0, 25);
  r.put8(2, SESSION_FLAG_BINDING);
  r.put8(3, NEGOTIATE_SIGNING_REQUIRED);
  r.put32(4, cap::DFS);
  r.put32(8, 0xCAFE);
  r.put16(12, static_cast<uint16_t>(r.size()));
  r.put16(14, static_cast<uint16_t>(sec.size()));
  r.put64(16, 0x0123456789ABCDEFull);
  r.w().append(sec.data(), sec.size());
  return r.bytes();
}

TEST(ParseSessionSetup, RoundTrip) {
  std::vector<uint8_t> sec = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0, 1, 0, 0, 0, 9, 9};
  auto m = build_session_setup(sec);
  auto r = parse_session_setup(as_bytes(m));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->flags, SESSION_FLAG_BINDING);
  EXPECT_EQ(r->security_mode, NEGOTIATE_SIGNING_REQUIRED);
  EXPECT_EQ(r->capabilities, cap::DFS);
  EXPECT_EQ(r->channel, 0xCAFEu);
  EXPECT_EQ(r->previous_session_id, 0x0123456789ABCDEFull);
  EXPECT_TRUE(same(r->security_buffer, as_bytes(sec)));
  EXPECT_TRUE(inside(r->security_buffer, m));
  EXPECT_EQ(r->security_buffer.data(), m.data() + 88);
}

TEST(ParseSessionSetup, TruncationAndBadOffsets) {
  auto m = build_session_setup(std::vector<uint8_t>(40, 0x5A));
  expect_prefixes_fail(m, m.size(), parse_session_setup);
  expect_bad_buffer_refused(m, Req::body(12), 2, Req::body(14), 2, 24, parse_session_setup);
}

TEST(ParseSessionSetup, EmptySecurityBuffer) {
  auto m = build_session_setup({});
  auto r = parse_session_setup(as_bytes(m));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->security_buffer.empty());
  expect_prefixes_fail(m, m.size(), parse_session_setup);
}

// ------------------------------------------------------------- TREE_CONNECT

std::vector<uint8_t> build_tree_connect(const std::vector<uint8_t>& path) {
  Req r(3);
  r.w().zeros(8);
  r.put16(0, 9);
  r.put16(2, 0x0004);  // EXTENSION_PRESENT-like flag value, just a number here
  r.put16(4, static_cast<uint16_t>(r.size()));
  r.put16(6, static_cast<uint16_t>(path.size()));
  r.w().append(path.data(), path.size());
  return r.bytes();
}

TEST(ParseTreeConnect, RoundTrip) {
  auto path = u16("\\\\server\\share");
  auto m = build_tree_connect(path);
  auto r = parse_tree_connect(as_bytes(m));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->flags, 0x0004);
  EXPECT_TRUE(same(r->path, as_bytes(path)));
  EXPECT_EQ(r->path.data(), m.data() + 72);
}

TEST(ParseTreeConnect, TruncationAndBadOffsets) {
  auto m = build_tree_connect(u16("\\\\h\\IPC$"));
  expect_prefixes_fail(m, m.size(), parse_tree_connect);
  expect_bad_buffer_refused(m, Req::body(4), 2, Req::body(6), 2, 8, parse_tree_connect);
}

// ------------------------------------------------------------------- CREATE

// A create context chain as MS-SMB2 2.2.13.2 lays it out: each entry 8-byte
// aligned, name at 16, data 8-byte aligned after the name.
std::vector<uint8_t> build_ctx_chain(
    const std::vector<std::pair<std::string, std::vector<uint8_t>>>& list) {
  Writer w;
  size_t prev = 0;
  for (size_t i = 0; i < list.size(); ++i) {
    if (i != 0) {
      w.align(8);
      w.put32(prev, static_cast<uint32_t>(w.size() - prev));
    }
    prev = w.size();
    w.zeros(16);
    w.put16(prev + 4, 16);
    w.put16(prev + 6, static_cast<uint16_t>(list[i].first.size()));
    w.append(list[i].first.data(), list[i].first.size());
    if (!list[i].second.empty()) {
      w.align(8);
      w.put16(prev + 10, static_cast<uint16_t>(w.size() - prev));
      w.put32(prev + 12, static_cast<uint32_t>(list[i].second.size()));
      w.append(list[i].second.data(), list[i].second.size());
    }
  }
  return {w.bytes().begin(), w.bytes().end()};
}

struct CreateMsg {
  std::vector<uint8_t> bytes;
  size_t name_off = 0, ctx_off = 0;
};

CreateMsg build_create(const std::vector<uint8_t>& name, const std::vector<uint8_t>& chain) {
  Req r(5);
  r.w().zeros(56);
  r.put16(0, 57);
  r.put8(2, 0);
  r.put8(3, oplock::BATCH);
  r.put32(4, 2);  // Impersonation
  r.put64(8, 0);  // SmbCreateFlags
  r.put64(16, 0);
  r.put32(24, access::FILE_READ_DATA | access::SYNCHRONIZE);
  r.put32(28, attr::ARCHIVE | attr::HIDDEN);
  r.put32(32, FILE_SHARE_READ | FILE_SHARE_DELETE);
  r.put32(36, disposition::OPEN_IF);
  r.put32(40, createopt::NON_DIRECTORY_FILE | createopt::DELETE_ON_CLOSE);
  CreateMsg out;
  out.name_off = r.size();
  r.put16(44, static_cast<uint16_t>(r.size()));
  r.put16(46, static_cast<uint16_t>(name.size()));
  r.w().append(name.data(), name.size());
  if (!chain.empty()) {
    r.w().align(8);
    out.ctx_off = r.size();
    r.put32(48, static_cast<uint32_t>(r.size()));
    r.put32(52, static_cast<uint32_t>(chain.size()));
    r.w().append(chain.data(), chain.size());
  }
  out.bytes = r.bytes();
  return out;
}

TEST(ParseCreate, RoundTripWithContexts) {
  auto name = u16("dir\\file.txt");
  std::vector<uint8_t> dhnq(16, 0x33);
  auto chain = build_ctx_chain({{"MxAc", {}}, {"DHnQ", dhnq}, {"QFid", {}}});
  auto c = build_create(name, chain);
  const auto& m = c.bytes;
  auto r = parse_create(as_bytes(m));
  ASSERT_TRUE(r.ok()) << std::hex << r.status();
  EXPECT_EQ(r->security_flags, 0);
  EXPECT_EQ(r->oplock_level, oplock::BATCH);
  EXPECT_EQ(r->impersonation_level, 2u);
  EXPECT_EQ(r->create_flags, 0u);
  EXPECT_EQ(r->desired_access, access::FILE_READ_DATA | access::SYNCHRONIZE);
  EXPECT_EQ(r->file_attributes, attr::ARCHIVE | attr::HIDDEN);
  EXPECT_EQ(r->share_access, FILE_SHARE_READ | FILE_SHARE_DELETE);
  EXPECT_EQ(r->disposition, disposition::OPEN_IF);
  EXPECT_EQ(r->options, createopt::NON_DIRECTORY_FILE | createopt::DELETE_ON_CLOSE);
  EXPECT_TRUE(same(r->name, as_bytes(name)));
  EXPECT_EQ(r->name.data(), m.data() + 120);
  ASSERT_EQ(r->contexts.size(), 3u);
  EXPECT_EQ(ringsmb::testing::str(r->contexts[0].name), "MxAc");
  EXPECT_TRUE(r->contexts[0].data.empty());
  EXPECT_EQ(ringsmb::testing::str(r->contexts[1].name), "DHnQ");
  EXPECT_TRUE(same(r->contexts[1].data, as_bytes(dhnq)));
  EXPECT_TRUE(inside(r->contexts[1].data, m));
  EXPECT_EQ(ringsmb::testing::str(r->contexts[2].name), "QFid");
}

TEST(ParseCreate, EmptyNameNoContexts) {
  auto c = build_create({}, {});
  auto r = parse_create(as_bytes(c.bytes));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->name.empty());
  EXPECT_TRUE(r->contexts.empty());
  expect_prefixes_fail(c.bytes, c.bytes.size(), parse_create);
}

TEST(ParseCreate, TruncationAndBadOffsets) {
  auto chain = build_ctx_chain({{"MxAc", {}}, {"DHnQ", std::vector<uint8_t>(16, 1)}});
  auto c = build_create(u16("a\\b"), chain);
  expect_prefixes_fail(c.bytes, c.bytes.size(), parse_create);
  expect_bad_buffer_refused(c.bytes, Req::body(44), 2, Req::body(46), 2, 56, parse_create);
  expect_bad_buffer_refused(c.bytes, Req::body(48), 4, Req::body(52), 4, 56, parse_create);
}

TEST(ParseCreate, CorruptContextChainRefused) {
  auto chain = build_ctx_chain({{"MxAc", {}}, {"DHnQ", std::vector<uint8_t>(16, 1)}});
  auto c = build_create(u16("x"), chain);
  ASSERT_TRUE(parse_create(as_bytes(c.bytes)).ok());
  auto bad = c.bytes;
  st32(bad.data() + c.ctx_off, 12);  // Next not 8-aligned and < 16
  EXPECT_FALSE(parse_create(as_bytes(bad)).ok());
  bad = c.bytes;
  st16(bad.data() + c.ctx_off + 6, 0);  // NameLength 0
  EXPECT_FALSE(parse_create(as_bytes(bad)).ok());
}

TEST(ParseCreateContexts, RoundTripAndErrors) {
  std::vector<uint8_t> d1 = {1, 2, 3, 4, 5};
  auto chain = build_ctx_chain({{"RqLs", d1}, {"AlSi", std::vector<uint8_t>(8, 7)}, {"TWrp", {}}});
  auto r = parse_create_contexts(as_bytes(chain));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ(ringsmb::testing::str((*r)[0].name), "RqLs");
  EXPECT_TRUE(same((*r)[0].data, as_bytes(d1)));
  EXPECT_EQ(ringsmb::testing::str((*r)[1].name), "AlSi");
  EXPECT_EQ((*r)[1].data.size(), 8u);
  EXPECT_EQ(ringsmb::testing::str((*r)[2].name), "TWrp");
  EXPECT_TRUE((*r)[2].data.empty());

  // An empty chain is an empty list.
  ASSERT_TRUE(parse_create_contexts({}).ok());
  EXPECT_TRUE(parse_create_contexts({})->empty());

  const size_t second = ld32(chain.data());
  const size_t third = second + ld32(chain.data() + second);
  // Every truncation of the chain fails. (Cuts exactly at a context
  // boundary are covered by NextPointingAtEndRefused.)
  for (size_t n = 1; n < chain.size(); ++n) {
    if (n == second || n == third) continue;
    std::vector<uint8_t> cut(chain.begin(), chain.begin() + static_cast<long>(n));
    EXPECT_FALSE(parse_create_contexts(as_bytes(cut)).ok()) << n;
  }
  auto mut = [&](size_t pos, int width, uint64_t v) {
    auto b = chain;
    store(b, pos, width, v);
    return parse_create_contexts(as_bytes(b)).ok();
  };
  ASSERT_EQ(second % 8, 0u);
  EXPECT_FALSE(mut(0, 4, second + 4));       // misaligned Next
  EXPECT_FALSE(mut(0, 4, 8));                // Next inside the header
  EXPECT_FALSE(mut(0, 4, chain.size() + 8));  // Next past the end
  EXPECT_FALSE(mut(4, 2, 8));                // NameOffset inside the header
  EXPECT_FALSE(mut(6, 2, 0));                // empty name
  EXPECT_FALSE(mut(6, 2, second));           // name runs into the next context
  EXPECT_FALSE(mut(10, 2, 4));               // DataOffset inside the header
  EXPECT_FALSE(mut(12, 4, second));          // data runs into the next context
  EXPECT_FALSE(mut(12, 4, 0xFFFFFFFF));
  EXPECT_FALSE(mut(second + 6, 2, 0xFFFF));  // second context's name past the end
}

// Regression: a context with a non-zero Next announces another context
// (MS-SMB2 2.2.13.2); a chain cut exactly at that offset used to be
// accepted.
TEST(ParseCreateContexts, NextPointingAtEndRefused) {
  auto chain = build_ctx_chain({{"MxAc", {}}, {"QFid", {}}});
  const size_t second = ld32(chain.data());
  ASSERT_NE(second, 0u);
  std::vector<uint8_t> cut(chain.begin(), chain.begin() + static_cast<long>(second));
  EXPECT_FALSE(parse_create_contexts(as_bytes(cut)).ok());
}

TEST(ParseCreateContexts, TooManyRefused) {
  std::vector<std::pair<std::string, std::vector<uint8_t>>> list;
  for (int i = 0; i < 64; ++i) list.push_back({"ABCD", {}});
  EXPECT_TRUE(parse_create_contexts(as_bytes(build_ctx_chain(list))).ok());
  list.push_back({"ABCD", {}});
  EXPECT_FALSE(parse_create_contexts(as_bytes(build_ctx_chain(list))).ok());
}

// ------------------------------------------------------- CLOSE / FLUSH / ...

std::vector<uint8_t> build_fixed24(uint16_t cmd, uint16_t ss, uint16_t word2) {
  Req r(cmd);
  r.w().zeros(24);
  r.put16(0, ss);
  r.put16(2, word2);
  put_fid(r, 8, kFid);
  return r.bytes();
}

TEST(ParseClose, RoundTrip) {
  auto m = build_fixed24(6, 24, CLOSE_FLAG_POSTQUERY_ATTRIB);
  auto r = parse_close(as_bytes(m));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->flags, CLOSE_FLAG_POSTQUERY_ATTRIB);
  EXPECT_EQ(r->file_id, kFid);
  expect_prefixes_fail(m, m.size(), parse_close);
}

TEST(ParseFlush, RoundTrip) {
  auto m = build_fixed24(7, 24, 0);
  auto r = parse_flush(as_bytes(m));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->file_id, kFid);
  expect_prefixes_fail(m, m.size(), parse_flush);
}

TEST(ParseOplockBreakAck, RoundTrip) {
  auto m = build_fixed24(0x12, 24, oplock::LEVEL_II);
  auto r = parse_oplock_break_ack(as_bytes(m));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->oplock_level, oplock::LEVEL_II);
  EXPECT_EQ(r->file_id, kFid);
  expect_prefixes_fail(m, m.size(), parse_oplock_break_ack);
}

TEST(FileId, RelatedPlaceholder) {
  FileId all{~0ull, ~0ull};
  EXPECT_TRUE(all.is_related_placeholder());
  EXPECT_FALSE(kFid.is_related_placeholder());
  EXPECT_FALSE((FileId{~0ull, 0}).is_related_placeholder());
  uint8_t b[16];
  st_file_id(b, kFid);
  EXPECT_EQ(ld64(b), kFid.persistent);
  EXPECT_EQ(ld64(b + 8), kFid.volatile_);
  EXPECT_EQ(ld_file_id(b), kFid);
}

// --------------------------------------------------------------------- READ

TEST(ParseRead, RoundTrip) {
  Req r(8);
  r.w().zeros(49);  // 48 fixed + the one Buffer byte the spec requires
  r.put16(0, 49);
  r.put8(2, 0x50);
  r.put8(3, READFLAG_READ_UNBUFFERED);
  r.put32(4, 65536);
  r.put64(8, 0x1122334455ull);
  put_fid(r, 16, kFid);
  r.put32(32, 4096);
  r.put32(36, 0);
  r.put32(40, 12345);
  auto m = r.bytes();
  auto q = parse_read(as_bytes(m));
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->padding, 0x50);
  EXPECT_EQ(q->flags, READFLAG_READ_UNBUFFERED);
  EXPECT_EQ(q->length, 65536u);
  EXPECT_EQ(q->offset, 0x1122334455ull);
  EXPECT_EQ(q->file_id, kFid);
  EXPECT_EQ(q->minimum_count, 4096u);
  EXPECT_EQ(q->channel, 0u);
  EXPECT_EQ(q->remaining_bytes, 12345u);
  expect_prefixes_fail(m, 64 + 48, parse_read);
}

// -------------------------------------------------------------------- WRITE

std::vector<uint8_t> build_write(const std::vector<uint8_t>& data) {
  Req r(9);
  r.w().zeros(48);
  r.put16(0, 49);
  r.put16(2, static_cast<uint16_t>(r.size()));
  r.put32(4, static_cast<uint32_t>(data.size()));
  r.put64(8, 0xABCDEF012345ull);
  put_fid(r, 16, kFid);
  r.put32(32, 0);
  r.put32(36, 99);
  r.put32(44, WRITEFLAG_WRITE_THROUGH);
  r.w().append(data.data(), data.size());
  return r.bytes();
}

TEST(ParseWrite, RoundTrip) {
  std::vector<uint8_t> data(1000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7);
  auto m = build_write(data);
  auto q = parse_write(as_bytes(m));
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->data_offset, 112);
  EXPECT_EQ(q->length, 1000u);
  EXPECT_EQ(q->offset, 0xABCDEF012345ull);
  EXPECT_EQ(q->file_id, kFid);
  EXPECT_EQ(q->channel, 0u);
  EXPECT_EQ(q->remaining_bytes, 99u);
  EXPECT_EQ(q->flags, WRITEFLAG_WRITE_THROUGH);
  EXPECT_TRUE(same(q->data, as_bytes(data)));
  EXPECT_EQ(q->data.data(), m.data() + 112);
}

TEST(ParseWrite, TruncationAndBadOffsets) {
  auto m = build_write(std::vector<uint8_t>(100, 0xEE));
  expect_prefixes_fail(m, m.size(), parse_write);
  expect_bad_buffer_refused(m, Req::body(2), 2, Req::body(4), 4, 48, parse_write);
}

// --------------------------------------------------------------------- LOCK

std::vector<uint8_t> build_lock(const std::vector<LockElement>& locks, uint16_t count) {
  Req r(10);
  r.w().zeros(24);
  r.put16(0, 48);
  r.put16(2, count);
  r.put32(4, 0x50000003);
  put_fid(r, 8, kFid);
  for (const auto& l : locks) {
    r.w().u64(l.offset);
    r.w().u64(l.length);
    r.w().u32(l.flags);
    r.w().u32(0);
  }
  return r.bytes();
}

TEST(ParseLock, RoundTrip) {
  std::vector<LockElement> locks = {
      {0, 100, LOCKFLAG_EXCLUSIVE | LOCKFLAG_FAIL_IMMEDIATELY},
      {1ull << 40, ~0ull, LOCKFLAG_SHARED},
      {500, 1, LOCKFLAG_UNLOCK},
  };
  auto m = build_lock(locks, 3);
  auto q = parse_lock(as_bytes(m));
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->lock_sequence, 0x50000003u);
  EXPECT_EQ(q->file_id, kFid);
  ASSERT_EQ(q->locks.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(q->locks[i].offset, locks[i].offset);
    EXPECT_EQ(q->locks[i].length, locks[i].length);
    EXPECT_EQ(q->locks[i].flags, locks[i].flags);
  }
  expect_prefixes_fail(m, m.size(), parse_lock);
}

TEST(ParseLock, BadCounts) {
  std::vector<LockElement> one = {{0, 1, LOCKFLAG_SHARED}};
  EXPECT_FALSE(parse_lock(as_bytes(build_lock(one, 0))).ok());
  EXPECT_FALSE(parse_lock(as_bytes(build_lock(one, 2))).ok());
  EXPECT_FALSE(parse_lock(as_bytes(build_lock(one, 0xFFFF))).ok());
  EXPECT_TRUE(parse_lock(as_bytes(build_lock(one, 1))).ok());
}

// -------------------------------------------------------------------- IOCTL

std::vector<uint8_t> build_ioctl(const std::vector<uint8_t>& in) {
  Req r(11);
  r.w().zeros(56);
  r.put16(0, 57);
  r.put32(4, fsctl::VALIDATE_NEGOTIATE_INFO);
  put_fid(r, 8, FileId{~0ull, ~0ull});
  r.put32(24, in.empty() ? 0 : static_cast<uint32_t>(r.size()));
  r.put32(28, static_cast<uint32_t>(in.size()));
  r.put32(32, 0);
  r.put32(36, 0);
  r.put32(40, 0);
  r.put32(44, 24);
  r.put32(48, IOCTL_IS_FSCTL);
  r.w().append(in.data(), in.size());
  return r.bytes();
}

TEST(ParseIoctl, RoundTrip) {
  std::vector<uint8_t> in(24, 0x42);
  auto m = build_ioctl(in);
  auto q = parse_ioctl(as_bytes(m));
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->ctl_code, fsctl::VALIDATE_NEGOTIATE_INFO);
  EXPECT_TRUE(q->file_id.is_related_placeholder());
  EXPECT_TRUE(same(q->input, as_bytes(in)));
  EXPECT_EQ(q->input.data(), m.data() + 120);
  EXPECT_EQ(q->max_input_response, 0u);
  EXPECT_EQ(q->max_output_response, 24u);
  EXPECT_EQ(q->flags, IOCTL_IS_FSCTL);
}

TEST(ParseIoctl, TruncationAndBadOffsets) {
  auto m = build_ioctl(std::vector<uint8_t>(30, 1));
  expect_prefixes_fail(m, m.size(), parse_ioctl);
  expect_bad_buffer_refused(m, Req::body(24), 4, Req::body(28), 4, 56, parse_ioctl);
}

// ----------------------------------------------------------- QUERY_DIRECTORY

std::vector<uint8_t> build_query_directory(const std::vector<uint8_t>& pattern) {
  Req r(14);
  r.w().zeros(32);
  r.put16(0, 33);
  r.put8(2, 37);  // FileIdBothDirectoryInformation
  r.put8(3, QD_RESTART_SCANS | QD_RETURN_SINGLE_ENTRY);
  r.put32(4, 77);
  put_fid(r, 8, kFid);
  r.put16(24, static_cast<uint16_t>(r.size()));
  r.put16(26, static_cast<uint16_t>(pattern.size()));
  r.put32(28, 65536);
  r.w().append(pattern.data(), pattern.size());
  return r.bytes();
}

TEST(ParseQueryDirectory, RoundTrip) {
  auto pat = u16("*.txt");
  auto m = build_query_directory(pat);
  auto q = parse_query_directory(as_bytes(m));
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->info_class, 37);
  EXPECT_EQ(q->flags, QD_RESTART_SCANS | QD_RETURN_SINGLE_ENTRY);
  EXPECT_EQ(q->file_index, 77u);
  EXPECT_EQ(q->file_id, kFid);
  EXPECT_TRUE(same(q->pattern, as_bytes(pat)));
  EXPECT_EQ(q->pattern.data(), m.data() + 96);
  EXPECT_EQ(q->output_length, 65536u);
}

TEST(ParseQueryDirectory, TruncationAndBadOffsets) {
  auto m = build_query_directory(u16("<.TXT"));
  expect_prefixes_fail(m, m.size(), parse_query_directory);
  expect_bad_buffer_refused(m, Req::body(24), 2, Req::body(26), 2, 32, parse_query_directory);
}

// ------------------------------------------------------------- CHANGE_NOTIFY

TEST(ParseChangeNotify, RoundTrip) {
  Req r(15);
  r.w().zeros(32);
  r.put16(0, 32);
  r.put16(2, 0x0001);  // WATCH_TREE
  r.put32(4, 4096);
  put_fid(r, 8, kFid);
  r.put32(24, 0x17);
  auto m = r.bytes();
  auto q = parse_change_notify(as_bytes(m));
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->flags, 1);
  EXPECT_EQ(q->output_length, 4096u);
  EXPECT_EQ(q->file_id, kFid);
  EXPECT_EQ(q->completion_filter, 0x17u);
  expect_prefixes_fail(m, m.size(), parse_change_notify);
}

// ---------------------------------------------------------------- QUERY_INFO

std::vector<uint8_t> build_query_info(const std::vector<uint8_t>& in) {
  Req r(16);
  r.w().zeros(40);
  r.put16(0, 41);
  r.put8(2, INFO_FILE);
  r.put8(3, 15);  // FileFullEaInformation
  r.put32(4, 8192);
  r.put16(8, in.empty() ? 0 : static_cast<uint16_t>(r.size()));
  r.put32(12, static_cast<uint32_t>(in.size()));
  r.put32(16, 0x0000000F);
  r.put32(20, 0x00000002);  // SL_RETURN_SINGLE_ENTRY
  put_fid(r, 24, kFid);
  r.w().append(in.data(), in.size());
  return r.bytes();
}

TEST(ParseQueryInfo, RoundTrip) {
  std::vector<uint8_t> in = {0, 0, 0, 0, 4, 'N', 'A', 'M', 'E', 0, 0, 0};
  auto m = build_query_info(in);
  auto q = parse_query_info(as_bytes(m));
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->info_type, INFO_FILE);
  EXPECT_EQ(q->info_class, 15);
  EXPECT_EQ(q->output_length, 8192u);
  EXPECT_TRUE(same(q->input, as_bytes(in)));
  EXPECT_EQ(q->input.data(), m.data() + 104);
  EXPECT_EQ(q->additional_information, 0xFu);
  EXPECT_EQ(q->flags, 2u);
  EXPECT_EQ(q->file_id, kFid);
}

TEST(ParseQueryInfo, NoInputBuffer) {
  auto m = build_query_info({});
  auto q = parse_query_info(as_bytes(m));
  ASSERT_TRUE(q.ok());
  EXPECT_TRUE(q->input.empty());
  expect_prefixes_fail(m, m.size(), parse_query_info);
}

TEST(ParseQueryInfo, TruncationAndBadOffsets) {
  auto m = build_query_info(std::vector<uint8_t>(12, 3));
  expect_prefixes_fail(m, m.size(), parse_query_info);
  expect_bad_buffer_refused(m, Req::body(8), 2, Req::body(12), 4, 40, parse_query_info);
}

// ------------------------------------------------------------------ SET_INFO

std::vector<uint8_t> build_set_info(const std::vector<uint8_t>& buf) {
  Req r(17);
  r.w().zeros(32);
  r.put16(0, 33);
  r.put8(2, INFO_FILE);
  r.put8(3, 4);  // FileBasicInformation
  r.put32(4, static_cast<uint32_t>(buf.size()));
  r.put16(8, static_cast<uint16_t>(r.size()));
  r.put32(12, 0x80000000);
  put_fid(r, 16, kFid);
  r.w().append(buf.data(), buf.size());
  return r.bytes();
}

TEST(ParseSetInfo, RoundTrip) {
  std::vector<uint8_t> buf(40);
  for (size_t i = 0; i < buf.size(); ++i) buf[i] = static_cast<uint8_t>(i);
  auto m = build_set_info(buf);
  auto q = parse_set_info(as_bytes(m));
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->info_type, INFO_FILE);
  EXPECT_EQ(q->info_class, 4);
  EXPECT_TRUE(same(q->buffer, as_bytes(buf)));
  EXPECT_EQ(q->buffer.data(), m.data() + 96);
  EXPECT_EQ(q->additional_information, 0x80000000u);
  EXPECT_EQ(q->file_id, kFid);
}

TEST(ParseSetInfo, TruncationAndBadOffsets) {
  auto m = build_set_info(std::vector<uint8_t>(40, 9));
  expect_prefixes_fail(m, m.size(), parse_set_info);
  expect_bad_buffer_refused(m, Req::body(8), 2, Req::body(4), 4, 32, parse_set_info);
}

// ------------------------------------------------- arbitrary bytes, no crash

// Every decoder on every short garbage input: fails softly. (A sanitizer
// build turns an out-of-bounds read here into a failure.)
TEST(Decoders, ShortGarbageNeverParses) {
  for (size_t n = 0; n < 64 + 24; ++n) {
    std::vector<uint8_t> g(n, 0xFF);
    Bytes b = as_bytes(g);
    EXPECT_FALSE(parse_negotiate(b).ok());
    EXPECT_FALSE(parse_session_setup(b).ok());
    EXPECT_FALSE(parse_create(b).ok());
    EXPECT_FALSE(parse_read(b).ok());
    EXPECT_FALSE(parse_write(b).ok());
    EXPECT_FALSE(parse_lock(b).ok());
    EXPECT_FALSE(parse_ioctl(b).ok());
    EXPECT_FALSE(parse_query_info(b).ok());
    if (n < 64 + 8) {
      EXPECT_FALSE(parse_tree_connect(b).ok());
    }
    EXPECT_FALSE(parse_close(b).ok());
    EXPECT_FALSE(parse_flush(b).ok());
    EXPECT_FALSE(parse_oplock_break_ack(b).ok());
  }
}

TEST(Decoders, AllOnesBodiesRefused) {
  // A body of 0xFF bytes puts every offset and length at its maximum.
  std::vector<uint8_t> m(64 + 200, 0xFF);
  Bytes b = as_bytes(m);
  EXPECT_FALSE(parse_negotiate(b).ok());
  EXPECT_FALSE(parse_session_setup(b).ok());
  EXPECT_FALSE(parse_tree_connect(b).ok());
  EXPECT_FALSE(parse_create(b).ok());
  EXPECT_FALSE(parse_write(b).ok());
  EXPECT_FALSE(parse_lock(b).ok());
  EXPECT_FALSE(parse_ioctl(b).ok());
  EXPECT_FALSE(parse_query_directory(b).ok());
  EXPECT_FALSE(parse_query_info(b).ok());
  EXPECT_FALSE(parse_set_info(b).ok());
}

}  // namespace
