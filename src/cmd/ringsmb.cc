// ringsmb: the command-line SMB client (and load generator) on the
// ringsmb runtime.
//
//   ringsmb ls   smb://[user@]host[:port]/share[/path]
//   ringsmb get  [-r] smb://.../path [LOCAL]
//   ringsmb put  [-r] LOCAL smb://.../path
//   ringsmb cat | mkdir | rm [-r] | stat | df  smb://...
//   ringsmb mv   smb://.../from smb://.../to   (or a path in the same share)
//   ringsmb bench smb://.../share [options]
//
// Passwords come from RINGSMB_PASSWORD, an authentication file (-A, the
// format smbclient reads) or a prompt on the terminal. No user means an
// anonymous login.
#include <fcntl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "tool/bench.h"
#include "tool/ops.h"
#include "tool/runtime.h"
#include "tool/url.h"
#include "wire/fscc.h"

using namespace ringsmb;
using namespace ringsmb::tool;

namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

std::optional<uint16_t> parse_dialect(std::string s) {
  std::string v;
  for (char c : s)
    if (c != '_') v.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (v == "smb202") return wire::dialect::SMB202;
  if (v == "smb210" || v == "smb2") return wire::dialect::SMB210;
  if (v == "smb300") return wire::dialect::SMB300;
  if (v == "smb302") return wire::dialect::SMB302;
  if (v == "smb311" || v == "smb3") return wire::dialect::SMB311;
  return std::nullopt;
}

bool prompt_password(const std::string& who, std::string* out) {
  if (!isatty(STDIN_FILENO)) return false;
  std::fprintf(stderr, "Password for %s: ", who.c_str());
  termios old{};
  tcgetattr(STDIN_FILENO, &old);
  termios quiet = old;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  bool ok = static_cast<bool>(std::getline(std::cin, *out));
  tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
  std::fprintf(stderr, "\n");
  return ok;
}

struct Globals {
  std::string auth_file;
  std::string workgroup;
  bool no_pass = false;
  unsigned channels = 1;
  bool sign = false;
  bool encrypt = false;
  std::string protocol;
  std::string min_protocol;
  unsigned timeout_s = 60;
  unsigned depth = 0;
  uint32_t io_size = 0;
  bool quiet = false;
};

[[noreturn]] void usage_error(const std::string& msg) {
  std::fprintf(stderr, "ringsmb: %s\n", msg.c_str());
  std::exit(kExitUsage);
}

// Resolves the credentials for a URL: the user from the URL or the
// authentication file, the password from the environment, the file or a
// prompt.
auth::NtlmCredentials credentials(const Globals& g, const SmbUrl& u) {
  auth::NtlmCredentials c;
  std::optional<AuthFile> af;
  if (!g.auth_file.empty()) {
    std::ifstream in(g.auth_file);
    if (!in) usage_error(g.auth_file + ": " + std::strerror(errno));
    std::stringstream ss;
    ss << in.rdbuf();
    std::string err;
    af = parse_auth_file(ss.str(), g.auth_file, &err);
    if (!af) usage_error(err);
  }
  c.user = !u.user.empty() ? u.user : af ? af->user : "";
  c.domain = !u.domain.empty() ? u.domain : !g.workgroup.empty() ? g.workgroup : af ? af->domain : "";
  if (c.user.empty()) return c;  // anonymous
  if (const char* p = std::getenv("RINGSMB_PASSWORD")) {
    c.password = p;
  } else if (af && !af->password.empty() && (u.user.empty() || u.user == af->user)) {
    c.password = af->password;
  } else if (!g.no_pass) {
    if (!prompt_password(c.user + "@" + u.host, &c.password)) {
      usage_error("no password for " + c.user +
                  " (set RINGSMB_PASSWORD, use -A FILE, or run on a terminal)");
    }
  }
  return c;
}

ClientOptions client_options(const Globals& g, const SmbUrl& u) {
  ClientOptions o;
  o.channels = std::max(1u, g.channels);
  o.sign = g.sign;
  o.encrypt = g.encrypt;
  if (!g.protocol.empty()) {
    auto d = parse_dialect(g.protocol);
    if (!d) usage_error("unknown protocol '" + g.protocol + "' (SMB2_02, SMB2_10, SMB3_00, SMB3_02, SMB3_11)");
    o.max_protocol = *d;
  }
  if (!g.min_protocol.empty()) {
    auto d = parse_dialect(g.min_protocol);
    if (!d) usage_error("unknown protocol '" + g.min_protocol + "'");
    o.min_protocol = *d;
  }
  if (o.min_protocol > o.max_protocol) usage_error("--min-protocol is above --protocol");
  if (o.encrypt && o.max_protocol < wire::dialect::SMB300) usage_error("--encrypt needs SMB3");
  o.timeout = std::chrono::seconds(std::max(1u, g.timeout_s));
  o.depth = g.depth;
  o.io_size = g.io_size;
  o.creds = credentials(g, u);
  return o;
}

