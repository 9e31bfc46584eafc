// wire/fscc.h: FILETIME conversions, information class layouts (MS-FSCC
// 2.4) and FILE_FULL_EA_INFORMATION lists (2.4.15).
#include <gtest/gtest.h>

#include <limits>

#include "../test_util.h"
#include "wire/fscc.h"
#include "wire/utf16.h"

using namespace ringsmb::wire;
using ringsmb::testing::as_bytes;
using ringsmb::testing::same;

namespace {

// ----------------------------------------------------------------- FILETIME

TEST(Filetime, UnixEpoch) {
  EXPECT_EQ(unix_to_filetime(0, 0), kFiletimeUnixEpoch);
  EXPECT_EQ(kFiletimeUnixEpoch, 116444736000000000ull);
  int64_t s = -1;
  uint32_t ns = 1;
  filetime_to_unix(kFiletimeUnixEpoch, &s, &ns);
  EXPECT_EQ(s, 0);
  EXPECT_EQ(ns, 0u);
}

TEST(Filetime, KnownDates) {
  // 2000-01-01T00:00:00Z.
  EXPECT_EQ(unix_to_filetime(946684800, 0), 125911584000000000ull);
  // 1601-01-01T00:00:00Z is FILETIME 0.
  EXPECT_EQ(unix_to_filetime(-11644473600LL, 0), 0u);
  // One 100 ns tick after the epoch; sub-tick nanoseconds are dropped.
  EXPECT_EQ(unix_to_filetime(0, 100), kFiletimeUnixEpoch + 1);
  EXPECT_EQ(unix_to_filetime(0, 199), kFiletimeUnixEpoch + 1);
  EXPECT_EQ(unix_to_filetime(0, 99), kFiletimeUnixEpoch);
  EXPECT_EQ(unix_to_filetime(1, 999999999), kFiletimeUnixEpoch + 19999999);
}

TEST(Filetime, BeforeFilestimeEpochClampsToZero) {
  EXPECT_EQ(unix_to_filetime(-11644473601LL, 0), 0u);
  EXPECT_EQ(unix_to_filetime(std::numeric_limits<int64_t>::min() / 2, 5), 0u);
}

TEST(Filetime, NegativeUnixTimesAfter1601) {
  // 1969-12-31T23:59:59Z.
  EXPECT_EQ(unix_to_filetime(-1, 0), kFiletimeUnixEpoch - 10000000);
  int64_t s;
  uint32_t ns;
  filetime_to_unix(kFiletimeUnixEpoch - 10000000, &s, &ns);
  EXPECT_EQ(s, -1);
  EXPECT_EQ(ns, 0u);
}

TEST(Filetime, RoundTrips) {
  const std::pair<int64_t, uint32_t> cases[] = {
      {0, 0}, {1, 100}, {1700000000, 123456700}, {-11644473600LL, 0},
      {4102444800LL, 999999900},  // 2100-01-01
      {-86400, 500},
  };
  for (auto [sec, nsec] : cases) {
    uint64_t ft = unix_to_filetime(sec, nsec);
    int64_t s;
    uint32_t ns;
    filetime_to_unix(ft, &s, &ns);
    EXPECT_EQ(s, sec);
    EXPECT_EQ(ns, nsec);
    EXPECT_EQ(unix_to_filetime(s, ns), ft);
  }
  // FILETIME -> unix -> FILETIME is exact at 100 ns resolution.
  for (uint64_t ft : {1ull, 12345678901234567ull, 133000000000000001ull}) {
    int64_t s;
    uint32_t ns;
    filetime_to_unix(ft, &s, &ns);
    EXPECT_LT(ns, 1000000000u);
    EXPECT_EQ(ns % 100, 0u);
    EXPECT_EQ(unix_to_filetime(s, ns), ft);
  }
}

// ------------------------------------------------------------ file classes

FileInfo sample() {
  FileInfo f;
  f.creation_time = 0x0101010101010101ull;
  f.last_access_time = 0x0202020202020202ull;
  f.last_write_time = 0x0303030303030303ull;
  f.change_time = 0x0404040404040404ull;
  f.allocation_size = 8192;
  f.end_of_file = 5000;
  f.attributes = attr::ARCHIVE | attr::READONLY;
  f.nlink = 3;
  f.file_id = 0x00AB00CD00EF0012ull;
  f.ea_size = 44;
  f.directory = false;
  f.delete_pending = true;
  return f;
}

void expect_times(const uint8_t* p, const FileInfo& f) {
  EXPECT_EQ(ld64(p), f.creation_time);
  EXPECT_EQ(ld64(p + 8), f.last_access_time);
  EXPECT_EQ(ld64(p + 16), f.last_write_time);
  EXPECT_EQ(ld64(p + 24), f.change_time);
}

TEST(FileInfoClasses, Basic) {
  Writer w;
  w.u8(0xEE);  // appends after what is there
  FileInfo f = sample();
  put_basic_info(w, f);
  ASSERT_EQ(w.size(), 1 + kBasicInfoSize);
  EXPECT_EQ(kBasicInfoSize, 40u);
  const uint8_t* p = w.data() + 1;
  expect_times(p, f);
  EXPECT_EQ(ld32(p + 32), f.attributes);
  EXPECT_EQ(ld32(p + 36), 0u);  // Reserved
  EXPECT_EQ(w.data()[0], 0xEE);
}

TEST(FileInfoClasses, Standard) {
  Writer w;
  FileInfo f = sample();
  put_standard_info(w, f);
  ASSERT_EQ(w.size(), kStandardInfoSize);
  EXPECT_EQ(kStandardInfoSize, 24u);
  const uint8_t* p = w.data();
  EXPECT_EQ(ld64(p), 8192u);
  EXPECT_EQ(ld64(p + 8), 5000u);
  EXPECT_EQ(ld32(p + 16), 3u);
  EXPECT_EQ(p[20], 1);  // DeletePending
  EXPECT_EQ(p[21], 0);  // Directory
  EXPECT_EQ(ld16(p + 22), 0);
  Writer d;
  f.directory = true;
  f.delete_pending = false;
  put_standard_info(d, f);
  EXPECT_EQ(d.data()[20], 0);
  EXPECT_EQ(d.data()[21], 1);
}

TEST(FileInfoClasses, InternalNetworkOpenAttributeTagName) {
  FileInfo f = sample();
  Writer i;
  put_internal_info(i, f);
  ASSERT_EQ(i.size(), 8u);
  EXPECT_EQ(ld64(i.data()), f.file_id);

  Writer n;
  put_network_open_info(n, f);
  ASSERT_EQ(n.size(), kNetworkOpenInfoSize);
  EXPECT_EQ(kNetworkOpenInfoSize, 56u);
  expect_times(n.data(), f);
  EXPECT_EQ(ld64(n.data() + 32), f.allocation_size);
  EXPECT_EQ(ld64(n.data() + 40), f.end_of_file);
  EXPECT_EQ(ld32(n.data() + 48), f.attributes);
  EXPECT_EQ(ld32(n.data() + 52), 0u);

  Writer t;
  put_attribute_tag_info(t, f);
  ASSERT_EQ(t.size(), 8u);
  EXPECT_EQ(ld32(t.data()), f.attributes);
  EXPECT_EQ(ld32(t.data() + 4), 0u);  // ReparseTag

  Writer nm;
  auto name = utf8_to_utf16le("\\dir\\file.txt");
  put_name_info(nm, as_bytes(name));
  ASSERT_EQ(nm.size(), 4 + name.size());
  EXPECT_EQ(ld32(nm.data()), name.size());
  EXPECT_TRUE(same(Bytes(nm.data() + 4, name.size()), as_bytes(name)));
}

TEST(FileInfoClasses, AllInformationLayout) {
  FileInfo f = sample();
  auto name = utf8_to_utf16le("\\a\\b");
  Writer w;
  put_all_info(w, f, access::FILE_ALL_ACCESS, 0x123456789ull, 0x20, as_bytes(name));
  // Basic(40) Standard(24) Internal(8) Ea(4) Access(4) Position(8) Mode(4)
  // Alignment(4) NameLength(4) Name (MS-FSCC 2.4.2).
  ASSERT_EQ(w.size(), 100 + name.size());
  const uint8_t* p = w.data();
  expect_times(p, f);
  EXPECT_EQ(ld32(p + 32), f.attributes);
  EXPECT_EQ(ld64(p + 40), f.allocation_size);
  EXPECT_EQ(ld64(p + 48), f.end_of_file);
  EXPECT_EQ(ld32(p + 56), f.nlink);
  EXPECT_EQ(p[60], 1);
  EXPECT_EQ(p[61], 0);
  EXPECT_EQ(ld64(p + 64), f.file_id);
  EXPECT_EQ(ld32(p + 72), f.ea_size);
  EXPECT_EQ(ld32(p + 76), access::FILE_ALL_ACCESS);
  EXPECT_EQ(ld64(p + 80), 0x123456789ull);
  EXPECT_EQ(ld32(p + 88), 0x20u);
  EXPECT_EQ(ld32(p + 92), 0u);
  EXPECT_EQ(ld32(p + 96), name.size());
  EXPECT_TRUE(same(Bytes(p + 100, name.size()), as_bytes(name)));
}

// ------------------------------------------------------- directory entries

TEST(DirEntries, DirectoryClassPredicate) {
  for (uint8_t c : {fileinfo::Directory, fileinfo::FullDirectory, fileinfo::BothDirectory,
                    fileinfo::Names, fileinfo::IdBothDirectory, fileinfo::IdFullDirectory,
                    fileinfo::IdExtdDirectory}) {
    EXPECT_TRUE(is_directory_info_class(c)) << int(c);
  }
  for (uint8_t c : {fileinfo::Basic, fileinfo::Standard, fileinfo::All, fileinfo::Stream,
                    fileinfo::IdGlobalTxDirectory, uint8_t{0}, uint8_t{255}}) {
    EXPECT_FALSE(is_directory_info_class(c)) << int(c);
  }
}

TEST(DirEntries, FixedSizesPerSpec) {
  // Offset of FileName in each structure (MS-FSCC 2.4).
  EXPECT_EQ(dir_entry_size(fileinfo::Directory, 0), 64u);
  EXPECT_EQ(dir_entry_size(fileinfo::FullDirectory, 0), 68u);
  EXPECT_EQ(dir_entry_size(fileinfo::BothDirectory, 0), 94u);
  EXPECT_EQ(dir_entry_size(fileinfo::Names, 0), 12u);
  EXPECT_EQ(dir_entry_size(fileinfo::IdBothDirectory, 0), 104u);
  EXPECT_EQ(dir_entry_size(fileinfo::IdFullDirectory, 0), 80u);
  EXPECT_EQ(dir_entry_size(fileinfo::IdExtdDirectory, 0), 88u);
  EXPECT_EQ(dir_entry_size(fileinfo::Directory, 10), 74u);
}

TEST(DirEntries, EveryClassWritesItsSize) {
  const uint8_t classes[] = {fileinfo::Directory,       fileinfo::FullDirectory,
                             fileinfo::BothDirectory,   fileinfo::Names,
                             fileinfo::IdBothDirectory, fileinfo::IdFullDirectory,
                             fileinfo::IdExtdDirectory};
  FileInfo f = sample();
  for (const char* n : {"x", "file name.txt", "\xC3\x84rger \xF0\x9F\x98\x80.doc"}) {
    auto name = utf8_to_utf16le(n);
    auto shortn = utf8_to_utf16le("FILENA~1.TXT");
    for (uint8_t c : classes) {
      Writer w;
      w.zeros(8);  // entries are appended
      put_dir_entry(w, c, f, 42, as_bytes(name), as_bytes(shortn));
      ASSERT_EQ(w.size() - 8, dir_entry_size(c, name.size())) << int(c);
      const uint8_t* p = w.data() + 8;
      EXPECT_EQ(ld32(p), 0u) << int(c);  // NextEntryOffset
      EXPECT_EQ(ld32(p + 4), 42u);       // FileIndex
      const size_t fixed = dir_entry_size(c, 0);
      EXPECT_TRUE(same(Bytes(p + fixed, name.size()), as_bytes(name))) << int(c);
      if (c == fileinfo::Names) {
        EXPECT_EQ(ld32(p + 8), name.size());
      } else {
        EXPECT_EQ(ld32(p + 60), name.size()) << int(c);
      }
    }
  }
}

TEST(DirEntries, CommonFields) {
  FileInfo f = sample();
  auto name = utf8_to_utf16le("n");
  Writer w;
  put_dir_entry(w, fileinfo::Directory, f, 0, as_bytes(name));
  const uint8_t* p = w.data();
  expect_times(p + 8, f);
  EXPECT_EQ(ld64(p + 40), f.end_of_file);
  EXPECT_EQ(ld64(p + 48), f.allocation_size);
  EXPECT_EQ(ld32(p + 56), f.attributes);
}

TEST(DirEntries, ClassSpecificFields) {
  FileInfo f = sample();
  auto name = utf8_to_utf16le("longfilename.text");
  auto shortn = utf8_to_utf16le("LONGFI~1.TEX");
  {
    Writer w;
    put_dir_entry(w, fileinfo::FullDirectory, f, 0, as_bytes(name));
    EXPECT_EQ(ld32(w.data() + 64), f.ea_size);
  }
  {
    Writer w;
    put_dir_entry(w, fileinfo::BothDirectory, f, 0, as_bytes(name), as_bytes(shortn));
    const uint8_t* p = w.data();
    EXPECT_EQ(ld32(p + 64), f.ea_size);
    EXPECT_EQ(p[68], shortn.size());
    EXPECT_EQ(p[69], 0);
    EXPECT_TRUE(same(Bytes(p + 70, shortn.size()), as_bytes(shortn)));
    for (size_t i = 70 + shortn.size(); i < 94; ++i) EXPECT_EQ(p[i], 0) << i;
  }
  {
    Writer w;
    put_dir_entry(w, fileinfo::IdBothDirectory, f, 0, as_bytes(name), as_bytes(shortn));
    const uint8_t* p = w.data();
    EXPECT_EQ(ld32(p + 64), f.ea_size);
    EXPECT_EQ(p[68], shortn.size());
    EXPECT_TRUE(same(Bytes(p + 70, shortn.size()), as_bytes(shortn)));
    EXPECT_EQ(ld16(p + 94), 0);  // Reserved2
    EXPECT_EQ(ld64(p + 96), f.file_id);
  }
  {
    Writer w;
    put_dir_entry(w, fileinfo::IdFullDirectory, f, 0, as_bytes(name));
    const uint8_t* p = w.data();
    EXPECT_EQ(ld32(p + 64), f.ea_size);
    EXPECT_EQ(ld32(p + 68), 0u);
    EXPECT_EQ(ld64(p + 72), f.file_id);
  }
  {
    Writer w;
    put_dir_entry(w, fileinfo::IdExtdDirectory, f, 0, as_bytes(name));
    const uint8_t* p = w.data();
    EXPECT_EQ(ld32(p + 64), f.ea_size);
    EXPECT_EQ(ld32(p + 68), 0u);  // ReparsePointTag
    EXPECT_EQ(ld64(p + 72), f.file_id);
    EXPECT_EQ(ld64(p + 80), 0u);  // upper half of the 128-bit FileId
  }
}

TEST(DirEntries, ShortNameCappedAt24Bytes) {
  FileInfo f = sample();
  auto name = utf8_to_utf16le("n");
  std::vector<uint8_t> too_long(30, 'A');
  Writer w;
  put_dir_entry(w, fileinfo::BothDirectory, f, 0, as_bytes(name), as_bytes(too_long));
  ASSERT_EQ(w.size(), dir_entry_size(fileinfo::BothDirectory, name.size()));
  EXPECT_EQ(w.data()[68], 24);
  EXPECT_TRUE(same(Bytes(w.data() + 94, name.size()), as_bytes(name)));
}

// ------------------------------------------------------- FULL_EA lists

std::vector<uint8_t> ea_entry(uint8_t flags, std::string_view name, std::string_view value,
                              uint32_t next) {
  std::vector<uint8_t> e(8 + name.size() + 1 + value.size(), 0);
  st32(e.data(), next);
  e[4] = flags;
  e[5] = static_cast<uint8_t>(name.size());
  st16(e.data() + 6, static_cast<uint16_t>(value.size()));
  std::memcpy(e.data() + 8, name.data(), name.size());
  std::memcpy(e.data() + 9 + name.size(), value.data(), value.size());
  return e;
}

// A two-entry list, first entry padded to 4 bytes.
std::vector<uint8_t> two_eas() {
  auto a = ea_entry(0x80, "USER.A", "hello", 0);
  size_t padded = (a.size() + 3) & ~size_t{3};
  st32(a.data(), static_cast<uint32_t>(padded));
  a.resize(padded, 0);
  auto b = ea_entry(0, "B", std::string_view("\0\1\2", 3), 0);
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST(FullEaList, GoodLists) {
  auto one = ea_entry(0, "NAME", "value", 0);
  auto r = parse_full_ea_list(as_bytes(one));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].name, "NAME");
  EXPECT_EQ(ringsmb::testing::str((*r)[0].value), "value");
  EXPECT_EQ((*r)[0].flags, 0);

