#include "rt/buffer.h"

#include <sys/mman.h>
#include <sys/uio.h>

#include <cstdlib>
#include <functional>
#include <new>
#include <thread>

#include "rt/ring.h"

namespace ringsmb::rt {

namespace {
size_t this_thread_id() { return std::hash<std::thread::id>{}(std::this_thread::get_id()); }
constexpr size_t kHeapAlign = 4096;
}  // namespace

Buffer& Buffer::operator=(Buffer&& o) noexcept {
  if (this != &o) {
    release();
    data_ = o.data_;
    cap_ = o.cap_;
    index_ = o.index_;
    class_ = o.class_;
    pool_ = o.pool_;
    o.data_ = nullptr;
    o.cap_ = 0;
    o.index_ = -1;
    o.class_ = -1;
    o.pool_ = nullptr;
  }
  return *this;
}

Buffer Buffer::heap(size_t n) {
  Buffer b;
  size_t len = (n + kHeapAlign - 1) / kHeapAlign * kHeapAlign;
  if (len == 0) len = kHeapAlign;
  b.data_ = static_cast<uint8_t*>(std::aligned_alloc(kHeapAlign, len));
  if (b.data_ == nullptr) throw std::bad_alloc();
  b.cap_ = len;
  return b;
}

void Buffer::release() {
  if (data_ == nullptr) return;
  if (pool_ != nullptr) {
    pool_->put(data_, class_, index_);
  } else {
    std::free(data_);
  }
  data_ = nullptr;
  cap_ = 0;
  index_ = -1;
  class_ = -1;
  pool_ = nullptr;
}

BufferPool::BufferPool(Ring* ring, const BufferPoolConfig& cfg)
    : ring_(ring), owner_thread_(this_thread_id()) {
  for (auto& [size, count] : cfg.classes) region_len_ += size * count;
  if (region_len_ == 0) return;
  void* p = mmap(nullptr, region_len_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    region_ = nullptr;
    region_len_ = 0;
    return;
  }
  region_ = static_cast<uint8_t*>(p);
  std::vector<iovec> iov;
  uint8_t* cur = region_;
  for (auto& [size, count] : cfg.classes) {
    Class c{size, {}};
    for (unsigned i = 0; i < count; ++i) {
      c.free.emplace_back(cur, static_cast<int>(iov.size()));
      iov.push_back({cur, size});
      cur += size;
    }
    classes_.push_back(std::move(c));
  }
  if (ring_ != nullptr) {
    registered_ = io_uring_register_buffers(ring_->raw(), iov.data(),
                                            static_cast<unsigned>(iov.size())) == 0;
  }
  if (!registered_) {
    for (auto& c : classes_)
      for (auto& f : c.free) f.second = -1;
  }
}

BufferPool::~BufferPool() {
  if (registered_ && ring_ != nullptr) io_uring_unregister_buffers(ring_->raw());
  if (region_ != nullptr) munmap(region_, region_len_);
}

size_t BufferPool::largest_class() const { return classes_.empty() ? 0 : classes_.back().size; }

Buffer BufferPool::get(size_t n) {
  if (remote_pending_.load(std::memory_order_acquire)) drain_remote();
  for (size_t ci = 0; ci < classes_.size(); ++ci) {
    Class& c = classes_[ci];
    if (c.size < n || c.free.empty()) continue;
    auto [addr, idx] = c.free.back();
    c.free.pop_back();
    Buffer b;
    b.data_ = addr;
    b.cap_ = c.size;
    b.index_ = idx;
    b.class_ = static_cast<int>(ci);
    b.pool_ = this;
    ++stats_.hits;
    return b;
  }
  ++stats_.misses;
  return Buffer::heap(n);
}

void BufferPool::put(uint8_t* p, int cls, int index) {
  if (this_thread_id() == owner_thread_) {
    classes_[static_cast<size_t>(cls)].free.emplace_back(p, index);
    return;
  }
  std::lock_guard lk(remote_mu_);
  remote_.emplace_back(p, cls, index);
  remote_pending_.store(true, std::memory_order_release);
}

void BufferPool::drain_remote() {
  std::lock_guard lk(remote_mu_);
  for (auto& [p, cls, index] : remote_) classes_[static_cast<size_t>(cls)].free.emplace_back(p, index);
  remote_.clear();
  remote_pending_.store(false, std::memory_order_release);
}

}  // namespace ringsmb::rt
