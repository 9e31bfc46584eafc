#include "server/lease.h"

#include <algorithm>

#include "server/access.h"
#include "server/connection.h"
#include "server/dispatch.h"
#include "server/log.h"
#include "server/oplock.h"
#include "server/server.h"
#include "server/session_ops.h"
#include "wire/smb2.h"

namespace ringsmb::server {

namespace ls = wire::lease;
namespace st = wire::status;

// ---- table -------------------------------------------------------------------

LeaseTable::Key LeaseTable::key_of(const wire::Guid& client, const wire::Guid& key) {
  Key k;
  std::copy(std::begin(client.b), std::end(client.b), k.begin());
  std::copy(std::begin(key.b), std::end(key.b), k.begin() + 16);
  return k;
}

std::shared_ptr<Lease> LeaseTable::find(const wire::Guid& client, const wire::Guid& key) {
  std::lock_guard lk(mu_);
  auto it = map_.find(key_of(client, key));
  return it == map_.end() ? nullptr : it->second.lock();
}

std::shared_ptr<Lease> LeaseTable::find_or_add(const std::shared_ptr<Lease>& fresh) {
  std::lock_guard lk(mu_);
  auto& slot = map_[key_of(fresh->client_guid, fresh->key)];
  if (auto l = slot.lock()) return l->file == fresh->file ? l : nullptr;
  slot = fresh;
  return fresh;
}

void LeaseTable::release(const Lease& l) {
  std::lock_guard lk(mu_);
  auto it = map_.find(key_of(l.client_guid, l.key));
  if (it == map_.end()) return;
  auto cur = it->second.lock();
  if (!cur || cur.get() == &l) map_.erase(it);
}

// ---- pure rules ----------------------------------------------------------------

uint32_t lease_requested(uint32_t state) {
  state &= ls::ALL;
  return (state & ls::READ) ? state : ls::NONE;  // H, W and HW alone are not granted
}

uint32_t lease_grantable(uint32_t want, bool other_opens, bool oplock_held) {
  if (other_opens) want &= ~ls::WRITE;
  if (oplock_held) want &= ~ls::HANDLE;  // H does not coexist with oplocks
  return want;
}

uint32_t lease_upgraded(uint32_t current, uint32_t want, bool other_opens, bool oplock_held) {
  want = lease_requested(want);
  const bool superset = (want & current) == current && want != current;
  if (superset && lease_grantable(want, other_opens, oplock_held) == want) return want;
  return current;
}

uint32_t lease_break_target(uint32_t state, bool sharing_violation, bool overwrite) {
  uint32_t to = state & ~lease_delay_mask(sharing_violation);
  if (overwrite) to &= ~(ls::HANDLE | ls::READ);
  return to;
}

uint32_t lease_next_break(uint32_t acked, uint32_t required) {
  if ((acked & ~required) == 0) return acked;
  uint32_t next = required;
  if (acked & ~ls::READ) next |= ls::READ;
  return next & acked;
}

// ---- breaking ------------------------------------------------------------------

namespace {

bool same_lease(const Lease& l, const LeaseAsk* ask) {
  return ask != nullptr && l.client_guid == ask->client_guid && l.key == ask->req.key;
}

// The distinct leases of the file's opens (file->mu held).
std::vector<Lease*> leases_of(FileObject& file) {
  std::vector<Lease*> v;
  for (Open* o : file.opens) {
    if (o->lease && std::find(v.begin(), v.end(), o->lease.get()) == v.end()) {
      v.push_back(o->lease.get());
    }
  }
  return v;
}

// Sends a Lease Break Notification (2.2.23.2) for l from its state to `to`
// and records the break (file->mu held). A break from R alone needs no
// acknowledgment and completes at once (3.3.4.7).
void start_break(Server& server, Lease& l, uint32_t to) {
  // Durable opens whose connection is gone cannot answer: nothing to wait for.
  const bool reachable =
      std::any_of(l.opens.begin(), l.opens.end(), [](const Open* o) { return !o->preserved; });
  const bool ack = reachable && (l.state & (ls::WRITE | ls::HANDLE)) != 0;
  wire::LeaseBreak b;
  b.new_epoch = l.version == 2 ? l.epoch : 0;
  b.flags = ack ? ls::NOTIFY_ACK_REQUIRED : 0;
  b.key = l.key;
  b.current_state = l.state;
  b.new_state = to;
  wire::Writer w;
  wire::encode_lease_break(w, b);
  std::vector<BreakTarget> targets;
  for (Open* o : l.opens) targets.push_back({o->conn, o->worker, o->session_id});
  if (reachable) send_break_notification(server, std::move(targets), std::move(w.vec()));
  if (ack) {
    l.breaking = true;
    l.break_to = to;
    l.break_required &= to;
  } else {
    l.state = to;
  }
}

// Asks l to give up what `to` lacks (file->mu held): a lease already
// breaking only remembers the lower target for after the acknowledgment.
void break_lease(Server& server, Lease& l, uint32_t to) {
  if (l.breaking) {
    l.break_required &= to;
    return;
  }
  if ((l.state & ~to) == 0) return;
  l.epoch++;  // v2: a new break is a new state (the steps after an ack are not)
  l.break_required = to;
  start_break(server, l, to);
}

// Completes the breaks of the file's leases that were not acknowledged in
// time: such a lease holds nothing any more (file->mu held).
void expire_breaks(FileObject& file) {
  for (Lease* l : leases_of(file)) {
    if (!l->breaking) continue;
    log::info("lease break not acknowledged in time");
    l->state = ls::NONE;
    l->breaking = false;
  }
  wake_break_waiters(file);
}

// One pass over the other leases of the file for a new open (file->mu
// held). True when the open must wait.
bool break_pass(Server& server, FileObject& file, const LeaseAsk* ask, uint32_t access,
                uint32_t share, bool overwrite, bool first_attempt) {
  bool violation = false;
  for (Open* o : file.opens) {
    if (share_conflict(o->granted_access, o->share_access, access, share)) violation = true;
  }
  bool wait = false;
  for (Lease* l : leases_of(file)) {
    if (same_lease(*l, ask)) continue;
    const uint32_t to = lease_break_target(l->state, violation, overwrite);
    if ((l->state & ~to) == 0) {
      if (l->breaking) wait = true;
      continue;
    }
    const uint32_t before = l->state;
    break_lease(server, *l, to);
    if (l->breaking && ((before & lease_delay_mask(violation)) || !first_attempt)) wait = true;
  }
  return wait;
}

}  // namespace

rt::Task<void> break_leases_for_open(Server& server, Request& req, std::shared_ptr<FileObject> file,
                                     const LeaseAsk* ask, uint32_t access, uint32_t share,
                                     bool overwrite) {
  if (is_lease_stat_open(access) || file->lease_count.load() == 0) co_return;
  for (bool first = true;; first = false) {
    std::shared_ptr<rt::Signal> wait;
    {
      std::lock_guard lk(file->mu);
      if (!break_pass(server, *file, ask, access, share, overwrite, first)) co_return;
      wait = rt::Signal::make();
      file->break_waiters.push_back(wait);
    }
    go_async(req);  // 3.3.4.2: the client sees STATUS_PENDING meanwhile
    if (!co_await wait->wait(kOplockBreakTimeout)) {
      std::lock_guard lk(file->mu);
      expire_breaks(*file);
    }
  }
}

// ---- granting ------------------------------------------------------------------

std::shared_ptr<Lease> grant_lease(Server& server, FileObject& file,
                                   const std::shared_ptr<FileObject>& file_ref, Open& open,
                                   const LeaseAsk& ask, bool* invalid) {
  bool other_opens = false, oplock_held = false;
  for (Open* o : file.opens) {
    if (o->oplock != wire::oplock::NONE) oplock_held = true;
    // A stat open without a lease does not cost W (smb2.lease.statopen3);
    // one holding another lease does (smb2.lease.statopen).
    if (o->lease ? !same_lease(*o->lease, &ask) : !is_lease_stat_open(o->granted_access)) {
      other_opens = true;
    }
  }
  auto fresh = std::make_shared<Lease>();
  fresh->client_guid = ask.client_guid;
  fresh->key = ask.req.key;
  fresh->file = file_ref;
  fresh->version = ask.req.v2 ? 2 : 1;
  fresh->has_parent = ask.req.v2 && (ask.req.flags & ls::FLAG_PARENT_LEASE_KEY_SET);
  fresh->parent_key = ask.req.parent_key;
  std::shared_ptr<Lease> l = server.leases().find_or_add(fresh);
  if (!l) {
    *invalid = true;
    return nullptr;
  }
  if (l == fresh) {
    // 3.3.5.9.11: a new v2 lease starts one past the client's epoch.
    l->epoch = ask.req.v2 ? static_cast<uint16_t>(ask.req.epoch + 1) : 0;
    l->state = lease_grantable(lease_requested(ask.req.state), other_opens, oplock_held);
  } else if (!l->breaking) {
    const uint32_t up = lease_upgraded(l->state, ask.req.state, other_opens, oplock_held);
    if (up != l->state) {
      l->state = up;
      l->epoch++;
    }
  }
  l->opens.push_back(&open);
  open.lease = l;
  file.lease_count++;
  return l;
}

std::vector<uint8_t> lease_response_context(const Lease& l) {
  wire::LeaseResponse r;
  r.key = l.key;
  r.state = l.state;
  r.flags = l.breaking ? ls::FLAG_BREAK_IN_PROGRESS : 0;
  r.v2 = l.version == 2;
  if (r.v2) {
    if (l.has_parent) r.flags |= ls::FLAG_PARENT_LEASE_KEY_SET;
    r.parent_key = l.parent_key;
    r.epoch = l.epoch;
  }
  return wire::encode_lease_response(r);
}

void break_leases_to_none(Server& server, FileObject& file, const Lease* except) {
  for (Lease* l : leases_of(file)) {
    if (l != except) break_lease(server, *l, ls::NONE);
  }
}

void detach_lease(Server& server, Open& open) {
  if (!open.lease) return;
  Lease& l = *open.lease;
  std::erase(l.opens, &open);
  open.file->lease_count--;
  if (l.opens.empty()) {
    if (l.breaking) {
      l.breaking = false;  // nobody is left to acknowledge
      wake_break_waiters(*open.file);
    }
    server.leases().release(l);
  }
}

// ---- acknowledgment ------------------------------------------------------------

rt::Task<void> lease_break_ack(Request& req, Response& resp) {
  auto q = wire::parse_lease_break_ack(req.msg);
  if (!q) {
    resp.status = q.status();
    co_return;
  }
  if (req.conn.dialect() < wire::dialect::SMB210) {
    resp.status = st::INVALID_PARAMETER;  // no leases on SMB 2.0.2
    co_return;
  }
  Server& server = req.conn.server();
  std::shared_ptr<Lease> l = server.leases().find(req.conn.client_guid(), q->key);
  if (!l) {
    resp.status = st::OBJECT_NAME_NOT_FOUND;
    co_return;
  }
  {
    std::lock_guard lk(l->file->mu);
    if (!l->breaking) {
      resp.status = st::UNSUCCESSFUL;
      co_return;
    }
    if ((q->state & ~l->break_to) != 0) {
      resp.status = st::REQUEST_NOT_ACCEPTED;
      co_return;
    }
    l->state = q->state;
    l->breaking = false;
    // Opens that came while the break was on may need more gone.
    if (uint32_t next = lease_next_break(q->state, l->break_required); next != q->state) {
      start_break(server, *l, next);
    }
    if (!l->breaking) wake_break_waiters(*l->file);
  }
  wire::encode_lease_break_response(resp.body, {q->key, q->state});
}

}  // namespace ringsmb::server
