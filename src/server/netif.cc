#include "server/netif.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include <fmt/format.h>

namespace ringsmb::server {

namespace {

namespace stdfs = std::filesystem;

// The first line of a small sysfs file; nullopt when it cannot be read
// (missing, or a driver that answers EINVAL as lo's speed does).
std::optional<std::string> read_line(const std::string& path) {
  std::ifstream f(path);
  if (!f) return std::nullopt;
  std::string line;
  if (!std::getline(f, line)) return std::nullopt;
  while (!line.empty() && (line.back() == '\n' || line.back() == ' ' || line.back() == '\r'))
    line.pop_back();
  return line;
}

std::optional<long long> parse_int(std::string_view s) {
  if (s.empty()) return std::nullopt;
  bool neg = s.front() == '-';
  if (neg) s.remove_prefix(1);
  if (s.empty() || s.size() > 18) return std::nullopt;
  long long v = 0;
  for (char ch : s) {
    if (ch < '0' || ch > '9') return std::nullopt;
    v = v * 10 + (ch - '0');
  }
  return neg ? -v : v;
}

// An address as (family, bytes); false when s is not a numeric address.
bool parse_address(std::string_view s, int* family, uint8_t out[16]) {
  std::string str(s);
  if (inet_pton(AF_INET, str.c_str(), out) == 1) {
    *family = AF_INET;
    return true;
  }
  if (inet_pton(AF_INET6, str.c_str(), out) == 1) {
    *family = AF_INET6;
    return true;
  }
  return false;
}

// The leading `bits` bits of a and b agree.
bool same_prefix(const uint8_t* a, const uint8_t* b, unsigned bits) {
  unsigned full = bits / 8;
  if (std::memcmp(a, b, full) != 0) return false;
  unsigned rest = bits % 8;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xFF << (8 - rest));
  return (a[full] & mask) == (b[full] & mask);
}

bool is_link_local6(const uint8_t* a) { return a[0] == 0xFE && (a[1] & 0xC0) == 0x80; }

// A listen address: which families it accepts, or the one address.
struct ListenSpec {
  bool any4 = false, any6 = false;
  int family = 0;
  uint8_t addr[16] = {};
};

std::optional<ListenSpec> listen_spec(const ListenAddress& la) {
  ListenSpec s;
  // Server::bind(): "" is an IPv6 socket with IPV6_V6ONLY off, "::" one with
  // the system default (off on Linux unless net.ipv6.bindv6only is set).
  if (la.host.empty() || la.host == "::") {
    s.any4 = s.any6 = true;
    return s;
  }
  if (la.host == "0.0.0.0") {
    s.any4 = true;
    return s;
  }
  if (!parse_address(la.host, &s.family, s.addr)) return std::nullopt;
  return s;
}

NetInterface from_host(const HostAddress& h) {
  NetInterface n;
  n.name = h.name;
  n.if_index = h.index;
  n.loopback = (h.flags & IFF_LOOPBACK) != 0;
  n.family = h.addr.ss_family;
  if (n.family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&h.addr);
    std::memcpy(n.addr, &a->sin_addr, 4);
  } else {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&h.addr);
    std::memcpy(n.addr, &a->sin6_addr, 16);
  }
  return n;
}

bool same_address(const NetInterface& a, const NetInterface& b) {
  return a.family == b.family && std::memcmp(a.addr, b.addr, a.family == AF_INET ? 4 : 16) == 0;
}

}  // namespace

std::vector<HostAddress> host_addresses() {
  std::vector<HostAddress> out;
  ifaddrs* ifs = nullptr;
  if (getifaddrs(&ifs) != 0) return out;
  for (ifaddrs* i = ifs; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_name == nullptr) continue;
    const int fam = i->ifa_addr->sa_family;
    if (fam != AF_INET && fam != AF_INET6) continue;
    HostAddress h;
    h.name = i->ifa_name;
    h.index = if_nametoindex(i->ifa_name);
    h.flags = i->ifa_flags;
    std::memcpy(&h.addr, i->ifa_addr, fam == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6));
    out.push_back(std::move(h));
  }
  freeifaddrs(ifs);
  return out;
}

