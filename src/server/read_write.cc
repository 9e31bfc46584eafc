// READ, WRITE and FLUSH (MS-SMB2 3.3.5.11 - 3.3.5.13).
//
// READ data leaves by one of three paths, chosen per request
// (docs/performance.md):
//   copy      READ_FIXED into a registered buffer, sent as its own iovec
//             after the response header (SENDMSG: the kernel copies it)
//   zerocopy  READ_FIXED into a registered buffer with room in front for
//             the NetBIOS header and message, the whole frame sent with
//             SEND_ZC from the registered buffer (released on the
//             notification); signed responses are signed over it in place,
//             encrypted ones encrypted into a second registered buffer
//   splice    file -> pipe (IORING_OP_SPLICE) in the handler, pipe ->
//             socket after the message: no copy by the server at all; only
//             for lone, unsigned, unencrypted responses, opt-in per share
// WRITE payloads arrive by one of two paths (`ringsmb:write path`):
//   recv      received straight into the registered frame buffer and
//             handed to WRITE_FIXED (one kernel copy each way)
//   splice    socket -> pipe in the receive loop, pipe -> file here: the
//             payload never enters user memory; only for lone, unsigned,
//             unencrypted WRITEs (Connection::run, splice_write_wanted)
#include <fcntl.h>
#include <sys/stat.h>

#include <cstring>

#include "fs/streams.h"
#include "rt/ops.h"
#include "rt/worker.h"
#include "rt/zc.h"
#include "server/datapath.h"
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
// at: where in buf the data goes.
rt::Task<int64_t> read_full(int fd, const rt::Buffer& buf, uint32_t len, uint64_t off,
                            size_t at = 0) {
  uint32_t got = 0;
  while (got < len) {
    uint8_t* dst = buf.data() + at + got;
    int rc = buf.registered() ? co_await rt::read_fixed(fd, dst, len - got, off + got,
                                                        buf.buf_index())
                              : co_await rt::read(fd, dst, len - got, off + got);
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

namespace {

enum class Path { Copy, ZeroCopy, Splice };

// NetBIOS header + SMB2 header + READ response fixed part, rounded up: the
// room the zerocopy path leaves in front of the data.
constexpr size_t kReadPrefix = 128;
// Below this the SEND_ZC notification costs more than the copy it saves.
constexpr uint32_t kZeroCopyMin = 64 * 1024;

Path choose_read_path(const Request& req, const Open& open, uint32_t len) {
  if (len == 0 || !open.stream.empty() || !req.alone) return Path::Copy;
  const rt::Features& f = rt::Ring::current()->features();
  const ReadPath want = open.share->cfg.read_path;
  const bool plain = !req.encrypted_by && !req.signed_keys &&
                     !(req.session && req.session->signing_required);
  if (want == ReadPath::Splice && plain && f.splice) return Path::Splice;
  if (!f.send_zc) return Path::Copy;
  if (want == ReadPath::ZeroCopy) return Path::ZeroCopy;
  // auto: SEND_ZC pays where a NIC can send from the pages; over loopback
  // or a veth pair the kernel copies anyway and the notification is pure
  // cost (docs/performance.md has the measurements).
  if (want == ReadPath::Auto && len >= kZeroCopyMin && req.conn.nic_backed()) {
    return Path::ZeroCopy;
  }
  return Path::Copy;
}

// file -> pipe for the splice path; the byte count (short only at end of
// file) or -errno. The data stays in the pipe.
rt::Task<int64_t> splice_in(int fd, rt::PipeLease& pipe, uint32_t len, uint64_t off) {
  uint32_t got = 0;
  while (got < len) {
    // SPLICE_F_NONBLOCK: a pipe that fills up (its slots hold pages, and an
    // unaligned range needs one more) answers -EAGAIN instead of blocking
    // a kernel worker forever; the caller copies instead.
    int rc = co_await rt::splice(fd, static_cast<int64_t>(off + got), pipe.write_fd(), -1,
                                 len - got, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (rc < 0) {
      if (rc == -EINTR) continue;
      co_return rc;
    }
    if (rc == 0) break;
    got += static_cast<uint32_t>(rc);
    pipe.pending += static_cast<size_t>(rc);
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
    Path path = choose_read_path(req, *open, q->length);
    if (path == Path::Splice) {
      resp.pipe = rt::PipePool::current().get();
      // One page more than the data: an unaligned range spans one more.
      if (!resp.pipe || resp.pipe.capacity() < size_t{q->length} + 4096) {
        resp.pipe = {};
        path = Path::Copy;  // no pipe that large here: copy instead
      }
    }
    if (path == Path::Splice) {
      n = co_await splice_in(open->fd, resp.pipe, q->length, q->offset);
      if (n == -EAGAIN) {  // the pipe filled up: copy instead
        resp.pipe = {};
        path = Path::Copy;
      }
    }
    if (path != Path::Splice) {
      const size_t prefix = path == Path::ZeroCopy ? kReadPrefix : 0;
      buf = rt::Worker::current()->buffers().get(prefix + q->length);
      n = co_await read_full(open->fd, buf, q->length, q->offset, prefix);
      resp.zero_copy = path == Path::ZeroCopy;
      resp.payload_offset = prefix;
    }
    if (n < 0) {
      resp.body.clear();
      resp.pipe = {};
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
    resp.pipe = {};
    resp.zero_copy = false;
    resp.status = st::END_OF_FILE;
    co_return;
  }
  wire::encode_read_response_fixed(resp.body.data(), static_cast<uint32_t>(n), 0);
  if (n == 0) {
    resp.body.zeros(1);  // the variable part is at least one byte
  } else if (resp.pipe) {
    resp.splice_len = static_cast<size_t>(n);
    datapath_counters().read_splice.fetch_add(1, std::memory_order_relaxed);
  } else {
    (resp.zero_copy ? datapath_counters().read_zerocopy : datapath_counters().read_copy)
        .fetch_add(1, std::memory_order_relaxed);
    resp.payload = std::move(buf);
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
  const bool spliced = req.spliced && *req.spliced && req.spliced->pending == q->length &&
                       q->length != 0 && open->stream.empty();
  if (!spliced && req.spliced && *req.spliced && req.spliced->pending != 0) {
    // Anything else (a stream) takes the payload from the pipe into the
    // frame buffer, where it would have been.
    if (!req.spliced->drain(const_cast<uint8_t*>(data))) {
      resp.status = st::INTERNAL_ERROR;
      co_return;
    }
  }
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
    // Splice write path: pipe -> file, the payload never in user memory.
    int rc = spliced ? co_await rt::splice(req.spliced->read_fd(), -1, open->fd,
                                           static_cast<int64_t>(off + done), q->length - done,
                                           SPLICE_F_MOVE)
             : req.frame_buf_index >= 0
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
    if (spliced) req.spliced->pending -= static_cast<size_t>(rc);
  }
  if ((q->flags & wire::WRITEFLAG_WRITE_THROUGH) || (open->create_options & wire::createopt::WRITE_THROUGH)) {
    int rc = co_await rt::fsync(open->fd, IORING_FSYNC_DATASYNC);
    if (rc < 0) {
      resp.status = status_from_errno(rc);
      co_return;
    }
  }
  open->position.store(off + done, std::memory_order_relaxed);
  if (done != 0) {
    (spliced ? datapath_counters().write_splice : datapath_counters().write_recv)
        .fetch_add(1, std::memory_order_relaxed);
  }
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
