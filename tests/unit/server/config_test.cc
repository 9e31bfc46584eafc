// server/config.h: smb.conf parsing, listen addresses, finalize().
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "server/config.h"

using namespace ringsmb::server;

namespace {

Config parse(std::string_view text, std::vector<std::string>* warnings = nullptr) {
  std::vector<std::string> w;
  Config c = parse_config(text, "t.conf", warnings ? warnings : &w);
  return c;
}

// The message of the ConfigError text raises, or "" when it parses.
std::string error_of(std::string_view text) {
  std::vector<std::string> w;
  try {
    parse_config(text, "t.conf", &w);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

bool starts_with(const std::string& s, std::string_view p) { return s.rfind(p, 0) == 0; }

// ------------------------------------------------------------ parse_config

TEST(ParseConfig, AllKeys) {
  const char* text = R"(# a comment
; another comment
[global]
   smb ports = 445 4445
   interfaces = 127.0.0.1, lo
   server min protocol = SMB2_10
   server max protocol = SMB3_02
   netbios name = MYSERVER
   workgroup = MYGROUP
   server string = My Server = fast
   log level = 3 passdb:5
   map to guest = Bad Password
   ringsmb:workers = 4
   ringsmb:handshake timeout = 10
   ringsmb:max credits = 512
   security = user
   guest account = smbguest
   passdb file = /etc/ringsmb/passdb
   server signing = mandatory
   smb encrypt = desired

[Data]
   path = /srv/data
   comment = Data share
   read only = no
   guest ok = yes
   browseable = no
   case sensitive = yes
   available = no
   vfs objects = acl_xattr
   valid users = alice, @staff bob
   invalid users = mallory
   write list = alice
   read list = bob,carol
   smb encrypt = required

[pub]
   directory = /srv/pub
   writable = yes
   public = yes
   browsable = yes
   case sensitive = auto
)";
  std::vector<std::string> warnings;
  Config c = parse(text, &warnings);
  EXPECT_TRUE(warnings.empty()) << warnings.front();
  EXPECT_EQ(c.source, "t.conf");
  EXPECT_EQ(c.ports, (std::vector<uint16_t>{445, 4445}));
  EXPECT_EQ(c.interfaces, (std::vector<std::string>{"127.0.0.1", "lo"}));
  EXPECT_EQ(c.min_protocol, 0x0210);
  EXPECT_EQ(c.max_protocol, 0x0302);
  EXPECT_EQ(c.netbios_name, "MYSERVER");
  EXPECT_EQ(c.workgroup, "MYGROUP");
  EXPECT_EQ(c.server_string, "My Server = fast");
  EXPECT_EQ(c.log_level, 3);
  EXPECT_EQ(c.map_to_guest, "bad password");
  EXPECT_EQ(c.workers, 4u);
  EXPECT_EQ(c.handshake_timeout_s, 10u);
  EXPECT_EQ(c.max_credits, 512u);
  EXPECT_EQ(c.guest_account, "smbguest");
  EXPECT_EQ(c.passdb_file, "/etc/ringsmb/passdb");
  EXPECT_EQ(c.signing, Signing::Mandatory);
  EXPECT_EQ(c.encrypt, Encrypt::Desired);
  ASSERT_EQ(c.shares.size(), 2u);
  const ShareConfig& d = c.shares[0];
  EXPECT_EQ(d.name, "Data");
  EXPECT_EQ(d.path, "/srv/data");
  EXPECT_EQ(d.comment, "Data share");
  EXPECT_FALSE(d.read_only);
  EXPECT_TRUE(d.guest_ok);
  EXPECT_FALSE(d.browseable);
  EXPECT_TRUE(d.case_sensitive);
  EXPECT_FALSE(d.available);
  EXPECT_EQ(d.valid_users, (std::vector<std::string>{"alice", "@staff", "bob"}));
  EXPECT_EQ(d.invalid_users, std::vector<std::string>{"mallory"});
  EXPECT_EQ(d.write_list, std::vector<std::string>{"alice"});
  EXPECT_EQ(d.read_list, (std::vector<std::string>{"bob", "carol"}));
  EXPECT_EQ(d.encrypt, std::optional<Encrypt>(Encrypt::Required));
  const ShareConfig& p = c.shares[1];
  EXPECT_EQ(p.name, "pub");
  EXPECT_EQ(p.path, "/srv/pub");
  EXPECT_FALSE(p.read_only);
  EXPECT_TRUE(p.guest_ok);
  EXPECT_TRUE(p.browseable);
  EXPECT_FALSE(p.case_sensitive);
  EXPECT_TRUE(p.available);
  EXPECT_FALSE(p.encrypt.has_value());  // the global setting applies
  EXPECT_TRUE(p.valid_users.empty());
}

TEST(ParseConfig, Defaults) {
  Config c = parse("[s]\npath = /x\n");
  EXPECT_EQ(c.ports, std::vector<uint16_t>{445});
  EXPECT_TRUE(c.interfaces.empty());
  EXPECT_EQ(c.min_protocol, 0x0202);
  EXPECT_EQ(c.max_protocol, 0x0311);
  EXPECT_EQ(c.map_to_guest, "never");
  EXPECT_EQ(c.guest_account, "nobody");
  EXPECT_EQ(c.signing, Signing::Auto);
  EXPECT_EQ(c.encrypt, Encrypt::IfRequired);
  EXPECT_EQ(c.max_credits, 8192u);
  ASSERT_EQ(c.shares.size(), 1u);
  EXPECT_TRUE(c.shares[0].read_only);  // Samba's default
  EXPECT_FALSE(c.shares[0].guest_ok);
  EXPECT_TRUE(c.shares[0].browseable);
  EXPECT_FALSE(c.shares[0].case_sensitive);
  EXPECT_TRUE(c.shares[0].available);
}

TEST(ParseConfig, KeysIgnoreCaseSpacesAndUnderscores) {
  for (const char* k : {"server min protocol", "Server Min Protocol", "SERVERMINPROTOCOL",
                        "server_min_protocol", "  server  min protocol  ", "min protocol"}) {
    std::string text = std::string("[global]\n") + k + " = SMB3\n";
    std::vector<std::string> w;
    Config c = parse(text, &w);
    EXPECT_EQ(c.min_protocol, 0x0311) << k;
    EXPECT_TRUE(w.empty()) << k;
  }
  Config c = parse("[global]\nprotocol = SMB2\n");
  EXPECT_EQ(c.max_protocol, 0x0210);
  EXPECT_EQ(parse("[global]\ndebug level = 1\n").log_level, 1);
  EXPECT_EQ(parse("[global]\nlog level = 10\n").log_level, 4);  // capped
  EXPECT_EQ(parse("[global]\nmap to guest = never\n").map_to_guest, "never");
  EXPECT_EQ(parse("[global]\nmap to guest = Bad User\n").map_to_guest, "bad user");
  EXPECT_EQ(parse("[GLOBAL]\nworkgroup = W\n").workgroup, "W");
}

TEST(ParseConfig, Booleans) {
  for (const char* v : {"yes", "Yes", "TRUE", "true", "1", "on", "On"}) {
    Config c = parse(std::string("[s]\npath=/x\nguest ok = ") + v + "\n");
    EXPECT_TRUE(c.shares[0].guest_ok) << v;
  }
  for (const char* v : {"no", "NO", "false", "0", "off"}) {
    Config c = parse(std::string("[s]\npath=/x\nbrowseable = ") + v + "\n");
    EXPECT_FALSE(c.shares[0].browseable) << v;
  }
  EXPECT_EQ(parse_bool("yes"), std::optional<bool>(true));
  EXPECT_EQ(parse_bool("Off"), std::optional<bool>(false));
  EXPECT_FALSE(parse_bool("maybe"));
  EXPECT_FALSE(parse_bool(""));
  EXPECT_FALSE(parse_bool("2"));
  EXPECT_FALSE(parse_bool("yess"));
}

TEST(ParseConfig, Protocols) {
  EXPECT_EQ(parse_protocol("SMB2_02"), std::optional<uint16_t>(0x0202));
  EXPECT_EQ(parse_protocol("SMB2_10"), std::optional<uint16_t>(0x0210));
  EXPECT_EQ(parse_protocol("SMB2"), std::optional<uint16_t>(0x0210));
  EXPECT_EQ(parse_protocol("SMB3_00"), std::optional<uint16_t>(0x0300));
  EXPECT_EQ(parse_protocol("SMB3_02"), std::optional<uint16_t>(0x0302));
  EXPECT_EQ(parse_protocol("SMB3_11"), std::optional<uint16_t>(0x0311));
  EXPECT_EQ(parse_protocol("smb3_11"), std::optional<uint16_t>(0x0311));
  EXPECT_EQ(parse_protocol("SMB3"), std::optional<uint16_t>(0x0311));
  EXPECT_EQ(parse_protocol("NT1"), std::optional<uint16_t>(0x0202));  // SMB1: the lowest
  EXPECT_EQ(parse_protocol("LANMAN2"), std::optional<uint16_t>(0x0202));
  EXPECT_EQ(parse_protocol("CORE"), std::optional<uint16_t>(0x0202));
  EXPECT_FALSE(parse_protocol("SMB4"));
  EXPECT_FALSE(parse_protocol("SMB3_12"));
  EXPECT_FALSE(parse_protocol(""));
}

TEST(ParseConfig, SigningAndEncryptionValues) {
  EXPECT_EQ(parse_signing("auto"), std::optional<Signing>(Signing::Auto));
  EXPECT_EQ(parse_signing("default"), std::optional<Signing>(Signing::Auto));
  EXPECT_EQ(parse_signing("Mandatory"), std::optional<Signing>(Signing::Mandatory));
  EXPECT_EQ(parse_signing("required"), std::optional<Signing>(Signing::Mandatory));
  EXPECT_EQ(parse_signing("disabled"), std::optional<Signing>(Signing::Disabled));
  EXPECT_EQ(parse_signing("off"), std::optional<Signing>(Signing::Disabled));
  EXPECT_FALSE(parse_signing("sometimes"));
  EXPECT_FALSE(parse_signing(""));
  EXPECT_EQ(parse_encrypt("off"), std::optional<Encrypt>(Encrypt::Off));
  EXPECT_EQ(parse_encrypt("disabled"), std::optional<Encrypt>(Encrypt::Off));
  EXPECT_EQ(parse_encrypt("if_required"), std::optional<Encrypt>(Encrypt::IfRequired));
  EXPECT_EQ(parse_encrypt("default"), std::optional<Encrypt>(Encrypt::IfRequired));
  EXPECT_EQ(parse_encrypt("desired"), std::optional<Encrypt>(Encrypt::Desired));
  EXPECT_EQ(parse_encrypt("required"), std::optional<Encrypt>(Encrypt::Required));
  EXPECT_EQ(parse_encrypt("mandatory"), std::optional<Encrypt>(Encrypt::Required));
  EXPECT_FALSE(parse_encrypt("maybe"));
  EXPECT_FALSE(parse_encrypt(""));
  Config c = parse("[global]\nserver smb encrypt = off\n[s]\npath = /x\nsmb encrypt = desired\n");
  EXPECT_EQ(c.encrypt, Encrypt::Off);
  EXPECT_EQ(c.shares[0].encrypt, std::optional<Encrypt>(Encrypt::Desired));
}

TEST(ParseConfig, ContinuationLines) {
  Config c = parse("[global]\nnetbios name = LONG\\\nNAME\nworkgroup = \\\n  WG\n");
  EXPECT_EQ(c.netbios_name, "LONGNAME");
  EXPECT_EQ(c.workgroup, "WG");
  // Lines after a continuation keep their own numbers in messages.
  std::string e = error_of("[global]\nworkgroup = a\\\nb\nringsmb:workers = many\n");
  EXPECT_TRUE(starts_with(e, "t.conf:4: ringsmb:workers:")) << e;
  // An error on a continued line names the line it started on.
  std::string e2 = error_of("[global]\nringsmb:workers = \\\nmany\n");
  EXPECT_TRUE(starts_with(e2, "t.conf:2: ringsmb:workers:")) << e2;
  // A continuation at the end of the file is harmless.
  EXPECT_EQ(parse("[global]\nworkgroup = END\\").workgroup, "END");
}

TEST(ParseConfig, CommentsAndBlankLines) {
  std::vector<std::string> w;
  Config c = parse("\n   \n# x = y\n; y = z\n[global]\n\t# indented comment\nworkgroup = W\n", &w);
  EXPECT_TRUE(w.empty());
  EXPECT_EQ(c.workgroup, "W");
}

TEST(ParseConfig, UnknownKeysWarnWithFileLineKey) {
  std::vector<std::string> w;
  Config c = parse("[global]\nfrobnicate level = 3\n[share]\npath = /x\nMagic Key = 1\n", &w);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_TRUE(starts_with(w[0], "t.conf:2: frobnicate level:")) << w[0];
  EXPECT_NE(w[0].find("[global]"), std::string::npos);
  EXPECT_TRUE(starts_with(w[1], "t.conf:5: Magic Key:")) << w[1];
  EXPECT_NE(w[1].find("[share]"), std::string::npos);
  EXPECT_EQ(c.shares.size(), 1u);
}

TEST(ParseConfig, KeysOutsideSectionsAndUnsupportedSections) {
  std::vector<std::string> w;
  Config c = parse("early = 1\n[homes]\nbrowseable = no\n[printers]\npath = /p\n[ok]\npath = /o\n",
                   &w);
  ASSERT_EQ(w.size(), 5u);
  EXPECT_TRUE(starts_with(w[0], "t.conf:1: early:")) << w[0];
  EXPECT_TRUE(starts_with(w[1], "t.conf:2: [homes]:")) << w[1];
  EXPECT_TRUE(starts_with(w[2], "t.conf:3: browseable:")) << w[2];
  EXPECT_TRUE(starts_with(w[3], "t.conf:4: [printers]:")) << w[3];
  EXPECT_TRUE(starts_with(w[4], "t.conf:5: path:")) << w[4];
  ASSERT_EQ(c.shares.size(), 1u);
  EXPECT_EQ(c.shares[0].name, "ok");
}

TEST(ParseConfig, SambaKeysAcceptedSilently) {
  std::vector<std::string> w;
  parse(R"([global]
server role = standalone server
disable netbios = yes
kernel oplocks = no
[s]
path = /x
vfs objects = streams_xattr
store dos attributes = yes
kernel share modes = no
hide dot files = no
inherit acls = yes
)",
        &w);
  EXPECT_TRUE(w.empty()) << w.front();
}

TEST(ParseConfig, MapAclInheritAndEaSupportAccepted) {
  std::vector<std::string> w;
  parse("[s]\npath = /x\nmap acl inherit = yes\nea support = yes\n", &w);
  EXPECT_TRUE(w.empty()) << w.size() << " warnings, first: " << w.front();
}

// Keys that would change ownership or modes of new files are reported,
// not silently dropped.
TEST(ParseConfig, OwnershipKeysWarn) {
  std::vector<std::string> w;
  parse("[s]\npath = /x\ncreate mask = 0644\nforce user = nobody\n", &w);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0], "t.conf:3: create mask: not supported by ringsmb, ignored");
  EXPECT_EQ(w[1], "t.conf:4: force user: not supported by ringsmb, ignored");
}

