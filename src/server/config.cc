#include "server/config.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "fs/names.h"

namespace ringsmb::server {

namespace {

std::string trim(std::string_view s) {
  size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
  return std::string(s.substr(a, b - a));
}

// "Server Min Protocol" -> "serverminprotocol" (Samba ignores case and
// spaces in parameter names).
std::string norm_key(std::string_view k) {
  std::string out;
  for (char c : k)
    if (!std::isspace(static_cast<unsigned char>(c)) && c != '_')
      out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return out;
}

std::vector<std::string> split_list(std::string_view v) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : v) {
    if (c == ',' || c == ' ' || c == '\t') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

template <class T>
bool parse_uint(std::string_view s, T* out, T max) {
  uint64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size() || v > max) return false;
  *out = static_cast<T>(v);
  return true;
}

// "1073741824", "512K", "64M", "1G" (powers of 1024).
bool parse_size(std::string_view s, uint64_t* out) {
  uint64_t mult = 1;
  if (!s.empty()) {
    switch (s.back()) {
      case 'k': case 'K': mult = uint64_t{1} << 10; break;
      case 'm': case 'M': mult = uint64_t{1} << 20; break;
      case 'g': case 'G': mult = uint64_t{1} << 30; break;
      case 't': case 'T': mult = uint64_t{1} << 40; break;
      default: break;
    }
    if (mult != 1) s.remove_suffix(1);
  }
  uint64_t v = 0;
  if (!parse_uint<uint64_t>(s, &v, UINT64_MAX / mult)) return false;
  *out = v * mult;
  return true;
}

// The [global] keys of Limits. False when key is none of them; *err says
// what is wrong with the value of one.
bool parse_limit(std::string_view key, std::string_view value, Limits& l, std::string* err) {
  struct Count {
    const char* key;
    unsigned Limits::*field;
    unsigned max;
    const char* what;
  };
  static const Count counts[] = {
      {"ringsmb:maxconnections", &Limits::connections, 1u << 24, "connections"},
      {"ringsmb:maxconnectionsperaddress", &Limits::connections_per_address, 1u << 24,
       "connections"},
      {"ringsmb:maxsessionsperconnection", &Limits::sessions_per_connection, 65535, "sessions"},
      {"ringsmb:maxchannelspersession", &Limits::channels_per_session, 1024, "channels"},
      {"ringsmb:maxtreeconnectspersession", &Limits::trees_per_session, 65535, "tree connects"},
      {"maxopenfiles", &Limits::open_files_per_session, 1u << 24, "open files"},
      {"ringsmb:maxoutstandingrequests", &Limits::outstanding_requests, 65535, "requests"},
      {"ringsmb:maxasyncrequests", &Limits::async_requests, 65535, "requests"},
      {"ringsmb:requesttimeout", &Limits::request_timeout_s, 86400, "seconds"},
      {"ringsmb:idletimeout", &Limits::idle_timeout_s, 1u << 30, "seconds"},
  };
  for (const auto& c : counts) {
    if (key != c.key) continue;
    if (!parse_uint<unsigned>(value, &(l.*c.field), c.max))
      *err = fmt::format("expected a number of {} up to {}, got '{}'", c.what, c.max, value);
    return true;
  }
  if (key == "deadtime") {
    unsigned minutes = 0;
    if (!parse_uint<unsigned>(value, &minutes, (1u << 30) / 60))
      *err = fmt::format("expected minutes, got '{}'", value);
    else
      l.idle_timeout_s = minutes * 60;
    return true;
  }
  if (key == "ringsmb:buffermemory") {
    if (!parse_size(value, &l.buffer_memory) || l.buffer_memory < (uint64_t{16} << 20))
      *err = fmt::format("expected a size of at least 16M (e.g. 512M, 2G), got '{}'", value);
    return true;
  }
  return false;
}

// Keys that are valid in smb.conf but that ringsmb does not act on (yet):
// accepted silently so a Samba configuration loads without noise.
const char* const kAcceptedGlobal[] = {
    "serverrole", "disablenetbios", "bindinterfacesonly", "loadprinters", "printcapname",
    "disablespoolss", "logfile", "maxlogsize", "piddirectory", "lockdirectory",
    "statedirectory", "cachedirectory", "privatedir", "ncalrpcdir", "security",
    "passdbbackend", "unixpasswordsync", "pamsystemchange", "obeypamrestrictions",
    "usershareallowguests", "dnsproxy", "serverservices", "kernelchangenotify", "kerneloplocks", "nameresolveorder",
};
// Share keys whose Samba meaning matches what ringsmb does anyway (EAs and
// streams live in xattrs, DOS attributes are stored, share modes are
// enforced inside the server).
const char* const kAcceptedShare[] = {
    "easupport", "storedosattributes", "mapaclinherit", "inheritacls", "kernelsharemodes",
    "strictlocking", "vfsobjects", "oplocks", "leveliioplocks", "hidedotfiles", "printable",
};
// Share keys that change who owns new files or their modes: ignoring them
// silently would surprise an administrator, so they are reported.
const char* const kUnsupportedShare[] = {
    "createmask", "createmode", "directorymask", "directorymode", "forceuser", "forcegroup",
    "forcecreatemode", "forcedirectorymode", "inheritpermissions", "inheritowner",
};

bool listed(const char* const* list, size_t n, const std::string& k) {
  for (size_t i = 0; i < n; ++i)
    if (k == list[i]) return true;
  return false;
}

}  // namespace

