#include "server/security.h"

#include <sys/stat.h>

#include "wire/le.h"

namespace ringsmb::server {

namespace {

void put_sid(std::vector<uint8_t>& out, uint8_t authority, const std::vector<uint32_t>& subs) {
  out.push_back(1);  // revision
  out.push_back(static_cast<uint8_t>(subs.size()));
  for (int i = 0; i < 5; ++i) out.push_back(0);
  out.push_back(authority);
  for (uint32_t s : subs) {
    size_t o = out.size();
    out.resize(o + 4);
    wire::st32(out.data() + o, s);
  }
}

size_t sid_size(size_t nsubs) { return 8 + 4 * nsubs; }

// rwx bits -> file rights (read data/EA/attributes, write data/append/EA/
// attributes, execute), plus READ_CONTROL and SYNCHRONIZE for everyone.
uint32_t rights(unsigned rwx, bool is_dir, bool owner) {
  uint32_t m = 0x00020000 | 0x00100000;  // READ_CONTROL | SYNCHRONIZE
  m |= 0x00000080;                       // FILE_READ_ATTRIBUTES
  if (rwx & 4) m |= 0x00000001 | 0x00000008;  // READ_DATA, READ_EA
  if (rwx & 2) {
    m |= 0x00000002 | 0x00000004 | 0x00000010 | 0x00000100;  // WRITE/APPEND/WRITE_EA/ATTRS
    if (is_dir) m |= 0x00000040;                              // DELETE_CHILD
  }
  if (rwx & 1) m |= 0x00000020;  // EXECUTE / TRAVERSE
  if (owner) m |= 0x00040000 | 0x00080000 | 0x00000100;  // WRITE_DAC, WRITE_OWNER, attrs
  if (owner && (rwx & 2)) m |= 0x00010000;                // DELETE
  return m;
}

}  // namespace

std::vector<uint8_t> build_security_descriptor(uid_t uid, gid_t gid, mode_t mode, bool is_dir,
                                               uint32_t parts) {
  std::vector<uint8_t> sd(20, 0);
  sd[0] = 1;  // revision
  uint16_t control = 0x8000;  // SE_SELF_RELATIVE
  if (parts & OWNER_SECURITY_INFORMATION) {
    wire::st32(sd.data() + 4, static_cast<uint32_t>(sd.size()));
    put_sid(sd, 22, {1, static_cast<uint32_t>(uid)});
  }
  if (parts & GROUP_SECURITY_INFORMATION) {
    wire::st32(sd.data() + 8, static_cast<uint32_t>(sd.size()));
    put_sid(sd, 22, {2, static_cast<uint32_t>(gid)});
  }
  if (parts & DACL_SECURITY_INFORMATION) {
    control |= 0x0004;  // SE_DACL_PRESENT
    wire::st32(sd.data() + 16, static_cast<uint32_t>(sd.size()));
    struct Ace {
      uint8_t authority;
      std::vector<uint32_t> subs;
      uint32_t mask;
    };
    Ace aces[] = {
        {22, {1, static_cast<uint32_t>(uid)}, rights((mode >> 6) & 7, is_dir, true)},
        {22, {2, static_cast<uint32_t>(gid)}, rights((mode >> 3) & 7, is_dir, false)},
        {1, {0}, rights(mode & 7, is_dir, false)},  // S-1-1-0 Everyone
    };
    size_t acl_start = sd.size();
    sd.resize(acl_start + 8, 0);
    sd[acl_start] = 2;  // ACL revision
    uint16_t count = 0;
    for (const Ace& a : aces) {
      size_t o = sd.size();
      size_t ace_size = 8 + sid_size(a.subs.size());
      sd.resize(o + 8, 0);
      sd[o] = 0;  // ACCESS_ALLOWED_ACE_TYPE
      sd[o + 1] = is_dir ? 0x03 : 0x00;  // OBJECT_INHERIT | CONTAINER_INHERIT on dirs
      wire::st16(sd.data() + o + 2, static_cast<uint16_t>(ace_size));
      wire::st32(sd.data() + o + 4, a.mask);
      put_sid(sd, a.authority, a.subs);
      ++count;
    }
    wire::st16(sd.data() + acl_start + 2, static_cast<uint16_t>(sd.size() - acl_start));
    wire::st16(sd.data() + acl_start + 4, count);
  }
  wire::st16(sd.data() + 2, control);
  return sd;
}

}  // namespace ringsmb::server
