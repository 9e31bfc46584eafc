// The user database ("passdb"): one line per user,
//
//   name:NTHASH(32 hex digits):unix user
//
// NT hashes only (MD4 of the UTF-16LE password), never passwords. The file
// is mode 0600 and replaced atomically (write a temporary file in the same
// directory, fsync, rename). Names are matched case-insensitively, as
// Windows does.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/crypto.h"

namespace ringsmb::auth {

struct UserRecord {
  std::string name;
  Key16 nt_hash{};
  std::string unix_user;  // the Unix account file operations run as
};

class UserDb {
 public:
  // A missing file is an empty database. Returns nullopt and sets *err
  // ("path:line: reason") for a malformed file.
  static std::optional<UserDb> load(const std::string& path, std::string* err);

  const UserRecord* find(std::string_view name) const;
  const std::vector<UserRecord>& users() const { return users_; }
  // Adds or replaces.
  void put(UserRecord r);
  bool remove(std::string_view name);
  // Writes the file atomically with mode 0600. 0 or -errno.
  int save(const std::string& path) const;

 private:
  std::vector<UserRecord> users_;
};

// MD4(UTF-16LE(password)) (MS-NLMP 3.3.1 NTOWFv1).
Key16 nt_hash(std::string_view password);

}  // namespace ringsmb::auth
