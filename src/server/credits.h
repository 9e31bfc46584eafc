// The command sequence window and credit grants of one connection
// (MS-SMB2 3.3.1.1, 3.3.1.2, 3.3.5.2.3, 3.3.5.2.5).
//
// The client may use message ids [low, low + range); each request consumes
// CreditCharge consecutive ids, each response grants new ones. Ids may be
// used out of order; the window slides when its lowest id has been used.
#pragma once

#include <cstdint>
#include <vector>

namespace ringsmb::server {

class CreditWindow {
 public:
  explicit CreditWindow(uint32_t max_credits = 8192)
      : max_(max_credits ? max_credits : 1), used_(max_ * 2u, false) {}

  // Marks [mid, mid + charge) used. False when any id lies outside the
  // window or was used before: the caller disconnects.
  bool consume(uint64_t mid, uint16_t charge);

  // Credits to put in a response to a request that asked for `requested`.
  // Never lets the client run dry, never exceeds max_credits outstanding.
  uint16_t grant(uint16_t requested);

  uint64_t low() const { return low_; }
  uint32_t range() const { return range_; }
  uint32_t max() const { return max_; }

 private:
  uint32_t max_;
  uint64_t low_ = 0;
  uint32_t range_ = 1;  // a new connection has one credit (for NEGOTIATE)
  std::vector<bool> used_;  // ring of flags for ids low_ .. low_ + used_.size()
};

// The CreditCharge a request must carry for a payload of `bytes`
// (3.3.5.2.5): one credit per 64 KiB, at least one.
inline uint32_t credits_for(uint64_t bytes) {
  return bytes == 0 ? 1 : static_cast<uint32_t>((bytes - 1) / 65536 + 1);
}

}  // namespace ringsmb::server
