// ringsmbd: the SMB2/SMB3 file server.
//
//   ringsmbd --config /etc/ringsmb/smb.conf
//   ringsmbd --listen 127.0.0.1:4445 --share demo=./demo-share --guest
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstring>
#include <iostream>

#include <termios.h>

#include "auth/userdb.h"
#include "rt/zc.h"
#include "server/config.h"
#include "server/datapath.h"
#include "server/log.h"
#include "server/server.h"

using namespace ringsmb;

namespace {

// Reads a password: from stdin (one line) or from the terminal, twice,
// without echo.
bool read_password(bool from_stdin, std::string* out) {
  if (from_stdin || !isatty(STDIN_FILENO)) {
    if (!std::getline(std::cin, *out)) return false;
    if (!out->empty() && out->back() == '\r') out->pop_back();
    return true;
  }
  auto ask = [](const char* prompt, std::string* pw) {
    std::fprintf(stderr, "%s", prompt);
    termios old{};
    tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    bool ok = static_cast<bool>(std::getline(std::cin, *pw));
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    std::fprintf(stderr, "\n");
    return ok;
  };
  std::string again;
  if (!ask("New SMB password: ", out) || !ask("Retype new SMB password: ", &again)) return false;
  if (*out != again) {
    std::fprintf(stderr, "ringsmbd: passwords do not match\n");
    return false;
  }
  return true;
}

std::string passdb_path(const std::string& config_path, const std::string& passdb) {
  if (!passdb.empty()) return passdb;
  if (!config_path.empty()) {
    std::vector<std::string> warnings;
    return server::load_config(config_path, &warnings).passdb_file;
  }
  return server::Config{}.passdb_file;
}

int user_command(const std::string& verb, const std::string& name, const std::string& path,
                 bool from_stdin, const std::string& unix_user) {
  std::string err;
  auto db = auth::UserDb::load(path, &err);
  if (!db) {
    std::fprintf(stderr, "ringsmbd: %s\n", err.c_str());
    return 1;
  }
  if (verb == "list") {
    for (const auto& u : db->users()) std::printf("%s (unix user %s)\n", u.name.c_str(), u.unix_user.c_str());
    return 0;
  }
  if (verb == "del") {
    if (!db->remove(name)) {
      std::fprintf(stderr, "ringsmbd: no user '%s' in %s\n", name.c_str(), path.c_str());
      return 1;
    }
  } else {
    if (!auth::legacy_available()) {
      std::fprintf(stderr, "ringsmbd: OpenSSL's legacy provider (MD4) is not available\n");
      return 1;
    }
    std::string pw;
    if (!read_password(from_stdin, &pw)) {
      std::fprintf(stderr, "ringsmbd: no password given\n");
      return 1;
    }
    auth::UserRecord r;
    r.name = name;
    r.nt_hash = auth::nt_hash(pw);
    r.unix_user = unix_user.empty() ? name : unix_user;
    db->put(std::move(r));
  }
  // The directory of the passdb is created on first use.
  std::string dir = path.substr(0, path.rfind('/'));
  if (!dir.empty() && dir != path) ::mkdir(dir.c_str(), 0700);
  int rc = db->save(path);
  if (rc < 0) {
    std::fprintf(stderr, "ringsmbd: cannot write %s: %s\n", path.c_str(), std::strerror(-rc));
    return 1;
  }
  std::printf("%s %s in %s\n", verb == "del" ? "deleted" : "saved", name.c_str(), path.c_str());
  return 0;
}

}  // namespace

// The splice paths move a whole READ or WRITE through one pipe: with
// pipes smaller than the largest I/O, larger requests copy instead. Says so
// once at start, with the sysctl that lifts the limit.
// Every connection is a descriptor, and so is every open file: the soft
// limit (often 1024) goes up to the hard one, and a hard limit too low for
// ringsmb:max connections is reported.
static void raise_fd_limit(const server::Config& cfg) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  const rlim_t want = rlim_t{cfg.limits.connections} + 256;
  if (cfg.limits.connections != 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
    log::warn("open file limit {} is below ringsmb:max connections ({}) plus open files: "
              "raise it (ulimit -n, LimitNOFILE=) or lower the setting",
              static_cast<uint64_t>(rl.rlim_cur), cfg.limits.connections);
  }
}

static void splice_pipe_check(const server::Config& cfg) {
  bool any = false;
  for (const auto& s : cfg.shares)
    any = any || s.read_path == server::ReadPath::Splice || s.write_path == server::WritePath::Splice;
  if (!any) return;
  rt::PipePool pool;
  rt::PipeLease l = pool.get();
  const size_t need = size_t{cfg.max_io_size} + 4096;
  if (l && l.capacity() >= need) return;
  log::warn("splice path: pipes here hold {} KiB, so only READs and WRITEs up to {} KiB are "
            "spliced (larger ones copy); `sysctl fs.pipe-max-size={}` (or CAP_SYS_RESOURCE) "
            "lets all {} KiB ones through",
            l.capacity() / 1024, l.capacity() > 4096 ? (l.capacity() - 4096) / 1024 : 0,
            size_t{16} << 20, cfg.max_io_size / 1024);
}

int main(int argc, char** argv) {
  CLI::App app{"ringsmbd - io_uring SMB2/SMB3 file server"};
  app.require_subcommand(0, 1);
  std::string user_name, user_unix, passdb_opt, user_config;
  bool password_stdin = false;
  CLI::App* user = app.add_subcommand("user", "manage the user database (passdb)");
  user->require_subcommand(1);
  user->add_option("-c,--config", user_config, "take 'passdb file' from this configuration");
  user->add_option("--passdb", passdb_opt, "the passdb file (overrides the configuration)");
  CLI::App* uadd = user->add_subcommand("add", "add a user or change a password");
  uadd->add_option("name", user_name, "user name")->required();
  uadd->add_flag("--password-stdin", password_stdin, "read the password from stdin");
  uadd->add_option("--unix-user", user_unix, "Unix account the user acts as (default: same name)");
  CLI::App* udel = user->add_subcommand("del", "delete a user");
  udel->add_option("name", user_name, "user name")->required();
  CLI::App* ulist = user->add_subcommand("list", "list users");
  (void)ulist;
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

  if (user->parsed()) {
    try {
      std::string path = passdb_path(user_config, passdb_opt);
      std::string verb = uadd->parsed() ? "add" : udel->parsed() ? "del" : "list";
      return user_command(verb, user_name, path, password_stdin, user_unix);
    } catch (const server::ConfigError& e) {
      std::fprintf(stderr, "ringsmbd: %s\n", e.what());
      return 2;
    }
  }

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
    raise_fd_limit(cfg);
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
    splice_pipe_check(cfg);
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
    log::info("{}", server::datapath_counters().summary());
    log::info("stopped");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ringsmbd: %s\n", e.what());
    return 1;
  }
  return 0;
}
