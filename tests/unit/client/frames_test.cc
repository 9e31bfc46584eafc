// The pure parts of the client library: what a connection does with the
// bytes a server sends (client/frames.h) and what calls make of their
// replies (client/replies.h), without a socket. The fuzz targets
// fuzz_client_responses and fuzz_client_auth drive the same functions.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>

#include "auth/ntlm_server.h"
#include "auth/spnego.h"
#include "auth/userdb.h"
#include "client/frames.h"
#include "client/replies.h"
#include "wire/client.h"
#include "wire/messages.h"

using namespace ringsmb;
using namespace ringsmb::client;
namespace st = wire::status;
using wire::Command;

namespace {

constexpr uint64_t kSid = 0x0000400000000005ull;

std::vector<uint8_t> response(Command cmd, const std::function<void(wire::Writer&)>& body,
                              uint32_t status = st::SUCCESS, uint64_t mid = 1,
                              uint32_t extra_flags = 0, uint64_t sid = kSid) {
  wire::Writer w;
  w.zeros(wire::kHeaderSize);
  body(w);
  wire::Header h;
  h.command = static_cast<uint16_t>(cmd);
  h.status = status;
  h.credits = 3;
  h.flags = wire::flags::SERVER_TO_REDIR | extra_flags;
  h.message_id = mid;
  h.session_id = sid;
  wire::encode_header(w.data(), h);
  return w.vec();
}

std::vector<uint8_t> empty_response(uint64_t mid, uint32_t flags = 0) {
  return response(Command::Echo, [](wire::Writer& w) { wire::encode_empty_response(w); },
                  st::SUCCESS, mid, flags);
}

void sign(const auth::SmbKeys& k, std::vector<uint8_t>& msg) {
  std::memset(msg.data() + 48, 0, 16);
  Bytes whole(msg);
  auto sig = auth::smb_signature(k, wire::ld64(msg.data() + 24), true, false,
                                 std::span<const Bytes>(&whole, 1));
  std::memcpy(msg.data() + 48, sig.data(), 16);
}

std::shared_ptr<auth::SmbKeys> keys(uint16_t dialect, uint16_t cipher) {
  auth::Key16 sk{};
  sk[0] = 9;
  std::array<uint8_t, 64> pre{};
  return std::make_shared<auth::SmbKeys>(
      auth::derive_smb_keys(sk, dialect, wire::signalg::AES_CMAC, cipher, &pre));
}

std::vector<uint8_t> seal(const auth::SmbKeys& k, Bytes plain, uint64_t sid) {
  wire::TransformHeader th;
  th.nonce[0] = 1;
  th.original_size = static_cast<uint32_t>(plain.size());
  th.flags = wire::TRANSFORM_FLAG_ENCRYPTED;
  th.session_id = sid;
  std::vector<uint8_t> f(wire::kTransformHeaderSize + plain.size());
  wire::encode_transform(f.data(), th);
  uint8_t tag[16];
  EXPECT_TRUE(auth::aead_encrypt(
      auth::is_gcm(k.cipher) ? auth::Aead::Gcm : auth::Aead::Ccm,
      Bytes(k.encryption_key.data(), k.encryption_key.size()), Bytes(th.nonce, auth::nonce_len(k.cipher)),
      Bytes(f.data() + wire::kTransformAadOffset, wire::kTransformHeaderSize - wire::kTransformAadOffset),
      std::span<const Bytes>(&plain, 1), f.data() + wire::kTransformHeaderSize, tag));
  std::memcpy(f.data() + 4, tag, 16);
  return f;
}

// ------------------------------------------------------------- chains

TEST(ClientFrames, NextReplyWalksAChain) {
  auto a = empty_response(1);
  a.resize(72, 0);
  wire::st32(a.data() + 20, 72);
  auto b = empty_response(2);
  std::vector<uint8_t> frame = a;
  frame.insert(frame.end(), b.begin(), b.end());
  auto m = next_reply(frame, 0);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->hdr.message_id, 1u);
  EXPECT_EQ(m->msg.size(), 72u);
  auto n = next_reply(frame, 72);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->hdr.message_id, 2u);
  EXPECT_EQ(n->msg.size(), b.size());
  EXPECT_EQ(n->hdr.next_command, 0u);
  EXPECT_FALSE(next_reply(frame, frame.size()));
  EXPECT_FALSE(next_reply(frame, frame.size() + 1));
}

