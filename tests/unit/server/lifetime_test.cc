// Lifetime of sessions, channels, tree connects and opens under
// multichannel (issue 6, item 4), against an in-process ringsmbd with two
// workers, so that two channels of one session run on different threads.
//
// Each test ends something (LOGOFF, TREE_DISCONNECT, CLOSE, a failed
// binding or re-authentication, a dropped connection) while requests that
// use it are in flight on another channel or earlier in the same chain,
// then checks the answers MS-SMB2 names and that nothing stays behind: a
// fresh session of another user must be able to open every file with no
// sharing at all, which fails while any forgotten open still holds it.
//
// Where a request can be held in flight deterministically it is: a CREATE
// waits for an oplock break the test acknowledges when it wants, a
// CHANGE_NOTIFY waits for an event. READ, WRITE, QUERY_DIRECTORY and
// QUERY_INFO cannot be held, so those tests pipeline many of them and end
// the object at once, repeatedly; only the set of acceptable answers is
// asserted, never timing. Run them under the ASan build with
// --gtest_repeat to shake out races.
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <thread>

#include "../test_util.h"
#include "auth/crypto.h"
#include "auth/userdb.h"
#include "raw_channel.h"
#include "server/config.h"
#include "server/log.h"
#include "server/server.h"
#include "server/state.h"

using namespace ringsmb;
using namespace std::chrono_literals;
using ringsmb::testing::kRelatedFid;
using ringsmb::testing::RawChannel;
using ringsmb::testing::RawMsg;
using ringsmb::testing::RawReq;
using ringsmb::testing::TempDir;
namespace st = wire::status;
namespace acc = wire::access;
namespace disp = wire::disposition;

namespace {

constexpr uint32_t kShareAll = wire::FILE_SHARE_READ | wire::FILE_SHARE_WRITE | wire::FILE_SHARE_DELETE;
constexpr uint32_t kRW = acc::GENERIC_READ | acc::GENERIC_WRITE;
constexpr uint32_t kFileSize = 1 << 20;

std::string current_account() {
  struct passwd* pw = getpwuid(geteuid());
  return pw ? pw->pw_name : "root";
}

// The byte at offset i of every test file.
char pattern_at(uint64_t i) { return static_cast<char>((i * 131 + (i >> 9)) & 0xFF); }

std::string status_str(wire::NtStatus s) {
  if (s == RawChannel::kNoAnswer) return "no answer";
  return std::string(wire::status_name(s));
}
std::string status_str(const std::optional<RawMsg>& m) {
  return m ? status_str(m->status()) : "no answer";
}

// Asserts that m arrived with one of the statuses in ok.
::testing::AssertionResult answered_with(const std::optional<RawMsg>& m,
                                         std::initializer_list<wire::NtStatus> ok) {
  if (!m) return ::testing::AssertionFailure() << "no answer";
  for (auto s : ok)
    if (m->status() == s) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "command " << m->hdr.command << " answered "
                                       << status_str(m->status());
}

class LifetimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directory(dir_ / "share");
    ::chmod((dir_ / "share").c_str(), 01777);
    ::chmod(dir_.path().c_str(), 0755);
    auth::UserDb db;
    db.put({"alice", auth::nt_hash("wonderland"), current_account()});
    db.put({"bob", auth::nt_hash("builder"), current_account()});
    ASSERT_EQ(db.save(dir_ / "passdb"), 0);
    server::Config cfg;
    cfg.listen = {{"127.0.0.1", 0}};
    cfg.workers = 2;  // channels of one session land on different threads
    cfg.passdb_file = dir_ / "passdb";
    cfg.log_level = 0;
    server::ShareConfig s;
    s.name = "s";
    s.path = dir_ / "share";
    s.read_only = false;
    cfg.shares.push_back(s);
    configure(cfg);
    server::finalize(cfg);
    log::g_level.store(0);
    srv_ = std::make_unique<server::Server>(cfg);
    srv_->bind();
    srv_->start();
    port_ = srv_->bound_ports().at(0);
    auth::random_bytes(std::span<uint8_t>(guid_.b, sizeof(guid_.b)));
  }
  void TearDown() override {
    srv_->request_stop();
    srv_->wait();
  }

  virtual void configure(server::Config&) {}

  static std::string password(const std::string& user) {
    return user == "bob" ? "builder" : "wonderland";
  }

  std::unique_ptr<RawChannel> connect() {
    auto c = std::make_unique<RawChannel>(port_);
    EXPECT_EQ(status_str(c->negotiate(guid_)), "STATUS_SUCCESS");
    return c;
  }
  // A new session on a connection of its own.
  std::unique_ptr<RawChannel> login(const std::string& user = "alice") {
    auto c = connect();
    EXPECT_EQ(status_str(c->login(user, password(user))), "STATUS_SUCCESS");
    return c;
  }
  uint32_t tree(RawChannel& c) {
    wire::NtStatus s;
    uint32_t t = c.tree_connect("\\\\127.0.0.1\\s", &s);
    EXPECT_EQ(status_str(s), "STATUS_SUCCESS");
    return t;
  }
  // Another channel of first's session.
  std::unique_ptr<RawChannel> bind(const RawChannel& first) {
    auto c = connect();
    EXPECT_EQ(status_str(c->bind(first.session_id(), first.keys(), "alice", "wonderland")),
              "STATUS_SUCCESS");
    return c;
  }

  size_t channels_of(uint64_t id) {
    auto s = srv_->sessions().find(id);
    if (!s) return 0;
    std::lock_guard lk(s->mu);
    return s->channels.size();
  }
  // The session, held weakly: expired once the server has ended it and
  // nothing (table, connection, request) holds it any more.
  std::weak_ptr<server::Session> watch(uint64_t id) { return srv_->sessions().find(id); }
  size_t opens_of(uint64_t id) {
    auto s = srv_->sessions().find(id);
    if (!s) return 0;
    std::lock_guard lk(s->mu);
    return s->opens.size();
  }
  // Waits (polling) for pred; false after limit. Never part of what a
  // test proves about timing: the limit only turns a hang into a failure.
  bool eventually(const std::function<bool()>& pred, std::chrono::seconds limit = 30s) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (!pred()) {
      if (std::chrono::steady_clock::now() > until) return false;
      std::this_thread::sleep_for(2ms);
    }
    return true;
  }

  std::string path(const std::string& rel) { return dir_ / ("share/" + rel); }
  void put_file(const std::string& rel, size_t size = kFileSize) {
    std::string data(size, '\0');
    for (size_t i = 0; i < size; ++i) data[i] = pattern_at(i);
    std::ofstream(path(rel), std::ios::binary) << data;
  }

  // Opens rel from a fresh session of bob with no sharing at all: that
  // succeeds only when no open of the file is left anywhere in the server.
  std::string exclusive_open(const std::string& rel) {
    auto v = login("bob");
    uint32_t t = tree(*v);
    auto m = v->call(v->create(t, rel, kRW, 0, disp::OPEN));
    if (auto fid = RawChannel::file_id_of(m)) v->call(v->close_file(t, *fid));
    v->call(v->logoff());
    return status_str(m);
  }

  TempDir dir_;
  std::unique_ptr<server::Server> srv_;
  uint16_t port_ = 0;
  wire::Guid guid_;
};

