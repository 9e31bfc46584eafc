// Server configuration: an smb.conf-style file ([global] plus one section
// per share) and the command-line shortcuts that override it.
//
// Syntax as Samba reads it: "key = value" lines, keys case-insensitive with
// spaces insignificant, '#' or ';' comments, a trailing '\' continues a
// line. Unknown keys are reported with file, line and key and otherwise
// ignored (so a Samba configuration loads); invalid values are errors that
// name file, line and key.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ringsmb::server {

struct ListenAddress {
  std::string host;  // numeric IPv4/IPv6 address; "" = any
  uint16_t port = 445;
};

// smb encrypt (global and per share).
enum class Encrypt {
  Off,         // never: the server does not offer encryption
  IfRequired,  // a client may encrypt; the server does not ask (default)
  Desired,     // the server asks for it, clients that cannot still work
  Required,    // unencrypted requests are refused with STATUS_ACCESS_DENIED
};
// server signing.
enum class Signing { Auto, Mandatory, Disabled };
// ringsmb:read path and ringsmb:write path (per share).
enum class ReadPath { Auto, Splice, ZeroCopy, Copy };
enum class WritePath { Auto, Splice, Recv };

struct ShareConfig {
  std::string name;
  std::string path;
  std::string comment;
  bool read_only = true;  // Samba's default
  bool guest_ok = false;
  bool browseable = true;
  bool case_sensitive = false;
  bool available = true;
  // User lists: names, or @group for members of a Unix group. Empty
  // valid_users means everyone.
  std::vector<std::string> valid_users;
  std::vector<std::string> invalid_users;
  std::vector<std::string> write_list;  // may write even when read only
  std::vector<std::string> read_list;   // may only read even when writable
  std::optional<Encrypt> encrypt;       // unset: the global setting
  // How READ data leaves and WRITE data arrives (docs/performance.md).
  ReadPath read_path = ReadPath::Auto;
  WritePath write_path = WritePath::Auto;
};

// One entry of `interfaces` with the options Samba allows after ';'
// ("eth0;speed=10000000000,capability=RSS,if_index=3"). They override what
// FSCTL_QUERY_NETWORK_INTERFACE_INFO reports for the entry's addresses.
struct InterfaceOptions {
  std::string name;                    // as written before ';' (address, address/mask or name)
  std::optional<uint64_t> speed;       // speed=BITS: LinkSpeed in bits per second
  std::optional<uint32_t> capability;  // capability=RSS (repeatable): 0x1 RSS_CAPABLE
  std::optional<uint32_t> if_index;    // if_index=N: IfIndex
};

// ringsmb:numa: where workers run (docs/architecture.md, "NUMA placement").
enum class NumaMode {
  Auto,  // workers on the nodes of the network devices, when there are several nodes
  Off,   // no pinning
  Node,  // every worker on Config::numa_node
};

// What clients may make the server hold (docs/reliability.md). Every limit
// refuses only the new work that would pass it. For connections, sessions,
// channels, tree connects and open files 0 means no limit; finalize() keeps
// async_requests below outstanding_requests and the timeouts above 0
// (idle_timeout_s 0: never).
struct Limits {
  unsigned connections = 16384;              // ringsmb:max connections
  unsigned connections_per_address = 1024;   // ringsmb:max connections per address
  unsigned sessions_per_connection = 64;     // ringsmb:max sessions per connection
  unsigned channels_per_session = 32;        // ringsmb:max channels per session
  unsigned trees_per_session = 1024;         // ringsmb:max tree connects per session
  unsigned open_files_per_session = 16384;   // max open files (per session here)
  // Requests of one connection being processed at once (the receive loop
  // waits beyond it), and how many of them may wait asynchronously
  // (CHANGE_NOTIFY): ringsmb:max outstanding requests / max async requests.
  unsigned outstanding_requests = 256;
  unsigned async_requests = 128;
  // Bytes of received, not yet answered requests of the whole server
  // (ringsmb:buffer memory); a connection waits before reading more.
  uint64_t buffer_memory = uint64_t{1} << 30;
  // A request whose length header arrived must be complete within this
  // (ringsmb:request timeout, seconds).
  unsigned request_timeout_s = 60;
  // A connection with no open file and no request for this long is closed
  // (deadtime, minutes, as Samba; ringsmb:idle timeout in seconds). 0: never.
  unsigned idle_timeout_s = 10080 * 60;
};

struct Config {
  std::string source;  // file name, for messages
  std::vector<ListenAddress> listen;
  std::vector<uint16_t> ports = {445};
  std::vector<std::string> interfaces;  // addresses or interface names (options removed)
  std::vector<InterfaceOptions> interface_options;  // entries that carried options
  uint16_t min_protocol = 0x0202;
  uint16_t max_protocol = 0x0311;
  std::string netbios_name = "RINGSMB";
  std::string workgroup = "WORKGROUP";
  std::string server_string = "ringsmb";
  unsigned workers = 0;  // 0: one per online CPU
  bool guest_only = false;  // --guest: every login is a guest login
  std::string map_to_guest = "never";  // "never", "bad user", "bad password"
  std::string guest_account = "nobody";
  std::string passdb_file = "/var/lib/ringsmb/passdb";
  Signing signing = Signing::Auto;
  bool multichannel = true;  // server multi channel support
  Encrypt encrypt = Encrypt::IfRequired;
  int log_level = 2;
  // Connections that have not completed SESSION_SETUP within this many
  // seconds are closed.
  unsigned handshake_timeout_s = 30;
  unsigned max_credits = 8192;
  Limits limits;
  NumaMode numa = NumaMode::Auto;
  int numa_node = -1;  // NumaMode::Node
  // Where sysfs is mounted: interface speeds, queues and NUMA nodes are read
  // below it. Not a configuration key; tests point it at a fake tree.
  std::string sysfs_root = "/sys";
  uint32_t max_io_size = 8 * 1024 * 1024;
  std::vector<ShareConfig> shares;

  const ShareConfig* find_share(std::string_view name) const;
};

// Throws ConfigError.
struct ConfigError : std::exception {
  std::string msg;
  explicit ConfigError(std::string m) : msg(std::move(m)) {}
  const char* what() const noexcept override { return msg.c_str(); }
};

// Parses text (name is the file name used in messages). warnings receives
// one line per ignored key.
Config parse_config(std::string_view text, const std::string& name,
                    std::vector<std::string>* warnings);
Config load_config(const std::string& path, std::vector<std::string>* warnings);

// "SMB2_02", "SMB3_11", "SMB3" ... -> dialect; nullopt when unknown.
std::optional<uint16_t> parse_protocol(std::string_view s);
// "ADDR:PORT", "[v6]:PORT", "ADDR" (port 445).
std::optional<ListenAddress> parse_listen(std::string_view s);
std::optional<bool> parse_bool(std::string_view s);
std::optional<Encrypt> parse_encrypt(std::string_view s);
std::optional<Signing> parse_signing(std::string_view s);
// The `interfaces` value: entries separated by spaces or commas, an entry in
// double quotes may contain both, options follow ';'. Entries without
// options are returned in *names only. Throws ConfigError (without file and
// line: the caller adds them) on a syntax error; warnings gets one line per
// option that is accepted but has no effect.
void parse_interfaces(std::string_view value, std::vector<std::string>* names,
                      std::vector<InterfaceOptions>* options, std::vector<std::string>* warnings);

// Derives the final listen addresses (from interfaces x ports unless
// explicit listen addresses were given) and checks what must hold.
void finalize(Config& c);

}  // namespace ringsmb::server
