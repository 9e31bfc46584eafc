#include "client/session.h"

#include <cstring>

#include "wire/fscc.h"
#include "wire/utf16.h"

namespace ringsmb::client {

namespace st = wire::status;
using wire::Command;

namespace {
constexpr uint16_t cmd(Command c) { return static_cast<uint16_t>(c); }

SetupExchange::Params setup_params(const Connection& conn, bool binding, uint64_t session_id) {
  SetupExchange::Params p;
  p.dialect = conn.dialect();
  p.signing_alg = conn.signing_alg();
  p.cipher = conn.cipher();
  p.binding = binding;
  p.session_id = session_id;
  p.preauth = conn.preauth();
  return p;
}
}  // namespace

std::vector<uint8_t> smb_path(std::string_view path) {
  std::string p;
  p.reserve(path.size());
  for (char c : path) p.push_back(c == '/' ? '\\' : c);
  size_t b = 0, e = p.size();
  while (b < e && p[b] == '\\') ++b;
  while (e > b && p[e - 1] == '\\') --e;
  return wire::utf8_to_utf16le(std::string_view(p).substr(b, e - b));
}

// ------------------------------------------------------------------ Session

// MS-SMB2 3.2.4.2.3 / 3.2.5.3: the SESSION_SETUP round trips of one
// NTLMSSP exchange, on conn; ex (replies.h) makes sense of the replies.
// For binding, the requests are signed with the session's key.
rt::Task<NtStatus> Session::authenticate(Connection& conn, SetupExchange& ex) {
  const bool binding = ex.binding();
  ex.first_token(conn.security_hint());
  for (int round = 0; round < 4; ++round) {
    Call c(cmd(Command::SessionSetup));
    wire::SessionSetupRequest q;
    q.flags = binding ? wire::SESSION_FLAG_BINDING : 0;
    q.security_mode = wire::NEGOTIATE_SIGNING_ENABLED |
                      (conn.options().require_signing ? wire::NEGOTIATE_SIGNING_REQUIRED : 0);
    q.security_buffer = ex.token();
    wire::encode_request(c.msg, q);
    c.prot.session_id = ex.session_id();
    if (binding) {
      c.prot.sign = keys_;  // 3.2.4.2.3.1: signed with the session's key
      c.prot.check_reply = false;  // the last reply uses the new channel key: ex checks it
    }
    c.preauth = ex.preauth();
    auto r = co_await conn.call(std::move(c));
    if (!r) co_return r.status();
    const NtStatus s = ex.on_reply(r->hdr, r->msg, r->was_encrypted);
    if (s == st::MORE_PROCESSING_REQUIRED) continue;
    co_return s;
  }
  co_return st::LOGON_FAILURE;  // more round trips than NTLMSSP has
}

rt::Task<Result<std::shared_ptr<Session>>> Session::login(std::shared_ptr<Connection> conn,
                                                          auth::NtlmCredentials creds,
                                                          SessionOptions opt) {
  std::shared_ptr<Session> s(new Session());
  s->creds_ = std::move(creds);
  s->opt_ = opt;
  s->dialect_ = conn->dialect();
  if (opt.encrypt && !conn->can_encrypt()) co_return wire::Err{st::NOT_SUPPORTED};
  SetupExchange ex(s->creds_, setup_params(*conn, false, 0));
  NtStatus r = co_await s->authenticate(*conn, ex);
  if (r != st::SUCCESS) co_return wire::Err{r};
  s->id_ = ex.session_id();
  s->flags_ = ex.session_flags();
  s->keys_ = ex.keys();
  if (!s->keys_) {
    if (opt.sign || opt.encrypt || conn->options().require_signing ||
        (conn->server_security_mode() & wire::NEGOTIATE_SIGNING_REQUIRED)) {
      co_return wire::Err{st::ACCESS_DENIED};  // a guest cannot sign or encrypt
    }
  } else {
    s->encrypt_ = opt.encrypt || (s->flags_ & wire::SESSION_FLAG_ENCRYPT_DATA) != 0;
    if (s->encrypt_ && !conn->can_encrypt()) co_return wire::Err{st::ACCESS_DENIED};
    s->signing_ = opt.sign || conn->options().require_signing ||
                  (conn->server_security_mode() & wire::NEGOTIATE_SIGNING_REQUIRED) != 0;
    conn->add_session_keys(s->id_, s->keys_);
  }
  auto ch = std::make_shared<Channel>();
  ch->conn = std::move(conn);
  ch->keys = s->keys_;
  s->channels_.push_back(std::move(ch));
  co_return s;
}

rt::Task<NtStatus> Session::bind(std::shared_ptr<Connection> conn) {
  if (!keys_) co_return st::ACCESS_DENIED;  // guests cannot bind (no key to sign with)
  if (conn->dialect() != dialect_ || dialect_ < wire::dialect::SMB300) co_return st::NOT_SUPPORTED;
  SetupExchange ex(creds_, setup_params(*conn, true, id_));
  NtStatus r = co_await authenticate(*conn, ex);
  if (r != st::SUCCESS) co_return r;
  if (!ex.keys()) co_return st::ACCESS_DENIED;
  // The channel signs with its own key; encryption keys stay the session's.
  auto k = std::make_shared<auth::SmbKeys>(*keys_);
  k->signing_key = ex.keys()->signing_key;
  k->signing_alg = conn->signing_alg();
  conn->add_session_keys(id_, keys_);
  auto ch = std::make_shared<Channel>();
  ch->conn = std::move(conn);
  ch->keys = std::move(k);
  std::lock_guard lk(mu_);
  channels_.push_back(std::move(ch));
  co_return st::SUCCESS;
}

size_t Session::channel_count() const {
  std::lock_guard lk(mu_);
  return channels_.size();
}

std::shared_ptr<Channel> Session::channel(size_t i) const {
  std::lock_guard lk(mu_);
  if (channels_.empty()) return nullptr;
  return channels_[i % channels_.size()];
}

Protection Session::protection(const Channel& ch, bool tree_encrypts) const {
  Protection p;
  p.session_id = id_;
  if (!ch.keys) return p;
  if (encrypt_ || tree_encrypts) {
    p.seal = ch.keys;
  } else if (signing_) {
    p.sign = ch.keys;
    p.require_signed_reply = true;
  }
  return p;
}

rt::Task<NtStatus> Session::logoff() {
  auto ch = channel(0);
  if (!ch) co_return st::USER_SESSION_DELETED;
  Call c(cmd(Command::Logoff));
  c.msg.u16(4);
  c.msg.u16(0);
  c.prot = protection(*ch, false);
  auto r = co_await ch->conn->call(std::move(c));
  if (!r) co_return r.status();
  co_return r->status();
}

void Session::close() {
  std::vector<std::shared_ptr<Channel>> chans;
  {
    std::lock_guard lk(mu_);
    chans = channels_;
  }
  for (auto& c : chans) c->conn->close();
}

rt::Task<Result<std::shared_ptr<Tree>>> Session::tree_connect(std::string unc, size_t chi) {
  auto ch = channel(chi);
  if (!ch) co_return wire::Err{st::USER_SESSION_DELETED};
  std::string u;
  for (char c : unc) u.push_back(c == '/' ? '\\' : c);
  auto path = wire::utf8_to_utf16le(u);
  Call c(cmd(Command::TreeConnect));
  wire::TreeConnectRequest q;
  q.path = path;
  wire::encode_request(c.msg, q);
  c.prot = protection(*ch, false);
  // 3.2.4.1.1 / 3.3.5.7: a 3.1.1 TREE_CONNECT of an authenticated user is
  // signed (or encrypted) whatever the signing policy, so that the share's
  // encryption flag in the reply cannot be stripped.
  if (dialect_ == wire::dialect::SMB311 && keys_ && !c.prot.seal && !c.prot.sign) {
    c.prot.sign = ch->keys;
    c.prot.require_signed_reply = true;
  }
  auto r = co_await ch->conn->call(std::move(c));
  if (!r) co_return wire::Err{r.status()};
  if (r->status() != st::SUCCESS) co_return wire::Err{r->status()};
  auto t = wire::parse_tree_connect_response(r->msg);
  if (!t) co_return wire::Err{st::INVALID_NETWORK_RESPONSE};
  auto tree = std::make_shared<Tree>(shared_from_this(), r->hdr.tree_id, *t, u);
  if (tree->encrypts() && !keys_) co_return wire::Err{st::ACCESS_DENIED};
  co_return tree;
}

// --------------------------------------------------------------------- Tree

CreateParams CreateParams::read_file() {
  CreateParams p;
  p.desired_access = wire::access::FILE_READ_DATA | wire::access::FILE_READ_ATTRIBUTES |
                     wire::access::SYNCHRONIZE;
  p.options = wire::createopt::NON_DIRECTORY_FILE;
  return p;
}

CreateParams CreateParams::write_file(bool truncate) {
  CreateParams p;
  p.desired_access = wire::access::FILE_READ_DATA | wire::access::FILE_WRITE_DATA |
                     wire::access::FILE_READ_ATTRIBUTES | wire::access::FILE_WRITE_ATTRIBUTES |
                     wire::access::SYNCHRONIZE;
  p.disposition = truncate ? wire::disposition::OVERWRITE_IF : wire::disposition::OPEN_IF;
  p.options = wire::createopt::NON_DIRECTORY_FILE;
  p.attributes = wire::attr::ARCHIVE;
  return p;
}

CreateParams CreateParams::directory() {
  CreateParams p;
  p.desired_access = wire::access::FILE_LIST_DIRECTORY | wire::access::FILE_READ_ATTRIBUTES |
                     wire::access::SYNCHRONIZE;
  p.options = wire::createopt::DIRECTORY_FILE;
  return p;
}

CreateParams CreateParams::attributes_only() {
  CreateParams p;
  p.desired_access = wire::access::FILE_READ_ATTRIBUTES | wire::access::SYNCHRONIZE;
  return p;
}

Tree::Tree(std::shared_ptr<Session> s, uint32_t id, const wire::TreeConnectResponse& r,
           std::string unc)
    : session_(std::move(s)),
      id_(id),
      encrypt_((r.share_flags & wire::shareflag::ENCRYPT_DATA) != 0),
      maximal_access_(r.maximal_access),
      share_type_(r.share_type),
      unc_(std::move(unc)) {}

rt::Task<Result<Reply>> Tree::send(Call c, size_t chi) {
  auto ch = session_->channel(chi);
  if (!ch) co_return wire::Err{st::USER_SESSION_DELETED};
  c.tree_id = id_;
  c.prot = session_->protection(*ch, encrypt_);
  c.channel_sequence = session_->channel_sequence();
  co_return co_await ch->conn->call(std::move(c));
}

rt::Task<Result<OpenFile>> Tree::create(std::string_view path, const CreateParams& p, size_t ch) {
  auto name = smb_path(path);
  Call c(cmd(Command::Create));
  wire::CreateRequest q;
  q.oplock_level = p.oplock;
  q.impersonation_level = 2;  // Impersonation
  q.desired_access = p.desired_access;
  q.file_attributes = p.attributes;
  q.share_access = p.share_access;
  q.disposition = p.disposition;
  q.options = p.options;
  q.name = name;
  wire::encode_request(c.msg, q);
  auto r = co_await send(std::move(c), ch);
  if (!r) co_return wire::Err{r.status()};
  if (r->status() != st::SUCCESS) co_return wire::Err{r->status()};
  co_return decode_create(r->msg);
}

rt::Task<NtStatus> Tree::close(wire::FileId f, size_t ch) {
  Call c(cmd(Command::Close));
  wire::CloseRequest q;
  q.file_id = f;
  wire::encode_request(c.msg, q);
  auto r = co_await send(std::move(c), ch);
  if (!r) co_return r.status();
  co_return r->status();
}

rt::Task<Result<ReadData>> Tree::read(wire::FileId f, uint64_t off, uint32_t len, size_t ch) {
  if (auto c0 = session_->channel(ch)) len = std::min(len, c0->conn->max_read());
  Call c(cmd(Command::Read));
  wire::ReadRequest q;
  q.length = len;
  q.offset = off;
  q.file_id = f;
  wire::encode_request(c.msg, q);
  c.payload_size = len;
  auto r = co_await send(std::move(c), ch);
  if (!r) co_return wire::Err{r.status()};
  if (r->status() == st::END_OF_FILE) {
    ReadData d;
    d.reply = std::move(*r);
    co_return d;
  }
  if (r->status() != st::SUCCESS) co_return wire::Err{r->status()};
  auto data = decode_read(r->msg, len);
  if (!data) co_return wire::Err{data.status()};
  ReadData d;
  d.data = *data;
  d.reply = std::move(*r);
  co_return d;
}

rt::Task<Result<uint32_t>> Tree::write(wire::FileId f, uint64_t off, Bytes data, size_t ch) {
  // More than the server takes in one WRITE goes out as several, in order.
  auto chan = session_->channel(ch);
  const uint32_t max = chan ? chan->conn->max_write() : 65536;
  if (data.size() > max) {
    uint64_t done = 0;
    while (done < data.size()) {
      auto part = co_await write(f, off + done, data.subspan(done, std::min<size_t>(max, data.size() - done)), ch);
      if (!part) co_return wire::Err{part.status()};
      if (*part == 0) break;
      done += *part;
    }
    co_return static_cast<uint32_t>(done);
  }
  Result<Reply> r = wire::Err{st::INTERNAL_ERROR};
  // MS-SMB2 3.3.5.2.10: a WRITE sent under a ChannelSequence older than
  // one the server has seen since (the session lost a channel meanwhile)
  // fails with STATUS_FILE_NOT_AVAILABLE; the client sends it again
  // as a new request, now under the current sequence (it rewrites the same
  // bytes, so whether the first attempt landed does not matter).
  for (int attempt = 0;; ++attempt) {
    Call c(cmd(Command::Write));
    wire::WriteRequest q;
    q.offset = off;
    q.file_id = f;
    wire::encode_write_request_fixed(c.msg, q, static_cast<uint32_t>(data.size()));
    c.payload = data;
    c.payload_size = data.size();
    const uint16_t seq = session_->channel_sequence();
    r = co_await send(std::move(c), ch);
    if (!r) co_return wire::Err{r.status()};
    if (r->status() == st::FILE_NOT_AVAILABLE && attempt < 3 &&
        seq != session_->channel_sequence()) {
      continue;
    }
    break;
  }
  if (r->status() != st::SUCCESS) co_return wire::Err{r->status()};
  auto n = wire::parse_write_response(r->msg);
  if (!n) co_return wire::Err{st::INVALID_NETWORK_RESPONSE};
  co_return *n;
}

rt::Task<NtStatus> Tree::flush(wire::FileId f, size_t ch) {
  Call c(cmd(Command::Flush));
  wire::FlushRequest q;
  q.file_id = f;
  wire::encode_request(c.msg, q);
  auto r = co_await send(std::move(c), ch);
  if (!r) co_return r.status();
  co_return r->status();
}

rt::Task<Result<std::vector<wire::DirEntry>>> Tree::list(wire::FileId dir, std::string_view pattern,
                                                         size_t ch) {
  std::vector<wire::DirEntry> all;
  auto pat = wire::utf8_to_utf16le(pattern);
  bool first = true;
  auto conn = session_->channel(ch)->conn;
  const uint32_t out_len = std::min<uint32_t>(conn->max_transact(), 1024 * 1024);
  for (;;) {
    Call c(cmd(Command::QueryDirectory));
    wire::QueryDirectoryRequest q;
    q.info_class = wire::fileinfo::IdBothDirectory;
    q.flags = first ? wire::QD_RESTART_SCANS : 0;
    q.file_id = dir;
    q.pattern = pat;
    q.output_length = out_len;
    wire::encode_request(c.msg, q);
    c.payload_size = out_len;
    first = false;
    auto r = co_await send(std::move(c), ch);
    if (!r) co_return wire::Err{r.status()};
    if (r->status() == st::NO_MORE_FILES) break;
    if (r->status() == st::NO_SUCH_FILE && all.empty()) break;  // nothing matches the pattern
    if (r->status() != st::SUCCESS) co_return wire::Err{r->status()};
    auto entries = decode_directory(r->msg, wire::fileinfo::IdBothDirectory);
    if (!entries) co_return wire::Err{entries.status()};
    if (entries->empty()) break;
    for (auto& e : *entries) all.push_back(std::move(e));
  }
  co_return all;
}

rt::Task<Result<Reply>> Tree::query_info(wire::FileId f, uint8_t type, uint8_t cls,
                                         uint32_t out_len, uint32_t additional, size_t ch) {
  Call c(cmd(Command::QueryInfo));
  wire::QueryInfoRequest q;
  q.info_type = type;
  q.info_class = cls;
  q.output_length = out_len;
  q.additional_information = additional;
  q.file_id = f;
  wire::encode_request(c.msg, q);
  c.payload_size = out_len;
  auto r = co_await send(std::move(c), ch);
  if (!r) co_return wire::Err{r.status()};
  if (r->status() != st::SUCCESS && r->status() != st::BUFFER_OVERFLOW) {
    co_return wire::Err{r->status()};
  }
  co_return std::move(*r);
}

rt::Task<NtStatus> Tree::set_info(wire::FileId f, uint8_t type, uint8_t cls, Bytes buf, size_t ch) {
  Call c(cmd(Command::SetInfo));
  wire::SetInfoRequest q;
  q.info_type = type;
  q.info_class = cls;
  q.buffer = buf;
  q.file_id = f;
  wire::encode_request(c.msg, q);
  c.payload_size = buf.size();
  auto r = co_await send(std::move(c), ch);
  if (!r) co_return r.status();
  co_return r->status();
}

rt::Task<Result<Reply>> Tree::ioctl(wire::FileId f, uint32_t code, Bytes input, uint32_t max_out,
                                    size_t ch) {
  Call c(cmd(Command::Ioctl));
  wire::IoctlRequest q;
  q.ctl_code = code;
  q.file_id = f;
  q.input = input;
  q.max_output_response = max_out;
  q.flags = 1;  // SMB2_0_IOCTL_IS_FSCTL
  wire::encode_request(c.msg, q);
  c.payload_size = std::max<uint64_t>(input.size(), max_out);
  auto r = co_await send(std::move(c), ch);
  if (!r) co_return wire::Err{r.status()};
  if (r->status() != st::SUCCESS && r->status() != st::BUFFER_OVERFLOW) {
    co_return wire::Err{r->status()};
  }
  co_return std::move(*r);
}

rt::Task<NtStatus> Tree::disconnect(size_t ch) {
  Call c(cmd(Command::TreeDisconnect));
  c.msg.u16(4);
  c.msg.u16(0);
  auto r = co_await send(std::move(c), ch);
  if (!r) co_return r.status();
  co_return r->status();
}

rt::Task<Result<wire::AllInfo>> Tree::stat(std::string_view path, size_t ch) {
  auto f = co_await create(path, CreateParams::attributes_only(), ch);
  if (!f) co_return wire::Err{f.status()};
  auto r = co_await query_info(f->id, wire::INFO_FILE, wire::fileinfo::All, 64 * 1024, 0, ch);
  co_await close(f->id, ch);
  if (!r) co_return wire::Err{r.status()};
  co_return decode_all_info(r->msg);
}

rt::Task<NtStatus> Tree::mkdir(std::string_view path, size_t ch) {
  CreateParams p;
  p.desired_access = wire::access::FILE_READ_ATTRIBUTES | wire::access::SYNCHRONIZE;
  p.disposition = wire::disposition::CREATE;
  p.options = wire::createopt::DIRECTORY_FILE;
  p.attributes = wire::attr::DIRECTORY;
  auto f = co_await create(path, p, ch);
  if (!f) co_return f.status();
  co_return co_await close(f->id, ch);
}

rt::Task<NtStatus> Tree::remove(std::string_view path, bool directory, size_t ch) {
  CreateParams p;
  p.desired_access = wire::access::DELETE | wire::access::FILE_READ_ATTRIBUTES;
  p.options = wire::createopt::DELETE_ON_CLOSE |
              (directory ? wire::createopt::DIRECTORY_FILE : wire::createopt::NON_DIRECTORY_FILE);
  auto f = co_await create(path, p, ch);
  if (!f) co_return f.status();
  co_return co_await close(f->id, ch);
}

rt::Task<NtStatus> Tree::rename(std::string_view from, std::string_view to, bool replace,
                                size_t ch) {
  CreateParams p;
  p.desired_access = wire::access::DELETE | wire::access::FILE_READ_ATTRIBUTES |
                     wire::access::SYNCHRONIZE;
  auto f = co_await create(from, p, ch);
  if (!f) co_return f.status();
  std::string target;
  for (char c : to) target.push_back(c == '/' ? '\\' : c);
  while (!target.empty() && target.front() == '\\') target.erase(target.begin());
  auto info = wire::rename_info(target, replace);
  NtStatus s = co_await set_info(f->id, wire::INFO_FILE, wire::fileinfo::Rename, info, ch);
  NtStatus cs = co_await close(f->id, ch);
  co_return s != st::SUCCESS ? s : cs;
}

rt::Task<Result<wire::FsFullSize>> Tree::fs_size(size_t ch) {
  auto f = co_await create("", CreateParams::attributes_only(), ch);
  if (!f) co_return wire::Err{f.status()};
  auto r = co_await query_info(f->id, wire::INFO_FILESYSTEM, wire::fsinfo::FullSize, 4096, 0, ch);
  co_await close(f->id, ch);
  if (!r) co_return wire::Err{r.status()};
  co_return decode_fs_full_size(r->msg);
}

rt::Task<Result<std::vector<wire::NetworkInterface>>> Tree::network_interfaces(size_t ch) {
  const wire::FileId any{~uint64_t{0}, ~uint64_t{0}};
  auto r = co_await ioctl(any, wire::fsctl::QUERY_NETWORK_INTERFACE_INFO, {}, 64 * 1024, ch);
  if (!r) co_return wire::Err{r.status()};
  co_return decode_network_interfaces(r->msg);
}

}  // namespace ringsmb::client