TEST(ClientFrames, NextReplyRefusesBadChains) {
  auto base = empty_response(1);
  base.resize(136, 0);
  for (uint32_t next : {4u, 60u, 68u, 140u, 1000u}) {
    auto f = base;
    wire::st32(f.data() + 20, next);
    EXPECT_EQ(next_reply(f, 0).status(), st::INVALID_NETWORK_RESPONSE) << next;
  }
  auto req = base;  // a request, not a response
  wire::st32(req.data() + 16, 0);
  EXPECT_FALSE(next_reply(req, 0));
  EXPECT_FALSE(next_reply(Bytes(base).subspan(0, 63), 0));
}

TEST(ClientFrames, Interim) {
  wire::Header h;
  h.status = st::PENDING;
  EXPECT_FALSE(is_interim(h));
  h.flags = wire::flags::ASYNC_COMMAND;
  EXPECT_TRUE(is_interim(h));
  h.status = st::SUCCESS;
  EXPECT_FALSE(is_interim(h));
}

// ---------------------------------------------------------- protection

TEST(ClientFrames, CheckReply) {
  auto k = keys(wire::dialect::SMB311, wire::cipher::AES128_GCM);
  auto msg = empty_response(5, wire::flags::SIGNED);
  sign(*k, msg);
  auto h = *wire::parse_header(msg);
  Protection none;
  EXPECT_EQ(check_reply(none, h, msg, false), st::SUCCESS);
  Protection signing;
  signing.sign = k;
  signing.require_signed_reply = true;
  EXPECT_EQ(check_reply(signing, h, msg, false), st::SUCCESS);
  auto bad = msg;
  bad.back() ^= 1;
  EXPECT_EQ(check_reply(signing, *wire::parse_header(bad), bad, false), st::ACCESS_DENIED);
  Protection unchecked = signing;
  unchecked.check_reply = false;
  EXPECT_EQ(check_reply(unchecked, *wire::parse_header(bad), bad, false), st::SUCCESS);

  auto plain = empty_response(6);
  auto ph = *wire::parse_header(plain);
  EXPECT_EQ(check_reply(signing, ph, plain, false), st::ACCESS_DENIED);
  ph.status = st::USER_SESSION_DELETED;
  EXPECT_EQ(check_reply(signing, ph, plain, false), st::SUCCESS);

  Protection sealing;
  sealing.seal = k;
  EXPECT_EQ(check_reply(sealing, h, msg, false), st::ACCESS_DENIED);
  EXPECT_EQ(check_reply(sealing, h, msg, true), st::SUCCESS);
}

TEST(ClientFrames, UnsealRoundTrip) {
  for (uint16_t cipher : {wire::cipher::AES128_CCM, wire::cipher::AES128_GCM,
                          wire::cipher::AES256_CCM, wire::cipher::AES256_GCM}) {
    auto k = keys(wire::dialect::SMB311, cipher);
    auto msg = empty_response(7);
    auto frame = seal(*k, msg, kSid);
    auto th = sealed_header(frame);
    ASSERT_TRUE(th) << cipher;
    EXPECT_EQ(th->session_id, kSid);
    std::vector<uint8_t> out(th->original_size);
    ASSERT_EQ(unseal(*k, frame, *th, out.data()), st::SUCCESS) << cipher;
    EXPECT_EQ(out, msg);
    auto tampered = frame;
    tampered.back() ^= 0x40;
    EXPECT_EQ(unseal(*k, tampered, *sealed_header(tampered), out.data()), st::ACCESS_DENIED);
  }
  // What decrypts must be an SMB2 message.
  auto k = keys(wire::dialect::SMB300, wire::cipher::AES128_CCM);
  std::vector<uint8_t> junk(80, 0x11);
  auto frame = seal(*k, junk, kSid);
  std::vector<uint8_t> out(junk.size());
  EXPECT_EQ(unseal(*k, frame, *sealed_header(frame), out.data()), st::INVALID_NETWORK_RESPONSE);
  frame[42] = 0;  // Flags: not encrypted
  EXPECT_EQ(sealed_header(frame).status(), st::INVALID_NETWORK_RESPONSE);
}

// A transform frame for a session of SMB 2.x, whose keys have no cipher
// key: refused, never decrypted with an empty key.
TEST(ClientFrames, UnsealWithoutCipherKey) {
  auto k = keys(wire::dialect::SMB210, 0);
  ASSERT_TRUE(k->encryption_key.empty());
  auto k3 = keys(wire::dialect::SMB300, wire::cipher::AES128_CCM);
  auto frame = seal(*k3, empty_response(8), kSid);
  std::vector<uint8_t> out(frame.size() - wire::kTransformHeaderSize);
  EXPECT_EQ(unseal(*k, frame, *sealed_header(frame), out.data()), st::ACCESS_DENIED);
}

