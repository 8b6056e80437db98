#include "cluster/cluster_config.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

namespace darner {
namespace {

using nlohmann::json;

// The full example of spec dragonfly-cluster.md §3.2.
constexpr std::string_view kSpecExample = R"json([
  {
    "slot_ranges": [ { "start": 0, "end": 8191 } ],
    "master":   { "id": "node-a", "ip": "10.0.0.1", "port": 7000, "health": "online" },
    "replicas": [ { "id": "node-a-r1", "ip": "10.0.0.2", "port": 7000, "health": "loading" },
                  { "id": "node-a-r2", "ip": "10.0.0.3", "port": 7000, "health": "hidden" } ],
    "migrations": [
      { "node_id": "node-b", "ip": "10.0.0.4", "port": 7001,
        "slot_ranges": [ { "start": 4096, "end": 6000 }, { "start": 7000, "end": 8191 } ] }
    ]
  },
  {
    "slot_ranges": [ { "start": 8192, "end": 12287 } ],
    "master":   { "id": "node-b", "ip": "10.0.0.4", "port": 7000 },
    "replicas": []
  },
  {
    "slot_ranges": [ { "start": 12288, "end": 16383 } ],
    "master":   { "id": "node-c", "ip": "10.0.0.5", "port": 7000, "health": "fail" },
    "replicas": [ { "id": "node-c-r1", "ip": "10.0.0.6", "port": 7000 } ]
  }
])json";

json Example() { return json::parse(kSpecExample); }

// The spec example after `edit`, as text.
std::string Edited(const std::function<void(json&)>& edit) {
  json j = Example();
  edit(j);
  return j.dump();
}

json Range(int start, int end) { return {{"start", start}, {"end", end}}; }

std::shared_ptr<const ClusterConfig> Create(std::string_view text, std::string_view me = "node-a") {
  std::string error;
  auto config = ClusterConfig::Create(text, me, &error);
  EXPECT_TRUE(config != nullptr) << error;
  EXPECT_TRUE(config == nullptr || error.empty()) << error;
  return config;
}

// Success when `text` is rejected with an error containing `want`.
::testing::AssertionResult Rejected(std::string_view text, std::string_view want) {
  std::string error;
  auto config = ClusterConfig::Create(text, "node-a", &error);
  if (config != nullptr) return ::testing::AssertionFailure() << "accepted: " << text;
  if (error.find(want) == std::string::npos) {
    return ::testing::AssertionFailure() << "error '" << error << "' lacks '" << want << "'";
  }
  return ::testing::AssertionSuccess() << error;
}

::testing::AssertionResult Rejected(const std::function<void(json&)>& edit, std::string_view want) {
  return Rejected(Edited(edit), want);
}

