// SET_INFO (MS-SMB2 3.3.5.21; MS-FSA 2.1.5.14, 2.1.5.15).
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "fs/dir.h"
#include "fs/ea.h"
#include "fs/streams.h"
#include "rt/ops.h"
#include "server/fs_status.h"
#include "server/handlers.h"
#include "server/oplock.h"
#include "server/log.h"
#include "server/server.h"
#include "server/session_ops.h"
#include "server/eas.h"
#include "wire/fscc.h"
#include "wire/utf16.h"

namespace ringsmb::server::handlers {

namespace st = wire::status;
namespace fi = wire::fileinfo;
namespace acc = wire::access;

namespace {

timespec to_timespec(uint64_t ft) {
  timespec t{};
  // 0: leave alone; -1: leave alone and stop updating; -2: resume (2.4.7).
  if (ft == 0 || ft == ~uint64_t{0} || ft == ~uint64_t{0} - 1) {
    t.tv_nsec = UTIME_OMIT;
    return t;
  }
  int64_t sec;
  uint32_t nsec;
  wire::filetime_to_unix(ft, &sec, &nsec);
  t.tv_sec = sec;
  t.tv_nsec = nsec;
  return t;
}

int set_times(int fd, const timespec ts[2]) {
  if (futimens(fd, ts) == 0) return 0;
  if (errno != EBADF) return -errno;
  char p[64];
  std::snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
  return utimensat(AT_FDCWD, p, ts, 0) == 0 ? 0 : -errno;
}

rt::Task<wire::NtStatus> set_basic(Open& open, wire::Bytes b, const fs::Cred& cred) {
  if (!(open.granted_access & acc::FILE_WRITE_ATTRIBUTES)) co_return st::ACCESS_DENIED;
  fs::Share& fsh = *open.share->fs;
  uint64_t create = wire::ld64(b.data());
  uint64_t atime = wire::ld64(b.data() + 8);
  uint64_t mtime = wire::ld64(b.data() + 16);
  uint64_t ctime = wire::ld64(b.data() + 24);
  uint32_t attrs = wire::ld32(b.data() + 32);
  auto given = [](uint64_t t) { return t != 0 && t != ~uint64_t{0} && t != ~uint64_t{0} - 1; };
  if (attrs != 0) {
    if ((attrs & wire::attr::DIRECTORY) && !open.is_dir) co_return st::INVALID_PARAMETER;
    if (attrs & ~(wire::attr::SETTABLE | wire::attr::DIRECTORY | wire::attr::NORMAL |
                  wire::attr::SPARSE_FILE | wire::attr::COMPRESSED | wire::attr::ENCRYPTED |
                  wire::attr::REPARSE_POINT | wire::attr::INTEGRITY_STREAM |
                  wire::attr::NO_SCRUB_DATA)) {
      co_return st::INVALID_PARAMETER;
    }
  }
  timespec ts[2] = {to_timespec(atime), to_timespec(mtime)};
  if (ts[0].tv_nsec != UTIME_OMIT || ts[1].tv_nsec != UTIME_OMIT) {
    int rc;
    {
      rt::AsUser as(cred.get());
      rc = set_times(open.fd, ts);
    }
    if (rc < 0) co_return status_from_errno(rc);
  }
  if (attrs != 0 || given(create) || given(ctime)) {
    fs::DosMeta m = co_await fsh.read_dos(open.fd);
    struct statx stx {};
    co_await fsh.stat_fd(open.fd, &stx);
    if (!m.present) {
      wire::FileInfo f = fsh.file_info(stx, m, "");
      m.attributes = f.attributes & wire::attr::SETTABLE;
      m.create_time = 0;
    }
    m.present = true;
    if (attrs != 0) m.attributes = attrs & wire::attr::SETTABLE;
    if (given(create)) m.create_time = create;
    if (given(ctime)) {
      m.change_time = ctime;
      m.change_mtime = wire::unix_to_filetime(stx.stx_mtime.tv_sec, stx.stx_mtime.tv_nsec);
    }
    int rc = co_await fsh.write_dos(open.fd, m, cred);
    if (rc < 0 && rc != -EOPNOTSUPP) co_return status_from_errno(rc);
  }
  co_return st::SUCCESS;
}

rt::Task<wire::NtStatus> set_disposition(Open& open, bool del) {
  if (!(open.granted_access & acc::DELETE)) co_return st::ACCESS_DENIED;
  if (del) {
    fs::Share& fsh = *open.share->fs;
    std::string rel;
    if (fsh.path_of_fd(open.fd, &rel) == 0 && rel.empty()) co_return st::CANNOT_DELETE;
    fs::DosMeta m = co_await fsh.read_dos(open.fd);
    if (m.present && (m.attributes & wire::attr::READONLY)) co_return st::CANNOT_DELETE;
    if (open.is_dir && fs::directory_is_empty(open.fd) != 1) co_return st::DIRECTORY_NOT_EMPTY;
  }
  std::lock_guard lk(open.file->mu);
  const bool became = del && !open.file->delete_pending;
  open.file->delete_pending = del;
  if (became && open.is_dir) notify_delete_pending(*open.file);
  co_return st::SUCCESS;
}

rt::Task<wire::NtStatus> set_rename(Request& req, Open& open, wire::Bytes b) {
  if (!(open.granted_access & acc::DELETE)) co_return st::ACCESS_DENIED;
  // FILE_RENAME_INFORMATION_TYPE_2 (SMB2): ReplaceIfExists(1) Reserved(7)
  // RootDirectory(8) FileNameLength(4) FileName.
  if (b.size() < 20) co_return st::INFO_LENGTH_MISMATCH;
  bool replace = b[0] != 0;
  uint64_t root_dir = wire::ld64(b.data() + 8);
  uint32_t name_len = wire::ld32(b.data() + 16);
  if (root_dir != 0) co_return st::INVALID_PARAMETER;
  if (name_len == 0 || name_len > b.size() - 20 || name_len % 2 != 0) co_return st::INVALID_PARAMETER;
  auto name = wire::utf16le_to_utf8(b.subspan(20, name_len));
  if (!name) co_return st::OBJECT_NAME_INVALID;
  std::string_view n = *name;
  if (!n.empty() && n[0] == '\\') n.remove_prefix(1);
  if (!n.empty() && n[0] == ':') co_return st::NOT_SUPPORTED;  // stream rename
  if (!open.stream.empty()) co_return st::NOT_SUPPORTED;
  fs::ClientPath cp;
  if (auto e = fs::map_client_path(n, &cp); e != fs::NameError::None) {
    co_return status_from_name_error(e);
  }
  if (cp.rel.empty()) co_return st::OBJECT_NAME_INVALID;
  fs::Share& fsh = *open.share->fs;
  std::string from;
  int rc = fsh.path_of_fd(open.fd, &from);
  if (rc < 0) co_return status_from_errno(rc);
  if (from.empty()) co_return st::ACCESS_DENIED;  // the share root

  fs::Lookup target = co_await fsh.lookup(cp.rel, req.cred);
  if (target.err == 0) {
    struct statx self {};
    co_await fsh.stat_fd(open.fd, &self);
    bool same = target.stx.stx_ino == self.stx_ino && target.stx.stx_dev_major == self.stx_dev_major &&
                target.stx.stx_dev_minor == self.stx_dev_minor;
    if (same) {
      // A rename onto itself, possibly changing case: use the client's
      // spelling of the last component.
      auto [tparent, tlast] = fs::split_parent(target.path);
      auto [cparent, clast] = fs::split_parent(cp.rel);
      (void)cparent;
      std::string dest = tparent.empty() ? std::string(clast) : std::string(tparent) + "/" + std::string(clast);
      if (dest == from) co_return st::SUCCESS;
      rc = co_await fsh.rename(from, dest, true, req.cred);
      if (rc < 0) co_return status_from_errno(rc);
      open.client_name = std::string(n);
      co_return st::SUCCESS;
    }
    if (!replace) co_return st::OBJECT_NAME_COLLISION;
    if (S_ISDIR(target.stx.stx_mode)) co_return st::ACCESS_DENIED;
    // Replacing a file that is open elsewhere is refused (MS-FSA 2.1.5.14.11).
    auto other = req.conn.server().files().get(
        target.stx.stx_dev_major * 0x100000000ull + target.stx.stx_dev_minor, target.stx.stx_ino);
    bool busy;
    {
      std::lock_guard lk(other->mu);
      busy = !other->opens.empty();
    }
    req.conn.server().files().release(other);
    if (busy) co_return st::ACCESS_DENIED;
  } else if (target.err != ENOENT) {
    co_return status_from_errno(target.err);
  } else if (target.parent_missing) {
    co_return st::OBJECT_PATH_NOT_FOUND;
  }
  rc = co_await fsh.rename(from, target.path, replace, req.cred);
  if (rc < 0) co_return status_from_errno(rc, st::OBJECT_PATH_NOT_FOUND);
  open.client_name = std::string(n);
  co_return st::SUCCESS;
}

rt::Task<wire::NtStatus> set_full_ea(Open& open, wire::Bytes b, const fs::Cred& cred) {
  if (!(open.granted_access & acc::FILE_WRITE_EA)) co_return st::ACCESS_DENIED;
  rt::AsUser as(cred.get());
  co_return apply_eas(open.fd, b);
}

// FileAllocationInformation at or beyond the end of file (MS-FSA
// 2.1.5.14.1): space up to alloc is reserved, or STATUS_DISK_FULL when the
// file system has not that much free; a reservation that fails half way
// is given back, so a refused request leaves the disk as it was. A smaller
// allocation than the one held gives back what lies beyond both the end
// of file and alloc.
rt::Task<wire::NtStatus> set_allocation(const Open& open, const struct statx& stx,
                                        uint64_t alloc) {
  const uint64_t held = stx.stx_blocks * 512;
  if (alloc <= held) {
    const uint64_t from = (std::max<uint64_t>(alloc, stx.stx_size) + 4095) & ~uint64_t{4095};
    const uint64_t end = stx.stx_size + held;  // nothing reserved lies beyond
    if (end > from) {
      co_await rt::fallocate(open.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, from, end - from);
    }
    co_return st::SUCCESS;
  }
  struct statvfs vfs {};
  if (::fstatvfs(open.fd, &vfs) == 0 &&
      alloc - held > static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize) {
    co_return st::DISK_FULL;
  }
  int rc = co_await rt::fallocate(open.fd, FALLOC_FL_KEEP_SIZE, 0, alloc);
  if (rc == -EOPNOTSUPP || rc == -ENOSYS) co_return st::SUCCESS;  // nothing to reserve with
  if (rc == -ENOSPC || rc == -EDQUOT) {
    co_await rt::fallocate(open.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                           stx.stx_size, alloc - stx.stx_size);
    co_return st::DISK_FULL;
  }
  co_return rc < 0 ? status_from_errno(-rc) : st::SUCCESS;
}

}  // namespace

rt::Task<void> set_info(Request& req, Response& resp) {
  auto q = wire::parse_set_info(req.msg);
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
  if (q->buffer.size() > req.conn.max_io()) {
    resp.status = st::INVALID_PARAMETER;
    co_return;
  }
  const wire::Bytes b = q->buffer;
  wire::NtStatus s = st::SUCCESS;
  if (q->info_type == wire::INFO_FILE) {
    auto need = [&](size_t n) { return b.size() >= n; };
    switch (q->info_class) {
      case fi::Basic:
        s = need(36) ? co_await set_basic(*open, b, req.cred) : st::INFO_LENGTH_MISMATCH;
        break;
      case fi::Rename:
        s = co_await set_rename(req, *open, b);
        break;
      case fi::Disposition:
        s = need(1) ? co_await set_disposition(*open, b[0] != 0) : st::INFO_LENGTH_MISMATCH;
        break;
      case fi::DispositionEx: {
        if (!need(4)) {
          s = st::INFO_LENGTH_MISMATCH;
          break;
        }
        uint32_t f = wire::ld32(b.data());
        s = co_await set_disposition(*open, (f & 0x1) != 0);
        break;
      }
      case fi::Position: {
        if (!need(8)) {
          s = st::INFO_LENGTH_MISMATCH;
          break;
        }
        uint64_t pos = wire::ld64(b.data());
        if (pos > 0x7FFFFFFFFFFFFFFFull) {
          s = st::INVALID_PARAMETER;
          break;
        }
        open->position.store(pos, std::memory_order_relaxed);
        break;
      }
      case fi::Mode: {
        if (!need(4)) {
          s = st::INFO_LENGTH_MISMATCH;
          break;
        }
        uint32_t m = wire::ld32(b.data());
        // Only these may be set, and the two synchronous flags not together.
        constexpr uint32_t kSettable = 0x2 | 0x4 | 0x8 | 0x10 | 0x20 | 0x1000;
        if ((m & ~kSettable) || ((m & 0x10) && (m & 0x20))) {
          s = st::INVALID_PARAMETER;
          break;
        }
        open->mode = m;
        break;
      }
      case fi::EndOfFile: {
        if (!need(8)) {
          s = st::INFO_LENGTH_MISMATCH;
          break;
        }
        if (open->is_dir) {
          s = st::INVALID_PARAMETER;
          break;
        }
        if (!(open->granted_access & acc::FILE_WRITE_DATA)) {
          s = st::ACCESS_DENIED;
          break;
        }
        uint64_t eof = wire::ld64(b.data());
        if (eof > 0x7FFFFFFFFFFFFFFFull) {
          s = st::INVALID_PARAMETER;
          break;
        }
        break_level2_oplocks(req.conn.server(), *open->file, open.get());
        if (!open->stream.empty()) {
          std::lock_guard lk(open->file->mu);
          rt::AsUser as(req.cred.get());
          std::vector<uint8_t> value;
          int rc = fs::read_stream(open->fd, open->stream, &value);
          if (rc == 0 && eof > (1u << 20)) rc = -ENOSPC;
          if (rc == 0) {
            value.resize(eof, 0);
            rc = fs::write_stream(open->fd, open->stream, value, false);
          }
          if (rc < 0) s = status_from_errno(rc);
          break;
        }
        rt::AsUser as(req.cred.get());
        if (::ftruncate(open->fd, static_cast<off_t>(eof)) != 0) s = status_from_errno(errno);
        break;
      }
      case fi::Allocation: {
        if (!need(8)) {
          s = st::INFO_LENGTH_MISMATCH;
          break;
        }
        if (open->is_dir) {
          s = st::INVALID_PARAMETER;
          break;
        }
        if (!(open->granted_access & acc::FILE_WRITE_DATA)) {
          s = st::ACCESS_DENIED;
          break;
        }
        if (!open->stream.empty()) break;  // a stream's allocation is its size
        uint64_t alloc = wire::ld64(b.data());
        struct statx stx {};
        co_await open->share->fs->stat_fd(open->fd, &stx);
        if (alloc < stx.stx_size) {
          // MS-FSA 2.1.5.14.1: shrinking the allocation truncates the file.
          rt::AsUser as(req.cred.get());
          if (::ftruncate(open->fd, static_cast<off_t>(alloc)) != 0) s = status_from_errno(errno);
        } else {
          s = co_await set_allocation(*open, stx, alloc);
        }
        break;
      }
      case fi::FullEa:
        s = co_await set_full_ea(*open, b, req.cred);
        break;
      case fi::Link:
      case fi::ShortName:
      case fi::ValidDataLength:
        s = st::NOT_SUPPORTED;
        break;
      default:
        s = st::INVALID_INFO_CLASS;
        break;
    }
  } else if (q->info_type == wire::INFO_FILESYSTEM) {
    s = st::NOT_SUPPORTED;
  } else if (q->info_type == wire::INFO_SECURITY) {
    // Setting ACLs arrives with the security work; refuse rather than lie.
    s = st::NOT_SUPPORTED;
  } else if (q->info_type == wire::INFO_QUOTA) {
    s = st::NOT_SUPPORTED;
  } else {
    s = st::INVALID_PARAMETER;
  }
  if (s != st::SUCCESS) {
    resp.status = s;
    co_return;
  }
  wire::encode_empty_response(resp.body, 2);
}

}  // namespace ringsmb::server::handlers