// ------------------------------------------------------------- credits

TEST(ClientFrames, CreditWindow) {
  EXPECT_EQ(CreditWindow::charge_for(0, true), 1u);
  EXPECT_EQ(CreditWindow::charge_for(65536, true), 1u);
  EXPECT_EQ(CreditWindow::charge_for(65537, true), 2u);
  EXPECT_EQ(CreditWindow::charge_for(8 << 20, true), 128u);
  EXPECT_EQ(CreditWindow::charge_for(8 << 20, false), 1u);
  CreditWindow w;
  EXPECT_TRUE(w.affords(1));
  EXPECT_FALSE(w.affords(2));
  EXPECT_TRUE(w.starved(2));
  EXPECT_EQ(w.spend(1), 0u);
  EXPECT_EQ(w.request(1, 512), 512);  // 1 + (512 - 1 in flight)
  EXPECT_EQ(w.outstanding(), 1u);
  EXPECT_FALSE(w.affords(1));
  EXPECT_FALSE(w.starved(1));  // the reply in flight brings credits
  w.grant(10);
  w.settle(1);
  EXPECT_EQ(w.credits(), 10u);
  EXPECT_EQ(w.outstanding(), 0u);
  EXPECT_EQ(w.spend(4), 1u);
  EXPECT_EQ(w.next_message_id(), 5u);
  EXPECT_EQ(w.request(4, 2), 4);
  w.settle(100);  // more than in flight: never below zero
  EXPECT_EQ(w.outstanding(), 0u);
  w.grant(60000);
  EXPECT_EQ(w.request(1, 512), 1);
  CreditWindow big;
  big.grant(20000);
  EXPECT_EQ(big.request(9000, 65535), 8192);
}

// ------------------------------------------------------------ NEGOTIATE

std::vector<uint8_t> negotiate(uint16_t dialect, std::vector<std::pair<uint16_t, std::vector<uint8_t>>> ctx,
                               uint32_t caps = 0, uint32_t max = 1 << 20) {
  wire::NegotiateResponse r;
  r.dialect = dialect;
  r.capabilities = caps;
  r.max_read = r.max_write = r.max_transact = max;
  r.contexts = std::move(ctx);
  return response(Command::Negotiate, [&](wire::Writer& w) { wire::encode_negotiate_response(w, r); },
                  st::SUCCESS, 0);
}

NegotiateOffer all_offer() {
  NegotiateOffer o;
  o.dialects = {0x0202, 0x0210, 0x0300, 0x0302, 0x0311};
  o.ciphers = {wire::cipher::AES128_GCM, wire::cipher::AES128_CCM};
  o.signing_algs = {wire::signalg::AES_GMAC, wire::signalg::AES_CMAC};
  o.max_io = 1 << 20;
  return o;
}