std::string NetInterface::address() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(family, addr, buf, sizeof(buf));
  return buf;
}

LinkInfo read_link_info(const std::string& sysfs_root, const std::string& ifname) {
  LinkInfo li;
  // An interface name never contains '/' (the kernel refuses it); one that
  // did could not be looked up below sysfs.
  if (ifname.empty() || ifname.find('/') != std::string::npos || ifname == "." || ifname == "..")
    return li;
  const std::string dir = sysfs_root + "/class/net/" + ifname;
  // speed: Mb/s; -1 (SPEED_UNKNOWN) or unreadable when the driver does not know.
  if (auto s = read_line(dir + "/speed")) {
    if (auto v = parse_int(*s); v && *v > 0) li.speed = static_cast<uint64_t>(*v) * 1'000'000;
  }
  std::error_code ec;
  for (stdfs::directory_iterator it(dir + "/queues", ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().filename().string().starts_with("rx-")) ++li.rx_queues;
  }
  if (auto s = read_line(dir + "/device/numa_node")) {
    if (auto v = parse_int(*s); v && *v >= 0 && *v < 65536) li.numa_node = static_cast<int>(*v);
  }
  li.hardware = stdfs::exists(dir + "/device", ec);
  return li;
}

bool interface_entry_matches(std::string_view entry, const NetInterface& i) {
  if (entry == i.name) return true;
  size_t slash = entry.find('/');
  int fam = 0;
  uint8_t a[16] = {};
  if (!parse_address(entry.substr(0, slash), &fam, a) || fam != i.family) return false;
  const unsigned width = fam == AF_INET ? 32 : 128;
  unsigned bits = width;
  if (slash != std::string_view::npos) {
    std::string_view m = entry.substr(slash + 1);
    int mfam = 0;
    uint8_t mask[16] = {};
    if (auto v = parse_int(m); v && *v >= 0 && *v <= static_cast<long long>(width)) {
      bits = static_cast<unsigned>(*v);
    } else if (parse_address(m, &mfam, mask) && mfam == fam) {
      // 255.255.255.0: the number of leading one bits.
      bits = 0;
      while (bits < width && (mask[bits / 8] & (0x80 >> (bits % 8))) != 0) ++bits;
    } else {
      return false;
    }
  }
  return same_prefix(a, i.addr, bits);
}

