#include "server/log.h"

#include <sys/time.h>

#include <cstdio>
#include <ctime>
#include <mutex>

#include "rt/worker.h"

namespace ringsmb::log {

std::atomic<int> g_level{static_cast<int>(Level::Info)};

void write(Level l, std::string_view msg) {
  static const char* const kNames[] = {"error", "warn", "info", "debug", "trace"};
  static std::mutex mu;
  timeval tv{};
  gettimeofday(&tv, nullptr);
  tm t{};
  localtime_r(&tv.tv_sec, &t);
  char ts[32];
  std::strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &t);
  auto* w = rt::Worker::current();
  std::string who = w != nullptr ? fmt::format("W{}", w->id()) : std::string("main");
  std::string line = fmt::format("{}.{:03d} {} {}: {}\n", ts, static_cast<int>(tv.tv_usec / 1000),
                                 who, kNames[static_cast<int>(l)], msg);
  std::lock_guard lk(mu);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace ringsmb::log