::testing::AssertionResult Accepted(std::string_view text) {
  std::string error;
  if (ClusterConfig::Create(text, "node-a", &error) == nullptr) {
    return ::testing::AssertionFailure() << "rejected: " << error;
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult Accepted(const std::function<void(json&)>& edit) {
  return Accepted(Edited(edit));
}

SlotRanges R(std::initializer_list<SlotRange> ranges) { return SlotRanges(ranges); }

// ---------------------------------------------------------------------------------------------
// SlotSet and helpers

TEST(SlotSetTest, AddRemoveToRanges) {
  SlotSet s;
  EXPECT_TRUE(s.Empty());
  EXPECT_TRUE(s.ToRanges().empty());
  s.Add(R({{0, 10}, {20, 30}, {16383, 16383}}));
  EXPECT_EQ(s.Count(), 23u);
  EXPECT_EQ(s.ToRanges(), R({{0, 10}, {20, 30}, {16383, 16383}}));
  s.Remove(R({{5, 25}}));
  EXPECT_EQ(s.ToRanges(), R({{0, 4}, {26, 30}, {16383, 16383}}));
  s.Add(5);
  EXPECT_TRUE(s.Contains(5));
  EXPECT_FALSE(s.Contains(6));
  EXPECT_EQ(s.ToRanges(), R({{0, 5}, {26, 30}, {16383, 16383}}));
  // Adjacent ranges merge into one run.
  EXPECT_EQ(SlotSet(R({{0, 9}, {10, 19}})).ToRanges(), R({{0, 19}}));
}

TEST(SlotSetTest, AllMinusAndUnion) {
  SlotSet all = SlotSet::All();
  EXPECT_EQ(all.Count(), kNumSlots);
  EXPECT_EQ(all.ToRanges(), R({{0, 16383}}));
  SlotSet low(R({{0, 99}}));
  EXPECT_EQ(all.Minus(low).ToRanges(), R({{100, 16383}}));
  SlotSet high(R({{16000, 16383}}));
  low |= high;
  EXPECT_EQ(low.ToRanges(), R({{0, 99}, {16000, 16383}}));
  SlotSet removed = SlotSet::All();
  removed.Remove(R({{0, 16383}}));
  EXPECT_TRUE(removed.Empty());
  EXPECT_EQ(removed, SlotSet());
}

TEST(SlotSetTest, OutOfRangeSlotsIgnored) {
  SlotSet s(R({{16380, 65535}}));  // must not throw or touch memory past the bitset
  EXPECT_EQ(s.ToRanges(), R({{16380, 16383}}));
  s.Remove(R({{16382, 65535}}));
  EXPECT_EQ(s.ToRanges(), R({{16380, 16381}}));
  s.Add(R({{10, 5}}));  // start > end: nothing
  EXPECT_EQ(s.Count(), 2u);
}

TEST(SlotRangesToStringTest, Format) {
  EXPECT_EQ(SlotRangesToString({}), "");
  EXPECT_EQ(SlotRangesToString(R({{5, 5}})), "[5, 5]");
  EXPECT_EQ(SlotRangesToString(R({{0, 10}, {20, 30}})), "[0, 10], [20, 30]");
}

TEST(HealthNameTest, Names) {
  EXPECT_EQ(HealthName(NodeHealth::kOnline), "online");
  EXPECT_EQ(HealthName(NodeHealth::kLoading), "loading");
  EXPECT_EQ(HealthName(NodeHealth::kFail), "fail");
  EXPECT_EQ(HealthName(NodeHealth::kHidden), "hidden");
}

// ---------------------------------------------------------------------------------------------
// Parsing and derived state of a valid config

TEST(ClusterConfigTest, SpecExampleParsed) {
  auto config = Create(kSpecExample);
  ASSERT_TRUE(config);
  EXPECT_EQ(config->my_id(), "node-a");
  const auto& shards = config->shards();
  ASSERT_EQ(shards.size(), 3u);

  EXPECT_EQ(shards[0].slot_ranges, R({{0, 8191}}));
  EXPECT_EQ(shards[0].master, (ClusterNode{"node-a", "10.0.0.1", 7000, NodeHealth::kOnline}));
  ASSERT_EQ(shards[0].replicas.size(), 2u);
  EXPECT_EQ(shards[0].replicas[0],
            (ClusterNode{"node-a-r1", "10.0.0.2", 7000, NodeHealth::kLoading}));
  EXPECT_EQ(shards[0].replicas[1],
            (ClusterNode{"node-a-r2", "10.0.0.3", 7000, NodeHealth::kHidden}));
  ASSERT_EQ(shards[0].migrations.size(), 1u);
  EXPECT_EQ(shards[0].migrations[0],
            (MigrationInfo{"node-b", "10.0.0.4", 7001, R({{4096, 6000}, {7000, 8191}})}));

  EXPECT_EQ(shards[1].slot_ranges, R({{8192, 12287}}));
  EXPECT_EQ(shards[1].master, (ClusterNode{"node-b", "10.0.0.4", 7000, NodeHealth::kOnline}));
  EXPECT_TRUE(shards[1].replicas.empty());
  EXPECT_TRUE(shards[1].migrations.empty());

  EXPECT_EQ(shards[2].slot_ranges, R({{12288, 16383}}));
  EXPECT_EQ(shards[2].master.health, NodeHealth::kFail);
  ASSERT_EQ(shards[2].replicas.size(), 1u);
  EXPECT_EQ(shards[2].replicas[0],
            (ClusterNode{"node-c-r1", "10.0.0.6", 7000, NodeHealth::kOnline}));
  EXPECT_TRUE(shards[2].migrations.empty());

  EXPECT_EQ(config->ShardIndexOfSlot(0), 0u);
  EXPECT_EQ(config->ShardIndexOfSlot(5000), 0u);  // migrating slots still belong to the source
  EXPECT_EQ(config->ShardIndexOfSlot(8191), 0u);
  EXPECT_EQ(config->ShardIndexOfSlot(8192), 1u);
  EXPECT_EQ(config->ShardIndexOfSlot(12287), 1u);
  EXPECT_EQ(config->ShardIndexOfSlot(12288), 2u);
  EXPECT_EQ(config->ShardIndexOfSlot(16383), 2u);

  EXPECT_EQ(config->ShardIndexOfMaster("node-a"), 0);
  EXPECT_EQ(config->ShardIndexOfMaster("node-b"), 1);
  EXPECT_EQ(config->ShardIndexOfMaster("node-c"), 2);
  EXPECT_EQ(config->ShardIndexOfMaster("node-a-r1"), -1);  // a replica is not a master
  EXPECT_EQ(config->ShardIndexOfMaster("node-"), -1);
  EXPECT_EQ(config->ShardIndexOfMaster("node-d"), -1);
  EXPECT_EQ(config->ShardIndexOfMaster(""), -1);
}

TEST(ClusterConfigTest, DerivedStateOfMasterWithOutgoingMigration) {
  auto config = Create(kSpecExample, "node-a");
  ASSERT_TRUE(config);
  EXPECT_TRUE(config->is_master());
  EXPECT_EQ(config->owned_slots().ToRanges(), R({{0, 8191}}));
  ASSERT_EQ(config->outgoing_migrations().size(), 1u);
  EXPECT_EQ(config->outgoing_migrations()[0], config->shards()[0].migrations[0]);
  EXPECT_TRUE(config->incoming_migrations().empty());
}

TEST(ClusterConfigTest, DerivedStateOfMigrationTarget) {
  auto config = Create(kSpecExample, "node-b");
  ASSERT_TRUE(config);
  EXPECT_EQ(config->my_id(), "node-b");
  EXPECT_TRUE(config->is_master());
  // Incoming slots are not owned until the migration finishes.
  EXPECT_EQ(config->owned_slots().ToRanges(), R({{8192, 12287}}));
  EXPECT_TRUE(config->outgoing_migrations().empty());
  ASSERT_EQ(config->incoming_migrations().size(), 1u);
  EXPECT_EQ(config->incoming_migrations()[0].source_id, "node-a");
  EXPECT_EQ(config->incoming_migrations()[0].info,
            (MigrationInfo{"node-b", "10.0.0.4", 7001, R({{4096, 6000}, {7000, 8191}})}));
}

TEST(ClusterConfigTest, DerivedStateOfReplicas) {
  // A replica owns its shard's slots but takes part in no migration (§3.4).
  auto a_r2 = Create(kSpecExample, "node-a-r2");
  ASSERT_TRUE(a_r2);
  EXPECT_FALSE(a_r2->is_master());
  EXPECT_EQ(a_r2->owned_slots().ToRanges(), R({{0, 8191}}));
  EXPECT_TRUE(a_r2->outgoing_migrations().empty());
  EXPECT_TRUE(a_r2->incoming_migrations().empty());

  auto c_r1 = Create(kSpecExample, "node-c-r1");
  ASSERT_TRUE(c_r1);
  EXPECT_FALSE(c_r1->is_master());
  EXPECT_EQ(c_r1->owned_slots().ToRanges(), R({{12288, 16383}}));
  EXPECT_TRUE(c_r1->outgoing_migrations().empty());
  EXPECT_TRUE(c_r1->incoming_migrations().empty());
}

TEST(ClusterConfigTest, DerivedStateOfUnknownNode) {
  for (std::string_view me : {"stranger", "", "node", "NODE-A"}) {
    auto config = Create(kSpecExample, me);
    ASSERT_TRUE(config);
    EXPECT_FALSE(config->is_master()) << me;
    EXPECT_TRUE(config->owned_slots().Empty()) << me;
    EXPECT_TRUE(config->outgoing_migrations().empty()) << me;
    EXPECT_TRUE(config->incoming_migrations().empty()) << me;
    EXPECT_EQ(config->shards().size(), 3u);
  }
}

TEST(ClusterConfigTest, ShardsAndRangesSortedListsKeepJsonOrder) {
  constexpr std::string_view kText = R"json([
    { "slot_ranges": [ { "start": 16000, "end": 16383 }, { "start": 0, "end": 99 } ],
      "master": { "id": "zeta", "ip": "h3", "port": 3 },
      "replicas": [ { "id": "z2", "ip": "h", "port": 1 }, { "id": "z1", "ip": "h", "port": 1 } ],
      "migrations": [
        { "node_id": "beta", "ip": "m", "port": 9,
          "slot_ranges": [ { "start": 16100, "end": 16200 }, { "start": 10, "end": 20 } ] },
        { "node_id": "Alpha", "ip": "m", "port": 9, "slot_ranges": [ { "start": 0, "end": 5 } ] }
      ] },
    { "slot_ranges": [ { "start": 200, "end": 15999 } ],
      "master": { "id": "beta", "ip": "h2", "port": 2 }, "replicas": [], "migrations": null },
    { "slot_ranges": [ { "start": 100, "end": 199 } ],
      "master": { "id": "Alpha", "ip": "h1", "port": 1 }, "replicas": [] }
  ])json";
  auto config = Create(kText, "beta");
  ASSERT_TRUE(config);
  const auto& shards = config->shards();
  ASSERT_EQ(shards.size(), 3u);
  // Byte-wise: 'A' (0x41) sorts before 'b' and 'z'.
  EXPECT_EQ(shards[0].master.id, "Alpha");
  EXPECT_EQ(shards[1].master.id, "beta");
  EXPECT_EQ(shards[2].master.id, "zeta");
  EXPECT_EQ(shards[2].slot_ranges, R({{0, 99}, {16000, 16383}}));
  ASSERT_EQ(shards[2].replicas.size(), 2u);
  EXPECT_EQ(shards[2].replicas[0].id, "z2");
  EXPECT_EQ(shards[2].replicas[1].id, "z1");
  ASSERT_EQ(shards[2].migrations.size(), 2u);
  EXPECT_EQ(shards[2].migrations[0].node_id, "beta");
  EXPECT_EQ(shards[2].migrations[0].slot_ranges, R({{10, 20}, {16100, 16200}}));
  EXPECT_EQ(shards[2].migrations[1].node_id, "Alpha");

  EXPECT_EQ(config->ShardIndexOfSlot(50), 2u);
  EXPECT_EQ(config->ShardIndexOfSlot(150), 0u);
  EXPECT_EQ(config->ShardIndexOfSlot(5000), 1u);
  EXPECT_EQ(config->ShardIndexOfSlot(16383), 2u);
  EXPECT_EQ(config->ShardIndexOfMaster("Alpha"), 0);
  EXPECT_EQ(config->ShardIndexOfMaster("zeta"), 2);
  EXPECT_EQ(config->ShardIndexOfMaster("alpha"), -1);

  EXPECT_EQ(config->owned_slots().ToRanges(), R({{200, 15999}}));
  ASSERT_EQ(config->incoming_migrations().size(), 1u);
  EXPECT_EQ(config->incoming_migrations()[0].source_id, "zeta");
  EXPECT_EQ(config->incoming_migrations()[0].info.slot_ranges, R({{10, 20}, {16100, 16200}}));

  auto zeta = Create(kText, "zeta");
  ASSERT_TRUE(zeta);
  ASSERT_EQ(zeta->outgoing_migrations().size(), 2u);
  EXPECT_EQ(zeta->outgoing_migrations()[0].node_id, "beta");  // JSON order
  EXPECT_EQ(zeta->outgoing_migrations()[1].node_id, "Alpha");
  EXPECT_EQ(zeta->owned_slots().ToRanges(), R({{0, 99}, {16000, 16383}}));
}