SmbUrl need_url(const std::string& s, bool share_required = true) {
  std::string err;
  auto u = parse_smb_url(s, &err);
  if (!u) usage_error("'" + s + "': " + err);
  if (share_required && u->share.empty()) usage_error("'" + s + "': no share in the URL");
  return *u;
}

int fail(const std::string& what, const Status& s) {
  const std::string& subject = s.where.empty() ? what : s.where;
  std::fprintf(stderr, "ringsmb: %s: %s\n", subject.c_str(), s.to_string().c_str());
  return kExitFailure;
}

// Runs body against the URL's share with the global options; prints the
// failure and returns the exit code.
int with_target(const Globals& g, const SmbUrl& u,
                std::function<rt::Task<Status>(Target&, const ClientOptions&)> body,
                bool bulk = false) {
  ClientOptions o = client_options(g, u);
  Runtime rtm(std::min(o.channels, std::max(1u, std::thread::hardware_concurrency())), bulk);
  return rtm.run([&]() -> rt::Task<int> {
    auto t = co_await open_target(rtm, u, o);
    if (!t) co_return fail(u.display(), Status::from_nt(t.status()));
    Status s = co_await body(**t, o);
    co_await close_target(**t);
    if (!s.ok()) co_return fail(u.display(), s);
    co_return 0;
  });
}

char type_char(uint32_t attrs) { return (attrs & wire::attr::DIRECTORY) ? 'd' : '-'; }

std::string attr_string(uint32_t a) {
  std::string s;
  if (a & wire::attr::DIRECTORY) s += 'D';
  if (a & wire::attr::READONLY) s += 'R';
  if (a & wire::attr::HIDDEN) s += 'H';
  if (a & wire::attr::SYSTEM) s += 'S';
  if (a & wire::attr::ARCHIVE) s += 'A';
  if (s.empty()) s = "N";
  return s;
}

std::string short_time(uint64_t ft) {
  std::string t = format_time(ft);
  return t.size() > 16 ? t.substr(0, 16) : t;
}

rt::Task<Status> do_ls(Target& t, const SmbUrl& u) {
  auto f = co_await t.tree->create(u.path, client::CreateParams::attributes_only());
  if (!f) co_return Status::from_nt(f.status());
  if (!f->directory()) {
    co_await t.tree->close(f->id);
    std::printf("%c %14llu  %s  %s\n", type_char(f->info.attributes),
                static_cast<unsigned long long>(f->info.end_of_file),
                short_time(f->info.last_write_time).c_str(), u.basename().c_str());
    co_return Status{};
  }
  co_await t.tree->close(f->id);
  auto d = co_await t.tree->create(u.path, client::CreateParams::directory());
  if (!d) co_return Status::from_nt(d.status());
  auto entries = co_await t.tree->list(d->id);
  co_await t.tree->close(d->id);
  if (!entries) co_return Status::from_nt(entries.status());
  std::sort(entries->begin(), entries->end(),
            [](const wire::DirEntry& a, const wire::DirEntry& b) { return a.name < b.name; });
  for (const auto& e : *entries) {
    if (e.name == "." || e.name == "..") continue;
    bool dir = (e.attributes & wire::attr::DIRECTORY) != 0;
    std::printf("%c %14llu  %s  %s%s\n", type_char(e.attributes),
                static_cast<unsigned long long>(dir ? 0 : e.end_of_file),
                short_time(e.last_write_time).c_str(), e.name.c_str(), dir ? "/" : "");
  }
  co_return Status{};
}

rt::Task<Status> do_stat(Target& t, const SmbUrl& u) {
  auto a = co_await t.tree->stat(u.path);
  if (!a) co_return Status::from_nt(a.status());
  std::printf("name:        %s\n", u.path.empty() ? "\\" : u.path.c_str());
  std::printf("type:        %s\n", a->directory ? "directory" : "file");
  std::printf("size:        %llu\n", static_cast<unsigned long long>(a->end_of_file));
  std::printf("allocation:  %llu\n", static_cast<unsigned long long>(a->allocation_size));
  std::printf("attributes:  %s (0x%x)\n", attr_string(a->attributes).c_str(), a->attributes);
  std::printf("created:     %s\n", format_time(a->creation_time).c_str());
  std::printf("modified:    %s\n", format_time(a->last_write_time).c_str());
  std::printf("accessed:    %s\n", format_time(a->last_access_time).c_str());
  std::printf("changed:     %s\n", format_time(a->change_time).c_str());
  std::printf("links:       %u\n", a->number_of_links);
  std::printf("file id:     0x%016llx\n", static_cast<unsigned long long>(a->index_number));
  co_return Status{};
}