// READ data at off must be the file's pattern.
::testing::AssertionResult read_data_ok(const RawMsg& m, uint64_t off, uint32_t len) {
  auto r = wire::parse_read_response(m.view());
  if (!r) return ::testing::AssertionFailure() << "unparsable READ response";
  if (r->data.size() != len) return ::testing::AssertionFailure() << "short read " << r->data.size();
  for (size_t i = 0; i < r->data.size(); ++i) {
    if (static_cast<char>(r->data[i]) != pattern_at(off + i)) {
      return ::testing::AssertionFailure() << "wrong byte at " << off + i;
    }
  }
  return ::testing::AssertionSuccess();
}

}  // namespace

// ------------------------------------------------------------ compounds

// MS-SMB2 3.3.5.2.7.2: a related request uses the session and tree of the
// one before it; after TREE_DISCONNECT that tree is gone (3.3.5.2.11:
// STATUS_NETWORK_NAME_DELETED), and an unrelated request naming it fares
// no better. The CREATE must not run at all.
TEST_F(LifetimeTest, CompoundAfterTreeDisconnectIsRefused) {
  auto c = login();
  uint32_t tid = tree(*c);
  std::vector<RawReq> chain;
  chain.push_back(c->tree_disconnect(tid));
  chain.push_back(c->create(tid, "a.txt", kRW, kShareAll, disp::OPEN_IF).related());
  chain.push_back(c->close_file(tid, kRelatedFid).related());
  auto ids = c->send(std::move(chain));
  EXPECT_EQ(status_str(c->wait(ids[0])), "STATUS_SUCCESS");
  EXPECT_EQ(status_str(c->wait(ids[1])), "STATUS_NETWORK_NAME_DELETED");
  EXPECT_EQ(status_str(c->wait(ids[2])), "STATUS_NETWORK_NAME_DELETED");
  EXPECT_FALSE(std::filesystem::exists(path("a.txt")));

  uint32_t t2 = tree(*c);
  chain.clear();
  chain.push_back(c->tree_disconnect(t2));
  chain.push_back(c->create(t2, "b.txt", kRW, kShareAll, disp::OPEN_IF));  // unrelated
  ids = c->send(std::move(chain));
  EXPECT_EQ(status_str(c->wait(ids[0])), "STATUS_SUCCESS");
  EXPECT_EQ(status_str(c->wait(ids[1])), "STATUS_NETWORK_NAME_DELETED");
  EXPECT_FALSE(std::filesystem::exists(path("b.txt")));

  // CREATE, then TREE_DISCONNECT of its tree, then a READ of the new open:
  // the disconnect closed it.
  uint32_t t3 = tree(*c);
  chain.clear();
  chain.push_back(c->create(t3, "c.txt", kRW, kShareAll, disp::OPEN_IF));
  chain.push_back(c->tree_disconnect(t3).related());
  chain.push_back(c->read(t3, kRelatedFid, 0, 10).related());
  ids = c->send(std::move(chain));
  EXPECT_EQ(status_str(c->wait(ids[0])), "STATUS_SUCCESS");
  EXPECT_EQ(status_str(c->wait(ids[1])), "STATUS_SUCCESS");
  EXPECT_EQ(status_str(c->wait(ids[2])), "STATUS_NETWORK_NAME_DELETED");
  EXPECT_EQ(exclusive_open("c.txt"), "STATUS_SUCCESS");

  EXPECT_EQ(status_str(c->call_status(c->echo())), "STATUS_SUCCESS");
  EXPECT_EQ(opens_of(c->session_id()), 0u);
}

// After LOGOFF the session is gone from the connection (3.3.5.6), so a
// request that follows in the chain, related or not, finds no session:
// STATUS_USER_SESSION_DELETED (3.3.5.2.9), not NETWORK_SESSION_EXPIRED
// (that is for a session that still exists and can re-authenticate).
TEST_F(LifetimeTest, CompoundAfterLogoffIsRefused) {
  {
    auto c = login();
    uint32_t tid = tree(*c);
    std::vector<RawReq> chain;
    chain.push_back(c->logoff());
    chain.push_back(c->create(tid, "a.txt", kRW, kShareAll, disp::OPEN_IF).related());
    chain.push_back(c->close_file(tid, kRelatedFid).related());
    auto ids = c->send(std::move(chain));
    EXPECT_EQ(status_str(c->wait(ids[0])), "STATUS_SUCCESS");
    EXPECT_EQ(status_str(c->wait(ids[1])), "STATUS_USER_SESSION_DELETED");
    EXPECT_EQ(status_str(c->wait(ids[2])), "STATUS_USER_SESSION_DELETED");
    EXPECT_FALSE(std::filesystem::exists(path("a.txt")));
    EXPECT_EQ(status_str(c->call_status(c->echo())), "STATUS_SUCCESS");
  }
  {
    auto c = login();
    uint32_t tid = tree(*c);
    std::vector<RawReq> chain;
    chain.push_back(c->logoff());
    chain.push_back(c->create(tid, "b.txt", kRW, kShareAll, disp::OPEN_IF));  // unrelated
    auto ids = c->send(std::move(chain));
    EXPECT_EQ(status_str(c->wait(ids[0])), "STATUS_SUCCESS");
    EXPECT_EQ(status_str(c->wait(ids[1])), "STATUS_USER_SESSION_DELETED");
    EXPECT_FALSE(std::filesystem::exists(path("b.txt")));
  }
  {
    // CREATE, LOGOFF, then the related CLOSE of what the CREATE opened:
    // the LOGOFF closed it already.
    auto c = login();
    uint32_t tid = tree(*c);
    std::vector<RawReq> chain;
    chain.push_back(c->create(tid, "c.txt", kRW, kShareAll, disp::OPEN_IF));
    chain.push_back(c->logoff().related());
    chain.push_back(c->close_file(tid, kRelatedFid).related());
    auto ids = c->send(std::move(chain));
    EXPECT_EQ(status_str(c->wait(ids[0])), "STATUS_SUCCESS");
    EXPECT_EQ(status_str(c->wait(ids[1])), "STATUS_SUCCESS");
    EXPECT_EQ(status_str(c->wait(ids[2])), "STATUS_USER_SESSION_DELETED");
    EXPECT_EQ(exclusive_open("c.txt"), "STATUS_SUCCESS");
  }
  EXPECT_EQ(srv_->sessions().size(), 0u);
}