std::vector<NetInterface> select_interfaces(const Config& cfg,
                                            const std::vector<HostAddress>& host) {
  // Every usable address: up interfaces only (a client cannot reach the
  // others), IPv6 link-local left out.
  std::vector<NetInterface> all;
  for (const auto& h : host) {
    if (h.addr.ss_family != AF_INET && h.addr.ss_family != AF_INET6) continue;
    if ((h.flags & IFF_UP) == 0) continue;
    NetInterface n = from_host(h);
    if (n.family == AF_INET6 && is_link_local6(n.addr)) continue;
    all.push_back(n);
  }

  // Named by `interfaces`, when that is set (applied before the loopback
  // fallback, so `interfaces = lo` with a wildcard listener reports lo).
  std::erase_if(all, [&](const NetInterface& n) {
    if (cfg.interfaces.empty()) return false;
    for (const auto& e : cfg.interfaces)
      if (interface_entry_matches(e, n)) return false;
    return true;
  });

  std::vector<NetInterface> out;
  auto add = [&](const NetInterface& n) {
    for (const auto& o : out)
      if (same_address(o, n)) return;
    out.push_back(n);
  };
  for (const auto& la : cfg.listen) {
    auto spec = listen_spec(la);
    if (!spec) continue;
    if (spec->family != 0) {
      for (const auto& n : all) {
        if (n.family == spec->family &&
            std::memcmp(n.addr, spec->addr, n.family == AF_INET ? 4 : 16) == 0) {
          add(n);
        }
      }
      continue;
    }
    auto family_ok = [&](const NetInterface& n) {
      return (n.family == AF_INET && spec->any4) || (n.family == AF_INET6 && spec->any6);
    };
    bool any = false;
    for (const auto& n : all) {
      if (!n.loopback && family_ok(n)) {
        add(n);
        any = true;
      }
    }
    if (!any) {
      for (const auto& n : all)
        if (n.loopback && family_ok(n)) add(n);
    }
  }

  for (auto& n : out) {
    LinkInfo li = read_link_info(cfg.sysfs_root, n.name);
    if (li.speed) n.link_speed = *li.speed;
    if (li.rx_queues > 1) n.capability |= wire::NETIF_RSS_CAPABLE;
    n.numa_node = n.loopback ? -1 : li.numa_node;
    n.hardware = li.hardware;
    for (const auto& o : cfg.interface_options) {
      if (!interface_entry_matches(o.name, n)) continue;
      if (o.speed) n.link_speed = *o.speed;
      if (o.capability) n.capability = *o.capability;
      if (o.if_index) n.if_index = *o.if_index;
    }
  }
  // 3.3.5.15.11: no address of an interface whose IfIndex is 0.
  std::erase_if(out, [](const NetInterface& n) { return n.if_index == 0; });
  // One interface's addresses together, IPv4 first.
  std::stable_sort(out.begin(), out.end(), [](const NetInterface& a, const NetInterface& b) {
    if (a.if_index != b.if_index) return a.if_index < b.if_index;
    return a.family == AF_INET && b.family == AF_INET6;
  });
  return out;
}

std::vector<wire::NetworkInterface> to_wire(const std::vector<NetInterface>& list) {
  std::vector<wire::NetworkInterface> out;
  out.reserve(list.size());
  for (const auto& n : list) {
    wire::NetworkInterface w;
    w.if_index = n.if_index;
    w.capability = n.capability;
    w.link_speed = n.link_speed;
    if (n.family == AF_INET) {
      w.family = wire::SOCKADDR_INET;
      std::memcpy(w.addr, n.addr, 4);
    } else {
      w.family = wire::SOCKADDR_INET6;
      std::memcpy(w.addr, n.addr, 16);
    }
    out.push_back(w);
  }
  return out;
}

// ---------------------------------------------------------------- NUMA

std::optional<std::vector<int>> parse_cpulist(std::string_view s) {
  std::set<int> cpus;
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.remove_suffix(1);
  while (!s.empty()) {
    size_t comma = s.find(',');
    std::string_view part = s.substr(0, comma);
    s = comma == std::string_view::npos ? std::string_view() : s.substr(comma + 1);
    if (part.empty()) return std::nullopt;
    size_t dash = part.find('-');
    auto lo = parse_int(part.substr(0, dash));
    auto hi = dash == std::string_view::npos ? lo : parse_int(part.substr(dash + 1));
    // CPU_SETSIZE bounds what a cpu_set_t can hold.
    if (!lo || !hi || *lo < 0 || *hi < *lo || *hi >= CPU_SETSIZE) return std::nullopt;
    for (long long c = *lo; c <= *hi; ++c) cpus.insert(static_cast<int>(c));
  }
  return std::vector<int>(cpus.begin(), cpus.end());
}

std::string format_cpulist(const std::vector<int>& cpus) {
  std::string out;
  for (size_t i = 0; i < cpus.size();) {
    size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += j == i ? fmt::format("{}", cpus[i]) : fmt::format("{}-{}", cpus[i], cpus[j]);
    i = j + 1;
  }
  return out;
}

