#include "wire/status.h"

#include <cstdio>

namespace ringsmb::wire {

namespace {
struct Entry {
  NtStatus value;
  std::string_view name;
};
#define RINGSMB_NTSTATUS_ENTRY(name, value) {value, "STATUS_" #name},
constexpr Entry kTable[] = {RINGSMB_NTSTATUS_LIST(RINGSMB_NTSTATUS_ENTRY)};
#undef RINGSMB_NTSTATUS_ENTRY
thread_local char t_unknown[16];
}  // namespace

std::string_view status_name(NtStatus s) {
  for (const auto& e : kTable)
    if (e.value == s) return e.name;
  std::snprintf(t_unknown, sizeof(t_unknown), "0x%08X", s);
  return t_unknown;
}

bool status_from_name(std::string_view name, NtStatus* out) {
  for (const auto& e : kTable) {
    if (e.name == name || e.name.substr(7) == name) {
      *out = e.value;
      return true;
    }
  }
  *out = 0;
  return false;
}

}  // namespace ringsmb::wire
