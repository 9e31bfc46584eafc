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

// Where a break notification may go: a connection and the worker that
// owns it, and the session of the holder.
struct BreakTarget {
  std::weak_ptr<Connection> conn;
  rt::Worker* worker = nullptr;
  uint64_t session_id = 0;
};

// Sends a break notification body (2.2.23.1 or 2.2.23.2) on the first of
// `targets` whose connection is still up, else on any channel of the first
// target's session (MS-SMB2 3.3.4.6, 3.3.4.7). Any thread.
void send_break_notification(Server& server, std::vector<BreakTarget> targets,
                             std::vector<uint8_t> body);

// Breaks an exclusive or batch oplock held by another open of the file, to
// `to`, and waits for the break to finish. `self` may be null.
rt::Task<void> break_exclusive_oplocks(Server& server, std::shared_ptr<FileObject> file,
                                       const Open* self, uint8_t to);

// Chooses the oplock for a new open, with file->mu held and before the open
// is added to file->opens.
uint8_t grant_oplock(FileObject& file, uint8_t requested);

// Breaks level II oplocks of every open of the file but `writer`, and the
// leases of other keys than writer's, to NONE (writes and truncation; no
// open waits for the acknowledgment).
void break_level2_oplocks(Server& server, FileObject& file, const Open* writer);

// With file->mu held: wakes every open waiting for a break of this file.
void wake_break_waiters(FileObject& file);

}  // namespace ringsmb::server