// -------------------------------------------------- CREATE held in flight

// A CREATE that must break another session's batch oplock waits for the
// holder's acknowledgement: in flight for as long as the test wants.
// Whatever ends its session or tree meanwhile, the open it makes when it
// resumes must not outlive them: the CREATE fails with the status of what
// ended (the session or tree is gone, 3.3.5.2.9 / 3.3.5.2.11) and the file
// is held by nobody afterwards.
enum class Ending {
  LogoffOnOtherChannel,
  LogoffOnSameConnection,
  TreeDisconnectOnOtherChannel,
  TreeDisconnectOnSameConnection,
};

class CreateInFlight : public LifetimeTest, public ::testing::WithParamInterface<Ending> {};

static std::string ending_name(const ::testing::TestParamInfo<Ending>& i) {
  static const char* const kNames[] = {"LogoffOnOtherChannel", "LogoffOnSameConnection",
                                       "TreeDisconnectOnOtherChannel",
                                       "TreeDisconnectOnSameConnection"};
  return kNames[static_cast<int>(i.param)];
}

TEST_P(CreateInFlight, OpenDoesNotOutliveItsSessionOrTree) {
  const Ending e = GetParam();
  put_file("x.bin", 4096);
  // The holder: another user's session with a batch oplock on the file.
  auto holder = login("bob");
  uint32_t htid = tree(*holder);
  auto hm = holder->call(holder->create(htid, "x.bin", kRW, kShareAll, disp::OPEN, 0,
                                        wire::oplock::BATCH));
  auto hfid = RawChannel::file_id_of(hm);
  ASSERT_TRUE(hfid);
  ASSERT_EQ(RawChannel::oplock_of(hm), wire::oplock::BATCH);

  auto c1 = login();
  uint32_t tid = tree(*c1);
  const bool same = e == Ending::LogoffOnSameConnection || e == Ending::TreeDisconnectOnSameConnection;
  std::unique_ptr<RawChannel> c2;
  if (!same) c2 = bind(*c1);
  RawChannel& creator = same ? *c1 : *c2;

  uint64_t mid = creator.send(creator.create(tid, "x.bin", acc::GENERIC_READ, kShareAll, disp::OPEN));
  auto brk = holder->wait_break();
  ASSERT_TRUE(brk);  // the CREATE now waits for the acknowledgement
  EXPECT_FALSE(creator.answered(mid));

  const bool logoff = e == Ending::LogoffOnOtherChannel || e == Ending::LogoffOnSameConnection;
  if (logoff) {
    EXPECT_EQ(status_str(c1->call_status(c1->logoff())), "STATUS_SUCCESS");
  } else {
    EXPECT_EQ(status_str(c1->call_status(c1->tree_disconnect(tid))), "STATUS_SUCCESS");
  }
  // Let the CREATE go on: the holder keeps its open at level II, so the
  // file's shared state lives on after the CREATE's session.
  auto ack = holder->call(holder->oplock_ack(htid, *hfid, wire::oplock::LEVEL_II));
  EXPECT_EQ(status_str(ack), "STATUS_SUCCESS");
  auto cm = creator.wait(mid);
  EXPECT_EQ(status_str(cm), logoff ? "STATUS_USER_SESSION_DELETED" : "STATUS_NETWORK_NAME_DELETED");

  // A third open walks the file's list of opens (oplocks, share modes).
  {
    auto n = login("bob");
    uint32_t ntid = tree(*n);
    auto nm = n->call(n->create(ntid, "x.bin", acc::GENERIC_READ, kShareAll, disp::OPEN));
    EXPECT_EQ(status_str(nm), "STATUS_SUCCESS");
    if (auto f = RawChannel::file_id_of(nm)) n->call(n->close_file(ntid, *f));
  }
  EXPECT_EQ(status_str(holder->call_status(holder->close_file(htid, *hfid))), "STATUS_SUCCESS");
  EXPECT_EQ(exclusive_open("x.bin"), "STATUS_SUCCESS");
  EXPECT_EQ(opens_of(c1->session_id()), 0u);
}

INSTANTIATE_TEST_SUITE_P(Endings, CreateInFlight,
                         ::testing::Values(Ending::LogoffOnOtherChannel,
                                           Ending::LogoffOnSameConnection,
                                           Ending::TreeDisconnectOnOtherChannel,
                                           Ending::TreeDisconnectOnSameConnection),
                         ending_name);

// The connection of a CREATE waiting for an oplock break goes away: its
// teardown waits for the CREATE, then ends the session and every open,
// including the one the CREATE made.
TEST_F(LifetimeTest, TeardownWaitsForCreateBehindOplockBreak) {
  put_file("x.bin", 4096);
  auto holder = login("bob");
  uint32_t htid = tree(*holder);
  auto hm = holder->call(holder->create(htid, "x.bin", kRW, kShareAll, disp::OPEN, 0,
                                        wire::oplock::BATCH));
  auto hfid = RawChannel::file_id_of(hm);
  ASSERT_TRUE(hfid);

  auto c = login();
  auto session = watch(c->session_id());
  uint32_t tid = tree(*c);
  c->send(c->create(tid, "x.bin", acc::GENERIC_READ, kShareAll, disp::OPEN));
  ASSERT_TRUE(holder->wait_break());
  c->close();
  EXPECT_EQ(status_str(holder->call(holder->oplock_ack(htid, *hfid, wire::oplock::NONE))),
            "STATUS_SUCCESS");
  EXPECT_TRUE(eventually([&] { return session.expired(); }));
  EXPECT_EQ(status_str(holder->call_status(holder->close_file(htid, *hfid))), "STATUS_SUCCESS");
  EXPECT_EQ(exclusive_open("x.bin"), "STATUS_SUCCESS");
}

