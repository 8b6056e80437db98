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

// Keys of the other shard run there in one hop per run of commands and reply into the hop
// builder; the replies (errors included) come back in pipeline order and errors are counted.
TEST_F(StringFamilyTest, RemoteShardRunsKeepOrderAndErrors) {
  EXPECT_EQ(Run({"config", "resetstat"}), kOk);
  std::vector<std::vector<std::string>> batch;
  std::string expected;
  for (int i = 0; i < 40; ++i) {
    std::string k = "r" + std::to_string(i);
    batch.push_back({"set", k, "x"});
    batch.push_back({"incr", k});
    batch.push_back({"append", k, "yz"});
    batch.push_back({"getex", k, "EX", "0"});
    expected += std::string(kOk) + Error("ERR value is not an integer or out of range") + Int(3) +
                Error("ERR invalid expire time in 'getex' command");
  }
  EXPECT_EQ(RunBatch(batch), expected);
  EXPECT_NE(Run({"info", "errorstats"}).find("errorstat_ERR:count=80"), std::string::npos);
  EXPECT_EQ(Run({"getex", "missing", "EX", "0"}), kNil);  // the lookup comes before the time
}

TEST_F(StringFamilyTest, InPlaceChangesAndNoOpsCountAsRedisDoes) {
  auto changes = [this] {
    std::string info = Run({"info", "persistence"});
    size_t at = info.find("rdb_changes_since_last_save:");
    return std::stoll(info.substr(at + 28));
  };
  long long start = changes();
  EXPECT_EQ(Run({"setrange", "sr", "2", "ab"}), Int(4));
  EXPECT_EQ(Run({"get", "sr"}), Bulk(std::string("\0\0ab", 4)));
  EXPECT_EQ(Run({"setrange", "sr", "0", ""}), Int(4));    // no change
  EXPECT_EQ(Run({"setrange", "none", "5", ""}), Int(0));  // creates nothing
  EXPECT_EQ(Run({"exists", "none"}), Int(0));
  EXPECT_EQ(Run({"incrbyfloat", "f", "1.5"}), Bulk("1.5"));
  EXPECT_EQ(Run({"incrbyfloat", "sr", "1"}), Error("ERR value is not a valid float"));
  EXPECT_EQ(Run({"getex", "f", "PERSIST"}), Bulk("1.5"));  // had no deadline: no change
  EXPECT_EQ(changes() - start, 2);
}

TEST_F(StringFamilyTest, GetKeysReadsKeySpecs) {
  EXPECT_EQ(Run({"command", "getkeys", "mset", "a", "1", "b", "2"}),
            "*2\r\n" + Bulk("a") + Bulk("b"));
  EXPECT_EQ(Run({"command", "getkeys", "bitop", "and", "d", "x", "y"}),
            "*3\r\n" + Bulk("d") + Bulk("x") + Bulk("y"));
  EXPECT_EQ(Run({"command", "getkeys", "ping", "x"}),
            Error("ERR The command has no key arguments"));
}

TEST_F(StringFamilyTest, SquashedPipelineKeepsReplyOrder) {
  // One batch over keys of both shards: the shards run their shares at once (squashing), and
  // the replies still come back in the pipeline's order, with errors in place.
  std::vector<std::vector<std::string>> lines;
  std::string expected;
  for (int i = 0; i < 50; ++i) {
    std::string k = "sq:" + std::to_string(i), v = "v" + std::to_string(i);
    lines.push_back({"set", k, v});
    lines.push_back({"get", k});
    lines.push_back({"incr", k});  // not an integer: an error in its place
    lines.push_back({"append", k, "x"});
    expected += std::string(kOk) + Bulk(v) + Error("ERR value is not an integer or out of range") +
                Int(static_cast<int64_t>(v.size() + 1));
  }
  EXPECT_EQ(RunBatch(lines), expected);
  EXPECT_EQ(Run({"dbsize"}), Int(50));
}

}  // namespace
}  // namespace darner
