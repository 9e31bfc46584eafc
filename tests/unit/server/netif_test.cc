// server/netif.h: interface selection over a made-up address list and a
// fake sysfs tree, the FSCTL_QUERY_NETWORK_INTERFACE_INFO output, CPU lists
// and worker placement plans.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <net/if.h>

#include <sched.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <vector>

#include "rt/worker.h"
#include "server/netif.h"
#include "../test_util.h"
#include "wire/client.h"

using namespace ringsmb::server;
using ringsmb::testing::TempDir;

namespace {

// A fake sysfs below a temporary directory.
class FakeSysfs {
 public:
  const std::string& root() const { return dir_.path(); }
  void write(const std::string& rel, const std::string& text) {
    std::filesystem::path p = dir_ / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  // class/net/NAME: speed in Mb/s ("" leaves the file out), rx queues, node.
  void net(const std::string& name, const std::string& speed, int rx_queues,
           std::optional<int> numa_node) {
    const std::string d = "class/net/" + name;
    std::filesystem::create_directories(dir_ / d);
    if (!speed.empty()) write(d + "/speed", speed + "\n");
    for (int q = 0; q < rx_queues; ++q) {
      std::filesystem::create_directories(dir_ / (d + "/queues/rx-" + std::to_string(q)));
      std::filesystem::create_directories(dir_ / (d + "/queues/tx-" + std::to_string(q)));
    }
    if (numa_node) write(d + "/device/numa_node", std::to_string(*numa_node) + "\n");
  }
  void node(int n, const std::string& cpulist) {
    write("devices/system/node/node" + std::to_string(n) + "/cpulist", cpulist + "\n");
  }

 private:
  TempDir dir_;
};

HostAddress addr(const std::string& name, uint32_t index, unsigned flags, const std::string& ip) {
  HostAddress h;
  h.name = name;
  h.index = index;
  h.flags = flags;
  if (ip.find(':') == std::string::npos) {
    auto* a = reinterpret_cast<sockaddr_in*>(&h.addr);
    a->sin_family = AF_INET;
    EXPECT_EQ(inet_pton(AF_INET, ip.c_str(), &a->sin_addr), 1) << ip;
  } else {
    auto* a = reinterpret_cast<sockaddr_in6*>(&h.addr);
    a->sin6_family = AF_INET6;
    EXPECT_EQ(inet_pton(AF_INET6, ip.c_str(), &a->sin6_addr), 1) << ip;
  }
  return h;
}

constexpr unsigned kUp = IFF_UP | IFF_RUNNING;
constexpr unsigned kLoop = IFF_UP | IFF_RUNNING | IFF_LOOPBACK;

// lo (1), eth0 (2: IPv4, IPv6, IPv6 link-local), eth1 (3), eth2 (4, down).
std::vector<HostAddress> host() {
  return {
      addr("lo", 1, kLoop, "127.0.0.1"),     addr("eth0", 2, kUp, "192.0.2.2"),
      addr("eth1", 3, kUp, "198.51.100.7"),  addr("eth2", 4, IFF_BROADCAST, "203.0.113.1"),
      addr("lo", 1, kLoop, "::1"),           addr("eth0", 2, kUp, "fd00::2"),
      addr("eth0", 2, kUp, "fe80::fc:ff:fe00:1"),
  };
}

// eth0: 25 Gb/s, 8 rx queues, node 1; eth1: speed unknown (-1), one queue,
// node 0; lo: no speed file (the kernel answers EINVAL), no device.
void typical(FakeSysfs& fs) {
  fs.net("eth0", "25000", 8, 1);
  fs.net("eth1", "-1", 1, 0);
  fs.net("lo", "", 1, std::nullopt);
  fs.net("eth2", "1000", 2, -1);
}

Config config(const FakeSysfs& fs, std::vector<std::string> listen_hosts) {
  Config c;
  c.sysfs_root = fs.root();
  for (auto& h : listen_hosts) c.listen.push_back({h, 445});
  return c;
}

std::vector<std::string> addresses(const std::vector<NetInterface>& l) {
  std::vector<std::string> out;
  for (const auto& i : l) out.push_back(i.name + " " + i.address());
  return out;
}

using Names = std::vector<std::string>;

}  // namespace

// ------------------------------------------------------------------ sysfs

TEST(NetifSysfs, LinkInfo) {
  FakeSysfs fs;
  typical(fs);
  LinkInfo e0 = read_link_info(fs.root(), "eth0");
  ASSERT_TRUE(e0.speed.has_value());
  EXPECT_EQ(*e0.speed, 25'000'000'000u);
  EXPECT_EQ(e0.rx_queues, 8u);
  EXPECT_EQ(e0.numa_node, 1);
  EXPECT_TRUE(e0.hardware);  // device/ exists
  LinkInfo e1 = read_link_info(fs.root(), "eth1");
  EXPECT_FALSE(e1.speed.has_value());  // -1: SPEED_UNKNOWN
  EXPECT_EQ(e1.rx_queues, 1u);
  EXPECT_EQ(e1.numa_node, 0);
  LinkInfo lo = read_link_info(fs.root(), "lo");
  EXPECT_FALSE(lo.speed.has_value());
  EXPECT_EQ(lo.numa_node, -1);
  EXPECT_FALSE(lo.hardware);
  EXPECT_EQ(read_link_info(fs.root(), "eth2").numa_node, -1);  // "-1": no node
  LinkInfo none = read_link_info(fs.root(), "nosuch");
  EXPECT_FALSE(none.speed.has_value());
  EXPECT_EQ(none.rx_queues, 0u);
  EXPECT_EQ(read_link_info(fs.root(), "../../etc").rx_queues, 0u);
}

TEST(NetifSysfs, GarbageIsUnknown) {
  FakeSysfs fs;
  fs.write("class/net/eth0/speed", "fast\n");
  fs.write("class/net/eth0/device/numa_node", "x\n");
  LinkInfo li = read_link_info(fs.root(), "eth0");
  EXPECT_FALSE(li.speed.has_value());
  EXPECT_EQ(li.numa_node, -1);
}

// -------------------------------------------------------------- selection

TEST(NetifSelect, WildcardListensOnEveryUpNonLoopbackInterface) {
  FakeSysfs fs;
  typical(fs);
  auto l = select_interfaces(config(fs, {""}), host());
  // No loopback, no link-local, nothing of the down eth2; by IfIndex, IPv4 first.
  EXPECT_EQ(addresses(l), (Names{"eth0 192.0.2.2", "eth0 fd00::2", "eth1 198.51.100.7"}));
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(l[0].if_index, 2u);
  EXPECT_EQ(l[0].link_speed, 25'000'000'000u);
  EXPECT_EQ(l[0].capability, ringsmb::wire::NETIF_RSS_CAPABLE);
  EXPECT_EQ(l[0].numa_node, 1);
  EXPECT_EQ(l[1].if_index, 2u);  // 3.3.5.15.11: one IfIndex for all of eth0's addresses
  EXPECT_EQ(l[1].capability, ringsmb::wire::NETIF_RSS_CAPABLE);
  EXPECT_EQ(l[2].link_speed, kDefaultLinkSpeed);  // -1 in sysfs
  EXPECT_EQ(l[2].capability, 0u);                 // one rx queue
  EXPECT_EQ(l[2].numa_node, 0);
  // "::" is the same wildcard; "0.0.0.0" only IPv4.
  EXPECT_EQ(addresses(select_interfaces(config(fs, {"::"}), host())), addresses(l));
  EXPECT_EQ(addresses(select_interfaces(config(fs, {"0.0.0.0"}), host())),
            (Names{"eth0 192.0.2.2", "eth1 198.51.100.7"}));
}

TEST(NetifSelect, WildcardFallsBackToLoopback) {
  FakeSysfs fs;
  typical(fs);
  std::vector<HostAddress> only_lo = {addr("lo", 1, kLoop, "127.0.0.1"),
                                      addr("lo", 1, kLoop, "::1"),
                                      addr("eth2", 4, IFF_BROADCAST, "203.0.113.1")};
  auto l = select_interfaces(config(fs, {""}), only_lo);
  EXPECT_EQ(addresses(l), (Names{"lo 127.0.0.1", "lo ::1"}));
  ASSERT_EQ(l.size(), 2u);
  EXPECT_TRUE(l[0].loopback);
  EXPECT_EQ(l[0].link_speed, kDefaultLinkSpeed);
  EXPECT_EQ(l[0].numa_node, -1);
}

TEST(NetifSelect, SpecificListenAddresses) {
  FakeSysfs fs;
  typical(fs);
  auto l = select_interfaces(config(fs, {"127.0.0.1"}), host());
  EXPECT_EQ(addresses(l), (Names{"lo 127.0.0.1"}));
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].if_index, 1u);
  EXPECT_EQ(l[0].link_speed, kDefaultLinkSpeed);
  EXPECT_EQ(l[0].capability, 0u);
  // Several ports of one address: one entry; an address of no interface
  // and one of a down interface: none.
  Config c = config(fs, {"fd00::2", "198.51.100.7", "10.9.9.9", "203.0.113.1"});
  c.listen.push_back({"198.51.100.7", 4445});
  EXPECT_EQ(addresses(select_interfaces(c, host())),
            (Names{"eth0 fd00::2", "eth1 198.51.100.7"}));
}

TEST(NetifSelect, InterfacesRestrict) {
  FakeSysfs fs;
  typical(fs);
  Config c = config(fs, {""});
  c.interfaces = {"eth1"};
  EXPECT_EQ(addresses(select_interfaces(c, host())), (Names{"eth1 198.51.100.7"}));
  c.interfaces = {"192.0.2.0/24", "fd00::/64"};
  EXPECT_EQ(addresses(select_interfaces(c, host())), (Names{"eth0 192.0.2.2", "eth0 fd00::2"}));
  c.interfaces = {"198.51.100.0/255.255.255.0"};
  EXPECT_EQ(addresses(select_interfaces(c, host())), (Names{"eth1 198.51.100.7"}));
  c.interfaces = {"10.0.0.0/8"};
  EXPECT_TRUE(select_interfaces(c, host()).empty());
  // Loopback named with a wildcard listener: reported, as nothing else is.
  c.interfaces = {"lo"};
  EXPECT_EQ(addresses(select_interfaces(c, host())), (Names{"lo 127.0.0.1", "lo ::1"}));
  c.interfaces = {"127.0.0.1/8", "eth1"};
  EXPECT_EQ(addresses(select_interfaces(c, host())), (Names{"eth1 198.51.100.7"}));
}

TEST(NetifSelect, OptionsOverrideByNameOrAddress) {
  FakeSysfs fs;
  typical(fs);
  Config c = config(fs, {""});
  InterfaceOptions by_name;
  by_name.name = "eth0";
  by_name.speed = 100'000'000'000u;
  by_name.if_index = 77;
  InterfaceOptions by_addr;
  by_addr.name = "198.51.100.7";
  by_addr.capability = ringsmb::wire::NETIF_RSS_CAPABLE;
  by_addr.speed = 10'000'000'000u;
  InterfaceOptions no_rss;  // capability=RDMA only: accepted, adds nothing
  no_rss.name = "fd00::2/128";
  no_rss.capability = 0;
  c.interface_options = {by_name, by_addr, no_rss};
  auto l = select_interfaces(c, host());
  ASSERT_EQ(addresses(l), (Names{"eth1 198.51.100.7", "eth0 192.0.2.2", "eth0 fd00::2"}));
  EXPECT_EQ(l[0].if_index, 3u);
  EXPECT_EQ(l[0].link_speed, 10'000'000'000u);
  EXPECT_EQ(l[0].capability, ringsmb::wire::NETIF_RSS_CAPABLE);
  EXPECT_EQ(l[1].if_index, 77u);
  EXPECT_EQ(l[1].link_speed, 100'000'000'000u);
  EXPECT_EQ(l[1].capability, ringsmb::wire::NETIF_RSS_CAPABLE);  // from sysfs
  EXPECT_EQ(l[2].if_index, 77u);
  EXPECT_EQ(l[2].capability, 0u);  // the later entry wins
}

TEST(NetifSelect, IfIndexZeroIsLeftOut) {
  FakeSysfs fs;
  typical(fs);
  std::vector<HostAddress> h = {addr("eth0", 0, kUp, "192.0.2.2"),
                                addr("eth1", 3, kUp, "198.51.100.7")};
  EXPECT_EQ(addresses(select_interfaces(config(fs, {""}), h)), (Names{"eth1 198.51.100.7"}));
  // ... unless if_index= gives it one.
  Config c = config(fs, {""});
  InterfaceOptions o;
  o.name = "eth0";
  o.if_index = 5;
  c.interface_options = {o};
  EXPECT_EQ(addresses(select_interfaces(c, h)), (Names{"eth1 198.51.100.7", "eth0 192.0.2.2"}));
}

TEST(NetifSelect, EntryMatching) {
  NetInterface i;
  i.name = "eth0";
  i.family = AF_INET;
  ASSERT_EQ(inet_pton(AF_INET, "192.0.2.130", i.addr), 1);
  EXPECT_TRUE(interface_entry_matches("eth0", i));
  EXPECT_FALSE(interface_entry_matches("eth1", i));
  EXPECT_TRUE(interface_entry_matches("192.0.2.130", i));
  EXPECT_TRUE(interface_entry_matches("192.0.2.128/25", i));
  EXPECT_FALSE(interface_entry_matches("192.0.2.0/25", i));
  EXPECT_TRUE(interface_entry_matches("0.0.0.0/0", i));
  EXPECT_FALSE(interface_entry_matches("192.0.2.130/33", i));
  EXPECT_FALSE(interface_entry_matches("::/0", i));  // other family
  EXPECT_FALSE(interface_entry_matches("192.0.2.130/x", i));
}

// ---------------------------------------------------------- FSCTL output

// MS-SMB2 2.2.32.5 / 2.2.32.5.1: 152 bytes per entry, Next 152 then 0,
// SockAddr_Storage at 24: family, port 0, then the IPv4 address and 8
// reserved bytes, or flow info 0, the IPv6 address and scope id 0; the rest
// of the 128 bytes zero.
TEST(NetifWire, OneIPv4AndOneIPv6EntryByteExact) {
  NetInterface v4;
  v4.if_index = 2;
  v4.capability = 1;
  v4.link_speed = 10'000'000'000u;  // 0x00000002540BE400
  v4.family = AF_INET;
  ASSERT_EQ(inet_pton(AF_INET, "192.0.2.2", v4.addr), 1);
  NetInterface v6;
  v6.if_index = 0x0102;
  v6.link_speed = 1'000'000'000u;  // 0x3B9ACA00
  v6.family = AF_INET6;
  ASSERT_EQ(inet_pton(AF_INET6, "fd00::2", v6.addr), 1);
  std::vector<uint8_t> got = ringsmb::wire::encode_network_interfaces(to_wire({v4, v6}));

  std::vector<uint8_t> want(304, 0);
  const uint8_t e0[] = {
      0x98, 0x00, 0x00, 0x00,                          // Next: 152
      0x02, 0x00, 0x00, 0x00,                          // IfIndex
      0x01, 0x00, 0x00, 0x00,                          // Capability: RSS_CAPABLE
      0x00, 0x00, 0x00, 0x00,                          // Reserved
      0x00, 0xE4, 0x0B, 0x54, 0x02, 0x00, 0x00, 0x00,  // LinkSpeed
      0x02, 0x00,                                      // Family: InterNetwork
      0x00, 0x00,                                      // Port
      0xC0, 0x00, 0x02, 0x02,                          // IPv4Address
  };
  const uint8_t e1[] = {
      0x00, 0x00, 0x00, 0x00,                          // Next: last
      0x02, 0x01, 0x00, 0x00,                          // IfIndex
      0x00, 0x00, 0x00, 0x00,                          // Capability
      0x00, 0x00, 0x00, 0x00,                          // Reserved
      0x00, 0xCA, 0x9A, 0x3B, 0x00, 0x00, 0x00, 0x00,  // LinkSpeed
      0x17, 0x00,                                      // Family: InterNetworkV6
      0x00, 0x00,                                      // Port
      0x00, 0x00, 0x00, 0x00,                          // FlowInfo
      0xFD, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // IPv6Address
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
      0x00, 0x00, 0x00, 0x00,                          // ScopeId
  };
  std::copy(std::begin(e0), std::end(e0), want.begin());
  std::copy(std::begin(e1), std::end(e1), want.begin() + 152);
  EXPECT_EQ(got, want);

  // And the client's parser reads back what was meant.
  auto back = ringsmb::wire::parse_network_interfaces({got.data(), got.size()});
  ASSERT_TRUE(back);
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[0].link_speed, 10'000'000'000u);
  EXPECT_EQ((*back)[1].family, ringsmb::wire::SOCKADDR_INET6);
  EXPECT_TRUE(ringsmb::wire::encode_network_interfaces(to_wire({})).empty());
}

// ------------------------------------------------------------------ NUMA

TEST(NetifNuma, ParseCpulist) {
  using V = std::vector<int>;
  EXPECT_EQ(parse_cpulist("0-3,8-11"), (V{0, 1, 2, 3, 8, 9, 10, 11}));
  EXPECT_EQ(parse_cpulist("5"), (V{5}));
  EXPECT_EQ(parse_cpulist("0-1\n"), (V{0, 1}));
  EXPECT_EQ(parse_cpulist(""), V{});  // a memory-only node
  EXPECT_EQ(parse_cpulist("3,1,1-2"), (V{1, 2, 3}));
  for (const char* bad : {"3-1", "a", "1,,2", "0-", "-1", ",", "1-2-3", "99999"})
    EXPECT_FALSE(parse_cpulist(bad).has_value()) << bad;
  EXPECT_EQ(format_cpulist({0, 1, 2, 3, 8, 9, 10, 11}), "0-3,8-11");
  EXPECT_EQ(format_cpulist({1, 3, 4}), "1,3-4");
  EXPECT_EQ(format_cpulist({}), "");
}

TEST(NetifNuma, ReadNodes) {
  FakeSysfs fs;
  fs.node(0, "0-3");
  fs.node(1, "4-7");
  fs.node(2, "");  // memory only
  fs.write("devices/system/node/online", "0-2\n");
  fs.write("devices/system/node/nodeX/cpulist", "9\n");
  fs.write("devices/system/node/node3/cpulist", "garbage\n");
  auto nodes = read_numa_nodes(fs.root());
  ASSERT_EQ(nodes.size(), 3u);
  EXPECT_EQ(nodes[0], (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(nodes[1], (std::vector<int>{4, 5, 6, 7}));
  EXPECT_TRUE(nodes[2].empty());
  FakeSysfs empty;
  EXPECT_TRUE(read_numa_nodes(empty.root()).empty());
}

namespace {

PlacementInput input(NumaMode mode, std::map<int, std::vector<int>> nodes,
                     std::vector<int> interface_nodes, unsigned workers) {
  PlacementInput in;
  in.mode = mode;
  in.nodes = std::move(nodes);
  in.interface_nodes = std::move(interface_nodes);
  in.workers = workers;
  return in;
}

bool unpinned(const PlacementPlan& p) {
  for (const auto& w : p.workers)
    if (w.node != -1 || !w.cpus.empty()) return false;
  return p.workers_by_node.empty();
}

const std::map<int, std::vector<int>> kOne = {{0, {0, 1, 2, 3}}};
const std::map<int, std::vector<int>> kTwo = {{0, {0, 1, 2, 3}}, {1, {4, 5, 6, 7}}};

}  // namespace

TEST(NetifPlacement, OffNeverPins) {
  for (const auto& nodes : {kOne, kTwo}) {
    auto p = plan_placement(input(NumaMode::Off, nodes, {0, 1}, 4));
    ASSERT_EQ(p.workers.size(), 4u);
    EXPECT_TRUE(unpinned(p));
    EXPECT_EQ(p.summary, "numa: off, workers not pinned");
  }
}

TEST(NetifPlacement, AutoWithOneNodeDoesNotPin) {
  auto p = plan_placement(input(NumaMode::Auto, kOne, {0}, 4));
  EXPECT_TRUE(unpinned(p));
  EXPECT_EQ(p.summary, "numa: auto, one NUMA node, workers not pinned");
  EXPECT_TRUE(unpinned(plan_placement(input(NumaMode::Auto, {}, {0}, 2))));  // no NUMA info
}

TEST(NetifPlacement, AutoWithTwoNodesFollowsTheInterfaces) {
  // Interfaces on both nodes: round-robin.
  auto p = plan_placement(input(NumaMode::Auto, kTwo, {1, 0, -1, 1}, 5));
  ASSERT_EQ(p.workers.size(), 5u);
  for (unsigned w = 0; w < 5; ++w) {
    int node = static_cast<int>(w % 2);
    EXPECT_EQ(p.workers[w].node, node) << w;
    EXPECT_EQ(p.workers[w].cpus, kTwo.at(node)) << w;
  }
  EXPECT_EQ(p.workers_by_node.at(0), (std::vector<unsigned>{0, 2, 4}));
  EXPECT_EQ(p.workers_by_node.at(1), (std::vector<unsigned>{1, 3}));
  EXPECT_EQ(p.summary,
            "numa: auto, 2 nodes, interfaces on nodes 0-1: workers 0,2,4 on node 0 (cpus 0-3); "
            "workers 1,3 on node 1 (cpus 4-7)");
  // Every interface on node 1: every worker there.
  p = plan_placement(input(NumaMode::Auto, kTwo, {1, 1}, 3));
  for (const auto& w : p.workers) EXPECT_EQ(w.cpus, kTwo.at(1));
  EXPECT_EQ(p.summary,
            "numa: auto, 2 nodes, interfaces on node 1: workers 0-2 on node 1 (cpus 4-7)");
  // Only loopback (no node) or unknown nodes: nothing to follow.
  p = plan_placement(input(NumaMode::Auto, kTwo, {-1, 5}, 2));
  EXPECT_TRUE(unpinned(p));
  EXPECT_EQ(p.summary, "numa: auto, 2 nodes but no listened interface has one, workers not pinned");
}

TEST(NetifPlacement, AutoKeepsToTheAllowedCpus) {
  PlacementInput in = input(NumaMode::Auto, kTwo, {0, 1}, 2);
  in.allowed_cpus = {2, 3, 4};
  auto p = plan_placement(in);
  EXPECT_EQ(p.workers[0].cpus, (std::vector<int>{2, 3}));
  EXPECT_EQ(p.workers[1].cpus, (std::vector<int>{4}));
  // A node none of whose CPUs the process may use is passed over.
  in.allowed_cpus = {0, 1};
  p = plan_placement(in);
  EXPECT_EQ(p.workers[0].node, 0);
  EXPECT_EQ(p.workers[1].node, 0);
  EXPECT_EQ(p.workers[1].cpus, (std::vector<int>{0, 1}));
}

TEST(NetifPlacement, NodePinsEveryWorkerThere) {
  for (const auto& nodes : {kOne, kTwo}) {
    PlacementInput in = input(NumaMode::Node, nodes, {-1}, 3);
    in.node = 0;
    auto p = plan_placement(in);
    for (const auto& w : p.workers) {
      EXPECT_EQ(w.node, 0);
      EXPECT_EQ(w.cpus, (std::vector<int>{0, 1, 2, 3}));
    }
    EXPECT_EQ(p.summary, "numa: node 0 as configured: workers 0-2 on node 0 (cpus 0-3)");
  }
  PlacementInput in = input(NumaMode::Node, kTwo, {0}, 2);
  in.node = 1;
  auto p = plan_placement(in);
  EXPECT_EQ(p.workers[0].cpus, kTwo.at(1));
  EXPECT_EQ(p.workers[1].cpus, kTwo.at(1));
}

TEST(NetifPlacement, NodeThatDoesNotExistIsAnError) {
  PlacementInput in = input(NumaMode::Node, kOne, {}, 2);
  in.node = 1;
  try {
    plan_placement(in);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              "ringsmb:numa = 1: no such NUMA node (this machine has node 0)");
  }
  in.nodes = {};
  EXPECT_THROW(plan_placement(in), ConfigError);
  // A node with no CPU this process may use.
  in.nodes = kTwo;
  in.allowed_cpus = {0, 1};
  EXPECT_THROW(plan_placement(in), ConfigError);
  in.nodes = {{0, {0}}, {1, {}}};
  in.allowed_cpus = {};
  EXPECT_THROW(plan_placement(in), ConfigError);
}

// The real host, for what it is worth: whatever it has, the list is
// consistent with the rules.
TEST(NetifHost, RealInterfaces) {
  auto h = host_addresses();
  Config c;
  c.listen.push_back({"127.0.0.1", 445});
  auto l = select_interfaces(c, h);
  bool have_lo = false;
  for (const auto& a : h) {
    if (a.addr.ss_family == AF_INET &&
        reinterpret_cast<const sockaddr_in*>(&a.addr)->sin_addr.s_addr == htonl(INADDR_LOOPBACK))
      have_lo = true;
  }
  if (!have_lo) GTEST_SKIP() << "no 127.0.0.1 here";
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].address(), "127.0.0.1");
  EXPECT_TRUE(l[0].loopback);
  EXPECT_NE(l[0].if_index, 0u);
}

// The applying half: a worker given a CPU set runs on it from before its
// ring and buffers exist (init sees it already).
TEST(NetifPinning, WorkerRunsOnItsCpus) {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  ASSERT_EQ(sched_getaffinity(0, sizeof(allowed), &allowed), 0);
  int cpu = -1;
  for (int c = CPU_SETSIZE - 1; c >= 0 && cpu < 0; --c)
    if (CPU_ISSET(c, &allowed)) cpu = c;
  ASSERT_GE(cpu, 0);
  ringsmb::rt::WorkerConfig wc;
  wc.ring_entries = 64;
  wc.buffers.classes = {{4096, 4}};
  wc.cpus = {cpu};
  ringsmb::rt::Worker w(0, wc);
  std::promise<std::vector<int>> seen;
  int err = -1;
  w.start([&] {
    err = ringsmb::rt::Worker::current()->affinity_error();
    cpu_set_t mine;
    CPU_ZERO(&mine);
    std::vector<int> cpus;
    if (sched_getaffinity(0, sizeof(mine), &mine) == 0) {
      for (int c = 0; c < CPU_SETSIZE; ++c)
        if (CPU_ISSET(c, &mine)) cpus.push_back(c);
    }
    seen.set_value(cpus);
  });
  auto f = seen.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_EQ(f.get(), std::vector<int>{cpu});
  EXPECT_EQ(err, 0);
  w.request_stop();
  w.join();
}
