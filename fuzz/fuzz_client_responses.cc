// libFuzzer target: what the client library does with a server's side of
// a connection (input format: fuzz/client_sim.h). Each frame goes the
// way Connection::handle_frame() and handle_message() take it, through the
// same functions (client/frames.h): a TRANSFORM frame is checked and
// decrypted (sealed_header, unseal), a plain one split into its chain of
// responses (next_reply), credits granted, interim responses kept apart
// (is_interim), each final reply checked against its request's protection
// (check_reply) and its charge settled (CreditWindow). What the library
// fails the connection for ends the input.
//
// The requests the replies answer are made up as the replies come: a
// reply with a MessageId the client has not used yet stands for requests
// sent up to it (one credit each, the last with the reply's CreditCharge),
// as far as the credits granted allow. A reply handed to its call is then
// decoded as the calls do (client/replies.h and wire/client.h, whatever
// the command), and every decoder that has an encoder on the server's
// side must round trip: decode, encode, decode gives the same values.
//
// Invariants checked: the credits in flight are the charges of the calls
// waiting; MessageIds are never reused; a settled NEGOTIATE names what was
// offered; a read never returns more than was asked; every round trip.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "client/frames.h"
#include "client/replies.h"
#include "client_sim.h"
#include "fuzz_util.h"
#include "wire/client.h"
#include "wire/fscc.h"
#include "wire/messages.h"
#include "wire/utf16.h"

namespace c = ringsmb::client;
namespace w = ringsmb::wire;
namespace a = ringsmb::auth;
namespace f = ringsmb::fuzz;
using ringsmb::fuzz::touch;
using ringsmb::fuzz::touch_value;

