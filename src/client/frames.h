// What a client connection does with the bytes a server sends (MS-SMB2
// 3.2.5.1), as pure functions over spans: no sockets, no ring, no buffers
// of the runtime. Connection's receive loop calls them, and so do the fuzz
// targets (fuzz/fuzz_client_responses.cc), which is why they live apart
// from the coroutines.
//
// A frame (one NetBIOS message) is either a TRANSFORM frame, which
// sealed_header() and unseal() turn into a plain one, or a plain chain of
// responses, which next_reply() walks. Each final reply is checked against
// the protection its request was sent under (check_reply()); a
// CreditWindow keeps the MessageIds and credits (3.2.4.1.3 - 3.2.4.1.5).
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>

#include "auth/smb_keys.h"
#include "wire/header.h"
#include "wire/result.h"
#include "wire/status.h"
#include "wire/transform.h"

namespace ringsmb::client {

using wire::Bytes;
using wire::NtStatus;
using wire::Result;

// The keys one message is protected with.
struct Protection {
  uint64_t session_id = 0;
  std::shared_ptr<const auth::SmbKeys> sign;  // sign the request (null: not)
  std::shared_ptr<const auth::SmbKeys> seal;  // encrypt it (null: plain)
  bool require_signed_reply = false;  // an unsigned final reply is refused
  // Verify signed replies with `sign` (off where the reply is signed with
  // a key the caller derives later: binding SESSION_SETUP).
  bool check_reply = true;
};

// ------------------------------------------------------ TRANSFORM (3.2.5.1.1)

// The TRANSFORM_HEADER of a frame that starts with 0xFD 'SMB':
// STATUS_INVALID_NETWORK_RESPONSE unless wire::parse_transform accepts it
// (so OriginalMessageSize is the length of what follows the header).
Result<wire::TransformHeader> sealed_header(Bytes frame);

// Decrypts the message of `frame` (whose header sealed_header() returned as
// th) with k's server-to-client key into out, which holds
// th.original_size bytes. STATUS_ACCESS_DENIED when the frame does not
// authenticate (or k has no usable key), STATUS_INVALID_NETWORK_RESPONSE
// when what it decrypts to is no SMB2 message; out is then meaningless.
NtStatus unseal(const auth::SmbKeys& k, Bytes frame, const wire::TransformHeader& th,
                uint8_t* out);

// ------------------------------------------------------------- chains

// One response of a chain: its header and its bytes, header included, up
// to NextCommand (or the end of the frame).
struct ChainedReply {
  wire::Header hdr;
  Bytes msg;
};

// The response at `off` of a plain (or decrypted) frame: an SMB2 header
// with SERVER_TO_REDIR set, and NextCommand 0 or a multiple of 8 that is at
// least a header long and stays inside the frame. The next response starts
// at off + msg.size() when hdr.next_command is not 0.
// STATUS_INVALID_NETWORK_RESPONSE otherwise: the connection is then broken.
Result<ChainedReply> next_reply(Bytes frame, size_t off);

// An interim response (3.2.5.1.5): STATUS_PENDING with ASYNC_COMMAND; the
// final one comes later under the same MessageId.
bool is_interim(const wire::Header& h);

// Whether the final reply h/msg may be handed to a call sent under p
// (3.2.5.1.3): SUCCESS, or STATUS_ACCESS_DENIED for a clear reply to an
// encrypted request, a signed reply whose signature does not verify, or an
// unsigned reply where a signed one is required (session-expiry answers
// excepted, which a server cannot sign).
NtStatus check_reply(const Protection& p, const wire::Header& h, Bytes msg, bool encrypted);

// ------------------------------------------------------------ credits

// MessageIds and credits of one connection (3.2.4.1.3 - 3.2.4.1.5,
// 3.2.5.1.4). The connection starts with one credit; a request spends its
// charge and takes that many MessageIds; every response grants credits;
// the final reply to a request settles its charge.
class CreditWindow {
 public:
  // The CreditCharge of a request carrying (or asking for) `payload` bytes:
  // one per 64 KiB with multi-credit requests (SMB 2.1 and later), else 1.
  static uint32_t charge_for(uint64_t payload, bool large_mtu);

  uint32_t credits() const { return credits_; }
  uint32_t outstanding() const { return outstanding_; }
  uint64_t next_message_id() const { return next_mid_; }
  bool affords(uint32_t charge) const { return credits_ >= charge; }
  // Nothing in flight can bring more credits for a request of this charge.
  bool starved(uint32_t charge) const { return credits_ < charge && outstanding_ == 0; }

  // Spends `charge` credits (affords(charge) must hold) and returns the
  // request's MessageId; the next request's is `charge` higher.
  uint64_t spend(uint32_t charge);
  // The CreditRequest of a request of `charge` just spent: its charge plus
  // what brings the credits held and in flight back to `target`, at most
  // 8192.
  uint16_t request(uint32_t charge, uint16_t target) const;
  // CreditResponse of any response, interim ones included.
  void grant(uint16_t n) { credits_ += n; }
  // The final reply of a request of `charge` arrived.
  void settle(uint32_t charge) { outstanding_ -= std::min(outstanding_, charge); }

 private:
  uint64_t next_mid_ = 0;
  uint32_t credits_ = 1;
  uint32_t outstanding_ = 0;
};

}  // namespace ringsmb::client
