#include "base/crc64.h"

#include <gtest/gtest.h>

#include <string>

namespace darner {
namespace {

TEST(Crc64Test, KnownVector) {
  // The check value of CRC-64/Jones (the one Redis's own self test uses).
  EXPECT_EQ(Crc64(0, "123456789"), 0xe9c6d914c4b8d9caULL);
  EXPECT_EQ(Crc64(0, ""), 0u);
}

// Bit-at-a-time reflected CRC, the definition the sliced implementation must agree with.
uint64_t ReferenceCrc64(uint64_t crc, std::string_view data) {
  for (unsigned char c : data) {
    crc ^= c;
    for (int i = 0; i < 8; ++i) crc = (crc & 1) ? (crc >> 1) ^ 0x95ac9329ac4bc9b5ULL : crc >> 1;
  }
  return crc;
}

TEST(Crc64Test, MatchesBitwiseDefinitionAtEveryLengthAndSplit) {
  uint64_t x = 88172645463325252ULL;
  std::string data;
  for (size_t len = 0; len < 70; ++len) {
    EXPECT_EQ(Crc64(0, data), ReferenceCrc64(0, data)) << len;
    for (size_t cut = 0; cut <= len; cut += 7) {
      std::string_view v(data);
      EXPECT_EQ(Crc64(Crc64(0, v.substr(0, cut)), v.substr(cut)), ReferenceCrc64(0, data));
    }
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    data.push_back(static_cast<char>(x));
  }
}

}  // namespace
}  // namespace darner