namespace {

bool same(w::Bytes x, w::Bytes y) {
  return x.size() == y.size() && (x.empty() || std::memcmp(x.data(), y.data(), x.size()) == 0);
}

// A response as the server's encoders write it: 64 header bytes (zero:
// the decoders read only the body) and the body.
template <class Encode>
std::vector<uint8_t> encoded(Encode encode) {
  w::Writer wr;
  wr.zeros(w::kHeaderSize);
  encode(wr);
  return wr.vec();
}

bool same_info(const w::NetworkOpenInfo& x, const w::NetworkOpenInfo& y) {
  return x.creation_time == y.creation_time && x.last_access_time == y.last_access_time &&
         x.last_write_time == y.last_write_time && x.change_time == y.change_time &&
         x.allocation_size == y.allocation_size && x.end_of_file == y.end_of_file &&
         x.attributes == y.attributes;
}

// ------------------------------------------------------------ round trips

void negotiate_round_trip(w::Bytes msg) {
  auto x = w::parse_negotiate_response(msg);
  if (!x) return;
  touch(x->security_buffer);
  w::NegotiateResponse r;
  r.security_mode = x->security_mode;
  r.dialect = x->dialect;
  r.server_guid = x->server_guid;
  r.capabilities = x->capabilities;
  r.max_transact = x->max_transact;
  r.max_read = x->max_read;
  r.max_write = x->max_write;
  r.system_time = x->system_time;
  r.server_start_time = x->server_start_time;
  r.security_buffer = x->security_buffer;
  for (const auto& ctx : x->contexts) {
    touch(ctx.data);
    r.contexts.emplace_back(ctx.type, std::vector<uint8_t>(ctx.data.begin(), ctx.data.end()));
  }
  auto again = encoded([&](w::Writer& wr) { w::encode_negotiate_response(wr, r); });
  auto y = w::parse_negotiate_response(again);
  CHECK(y);
  CHECK(y->security_mode == x->security_mode && y->dialect == x->dialect);
  CHECK(y->server_guid == x->server_guid && y->capabilities == x->capabilities);
  CHECK(y->max_transact == x->max_transact && y->max_read == x->max_read &&
        y->max_write == x->max_write);
  CHECK(y->system_time == x->system_time && y->server_start_time == x->server_start_time);
  CHECK(same(y->security_buffer, x->security_buffer));
  CHECK(y->contexts.size() == x->contexts.size());
  for (size_t i = 0; i < x->contexts.size(); ++i) {
    CHECK(y->contexts[i].type == x->contexts[i].type);
    CHECK(same(y->contexts[i].data, x->contexts[i].data));
  }
}

void session_setup_round_trip(w::Bytes msg) {
  auto x = w::parse_session_setup_response(msg);
  if (!x) return;
  touch(x->security_buffer);
  auto again = encoded(
      [&](w::Writer& wr) { w::encode_session_setup_response(wr, x->session_flags, x->security_buffer); });
  auto y = w::parse_session_setup_response(again);
  CHECK(y && y->session_flags == x->session_flags && same(y->security_buffer, x->security_buffer));
}

void tree_connect_round_trip(w::Bytes msg) {
  auto x = w::parse_tree_connect_response(msg);
  if (!x) return;
  auto again = encoded([&](w::Writer& wr) { w::encode_tree_connect_response(wr, *x); });
  auto y = w::parse_tree_connect_response(again);
  CHECK(y && y->share_type == x->share_type && y->share_flags == x->share_flags &&
        y->capabilities == x->capabilities && y->maximal_access == x->maximal_access);
}

void create_round_trip(w::Bytes msg) {
  auto x = w::parse_create_response(msg);
  if (!x) return;
  w::CreateResponse r;
  r.oplock_level = x->oplock_level;
  r.flags = x->flags;
  r.create_action = x->create_action;
  r.info = x->info;
  r.file_id = x->file_id;
  for (const auto& ctx : x->contexts) {
    touch(ctx.name);
    touch(ctx.data);
    // DataOffset is 16 bits, counted from the context: a name this long
    // cannot be followed by data in any encoding.
    if (ctx.name.size() > 60000) return;
    r.contexts.emplace_back(std::string(ctx.name.begin(), ctx.name.end()),
                            std::vector<uint8_t>(ctx.data.begin(), ctx.data.end()));
  }
  auto again = encoded([&](w::Writer& wr) { w::encode_create_response(wr, r); });
  auto y = w::parse_create_response(again);
  CHECK(y);
  CHECK(y->oplock_level == x->oplock_level && y->flags == x->flags &&
        y->create_action == x->create_action && y->file_id == x->file_id);
  CHECK(same_info(y->info, x->info));
  CHECK(y->contexts.size() == x->contexts.size());
  for (size_t i = 0; i < x->contexts.size(); ++i) {
    CHECK(same(y->contexts[i].name, x->contexts[i].name));
    CHECK(same(y->contexts[i].data, x->contexts[i].data));
  }
}

void close_round_trip(w::Bytes msg) {
  auto x = w::parse_close_response(msg);
  if (!x) return;
  auto again = encoded([&](w::Writer& wr) { w::encode_close_response(wr, x->flags, &x->info); });
  auto y = w::parse_close_response(again);
  CHECK(y && y->flags == x->flags && same_info(y->info, x->info));
}

void read_round_trip(w::Bytes msg) {
  auto x = w::parse_read_response(msg);
  if (!x) return;
  touch(x->data);
  auto again = encoded([&](w::Writer& wr) {
    size_t at = wr.zeros(w::kReadResponseFixed);
    w::encode_read_response_fixed(wr.data() + at, static_cast<uint32_t>(x->data.size()),
                                  x->data_remaining);
    wr.append(x->data);
  });
  auto y = w::parse_read_response(again);
  CHECK(y && same(y->data, x->data) && y->data_remaining == x->data_remaining);
}

void write_round_trip(w::Bytes msg) {
  auto x = w::parse_write_response(msg);
  if (!x) return;
  auto again = encoded([&](w::Writer& wr) { w::encode_write_response(wr, *x); });
  auto y = w::parse_write_response(again);
  CHECK(y && *y == *x);
}

void ioctl_round_trip(w::Bytes msg) {
  auto x = w::parse_ioctl_response(msg);
  if (!x) return;
  touch(x->input);
  touch(x->output);
  auto again =
      encoded([&](w::Writer& wr) { w::encode_ioctl_response(wr, x->ctl_code, x->file_id, x->output); });
  auto y = w::parse_ioctl_response(again);
  CHECK(y && y->ctl_code == x->ctl_code && y->file_id == x->file_id && same(y->output, x->output));
}

void buffer_round_trip(w::Bytes msg) {
  auto x = w::parse_buffer_response(msg);
  if (!x) return;
  touch(*x);
  auto again = encoded([&](w::Writer& wr) { w::encode_buffer_response(wr, *x); });
  auto y = w::parse_buffer_response(again);
  CHECK(y && same(*y, *x));
}

void error_round_trip(w::Bytes msg) {
  auto x = w::parse_error_response(msg);
  if (!x) return;
  touch(x->error_data);
  touch_value(x->error_context_count);
  auto again = encoded([&](w::Writer& wr) { w::encode_error_response(wr, x->error_data); });
  auto y = w::parse_error_response(again);
  CHECK(y && same(y->error_data, x->error_data));
}

bool same_entry(const w::DirEntry& x, const w::DirEntry& y) {
  return x.file_index == y.file_index && x.creation_time == y.creation_time &&
         x.last_access_time == y.last_access_time && x.last_write_time == y.last_write_time &&
         x.change_time == y.change_time && x.end_of_file == y.end_of_file &&
         x.allocation_size == y.allocation_size && x.attributes == y.attributes &&
         x.ea_size == y.ea_size && x.file_id == y.file_id && x.name == y.name &&
         x.short_name == y.short_name;
}

// Entries accepted by parse_dir_entries, written again with the server's
// put_dir_entry (8-byte aligned, chained), must parse to the same.
void dir_round_trip(const std::vector<w::DirEntry>& entries, uint8_t cls) {
  w::Writer wr;
  size_t prev = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    const w::DirEntry& e = entries[i];
    if (i != 0) {
      wr.align(8);
      wr.put32(prev, static_cast<uint32_t>(wr.size() - prev));
    }
    prev = wr.size();
    w::FileInfo fi;
    fi.creation_time = e.creation_time;
    fi.last_access_time = e.last_access_time;
    fi.last_write_time = e.last_write_time;
    fi.change_time = e.change_time;
    fi.end_of_file = e.end_of_file;
    fi.allocation_size = e.allocation_size;
    fi.attributes = e.attributes;
    fi.ea_size = e.ea_size;
    fi.file_id = e.file_id;
    auto name = w::utf8_to_utf16le(e.name);
    auto short_name = w::utf8_to_utf16le(e.short_name);
    w::put_dir_entry(wr, cls, fi, e.file_index, name, short_name);
  }
  auto again = w::parse_dir_entries(wr.bytes(), cls);
  CHECK(again && again->size() == entries.size());
  for (size_t i = 0; i < entries.size(); ++i) CHECK(same_entry((*again)[i], entries[i]));
}

