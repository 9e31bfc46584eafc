// How READ data left and WRITE data arrived, counted over the server's
// life: which path of docs/performance.md each request took. ringsmbd logs
// the counts when it stops; tests and the benchmark read them from there.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace ringsmb::server {

struct DataPathCounters {
  std::atomic<uint64_t> read_copy{0};
  std::atomic<uint64_t> read_zerocopy{0};
  std::atomic<uint64_t> read_splice{0};
  std::atomic<uint64_t> write_recv{0};
  std::atomic<uint64_t> write_splice{0};

  std::string summary() const;
};

DataPathCounters& datapath_counters();

}  // namespace ringsmb::server