TEST(ParseConfig, InvalidValuesThrowWithFileLineKey) {
  struct Case {
    const char* text;
    const char* prefix;
  } cases[] = {
      {"[s]\npath = /x\nread only = maybe\n", "t.conf:3: read only:"},
      {"[s]\npath = /x\nwritable = 2\n", "t.conf:3: writable:"},
      {"[s]\npath = /x\nguest ok = \n", "t.conf:3: guest ok:"},
      {"[s]\npath = /x\ncase sensitive = sometimes\n", "t.conf:3: case sensitive:"},
      {"[s]\npath = /x\navailable = x\n", "t.conf:3: available:"},
      {"[global]\nsmb ports = 0\n", "t.conf:2: smb ports:"},
      {"[global]\nsmb ports = 445 70000\n", "t.conf:2: smb ports:"},
      {"[global]\nsmb ports = http\n", "t.conf:2: smb ports:"},
      {"[global]\nsmb ports = , ,\n", "t.conf:2: smb ports:"},
      {"[global]\nserver min protocol = SMB9\n", "t.conf:2: server min protocol:"},
      {"[global]\nServer Max Protocol = none\n", "t.conf:2: Server Max Protocol:"},
      {"[global]\nlog level = loud\n", "t.conf:2: log level:"},
      {"[global]\nlog level = 101\n", "t.conf:2: log level:"},
      {"[global]\nmap to guest = sometimes\n", "t.conf:2: map to guest:"},
      {"[global]\nguest account =\n", "t.conf:2: guest account:"},
      {"[global]\npassdb file = \n", "t.conf:2: passdb file:"},
      {"[global]\nserver signing = sometimes\n", "t.conf:2: server signing:"},
      {"[global]\nsmb encrypt = maybe\n", "t.conf:2: smb encrypt:"},
      {"[s]\npath = /x\nsmb encrypt = maybe\n", "t.conf:3: smb encrypt:"},
      {"[global]\nringsmb:workers = 2000\n", "t.conf:2: ringsmb:workers:"},
      {"[global]\nringsmb:workers = -1\n", "t.conf:2: ringsmb:workers:"},
      {"[global]\nringsmb:handshake timeout = 4000\n", "t.conf:2: ringsmb:handshake timeout:"},
      {"[global]\nringsmb:max credits = 8\n", "t.conf:2: ringsmb:max credits:"},
      {"[global]\nringsmb:max credits = 70000\n", "t.conf:2: ringsmb:max credits:"},
      {"[global]\n\n\njust words\n", "t.conf:4: just words:"},
      {"[broken\n", "t.conf:1: [broken:"},
      {"[global]\n[ ]\n", "t.conf:2: [ ]:"},
      {"[a]\npath = /a\n[A]\npath = /b\n", "t.conf:3: A:"},
      {"[s]\npath = /x\n[x]\ncomment = no path\n", "t.conf: [x]: path:"},
  };
  for (const Case& c : cases) {
    std::string e = error_of(c.text);
    EXPECT_TRUE(starts_with(e, c.prefix)) << "text:\n" << c.text << "\nmessage: " << e;
  }
  std::string longname(81, 'n');
  std::string e = error_of("[" + longname + "]\npath = /x\n");
  EXPECT_TRUE(starts_with(e, "t.conf:1: " + longname + ":")) << e;
  EXPECT_EQ(error_of("[" + std::string(80, 'n') + "]\npath = /x\n"), "");
}

