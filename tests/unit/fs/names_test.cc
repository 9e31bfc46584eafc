// fs/names.h: client path mapping (MS-FSCC 2.1.5), stream suffixes
// (2.1.5.1), case-insensitive comparison and search expressions (MS-FSA
// 2.1.4.4, FsRtlIsNameInExpression semantics).
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "fs/names.h"

using namespace ringsmb::fs;
using ringsmb::wire::to_upper;

namespace {

ClientPath map_ok(std::string_view in) {
  ClientPath p;
  NameError e = map_client_path(in, &p);
  EXPECT_EQ(e, NameError::None) << "input: " << in;
  return p;
}
NameError map_err(std::string_view in) {
  ClientPath p;
  return map_client_path(in, &p);
}

// ---------------------------------------------------------- map_client_path

TEST(MapClientPath, Separators) {
  auto p = map_ok("dir\\sub\\file.txt");
  EXPECT_EQ(p.rel, "dir/sub/file.txt");
  EXPECT_EQ(p.stream, "");
  EXPECT_FALSE(p.trailing_separator);
  EXPECT_EQ(map_ok("file").rel, "file");
  EXPECT_EQ(map_ok("\xC3\x84rger\\\xC3\xB6l").rel, "\xC3\x84rger/\xC3\xB6l");
  EXPECT_EQ(map_ok("a b\\c d").rel, "a b/c d");
}

TEST(MapClientPath, ShareRoot) {
  auto p = map_ok("");
  EXPECT_EQ(p.rel, "");
  EXPECT_FALSE(p.trailing_separator);
}

TEST(MapClientPath, TrailingBackslash) {
  auto p = map_ok("dir\\sub\\");
  EXPECT_EQ(p.rel, "dir/sub");
  EXPECT_TRUE(p.trailing_separator);
  auto q = map_ok("dir\\");
  EXPECT_EQ(q.rel, "dir");
  EXPECT_TRUE(q.trailing_separator);
  // Only one trailing separator is forgiven: "dir\\\\" has an empty component.
  EXPECT_EQ(map_err("dir\\\\"), NameError::Invalid);
}

TEST(MapClientPath, EmptyComponentsInvalid) {
  EXPECT_EQ(map_err("a\\\\b"), NameError::Invalid);
  EXPECT_EQ(map_err("\\a"), NameError::Invalid);
}

TEST(MapClientPath, DotComponents) {
  EXPECT_EQ(map_err("."), NameError::Invalid);
  EXPECT_EQ(map_err("a\\.\\b"), NameError::Invalid);
  EXPECT_EQ(map_err("a\\."), NameError::Invalid);
  EXPECT_EQ(map_err(".\\a"), NameError::Invalid);
  EXPECT_EQ(map_err(".."), NameError::DotDot);
  EXPECT_EQ(map_err("..\\x"), NameError::DotDot);
  EXPECT_EQ(map_err("a\\..\\b"), NameError::DotDot);
  EXPECT_EQ(map_err("a\\.."), NameError::DotDot);
  EXPECT_EQ(map_err("a\\..\\"), NameError::DotDot);
  EXPECT_EQ(map_err("..:s"), NameError::DotDot);
  // Names that merely contain dots are fine.
  EXPECT_EQ(map_ok("...").rel, "...");
  EXPECT_EQ(map_ok("..a").rel, "..a");
  EXPECT_EQ(map_ok("a..\\.b").rel, "a../.b");
  EXPECT_EQ(map_ok(".hidden").rel, ".hidden");
}

TEST(MapClientPath, InvalidCharacters) {
  for (char c : std::string("\"*/<>?|")) {
    std::string s = std::string("a") + c + "b";
    EXPECT_EQ(map_err(s), NameError::Invalid) << "char " << c;
    EXPECT_EQ(map_err("dir\\" + s), NameError::Invalid) << "char " << c;
  }
  for (int c = 1; c < 0x20; ++c) {
    std::string s = "x";
    s.push_back(static_cast<char>(c));
    EXPECT_EQ(map_err(s), NameError::Invalid) << "control " << c;
  }
  EXPECT_EQ(map_err(std::string("a\0b", 3)), NameError::Invalid);
  // Characters NTFS accepts.
  EXPECT_EQ(map_ok("a+b,c;d=e[f]g'h!#$%&()@^_`{}~").rel, "a+b,c;d=e[f]g'h!#$%&()@^_`{}~");
}

TEST(MapClientPath, Streams) {
  auto a = map_ok("file:s");
  EXPECT_EQ(a.rel, "file");
  EXPECT_EQ(a.stream, "s");
  auto b = map_ok("file:s:$DATA");
  EXPECT_EQ(b.rel, "file");
  EXPECT_EQ(b.stream, "s");
  auto c = map_ok("file:Stream Name:$data");  // the type is case-insensitive
  EXPECT_EQ(c.stream, "Stream Name");
  auto d = map_ok("file::$DATA");  // the unnamed stream is the file itself
  EXPECT_EQ(d.rel, "file");
  EXPECT_EQ(d.stream, "");
  EXPECT_TRUE(d.unnamed_data);
  EXPECT_FALSE(d.index);
  EXPECT_FALSE(b.unnamed_data);
  // A directory's index is the directory (MS-FSCC 2.1.5.1).
  for (const char* n : {"dir::$INDEX_ALLOCATION", "dir:$I30:$INDEX_ALLOCATION", "dir:$i30:$index_allocation"}) {
    auto x = map_ok(n);
    EXPECT_EQ(x.rel, "dir") << n;
    EXPECT_EQ(x.stream, "") << n;
    EXPECT_TRUE(x.index) << n;
  }
  // Control characters are valid in stream names (smbtorture smb2.streams.names2).
  EXPECT_EQ(map_ok("file:Stream\x01").stream, "Stream\x01");
  EXPECT_EQ(map_ok("file:s\x1f:$DATA").stream, "s\x1f");
  auto e = map_ok("dir\\sub\\file.txt:zone.identifier");
  EXPECT_EQ(e.rel, "dir/sub/file.txt");
  EXPECT_EQ(e.stream, "zone.identifier");
}

TEST(MapClientPath, BadStreams) {
  EXPECT_EQ(map_err("file:s:$BAD"), NameError::Invalid);
  EXPECT_EQ(map_err("file:s:$INDEX_ALLOCATION"), NameError::Invalid);
  EXPECT_EQ(map_err("file::$BAD"), NameError::Invalid);
  EXPECT_EQ(map_err("file:s:"), NameError::Invalid);
  EXPECT_EQ(map_err("file:"), NameError::Invalid);
  EXPECT_EQ(map_err("file:a:b:$DATA"), NameError::Invalid);
  EXPECT_EQ(map_err("file:s\\x"), NameError::Invalid);
  EXPECT_EQ(map_err("file:s/x"), NameError::Invalid);
  EXPECT_EQ(map_err(std::string("file:s\0x", 8)), NameError::Invalid);
  EXPECT_EQ(map_err("file:$I31:$INDEX_ALLOCATION"), NameError::Invalid);
  EXPECT_EQ(map_err("fi*le:s"), NameError::Invalid);  // the file part is still checked
  EXPECT_EQ(map_err("file:" + std::string(256, 's')), NameError::TooLong);
  EXPECT_EQ(map_ok("file:" + std::string(255, 's')).stream, std::string(255, 's'));
}

TEST(MapClientPath, TooLong) {
  const std::string c255(255, 'c'), c256(256, 'c');
  EXPECT_EQ(map_ok(c255).rel, c255);
  EXPECT_EQ(map_err(c256), NameError::TooLong);
  EXPECT_EQ(map_err("dir\\" + c256 + "\\x"), NameError::TooLong);
  // 255 bytes of UTF-8 is the limit, not 255 characters.
  std::string umlauts;
  for (int i = 0; i < 128; ++i) umlauts += "\xC3\xA4";  // 256 bytes
  EXPECT_EQ(map_err(umlauts), NameError::TooLong);
  // Whole path: 4095 bytes fit, 4096 do not.
  std::string path;
  while (path.size() + 101 <= 4095) path += std::string(100, 'p') + "\\";
  path += std::string(4095 - path.size(), 'q');
  ASSERT_EQ(path.size(), 4095u);
  EXPECT_EQ(map_err(path), NameError::None);
  EXPECT_EQ(map_err(path + "q"), NameError::TooLong);
}

TEST(MapClientPath, OutputResetBetweenCalls) {
  ClientPath p;
  ASSERT_EQ(map_client_path("a\\b:s", &p), NameError::None);
  ASSERT_EQ(p.stream, "s");
  ASSERT_EQ(map_client_path("c\\", &p), NameError::None);
  EXPECT_EQ(p.rel, "c");
  EXPECT_EQ(p.stream, "");
  EXPECT_TRUE(p.trailing_separator);
  ASSERT_EQ(map_client_path("d", &p), NameError::None);
  EXPECT_EQ(p.rel, "d");
  EXPECT_FALSE(p.trailing_separator);
}

TEST(SplitParent, Cases) {
  auto [p1, l1] = split_parent("a/b/c");
  EXPECT_EQ(p1, "a/b");
  EXPECT_EQ(l1, "c");
  auto [p2, l2] = split_parent("c");
  EXPECT_EQ(p2, "");
  EXPECT_EQ(l2, "c");
  auto [p3, l3] = split_parent("");
  EXPECT_EQ(p3, "");
  EXPECT_EQ(l3, "");
}

// ------------------------------------------------------------ case folding

TEST(EqualCi, AsciiAndUnicode) {
  EXPECT_TRUE(equal_ci("readme.TXT", "README.txt"));
  EXPECT_TRUE(equal_ci("", ""));
  EXPECT_FALSE(equal_ci("a", "ab"));
  EXPECT_FALSE(equal_ci("ab", "a"));
  EXPECT_FALSE(equal_ci("a", "b"));
  EXPECT_TRUE(equal_ci("\xC3\x84", "\xC3\xA4"));                  // Ä ä
  EXPECT_TRUE(equal_ci("\xC3\x89t\xC3\xA9", "\xC3\xA9T\xC3\x89"));  // Été éTÉ
  EXPECT_TRUE(equal_ci("\xCE\xA3", "\xCF\x83"));                   // Σ σ
  EXPECT_TRUE(equal_ci("\xD0\x94", "\xD0\xB4"));                   // Д д
  EXPECT_FALSE(equal_ci("\xC3\x84", "A"));                         // Ä is not A
  EXPECT_TRUE(equal_ci("\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80"));   // emoji, no case
  EXPECT_FALSE(equal_ci("[", "{"));  // 0x5B/0x7B differ by 0x20 but are not letters
  EXPECT_FALSE(equal_ci("@", "`"));
}

TEST(Fold, UpperCases) {
  EXPECT_EQ(fold("abcXYZ09."), U"ABCXYZ09.");
  EXPECT_EQ(fold("\xC3\xA4\xC3\xB6\xC3\xBC"), U"\u00C4\u00D6\u00DC");
  EXPECT_EQ(fold(""), U"");
}

TEST(ToUpper, Utf8UpperCase) {
  EXPECT_EQ(to_upper("readme.txt"), "README.TXT");
  EXPECT_EQ(to_upper("\xC3\xA4\xC3\xB6\xC3\xBC\xC3\x9F"), "\xC3\x84\xC3\x96\xC3\x9C\xC3\x9F");
  EXPECT_EQ(to_upper("\xF0\x9F\x98\x80x"), "\xF0\x9F\x98\x80X");
  EXPECT_EQ(to_upper(""), "");
}

TEST(FoldKey, CollidesExactlyForCaseVariants) {
  EXPECT_EQ(fold_key("Readme.TXT"), fold_key("README.txt"));
  EXPECT_EQ(fold_key("abc"), "ABC");
  EXPECT_EQ(fold_key("\xC3\x84pfel"), fold_key("\xC3\xA4PFEL"));
  EXPECT_NE(fold_key("a"), fold_key("b"));
  EXPECT_NE(fold_key("\xC3\x84"), fold_key("A"));
  EXPECT_NE(fold_key("\xC3\x84"), fold_key("\xC3\x96"));
  EXPECT_NE(fold_key("ab"), fold_key("a"));
}

// ------------------------------------------------------------- short names

bool valid83(const std::string& s) {
  size_t dot = s.find('.');
  std::string base = s.substr(0, dot);
  std::string ext = dot == std::string::npos ? "" : s.substr(dot + 1);
  if (base.empty() || base.size() > 8 || ext.size() > 3) return false;
  if (ext.find('.') != std::string::npos) return false;
  for (char c : base + ext) {
    if (c >= 'a' && c <= 'z') return false;
    if (static_cast<unsigned char>(c) >= 0x80 || c == ' ' || c == '.') return false;
  }
  return true;
}

TEST(ShortName, AlreadyEightDotThree) {
  EXPECT_EQ(short_name("readme.txt"), "README.TXT");
  EXPECT_EQ(short_name("README.TXT"), "README.TXT");
  EXPECT_EQ(short_name("noext"), "NOEXT");
  EXPECT_EQ(short_name("12345678.abc"), "12345678.ABC");
  EXPECT_EQ(short_name("a.b"), "A.B");
}

TEST(ShortName, Generated) {
  EXPECT_EQ(short_name("longfilename.text"), "LONGFI~1.TEX");
  EXPECT_EQ(short_name("toolongname"), "TOOLON~1");
  EXPECT_EQ(short_name("file.html"), "FILE~1.HTM");
  EXPECT_EQ(short_name("a b.txt"), "AB~1.TXT");
  EXPECT_EQ(short_name("a+b.txt"), "AB~1.TXT");
  EXPECT_EQ(short_name("a.b.c"), "AB~1.C");
  EXPECT_EQ(short_name("\xC3\xBC" "ber.txt"), "BER~1.TXT");
  EXPECT_EQ(short_name("123456789"), "123456~1");
}

TEST(ShortName, DotEntriesHaveNone) {
  EXPECT_EQ(short_name("."), "");
  EXPECT_EQ(short_name(".."), "");
}

TEST(ShortName, AlwaysValid83) {
  for (const char* n : {".bashrc", "x.", "...", "    ", "a.verylongextension", "\xE2\x82\xAC",
                        "name with spaces and.dots.in.it", "UPPER.lower", "~tmp.x", ".a.b",
                        "a\xC3\xA4\xC3\xA4\xC3\xA4\xC3\xA4\xC3\xA4\xC3\xA4\xC3\xA4.txt"}) {
    std::string s = short_name(n);
    EXPECT_TRUE(valid83(s)) << n << " -> " << s;
  }
}

// ------------------------------------------------------ search expressions

bool m(std::string_view expr, std::string_view name) { return Pattern(expr).matches(name); }

TEST(Pattern, MatchAllForms) {
  EXPECT_TRUE(Pattern("*").match_all());
  EXPECT_TRUE(Pattern("").match_all());
  EXPECT_FALSE(Pattern("*.*").match_all());
  EXPECT_TRUE(m("*", ""));
  EXPECT_TRUE(m("*", "anything.at.all"));
  EXPECT_TRUE(m("", "x"));
}

TEST(Pattern, HasWildcards) {
  EXPECT_FALSE(Pattern("plain.txt").has_wildcards());
  for (const char* e : {"*", "a?", "<.x", "a>", "a\""}) EXPECT_TRUE(Pattern(e).has_wildcards()) << e;
}

TEST(Pattern, LiteralIsCaseInsensitive) {
  EXPECT_TRUE(m("ReadMe.txt", "README.TXT"));
  EXPECT_TRUE(m("readme.txt", "readme.txt"));
  EXPECT_FALSE(m("readme.txt", "readme.txt2"));
  EXPECT_FALSE(m("readme.txt", "readme.tx"));
  EXPECT_TRUE(m("\xC3\x84rger", "\xC3\xA4RGER"));  // Ärger / äRGER
  EXPECT_TRUE(m("\xC3\xA4*", "\xC3\x84pfel"));     // ä* / Äpfel
  EXPECT_FALSE(m("\xC3\xA4*", "Apfel"));
}

TEST(Pattern, Star) {
  EXPECT_TRUE(m("*.txt", "a.txt"));
  EXPECT_TRUE(m("*.txt", ".txt"));
  EXPECT_TRUE(m("*.txt", "a.b.TXT"));
  EXPECT_FALSE(m("*.txt", "a.txtx"));
  EXPECT_FALSE(m("*.txt", "atxt"));
  EXPECT_TRUE(m("a*", "a"));
  EXPECT_FALSE(m("a*", ""));
  EXPECT_TRUE(m("*a*b*", "xxaxxbxx"));
  EXPECT_FALSE(m("*a*b*", "xxbxxaxx"));
  EXPECT_TRUE(m("**", ""));
  EXPECT_TRUE(m("*.*", "noext.") );
  EXPECT_TRUE(m("*.*", "a.b"));
  EXPECT_FALSE(m("*.*", "noext"));  // '*' is not DOS: a dot is required
}

TEST(Pattern, QuestionMark) {
  EXPECT_TRUE(m("a?c", "abc"));
  EXPECT_TRUE(m("a?c", "a.c"));
  EXPECT_FALSE(m("a?c", "ac"));
  EXPECT_FALSE(m("a?c", "abbc"));
  EXPECT_TRUE(m("???", "\xC3\xA4\xC3\xB6\xC3\xBC"));  // characters, not bytes
  EXPECT_FALSE(m("??", "\xC3\xA4\xC3\xB6\xC3\xBC"));
  EXPECT_TRUE(m("?", "\xF0\x9F\x98\x80"));
}

TEST(Pattern, DosStar) {
  // '<' matches up to, not past, the last dot.
  EXPECT_TRUE(m("<.txt", "a.txt"));
  EXPECT_TRUE(m("<.txt", "a.b.txt"));  // earlier dots may be eaten
  EXPECT_TRUE(m("<.TXT", ".txt"));
  EXPECT_FALSE(m("<.txt", "a.txtx"));
  EXPECT_TRUE(m("<", "noext"));
  EXPECT_FALSE(m("<", "a.txt"));       // cannot eat the final dot
  EXPECT_FALSE(m("<", "a."));
  EXPECT_TRUE(m("<.", "a."));
  EXPECT_FALSE(m("<c", "a.b.c"));
  EXPECT_TRUE(m("<.c", "a.b.c"));
  EXPECT_TRUE(m("<\"*", "a.txt"));     // "*.*" as a DOS client sends it
  EXPECT_TRUE(m("<\"*", "noext"));
}

// Regression: DOS_STAR after the last dot could only match the empty
// string. In the MS-FSA 2.1.4.4 algorithm it refuses only to pass the final
// '.', so after that dot it matches the rest of the name.
TEST(Pattern, DosStarAfterLastDot) {
  EXPECT_TRUE(m("a.<", "a.txt"));
  EXPECT_TRUE(m("<.<", "a.b"));
  EXPECT_TRUE(m("<.t<", "a.txt"));
  EXPECT_TRUE(m("*.<", "x.y.zz"));
}

TEST(Pattern, DosQm) {
  // '>' matches one character, or nothing at a dot or at the end.
  EXPECT_TRUE(m("a>", "a"));
  EXPECT_TRUE(m("a>", "ab"));
  EXPECT_FALSE(m("a>", "abc"));
  EXPECT_TRUE(m("ab>.txt", "ab.txt"));
  EXPECT_TRUE(m("ab>.txt", "abc.txt"));
  EXPECT_FALSE(m("ab>.txt", "abcd.txt"));
  // "????????.???" as DOS clients translate it.
  const char* eight3 = ">>>>>>>>\">>>";
  EXPECT_TRUE(m(eight3, "readme.txt"));
  EXPECT_TRUE(m(eight3, "a.b"));
  EXPECT_TRUE(m(eight3, "abc"));
  EXPECT_TRUE(m(eight3, "abcdefgh.ijk"));
  EXPECT_FALSE(m(eight3, "abcdefghi.txt"));
  EXPECT_FALSE(m(eight3, "abc.defg"));
}

TEST(Pattern, DosDot) {
  // '"' matches a dot, or nothing at the end of the name.
  EXPECT_TRUE(m("a\"", "a"));
  EXPECT_TRUE(m("a\"", "a."));
  EXPECT_FALSE(m("a\"", "ab"));
  EXPECT_TRUE(m("a\"b", "a.b"));
  EXPECT_FALSE(m("a\"b", "ab"));
  EXPECT_TRUE(m("readme\"*", "README"));
  EXPECT_TRUE(m("readme\"*", "readme.md"));
}

TEST(Pattern, NoBacktrackingBlowUp) {
  std::string name(4000, 'a');
  std::string expr;
  for (int i = 0; i < 40; ++i) expr += "*a";
  expr += "*b";
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(m(expr, name));
  EXPECT_TRUE(m(expr, name + "b"));
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::steady_clock::now() - t0)
                .count();
  EXPECT_LT(ms, 5000);
}

}  // namespace
