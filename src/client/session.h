// Client sessions, channels and tree connects (MS-SMB2 3.2.4.2 - 3.2.5.5).
//
//   auto conn = co_await Connection::open({"127.0.0.1", 445}, {});
//   auto sess = co_await Session::login(*conn, creds, {});
//   auto tree = co_await (*sess)->tree_connect("\\\\127.0.0.1\\share");
//   auto f = co_await (*tree)->create("dir\\file.txt", CreateParams::read());
//
// A session may have several channels (connections bound to it, 3.2.4.2.3
// with SMB2_SESSION_FLAG_BINDING), each with its own signing key. Opens and
// tree ids are valid on every channel; each operation names the channel it
// goes out on (default 0). A channel's calls must be made on the worker
// that opened its connection; the session may be shared across workers
// once set up.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "auth/ntlm_client.h"
#include "client/connection.h"
#include "client/replies.h"
#include "wire/client.h"

namespace ringsmb::client {

struct SessionOptions {
  bool sign = false;     // sign every request even where the server does not ask
  bool encrypt = false;  // encrypt every request (fails if the server cannot)
};

struct Channel {
  std::shared_ptr<Connection> conn;
  std::shared_ptr<const auth::SmbKeys> keys;  // this channel's signing key + the session's ciphers
};

class Tree;

class Session : public std::enable_shared_from_this<Session> {
 public:
  // Authenticates on conn (NTLMv2 in SPNEGO). Guests and anonymous logins
  // get no keys: asking for signing or encryption then fails with
  // STATUS_ACCESS_DENIED.
  static rt::Task<Result<std::shared_ptr<Session>>> login(std::shared_ptr<Connection> conn,
                                                          auth::NtlmCredentials creds,
                                                          SessionOptions opt);
  // Binds another connection to this session (same user). Must run on the
  // worker of conn. The connection must have negotiated the same dialect.
  rt::Task<NtStatus> bind(std::shared_ptr<Connection> conn);
  rt::Task<NtStatus> logoff();
  // Closes every channel's connection.
  void close();

  uint64_t id() const { return id_; }
  uint16_t flags() const { return flags_; }
  bool guest() const { return (flags_ & wire::SESSION_FLAG_IS_GUEST) != 0; }
  bool anonymous() const { return (flags_ & wire::SESSION_FLAG_IS_NULL) != 0; }
  bool signing() const { return signing_; }
  bool encrypting() const { return encrypt_; }
  uint16_t dialect() const { return dialect_; }
  const std::shared_ptr<const auth::SmbKeys>& keys() const { return keys_; }

  // MS-SMB2 3.2.4.1.1: the ChannelSequence sent on every request; raise it
  // when a channel is lost, before requests are resent on another.
  uint16_t channel_sequence() const { return channel_sequence_.load(std::memory_order_relaxed); }
  void raise_channel_sequence() { channel_sequence_.fetch_add(1, std::memory_order_relaxed); }
  size_t channel_count() const;
  std::shared_ptr<Channel> channel(size_t i) const;  // i modulo the count
  // How a call on this channel is protected (tree_encrypts: the share
  // asked for encryption).
  Protection protection(const Channel& ch, bool tree_encrypts) const;

  rt::Task<Result<std::shared_ptr<Tree>>> tree_connect(std::string unc, size_t ch = 0);

 private:
  Session() = default;
  rt::Task<NtStatus> authenticate(Connection& conn, SetupExchange& ex);

  auth::NtlmCredentials creds_;
  SessionOptions opt_;
  uint64_t id_ = 0;
  uint16_t flags_ = 0;
  uint16_t dialect_ = 0;
  bool signing_ = false;
  bool encrypt_ = false;
  std::shared_ptr<const auth::SmbKeys> keys_;  // channel 0's; encryption keys for all
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<Channel>> channels_;
  std::atomic<uint16_t> channel_sequence_{0};
};

struct CreateParams {
  uint32_t desired_access = wire::access::GENERIC_READ;
  uint32_t share_access = wire::FILE_SHARE_READ | wire::FILE_SHARE_WRITE | wire::FILE_SHARE_DELETE;
  uint32_t disposition = wire::disposition::OPEN;
  uint32_t options = 0;
  uint32_t attributes = 0;
  uint8_t oplock = 0;

