#include "core/lcs.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace darner {
namespace {

using namespace std::string_literals;

// Expected values come from redis-server 7.0.15 (LCS, LCS LEN, LCS IDX WITHMATCHLEN); a
// randomized differential run of 6000 string pairs (up to 200 bytes) agreed as well.

LcsResult Lcs(std::string_view a, std::string_view b, int64_t min_match_len = 0) {
  LcsOptions options;
  options.want_string = true;
  options.want_matches = true;
  options.min_match_len = min_match_len;
  LcsResult result;
  EXPECT_EQ(ComputeLcs(a, b, options, &result), LcsStatus::kOk);
  return result;
}

struct Case {
  std::string a;
  std::string b;
  std::string lcs;
  std::vector<LcsMatch> matches;
};

TEST(LcsTest, MatchesRedis) {
  const std::vector<Case> cases = {
      {"ohmytext", "mynewtext", "mytext", {{4, 7, 5, 8, 4}, {2, 3, 0, 1, 2}}},
      // Ties: the walk prefers moving left in `b`, which picks these particular LCSs.
      {"ab", "ba", "b", {{1, 1, 0, 0, 1}}},
      {"abc", "cba", "c", {{2, 2, 0, 0, 1}}},
      {"aaa", "aa", "aa", {{1, 2, 0, 1, 2}}},
      {"abcabc", "cbacba", "cbc", {{5, 5, 3, 3, 1}, {4, 4, 1, 1, 1}, {2, 2, 0, 0, 1}}},
      {"GAC", "AGCAT", "AC", {{2, 2, 2, 2, 1}, {1, 1, 0, 0, 1}}},
      {"", "abc", "", {}},
      {"abc", "", "", {}},
      {"abcd", "abcd", "abcd", {{0, 3, 0, 3, 4}}},
      {"xaxbxc", "abc", "abc", {{5, 5, 2, 2, 1}, {3, 3, 1, 1, 1}, {1, 1, 0, 0, 1}}},
      {"a\0b"s, "\0b\0"s, "\0b"s, {{1, 2, 0, 1, 2}}},
  };
  for (const Case& c : cases) {
    LcsResult r = Lcs(c.a, c.b);
    EXPECT_EQ(r.lcs, c.lcs) << c.a << " / " << c.b;
    EXPECT_EQ(r.len, c.lcs.size()) << c.a << " / " << c.b;
    EXPECT_EQ(r.matches, c.matches) << c.a << " / " << c.b;
  }
}

TEST(LcsTest, MinMatchLen) {
  EXPECT_EQ(Lcs("ohmytext", "mynewtext", 4).matches, (std::vector<LcsMatch>{{4, 7, 5, 8, 4}}));
  EXPECT_EQ(Lcs("ohmytext", "mynewtext", 5).matches, std::vector<LcsMatch>{});
  // A negative MINMATCHLEN counts as 0; "len" is unaffected by filtering.
  LcsResult r = Lcs("ohmytext", "mynewtext", -3);
  EXPECT_EQ(r.matches.size(), 2u);
  EXPECT_EQ(Lcs("ohmytext", "mynewtext", 100).len, 6u);
}

TEST(LcsTest, OnlyRequestedPartsAreFilled) {
  LcsOptions len_only;
  len_only.want_string = false;
  LcsResult r;
  ASSERT_EQ(ComputeLcs("ohmytext", "mynewtext", len_only, &r), LcsStatus::kOk);
  EXPECT_EQ(r.len, 6u);
  EXPECT_TRUE(r.lcs.empty());
  EXPECT_TRUE(r.matches.empty());

  LcsOptions idx_only;
  idx_only.want_string = false;
  idx_only.want_matches = true;
  ASSERT_EQ(ComputeLcs("ohmytext", "mynewtext", idx_only, &r), LcsStatus::kOk);
  EXPECT_TRUE(r.lcs.empty());
  EXPECT_EQ(r.matches.size(), 2u);

  LcsOptions plain;
  ASSERT_EQ(ComputeLcs("ohmytext", "mynewtext", plain, &r), LcsStatus::kOk);
  EXPECT_EQ(r.lcs, "mytext");
  EXPECT_TRUE(r.matches.empty());
}

TEST(LcsTest, TableLimitLikeProtoMaxBulkLen) {
  // With proto-max-bulk-len 1mb, Redis accepts 511x511 ((512 * 512 * 4) bytes = 1MB exactly)
  // and refuses 512x512, for LEN too.
  LcsOptions options;
  options.want_string = false;
  options.max_table_bytes = 1024 * 1024;
  LcsResult r;
  EXPECT_EQ(ComputeLcs(std::string(511, 'x'), std::string(511, 'x'), options, &r), LcsStatus::kOk);
  EXPECT_EQ(r.len, 511u);
  EXPECT_EQ(ComputeLcs(std::string(512, 'x'), std::string(512, 'x'), options, &r),
            LcsStatus::kTableTooBig);
  EXPECT_EQ(ComputeLcs("", std::string(262143, 'x'), options, &r), LcsStatus::kOk);
  EXPECT_EQ(ComputeLcs("", std::string(262144, 'x'), options, &r), LcsStatus::kTableTooBig);
  EXPECT_EQ(ComputeLcs("a", std::string(131071, 'x'), options, &r), LcsStatus::kOk);
  EXPECT_EQ(ComputeLcs("a", std::string(131072, 'x'), options, &r), LcsStatus::kTableTooBig);
  options.want_matches = true;  // The same limit applies whatever the reply shape.
  EXPECT_EQ(ComputeLcs("a", std::string(131072, 'x'), options, &r), LcsStatus::kTableTooBig);
}

// A straightforward reference: the same table and walk, written without any of the shortcuts.
LcsResult Reference(const std::string& a, const std::string& b) {
  std::vector<std::vector<uint32_t>> t(a.size() + 1, std::vector<uint32_t>(b.size() + 1, 0));
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      t[i][j] = a[i - 1] == b[j - 1] ? t[i - 1][j - 1] + 1 : std::max(t[i - 1][j], t[i][j - 1]);
    }
  }
  LcsResult r;
  r.len = t[a.size()][b.size()];
  bool in_run = false;
  size_t i = a.size(), j = b.size();
  while (i > 0 && j > 0) {
    if (a[i - 1] == b[j - 1]) {
      r.lcs.insert(r.lcs.begin(), a[i - 1]);
      const auto ai = static_cast<uint32_t>(i - 1);
      const auto bj = static_cast<uint32_t>(j - 1);
      if (in_run) {
        r.matches.back().a_start = ai;
        r.matches.back().b_start = bj;
      } else {
        r.matches.push_back({ai, ai, bj, bj, 0});
        in_run = true;
      }
      --i;
      --j;
    } else {
      in_run = false;
      if (t[i - 1][j] > t[i][j - 1]) {
        --i;
      } else {
        --j;
      }
    }
  }
  for (LcsMatch& m : r.matches) m.len = m.a_end - m.a_start + 1;
  return r;
}

TEST(LcsTest, AgreesWithReferenceOnRandomStrings) {
  std::mt19937 rng(7);
  for (int iter = 0; iter < 500; ++iter) {
    auto gen = [&](const std::string& alphabet) {
      std::string s(rng() % 40, ' ');
      for (char& c : s) c = alphabet[rng() % alphabet.size()];
      return s;
    };
    const std::string alphabet = iter % 2 ? "ab" : "acgt";
    const std::string a = gen(alphabet);
    const std::string b = gen(alphabet);
    const LcsResult got = Lcs(a, b);
    const LcsResult want = Reference(a, b);
    ASSERT_EQ(got.len, want.len) << a << " / " << b;
    ASSERT_EQ(got.lcs, want.lcs) << a << " / " << b;
    ASSERT_EQ(got.matches, want.matches) << a << " / " << b;
    LcsOptions len_only;
    len_only.want_string = false;
    LcsResult len;
    ASSERT_EQ(ComputeLcs(a, b, len_only, &len), LcsStatus::kOk);
    ASSERT_EQ(len.len, want.len);
  }
}

}  // namespace
}  // namespace darner
