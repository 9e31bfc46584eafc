// fs/ea.h and fs/streams.h on a temporary directory (skipped where the file
// system has no user xattrs).
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include "../test_util.h"
#include "fs/ea.h"
#include "fs/streams.h"
#include "wire/fscc.h"

using namespace ringsmb;
using ringsmb::testing::TempDir;

namespace {

class XattrTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(tmp.path().empty());
    path = tmp / "file";
    { std::ofstream f(path); f << "data"; }
    fd = ::open(path.c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    if (fsetxattr(fd, "user.probe", "1", 1, 0) != 0) {
      GTEST_SKIP() << "no user xattrs in " << tmp.path();
    }
    fremovexattr(fd, "user.probe");
  }
  void TearDown() override {
    if (fd >= 0) ::close(fd);
  }
  const fs::Ea* find(const std::vector<fs::Ea>& v, const std::string& name) {
    for (const auto& e : v)
      if (e.name == name) return &e;
    return nullptr;
  }
  TempDir tmp;
  std::string path;
  int fd = -1;
};

std::vector<uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

// ---------------------------------------------------------------------- EAs

TEST_F(XattrTest, SetAndList) {
  std::vector<fs::Ea> eas;
  ASSERT_EQ(fs::list_eas(fd, &eas), 0);
  EXPECT_TRUE(eas.empty());
  ASSERT_EQ(fs::set_ea(fd, "Author", bytes("me")), 0);
  ASSERT_EQ(fs::set_ea(fd, "Binary", {0, 1, 2, 255}), 0);
  ASSERT_EQ(fs::list_eas(fd, &eas), 0);
  ASSERT_EQ(eas.size(), 2u);
  const fs::Ea* a = find(eas, "Author");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->value, bytes("me"));
  const fs::Ea* b = find(eas, "Binary");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->value, (std::vector<uint8_t>{0, 1, 2, 255}));
  // Stored as Linux user xattrs.
  char buf[16];
  EXPECT_EQ(fgetxattr(fd, "user.Author", buf, sizeof(buf)), 2);
}

TEST_F(XattrTest, SetReplacesOtherCase) {
  ASSERT_EQ(fs::set_ea(fd, "MyEa", bytes("one")), 0);
  ASSERT_EQ(fs::set_ea(fd, "MYEA", bytes("two")), 0);
  std::vector<fs::Ea> eas;
  ASSERT_EQ(fs::list_eas(fd, &eas), 0);
  ASSERT_EQ(eas.size(), 1u);
  EXPECT_EQ(eas[0].name, "MYEA");
  EXPECT_EQ(eas[0].value, bytes("two"));
}

TEST_F(XattrTest, EmptyValueRemoves) {
  ASSERT_EQ(fs::set_ea(fd, "Gone", bytes("x")), 0);
  ASSERT_EQ(fs::set_ea(fd, "gone", {}), 0);  // any case
  std::vector<fs::Ea> eas;
  ASSERT_EQ(fs::list_eas(fd, &eas), 0);
  EXPECT_TRUE(eas.empty());
  // Removing what is not there is not an error.
  EXPECT_EQ(fs::set_ea(fd, "Never", {}), 0);
}

TEST_F(XattrTest, ReservedNames) {
  for (const char* n : {"", "ringsmb.dos", "ringsmb.anything", "DOSATTRIB",
                        "DosStream.s:$DATA"}) {
    EXPECT_TRUE(fs::reserved_ea_name(n)) << n;
    EXPECT_EQ(fs::set_ea(fd, n, bytes("v")), -EINVAL) << n;
  }
  EXPECT_FALSE(fs::reserved_ea_name("Author"));
  EXPECT_FALSE(fs::reserved_ea_name("ringsmb"));
}