TEST(ParseConfig, FindShareIgnoresCase) {
  Config c = parse("[Data]\npath = /d\n[\xC3\x84pfel]\npath = /a\n");
  ASSERT_NE(c.find_share("data"), nullptr);
  EXPECT_EQ(c.find_share("DATA")->path, "/d");
  ASSERT_NE(c.find_share("\xC3\xA4PFEL"), nullptr);
  EXPECT_EQ(c.find_share("\xC3\xA4PFEL")->path, "/a");
  EXPECT_EQ(c.find_share("nope"), nullptr);
}

TEST(LoadConfig, MissingFileThrows) {
  std::vector<std::string> w;
  try {
    load_config("/nonexistent/ringsmb.conf", &w);
    FAIL() << "no exception";
  } catch (const ConfigError& e) {
    EXPECT_TRUE(starts_with(e.what(), "/nonexistent/ringsmb.conf:")) << e.what();
  }
}

// ------------------------------------------------------------ parse_listen

TEST(ParseListen, Good) {
  auto a = parse_listen("1.2.3.4:445");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "1.2.3.4");
  EXPECT_EQ(a->port, 445);
  auto b = parse_listen("[::1]:4445");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->port, 4445);
  auto c = parse_listen("10.0.0.1");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->host, "10.0.0.1");
  EXPECT_EQ(c->port, 445);
  auto d = parse_listen("::1");  // bare IPv6: colons are not a port
  ASSERT_TRUE(d);
  EXPECT_EQ(d->host, "::1");
  EXPECT_EQ(d->port, 445);
  auto f = parse_listen("[2001:db8::5]");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->host, "2001:db8::5");
  EXPECT_EQ(f->port, 445);
  auto any = parse_listen("*:139");
  ASSERT_TRUE(any);
  EXPECT_EQ(any->host, "");
  EXPECT_EQ(any->port, 139);
  auto top = parse_listen("127.0.0.1:65535");
  ASSERT_TRUE(top);
  EXPECT_EQ(top->port, 65535);
}

