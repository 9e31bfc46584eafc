#include "fs/share.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "fs/names.h"
#include "rt/ops.h"
#include "wire/le.h"
#include "wire/smb2.h"

namespace ringsmb::fs {

namespace {

constexpr const char* kDosXattr = "user.ringsmb.dos";
constexpr uint64_t kResolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
constexpr unsigned kStatxMask = STATX_BASIC_STATS | STATX_BTIME;

const char* dot_if_empty(const std::string& s) { return s.empty() ? "." : s.c_str(); }

// Closes fd when the scope ends (synchronously: close of a descriptor we
// only used for a lookup is cheap and never blocks on I/O).
struct FdGuard {
  int fd;
  ~FdGuard() {
    if (fd >= 0) ::close(fd);
  }
};

std::string join(std::string_view parent, std::string_view name) {
  if (parent.empty()) return std::string(name);
  std::string s(parent);
  s.push_back('/');
  s.append(name);
  return s;
}

uint32_t fnv32(std::string_view s) {
  uint32_t h = 2166136261u;
  for (unsigned char c : s) h = (h ^ c) * 16777619u;
  return h;
}

std::string fs_type_name(long magic) {
  switch (static_cast<unsigned long>(magic)) {
    case 0xEF53: return "ext4";
    case 0x01021994: return "tmpfs";
    case 0x58465342: return "xfs";
    case 0x9123683E: return "btrfs";
    case 0x794C7630: return "overlay";
    default: return "unknown";
  }
}

}  // namespace

std::shared_ptr<Share> Share::open(const std::string& root, bool case_sensitive, int* err) {
  char real[PATH_MAX];
  if (realpath(root.c_str(), real) == nullptr) {
    *err = errno;
    return nullptr;
  }
  int fd = ::open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    *err = errno;
    return nullptr;
  }
  std::shared_ptr<Share> s(new Share());
  s->root_fd_ = fd;
  s->root_ = real;
  s->case_sensitive_ = case_sensitive;
  struct stat st {};
  fstat(fd, &st);
  s->volume_serial_ = fnv32(s->root_) ^ static_cast<uint32_t>(st.st_dev);
  // Probe user xattrs: reading a missing one gives ENODATA where they exist.
  char probe;
  ssize_t rc = fgetxattr(fd, kDosXattr, &probe, sizeof(probe));
  s->xattrs_ = rc >= 0 || errno == ENODATA || errno == ERANGE;
  *err = 0;
  return s;
}

Share::~Share() {
  if (root_fd_ >= 0) ::close(root_fd_);
}

rt::Task<int> Share::open_dir(std::string_view real_rel, const Cred& c) {
  std::string p(real_rel);
  open_how how{};
  how.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
  how.resolve = kResolve;
  co_return co_await rt::openat2(root_fd_, dot_if_empty(p), &how).as(rt::personality_for(c.get()));
}

std::string find_name_ci(int dirfd, std::string_view name) {
  // A duplicate descriptor keeps the caller's position untouched.
  int dfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
  if (dfd < 0) return {};
  DIR* d = fdopendir(dfd);
  if (d == nullptr) {
    ::close(dfd);
    return {};
  }
  rewinddir(d);
  std::string found;
  while (dirent* e = readdir(d)) {
    std::string_view n(e->d_name);
    if (n == "." || n == "..") continue;
    if (n == name) {
      found = std::string(n);
      break;
    }
    if (found.empty() && equal_ci(n, name)) found = std::string(n);
  }
  closedir(d);
  return found;
}

rt::Task<Lookup> Share::resolve_ci(std::string rel, Cred c) {
  const int pers = rt::personality_for(c.get());
  Lookup out;
  auto [parent, last] = split_parent(rel);
  std::string real_parent;
  if (!parent.empty()) {
    // Does the parent exist with this exact spelling?
    int pfd = co_await open_dir(parent, c);
    if (pfd >= 0) {
      ::close(pfd);
      real_parent = std::string(parent);
    } else if (pfd == -ENOENT && !case_sensitive_) {
      Lookup p = co_await resolve_ci(std::string(parent), c);
      if (p.err != 0) {
        out.err = p.err;
        out.parent_missing = true;
        out.path = rel;
        co_return out;
      }
      real_parent = p.path;
    } else {
      out.err = pfd == -ENOTDIR ? ENOENT : -pfd;
      out.parent_missing = true;
      out.path = rel;
      co_return out;
    }
  }
  int dfd = co_await open_dir(real_parent, c);
  if (dfd < 0) {
    out.err = dfd == -ENOTDIR ? ENOENT : -dfd;
    out.parent_missing = true;
    out.path = rel;
    co_return out;
  }
  FdGuard g{dfd};
  std::string name = case_sensitive_ ? std::string() : find_name_ci(dfd, last);
  if (name.empty()) {
    out.err = ENOENT;
    out.path = join(real_parent, last);
    co_return out;
  }
  out.path = join(real_parent, name);
  int rc = co_await rt::statx(dfd, name.c_str(), AT_SYMLINK_NOFOLLOW, kStatxMask, &out.stx).as(pers);
  out.err = rc < 0 ? -rc : 0;
  co_return out;
}

