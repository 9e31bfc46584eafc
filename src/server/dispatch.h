// Dispatch: from a validated frame to handler calls and one response frame.
//
// For each request of a compound chain, in order (MS-SMB2 3.3.5.2):
// validation (wire/validate.h), sequence window and credit charge,
// negotiate state, session, tree connect and related-compound
// substitution; then the handler from the command table; then the
// response header, credits and the preauth hash.
#pragma once

#include "rt/task.h"
#include "server/connection.h"
#include "wire/le.h"

namespace ringsmb::server {

// encrypted_by: the session whose keys decrypted the frame (null when it
// arrived in the clear); the responses are then encrypted with its keys.
// spliced: the payload of a lone WRITE waits in this pipe instead of the
// frame (see splice_write_wanted); the frame buffer has room for it.
rt::Task<void> process_smb2(Connection& conn, wire::Bytes frame, int buf_index,
                            std::shared_ptr<Session> encrypted_by = nullptr,
                            rt::PipeLease* spliced = nullptr);

// The SMB2 header and WRITE request fixed part: what the receive loop
// looks at before deciding where a large WRITE's payload goes.
constexpr size_t kWriteHead = 64 + 48;

// Whether the frame of length len that begins with the kWriteHead bytes at
// head is one plain WRITE whose payload may go socket -> pipe -> file:
// unsigned, unencrypted, on a session and share that demand neither, to a
// share whose `ringsmb:write path` asks for it (docs/performance.md).
bool splice_write_wanted(Connection& conn, const uint8_t* head, size_t len);

// Replaces the frame's messages by one TRANSFORM message encrypted with the
// session's server-to-client key (MS-SMB2 3.3.4.1.4).
// zero_copy: the encrypted frame is marked for SEND_ZC.
void encrypt_frame(OutFrame& out, Session& s, bool zero_copy = false);

// Answers an SMB1 multi-protocol NEGOTIATE with an SMB2 NEGOTIATE response
// for `dialect` (0x02FF or 0x0202).
rt::Task<void> smb1_upgrade(Connection& conn, uint16_t dialect);

// Builds the header + body of one response into out (used by dispatch and
// by the SMB1 upgrade).
// Sends the interim STATUS_PENDING response of req now (after any earlier
// responses of its chain) and makes req asynchronous: its final response
// will carry ASYNC_COMMAND and req.async_id. False when req cannot go
// asynchronous (it is not the last request of its chain): it then
// completes synchronously.
bool go_async(Request& req);

void append_response(OutFrame& out, const wire::Header& req_hdr, Response& resp,
                     uint16_t credits, bool last);
void finish_frame(OutFrame& out);

}  // namespace ringsmb::server