void all_info_round_trip(const w::AllInfo& x) {
  w::FileInfo fi;
  fi.creation_time = x.creation_time;
  fi.last_access_time = x.last_access_time;
  fi.last_write_time = x.last_write_time;
  fi.change_time = x.change_time;
  fi.attributes = x.attributes;
  fi.allocation_size = x.allocation_size;
  fi.end_of_file = x.end_of_file;
  fi.nlink = x.number_of_links;
  fi.delete_pending = x.delete_pending;
  fi.directory = x.directory;
  fi.file_id = x.index_number;
  fi.ea_size = x.ea_size;
  w::Writer wr;
  w::put_all_info(wr, fi, x.access_flags, x.current_byte_offset, x.mode, w::utf8_to_utf16le(x.name));
  auto y = w::parse_all_info(wr.bytes());
  CHECK(y);
  CHECK(y->creation_time == x.creation_time && y->last_access_time == x.last_access_time &&
        y->last_write_time == x.last_write_time && y->change_time == x.change_time);
  CHECK(y->attributes == x.attributes && y->allocation_size == x.allocation_size &&
        y->end_of_file == x.end_of_file && y->number_of_links == x.number_of_links);
  CHECK(y->delete_pending == x.delete_pending && y->directory == x.directory &&
        y->index_number == x.index_number && y->ea_size == x.ea_size);
  CHECK(y->access_flags == x.access_flags && y->current_byte_offset == x.current_byte_offset &&
        y->mode == x.mode && y->name == x.name);
}

void netif_round_trip(const std::vector<w::NetworkInterface>& list) {
  auto again = w::parse_network_interfaces(w::encode_network_interfaces(list));
  CHECK(again && again->size() == list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    const auto& x = list[i];
    const auto& y = (*again)[i];
    CHECK(x.if_index == y.if_index && x.capability == y.capability && x.link_speed == y.link_speed);
    CHECK(x.family == y.family && std::memcmp(x.addr, y.addr, sizeof x.addr) == 0);
    CHECK(x.ipv6_flowinfo == y.ipv6_flowinfo && x.ipv6_scope_id == y.ipv6_scope_id);
  }
}

// --------------------------------------------------------- the connection

struct Waiting {
  uint32_t charge = 1;
  c::Protection prot;
  bool async = false;
};

class Client {
 public:
  explicit Client(uint8_t config)
      : config_(config),
        dialect_(f::config_dialect(config)),
        cipher_(f::config_cipher(config, dialect_)) {
    signing_alg_ = dialect_ < w::dialect::SMB300 ? w::signalg::HMAC_SHA256 : w::signalg::AES_CMAC;
    keys_[f::kSessionId] = make_keys();
  }

