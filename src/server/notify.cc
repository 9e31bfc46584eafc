#include "server/notify.h"

#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <unordered_map>

#include "rt/ops.h"
#include "rt/worker.h"
#include "server/connection.h"
#include "server/log.h"
#include "server/state.h"
#include "wire/le.h"
#include "wire/utf16.h"

namespace ringsmb::server {

namespace {

// FILE_NOTIFY_CHANGE_* (MS-SMB2 2.2.35).
constexpr uint32_t kFileName = 0x001, kDirName = 0x002, kAttributes = 0x004, kSize = 0x008,
                   kLastWrite = 0x010, kLastAccess = 0x020, kCreation = 0x040, kEa = 0x080,
                   kSecurity = 0x100, kStreamName = 0x200, kStreamSize = 0x400,
                   kStreamWrite = 0x800;
constexpr size_t kMaxPending = 4096;

uint32_t inotify_mask(uint32_t filter) {
  uint32_t m = IN_EXCL_UNLINK | IN_ONLYDIR;
  if (filter & (kFileName | kDirName)) m |= IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO;
  if (filter & (kSize | kLastWrite | kStreamSize | kStreamWrite)) m |= IN_MODIFY;
  if (filter & (kAttributes | kLastWrite | kLastAccess | kCreation | kEa | kSecurity | kStreamName))
    m |= IN_ATTRIB;
  return m;
}

// One inotify instance per worker, read through the worker's ring.
class Hub {
 public:
  // Lives as long as the worker thread. Its reader holds the worker and
  // ends when the worker stops (its read is cancelled), so the thread's
  // exit frees the hub, its descriptor and the reader's frame.
  static Hub& current() {
    thread_local std::unique_ptr<Hub> hub;
    if (!hub) hub.reset(new Hub());
    return *hub;
  }
  ~Hub() {
    if (fd_ >= 0) ::close(fd_);
  }

  int add(const std::shared_ptr<Open>& o, uint32_t mask) {
    if (fd_ < 0) return -ENOSYS;
    char path[64];
    std::snprintf(path, sizeof(path), "/proc/self/fd/%d", o->fd);
    int wd = inotify_add_watch(fd_, path, mask | IN_MASK_ADD);
    if (wd < 0) return -errno;
    watchers_[wd].push_back(o);
    return wd;
  }

  void remove(int wd, const Open* o) {
    auto it = watchers_.find(wd);
    if (it == watchers_.end()) return;
    std::erase_if(it->second, [&](const std::weak_ptr<Open>& w) {
      auto p = w.lock();
      return !p || p.get() == o;
    });
    if (it->second.empty()) {
      inotify_rm_watch(fd_, wd);
      watchers_.erase(it);
    }
  }

 private:
  Hub() {
    fd_ = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (fd_ < 0) return;
    rt::Worker* w = rt::Worker::current();
    // A worker already stopping may have run its stop hooks: nothing would
    // end a held reader there, so it is not held (its frame stays, as
    // every hub's did before).
    const bool held = !w->stopping();
    if (held) {
      w->hold();
      const int fd = fd_;
      w->on_stop([fd] { rt::cancel_fd(fd); });
    }
    rt::spawn(reader(this, held ? w : nullptr));
  }

  static rt::Task<void> reader(Hub* h, rt::Worker* held) {
    std::vector<char> buf(64 * 1024);
    // A stop that came while events were being handled finds no read to
    // cancel: the next one is not started.
    while (held == nullptr || !held->stopping()) {
      int n = co_await rt::read(h->fd_, buf.data(), static_cast<unsigned>(buf.size()), ~0ull);
      if (n == -EAGAIN || n == -EINTR) continue;
      if (n <= 0) {
        if (n != -ECANCELED) {
          log::warn("inotify read: {}", n == 0 ? "end of file" : std::strerror(-n));
        }
        break;
      }
      h->dispatch(buf.data(), static_cast<size_t>(n));
    }
    if (held != nullptr) held->unhold();
  }

