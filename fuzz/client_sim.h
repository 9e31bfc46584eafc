// What the client fuzz targets (fuzz_client_responses, fuzz_client_auth)
// and make_seeds share: the input format, and the client's side of a
// connection reduced to what is deterministic, so that make_seeds can
// write seeds the targets accept all the way (a login whose last reply
// verifies, frames that decrypt).
//
// Input of both targets: one configuration byte, then what a server sends
// on one connection, as on the wire: NetBIOS session messages (a zero
// byte, a 24-bit big-endian length, the frame). Reading stops where the
// client's receive loop would fail the connection (a non-zero first byte,
// a length under 4); a short last frame is taken as it is. So a capture
// of a server's side of a TCP stream, behind a configuration byte, is an
// input as it is.
//
// The configuration byte:
//   bits 0-2  dialect before any NEGOTIATE reply settles one
//             (0 2.0.2, 1 2.1, 2 3.0, 3 3.0.2, 4-7 3.1.1)
//   bit 3     fuzz_client_responses: the "server" seals every plain frame
//             of a session it knows (so the decrypt path runs on what
//             follows); fuzz_client_auth: binding, not a new session
//   bit 4     requests are signed: replies must be signed and verify
//             (fuzz_client_auth: an anonymous login)
//   bit 5     fuzz_client_responses: the "server" signs the replies that
//             have SIGNED set, with the session's key
//             (fuzz_client_auth: replies count as decrypted)
//   bits 6-7  cipher for 3.x before a NEGOTIATE settles one
//             (0 AES-128-CCM, 1 AES-128-GCM, 2 AES-256-CCM, 3 AES-256-GCM);
//             fuzz_client_responses also lists directories in the
//             directory class of these bits and bit 5 (see kDirClasses)
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <vector>

#include "auth/crypto.h"
#include "auth/ntlm_client.h"
#include "auth/smb_keys.h"
#include "client/frames.h"
#include "client/replies.h"
#include "wire/client.h"
#include "wire/header.h"
#include "wire/smb2.h"
#include "wire/transform.h"
#include "wire/writer.h"

