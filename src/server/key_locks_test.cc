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
  EXPECT_TRUE(locks.Acquire(a, nullptr));
  EXPECT_TRUE(locks.Conflicts(Views({"y"})));
  EXPECT_FALSE(locks.Conflicts(Views({"z"})));
  locks.Release(a);
  EXPECT_TRUE(locks.Idle());
}

TEST(KeyLocksTest, QueuedRequestsAreGrantedInOrder) {
  KeyLocks locks;
  std::vector<std::string> first{"x"}, second{"x", "y"}, third{"y"}, fourth{"z"};
  std::vector<int> granted;
  ASSERT_TRUE(locks.Acquire(first, nullptr));
  EXPECT_FALSE(locks.Acquire(second, [&] { granted.push_back(2); }));
  // "y" is free but wanted by an earlier queued request: FIFO makes the third wait too.
  EXPECT_FALSE(locks.Acquire(third, [&] { granted.push_back(3); }));
  EXPECT_TRUE(locks.Acquire(fourth, nullptr));
  EXPECT_TRUE(locks.Conflicts(Views({"y"})));
  locks.Release(first);
  EXPECT_EQ(granted, std::vector<int>{2});
  locks.Release(second);
  EXPECT_EQ(granted, (std::vector<int>{2, 3}));
  locks.Release(third);
  locks.Release(fourth);
  EXPECT_TRUE(locks.Idle());
}

}  // namespace
}  // namespace darner
