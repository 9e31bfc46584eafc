#include "rt/creds.h"

#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <map>
#include <tuple>

#include "rt/ring.h"

namespace ringsmb::rt {

namespace {

// Per-thread credential switches (the raw syscalls act on the calling
// thread only).
long set_groups(const std::vector<gid_t>& g) {
  return syscall(SYS_setgroups, g.size(), g.empty() ? nullptr : g.data());
}
std::vector<gid_t> get_groups() {
  int n = getgroups(0, nullptr);
  std::vector<gid_t> g(static_cast<size_t>(n > 0 ? n : 0));
  if (n > 0) getgroups(n, g.data());
  return g;
}

using Key = std::tuple<uid_t, gid_t, std::vector<gid_t>>;

}  // namespace

int personality_for(const Identity* id) {
  if (id == nullptr) return 0;
  Ring* ring = Ring::current();
  if (ring == nullptr) return 0;
  thread_local std::map<Key, int> cache;
  Key key{id->uid, id->gid, id->groups};
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  // Take the user's ids (effective only, so root can come back), register,
  // and return to root in the reverse order.
  std::vector<gid_t> saved = get_groups();
  int pid = 0;
  if (set_groups(id->groups) == 0 &&
      syscall(SYS_setresgid, static_cast<gid_t>(-1), id->gid, static_cast<gid_t>(-1)) == 0 &&
      syscall(SYS_setresuid, static_cast<uid_t>(-1), id->uid, static_cast<uid_t>(-1)) == 0) {
    pid = io_uring_register_personality(ring->raw());
    if (pid < 0) pid = 0;
  }
  syscall(SYS_setresuid, static_cast<uid_t>(-1), 0, static_cast<uid_t>(-1));
  syscall(SYS_setresgid, static_cast<gid_t>(-1), 0, static_cast<gid_t>(-1));
  set_groups(saved);
  cache.emplace(std::move(key), pid);
  return pid;
}

AsUser::AsUser(const Identity* id) {
  if (id == nullptr) return;
  saved_groups_ = get_groups();
  set_groups(id->groups);
  setfsgid(id->gid);
  setfsuid(id->uid);
  active_ = true;
}

AsUser::~AsUser() {
  if (!active_) return;
  setfsuid(0);
  setfsgid(0);
  set_groups(saved_groups_);
}

}  // namespace ringsmb::rt
