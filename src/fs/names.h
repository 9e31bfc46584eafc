// Client names -> Linux names (MS-FSCC 2.1.5), case-insensitive comparison
// and directory search expressions (MS-FSA 2.1.4.4).
//
// Client paths arrive as UTF-8 (already decoded from UTF-16LE) with '\'
// separators. They are turned into a relative path of '/'-separated
// components that can never name anything above the share root: empty
// components, "." and ".." are refused, and so are characters that NTFS
// refuses, so a Linux name with such characters is simply unreachable.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "wire/utf16.h"

namespace ringsmb::fs {

enum class NameError {
  None,
  Invalid,           // bad character, empty or "." component: OBJECT_NAME_INVALID
  DotDot,            // a ".." component: OBJECT_PATH_SYNTAX_BAD
  TooLong,           // component over 255 bytes or path over 4095: NAME_TOO_LONG
};

struct ClientPath {
  std::string rel;  // "" for the share root, else "a/b/c"
  std::string stream;  // named data stream ("file:name[:$DATA]"), "" for the file itself
  // "name::$DATA": the unnamed data stream by name, which a directory has not.
  bool unnamed_data = false;
  // "name::$INDEX_ALLOCATION" or "name:$I30:$INDEX_ALLOCATION": a
  // directory's index, which is the directory itself.
  bool index = false;
  bool trailing_separator = false;
};

// Maps a client path (no leading '\'; the caller rejects that). A stream
// suffix may follow the last component (MS-FSCC 2.1.5.1): ":name",
// ":name:$DATA", "::$DATA" for the unnamed data stream (the file itself),
// "::$INDEX_ALLOCATION" or ":$I30:$INDEX_ALLOCATION" for a directory.
// Stream names may hold any character but NUL, '\', '/' and ':'.
NameError map_client_path(std::string_view client, ClientPath* out);

// Splits "a/b/c" into its parent ("a/b", or "" at the root) and last part.
std::pair<std::string_view, std::string_view> split_parent(std::string_view rel);

// The DOS 8.3 alias of a name: the name itself, upper-cased, when it
// already is 8.3; otherwise up to six valid characters, "~1" and up to
// three of the extension. "" for "." and "..".
std::string short_name(std::string_view name);

// Case folding lives with the other text helpers in wire/utf16.h.
using wire::equal_ci;
using wire::fold;
using wire::fold_key;

// A compiled search expression with '*', '?', and the DOS wildcards '<',
// '>' and '"', matched case-insensitively.
class Pattern {
 public:
  explicit Pattern(std::string_view expr);
  bool matches(std::string_view name) const;
  bool match_all() const { return match_all_; }
  bool has_wildcards() const { return has_wildcards_; }

 private:
  std::u32string expr_;
  bool match_all_ = false;
  bool has_wildcards_ = false;
};

}  // namespace ringsmb::fs