rt::Task<Status> do_df(Target& t) {
  auto fs = co_await t.tree->fs_size();
  if (!fs) co_return Status::from_nt(fs.status());
  const double unit = static_cast<double>(fs->sectors_per_unit) * fs->bytes_per_sector;
  const double total = unit * static_cast<double>(fs->total_units);
  const double avail = unit * static_cast<double>(fs->caller_available_units);
  const double used = total - unit * static_cast<double>(fs->actual_available_units);
  std::printf("%-12s %14s %14s %14s %5s\n", "share", "size", "used", "available", "use%");
  std::printf("%-12s %14s %14s %14s %4.0f%%\n", t.url.share.c_str(), human_bytes(total).c_str(),
              human_bytes(used).c_str(), human_bytes(avail).c_str(),
              (used + avail) > 0 ? used * 100.0 / (used + avail) : 0.0);
  co_return Status{};
}

// A transfer with progress on the terminal and a summary line when -v.
rt::Task<Status> transfer(Target& t, const ClientOptions& o, bool quiet, std::string label,
                          std::function<rt::Task<Status>(Progress*)> fn, uint64_t total) {
  Progress p;
  p.total = total;
  std::atomic<bool> done{false};
  if (!quiet) rt::spawn(show_progress(p, done, label));
  (void)t;
  (void)o;
  Status s = co_await fn(&p);
  done = true;
  co_return s;
}

bool local_is_dir(const std::string& p) {
  struct stat sb;
  return ::stat(p.c_str(), &sb) == 0 && S_ISDIR(sb.st_mode);
}