TEST(ClientReplies, SettleNegotiate) {
  static const uint8_t salt[4] = {1, 2, 3, 4};
  auto pre = wire::preauth_context(Bytes(salt, 4));
  auto gcm = wire::u16_list_context({wire::cipher::AES128_GCM});
  auto gmac = wire::u16_list_context({wire::signalg::AES_GMAC});
  auto m = negotiate(0x0311, {{wire::negctx::PREAUTH_INTEGRITY_CAPABILITIES, pre},
                              {wire::negctx::ENCRYPTION_CAPABILITIES, gcm},
                              {wire::negctx::SIGNING_CAPABILITIES, gmac}},
                     0, 16 << 20);
  auto n = settle_negotiate(all_offer(), m);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->dialect, 0x0311);
  EXPECT_EQ(n->cipher, wire::cipher::AES128_GCM);
  EXPECT_EQ(n->signing_alg, wire::signalg::AES_GMAC);
  EXPECT_EQ(n->max_read, 1u << 20);  // capped at what the client asks for

  const auto bad = st::INVALID_NETWORK_RESPONSE;
  // No preauth context; a cipher not offered; two ciphers.
  EXPECT_EQ(settle_negotiate(all_offer(), negotiate(0x0311, {{wire::negctx::ENCRYPTION_CAPABILITIES, gcm}})).status(), bad);
  auto aes256 = wire::u16_list_context({wire::cipher::AES256_GCM});
  EXPECT_EQ(settle_negotiate(all_offer(), negotiate(0x0311, {{wire::negctx::PREAUTH_INTEGRITY_CAPABILITIES, pre},
                                                             {wire::negctx::ENCRYPTION_CAPABILITIES, aes256}})).status(), bad);
  auto two = wire::u16_list_context({wire::cipher::AES128_GCM, wire::cipher::AES128_CCM});
  EXPECT_EQ(settle_negotiate(all_offer(), negotiate(0x0311, {{wire::negctx::PREAUTH_INTEGRITY_CAPABILITIES, pre},
                                                             {wire::negctx::ENCRYPTION_CAPABILITIES, two}})).status(), bad);
  // The wildcard, a dialect not offered, sizes under 4 KiB.
  EXPECT_EQ(settle_negotiate(all_offer(), negotiate(0x02FF, {})).status(), bad);
  NegotiateOffer only2 = all_offer();
  only2.dialects = {0x0202};
  EXPECT_EQ(settle_negotiate(only2, negotiate(0x0210, {})).status(), bad);
  EXPECT_EQ(settle_negotiate(all_offer(), negotiate(0x0300, {}, 0, 2048)).status(), bad);
  // 3.0 with ENCRYPTION: AES-128-CCM; 2.0.2: 64 KiB at most.
  auto n30 = settle_negotiate(all_offer(), negotiate(0x0300, {}, wire::cap::ENCRYPTION));
  ASSERT_TRUE(n30);
  EXPECT_EQ(n30->cipher, wire::cipher::AES128_CCM);
  EXPECT_EQ(n30->signing_alg, wire::signalg::AES_CMAC);
  auto n202 = settle_negotiate(all_offer(), negotiate(0x0202, {}));
  ASSERT_TRUE(n202);
  EXPECT_EQ(n202->max_read, 65536u);
  EXPECT_EQ(n202->cipher, 0);
  EXPECT_EQ(n202->signing_alg, wire::signalg::HMAC_SHA256);
}

// -------------------------------------------------------- SESSION_SETUP

std::vector<uint8_t> setup_reply(uint32_t status, uint16_t flags, Bytes token, uint64_t mid,
                                 uint64_t sid = kSid) {
  return response(Command::SessionSetup,
                  [&](wire::Writer& w) { wire::encode_session_setup_response(w, flags, token); },
                  status, mid, 0, sid);
}

// A whole login against the server's NTLMSSP, for 3.1.1 (final reply
// signed with the new key) and 2.1.
void login(uint16_t dialect, bool sign_final, NtStatus want) {
  SetupExchange::Params p;
  p.dialect = dialect;
  p.signing_alg = dialect == 0x0311 ? wire::signalg::AES_CMAC : wire::signalg::HMAC_SHA256;
  p.cipher = dialect == 0x0311 ? wire::cipher::AES128_GCM : 0;
  auth::NtlmCredentials creds;
  creds.user = "alice";
  creds.password = "wonderland";
  SetupExchange ex(creds, p);
  auto first = auth::parse_client_token(ex.first_token(auth::server_neg_token_init()));
  ASSERT_TRUE(first);
  std::vector<uint8_t> mech_types(first->mech_types_der.begin(), first->mech_types_der.end());
  auth::NtlmServer server({});
  auto challenge = server.challenge(first->mech_token);
  ASSERT_TRUE(challenge);
  EXPECT_EQ(ex.session_id(), 0u);
  auto more = setup_reply(st::MORE_PROCESSING_REQUIRED, 0,
                          auth::server_neg_token_resp(auth::NegState::AcceptIncomplete, true, *challenge, {}), 1);
  ASSERT_EQ(ex.on_reply(*wire::parse_header(more), more, false), st::MORE_PROCESSING_REQUIRED);
  EXPECT_EQ(ex.session_id(), kSid);
  auto tok = auth::parse_client_token(ex.token());
  ASSERT_TRUE(tok);
  auto res = server.authenticate(tok->mech_token, [](const std::string&) {
    return std::optional<auth::Key16>(auth::nt_hash("wonderland"));
  });
  ASSERT_EQ(res.outcome, auth::NtlmServer::Outcome::Authenticated);
  auto done = setup_reply(st::SUCCESS, 0,
                          auth::server_neg_token_resp(auth::NegState::AcceptCompleted, false, {},
                                                      server.sign_mech_list(mech_types)),
                          2);
  if (sign_final) {
    wire::st32(done.data() + 16, wire::ld32(done.data() + 16) | wire::flags::SIGNED);
    auto k = auth::derive_smb_keys(server.session_key(), p.dialect, p.signing_alg, p.cipher,
                                   ex.preauth() ? &ex.preauth()->value() : nullptr);
    sign(k, done);
  }
  EXPECT_EQ(ex.on_reply(*wire::parse_header(done), done, false), want);
  EXPECT_EQ(ex.keys() != nullptr, want == st::SUCCESS);
}

