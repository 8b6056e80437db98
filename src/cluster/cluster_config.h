// The cluster topology a manager pushes with `DFLYCLUSTER CONFIG <json>` (spec
// dragonfly-cluster.md §3): parsed, validated, and reduced to what this node needs (the slots it
// owns, its outgoing and incoming migrations). Immutable once created; shared between threads
// through shared_ptr<const ClusterConfig>.
#pragma once

#include <bitset>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/crc16.h"

namespace darner {

struct SlotRange {
  SlotId start = 0;
  SlotId end = 0;  // inclusive
  bool operator==(const SlotRange&) const = default;
  auto operator<=>(const SlotRange&) const = default;
};
using SlotRanges = std::vector<SlotRange>;

// "[0, 10], [20, 30]" — the form SLOT-MIGRATION-STATUS and log lines use.
std::string SlotRangesToString(const SlotRanges& ranges);

// A set of slots, 2 KiB.
class SlotSet {
 public:
  SlotSet() = default;
  explicit SlotSet(const SlotRanges& ranges) { Add(ranges); }
  static SlotSet All() {
    SlotSet s;
    s.bits_.set();
    return s;
  }

  bool Contains(SlotId slot) const { return bits_.test(slot); }
  void Add(SlotId slot) { bits_.set(slot); }
  void Add(const SlotRanges& ranges);
  void Remove(const SlotRanges& ranges);
  size_t Count() const { return bits_.count(); }
  bool Empty() const { return bits_.none(); }
  // Slots in this set and not in `other`.
  SlotSet Minus(const SlotSet& other) const {
    SlotSet s;
    s.bits_ = bits_ & ~other.bits_;
    return s;
  }
  SlotSet& operator|=(const SlotSet& other) {
    bits_ |= other.bits_;
    return *this;
  }
  bool operator==(const SlotSet&) const = default;
  const std::bitset<kNumSlots>& bits() const { return bits_; }
  // Maximal runs of set slots, ascending.
  SlotRanges ToRanges() const;

 private:
  std::bitset<kNumSlots> bits_;
};

enum class NodeHealth : uint8_t { kOnline, kLoading, kFail, kHidden };
std::string_view HealthName(NodeHealth h);  // "online", "loading", "fail", "hidden"

struct ClusterNode {
  std::string id;
  std::string ip;  // verbatim from the JSON (may be a host name)
  uint16_t port = 0;
  NodeHealth health = NodeHealth::kOnline;
  bool operator==(const ClusterNode&) const = default;
};

struct MigrationInfo {
  std::string node_id;  // the target master
  std::string ip;       // where the source connects
  uint16_t port = 0;
  SlotRanges slot_ranges;  // sorted by (start, end)
  bool operator==(const MigrationInfo&) const = default;
};

struct ClusterShard {
  SlotRanges slot_ranges;  // sorted by (start, end)
  ClusterNode master;
  std::vector<ClusterNode> replicas;      // JSON order
  std::vector<MigrationInfo> migrations;  // JSON order; outgoing from `master`
};

// A migration into this node: the source's master id and the entry from the source's shard.
struct IncomingMigrationInfo {
  std::string source_id;
  MigrationInfo info;
  bool operator==(const IncomingMigrationInfo&) const = default;
};

class ClusterConfig {
 public:
  // Parses and validates `json` (every rule of spec §3.1 and §3.3) and derives the state of
  // node `my_id` (§3.4). On any failure returns nullptr and sets *error to a one-line reason
  // for the log (the client only ever sees "Invalid cluster configuration.").
  static std::shared_ptr<const ClusterConfig> Create(std::string_view json, std::string_view my_id,
                                                     std::string* error);

  std::string_view my_id() const { return my_id_; }
  // Sorted by master id (byte-wise string compare).
  const std::vector<ClusterShard>& shards() const { return shards_; }
  // Union of the slot ranges of every shard where my_id is the master or a replica.
  const SlotSet& owned_slots() const { return owned_; }
  // my_id is some shard's master.
  bool is_master() const { return is_master_; }
  // Migrations of the shard my_id is master of (JSON order).
  const std::vector<MigrationInfo>& outgoing_migrations() const { return outgoing_; }
  // Migrations (of other shards) whose node_id is my_id, in shard order then JSON order.
  const std::vector<IncomingMigrationInfo>& incoming_migrations() const { return incoming_; }
  // Index into shards() of the shard whose ranges contain `slot` (every slot has one).
  size_t ShardIndexOfSlot(SlotId slot) const { return shard_of_slot_[slot]; }
  // Index into shards() of the shard whose master is `id`, or -1.
  int ShardIndexOfMaster(std::string_view id) const;

  // Semantic equality of §3.4: same shards after sorting, replica and migration lists equal
  // as sets. (my_id is not compared.)
  bool Equals(const ClusterConfig& other) const;

 private:
  ClusterConfig() = default;

  std::string my_id_;
  std::vector<ClusterShard> shards_;
  SlotSet owned_;
  bool is_master_ = false;
  std::vector<MigrationInfo> outgoing_;
  std::vector<IncomingMigrationInfo> incoming_;
  std::vector<uint16_t> shard_of_slot_;  // kNumSlots entries
};

}  // namespace darner
