// Server-wide state shared by all workers: sessions, tree connects, opens
// and the per-file objects that carry share modes and delete-pending.
//
// Sessions are global (a multichannel session has channels on several
// workers); each object guards its own tables with its own mutex, and
// everything is reference counted so a request in flight on one worker keeps
// alive what it uses while another worker closes it.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sys/types.h>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "auth/crypto.h"
#include "auth/smb_keys.h"
#include "fs/dir.h"
#include "rt/signal.h"
#include "fs/names.h"
#include "fs/share.h"
#include "server/config.h"
#include "server/notify.h"
#include "wire/messages.h"

namespace ringsmb::server {

struct ShareRuntime {
  ShareConfig cfg;
  std::shared_ptr<fs::Share> fs;  // null for IPC$
  bool is_ipc = false;
};

struct TreeConnect {
  uint32_t id = 0;
  std::shared_ptr<const ShareRuntime> share;
  bool read_only = false;
  uint32_t maximal_access = 0;
  bool encrypt_required = false;  // the share demands encrypted requests
};

struct Open;
struct Lease;
class Connection;

// MS-FSA's Stream: one per (device, inode, stream name) while any open
// refers to it. The unnamed data stream (the file itself) has stream "".
struct FileObject {
  uint64_t dev = 0;
  uint64_t ino = 0;
  std::string stream;  // case-folded named stream, "" for the file
  std::mutex mu;
  std::vector<Open*> opens;  // guarded by mu
  bool delete_pending = false;  // guarded by mu
  // Opens waiting for an oplock break to complete (guarded by mu).
  std::vector<std::shared_ptr<rt::Signal>> break_waiters;
  std::atomic<int> level2_count{0};  // opens holding a level II oplock
  std::atomic<int> lease_count{0};   // opens with a lease
};

// Directory enumeration state of an open directory (MS-SMB2 3.3.5.18).
struct DirEnum {
  bool loaded = false;
  std::vector<fs::DirEntry> entries;
  size_t next = 0;
  std::optional<fs::Pattern> pattern;
  bool returned_any = false;
};

struct Open {
  wire::FileId id;
  int fd = -1;
  std::shared_ptr<FileObject> file;
  std::shared_ptr<const ShareRuntime> share;
  uint64_t session_id = 0;
  uint32_t tree_id = 0;
  uint32_t granted_access = 0;
  uint32_t share_access = 0;
  uint32_t create_options = 0;
  bool is_dir = false;
  bool delete_on_close = false;
  std::string stream;       // named data stream (on-disk spelling), "" for the file
  fs::Cred cred;            // the opener's credentials (for the last close)
  std::string client_name;  // as given at CREATE ('\' separators, no stream)
  std::atomic<uint64_t> position{0};
  uint32_t mode = 0;
  std::mutex dir_mu;
  DirEnum dir;  // guarded by dir_mu
  std::atomic<bool> closed{false};

  // Oplock (MS-SMB2 3.3.1.10), guarded by file->mu.
  uint8_t oplock = 0;         // wire::oplock::NONE, LEVEL_II, EXCLUSIVE, BATCH
  bool oplock_breaking = false;
  uint8_t oplock_break_to = 0;
  // The lease this open shares (MS-SMB2 3.3.1.10 Open.Lease), or null;
  // its state is guarded by file->mu.
  std::shared_ptr<Lease> lease;
  // Where break notifications for this open go.
  std::weak_ptr<Connection> conn;
  rt::Worker* worker = nullptr;
  // Durability (MS-SMB2 3.3.1.10: IsDurable, DurableOpenTimeout,
  // CreateGuid, DurableOwner), fixed at CREATE. A preserved open (its
  // connection lost) lives in the server's DurableTable, which guards
  // `preserved` and `reclaim`.
  bool durable = false;
  bool durable_v2 = false;
  uint32_t durable_timeout_ms = 0;
  wire::Guid create_guid;  // DH2Q CreateGuid (zero: none)
  wire::Guid client_guid;  // of the connection that made the open
  std::string owner;       // the session's user, for reconnects
  std::atomic<bool> preserved{false};
  std::shared_ptr<rt::Signal> reclaim;  // fired when reconnected or released
  // What CREATE answered, without contexts: a replay gets it again
  // (3.3.5.9.10).
  wire::CreateResponse reply;
  // CHANGE_NOTIFY on a directory.
  NotifyState notify;

