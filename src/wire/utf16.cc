#include "wire/utf16.h"

#include <locale.h>
#include <wctype.h>

namespace ringsmb::wire {

namespace {
locale_t utf8_locale() {
  static locale_t loc = [] {
    locale_t l = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
    return l;
  }();
  return loc;
}

char32_t upper(char32_t c) {
  if (c < 0x80) return (c >= 'a' && c <= 'z') ? c - 32 : c;
  locale_t l = utf8_locale();
  if (l == static_cast<locale_t>(nullptr)) return c;
  return static_cast<char32_t>(towupper_l(static_cast<wint_t>(c), l));
}

void put_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}
}  // namespace

std::optional<std::string> utf16le_to_utf8(Bytes in) {
  if (in.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(in.size());
  size_t n = in.size() / 2;
  for (size_t i = 0; i < n; ++i) {
    char32_t c = ld16(in.data() + 2 * i);
    if (c >= 0xD800 && c <= 0xDBFF) {
      if (i + 1 >= n) return std::nullopt;
      char32_t lo = ld16(in.data() + 2 * (i + 1));
      if (lo < 0xDC00 || lo > 0xDFFF) return std::nullopt;
      c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
      ++i;
    } else if (c >= 0xDC00 && c <= 0xDFFF) {
      return std::nullopt;
    }
    put_utf8(out, c);
  }
  return out;
}

char32_t next_code_point(std::string_view s, size_t& i) {
  auto b = static_cast<unsigned char>(s[i++]);
  if (b < 0x80) return b;
  int extra;
  char32_t c;
  if ((b & 0xE0) == 0xC0) {
    extra = 1;
    c = b & 0x1F;
  } else if ((b & 0xF0) == 0xE0) {
    extra = 2;
    c = b & 0x0F;
  } else if ((b & 0xF8) == 0xF0) {
    extra = 3;
    c = b & 0x07;
  } else {
    return 0xFFFD;
  }
  for (int k = 0; k < extra; ++k) {
    if (i >= s.size()) return 0xFFFD;
    auto nb = static_cast<unsigned char>(s[i]);
    if ((nb & 0xC0) != 0x80) return 0xFFFD;
    c = (c << 6) | (nb & 0x3F);
    ++i;
  }
  // Overlong forms are not UTF-8 (RFC 3629 section 3): "\xC0\xAF" must not
  // become '/'.
  static constexpr char32_t kMin[] = {0, 0x80, 0x800, 0x10000};
  if (c < kMin[extra]) return 0xFFFD;
  if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0xFFFD;
  return c;
}

size_t append_utf16le(std::vector<uint8_t>& out, std::string_view in) {
  size_t start = out.size();
  size_t i = 0;
  auto put16 = [&](uint16_t v) {
    out.push_back(static_cast<uint8_t>(v));
    out.push_back(static_cast<uint8_t>(v >> 8));
  };
  while (i < in.size()) {
    char32_t c = next_code_point(in, i);
    if (c >= 0x10000) {
      c -= 0x10000;
      put16(static_cast<uint16_t>(0xD800 + (c >> 10)));
      put16(static_cast<uint16_t>(0xDC00 + (c & 0x3FF)));
    } else {
      put16(static_cast<uint16_t>(c));
    }
  }
  return out.size() - start;
}

std::vector<uint8_t> utf8_to_utf16le(std::string_view in) {
  std::vector<uint8_t> out;
  out.reserve(in.size() * 2);
  append_utf16le(out, in);
  return out;
}

size_t utf16le_length(std::string_view in) {
  size_t n = 0, i = 0;
  while (i < in.size()) n += next_code_point(in, i) >= 0x10000 ? 4 : 2;
  return n;
}

std::u32string fold(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) out.push_back(upper(next_code_point(s, i)));
  return out;
}

std::string to_upper(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) put_utf8(out, upper(next_code_point(s, i)));
  return out;
}

bool equal_ci(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    char32_t x = next_code_point(a, i);
    char32_t y = next_code_point(b, j);
    if (x != y && upper(x) != upper(y)) return false;
  }
  return i == a.size() && j == b.size();
}

}  // namespace ringsmb::wire
