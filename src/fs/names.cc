#include "fs/names.h"

#include "wire/utf16.h"

namespace ringsmb::fs {

namespace {

bool invalid_char(unsigned char c) {
  if (c < 0x20) return true;
  switch (c) {
    case '"': case '*': case '/': case ':': case '<': case '>': case '?': case '|':
      return true;
    default:
      return false;
  }
}

}  // namespace

NameError map_client_path(std::string_view client, ClientPath* out) {
  out->rel.clear();
  out->stream.clear();
  out->unnamed_data = false;
  out->index = false;
  out->trailing_separator = false;
  // Stream syntax (MS-FSCC 2.1.5.1): "name:stream:type"; only $DATA streams.
  if (size_t colon = client.find(':'); colon != std::string_view::npos) {
    std::string_view spec = client.substr(colon + 1);
    client = client.substr(0, colon);
    if (spec.find('\\') != std::string_view::npos) return NameError::Invalid;
    std::string_view sname = spec, stype;
    if (size_t c2 = spec.find(':'); c2 != std::string_view::npos) {
      sname = spec.substr(0, c2);
      stype = spec.substr(c2 + 1);
      if (equal_ci(stype, "$DATA")) {
        out->unnamed_data = sname.empty();
      } else if (equal_ci(stype, "$INDEX_ALLOCATION") && (sname.empty() || equal_ci(sname, "$I30"))) {
        out->index = true;
        sname = {};
      } else {
        return NameError::Invalid;
      }
    } else if (sname.empty()) {
      return NameError::Invalid;  // "file:"
    }
    if (sname.size() > 255) return NameError::TooLong;
    for (unsigned char c : sname)
      if (c == 0 || c == '/' || c == '\\') return NameError::Invalid;
    out->stream = std::string(sname);
  }
  if (client.size() > 4095) return NameError::TooLong;
  if (!client.empty() && client.back() == '\\') {
    out->trailing_separator = true;
    client.remove_suffix(1);
  }
  if (client.empty()) return NameError::None;
  size_t pos = 0;
  while (pos <= client.size()) {
    size_t end = client.find('\\', pos);
    if (end == std::string_view::npos) end = client.size();
    std::string_view comp = client.substr(pos, end - pos);
    if (comp.empty() || comp == ".") return NameError::Invalid;
    if (comp == "..") return NameError::DotDot;
    if (comp.size() > 255) return NameError::TooLong;
    for (unsigned char c : comp)
      if (invalid_char(c)) return NameError::Invalid;
    if (!out->rel.empty()) out->rel.push_back('/');
    out->rel.append(comp);
    pos = end + 1;
  }
  return NameError::None;
}

std::pair<std::string_view, std::string_view> split_parent(std::string_view rel) {
  size_t slash = rel.rfind('/');
  if (slash == std::string_view::npos) return {std::string_view(), rel};
  return {rel.substr(0, slash), rel.substr(slash + 1)};
}

std::string short_name(std::string_view name) {
  if (name == "." || name == "..") return {};
  auto valid = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '$' || c == '~' || c == '!' || c == '#' || c == '%' || c == '&' || c == '@';
  };
  auto up = [](char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c; };
  size_t dot = name.rfind('.');
  std::string_view base = dot == std::string_view::npos ? name : name.substr(0, dot);
  std::string_view ext = dot == std::string_view::npos ? std::string_view() : name.substr(dot + 1);
  bool is83 = !base.empty() && base.size() <= 8 && ext.size() <= 3 &&
              base.find('.') == std::string_view::npos;
  std::string b, e;
  for (char c : base) {
    if (valid(up(c))) {
      b.push_back(up(c));
    } else {
      is83 = false;
    }
  }
  for (char c : ext) {
    if (valid(up(c))) {
      e.push_back(up(c));
    } else {
      is83 = false;
    }
  }
  if (!is83) {
    if (b.size() > 6) b.resize(6);
    if (b.empty()) b.push_back('_');
    b.append("~1");
    if (e.size() > 3) e.resize(3);
  }
  if (!e.empty()) {
    b.push_back('.');
    b.append(e);
  }
  return b;
}

Pattern::Pattern(std::string_view expr) : expr_(fold(expr)) {
  match_all_ = expr_.empty() || expr_ == U"*";
  for (char32_t c : expr_)
    if (c == '*' || c == '?' || c == '<' || c == '>' || c == '"') has_wildcards_ = true;
}

// MS-FSA 2.1.4.4 (FsRtlIsNameInExpression semantics), as a dynamic
// programme over (expression position, name position): no backtracking
// blow-up whatever the client sends.
bool Pattern::matches(std::string_view name_utf8) const {
  if (match_all_) return true;
  const std::u32string name = fold(name_utf8);
  const std::u32string& e = expr_;
  const size_t n = name.size(), m = e.size();
  // reach[j] for the current i: can expression prefix e[0..i) match name[0..j)?
  std::vector<char> cur(n + 1, 0), next(n + 1, 0);
  cur[0] = 1;
  auto last_dot = [&]() -> size_t {
    size_t p = name.rfind(U'.');
    return p == std::u32string::npos ? n : p;
  }();
  for (size_t i = 0; i < m; ++i) {
    std::fill(next.begin(), next.end(), 0);
    const char32_t c = e[i];
    for (size_t j = 0; j <= n; ++j) {
      if (!cur[j]) continue;
      switch (c) {
        case U'*':
          for (size_t k = j; k <= n; ++k) next[k] = 1;
          break;
        case U'?':
          if (j < n) next[j + 1] = 1;
          break;
        case U'<':  // DOS_STAR: any run that does not pass the last dot;
                    // after it, the rest of the name (MS-FSA 2.1.4.4)
          for (size_t k = j; k <= n; ++k) {
            next[k] = 1;
            if (j <= last_dot && k >= last_dot) break;
          }
          break;
        case U'>':  // DOS_QM: one char, or nothing at a dot / the end
          if (j < n && name[j] != U'.') next[j + 1] = 1;
          if (j == n || name[j] == U'.') next[j] = 1;
          break;
        case U'"':  // DOS_DOT: a dot, or nothing at the end
          if (j < n && name[j] == U'.') next[j + 1] = 1;
          if (j == n) next[j] = 1;
          break;
        default:
          if (j < n && name[j] == c) next[j + 1] = 1;
          break;
      }
    }
    std::swap(cur, next);
  }
  return cur[n] != 0;
}

}  // namespace ringsmb::fs