TEST(ClientReplies, SetupExchangeLogsIn) {
  login(0x0311, true, st::SUCCESS);
  login(0x0210, false, st::SUCCESS);
  // 3.1.1: the last reply must be signed with the new key.
  login(0x0311, false, st::ACCESS_DENIED);
}

TEST(ClientReplies, SetupExchangeRefusals) {
  SetupExchange::Params p;
  p.dialect = 0x0300;
  auth::NtlmCredentials creds;
  creds.user = "alice";
  creds.password = "x";
  {
    SetupExchange ex(creds, p);
    ex.first_token({});
    auto denied = setup_reply(st::LOGON_FAILURE, 0, {}, 1);
    EXPECT_EQ(ex.on_reply(*wire::parse_header(denied), denied, false), st::LOGON_FAILURE);
    auto no_session = setup_reply(st::MORE_PROCESSING_REQUIRED, 0, {}, 1, 0);
    EXPECT_EQ(ex.on_reply(*wire::parse_header(no_session), no_session, false),
              st::INVALID_NETWORK_RESPONSE);
    auto junk = setup_reply(st::MORE_PROCESSING_REQUIRED, 0, std::vector<uint8_t>{1, 2, 3}, 1);
    EXPECT_EQ(ex.on_reply(*wire::parse_header(junk), junk, false), st::LOGON_FAILURE);
  }
  {
    // Binding: the reply must name the session bound to.
    SetupExchange::Params b = p;
    b.binding = true;
    b.session_id = kSid;
    SetupExchange ex(creds, b);
    EXPECT_TRUE(ex.binding());
    EXPECT_EQ(ex.session_id(), kSid);
    auto other = setup_reply(st::MORE_PROCESSING_REQUIRED, 0, {}, 1, kSid + 1);
    EXPECT_EQ(ex.on_reply(*wire::parse_header(other), other, false), st::INVALID_NETWORK_RESPONSE);
  }
  {
    // A guest needs no mechListMIC and gets no keys.
    SetupExchange ex(creds, p);
    auto guest = setup_reply(st::SUCCESS, wire::SESSION_FLAG_IS_GUEST, {}, 1);
    EXPECT_EQ(ex.on_reply(*wire::parse_header(guest), guest, false), st::SUCCESS);
    EXPECT_EQ(ex.session_flags(), wire::SESSION_FLAG_IS_GUEST);
    EXPECT_FALSE(ex.keys());
  }
}

// ------------------------------------------------------------------ Tree

TEST(ClientReplies, DecodeRead) {
  static const uint8_t data[] = "0123456789";
  auto m = response(Command::Read, [&](wire::Writer& w) {
    size_t at = w.zeros(wire::kReadResponseFixed);
    wire::encode_read_response_fixed(w.data() + at, sizeof data, 0);
    w.append(data, sizeof data);
  });
  auto d = decode_read(m, sizeof data);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->size(), sizeof data);
  EXPECT_EQ(decode_read(m, sizeof data - 1).status(), st::INVALID_NETWORK_RESPONSE);
}

TEST(ClientReplies, DecodeNetworkInterfaces) {
  wire::NetworkInterface n;
  n.if_index = 3;
  n.family = wire::SOCKADDR_INET;
  n.addr[0] = 127;
  n.addr[3] = 1;
  auto list = wire::encode_network_interfaces({n, n});
  auto m = response(Command::Ioctl, [&](wire::Writer& w) {
    wire::encode_ioctl_response(w, wire::fsctl::QUERY_NETWORK_INTERFACE_INFO, {}, list);
  });
  auto l = decode_network_interfaces(m);
  ASSERT_TRUE(l);
  EXPECT_EQ(l->size(), 2u);
  EXPECT_EQ((*l)[1].if_index, 3u);
  m.resize(m.size() - 1);
  EXPECT_FALSE(decode_network_interfaces(m));
}

}  // namespace