TEST(ClusterConfigTest, MinimalSingleShard) {
  auto config = Create(R"([{"slot_ranges":[{"start":0,"end":16383}],
      "master":{"id":"x","ip":"127.0.0.1","port":6379},"replicas":[]}])",
                       "x");
  ASSERT_TRUE(config);
  EXPECT_TRUE(config->is_master());
  EXPECT_EQ(config->owned_slots(), SlotSet::All());
}

TEST(ClusterConfigTest, ShardWithNoSlotsIsValid) {
  EXPECT_TRUE(Accepted([](json& j) {
    j.push_back({{"slot_ranges", json::array()},
                 {"master", {{"id", "node-d"}, {"ip", "h"}, {"port", 1}}},
                 {"replicas", json::array()}});
  }));
  auto config = Create(Edited([](json& j) {
                         j.push_back({{"slot_ranges", json::array()},
                                      {"master", {{"id", "node-d"}, {"ip", "h"}, {"port", 1}}},
                                      {"replicas", json::array()}});
                       }),
                       "node-d");
  ASSERT_TRUE(config);
  EXPECT_TRUE(config->is_master());
  EXPECT_TRUE(config->owned_slots().Empty());
}

TEST(ClusterConfigTest, UnknownFieldsIgnored) {
  EXPECT_TRUE(Accepted([](json& j) {
    j[0]["epoch"] = 7;
    j[0]["master"]["admin_port"] = 7001;
    j[0]["master"]["extra"] = {{"deep", {1, {2, {3}}}}};
    j[0]["slot_ranges"][0]["note"] = "x";
    j[0]["migrations"][0]["state"] = "whatever";
  }));
}

TEST(ClusterConfigTest, MigrationsNullOrAbsentMeanNone) {
  auto absent = Create(Edited([](json& j) { j[0].erase("migrations"); }));
  ASSERT_TRUE(absent);
  EXPECT_TRUE(absent->outgoing_migrations().empty());
  auto null = Create(Edited([](json& j) { j[0]["migrations"] = nullptr; }));
  ASSERT_TRUE(null);
  EXPECT_TRUE(null->outgoing_migrations().empty());
  EXPECT_TRUE(Accepted([](json& j) { j[0]["migrations"] = json::array(); }));
}

TEST(ClusterConfigTest, HealthCaseInsensitiveAndLenient) {
  auto health_of = [](const json& value) {
    auto config = Create(Edited([&](json& j) { j[1]["master"]["health"] = value; }));
    return config ? config->shards()[1].master.health : NodeHealth::kOnline;
  };
  EXPECT_EQ(health_of("ONLINE"), NodeHealth::kOnline);
  EXPECT_EQ(health_of("Loading"), NodeHealth::kLoading);
  EXPECT_EQ(health_of("FAIL"), NodeHealth::kFail);
  EXPECT_EQ(health_of("hIdDeN"), NodeHealth::kHidden);
  // Unknown values and wrong types are not errors: the node counts as online.
  EXPECT_EQ(health_of("sleepy"), NodeHealth::kOnline);
  EXPECT_EQ(health_of(""), NodeHealth::kOnline);
  EXPECT_EQ(health_of("failed"), NodeHealth::kOnline);
  EXPECT_EQ(health_of(3), NodeHealth::kOnline);
  EXPECT_EQ(health_of(true), NodeHealth::kOnline);
  EXPECT_EQ(health_of(nullptr), NodeHealth::kOnline);
  EXPECT_EQ(health_of(json::array({"fail"})), NodeHealth::kOnline);
  EXPECT_EQ(health_of(json::object()), NodeHealth::kOnline);
}

