#include "server/command_registry.h"

#include <gtest/gtest.h>

#include <functional>

#include "server/families/families.h"

namespace darner {
namespace {

// The keys `cid` finds in `line`, or {"<invalid>"} when its specs reject the line.
std::vector<std::string> KeysOf(const CommandId& cid, std::vector<std::string_view> line) {
  std::vector<size_t> positions;
  if (!cid.KeyPositions(line, &positions)) return {"<invalid>"};
  std::vector<std::string> keys;
  for (size_t p : positions) keys.emplace_back(line[p]);
  return keys;
}

using Keys = std::vector<std::string>;

TEST(KeySpecTest, IndexAndRange) {
  CommandId get{.name = "GET", .keys = {{.flags = ks::kRO, .index = 1}}};
  EXPECT_EQ(KeysOf(get, {"GET", "a"}), Keys{"a"});
  CommandId mset{.name = "MSET",
                 .keys = {{.flags = ks::kOW, .index = 1, .lastkey = -1, .keystep = 2}}};
  EXPECT_EQ(KeysOf(mset, {"MSET", "a", "1", "b", "2"}), (Keys{"a", "b"}));
  // A line cut short keeps the keys it has; the command reports the arity.
  EXPECT_EQ(KeysOf(mset, {"MSET", "a", "1", "b"}), (Keys{"a", "b"}));
  CommandId del{.name = "DEL", .keys = {{.flags = ks::kRM, .index = 1, .lastkey = -1}}};
  EXPECT_EQ(KeysOf(del, {"DEL", "a", "b", "c"}), (Keys{"a", "b", "c"}));
  // Optional key (OBJECT HELP style): none when the index is past the end.
  CommandId opt{.name = "X", .keys = {{.flags = ks::kRO, .index = 2}}};
  EXPECT_EQ(KeysOf(opt, {"X", "HELP"}), Keys{});
}

TEST(KeySpecTest, KeywordSearch) {
  // SORT ... STORE dst: searched from the end, backwards.
  CommandId sort{
      .name = "SORT",
      .keys = {{.flags = ks::kRO, .index = 1},
               {.flags = ks::kOW | ks::kIncomplete, .keyword = "STORE", .startfrom = -1}}};
  EXPECT_EQ(KeysOf(sort, {"SORT", "src", "LIMIT", "0", "1", "store", "dst"}), (Keys{"src", "dst"}));
  EXPECT_EQ(KeysOf(sort, {"SORT", "src"}), Keys{"src"});
  // A trailing keyword with nothing after it finds no key.
  EXPECT_EQ(KeysOf(sort, {"SORT", "src", "STORE"}), Keys{"src"});
  // XREAD ... STREAMS k1 k2 id1 id2: forward search, the first half of what follows.
  CommandId xread{.name = "XREAD",
                  .keys = {{.flags = ks::kRO,
                            .keyword = "STREAMS",
                            .startfrom = 1,
                            .lastkey = -1,
                            .keystep = 1,
                            .limit = 2}}};
  EXPECT_EQ(KeysOf(xread, {"XREAD", "COUNT", "2", "STREAMS", "a", "b", "0", "0"}),
            (Keys{"a", "b"}));
  EXPECT_EQ(KeysOf(xread, {"XREAD", "COUNT", "2"}), Keys{});
}

TEST(KeySpecTest, Keynum) {
  // ZUNIONSTORE dst numkeys k1 .. kN [WEIGHTS ...]
  CommandId zunion{.name = "ZUNIONSTORE",
                   .keys = {{.flags = ks::kOW, .index = 1},
                            {.flags = ks::kRO,
                             .index = 2,
                             .find = KeySpec::Find::kKeynum,
                             .keynumidx = 0,
                             .firstkey = 1}}};
  EXPECT_EQ(KeysOf(zunion, {"ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "2"}),
            (Keys{"d", "a", "b"}));
  EXPECT_EQ(KeysOf(zunion, {"ZUNIONSTORE", "d", "5", "a", "b"}), Keys{"<invalid>"});
  EXPECT_EQ(KeysOf(zunion, {"ZUNIONSTORE", "d", "x", "a"}), Keys{"<invalid>"});
  EXPECT_EQ(KeysOf(zunion, {"ZUNIONSTORE", "d", "-1", "a"}), Keys{"<invalid>"});
  // A huge count costs nothing: it is compared with what is there, not iterated.
  EXPECT_EQ(KeysOf(zunion, {"ZUNIONSTORE", "d", "9223372036854775807", "a"}), Keys{"<invalid>"});
  CommandId eval{.name = "EVAL",
                 .keys = {{.flags = ks::kRW,
                           .index = 2,
                           .find = KeySpec::Find::kKeynum,
                           .keynumidx = 0,
                           .firstkey = 1}}};
  EXPECT_EQ(KeysOf(eval, {"EVAL", "return 1", "0", "x"}), Keys{});
  EXPECT_EQ(KeysOf(eval, {"EVAL", "return 1", "1", "x", "y"}), Keys{"x"});
}

TEST(KeySpecTest, LegacyRangeFollowsRedis) {
  CommandId mset{.name = "MSET",
                 .keys = {{.flags = ks::kOW, .index = 1, .lastkey = -1, .keystep = 2}}};
  mset.DeriveLegacyRange();
  EXPECT_EQ((std::tuple{mset.first_key, mset.last_key, mset.key_step}), (std::tuple{1, -1, 2}));
  EXPECT_FALSE(mset.flags & co::kMovableKeys);
  // RENAME: two consecutive single-key specs make one range 1..2.
  CommandId rename{.name = "RENAME",
                   .keys = {{.flags = ks::kRW, .index = 1}, {.flags = ks::kOW, .index = 2}}};
  rename.DeriveLegacyRange();
  EXPECT_EQ((std::tuple{rename.first_key, rename.last_key, rename.key_step}),
            (std::tuple{1, 2, 1}));
  EXPECT_FALSE(rename.flags & co::kMovableKeys);
  // BITOP op dst src...: 2, then 3 to the end.
  CommandId bitop{
      .name = "BITOP",
      .keys = {{.flags = ks::kOW, .index = 2}, {.flags = ks::kRO, .index = 3, .lastkey = -1}}};
  bitop.DeriveLegacyRange();
  EXPECT_EQ((std::tuple{bitop.first_key, bitop.last_key, bitop.key_step}), (std::tuple{2, -1, 1}));
  // A keynum spec is movable; the range spec before it is the legacy range.
  CommandId zunion{.name = "ZUNIONSTORE",
                   .keys = {{.flags = ks::kOW, .index = 1},
                            {.flags = ks::kRO, .index = 2, .find = KeySpec::Find::kKeynum}}};
  zunion.DeriveLegacyRange();
  EXPECT_EQ((std::tuple{zunion.first_key, zunion.last_key, zunion.key_step}),
            (std::tuple{1, 1, 1}));
  EXPECT_TRUE(zunion.flags & co::kMovableKeys);
  CommandId eval{.name = "EVAL",
                 .keys = {{.flags = ks::kRW, .index = 2, .find = KeySpec::Find::kKeynum}}};
  eval.DeriveLegacyRange();
  EXPECT_EQ((std::tuple{eval.first_key, eval.last_key, eval.key_step}), (std::tuple{0, 0, 0}));
  EXPECT_TRUE(eval.flags & co::kMovableKeys);
  CommandId ping{.name = "PING"};
  ping.DeriveLegacyRange();
  EXPECT_EQ(ping.first_key, 0);
  EXPECT_FALSE(ping.flags & co::kMovableKeys);
}

// Calls fn for every argument in the tree, members included.
void ForEachArg(const std::vector<CommandArg>& args,
                const std::function<void(const CommandArg&)>& fn) {
  for (const CommandArg& a : args) {
    fn(a);
    ForEachArg(a.args, fn);
  }
}

// COMMAND DOCS ties each key argument to the key spec that finds it: in every declaration of
// the server's families, a key argument's key_spec_index is one of its command's specs, only
// key arguments have one, and each spec is some key argument's.
TEST(CommandDocsTest, KeyArgumentsAndKeySpecsMatch) {
  CommandRegistry registry;
  RegisterConnectionFamily(&registry);
  RegisterServerFamily(&registry);
  RegisterGenericFamily(&registry);
  RegisterStringFamily(&registry);
  RegisterBitopsFamily(&registry);
  size_t with_keys = 0;
  registry.ForEach([&](const CommandId& cid) {
    std::vector<bool> referenced(cid.keys.size());
    ForEachArg(cid.args, [&](const CommandArg& a) {
      if (a.type != arg::kKey) {
        EXPECT_EQ(a.key_spec_index, -1) << cid.name << " " << a.name;
        return;
      }
      ASSERT_GE(a.key_spec_index, 0) << cid.name << " " << a.name;
      ASSERT_LT(static_cast<size_t>(a.key_spec_index), cid.keys.size())
          << cid.name << " " << a.name;
      referenced[a.key_spec_index] = true;
    });
    for (size_t i = 0; i < referenced.size(); ++i) {
      EXPECT_TRUE(referenced[i]) << cid.name << ": no key argument for key spec " << i;
    }
    with_keys += cid.HasKeys();
  });
  EXPECT_GT(with_keys, 40u);  // the families were registered
}

}  // namespace
}  // namespace darner