TEST(ParseListen, Bad) {
  for (const char* s : {"server.example.com:445", "localhost", "1.2.3.4:abc", "1.2.3.4:65536",
                        "1.2.3.4:-1", "1.2.3.4:44 5", "[::1", "[::1]x", "[::1]:port",
                        "999.1.1.1:445", "1.2.3:445", "[not-an-ip]:445", "1.2.3.4:99999999999"}) {
    EXPECT_FALSE(parse_listen(s)) << s;
  }
}

// ---------------------------------------------------------------- finalize

TEST(Finalize, DefaultListensOnAnyAddressPerPort) {
  Config c;
  c.ports = {445, 4445};
  finalize(c);
  ASSERT_EQ(c.listen.size(), 2u);
  EXPECT_EQ(c.listen[0].host, "");
  EXPECT_EQ(c.listen[0].port, 445);
  EXPECT_EQ(c.listen[1].host, "");
  EXPECT_EQ(c.listen[1].port, 4445);
}

TEST(Finalize, InterfacesTimesPorts) {
  Config c;
  c.interfaces = {"127.0.0.1", "::1", "10.1.2.3/24"};
  c.ports = {445, 139};
  finalize(c);
  ASSERT_EQ(c.listen.size(), 6u);
  const std::pair<const char*, uint16_t> expect[] = {
      {"127.0.0.1", 445}, {"127.0.0.1", 139}, {"::1", 445},
      {"::1", 139},       {"10.1.2.3", 445},  {"10.1.2.3", 139}};
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(c.listen[i].host, expect[i].first) << i;
    EXPECT_EQ(c.listen[i].port, expect[i].second) << i;
  }
}

