// Running file operations as a user (when the server runs as root).
//
// Ops submitted through the ring carry an io_uring personality: the
// credentials of the user, registered once per user per ring
// (IORING_REGISTER_PERSONALITY captures the calling thread's credentials,
// so the worker thread briefly takes the user's ids to register them).
// The few synchronous calls a worker makes (getdents, xattrs, ftruncate,
// futimens) run inside an AsUser scope, which switches only the calling
// thread's fsuid, fsgid and groups (raw per-thread syscalls; glibc's
// setgroups would change every thread of the process).
#pragma once

#include <sys/types.h>

#include <memory>
#include <vector>

namespace ringsmb::rt {

struct Identity {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
  bool operator==(const Identity&) const = default;
};

// The personality id for id on the calling worker's ring, registering it on
// first use; 0 (the worker's own credentials) for null or on failure.
int personality_for(const Identity* id);

// Switches the calling thread's file-system identity for its lifetime.
// Does nothing for null.
class AsUser {
 public:
  explicit AsUser(const Identity* id);
  ~AsUser();
  AsUser(const AsUser&) = delete;
  AsUser& operator=(const AsUser&) = delete;

 private:
  bool active_ = false;
  std::vector<gid_t> saved_groups_;
};

}  // namespace ringsmb::rt
