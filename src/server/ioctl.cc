// IOCTL (MS-SMB2 3.3.5.15).
#include "server/handlers.h"
#include "server/log.h"
#include "server/server.h"
#include "server/session_ops.h"

namespace ringsmb::server::handlers {

namespace st = wire::status;
namespace fsctl = wire::fsctl;

namespace {

// 3.3.5.15.12. Answers, or asks for the connection to be dropped.
void validate_negotiate(Request& req, const wire::IoctlRequest& q, Response& resp) {
  Connection& c = req.conn;
  auto drop = [&](const char* why) {
    log::warn("{}: VALIDATE_NEGOTIATE_INFO mismatch ({}), closing", c.peer(), why);
    resp.disconnect = true;
    resp.send = false;
  };
  if (c.dialect() == wire::dialect::SMB311) return drop("dialect 3.1.1");
  if (q.max_output_response < 24) return drop("output too small");
  wire::Bytes in = q.input;
  if (in.size() < 24) return drop("short input");
  uint32_t caps = wire::ld32(in.data());
  wire::Guid guid = wire::ld_guid(in.data() + 4);
  uint16_t mode = wire::ld16(in.data() + 20);
  uint16_t count = wire::ld16(in.data() + 22);
  if (in.size() < 24 + size_t{count} * 2) return drop("short dialect list");
  std::vector<uint16_t> dialects;
  for (uint16_t i = 0; i < count; ++i) dialects.push_back(wire::ld16(in.data() + 24 + 2 * i));
  if (dialects != c.client_dialects()) return drop("dialects");
  if (!(guid == c.client_guid())) return drop("client guid");
  if (mode != c.client_security_mode()) return drop("security mode");
  if (caps != c.client_capabilities()) return drop("capabilities");
  uint8_t out[24];
  wire::st32(out, c.server_capabilities());
  wire::st_guid(out + 4, c.server().guid());
  wire::st16(out + 20, c.server_security_mode());
  wire::st16(out + 22, c.dialect());
  wire::encode_ioctl_response(resp.body, q.ctl_code, q.file_id, wire::Bytes(out, sizeof(out)));
}

}  // namespace

rt::Task<void> ioctl(Request& req, Response& resp) {
  auto q = wire::parse_ioctl(req.msg);
  if (!q) {
    resp.status = q.status();
    co_return;
  }
  if ((q->flags & wire::IOCTL_IS_FSCTL) == 0) {
    resp.status = st::NOT_SUPPORTED;
    co_return;
  }
  const uint32_t max = req.conn.max_io();
  if (q->input.size() > max || q->max_input_response > max || q->max_output_response > max) {
    resp.status = st::INVALID_PARAMETER;
    co_return;
  }
  switch (q->ctl_code) {
    case fsctl::VALIDATE_NEGOTIATE_INFO:
      validate_negotiate(req, *q, resp);
      co_return;
    case fsctl::DFS_GET_REFERRALS:
    case fsctl::DFS_GET_REFERRALS_EX:
      resp.status = st::FS_DRIVER_REQUIRED;  // not a DFS server
      co_return;
    case fsctl::PIPE_TRANSCEIVE:
    case fsctl::PIPE_PEEK:
    case fsctl::PIPE_WAIT:
      resp.status = st::NOT_SUPPORTED;
      co_return;
    default:
      break;
  }
  // Everything else acts on an open file.
  auto open = find_open(req, q->file_id);
  if (!open) {
    resp.status = st::FILE_CLOSED;
    co_return;
  }
  resp.file_id = open->id;
  switch (q->ctl_code) {
    case fsctl::SET_SPARSE:
      // Linux files are sparse wherever they have holes: nothing to change.
      if (!(open->granted_access & (wire::access::FILE_WRITE_DATA |
                                    wire::access::FILE_WRITE_ATTRIBUTES))) {
        resp.status = st::ACCESS_DENIED;
        co_return;
      }
      wire::encode_ioctl_response(resp.body, q->ctl_code, open->id, {});
      co_return;
    default:
      resp.status = st::INVALID_DEVICE_REQUEST;
      co_return;
  }
}

}  // namespace ringsmb::server::handlers
