#include "tool/url.h"

#include <cctype>
#include <charconv>

namespace ringsmb::tool {

namespace {

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool decode(std::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%') {
      int a = i + 1 < in.size() ? hex(in[i + 1]) : -1;
      int b = i + 2 < in.size() ? hex(in[i + 2]) : -1;
      if (a < 0 || b < 0) return false;
      out->push_back(static_cast<char>(a * 16 + b));
      i += 2;
    } else {
      out->push_back(in[i]);
    }
  }
  return true;
}

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

}  // namespace

bool is_smb_url(std::string_view s) { return s.substr(0, 6) == "smb://"; }

std::optional<SmbUrl> parse_smb_url(std::string_view s, std::string* err) {
  if (!is_smb_url(s)) {
    *err = "not an smb:// URL";
    return std::nullopt;
  }
  s.remove_prefix(6);
  SmbUrl u;
  size_t slash = s.find('/');
  std::string_view authority = s.substr(0, slash);
  std::string_view rest = slash == std::string_view::npos ? std::string_view{} : s.substr(slash + 1);
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    std::string userinfo;
    if (!decode(authority.substr(0, at), &userinfo)) {
      *err = "bad %-escape in the user name";
      return std::nullopt;
    }
    if (size_t semi = userinfo.find(';'); semi != std::string::npos) {
      u.domain = userinfo.substr(0, semi);
      userinfo = userinfo.substr(semi + 1);
    }
    if (userinfo.find(':') != std::string::npos) {
      *err = "put the password in RINGSMB_PASSWORD or an authentication file, not in the URL";
      return std::nullopt;
    }
    u.user = userinfo;
    authority.remove_prefix(at + 1);
  }
  std::string_view host = authority, port;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      *err = "unterminated [IPv6] host";
      return std::nullopt;
    }
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        *err = "junk after [IPv6] host";
        return std::nullopt;
      }
      port = after.substr(1);
    }
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) {
    *err = "no host";
    return std::nullopt;
  }
  u.host = std::string(host);
  if (!port.empty()) {
    unsigned p = 0;
    auto r = std::from_chars(port.data(), port.data() + port.size(), p);
    if (r.ec != std::errc() || r.ptr != port.data() + port.size() || p == 0 || p > 65535) {
      *err = "bad port '" + std::string(port) + "'";
      return std::nullopt;
    }
    u.port = static_cast<uint16_t>(p);
  }
  size_t s2 = rest.find('/');
  std::string share;
  if (!decode(rest.substr(0, s2), &share)) {
    *err = "bad %-escape in the share name";
    return std::nullopt;
  }
  u.share = share;
  if (s2 != std::string_view::npos) {
    std::string_view p = rest.substr(s2 + 1);
    u.trailing_slash = !p.empty() && p.back() == '/';
    std::string path;
    // Normalise: no empty components.
    size_t i = 0;
    while (i <= p.size()) {
      size_t j = p.find('/', i);
      if (j == std::string_view::npos) j = p.size();
      std::string comp;
      if (!decode(p.substr(i, j - i), &comp)) {
        *err = "bad %-escape in the path";
        return std::nullopt;
      }
      if (!comp.empty()) {
        if (!path.empty()) path.push_back('/');
        path += comp;
      }
      i = j + 1;
    }
    u.path = path;
  }
  return u;
}

std::string SmbUrl::unc() const { return "\\\\" + host + "\\" + share; }

std::string SmbUrl::display() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  std::string s = "smb://" + h;
  if (port != 445) s += ":" + std::to_string(port);
  if (!share.empty()) s += "/" + share;
  if (!path.empty()) s += "/" + path;
  return s;
}

std::string SmbUrl::basename() const {
  if (path.empty()) return share;
  size_t s = path.rfind('/');
  return s == std::string::npos ? path : path.substr(s + 1);
}

std::optional<AuthFile> parse_auth_file(std::string_view text, const std::string& name,
                                        std::string* err) {
  AuthFile a;
  size_t line_no = 0, i = 0;
  while (i < text.size()) {
    size_t j = text.find('\n', i);
    if (j == std::string_view::npos) j = text.size();
    std::string_view line = text.substr(i, j - i);
    i = j + 1;
    ++line_no;
    std::string t = trim(line);
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    size_t eq = t.find('=');
    if (eq == std::string::npos) {
      *err = name + ":" + std::to_string(line_no) + ": expected 'key = value'";
      return std::nullopt;
    }
    std::string key = trim(std::string_view(t).substr(0, eq));
    // The value keeps inner spaces; only the separator's spaces go.
    std::string value = trim(std::string_view(t).substr(eq + 1));
    if (key == "username") {
      a.user = value;
    } else if (key == "password") {
      a.password = value;
    } else if (key == "domain") {
      a.domain = value;
    } else {
      *err = name + ":" + std::to_string(line_no) + ": unknown key '" + key + "'";
      return std::nullopt;
    }
  }
  return a;
}

std::string join_path(std::string_view a, std::string_view b) {
  if (a.empty()) return std::string(b);
  if (b.empty()) return std::string(a);
  return std::string(a) + "/" + std::string(b);
}

}  // namespace ringsmb::tool
