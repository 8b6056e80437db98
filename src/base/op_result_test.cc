#include "base/op_result.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace darner {
namespace {

OpResult<std::string> Lookup(bool found) {
  if (!found) return OpStatus::kKeyNotFound;
  return std::string("value");
}

TEST(OpResultTest, ValueOrStatus) {
  OpResult<std::string> hit = Lookup(true);
  ASSERT_TRUE(hit.ok());
  EXPECT_TRUE(static_cast<bool>(hit));
  EXPECT_EQ(hit.status(), OpStatus::kOk);
  EXPECT_EQ(*hit, "value");
  EXPECT_EQ(hit->size(), 5u);
  EXPECT_EQ(hit.value_or("other"), "value");

  OpResult<std::string> miss = Lookup(false);
  EXPECT_FALSE(miss.ok());
  EXPECT_FALSE(static_cast<bool>(miss));
  EXPECT_EQ(miss.status(), OpStatus::kKeyNotFound);
  EXPECT_EQ(miss.value_or("other"), "other");
}

TEST(OpResultTest, MoveOnlyValues) {
  OpResult<std::unique_ptr<int>> r(std::make_unique<int>(7));
  std::unique_ptr<int> p = std::move(r).value();
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(*p, 7);
}

TEST(OpResultTest, Void) {
  OpResult<void> done;
  EXPECT_TRUE(done.ok());
  OpResult<void> wrong = OpStatus::kWrongType;
  EXPECT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status(), OpStatus::kWrongType);
}

}  // namespace
}  // namespace darner
