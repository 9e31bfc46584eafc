#include "server/durable.h"

#include <algorithm>
#include <cstring>

#include "rt/worker.h"
#include "server/connection.h"
#include "server/lease.h"
#include "server/log.h"
#include "server/server.h"
#include "server/session_ops.h"
#include "wire/lease.h"
#include "wire/utf16.h"

namespace ringsmb::server {

namespace st = wire::status;

namespace {

bool named(const wire::CreateContext& c, const char* tag) {
  return c.name.size() == 4 && std::memcmp(c.name.data(), tag, 4) == 0;
}

// Whether the grant allows durability: a batch oplock or an H lease
// (3.3.5.9.6, 3.3.5.9.10).
bool may_be_durable(const Open& o, uint32_t lease_state) {
  if (o.lease) return (lease_state & wire::lease::HANDLE) != 0;
  return o.oplock == wire::oplock::BATCH;
}

std::vector<uint8_t> durable_context(const Open& o) {
  return o.durable_v2 ? wire::encode_durable_v2_response(o.durable_timeout_ms, 0)
                      : wire::encode_durable_response();
}

// The expiry of a preserved open (3.3.7.1); the worker stays up meanwhile.
rt::Task<void> expire_later(Server& server, std::shared_ptr<Open> open,
                            std::shared_ptr<rt::Signal> reclaim) {
  rt::Worker* w = rt::Worker::current();
  co_await reclaim->wait(std::chrono::milliseconds(open->durable_timeout_ms));
  if (server.durables().expire(open)) {
    log::info("durable open of {} expired", open->client_name);
    co_await release_open(server, open);
  }
  w->unhold();
}

// The state of an open for a CREATE response: oplock level and lease
// context (file->mu taken here).
void put_grant(const Open& o, wire::CreateResponse& r) {
  if (!o.lease) {
    r.oplock_level = o.oplock;
    return;
  }
  std::lock_guard lk(o.file->mu);
  r.oplock_level = wire::oplock::LEASE;
  r.contexts.emplace_back("RqLs", lease_response_context(*o.lease));
}

// Whether a reconnect names the preserved open (3.3.5.9.7, 3.3.5.9.12):
// SUCCESS, or the status to answer.
wire::NtStatus check_reconnect(const Request& req, const Open& o, const DurableAsk& ask,
                               const LeaseAsk* lease, wire::Bytes name) {
  if (ask.reconnect_v2 && !(o.durable_v2 && o.create_guid == ask.reconnect->create_guid)) {
    return st::OBJECT_NAME_NOT_FOUND;
  }
  if (req.tree->share != o.share) return st::OBJECT_NAME_NOT_FOUND;
  if (o.lease) {
    if (lease == nullptr || lease->client_guid != o.lease->client_guid ||
        lease->req.key != o.lease->key) {
      return st::OBJECT_NAME_NOT_FOUND;
    }
    // With a lease the name must match too (unlike with an oplock).
    auto n = wire::utf16le_to_utf8(name);
    if (!n || !wire::equal_ci(*n, o.client_name)) return st::INVALID_PARAMETER;
  } else if (lease != nullptr) {
    return st::OBJECT_NAME_NOT_FOUND;
  }
  if (!wire::equal_ci(req.session->user, o.owner)) return st::ACCESS_DENIED;
  return st::SUCCESS;
}

// Hands a reclaimed open to the request's session, tree and connection.
void adopt(Request& req, const std::shared_ptr<Open>& o) {
  o->session_id = req.session->id;
  o->tree_id = req.tree->id;
  o->conn = req.conn.shared_from_this();
  o->worker = rt::Worker::current();
  o->cred = req.cred;
  o->client_guid = req.conn.client_guid();
  std::lock_guard lk(req.session->mu);
  req.session->opens[o->id.volatile_] = o;
}

}  // namespace

wire::Result<DurableAsk> durable_ask_of(const std::vector<wire::CreateContext>& contexts,
                                        uint16_t dialect) {
  DurableAsk a;
  const bool smb3 = wire::is_smb3(dialect);
  for (const auto& c : contexts) {
    if (named(c, "DHnQ")) {
      if (!wire::valid_durable_v1_request(c.data)) return wire::Err{st::INVALID_PARAMETER};
      a.v1 = true;
    } else if (named(c, "DHnC")) {
      auto r = wire::parse_durable_reconnect(c.data);
      if (!r) return wire::Err{r.status()};
      if (!a.reconnect_v2) a.reconnect = *r;
    } else if (smb3 && named(c, "DH2Q")) {
      auto r = wire::parse_durable_v2_request(c.data);
      if (!r) return wire::Err{r.status()};
      a.v2 = true;
      a.v2req = *r;
    } else if (smb3 && named(c, "DH2C")) {
      auto r = wire::parse_durable_v2_reconnect(c.data);
      if (!r) return wire::Err{r.status()};
      if (a.reconnect) return wire::Err{st::INVALID_PARAMETER};
      a.reconnect = *r;
      a.reconnect_v2 = true;
    }
  }
  // 3.3.5.9: a v2 context may not come with any other durable context;
  // DHnC makes DHnQ meaningless (3.3.5.9.7).
  const bool v1_reconnect = a.reconnect && !a.reconnect_v2;
  if ((a.v2 && (a.v1 || a.reconnect)) || (a.reconnect_v2 && a.v1)) {
    return wire::Err{st::INVALID_PARAMETER};
  }
  if (v1_reconnect) a.v1 = false;
  return a;
}

uint32_t durable_v2_timeout(uint32_t requested_ms) {
  if (requested_ms == 0) return kDurableDefaultTimeoutMs;
  return std::min(requested_ms, kDurableMaxTimeoutMs);
}

// ---- table -------------------------------------------------------------------

DurableTable::Key DurableTable::key_of(const wire::Guid& client, const wire::Guid& create_guid) {
  Key k;
  std::copy(std::begin(client.b), std::end(client.b), k.begin());
  std::copy(std::begin(create_guid.b), std::end(create_guid.b), k.begin() + 16);
  return k;
}

void DurableTable::add(const std::shared_ptr<Open>& o) {
  std::lock_guard lk(mu_);
  by_create_guid_[key_of(o->client_guid, o->create_guid)] = o;
}

std::shared_ptr<Open> DurableTable::find_create_guid(const wire::Guid& client,
                                                     const wire::Guid& create_guid) {
  std::lock_guard lk(mu_);
  auto it = by_create_guid_.find(key_of(client, create_guid));
  return it == by_create_guid_.end() ? nullptr : it->second.lock();
}

void DurableTable::forget(const Open& o) {
  std::lock_guard lk(mu_);
  if (!o.create_guid.is_zero()) {
    auto it = by_create_guid_.find(key_of(o.client_guid, o.create_guid));
    if (it != by_create_guid_.end() && it->second.lock().get() == &o) by_create_guid_.erase(it);
  }
  auto p = preserved_.find(o.id.persistent);
  if (p != preserved_.end() && p->second.get() == &o) preserved_.erase(p);
}

void DurableTable::preserve(const std::shared_ptr<Open>& o) {
  std::lock_guard lk(mu_);
  o->preserved = true;
  preserved_[o->id.persistent] = o;
}

std::shared_ptr<Open> DurableTable::find_preserved(uint64_t persistent_id) {
  std::lock_guard lk(mu_);
  auto it = preserved_.find(persistent_id);
  return it == preserved_.end() ? nullptr : it->second;
}

std::shared_ptr<Open> DurableTable::reclaim(uint64_t persistent_id) {
  std::lock_guard lk(mu_);
  auto it = preserved_.find(persistent_id);
  if (it == preserved_.end()) return nullptr;
  auto o = std::move(it->second);
  preserved_.erase(it);
  o->preserved = false;
  return o;
}

bool DurableTable::expire(const std::shared_ptr<Open>& o) {
  std::lock_guard lk(mu_);
  auto it = preserved_.find(o->id.persistent);
  if (it == preserved_.end() || it->second != o) return false;
  preserved_.erase(it);
  o->preserved = false;
  return true;
}

void DurableTable::release_all() {
  std::vector<std::shared_ptr<rt::Signal>> signals;
  {
    std::lock_guard lk(mu_);
    for (auto& [id, o] : preserved_) signals.push_back(o->reclaim);
  }
  // The expiry tasks wake early and, finding the opens still preserved,
  // close them.
  for (auto& s : signals) s->fire();
}

// ---- operations ----------------------------------------------------------------

void preserve_open(Server& server, std::shared_ptr<Open> open) {
  open->reclaim = rt::Signal::make();
  server.durables().preserve(open);
  rt::Worker::current()->hold();
  auto reclaim = open->reclaim;
  rt::spawn(expire_later(server, std::move(open), std::move(reclaim)));
}

std::optional<std::pair<std::string, std::vector<uint8_t>>> grant_durable(
    Server& server, const std::shared_ptr<Open>& open, const DurableAsk& ask, uint32_t lease_state) {
  if (ask.v2 && !ask.v2req.create_guid.is_zero()) {
    open->create_guid = ask.v2req.create_guid;  // 3.3.5.9.10: even when not durable
    server.durables().add(open);
  }
  if (!(ask.v1 || ask.v2) || open->is_dir || !may_be_durable(*open, lease_state)) {
    return std::nullopt;
  }
  open->durable = true;
  open->durable_v2 = ask.v2;
  open->durable_timeout_ms = ask.v2 ? durable_v2_timeout(ask.v2req.timeout_ms)
                                    : kDurableDefaultTimeoutMs;
  return std::pair{std::string(ask.v2 ? "DH2Q" : "DHnQ"), durable_context(*open)};
}

rt::Task<void> reconnect_durable(Request& req, Response& resp, const DurableAsk& ask,
                                 const LeaseAsk* lease, wire::Bytes name) {
  Server& server = req.conn.server();
  const uint64_t id = ask.reconnect->file_id.persistent;
  auto o = server.durables().find_preserved(id);
  if (!o) {
    resp.status = st::OBJECT_NAME_NOT_FOUND;
    co_return;
  }
  if (wire::NtStatus s = check_reconnect(req, *o, ask, lease, name); s != st::SUCCESS) {
    resp.status = s;  // not this client's: it stays for its owner
    co_return;
  }
  if (server.durables().reclaim(id) != o) {
    resp.status = st::OBJECT_NAME_NOT_FOUND;  // expired or taken meanwhile
    co_return;
  }
  adopt(req, o);
  o->reclaim->fire();  // the expiry task ends
  wire::FileInfo fi;
  if (int rc = co_await query_open_info(*o, &fi); rc < 0) {
    resp.status = st::OBJECT_NAME_NOT_FOUND;
    co_await close_open(server, *req.session, o);
    co_return;
  }
  wire::CreateResponse r;
  r.create_action = wire::createaction::OPENED;
  r.info = {fi.creation_time, fi.last_access_time, fi.last_write_time, fi.change_time,
            fi.allocation_size, fi.end_of_file,   fi.attributes};
  r.file_id = o->id;
  put_grant(*o, r);
  wire::encode_create_response(resp.body, r);
  resp.file_id = o->id;
}

bool replay_create(Request& req, Response& resp, const wire::CreateRequest& q,
                   const DurableAsk& ask, const LeaseAsk* lease) {
  if (!(req.hdr.flags & wire::flags::REPLAY_OPERATION) || !ask.v2 ||
      ask.v2req.create_guid.is_zero()) {
    return false;
  }
  auto o = req.conn.server().durables().find_create_guid(req.conn.client_guid(),
                                                         ask.v2req.create_guid);
  if (!o || o->preserved || o->closed) return false;
  // The replay must ask for the same kind of caching as the original.
  if ((o->lease != nullptr) != (lease != nullptr) ||
      (lease != nullptr && lease->req.key != o->lease->key)) {
    resp.status = st::ACCESS_DENIED;
    return true;
  }
  wire::CreateResponse r = o->reply;
  put_grant(*o, r);
  // An oplock replay answers with the level it asks for, if held, and the
  // durability that level allows (smbtorture smb2.replay.replay-dhv2-oplock2).
  if (!o->lease) r.oplock_level = std::min(r.oplock_level, q.oplock_level);
  const bool durable = o->durable && (o->lease || r.oplock_level == wire::oplock::BATCH);
  if (durable) r.contexts.emplace_back(o->durable_v2 ? "DH2Q" : "DHnQ", durable_context(*o));
  wire::encode_create_response(resp.body, r);
  resp.file_id = o->id;
  return true;
}

}  // namespace ringsmb::server