TEST(Finalize, InterfaceNames) {
  Config c;
  c.interfaces = {"lo"};
  c.ports = {4445};
  finalize(c);
  ASSERT_FALSE(c.listen.empty());
  bool v4 = std::any_of(c.listen.begin(), c.listen.end(),
                        [](const ListenAddress& a) { return a.host == "127.0.0.1"; });
  EXPECT_TRUE(v4);
  for (const auto& a : c.listen) {
    EXPECT_EQ(a.port, 4445);
    EXPECT_FALSE(a.host.starts_with("fe80")) << a.host;
  }
}

TEST(Finalize, UnknownInterfaceThrows) {
  Config c;
  c.source = "x.conf";
  c.interfaces = {"nosuchif9"};
  try {
    finalize(c);
    FAIL() << "no exception";
  } catch (const ConfigError& e) {
    std::string m = e.what();
    EXPECT_TRUE(starts_with(m, "x.conf: interfaces:")) << m;
    EXPECT_NE(m.find("nosuchif9"), std::string::npos) << m;
  }
}

TEST(Finalize, ExplicitListenKept) {
  Config c;
  c.listen = {{"127.0.0.1", 8445}};
  c.interfaces = {"::1"};
  finalize(c);
  ASSERT_EQ(c.listen.size(), 1u);
  EXPECT_EQ(c.listen[0].port, 8445);
}