std::optional<bool> parse_bool(std::string_view s) {
  std::string v = norm_key(s);
  if (v == "yes" || v == "true" || v == "1" || v == "on") return true;
  if (v == "no" || v == "false" || v == "0" || v == "off") return false;
  return std::nullopt;
}

std::optional<Encrypt> parse_encrypt(std::string_view s) {
  std::string v = norm_key(s);
  if (v == "off" || v == "disabled" || v == "no" || v == "false") return Encrypt::Off;
  if (v == "ifrequired" || v == "default" || v == "auto" || v == "enabled")
    return Encrypt::IfRequired;
  if (v == "desired") return Encrypt::Desired;
  if (v == "required" || v == "mandatory" || v == "force" || v == "yes" || v == "true")
    return Encrypt::Required;
  return std::nullopt;
}

std::optional<Signing> parse_signing(std::string_view s) {
  std::string v = norm_key(s);
  if (v == "auto" || v == "default" || v == "ifrequired" || v == "desired" || v == "enabled")
    return Signing::Auto;
  if (v == "mandatory" || v == "required" || v == "yes" || v == "true" || v == "on")
    return Signing::Mandatory;
  if (v == "disabled" || v == "off" || v == "no" || v == "false") return Signing::Disabled;
  return std::nullopt;
}

std::optional<uint16_t> parse_protocol(std::string_view s) {
  std::string v = norm_key(s);
  if (v == "smb202") return 0x0202;
  if (v == "smb210" || v == "smb2") return 0x0210;
  if (v == "smb300") return 0x0300;
  if (v == "smb302") return 0x0302;
  if (v == "smb311" || v == "smb3") return 0x0311;
  // SMB1 names: ringsmb has no SMB1; as a minimum they mean "the lowest".
  if (v == "nt1" || v == "lanman1" || v == "lanman2" || v == "core" || v == "coreplus")
    return 0x0202;
  return std::nullopt;
}

std::optional<ListenAddress> parse_listen(std::string_view s) {
  ListenAddress a;
  std::string_view host = s, port;
  if (!s.empty() && s.front() == '[') {
    size_t close = s.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = s.substr(1, close - 1);
    if (close + 1 < s.size()) {
      if (s[close + 1] != ':') return std::nullopt;
      port = s.substr(close + 2);
    }
  } else if (std::count(s.begin(), s.end(), ':') == 1) {
    size_t colon = s.find(':');
    host = s.substr(0, colon);
    port = s.substr(colon + 1);
  }
  if (!port.empty() && !parse_uint<uint16_t>(port, &a.port, 65535)) {  // 0: any free port
    return std::nullopt;
  }
  a.host = std::string(host);
  if (a.host == "*") a.host.clear();
  if (!a.host.empty()) {
    in6_addr tmp{};
    if (inet_pton(AF_INET, a.host.c_str(), &tmp) != 1 &&
        inet_pton(AF_INET6, a.host.c_str(), &tmp) != 1) {
      return std::nullopt;
    }
  }
  return a;
}

