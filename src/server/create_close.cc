// CREATE and CLOSE (MS-SMB2 3.3.5.9, 3.3.5.10; MS-FSA 2.1.5.1).
#include <fcntl.h>
#include <unistd.h>

#include <cstring>

#include "rt/ops.h"
#include "server/access.h"
#include "server/durable.h"
#include "server/eas.h"
#include "server/lease.h"
#include "server/oplock.h"
#include "rt/worker.h"
#include "fs/dir.h"
#include "fs/streams.h"
#include "server/fs_status.h"
#include "server/handlers.h"
#include "server/log.h"
#include "server/server.h"
#include "server/session_ops.h"
#include "wire/fscc.h"
#include "wire/lease.h"
#include "wire/utf16.h"

namespace ringsmb::server::handlers {

namespace st = wire::status;
namespace opt = wire::createopt;
namespace disp = wire::disposition;

namespace {

// Options a server may reject as unsupported (MS-SMB2 3.3.5.9).
constexpr uint32_t kUnsupportedOptions = opt::OPEN_BY_FILE_ID | opt::RESERVE_OPFILTER;
constexpr uint32_t kValidAttributes = 0x00007FB7;  // MS-FSCC 2.6, what a client may pass

bool context_named(const wire::CreateContext& c, const char* tag) {
  return c.name.size() == 4 && std::memcmp(c.name.data(), tag, 4) == 0;
}

// The lease a CREATE asks for, when it counts (MS-SMB2 3.3.5.9.8,
// 3.3.5.9.11): SMB 2.1 and later, RequestedOplockLevel LEASE (a durable
// reconnect ignores the level: 3.3.5.9.7), a well-formed context; version
// 2 only on SMB 3.x.
std::optional<LeaseAsk> lease_ask_of(const Request& req, const wire::CreateRequest& q,
                                     wire::Bytes data, bool reconnect) {
  const uint16_t d = req.conn.dialect();
  if (d < wire::dialect::SMB210 || d == wire::dialect::WILDCARD) return std::nullopt;
  if (q.oplock_level != wire::oplock::LEASE && !reconnect) return std::nullopt;
  auto r = wire::parse_lease_request(data);
  if (!r || (r->v2 && !wire::is_smb3(d))) return std::nullopt;
  return LeaseAsk{*r, req.conn.client_guid()};
}

}  // namespace

// max open files (Limits::open_files_per_session), checked before anything
// is touched on disk.
static bool too_many_opens(Request& req) {
  const unsigned max_opens = req.conn.server().config().limits.open_files_per_session;
  if (max_opens == 0) return false;
  std::lock_guard lk(req.session->mu);
  return req.session->opens.size() >= max_opens;
}

rt::Task<void> create(Request& req, Response& resp) {
  Server& server = req.conn.server();
  auto q = wire::parse_create(req.msg);
  if (!q) {
    resp.status = q.status();
    co_return;
  }
  const TreeConnect& tree = *req.tree;
  if (tree.share->is_ipc) {
    // No named pipes (srvsvc, ...) yet.
    resp.status = st::OBJECT_NAME_NOT_FOUND;
    co_return;
  }
  fs::Share& fsh = *tree.share->fs;
  if (too_many_opens(req)) {
    resp.status = st::TOO_MANY_OPENED_FILES;
    co_return;
  }

  // --- durable handles and replays (3.3.5.9.7, 3.3.5.9.10, 3.3.5.9.12):
  // a reconnect ignores the other fields, so it comes first.
  auto durable_ask = durable_ask_of(q->contexts, req.conn.dialect());
  if (!durable_ask) {
    resp.status = durable_ask.status();
    co_return;
  }
  std::optional<LeaseAsk> lease_ask;
  for (const auto& c : q->contexts) {
    if (context_named(c, "RqLs")) {
      lease_ask = lease_ask_of(req, *q, c.data, durable_ask->reconnect.has_value());
    }
  }
  if (durable_ask->reconnect) {
    co_await reconnect_durable(req, resp, *durable_ask, lease_ask ? &*lease_ask : nullptr, q->name);
    co_return;
  }
  if (replay_create(req, resp, *q, *durable_ask, lease_ask ? &*lease_ask : nullptr)) co_return;

  // --- parameter checks (3.3.5.9) ---------------------------------------
  if (q->impersonation_level > wire::IMPERSONATION_DELEGATE) {
    resp.status = st::BAD_IMPERSONATION_LEVEL;
    co_return;
  }
  if ((q->options & opt::DIRECTORY_FILE) && (q->options & opt::NON_DIRECTORY_FILE)) {
    resp.status = st::INVALID_PARAMETER;
    co_return;
  }
  if (q->options & kUnsupportedOptions) {
    resp.status = st::NOT_SUPPORTED;
    co_return;
  }
  if (q->options & 0xFF000000u) {
    resp.status = st::INVALID_PARAMETER;
    co_return;
  }
  if (q->disposition > disp::OVERWRITE_IF) {
    resp.status = st::INVALID_PARAMETER;
    co_return;
  }
  if ((q->desired_access & ~wire::access::VALID_MASK) != 0) {
    resp.status = st::ACCESS_DENIED;
    co_return;
  }
  if ((q->file_attributes & ~kValidAttributes) != 0) {
    resp.status = st::INVALID_PARAMETER;
    co_return;
  }
  if (q->desired_access == 0 && q->share_access == 0) {
    // MS-FSA 2.1.5.1: no access at all asked for is invalid.
    resp.status = st::ACCESS_DENIED;
    co_return;
  }
  const bool dir_option = (q->options & opt::DIRECTORY_FILE) != 0;
  if (dir_option && q->disposition != disp::CREATE && q->disposition != disp::OPEN &&
      q->disposition != disp::OPEN_IF) {
    resp.status = st::INVALID_PARAMETER;
    co_return;
  }

  // --- name ----------------------------------------------------------------
  auto utf8 = wire::utf16le_to_utf8(q->name);
  if (!utf8) {
    resp.status = st::OBJECT_NAME_INVALID;
    co_return;
  }
  if (!utf8->empty() && (*utf8)[0] == '\\') {
    resp.status = st::INVALID_PARAMETER;  // names are relative to the share
    co_return;
  }
  fs::ClientPath cp;
  if (auto e = fs::map_client_path(*utf8, &cp); e != fs::NameError::None) {
    resp.status = status_from_name_error(e);
    co_return;
  }
  // MS-FSA 2.1.5.1: "name::$INDEX_ALLOCATION" names a directory (and may
  // create one); "name::$DATA" the unnamed data stream, which directories
  // have not.
  const bool want_dir = dir_option || cp.index;
  const bool want_file = (q->options & opt::NON_DIRECTORY_FILE) != 0 || cp.unnamed_data;
  if (cp.index && q->disposition != disp::CREATE && q->disposition != disp::OPEN &&
      q->disposition != disp::OPEN_IF) {
    resp.status = st::INVALID_PARAMETER;
    co_return;
  }
  if (cp.unnamed_data && dir_option) {
    resp.status = st::NOT_A_DIRECTORY;
    co_return;
  }

  // --- create contexts -----------------------------------------------------
  bool want_mxac = false, want_qfid = false;
  wire::Bytes ea_list;
  for (const auto& c : q->contexts) {
    if (context_named(c, "MxAc")) want_mxac = true;
    if (context_named(c, "QFid")) want_qfid = true;
    if (context_named(c, "ExtA")) {
      if (!fsh.xattrs()) {
        resp.status = st::EAS_NOT_SUPPORTED;
        co_return;
      }
      if (!wire::parse_full_ea_list(c.data)) {
        resp.status = st::EA_LIST_INCONSISTENT;
        co_return;
      }
      ea_list = c.data;
    }
  }

  // --- access --------------------------------------------------------------
  uint32_t granted = map_generic_access(q->desired_access);
  const bool delete_asked = (granted & wire::access::DELETE) != 0 ||
                            (q->options & opt::DELETE_ON_CLOSE) != 0;
  if (granted & wire::access::MAXIMUM_ALLOWED) {
    granted = (granted & ~wire::access::MAXIMUM_ALLOWED) | tree.maximal_access;
  }
  granted &= ~wire::access::ACCESS_SYSTEM_SECURITY;
  if (tree.read_only) {
    if ((granted & kWriteAccessMask) != 0 || q->disposition == disp::CREATE ||
        q->disposition == disp::SUPERSEDE || q->disposition == disp::OVERWRITE ||
        q->disposition == disp::OVERWRITE_IF || (q->options & opt::DELETE_ON_CLOSE)) {
      resp.status = st::ACCESS_DENIED;
      co_return;
    }
  }
  if ((q->options & opt::DELETE_ON_CLOSE) && !(granted & wire::access::DELETE)) {
    resp.status = st::ACCESS_DENIED;
    co_return;
  }
  if (cp.rel.empty() && (q->options & opt::DELETE_ON_CLOSE)) {
    resp.status = st::CANNOT_DELETE;  // the share root
    co_return;
  }
  const bool data_write = (granted & (wire::access::FILE_WRITE_DATA |
                                      wire::access::FILE_APPEND_DATA)) != 0;
  const bool truncates = q->disposition == disp::OVERWRITE ||
                         q->disposition == disp::OVERWRITE_IF ||
                         q->disposition == disp::SUPERSEDE;
  // A named stream lives in the base file's xattrs: the base is opened (or
  // created) read-only, the stream's own disposition is applied after.
  const bool is_stream = !cp.stream.empty();
  if (is_stream && want_dir) {
    resp.status = st::NOT_A_DIRECTORY;
    co_return;
  }
  if (is_stream && !fsh.xattrs()) {
    resp.status = st::OBJECT_NAME_NOT_FOUND;  // no streams on this file system
    co_return;
  }
  int flags = (!is_stream && (data_write || truncates)) ? O_RDWR : O_RDONLY;
  uint32_t base_disp = q->disposition;
  if (is_stream) {
    base_disp = (q->disposition == disp::OPEN || q->disposition == disp::OVERWRITE) ? disp::OPEN
                                                                                    : disp::OPEN_IF;
  }

  // --- open or create ------------------------------------------------------
  fs::OpenOutcome o;
  uint32_t action = wire::createaction::OPENED;
  bool created = false;
  auto create_new = [&](const std::string& real) -> rt::Task<fs::OpenOutcome> {
    if (want_dir) co_return co_await fsh.create_dir(real, 0777, req.cred);
    co_return co_await fsh.create_file(real, O_RDWR, 0666, req.cred);
  };
  if (base_disp == disp::CREATE) {
    fs::Lookup l = co_await fsh.lookup(cp.rel, req.cred);
    if (l.err == 0) {
      resp.status = st::OBJECT_NAME_COLLISION;
      co_return;
    }
    if (l.err != ENOENT || l.parent_missing) {
      resp.status = status_from_errno(l.err, l.parent_missing ? st::OBJECT_PATH_NOT_FOUND
                                                               : st::OBJECT_NAME_NOT_FOUND);
      co_return;
    }
    o = co_await create_new(l.path);
    created = o.err == 0;
    action = wire::createaction::CREATED;
  } else {
    o = co_await fsh.open_existing(cp.rel, flags, req.cred);
    if (o.err == EACCES && flags == O_RDWR && !data_write) {
      o = co_await fsh.open_existing(cp.rel, O_RDONLY, req.cred);
    }
    if (o.err == ENOENT && !o.parent_missing &&
        (base_disp == disp::OPEN_IF || base_disp == disp::OVERWRITE_IF ||
         base_disp == disp::SUPERSEDE)) {
      o = co_await create_new(o.path);
      if (o.err == EEXIST) {
        o = co_await fsh.open_existing(cp.rel, flags, req.cred);  // lost a race: it exists now
      } else {
        created = o.err == 0;
        action = wire::createaction::CREATED;
      }
    }
  }
  if (o.err != 0) {
    resp.status = status_from_errno(o.err, o.parent_missing ? st::OBJECT_PATH_NOT_FOUND
                                                             : st::OBJECT_NAME_NOT_FOUND);
    co_return;
  }
  // From here on o.fd must be closed on every error path.
  auto fail = [&](wire::NtStatus s) {
    ::close(o.fd);
    resp.status = s;
  };

  struct statx stx {};
  int rc = co_await fsh.stat_fd(o.fd, &stx);
  if (rc < 0) {
    fail(status_from_errno(rc));
    co_return;
  }
  const bool base_is_dir = S_ISDIR(stx.stx_mode);
  // DELETE is granted at open only where the user could remove the name
  // (MS-FSA 2.1.5.1.2.1; the kernel would refuse the unlink later, after
  // the client was told it may).
  if (!created && !is_stream && !cp.rel.empty() && (granted & wire::access::DELETE)) {
    int drc = co_await fsh.may_delete(o.path, stx.stx_uid, req.cred);
    if (drc < 0) {
      if (delete_asked) {
        fail(status_from_errno(drc));
        co_return;
      }
      granted &= ~wire::access::DELETE;  // MAXIMUM_ALLOWED: just not this right
    }
  }
  std::string stream_name;
  if (is_stream) {
    stream_name = fs::find_stream(o.fd, cp.stream);
    const bool exists = !stream_name.empty();
    if (q->disposition == disp::CREATE && exists) {
      fail(st::OBJECT_NAME_COLLISION);
      co_return;
    }
    if ((q->disposition == disp::OPEN || q->disposition == disp::OVERWRITE) && !exists) {
      fail(st::OBJECT_NAME_NOT_FOUND);
      co_return;
    }
    if (!exists || truncates) {
      if (!exists) stream_name = cp.stream;
      int wrc;
      {
        rt::AsUser as(req.cred.get());
        wrc = fs::write_stream(o.fd, stream_name, {}, !exists);
      }
      if (wrc < 0) {
        fail(status_from_errno(wrc));
        co_return;
      }
      action = !exists ? wire::createaction::CREATED
               : q->disposition == disp::SUPERSEDE ? wire::createaction::SUPERSEDED
                                                   : wire::createaction::OVERWRITTEN;
    }
  }
  const bool is_dir = base_is_dir && !is_stream;
  if (is_dir && want_file) {
    fail(st::FILE_IS_A_DIRECTORY);
    co_return;
  }
  if (!is_dir && want_dir) {
    fail(st::NOT_A_DIRECTORY);
    co_return;
  }
  // A directory opened delete-on-close must be empty (MS-FSA 2.1.5.1.2.1;
  // Windows and Samba refuse at open, not at close).
  if (is_dir && !created && (q->options & opt::DELETE_ON_CLOSE) &&
      fs::directory_is_empty(o.fd) != 1) {
    fail(st::DIRECTORY_NOT_EMPTY);
    co_return;
  }
  if (is_dir && truncates && !created) {
    fail(st::INVALID_PARAMETER);
    co_return;
  }
  if (!is_dir && cp.trailing_separator) {
    fail(st::OBJECT_NAME_INVALID);
    co_return;
  }

  fs::DosMeta dos = co_await fsh.read_dos(o.fd);
  if (!created && (dos.attributes & wire::attr::READONLY) && !is_dir) {
    if (data_write || truncates) {
      fail(st::ACCESS_DENIED);
      co_return;
    }
    if (q->options & opt::DELETE_ON_CLOSE) {
      fail(st::CANNOT_DELETE);
      co_return;
    }
  }

  auto open = std::make_shared<Open>();
  open->conn = req.conn.shared_from_this();
  open->worker = rt::Worker::current();
  open->share = tree.share;
  open->session_id = req.session->id;
  open->tree_id = tree.id;
  open->granted_access = granted;
  open->share_access = q->share_access;
  open->create_options = q->options;
  open->is_dir = is_dir;
  open->delete_on_close = (q->options & opt::DELETE_ON_CLOSE) != 0;
  open->stream = stream_name;
  open->cred = req.cred;
  open->client_name = *utf8;
  open->client_guid = req.conn.client_guid();
  open->owner = req.session->user;
  if (size_t colon = open->client_name.find(':'); colon != std::string::npos) {
    open->client_name.resize(colon);
  }
  if (!open->client_name.empty() && open->client_name.back() == '\\') {
    open->client_name.pop_back();
  }
  open->mode = q->options & (opt::WRITE_THROUGH | opt::SEQUENTIAL_ONLY |
                             opt::NO_INTERMEDIATE_BUFFERING | opt::SYNCHRONOUS_IO_ALERT |
                             opt::SYNCHRONOUS_IO_NONALERT | opt::DELETE_ON_CLOSE);
  // --- oplock breaks, share modes, delete-pending (MS-FSA 2.1.5.1.2) -----
  auto file = server.files().get(stx.stx_dev_major * 0x100000000ull + stx.stx_dev_minor,
                                 stx.stx_ino, stream_name);
  constexpr uint32_t kDataAccess = wire::access::FILE_READ_DATA | wire::access::FILE_WRITE_DATA |
                                   wire::access::FILE_APPEND_DATA | wire::access::FILE_EXECUTE |
                                   wire::access::DELETE;
  const bool attr_only = (granted & kDataAccess) == 0;
  if (lease_ask) {
    // 3.3.5.9.8: a key in use for another file is refused (even when this
    // open, a directory, would get no lease).
    auto l = server.leases().find(lease_ask->client_guid, lease_ask->req.key);
    if (l && l->file != file) {
      ::close(o.fd);
      server.files().release(file);
      resp.status = st::INVALID_PARAMETER;
      co_return;
    }
    if (is_dir) lease_ask.reset();  // no directory leases (not announced)
  }
  if (!attr_only) {
    // An exclusive or batch holder is broken first, so that a holder which
    // closes on the break does not make this open a sharing violation.
    co_await break_exclusive_oplocks(server, file, nullptr,
                                     truncates ? wire::oplock::NONE : wire::oplock::LEVEL_II);
  }
  co_await break_leases_for_open(server, req, file, lease_ask ? &*lease_ask : nullptr, granted,
                                 q->share_access, truncates);
  std::vector<uint8_t> lease_ctx;
  uint32_t lease_state = 0;
  {
    std::lock_guard lk(file->mu);
    if (file->delete_pending) {
      ::close(o.fd);
      server.files().release(file);
      resp.status = st::DELETE_PENDING;
      co_return;
    }
    for (Open* other : file->opens) {
      if (share_conflict(other->granted_access, other->share_access, granted, q->share_access)) {
        ::close(o.fd);
        server.files().release(file);
        resp.status = st::SHARING_VIOLATION;
        co_return;
      }
    }
    if (lease_ask) {
      bool invalid = false;
      auto l = grant_lease(server, *file, file, *open, *lease_ask, &invalid);
      if (!l) {
        ::close(o.fd);
        server.files().release(file);
        resp.status = st::INVALID_PARAMETER;
        co_return;
      }
      lease_ctx = lease_response_context(*l);
      lease_state = l->state;
    } else if (!is_dir && !attr_only) {
      open->oplock = grant_oplock(*file, q->oplock_level);
      if (open->oplock == wire::oplock::LEVEL_II) file->level2_count++;
    }
    file->opens.push_back(open.get());
  }
  // Truncation breaks what others cache of the data (MS-FSA 2.1.4.12).
  if (truncates && !is_dir) break_level2_oplocks(server, *file, open.get());
  open->file = file;
  open->fd = o.fd;  // from here the Open owns the descriptor

  // --- truncation and attributes of new/overwritten files -----------------
  if (truncates && !created && !is_stream) {
    rt::AsUser as(req.cred.get());
    rc = ::ftruncate(o.fd, 0);
    action = q->disposition == disp::SUPERSEDE ? wire::createaction::SUPERSEDED
                                               : wire::createaction::OVERWRITTEN;
  }
  if (created || (truncates && !is_dir && !is_stream)) {
    uint32_t a = q->file_attributes & wire::attr::SETTABLE;
    if (!is_dir) a |= wire::attr::ARCHIVE;
    if (a != (dos.present ? dos.attributes : 0) || created) {
      fs::DosMeta m;
      m.present = true;
      m.attributes = a;
      m.create_time = dos.create_time;
      if (co_await fsh.write_dos(o.fd, m, req.cred) == 0) dos = m;
    }
  }
  if (!ea_list.empty() && (created || truncates) && !is_stream) {
    // The EA buffer applies to a file this CREATE made or replaced.
    wire::NtStatus es;
    {
      rt::AsUser as(req.cred.get());
      es = apply_eas(o.fd, ea_list);
    }
    if (es != st::SUCCESS) {
      resp.status = es;
      co_await close_open(server, *req.session, open);
      co_return;
    }
  }
  if (created || truncates) co_await fsh.stat_fd(o.fd, &stx);

  uint64_t vid = server.next_file_id();
  open->id = {vid, vid};
  {
    std::lock_guard lk(req.session->mu);
    req.session->opens[vid] = open;
  }

  wire::CreateResponse r;
  r.oplock_level = open->lease ? wire::oplock::LEASE : open->oplock;
  r.create_action = action;
  wire::FileInfo fi = fsh.file_info(stx, dos, fs::split_parent(o.path).second);
  if (is_stream) {
    std::vector<uint8_t> data;
    fs::read_stream(o.fd, stream_name, &data);
    fi.end_of_file = data.size();
    fi.allocation_size = (data.size() + 7) & ~uint64_t{7};
    fi.attributes &= ~wire::attr::DIRECTORY;
    if (fi.attributes == 0) fi.attributes = wire::attr::NORMAL;
  }
  r.info = {fi.creation_time, fi.last_access_time, fi.last_write_time, fi.change_time,
            fi.allocation_size, fi.end_of_file,   fi.attributes};
  r.file_id = open->id;
  open->reply = r;  // before the open can be found by its CreateGuid
  if (open->lease) r.contexts.emplace_back("RqLs", std::move(lease_ctx));
  if (auto d = grant_durable(server, open, *durable_ask, lease_state)) {
    r.contexts.push_back(std::move(*d));
  }
  if (want_mxac) {
    std::vector<uint8_t> d(8, 0);
    wire::st32(d.data() + 4, tree.maximal_access);
    r.contexts.emplace_back("MxAc", std::move(d));
  }
  if (want_qfid) {
    std::vector<uint8_t> d(32, 0);
    wire::st64(d.data(), stx.stx_ino);
    wire::st64(d.data() + 8, file->dev);
    wire::st32(d.data() + 16, fsh.volume_serial());
    r.contexts.emplace_back("QFid", std::move(d));
  }
  wire::encode_create_response(resp.body, r);
  resp.file_id = open->id;
}

rt::Task<void> close(Request& req, Response& resp) {
  auto q = wire::parse_close(req.msg);
  if (!q) {
    resp.status = q.status();
    co_return;
  }
  auto open = find_open(req, q->file_id);
  if (!open) {
    resp.status = st::FILE_CLOSED;
    co_return;
  }
  wire::NetworkOpenInfo info{};
  bool with_info = (q->flags & wire::CLOSE_FLAG_POSTQUERY_ATTRIB) != 0;
  if (with_info) {
    wire::FileInfo fi;
    if (co_await query_open_info(*open, &fi) == 0) {
      info = {fi.creation_time, fi.last_access_time, fi.last_write_time, fi.change_time,
              fi.allocation_size, fi.end_of_file,   fi.attributes};
    } else {
      with_info = false;
    }
  }
  const bool closed_here = co_await close_open(req.conn.server(), *req.session, open);
  if (!closed_here) {
    resp.status = st::FILE_CLOSED;  // a CLOSE on another channel came first
    co_return;
  }
  wire::encode_close_response(resp.body, with_info ? wire::CLOSE_FLAG_POSTQUERY_ATTRIB : 0,
                              with_info ? &info : nullptr);
}

}  // namespace ringsmb::server::handlers
