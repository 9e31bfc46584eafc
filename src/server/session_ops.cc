#include "server/session_ops.h"

#include "fs/streams.h"
#include "rt/worker.h"
#include "server/durable.h"
#include "server/lease.h"
#include "server/log.h"
#include "server/oplock.h"
#include "server/server.h"

namespace ringsmb::server {

std::shared_ptr<Open> find_open(Request& req, wire::FileId id) {
  id = req.resolve_file_id(id);
  if (!req.session) return nullptr;
  std::lock_guard lk(req.session->mu);
  auto it = req.session->opens.find(id.volatile_);
  if (it == req.session->opens.end()) return nullptr;
  const auto& o = it->second;
  if (o->id.persistent != id.persistent) return nullptr;
  if (req.tree && o->tree_id != req.tree->id) return nullptr;
  return o;
}

rt::Task<int> query_open_info(Open& open, wire::FileInfo* out) {
  fs::Share& fsh = *open.share->fs;
  struct statx stx {};
  int rc = co_await fsh.stat_fd(open.fd, &stx);
  if (rc < 0) co_return rc;
  fs::DosMeta dos = co_await fsh.read_dos(open.fd);
  *out = fsh.file_info(stx, dos, "");
  if (!open.stream.empty()) {
    std::vector<uint8_t> data;
    rc = fs::read_stream(open.fd, open.stream, &data);
    if (rc < 0) co_return rc;
    out->end_of_file = data.size();
    out->allocation_size = (data.size() + 7) & ~uint64_t{7};
    out->directory = false;
    out->attributes &= ~wire::attr::DIRECTORY;
    if (out->attributes == 0) out->attributes = wire::attr::NORMAL;
  }
  if (open.file) {
    std::lock_guard lk(open.file->mu);
    out->delete_pending = open.file->delete_pending;
  }
  co_return 0;
}

rt::Task<bool> close_open(Server& server, Session& session, std::shared_ptr<Open> open) {
  {
    std::lock_guard lk(session.mu);
    session.opens.erase(open->id.volatile_);
  }
  const bool released = co_await release_open(server, open);
  co_return released;
}

rt::Task<bool> release_open(Server& server, std::shared_ptr<Open> open) {
  if (open->closed.exchange(true)) co_return false;
  if (open->is_dir) notify_unwatch(*open);
  server.durables().forget(*open);
  bool delete_now = false;
  if (open->file) {
    std::lock_guard lk(open->file->mu);
    auto& v = open->file->opens;
    std::erase(v, open.get());
    // MS-FSA 2.1.5.4: an open created with DELETE_ON_CLOSE marks the file
    // delete-pending when it is closed; the last close deletes it.
    if (open->delete_on_close && !open->file->delete_pending) {
      open->file->delete_pending = true;
      if (open->is_dir) notify_delete_pending(*open->file);
    }
    delete_now = v.empty() && open->file->delete_pending;
    detach_lease(server, *open);
    // A holder that closes ends its oplock, and any break in progress.
    if (open->oplock == wire::oplock::LEVEL_II) open->file->level2_count--;
    if (open->oplock != wire::oplock::NONE || open->oplock_breaking) {
      open->oplock = wire::oplock::NONE;
      open->oplock_breaking = false;
      wake_break_waiters(*open->file);
    }
  }
  if (delete_now && !open->stream.empty()) {
    int rc;
    {
      rt::AsUser as(open->cred.get());
      rc = fs::remove_stream(open->fd, open->stream);
    }
    if (rc < 0 && rc != -ENOENT) log::info("delete on close of stream {}:{}: {}", open->client_name,
                                           open->stream, std::strerror(-rc));
  } else if (delete_now && open->share && open->share->fs) {
    std::string rel;
    int rc = open->share->fs->path_of_fd(open->fd, &rel);
    if (rc == 0 && !rel.empty()) {
      rc = co_await open->share->fs->unlink(rel, open->is_dir, open->cred);
    }
    if (rc < 0) log::info("delete on close of {}: {}", open->client_name, std::strerror(-rc));
  }
  if (open->file) server.files().release(open->file);
  co_return true;
}

rt::Task<wire::NtStatus> settle_new_open(Server& server, Session& session,
                                         const TreeConnect& tree, wire::FileId id) {
  std::shared_ptr<Open> orphan;
  wire::NtStatus status = wire::status::SUCCESS;
  {
    // end_session marks the session Expired and close_tree forgets the
    // tree under this lock, each collecting the opens it closes in the
    // same breath: an open added before that is theirs to close, one
    // added after it sees their mark here.
    std::lock_guard lk(session.mu);
    if (session.state != SessionState::Valid) {
      status = wire::status::USER_SESSION_DELETED;
    } else if (auto t = session.trees.find(tree.id);
               t == session.trees.end() || t->second.get() != &tree) {
      status = wire::status::NETWORK_NAME_DELETED;
    }
    if (status != wire::status::SUCCESS) {
      auto it = session.opens.find(id.volatile_);
      if (it != session.opens.end()) orphan = it->second;
    }
  }
  if (orphan) co_await close_open(server, session, orphan);
  co_return status;
}

rt::Task<bool> close_tree(Server& server, Session& session, uint32_t tree_id) {
  std::vector<std::shared_ptr<Open>> victims;
  bool found;
  {
    std::lock_guard lk(session.mu);
    found = session.trees.erase(tree_id) != 0;
    for (auto& [id, o] : session.opens)
      if (o->tree_id == tree_id) victims.push_back(o);
  }
  for (auto& o : victims) co_await close_open(server, session, o);
  co_return found;
}

rt::Task<bool> end_session(Server& server, std::shared_ptr<Session> session,
                           bool keep_durable) {
  std::vector<std::shared_ptr<Open>> victims;
  std::vector<Channel> channels;
  bool ended_here;
  {
    std::lock_guard lk(session->mu);
    ended_here = session->state != SessionState::Expired;
    if (!ended_here && session->opens.empty()) co_return false;
    session->state = SessionState::Expired;
    for (auto& [id, o] : session->opens) victims.push_back(o);
    if (ended_here) channels = session->channels;
  }
  server.sessions().remove(session->id);
  // Every channel's connection forgets the session, on its own worker
  // (Connection::sessions_ is that worker's alone): otherwise a LOGOFF on
  // one channel would leave the others holding the ended Session (its
  // memory, and a place in their session count) until they close.
  for (const Channel& ch : channels) {
    if (ch.worker == nullptr) continue;
    ch.worker->post([conn = ch.conn_ref, id = session->id] {
      if (auto c = conn.lock()) c->remove_session(id);
    });
  }
  keep_durable = keep_durable && !server.stopping();
  for (auto& o : victims) {
    if (keep_durable && o->durable) {
      {
        std::lock_guard lk(session->mu);
        session->opens.erase(o->id.volatile_);
      }
      preserve_open(server, o);  // 3.3.7.1: kept for a reconnect
    } else {
      co_await close_open(server, *session, o);
    }
  }
  std::lock_guard lk(session->mu);
  session->trees.clear();
  co_return ended_here;
}

rt::Task<void> destroy_session(Server& server, std::shared_ptr<Session> session,
                               bool keep_durable) {
  co_await end_session(server, std::move(session), keep_durable);
}

}  // namespace ringsmb::server
