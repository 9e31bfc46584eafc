#include "server/oplock.h"

#include "server/connection.h"
#include "server/dispatch.h"
#include "server/log.h"
#include "server/server.h"
#include "wire/header.h"

namespace ringsmb::server {

namespace {

// What a notification needs, copied out from under the file lock.
struct BreakTarget {
  wire::FileId id;
  uint64_t session_id = 0;
  std::weak_ptr<Connection> conn;
  rt::Worker* worker = nullptr;
};

BreakTarget target_of(const Open& o) { return {o.id, o.session_id, o.conn, o.worker}; }

// Sends an OPLOCK_BREAK notification (2.2.23.1) on the holder's connection,
// from the holder's worker: MessageId all ones, encrypted when the session
// encrypts.
void send_break(Server& server, BreakTarget t, uint8_t level) {
  if (t.worker == nullptr) return;
  t.worker->post([&server, t, level] {
    auto c = t.conn.lock();
    if (!c || c->closing()) return;
    wire::Header h;
    h.command = static_cast<uint16_t>(wire::Command::OplockBreak);
    h.message_id = ~uint64_t{0};  // an unsolicited notification, SessionId 0
    Response r;
    r.body.zeros(24);
    wire::st16(r.body.data(), 24);
    r.body.data()[2] = level;
    wire::st_file_id(r.body.data() + 8, t.id);
    OutFrame out;
    append_response(out, h, r, 0, true);
    if (auto s = server.sessions().find(t.session_id); s && s->encrypt_data) encrypt_frame(out, *s);
    finish_frame(out);
    c->send_frame(std::move(out));
  });
}

}  // namespace

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
      if (!holder->oplock_breaking) {
        holder->oplock_breaking = true;
        holder->oplock_break_to = to;
        send_break(server, target_of(*holder), to);
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
  }
  return LEVEL_II;
}

void break_level2_oplocks(Server& server, FileObject& file, const Open* writer) {
  if (file.level2_count.load(std::memory_order_relaxed) == 0) return;
  std::lock_guard lk(file.mu);
  for (Open* o : file.opens) {
    if (o != writer && o->oplock == wire::oplock::LEVEL_II) {
      o->oplock = wire::oplock::NONE;
      file.level2_count--;
      send_break(server, target_of(*o), wire::oplock::NONE);
    }
  }
}

}  // namespace ringsmb::server
