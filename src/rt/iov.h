// Scatter-gather bookkeeping shared by the server's and the client's senders.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ringsmb::rt {

// After a send of n bytes from iov[*idx...]: skips the entries sent whole
// and trims the one sent in part (sockets with full buffers send short).
inline void advance_iov(std::vector<iovec>& iov, size_t* idx, size_t n) {
  while (n > 0 && *idx < iov.size()) {
    iovec& v = iov[*idx];
    if (n >= v.iov_len) {
      n -= v.iov_len;
      ++*idx;
    } else {
      v.iov_base = static_cast<uint8_t*>(v.iov_base) + n;
      v.iov_len -= n;
      n = 0;
    }
  }
}

}  // namespace ringsmb::rt
