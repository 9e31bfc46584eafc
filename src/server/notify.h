// CHANGE_NOTIFY (MS-SMB2 3.3.5.19, MS-FSA 2.1.5.10) on inotify.
//
// Each worker has one inotify instance whose events are read through its
// ring. A directory open that asks for notifications gets a watch there
// (on /proc/self/fd/N of its descriptor, so the path is never resolved
// again); events are collected per open and handed to the CHANGE_NOTIFY
// request waiting on it, or kept for the next one. WATCH_TREE is honoured
// for the directory itself only (inotify watches are not recursive).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "rt/task.h"

namespace ringsmb::rt {
class Worker;
}

namespace ringsmb::server {

struct Open;
struct Waiter;
struct FileObject;

// FILE_ACTION_* (MS-FSCC 2.7.1).
namespace notify_action {
inline constexpr uint32_t ADDED = 1;
inline constexpr uint32_t REMOVED = 2;
inline constexpr uint32_t MODIFIED = 3;
inline constexpr uint32_t RENAMED_OLD_NAME = 4;
inline constexpr uint32_t RENAMED_NEW_NAME = 5;
}  // namespace notify_action

// Per-open notification state, guarded by mu.
struct NotifyState {
  std::mutex mu;
  bool watching = false;
  int wd = -1;
  void* hub = nullptr;  // the worker's hub owning wd
  ringsmb::rt::Worker* worker = nullptr;  // the worker of that hub
  uint32_t filter = 0;
  std::vector<std::pair<uint32_t, std::string>> pending;  // (action, name)
  bool overflow = false;  // more than we keep: report NOTIFY_ENUM_DIR
  std::shared_ptr<Waiter> waiter;  // the CHANGE_NOTIFY waiting for events
};

// Starts watching the open's directory with the given completion filter.
// 0 or -errno.
int notify_watch(const std::shared_ptr<Open>& open, uint32_t filter);
// Stops watching (the open is closing); wakes a waiting request with
// STATUS_NOTIFY_CLEANUP.
void notify_unwatch(Open& open);

// A directory became delete-pending (file->mu held): change notifications
// waiting on any of its handles complete with STATUS_DELETE_PENDING, as
// Windows and Samba do (smbtorture notify.rmdir1-4).
void notify_delete_pending(FileObject& file);

// FILE_NOTIFY_INFORMATION entries for the events, or empty when they do
// not fit in max_len (the caller answers STATUS_NOTIFY_ENUM_DIR).
std::vector<uint8_t> encode_notify(const std::vector<std::pair<uint32_t, std::string>>& events,
                                   size_t max_len, bool* fits);

}  // namespace ringsmb::server