// A chain whose CHANGE_NOTIFY comes after a CREATE that waits for an
// oplock break, on a connection that goes away meanwhile: the teardown
// already woke every waiting request when the CHANGE_NOTIFY starts, so
// it must not start (it would wait for an event that may never come,
// and the teardown with it).
TEST_F(LifetimeTest, TeardownDoesNotWaitForNotifyStartedAfterIt) {
  put_file("x.bin", 4096);
  std::filesystem::create_directory(path("d"));
  auto holder = login("bob");
  uint32_t htid = tree(*holder);
  auto hm = holder->call(holder->create(htid, "x.bin", kRW, kShareAll, disp::OPEN, 0,
                                        wire::oplock::BATCH));
  auto hfid = RawChannel::file_id_of(hm);
  ASSERT_TRUE(hfid);

  auto c = login();
  auto session = watch(c->session_id());
  uint32_t tid = tree(*c);
  auto dfid = RawChannel::file_id_of(
      c->call(c->create(tid, "d", acc::GENERIC_READ, kShareAll, disp::OPEN, wire::createopt::DIRECTORY_FILE)));
  ASSERT_TRUE(dfid);
  std::vector<RawReq> chain;
  chain.push_back(c->create(tid, "x.bin", acc::GENERIC_READ, kShareAll, disp::OPEN));
  chain.push_back(c->change_notify(tid, *dfid));  // unrelated
  c->send(std::move(chain));
  ASSERT_TRUE(holder->wait_break());
  c->close();
  EXPECT_EQ(status_str(holder->call(holder->oplock_ack(htid, *hfid, wire::oplock::NONE))),
            "STATUS_SUCCESS");
  const bool gone = eventually([&] { return session.expired(); }, 20s);
  EXPECT_TRUE(gone) << "the connection's teardown waits for a CHANGE_NOTIFY";
  if (!gone) {
    // Release the stuck request so the server can stop.
    std::ofstream(path("d/wake"));
    eventually([&] { return session.expired(); });
  }
  EXPECT_EQ(status_str(holder->call_status(holder->close_file(htid, *hfid))), "STATUS_SUCCESS");
}

// ---------------------------------------------- CHANGE_NOTIFY in flight

// A CHANGE_NOTIFY waiting on channel 2 ends with STATUS_NOTIFY_CLEANUP
// when its handle goes away on channel 1: by CLOSE, TREE_DISCONNECT or
// LOGOFF (MS-SMB2 3.3.5.19, 3.3.4.17).
TEST_F(LifetimeTest, PendingNotifyEndsWhenItsHandleGoes) {
  std::filesystem::create_directory(path("d"));
  for (int how = 0; how < 3; ++how) {
    SCOPED_TRACE(how == 0 ? "close" : how == 1 ? "tree disconnect" : "logoff");
    auto c1 = login();
    uint32_t tid = tree(*c1);
    auto c2 = bind(*c1);
    auto dfid = RawChannel::file_id_of(c1->call(
        c1->create(tid, "d", acc::GENERIC_READ, kShareAll, disp::OPEN, wire::createopt::DIRECTORY_FILE)));
    ASSERT_TRUE(dfid);
    uint64_t mid = c2->send(c2->change_notify(tid, *dfid));
    ASSERT_TRUE(c2->wait_interim(mid));
    wire::NtStatus s = how == 0   ? c1->call_status(c1->close_file(tid, *dfid))
                       : how == 1 ? c1->call_status(c1->tree_disconnect(tid))
                                  : c1->call_status(c1->logoff());
    EXPECT_EQ(status_str(s), "STATUS_SUCCESS");
    EXPECT_EQ(status_str(c2->wait(mid)), "STATUS_NOTIFY_CLEANUP");
    if (how != 2) {
      EXPECT_EQ(status_str(c1->call_status(c1->logoff())), "STATUS_SUCCESS");
    }
  }
  EXPECT_EQ(exclusive_open("d"), "STATUS_SUCCESS");
  EXPECT_EQ(srv_->sessions().size(), 0u);
}

// CHANGE_NOTIFY on channel 2 and CLOSE of its handle on channel 1 at the
// same moment, on two threads: whichever comes first, the CHANGE_NOTIFY
// is answered (FILE_CLOSED, or NOTIFY_CLEANUP when it was waiting), never
// left waiting on a handle that is gone.
TEST_F(LifetimeTest, NotifyRacingCloseIsAnswered) {
  std::filesystem::create_directory(path("d"));
  auto c1 = login();
  uint32_t tid = tree(*c1);
  auto c2 = bind(*c1);
  for (int iter = 0; iter < 64; ++iter) {
    SCOPED_TRACE(iter);
    auto dfid = RawChannel::file_id_of(c1->call(
        c1->create(tid, "d", acc::GENERIC_READ, kShareAll, disp::OPEN, wire::createopt::DIRECTORY_FILE)));
    ASSERT_TRUE(dfid);
    uint64_t mid = c2->send(c2->change_notify(tid, *dfid));
    EXPECT_EQ(status_str(c1->call_status(c1->close_file(tid, *dfid))), "STATUS_SUCCESS");
    auto m = c2->wait(mid, 10s);
    if (!m) {
      ADD_FAILURE() << "CHANGE_NOTIFY left waiting on a closed handle";
      std::ofstream(path("d/wake" + std::to_string(iter)));  // release it
      m = c2->wait(mid);
      continue;
    }
    EXPECT_TRUE(answered_with(m, {st::NOTIFY_CLEANUP, st::FILE_CLOSED}));
  }
  EXPECT_EQ(status_str(c1->call_status(c1->logoff())), "STATUS_SUCCESS");
  EXPECT_EQ(exclusive_open("d"), "STATUS_SUCCESS");
}

