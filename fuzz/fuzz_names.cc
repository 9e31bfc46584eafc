// libFuzzer target: client names -> share-relative Linux names, the pure
// functions of src/fs/names.h (no file system access). The input is a
// UTF-16LE client path as CREATE carries it; it is decoded as the server
// does, mapped, and every accepted mapping is checked to stay inside the
// share: no empty, "." or ".." component, no leading '/', no NUL.
//
// A second part treats the input (split at the first 0x00 0x00 pair) as a
// search expression and a name for fs::Pattern, and feeds short_name().
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fs/names.h"
#include "fuzz_util.h"
#include "wire/utf16.h"

namespace fs = ringsmb::fs;
using ringsmb::fuzz::touch;
using ringsmb::fuzz::touch_value;

namespace {

void check_confined(std::string_view rel) {
  if (rel.empty()) return;
  if (rel.front() == '/' || rel.back() == '/') std::abort();
  size_t start = 0;
  while (start <= rel.size()) {
    size_t end = rel.find('/', start);
    if (end == std::string_view::npos) end = rel.size();
    std::string_view c = rel.substr(start, end - start);
    if (c.empty() || c == "." || c == ".." || c.find('\0') != std::string_view::npos) std::abort();
    start = end + 1;
  }
}

void map(std::string_view client) {
  fs::ClientPath p;
  fs::NameError e = fs::map_client_path(client, &p);
  touch_value(static_cast<int>(e));
  if (e != fs::NameError::None) return;
  check_confined(p.rel);
  touch(p.stream);
  auto [parent, last] = fs::split_parent(p.rel);
  touch(parent);
  touch(last);
  touch(fs::short_name(last));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> in(data, size);
  if (auto s = ringsmb::wire::utf16le_to_utf8(in.first(size & ~size_t{1}))) map(*s);
  // The raw bytes as (possibly invalid) UTF-8 too: the mapper must not
  // trust its input to be well formed.
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  map(raw);

  size_t cut = raw.find(std::string_view("\0\0", 2));
  std::string_view expr = raw.substr(0, cut);
  std::string_view name = cut == std::string_view::npos ? raw : raw.substr(cut + 2);
  fs::Pattern pat(expr);
  touch_value(pat.matches(name));
  touch_value(pat.match_all());
  touch_value(fs::equal_ci(expr, name));
  touch(fs::short_name(name));
  return 0;
}