TEST(ClusterConfigTest, NumbersConvertibleToUint16) {
  auto port_of = [](std::string_view literal) -> int {
    std::string text = Edited([](json& j) { j[1]["master"]["port"] = "PORT"; });
    text.replace(text.find("\"PORT\""), 6, literal);
    std::string error;
    auto config = ClusterConfig::Create(text, "node-a", &error);
    return config ? config->shards()[1].master.port : -1;
  };
  EXPECT_EQ(port_of("0"), 0);
  EXPECT_EQ(port_of("65535"), 65535);
  EXPECT_EQ(port_of("5.0"), 5);
  EXPECT_EQ(port_of("5e0"), 5);
  EXPECT_EQ(port_of("6.379E3"), 6379);
  EXPECT_EQ(port_of("65535.0"), 65535);
  EXPECT_EQ(port_of("-0"), 0);
  EXPECT_EQ(port_of("65536"), -1);
  EXPECT_EQ(port_of("65535.5"), -1);
  EXPECT_EQ(port_of("65536.0"), -1);
  EXPECT_EQ(port_of("-1"), -1);
  EXPECT_EQ(port_of("-1.0"), -1);
  EXPECT_EQ(port_of("1.5"), -1);
  EXPECT_EQ(port_of("0.0001"), -1);
  EXPECT_EQ(port_of("1E383"), -1);
  EXPECT_EQ(port_of("-1E383"), -1);
  EXPECT_EQ(port_of("1e300"), -1);
  EXPECT_EQ(port_of("4294967296"), -1);
  EXPECT_EQ(port_of("18446744073709551615"), -1);
  EXPECT_EQ(port_of("18446744073709551616"), -1);  // beyond uint64: parsed as a double
  EXPECT_EQ(port_of("-9223372036854775808"), -1);
  EXPECT_EQ(port_of("99999999999999999999999999999"), -1);
  EXPECT_EQ(port_of("\"7000\""), -1);
  EXPECT_EQ(port_of("true"), -1);
  EXPECT_EQ(port_of("null"), -1);
  EXPECT_EQ(port_of("[7000]"), -1);
  EXPECT_EQ(port_of("{}"), -1);
}

// ---------------------------------------------------------------------------------------------
// Schema violations (§3.1)

TEST(ClusterConfigSchemaTest, MalformedJson) {
  EXPECT_TRUE(Rejected("", "malformed JSON"));
  EXPECT_TRUE(Rejected("[", "malformed JSON"));
  EXPECT_TRUE(Rejected("[{]", "malformed JSON"));
  EXPECT_TRUE(Rejected("not json", "malformed JSON"));
  EXPECT_TRUE(Rejected(std::string(kSpecExample) + "]", "malformed JSON"));  // trailing garbage
  EXPECT_TRUE(Rejected(std::string(kSpecExample) + " []", "malformed JSON"));
  EXPECT_TRUE(Rejected("[{\"a\": 1,}]", "malformed JSON"));
  EXPECT_TRUE(Rejected("[/* comment */]", "malformed JSON"));
  EXPECT_TRUE(Rejected("[\"\xff\"]", "malformed JSON"));  // invalid UTF-8
  EXPECT_TRUE(Rejected(std::string_view("[\0]", 3), "malformed JSON"));
}

TEST(ClusterConfigSchemaTest, TopLevel) {
  EXPECT_TRUE(Rejected("{}", "top level must be an array"));
  EXPECT_TRUE(Rejected("null", "top level must be an array"));
  EXPECT_TRUE(Rejected("7", "top level must be an array"));
  EXPECT_TRUE(Rejected("\"[]\"", "top level must be an array"));
  EXPECT_TRUE(Rejected(json::object({{"shards", Example()}}).dump(), "top level must be an array"));
  EXPECT_TRUE(Rejected("[]", "no shards"));
  EXPECT_TRUE(Rejected(" [ ] ", "no shards"));
  EXPECT_TRUE(Rejected([](json& j) { j.push_back(1); }, "shard 3: must be an object"));
  EXPECT_TRUE(Rejected([](json& j) { j.push_back(nullptr); }, "shard 3: must be an object"));
  EXPECT_TRUE(Rejected([](json& j) { j[0] = json::array(); }, "shard 0: must be an object"));
}

TEST(ClusterConfigSchemaTest, ShardRequiredFields) {
  EXPECT_TRUE(
      Rejected([](json& j) { j[1].erase("slot_ranges"); }, "shard 1: missing field 'slot_ranges'"));
  EXPECT_TRUE(Rejected([](json& j) { j[1].erase("master"); }, "shard 1: missing field 'master'"));
  EXPECT_TRUE(
      Rejected([](json& j) { j[1].erase("replicas"); }, "shard 1: missing field 'replicas'"));
  EXPECT_TRUE(
      Rejected([](json& j) { j[1]["slot_ranges"] = nullptr; }, "'slot_ranges' must be an array"));
  EXPECT_TRUE(
      Rejected([](json& j) { j[1]["slot_ranges"] = Range(8192, 12287); }, "must be an array"));
  EXPECT_TRUE(Rejected([](json& j) { j[1]["replicas"] = nullptr; }, "'replicas' must be an array"));
  EXPECT_TRUE(
      Rejected([](json& j) { j[1]["replicas"] = json::object(); }, "'replicas' must be an array"));
  EXPECT_TRUE(Rejected([](json& j) { j[1]["replicas"] = "node-x"; }, "must be an array"));
  EXPECT_TRUE(
      Rejected([](json& j) { j[1]["master"] = nullptr; }, "master: node must be an object"));
  EXPECT_TRUE(
      Rejected([](json& j) { j[1]["master"] = json::array(); }, "master: node must be an object"));
  EXPECT_TRUE(
      Rejected([](json& j) { j[1]["replicas"] = {1}; }, "replicas[0]: node must be an object"));
}