// A channel that drops with a CHANGE_NOTIFY pending takes only its own
// request with it: the session, the handle and the other channel go on,
// and a CHANGE_NOTIFY on the handle from the other channel still works.
TEST_F(LifetimeTest, ChannelDropWithPendingNotifyKeepsSession) {
  std::filesystem::create_directory(path("d"));
  auto c1 = login();
  const uint64_t sid = c1->session_id();
  uint32_t tid = tree(*c1);
  auto c2 = bind(*c1);
  auto dfid = RawChannel::file_id_of(c1->call(
      c1->create(tid, "d", acc::GENERIC_READ, kShareAll, disp::OPEN, wire::createopt::DIRECTORY_FILE)));
  ASSERT_TRUE(dfid);
  uint64_t mid = c2->send(c2->change_notify(tid, *dfid));
  ASSERT_TRUE(c2->wait_interim(mid));
  EXPECT_EQ(channels_of(sid), 2u);
  c2->close();
  EXPECT_TRUE(eventually([&] { return channels_of(sid) == 1; }));

  uint64_t m1 = c1->send(c1->change_notify(tid, *dfid));
  ASSERT_TRUE(c1->wait_interim(m1));
  std::ofstream(path("d/new.txt"));
  auto n = c1->wait(m1);
  EXPECT_EQ(status_str(n), "STATUS_SUCCESS");
  EXPECT_EQ(status_str(c1->call_status(c1->close_file(tid, *dfid))), "STATUS_SUCCESS");
  EXPECT_EQ(status_str(c1->call_status(c1->logoff())), "STATUS_SUCCESS");
}

// --------------------------------------------------------------- binding

// A binding that fails, whatever the reason, concerns only the connection
// that tried it: the session, its opens and its channel go on, and a later
// binding still succeeds (MS-SMB2 3.3.5.5.2).
TEST_F(LifetimeTest, FailedBindingLeavesSessionAlone) {
  put_file("f.bin", 65536);
  auto c1 = login();
  const uint64_t sid = c1->session_id();
  uint32_t tid = tree(*c1);
  auto fid = RawChannel::file_id_of(c1->call(c1->create(tid, "f.bin", kRW, kShareAll, disp::OPEN)));
  ASSERT_TRUE(fid);

  {
    auto b = connect();  // wrong password
    EXPECT_EQ(status_str(b->bind(sid, c1->keys(), "alice", "rabbit")), "STATUS_LOGON_FAILURE");
    EXPECT_EQ(status_str(b->call_status(b->read(tid, *fid, 0, 10))), "STATUS_USER_SESSION_DELETED");
  }
  {
    auto b = connect();  // another user than the session's
    EXPECT_EQ(status_str(b->bind(sid, c1->keys(), "bob", "builder")), "STATUS_ACCESS_DENIED");
  }
  {
    auto b = connect();  // not signed with the session's key
    auto wrong = std::make_shared<auth::SmbKeys>(*c1->keys());
    wrong->signing_key.assign(wrong->signing_key.size(), 0x5A);
    EXPECT_EQ(status_str(b->bind(sid, wrong, "alice", "wonderland")), "STATUS_ACCESS_DENIED");
  }
  {
    auto b = connect();  // a session that does not exist
    EXPECT_EQ(status_str(b->bind(sid + 1000, c1->keys(), "alice", "wonderland")),
              "STATUS_USER_SESSION_DELETED");
  }
  {
    auto b = connect();  // the first leg only, then the connection drops
    EXPECT_EQ(status_str(b->bind_first_leg(sid, c1->keys(), "alice")),
              "STATUS_MORE_PROCESSING_REQUIRED");
    b->close();
  }
  {
    auto b = login("bob");  // a connection with a session of its own
    EXPECT_EQ(status_str(b->bind(sid, c1->keys(), "alice", "rabbit")), "STATUS_LOGON_FAILURE");
    uint32_t btid = tree(*b);
    EXPECT_NE(btid, 0u);  // its own session is untouched
  }
  EXPECT_EQ(channels_of(sid), 1u);
  auto r = c1->call(c1->read(tid, *fid, 0, 4096));
  ASSERT_EQ(status_str(r), "STATUS_SUCCESS");
  EXPECT_TRUE(read_data_ok(*r, 0, 4096));

  auto c2 = bind(*c1);
  EXPECT_EQ(channels_of(sid), 2u);
  r = c2->call(c2->read(tid, *fid, 4096, 4096));
  ASSERT_EQ(status_str(r), "STATUS_SUCCESS");
  EXPECT_TRUE(read_data_ok(*r, 4096, 4096));
  // Binding again on a channel of the session is refused and changes
  // nothing either.
  EXPECT_NE(status_str(c2->bind(sid, c1->keys(), "alice", "wonderland")), "STATUS_SUCCESS");
  EXPECT_EQ(channels_of(sid), 2u);
  EXPECT_EQ(status_str(c1->call_status(c1->close_file(tid, *fid))), "STATUS_SUCCESS");
  EXPECT_EQ(status_str(c2->call_status(c2->logoff())), "STATUS_SUCCESS");
  EXPECT_EQ(srv_->sessions().size(), 0u);
}

// The connection that began a session may close while the session goes on
// over its other channels. A new connection is no channel of the session,
// even where it happens to reuse the old connection's memory (which the
// server once compared by address): a SESSION_SETUP naming the session
// there is refused, and cannot re-authenticate or end it. (Under ASan
// the allocator's quarantine hides address reuse; run with
// ASAN_OPTIONS=quarantine_size_mb=0, or without ASan, to exercise it.)
TEST_F(LifetimeTest, ClosedFirstChannelLeavesNoClaimOnTheSession) {
  for (int iter = 0; iter < 16; ++iter) {
    SCOPED_TRACE(iter);
    auto a = login();
    const uint64_t sid = a->session_id();
    auto b = bind(*a);
    a.reset();  // closes: the session goes on over b
    EXPECT_TRUE(eventually([&] { return channels_of(sid) == 1; }));
    // Give the closed connection's memory time to be freed, so the next
    // one may get it (this only makes the case likelier; nothing depends
    // on it).
    std::this_thread::sleep_for(20ms);
    auto c = connect();
    c->use_session(sid, nullptr);
    EXPECT_EQ(status_str(c->reauth("alice", "wonderland")), "STATUS_USER_SESSION_DELETED");
    c->use_session(sid, nullptr);
    EXPECT_EQ(status_str(c->reauth("alice", "rabbit")), "STATUS_USER_SESSION_DELETED");
    EXPECT_EQ(channels_of(sid), 1u);
    EXPECT_EQ(status_str(b->call_status(b->echo())), "STATUS_SUCCESS");
    EXPECT_EQ(status_str(b->call_status(b->logoff())), "STATUS_SUCCESS");
  }
}

