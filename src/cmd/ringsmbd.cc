// ringsmbd: the SMB2/SMB3 file server.
//
//   ringsmbd --config /etc/ringsmb/smb.conf
//   ringsmbd --listen 127.0.0.1:4445 --share demo=./demo-share --guest
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "server/config.h"
#include "server/log.h"
#include "server/server.h"

using namespace ringsmb;

int main(int argc, char** argv) {
  CLI::App app{"ringsmbd - io_uring SMB2/SMB3 file server"};
  std::string config_path;
  std::vector<std::string> listens;
  std::vector<std::string> share_args;
  bool guest = false;
  bool read_only = false;
  unsigned workers = 0;
  int verbosity = -1;
  std::string port_file;
  app.add_option("-c,--config", config_path, "smb.conf-style configuration file");
  app.add_option("-l,--listen", listens, "listen on ADDR:PORT (repeatable; overrides the file)");
  app.add_option("-s,--share", share_args, "serve NAME=PATH (repeatable; adds to the file)");
  app.add_flag("-g,--guest", guest, "every login is a guest login; --share shares allow guests");
  app.add_flag("--read-only", read_only, "make --share shares read-only");
  app.add_option("-w,--workers", workers, "worker threads (default: one per online CPU)");
  app.add_option("-d,--debug-level", verbosity, "log level 0 (errors) to 4 (every request)");
  app.add_option("--port-file", port_file,
                 "write the bound port (first listener) to FILE once listening (for tests)");
  CLI11_PARSE(app, argc, argv);

  server::Config cfg;
  try {
    std::vector<std::string> warnings;
    if (!config_path.empty()) cfg = server::load_config(config_path, &warnings);
    for (const auto& w : warnings) std::fprintf(stderr, "ringsmbd: warning: %s\n", w.c_str());
    for (const auto& l : listens) {
      auto a = server::parse_listen(l);
      if (!a) throw server::ConfigError("--listen: invalid address '" + l + "'");
      cfg.listen.push_back(*a);
    }
    for (const auto& s : share_args) {
      size_t eq = s.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == s.size()) {
        throw server::ConfigError("--share: expected NAME=PATH, got '" + s + "'");
      }
      server::ShareConfig sc;
      sc.name = s.substr(0, eq);
      sc.path = s.substr(eq + 1);
      sc.read_only = read_only;
      sc.guest_ok = guest;
      if (cfg.find_share(sc.name) != nullptr) {
        throw server::ConfigError("--share: share '" + sc.name + "' defined twice");
      }
      cfg.shares.push_back(sc);
    }
    if (guest) cfg.guest_only = true;
    if (workers != 0) cfg.workers = workers;
    if (verbosity >= 0) cfg.log_level = verbosity;
    server::finalize(cfg);
  } catch (const server::ConfigError& e) {
    std::fprintf(stderr, "ringsmbd: %s\n", e.what());
    return 2;
  }
  if (cfg.shares.empty()) {
    std::fprintf(stderr, "ringsmbd: no shares configured (use --share NAME=PATH or --config)\n");
    return 2;
  }
  log::g_level.store(cfg.log_level);

  // Signals are taken synchronously by this thread; workers never see them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  try {
    server::Server srv(cfg);
    srv.bind();
    srv.start();
    std::string where;
    auto ports = srv.bound_ports();
    for (size_t i = 0; i < cfg.listen.size(); ++i) {
      const auto& l = cfg.listen[i];
      where += (where.empty() ? "" : ", ") +
               (l.host.empty() ? std::string("*")
                               : (l.host.find(':') != std::string::npos ? "[" + l.host + "]"
                                                                          : l.host)) +
               ":" + std::to_string(ports[i]);
    }
    log::info("ringsmbd listening on {} with {} worker(s), {} share(s)", where,
              srv.worker_count(), cfg.shares.size());
    if (!port_file.empty() && !ports.empty()) {
      std::string tmp = port_file + ".tmp";
      if (FILE* f = std::fopen(tmp.c_str(), "w")) {
        std::fprintf(f, "%u\n", ports[0]);
        std::fclose(f);
        std::rename(tmp.c_str(), port_file.c_str());
      }
    }
    for (;;) {
      int sig = 0;
      sigwait(&set, &sig);
      if (sig == SIGHUP) {
        log::info("SIGHUP: configuration reload is not supported yet; ignoring");
        continue;
      }
      log::info("signal {}: stopping", sig);
      break;
    }
    srv.request_stop();
    srv.wait();
    log::info("stopped");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ringsmbd: %s\n", e.what());
    return 1;
  }
  return 0;
}
