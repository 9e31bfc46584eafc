// NEGOTIATE (MS-SMB2 3.3.5.3, 3.3.5.4).
#include <ctime>

#include "auth/crypto.h"
#include "auth/spnego.h"
#include "server/handlers.h"
#include "server/log.h"
#include "server/server.h"
#include "wire/fscc.h"

namespace ringsmb::server::handlers {

namespace st = wire::status;

namespace {
uint64_t now_filetime() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return wire::unix_to_filetime(ts.tv_sec, static_cast<uint32_t>(ts.tv_nsec));
}
constexpr uint16_t kDialects[] = {wire::dialect::SMB311, wire::dialect::SMB302,
                                  wire::dialect::SMB300, wire::dialect::SMB210,
                                  wire::dialect::SMB202};
}  // namespace

rt::Task<void> negotiate(Request& req, Response& resp) {
  Connection& conn = req.conn;
  const Config& cfg = conn.server().config();
  auto q = wire::parse_negotiate(req.msg);
  if (!q) {
    resp.status = q.status();
    co_return;
  }
  // The highest dialect both sides speak, within the configured range.
  uint16_t chosen = 0;
  bool wildcard = false;
  for (uint16_t d : kDialects) {
    if (d < cfg.min_protocol || d > cfg.max_protocol) continue;
    for (uint16_t c : q->dialects) {
      if (c == d) {
        chosen = d;
        break;
      }
    }
    if (chosen != 0) break;
  }
  for (uint16_t c : q->dialects)
    if (c == wire::dialect::WILDCARD) wildcard = true;
  if (chosen == 0 && wildcard && q->dialects.size() == 1) chosen = wire::dialect::WILDCARD;
  if (chosen == 0) {
    log::info("{}: no common dialect", conn.peer());
    resp.status = st::NOT_SUPPORTED;
    co_return;
  }

  wire::NegotiateResponse r;
  std::vector<uint8_t> spnego = auth::server_neg_token_init();
  r.security_mode = wire::NEGOTIATE_SIGNING_ENABLED;
  if (cfg.signing == Signing::Mandatory) r.security_mode |= wire::NEGOTIATE_SIGNING_REQUIRED;
  r.dialect = chosen;
  r.server_guid = conn.server().guid();
  r.capabilities = 0;
  if (chosen >= wire::dialect::SMB210 && chosen != wire::dialect::WILDCARD) {
    // Leases (3.3.5.4); directory leases are not offered.
    r.capabilities |= wire::cap::LARGE_MTU | wire::cap::LEASING;
  }
  // Multichannel (3.x): channels of one session on several connections.
  if (wire::is_smb3(chosen) && cfg.multichannel && (q->capabilities & wire::cap::MULTI_CHANNEL)) {
    r.capabilities |= wire::cap::MULTI_CHANNEL;
  }
  uint16_t cipher = 0;
  // 2.x signs with HMAC-SHA256, 3.0/3.0.2 and 3.1.1 without a signing
  // context with AES-CMAC.
  uint16_t signing_alg = chosen < wire::dialect::SMB300 ? wire::signalg::HMAC_SHA256
                                                        : wire::signalg::AES_CMAC;
  // 3.0 and 3.0.2 announce encryption (AES-128-CCM) as a capability.
  if ((chosen == wire::dialect::SMB300 || chosen == wire::dialect::SMB302) &&
      cfg.encrypt != Encrypt::Off && (q->capabilities & wire::cap::ENCRYPTION)) {
    r.capabilities |= wire::cap::ENCRYPTION;
    cipher = wire::cipher::AES128_CCM;
  }
  const bool large = chosen >= wire::dialect::SMB210;
  r.max_transact = large ? cfg.max_io_size : 65536;
  r.max_read = large ? cfg.max_io_size : 65536;
  r.max_write = large ? cfg.max_io_size : 65536;
  r.system_time = now_filetime();
  r.server_start_time = 0;
  r.security_buffer = spnego;

  if (chosen == wire::dialect::SMB311) {
    // MS-SMB2 3.3.5.4: exactly one preauth integrity context with SHA-512.
    int preauth_count = 0, enc_count = 0, sign_count = 0;
    bool sha512 = false;
    bool offered_cipher_ctx = false, offered_signing_ctx = false;
    for (const auto& c : q->contexts) {
      switch (c.type) {
        case wire::negctx::PREAUTH_INTEGRITY_CAPABILITIES: {
          ++preauth_count;
          auto caps = wire::parse_preauth_caps(c.data);
          if (!caps) {
            resp.status = st::INVALID_PARAMETER;
            co_return;
          }
          for (uint16_t h : caps->hash_algorithms)
            if (h == wire::HASH_SHA512) sha512 = true;
          break;
        }
        case wire::negctx::ENCRYPTION_CAPABILITIES: {
          ++enc_count;
          auto list = wire::parse_u16_list(c.data);
          if (!list) {
            resp.status = st::INVALID_PARAMETER;
            co_return;
          }
          offered_cipher_ctx = true;
          // The first of the client's ciphers that we have: the client lists
          // them in its order of preference (3.3.5.4).
          if (cfg.encrypt != Encrypt::Off) {
            for (uint16_t id : *list) {
              if (id >= wire::cipher::AES128_CCM && id <= wire::cipher::AES256_GCM) {
                cipher = id;
                break;
              }
            }
          }
          break;
        }
        case wire::negctx::SIGNING_CAPABILITIES: {
          ++sign_count;
          auto list = wire::parse_u16_list(c.data);
          if (!list) {
            resp.status = st::INVALID_PARAMETER;
            co_return;
          }
          offered_signing_ctx = true;
          // The first of the client's algorithms we have (all three).
          signing_alg = wire::signalg::AES_CMAC;
          for (uint16_t id : *list) {
            if (id <= wire::signalg::AES_GMAC) {
              signing_alg = id;
              break;
            }
          }
          break;
        }
        default:
          break;  // unknown and not-yet-supported contexts are ignored
      }
    }
    if (preauth_count != 1 || enc_count > 1 || sign_count > 1) {
      resp.status = st::INVALID_PARAMETER;
      co_return;
    }
    if (!sha512) {
      resp.status = 0xC05D0000;  // STATUS_SMB_NO_PREAUTH_INTEGRITY_HASH_OVERLAP
      co_return;
    }
    std::vector<uint8_t> pre(4 + 2 + 32);
    wire::st16(pre.data(), 1);   // HashAlgorithmCount
    wire::st16(pre.data() + 2, 32);  // SaltLength
    wire::st16(pre.data() + 4, wire::HASH_SHA512);
    auth::random_bytes(std::span<uint8_t>(pre.data() + 6, 32));
    r.contexts.emplace_back(wire::negctx::PREAUTH_INTEGRITY_CAPABILITIES, std::move(pre));
    if (offered_cipher_ctx) {
      // CipherCount 1: the chosen cipher, or 0 when none is shared.
      std::vector<uint8_t> enc(4);
      wire::st16(enc.data(), 1);
      wire::st16(enc.data() + 2, cipher);
      r.contexts.emplace_back(wire::negctx::ENCRYPTION_CAPABILITIES, std::move(enc));
    }
    if (offered_signing_ctx) {
      std::vector<uint8_t> sig(4);
      wire::st16(sig.data(), 1);
      wire::st16(sig.data() + 2, signing_alg);
      r.contexts.emplace_back(wire::negctx::SIGNING_CAPABILITIES, std::move(sig));
    }
    conn.preauth().reset();
    conn.preauth().update(req.msg);
    resp.preauth = &conn.preauth();
  }

  wire::encode_negotiate_response(resp.body, r);
  conn.set_server_capabilities(r.capabilities);
  conn.set_cipher(cipher);
  conn.set_signing_alg(signing_alg);
  conn.set_server_security_mode(r.security_mode);
  conn.set_negotiated(chosen, q->security_mode, q->capabilities, q->client_guid,
                      std::move(q->dialects));
  log::debug("{}: negotiated dialect 0x{:04x}", conn.peer(), chosen);
}

}  // namespace ringsmb::server::handlers