// A LOGOFF on one channel ends the session for every channel: the other
// connections forget it (they neither keep the Session alive nor count it
// against ringsmb:max sessions per connection).
class FewSessions : public LifetimeTest {
 protected:
  void configure(server::Config& cfg) override { cfg.limits.sessions_per_connection = 2; }
};

TEST_F(FewSessions, LogoffElsewhereFreesTheChannelsSessionSlot) {
  auto b = login();  // b's own session: one of its two
  const uint64_t own = b->session_id();
  const auto own_keys = b->keys();
  for (int i = 0; i < 4; ++i) {
    SCOPED_TRACE(i);
    auto a = login();
    const uint64_t sid = a->session_id();
    std::weak_ptr<server::Session> gone = srv_->sessions().find(sid);
    EXPECT_EQ(status_str(b->bind(sid, a->keys(), "alice", "wonderland")), "STATUS_SUCCESS");
    EXPECT_EQ(status_str(a->call_status(a->logoff())), "STATUS_SUCCESS");
    EXPECT_TRUE(eventually([&] { return gone.expired(); }, 10s)) << "the bound channel keeps it";
    b->use_session(own, own_keys);
    EXPECT_EQ(status_str(b->call_status(b->echo())), "STATUS_SUCCESS");
  }
  // One slot is still free on b.
  EXPECT_EQ(status_str(b->login("alice", "wonderland")), "STATUS_SUCCESS");
}

// ------------------------------------------- pipelined races, repeated

namespace {

// What one batch on the busy channel was and may have answered.
struct Sent {
  uint64_t mid;
  wire::Command cmd;
  uint64_t off = 0;
  uint32_t len = 0;
};

}  // namespace

// Ends the session, its tree, its file or its other channel on channel 1
// while channel 2 has a batch of READ, WRITE, CREATE, QUERY_DIRECTORY,
// QUERY_INFO and a CHANGE_NOTIFY in flight. Every request must be answered
// (or, for the channel that drops, need not be), with a status that says
// it ran before or after the end, and nothing may stay open afterwards.
enum class Race { Logoff, TreeDisconnect, CloseFile, DropOtherChannel, DropBusyChannel, Reauth, FailedReauth };

class BusyChannel : public LifetimeTest, public ::testing::WithParamInterface<Race> {};

static std::string race_name(const ::testing::TestParamInfo<Race>& i) {
  static const char* const kNames[] = {"Logoff",          "TreeDisconnect", "CloseFile",
                                       "DropOtherChannel", "DropBusyChannel", "Reauth",
                                       "FailedReauth"};
  return kNames[static_cast<int>(i.param)];
}

