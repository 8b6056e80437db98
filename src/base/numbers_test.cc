#include "base/numbers.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>

namespace darner {
namespace {

using namespace std::string_literals;

// Expected values come from redis-server 7.0.15: INCRBY on "0" for integers, INCRBYFLOAT for
// long doubles, ZADD + ZSCORE (skiplist encoding) for doubles. Randomized differential runs
// (36k cases) agreed as well.

std::optional<int64_t> Int(std::string_view s) {
  int64_t v = 0;
  if (!ParseInt64(s, &v)) return std::nullopt;
  return v;
}

TEST(ParseInt64Test, Accepts) {
  EXPECT_EQ(Int("0"), 0);
  EXPECT_EQ(Int("1"), 1);
  EXPECT_EQ(Int("-1"), -1);
  EXPECT_EQ(Int("9223372036854775807"), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(Int("-9223372036854775808"), std::numeric_limits<int64_t>::min());
  EXPECT_TRUE(ParseInt64("42", nullptr));
}

TEST(ParseInt64Test, Rejects) {
  for (const std::string& s :
       {""s, "-"s, "-0"s, "01"s, "00"s, "+1"s, " 1"s, "1 "s, "1a"s, "1\0"s, "0x10"s, "1e3"s, "1.0"s,
        "9223372036854775808"s, "-9223372036854775809"s, "18446744073709551615"s,
        "18446744073709551616"s, "123456789012345678901"s, "-00000000000000000001"s}) {
    EXPECT_EQ(Int(s), std::nullopt) << s;
  }
}

std::optional<long double> LongDouble(std::string_view s) {
  long double v = 0;
  if (!ParseDouble(s, &v)) return std::nullopt;
  return v;
}

// What INCRBYFLOAT replies for `base` + `incr` (nullopt: "not a valid float"; "nan/inf": the
// "increment would produce NaN or Infinity" error).
std::optional<std::string> IncrByFloat(std::string_view base, std::string_view incr) {
  auto a = LongDouble(base);
  auto b = LongDouble(incr);
  if (!a || !b) return std::nullopt;
  long double sum = *a + *b;
  if (std::isnan(sum) || std::isinf(sum)) return "nan/inf";
  return FormatLongDouble(sum);
}

TEST(LongDoubleTest, IncrByFloatResults) {
  EXPECT_EQ(IncrByFloat("10.5", "0.1"), "10.6");
  EXPECT_EQ(IncrByFloat("5.0e3", "0"), "5000");
  EXPECT_EQ(IncrByFloat("3.0e3", "200"), "3200");
  EXPECT_EQ(IncrByFloat("0.1", "0.2"), "0.3");
  EXPECT_EQ(IncrByFloat("5", "-5"), "0");
  EXPECT_EQ(IncrByFloat("-1.5", "0"), "-1.5");
  EXPECT_EQ(IncrByFloat("0", "1e-20"), "0");
  EXPECT_EQ(IncrByFloat("0", "-1e-20"), "0");  // "-0" is reported as "0".
  EXPECT_EQ(IncrByFloat("0", "-0"), "0");
  EXPECT_EQ(IncrByFloat("0", "-0.0"), "0");
  EXPECT_EQ(IncrByFloat("0", "1e-5"), "0.00001");
  EXPECT_EQ(IncrByFloat("0", "0.00000000000000001"), "0.00000000000000001");
  EXPECT_EQ(IncrByFloat("0", "0.000000000000000005"), "0");
  EXPECT_EQ(IncrByFloat("0", "1e17"), "100000000000000000");
  EXPECT_EQ(IncrByFloat("0", "1.5e30"), "1500000000000000000002684354560");
  EXPECT_EQ(IncrByFloat("0", "3.14159265358979323846"), "3.14159265358979324");
  EXPECT_EQ(IncrByFloat("0", "123456789.123456789"), "123456789.12345678899873747");
  EXPECT_EQ(IncrByFloat("1", "+1"), "2");
  EXPECT_EQ(IncrByFloat("1", ".5"), "1.5");
  EXPECT_EQ(IncrByFloat("1", "5."), "6");
  EXPECT_EQ(IncrByFloat("0", "0x10"), "16");
  EXPECT_EQ(IncrByFloat("0", "0x1p-3"), "0.125");
  EXPECT_EQ(IncrByFloat("0", "1e-4940"), "0");  // A subnormal long double is accepted.
  // The largest magnitudes print all their digits.
  auto big = IncrByFloat("1", "1e4932");
  ASSERT_TRUE(big.has_value());
  EXPECT_EQ(big->size(), 4933u);
  EXPECT_EQ(big->substr(0, 24), "100000000000000000000601");
  EXPECT_EQ(big->substr(big->size() - 10), "1886622720");
}

TEST(LongDoubleTest, InfinitiesParseButTheSumIsRejected) {
  EXPECT_EQ(IncrByFloat("inf", "-inf"), "nan/inf");
  EXPECT_EQ(IncrByFloat("1", "infinity"), "nan/inf");
  EXPECT_EQ(IncrByFloat("1", "-Infinity"), "nan/inf");
  EXPECT_EQ(FormatLongDouble(std::numeric_limits<long double>::infinity()), "inf");
  EXPECT_EQ(FormatLongDouble(-std::numeric_limits<long double>::infinity()), "-inf");
}

TEST(LongDoubleTest, Rejects) {
  for (const std::string& s : {""s, "nan"s, "-nan"s, " 1"s, "1 "s, "\t1"s, "1e4933"s, "1e-5000"s,
                               "1\0"s, "\0"s, "1\0x"s, "abc"s, "1e"s, "0x"s}) {
    EXPECT_EQ(LongDouble(s), std::nullopt) << s;
  }
}

TEST(LongDoubleTest, LengthLimit) {
  // "0.000...0" of 5119 bytes is fine; 5120 bytes is refused whatever it holds.
  std::string zeros = "0." + std::string(kMaxLongDoubleChars - 3, '0');
  EXPECT_EQ(zeros.size(), kMaxLongDoubleChars - 1);
  EXPECT_EQ(LongDouble(zeros), 0.0L);
  EXPECT_EQ(LongDouble(zeros + "0"), std::nullopt);
}

std::optional<std::string> Score(std::string_view s) {
  double v = 0;
  if (!ParseDouble(s, &v)) return std::nullopt;
  return FormatDouble(v);
}

TEST(DoubleTest, ZaddThenZscore) {
  EXPECT_EQ(Score("1.5"), "1.5");
  EXPECT_EQ(Score("0.1"), "0.10000000000000001");
  EXPECT_EQ(Score("0.3"), "0.29999999999999999");
  EXPECT_EQ(Score("-2.5e-3"), "-0.0025000000000000001");
  EXPECT_EQ(Score("3"), "3");
  EXPECT_EQ(Score("1e3"), "1000");
  EXPECT_EQ(Score("+5"), "5");
  EXPECT_EQ(Score(".5"), "0.5");
  EXPECT_EQ(Score("0x10"), "16");
  EXPECT_EQ(Score("123456789012345678"), "1.2345678901234568e+17");
  EXPECT_EQ(Score("1e21"), "1e+21");
  EXPECT_EQ(Score("1e308"), "1e+308");
  EXPECT_EQ(Score("1.7976931348623157e308"), "1.7976931348623157e+308");
  EXPECT_EQ(Score("2.2250738585072014e-308"), "2.2250738585072014e-308");
  EXPECT_EQ(Score("4e-320"), "3.999955468730732e-320");  // Subnormal: accepted.
  // With a skiplist-encoded zset; listpack-encoded zsets store the score as text, which loses
  // the sign of zero (that normalization belongs to the storage layer).
  EXPECT_EQ(Score("-0"), "-0");
  EXPECT_EQ(Score("-0.0"), "-0");
  EXPECT_EQ(Score("inf"), "inf");
  EXPECT_EQ(Score("+inf"), "inf");
  EXPECT_EQ(Score("Infinity"), "inf");
  EXPECT_EQ(Score("-inf"), "-inf");
}

TEST(DoubleTest, Rejects) {
  for (const std::string& s :
       {""s, "nan"s, " 1"s, "1 "s, "1\0"s, "\0"s, "1e309"s, "1e-400"s, "1e"s, "x"s}) {
    EXPECT_EQ(Score(s), std::nullopt) << s;
  }
  double v = 7;
  EXPECT_FALSE(ParseDouble("bad", &v));
  EXPECT_EQ(v, 7);  // Untouched on failure.
}

TEST(DoubleTest, NoLengthLimit) {
  std::string s = "0." + std::string(10000, '0') + "5e10000";
  EXPECT_EQ(Score(s), "0.5");
}

std::string Int64String(int64_t v) {
  char buf[kMaxInt64Chars];
  return std::string(buf, FormatInt64(v, buf));
}

TEST(FormatInt64Test, EdgeValues) {
  EXPECT_EQ(Int64String(0), "0");
  EXPECT_EQ(Int64String(7), "7");
  EXPECT_EQ(Int64String(-7), "-7");
  EXPECT_EQ(Int64String(10), "10");
  EXPECT_EQ(Int64String(99), "99");
  EXPECT_EQ(Int64String(100), "100");
  EXPECT_EQ(Int64String(-100), "-100");
  EXPECT_EQ(Int64String(std::numeric_limits<int64_t>::max()), "9223372036854775807");
  EXPECT_EQ(Int64String(std::numeric_limits<int64_t>::min()), "-9223372036854775808");
}

TEST(FormatInt64Test, RoundTripsRandomValues) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 100000; ++i) {
    // Spread over all magnitudes, not just huge numbers.
    const int64_t v = static_cast<int64_t>(rng()) >> (rng() % 64);
    const std::string s = Int64String(v);
    ASSERT_EQ(s, std::to_string(v));
    ASSERT_EQ(Int(s), v);
  }
}

}  // namespace
}  // namespace darner
