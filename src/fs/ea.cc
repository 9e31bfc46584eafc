#include "fs/ea.h"

#include <sys/xattr.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>

#include "fs/names.h"

namespace ringsmb::fs {

namespace {
constexpr std::string_view kPrefix = "user.";
bool internal(std::string_view xname) {
  return xname.starts_with("user.ringsmb.") || xname == "user.DOSATTRIB" ||
         xname.starts_with("user.DosStream.");
}
}  // namespace

bool reserved_ea_name(const std::string& name) {
  return internal(std::string(kPrefix) + name) || name.empty();
}

int list_eas(int fd, std::vector<Ea>* out) {
  out->clear();
  ssize_t n = flistxattr(fd, nullptr, 0);
  if (n < 0) return (errno == ENOTSUP || errno == EOPNOTSUPP) ? 0 : -errno;
  std::vector<char> names(static_cast<size_t>(n) + 1);
  n = flistxattr(fd, names.data(), names.size());
  if (n < 0) return -errno;
  for (ssize_t i = 0; i < n;) {
    std::string_view x(names.data() + i);
    i += static_cast<ssize_t>(x.size()) + 1;
    if (!x.starts_with(kPrefix) || internal(x)) continue;
    Ea e;
    e.name = std::string(x.substr(kPrefix.size()));
    std::string xn(x);
    ssize_t vl = fgetxattr(fd, xn.c_str(), nullptr, 0);
    if (vl < 0) continue;
    e.value.resize(static_cast<size_t>(vl));
    vl = fgetxattr(fd, xn.c_str(), e.value.data(), e.value.size());
    if (vl < 0) continue;
    e.value.resize(static_cast<size_t>(vl));
    out->push_back(std::move(e));
  }
  return 0;
}

int list_eas_at(int dirfd, const char* name, std::vector<Ea>* out) {
  out->clear();
  char path[4200];
  if (dirfd == AT_FDCWD) {
    std::snprintf(path, sizeof(path), "%s", name);
  } else {
    std::snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dirfd, name);
  }
  // A resolved /proc/self/fd link must be followed; a directory entry not.
  const bool follow = dirfd == AT_FDCWD;
  char names[4096];
  ssize_t n = follow ? listxattr(path, names, sizeof(names)) : llistxattr(path, names, sizeof(names));
  if (n < 0) return (errno == ENOTSUP || errno == EOPNOTSUPP || errno == ERANGE) ? 0 : -errno;
  for (ssize_t i = 0; i < n;) {
    std::string_view x(names + i);
    i += static_cast<ssize_t>(x.size()) + 1;
    if (!x.starts_with(kPrefix) || internal(x)) continue;
    Ea e;
    e.name = std::string(x.substr(kPrefix.size()));
    std::string xn(x);
    uint8_t buf[65536];
    ssize_t vl = follow ? getxattr(path, xn.c_str(), buf, sizeof(buf))
                        : lgetxattr(path, xn.c_str(), buf, sizeof(buf));
    if (vl < 0) continue;
    e.value.assign(buf, buf + vl);
    out->push_back(std::move(e));
  }
  return 0;
}

uint32_t full_ea_list_size(const std::vector<Ea>& eas) {
  size_t total = 0;
  for (size_t i = 0; i < eas.size(); ++i) {
    if (i != 0) total = (total + 3) & ~size_t{3};
    total += 8 + eas[i].name.size() + 1 + eas[i].value.size();
  }
  return static_cast<uint32_t>(total);
}

int set_ea(int fd, const std::string& name, const std::vector<uint8_t>& value) {
  if (reserved_ea_name(name)) return -EINVAL;
  // An existing EA of the same name in another case is replaced.
  std::vector<Ea> cur;
  list_eas(fd, &cur);
  for (const auto& e : cur) {
    if (e.name != name && equal_ci(e.name, name)) {
      std::string old = std::string(kPrefix) + e.name;
      fremovexattr(fd, old.c_str());
    }
  }
  std::string xn = std::string(kPrefix) + name;
  if (value.empty()) {
    if (fremovexattr(fd, xn.c_str()) != 0 && errno != ENODATA) return -errno;
    return 0;
  }
  if (fsetxattr(fd, xn.c_str(), value.data(), value.size(), 0) != 0) return -errno;
  return 0;
}

}  // namespace ringsmb::fs
