// The share backend: every name a client gives is resolved beneath the
// share root with openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS), so no
// "..", absolute path or symlink can lead outside it. Operations that take
// a path (unlink, rename, mkdir) first open the parent directory that way
// and then act on one final component relative to that descriptor.
//
// This layer speaks errno (negative values) and FSCC structures; it knows
// nothing of SMB requests. The server maps errno to NTSTATUS in one table.
#pragma once

#include <linux/stat.h>
#include <sys/stat.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "rt/creds.h"
#include "rt/task.h"
#include "wire/fscc.h"

namespace ringsmb::fs {

// Whose credentials a file operation runs with: null is the server's own
// (rt/creds.h). Ops through the ring get the user's personality; the
// synchronous calls that change something run inside rt::AsUser.
using Cred = std::shared_ptr<const rt::Identity>;

// DOS attributes and creation time kept in a user xattr, where the file
// system has them.
struct DosMeta {
  bool present = false;
  uint32_t attributes = 0;
  uint64_t create_time = 0;  // FILETIME, 0: not stored
  // A ChangeTime a client set explicitly. Linux cannot set ctime, so it is
  // kept here together with the mtime it was set with, and reported only
  // while the file's mtime is still that one (any write supersedes it).
  uint64_t change_time = 0;
  uint64_t change_mtime = 0;
};

struct OpenOutcome {
  int fd = -1;
  int err = 0;         // 0 or a positive errno
  std::string path;    // real relative path: what was opened, or where a new
                       // object would go (real parent + requested last name)
  bool parent_missing = false;
  bool is_dir = false;
};

struct Lookup {
  int err = 0;  // 0: found; ENOENT: not found (see parent_missing); other errno
  std::string path;
  bool parent_missing = false;
  struct statx stx {};
};

struct VolumeInfo {
  uint64_t total_bytes = 0;
  uint64_t free_bytes = 0;       // for the caller (f_bavail)
  uint64_t actual_free_bytes = 0;  // f_bfree
  uint32_t block_size = 4096;
  uint32_t name_max = 255;
  std::string fs_type;  // "ext4", "tmpfs", ...
};

class Share {
 public:
  // Opens the root directory. nullptr and *err set when it cannot.
  static std::shared_ptr<Share> open(const std::string& root, bool case_sensitive, int* err);
  ~Share();
  Share(const Share&) = delete;
  Share& operator=(const Share&) = delete;

  int root_fd() const { return root_fd_; }
  const std::string& root() const { return root_; }  // canonical absolute path
  uint32_t volume_serial() const { return volume_serial_; }
  bool xattrs() const { return xattrs_; }

  // Opens an existing object: the exact name first, then (unless the share
  // is case sensitive) a case-insensitive match for each missing component.
  // flags are open(2) flags; directories opened for writing are reopened
  // read-only with O_DIRECTORY (is_dir tells).
  rt::Task<OpenOutcome> open_existing(std::string rel, int flags, Cred c = {});
  // Creates and opens a new regular file at a real path (O_CREAT|O_EXCL).
  rt::Task<OpenOutcome> create_file(std::string real_rel, int flags, mode_t mode, Cred c = {});
  // Creates a directory and opens it.
  rt::Task<OpenOutcome> create_dir(std::string real_rel, mode_t mode, Cred c = {});
  // Finds the on-disk name for rel without keeping anything open.
  rt::Task<Lookup> lookup(std::string rel, Cred c = {});

  // Removes a real path (one final component under a safely opened parent).
  rt::Task<int> unlink(std::string real_rel, bool dir, Cred c = {});
  // Whether c may remove the existing object at real_rel (owned by
  // owner_uid): write and search permission on its parent, and the sticky
  // bit's owner rule. 0 or a negative errno. Windows checks DELETE access
  // when a handle is opened, not when the name goes away.
  rt::Task<int> may_delete(std::string real_rel, uid_t owner_uid, Cred c = {});
  // Renames; replace=false fails with EEXIST when the target exists.
  rt::Task<int> rename(std::string from_rel, std::string to_rel, bool replace, Cred c = {});

  // The current real relative path of an open descriptor (follows renames),
  // or an error when it is no longer under the root.
  int path_of_fd(int fd, std::string* rel) const;

  rt::Task<int> stat_fd(int fd, struct statx* out);
  rt::Task<DosMeta> read_dos(int fd);
  rt::Task<int> write_dos(int fd, const DosMeta& m, Cred c = {});
  // DOS metadata of a name inside an open directory (for listings).
  DosMeta read_dos_at(int dirfd, const char* name) const;

  // FSCC view of a file. name is only used for the hidden-dot-file rule.
  wire::FileInfo file_info(const struct statx& stx, const DosMeta& dos,
                           std::string_view name) const;

  int volume_info(VolumeInfo* out) const;

 private:
  Share() = default;
  // Opens a real directory path beneath the root (O_DIRECTORY).
  rt::Task<int> open_dir(std::string_view real_rel, const Cred& c);
  // Case-insensitive mapping of rel onto existing names.
  rt::Task<Lookup> resolve_ci(std::string rel, Cred c);

  int root_fd_ = -1;
  std::string root_;
  uint32_t volume_serial_ = 0;
  bool xattrs_ = false;
  bool case_sensitive_ = false;
};

// Finds, in an open directory, the entry whose name equals `name` ignoring
// case. Returns the on-disk name or an empty string.
std::string find_name_ci(int dirfd, std::string_view name);

}  // namespace ringsmb::fs