void parse_interfaces(std::string_view value, std::vector<std::string>* names,
                      std::vector<InterfaceOptions>* options, std::vector<std::string>* warnings) {
  // Entries: split on spaces and commas outside double quotes.
  std::vector<std::string> entries;
  std::string cur;
  bool quoted = false, have = false;
  for (char ch : value) {
    if (ch == '"') {
      quoted = !quoted;
      have = true;  // "" is an (empty, and so invalid) entry
    } else if (!quoted && (ch == ' ' || ch == '\t' || ch == ',')) {
      if (have) entries.push_back(cur);
      cur.clear();
      have = false;
    } else {
      cur.push_back(ch);
      have = true;
    }
  }
  if (quoted) throw ConfigError("unterminated '\"'");
  if (have) entries.push_back(cur);

  for (const std::string& e : entries) {
    size_t semi = e.find(';');
    std::string name = trim(std::string_view(e).substr(0, semi));
    if (name.empty()) throw ConfigError("empty interface entry '" + e + "'");
    if (semi == std::string::npos) {
      if (name.find('=') != std::string::npos) {
        // The tail of an unquoted "eth0;speed=1,capability=RSS", split at
        // the comma.
        throw ConfigError("'" + name + "' is an option without an interface; quote entries " +
                          "whose options contain commas: \"eth0;speed=1000000000,capability=RSS\"");
      }
      names->push_back(name);
      continue;
    }
    InterfaceOptions o;
    o.name = name;
    std::string_view rest = std::string_view(e).substr(semi + 1);
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string opt = trim(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      if (opt.empty()) continue;
      size_t eq = opt.find('=');
      if (eq == std::string::npos) throw ConfigError("option '" + opt + "' of " + name + ": expected KEY=VALUE");
      std::string k = norm_key(opt.substr(0, eq));
      std::string v = trim(std::string_view(opt).substr(eq + 1));
      if (k == "speed") {
        uint64_t bits = 0;
        if (!parse_uint<uint64_t>(v, &bits, UINT64_MAX) || bits == 0) {
          throw ConfigError("speed of " + name + ": expected bits per second above 0, got '" + v + "'");
        }
        o.speed = bits;
      } else if (k == "capability") {
        std::string cap = norm_key(v);
        if (cap == "rss") {
          o.capability = o.capability.value_or(0) | 0x1u;  // RSS_CAPABLE
        } else if (cap == "rdma") {
          // Samba accepts it; announcing RDMA would send clients to an SMB
          // Direct port ringsmb does not serve.
          o.capability = o.capability.value_or(0);
          warnings->push_back("capability=RDMA of " + name + ": ringsmb has no RDMA transport, ignored");
        } else {
          throw ConfigError("capability of " + name + ": expected RSS or RDMA, got '" + v + "'");
        }
      } else if (k == "ifindex") {
        uint32_t idx = 0;
        if (!parse_uint<uint32_t>(v, &idx, UINT32_MAX) || idx == 0) {
          throw ConfigError("if_index of " + name + ": expected a number above 0, got '" + v + "'");
        }
        o.if_index = idx;
      } else {
        throw ConfigError("unknown option '" + opt + "' of " + name +
                          " (known: speed, capability, if_index)");
      }
    }
    names->push_back(name);
    options->push_back(std::move(o));
  }
}

const ShareConfig* Config::find_share(std::string_view name) const {
  for (const auto& s : shares)
    if (fs::equal_ci(s.name, name)) return &s;
  return nullptr;
}

