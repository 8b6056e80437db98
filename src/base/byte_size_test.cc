#include "base/byte_size.h"

#include <gtest/gtest.h>

namespace darner {
namespace {

uint64_t Parsed(std::string_view text) {
  uint64_t n = 12345;
  EXPECT_TRUE(ParseByteSize(text, &n)) << text;
  return n;
}

TEST(ByteSizeTest, PlainAndUnits) {
  EXPECT_EQ(Parsed("0"), 0u);
  EXPECT_EQ(Parsed("536870912"), 536870912u);
  EXPECT_EQ(Parsed("100b"), 100u);
  EXPECT_EQ(Parsed("100mb"), 100ull << 20);
  EXPECT_EQ(Parsed("100MB"), 100ull << 20);
  EXPECT_EQ(Parsed("1G"), 1ull << 30);
  EXPECT_EQ(Parsed("8G"), 8ull << 30);
  EXPECT_EQ(Parsed("512KiB"), 512ull << 10);
  EXPECT_EQ(Parsed("512k"), 512ull << 10);
  EXPECT_EQ(Parsed("2tib"), 2ull << 40);
  EXPECT_EQ(Parsed("1.5GB"), 3ull << 29);
  EXPECT_EQ(Parsed("0.5k"), 512u);
  EXPECT_EQ(Parsed("18446744073709551615"), UINT64_MAX);
}

TEST(ByteSizeTest, Rejected) {
  uint64_t n = 7;
  for (std::string_view bad :
       {"", "mb", "-1", "1.5", "1..5G", ".5G", "5.G", "1 G", "1GBB", "1x", "1kibb",
        "18446744073709551616", "16384P", "99999999999T", "1e3", "+5", " 5"}) {
    EXPECT_FALSE(ParseByteSize(bad, &n)) << bad;
  }
  EXPECT_EQ(n, 7u);
}

TEST(ByteSizeTest, Flag) {
  ByteSize size;
  std::string error;
  EXPECT_TRUE(AbslParseFlag("1G", &size, &error));
  EXPECT_EQ(size.bytes, 1ull << 30);
  EXPECT_EQ(AbslUnparseFlag(size), "1073741824");
  EXPECT_FALSE(AbslParseFlag("lots", &size, &error));
  EXPECT_NE(error.find("100mb"), std::string::npos);
}

}  // namespace
}  // namespace darner
