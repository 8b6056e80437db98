#include "server/db_slice.h"

#include <gtest/gtest.h>

#include <bitset>
#include <string>
#include <vector>

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

TEST(DbSliceDetachTest, DetachedSlotsVanishAtOnceAndAreFreedLater) {
  DbStats stats;
  DbSlice db(1, 2, &stats);  // shard 1 of 2: the odd slots
  std::bitset<kNumSlots> lost;
  std::vector<std::string> kept, gone;
  size_t kept_with_ttl = 0;
  int64_t soon = NowMs() + 50;
  for (int i = 0; i < 4000; ++i) {
    std::string key = "key:" + std::to_string(i);
    SlotId slot = KeySlot(key);
    if (slot % 2 != 1) continue;
    bool lose = slot < 8000;
    if (lose) lost.set(slot);
    (lose ? gone : kept).push_back(key);
    kept_with_ttl += !lose && i % 2;
    db.Add(key, CompactValue::String(std::string(40, 'x')), i % 2 ? soon : 0);
  }
  ASSERT_FALSE(gone.empty());
  ASSERT_FALSE(kept.empty());
  size_t memory_before = db.MemoryBytes();
  EXPECT_EQ(db.DetachSlots(lost), gone.size());
  EXPECT_EQ(db.size(), kept.size());
  EXPECT_TRUE(db.HasDetached());
  for (const auto& k : gone) EXPECT_EQ(db.Find(k), nullptr) << k;
  for (const auto& k : kept) EXPECT_NE(db.Find(k), nullptr) << k;
  // A key written to a detached slot afterwards lives in the fresh table and survives the drop.
  db.Add(gone[0], CompactValue::String("new"));
  // Expiry runs while detached keys with deadlines are still held: it must skip them, not
  // delete the new key of the same name nor touch the detached table.
  ASSERT_GT(kept_with_ttl, 0u);
  EXPECT_EQ(db.ExpireDue(soon + 1000, 100000), kept_with_ttl);
  size_t dropped = 0;
  while (db.HasDetached()) dropped += db.DropDetached(100);
  EXPECT_EQ(dropped, gone.size());
  EXPECT_EQ(db.size(), kept.size() - kept_with_ttl + 1);
  ASSERT_NE(db.Find(gone[0]), nullptr);
  EXPECT_EQ(db.Find(gone[0])->value.ToString(), "new");
  EXPECT_EQ(db.expires_count(), 0u);
  EXPECT_LT(db.MemoryBytes(), memory_before);
  EXPECT_EQ(db.DetachSlots(lost), 1u);
  db.Flush();  // frees detached tables too
  EXPECT_FALSE(db.HasDetached());
  EXPECT_EQ(db.size(), 0u);
}

}  // namespace
}  // namespace darner

