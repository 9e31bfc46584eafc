// TREE_CONNECT and TREE_DISCONNECT (MS-SMB2 3.3.5.7, 3.3.5.8).
#include "server/handlers.h"
#include "server/log.h"
#include "server/server.h"
#include "server/session_ops.h"
#include "wire/utf16.h"

namespace ringsmb::server::handlers {

namespace st = wire::status;

namespace {
// FILE_GENERIC_READ | FILE_GENERIC_EXECUTE, and everything.
constexpr uint32_t kReadOnlyAccess = 0x001200A9;
constexpr uint32_t kFullAccess = 0x001F01FF;
constexpr uint16_t kTreeConnectFlagExtensionPresent = 0x0004;
}  // namespace

rt::Task<void> tree_connect(Request& req, Response& resp) {
  auto q = wire::parse_tree_connect(req.msg);
  if (!q) {
    resp.status = q.status();
    co_return;
  }
  if (req.conn.dialect() == wire::dialect::SMB311 && (q->flags & kTreeConnectFlagExtensionPresent)) {
    resp.status = st::NOT_SUPPORTED;  // remoted identity extension
    co_return;
  }
  auto path = wire::utf16le_to_utf8(q->path);
  if (!path) {
    resp.status = st::BAD_NETWORK_NAME;
    co_return;
  }
  // "\\server\share": the share is what follows the last backslash.
  std::string_view p = *path;
  if (!p.starts_with("\\\\")) {
    resp.status = st::BAD_NETWORK_NAME;
    co_return;
  }
  size_t slash = p.find('\\', 2);
  if (slash == std::string_view::npos || slash + 1 >= p.size()) {
    resp.status = st::BAD_NETWORK_NAME;
    co_return;
  }
  std::string_view name = p.substr(slash + 1);
  auto share = req.conn.server().share(name);
  if (!share || (!share->is_ipc && !share->cfg.available)) {
    log::debug("{}: tree connect to unknown share '{}'", req.conn.peer(), name);
    resp.status = st::BAD_NETWORK_NAME;
    co_return;
  }
  Session& s = *req.session;
  if (!share->is_ipc && (s.guest || s.anonymous) && !share->cfg.guest_ok) {
    resp.status = st::ACCESS_DENIED;
    co_return;
  }
  auto t = std::make_shared<TreeConnect>();
  t->share = share;
  t->read_only = share->is_ipc || share->cfg.read_only;
  t->maximal_access = t->read_only ? kReadOnlyAccess : kFullAccess;
  {
    std::lock_guard lk(s.mu);
    if (s.trees.size() >= 4096) {
      resp.status = st::INSUFFICIENT_RESOURCES;
      co_return;
    }
    do {
      t->id = s.next_tree_id++;
    } while (t->id == 0 || t->id == 0xFFFFFFFF || s.trees.count(t->id) != 0);
    s.trees[t->id] = t;
  }
  wire::TreeConnectResponse r;
  r.share_type = share->is_ipc ? wire::SHARE_TYPE_PIPE : wire::SHARE_TYPE_DISK;
  r.share_flags = wire::shareflag::MANUAL_CACHING;
  r.capabilities = 0;
  r.maximal_access = t->maximal_access;
  wire::encode_tree_connect_response(resp.body, r);
  resp.tree_id = t->id;
  log::debug("{}: tree 0x{:x} -> [{}]", req.conn.peer(), t->id, share->cfg.name);
}

rt::Task<void> tree_disconnect(Request& req, Response& resp) {
  co_await close_tree(req.conn.server(), *req.session, req.tree->id);
  wire::encode_empty_response(resp.body, 4);
}

}  // namespace ringsmb::server::handlers
