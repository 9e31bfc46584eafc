// fs/share.h and fs/dir.h against a temporary directory: opening beneath
// the root only, case-insensitive lookup, create/unlink/rename, DOS
// metadata, the FSCC view of statx, directory listings.
#include <gtest/gtest.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/statfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <fstream>
#include <set>

#include "../test_util.h"
#include "fs/dir.h"
#include "fs/ea.h"
#include "fs/names.h"
#include "fs/share.h"

using namespace ringsmb;
using ringsmb::testing::TempDir;
using ringsmb::testing::TestRing;

namespace {

void write_file(const std::string& path, std::string_view content) {
  std::ofstream f(path, std::ios::binary);
  f << content;
}
bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

bool user_xattrs_work(const std::string& dir) {
  std::string p = dir + "/.xattr-probe";
  write_file(p, "");
  bool ok = setxattr(p.c_str(), "user.probe", "1", 1, 0) == 0;
  ::unlink(p.c_str());
  return ok;
}

class ShareTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(tmp.path().empty());
    root = tmp / "root";
    ASSERT_EQ(::mkdir(root.c_str(), 0755), 0);
    ASSERT_EQ(::mkdir((root + "/sub").c_str(), 0755), 0);
    write_file(root + "/sub/f", "hello world");
    write_file(root + "/.hidden", "h");
    write_file(tmp / "outside", "secret");
    int err = -1;
    share = fs::Share::open(root, false, &err);
    ASSERT_NE(share, nullptr);
    ASSERT_EQ(err, 0);
  }
  std::shared_ptr<fs::Share> cs_share() {
    int err = -1;
    auto s = fs::Share::open(root, true, &err);
    EXPECT_EQ(err, 0);
    return s;
  }
  TempDir tmp;
  std::string root;
  std::shared_ptr<fs::Share> share;
  TestRing ring;
};

std::string realpath_of(const std::string& p) {
  char buf[PATH_MAX];
  return ::realpath(p.c_str(), buf) ? std::string(buf) : std::string();
}

std::string read_fd(int fd) {
  char buf[256];
  ssize_t n = ::pread(fd, buf, sizeof(buf), 0);
  return n < 0 ? std::string() : std::string(buf, static_cast<size_t>(n));
}

// -------------------------------------------------------------------- open

TEST_F(ShareTest, OpenCanonicalRoot) {
  EXPECT_GE(share->root_fd(), 0);
  EXPECT_EQ(share->root(), realpath_of(root));
  // Through a symlink: the canonical path is kept.
  std::string link = tmp / "rootlink";
  ASSERT_EQ(::symlink(root.c_str(), link.c_str()), 0);
  int err = -1;
  auto s = fs::Share::open(link, false, &err);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->root(), realpath_of(root));
  EXPECT_EQ(s->volume_serial(), share->volume_serial());
  EXPECT_EQ(share->xattrs(), user_xattrs_work(root));
}

TEST_F(ShareTest, OpenFailures) {
  int err = 0;
  EXPECT_EQ(fs::Share::open(tmp / "missing", false, &err), nullptr);
  EXPECT_EQ(err, ENOENT);
  err = 0;
  EXPECT_EQ(fs::Share::open(tmp / "outside", false, &err), nullptr);
  EXPECT_EQ(err, ENOTDIR);
}

TEST_F(ShareTest, VolumeSerialDiffersPerRoot) {
  ASSERT_EQ(::mkdir((tmp / "other").c_str(), 0755), 0);
  int err = -1;
  auto o = fs::Share::open(tmp / "other", false, &err);
  ASSERT_NE(o, nullptr);
  EXPECT_NE(o->volume_serial(), share->volume_serial());
}

// ---------------------------------------------------------- open_existing

TEST_F(ShareTest, OpenExistingExact) {
  auto o = ring.run(share->open_existing("sub/f", O_RDONLY));
  ASSERT_GE(o.fd, 0) << strerror(o.err);
  EXPECT_EQ(o.err, 0);
  EXPECT_EQ(o.path, "sub/f");
  EXPECT_FALSE(o.is_dir);
  EXPECT_EQ(read_fd(o.fd), "hello world");
  ::close(o.fd);

  auto r = ring.run(share->open_existing("", O_RDONLY));
  ASSERT_GE(r.fd, 0);
  EXPECT_TRUE(r.is_dir);
  ::close(r.fd);
}

