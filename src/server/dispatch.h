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

rt::Task<void> process_smb2(Connection& conn, wire::Bytes frame, int buf_index);

// Answers an SMB1 multi-protocol NEGOTIATE with an SMB2 NEGOTIATE response
// for `dialect` (0x02FF or 0x0202).
rt::Task<void> smb1_upgrade(Connection& conn, uint16_t dialect);

// Builds the header + body of one response into out (used by dispatch and
// by the SMB1 upgrade).
void append_response(OutFrame& out, const wire::Header& req_hdr, Response& resp,
                     uint16_t credits, bool last);
void finish_frame(OutFrame& out);

}  // namespace ringsmb::server