TEST(Finalize, MinAboveMaxThrows) {
  Config c = parse("[global]\nserver min protocol = SMB3\nserver max protocol = SMB2_10\n");
  try {
    finalize(c);
    FAIL() << "no exception";
  } catch (const ConfigError& e) {
    std::string m = e.what();
    EXPECT_TRUE(starts_with(m, "t.conf:")) << m;
    EXPECT_NE(m.find("min protocol"), std::string::npos) << m;
  }
}

}  // namespace

// ------------------------------------------------------------ limits

TEST(ParseConfig, LimitDefaults) {
  Config c = parse("[global]\n");
  finalize(c);
  EXPECT_EQ(c.limits.connections, 16384u);
  EXPECT_EQ(c.limits.connections_per_address, 1024u);
  EXPECT_EQ(c.limits.sessions_per_connection, 64u);
  EXPECT_EQ(c.limits.channels_per_session, 32u);
  EXPECT_EQ(c.limits.trees_per_session, 1024u);
  EXPECT_EQ(c.limits.open_files_per_session, 16384u);
  EXPECT_EQ(c.limits.outstanding_requests, 256u);
  EXPECT_EQ(c.limits.async_requests, 128u);
  EXPECT_EQ(c.limits.buffer_memory, uint64_t{1} << 30);
  EXPECT_EQ(c.limits.request_timeout_s, 60u);
  EXPECT_EQ(c.limits.idle_timeout_s, 10080u * 60);
}