rt::Task<OpenOutcome> Share::open_existing(std::string rel, int flags, Cred c) {
  const int pers = rt::personality_for(c.get());
  OpenOutcome out;
  open_how how{};
  how.flags = static_cast<uint64_t>(flags) | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
  how.resolve = kResolve;
  std::string path = rel;
  int fd = co_await rt::openat2(root_fd_, dot_if_empty(path), &how).as(pers);
  if (fd == -ENOENT && !case_sensitive_ && !rel.empty()) {
    Lookup l = co_await resolve_ci(rel, c);
    out.path = l.path;
    out.parent_missing = l.parent_missing;
    if (l.err != 0) {
      out.err = l.err;
      co_return out;
    }
    path = l.path;
    fd = co_await rt::openat2(root_fd_, dot_if_empty(path), &how).as(pers);
  } else if (fd == -ENOENT || fd == -ENOTDIR) {
    // Is the parent there at all? (OBJECT_PATH_NOT_FOUND vs NAME_NOT_FOUND)
    auto [parent, last] = split_parent(rel);
    (void)last;
    if (!parent.empty()) {
      int pfd = co_await open_dir(parent, c);
      if (pfd >= 0) {
        ::close(pfd);
      } else {
        out.parent_missing = true;
      }
    }
    fd = -ENOENT;
  }
  out.path = path;
  if (fd == -EISDIR) {
    // Directories cannot be opened for writing; the caller decides whether
    // a directory is acceptable.
    how.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
    fd = co_await rt::openat2(root_fd_, dot_if_empty(path), &how).as(pers);
  }
  if (fd < 0) {
    out.err = -fd;
    co_return out;
  }
  out.fd = fd;
  struct statx stx {};
  int rc = co_await rt::statx(fd, "", AT_EMPTY_PATH, STATX_TYPE, &stx);
  out.is_dir = rc == 0 && S_ISDIR(stx.stx_mode);
  co_return out;
}

rt::Task<OpenOutcome> Share::create_file(std::string real_rel, int flags, mode_t mode, Cred c) {
  const int pers = rt::personality_for(c.get());
  OpenOutcome out;
  out.path = real_rel;
  open_how how{};
  how.flags = static_cast<uint64_t>(flags) | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY;
  how.mode = mode;
  how.resolve = kResolve;
  int fd = co_await rt::openat2(root_fd_, real_rel.c_str(), &how).as(pers);
  if (fd < 0) {
    out.err = -fd;
    if (fd == -ENOENT || fd == -ENOTDIR) out.parent_missing = true;
    co_return out;
  }
  out.fd = fd;
  co_return out;
}

rt::Task<OpenOutcome> Share::create_dir(std::string real_rel, mode_t mode, Cred c) {
  const int pers = rt::personality_for(c.get());
  OpenOutcome out;
  out.path = real_rel;
  auto [parent, last] = split_parent(real_rel);
  std::string name(last);
  int pfd = co_await open_dir(parent, c);
  if (pfd < 0) {
    out.err = pfd == -ENOTDIR ? ENOENT : -pfd;
    out.parent_missing = true;
    co_return out;
  }
  FdGuard g{pfd};
  int rc = co_await rt::mkdirat(pfd, name.c_str(), mode).as(pers);
  if (rc < 0) {
    out.err = -rc;
    co_return out;
  }
  open_how how{};
  how.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW;
  how.resolve = kResolve;
  int fd = co_await rt::openat2(pfd, name.c_str(), &how).as(pers);
  if (fd < 0) {
    out.err = -fd;
    co_return out;
  }
  out.fd = fd;
  out.is_dir = true;
  co_return out;
}

