#include "server/db_slice.h"

#include <gtest/gtest.h>

#include <string>

namespace darner {
namespace {

// A one-shard slice owns every slot.
class DbSliceTest : public ::testing::Test {
 protected:
  DbStats stats_;
  DbSlice db_{0, 1, &stats_};
};

TEST_F(DbSliceTest, LazyExpiryOnAccess) {
  int64_t now = NowMs();
  db_.Add("past", CompactValue::String("v"), now - 1);
  db_.Add("future", CompactValue::String("v"), now + 60000);
  db_.Add("forever", CompactValue::String("v"));
  EXPECT_EQ(db_.size(), 3u);
  EXPECT_EQ(db_.Find("past"), nullptr);
  EXPECT_EQ(stats_.expired_keys, 1u);
  EXPECT_EQ(db_.size(), 2u);
  ASSERT_NE(db_.Find("future"), nullptr);
  EXPECT_EQ(db_.Find("future")->expire_at(), now + 60000);
  EXPECT_FALSE(db_.Find("forever")->has_expire());
}

TEST_F(DbSliceTest, ActiveExpiryDeletesOnlyDueKeysInBatches) {
  int64_t now = NowMs();
  for (int i = 0; i < 500; ++i) {
    db_.Add("due" + std::to_string(i), CompactValue::String("v"), now - 1000 + i);
  }
  db_.Add("later", CompactValue::String("v"), now + 60000);
  EXPECT_EQ(db_.expires_count(), 501u);
  EXPECT_EQ(db_.ExpireDue(now, 200), 200u);
  EXPECT_EQ(db_.ExpireDue(now, 200), 200u);
  EXPECT_EQ(db_.ExpireDue(now, 200), 100u);
  EXPECT_EQ(db_.ExpireDue(now, 200), 0u);
  EXPECT_EQ(db_.size(), 1u);
  EXPECT_EQ(stats_.expired_keys, 500u);
  EXPECT_EQ(db_.NextDeadline(), now + 60000);
}

TEST_F(DbSliceTest, SetExpireMovesTheEntryAndKeepsTheIndexRight) {
  KeyEntry* e = db_.Add("k", CompactValue::String("value"));
  int64_t deadline = NowMs() + 1000;
  e = db_.SetExpire(e, deadline);
  EXPECT_EQ(db_.Find("k"), e);
  EXPECT_EQ(e->expire_at(), deadline);
  EXPECT_EQ(db_.expires_count(), 1u);
  e = db_.SetExpire(e, 0);  // PERSIST
  EXPECT_EQ(db_.expires_count(), 0u);
  EXPECT_FALSE(db_.Find("k")->has_expire());
  EXPECT_EQ(db_.Find("k")->value.ToString(), "value");
  EXPECT_EQ(db_.ExpireDue(NowMs() + 100000, 10), 0u);
}

TEST_F(DbSliceTest, DeleteTreatsExpiredAsAbsent) {
  db_.Add("gone", CompactValue::String("v"), NowMs() - 1);
  EXPECT_FALSE(db_.Delete("gone"));
  EXPECT_EQ(db_.size(), 0u);
  EXPECT_EQ(db_.expires_count(), 0u);
}

TEST_F(DbSliceTest, FlushFreesEverything) {
  for (int i = 0; i < 1000; ++i) {
    db_.Add("k" + std::to_string(i), CompactValue::String(std::string(100, 'x')),
            i % 2 ? NowMs() + 10000 : 0);
  }
  EXPECT_GT(db_.MemoryBytes(), 100000u);
  db_.Flush();
  EXPECT_EQ(db_.size(), 0u);
  EXPECT_EQ(db_.expires_count(), 0u);
  EXPECT_EQ(db_.Find("k1"), nullptr);
}

}  // namespace
}  // namespace darner
