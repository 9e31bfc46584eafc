#include "auth/userdb.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>

#include "wire/utf16.h"
#include "wire/utf16.h"

namespace ringsmb::auth {

namespace {
int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
bool valid_name(std::string_view n) {
  if (n.empty() || n.size() > 64) return false;
  for (unsigned char c : n)
    if (c < 0x20 || c == ':' || c == '\\' || c == '/' || c == '@') return false;
  return true;
}
}  // namespace

Key16 nt_hash(std::string_view password) {
  auto u = wire::utf8_to_utf16le(password);
  return md4({Bytes(u.data(), u.size())});
}

std::optional<UserDb> UserDb::load(const std::string& path, std::string* err) {
  UserDb db;
  std::ifstream f(path);
  if (!f) {
    if (errno == ENOENT) return db;
    *err = path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::string line;
  int n = 0;
  while (std::getline(f, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    size_t a = line.find(':');
    size_t b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos) {
      *err = path + ":" + std::to_string(n) + ": expected name:nthash:unix user";
      return std::nullopt;
    }
    UserRecord r;
    r.name = line.substr(0, a);
    std::string hex = line.substr(a + 1, b - a - 1);
    r.unix_user = line.substr(b + 1);
    if (!valid_name(r.name) || hex.size() != 32) {
      *err = path + ":" + std::to_string(n) + ": malformed entry";
      return std::nullopt;
    }
    for (size_t i = 0; i < 16; ++i) {
      int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
      if (hi < 0 || lo < 0) {
        *err = path + ":" + std::to_string(n) + ": bad NT hash";
        return std::nullopt;
      }
      r.nt_hash[i] = static_cast<uint8_t>(hi * 16 + lo);
    }
    if (r.unix_user.empty()) r.unix_user = r.name;
    db.put(std::move(r));
  }
  return db;
}

const UserRecord* UserDb::find(std::string_view name) const {
  for (const auto& u : users_)
    if (wire::equal_ci(u.name, name)) return &u;
  return nullptr;
}

void UserDb::put(UserRecord r) {
  for (auto& u : users_) {
    if (wire::equal_ci(u.name, r.name)) {
      u = std::move(r);
      return;
    }
  }
  users_.push_back(std::move(r));
}

bool UserDb::remove(std::string_view name) {
  return std::erase_if(users_, [&](const UserRecord& u) { return wire::equal_ci(u.name, name); }) > 0;
}

int UserDb::save(const std::string& path) const {
  std::string tmp = path + ".tmp." + std::to_string(getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return -errno;
  fchmod(fd, 0600);
  std::string out = "# ringsmb passdb: name:NT hash:unix user\n";
  for (const auto& u : users_) {
    char hex[33];
    for (size_t i = 0; i < 16; ++i) std::snprintf(hex + 2 * i, 3, "%02X", u.nt_hash[i]);
    out += u.name + ":" + hex + ":" + u.unix_user + "\n";
  }
  const char* p = out.data();
  size_t left = out.size();
  while (left > 0) {
    ssize_t w = ::write(fd, p, left);
    if (w < 0) {
      int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return -e;
    }
    p += w;
    left -= static_cast<size_t>(w);
  }
  if (fsync(fd) != 0 || ::close(fd) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return -e;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return -e;
  }
  return 0;
}

}  // namespace ringsmb::auth
