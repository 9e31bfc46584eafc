#include "fs/dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "fs/ea.h"
#include "rt/batch.h"
#include "rt/ops.h"

namespace ringsmb::fs {

namespace {
// struct linux_dirent64, read field by field (no flexible array member).
constexpr size_t kInoOff = 0, kReclenOff = 16, kTypeOff = 18, kNameOff = 19;
}  // namespace

int directory_is_empty(int dirfd) {
  int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -errno;
  char buf[4096];
  int result = 1;
  for (;;) {
    long n = syscall(SYS_getdents64, fd, buf, sizeof(buf));
    if (n < 0) {
      result = -errno;
      break;
    }
    if (n == 0) break;
    for (long pos = 0; pos < n && result == 1;) {
      const char* rec = buf + pos;
      unsigned short reclen;
      std::memcpy(&reclen, rec + kReclenOff, sizeof(reclen));
      const char* name = rec + kNameOff;
      pos += reclen;
      if (std::strcmp(name, ".") != 0 && std::strcmp(name, "..") != 0) result = 0;
    }
    if (result != 1) break;
  }
  ::close(fd);
  return result;
}

int list_directory(int dirfd, std::vector<DirEntry>* out) {
  out->clear();
  // A fresh open of "." gives an independent file offset.
  int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -errno;
  out->push_back({".", 0, DT_DIR});
  out->push_back({"..", 0, DT_DIR});
  std::unique_ptr<char[]> buf(new char[32768]);
  for (;;) {
    long n = syscall(SYS_getdents64, fd, buf.get(), 32768);
    if (n < 0) {
      int e = errno;
      ::close(fd);
      return -e;
    }
    if (n == 0) break;
    for (long pos = 0; pos < n;) {
      const char* rec = buf.get() + pos;
      uint64_t ino;
      unsigned short reclen;
      std::memcpy(&ino, rec + kInoOff, sizeof(ino));
      std::memcpy(&reclen, rec + kReclenOff, sizeof(reclen));
      auto type = static_cast<uint8_t>(rec[kTypeOff]);
      const char* name = rec + kNameOff;
      pos += reclen;
      if (std::strcmp(name, ".") == 0 || std::strcmp(name, "..") == 0) continue;
      out->push_back({name, ino, type});
    }
  }
  ::close(fd);
  return 0;
}

rt::Task<void> stat_entries(Share& share, int dirfd, const std::string& dir_rel,
                            std::span<const DirEntry> entries, std::vector<wire::FileInfo>* infos,
                            std::vector<bool>* ok, bool with_ea_size) {
  const size_t n = entries.size();
  infos->assign(n, {});
  ok->assign(n, false);
  std::vector<struct statx> stx(n);
  // Symlinks are resolved beneath the root (so one pointing outside is
  // simply not listed); everything else is stat'ed without following.
  std::vector<int> link_fd(n, -1);
  std::vector<std::string> link_path(n);
  std::vector<open_how> hows(n);
  {
    rt::Batch opens;
    std::vector<size_t> idx;
    for (size_t i = 0; i < n; ++i) {
      if (entries[i].d_type != DT_LNK && entries[i].d_type != DT_UNKNOWN) continue;
      link_path[i] = dir_rel.empty() ? entries[i].name : dir_rel + "/" + entries[i].name;
      hows[i].flags = O_PATH | O_CLOEXEC;
      hows[i].resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
      const char* p = link_path[i].c_str();
      open_how* h = &hows[i];
      int root = share.root_fd();
      opens.add([=](io_uring_sqe* s) { io_uring_prep_openat2(s, root, p, h); });
      idx.push_back(i);
    }
    co_await opens;
    for (size_t k = 0; k < idx.size(); ++k) link_fd[idx[k]] = opens.result(k);
  }
  rt::Batch stats;
  std::vector<size_t> idx;
  for (size_t i = 0; i < n; ++i) {
    struct statx* out = &stx[i];
    const std::string& name = entries[i].name;
    if (name == "." || name == "..") {
      stats.add([=](io_uring_sqe* s) {
        io_uring_prep_statx(s, dirfd, "", AT_EMPTY_PATH, STATX_BASIC_STATS | STATX_BTIME, out);
      });
    } else if (entries[i].d_type == DT_LNK || entries[i].d_type == DT_UNKNOWN) {
      int lfd = link_fd[i];
      if (lfd < 0) continue;
      stats.add([=](io_uring_sqe* s) {
        io_uring_prep_statx(s, lfd, "", AT_EMPTY_PATH, STATX_BASIC_STATS | STATX_BTIME, out);
      });
    } else {
      const char* p = name.c_str();
      stats.add([=](io_uring_sqe* s) {
        io_uring_prep_statx(s, dirfd, p, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS | STATX_BTIME,
                            out);
      });
    }
    idx.push_back(i);
  }
  co_await stats;
  for (size_t k = 0; k < idx.size(); ++k) {
    size_t i = idx[k];
    if (stats.result(k) < 0) continue;
    DosMeta dos;
    std::vector<Ea> eas;
    if (with_ea_size && share.xattrs()) {
      if (link_fd[i] >= 0) {
        char p[64];
        std::snprintf(p, sizeof(p), "/proc/self/fd/%d", link_fd[i]);
        list_eas_at(AT_FDCWD, p, &eas);
      } else if (entries[i].name == "." || entries[i].name == "..") {
        list_eas(dirfd, &eas);
      } else {
        list_eas_at(dirfd, entries[i].name.c_str(), &eas);
      }
    }
    if (link_fd[i] >= 0) {
      // Through the resolved descriptor (an O_PATH fd supports no xattr
      // call; the link target's metadata is read by path beneath /proc).
      char p[64];
      std::snprintf(p, sizeof(p), "/proc/self/fd/%d", link_fd[i]);
      dos = share.read_dos_at(AT_FDCWD, p);
    } else if (entries[i].name == "." || entries[i].name == "..") {
      dos = co_await share.read_dos(dirfd);
    } else {
      dos = share.read_dos_at(dirfd, entries[i].name.c_str());
    }
    (*infos)[i] = share.file_info(stx[i], dos, entries[i].name);
    (*infos)[i].ea_size = full_ea_list_size(eas);
    (*ok)[i] = true;
  }
  for (int fd : link_fd)
    if (fd >= 0) ::close(fd);
}

}  // namespace ringsmb::fs