rt::Task<Lookup> Share::lookup(std::string rel, Cred c) {
  const int pers = rt::personality_for(c.get());
  Lookup out;
  out.path = rel;
  if (rel.empty()) {
    int rc = co_await rt::statx(root_fd_, "", AT_EMPTY_PATH, kStatxMask, &out.stx).as(pers);
    out.err = rc < 0 ? -rc : 0;
    co_return out;
  }
  auto [parent, last] = split_parent(rel);
  std::string name(last);
  int pfd = co_await open_dir(parent, c);
  if (pfd >= 0) {
    FdGuard g{pfd};
    int rc = co_await rt::statx(pfd, name.c_str(), AT_SYMLINK_NOFOLLOW, kStatxMask, &out.stx).as(pers);
    if (rc == 0) co_return out;
    if (rc != -ENOENT || case_sensitive_) {
      out.err = -rc;
      co_return out;
    }
  } else if (pfd != -ENOENT || case_sensitive_) {
    out.err = pfd == -ENOTDIR ? ENOENT : -pfd;
    out.parent_missing = true;
    co_return out;
  }
  co_return co_await resolve_ci(rel, c);
}

rt::Task<int> Share::unlink(std::string real_rel, bool dir, Cred c) {
  const int pers = rt::personality_for(c.get());
  auto [parent, last] = split_parent(real_rel);
  if (last.empty()) co_return -EINVAL;
  std::string name(last);
  int pfd = co_await open_dir(parent, c);
  if (pfd < 0) co_return pfd;
  FdGuard g{pfd};
  co_return co_await rt::unlinkat(pfd, name.c_str(), dir ? AT_REMOVEDIR : 0).as(pers);
}

rt::Task<int> Share::may_delete(std::string real_rel, uid_t owner_uid, Cred c) {
  auto [parent, last] = split_parent(real_rel);
  if (last.empty()) co_return -EINVAL;
  int pfd = co_await open_dir(parent, c);
  if (pfd < 0) co_return pfd;
  FdGuard g{pfd};
  struct stat pst;
  if (fstat(pfd, &pst) < 0) co_return -errno;
  rt::AsUser as(c.get());
  // AT_EACCESS: checked with the thread's file-system ids, which AsUser set.
  if (faccessat(pfd, ".", W_OK | X_OK, AT_EACCESS) < 0) co_return -errno;
  if (pst.st_mode & S_ISVTX) {
    const uid_t me = c ? c->uid : geteuid();
    if (me != 0 && me != owner_uid && me != pst.st_uid) co_return -EACCES;
  }
  co_return 0;
}

rt::Task<int> Share::rename(std::string from_rel, std::string to_rel, bool replace, Cred c) {
  const int pers = rt::personality_for(c.get());
  auto [fp, fl] = split_parent(from_rel);
  auto [tp, tl] = split_parent(to_rel);
  if (fl.empty() || tl.empty()) co_return -EINVAL;
  std::string fname(fl), tname(tl);
  int ffd = co_await open_dir(fp, c);
  if (ffd < 0) co_return ffd;
  FdGuard g1{ffd};
  int tfd = co_await open_dir(tp, c);
  if (tfd < 0) co_return tfd;
  FdGuard g2{tfd};
  co_return co_await rt::renameat(ffd, fname.c_str(), tfd, tname.c_str(),
                                  replace ? 0 : RENAME_NOREPLACE).as(pers);
}

int Share::path_of_fd(int fd, std::string* rel) const {
  char link[64];
  std::snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
  char buf[PATH_MAX + 1];
  ssize_t n = readlink(link, buf, PATH_MAX);
  if (n < 0) return -errno;
  std::string_view p(buf, static_cast<size_t>(n));
  if (p.ends_with(" (deleted)")) return -ENOENT;
  if (p == root_) {
    rel->clear();
    return 0;
  }
  if (p.size() <= root_.size() || p.substr(0, root_.size()) != root_ ||
      (root_ != "/" && p[root_.size()] != '/')) {
    return -EXDEV;
  }
  *rel = std::string(p.substr(root_ == "/" ? 1 : root_.size() + 1));
  return 0;
}

rt::Task<int> Share::stat_fd(int fd, struct statx* out) {
  co_return co_await rt::statx(fd, "", AT_EMPTY_PATH, kStatxMask, out);
}

