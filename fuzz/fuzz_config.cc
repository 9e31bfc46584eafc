// libFuzzer target: the ringsmbd configuration file parser. A refused
// configuration throws ConfigError; anything else escaping, or any memory
// error, is a finding.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_util.h"
#include "server/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> warnings;
  try {
    ringsmb::server::Config c = ringsmb::server::parse_config(text, "fuzz", &warnings);
    (void)c;
  } catch (const ringsmb::server::ConfigError& e) {
    ringsmb::fuzz::touch(std::string_view(e.what()));
  }
  for (const auto& w : warnings) ringsmb::fuzz::touch(w);
  return 0;
}