TEST_F(XattrTest, InternalXattrsHidden) {
  ASSERT_EQ(fsetxattr(fd, "user.ringsmb.dos", "12345678", 8, 0), 0);
  ASSERT_EQ(fsetxattr(fd, "user.DOSATTRIB", "x", 1, 0), 0);
  ASSERT_EQ(fsetxattr(fd, "user.DosStream.s:$DATA", "s", 1, 0), 0);
  ASSERT_EQ(fs::set_ea(fd, "Visible", bytes("v")), 0);
  std::vector<fs::Ea> eas;
  ASSERT_EQ(fs::list_eas(fd, &eas), 0);
  ASSERT_EQ(eas.size(), 1u);
  EXPECT_EQ(eas[0].name, "Visible");
  std::vector<fs::Ea> at;
  ASSERT_EQ(fs::list_eas_at(AT_FDCWD, path.c_str(), &at), 0);
  ASSERT_EQ(at.size(), 1u);
  EXPECT_EQ(at[0].name, "Visible");
}

TEST_F(XattrTest, ListAtDirectoryEntry) {
  ASSERT_EQ(fs::set_ea(fd, "K", bytes("value")), 0);
  int dir = ::open(tmp.path().c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(dir, 0);
  std::vector<fs::Ea> eas;
  ASSERT_EQ(fs::list_eas_at(dir, "file", &eas), 0);
  ASSERT_EQ(eas.size(), 1u);
  EXPECT_EQ(eas[0].name, "K");
  EXPECT_EQ(eas[0].value, bytes("value"));
  // A missing name is an error, not an empty list.
  EXPECT_LT(fs::list_eas_at(dir, "nothing", &eas), 0);
  // A symlink is not followed (user xattrs do not exist on symlinks).
  ASSERT_EQ(::symlink("file", (tmp / "lnk").c_str()), 0);
  ASSERT_EQ(fs::list_eas_at(dir, "lnk", &eas), 0);
  EXPECT_TRUE(eas.empty());
  ::close(dir);
}

TEST_F(XattrTest, FullEaListSizeMatchesEncodedList) {
  // Build the FILE_FULL_EA_INFORMATION list the sizes describe: entries
  // padded to 4 bytes except the last, and check it parses back.
  std::vector<fs::Ea> eas = {{"A", bytes("xyz"), 0}, {"LONGER.NAME", {}, 0}, {"B", bytes("12345"), 0}};
  std::vector<uint8_t> list;
  size_t prev = 0;
  for (size_t i = 0; i < eas.size(); ++i) {
    if (i != 0) {
      while (list.size() % 4 != 0) list.push_back(0);
      wire::st32(list.data() + prev, static_cast<uint32_t>(list.size() - prev));
    }
    prev = list.size();
    list.resize(prev + 8, 0);
    list[prev + 5] = static_cast<uint8_t>(eas[i].name.size());
    wire::st16(list.data() + prev + 6, static_cast<uint16_t>(eas[i].value.size()));
    list.insert(list.end(), eas[i].name.begin(), eas[i].name.end());
    list.push_back(0);
    list.insert(list.end(), eas[i].value.begin(), eas[i].value.end());
  }
  auto parsed = wire::parse_full_ea_list(wire::Bytes(list.data(), list.size()));
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->size(), 3u);
  EXPECT_EQ(fs::full_ea_list_size(eas), list.size());
  EXPECT_EQ(fs::full_ea_list_size({}), 0u);
  EXPECT_EQ(fs::full_ea_list_size({{"A", bytes("xyz"), 0}}), 8u + 1 + 1 + 3);
}

// ------------------------------------------------------------------ streams

