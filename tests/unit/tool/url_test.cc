#include "tool/url.h"

#include <gtest/gtest.h>

using namespace ringsmb::tool;

namespace {
SmbUrl ok(std::string_view s) {
  std::string err;
  auto u = parse_smb_url(s, &err);
  EXPECT_TRUE(u.has_value()) << s << ": " << err;
  return u.value_or(SmbUrl{});
}
std::string bad(std::string_view s) {
  std::string err;
  auto u = parse_smb_url(s, &err);
  EXPECT_FALSE(u.has_value()) << s;
  return err;
}
}  // namespace

TEST(SmbUrl, HostShareAndPath) {
  SmbUrl u = ok("smb://server/share/dir/file.txt");
  EXPECT_EQ(u.host, "server");
  EXPECT_EQ(u.port, 445);
  EXPECT_EQ(u.share, "share");
  EXPECT_EQ(u.path, "dir/file.txt");
  EXPECT_TRUE(u.user.empty());
  EXPECT_EQ(u.unc(), "\\\\server\\share");
  EXPECT_EQ(u.basename(), "file.txt");
  EXPECT_EQ(u.display(), "smb://server/share/dir/file.txt");
}

TEST(SmbUrl, UserDomainPort) {
  SmbUrl u = ok("smb://CORP;alice@127.0.0.1:4445/data");
  EXPECT_EQ(u.user, "alice");
  EXPECT_EQ(u.domain, "CORP");
  EXPECT_EQ(u.host, "127.0.0.1");
  EXPECT_EQ(u.port, 4445);
  EXPECT_EQ(u.share, "data");
  EXPECT_EQ(u.path, "");
  EXPECT_EQ(u.basename(), "data");
  // Credentials never appear in what is printed.
  EXPECT_EQ(u.display(), "smb://127.0.0.1:4445/data");
}

TEST(SmbUrl, Ipv6) {
  SmbUrl u = ok("smb://[::1]:4445/s/x");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 4445);
  EXPECT_EQ(u.display(), "smb://[::1]:4445/s/x");
  SmbUrl v = ok("smb://[fe80::1]/s");
  EXPECT_EQ(v.host, "fe80::1");
  EXPECT_EQ(v.port, 445);
}

TEST(SmbUrl, PercentDecodingAndNormalisation) {
  SmbUrl u = ok("smb://h/my%20share//a%2Fb/c//");
  EXPECT_EQ(u.share, "my share");
  EXPECT_EQ(u.path, "a/b/c");  // %2F decodes to '/', empty components go
  EXPECT_TRUE(u.trailing_slash);
  EXPECT_EQ(ok("smb://h/s/%C3%A9t%C3%A9").path, "\xC3\xA9t\xC3\xA9");
  EXPECT_EQ(ok("smb://h").share, "");
}

TEST(SmbUrl, Refusals) {
  bad("http://h/s");
  bad("smb:///s");
  bad("smb://h:0/s");
  bad("smb://h:70000/s");
  bad("smb://h:44x/s");
  bad("smb://[::1/s");
  bad("smb://[::1]x/s");
  bad("smb://h/s/%zz");
  bad("smb://h/s/%4");
  EXPECT_NE(bad("smb://bob:secret@h/s").find("RINGSMB_PASSWORD"), std::string::npos);
}

TEST(AuthFile, SmbclientFormat) {
  std::string err;
  auto a = parse_auth_file("# comment\nusername = alice\npassword = p w=d \n\ndomain=CORP\n", "f",
                           &err);
  ASSERT_TRUE(a) << err;
  EXPECT_EQ(a->user, "alice");
  EXPECT_EQ(a->password, "p w=d");
  EXPECT_EQ(a->domain, "CORP");
}

TEST(AuthFile, ErrorsNameFileAndLine) {
  std::string err;
  EXPECT_FALSE(parse_auth_file("username = a\nnonsense\n", "auth.txt", &err));
  EXPECT_EQ(err, "auth.txt:2: expected 'key = value'");
  EXPECT_FALSE(parse_auth_file("user = a\n", "auth.txt", &err));
  EXPECT_EQ(err, "auth.txt:1: unknown key 'user'");
}

TEST(JoinPath, Basics) {
  EXPECT_EQ(join_path("", "x"), "x");
  EXPECT_EQ(join_path("a", ""), "a");
  EXPECT_EQ(join_path("a/b", "c"), "a/b/c");
}