  // One frame as the receive loop gets it; false where the connection
  // fails.
  bool frame(w::Bytes in) {
    std::vector<uint8_t> bytes(in.begin(), in.end());
    serve(bytes);
    w::Bytes fr(bytes);
    if (fr.size() < 4) return false;
    const uint32_t proto = w::ld32(fr.data());
    if (proto == w::kTransformProtocolId) {
      auto th = c::sealed_header(fr);
      if (!th) return false;
      touch_value(th->session_id);
      auto it = keys_.find(th->session_id);
      if (it == keys_.end()) return false;
      std::vector<uint8_t> plain(th->original_size);
      const w::NtStatus s = c::unseal(*it->second, fr, *th, plain.data());
      if (s != w::status::SUCCESS) return false;
      return chain(plain, true);
    }
    if (proto != w::kSmb2ProtocolId || fr.size() < w::kHeaderSize) return false;
    return chain(fr, false);
  }

 private:
  std::shared_ptr<const a::SmbKeys> make_keys() const {
    return f::session_keys(dialect_, signing_alg_, cipher_);
  }

  // What the made-up server does to a frame before sending it: sign the
  // replies flagged SIGNED, or seal the frame, when the configuration
  // says so and the first reply's session is known.
  void serve(std::vector<uint8_t>& bytes) {
    if (bytes.size() < w::kHeaderSize || w::ld32(bytes.data()) != w::kSmb2ProtocolId) return;
    auto it = keys_.find(w::ld64(bytes.data() + 40));
    if (it == keys_.end()) return;
    if (config_ & f::cfg::kServerSigns) {
      size_t off = 0;
      for (;;) {
        auto m = c::next_reply(bytes, off);
        if (!m) break;
        if (m->hdr.is_signed()) {
          f::sign_reply(*it->second, std::span<uint8_t>(bytes.data() + off, m->msg.size()));
        }
        if (m->hdr.next_command == 0) break;
        off += m->msg.size();
      }
    }
    if (config_ & f::cfg::kSeal) {
      auto sealed = f::seal_frame(*it->second, bytes, it->first, ++nonce_);
      if (!sealed.empty()) bytes = std::move(sealed);
    }
  }

  // Connection::handle_message: the chain of one plain frame.
  bool chain(w::Bytes fr, bool encrypted) {
    size_t off = 0;
    for (;;) {
      auto m = c::next_reply(fr, off);
      if (!m) return false;
      const w::Header& h = m->hdr;
      window_.grant(h.credits);
      Waiting* p = waiting(h);
      if (p == nullptr) {
        unsolicited(h, m->msg);
      } else if (c::is_interim(h)) {
        p->async = true;
      } else {
        const uint32_t charge = p->charge;
        const c::Protection prot = p->prot;
        waiting_.erase(h.message_id);
        in_flight_ -= charge;
        window_.settle(charge);
        const w::NtStatus verdict = c::check_reply(prot, h, m->msg, encrypted);
        touch_value(verdict);
        if (verdict == w::status::SUCCESS) reply(h, m->msg);
      }
      CHECK(window_.outstanding() == in_flight_);
      if (h.next_command == 0) return true;
      off += m->msg.size();
    }
  }

  // The call a reply answers; made up when its MessageId is still unused
  // and the credits allow (see the top of the file).
  Waiting* waiting(const w::Header& h) {
    const uint64_t mid = h.message_id;
    if (mid == ~uint64_t{0}) return nullptr;
    if (auto it = waiting_.find(mid); it != waiting_.end()) return &it->second;
    if (mid < window_.next_message_id() || mid - window_.next_message_id() > 64) return nullptr;
    c::Protection prot;
    prot.session_id = h.session_id;
    if (auto k = keys_.find(h.session_id); k != keys_.end()) {
      if (config_ & f::cfg::kSeal) {
        prot.seal = k->second;
      } else if (config_ & f::cfg::kSign) {
        prot.sign = k->second;
        prot.require_signed_reply = true;
      }
    }
    while (window_.next_message_id() < mid) {
      if (!window_.affords(1)) return nullptr;
      send(1, prot);
    }
    const bool large_mtu = dialect_ >= w::dialect::SMB210;
    const uint32_t charge =
        c::CreditWindow::charge_for(large_mtu ? uint64_t{h.credit_charge} * 65536 : 0, large_mtu);
    if (!window_.affords(charge)) return nullptr;
    CHECK(send(charge, prot) == mid);
    return &waiting_[mid];
  }

  uint64_t send(uint32_t charge, const c::Protection& prot) {
    const uint64_t mid = window_.spend(charge);
    CHECK(used_.insert(mid).second);  // a MessageId is used once
    waiting_[mid] = Waiting{charge, prot, false};
    in_flight_ += charge;
    touch_value(window_.request(charge, 512));
    return mid;
  }

