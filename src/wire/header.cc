#include "wire/header.h"

namespace ringsmb::wire {

Result<Header> parse_header(Bytes msg) {
  if (msg.size() < kHeaderSize) return Err{status::INVALID_PARAMETER};
  const uint8_t* p = msg.data();
  if (ld32(p) != kSmb2ProtocolId) return Err{status::INVALID_PARAMETER};
  if (ld16(p + 4) != kHeaderSize) return Err{status::INVALID_PARAMETER};
  Header h;
  h.credit_charge = ld16(p + 6);
  h.status = ld32(p + 8);
  h.command = ld16(p + 12);
  h.credits = ld16(p + 14);
  h.flags = ld32(p + 16);
  h.next_command = ld32(p + 20);
  h.message_id = ld64(p + 24);
  if (h.is_async()) {
    h.async_id = ld64(p + 32);
  } else {
    h.tree_id = ld32(p + 36);
  }
  h.session_id = ld64(p + 40);
  std::memcpy(h.signature, p + 48, 16);
  return h;
}

void encode_header(uint8_t* out, const Header& h) {
  st32(out, kSmb2ProtocolId);
  st16(out + 4, kHeaderSize);
  st16(out + 6, h.credit_charge);
  st32(out + 8, h.status);
  st16(out + 12, h.command);
  st16(out + 14, h.credits);
  st32(out + 16, h.flags);
  st32(out + 20, h.next_command);
  st64(out + 24, h.message_id);
  if (h.is_async()) {
    st64(out + 32, h.async_id);
  } else {
    st32(out + 32, 0);
    st32(out + 36, h.tree_id);
  }
  st64(out + 40, h.session_id);
  std::memcpy(out + 48, h.signature, 16);
}

const char* command_name(uint16_t cmd) {
  static const char* const kNames[] = {
      "NEGOTIATE", "SESSION_SETUP", "LOGOFF", "TREE_CONNECT", "TREE_DISCONNECT",
      "CREATE",    "CLOSE",         "FLUSH",  "READ",         "WRITE",
      "LOCK",      "IOCTL",         "CANCEL", "ECHO",         "QUERY_DIRECTORY",
      "CHANGE_NOTIFY", "QUERY_INFO", "SET_INFO", "OPLOCK_BREAK"};
  return cmd < kCommandCount ? kNames[cmd] : "UNKNOWN";
}

}  // namespace ringsmb::wire