  void dispatch(const char* p, size_t n) {
    struct Event {
      int wd;
      uint32_t mask;
      uint32_t cookie;
      std::string name;
    };
    std::vector<Event> events;
    for (size_t off = 0; off + sizeof(inotify_event) <= n;) {
      inotify_event e;
      std::memcpy(&e, p + off, sizeof(e));
      std::string name = e.len ? std::string(p + off + sizeof(e)) : std::string();
      events.push_back({e.wd, e.mask, e.cookie, std::move(name)});
      off += sizeof(e) + e.len;
    }
    for (size_t i = 0; i < events.size(); ++i) {
      const Event& e = events[i];
      auto it = watchers_.find(e.wd);
      if (it == watchers_.end()) continue;
      const bool dir = (e.mask & IN_ISDIR) != 0;
      const uint32_t name_bit = dir ? kDirName : kFileName;
      std::vector<std::pair<uint32_t, std::string>> out;  // (filter bits, action name)
      uint32_t action = 0, bits = 0;
      if (e.mask & IN_CREATE) {
        action = notify_action::ADDED;
        bits = name_bit;
      } else if (e.mask & IN_DELETE) {
        action = notify_action::REMOVED;
        bits = name_bit;
      } else if (e.mask & IN_MOVED_FROM) {
        // A rename within the directory arrives as FROM and TO with one cookie.
        if (i + 1 < events.size() && (events[i + 1].mask & IN_MOVED_TO) &&
            events[i + 1].cookie == e.cookie && events[i + 1].wd == e.wd) {
          deliver(it->second, name_bit, notify_action::RENAMED_OLD_NAME, e.name);
          deliver(it->second, name_bit, notify_action::RENAMED_NEW_NAME, events[i + 1].name);
          ++i;
          continue;
        }
        action = notify_action::REMOVED;
        bits = name_bit;
      } else if (e.mask & IN_MOVED_TO) {
        action = notify_action::ADDED;
        bits = name_bit;
      } else if (e.mask & IN_MODIFY) {
        action = notify_action::MODIFIED;
        bits = kSize | kLastWrite | kStreamSize | kStreamWrite;
      } else if (e.mask & IN_ATTRIB) {
        action = notify_action::MODIFIED;
        bits = kAttributes | kLastWrite | kLastAccess | kCreation | kEa | kSecurity | kStreamName;
      } else if (e.mask & (IN_IGNORED | IN_DELETE_SELF | IN_UNMOUNT)) {
        // The directory itself is gone: whoever waits is done.
        for (auto& w : it->second) {
          if (auto o = w.lock()) {
            std::lock_guard lk(o->notify.mu);
            if (o->notify.waiter) o->notify.waiter->wake(Waiter::Cleanup);
          }
        }
        continue;
      } else if (e.mask & IN_Q_OVERFLOW) {
        continue;
      }
      if (action != 0 && !e.name.empty()) deliver(it->second, bits, action, e.name);
    }
    // A queue overflow loses events: every watcher must rescan.
    for (const Event& e : events) {
      if ((e.mask & IN_Q_OVERFLOW) == 0) continue;
      for (auto& [wd, list] : watchers_) {
        for (auto& w : list) {
          if (auto o = w.lock()) {
            std::lock_guard lk(o->notify.mu);
            o->notify.overflow = true;
            if (o->notify.waiter) o->notify.waiter->wake(Waiter::Event);
          }
        }
      }
    }
  }

  static void deliver(std::vector<std::weak_ptr<Open>>& list, uint32_t bits, uint32_t action,
                      const std::string& name) {
    for (auto& w : list) {
      auto o = w.lock();
      if (!o) continue;
      NotifyState& ns = o->notify;
      std::lock_guard lk(ns.mu);
      if ((ns.filter & bits) == 0) continue;
      if (!ns.pending.empty() && ns.pending.back().first == action &&
          ns.pending.back().second == name && action == notify_action::MODIFIED) {
        continue;  // coalesce repeated modifications
      }
      if (ns.pending.size() >= kMaxPending) {
        ns.overflow = true;
      } else {
        ns.pending.emplace_back(action, name);
      }
      if (ns.waiter) ns.waiter->wake(Waiter::Event);
    }
  }

  int fd_ = -1;
  std::unordered_map<int, std::vector<std::weak_ptr<Open>>> watchers_;
};

}  // namespace

int notify_watch(const std::shared_ptr<Open>& open, uint32_t filter) {
  NotifyState& ns = open->notify;
  {
    std::lock_guard lk(ns.mu);
    if (ns.watching) return 0;
    ns.filter = filter;
  }
  Hub& hub = Hub::current();
  int wd = hub.add(open, inotify_mask(filter));
  if (wd < 0) return wd;
  std::lock_guard lk(ns.mu);
  ns.watching = true;
  ns.wd = wd;
  ns.hub = &hub;
  ns.worker = rt::Worker::current();
  return 0;
}

void notify_unwatch(Open& open) {
  NotifyState& ns = open.notify;
  rt::Worker* worker;
  int wd;
  void* hub;
  {
    std::lock_guard lk(ns.mu);
    if (ns.waiter) ns.waiter->wake(Waiter::Cleanup);
    ns.waiter.reset();
    if (!ns.watching) return;
    ns.watching = false;
    worker = ns.worker;
    wd = ns.wd;
    hub = ns.hub;
  }
  // The watch belongs to the hub of the worker that made it.
  const Open* key = &open;
  auto drop = [hub, wd, key] { static_cast<Hub*>(hub)->remove(wd, key); };
  if (worker == rt::Worker::current()) {
    drop();
  } else if (worker != nullptr) {
    worker->post(drop);
  }
}

std::vector<uint8_t> encode_notify(const std::vector<std::pair<uint32_t, std::string>>& events,
                                   size_t max_len, bool* fits) {
  // FILE_NOTIFY_INFORMATION (MS-FSCC 2.7.1): 4-byte aligned entries.
  std::vector<uint8_t> out;
  size_t prev = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    auto name = wire::utf8_to_utf16le(events[i].second);
    if (i != 0) {
      size_t aligned = (out.size() + 3) & ~size_t{3};
      out.resize(aligned, 0);
      wire::st32(out.data() + prev, static_cast<uint32_t>(aligned - prev));
    }
    prev = out.size();
    out.resize(prev + 12 + name.size(), 0);
    wire::st32(out.data() + prev + 4, events[i].first);
    wire::st32(out.data() + prev + 8, static_cast<uint32_t>(name.size()));
    std::memcpy(out.data() + prev + 12, name.data(), name.size());
  }
  *fits = out.size() <= max_len;
  if (!*fits) out.clear();
  return out;
}

void notify_delete_pending(FileObject& file) {
  for (Open* o : file.opens) {
    std::lock_guard lk(o->notify.mu);
    if (o->notify.waiter) o->notify.waiter->wake(Waiter::DeletePending);
  }
}

}  // namespace ringsmb::server
