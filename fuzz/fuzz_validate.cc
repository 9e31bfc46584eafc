// libFuzzer target: one SMB2 frame (the NetBIOS payload) through the path
// process_smb2() takes before dispatch: split_compound, validate_request on
// every request, then the command's decoder and the decoders of what it
// carries (negotiate contexts, create contexts, EA lists, UTF-16 names).
//
// The decoders run on every request of the chain whatever validate_request
// said: messages.h promises they are safe on any input, not only after
// validation, and this checks that promise too.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "fuzz_util.h"
#include "wire/fscc.h"
#include "wire/durable.h"
#include "wire/header.h"
#include "wire/lease.h"
#include "wire/messages.h"
#include "wire/smb2.h"
#include "wire/utf16.h"
#include "wire/validate.h"

namespace w = ringsmb::wire;
using ringsmb::fuzz::touch;
using ringsmb::fuzz::touch_value;

namespace {

void name(w::Bytes utf16) {
  touch(utf16);
  if (auto s = w::utf16le_to_utf8(utf16)) touch(*s);
}

void decode(w::Bytes msg) {
  auto h = w::parse_header(msg);
  if (!h) return;
  touch_value(h->message_id);
  touch_value(w::request_structure_size(h->command));
  switch (static_cast<w::Command>(h->command)) {
    case w::Command::Negotiate:
      if (auto q = w::parse_negotiate(msg)) {
        for (uint16_t d : q->dialects) touch_value(d);
        for (const auto& c : q->contexts) {
          touch(c.data);
          if (auto p = w::parse_preauth_caps(c.data)) {
            for (uint16_t a : p->hash_algorithms) touch_value(a);
            touch(p->salt);
          }
          if (auto l = w::parse_u16_list(c.data)) touch_value(l->size());
        }
      }
      break;
    case w::Command::SessionSetup:
      if (auto q = w::parse_session_setup(msg)) touch(q->security_buffer);
      break;
    case w::Command::TreeConnect:
      if (auto q = w::parse_tree_connect(msg)) name(q->path);
      break;
    case w::Command::Create:
      if (auto q = w::parse_create(msg)) {
        name(q->name);
        for (const auto& c : q->contexts) {
          touch(c.name);
          touch(c.data);
          // An ExtA context holds a FILE_FULL_EA_INFORMATION list.
          if (auto eas = w::parse_full_ea_list(c.data))
            for (const auto& e : *eas) {
              touch(e.name);
              touch(e.value);
            }
          // An RqLs context holds a lease request of either version.
          if (auto l = w::parse_lease_request(c.data)) touch_value(l->state + l->epoch);
          // Durable handle contexts (DH2Q, DHnC, DH2C).
          if (auto d = w::parse_durable_v2_request(c.data)) touch_value(d->timeout_ms);
          if (auto d = w::parse_durable_reconnect(c.data)) touch_value(d->file_id.persistent);
          if (auto d = w::parse_durable_v2_reconnect(c.data)) touch_value(d->flags);
        }
      }
      break;
    case w::Command::Close:
      if (auto q = w::parse_close(msg)) touch_value(q->file_id.volatile_);
      break;
    case w::Command::Flush:
      if (auto q = w::parse_flush(msg)) touch_value(q->file_id.volatile_);
      break;
    case w::Command::Read:
      if (auto q = w::parse_read(msg)) touch_value(q->length);
      break;
    case w::Command::Write:
      if (auto q = w::parse_write(msg)) touch(q->data);
      break;
    case w::Command::Lock:
      if (auto q = w::parse_lock(msg))
        for (const auto& l : q->locks) touch_value(l.offset + l.length);
      break;
    case w::Command::Ioctl:
      if (auto q = w::parse_ioctl(msg)) touch(q->input);
      break;
    case w::Command::QueryDirectory:
      if (auto q = w::parse_query_directory(msg)) name(q->pattern);
      break;
    case w::Command::ChangeNotify:
      if (auto q = w::parse_change_notify(msg)) touch_value(q->completion_filter);
      break;
    case w::Command::QueryInfo:
      if (auto q = w::parse_query_info(msg)) {
        touch(q->input);
        // QUERY_INFO for FileFullEaInformation may carry a get-EA list.
        if (auto eas = w::parse_full_ea_list(q->input)) touch_value(eas->size());
      }
      break;
    case w::Command::SetInfo:
      if (auto q = w::parse_set_info(msg)) {
        touch(q->buffer);
        if (q->info_class == w::fileinfo::FullEa)
          if (auto eas = w::parse_full_ea_list(q->buffer))
            for (const auto& e : *eas) {
              touch(e.name);
              touch(e.value);
            }
      }
      break;
    case w::Command::OplockBreak:
      if (auto q = w::parse_oplock_break_ack(msg)) touch_value(q->oplock_level);
      if (auto q = w::parse_lease_break_ack(msg)) touch_value(q->state);
      break;
    default:
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  w::Bytes frame(data, size);
  std::vector<w::MessageSpan> spans;
  if (w::split_compound(frame, spans) != w::Verdict::Ok) return 0;
  for (const auto& s : spans) {
    w::Bytes msg = frame.subspan(s.offset, s.length);
    touch_value(static_cast<int>(w::validate_request(msg)));
    decode(msg);
  }
  return 0;
}