std::map<int, std::vector<int>> read_numa_nodes(const std::string& sysfs_root) {
  std::map<int, std::vector<int>> nodes;
  std::error_code ec;
  for (stdfs::directory_iterator it(sysfs_root + "/devices/system/node", ec), end;
       !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (!name.starts_with("node")) continue;
    auto n = parse_int(std::string_view(name).substr(4));
    if (!n || *n < 0 || *n >= 65536) continue;
    auto line = read_line(it->path().string() + "/cpulist");
    if (!line) continue;
    auto cpus = parse_cpulist(*line);
    if (!cpus) continue;
    nodes[static_cast<int>(*n)] = std::move(*cpus);
  }
  return nodes;
}

PlacementPlan plan_placement(const PlacementInput& in) {
  PlacementPlan plan;
  plan.workers.resize(in.workers);
  auto usable = [&](const std::vector<int>& cpus) {
    if (in.allowed_cpus.empty()) return cpus;
    std::vector<int> out;
    std::set_intersection(cpus.begin(), cpus.end(), in.allowed_cpus.begin(),
                          in.allowed_cpus.end(), std::back_inserter(out));
    return out;
  };
  // Which workers on which node, for the summary and for dispatch.
  auto finish = [&](std::string_view why) {
    for (unsigned w = 0; w < in.workers; ++w) {
      if (plan.workers[w].node >= 0) plan.workers_by_node[plan.workers[w].node].push_back(w);
    }
    std::string where;
    for (const auto& [node, ws] : plan.workers_by_node) {
      std::vector<int> ids(ws.begin(), ws.end());
      where += fmt::format("{}worker{} {} on node {} (cpus {})", where.empty() ? "" : "; ",
                           ids.size() == 1 ? "" : "s", format_cpulist(ids), node,
                           format_cpulist(plan.workers[ws.front()].cpus));
    }
    plan.summary = fmt::format("numa: {}{}", why, where.empty() ? "" : ": " + where);
  };

  switch (in.mode) {
    case NumaMode::Off:
      finish("off, workers not pinned");
      return plan;
    case NumaMode::Node: {
      auto it = in.nodes.find(in.node);
      if (it == in.nodes.end()) {
        std::string have;
        for (const auto& [n, c] : in.nodes) have += (have.empty() ? "" : ", ") + std::to_string(n);
        if (have.empty()) have = "no NUMA information";
        else have = (in.nodes.size() == 1 ? "node " : "nodes ") + have;
        throw ConfigError(fmt::format("ringsmb:numa = {}: no such NUMA node (this machine has {})",
                                      in.node, have));
      }
      std::vector<int> cpus = usable(it->second);
      if (cpus.empty()) {
        throw ConfigError(fmt::format("ringsmb:numa = {}: the node has no CPU this process may use",
                                      in.node));
      }
      for (auto& w : plan.workers) w = {in.node, cpus};
      finish(fmt::format("node {} as configured", in.node));
      return plan;
    }
    case NumaMode::Auto:
      break;
  }
  if (in.nodes.size() <= 1) {
    finish("auto, one NUMA node, workers not pinned");
    return plan;
  }
  std::vector<int> nodes;  // distinct, in order, with usable CPUs
  for (int n : std::set<int>(in.interface_nodes.begin(), in.interface_nodes.end())) {
    auto it = in.nodes.find(n);
    if (n >= 0 && it != in.nodes.end() && !usable(it->second).empty()) nodes.push_back(n);
  }
  if (nodes.empty()) {
    finish(fmt::format("auto, {} nodes but no listened interface has one, workers not pinned",
                       in.nodes.size()));
    return plan;
  }
  for (unsigned w = 0; w < in.workers; ++w) {
    int n = nodes[w % nodes.size()];
    plan.workers[w] = {n, usable(in.nodes.at(n))};
  }
  finish(fmt::format("auto, {} nodes, interfaces on node{} {}", in.nodes.size(),
                     nodes.size() == 1 ? "" : "s", format_cpulist(nodes)));
  return plan;
}

}  // namespace ringsmb::server