TEST(ParseConfig, LimitKeys) {
  Config c = parse(R"([global]
  ringsmb:max connections = 100
  ringsmb:max connections per address = 10
  ringsmb:max sessions per connection = 3
  ringsmb:max channels per session = 4
  ringsmb:max tree connects per session = 5
  max open files = 6
  ringsmb:max outstanding requests = 64
  ringsmb:max async requests = 8
  ringsmb:buffer memory = 256M
  ringsmb:request timeout = 7
  deadtime = 2
)");
  finalize(c);
  EXPECT_EQ(c.limits.connections, 100u);
  EXPECT_EQ(c.limits.connections_per_address, 10u);
  EXPECT_EQ(c.limits.sessions_per_connection, 3u);
  EXPECT_EQ(c.limits.channels_per_session, 4u);
  EXPECT_EQ(c.limits.trees_per_session, 5u);
  EXPECT_EQ(c.limits.open_files_per_session, 6u);
  EXPECT_EQ(c.limits.outstanding_requests, 64u);
  EXPECT_EQ(c.limits.async_requests, 8u);
  EXPECT_EQ(c.limits.buffer_memory, uint64_t{256} << 20);
  EXPECT_EQ(c.limits.request_timeout_s, 7u);
  EXPECT_EQ(c.limits.idle_timeout_s, 120u);
  // ringsmb:idle timeout is in seconds; the later key wins.
  c = parse("[global]\n deadtime = 2\n ringsmb:idle timeout = 5\n");
  EXPECT_EQ(c.limits.idle_timeout_s, 5u);
  c = parse("[global]\n ringsmb:buffer memory = 2G\n");
  EXPECT_EQ(c.limits.buffer_memory, uint64_t{2} << 30);
  c = parse("[global]\n ringsmb:buffer memory = 33554432\n");
  EXPECT_EQ(c.limits.buffer_memory, uint64_t{32} << 20);
}

TEST(ParseConfig, LimitAsyncStaysBelowOutstanding) {
  Config c = parse("[global]\n ringsmb:max outstanding requests = 16\n"
                   " ringsmb:max async requests = 16\n");
  finalize(c);
  EXPECT_EQ(c.limits.async_requests, 8u);
  c = parse("[global]\n ringsmb:max outstanding requests = 0\n ringsmb:request timeout = 0\n");
  finalize(c);
  EXPECT_EQ(c.limits.outstanding_requests, 1u);
  EXPECT_EQ(c.limits.async_requests, 1u);
  EXPECT_EQ(c.limits.request_timeout_s, 60u);
}

TEST(ParseConfig, LimitBadValues) {
  EXPECT_TRUE(starts_with(error_of("[global]\n ringsmb:max connections = many\n"),
                          "t.conf:2: ringsmb:max connections: expected a number of connections"));
  EXPECT_TRUE(starts_with(error_of("[global]\n max open files = -1\n"),
                          "t.conf:2: max open files: expected a number of open files"));
  EXPECT_TRUE(starts_with(error_of("[global]\n ringsmb:buffer memory = 1M\n"),
                          "t.conf:2: ringsmb:buffer memory: expected a size of at least 16M"));
  EXPECT_TRUE(starts_with(error_of("[global]\n ringsmb:buffer memory = 12X\n"),
                          "t.conf:2: ringsmb:buffer memory: expected a size"));
  EXPECT_TRUE(starts_with(error_of("[global]\n deadtime = soon\n"),
                          "t.conf:2: deadtime: expected minutes"));
  EXPECT_TRUE(starts_with(error_of("[global]\n ringsmb:max sessions per connection = 70000\n"),
                          "t.conf:2: ringsmb:max sessions per connection: expected a number"));
}