TEST_F(ShareTest, OpenExistingCaseInsensitive) {
  auto o = ring.run(share->open_existing("SUB/F", O_RDONLY));
  ASSERT_GE(o.fd, 0) << strerror(o.err);
  EXPECT_EQ(o.path, "sub/f");
  EXPECT_EQ(read_fd(o.fd), "hello world");
  ::close(o.fd);

  auto cs = cs_share();
  auto c = ring.run(cs->open_existing("SUB/F", O_RDONLY));
  EXPECT_LT(c.fd, 0);
  EXPECT_EQ(c.err, ENOENT);
}

TEST_F(ShareTest, OpenExistingMissing) {
  auto a = ring.run(share->open_existing("sub/missing", O_RDONLY));
  EXPECT_LT(a.fd, 0);
  EXPECT_EQ(a.err, ENOENT);
  EXPECT_FALSE(a.parent_missing);

  auto b = ring.run(share->open_existing("nodir/missing", O_RDONLY));
  EXPECT_LT(b.fd, 0);
  EXPECT_EQ(b.err, ENOENT);
  EXPECT_TRUE(b.parent_missing);

  auto cs = cs_share();
  auto c = ring.run(cs->open_existing("nodir/missing", O_RDONLY));
  EXPECT_EQ(c.err, ENOENT);
  EXPECT_TRUE(c.parent_missing);
  auto d = ring.run(cs->open_existing("sub/missing", O_RDONLY));
  EXPECT_EQ(d.err, ENOENT);
  EXPECT_FALSE(d.parent_missing);
  // A file used as a directory: the "parent" is not a directory.
  auto e = ring.run(cs->open_existing("sub/f/x", O_RDONLY));
  EXPECT_EQ(e.err, ENOENT);
  EXPECT_TRUE(e.parent_missing);
}

TEST_F(ShareTest, DirectoryOpenedForWriteIsReopened) {
  auto o = ring.run(share->open_existing("sub", O_RDWR));
  ASSERT_GE(o.fd, 0) << strerror(o.err);
  EXPECT_TRUE(o.is_dir);
  EXPECT_EQ(fcntl(o.fd, F_GETFL) & O_ACCMODE, O_RDONLY);
  ::close(o.fd);
}

TEST_F(ShareTest, NothingOutsideTheRoot) {
  auto up = ring.run(share->open_existing("../outside", O_RDONLY));
  EXPECT_LT(up.fd, 0);
  EXPECT_NE(up.err, 0);
  ASSERT_EQ(::symlink((tmp / "outside").c_str(), (root + "/abs").c_str()), 0);
  ASSERT_EQ(::symlink("../outside", (root + "/rel").c_str()), 0);
  for (const char* p : {"abs", "rel", "ABS"}) {
    auto o = ring.run(share->open_existing(p, O_RDONLY));
    EXPECT_LT(o.fd, 0) << p;
    EXPECT_NE(o.err, 0) << p;
  }
  // A symlink that stays inside is followed.
  ASSERT_EQ(::symlink("sub/f", (root + "/inside").c_str()), 0);
  auto in = ring.run(share->open_existing("inside", O_RDONLY));
  ASSERT_GE(in.fd, 0) << strerror(in.err);
  EXPECT_EQ(read_fd(in.fd), "hello world");
  ::close(in.fd);
  // /proc magic links are refused too.
  auto magic = ring.run(share->open_existing("../../../../proc/self/root/etc/passwd", O_RDONLY));
  EXPECT_LT(magic.fd, 0);
}

// ------------------------------------------------------- create and remove

TEST_F(ShareTest, CreateFile) {
  auto o = ring.run(share->create_file("sub/new", O_RDWR, 0644));
  ASSERT_GE(o.fd, 0) << strerror(o.err);
  EXPECT_EQ(o.path, "sub/new");
  ASSERT_EQ(::write(o.fd, "x", 1), 1);
  ::close(o.fd);
  EXPECT_TRUE(exists(root + "/sub/new"));

  auto again = ring.run(share->create_file("sub/new", O_RDWR, 0644));
  EXPECT_LT(again.fd, 0);
  EXPECT_EQ(again.err, EEXIST);

  auto nop = ring.run(share->create_file("nodir/new", O_RDWR, 0644));
  EXPECT_EQ(nop.err, ENOENT);
  EXPECT_TRUE(nop.parent_missing);

  auto esc = ring.run(share->create_file("../escape", O_RDWR, 0644));
  EXPECT_LT(esc.fd, 0);
  EXPECT_FALSE(exists(tmp / "escape"));
}

