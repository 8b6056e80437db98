#include "base/crc16.h"

#include <gtest/gtest.h>

#include <string>

namespace darner {
namespace {

TEST(Crc16Test, KnownVector) {
  // The check value of CRC16/XMODEM.
  EXPECT_EQ(Crc16("123456789"), 0x31C3);
}

// Bit-at-a-time CRC16/XMODEM, the definition the sliced implementation must agree with.
uint16_t ReferenceCrc16(std::string_view data) {
  uint16_t crc = 0;
  for (unsigned char c : data) {
    crc ^= static_cast<uint16_t>(c << 8);
    for (int i = 0; i < 8; ++i) {
      crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
                           : static_cast<uint16_t>(crc << 1);
    }
  }
  return crc;
}

TEST(Crc16Test, MatchesBitwiseDefinitionAtEveryLength) {
  uint64_t x = 88172645463325252ULL;
  for (size_t len = 0; len < 70; ++len) {
    for (int round = 0; round < 20; ++round) {
      std::string s(len, '\0');
      for (char& c : s) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        c = static_cast<char>(x);
      }
      ASSERT_EQ(Crc16(s), ReferenceCrc16(s)) << "length " << len;
    }
  }
}

TEST(Crc16Test, KeySlotMatchesRedisCluster) {
  // Values from `CLUSTER KEYSLOT` on a real Redis Cluster.
  EXPECT_EQ(KeySlot("foo"), 12182);
  EXPECT_EQ(KeySlot("bar"), 5061);
  EXPECT_EQ(KeySlot("key:000000000000"), KeySlot("key:000000000000"));
  EXPECT_EQ(KeySlot(""), 0);
}

TEST(Crc16Test, HashTags) {
  EXPECT_EQ(HashTag("{user1000}.following"), "user1000");
  EXPECT_EQ(HashTag("foo{}{bar}"), "foo{}{bar}");  // empty first tag: whole key
  EXPECT_EQ(HashTag("foo{{bar}}zap"), "{bar");
  EXPECT_EQ(HashTag("foo{bar}{zap}"), "bar");
  EXPECT_EQ(HashTag("nobraces"), "nobraces");
  EXPECT_EQ(HashTag("open{only"), "open{only");
  EXPECT_EQ(KeySlot("{user1000}.following"), KeySlot("{user1000}.followers"));
}

TEST(Crc16Test, RecordedSlotAnswersOnlyForThatKeyAndOnlyInScope) {
  std::string key = "foo";
  std::string same_bytes_elsewhere = "foo";
  {
    ScopedKeySlot memo;
    memo.Set(key, 7);  // deliberately not foo's slot, to see where the answer comes from
    EXPECT_EQ(KeySlot(key), 7);
    EXPECT_EQ(KeySlot(same_bytes_elsewhere), 12182);  // another address: computed
    EXPECT_EQ(KeySlot(std::string_view(key).substr(0, 2)), KeySlot("fo"));  // another length
  }
  EXPECT_EQ(KeySlot(key), 12182);  // the scope ended: computed again
}

}  // namespace
}  // namespace darner
