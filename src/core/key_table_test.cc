#include "core/key_table.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>

namespace darner {
namespace {

KeyEntry* Make(const std::string& key) {
  return KeyEntry::Create(key, CompactValue::String("v:" + key), false);
}

TEST(KeyTableTest, InsertFindUnlink) {
  KeyTable t;
  for (int i = 0; i < 1000; ++i) t.Insert(Make("k" + std::to_string(i)));
  EXPECT_EQ(t.size(), 1000u);
  for (int i = 0; i < 1000; ++i) {
    KeyEntry* e = t.Find("k" + std::to_string(i));
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->value.ToString(), "v:k" + std::to_string(i));
  }
  EXPECT_EQ(t.Find("missing"), nullptr);
  for (int i = 0; i < 1000; i += 2) KeyEntry::Destroy(t.Unlink("k" + std::to_string(i)));
  EXPECT_EQ(t.size(), 500u);
  EXPECT_EQ(t.Find("k0"), nullptr);
  EXPECT_NE(t.Find("k1"), nullptr);
  EXPECT_EQ(t.Unlink("k0"), nullptr);
}

TEST(KeyTableTest, ExpireSlotAndReplace) {
  KeyTable t;
  t.Insert(Make("a"));
  KeyEntry* old = t.Find("a");
  KeyEntry* fresh = KeyEntry::Create("a", std::move(old->value), true);
  fresh->set_expire_at(12345);
  t.Replace(old, fresh);
  KeyEntry::Destroy(old);
  KeyEntry* e = t.Find("a");
  ASSERT_EQ(e, fresh);
  EXPECT_EQ(e->key(), "a");
  EXPECT_EQ(e->expire_at(), 12345);
  EXPECT_EQ(e->value.ToString(), "v:a");
}

// Fills a table with `stable_count` keys, then scans it to the end while, between scan steps,
// bursts of 40 other keys are inserted for `burst_steps` steps and deleted for as many (so the
// table grows and shrinks under the cursor). Checks that every stable key was returned.
void ScanUnderChurn(uint64_t seed, int stable_count, int burst_steps) {
  std::mt19937_64 rng(seed);
  KeyTable t;
  std::set<std::string> stable;
  for (int i = 0; i < stable_count; ++i) {
    std::string k = "stable" + std::to_string(i);
    stable.insert(k);
    t.Insert(Make(k));
  }
  std::set<std::string> seen;
  std::vector<std::string> churn;
  uint64_t cursor = 0;
  int steps = 0;
  do {
    cursor = t.Scan(cursor, [&](KeyEntry* e) { seen.insert(std::string(e->key())); });
    bool growing = (steps / burst_steps) % 2 == 0;
    for (int j = 0; j < 40; ++j) {
      if (growing) {
        std::string k = "churn" + std::to_string(rng());
        t.Insert(Make(k));
        churn.push_back(k);
      } else if (!churn.empty()) {
        KeyEntry::Destroy(t.Unlink(churn.back()));
        churn.pop_back();
      }
    }
    ++steps;
  } while (cursor != 0 && steps < 1000000);
  ASSERT_EQ(cursor, 0u);
  for (const auto& k : stable) ASSERT_TRUE(seen.count(k)) << "seed " << seed << " missed " << k;
  EXPECT_EQ(t.size(), stable.size() + churn.size());
}

// Small tables resize in one step between scan calls.
TEST(KeyTableTest, ScanDuringResizeVisitsStableKeys) {
  for (uint64_t seed = 0; seed < 20; ++seed) ScanUnderChurn(seed, 300, 8);
}

// Large tables rehash incrementally: the guarantee must hold while two bucket arrays are live
// (6,000 keys grow past 8,192 and 16,384 buckets and shrink back during the scan).
TEST(KeyTableTest, ScanDuringIncrementalRehashVisitsStableKeys) { ScanUnderChurn(42, 6000, 400); }

TEST(KeyTableTest, SwapThenDrainInSlices) {
  KeyTable live;
  // Large enough to be mid-way through an incremental rehash, so both bucket arrays hold keys.
  for (int i = 0; i < 20000; ++i) live.Insert(Make("k" + std::to_string(i)));
  KeyTable detached;
  live.Swap(detached);
  EXPECT_EQ(live.size(), 0u);
  EXPECT_EQ(live.Find("k1"), nullptr);
  live.Insert(Make("k1"));  // the fresh table is usable at once
  EXPECT_EQ(detached.size(), 20000u);
  std::set<std::string> drained;
  size_t position = 0;
  size_t calls = 0;
  while (detached.size() > 0) {
    size_t n = detached.DrainSome(&position, 333, [&](KeyEntry* e) {
      EXPECT_TRUE(drained.insert(std::string(e->key())).second);
      KeyEntry::Destroy(e);
    });
    EXPECT_LE(n, 333u);
    ASSERT_LT(++calls, 1000u);
  }
  EXPECT_EQ(drained.size(), 20000u);
  EXPECT_EQ(detached.BucketBytes(), 0u);  // arrays freed once empty
  EXPECT_EQ(detached.DrainSome(&position, 10, [](KeyEntry*) { FAIL(); }), 0u);
  EXPECT_NE(live.Find("k1"), nullptr);
}

TEST(KeyTableTest, RandomReturnsMembers) {
  KeyTable t;
  EXPECT_EQ(t.Random(1), nullptr);
  for (int i = 0; i < 50; ++i) t.Insert(Make("k" + std::to_string(i)));
  std::set<std::string> seen;
  for (uint64_t s = 1; s < 2000; ++s) seen.insert(std::string(t.Random(s * 7919)->key()));
  EXPECT_GT(seen.size(), 40u);
}

TEST(KeyTableTest, SampleReturnsUpToNMembersAndCoversTheTable) {
  KeyTable t;
  size_t calls = 0;
  t.Sample(1, 5, [&](KeyEntry*) { ++calls; });
  EXPECT_EQ(calls, 0u);
  for (int i = 0; i < 50; ++i) t.Insert(Make("k" + std::to_string(i)));
  std::set<std::string> seen;
  for (uint64_t s = 1; s < 2000; ++s) {
    size_t n = 0;
    t.Sample(s * 7919, 5, [&](KeyEntry* e) {
      ++n;
      seen.insert(std::string(e->key()));
    });
    EXPECT_GE(n, 1u);
    EXPECT_LE(n, 5u);
  }
  EXPECT_EQ(seen.size(), 50u);
}

// Through incremental rehashes (tables over 4096 buckets): every entry passed is a member, and
// a table at load factor 0.5 or more yields the full `n` nine times in ten or more.
TEST(KeyTableTest, SampleDuringRehash) {
  KeyTable t;
  std::set<const KeyEntry*> members;
  size_t short_samples = 0, samples = 0;
  for (int i = 0; i < 30000; ++i) {
    KeyEntry* e = Make("key" + std::to_string(i));
    t.Insert(e);
    members.insert(e);
    if (i % 97 != 0 || i < 1000) continue;
    size_t n = 0;
    t.Sample(static_cast<uint64_t>(i) * 2654435761u, 5, [&](KeyEntry* s) {
      ++n;
      EXPECT_TRUE(members.count(s)) << i;
    });
    ++samples;
    if (n < 5) ++short_samples;
  }
  EXPECT_LT(short_samples * 10, samples);  // about 5% short: sparse runs of buckets
}

TEST(CompactValueTest, Encodings) {
  EXPECT_STREQ(CompactValue::String("123").EncodingName(), "int");
  EXPECT_STREQ(CompactValue::String("0123").EncodingName(), "embstr");
  EXPECT_STREQ(CompactValue::String(std::string(44, 'x')).EncodingName(), "embstr");
  EXPECT_STREQ(CompactValue::String(std::string(45, 'x')).EncodingName(), "raw");
  CompactValue v = CompactValue::String("12");
  v.Append("ab");
  EXPECT_EQ(v.ToString(), "12ab");
  EXPECT_STREQ(v.EncodingName(), "raw");
  CompactValue w = CompactValue::String("hello");
  EXPECT_EQ(w.SetRange(7, "xy"), 9u);
  EXPECT_EQ(w.ToString(), std::string("hello\0\0xy", 9));
  CompactValue n = CompactValue::String("-9223372036854775808");
  EXPECT_TRUE(n.IsInt());
  EXPECT_EQ(n.ToString(), "-9223372036854775808");
}

}  // namespace
}  // namespace darner
