// QUERY_DIRECTORY (MS-SMB2 3.3.5.18, MS-FSA 2.1.5.6.3).
#include "fs/dir.h"
#include "fs/names.h"
#include "server/fs_status.h"
#include "server/handlers.h"
#include "server/server.h"
#include "server/session_ops.h"
#include "wire/fscc.h"
#include "wire/utf16.h"

namespace ringsmb::server::handlers {

namespace st = wire::status;

rt::Task<void> query_directory(Request& req, Response& resp) {
  auto q = wire::parse_query_directory(req.msg);
  if (!q) {
    resp.status = q.status();
    co_return;
  }
  auto open = find_open(req, q->file_id);
  if (!open) {
    resp.status = st::FILE_CLOSED;
    co_return;
  }
  resp.file_id = open->id;
  if (!open->is_dir) {
    resp.status = st::INVALID_PARAMETER;
    co_return;
  }
  if (!wire::is_directory_info_class(q->info_class)) {
    resp.status = st::INVALID_INFO_CLASS;
    co_return;
  }
  if ((open->granted_access & wire::access::FILE_LIST_DIRECTORY) == 0) {
    resp.status = st::ACCESS_DENIED;
    co_return;
  }
  if (q->output_length > req.conn.max_io()) {
    resp.status = st::INVALID_PARAMETER;
    co_return;
  }
  auto pattern = wire::utf16le_to_utf8(q->pattern);
  if (!pattern) {
    resp.status = st::OBJECT_NAME_INVALID;
    co_return;
  }
  if (pattern->find('\\') != std::string::npos || pattern->find('/') != std::string::npos) {
    resp.status = st::OBJECT_NAME_INVALID;
    co_return;
  }
  const size_t fixed = wire::dir_entry_size(q->info_class, 0);
  if (q->output_length < fixed) {
    resp.status = st::INFO_LENGTH_MISMATCH;
    co_return;
  }

  fs::Share& fsh = *open->share->fs;
  std::unique_lock lk(open->dir_mu);
  DirEnum& d = open->dir;
  const bool restart = (q->flags & (wire::QD_RESTART_SCANS | wire::QD_REOPEN)) != 0;
  if (restart || !d.loaded) {
    std::string pat = pattern->empty() ? std::string("*") : *pattern;
    if (!d.loaded || restart) {
      if (!d.pattern || restart) d.pattern.emplace(pat);
    }
    d.entries.clear();
    d.next = 0;
    d.returned_any = false;
    if (d.pattern->has_wildcards()) {
      int rc = fs::list_directory(open->fd, &d.entries);
      if (rc < 0) {
        resp.status = status_from_errno(rc);
        co_return;
      }
    } else {
      // A plain name: one lookup instead of a listing.
      std::string name = pat == "." || pat == ".." ? pat : fs::find_name_ci(open->fd, pat);
      if (!name.empty()) d.entries.push_back({name, 0, 0});
    }
    d.loaded = true;
  }

  const bool single = (q->flags & wire::QD_RETURN_SINGLE_ENTRY) != 0;
  std::string dir_rel;
  fsh.path_of_fd(open->fd, &dir_rel);
  wire::Writer out(std::min<size_t>(q->output_length, 65536));
  size_t last_entry = 0;
  bool wrote = false;
  bool overflow = false;
  while (d.next < d.entries.size() && !overflow) {
    // Pick the next page of matching names, sized to what could fit.
    std::vector<size_t> page;
    size_t budget = q->output_length - out.size();
    for (size_t i = d.next; i < d.entries.size() && page.size() < 512; ++i) {
      if (!d.pattern->matches(d.entries[i].name)) continue;
      page.push_back(i);
      size_t guess = wire::dir_entry_size(q->info_class, d.entries[i].name.size() * 2) + 8;
      if (guess >= budget || single) break;
      budget -= guess;
    }
    if (page.empty()) {
      d.next = d.entries.size();
      break;
    }
    std::vector<fs::DirEntry> batch;
    batch.reserve(page.size());
    for (size_t i : page) batch.push_back(d.entries[i]);
    std::vector<wire::FileInfo> infos;
    std::vector<bool> ok;
    lk.unlock();
    co_await fs::stat_entries(fsh, open->fd, dir_rel, batch, &infos, &ok,
                              q->info_class != wire::fileinfo::Directory &&
                                  q->info_class != wire::fileinfo::Names);
    lk.lock();
    for (size_t k = 0; k < page.size(); ++k) {
      if (!ok[k]) {
        d.next = page[k] + 1;
        continue;
      }
      std::vector<uint8_t> name = wire::utf8_to_utf16le(batch[k].name);
      size_t entry = wire::dir_entry_size(q->info_class, name.size());
      size_t start = (out.size() + 7) & ~size_t{7};
      if (start + entry > q->output_length) {
        overflow = true;
        break;
      }
      out.align(8);
      if (wrote) out.put32(last_entry, static_cast<uint32_t>(start - last_entry));
      last_entry = out.size();
      std::vector<uint8_t> short_name;
      if (q->info_class == wire::fileinfo::BothDirectory ||
          q->info_class == wire::fileinfo::IdBothDirectory) {
        short_name = wire::utf8_to_utf16le(fs::short_name(batch[k].name));
      }
      wire::put_dir_entry(out, q->info_class, infos[k], 0, name, short_name);
      wrote = true;
      d.next = page[k] + 1;
      if (single) break;
    }
    if (single && wrote) break;
    if (!overflow && d.next <= page.back()) d.next = page.back() + 1;
  }
  if (!wrote) {
    if (overflow && !d.returned_any) {
      resp.status = st::INFO_LENGTH_MISMATCH;
    } else {
      resp.status = d.returned_any ? st::NO_MORE_FILES : st::NO_SUCH_FILE;
    }
    co_return;
  }
  d.returned_any = true;
  wire::encode_buffer_response(resp.body, out.bytes());
}

}  // namespace ringsmb::server::handlers