Config parse_config(std::string_view text, const std::string& name,
                    std::vector<std::string>* warnings) {
  Config c;
  c.source = name;
  enum { None, Global, Share } section = None;
  ShareConfig* share = nullptr;
  std::istringstream in{std::string(text)};
  std::string raw;
  int lineno = 0;
  auto fail = [&](int line, const std::string& key, const std::string& why) {
    throw ConfigError(fmt::format("{}:{}: {}: {}", name, line, key, why));
  };
  while (std::getline(in, raw)) {
    ++lineno;
    int start_line = lineno;
    // Continuation lines.
    while (!raw.empty() && raw.back() == '\\') {
      raw.pop_back();
      std::string more;
      if (!std::getline(in, more)) break;
      ++lineno;
      raw += more;
    }
    std::string line = trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line[0] == '[') {
      if (line.back() != ']') fail(start_line, line, "section header without ']'");
      std::string sec = trim(line.substr(1, line.size() - 2));
      if (sec.empty()) fail(start_line, line, "empty section name");
      if (norm_key(sec) == "global") {
        section = Global;
        share = nullptr;
      } else {
        if (norm_key(sec) == "homes" || norm_key(sec) == "printers" || norm_key(sec) == "print$") {
          warnings->push_back(fmt::format("{}:{}: [{}]: section not supported, ignored", name,
                                          start_line, sec));
          section = None;
          share = nullptr;
          continue;
        }
        if (c.find_share(sec) != nullptr) fail(start_line, sec, "share defined twice");
        if (sec.size() > 80) fail(start_line, sec, "share name longer than 80 characters");
        section = Share;
        c.shares.push_back(ShareConfig{});
        share = &c.shares.back();
        share->name = sec;
      }
      continue;
    }
    size_t eq = line.find('=');
    if (eq == std::string::npos) fail(start_line, line, "expected 'key = value'");
    std::string key_raw = trim(line.substr(0, eq));
    std::string key = norm_key(key_raw);
    std::string value = trim(line.substr(eq + 1));
    auto want_bool = [&]() {
      auto b = parse_bool(value);
      if (!b) fail(start_line, key_raw, "expected yes or no, got '" + value + "'");
      return *b;
    };
    if (section == None) {
      // Lines before any section header, or inside an unsupported section.
      warnings->push_back(fmt::format("{}:{}: {}: outside any supported section, ignored", name,
                                      start_line, key_raw));
      continue;
    }
    if (section == Global) {
      if (key == "smbports") {
        c.ports.clear();
        for (auto& p : split_list(value)) {
          uint16_t port;
          if (!parse_uint<uint16_t>(p, &port, 65535) || port == 0)
            fail(start_line, key_raw, "invalid port '" + p + "'");
          c.ports.push_back(port);
        }
        if (c.ports.empty()) fail(start_line, key_raw, "no port given");
      } else if (key == "interfaces") {
        c.interfaces.clear();
        c.interface_options.clear();
        std::vector<std::string> w;
        try {
          parse_interfaces(value, &c.interfaces, &c.interface_options, &w);
        } catch (const ConfigError& e) {
          fail(start_line, key_raw, e.msg);
        }
        for (auto& wline : w)
          warnings->push_back(fmt::format("{}:{}: {}: {}", name, start_line, key_raw, wline));
      } else if (key == "serverminprotocol" || key == "minprotocol") {
        auto p = parse_protocol(value);
        if (!p) fail(start_line, key_raw, "unknown protocol '" + value + "'");
        c.min_protocol = *p;
      } else if (key == "servermaxprotocol" || key == "maxprotocol" || key == "protocol") {
        auto p = parse_protocol(value);
        if (!p) fail(start_line, key_raw, "unknown protocol '" + value + "'");
        c.max_protocol = *p;
      } else if (key == "netbiosname") {
        c.netbios_name = value;
      } else if (key == "workgroup") {
        c.workgroup = value;
      } else if (key == "serverstring") {
        c.server_string = value;
      } else if (key == "loglevel" || key == "debuglevel") {
        unsigned lvl;
        std::string first = split_list(value).empty() ? "" : split_list(value)[0];
        if (!parse_uint<unsigned>(first, &lvl, 100))
          fail(start_line, key_raw, "expected a number, got '" + value + "'");
        c.log_level = static_cast<int>(std::min(lvl, 4u));
      } else if (key == "maptoguest") {
        std::string v = norm_key(value);
        if (v != "never" && v != "baduser" && v != "badpassword")
          fail(start_line, key_raw, "expected 'never', 'bad user' or 'bad password'");
        c.map_to_guest = v == "baduser" ? "bad user" : v == "badpassword" ? "bad password" : v;
      } else if (key == "ringsmb:workers") {
        if (!parse_uint<unsigned>(value, &c.workers, 1024))
          fail(start_line, key_raw, "expected a number of workers, got '" + value + "'");
      } else if (key == "ringsmb:handshaketimeout") {
        if (!parse_uint<unsigned>(value, &c.handshake_timeout_s, 3600))
          fail(start_line, key_raw, "expected seconds, got '" + value + "'");
      } else if (key == "ringsmb:maxcredits") {
        if (!parse_uint<unsigned>(value, &c.max_credits, 65535) || c.max_credits < 16)
          fail(start_line, key_raw, "expected 16 to 65535, got '" + value + "'");
      } else if (std::string err; parse_limit(key, value, c.limits, &err)) {
        if (!err.empty()) fail(start_line, key_raw, err);
      } else if (key == "ringsmb:numa") {
        std::string v = norm_key(value);
        if (v == "auto" || v == "yes" || v == "default") {
          c.numa = NumaMode::Auto;
        } else if (v == "off" || v == "no" || v == "none") {
          c.numa = NumaMode::Off;
        } else {
          unsigned node = 0;
          if (!parse_uint<unsigned>(v, &node, 4095))
            fail(start_line, key_raw, "expected auto, off or a node number, got '" + value + "'");
          c.numa = NumaMode::Node;
          c.numa_node = static_cast<int>(node);
        }
      } else if (key == "guestaccount") {
        if (value.empty()) fail(start_line, key_raw, "empty account name");
        c.guest_account = value;
      } else if (key == "passdbfile" || key == "ringsmb:passdbfile") {
        if (value.empty()) fail(start_line, key_raw, "empty path");
        c.passdb_file = value;
      } else if (key == "servermultichannelsupport") {
        auto b = parse_bool(value);
        if (!b) fail(start_line, key_raw, "expected yes or no, got '" + value + "'");
        c.multichannel = *b;
      } else if (key == "serversigning") {
        auto v = parse_signing(value);
        if (!v) fail(start_line, key_raw, "expected auto, mandatory or disabled, got '" + value + "'");
        c.signing = *v;
      } else if (key == "smbencrypt" || key == "serversmbencrypt") {
        auto v = parse_encrypt(value);
        if (!v) fail(start_line, key_raw, "expected off, if_required, desired or required, got '" + value + "'");
        c.encrypt = *v;
      } else if (listed(kAcceptedGlobal, std::size(kAcceptedGlobal), key)) {
        // known smb.conf key, no effect in ringsmb
      } else {
        warnings->push_back(fmt::format("{}:{}: {}: unknown key in [global], ignored", name,
                                        start_line, key_raw));
      }
      continue;
    }
    // Share section.
    if (key == "path" || key == "directory") {
      share->path = value;
    } else if (key == "comment") {
      share->comment = value;
    } else if (key == "readonly") {
      share->read_only = want_bool();
    } else if (key == "writeable" || key == "writable" || key == "writeok") {
      share->read_only = !want_bool();
    } else if (key == "guestok" || key == "public") {
      share->guest_ok = want_bool();
    } else if (key == "browseable" || key == "browsable") {
      share->browseable = want_bool();
    } else if (key == "casesensitive") {
      std::string v = norm_key(value);
      if (v == "auto") {
        share->case_sensitive = false;
      } else {
        share->case_sensitive = want_bool();
      }
    } else if (key == "available") {
      share->available = want_bool();
    } else if (key == "validusers") {
      share->valid_users = split_list(value);
    } else if (key == "invalidusers") {
      share->invalid_users = split_list(value);
    } else if (key == "writelist") {
      share->write_list = split_list(value);
    } else if (key == "readlist") {
      share->read_list = split_list(value);
    } else if (key == "smbencrypt" || key == "serversmbencrypt") {
      auto v = parse_encrypt(value);
      if (!v) fail(start_line, key_raw, "expected off, if_required, desired or required, got '" + value + "'");
      share->encrypt = *v;
    } else if (key == "ringsmb:readpath") {
      std::string v = norm_key(value);
      if (v == "auto") share->read_path = ReadPath::Auto;
      else if (v == "splice") share->read_path = ReadPath::Splice;
      else if (v == "zerocopy") share->read_path = ReadPath::ZeroCopy;
      else if (v == "copy") share->read_path = ReadPath::Copy;
      else fail(start_line, key_raw, "expected auto, splice, zerocopy or copy, got '" + value + "'");
    } else if (key == "ringsmb:writepath") {
      std::string v = norm_key(value);
      if (v == "auto") share->write_path = WritePath::Auto;
      else if (v == "splice") share->write_path = WritePath::Splice;
      else if (v == "recv" || v == "copy") share->write_path = WritePath::Recv;
      else fail(start_line, key_raw, "expected auto, splice or recv, got '" + value + "'");
    } else if (listed(kAcceptedShare, std::size(kAcceptedShare), key)) {
      // ringsmb behaves this way already
    } else if (listed(kUnsupportedShare, std::size(kUnsupportedShare), key)) {
      warnings->push_back(fmt::format("{}:{}: {}: not supported by ringsmb, ignored", name,
                                      start_line, key_raw));
    } else {
      warnings->push_back(fmt::format("{}:{}: {}: unknown key in [{}], ignored", name, start_line,
                                      key_raw, share->name));
    }
  }
  for (const auto& s : c.shares) {
    if (s.path.empty()) {
      throw ConfigError(fmt::format("{}: [{}]: path: missing", name, s.name));
    }
  }
  return c;
}

