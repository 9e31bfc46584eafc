#include "fs/streams.h"

#include <sys/xattr.h>

#include <cerrno>

#include "fs/names.h"

namespace ringsmb::fs {

namespace {
constexpr std::string_view kPrefix = "user.DosStream.";
constexpr std::string_view kSuffix = ":$DATA";
std::string xname(const std::string& name) {
  std::string x(kPrefix);
  x += name;
  x += kSuffix;
  return x;
}
}  // namespace

int list_streams(int fd, std::vector<StreamInfo>* out) {
  out->clear();
  ssize_t n = flistxattr(fd, nullptr, 0);
  if (n < 0) return (errno == ENOTSUP || errno == EOPNOTSUPP) ? 0 : -errno;
  std::vector<char> names(static_cast<size_t>(n) + 1);
  n = flistxattr(fd, names.data(), names.size());
  if (n < 0) return -errno;
  for (ssize_t i = 0; i < n;) {
    std::string_view x(names.data() + i);
    i += static_cast<ssize_t>(x.size()) + 1;
    if (!x.starts_with(kPrefix) || !x.ends_with(kSuffix)) continue;
    StreamInfo s;
    s.name = std::string(x.substr(kPrefix.size(), x.size() - kPrefix.size() - kSuffix.size()));
    std::string xn(x);
    ssize_t len = fgetxattr(fd, xn.c_str(), nullptr, 0);
    if (len < 0) continue;
    s.size = static_cast<uint64_t>(len);
    out->push_back(std::move(s));
  }
  return 0;
}

std::string find_stream(int fd, const std::string& name) {
  std::vector<StreamInfo> all;
  if (list_streams(fd, &all) < 0) return {};
  for (const auto& s : all)
    if (s.name == name) return s.name;
  for (const auto& s : all)
    if (equal_ci(s.name, name)) return s.name;
  return {};
}

int read_stream(int fd, const std::string& name, std::vector<uint8_t>* out) {
  std::string x = xname(name);
  for (;;) {
    ssize_t len = fgetxattr(fd, x.c_str(), nullptr, 0);
    if (len < 0) return errno == ENODATA ? -ENOENT : -errno;
    out->resize(static_cast<size_t>(len));
    ssize_t got = fgetxattr(fd, x.c_str(), out->data(), out->size());
    if (got >= 0) {
      out->resize(static_cast<size_t>(got));
      return 0;
    }
    if (errno != ERANGE) return errno == ENODATA ? -ENOENT : -errno;
    // It grew between the two calls: try again.
  }
}

int write_stream(int fd, const std::string& name, const std::vector<uint8_t>& data,
                 bool create_only) {
  std::string x = xname(name);
  int rc = fsetxattr(fd, x.c_str(), data.data(), data.size(), create_only ? XATTR_CREATE : 0);
  if (rc == 0) return 0;
  if (errno == E2BIG || errno == ERANGE) return -ENOSPC;
  return -errno;
}

int remove_stream(int fd, const std::string& name) {
  std::string x = xname(name);
  if (fremovexattr(fd, x.c_str()) == 0) return 0;
  return errno == ENODATA ? -ENOENT : -errno;
}

}  // namespace ringsmb::fs
