// ECHO, CANCEL, LOCK, CHANGE_NOTIFY and OPLOCK_BREAK
// (MS-SMB2 3.3.5.14, 3.3.5.16, 3.3.5.17, 3.3.5.19, 3.3.5.22).
#include "server/handlers.h"
#include "server/session_ops.h"

namespace ringsmb::server::handlers {

namespace st = wire::status;

rt::Task<void> echo(Request&, Response& resp) {
  wire::encode_empty_response(resp.body, 4);
  co_return;
}

// Nothing this server does yet goes asynchronous (no blocking locks, no
// change notification), so there is never anything to cancel; a CANCEL
// gets no response in any case (3.3.5.16).
rt::Task<void> cancel(Request&, Response& resp) {
  resp.send = false;
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
  resp.status = open->is_dir ? st::NOT_SUPPORTED : st::INVALID_PARAMETER;
}

// No oplocks or leases are granted, so no break can be acknowledged.
rt::Task<void> oplock_break(Request& req, Response& resp) {
  if (req.msg.size() >= wire::kHeaderSize + 24 && wire::ld16(req.msg.data() + 64) == 24) {
    auto q = wire::parse_oplock_break_ack(req.msg);
    if (q && !find_open(req, q->file_id)) {
      resp.status = st::FILE_CLOSED;
      co_return;
    }
  }
  resp.status = st::INVALID_OPLOCK_PROTOCOL;
  co_return;
}

}  // namespace ringsmb::server::handlers
