// Registered buffer pool, one per worker.
//
// The pool mmaps one region, splits it into size classes and registers every
// buffer with the worker's ring (io_uring_register_buffers), so READ_FIXED /
// WRITE_FIXED can use them without the kernel pinning pages per request.
// When a class is empty, or a request is larger than the largest class, or
// registration was refused (RLIMIT_MEMLOCK for unprivileged users), get()
// returns a plain heap buffer with buf_index() == -1: callers then use the
// unregistered op. Nothing ever fails for lack of a registered buffer.
//
// A Buffer returns itself to its pool when destroyed. Destruction on another
// thread is allowed (it goes through a locked return list).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <span>
#include <tuple>
#include <vector>

namespace ringsmb::rt {

class Ring;
class BufferPool;

class Buffer {
 public:
  Buffer() = default;
  Buffer(Buffer&& o) noexcept { *this = std::move(o); }
  Buffer& operator=(Buffer&& o) noexcept;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer() { release(); }

  uint8_t* data() const { return data_; }
  size_t capacity() const { return cap_; }
  int buf_index() const { return index_; }  // -1: not registered
  bool registered() const { return index_ >= 0; }
  std::span<uint8_t> span() const { return {data_, cap_}; }
  explicit operator bool() const { return data_ != nullptr; }

  // A heap buffer owned by nobody's pool.
  static Buffer heap(size_t n);

 private:
  friend class BufferPool;
  void release();
  uint8_t* data_ = nullptr;
  size_t cap_ = 0;
  int index_ = -1;
  int class_ = -1;
  BufferPool* pool_ = nullptr;
};

struct BufferPoolConfig {
  // {size, count} per class; sizes ascending.
  std::vector<std::pair<size_t, unsigned>> classes = {
      {64 * 1024, 128},
      {1024 * 1024, 16},
      {8 * 1024 * 1024 + 64 * 1024, 4},
  };
};

class BufferPool {
 public:
  // Registers with ring when given (and allowed); otherwise unregistered.
  BufferPool(Ring* ring, const BufferPoolConfig& cfg);
  ~BufferPool();
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  Buffer get(size_t n);
  bool registered() const { return registered_; }
  size_t largest_class() const;

  struct Stats {
    uint64_t hits = 0, misses = 0;
  };
  const Stats& stats() const { return stats_; }

 private:
  friend class Buffer;
  void put(uint8_t* p, int cls, int index);
  void drain_remote();

  struct Class {
    size_t size;
    std::vector<std::pair<uint8_t*, int>> free;  // (address, registered index)
  };
  std::vector<Class> classes_;
  uint8_t* region_ = nullptr;
  size_t region_len_ = 0;
  bool registered_ = false;
  Ring* ring_ = nullptr;
  Stats stats_;
  size_t owner_thread_;

  std::mutex remote_mu_;
  std::atomic<bool> remote_pending_{false};
  std::vector<std::tuple<uint8_t*, int, int>> remote_;
};

}  // namespace ringsmb::rt
