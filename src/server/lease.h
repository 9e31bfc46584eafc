// Leases (MS-SMB2 3.3.1.4, 3.3.1.12, 3.3.4.7, 3.3.5.9.8, 3.3.5.9.11,
// 3.3.5.22.2; MS-FSA 2.1.5.17).
//
// A lease belongs to a client (ClientGuid) and a LeaseKey and covers one
// file or stream; every open the client makes with that key shares it.
// States are combinations of R (read), H (handle) and W (write caching);
// only R, RH, RW and RWH are granted. The behaviour follows what Windows
// does and smbtorture's smb2.lease tests check (Samba does the same):
//  - a new lease gets what it asks for, less W when other (non-stat) opens
//    exist and less H when an oplock is held;
//  - an open with the same key upgrades the lease only to a strict
//    superset that it could be granted as a whole; it never downgrades;
//  - a non-stat open with another key breaks W (H too when the open would
//    otherwise be a sharing violation; R and H when it overwrites) and
//    waits for the acknowledgment when the bits it needs gone were W (or H
//    for a sharing violation);
//  - writes and truncation break other leases to NONE without waiting;
//  - a lease that is breaking is not broken again: the new target is
//    remembered, and after the acknowledgment the next break follows in
//    steps (RH -> R -> NONE), as Windows does;
//  - an unacknowledged break times out after 35 seconds (the lease then
//    holds nothing).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "rt/task.h"
#include "server/state.h"
#include "wire/lease.h"

namespace ringsmb::server {

class Server;
struct Request;
struct Response;

// MS-SMB2 3.3.1.12. The identity is fixed at creation; everything else is
// guarded by file->mu.
struct Lease {
  wire::Guid client_guid;
  wire::Guid key;
  std::shared_ptr<FileObject> file;  // the file (or stream) the lease covers
  uint16_t version = 1;              // 2: made by SMB2_CREATE_REQUEST_LEASE_V2
  wire::Guid parent_key;
  bool has_parent = false;

  uint32_t state = 0;           // LeaseState
  uint16_t epoch = 0;           // v2: counts state changes (3.3.5.9.11)
  bool breaking = false;        // a break waits for its acknowledgment
  uint32_t break_to = 0;        // BreakToLeaseState: what the client was asked for
  uint32_t break_required = 0;  // what waiting opens need (a subset of break_to)
  std::vector<Open*> opens;     // LeaseOpens
};

// MS-SMB2 3.3.1.4, all clients' tables in one: (ClientGuid, LeaseKey) ->
// Lease, for as long as an open refers to the lease.
class LeaseTable {
 public:
  std::shared_ptr<Lease> find(const wire::Guid& client, const wire::Guid& key);
  // The lease for (client, key), made from `fresh` when there is none; null
  // when the key is in use for another file (STATUS_INVALID_PARAMETER).
  std::shared_ptr<Lease> find_or_add(const std::shared_ptr<Lease>& fresh);
  // Forgets the lease when no open refers to it any more.
  void release(const Lease& l);

 private:
  using Key = std::array<uint8_t, 32>;
  static Key key_of(const wire::Guid& client, const wire::Guid& key);
  std::mutex mu_;
  std::map<Key, std::weak_ptr<Lease>> map_;
};

// ---- pure rules (unit tested) ----------------------------------------------

// The state a request asks for: R, RH, RW or RWH, else nothing.
uint32_t lease_requested(uint32_t state);
// What of `want` may be granted next to the other opens of the file.
uint32_t lease_grantable(uint32_t want, bool other_opens, bool oplock_held);
// The state after an open with the same key asks for `want`.
uint32_t lease_upgraded(uint32_t current, uint32_t want, bool other_opens, bool oplock_held);
// What another key's lease in `state` must break to for a new open.
uint32_t lease_break_target(uint32_t state, bool sharing_violation, bool overwrite);
// The bits whose break a new open waits for.
inline uint32_t lease_delay_mask(bool sharing_violation) {
  return sharing_violation ? wire::lease::HANDLE : wire::lease::WRITE;
}
// After an acknowledgment to `acked` while waiting opens need `required`:
// the next state to break to (== acked: done). Windows breaks in steps:
// anything beyond R goes to R first.
uint32_t lease_next_break(uint32_t acked, uint32_t required);

// ---- server side -------------------------------------------------------------

// What a CREATE asks for: a lease request it carries, when it counts.
struct LeaseAsk {
  wire::LeaseRequest req;
  wire::Guid client_guid;
};

// Breaks the leases of other keys on `file` that a new open conflicts
// with, and waits where a break must complete first (going asynchronous
// once). `ask` is null for an open without a lease.
rt::Task<void> break_leases_for_open(Server& server, Request& req, std::shared_ptr<FileObject> file,
                                     const LeaseAsk* ask, uint32_t access, uint32_t share,
                                     bool overwrite);

// With file->mu held and the sharing checks passed: grants or upgrades the
// lease for a new open and returns the response context's data.
// Null with *invalid set when the key covers another file.
std::shared_ptr<Lease> grant_lease(Server& server, FileObject& file,
                                   const std::shared_ptr<FileObject>& file_ref, Open& open,
                                   const LeaseAsk& ask, bool* invalid);
std::vector<uint8_t> lease_response_context(const Lease& l);

// With file->mu held: breaks every lease of the file but `except`'s to
// NONE (writes, truncation), without waiting.
void break_leases_to_none(Server& server, FileObject& file, const Lease* except);

// With file->mu held: detaches a closing open from its lease.
void detach_lease(Server& server, Open& open);

// LEASE_BREAK acknowledgment (3.3.5.22.2).
rt::Task<void> lease_break_ack(Request& req, Response& resp);

}  // namespace ringsmb::server
