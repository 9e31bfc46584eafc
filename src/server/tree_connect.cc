// TREE_CONNECT and TREE_DISCONNECT (MS-SMB2 3.3.5.7, 3.3.5.8).
#include <grp.h>
#include <unistd.h>

#include "server/handlers.h"
#include "server/log.h"
#include "server/server.h"
#include "server/session_ops.h"
#include "wire/utf16.h"

namespace ringsmb::server::handlers {

namespace st = wire::status;

namespace {

// Is the session's user in a list of names and @groups (smb.conf syntax)?
bool in_list(const Session& s, const std::vector<std::string>& list) {
  for (const auto& item : list) {
    if (item.empty()) continue;
    if (item[0] == '@' || item[0] == '+') {
      // A Unix group: the session's primary or supplementary group.
      std::string name = item.substr(1);
      long bufsz = sysconf(_SC_GETGR_R_SIZE_MAX);
      std::vector<char> buf(static_cast<size_t>(bufsz > 0 ? bufsz : 16384));
      group gr{};
      group* res = nullptr;
      if (getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &res) != 0 || res == nullptr) {
        continue;
      }
      if (gr.gr_gid == s.gid) return true;
      for (gid_t g : s.groups)
        if (g == gr.gr_gid) return true;
    } else if (wire::equal_ci(item, s.user)) {
      return true;
    }
  }
  return false;
}

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
  // MS-SMB2 3.3.5.7: in 3.1.1 an authenticated user's TREE_CONNECT must
  // be signed or encrypted, or the connection is dropped (the reply's
  // ENCRYPT_DATA flag must not be strippable).
  if (req.conn.dialect() == wire::dialect::SMB311 && !req.session->guest &&
      !req.session->anonymous && !req.signed_by && !req.encrypted_by) {
    log::info("{}: unsigned 3.1.1 TREE_CONNECT from {}, disconnecting", req.conn.peer(),
              req.session->user);
    resp.disconnect = true;
    resp.send = false;
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
  const ShareConfig& sc = share->cfg;
  bool read_only = share->is_ipc || sc.read_only;
  if (!share->is_ipc) {
    if ((s.guest || s.anonymous) && !sc.guest_ok) {
      resp.status = st::ACCESS_DENIED;
      co_return;
    }
    // valid users / invalid users apply to named users; guests are
    // governed by guest ok alone.
    if (!s.guest && !s.anonymous) {
      if (in_list(s, sc.invalid_users) || (!sc.valid_users.empty() && !in_list(s, sc.valid_users))) {
        log::info("{}: {} is not a valid user of [{}]", req.conn.peer(), s.user, sc.name);
        resp.status = st::ACCESS_DENIED;
        co_return;
      }
      if (read_only && in_list(s, sc.write_list)) read_only = false;
      if (!read_only && in_list(s, sc.read_list)) read_only = true;
    }
  }
  // smb encrypt (per share, else global): required shares refuse sessions
  // that cannot encrypt (3.3.5.7).
  const Config& cfg = req.conn.server().config();
  const Encrypt enc = share->is_ipc ? cfg.encrypt : sc.encrypt.value_or(cfg.encrypt);
  bool encrypt_share = false;
  if (!share->is_ipc && (enc == Encrypt::Required || enc == Encrypt::Desired)) {
    bool can = s.keys.valid() && s.keys.cipher != 0;
    if (enc == Encrypt::Required && !can) {
      log::info("{}: [{}] requires encryption, the session cannot encrypt", req.conn.peer(), sc.name);
      resp.status = st::ACCESS_DENIED;
      co_return;
    }
    encrypt_share = can;
  }
  auto t = std::make_shared<TreeConnect>();
  t->share = share;
  t->read_only = read_only;
  t->encrypt_required = encrypt_share;
  t->maximal_access = t->read_only ? kReadOnlyAccess : kFullAccess;
  {
    std::lock_guard lk(s.mu);
    const unsigned max_trees = req.conn.server().config().limits.trees_per_session;
    if (max_trees != 0 && s.trees.size() >= max_trees) {
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
  if (encrypt_share) r.share_flags |= wire::shareflag::ENCRYPT_DATA;
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
