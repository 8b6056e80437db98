// String and keyspace commands through the in-process harness (server/test_utils.h): the same
// dispatch as a client's, two shards, no sockets.
#include "server/test_utils.h"

namespace darner {
namespace {

class StringFamilyTest : public BaseFamilyTest {};

TEST_F(StringFamilyTest, SetGetGetDel) {
  EXPECT_EQ(Run({"set", "foo", "bar"}), kOk);
  EXPECT_EQ(Run({"get", "foo"}), Bulk("bar"));
  EXPECT_EQ(Run({"getdel", "foo"}), Bulk("bar"));
  EXPECT_EQ(Run({"get", "foo"}), kNil);
  EXPECT_EQ(Run({"getdel", "foo"}), kNil);
}

TEST_F(StringFamilyTest, KeysOnBothShards) {
  // Enough keys that both shards own some; MSET/MGET/DEL span them in one command.
  std::vector<std::string> mset{"mset"}, mget{"mget"}, del{"del"};
  std::string expected = "*20\r\n";
  for (int i = 0; i < 20; ++i) {
    std::string k = "key:" + std::to_string(i);
    mset.insert(mset.end(), {k, "v" + std::to_string(i)});
    mget.push_back(k);
    del.push_back(k);
    expected += Bulk("v" + std::to_string(i));
  }
  EXPECT_EQ(Run(mset), kOk);
  EXPECT_EQ(Run(mget), expected);
  EXPECT_EQ(Run({"dbsize"}), Int(20));
  EXPECT_EQ(Run(del), Int(20));
  EXPECT_EQ(Run({"dbsize"}), Int(0));
}

TEST_F(StringFamilyTest, CountersAndErrors) {
  EXPECT_EQ(Run({"incr", "n"}), Int(1));
  EXPECT_EQ(Run({"incrby", "n", "41"}), Int(42));
  EXPECT_EQ(Run({"set", "s", "abc"}), kOk);
  EXPECT_EQ(Run({"incr", "s"}), Error("ERR value is not an integer or out of range"));
  EXPECT_EQ(Run({"set", "big", "9223372036854775807"}), kOk);
  EXPECT_EQ(Run({"incr", "big"}), Error("ERR increment or decrement would overflow"));
  EXPECT_EQ(Run({"get"}), Error("ERR wrong number of arguments for 'get' command"));
  // A failed command changes nothing.
  EXPECT_EQ(Run({"get", "big"}), Bulk("9223372036854775807"));
}

TEST_F(StringFamilyTest, PipelinedBatchKeepsOrder) {
  std::vector<std::vector<std::string>> batch;
  std::string expected;
  for (int i = 0; i < 50; ++i) {
    std::string k = "p" + std::to_string(i % 7);
    batch.push_back({"incr", k});
    expected += Int(i / 7 + 1);
  }
  EXPECT_EQ(RunBatch(batch), expected);
}

TEST_F(StringFamilyTest, GetKeysReadsKeySpecs) {
  EXPECT_EQ(Run({"command", "getkeys", "mset", "a", "1", "b", "2"}),
            "*2\r\n" + Bulk("a") + Bulk("b"));
  EXPECT_EQ(Run({"command", "getkeys", "bitop", "and", "d", "x", "y"}),
            "*3\r\n" + Bulk("d") + Bulk("x") + Bulk("y"));
  EXPECT_EQ(Run({"command", "getkeys", "ping", "x"}),
            Error("ERR The command has no key arguments"));
}

}  // namespace
}  // namespace darner
