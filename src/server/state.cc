#include "server/state.h"

#include <unistd.h>

#include "auth/crypto.h"

namespace ringsmb::server {

Open::~Open() {
  // The last reference went away: no request uses the descriptor any more.
  if (fd >= 0) ::close(fd);
}

std::shared_ptr<Session> SessionTable::create(uint16_t dialect) {
  auto s = std::make_shared<Session>();
  s->dialect = dialect;
  std::lock_guard lk(mu_);
  if (next_ == 0) {
    // Start from a random point so ids are not guessable across restarts.
    uint8_t r[8];
    auth::random_bytes(r);
    for (uint8_t b : r) next_ = (next_ << 8) | b;
    // Within 32 bits: some clients (and smbtorture) keep session ids in a
    // 32-bit field, as Samba's and Windows' ids allow.
    next_ &= 0x7FFFFFFFull;
  }
  do {
    next_ = (next_ + 1) & 0xFFFFFFFFull;
  } while (next_ == 0 || map_.count(next_) != 0);
  s->id = next_;
  map_[s->id] = s;
  return s;
}

std::shared_ptr<Session> SessionTable::find(uint64_t id) {
  std::lock_guard lk(mu_);
  auto it = map_.find(id);
  return it == map_.end() ? nullptr : it->second;
}

void SessionTable::remove(uint64_t id) {
  std::lock_guard lk(mu_);
  map_.erase(id);
}

size_t SessionTable::size() {
  std::lock_guard lk(mu_);
  return map_.size();
}

std::shared_ptr<FileObject> FileTable::get(uint64_t dev, uint64_t ino,
                                           const std::string& stream) {
  std::string key_stream = fs::fold_key(stream);
  Key key{dev, ino, key_stream};
  std::lock_guard lk(mu_);
  if (auto it = map_.find(key); it != map_.end()) {
    if (auto f = it->second.lock()) return f;
  }
  if (++inserts_ % kSweepEvery == 0) sweep();
  auto f = std::make_shared<FileObject>();
  f->dev = dev;
  f->ino = ino;
  f->stream = key_stream;
  map_[key] = f;
  return f;
}

void FileTable::release(const std::shared_ptr<FileObject>& f) {
  std::lock_guard lk(mu_);
  auto it = map_.find(Key{f->dev, f->ino, f->stream});
  if (it == map_.end()) return;
  // use_count: the caller's reference and nothing else.
  if (it->second.use_count() <= 1) map_.erase(it);
}

size_t FileTable::size() {
  std::lock_guard lk(mu_);
  return map_.size();
}

void FileTable::sweep() {
  std::erase_if(map_, [](const auto& kv) { return kv.second.expired(); });
}

}  // namespace ringsmb::server
