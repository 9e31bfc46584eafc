#include "client/frames.h"

#include <algorithm>

#include "auth/crypto.h"
#include "wire/smb2.h"

namespace ringsmb::client {

namespace st = wire::status;

Result<wire::TransformHeader> sealed_header(Bytes frame) {
  auto th = wire::parse_transform(frame);
  if (!th) return wire::Err{st::INVALID_NETWORK_RESPONSE};
  return *th;
}

NtStatus unseal(const auth::SmbKeys& k, Bytes frame, const wire::TransformHeader& th,
                uint8_t* out) {
  const bool ok = auth::aead_decrypt(
      auth::is_gcm(k.cipher) ? auth::Aead::Gcm : auth::Aead::Ccm,
      Bytes(k.encryption_key.data(), k.encryption_key.size()),  // server to client
      Bytes(th.nonce, auth::nonce_len(k.cipher)),
      frame.subspan(wire::kTransformAadOffset,
                    wire::kTransformHeaderSize - wire::kTransformAadOffset),
      frame.subspan(wire::kTransformHeaderSize), th.signature, out);
  if (!ok) return st::ACCESS_DENIED;  // a frame that does not authenticate
  if (th.original_size < wire::kHeaderSize || wire::ld32(out) != wire::kSmb2ProtocolId) {
    return st::INVALID_NETWORK_RESPONSE;
  }
  return st::SUCCESS;
}

Result<ChainedReply> next_reply(Bytes frame, size_t off) {
  if (off > frame.size()) return wire::Err{st::INVALID_NETWORK_RESPONSE};
  Bytes rest = frame.subspan(off);
  auto h = wire::parse_header(rest);
  if (!h || !(h->flags & wire::flags::SERVER_TO_REDIR)) {
    return wire::Err{st::INVALID_NETWORK_RESPONSE};
  }
  size_t len = rest.size();
  if (h->next_command != 0) {
    if (h->next_command < wire::kHeaderSize || h->next_command > rest.size() ||
        h->next_command % 8 != 0) {
      return wire::Err{st::INVALID_NETWORK_RESPONSE};
    }
    len = h->next_command;
  }
  return ChainedReply{*h, rest.subspan(0, len)};
}

bool is_interim(const wire::Header& h) { return h.status == st::PENDING && h.is_async(); }

NtStatus check_reply(const Protection& p, const wire::Header& h, Bytes msg, bool encrypted) {
  if (p.seal && !encrypted) return st::ACCESS_DENIED;  // we encrypted; a clear reply is not the server's
  if (!encrypted && h.is_signed() && p.sign && p.check_reply) {
    static const uint8_t kZero[16] = {};
    Bytes pieces[] = {msg.subspan(0, 48), Bytes(kZero, 16), msg.subspan(64)};
    auto sig = auth::smb_signature(*p.sign, h.message_id, true, false, pieces);
    if (!auth::equal_ct(Bytes(sig.data(), 16), msg.subspan(48, 16))) return st::ACCESS_DENIED;
  } else if (!encrypted && !h.is_signed() && p.require_signed_reply &&
             h.status != st::USER_SESSION_DELETED && h.status != st::NETWORK_SESSION_EXPIRED) {
    return st::ACCESS_DENIED;
  }
  return st::SUCCESS;
}

uint32_t CreditWindow::charge_for(uint64_t payload, bool large_mtu) {
  if (!large_mtu || payload <= 65536) return 1;
  return static_cast<uint32_t>((payload + 65535) / 65536);
}

uint64_t CreditWindow::spend(uint32_t charge) {
  const uint64_t mid = next_mid_;
  next_mid_ += charge;
  credits_ -= charge;
  outstanding_ += charge;
  return mid;
}

uint16_t CreditWindow::request(uint32_t charge, uint16_t target) const {
  const uint32_t have = credits_ + outstanding_;
  const uint32_t ask = charge + (have < target ? target - have : 0);
  return static_cast<uint16_t>(std::min<uint32_t>(ask, 8192));
}

}  // namespace ringsmb::client