TEST(ClusterConfigSchemaTest, MigrationsMustBeArrayWhenPresent) {
  EXPECT_TRUE(Rejected([](json& j) { j[1]["migrations"] = "none"; },
                       "shard 1: 'migrations' must be an array, got string"));
  EXPECT_TRUE(Rejected([](json& j) { j[1]["migrations"] = json::object(); },
                       "'migrations' must be an array, got object"));
  EXPECT_TRUE(Rejected([](json& j) { j[1]["migrations"] = 0; },
                       "'migrations' must be an array, got number"));
  EXPECT_TRUE(
      Rejected([](json& j) { j[1]["migrations"] = false; }, "'migrations' must be an array"));
  EXPECT_TRUE(Rejected([](json& j) { j[0]["migrations"][0] = "node-b"; },
                       "shard 0 migrations[0]: must be an object"));
}

TEST(ClusterConfigSchemaTest, NodeFields) {
  for (const char* field : {"id", "ip", "port"}) {
    SCOPED_TRACE(field);
    EXPECT_TRUE(Rejected([&](json& j) { j[1]["master"].erase(field); },
                         std::string("missing field '") + field + "'"));
    EXPECT_TRUE(Rejected([&](json& j) { j[0]["replicas"][1].erase(field); },
                         std::string("shard 0 replicas[1]: missing field '") + field + "'"));
  }
  EXPECT_TRUE(Rejected([](json& j) { j[1]["master"]["id"] = 5; }, "'id' must be a string"));
  EXPECT_TRUE(Rejected([](json& j) { j[1]["master"]["id"] = nullptr; }, "'id' must be a string"));
  EXPECT_TRUE(Rejected([](json& j) { j[0]["replicas"][0]["id"] = json::array({"x"}); },
                       "'id' must be a string"));
  EXPECT_TRUE(Rejected([](json& j) { j[1]["master"]["ip"] = 10; }, "'ip' must be a string"));
  EXPECT_TRUE(Rejected([](json& j) { j[1]["master"]["ip"] = false; }, "'ip' must be a string"));
  EXPECT_TRUE(Rejected([](json& j) { j[1]["master"]["port"] = "7000"; }, "'port' must be"));
  EXPECT_TRUE(Rejected([](json& j) { j[1]["master"]["port"] = 65536; }, "'port' must be"));
  EXPECT_TRUE(Rejected([](json& j) { j[1]["master"]["port"] = -1; }, "'port' must be"));
  EXPECT_TRUE(Rejected([](json& j) { j[1]["master"]["port"] = 1.5; }, "'port' must be"));
  EXPECT_TRUE(Rejected([](json& j) { j[1]["master"]["port"] = true; }, "'port' must be"));
  EXPECT_TRUE(Rejected([](json& j) { j[1]["master"]["port"] = nullptr; }, "'port' must be"));
  EXPECT_TRUE(Rejected([](json& j) { j[0]["replicas"][0]["port"] = 70000; }, "'port' must be"));

  auto five = Create(Edited([](json& j) { j[1]["master"]["port"] = 5.0; }));
  ASSERT_TRUE(five);
  EXPECT_EQ(five->shards()[1].master.port, 5);
  // Any string is a valid ip (host names are echoed verbatim), even an empty one.
  auto host = Create(Edited([](json& j) { j[1]["master"]["ip"] = "db-1.example.com"; }));
  ASSERT_TRUE(host);
  EXPECT_EQ(host->shards()[1].master.ip, "db-1.example.com");
  EXPECT_TRUE(Accepted([](json& j) { j[1]["master"]["ip"] = ""; }));
  // Ids and addresses go verbatim into replies: no control characters, spaces or huge strings.
  for (const char* field : {"id", "ip"}) {
    SCOPED_TRACE(field);
    for (std::string bad : {std::string("1.2.3.4\r\n:666\r\n+INJECTED"), std::string("a b"),
                            std::string("x\0y", 3), std::string("\x7f"), std::string(257, 'a')}) {
      EXPECT_TRUE(Rejected([&](json& j) { j[1]["master"][field] = bad; },
                           std::string("'") + field + "' must be at most 256 printable"));
      EXPECT_TRUE(Rejected([&](json& j) { j[0]["replicas"][0][field] = bad; }, "printable"));
    }
  }
  EXPECT_TRUE(Accepted([](json& j) { j[1]["master"]["ip"] = std::string(256, 'a'); }));
  EXPECT_TRUE(Accepted([](json& j) { j[0]["replicas"][0]["id"] = std::string(256, 'a'); }));
  EXPECT_TRUE(Rejected([](json& j) { j[0]["migrations"][0]["ip"] = "10.0.0.1\r\n"; },
                       "'ip' must be at most 256 printable"));
  EXPECT_TRUE(Rejected([](json& j) { j[0]["migrations"][0]["node_id"] = "a\nb"; },
                       "'node_id' must be at most 256 printable"));
}

TEST(ClusterConfigSchemaTest, MigrationFields) {
  for (const char* field : {"node_id", "ip", "port", "slot_ranges"}) {
    SCOPED_TRACE(field);
    EXPECT_TRUE(Rejected([&](json& j) { j[0]["migrations"][0].erase(field); },
                         std::string("shard 0 migrations[0]: missing field '") + field + "'"));
  }
  EXPECT_TRUE(Rejected([](json& j) { j[0]["migrations"][0]["node_id"] = 1; },
                       "'node_id' must be a string"));
  EXPECT_TRUE(
      Rejected([](json& j) { j[0]["migrations"][0]["ip"] = nullptr; }, "'ip' must be a string"));
  EXPECT_TRUE(Rejected([](json& j) { j[0]["migrations"][0]["port"] = 65536; }, "'port' must be"));
  EXPECT_TRUE(Rejected([](json& j) { j[0]["migrations"][0]["port"] = -7001; }, "'port' must be"));
  EXPECT_TRUE(Rejected([](json& j) { j[0]["migrations"][0]["port"] = 7001.5; }, "'port' must be"));
  EXPECT_TRUE(Rejected([](json& j) { j[0]["migrations"][0]["slot_ranges"] = nullptr; },
                       "'slot_ranges' must be an array"));
  EXPECT_TRUE(Rejected([](json& j) { j[0]["migrations"][0]["slot_ranges"] = Range(4096, 6000); },
                       "'slot_ranges' must be an array"));
}