Config load_config(const std::string& path, std::vector<std::string>* warnings) {
  std::ifstream f(path);
  if (!f) throw ConfigError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  std::stringstream ss;
  ss << f.rdbuf();
  return parse_config(ss.str(), path, warnings);
}

void finalize(Config& c) {
  if (c.min_protocol > c.max_protocol) {
    throw ConfigError(fmt::format("{}: server min protocol is above server max protocol",
                                  c.source.empty() ? "configuration" : c.source));
  }
  Limits& l = c.limits;
  if (l.outstanding_requests == 0) l.outstanding_requests = 1;
  // Asynchronous requests keep their slots: leave room for CANCEL and the rest.
  if (l.async_requests == 0 || l.async_requests >= l.outstanding_requests) {
    l.async_requests = std::max(1u, l.outstanding_requests / 2);
  }
  if (l.request_timeout_s == 0) l.request_timeout_s = 60;
  if (!c.listen.empty()) return;
  std::vector<std::string> hosts;
  if (c.interfaces.empty()) {
    hosts.push_back("");
  } else {
    ifaddrs* ifs = nullptr;
    getifaddrs(&ifs);
    for (const auto& entry : c.interfaces) {
      // "127.0.0.1", "127.0.0.1/8", "::1" or an interface name like "lo".
      std::string addr = entry.substr(0, entry.find('/'));
      in6_addr tmp{};
      if (inet_pton(AF_INET, addr.c_str(), &tmp) == 1 ||
          inet_pton(AF_INET6, addr.c_str(), &tmp) == 1) {
        hosts.push_back(addr);
        continue;
      }
      bool found = false;
      for (ifaddrs* i = ifs; i != nullptr; i = i->ifa_next) {
        if (i->ifa_addr == nullptr || addr != i->ifa_name) continue;
        char buf[INET6_ADDRSTRLEN];
        if (i->ifa_addr->sa_family == AF_INET) {
          inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr, buf,
                    sizeof(buf));
        } else if (i->ifa_addr->sa_family == AF_INET6) {
          inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(i->ifa_addr)->sin6_addr, buf,
                    sizeof(buf));
          if (std::string_view(buf).starts_with("fe80")) continue;  // link-local needs a scope
        } else {
          continue;
        }
        hosts.push_back(buf);
        found = true;
      }
      if (!found) {
        if (ifs != nullptr) freeifaddrs(ifs);
        throw ConfigError(fmt::format("{}: interfaces: no address for '{}'",
                                      c.source.empty() ? "configuration" : c.source, entry));
      }
    }
    if (ifs != nullptr) freeifaddrs(ifs);
  }
  for (const auto& h : hosts)
    for (uint16_t p : c.ports) c.listen.push_back({h, p});
}

}  // namespace ringsmb::server