namespace {
// Layout of user.ringsmb.dos: version(4) attributes(4) create_time(8)
// change_time(8) change_mtime(8), little-endian.
constexpr size_t kDosSize = 32;
DosMeta decode_dos(const uint8_t* b, ssize_t n) {
  DosMeta m;
  if (n == static_cast<ssize_t>(kDosSize) && wire::ld32(b) == 2) {
    m.present = true;
    m.attributes = wire::ld32(b + 4);
    m.create_time = wire::ld64(b + 8);
    m.change_time = wire::ld64(b + 16);
    m.change_mtime = wire::ld64(b + 24);
  }
  return m;
}
}  // namespace

rt::Task<DosMeta> Share::read_dos(int fd) {
  if (!xattrs_) co_return DosMeta{};
  uint8_t b[kDosSize];
  ssize_t n = fgetxattr(fd, kDosXattr, b, sizeof(b));
  co_return decode_dos(b, n);
}

DosMeta Share::read_dos_at(int dirfd, const char* name) const {
  if (!xattrs_) return {};
  uint8_t b[kDosSize];
  ssize_t n;
  if (dirfd == AT_FDCWD) {
    n = getxattr(name, kDosXattr, b, sizeof(b));  // a resolved /proc/self/fd link
  } else {
    char path[64 + NAME_MAX];
    std::snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dirfd, name);
    n = lgetxattr(path, kDosXattr, b, sizeof(b));
  }
  return decode_dos(b, n);
}

rt::Task<int> Share::write_dos(int fd, const DosMeta& m, Cred c) {
  rt::AsUser as(c.get());
  if (!xattrs_) co_return -EOPNOTSUPP;
  uint8_t b[kDosSize];
  wire::st32(b, 2);
  wire::st32(b + 4, m.attributes);
  wire::st64(b + 8, m.create_time);
  wire::st64(b + 16, m.change_time);
  wire::st64(b + 24, m.change_mtime);
  int rc = fsetxattr(fd, kDosXattr, b, sizeof(b), 0);
  co_return rc < 0 ? -errno : 0;
}

wire::FileInfo Share::file_info(const struct statx& stx, const DosMeta& dos,
                                std::string_view name) const {
  namespace attr = wire::attr;
  wire::FileInfo f;
  f.last_access_time = wire::unix_to_filetime(stx.stx_atime.tv_sec, stx.stx_atime.tv_nsec);
  f.last_write_time = wire::unix_to_filetime(stx.stx_mtime.tv_sec, stx.stx_mtime.tv_nsec);
  f.change_time = wire::unix_to_filetime(stx.stx_ctime.tv_sec, stx.stx_ctime.tv_nsec);
  if (dos.present && dos.change_time != 0 && dos.change_mtime == f.last_write_time) {
    f.change_time = dos.change_time;
  }
  if (dos.present && dos.create_time != 0) {
    f.creation_time = dos.create_time;
  } else if ((stx.stx_mask & STATX_BTIME) != 0) {
    f.creation_time = wire::unix_to_filetime(stx.stx_btime.tv_sec, stx.stx_btime.tv_nsec);
  } else {
    f.creation_time = std::min(f.last_write_time, f.change_time);
  }
  f.directory = S_ISDIR(stx.stx_mode);
  f.nlink = stx.stx_nlink;
  f.file_id = stx.stx_ino;
  if (f.directory) {
    f.end_of_file = 0;
    f.allocation_size = 0;
  } else {
    f.end_of_file = stx.stx_size;
    f.allocation_size = stx.stx_blocks * 512;
  }
  uint32_t a = dos.present ? (dos.attributes & attr::SETTABLE) : (f.directory ? 0 : attr::ARCHIVE);
  if (f.directory) a |= attr::DIRECTORY;
  if (!name.empty() && name[0] == '.' && name != "." && name != "..") a |= attr::HIDDEN;
  if (a == 0) a = attr::NORMAL;
  f.attributes = a;
  return f;
}

int Share::volume_info(VolumeInfo* out) const {
  struct statvfs v {};
  if (fstatvfs(root_fd_, &v) != 0) return -errno;
  struct statfs sf {};
  if (fstatfs(root_fd_, &sf) == 0) out->fs_type = fs_type_name(sf.f_type);
  out->block_size = static_cast<uint32_t>(v.f_frsize ? v.f_frsize : v.f_bsize);
  out->total_bytes = static_cast<uint64_t>(v.f_blocks) * out->block_size;
  out->free_bytes = static_cast<uint64_t>(v.f_bavail) * out->block_size;
  out->actual_free_bytes = static_cast<uint64_t>(v.f_bfree) * out->block_size;
  out->name_max = static_cast<uint32_t>(v.f_namemax);
  return 0;
}

}  // namespace ringsmb::fs