std::string local_basename(std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  size_t s = p.rfind('/');
  return s == std::string::npos ? p : p.substr(s + 1);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ringsmb - SMB2/SMB3 client on io_uring"};
  app.require_subcommand(1);
  app.fallthrough();
  Globals g;
  app.add_option("-A,--authentication-file", g.auth_file,
                 "smbclient-style file with username, password and domain");
  app.add_option("-W,--workgroup", g.workgroup, "domain of the user");
  app.add_flag("-N,--no-pass", g.no_pass, "log in with an empty password (no prompt)");
  app.add_option("--channels", g.channels, "connections bound to the session (multichannel)")
      ->check(CLI::Range(1, 32));
  app.add_flag("--sign", g.sign, "sign every request");
  app.add_flag("--encrypt", g.encrypt, "encrypt every request (SMB3)");
  app.add_option("--protocol", g.protocol, "highest dialect: SMB2_02 SMB2_10 SMB3_00 SMB3_02 SMB3_11");
  app.add_option("--min-protocol", g.min_protocol, "lowest dialect");
  app.add_option("--timeout", g.timeout_s, "seconds to wait for an answer (default 60)");
  app.add_option("--depth", g.depth, "I/Os in flight per channel (default: 4 for 1 MiB and larger)");
  app.add_option("--io-size", g.io_size, "bytes per READ/WRITE, e.g. 1M (default: the server's maximum)")
      ->transform(tool::size_value());
  app.add_flag("-q,--quiet", g.quiet, "no progress bar");

  std::string url1, url2, local;
  bool recursive = false;

  auto* ls = app.add_subcommand("ls", "list a directory (or show one file)");
  ls->add_option("url", url1, "smb://[user@]host[:port]/share[/path]")->required();
  auto* get = app.add_subcommand("get", "download a file (-r: a directory tree)");
  get->add_flag("-r,--recursive", recursive, "directories and their contents");
  get->add_option("url", url1, "remote file or directory")->required();
  get->add_option("local", local, "local file or directory (default: the remote name, here)");
  auto* put = app.add_subcommand("put", "upload a file (-r: a directory tree)");
  put->add_flag("-r,--recursive", recursive, "directories and their contents");
  put->add_option("local", local, "local file or directory")->required();
  put->add_option("url", url1, "remote file, or an existing directory to put it into")->required();
  auto* cat = app.add_subcommand("cat", "write a remote file to stdout");
  cat->add_option("url", url1, "remote file")->required();
  auto* mkdir_cmd = app.add_subcommand("mkdir", "create a directory");
  mkdir_cmd->add_option("url", url1, "remote directory")->required();
  auto* rm = app.add_subcommand("rm", "delete a file (-r: a directory tree)");
  rm->add_flag("-r,--recursive", recursive, "directories and their contents");
  rm->add_option("url", url1, "remote file or directory")->required();
  auto* mv = app.add_subcommand("mv", "rename within a share");
  mv->add_option("from", url1, "remote file or directory")->required();
  mv->add_option("to", url2, "new name: a URL on the same share or a path in it")->required();
  auto* stat_cmd = app.add_subcommand("stat", "show a file's information");
  stat_cmd->add_option("url", url1, "remote file or directory")->required();
  auto* df = app.add_subcommand("df", "show the share's size and free space");
  df->add_option("url", url1, "smb://host/share")->required();
  BenchOptions bo;
  auto* bench = app.add_subcommand("bench", "measure a server: sequential, random and metadata");
  bench->add_option("url", url1, "smb://host/share[/dir] where test files may be written")->required();
  add_bench_options(*bench, bo);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : kExitUsage;
  }

  if (ls->parsed()) {
    SmbUrl u = need_url(url1);
    return with_target(g, u, [&](Target& t, const ClientOptions&) { return do_ls(t, u); });
  }
  if (stat_cmd->parsed()) {
    SmbUrl u = need_url(url1);
    return with_target(g, u, [&](Target& t, const ClientOptions&) { return do_stat(t, u); });
  }
  if (df->parsed()) {
    SmbUrl u = need_url(url1);
    return with_target(g, u, [&](Target& t, const ClientOptions&) { return do_df(t); });
  }
  if (cat->parsed()) {
    SmbUrl u = need_url(url1);
    return with_target(g, u, [&](Target& t, const ClientOptions&) {
      return cat_file(t, u.path, STDOUT_FILENO);
    });
  }
  if (mkdir_cmd->parsed()) {
    SmbUrl u = need_url(url1);
    if (u.path.empty()) usage_error("mkdir: no directory name in " + u.display());
    return with_target(g, u, [&](Target& t, const ClientOptions&) -> rt::Task<Status> {
      co_return Status::from_nt(co_await t.tree->mkdir(u.path));
    });
  }
  if (rm->parsed()) {
    SmbUrl u = need_url(url1);
    if (u.path.empty()) usage_error("rm: refusing to remove the share root");
    return with_target(g, u, [&](Target& t, const ClientOptions&) {
      return remove_path(t, u.path, recursive);
    });
  }
  if (mv->parsed()) {
    SmbUrl u = need_url(url1);
    std::string to;
    if (is_smb_url(url2)) {
      SmbUrl v = need_url(url2);
      if (v.host != u.host || v.port != u.port || v.share != u.share) {
        usage_error("mv: both names must be on the same share");
      }
      to = v.path;
    } else {
      to = url2;
      while (!to.empty() && to.front() == '/') to.erase(to.begin());
    }
    if (u.path.empty() || to.empty()) usage_error("mv: the share root cannot be renamed");
    return with_target(g, u, [&](Target& t, const ClientOptions&) -> rt::Task<Status> {
      co_return Status::from_nt(co_await t.tree->rename(u.path, to, false));
    });
  }
  if (get->parsed()) {
    SmbUrl u = need_url(url1);
    std::string dest = local.empty() ? u.basename() : local;
    if (!recursive && local_is_dir(dest)) dest += "/" + u.basename();
    return with_target(g, u, [&](Target& t, const ClientOptions& o) -> rt::Task<Status> {
      if (recursive) {
        co_return co_await transfer(t, o, g.quiet, u.basename(), [&](Progress* p) {
          return get_tree(t, u.path, dest, o, p);
        }, 0);
      }
      auto a = co_await t.tree->stat(u.path);
      if (!a) co_return Status::from_nt(a.status());
      if (a->directory) co_return Status::from_nt(wire::status::FILE_IS_A_DIRECTORY);
      co_return co_await transfer(t, o, g.quiet, u.basename(), [&](Progress* p) {
        return get_file(t, u.path, dest, o, p);
      }, a->end_of_file);
    }, true);
  }
  if (put->parsed()) {
    SmbUrl u = need_url(url1);
    return with_target(g, u, [&](Target& t, const ClientOptions& o) -> rt::Task<Status> {
      std::string remote = u.path;
      // Into an existing remote directory: keep the local name.
      if (!remote.empty() || u.trailing_slash) {
        auto a = co_await t.tree->stat(remote);
        if (a && a->directory) remote = join_path(remote, local_basename(local));
      } else {
        remote = local_basename(local);
      }
      if (recursive) {
        co_return co_await transfer(t, o, g.quiet, local_basename(local), [&](Progress* p) {
          return put_tree(t, local, remote, o, p);
        }, 0);
      }
      struct stat sb;
      if (::stat(local.c_str(), &sb) < 0) co_return Status::from_errno(errno, local);
      if (S_ISDIR(sb.st_mode)) co_return Status::from_errno(EISDIR, local);
      co_return co_await transfer(t, o, g.quiet, local_basename(local), [&](Progress* p) {
        return put_file(t, local, remote, o, p);
      }, static_cast<uint64_t>(sb.st_size));
    }, true);
  }
  if (bench->parsed()) {
    SmbUrl u = need_url(url1);
    ClientOptions o = client_options(g, u);
    return run_bench(u, o, bo);
  }
  return kExitUsage;
}
