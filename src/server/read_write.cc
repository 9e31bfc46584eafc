// READ, WRITE and FLUSH (MS-SMB2 3.3.5.11 - 3.3.5.13).
//
// READ reads into a registered buffer (READ_FIXED) and sends it as its own
// iovec after the response header: one copy (kernel to buffer), none in
// user space. WRITE hands the payload, still inside the registered frame
// buffer it was received into, to WRITE_FIXED.
#include <sys/stat.h>

#include <cstring>

#include "fs/streams.h"
#include "rt/ops.h"
#include "rt/worker.h"
#include "server/fs_status.h"
#include "server/handlers.h"
#include "server/oplock.h"
#include "server/server.h"
#include "server/session_ops.h"

namespace ringsmb::server::handlers {

namespace st = wire::status;
namespace acc = wire::access;

namespace {
constexpr uint64_t kMaxOffset = 0x7FFFFFFFFFFFFFFFull;

// Reads up to len bytes at off into buf, looping over short reads; returns
// the byte count (short only at end of file) or -errno.
rt::Task<int64_t> read_full(int fd, const rt::Buffer& buf, uint32_t len, uint64_t off) {
  uint32_t got = 0;
  while (got < len) {
    int rc = buf.registered()
                 ? co_await rt::read_fixed(fd, buf.data() + got, len - got, off + got,
                                           buf.buf_index())
                 : co_await rt::read(fd, buf.data() + got, len - got, off + got);
    if (rc < 0) {
      if (rc == -EINTR || rc == -EAGAIN) continue;
      co_return rc;
    }
    if (rc == 0) break;
    got += static_cast<uint32_t>(rc);
  }
  co_return got;
}
}  // namespace

rt::Task<void> read(Request& req, Response& resp) {
  auto q = wire::parse_read(req.msg);
  if (!q) {
    resp.status = q.status();
    co_return;
  }
  auto open = find_open(req, q->file_id);
  if (!open) {
    resp.status = st::FILE_CLOSED;
    co_return;
  }
  resp.file_id = open->id;
  if (open->is_dir) {
    resp.status = st::INVALID_DEVICE_REQUEST;
    co_return;
  }
  if ((open->granted_access & (acc::FILE_READ_DATA | acc::FILE_EXECUTE)) == 0) {
    resp.status = st::ACCESS_DENIED;
    co_return;
  }
  if (q->length > req.conn.max_io()) {
    resp.status = st::INVALID_PARAMETER;
    co_return;
  }
  if (q->offset > kMaxOffset || q->length > kMaxOffset - q->offset) {
    resp.status = st::INVALID_PARAMETER;
    co_return;
  }
  const size_t fixed = wire::kReadResponseFixed;
  resp.body.zeros(fixed);
  int64_t n = 0;
  rt::Buffer buf;
  if (!open->stream.empty()) {
    // A named stream: one xattr value, read whole and sliced.
    std::vector<uint8_t> data;
    int rc = fs::read_stream(open->fd, open->stream, &data);
    if (rc < 0) {
      resp.body.clear();
      resp.status = status_from_errno(rc);
      co_return;
    }
    if (q->offset > data.size() || (q->length > 0 && q->offset == data.size())) {
      n = -1;
    } else {
      n = static_cast<int64_t>(std::min<uint64_t>(q->length, data.size() - q->offset));
      if (n > 0) {
        buf = rt::Buffer::heap(static_cast<size_t>(n));
        std::memcpy(buf.data(), data.data() + q->offset, static_cast<size_t>(n));
      }
    }
  } else if (q->length > 0) {
    buf = rt::Worker::current()->buffers().get(q->length);
    n = co_await read_full(open->fd, buf, q->length, q->offset);
    if (n < 0) {
      resp.body.clear();
      resp.status = status_from_errno(static_cast<int>(n));
      co_return;
    }
  } else {
    // A zero-length read still reports end of file past the end.
    struct statx stx {};
    if (co_await open->share->fs->stat_fd(open->fd, &stx) == 0 && q->offset > stx.stx_size) {
      n = -1;
    }
  }
  if (n < 0 || (q->length > 0 && n == 0) || static_cast<uint64_t>(n < 0 ? 0 : n) < q->minimum_count) {
    resp.body.clear();
    resp.status = st::END_OF_FILE;
    co_return;
  }
  wire::encode_read_response_fixed(resp.body.data(), static_cast<uint32_t>(n), 0);
  if (n == 0) {
    resp.body.zeros(1);  // the variable part is at least one byte
  } else {
    resp.payload = std::move(buf);
    resp.payload_offset = 0;
    resp.payload_len = static_cast<size_t>(n);
  }
  open->position.store(q->offset + static_cast<uint64_t>(n), std::memory_order_relaxed);
}

rt::Task<void> write(Request& req, Response& resp) {
  auto q = wire::parse_write(req.msg);
  if (!q) {
    resp.status = q.status();
    co_return;
  }
  auto open = find_open(req, q->file_id);
  if (!open) {
    resp.status = st::FILE_CLOSED;
    co_return;
  }
  resp.file_id = open->id;
  if (open->is_dir) {
    resp.status = st::INVALID_DEVICE_REQUEST;
    co_return;
  }
  if ((open->granted_access & (acc::FILE_WRITE_DATA | acc::FILE_APPEND_DATA)) == 0) {
    resp.status = st::ACCESS_DENIED;
    co_return;
  }
  if (q->length > req.conn.max_io()) {
    resp.status = st::INVALID_PARAMETER;
    co_return;
  }
  uint64_t off = q->offset;
  if (off == ~uint64_t{0}) {
    // Write at end of file (MS-SMB2 2.2.21, FILE_APPEND_DATA only).
    struct statx stx {};
    int rc = co_await open->share->fs->stat_fd(open->fd, &stx);
    if (rc < 0) {
      resp.status = status_from_errno(rc);
      co_return;
    }
    off = stx.stx_size;
  } else if (off > kMaxOffset || q->length > kMaxOffset - off) {
    resp.status = st::INVALID_PARAMETER;
    co_return;
  }
  break_level2_oplocks(req.conn.server(), *open->file, open.get());
  const uint8_t* data = q->data.data();
  uint32_t done = 0;
  if (!open->stream.empty()) {
    // Read, modify and write back the stream's xattr, one writer at a time.
    std::lock_guard lk(open->file->mu);
    rt::AsUser as(req.cred.get());
    std::vector<uint8_t> value;
    int rc = fs::read_stream(open->fd, open->stream, &value);
    if (rc == 0 && off + q->length > (1u << 20)) rc = -ENOSPC;  // far beyond any xattr limit
    if (rc == 0) {
      if (value.size() < off + q->length) value.resize(off + q->length, 0);
      if (q->length != 0) std::memcpy(value.data() + off, data, q->length);
      rc = fs::write_stream(open->fd, open->stream, value, false);
    }
    if (rc < 0) {
      resp.status = status_from_errno(rc);
      co_return;
    }
    done = q->length;
  }
  while (done < q->length) {
    int rc = req.frame_buf_index >= 0
                 ? co_await rt::write_fixed(open->fd, data + done, q->length - done, off + done,
                                            req.frame_buf_index)
                 : co_await rt::write(open->fd, data + done, q->length - done, off + done);
    if (rc < 0) {
      if (rc == -EINTR || rc == -EAGAIN) continue;
      resp.status = status_from_errno(rc);
      co_return;
    }
    if (rc == 0) {
      resp.status = st::DISK_FULL;
      co_return;
    }
    done += static_cast<uint32_t>(rc);
  }
  if ((q->flags & wire::WRITEFLAG_WRITE_THROUGH) || (open->create_options & wire::createopt::WRITE_THROUGH)) {
    int rc = co_await rt::fsync(open->fd, IORING_FSYNC_DATASYNC);
    if (rc < 0) {
      resp.status = status_from_errno(rc);
      co_return;
    }
  }
  open->position.store(off + done, std::memory_order_relaxed);
  wire::encode_write_response(resp.body, done);
}

rt::Task<void> flush(Request& req, Response& resp) {
  auto q = wire::parse_flush(req.msg);
  if (!q) {
    resp.status = q.status();
    co_return;
  }
  auto open = find_open(req, q->file_id);
  if (!open) {
    resp.status = st::FILE_CLOSED;
    co_return;
  }
  resp.file_id = open->id;
  if (!open->is_dir &&
      (open->granted_access & (acc::FILE_WRITE_DATA | acc::FILE_APPEND_DATA)) == 0) {
    resp.status = st::ACCESS_DENIED;
    co_return;
  }
  int rc = co_await rt::fsync(open->fd);
  if (rc < 0 && rc != -EINVAL) {
    resp.status = status_from_errno(rc);
    co_return;
  }
  wire::encode_empty_response(resp.body, 4);
}

}  // namespace ringsmb::server::handlers