namespace ringsmb::fuzz {

namespace c = ringsmb::client;
namespace w = ringsmb::wire;

namespace cfg {
inline constexpr uint8_t kSeal = 0x08, kBinding = 0x08;
inline constexpr uint8_t kSign = 0x10, kAnonymous = 0x10;
inline constexpr uint8_t kServerSigns = 0x20, kEncrypted = 0x20;
}  // namespace cfg

inline constexpr uint16_t kDialects[8] = {w::dialect::SMB202, w::dialect::SMB210,
                                          w::dialect::SMB300, w::dialect::SMB302,
                                          w::dialect::SMB311, w::dialect::SMB311,
                                          w::dialect::SMB311, w::dialect::SMB311};
inline constexpr uint16_t kCiphers[4] = {w::cipher::AES128_CCM, w::cipher::AES128_GCM,
                                         w::cipher::AES256_CCM, w::cipher::AES256_GCM};
inline constexpr uint8_t kDirClasses[8] = {
    w::fileinfo::IdBothDirectory, w::fileinfo::Directory,       w::fileinfo::FullDirectory,
    w::fileinfo::BothDirectory,   w::fileinfo::Names,           w::fileinfo::IdFullDirectory,
    w::fileinfo::IdExtdDirectory, w::fileinfo::IdBothDirectory};

inline uint16_t config_dialect(uint8_t cfg) { return kDialects[cfg & 7]; }
inline uint16_t config_cipher(uint8_t cfg) { return kCiphers[cfg >> 6]; }
inline uint8_t config_dir_class(uint8_t cfg) { return kDirClasses[((cfg >> 5) & 7)]; }

// The session a "server" of the seeds logs in, and the one a binding
// exchange binds to.
inline constexpr uint64_t kSessionId = 0x0000400000000005ull;

// NetBIOS frames of an input (after the configuration byte).
inline std::vector<w::Bytes> split_frames(w::Bytes in) {
  std::vector<w::Bytes> out;
  size_t pos = 0;
  while (in.size() - pos >= 4) {
    if (in[pos] != 0) break;
    const size_t len = (size_t{in[pos + 1]} << 16) | (size_t{in[pos + 2]} << 8) | in[pos + 3];
    if (len < 4) break;
    const size_t take = std::min(len, in.size() - pos - 4);
    out.push_back(in.subspan(pos + 4, take));
    pos += 4 + take;
  }
  return out;
}

// Appends one frame with its NetBIOS header.
inline void add_frame(std::vector<uint8_t>& out, w::Bytes frame) {
  const size_t n = frame.size();
  out.push_back(0);
  out.push_back(static_cast<uint8_t>(n >> 16));
  out.push_back(static_cast<uint8_t>(n >> 8));
  out.push_back(static_cast<uint8_t>(n));
  out.insert(out.end(), frame.begin(), frame.end());
}

// Everything the client can offer: every dialect, cipher and signing
// algorithm (what a settled NEGOTIATE must be one of).
inline c::NegotiateOffer full_offer() {
  c::NegotiateOffer o;
  o.dialects = {w::dialect::SMB202, w::dialect::SMB210, w::dialect::SMB300, w::dialect::SMB302,
                w::dialect::SMB311};
  o.ciphers = {w::cipher::AES128_GCM, w::cipher::AES128_CCM, w::cipher::AES256_GCM,
               w::cipher::AES256_CCM};
  o.signing_algs = {w::signalg::AES_GMAC, w::signalg::AES_CMAC, w::signalg::HMAC_SHA256};
  return o;
}

// A request as the client's Connection::call() frames it, with fixed
// MessageId and credits: what the 3.1.1 preauth hash takes in.
template <class Encode>
std::vector<uint8_t> request(w::Command cmd, uint64_t mid, uint64_t session_id, Encode encode) {
  w::Writer wr;
  wr.zeros(w::kHeaderSize);
  encode(wr);
  w::Header h;
  h.command = static_cast<uint16_t>(cmd);
  h.credits = 512;
  h.message_id = mid;
  h.session_id = session_id;
  w::encode_header(wr.data(), h);
  return wr.vec();
}

// The NEGOTIATE request the preauth hash starts from (fixed salt, GUID).
inline std::vector<uint8_t> negotiate_request() {
  static const uint8_t salt[32] = {7};
  auto pre = w::preauth_context(w::Bytes(salt, sizeof salt));
  auto offer = full_offer();
  auto enc = w::u16_list_context(offer.ciphers);
  auto sig = w::u16_list_context(offer.signing_algs);
  w::NegotiateRequest q;
  q.security_mode = w::NEGOTIATE_SIGNING_ENABLED;
  q.capabilities = w::cap::LARGE_MTU | w::cap::MULTI_CHANNEL | w::cap::ENCRYPTION;
  q.client_guid.b[0] = 0x42;
  q.dialects = offer.dialects;
  q.contexts = {{w::negctx::PREAUTH_INTEGRITY_CAPABILITIES, pre},
                {w::negctx::ENCRYPTION_CAPABILITIES, enc},
                {w::negctx::SIGNING_CAPABILITIES, sig}};
  return request(w::Command::Negotiate, 0, 0, [&](w::Writer& wr) { w::encode_request(wr, q); });
}

// The SESSION_SETUP request of round `round` (0, 1, ...) of ex.
inline std::vector<uint8_t> setup_request(const c::SetupExchange& ex, int round) {
  w::SessionSetupRequest q;
  q.flags = ex.binding() ? w::SESSION_FLAG_BINDING : 0;
  q.security_mode = w::NEGOTIATE_SIGNING_ENABLED;
  q.security_buffer = ex.token();
  return request(w::Command::SessionSetup, 1 + static_cast<uint64_t>(round), ex.session_id(),
                 [&](w::Writer& wr) { w::encode_request(wr, q); });
}

// The user the targets log in as (made up: only the seeds know it).
inline auth::NtlmCredentials credentials(bool anonymous) {
  auth::NtlmCredentials cr;
  if (anonymous) return cr;
  cr.user = "fuzz";
  cr.domain = "RINGSMB";
  cr.password = "fuzz-password";
  return cr;
}
// Fixes what NtlmClient would draw at random, so that a seed's last reply
// carries the mechListMIC and signature this client expects.
inline void fix_randoms(auth::NtlmClient& n) {
  static const uint8_t cc[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  auth::Key16 k{};
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(0xA0 + i);
  n.set_test_randoms(cc, k, 133000000000000000ull);
}

// The keys of a session of fuzz_client_responses: fixed, per dialect.
inline std::shared_ptr<const auth::SmbKeys> session_keys(uint16_t dialect, uint16_t signing_alg,
                                                         uint16_t cipher) {
  auth::Key16 sk{};
  for (size_t i = 0; i < sk.size(); ++i) sk[i] = static_cast<uint8_t>(0x30 + i);
  std::array<uint8_t, 64> pre{};
  pre[0] = 1;
  return std::make_shared<auth::SmbKeys>(
      auth::derive_smb_keys(sk, dialect, signing_alg, cipher, &pre));
}

// Signs a plain message in place as a server would (3.1.4.1).
inline void sign_reply(const auth::SmbKeys& k, std::span<uint8_t> msg) {
  if (msg.size() < w::kHeaderSize) return;
  std::memset(msg.data() + 48, 0, 16);
  w::Bytes whole(msg.data(), msg.size());
  auto sig = auth::smb_signature(k, w::ld64(msg.data() + 24), true, false,
                                 std::span<const w::Bytes>(&whole, 1));
  std::memcpy(msg.data() + 48, sig.data(), 16);
}

// Encrypts a plain frame for session_id as a server would (3.1.4.3):
// the TRANSFORM frame, or nothing when the keys have no cipher key.
inline std::vector<uint8_t> seal_frame(const auth::SmbKeys& k, w::Bytes plain, uint64_t session_id,
                                       uint64_t counter) {
  w::TransformHeader th;
  w::st64(th.nonce, counter);
  th.original_size = static_cast<uint32_t>(plain.size());
  th.flags = w::TRANSFORM_FLAG_ENCRYPTED;
  th.session_id = session_id;
  std::vector<uint8_t> f(w::kTransformHeaderSize + plain.size());
  w::encode_transform(f.data(), th);
  uint8_t tag[16];
  const bool ok = auth::aead_encrypt(
      auth::is_gcm(k.cipher) ? auth::Aead::Gcm : auth::Aead::Ccm,
      w::Bytes(k.encryption_key.data(), k.encryption_key.size()),
      w::Bytes(th.nonce, auth::nonce_len(k.cipher)),
      w::Bytes(f.data() + w::kTransformAadOffset, w::kTransformHeaderSize - w::kTransformAadOffset),
      std::span<const w::Bytes>(&plain, 1), f.data() + w::kTransformHeaderSize, tag);
  if (!ok) return {};
  std::memcpy(f.data() + 4, tag, 16);
  return f;
}

// Every response of an input's frames, in order, as next_reply() splits
// them; stops at the first frame the client would fail the connection for.
inline std::vector<c::ChainedReply> all_replies(w::Bytes in) {
  std::vector<c::ChainedReply> out;
  for (w::Bytes fr : split_frames(in)) {
    size_t off = 0;
    for (;;) {
      auto m = c::next_reply(fr, off);
      if (!m) return out;
      out.push_back(*m);
      if (m->hdr.next_command == 0) break;
      off += m->msg.size();
    }
  }
  return out;
}

// How fuzz_client_auth starts: the exchange's parameters from the
// configuration byte, or from a first NEGOTIATE response when it settles
// (Connection::negotiate: dialect, cipher, signing algorithm, the SPNEGO
// hint, the 3.1.1 preauth hash of the NEGOTIATE round trip).
struct AuthStart {
  c::SetupExchange::Params params;
  w::Bytes hint;
  size_t first_setup = 0;  // the index of the first SESSION_SETUP response
  bool anonymous = false;
  bool encrypted = false;  // replies count as decrypted
};
inline AuthStart auth_start(uint8_t config, const std::vector<c::ChainedReply>& replies) {
  AuthStart st;
  c::SetupExchange::Params& p = st.params;
  p.dialect = config_dialect(config);
  p.cipher = p.dialect >= w::dialect::SMB300 ? config_cipher(config) : 0;
  p.signing_alg = p.dialect < w::dialect::SMB300 ? w::signalg::HMAC_SHA256 : w::signalg::AES_CMAC;
  if (!replies.empty() && replies[0].hdr.command == static_cast<uint16_t>(w::Command::Negotiate)) {
    st.first_setup = 1;
    if (replies[0].hdr.status == w::status::SUCCESS) {
      if (auto n = c::settle_negotiate(full_offer(), replies[0].msg)) {
        p.dialect = n->dialect;
        p.cipher = n->cipher;
        p.signing_alg = n->signing_alg;
        st.hint = n->security_hint;
        if (p.dialect == w::dialect::SMB311) {
          p.preauth.update(negotiate_request());
          p.preauth.update(replies[0].msg);
        }
      }
    }
  }
  p.binding = (config & cfg::kBinding) != 0 && p.dialect >= w::dialect::SMB300;
  p.session_id = p.binding ? kSessionId : 0;
  st.anonymous = (config & cfg::kAnonymous) != 0;
  st.encrypted = (config & cfg::kEncrypted) != 0;
  return st;
}

}  // namespace ringsmb::fuzz
