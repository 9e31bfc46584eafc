#include "auth/der.h"

namespace ringsmb::auth::der {

std::optional<Tlv> read(Bytes& in) {
  if (in.size() < 2) return std::nullopt;
  Tlv t;
  t.tag = in[0];
  size_t pos = 1;
  size_t len = in[pos++];
  if (len & 0x80) {
    size_t n = len & 0x7F;
    if (n == 0 || n > 3 || in.size() < pos + n) return std::nullopt;  // no indefinite form
    len = 0;
    for (size_t i = 0; i < n; ++i) len = (len << 8) | in[pos++];
  }
  if (len > in.size() - pos) return std::nullopt;
  t.value = in.subspan(pos, len);
  in = in.subspan(pos + len);
  return t;
}

std::optional<Bytes> expect(Bytes& in, uint8_t tag) {
  auto t = read(in);
  if (!t || t->tag != tag) return std::nullopt;
  return t->value;
}

void Writer::begin(uint8_t tag) {
  open_.push_back(out_.size());
  out_.push_back(tag);
  out_.push_back(0);  // length placeholder, widened in end()
}

void Writer::end() {
  size_t tag_pos = open_.back();
  open_.pop_back();
  size_t len = out_.size() - tag_pos - 2;
  if (len < 0x80) {
    out_[tag_pos + 1] = static_cast<uint8_t>(len);
    return;
  }
  uint8_t lb[4];
  size_t n = 0;
  for (size_t v = len; v != 0; v >>= 8) lb[n++] = static_cast<uint8_t>(v);
  out_[tag_pos + 1] = static_cast<uint8_t>(0x80 | n);
  out_.insert(out_.begin() + static_cast<long>(tag_pos + 2), n, 0);
  for (size_t i = 0; i < n; ++i) out_[tag_pos + 2 + i] = lb[n - 1 - i];
}

void Writer::raw(Bytes b) { out_.insert(out_.end(), b.begin(), b.end()); }

void Writer::tlv(uint8_t tag, Bytes value) {
  begin(tag);
  raw(value);
  end();
}

std::vector<uint8_t> Writer::take() { return std::move(out_); }

}  // namespace ringsmb::auth::der
