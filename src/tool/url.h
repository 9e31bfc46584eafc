// What the ringsmb command line takes as targets and credentials.
//
//   smb://[[DOMAIN;]USER@]HOST[:PORT]/SHARE[/PATH]
//
// HOST may be a name, an IPv4 address or a bracketed IPv6 address.
// Components are percent-decoded ("%20" is a space). The authentication
// file is smbclient's format (-A): "username = ...", "password = ...",
// "domain = ..." lines.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ringsmb::tool {

struct SmbUrl {
  std::string user;    // empty: none given
  std::string domain;
  std::string host;
  uint16_t port = 445;
  std::string share;   // empty: none given (only "smb://host" for some commands)
  std::string path;    // inside the share, '/' separated, no leading '/'
  bool trailing_slash = false;  // "smb://h/s/dir/" names a directory

  // \\host\share
  std::string unc() const;
  // smb://host[:port]/share/path, without credentials (for messages)
  std::string display() const;
  // The last component of path (or the share name for the root).
  std::string basename() const;
};

// nullopt with *err set when s is not an smb:// URL.
std::optional<SmbUrl> parse_smb_url(std::string_view s, std::string* err);
bool is_smb_url(std::string_view s);

struct AuthFile {
  std::string user, password, domain;
};
// nullopt with *err set (file, line) on a malformed file.
std::optional<AuthFile> parse_auth_file(std::string_view text, const std::string& name,
                                        std::string* err);

// Joins share-relative paths with '/'.
std::string join_path(std::string_view a, std::string_view b);

}  // namespace ringsmb::tool
