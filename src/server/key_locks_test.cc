#include "server/key_locks.h"

#include <gtest/gtest.h>

namespace darner {
namespace {

std::vector<std::string_view> Views(const std::vector<std::string>& keys) {
  return {keys.begin(), keys.end()};
}

TEST(KeyLocksTest, GrantsFreeKeysAtOnce) {
  KeyLocks locks;
  std::vector<std::string> a{"x", "y"};
  EXPECT_TRUE(locks.Acquire(a, LockMode::kExclusive, nullptr));
  EXPECT_TRUE(locks.Conflicts(Views({"y"})));
  EXPECT_FALSE(locks.Conflicts(Views({"z"})));
  locks.Release(a, LockMode::kExclusive);
  EXPECT_TRUE(locks.Idle());
}

TEST(KeyLocksTest, QueuedRequestsAreGrantedInOrder) {
  KeyLocks locks;
  std::vector<std::string> first{"x"}, second{"x", "y"}, third{"y"}, fourth{"z"};
  std::vector<int> granted;
  ASSERT_TRUE(locks.Acquire(first, LockMode::kExclusive, nullptr));
  EXPECT_FALSE(locks.Acquire(second, LockMode::kExclusive, [&] { granted.push_back(2); }));
  // "y" is free but wanted by an earlier queued request: FIFO makes the third wait too.
  EXPECT_FALSE(locks.Acquire(third, LockMode::kExclusive, [&] { granted.push_back(3); }));
  EXPECT_TRUE(locks.Acquire(fourth, LockMode::kExclusive, nullptr));
  EXPECT_TRUE(locks.Conflicts(Views({"y"})));
  locks.Release(first, LockMode::kExclusive);
  EXPECT_EQ(granted, std::vector<int>{2});
  locks.Release(second, LockMode::kExclusive);
  EXPECT_EQ(granted, (std::vector<int>{2, 3}));
  locks.Release(third, LockMode::kExclusive);
  locks.Release(fourth, LockMode::kExclusive);
  EXPECT_TRUE(locks.Idle());
}

TEST(KeyLocksTest, ReadersShareAndWritersWaitForThem) {
  KeyLocks locks;
  std::vector<std::string> r1{"x"}, r2{"x", "y"}, w{"x"}, r3{"x"};
  std::vector<int> granted;
  EXPECT_TRUE(locks.Acquire(r1, LockMode::kShared, nullptr));
  EXPECT_TRUE(locks.Acquire(r2, LockMode::kShared, nullptr));
  EXPECT_FALSE(locks.Conflicts(Views({"x"}), LockMode::kShared));
  EXPECT_TRUE(locks.Conflicts(Views({"x"}), LockMode::kExclusive));
  EXPECT_FALSE(locks.TryAcquire(w, LockMode::kExclusive));
  EXPECT_FALSE(locks.Acquire(w, LockMode::kExclusive, [&] { granted.push_back(1); }));
  // A reader does not overtake the queued writer.
  EXPECT_TRUE(locks.Conflicts(Views({"x"}), LockMode::kShared));
  EXPECT_FALSE(locks.Acquire(r3, LockMode::kShared, [&] { granted.push_back(2); }));
  locks.Release(r1, LockMode::kShared);
  EXPECT_TRUE(granted.empty());  // r2 still reads x
  locks.Release(r2, LockMode::kShared);
  EXPECT_EQ(granted, std::vector<int>{1});
  locks.Release(w, LockMode::kExclusive);
  EXPECT_EQ(granted, (std::vector<int>{1, 2}));
  locks.Release(r3, LockMode::kShared);
  EXPECT_TRUE(locks.Idle());
}

TEST(KeyLocksTest, TryAcquireNeverQueues) {
  KeyLocks locks;
  std::vector<std::string> a{"x"}, b{"x"};
  EXPECT_TRUE(locks.TryAcquire(a, LockMode::kExclusive));
  EXPECT_FALSE(locks.TryAcquire(b, LockMode::kShared));
  locks.Release(a, LockMode::kExclusive);
  EXPECT_TRUE(locks.Idle());
}

}  // namespace
}  // namespace darner