TEST_F(ShareTest, CreateDir) {
  auto o = ring.run(share->create_dir("sub/d2", 0755));
  ASSERT_GE(o.fd, 0) << strerror(o.err);
  EXPECT_TRUE(o.is_dir);
  ::close(o.fd);
  struct stat st {};
  ASSERT_EQ(::stat((root + "/sub/d2").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  auto again = ring.run(share->create_dir("sub/d2", 0755));
  EXPECT_EQ(again.err, EEXIST);
  auto nop = ring.run(share->create_dir("nodir/d", 0755));
  EXPECT_EQ(nop.err, ENOENT);
  EXPECT_TRUE(nop.parent_missing);
}

TEST_F(ShareTest, Unlink) {
  write_file(root + "/sub/gone", "");
  EXPECT_EQ(ring.run(share->unlink("sub/gone", false)), 0);
  EXPECT_FALSE(exists(root + "/sub/gone"));
  ASSERT_EQ(::mkdir((root + "/sub/dgone").c_str(), 0755), 0);
  EXPECT_EQ(ring.run(share->unlink("sub/dgone", true)), 0);
  EXPECT_FALSE(exists(root + "/sub/dgone"));
  EXPECT_EQ(ring.run(share->unlink("sub/missing", false)), -ENOENT);
  EXPECT_EQ(ring.run(share->unlink("", false)), -EINVAL);
  EXPECT_EQ(ring.run(share->unlink("sub", false)), -EISDIR);
  EXPECT_EQ(ring.run(share->unlink("sub", true)), -ENOTEMPTY);
}

TEST_F(ShareTest, Rename) {
  EXPECT_EQ(ring.run(share->rename("sub/f", "sub/g", false)), 0);
  EXPECT_FALSE(exists(root + "/sub/f"));
  EXPECT_TRUE(exists(root + "/sub/g"));
  write_file(root + "/other", "o");
  EXPECT_EQ(ring.run(share->rename("other", "sub/g", false)), -EEXIST);
  EXPECT_TRUE(exists(root + "/other"));
  EXPECT_EQ(ring.run(share->rename("other", "sub/g", true)), 0);
  EXPECT_FALSE(exists(root + "/other"));
  EXPECT_EQ(ring.run(share->rename("", "x", false)), -EINVAL);
  EXPECT_EQ(ring.run(share->rename("sub/g", "", false)), -EINVAL);
  EXPECT_NE(ring.run(share->rename("sub/g", "nodir/x", false)), 0);
}

// ------------------------------------------------------------------ lookup

TEST_F(ShareTest, Lookup) {
  auto r = ring.run(share->lookup(""));
  EXPECT_EQ(r.err, 0);
  EXPECT_TRUE(S_ISDIR(r.stx.stx_mode));

  auto f = ring.run(share->lookup("sub/f"));
  EXPECT_EQ(f.err, 0);
  EXPECT_EQ(f.path, "sub/f");
  EXPECT_EQ(f.stx.stx_size, 11u);

  auto ci = ring.run(share->lookup("Sub/F"));
  EXPECT_EQ(ci.err, 0);
  EXPECT_EQ(ci.path, "sub/f");
  EXPECT_EQ(ci.stx.stx_size, 11u);

  auto miss = ring.run(share->lookup("sub/none"));
  EXPECT_EQ(miss.err, ENOENT);
  EXPECT_FALSE(miss.parent_missing);

  auto pmiss = ring.run(share->lookup("none/x"));
  EXPECT_EQ(pmiss.err, ENOENT);
  EXPECT_TRUE(pmiss.parent_missing);

  auto cs = cs_share();
  EXPECT_EQ(ring.run(cs->lookup("Sub/F")).err, ENOENT);
  EXPECT_EQ(ring.run(cs->lookup("sub/f")).err, 0);

  // Symlinks are not followed by lookup.
  ASSERT_EQ(::symlink("/etc", (root + "/lnk").c_str()), 0);
  auto l = ring.run(share->lookup("lnk"));
  EXPECT_EQ(l.err, 0);
  EXPECT_TRUE(S_ISLNK(l.stx.stx_mode));
}

TEST_F(ShareTest, FindNameCi) {
  write_file(root + "/Abc", "1");
  write_file(root + "/abc", "2");
  int d = share->root_fd();
  EXPECT_EQ(fs::find_name_ci(d, "abc"), "abc");  // an exact match wins
  EXPECT_EQ(fs::find_name_ci(d, "Abc"), "Abc");
  std::string any = fs::find_name_ci(d, "ABC");
  EXPECT_TRUE(any == "abc" || any == "Abc") << any;
  EXPECT_EQ(fs::find_name_ci(d, "SUB"), "sub");
  EXPECT_EQ(fs::find_name_ci(d, "nothing"), "");
  EXPECT_EQ(fs::find_name_ci(d, "."), "");
  EXPECT_EQ(fs::find_name_ci(-1, "sub"), "");
}

// ------------------------------------------------------------- path_of_fd

TEST_F(ShareTest, PathOfFd) {
  std::string rel = "junk";
  ASSERT_EQ(share->path_of_fd(share->root_fd(), &rel), 0);
  EXPECT_EQ(rel, "");
  int fd = ::open((root + "/sub/f").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(share->path_of_fd(fd, &rel), 0);
  EXPECT_EQ(rel, "sub/f");
  // Follows renames.
  ASSERT_EQ(::rename((root + "/sub/f").c_str(), (root + "/moved").c_str()), 0);
  ASSERT_EQ(share->path_of_fd(fd, &rel), 0);
  EXPECT_EQ(rel, "moved");
  // Deleted: gone.
  ASSERT_EQ(::unlink((root + "/moved").c_str()), 0);
  EXPECT_EQ(share->path_of_fd(fd, &rel), -ENOENT);
  ::close(fd);
}

TEST_F(ShareTest, PathOfFdOutsideRoot) {
  std::string rel;
  int out = ::open((tmp / "outside").c_str(), O_RDONLY);
  ASSERT_GE(out, 0);
  EXPECT_EQ(share->path_of_fd(out, &rel), -EXDEV);
  ::close(out);
  // A sibling whose name starts with the root's name is not inside it.
  std::string sib = root + "2";
  ASSERT_EQ(::mkdir(sib.c_str(), 0755), 0);
  write_file(sib + "/x", "");
  int s = ::open((sib + "/x").c_str(), O_RDONLY);
  ASSERT_GE(s, 0);
  EXPECT_EQ(share->path_of_fd(s, &rel), -EXDEV);
  ::close(s);
  EXPECT_LT(share->path_of_fd(9999, &rel), 0);
}

TEST_F(ShareTest, PathOfFdWithFilesystemRootShare) {
  int err = -1;
  auto slash = fs::Share::open("/", false, &err);
  ASSERT_NE(slash, nullptr);
  EXPECT_EQ(slash->root(), "/");
  int fd = ::open((root + "/sub/f").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  std::string rel;
  ASSERT_EQ(slash->path_of_fd(fd, &rel), 0);
  EXPECT_EQ("/" + rel, realpath_of(root + "/sub/f"));
  ::close(fd);
  ASSERT_EQ(slash->path_of_fd(slash->root_fd(), &rel), 0);
  EXPECT_EQ(rel, "");
}

// ------------------------------------------------------------- volume info

TEST_F(ShareTest, VolumeInfo) {
  fs::VolumeInfo v;
  ASSERT_EQ(share->volume_info(&v), 0);
  EXPECT_GT(v.total_bytes, 0u);
  EXPECT_LE(v.free_bytes, v.total_bytes);
  EXPECT_LE(v.free_bytes, v.actual_free_bytes);
  EXPECT_LE(v.actual_free_bytes, v.total_bytes);
  EXPECT_GT(v.block_size, 0u);
  EXPECT_EQ(v.total_bytes % v.block_size, 0u);
  EXPECT_EQ(v.name_max, 255u);
  struct statfs sf {};
  ASSERT_EQ(::statfs(root.c_str(), &sf), 0);
  if (sf.f_type == 0xEF53) {
    EXPECT_EQ(v.fs_type, "ext4");
  }
  if (sf.f_type == 0x01021994) {
    EXPECT_EQ(v.fs_type, "tmpfs");
  }
  EXPECT_FALSE(v.fs_type.empty());
}

// ---------------------------------------------------------- DOS metadata

TEST_F(ShareTest, DosMetaRoundTrip) {
  if (!share->xattrs()) GTEST_SKIP() << "no user xattrs on " << root;
  auto o = ring.run(share->open_existing("sub/f", O_RDWR));
  ASSERT_GE(o.fd, 0);
  fs::DosMeta none = ring.run(share->read_dos(o.fd));
  EXPECT_FALSE(none.present);
  fs::DosMeta m;
  m.present = true;
  m.attributes = wire::attr::HIDDEN | wire::attr::SYSTEM;
  m.create_time = 0x01D0AAAABBBBCCCCull;
  m.change_time = 0x01D1000000000001ull;
  m.change_mtime = 0x01D1000000000002ull;
  ASSERT_EQ(ring.run(share->write_dos(o.fd, m)), 0);
  fs::DosMeta back = ring.run(share->read_dos(o.fd));
  EXPECT_TRUE(back.present);
  EXPECT_EQ(back.attributes, m.attributes);
  EXPECT_EQ(back.create_time, m.create_time);
  EXPECT_EQ(back.change_time, m.change_time);
  EXPECT_EQ(back.change_mtime, m.change_mtime);
  // On-disk layout: 32 bytes, version 2, little-endian.
  uint8_t raw[64];
  ASSERT_EQ(fgetxattr(o.fd, "user.ringsmb.dos", raw, sizeof(raw)), 32);
  EXPECT_EQ(wire::ld32(raw), 2u);
  EXPECT_EQ(wire::ld32(raw + 4), m.attributes);
  EXPECT_EQ(wire::ld64(raw + 8), m.create_time);
  // The same through a directory and a name.
  int sub = ::open((root + "/sub").c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(sub, 0);
  fs::DosMeta at = share->read_dos_at(sub, "f");
  EXPECT_TRUE(at.present);
  EXPECT_EQ(at.create_time, m.create_time);
  EXPECT_FALSE(share->read_dos_at(sub, "nothing").present);
  ::close(sub);
  // A foreign or damaged value is ignored.
  ASSERT_EQ(fsetxattr(o.fd, "user.ringsmb.dos", raw, 31, 0), 0);
  EXPECT_FALSE(ring.run(share->read_dos(o.fd)).present);
  wire::st32(raw, 1);
  ASSERT_EQ(fsetxattr(o.fd, "user.ringsmb.dos", raw, 32, 0), 0);
  EXPECT_FALSE(ring.run(share->read_dos(o.fd)).present);
  ::close(o.fd);
}

TEST_F(ShareTest, StatFd) {
  auto o = ring.run(share->open_existing("sub/f", O_RDONLY));
  ASSERT_GE(o.fd, 0);
  struct statx stx {};
  ASSERT_EQ(ring.run(share->stat_fd(o.fd, &stx)), 0);
  EXPECT_EQ(stx.stx_size, 11u);
  EXPECT_TRUE(S_ISREG(stx.stx_mode));
  ::close(o.fd);
  EXPECT_EQ(ring.run(share->stat_fd(-1, &stx)), -EBADF);
}

// ------------------------------------------------------- FSCC view (pure)

struct statx make_stx(mode_t mode) {
  struct statx s {};
  s.stx_mask = STATX_BASIC_STATS | STATX_BTIME;
  s.stx_mode = static_cast<uint16_t>(mode);
  s.stx_size = 5000;
  s.stx_blocks = 16;
  s.stx_nlink = 2;
  s.stx_ino = 123456;
  s.stx_atime = {1000, 100, 0};
  s.stx_mtime = {2000, 200, 0};
  s.stx_ctime = {3000, 300, 0};
  s.stx_btime = {500, 0, 0};
  return s;
}

TEST_F(ShareTest, FileInfoRegularFile) {
  auto s = make_stx(S_IFREG | 0644);
  wire::FileInfo f = share->file_info(s, fs::DosMeta{}, "file.txt");
  EXPECT_EQ(f.last_access_time, wire::unix_to_filetime(1000, 100));
  EXPECT_EQ(f.last_write_time, wire::unix_to_filetime(2000, 200));
  EXPECT_EQ(f.change_time, wire::unix_to_filetime(3000, 300));
  EXPECT_EQ(f.creation_time, wire::unix_to_filetime(500, 0));
  EXPECT_FALSE(f.directory);
  EXPECT_EQ(f.nlink, 2u);
  EXPECT_EQ(f.file_id, 123456u);
  EXPECT_EQ(f.end_of_file, 5000u);
  EXPECT_EQ(f.allocation_size, 16u * 512);
  EXPECT_EQ(f.attributes, wire::attr::ARCHIVE);
}

TEST_F(ShareTest, FileInfoWithoutBirthTime) {
  auto s = make_stx(S_IFREG | 0644);
  s.stx_mask &= ~STATX_BTIME;
  wire::FileInfo f = share->file_info(s, fs::DosMeta{}, "f");
  EXPECT_EQ(f.creation_time, std::min(f.last_write_time, f.change_time));
}

TEST_F(ShareTest, FileInfoDirectoryAndHidden) {
  auto s = make_stx(S_IFDIR | 0755);
  wire::FileInfo d = share->file_info(s, fs::DosMeta{}, "dir");
  EXPECT_TRUE(d.directory);
  EXPECT_EQ(d.attributes, wire::attr::DIRECTORY);
  EXPECT_EQ(d.end_of_file, 0u);
  EXPECT_EQ(d.allocation_size, 0u);
  wire::FileInfo hd = share->file_info(s, fs::DosMeta{}, ".git");
  EXPECT_EQ(hd.attributes, wire::attr::DIRECTORY | wire::attr::HIDDEN);
  for (const char* n : {".", ".."}) {
    EXPECT_EQ(share->file_info(s, fs::DosMeta{}, n).attributes, wire::attr::DIRECTORY) << n;
  }
  auto r = make_stx(S_IFREG | 0644);
  EXPECT_EQ(share->file_info(r, fs::DosMeta{}, ".profile").attributes,
            wire::attr::ARCHIVE | wire::attr::HIDDEN);
  EXPECT_EQ(share->file_info(r, fs::DosMeta{}, "").attributes, wire::attr::ARCHIVE);
}

TEST_F(ShareTest, FileInfoWithDosMeta) {
  auto s = make_stx(S_IFREG | 0644);
  fs::DosMeta m;
  m.present = true;
  // DIRECTORY and NORMAL and unknown bits are not stored attributes.
  m.attributes = wire::attr::READONLY | wire::attr::SYSTEM | wire::attr::DIRECTORY |
                 wire::attr::NORMAL | 0x10000000;
  m.create_time = 42;
  wire::FileInfo f = share->file_info(s, m, "f");
  EXPECT_EQ(f.attributes, wire::attr::READONLY | wire::attr::SYSTEM);
  EXPECT_EQ(f.creation_time, 42u);
  // Stored attributes of zero mean NORMAL (no ARCHIVE default then).
  m.attributes = 0;
  EXPECT_EQ(share->file_info(s, m, "f").attributes, wire::attr::NORMAL);
  // A directory keeps DIRECTORY whatever is stored.
  auto d = make_stx(S_IFDIR | 0755);
  EXPECT_EQ(share->file_info(d, m, "d").attributes, wire::attr::DIRECTORY);
  // create_time 0: not stored, btime is used.
  m.create_time = 0;
  EXPECT_EQ(share->file_info(s, m, "f").creation_time, wire::unix_to_filetime(500, 0));
}

TEST_F(ShareTest, FileInfoExplicitChangeTime) {
  auto s = make_stx(S_IFREG | 0644);
  fs::DosMeta m;
  m.present = true;
  m.attributes = wire::attr::ARCHIVE;
  m.change_time = 777;
  m.change_mtime = wire::unix_to_filetime(2000, 200);  // the current mtime
  EXPECT_EQ(share->file_info(s, m, "f").change_time, 777u);
  // A later write changed mtime: the stored ChangeTime no longer applies.
  m.change_mtime = wire::unix_to_filetime(1999, 0);
  EXPECT_EQ(share->file_info(s, m, "f").change_time, wire::unix_to_filetime(3000, 300));
  m.change_time = 0;
  m.change_mtime = wire::unix_to_filetime(2000, 200);
  EXPECT_EQ(share->file_info(s, m, "f").change_time, wire::unix_to_filetime(3000, 300));
}

// ------------------------------------------------------------ directories

TEST_F(ShareTest, ListDirectory) {
  write_file(root + "/sub/a", "");
  write_file(root + "/sub/b", "");
  ASSERT_EQ(::mkdir((root + "/sub/c").c_str(), 0755), 0);
  int d = ::open((root + "/sub").c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(d, 0);
  std::vector<fs::DirEntry> out;
  ASSERT_EQ(fs::list_directory(d, &out), 0);
  ASSERT_GE(out.size(), 2u);
  EXPECT_EQ(out[0].name, ".");
  EXPECT_EQ(out[1].name, "..");
  std::set<std::string> names;
  for (size_t i = 2; i < out.size(); ++i) {
    names.insert(out[i].name);
    EXPECT_NE(out[i].ino, 0u);
    if (out[i].name == "c") {
      EXPECT_EQ(out[i].d_type, DT_DIR);
    }
    if (out[i].name == "a") {
      EXPECT_EQ(out[i].d_type, DT_REG);
    }
  }
  EXPECT_EQ(names, (std::set<std::string>{"a", "b", "c", "f"}));
  EXPECT_EQ(out.size(), 6u);
  EXPECT_EQ(::lseek(d, 0, SEEK_CUR), 0);  // the caller's offset is untouched
  ::close(d);
  EXPECT_LT(fs::list_directory(-1, &out), 0);
}

TEST_F(ShareTest, ListLargeDirectory) {
  ASSERT_EQ(::mkdir((root + "/big").c_str(), 0755), 0);
  const int n = 2000;  // more than one 32 KiB getdents64 buffer
  for (int i = 0; i < n; ++i) {
    write_file(root + "/big/file-with-a-fairly-long-name-" + std::to_string(i), "");
  }
  int d = ::open((root + "/big").c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(d, 0);
  std::vector<fs::DirEntry> out;
  ASSERT_EQ(fs::list_directory(d, &out), 0);
  EXPECT_EQ(out.size(), static_cast<size_t>(n) + 2);
  std::set<std::string> uniq;
  for (auto& e : out) uniq.insert(e.name);
  EXPECT_EQ(uniq.size(), out.size());
  ::close(d);
}

TEST_F(ShareTest, StatEntries) {
  ASSERT_EQ(::symlink((tmp / "outside").c_str(), (root + "/sub/escape").c_str()), 0);
  ASSERT_EQ(::symlink("f", (root + "/sub/alias").c_str()), 0);
  ASSERT_EQ(::mkdir((root + "/sub/dir").c_str(), 0755), 0);
  int d = ::open((root + "/sub").c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(d, 0);
  std::vector<fs::DirEntry> entries;
  ASSERT_EQ(fs::list_directory(d, &entries), 0);
  entries.push_back({"vanished", 1, DT_REG});  // listed, then removed
  std::vector<wire::FileInfo> infos;
  std::vector<bool> ok;
  ring.run(fs::stat_entries(*share, d, "sub", entries, &infos, &ok));
  ASSERT_EQ(infos.size(), entries.size());
  ASSERT_EQ(ok.size(), entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string& n = entries[i].name;
    SCOPED_TRACE(n);
    if (n == "escape" || n == "vanished") {
      EXPECT_FALSE(ok[i]);
      continue;
    }
    ASSERT_TRUE(ok[i]);
    if (n == "f" || n == "alias") {
      EXPECT_EQ(infos[i].end_of_file, 11u);  // the link's target
      EXPECT_FALSE(infos[i].directory);
    }
    if (n == "." || n == ".." || n == "dir") {
      EXPECT_TRUE(infos[i].directory);
      EXPECT_NE(infos[i].attributes & wire::attr::DIRECTORY, 0u);
    }
  }
  ::close(d);
}

TEST_F(ShareTest, StatEntriesEaSize) {
  if (!share->xattrs()) GTEST_SKIP() << "no user xattrs";
  ASSERT_EQ(setxattr((root + "/sub/f").c_str(), "user.Color", "blue", 4, 0), 0);
  int d = ::open((root + "/sub").c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(d, 0);
  std::vector<fs::DirEntry> entries;
  ASSERT_EQ(fs::list_directory(d, &entries), 0);
  std::vector<wire::FileInfo> infos;
  std::vector<bool> ok;
  ring.run(fs::stat_entries(*share, d, "sub", entries, &infos, &ok, true));
  std::vector<fs::Ea> eas = {{"Color", {'b', 'l', 'u', 'e'}, 0}};
  bool seen = false;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].name != "f") continue;
    seen = true;
    ASSERT_TRUE(ok[i]);
    EXPECT_EQ(infos[i].ea_size, fs::full_ea_list_size(eas));
  }
  EXPECT_TRUE(seen);
  ::close(d);
}

}  // namespace
