// IOCTL (MS-SMB2 3.3.5.15).
#include <cstring>

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

// 3.3.5.15.11: the server's interfaces, from the list Server keeps
// (netif.h; taken at start, refreshed off the workers), so answering reads
// nothing from the system.
void query_network_interface_info(Request& req, const wire::IoctlRequest& q, Response& resp) {
  Connection& c = req.conn;
  // 3.3.5.15: this FSCTL names no open; a FileId other than all ones MUST
  // fail with STATUS_INVALID_PARAMETER (Samba does the same).
  if (!(q.file_id == wire::FileId{~uint64_t{0}, ~uint64_t{0}})) {
    resp.status = st::INVALID_PARAMETER;
    return;
  }
  // 3.3.5.15.11: a 2.x dialect, or a connection without
  // SMB2_GLOBAL_CAP_MULTI_CHANNEL (server multi channel support = no, or a
  // client that did not ask), MAY get STATUS_NOT_SUPPORTED. Samba answers
  // STATUS_INVALID_DEVICE_REQUEST (STATUS_FS_DRIVER_REQUIRED on IPC$) when
  // multichannel is off; the specification's status is used here (Linux
  // cifs.ko takes it quietly as "no interface list").
  if (!wire::is_smb3(c.dialect()) || (c.server_capabilities() & wire::cap::MULTI_CHANNEL) == 0) {
    resp.status = st::NOT_SUPPORTED;
    return;
  }
  // The request carries no input (3.2.4.20.10: InputCount 0); Samba refuses
  // any with STATUS_INVALID_PARAMETER, and so does ringsmb.
  if (!q.input.empty()) {
    resp.status = st::INVALID_PARAMETER;
    return;
  }
  auto ifs = c.server().network_interfaces();
  // The whole list or nothing: a truncated NETWORK_INTERFACE_INFO chain
  // would point past its end.
  if (ifs->output.size() > q.max_output_response) {
    resp.status = st::BUFFER_TOO_SMALL;
    return;
  }
  // 3.3.5.15.11: CtlCode and the all-ones FileId echoed, InputCount 0,
  // OutputOffset right after the body, Flags 0.
  wire::encode_ioctl_response(resp.body, q.ctl_code, q.file_id,
                              wire::Bytes(ifs->output.data(), ifs->output.size()));
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
    case fsctl::QUERY_NETWORK_INTERFACE_INFO:
      query_network_interface_info(req, *q, resp);
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
    case fsctl::CREATE_OR_GET_OBJECT_ID:
    case fsctl::GET_OBJECT_ID: {
      // MS-FSCC 2.3.4/2.3.20: a FILE_OBJECTID_BUFFER (type 1, 64 bytes).
      // Linux keeps no object ids: the id is derived from the file's
      // device and inode, stable while the file exists, as Samba does;
      // birth ids equal it, DomainId is zero.
      if (q->max_output_response < 64) {
        resp.status = st::BUFFER_TOO_SMALL;
        co_return;
      }
      uint8_t buf[64] = {};
      wire::st64(buf, open->file->dev);
      wire::st64(buf + 8, open->file->ino);
      std::memcpy(buf + 32, buf, 16);  // BirthObjectId
      wire::encode_ioctl_response(resp.body, q->ctl_code, open->id, wire::Bytes(buf, 64));
      co_return;
    }
    default:
      resp.status = st::INVALID_DEVICE_REQUEST;
      co_return;
  }
}

}  // namespace ringsmb::server::handlers