  static CreateParams read_file();
  static CreateParams write_file(bool truncate);  // OVERWRITE_IF or OPEN_IF
  static CreateParams directory();                // open a directory for listing
  static CreateParams attributes_only();
};

// Data of one READ, kept in the buffer it arrived in (no copy).
struct ReadData {
  Reply reply;
  Bytes data;
};

class Tree {
 public:
  Tree(std::shared_ptr<Session> s, uint32_t id, const wire::TreeConnectResponse& r, std::string unc);

  uint32_t id() const { return id_; }
  bool encrypts() const { return encrypt_; }
  uint32_t maximal_access() const { return maximal_access_; }
  uint8_t share_type() const { return share_type_; }
  const std::shared_ptr<Session>& session() const { return session_; }
  const std::string& unc() const { return unc_; }

  // Paths are relative to the share, '\' or '/' separated, no leading
  // separator needed ("" is the share root).
  rt::Task<Result<OpenFile>> create(std::string_view path, const CreateParams& p, size_t ch = 0);
  rt::Task<NtStatus> close(wire::FileId f, size_t ch = 0);
  // Reads up to len bytes at off (at most the negotiated maximum). A short
  // or empty result means end of file (END_OF_FILE is not an error here).
  rt::Task<Result<ReadData>> read(wire::FileId f, uint64_t off, uint32_t len, size_t ch = 0);
  // Writes data at off; more than the negotiated maximum goes out as
  // several WRITEs, one after the other.
  rt::Task<Result<uint32_t>> write(wire::FileId f, uint64_t off, Bytes data, size_t ch = 0);
  rt::Task<NtStatus> flush(wire::FileId f, size_t ch = 0);
  // Every entry of a directory (". " and ".." included as the server
  // sends them), FileIdBothDirectoryInformation.
  rt::Task<Result<std::vector<wire::DirEntry>>> list(wire::FileId dir, std::string_view pattern = "*",
                                                     size_t ch = 0);
  rt::Task<Result<Reply>> query_info(wire::FileId f, uint8_t type, uint8_t cls, uint32_t out_len,
                                     uint32_t additional = 0, size_t ch = 0);
  rt::Task<NtStatus> set_info(wire::FileId f, uint8_t type, uint8_t cls, Bytes buf, size_t ch = 0);
  rt::Task<Result<Reply>> ioctl(wire::FileId f, uint32_t code, Bytes input, uint32_t max_out,
                                size_t ch = 0);
  rt::Task<NtStatus> disconnect(size_t ch = 0);

  // Path helpers (open, act, close).
  rt::Task<Result<wire::AllInfo>> stat(std::string_view path, size_t ch = 0);
  rt::Task<NtStatus> mkdir(std::string_view path, size_t ch = 0);
  rt::Task<NtStatus> remove(std::string_view path, bool directory, size_t ch = 0);
  rt::Task<NtStatus> rename(std::string_view from, std::string_view to, bool replace, size_t ch = 0);
  rt::Task<Result<wire::FsFullSize>> fs_size(size_t ch = 0);
  // FSCTL_QUERY_NETWORK_INTERFACE_INFO (MS-SMB2 3.2.4.20.10): the server's
  // interfaces, for choosing where extra channels connect.
  rt::Task<Result<std::vector<wire::NetworkInterface>>> network_interfaces(size_t ch = 0);

 private:
  rt::Task<Result<Reply>> send(Call c, size_t ch);

  std::shared_ptr<Session> session_;
  uint32_t id_;
  bool encrypt_;
  uint32_t maximal_access_;
  uint8_t share_type_;
  std::string unc_;
};

// "a/b\\c" -> UTF-16LE "a\b\c" without leading or trailing separators.
std::vector<uint8_t> smb_path(std::string_view path);

}  // namespace ringsmb::client
