// The client library against an in-process ringsmb server on loopback:
// authentication, signing, encryption per cipher, binding, and the file
// operations, each checked on disk.
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "../test_util.h"
#include "auth/userdb.h"
#include "client/connection.h"
#include "client/session.h"
#include "rt/worker.h"
#include "server/config.h"
#include "server/log.h"
#include "server/server.h"

using namespace ringsmb;
using ringsmb::testing::TempDir;
namespace st = wire::status;

namespace {

std::string current_account() {
  struct passwd* pw = getpwuid(geteuid());
  return pw ? pw->pw_name : "root";
}

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directory(dir_ / "share");
    // Anonymous sessions act as the guest account (nobody) when the server
    // runs as root.
    ::chmod((dir_ / "share").c_str(), 01777);
    ::chmod(dir_.path().c_str(), 0755);
    std::filesystem::create_directory(dir_ / "sealed");
    auth::UserDb db;
    db.put({"alice", auth::nt_hash("wonderland"), current_account()});
    ASSERT_EQ(db.save(dir_ / "passdb"), 0);
    server::Config cfg;
    cfg.listen = {{"127.0.0.1", 0}};
    cfg.workers = 1;
    cfg.passdb_file = dir_ / "passdb";
    cfg.log_level = 0;
    server::ShareConfig s;
    s.name = "s";
    s.path = dir_ / "share";
    s.read_only = false;
    s.guest_ok = true;
    cfg.shares.push_back(s);
    server::ShareConfig e = s;
    e.name = "sealed";
    e.path = dir_ / "sealed";
    e.guest_ok = false;
    e.encrypt = server::Encrypt::Required;
    cfg.shares.push_back(e);
    server::finalize(cfg);
    log::g_level.store(0);
    srv_ = std::make_unique<server::Server>(cfg);
    srv_->bind();
    srv_->start();
    port_ = srv_->bound_ports().at(0);
  }
  void TearDown() override {
    srv_->request_stop();
    srv_->wait();
  }

  // Runs body on a client worker on this thread until it finishes.
  void run(std::function<rt::Task<void>()> body) {
    rt::Worker w(0, rt::WorkerConfig{});
    w.run_here([&] {
      auto main = [](std::function<rt::Task<void>()> b, rt::Worker* wk) -> rt::Task<void> {
        wk->hold();
        co_await b();
        wk->unhold();
        wk->request_stop();
      };
      rt::spawn(main(body, &w));
    });
  }

  client::Endpoint ep() const { return {"127.0.0.1", port_}; }
  static auth::NtlmCredentials alice(std::string pw = "wonderland") {
    auth::NtlmCredentials c;
    c.user = "alice";
    c.password = std::move(pw);
    return c;
  }
  std::string unc(const char* share) const { return std::string("\\\\127.0.0.1\\") + share; }

  TempDir dir_;
  std::unique_ptr<server::Server> srv_;
  uint16_t port_ = 0;
};

std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

wire::Bytes as_bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Writes, reads back, lists, renames and deletes through a tree; checks
// the share directory after each step.
rt::Task<void> exercise(client::Tree& t, std::string share_dir, std::string tag) {
  const std::string name = "file-" + tag + ".bin";
  std::string data(300000, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 131 + tag.size()) & 0xFF);

  auto f = co_await t.create(name, client::CreateParams::write_file(true));
  EXPECT_TRUE(f) << wire::status_name(f.status());
  if (!f) co_return;
  // Two writes, the second one out of order.
  auto w2 = co_await t.write(f->id, 100000, as_bytes(data).subspan(100000));
  auto w1 = co_await t.write(f->id, 0, as_bytes(data).subspan(0, 100000));
  EXPECT_TRUE(w1 && w2);
  if (w1 && w2) {
    EXPECT_EQ(*w1 + *w2, data.size());
  }
  EXPECT_EQ(co_await t.flush(f->id), st::SUCCESS);
  auto rd = co_await t.read(f->id, 1000, 5000);
  EXPECT_TRUE(rd);
  if (rd) {
    EXPECT_TRUE(std::string(reinterpret_cast<const char*>(rd->data.data()), rd->data.size()) ==
                data.substr(1000, 5000));
  }
  auto eof = co_await t.read(f->id, data.size(), 100);
  EXPECT_TRUE(eof);
  if (eof) {
    EXPECT_TRUE(eof->data.empty());
  }
  EXPECT_EQ(co_await t.close(f->id), st::SUCCESS);
  EXPECT_TRUE(slurp(share_dir + "/" + name) == data) << "file on disk differs";

  auto a = co_await t.stat(name);
  EXPECT_TRUE(a);
  if (a) {
    EXPECT_EQ(a->end_of_file, data.size());
    EXPECT_FALSE(a->directory);
  }
  EXPECT_EQ(co_await t.mkdir("d-" + tag), st::SUCCESS);
  EXPECT_EQ(co_await t.mkdir("d-" + tag), st::OBJECT_NAME_COLLISION);
  EXPECT_EQ(co_await t.rename(name, "d-" + tag + "/moved.bin", false), st::SUCCESS);
  EXPECT_TRUE(std::filesystem::exists(share_dir + "/d-" + tag + "/moved.bin"));

  auto d = co_await t.create("d-" + tag, client::CreateParams::directory());
  EXPECT_TRUE(d);
  if (d) {
    auto l = co_await t.list(d->id);
    EXPECT_TRUE(l);
    if (l) {
      std::vector<std::string> names;
      for (auto& e : *l) names.push_back(e.name);
      std::sort(names.begin(), names.end());
      EXPECT_EQ(names, (std::vector<std::string>{".", "..", "moved.bin"}));
    }
    co_await t.close(d->id);
  }
  EXPECT_EQ(co_await t.remove("d-" + tag, true), st::DIRECTORY_NOT_EMPTY);
  EXPECT_EQ(co_await t.remove("d-" + tag + "/moved.bin", false), st::SUCCESS);
  EXPECT_EQ(co_await t.remove("d-" + tag, true), st::SUCCESS);
  EXPECT_FALSE(std::filesystem::exists(share_dir + "/d-" + tag));
  auto missing = co_await t.create("nope", client::CreateParams::read_file());
  EXPECT_EQ(missing.status(), st::OBJECT_NAME_NOT_FOUND);
}

