// Oplocks (MS-SMB2 3.3.4.6, 3.3.5.22.1; MS-FSA 2.1.5.17).
//
// Levels: NONE, LEVEL_II (shared read caching), EXCLUSIVE and BATCH (one
// holder, read/write caching). An open that would conflict with an
// exclusive or batch holder waits until the holder acknowledges a break to
// LEVEL_II or NONE (or closes), or until 35 seconds pass. Writes break
// every other level II holder to NONE, without waiting.
#pragma once

#include <cstdint>
#include <memory>

#include "rt/task.h"
#include "server/state.h"

namespace ringsmb::server {

class Server;

inline constexpr std::chrono::seconds kOplockBreakTimeout{35};

// Breaks an exclusive or batch oplock held by another open of the file, to
// `to`, and waits for the break to finish. `self` may be null.
rt::Task<void> break_exclusive_oplocks(Server& server, std::shared_ptr<FileObject> file,
                                       const Open* self, uint8_t to);

// Chooses the oplock for a new open, with file->mu held and before the open
// is added to file->opens.
uint8_t grant_oplock(FileObject& file, uint8_t requested);

// Breaks level II oplocks of every open of the file but `writer` to NONE
// (no acknowledgement is expected).
void break_level2_oplocks(Server& server, FileObject& file, const Open* writer);

// With file->mu held: wakes every open waiting for a break of this file.
void wake_break_waiters(FileObject& file);

}  // namespace ringsmb::server