TEST(ClusterConfigSchemaTest, SlotRangeFields) {
  EXPECT_TRUE(Rejected([](json& j) { j[1]["slot_ranges"][0] = 8192; },
                       "shard 1: slot_ranges[0] must be an object"));
  EXPECT_TRUE(Rejected([](json& j) { j[1]["slot_ranges"][0] = json::array({8192, 12287}); },
                       "slot_ranges[0] must be an object"));
  EXPECT_TRUE(Rejected([](json& j) { j[1]["slot_ranges"][0].erase("start"); },
                       "slot_ranges[0]: missing field 'start'"));
  EXPECT_TRUE(Rejected([](json& j) { j[1]["slot_ranges"][0].erase("end"); },
                       "slot_ranges[0]: missing field 'end'"));
  EXPECT_TRUE(Rejected([](json& j) { j[1]["slot_ranges"][0]["start"] = "8192"; },
                       "'start' is not a slot number"));
  EXPECT_TRUE(
      Rejected([](json& j) { j[1]["slot_ranges"][0]["start"] = -1; }, "'start' is not a slot"));
  EXPECT_TRUE(
      Rejected([](json& j) { j[1]["slot_ranges"][0]["end"] = 12287.5; }, "'end' is not a slot"));
  EXPECT_TRUE(
      Rejected([](json& j) { j[1]["slot_ranges"][0]["end"] = 65536; }, "'end' is not a slot"));
  EXPECT_TRUE(
      Rejected([](json& j) { j[1]["slot_ranges"][0]["end"] = nullptr; }, "'end' is not a slot"));
  EXPECT_TRUE(Rejected([](json& j) { j[0]["migrations"][0]["slot_ranges"][1]["end"] = -8191; },
                       "migrations[0]: slot_ranges[1]: 'end' is not a slot number"));

  // 1E383 overflows a double: either the parser rejects it or the conversion must.
  std::string text = Edited([](json& j) { j[2]["slot_ranges"][0]["end"] = "END"; });
  text.replace(text.find("\"END\""), 5, "1E383");
  EXPECT_TRUE(Rejected(text, ""));
  // Floats that are exact integers are fine.
  EXPECT_TRUE(Accepted([](json& j) { j[2]["slot_ranges"][0]["end"] = 16383.0; }));
}