struct Case {
  uint16_t dialect;
  std::vector<uint16_t> ciphers;
  std::vector<uint16_t> sign_algs;
  bool sign, encrypt;
  const char* tag;
};

}  // namespace

TEST_F(ClientTest, DialectsSigningAndEncryption) {
  using namespace wire;
  const Case cases[] = {
      {dialect::SMB202, {}, {}, true, false, "202s"},
      {dialect::SMB210, {}, {}, true, false, "210s"},
      {dialect::SMB300, {}, {}, true, false, "300s"},
      {dialect::SMB300, {}, {}, false, true, "300e"},
      {dialect::SMB302, {}, {}, false, true, "302e"},
      {dialect::SMB311, {cipher::AES128_CCM}, {signalg::AES_CMAC}, false, true, "311ccm"},
      {dialect::SMB311, {cipher::AES128_GCM}, {signalg::AES_GMAC}, false, true, "311gcm"},
      {dialect::SMB311, {cipher::AES256_CCM}, {signalg::AES_CMAC}, false, true, "311ccm256"},
      {dialect::SMB311, {cipher::AES256_GCM}, {signalg::HMAC_SHA256}, false, true, "311gcm256"},
      {dialect::SMB311, {}, {signalg::AES_GMAC}, true, false, "311gmac"},
      {dialect::SMB311, {}, {signalg::AES_CMAC}, true, false, "311cmac"},
      {dialect::SMB311, {}, {}, false, false, "311plain"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.tag);
    run([&]() -> rt::Task<void> {
      client::ConnectOptions co;
      co.max_dialect = c.dialect;
      if (!c.ciphers.empty()) co.ciphers = c.ciphers;
      if (!c.sign_algs.empty()) co.signing_algs = c.sign_algs;
      auto conn = co_await client::Connection::open(ep(), co);
      EXPECT_TRUE(conn) << wire::status_name(conn.status());
      if (!conn) co_return;
      EXPECT_EQ((*conn)->dialect(), c.dialect);
      if (!c.ciphers.empty()) {
        EXPECT_EQ((*conn)->cipher(), c.ciphers[0]);
      }
      client::SessionOptions so;
      so.sign = c.sign;
      so.encrypt = c.encrypt;
      auto s = co_await client::Session::login(*conn, alice(), so);
      EXPECT_TRUE(s) << wire::status_name(s.status());
      if (s) {
        EXPECT_EQ((*s)->signing(), c.sign);
        EXPECT_EQ((*s)->encrypting(), c.encrypt);
        auto t = co_await (*s)->tree_connect(unc("s"));
        EXPECT_TRUE(t) << wire::status_name(t.status());
        if (t) co_await exercise(**t, dir_ / "share", std::string(c.tag));
        EXPECT_EQ(co_await (*s)->logoff(), st::SUCCESS);
      }
      (*conn)->close();
    });
  }
}

