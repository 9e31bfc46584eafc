// ECHO, CANCEL, LOCK, CHANGE_NOTIFY and OPLOCK_BREAK
// (MS-SMB2 3.3.5.14, 3.3.5.16, 3.3.5.17, 3.3.5.19, 3.3.5.22).
#include "server/handlers.h"
#include "server/dispatch.h"
#include "server/lease.h"
#include "server/notify.h"
#include "server/oplock.h"
#include "server/server.h"
#include "server/session_ops.h"

namespace ringsmb::server::handlers {

namespace st = wire::status;

rt::Task<void> echo(Request&, Response& resp) {
  wire::encode_empty_response(resp.body, 4);
  co_return;
}

// CANCEL (3.3.5.16): wakes the pending request it names, by AsyncId when
// the ASYNC flag is set, else by MessageId. It never gets a response.
rt::Task<void> cancel(Request& req, Response& resp) {
  resp.send = false;
  req.conn.cancel(req.hdr.message_id, req.hdr.async_id, req.hdr.is_async());
  co_return;
}

// Byte-range locks are not implemented yet: refuse rather than pretend.
rt::Task<void> lock(Request& req, Response& resp) {
  auto q = wire::parse_lock(req.msg);
  if (!q) {
    resp.status = q.status();
    co_return;
  }
  if (!find_open(req, q->file_id)) {
    resp.status = st::FILE_CLOSED;
    co_return;
  }
  resp.status = st::NOT_SUPPORTED;
}

namespace {
// Hands the collected events to resp (or STATUS_NOTIFY_ENUM_DIR when they
// do not fit or were lost); ns.mu held.
void take_events(NotifyState& ns, uint32_t max_len, Response& resp) {
  bool fits = false;
  std::vector<uint8_t> out;
  if (!ns.overflow) out = encode_notify(ns.pending, max_len, &fits);
  ns.pending.clear();
  ns.overflow = false;
  if (!fits) {
    resp.status = st::NOTIFY_ENUM_DIR;
    return;
  }
  wire::encode_buffer_response(resp.body, out);
}
}  // namespace

// CHANGE_NOTIFY (3.3.5.19): answered at once when changes are waiting,
// otherwise asynchronously when they come, on CANCEL (STATUS_CANCELLED) or
// when the handle closes (STATUS_NOTIFY_CLEANUP).
rt::Task<void> change_notify(Request& req, Response& resp) {
  auto q = wire::parse_change_notify(req.msg);
  if (!q) {
    resp.status = q.status();
    co_return;
  }
  auto open = find_open(req, q->file_id);
  if (!open) {
    resp.status = st::FILE_CLOSED;
    co_return;
  }
  resp.file_id = open->id;
  if (!open->is_dir) {
    resp.status = st::INVALID_PARAMETER;
    co_return;
  }
  if (!(open->granted_access & wire::access::FILE_LIST_DIRECTORY)) {
    resp.status = st::ACCESS_DENIED;
    co_return;
  }
  if (q->output_length > req.conn.max_io()) {
    resp.status = st::INVALID_PARAMETER;
    co_return;
  }
  if (int rc = notify_watch(open, q->completion_filter); rc < 0) {
    resp.status = st::NOT_SUPPORTED;
    co_return;
  }
  const unsigned max_async = req.conn.server().config().limits.async_requests;
  if (max_async != 0 && req.conn.async_pending() >= max_async) {
    // Requests waiting asynchronously keep a slot of the connection each:
    // beyond the limit the new one is refused, the others wait on.
    resp.status = st::INSUFFICIENT_RESOURCES;
    co_return;
  }
  // MS-SMB2 3.3.5.2.7: a request that must wait, in a compound it does not
  // end, may be failed; Windows answers STATUS_INTERNAL_ERROR (smbtorture
  // smb2.compound.interim2) and so does ringsmbd, unless events wait.
  const bool can_wait = req.async_id != 0 || (req.chain_state != nullptr && req.last_in_chain);
  NotifyState& ns = open->notify;
  auto waiter = std::make_shared<Waiter>();
  bool closed;
  {
    std::lock_guard lk(ns.mu);
    if (ns.overflow || !ns.pending.empty()) {
      take_events(ns, q->output_length, resp);
      co_return;
    }
    if (!can_wait) {
      resp.status = st::INTERNAL_ERROR;
      co_return;
    }
    // A CLOSE on another channel may have run since find_open: close_open
    // marks the open closed before it takes ns.mu to wake the waiter, so a
    // waiter set after that would never be woken.
    closed = open->closed.load();
    if (!closed) {
      if (ns.waiter) ns.waiter->wake(Waiter::Cancelled);  // one pending request per handle
      ns.waiter = waiter;
    }
  }
  if (closed) {
    notify_unwatch(*open);  // the watch notify_watch made for a closed handle
    resp.status = st::NOTIFY_CLEANUP;
    co_return;
  }
  go_async(req);
  req.conn.add_cancelable(req.hdr.message_id, req.async_id, waiter);
  co_await waiter->signal->wait(std::chrono::hours(24 * 365));
  req.conn.remove_cancelable(req.hdr.message_id, req.async_id);
  std::lock_guard lk(ns.mu);
  if (ns.waiter == waiter) ns.waiter.reset();
  switch (waiter->reason.load()) {
    case Waiter::Event:
      take_events(ns, q->output_length, resp);
      break;
    case Waiter::Cancelled:
      resp.status = st::CANCELLED;
      break;
    case Waiter::DeletePending:
      resp.status = st::DELETE_PENDING;
      break;
    default:
      resp.status = st::NOTIFY_CLEANUP;
      break;
  }
}

// OPLOCK_BREAK acknowledgment (3.3.5.22.1), or a lease break
// acknowledgment (3.3.5.22.2) when the StructureSize is 36.
rt::Task<void> oplock_break(Request& req, Response& resp) {
  if (wire::ld16(req.msg.data() + wire::kHeaderSize) == wire::lease::kAckSize) {
    co_await lease_break_ack(req, resp);  // 3.3.5.22.2
    co_return;
  }
  auto q = wire::parse_oplock_break_ack(req.msg);
  if (!q) {
    resp.status = q.status();
    co_return;
  }
  auto open = find_open(req, q->file_id);
  if (!open) {
    resp.status = st::FILE_CLOSED;
    co_return;
  }
  uint8_t granted;
  {
    std::lock_guard lk(open->file->mu);
    if (!open->oplock_breaking) {
      resp.status = st::INVALID_DEVICE_STATE;
      co_return;
    }
    const uint8_t level = q->oplock_level;
    if (open->oplock == wire::oplock::LEVEL_II) open->file->level2_count--;
    open->oplock_breaking = false;
    if (level == wire::oplock::LEASE ||
        (level != wire::oplock::NONE && level != wire::oplock::LEVEL_II) ||
        level > open->oplock_break_to) {
      open->oplock = wire::oplock::NONE;
      wake_break_waiters(*open->file);
      resp.status = level == wire::oplock::LEASE ? st::INVALID_PARAMETER
                                                 : st::INVALID_OPLOCK_PROTOCOL;
      co_return;
    }
    open->oplock = level;
    if (level == wire::oplock::LEVEL_II) open->file->level2_count++;
    granted = level;
    wake_break_waiters(*open->file);
  }
  resp.body.zeros(24);
  wire::st16(resp.body.data(), 24);
  resp.body.data()[2] = granted;
  wire::st_file_id(resp.body.data() + 8, open->id);
}

}  // namespace ringsmb::server::handlers
