// The one SMB1 message the server understands: SMB_COM_NEGOTIATE, sent by
// clients that start with the multi-protocol negotiate and expect an SMB2
// NEGOTIATE response in return (MS-SMB2 3.3.5.3.1).
#pragma once

#include <string>
#include <vector>

#include "wire/le.h"
#include "wire/result.h"

namespace ringsmb::wire {

inline constexpr uint8_t kSmb1ComNegotiate = 0x72;

// Dialect strings of an SMB1 NEGOTIATE request ("NT LM 0.12", "SMB 2.002",
// "SMB 2.???"). Fails for anything else: other commands, short or
// malformed messages.
Result<std::vector<std::string>> parse_smb1_negotiate(Bytes msg);

}  // namespace ringsmb::wire
