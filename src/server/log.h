// Minimal leveled logging to stderr: "2026-11-21T10:00:00.123 W1 info: ...".
#pragma once

#include <fmt/format.h>

#include <atomic>
#include <string_view>

namespace ringsmb::log {

enum class Level : int { Error = 0, Warn = 1, Info = 2, Debug = 3, Trace = 4 };

extern std::atomic<int> g_level;
inline bool enabled(Level l) { return static_cast<int>(l) <= g_level.load(std::memory_order_relaxed); }
void write(Level l, std::string_view msg);

template <class... Args>
void error(fmt::format_string<Args...> f, Args&&... a) {
  if (enabled(Level::Error)) write(Level::Error, fmt::format(f, std::forward<Args>(a)...));
}
template <class... Args>
void warn(fmt::format_string<Args...> f, Args&&... a) {
  if (enabled(Level::Warn)) write(Level::Warn, fmt::format(f, std::forward<Args>(a)...));
}
template <class... Args>
void info(fmt::format_string<Args...> f, Args&&... a) {
  if (enabled(Level::Info)) write(Level::Info, fmt::format(f, std::forward<Args>(a)...));
}
template <class... Args>
void debug(fmt::format_string<Args...> f, Args&&... a) {
  if (enabled(Level::Debug)) write(Level::Debug, fmt::format(f, std::forward<Args>(a)...));
}
template <class... Args>
void trace(fmt::format_string<Args...> f, Args&&... a) {
  if (enabled(Level::Trace)) write(Level::Trace, fmt::format(f, std::forward<Args>(a)...));
}

}  // namespace ringsmb::log
