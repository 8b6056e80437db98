#include "base/crc16.h"

#include <gtest/gtest.h>

namespace darner {
namespace {

TEST(Crc16Test, KnownVector) {
  // The check value of CRC16/XMODEM.
  EXPECT_EQ(Crc16("123456789"), 0x31C3);
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

}  // namespace
}  // namespace darner
