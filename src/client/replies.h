// What the client's calls make of their final replies (MS-SMB2 3.2.5.2 -
// 3.2.5.20), as pure functions over one response message (header
// included): no sockets, no ring. Connection, Session and Tree call them
// after checking the reply's status, and so do the fuzz targets
// (fuzz/fuzz_client_responses.cc, fuzz/fuzz_client_auth.cc), which is why
// they live apart from the coroutines. Any response a server could send is
// safe to pass; a malformed one is STATUS_INVALID_NETWORK_RESPONSE.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "auth/crypto.h"
#include "auth/ntlm_client.h"
#include "auth/smb_keys.h"
#include "wire/client.h"
#include "wire/header.h"
#include "wire/result.h"

namespace ringsmb::client {

using wire::Bytes;
using wire::NtStatus;
using wire::Result;

// ---------------------------------------------------------------- NEGOTIATE

// What the client offered in its NEGOTIATE request.
struct NegotiateOffer {
  std::vector<uint16_t> dialects;
  std::vector<uint16_t> ciphers;       // 3.1.1 ENCRYPTION_CAPABILITIES
  std::vector<uint16_t> signing_algs;  // 3.1.1 SIGNING_CAPABILITIES
  uint32_t max_io = 8 * 1024 * 1024;   // largest READ/WRITE the client asks for
};

// What a NEGOTIATE response settled (3.2.5.2).
struct Negotiated {
  uint16_t dialect = 0;
  uint16_t cipher = 0;  // 0: none
  uint16_t signing_alg = 0;
  uint32_t capabilities = 0;
  uint16_t security_mode = 0;
  wire::Guid server_guid;
  uint32_t max_read = 0, max_write = 0, max_transact = 0;  // capped at max_io (64 KiB for 2.0.2)
  Bytes security_hint;  // the server's NegTokenInit2, into msg
};

// The settlement of a SUCCESS NEGOTIATE response to `offer`:
// STATUS_INVALID_NETWORK_RESPONSE for a malformed response, a dialect not
// offered (0x02FF included), READ or WRITE sizes under 4 KiB, or for 3.1.1
// a missing preauth context or a cipher or signing algorithm that is not
// exactly one of those offered (cipher 0 means none).
Result<Negotiated> settle_negotiate(const NegotiateOffer& offer, Bytes msg);

// ------------------------------------------------------------ SESSION_SETUP

// One NTLMSSP-in-SPNEGO exchange of SESSION_SETUP round trips, as the
// client runs it (3.2.4.2.3, 3.2.5.3):
//
//   SetupExchange ex(creds, params);
//   token = ex.first_token(conn.security_hint());
//   loop: send SESSION_SETUP(ex.token()) under ex.session_id(), adding
//         the request to ex.preauth() where that is not null;
//         s = ex.on_reply(reply header, reply, was_encrypted);
//         MORE_PROCESSING_REQUIRED: again; SUCCESS: done; else: failed.
class SetupExchange {
 public:
  struct Params {
    uint16_t dialect = 0;      // the connection's
    uint16_t signing_alg = 0;  // the connection's (3.1.1 negotiates it)
    uint16_t cipher = 0;       // the connection's
    bool binding = false;      // SMB2_SESSION_FLAG_BINDING of an existing session
    uint64_t session_id = 0;   // binding: the session bound to
    auth::PreauthHash preauth; // the connection's after NEGOTIATE (3.1.1)
  };
  SetupExchange(const auth::NtlmCredentials& creds, Params p);

  // The first request's security buffer; token() then holds it too.
  const std::vector<uint8_t>& first_token(Bytes server_hint);
  // The security buffer of the next request.
  const std::vector<uint8_t>& token() const { return token_; }
  // The SessionId the next request goes under (0 before the first reply).
  uint64_t session_id() const { return session_id_; }
  bool binding() const { return p_.binding; }
  // Where the requests and the MORE_PROCESSING_REQUIRED replies are hashed
  // (3.1.1 only; null for the other dialects).
  auth::PreauthHash* preauth() { return dialect_is_311() ? &p_.preauth : nullptr; }

  // One reply: MORE_PROCESSING_REQUIRED with the next token in token();
  // SUCCESS when the session is set up (session_flags(), keys()); any
  // other status ends the exchange: the reply's own error status,
  // INVALID_NETWORK_RESPONSE, LOGON_FAILURE (a token NTLMSSP refuses) or
  // ACCESS_DENIED (a final reply that is not signed with the new key where
  // it must be).
  NtStatus on_reply(const wire::Header& h, Bytes msg, bool was_encrypted);

  uint16_t session_flags() const { return session_flags_; }
  // The keys of the session (null for guests and anonymous logins).
  const std::shared_ptr<const auth::SmbKeys>& keys() const { return keys_; }
  // For tests and fuzzing: the NTLMSSP client (set_test_randoms()).
  auth::NtlmClient& ntlm() { return ntlm_; }

 private:
  bool dialect_is_311() const;

  auth::NtlmClient ntlm_;
  Params p_;
  std::vector<uint8_t> token_;
  uint64_t session_id_ = 0;
  uint16_t session_flags_ = 0;
  std::shared_ptr<const auth::SmbKeys> keys_;
};

// ------------------------------------------------------------------- Tree

struct OpenFile {
  wire::FileId id;
  wire::NetworkOpenInfo info;
  uint32_t create_action = 0;
  bool directory() const { return (info.attributes & 0x10) != 0; }
};

// CREATE (3.2.5.5).
Result<OpenFile> decode_create(Bytes msg);
// READ (3.2.5.12): the data, at most `asked` bytes of it.
Result<Bytes> decode_read(Bytes msg, uint32_t asked);
// One QUERY_DIRECTORY answer (3.2.5.17): its entries of info_class.
Result<std::vector<wire::DirEntry>> decode_directory(Bytes msg, uint8_t info_class);
// QUERY_INFO answers (3.2.5.20): FileAllInformation,
// FileFsFullSizeInformation.
Result<wire::AllInfo> decode_all_info(Bytes msg);
Result<wire::FsFullSize> decode_fs_full_size(Bytes msg);
// IOCTL FSCTL_QUERY_NETWORK_INTERFACE_INFO (3.2.5.14.11).
Result<std::vector<wire::NetworkInterface>> decode_network_interfaces(Bytes msg);

}  // namespace ringsmb::client