TEST_F(ClientTest, WrongPasswordAnonymousAndShares) {
  run([&]() -> rt::Task<void> {
    client::ConnectOptions dflt;
    auto conn = co_await client::Connection::open(ep(), dflt);
    EXPECT_TRUE(conn);
    if (!conn) co_return;
    client::SessionOptions plain;
    auth::NtlmCredentials nobody;
    auto bad = co_await client::Session::login(*conn, alice("nope"), plain);
    EXPECT_EQ(bad.status(), st::LOGON_FAILURE);
    (*conn)->close();

    auto c2 = co_await client::Connection::open(ep(), dflt);
    EXPECT_TRUE(c2);
    if (!c2) co_return;
    auto anon = co_await client::Session::login(*c2, nobody, plain);
    EXPECT_TRUE(anon);
    if (anon) {
      EXPECT_TRUE((*anon)->anonymous());
      auto t = co_await (*anon)->tree_connect(unc("s"));
      EXPECT_TRUE(t);
      if (t) co_await exercise(**t, dir_ / "share", std::string("anon"));
      auto sealed = co_await (*anon)->tree_connect(unc("sealed"));
      EXPECT_EQ(sealed.status(), st::ACCESS_DENIED);
      auto missing = co_await (*anon)->tree_connect(unc("missing"));
      EXPECT_EQ(missing.status(), st::BAD_NETWORK_NAME);
    }
    // An anonymous session cannot sign.
    client::SessionOptions so;
    so.sign = true;
    auto c3 = co_await client::Connection::open(ep(), dflt);
    if (c3) {
      auto refused = co_await client::Session::login(*c3, nobody, so);
      EXPECT_EQ(refused.status(), st::ACCESS_DENIED);
      (*c3)->close();
    }
    (*c2)->close();
  });
}

TEST_F(ClientTest, SealedShareIsEncryptedForTheUser) {
  run([&]() -> rt::Task<void> {
    client::ConnectOptions dflt;
    client::SessionOptions plain;
    auto conn = co_await client::Connection::open(ep(), dflt);
    EXPECT_TRUE(conn);
    if (!conn) co_return;
    auto s = co_await client::Session::login(*conn, alice(), plain);
    EXPECT_TRUE(s);
    if (s) {
      EXPECT_FALSE((*s)->encrypting());
      auto t = co_await (*s)->tree_connect(unc("sealed"));
      EXPECT_TRUE(t);
      if (t) {
        EXPECT_TRUE((*t)->encrypts());  // the share asked: every request is sealed
        co_await exercise(**t, dir_ / "sealed", std::string("sealed"));
      }
    }
    (*conn)->close();
  });
}

TEST_F(ClientTest, BoundChannelsShareOpens) {
  for (uint16_t d : {wire::dialect::SMB300, wire::dialect::SMB311}) {
    SCOPED_TRACE(d);
    run([&]() -> rt::Task<void> {
      client::ConnectOptions co;
      co.max_dialect = d;
      auto c1 = co_await client::Connection::open(ep(), co);
      EXPECT_TRUE(c1);
      if (!c1) co_return;
      EXPECT_TRUE((*c1)->multichannel());
      client::SessionOptions plain;
      auto s = co_await client::Session::login(*c1, alice(), plain);
      EXPECT_TRUE(s);
      if (!s) co_return;
      co.client_guid = (*c1)->client_guid();
      for (int i = 0; i < 3; ++i) {
        auto cn = co_await client::Connection::open(ep(), co);
        EXPECT_TRUE(cn);
        if (cn) {
          EXPECT_EQ(co_await (*s)->bind(*cn), st::SUCCESS);
        }
      }
      EXPECT_EQ((*s)->channel_count(), 4u);
      auto t = co_await (*s)->tree_connect(unc("s"));
      EXPECT_TRUE(t);
      if (t) {
        // Opened on channel 0, written on 1 and 2, read back on 3.
        auto f = co_await (*t)->create("mc.txt", client::CreateParams::write_file(true), 0);
        EXPECT_TRUE(f);
        if (f) {
          EXPECT_TRUE(co_await (*t)->write(f->id, 0, as_bytes(std::string("hello ")), 1));
          EXPECT_TRUE(co_await (*t)->write(f->id, 6, as_bytes(std::string("channels")), 2));
          auto rd = co_await (*t)->read(f->id, 0, 100, 3);
          EXPECT_TRUE(rd);
          if (rd) {
            EXPECT_EQ(std::string(reinterpret_cast<const char*>(rd->data.data()), rd->data.size()),
                      "hello channels");
          }
          // Losing channel 0 keeps the session and the open alive.
          (*s)->channel(0)->conn->close();
          EXPECT_EQ(co_await (*t)->close(f->id, 1), st::SUCCESS);
        }
      }
      (*s)->close();
    });
  }
}