  // MS-SMB2 3.3.5.2.10: the channel sequence of the open and the requests
  // in flight under it (current) and under older sequences (pre), guarded
  // by seq_mu.
  std::mutex seq_mu;
  uint16_t channel_sequence = 0;
  uint32_t outstanding = 0;
  uint32_t outstanding_pre = 0;

  ~Open();
};

enum class SessionState { InProgress, Valid, Expired };

// One connection bound to a session (MS-SMB2 3.3.1.14). Each channel
// signs with its own key (3.x), derived from its own authentication.
struct Channel {
  const void* conn = nullptr;  // identity of the Connection
  std::weak_ptr<Connection> conn_ref;
  rt::Worker* worker = nullptr;
  std::shared_ptr<const auth::SmbKeys> keys;
};

struct Session {
  uint64_t id = 0;
  uint16_t dialect = 0;
  const void* creator = nullptr;  // the connection that began SESSION_SETUP
  std::mutex mu;
  SessionState state = SessionState::InProgress;  // guarded by mu
  bool guest = false;
  bool anonymous = false;
  std::string user;
  std::string domain;
  // Keys of an authenticated (non-guest) session (MS-SMB2 3.3.5.5.3): the
  // first channel's; encryption keys are the session's on every channel.
  auth::SmbKeys keys;
  std::vector<Channel> channels;  // guarded by mu
  bool signing_required = false;
  bool encrypt_data = false;  // every request must arrive encrypted
  auth::NonceSource nonces;
  // The Unix account file operations run as (when the server is root).
  std::string unix_user;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
  fs::Cred cred;  // null when the server is not root: everything as the server
  // SMB 3.1.1: the session's preauth hash, seeded from the connection's.
  auth::PreauthHash preauth;
  // NTLMSSP exchange in progress (server side), opaque to this header.
  std::shared_ptr<void> auth_ctx;
  uint32_t next_tree_id = 1;  // guarded by mu

  // Whether conn began this session and its setup is still in progress:
  // only then does a connection that is no channel of the session own it.
  // (creator is an address, compared only: once the session is
  // established its first connection may close and a new one be given the
  // same memory.)
  bool in_setup_on(const void* conn) {
    std::lock_guard lk(mu);
    return state == SessionState::InProgress && creator == conn;
  }

  // The signing keys for requests and responses on a connection: its
  // channel's, or (no channel yet: binding) the session's.
  std::shared_ptr<const auth::SmbKeys> keys_for(const void* conn) {
    std::lock_guard lk(mu);
    for (const auto& c : channels)
      if (c.conn == conn) return c.keys;
    return keys.valid() ? std::make_shared<const auth::SmbKeys>(keys) : nullptr;
  }
  std::unordered_map<uint32_t, std::shared_ptr<TreeConnect>> trees;  // guarded by mu
  std::unordered_map<uint64_t, std::shared_ptr<Open>> opens;         // guarded by mu
};

class SessionTable {
 public:
  std::shared_ptr<Session> create(uint16_t dialect);
  std::shared_ptr<Session> find(uint64_t id);
  void remove(uint64_t id);
  size_t size();

 private:
  std::mutex mu_;
  std::unordered_map<uint64_t, std::shared_ptr<Session>> map_;
  uint64_t next_ = 0;
};

class FileTable {
 public:
  // The FileObject for (dev, ino, stream), created on first use.
  std::shared_ptr<FileObject> get(uint64_t dev, uint64_t ino, const std::string& stream = {});
  // Drops the table's entry when nothing else holds the FileObject: the
  // caller's is then the last reference (a CREATE between its lookup and
  // its open holds one, so the entry stays for it).
  void release(const std::shared_ptr<FileObject>& f);
  // Entries, live or not yet swept (tests).
  size_t size();

 private:
  // An open closed while a request still used it leaves an entry whose
  // FileObject goes away later, with nobody to release it: get() sweeps
  // such entries every kSweepEvery insertions. mu_ held.
  static constexpr size_t kSweepEvery = 256;
  void sweep();

  std::mutex mu_;
  using Key = std::tuple<uint64_t, uint64_t, std::string>;
  std::map<Key, std::weak_ptr<FileObject>> map_;
  size_t inserts_ = 0;  // guarded by mu_
};

}  // namespace ringsmb::server
