#include "server/datapath.h"

#include <fmt/format.h>

namespace ringsmb::server {

std::string DataPathCounters::summary() const {
  auto v = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  return fmt::format("data paths: read copy={} zerocopy={} splice={}, write recv={} splice={}",
                     v(read_copy), v(read_zerocopy), v(read_splice), v(write_recv),
                     v(write_splice));
}

DataPathCounters& datapath_counters() {
  static DataPathCounters c;
  return c;
}

}  // namespace ringsmb::server
