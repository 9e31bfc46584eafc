#include "server/credits.h"

#include <algorithm>

namespace ringsmb::server {

bool CreditWindow::consume(uint64_t mid, uint16_t charge) {
  if (charge == 0) charge = 1;
  if (mid < low_) return false;
  if (mid - low_ >= range_ || charge > range_ - (mid - low_)) return false;
  const size_t n = used_.size();
  for (uint64_t id = mid; id < mid + charge; ++id) {
    if (used_[id % n]) return false;
  }
  for (uint64_t id = mid; id < mid + charge; ++id) used_[id % n] = true;
  while (range_ > 0 && used_[low_ % n]) {
    used_[low_ % n] = false;
    ++low_;
    --range_;
  }
  return true;
}

uint16_t CreditWindow::grant(uint16_t requested) {
  uint32_t room = max_ > range_ ? max_ - range_ : 0;
  uint32_t g = std::min<uint32_t>(requested, room);
  if (range_ + g == 0) g = 1;  // the client must always be able to send
  range_ += g;
  return static_cast<uint16_t>(g);
}

}  // namespace ringsmb::server
