// UTF-16LE (the wire) <-> UTF-8 (Linux names).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wire/le.h"

namespace ringsmb::wire {

// Decodes UTF-16LE bytes. Fails (nullopt) on an odd byte count or an
// unpaired surrogate: such names cannot be represented on Linux faithfully.
std::optional<std::string> utf16le_to_utf8(Bytes in);

// Encodes UTF-8 as UTF-16LE; invalid UTF-8 sequences become U+FFFD.
std::vector<uint8_t> utf8_to_utf16le(std::string_view in);
// Appends to out, returns the number of bytes appended.
size_t append_utf16le(std::vector<uint8_t>& out, std::string_view in);
// Length in bytes of the UTF-16LE encoding of in.
size_t utf16le_length(std::string_view in);

// Decodes one UTF-8 code point at s[i], advancing i; U+FFFD when invalid.
char32_t next_code_point(std::string_view s, size_t& i);

// Unicode simple upper-casing of every code point (towupper in C.UTF-8),
// for the case-insensitive comparisons SMB names need.
std::u32string fold(std::string_view s);
// fold() encoded as UTF-8: the upper-cased name (also a key under which
// names equal ignoring case collide).
std::string to_upper(std::string_view s);
inline std::string fold_key(std::string_view s) { return to_upper(s); }
bool equal_ci(std::string_view a, std::string_view b);

}  // namespace ringsmb::wire