  void unsolicited(const w::Header& h, w::Bytes msg) {
    if (auto b = w::parse_oplock_break_notification(msg)) touch_value(b->file_id.volatile_ + h.message_id);
  }

  // A reply handed to its call: what the call decodes, for any command.
  void reply(const w::Header& h, w::Bytes msg) {
    const bool ok = h.status == w::status::SUCCESS;
    error_round_trip(msg);
    touch_value(w::parse_empty_response(msg));
    switch (static_cast<w::Command>(h.command)) {
      case w::Command::Negotiate:
        negotiate_round_trip(msg);
        if (ok) negotiated(msg);
        break;
      case w::Command::SessionSetup:
        session_setup_round_trip(msg);
        // Login registers a keyed session's keys with the connection.
        if (ok && h.session_id != 0 && keys_.size() < 16) keys_.emplace(h.session_id, make_keys());
        break;
      case w::Command::TreeConnect:
        tree_connect_round_trip(msg);
        break;
      case w::Command::Create:
        if (auto o = c::decode_create(msg)) touch_value(o->id.volatile_ + o->directory());
        create_round_trip(msg);
        break;
      case w::Command::Close:
        close_round_trip(msg);
        break;
      case w::Command::Read: {
        // What the made-up READ asked for: 512 bytes to 64 KiB, so that
        // answers both within and beyond it come by.
        const uint32_t asked = 512u << (h.message_id % 8);
        if (auto d = c::decode_read(msg, asked)) {
          CHECK(d->size() <= asked);
          touch(*d);
        }
        read_round_trip(msg);
        break;
      }
      case w::Command::Write:
        write_round_trip(msg);
        break;
      case w::Command::QueryDirectory:
        for (uint8_t cls : {w::fileinfo::IdBothDirectory, f::config_dir_class(config_)}) {
          if (auto e = c::decode_directory(msg, cls)) {
            for (const auto& d : *e) touch(d.name);
            dir_round_trip(*e, cls);
          }
        }
        buffer_round_trip(msg);
        break;
      case w::Command::QueryInfo:
        if (auto x = c::decode_all_info(msg)) all_info_round_trip(*x);
        if (auto x = c::decode_fs_full_size(msg)) touch_value(x->total_units + x->bytes_per_sector);
        if (auto b = w::parse_buffer_response(msg)) {
          if (auto x = w::parse_basic_info(*b)) touch_value(x->attributes);
          if (auto x = w::parse_network_open_info(*b)) touch_value(x->end_of_file);
        }
        buffer_round_trip(msg);
        break;
      case w::Command::Ioctl:
        if (auto l = c::decode_network_interfaces(msg)) netif_round_trip(*l);
        ioctl_round_trip(msg);
        break;
      case w::Command::ChangeNotify:
        buffer_round_trip(msg);
        break;
      case w::Command::OplockBreak:
        unsolicited(h, msg);
        break;
      default:
        break;
    }
  }

  // Connection::negotiate after its reply (3.2.5.2).
  void negotiated(w::Bytes msg) {
    const c::NegotiateOffer offer = f::full_offer();
    auto n = c::settle_negotiate(offer, msg);
    if (!n) return;
    touch(n->security_hint);
    CHECK(std::find(offer.dialects.begin(), offer.dialects.end(), n->dialect) != offer.dialects.end());
    CHECK(n->max_read >= 4096 && n->max_write >= 4096);
    const uint32_t cap = n->dialect == w::dialect::SMB202 ? 65536u : offer.max_io;
    CHECK(n->max_read <= cap && n->max_write <= cap && n->max_transact <= cap);
    CHECK(n->cipher == 0 ||
          std::find(offer.ciphers.begin(), offer.ciphers.end(), n->cipher) != offer.ciphers.end());
    CHECK(std::find(offer.signing_algs.begin(), offer.signing_algs.end(), n->signing_alg) !=
          offer.signing_algs.end());
    dialect_ = n->dialect;
    signing_alg_ = n->signing_alg;
    cipher_ = n->cipher;
  }

  uint8_t config_;
  uint16_t dialect_;
  uint16_t cipher_;
  uint16_t signing_alg_ = 0;
  c::CreditWindow window_;
  std::map<uint64_t, Waiting> waiting_;
  std::set<uint64_t> used_;
  uint64_t in_flight_ = 0;
  std::map<uint64_t, std::shared_ptr<const a::SmbKeys>> keys_;
  uint64_t nonce_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  Client client(data[0]);
  for (w::Bytes fr : f::split_frames(w::Bytes(data + 1, size - 1))) {
    if (!client.frame(fr)) break;
  }
  return 0;
}