TEST_P(BusyChannel, EndWhileRequestsInFlight) {
  const Race race = GetParam();
  put_file("f.bin");
  std::filesystem::create_directory(path("d"));
  for (int i = 0; i < 8; ++i) std::ofstream(path("d/e" + std::to_string(i)));
  std::vector<uint8_t> wdata(65536);
  for (size_t i = 0; i < wdata.size(); ++i) wdata[i] = static_cast<uint8_t>(i * 7);

  for (int iter = 0; iter < 12; ++iter) {
    SCOPED_TRACE(iter);
    auto c1 = login();
    const uint64_t sid = c1->session_id();
    auto session = watch(sid);
    uint32_t tid = tree(*c1);
    auto c2 = bind(*c1);
    auto f = RawChannel::file_id_of(c1->call(c1->create(tid, "f.bin", acc::GENERIC_READ, kShareAll, disp::OPEN)));
    auto w = RawChannel::file_id_of(c1->call(c1->create(tid, "w.bin", kRW, kShareAll, disp::OPEN_IF)));
    auto d = RawChannel::file_id_of(c1->call(c1->create(tid, "d", acc::GENERIC_READ, kShareAll, disp::OPEN,
                                                        wire::createopt::DIRECTORY_FILE)));
    ASSERT_TRUE(f && w && d);
    uint64_t notify = c2->send(c2->change_notify(tid, *d));
    ASSERT_TRUE(c2->wait_interim(notify));

    std::vector<Sent> sent;
    uint64_t end_mid = 0;
    for (int k = 0; k < 24; ++k) {
      const uint64_t off = (static_cast<uint64_t>(k) * 40503) % (kFileSize - 65536);
      switch (k % 6) {
        case 0:
        case 1:
          sent.push_back({c2->send(c2->read(tid, *f, off, 65536)), wire::Command::Read, off, 65536});
          break;
        case 2:
          sent.push_back({c2->send(c2->write(tid, *w, off, {wdata.data(), wdata.size()})), wire::Command::Write});
          break;
        case 3:
          sent.push_back({c2->send(c2->create(tid, "n" + std::to_string(k) + ".bin", kRW, kShareAll,
                                              disp::OPEN_IF)),
                          wire::Command::Create});
          break;
        case 4:
          sent.push_back({c2->send(c2->query_directory(tid, *d)), wire::Command::QueryDirectory});
          break;
        case 5:
          sent.push_back({c2->send(c2->query_info(tid, *f)), wire::Command::QueryInfo});
          break;
      }
      if (k == 12) {
        // The end, in the middle of the batch.
        switch (race) {
          case Race::Logoff:
            end_mid = c1->send(c1->logoff());
            break;
          case Race::TreeDisconnect:
            c1->send(c1->tree_disconnect(tid));
            break;
          case Race::CloseFile:
            c1->send(c1->close_file(tid, *f));
            break;
          case Race::DropOtherChannel:
            c1->close();
            break;
          case Race::DropBusyChannel:
            c2->close();
            break;
          case Race::Reauth:
          case Race::FailedReauth:
            break;
        }
        if (race == Race::DropBusyChannel) break;
      }
    }
    if (race == Race::Reauth) {
      EXPECT_EQ(status_str(c1->reauth("alice", "wonderland")), "STATUS_SUCCESS");
    } else if (race == Race::FailedReauth) {
      EXPECT_EQ(status_str(c1->reauth("alice", "rabbit")), "STATUS_LOGON_FAILURE");
    }

    if (race == Race::DropBusyChannel) {
      // The session goes on over channel 1, with its opens.
      EXPECT_TRUE(eventually([&] { return channels_of(sid) == 1; }));
      auto r = c1->call(c1->read(tid, *f, 4096, 8192));
      ASSERT_EQ(status_str(r), "STATUS_SUCCESS");
      EXPECT_TRUE(read_data_ok(*r, 4096, 8192));
      uint64_t m = c1->send(c1->change_notify(tid, *d));
      ASSERT_TRUE(c1->wait_interim(m));
      EXPECT_EQ(status_str(c1->call_status(c1->close_file(tid, *d))), "STATUS_SUCCESS");
      EXPECT_EQ(status_str(c1->wait(m)), "STATUS_NOTIFY_CLEANUP");
      EXPECT_EQ(status_str(c1->call_status(c1->logoff())), "STATUS_SUCCESS");
    } else {
      // What each request may answer, depending on whether it ran before
      // or after the end.
      std::set<wire::NtStatus> late;
      switch (race) {
        case Race::Logoff:
        case Race::FailedReauth:
          late = {st::USER_SESSION_DELETED, st::FILE_CLOSED};
          break;
        case Race::TreeDisconnect:
          late = {st::NETWORK_NAME_DELETED, st::FILE_CLOSED};
          break;
        case Race::CloseFile:
          late = {st::FILE_CLOSED};
          break;
        default:
          break;
      }
      for (const Sent& s : sent) {
        auto m = c2->wait(s.mid);
        ASSERT_TRUE(m) << "no answer to command " << static_cast<int>(s.cmd);
        if (m->status() == st::SUCCESS) {
          if (s.cmd == wire::Command::Read) {
            EXPECT_TRUE(read_data_ok(*m, s.off, s.len));
          }
          continue;
        }
        // A CLOSE only concerns the requests on f.bin.
        const bool on_f = s.cmd == wire::Command::Read || s.cmd == wire::Command::QueryInfo;
        EXPECT_TRUE(late.count(m->status()) != 0 && (race != Race::CloseFile || on_f))
            << "command " << static_cast<int>(s.cmd) << " answered " << status_str(m->status());
      }
      const bool session_ended = race == Race::Logoff || race == Race::FailedReauth;
      if (race == Race::Logoff) {
        EXPECT_EQ(status_str(c1->wait(end_mid)), "STATUS_SUCCESS");
      }
      if (session_ended) {
        // Gone on every channel; the connection itself goes on.
        EXPECT_EQ(status_str(c2->wait(notify)), "STATUS_NOTIFY_CLEANUP");
        EXPECT_EQ(status_str(c2->call_status(c2->echo())), "STATUS_SUCCESS");
        EXPECT_EQ(status_str(c2->call_status(c2->read(tid, *f, 0, 10))),
                  "STATUS_USER_SESSION_DELETED");
      } else {
        if (race == Race::TreeDisconnect) {
          EXPECT_EQ(status_str(c2->wait(notify)), "STATUS_NOTIFY_CLEANUP");
        }
        if (race == Race::DropOtherChannel) {
          EXPECT_TRUE(eventually([&] { return channels_of(sid) == 1; }));
        }
        // The session lives on channel 2: its LOGOFF ends the rest.
        EXPECT_EQ(status_str(c2->call_status(c2->logoff())), "STATUS_SUCCESS");
        if (race != Race::TreeDisconnect) {
          EXPECT_EQ(status_str(c2->wait(notify)), "STATUS_NOTIFY_CLEANUP");
        }
      }
    }
    EXPECT_TRUE(eventually([&] { return session.expired(); }));
  }
  // Nothing stays open: every file opens with no sharing.
  EXPECT_EQ(exclusive_open("f.bin"), "STATUS_SUCCESS");
  EXPECT_EQ(exclusive_open("w.bin"), "STATUS_SUCCESS");
  EXPECT_EQ(exclusive_open("d"), "STATUS_SUCCESS");
  for (int k = 3; k < 24; k += 6) {
    const std::string n = "n" + std::to_string(k) + ".bin";
    if (std::filesystem::exists(path(n))) {
      EXPECT_EQ(exclusive_open(n), "STATUS_SUCCESS") << n;
    }
  }
  EXPECT_EQ(srv_->sessions().size(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Ends, BusyChannel,
                         ::testing::Values(Race::Logoff, Race::TreeDisconnect, Race::CloseFile,
                                           Race::DropOtherChannel, Race::DropBusyChannel,
                                           Race::Reauth, Race::FailedReauth),
                         race_name);

// CLOSE of an open on channel 1 while READs of it run on channel 2, with
// delete-on-close: every READ returns the file's data or FILE_CLOSED, the
// file is gone afterwards, and a second CLOSE finds nothing.
TEST_F(LifetimeTest, CloseWhileReadsInFlight) {
  for (int iter = 0; iter < 16; ++iter) {
    SCOPED_TRACE(iter);
    put_file("g.bin");
    auto c1 = login();
    uint32_t tid = tree(*c1);
    auto c2 = bind(*c1);
    auto f = RawChannel::file_id_of(c1->call(c1->create(
        tid, "g.bin", acc::GENERIC_READ | acc::DELETE, kShareAll, disp::OPEN, wire::createopt::DELETE_ON_CLOSE)));
    ASSERT_TRUE(f);
    std::vector<Sent> sent;
    uint64_t close_mid = 0;
    for (int k = 0; k < 16; ++k) {
      const uint64_t off = static_cast<uint64_t>(k) * 65536;
      sent.push_back({c2->send(c2->read(tid, *f, off, 65536)), wire::Command::Read, off, 65536});
      if (k == 4 + iter % 8) close_mid = c1->send(c1->close_file(tid, *f));
    }
    EXPECT_EQ(status_str(c1->wait(close_mid)), "STATUS_SUCCESS");
    for (const Sent& s : sent) {
      auto m = c2->wait(s.mid);
      ASSERT_TRUE(answered_with(m, {st::SUCCESS, st::FILE_CLOSED}));
      if (m->status() == st::SUCCESS) {
        EXPECT_TRUE(read_data_ok(*m, s.off, s.len));
      }
    }
    EXPECT_EQ(status_str(c2->call_status(c2->close_file(tid, *f))), "STATUS_FILE_CLOSED");
    EXPECT_TRUE(eventually([&] { return !std::filesystem::exists(path("g.bin")); }));
    EXPECT_EQ(status_str(c1->call_status(c1->logoff())), "STATUS_SUCCESS");
  }
}

// Both channels end the same thing at once: two CLOSEs of one open, two
// TREE_DISCONNECTs, two LOGOFFs, a LOGOFF and the other channel dropping.
// Exactly one of each pair succeeds (the other finds nothing), nothing is
// freed twice, nothing stays behind.
TEST_F(LifetimeTest, BothChannelsEndTheSameThing) {
  put_file("h.bin", 65536);
  for (int iter = 0; iter < 16; ++iter) {
    SCOPED_TRACE(iter);
    auto c1 = login();
    auto session = watch(c1->session_id());
    uint32_t tid = tree(*c1);
    auto c2 = bind(*c1);
    auto f = RawChannel::file_id_of(c1->call(c1->create(tid, "h.bin", kRW, kShareAll, disp::OPEN)));
    ASSERT_TRUE(f);
    uint64_t a = c1->send(c1->close_file(tid, *f));
    uint64_t b = c2->send(c2->close_file(tid, *f));
    auto ma = c1->wait(a), mb = c2->wait(b);
    ASSERT_TRUE(answered_with(ma, {st::SUCCESS, st::FILE_CLOSED}));
    ASSERT_TRUE(answered_with(mb, {st::SUCCESS, st::FILE_CLOSED}));
    EXPECT_NE(ma->status() == st::SUCCESS, mb->status() == st::SUCCESS);

    a = c1->send(c1->tree_disconnect(tid));
    b = c2->send(c2->tree_disconnect(tid));
    ma = c1->wait(a);
    mb = c2->wait(b);
    ASSERT_TRUE(answered_with(ma, {st::SUCCESS, st::NETWORK_NAME_DELETED}));
    ASSERT_TRUE(answered_with(mb, {st::SUCCESS, st::NETWORK_NAME_DELETED}));
    EXPECT_NE(ma->status() == st::SUCCESS, mb->status() == st::SUCCESS);

    tid = tree(*c1);
    f = RawChannel::file_id_of(c2->call(c2->create(tid, "h.bin", kRW, kShareAll, disp::OPEN)));
    ASSERT_TRUE(f);
    if (iter % 2 == 0) {
      a = c1->send(c1->logoff());
      b = c2->send(c2->logoff());
      ma = c1->wait(a);
      mb = c2->wait(b);
      ASSERT_TRUE(answered_with(ma, {st::SUCCESS, st::USER_SESSION_DELETED}));
      ASSERT_TRUE(answered_with(mb, {st::SUCCESS, st::USER_SESSION_DELETED}));
      EXPECT_NE(ma->status() == st::SUCCESS, mb->status() == st::SUCCESS);
    } else {
      a = c1->send(c1->logoff());
      c2->close();
      EXPECT_EQ(status_str(c1->wait(a)), "STATUS_SUCCESS");
    }
    EXPECT_TRUE(eventually([&] { return session.expired(); }));
    EXPECT_EQ(exclusive_open("h.bin"), "STATUS_SUCCESS");
  }
}

// A new session naming an old one as PreviousSessionId ends it (3.3.5.5.3)
// while the old one has requests in flight on both its channels.
TEST_F(LifetimeTest, PreviousSessionEndsWhileBusy) {
  put_file("p.bin");
  for (int iter = 0; iter < 8; ++iter) {
    SCOPED_TRACE(iter);
    auto c1 = login();
    const uint64_t sid = c1->session_id();
    uint32_t tid = tree(*c1);
    auto c2 = bind(*c1);
    auto f = RawChannel::file_id_of(c1->call(c1->create(tid, "p.bin", acc::GENERIC_READ, kShareAll, disp::OPEN)));
    ASSERT_TRUE(f);
    std::vector<Sent> sent;
    for (int k = 0; k < 12; ++k) {
      RawChannel& c = k % 2 ? *c1 : *c2;
      const uint64_t off = static_cast<uint64_t>(k) * 65536;
      sent.push_back({c.send(c.read(tid, *f, off, 65536)), wire::Command::Read, off, 65536});
    }
    auto c3 = connect();
    EXPECT_EQ(status_str(c3->login("alice", "wonderland", sid)), "STATUS_SUCCESS");
    for (size_t k = 0; k < sent.size(); ++k) {
      RawChannel& c = k % 2 ? *c1 : *c2;
      auto m = c.wait(sent[k].mid);
      ASSERT_TRUE(answered_with(m, {st::SUCCESS, st::USER_SESSION_DELETED, st::FILE_CLOSED}));
      if (m->status() == st::SUCCESS) {
        EXPECT_TRUE(read_data_ok(*m, sent[k].off, sent[k].len));
      }
    }
    EXPECT_FALSE(srv_->sessions().find(sid));
    EXPECT_EQ(status_str(c2->call_status(c2->read(tid, *f, 0, 10))), "STATUS_USER_SESSION_DELETED");
    EXPECT_EQ(status_str(c3->call_status(c3->logoff())), "STATUS_SUCCESS");
  }
  EXPECT_EQ(exclusive_open("p.bin"), "STATUS_SUCCESS");
}

// ------------------------------------------------------------ FileTable

// The table maps a file to its FileObject while opens refer to it. An open
// closed while a request still used it cannot take its entry out (the
// request holds the FileObject); the entry is swept later instead of
// staying forever. A FileObject still held is never replaced.
TEST(FileTable, EntriesOfFilesClosedInUseAreSwept) {
  server::FileTable t;
  auto f = t.get(1, 2);
  EXPECT_EQ(t.get(1, 2), f);
  auto in_flight = f;  // a READ still holding the closed open
  t.release(f);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.get(1, 2), f);  // still the same object while held
  f.reset();
  in_flight.reset();
  for (uint64_t i = 0; i < 300; ++i) {
    auto g = t.get(10, i);
    t.release(g);
  }
  EXPECT_EQ(t.size(), 0u);
  // A CREATE between its lookup and its open keeps the entry.
  auto held = t.get(3, 4);
  auto other = t.get(3, 4);
  t.release(other);
  EXPECT_EQ(t.get(3, 4), held);
}