TEST_F(XattrTest, StreamWriteReadList) {
  std::vector<fs::StreamInfo> list;
  ASSERT_EQ(fs::list_streams(fd, &list), 0);
  EXPECT_TRUE(list.empty());
  std::vector<uint8_t> data(1000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i);
  ASSERT_EQ(fs::write_stream(fd, "Zone.Identifier", data, false), 0);
  ASSERT_EQ(fs::write_stream(fd, "empty", {}, false), 0);
  ASSERT_EQ(fs::list_streams(fd, &list), 0);
  ASSERT_EQ(list.size(), 2u);
  std::sort(list.begin(), list.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  EXPECT_EQ(list[0].name, "Zone.Identifier");
  EXPECT_EQ(list[0].size, 1000u);
  EXPECT_EQ(list[1].name, "empty");
  EXPECT_EQ(list[1].size, 0u);
  std::vector<uint8_t> back;
  ASSERT_EQ(fs::read_stream(fd, "Zone.Identifier", &back), 0);
  EXPECT_EQ(back, data);
  ASSERT_EQ(fs::read_stream(fd, "empty", &back), 0);
  EXPECT_TRUE(back.empty());
  // Samba's streams_xattr layout.
  EXPECT_EQ(fgetxattr(fd, "user.DosStream.Zone.Identifier:$DATA", nullptr, 0), 1000);
  // Streams are not EAs.
  std::vector<fs::Ea> eas;
  ASSERT_EQ(fs::list_eas(fd, &eas), 0);
  EXPECT_TRUE(eas.empty());
}

TEST_F(XattrTest, StreamReplaceAndCreateOnly) {
  ASSERT_EQ(fs::write_stream(fd, "s", bytes("first"), true), 0);
  EXPECT_EQ(fs::write_stream(fd, "s", bytes("again"), true), -EEXIST);
  ASSERT_EQ(fs::write_stream(fd, "s", bytes("second!"), false), 0);
  std::vector<uint8_t> back;
  ASSERT_EQ(fs::read_stream(fd, "s", &back), 0);
  EXPECT_EQ(back, bytes("second!"));
}

TEST_F(XattrTest, StreamFindCaseInsensitive) {
  ASSERT_EQ(fs::write_stream(fd, "MyStream", bytes("x"), false), 0);
  EXPECT_EQ(fs::find_stream(fd, "MyStream"), "MyStream");
  EXPECT_EQ(fs::find_stream(fd, "mystream"), "MyStream");
  EXPECT_EQ(fs::find_stream(fd, "MYSTREAM"), "MyStream");
  EXPECT_EQ(fs::find_stream(fd, "other"), "");
  // An exact match wins over a case variant.
  ASSERT_EQ(fs::write_stream(fd, "mystream", bytes("y"), false), 0);
  EXPECT_EQ(fs::find_stream(fd, "mystream"), "mystream");
  EXPECT_EQ(fs::find_stream(fd, "MyStream"), "MyStream");
}

TEST_F(XattrTest, StreamRemoveAndMissing) {
  std::vector<uint8_t> back;
  EXPECT_EQ(fs::read_stream(fd, "none", &back), -ENOENT);
  EXPECT_EQ(fs::remove_stream(fd, "none"), -ENOENT);
  ASSERT_EQ(fs::write_stream(fd, "s", bytes("x"), false), 0);
  EXPECT_EQ(fs::remove_stream(fd, "s"), 0);
  EXPECT_EQ(fs::remove_stream(fd, "s"), -ENOENT);
  EXPECT_EQ(fs::read_stream(fd, "s", &back), -ENOENT);
}

TEST_F(XattrTest, StreamListIgnoresOtherXattrs) {
  ASSERT_EQ(fs::set_ea(fd, "NotAStream", bytes("e")), 0);
  ASSERT_EQ(fsetxattr(fd, "user.DosStream.nosuffix", "1", 1, 0), 0);
  ASSERT_EQ(fsetxattr(fd, "user.ringsmb.dos", "1", 1, 0), 0);
  std::vector<fs::StreamInfo> list;
  ASSERT_EQ(fs::list_streams(fd, &list), 0);
  EXPECT_TRUE(list.empty());
}

TEST_F(XattrTest, StreamTooLargeIsNoSpace) {
  std::vector<uint8_t> big(70000, 1);  // above XATTR_SIZE_MAX (64 KiB)
  EXPECT_EQ(fs::write_stream(fd, "big", big, false), -ENOSPC);
}

}  // namespace