  auto two = two_eas();
  auto r2 = parse_full_ea_list(as_bytes(two));
  ASSERT_TRUE(r2.ok());
  ASSERT_EQ(r2->size(), 2u);
  EXPECT_EQ((*r2)[0].flags, 0x80);
  EXPECT_EQ((*r2)[0].name, "USER.A");
  EXPECT_EQ(ringsmb::testing::str((*r2)[0].value), "hello");
  EXPECT_EQ((*r2)[1].name, "B");
  EXPECT_EQ((*r2)[1].value.size(), 3u);
  EXPECT_EQ((*r2)[1].value[2], 2);

  // An entry without a value (deleting an EA in SET_INFO).
  auto novalue = ea_entry(0, "GONE", "", 0);
  auto r3 = parse_full_ea_list(as_bytes(novalue));
  ASSERT_TRUE(r3.ok());
  EXPECT_TRUE((*r3)[0].value.empty());
}

TEST(FullEaList, BadLists) {
  auto inconsistent = [](const std::vector<uint8_t>& b) {
    auto r = parse_full_ea_list(as_bytes(b));
    return !r.ok() && r.status() == status::EA_LIST_INCONSISTENT;
  };
  EXPECT_TRUE(inconsistent({}));
  EXPECT_TRUE(inconsistent({0, 0, 0, 0, 0, 1, 0}));  // shorter than a header
  auto two = two_eas();
  for (size_t n = 0; n < two.size(); ++n) {
    std::vector<uint8_t> cut(two.begin(), two.begin() + static_cast<long>(n));
    EXPECT_TRUE(inconsistent(cut)) << "prefix " << n;
  }
  auto noname = ea_entry(0, "", "v", 0);
  EXPECT_TRUE(inconsistent(noname));
  auto unterminated = ea_entry(0, "NAME", "value", 0);
  unterminated[8 + 4] = 'X';  // the NUL after the name
  EXPECT_TRUE(inconsistent(unterminated));
  auto longvalue = ea_entry(0, "NAME", "value", 0);
  st16(longvalue.data() + 6, 6);  // one byte more than there is
  EXPECT_TRUE(inconsistent(longvalue));
  auto longname = ea_entry(0, "NAME", "value", 0);
  longname[5] = 200;
  EXPECT_TRUE(inconsistent(longname));

  auto misaligned = two;
  st32(misaligned.data(), ld32(misaligned.data()) + 2);  // inside the list, not 4-aligned
  EXPECT_TRUE(inconsistent(misaligned));
  auto overlapping = two;
  st32(overlapping.data(), 4);  // next entry inside this one
  EXPECT_TRUE(inconsistent(overlapping));
  auto past_end = two;
  st32(past_end.data(), static_cast<uint32_t>(two.size() + 4));
  EXPECT_TRUE(inconsistent(past_end));
  // NextEntryOffset pointing exactly at the end: no room for the entry.
  auto at_end = ea_entry(0, "ABC", "1234", 0);  // 16 bytes
  ASSERT_EQ(at_end.size() % 4, 0u);
  st32(at_end.data(), static_cast<uint32_t>(at_end.size()));
  EXPECT_TRUE(inconsistent(at_end));
  auto huge = two;
  st32(huge.data(), 0xFFFFFFFC);
  EXPECT_TRUE(inconsistent(huge));
}

}  // namespace
