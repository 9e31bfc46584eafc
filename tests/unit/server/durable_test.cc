// server/durable.h: which durable contexts a CREATE may combine
// (MS-SMB2 3.3.5.9) and the v2 timeout granted.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "server/durable.h"
#include "wire/smb2.h"

using namespace ringsmb::server;
namespace w = ringsmb::wire;

namespace {

// Context names and data kept alive for the spans of CreateContext.
struct Contexts {
  std::vector<std::string> names;
  std::vector<std::vector<uint8_t>> data;
  std::vector<w::CreateContext> list;
  Contexts& add(const char* name, size_t size) {
    names.emplace_back(name);
    data.emplace_back(size, 0);
    return *this;
  }
  const std::vector<w::CreateContext>& get() {
    list.clear();
    for (size_t i = 0; i < names.size(); ++i) {
      list.push_back({{reinterpret_cast<const uint8_t*>(names[i].data()), names[i].size()},
                      {data[i].data(), data[i].size()}});
    }
    return list;
  }
};

constexpr uint16_t kSmb311 = w::dialect::SMB311;

TEST(DurableAsk, SingleContexts) {
  Contexts a;
  auto r = durable_ask_of(a.add("DHnQ", 16).get(), kSmb311);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->v1);
  Contexts b;
  r = durable_ask_of(b.add("DH2Q", 32).get(), kSmb311);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->v2);
  Contexts c;
  r = durable_ask_of(c.add("DH2C", 36).get(), kSmb311);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->reconnect && r->reconnect_v2);
}

TEST(DurableAsk, RefusedCombinations) {
  // smb2.durable-v2-open.create-blob.
  const char* pairs[][2] = {{"DH2C", "DHnQ"}, {"DHnC", "DH2Q"}, {"DHnC", "DH2C"}, {"DH2C", "DH2Q"}};
  auto size = [](const char* n) -> size_t {
    return std::strcmp(n, "DH2Q") == 0 ? 32 : std::strcmp(n, "DH2C") == 0 ? 36 : 16;
  };
  for (auto& p : pairs) {
    Contexts c;
    c.add(p[0], size(p[0])).add(p[1], size(p[1]));
    EXPECT_FALSE(durable_ask_of(c.get(), kSmb311)) << p[0] << "+" << p[1];
  }
}

TEST(DurableAsk, ReconnectWinsOverV1RequestAndV2NeedsSmb3) {
  Contexts a;
  auto r = durable_ask_of(a.add("DHnQ", 16).add("DHnC", 16).get(), kSmb311);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->v1);
  EXPECT_TRUE(r->reconnect);
  Contexts b;
  r = durable_ask_of(b.add("DH2Q", 32).get(), w::dialect::SMB210);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->v2);  // ignored below 3.x
  Contexts c;
  EXPECT_FALSE(durable_ask_of(c.add("DH2Q", 31).get(), kSmb311));
}

TEST(DurableAsk, V2Timeout) {
  EXPECT_EQ(durable_v2_timeout(0), 60000u);
  EXPECT_EQ(durable_v2_timeout(1000), 1000u);
  EXPECT_EQ(durable_v2_timeout(0xFFFFFFFF), 300000u);
}

}  // namespace