TEST(ClusterConfigSchemaTest, DeepNestingRejectedQuickly) {
  constexpr size_t kDepth = 1'000'000;
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(Rejected(std::string(kDepth, '[') + std::string(kDepth, ']'), "nested deeper"));
  EXPECT_TRUE(Rejected(std::string(kDepth, '['), "nested deeper"));
  std::string objects;
  for (size_t i = 0; i < 100'000; ++i) objects += "{\"a\":";
  EXPECT_TRUE(Rejected(objects, "nested deeper"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));

  // Nesting inside an unknown field counts too; a moderate amount is fine.
  auto nested = [](int depth) {
    json v = 1;
    for (int i = 0; i < depth; ++i) v = json::array({v});
    return v;
  };
  EXPECT_TRUE(Accepted([&](json& j) { j[0]["extra"] = nested(20); }));
  EXPECT_TRUE(Rejected([&](json& j) { j[0]["extra"] = nested(40); }, "nested deeper"));
  // Brackets inside strings (including after escaped quotes) are not nesting.
  EXPECT_TRUE(Accepted([](json& j) { j[0]["master"]["ip"] = std::string(100, '['); }));
  EXPECT_TRUE(Accepted([](json& j) { j[0]["note"] = "\\\"" + std::string(100, '{'); }));
}

// ---------------------------------------------------------------------------------------------
// Validation rules (§3.3)

TEST(ClusterConfigValidationTest, DuplicateNodeIds) {
  EXPECT_TRUE(Rejected([](json& j) { j[1]["master"]["id"] = "node-a"; },
                       "node id 'node-a' appears more than once"));
  EXPECT_TRUE(Rejected([](json& j) { j[2]["replicas"][0]["id"] = "node-a"; },
                       "node id 'node-a' appears more than once"));
  EXPECT_TRUE(Rejected([](json& j) { j[0]["replicas"][0]["id"] = "node-a"; },
                       "node id 'node-a' appears more than once"));
  EXPECT_TRUE(Rejected([](json& j) { j[2]["replicas"][0]["id"] = "node-a-r1"; },
                       "node id 'node-a-r1' appears more than once"));
  EXPECT_TRUE(Rejected([](json& j) { j[0]["replicas"][1]["id"] = "node-a-r1"; },
                       "node id 'node-a-r1' appears more than once"));
  EXPECT_TRUE(Rejected([](json& j) { j[0]["replicas"][1]["id"] = "node-c"; },
                       "node id 'node-c' appears more than once"));
  // Ids compare exactly (case-sensitive).
  EXPECT_TRUE(Accepted([](json& j) { j[2]["replicas"][0]["id"] = "NODE-A"; }));
}

TEST(ClusterConfigValidationTest, BadRangeBounds) {
  EXPECT_TRUE(Rejected([](json& j) { j[1]["slot_ranges"][0]["start"] = 12288; },
                       "shard 1: slot range [12288, 12287] has start > end"));
  EXPECT_TRUE(Rejected([](json& j) { j[2]["slot_ranges"][0]["end"] = 16384; },
                       "shard 2: slot range [12288, 16384] goes past slot 16383"));
  EXPECT_TRUE(Rejected([](json& j) { j[2]["slot_ranges"][0]["end"] = 65535; }, "goes past slot"));
  EXPECT_TRUE(Rejected([](json& j) { j[2]["slot_ranges"].push_back(Range(20000, 20000)); },
                       "goes past slot"));
}

TEST(ClusterConfigValidationTest, OverlappingRanges) {
  // Within one shard.
  EXPECT_TRUE(Rejected([](json& j) { j[0]["slot_ranges"].push_back(Range(100, 200)); },
                       "slot 100 is covered twice"));
  EXPECT_TRUE(Rejected([](json& j) { j[1]["slot_ranges"].push_back(Range(8192, 12287)); },
                       "slot 8192 is covered twice"));
  // Across shards.
  EXPECT_TRUE(Rejected([](json& j) { j[1]["slot_ranges"][0]["start"] = 8000; },
                       "slot 8000 is covered twice"));
  EXPECT_TRUE(Rejected([](json& j) { j[2]["slot_ranges"].push_back(Range(0, 0)); },
                       "slot 0 is covered twice"));
  // Exactly adjacent is fine.
  EXPECT_TRUE(
      Accepted([](json& j) { j[1]["slot_ranges"] = {Range(8192, 10000), Range(10001, 12287)}; }));
  // Single-slot ranges are fine.
  EXPECT_TRUE(Accepted([](json& j) {
    j[1]["slot_ranges"] = {Range(8192, 8192), Range(8193, 12286), Range(12287, 12287)};
  }));
}

TEST(ClusterConfigValidationTest, MissingSlots) {
  EXPECT_TRUE(Rejected([](json& j) { j[1]["slot_ranges"] = json::array(); },
                       "slot 8192 is not covered (4096 slots uncovered)"));
  EXPECT_TRUE(Rejected([](json& j) { j[2]["slot_ranges"][0]["end"] = 16382; },
                       "slot 16383 is not covered"));
  EXPECT_TRUE(
      Rejected([](json& j) { j[0]["slot_ranges"][0]["start"] = 1; }, "slot 0 is not covered"));
  EXPECT_TRUE(Rejected([](json& j) { j.erase(1); }, "slot 8192 is not covered"));
  EXPECT_TRUE(
      Rejected(R"([{"slot_ranges":[],"master":{"id":"x","ip":"h","port":1},"replicas":[]}])",
               "slot 0 is not covered (16384 slots uncovered)"));
}

TEST(ClusterConfigValidationTest, MigrationTargets) {
  EXPECT_TRUE(Rejected([](json& j) { j[0]["migrations"][0]["node_id"] = "node-a"; },
                       "shard 0 migration to 'node-a': target is the shard's own master"));
  EXPECT_TRUE(Rejected([](json& j) { j[0]["migrations"][0]["node_id"] = "node-c-r1"; },
                       "migration to 'node-c-r1': target is not a master"));
  EXPECT_TRUE(Rejected([](json& j) { j[0]["migrations"][0]["node_id"] = "node-a-r1"; },
                       "target is not a master"));
  EXPECT_TRUE(Rejected([](json& j) { j[0]["migrations"][0]["node_id"] = "node-z"; },
                       "target is not a master"));
  EXPECT_TRUE(
      Rejected([](json& j) { j[0]["migrations"][0]["node_id"] = ""; }, "target is not a master"));
  EXPECT_TRUE(Rejected(
      [](json& j) {
        json second = j[0]["migrations"][0];
        j[0]["migrations"][0]["slot_ranges"] = json::array({Range(0, 10)});
        second["slot_ranges"] = json::array({Range(20, 30)});
        j[0]["migrations"].push_back(second);
      },
      "migration to 'node-b': more than one migration to the same target"));
  // Migration ip/port are not cross-checked against the target's master entry.
  EXPECT_TRUE(Accepted([](json& j) {
    j[0]["migrations"][0]["ip"] = "elsewhere";
    j[0]["migrations"][0]["port"] = 1;
  }));
  // Two shards may migrate to the same target, and one shard to two targets.
  EXPECT_TRUE(Accepted([](json& j) {
    j[2]["migrations"] = {
        {{"node_id", "node-b"}, {"ip", "i"}, {"port", 1}, {"slot_ranges", {Range(12288, 12300)}}}};
    j[0]["migrations"].push_back({{"node_id", "node-c"},
                                  {"ip", "i"},
                                  {"port", 1},
                                  {"slot_ranges", {Range(0, 100), Range(200, 300)}}});
  }));
}

TEST(ClusterConfigValidationTest, MigrationRanges) {
  EXPECT_TRUE(Rejected([](json& j) { j[0]["migrations"][0]["slot_ranges"] = json::array(); },
                       "shard 0 migration to 'node-b': no slot ranges"));
  EXPECT_TRUE(Rejected([](json& j) { j[0]["migrations"][0]["slot_ranges"][0]["start"] = 6001; },
                       "slot range [6001, 6000] has start > end"));
  EXPECT_TRUE(Rejected(
      [](json& j) {
        j[2]["migrations"] = {{{"node_id", "node-b"},
                               {"ip", "i"},
                               {"port", 1},
                               {"slot_ranges", {Range(16000, 16384)}}}};
      },
      "goes past slot 16383"));
  // Outside the shard's ranges (it belongs to another shard, or half of it does).
  EXPECT_TRUE(Rejected([](json& j) { j[0]["migrations"][0]["slot_ranges"][1] = Range(9000, 9001); },
                       "slot range [9000, 9001] is not inside one of the shard's ranges"));
  EXPECT_TRUE(Rejected([](json& j) { j[0]["migrations"][0]["slot_ranges"][1]["end"] = 8192; },
                       "slot range [7000, 8192] is not inside"));
  EXPECT_TRUE(Rejected(
      [](json& j) {
        j[1]["migrations"] = {{{"node_id", "node-a"},
                               {"ip", "i"},
                               {"port", 1},
                               {"slot_ranges", {Range(8191, 8192)}}}};
      },
      "slot range [8191, 8192] is not inside"));
  // Spanning two of the shard's ranges, even adjacent ones, is not allowed.
  auto split_shard = [](json& j) { j[0]["slot_ranges"] = {Range(0, 6499), Range(6500, 8191)}; };
  EXPECT_TRUE(Accepted(split_shard));
  EXPECT_TRUE(Rejected(
      [&](json& j) {
        split_shard(j);
        j[0]["migrations"][0]["slot_ranges"] = json::array({Range(6000, 7000)});
      },
      "slot range [6000, 7000] is not inside one of the shard's ranges"));
  EXPECT_TRUE(Accepted([&](json& j) {
    split_shard(j);
    j[0]["migrations"][0]["slot_ranges"] = {Range(6000, 6499), Range(6500, 7000)};
  }));
  // Inside a later one of several ranges.
  EXPECT_TRUE(Accepted([](json& j) {
    j[0]["slot_ranges"] = {Range(0, 99), Range(200, 8191), Range(100, 199)};
    j[0]["migrations"][0]["slot_ranges"] = {Range(150, 160), Range(8191, 8191), Range(0, 0)};
  }));
}

TEST(ClusterConfigValidationTest, OverlappingMigrationRanges) {
  // Within one migration.
  EXPECT_TRUE(
      Rejected([](json& j) { j[0]["migrations"][0]["slot_ranges"].push_back(Range(5000, 5000)); },
               "shard 0: migration slot ranges [4096, 6000] and [5000, 5000] overlap"));
  EXPECT_TRUE(
      Rejected([](json& j) { j[0]["migrations"][0]["slot_ranges"].push_back(Range(4096, 6000)); },
               "overlap"));
  // Across two migrations of the same shard.
  EXPECT_TRUE(Rejected(
      [](json& j) {
        j[0]["migrations"].push_back({{"node_id", "node-c"},
                                      {"ip", "i"},
                                      {"port", 1},
                                      {"slot_ranges", {Range(6000, 6500)}}});
      },
      "migration slot ranges [4096, 6000] and [6000, 6500] overlap"));
  EXPECT_TRUE(Accepted([](json& j) {
    j[0]["migrations"].push_back(
        {{"node_id", "node-c"}, {"ip", "i"}, {"port", 1}, {"slot_ranges", {Range(6001, 6999)}}});
  }));
  // Different shards migrating disjoint slots to the same target never overlap.
  EXPECT_TRUE(Accepted([](json& j) {
    j[2]["migrations"] = {
        {{"node_id", "node-b"}, {"ip", "i"}, {"port", 1}, {"slot_ranges", {Range(12288, 16383)}}}};
  }));
}

TEST(ClusterConfigValidationTest, NullErrorPointerAllowed) {
  EXPECT_EQ(ClusterConfig::Create("[]", "node-a", nullptr), nullptr);
  EXPECT_NE(ClusterConfig::Create(kSpecExample, "node-a", nullptr), nullptr);
}

// ---------------------------------------------------------------------------------------------
// Equality (§3.4)

bool Equal(const std::string& a, const std::string& b) {
  auto ca = ClusterConfig::Create(a, "node-a", nullptr);
  auto cb = ClusterConfig::Create(b, "node-b", nullptr);  // my_id is not compared
  EXPECT_TRUE(ca && cb);
  if (!ca || !cb) return false;
  bool ab = ca->Equals(*cb);
  EXPECT_EQ(ab, cb->Equals(*ca));
  return ab;
}

TEST(ClusterConfigEqualsTest, OrderInsensitive) {
  std::string base = Example().dump();
  EXPECT_TRUE(Equal(base, base));
  EXPECT_TRUE(Equal(base, std::string(kSpecExample)));  // whitespace
  EXPECT_TRUE(Equal(base, Edited([](json& j) {
                      std::swap(j[0], j[2]);
                      std::swap(j[1], j[2]);
                    })));
  EXPECT_TRUE(
      Equal(base, Edited([](json& j) { std::swap(j[0]["replicas"][0], j[0]["replicas"][1]); })));
  EXPECT_TRUE(Equal(base, Edited([](json& j) {
                      auto& r = j[0]["migrations"][0]["slot_ranges"];
                      std::swap(r[0], r[1]);
                    })));
  EXPECT_TRUE(Equal(base, Edited([](json& j) { j[1]["migrations"] = nullptr; })));
  EXPECT_TRUE(Equal(base, Edited([](json& j) { j[1]["migrations"] = json::array(); })));
  EXPECT_TRUE(Equal(base, Edited([](json& j) { j[0]["master"].erase("health"); })));
  EXPECT_TRUE(Equal(base, Edited([](json& j) { j[0]["master"]["health"] = "ONLINE"; })));
  EXPECT_TRUE(Equal(base, Edited([](json& j) { j[0]["master"]["port"] = 7000.0; })));
  EXPECT_TRUE(Equal(base, Edited([](json& j) { j[0]["unknown"] = 1; })));

  // Migration lists as sets.
  auto two_migrations = [](json& j) {
    j[0]["migrations"].push_back(
        {{"node_id", "node-c"}, {"ip", "i"}, {"port", 1}, {"slot_ranges", {Range(0, 100)}}});
  };
  EXPECT_TRUE(Equal(Edited(two_migrations), Edited([&](json& j) {
                      two_migrations(j);
                      std::swap(j[0]["migrations"][0], j[0]["migrations"][1]);
                    })));
  // Split ranges are different from merged ones (ranges are compared, not slot sets).
  EXPECT_FALSE(Equal(base, Edited([](json& j) {
                       j[1]["slot_ranges"] = {Range(8192, 9000), Range(9001, 12287)};
                     })));
}

TEST(ClusterConfigEqualsTest, AnyChangeMatters) {
  std::string base = Example().dump();
  std::vector<std::pair<const char*, std::function<void(json&)>>> edits = {
      {"master port", [](json& j) { j[1]["master"]["port"] = 7002; }},
      {"master ip", [](json& j) { j[1]["master"]["ip"] = "10.0.0.44"; }},
      {"master health", [](json& j) { j[1]["master"]["health"] = "fail"; }},
      {"master id", [](json& j) { j[2]["master"]["id"] = "node-d"; }},
      {"replica health", [](json& j) { j[0]["replicas"][1]["health"] = "online"; }},
      {"replica port", [](json& j) { j[2]["replicas"][0]["port"] = 1; }},
      {"replica ip", [](json& j) { j[2]["replicas"][0]["ip"] = "x"; }},
      {"replica id", [](json& j) { j[2]["replicas"][0]["id"] = "node-c-r2"; }},
      {"replica added",
       [](json& j) { j[1]["replicas"].push_back({{"id", "b-r"}, {"ip", "h"}, {"port", 1}}); }},
      {"replica removed", [](json& j) { j[0]["replicas"].erase(1); }},
      {"replica moved to another shard",
       [](json& j) {
         j[1]["replicas"].push_back(j[0]["replicas"][1]);
         j[0]["replicas"].erase(1);
       }},
      {"ranges moved",
       [](json& j) {
         j[1]["slot_ranges"][0]["start"] = 8193;
         j[0]["slot_ranges"][0]["end"] = 8192;
       }},
      {"shards swap masters", [](json& j) { std::swap(j[1]["slot_ranges"], j[2]["slot_ranges"]); }},
      {"migration port", [](json& j) { j[0]["migrations"][0]["port"] = 7000; }},
      {"migration ip", [](json& j) { j[0]["migrations"][0]["ip"] = "10.0.0.40"; }},
      {"migration target", [](json& j) { j[0]["migrations"][0]["node_id"] = "node-c"; }},
      {"migration ranges", [](json& j) { j[0]["migrations"][0]["slot_ranges"][0]["end"] = 5999; }},
      {"migration removed", [](json& j) { j[0].erase("migrations"); }},
      {"migration added",
       [](json& j) {
         j[2]["migrations"] = {{{"node_id", "node-b"},
                                {"ip", "i"},
                                {"port", 1},
                                {"slot_ranges", {Range(12288, 12288)}}}};
       }},
  };
  for (const auto& [name, edit] : edits) {
    SCOPED_TRACE(name);
    EXPECT_FALSE(Equal(base, Edited(edit)));
  }
}

}  // namespace
}  // namespace darner
