#include "server/oplock.h"

#include "server/connection.h"
#include "server/dispatch.h"
#include "server/lease.h"
#include "server/log.h"
#include "server/server.h"
#include "wire/header.h"

namespace ringsmb::server {

namespace {

BreakTarget target_of(const Open& o) { return {o.conn, o.worker, o.session_id}; }

// Builds the frame of a break notification (2.2.23): MessageId all ones,
// SessionId 0, encrypted when the holder's session encrypts.
OutFrame notification_frame(Server& server, uint64_t session_id, const std::vector<uint8_t>& body) {
  wire::Header h;
  h.command = static_cast<uint16_t>(wire::Command::OplockBreak);
  h.message_id = ~uint64_t{0};  // an unsolicited notification
  Response r;
  r.body.append(body.data(), body.size());
  OutFrame out;
  append_response(out, h, r, 0, true);
  if (auto s = server.sessions().find(session_id); s && s->encrypt_data) encrypt_frame(out, *s);
  finish_frame(out);
  return out;
}

// The channels of the session, as further targets (3.3.4.7: when the
// holder's connection is gone, any channel of its session).
std::vector<BreakTarget> channels_of(Server& server, uint64_t session_id) {
  std::vector<BreakTarget> v;
  auto s = server.sessions().find(session_id);
  if (!s) return v;
  std::lock_guard lk(s->mu);
  for (const Channel& c : s->channels) v.push_back({c.conn_ref, c.worker, session_id});
  return v;
}

// Tries targets[i..] in turn, each from the worker that owns it; when all
// are gone, the channels of the first target's session.
void deliver(Server& server, std::shared_ptr<std::vector<BreakTarget>> targets, size_t i,
             bool channels_added, std::shared_ptr<const std::vector<uint8_t>> body) {
  if (i >= targets->size()) {
    if (channels_added || targets->empty()) return;
    auto more = channels_of(server, targets->front().session_id);
    targets->insert(targets->end(), more.begin(), more.end());
    channels_added = true;
    if (i >= targets->size()) return;
  }
  const BreakTarget& t = (*targets)[i];
  if (t.worker == nullptr) {
    deliver(server, targets, i + 1, channels_added, body);
    return;
  }
  t.worker->post([&server, targets, i, channels_added, body] {
    const BreakTarget& to = (*targets)[i];
    auto c = to.conn.lock();
    if (!c || c->closing()) {
      deliver(server, targets, i + 1, channels_added, body);
      return;
    }
    c->send_frame(notification_frame(server, to.session_id, *body));
  });
}

// An OPLOCK_BREAK notification (2.2.23.1) to the holder of an oplock.
void send_break(Server& server, BreakTarget t, wire::FileId id, uint8_t level) {
  std::vector<uint8_t> body(24, 0);
  wire::st16(body.data(), 24);
  body[2] = level;
  wire::st_file_id(body.data() + 8, id);
  send_break_notification(server, {t}, std::move(body));
}

}  // namespace

void send_break_notification(Server& server, std::vector<BreakTarget> targets,
                             std::vector<uint8_t> body) {
  deliver(server, std::make_shared<std::vector<BreakTarget>>(std::move(targets)), 0, false,
          std::make_shared<const std::vector<uint8_t>>(std::move(body)));
}

void wake_break_waiters(FileObject& file) {
  for (auto& w : file.break_waiters) w->fire();
  file.break_waiters.clear();
}

rt::Task<void> break_exclusive_oplocks(Server& server, std::shared_ptr<FileObject> file,
                                       const Open* self, uint8_t to) {
  for (;;) {
    std::shared_ptr<rt::Signal> wait;
    {
      std::lock_guard lk(file->mu);
      Open* holder = nullptr;
      for (Open* o : file->opens) {
        if (o != self && (o->oplock == wire::oplock::EXCLUSIVE || o->oplock == wire::oplock::BATCH)) {
          holder = o;
          break;
        }
      }
      if (holder == nullptr) co_return;
      if (holder->preserved) {
        // A durable open whose connection is gone cannot answer: its
        // oplock is broken at once.
        holder->oplock = to;
        if (to == wire::oplock::LEVEL_II) file->level2_count++;
        holder->oplock_breaking = false;
        continue;
      }
      if (!holder->oplock_breaking) {
        holder->oplock_breaking = true;
        holder->oplock_break_to = to;
        send_break(server, target_of(*holder), holder->id, to);
      } else if (to < holder->oplock_break_to) {
        holder->oplock_break_to = to;  // a later breaker wants less
      }
      wait = rt::Signal::make();
      file->break_waiters.push_back(wait);
    }
    bool acked = co_await wait->wait(kOplockBreakTimeout);
    if (!acked) {
      // The holder did not answer: the break completes anyway (3.3.6.2).
      std::lock_guard lk(file->mu);
      for (Open* o : file->opens) {
        if (o != self && o->oplock_breaking) {
          log::info("oplock break of {} not acknowledged in time", o->client_name);
          if (o->oplock == wire::oplock::LEVEL_II) file->level2_count--;
          o->oplock = o->oplock_break_to;
          if (o->oplock == wire::oplock::LEVEL_II) file->level2_count++;
          o->oplock_breaking = false;
        }
      }
      wake_break_waiters(*file);
    }
  }
}

uint8_t grant_oplock(FileObject& file, uint8_t requested) {
  using namespace wire::oplock;
  if (requested != LEVEL_II && requested != EXCLUSIVE && requested != BATCH) return NONE;
  if (file.opens.empty()) return requested;
  for (Open* o : file.opens) {
    if (o->oplock == EXCLUSIVE || o->oplock == BATCH) return NONE;  // still held (timed out)
    // An oplock does not coexist with a handle lease (smb2.lease.oplock).
    if (o->lease && (o->lease->state & wire::lease::HANDLE)) return NONE;
  }
  return LEVEL_II;
}

void break_level2_oplocks(Server& server, FileObject& file, const Open* writer) {
  if (file.level2_count.load(std::memory_order_relaxed) == 0 &&
      file.lease_count.load(std::memory_order_relaxed) == 0) {
    return;
  }
  std::lock_guard lk(file.mu);
  for (Open* o : file.opens) {
    if (o != writer && o->oplock == wire::oplock::LEVEL_II) {
      o->oplock = wire::oplock::NONE;
      file.level2_count--;
      send_break(server, target_of(*o), o->id, wire::oplock::NONE);
    }
  }
  break_leases_to_none(server, file, writer != nullptr ? writer->lease.get() : nullptr);
}

}  // namespace ringsmb::server
