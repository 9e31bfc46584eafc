// The host's network interfaces as FSCTL_QUERY_NETWORK_INTERFACE_INFO
// reports them (MS-SMB2 3.3.5.15.11), and where workers run on a NUMA
// machine (ringsmb:numa).
//
// Everything here but host_addresses() is a function of its arguments and
// of files below Config::sysfs_root, so tests drive it with a made-up
// address list and a fake sysfs tree. The server calls it at start and,
// for a stale interface list, on a thread of its own: never on a worker.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/config.h"
#include "wire/client.h"

namespace ringsmb::server {

// One address of one interface, as getifaddrs(3) lists it.
struct HostAddress {
  std::string name;       // "eth0"
  uint32_t index = 0;     // if_nametoindex(name); 0 when unknown
  unsigned flags = 0;     // IFF_UP, IFF_LOOPBACK, ... (net/if.h)
  sockaddr_storage addr{};  // AF_INET or AF_INET6
};

// The host's IPv4 and IPv6 addresses (getifaddrs and if_nametoindex);
// empty when getifaddrs fails.
std::vector<HostAddress> host_addresses();

// LinkSpeed reported when sysfs does not know it: virtual devices and
// loopback (speed unreadable), links without carrier or whose driver says -1.
// 1 Gb/s, what Samba reports when ethtool gives no speed.
inline constexpr uint64_t kDefaultLinkSpeed = 1'000'000'000;

// One NETWORK_INTERFACE_INFO entry to be (MS-SMB2 2.2.32.5), with what the
// server needs beside it.
struct NetInterface {
  std::string name;  // interface name
  uint32_t if_index = 0;
  uint32_t capability = 0;  // wire::NETIF_RSS_CAPABLE
  uint64_t link_speed = kDefaultLinkSpeed;  // bits per second
  int numa_node = -1;  // of the device; -1: none (virtual, loopback, no NUMA)
  bool loopback = false;
  bool hardware = false;  // a device sits behind it (LinkInfo::hardware)
  int family = AF_INET;  // AF_INET or AF_INET6
  uint8_t addr[16] = {};  // 4 or 16 bytes, network order

  std::string address() const;  // "192.0.2.2", "fd00::2"
};

// What sysfs says about one interface (<sysfs_root>/class/net/NAME/...).
struct LinkInfo {
  std::optional<uint64_t> speed;  // bits per second; unset when unknown
  unsigned rx_queues = 0;         // queues/rx-*: more than one means RSS
  int numa_node = -1;             // device/numa_node; -1: none
  bool hardware = false;          // device/ exists: a NIC, not lo, veth or a bridge
};
LinkInfo read_link_info(const std::string& sysfs_root, const std::string& ifname);

// The addresses the server reports, in interface order:
// - of up interfaces, and only those `interfaces` names when it is set (a
//   name, an address, or ADDRESS/PREFIX for a subnet);
// - those it listens on (Config::listen): a listen address of "" or "::"
//   means every such non-loopback IPv4 and IPv6 address, and "0.0.0.0"
//   the IPv4 ones; the loopback addresses only when there is no other.
//   IPv6 link-local addresses are left out: they need a scope, and the
//   client ignores ScopeId (2.2.32.5.1.2);
// - with speed, RSS and NUMA node from sysfs, then the interface options
//   (Config::interface_options: speed=, capability=, if_index=) of every
//   entry that matches the address, in order (later ones win);
// - without addresses whose IfIndex is 0 (3.3.5.15.11 forbids them).
std::vector<NetInterface> select_interfaces(const Config& cfg,
                                            const std::vector<HostAddress>& host);

// The FSCTL output for a list: NETWORK_INTERFACE_INFO entries chained with
// Next (2.2.32.5), ports, flow info and scope ids 0.
std::vector<wire::NetworkInterface> to_wire(const std::vector<NetInterface>& list);

// True when an `interfaces` entry (name, address or ADDRESS/PREFIX) names
// this interface address.
bool interface_entry_matches(std::string_view entry, const NetInterface& i);

// ---------------------------------------------------------------- NUMA

// A sysfs CPU list ("0-3,8-11", "5", ""), sorted and without duplicates;
// nullopt when malformed.
std::optional<std::vector<int>> parse_cpulist(std::string_view s);
// The inverse, compressed: {0,1,2,3,8} -> "0-3,8".
std::string format_cpulist(const std::vector<int>& cpus);

// Node number -> its CPUs, from <sysfs_root>/devices/system/node/node*/cpulist.
// Empty when the kernel has no NUMA information there.
std::map<int, std::vector<int>> read_numa_nodes(const std::string& sysfs_root);

struct PlacementInput {
  NumaMode mode = NumaMode::Auto;
  int node = -1;  // NumaMode::Node
  std::map<int, std::vector<int>> nodes;  // read_numa_nodes()
  std::vector<int> interface_nodes;  // NetInterface::numa_node of each reported address
  std::vector<int> allowed_cpus;  // the process's CPU affinity; empty: every CPU
  unsigned workers = 1;
};

struct WorkerPlacement {
  int node = -1;          // -1: not pinned
  std::vector<int> cpus;  // the thread's CPU set; empty: not pinned
};

struct PlacementPlan {
  std::vector<WorkerPlacement> workers;
  std::string summary;  // one line for the log: where workers run and why
  // Worker ids per node (only nodes that have workers), for handing a
  // connection to a worker on its interface's node.
  std::map<int, std::vector<unsigned>> workers_by_node;
};

// Auto: on a machine with more than one node, workers go round-robin over
// the distinct nodes of the reported interfaces (interfaces without a node
// do not count; none left: no pinning), each pinned to its node's CPUs.
// Off: no pinning. Node: every worker on that node's CPUs. CPUs outside
// allowed_cpus are dropped. Throws ConfigError when NumaMode::Node names a
// node that does not exist or has no usable CPU.
PlacementPlan plan_placement(const PlacementInput& in);

}  // namespace ringsmb::server