namespace darner {
namespace {

// Each policy's choice, with the clocks set by hand (TickEvictionClock) and 40 keys: sampling 5
// of them per eviction, the policy's best sample goes first.
class EvictionTest : public DbSliceTest {
 protected:
  void TearDown() override {
    SetEvictionPolicy(EvictionPolicy::kNoEviction);
    TickEvictionClock(NowMs());
  }
};

// The target is --maxmemory until RSS grown since start passes it, then drops by four times the
// excess, never below 90% of it (RSS that stays high cannot empty the cache).
TEST(EvictionTargetTest, RssAboveTheLimitLowersTheTarget) {
  constexpr uint64_t kMiB = 1 << 20;
  constexpr uint64_t kMax = 128 * kMiB, kStart = 7 * kMiB;
  EXPECT_EQ(EvictionTarget(0, true, 500 * kMiB, kStart), 0u);
  EXPECT_EQ(EvictionTarget(kMax, false, 500 * kMiB, kStart), kMax);
  EXPECT_EQ(EvictionTarget(kMax, true, 100 * kMiB, kStart), kMax);
  EXPECT_EQ(EvictionTarget(kMax, true, kMax + kStart, kStart), kMax);
  EXPECT_EQ(EvictionTarget(kMax, true, kMax + kStart + 2 * kMiB, kStart), kMax - 8 * kMiB);
  EXPECT_EQ(EvictionTarget(kMax, true, 10 * kMax, kStart), kMax - kMax / 10);
  EXPECT_EQ(EvictionTarget(kMax, true, kStart / 2, kStart), kMax);  // RSS fell below the start
}

TEST_F(EvictionTest, PolicyNames) {
  for (std::string_view name : {"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
                                "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"}) {
    auto p = ParseEvictionPolicy(name);
    ASSERT_TRUE(p.has_value()) << name;
    EXPECT_EQ(EvictionPolicyName(*p), name);
  }
  EXPECT_EQ(ParseEvictionPolicy("ALLKEYS-LRU"), EvictionPolicy::kAllKeysLru);
  EXPECT_FALSE(ParseEvictionPolicy("lru").has_value());
}

TEST_F(EvictionTest, LruEvictsTheLongestIdleOfItsSample) {
  SetEvictionPolicy(EvictionPolicy::kAllKeysLru);
  const int64_t t0 = 1'000'000'000'000;
  TickEvictionClock(t0);
  for (int i = 0; i < 40; ++i) db_.Add("old" + std::to_string(i), CompactValue::String("v"));
  TickEvictionClock(t0 + 100'000);
  db_.Add("new", CompactValue::String("v"));
  EXPECT_EQ(IdleSeconds(db_.FindNoTouch("old0")), 100u);
  EXPECT_EQ(IdleSeconds(db_.FindNoTouch("new")), 0u);
  for (uint64_t seed = 1; seed <= 30; ++seed)
    ASSERT_TRUE(db_.EvictOne(EvictionPolicy::kAllKeysLru, seed));
  EXPECT_NE(db_.FindNoTouch("new"), nullptr);  // 30 evictions, never the fresh key
  EXPECT_EQ(stats_.evicted_keys, 30u);
  // A read is an access; OBJECT's lookup is not.
  TickEvictionClock(t0 + 200'000);
  KeyEntry* e = db_.FindNoTouch("new");
  EXPECT_EQ(IdleSeconds(e), 100u);
  db_.FindForRead("new");
  EXPECT_EQ(IdleSeconds(db_.FindNoTouch("new")), 0u);
}

TEST_F(EvictionTest, LfuCountsAccessesLogarithmicallyAndDecays) {
  SetEvictionPolicy(EvictionPolicy::kAllKeysLfu);
  const int64_t t0 = 1'000'000'000'000;
  TickEvictionClock(t0);
  db_.Add("hot", CompactValue::String("v"));
  for (int i = 0; i < 40; ++i) db_.Add("cold" + std::to_string(i), CompactValue::String("v"));
  EXPECT_EQ(LfuFrequency(db_.FindNoTouch("hot")), 5u);
  for (int i = 0; i < 1000; ++i) db_.FindForRead("hot");
  uint32_t freq = LfuFrequency(db_.FindNoTouch("hot"));
  EXPECT_GT(freq, 8u);
  EXPECT_LT(freq, 40u);  // logarithmic: 1,000 reads are far from 255
  for (uint64_t seed = 1; seed <= 35; ++seed)
    ASSERT_TRUE(db_.EvictOne(EvictionPolicy::kAllKeysLfu, seed));
  EXPECT_NE(db_.FindNoTouch("hot"), nullptr);
  TickEvictionClock(t0 + 3 * 60'000);  // one step down per minute
  EXPECT_EQ(LfuFrequency(db_.FindNoTouch("hot")), freq - 3);
}

TEST_F(EvictionTest, VolatilePoliciesTakeOnlyKeysWithADeadline) {
  int64_t now = NowMs();
  for (int i = 0; i < 20; ++i) db_.Add("p" + std::to_string(i), CompactValue::String("v"));
  db_.Add("soon", CompactValue::String("v"), now + 10'000);
  db_.Add("later", CompactValue::String("v"), now + 20'000);
  db_.Add("latest", CompactValue::String("v"), now + 30'000);
  ASSERT_TRUE(db_.EvictOne(EvictionPolicy::kVolatileTtl, 1));
  EXPECT_EQ(db_.FindNoTouch("soon"), nullptr);  // the nearest deadline, exactly
  ASSERT_TRUE(db_.EvictOne(EvictionPolicy::kVolatileRandom, 2));
  ASSERT_TRUE(db_.EvictOne(EvictionPolicy::kVolatileLru, 3));
  EXPECT_FALSE(db_.EvictOne(EvictionPolicy::kVolatileLfu, 4));  // none left with a deadline
  EXPECT_EQ(db_.size(), 20u);
  EXPECT_EQ(stats_.evicted_keys, 3u);
  ASSERT_TRUE(db_.EvictOne(EvictionPolicy::kAllKeysRandom, 5));
  EXPECT_EQ(db_.size(), 19u);
}

// Records what the change fan-out reports.
class RecordingConsumer : public JournalConsumer {
 public:
  void OnKeyChange(SlotId, std::string_view key, const KeyEntry* e) override {
    changes.push_back(std::string(key) + (e ? "=" + e->value.ToString() : " gone"));
  }
  void OnFlush() override { changes.push_back("flush"); }
  std::vector<std::string> changes;
};

class DbSliceChangeTest : public DbSliceTest {
 protected:
  DbSliceChangeTest() {
    std::bitset<kNumSlots> all;
    all.set();
    journal_.Add(&consumer_, all);
    db_.set_journal(&journal_);
  }
  Journal journal_;
  RecordingConsumer consumer_;
};

TEST_F(DbSliceChangeTest, FindReadOnlyTypesAndCountsHits) {
  db_.Add("k", CompactValue::String("v"));
  OpResult<const KeyEntry*> e = db_.FindReadOnly("k", ObjType::kString);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)->value.ToString(), "v");
  EXPECT_EQ(db_.FindReadOnly("nope", ObjType::kString).status(), OpStatus::kKeyNotFound);
  EXPECT_EQ(stats_.keyspace_hits, 1u);
  EXPECT_EQ(stats_.keyspace_misses, 1u);
  EXPECT_EQ(db_.FindMutable("nope", ObjType::kString).status(), OpStatus::kKeyNotFound);
}

TEST_F(DbSliceChangeTest, GuardReportsOneChangeWhenItCloses) {
  db_.Add("k", CompactValue::String("a"));
  size_t bytes = db_.MemoryBytes();
  {
    OpResult<DbSlice::MutableEntry> e = db_.FindMutable("k", ObjType::kString);
    ASSERT_TRUE(e.ok());
    e->value().Append(std::string(100, 'x'));
    e->value().Append("b");
    EXPECT_EQ(consumer_.changes.size(), 1u);  // only the Add so far
  }
  EXPECT_EQ(consumer_.changes,
            (std::vector<std::string>{"k=a", "k=a" + std::string(100, 'x') + "b"}));
  EXPECT_GT(db_.MemoryBytes(), bytes);  // accounting followed the growth
  EXPECT_EQ(stats_.changes, 2u);
}

TEST_F(DbSliceChangeTest, CancelReportsNothingAndAddedKeyGoesAway) {
  db_.Add("k", CompactValue::String("a"));
  size_t bytes = db_.MemoryBytes();
  db_.FindMutable("k", ObjType::kString)->Cancel();
  {
    OpResult<DbSlice::AddOrFindResult> r = db_.AddOrFind("new", ObjType::kString);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->is_new);
    r->entry.Cancel();
  }
  EXPECT_EQ(db_.Find("new"), nullptr);
  EXPECT_EQ(db_.size(), 1u);
  EXPECT_EQ(db_.MemoryBytes(), bytes);
  EXPECT_EQ(consumer_.changes.size(), 1u);
  EXPECT_EQ(stats_.changes, 1u);
}

TEST_F(DbSliceChangeTest, AddOrFindAddsOnceAndDeleteAndExpireReportTheirState) {
  {
    OpResult<DbSlice::AddOrFindResult> r = db_.AddOrFind("k", ObjType::kString);
    ASSERT_TRUE(r.ok() && r->is_new);
    r->entry.value() = CompactValue::String("v");
    r->entry.SetExpire(NowMs() + 60000);  // moves the entry; the guard follows it
    r->entry.Done();
    r->entry.Done();  // idempotent
  }
  ASSERT_NE(db_.Find("k"), nullptr);
  EXPECT_TRUE(db_.Find("k")->has_expire());
  EXPECT_FALSE(db_.AddOrFind("k", ObjType::kString)->is_new);  // closes with an unchanged value
  db_.FindMutable("k", ObjType::kString)->Delete();
  EXPECT_EQ(db_.Find("k"), nullptr);
  EXPECT_EQ(consumer_.changes, (std::vector<std::string>{"k=v", "k=v", "k gone"}));
  EXPECT_EQ(stats_.changes, 3u);
}

TEST_F(DbSliceChangeTest, ExpiryIsReportedButNotCountedAsACommandChange) {
  db_.Add("k", CompactValue::String("v"), NowMs() - 1);
  EXPECT_EQ(db_.Find("k"), nullptr);
  EXPECT_EQ(consumer_.changes, (std::vector<std::string>{"k=v", "k gone"}));
  EXPECT_EQ(stats_.changes, 1u);  // the Add
}

}  // namespace
}  // namespace darner
