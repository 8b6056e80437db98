#include "cluster/cluster_config.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <unordered_set>
#include <utility>

#include "base/logging.h"
#include "base/strings.h"

namespace darner {

namespace {

using nlohmann::json;

// The schema nests six levels deep (array > shard > migrations > migration > slot_ranges >
// range); anything much deeper is hostile or broken, and refusing it before parsing bounds the
// parser's stack and allocations.
constexpr int kMaxJsonDepth = 32;

// shard_of_slot_ stores shard indexes as uint16_t. Shards with no slots are legal, so without a
// cap a config with more distinct masters than that could not be indexed.
constexpr size_t kMaxShards = size_t{std::numeric_limits<uint16_t>::max()} + 1;

constexpr SlotId kMaxSlot = kNumSlots - 1;

// True if `text` opens more than `max_depth` arrays/objects at once. Brackets inside strings
// don't count; the scan does not validate anything else (the parser does that).
bool ExceedsDepth(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // skip the escaped character, which may be a quote
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

// A JSON number that is exactly an integer in [0, max]. Floats are accepted only when finite and
// integral (5.0); the range check comes before the cast because casting an out-of-range double
// to an integer is undefined behaviour.
bool ToUint16(const json& j, uint16_t max, uint16_t* out) {
  if (const auto* u = j.get_ptr<const json::number_unsigned_t*>()) {
    if (*u > max) return false;
    *out = static_cast<uint16_t>(*u);
    return true;
  }
  if (const auto* i = j.get_ptr<const json::number_integer_t*>()) {
    if (*i < 0 || *i > max) return false;
    *out = static_cast<uint16_t>(*i);
    return true;
  }
  if (const auto* d = j.get_ptr<const json::number_float_t*>()) {
    // NaN fails every comparison, so it is rejected here too.
    if (!std::isfinite(*d) || !(*d >= 0 && *d <= max) || std::floor(*d) != *d) return false;
    *out = static_cast<uint16_t>(*d);
    return true;
  }
  return false;
}

// The member `name` of object `obj`, or nullptr. `obj` must already be known to be an object.
const json* Field(const json& obj, const char* name) {
  auto it = obj.find(name);
  return it == obj.end() ? nullptr : &*it;
}

// Field `name` of `obj` as a string; on failure writes "<ctx>: ..." to *error.
bool StringField(const json& obj, const char* name, std::string_view ctx, std::string* out,
                 std::string* error) {
  const json* f = Field(obj, name);
  if (f == nullptr) {
    *error = StrCat(ctx, ": missing field '", name, "'");
    return false;
  }
  const auto* s = f->get_ptr<const json::string_t*>();
  if (s == nullptr) {
    *error = StrCat(ctx, ": '", name, "' must be a string, got ", f->type_name());
    return false;
  }
  *out = *s;
  return true;
}

// An id or address goes verbatim into replies (MOVED, CLUSTER NODES, SLOT-MIGRATION-STATUS):
// printable ASCII without spaces, and of a sane length, so it can never split a reply. (Empty is
// allowed, as before: an ip may be left out of a hidden node.)
bool WordField(const json& obj, const char* name, std::string_view ctx, std::string* out,
               std::string* error) {
  if (!StringField(obj, name, ctx, out, error)) return false;
  constexpr size_t kMaxLen = 256;
  bool printable = std::all_of(out->begin(), out->end(), [](char c) { return c > ' ' && c < 127; });
  if (out->size() > kMaxLen || !printable) {
    *error = StrCat(ctx, ": '", name, "' must be at most ", kMaxLen,
                    " printable characters without spaces");
    return false;
  }
  return true;
}

bool PortField(const json& obj, std::string_view ctx, uint16_t* out, std::string* error) {
  const json* f = Field(obj, "port");
  if (f == nullptr) {
    *error = StrCat(ctx, ": missing field 'port'");
    return false;
  }
  if (!ToUint16(*f, std::numeric_limits<uint16_t>::max(), out)) {
    *error = StrCat(ctx, ": 'port' must be an integer in [0, 65535]");
    return false;
  }
  return true;
}

// A missing, non-string or unknown health is not an error (spec §3.1): it is logged and the
// node counts as online, so a manager that adds new states doesn't break older nodes.
NodeHealth ParseHealth(const json& node, std::string_view id) {
  const json* f = Field(node, "health");
  if (f == nullptr) return NodeHealth::kOnline;
  if (const auto* s = f->get_ptr<const json::string_t*>()) {
    for (NodeHealth h :
         {NodeHealth::kOnline, NodeHealth::kLoading, NodeHealth::kFail, NodeHealth::kHidden}) {
      if (EqualsIgnoreCase(*s, HealthName(h))) return h;
    }
    LOG(WARNING) << "cluster config: node '" << id << "' has unknown health '" << *s
                 << "', treating it as online";
  } else {
    LOG(WARNING) << "cluster config: node '" << id << "' has a " << f->type_name()
                 << " health, treating it as online";
  }
  return NodeHealth::kOnline;
}

bool ParseNode(const json& j, std::string_view ctx, ClusterNode* out, std::string* error) {
  if (!j.is_object()) {
    *error = StrCat(ctx, ": node must be an object, got ", j.type_name());
    return false;
  }
  if (!WordField(j, "id", ctx, &out->id, error)) return false;
  if (!WordField(j, "ip", ctx, &out->ip, error)) return false;
  if (!PortField(j, ctx, &out->port, error)) return false;
  out->health = ParseHealth(j, out->id);
  return true;
}

// Field "slot_ranges" of `obj`: an array of {start, end}. Only the types are checked here;
// bounds and overlaps are validated once everything is parsed.
bool ParseSlotRanges(const json& obj, std::string_view ctx, SlotRanges* out, std::string* error) {
  const json* f = Field(obj, "slot_ranges");
  if (f == nullptr) {
    *error = StrCat(ctx, ": missing field 'slot_ranges'");
    return false;
  }
  if (!f->is_array()) {
    *error = StrCat(ctx, ": 'slot_ranges' must be an array, got ", f->type_name());
    return false;
  }
  out->reserve(f->size());
  size_t i = 0;
  for (const json& r : *f) {
    if (!r.is_object()) {
      *error = StrCat(ctx, ": slot_ranges[", i, "] must be an object, got ", r.type_name());
      return false;
    }
    SlotRange range;
    for (auto [name, field] : {std::pair{"start", &range.start}, std::pair{"end", &range.end}}) {
      const json* v = Field(r, name);
      if (v == nullptr) {
        *error = StrCat(ctx, ": slot_ranges[", i, "]: missing field '", name, "'");
        return false;
      }
      // Anything above 65535 fails here; 16384..65535 gets the clearer bounds error later.
      if (!ToUint16(*v, std::numeric_limits<uint16_t>::max(), field)) {
        *error = StrCat(ctx, ": slot_ranges[", i, "]: '", name, "' is not a slot number");
        return false;
      }
    }
    out->push_back(range);
    ++i;
  }
  return true;
}

bool ParseMigration(const json& j, std::string_view ctx, MigrationInfo* out, std::string* error) {
  if (!j.is_object()) {
    *error = StrCat(ctx, ": must be an object, got ", j.type_name());
    return false;
  }
  if (!WordField(j, "node_id", ctx, &out->node_id, error)) return false;
  if (!WordField(j, "ip", ctx, &out->ip, error)) return false;
  if (!PortField(j, ctx, &out->port, error)) return false;
  return ParseSlotRanges(j, ctx, &out->slot_ranges, error);
}

bool ParseShard(const json& j, size_t index, ClusterShard* out, std::string* error) {
  std::string ctx = StrCat("shard ", index);
  if (!j.is_object()) {
    *error = StrCat(ctx, ": must be an object, got ", j.type_name());
    return false;
  }
  if (!ParseSlotRanges(j, ctx, &out->slot_ranges, error)) return false;

  const json* master = Field(j, "master");
  if (master == nullptr) {
    *error = StrCat(ctx, ": missing field 'master'");
    return false;
  }
  if (!ParseNode(*master, StrCat(ctx, " master"), &out->master, error)) return false;

  const json* replicas = Field(j, "replicas");
  if (replicas == nullptr) {
    *error = StrCat(ctx, ": missing field 'replicas'");
    return false;
  }
  if (!replicas->is_array()) {
    *error = StrCat(ctx, ": 'replicas' must be an array, got ", replicas->type_name());
    return false;
  }
  out->replicas.resize(replicas->size());
  for (size_t i = 0; i < replicas->size(); ++i) {
    if (!ParseNode((*replicas)[i], StrCat(ctx, " replicas[", i, "]"), &out->replicas[i], error)) {
      return false;
    }
  }

  const json* migrations = Field(j, "migrations");
  if (migrations == nullptr || migrations->is_null()) return true;
  if (!migrations->is_array()) {
    *error = StrCat(ctx, ": 'migrations' must be an array, got ", migrations->type_name());
    return false;
  }
  out->migrations.resize(migrations->size());
  for (size_t i = 0; i < migrations->size(); ++i) {
    if (!ParseMigration((*migrations)[i], StrCat(ctx, " migrations[", i, "]"), &out->migrations[i],
                        error)) {
      return false;
    }
  }
  return true;
}

std::string RangeToString(const SlotRange& r) { return StrCat("[", r.start, ", ", r.end, "]"); }

bool ValidateRange(const SlotRange& r, std::string_view ctx, std::string* error) {
  if (r.start > r.end) {
    *error = StrCat(ctx, ": slot range ", RangeToString(r), " has start > end");
    return false;
  }
  if (r.end > kMaxSlot) {
    *error = StrCat(ctx, ": slot range ", RangeToString(r), " goes past slot ", kMaxSlot);
    return false;
  }
  return true;
}

// Spec §3.3 rule 2.
bool ValidateUniqueIds(const std::vector<ClusterShard>& shards, std::string* error) {
  std::unordered_set<std::string_view> ids;
  auto add = [&](const std::string& id) {
    if (ids.insert(id).second) return true;
    *error = StrCat("node id '", id, "' appears more than once");
    return false;
  };
  for (const ClusterShard& shard : shards) {
    if (!add(shard.master.id)) return false;
    for (const ClusterNode& replica : shard.replicas) {
      if (!add(replica.id)) return false;
    }
  }
  return true;
}

// Spec §3.3 rules 3 and 4. Every slot is visited at most once before a duplicate stops the scan,
// so the work is bounded by kNumSlots plus the number of ranges.
bool ValidateSlotCoverage(const std::vector<ClusterShard>& shards, std::string* error) {
  SlotSet covered;
  for (size_t i = 0; i < shards.size(); ++i) {
    std::string ctx = StrCat("shard ", i);
    for (const SlotRange& r : shards[i].slot_ranges) {
      if (!ValidateRange(r, ctx, error)) return false;
      for (uint32_t slot = r.start; slot <= r.end; ++slot) {
        if (covered.Contains(slot)) {
          *error = StrCat("slot ", slot, " is covered twice");
          return false;
        }
        covered.Add(slot);
      }
    }
  }
  if (covered.Count() != kNumSlots) {
    for (uint32_t slot = 0; slot < kNumSlots; ++slot) {
      if (!covered.Contains(slot)) {
        *error = StrCat("slot ", slot, " is not covered (", kNumSlots - covered.Count(),
                        " slots uncovered)");
        return false;
      }
    }
  }
  return true;
}

// Spec §3.3 rule 5. Expects each shard's slot_ranges to be sorted and already valid.
bool ValidateMigrations(const std::vector<ClusterShard>& shards, std::string* error) {
  std::unordered_set<std::string_view> masters;
  for (const ClusterShard& shard : shards) masters.insert(shard.master.id);

  for (size_t i = 0; i < shards.size(); ++i) {
    const ClusterShard& shard = shards[i];
    std::string ctx = StrCat("shard ", i);
    std::unordered_set<std::string_view> targets;
    SlotRanges all_ranges;  // of every migration of this shard, to find overlaps
    for (const MigrationInfo& m : shard.migrations) {
      std::string mctx = StrCat(ctx, " migration to '", m.node_id, "'");
      if (m.node_id == shard.master.id) {
        *error = StrCat(mctx, ": target is the shard's own master");
        return false;
      }
      if (!masters.contains(m.node_id)) {
        *error = StrCat(mctx, ": target is not a master in this config");
        return false;
      }
      if (!targets.insert(m.node_id).second) {
        *error = StrCat(mctx, ": more than one migration to the same target");
        return false;
      }
      if (m.slot_ranges.empty()) {
        *error = StrCat(mctx, ": no slot ranges");
        return false;
      }
      for (const SlotRange& r : m.slot_ranges) {
        if (!ValidateRange(r, mctx, error)) return false;
        // The shard range that could contain r is the last one starting at or before r.start;
        // shard ranges don't overlap, so no other one can.
        auto it = std::upper_bound(shard.slot_ranges.begin(), shard.slot_ranges.end(), r.start,
                                   [](SlotId s, const SlotRange& sr) { return s < sr.start; });
        if (it == shard.slot_ranges.begin() || std::prev(it)->end < r.end) {
          *error = StrCat(mctx, ": slot range ", RangeToString(r),
                          " is not inside one of the shard's ranges");
          return false;
        }
        all_ranges.push_back(r);
      }
    }
    std::sort(all_ranges.begin(), all_ranges.end());
    for (size_t k = 1; k < all_ranges.size(); ++k) {
      if (all_ranges[k].start <= all_ranges[k - 1].end) {
        *error = StrCat(ctx, ": migration slot ranges ", RangeToString(all_ranges[k - 1]), " and ",
                        RangeToString(all_ranges[k]), " overlap");
        return false;
      }
    }
  }
  return true;
}

template <typename T, typename Key>
std::vector<T> SortedBy(const std::vector<T>& v, Key key) {
  std::vector<T> out = v;
  std::sort(out.begin(), out.end(), [&](const T& a, const T& b) { return key(a) < key(b); });
  return out;
}

bool ShardsEqual(const ClusterShard& a, const ClusterShard& b) {
  if (a.slot_ranges != b.slot_ranges || a.master != b.master ||
      a.replicas.size() != b.replicas.size() || a.migrations.size() != b.migrations.size()) {
    return false;
  }
  // Ids are unique within a config and a shard has at most one migration per target, so sorting
  // by those keys gives a canonical order and set equality becomes vector equality.
  auto node_id = [](const ClusterNode& n) -> const std::string& { return n.id; };
  auto target_id = [](const MigrationInfo& m) -> const std::string& { return m.node_id; };
  return SortedBy(a.replicas, node_id) == SortedBy(b.replicas, node_id) &&
         SortedBy(a.migrations, target_id) == SortedBy(b.migrations, target_id);
}

}  // namespace

std::string SlotRangesToString(const SlotRanges& ranges) {
  std::string out;
  for (const SlotRange& r : ranges) {
    if (!out.empty()) out += ", ";
    StrAppend(&out, "[", r.start, ", ", r.end, "]");
  }
  return out;
}

// Slots past the last one are ignored rather than passed to bitset::set, which would throw.
void SlotSet::Add(const SlotRanges& ranges) {
  for (const SlotRange& r : ranges) {
    for (uint32_t s = r.start; s <= std::min<uint32_t>(r.end, kMaxSlot); ++s) bits_.set(s);
  }
}

void SlotSet::Remove(const SlotRanges& ranges) {
  for (const SlotRange& r : ranges) {
    for (uint32_t s = r.start; s <= std::min<uint32_t>(r.end, kMaxSlot); ++s) bits_.reset(s);
  }
}

SlotRanges SlotSet::ToRanges() const {
  SlotRanges out;
  uint32_t slot = 0;
  while (slot < kNumSlots) {
    if (!bits_.test(slot)) {
      ++slot;
      continue;
    }
    uint32_t start = slot;
    while (slot < kNumSlots && bits_.test(slot)) ++slot;
    out.push_back({static_cast<SlotId>(start), static_cast<SlotId>(slot - 1)});
  }
  return out;
}

std::string_view HealthName(NodeHealth h) {
  switch (h) {
    case NodeHealth::kOnline:
      return "online";
    case NodeHealth::kLoading:
      return "loading";
    case NodeHealth::kFail:
      return "fail";
    case NodeHealth::kHidden:
      return "hidden";
  }
  return "online";
}

std::shared_ptr<const ClusterConfig> ClusterConfig::Create(std::string_view text,
                                                           std::string_view my_id,
                                                           std::string* error) {
  std::string ignored;
  if (error == nullptr) error = &ignored;

  if (ExceedsDepth(text, kMaxJsonDepth)) {
    *error = StrCat("JSON nested deeper than ", kMaxJsonDepth, " levels");
    return nullptr;
  }
  // allow_exceptions=false: malformed input (including numbers that overflow a double, such as
  // 1E383) yields a discarded value instead of a throw.
  json root = json::parse(text.begin(), text.end(), /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) {
    *error = "malformed JSON";
    return nullptr;
  }
  if (!root.is_array()) {
    *error = StrCat("top level must be an array, got ", root.type_name());
    return nullptr;
  }
  if (root.empty()) {
    *error = "no shards";
    return nullptr;
  }
  if (root.size() > kMaxShards) {
    *error = StrCat("too many shards (", root.size(), ")");
    return nullptr;
  }

  std::vector<ClusterShard> shards(root.size());
  for (size_t i = 0; i < root.size(); ++i) {
    if (!ParseShard(root[i], i, &shards[i], error)) return nullptr;
  }
  // Sorted ranges make the migration containment check a binary search; sorting here keeps the
  // shards in JSON order so error messages name the index the manager sent.
  for (ClusterShard& shard : shards) {
    std::sort(shard.slot_ranges.begin(), shard.slot_ranges.end());
    for (MigrationInfo& m : shard.migrations) {
      std::sort(m.slot_ranges.begin(), m.slot_ranges.end());
    }
  }
  if (!ValidateUniqueIds(shards, error) || !ValidateSlotCoverage(shards, error) ||
      !ValidateMigrations(shards, error)) {
    return nullptr;
  }

  std::sort(shards.begin(), shards.end(),
            [](const ClusterShard& a, const ClusterShard& b) { return a.master.id < b.master.id; });

  std::shared_ptr<ClusterConfig> config(new ClusterConfig());
  config->my_id_ = my_id;
  config->shards_ = std::move(shards);
  config->shard_of_slot_.resize(kNumSlots);
  for (size_t i = 0; i < config->shards_.size(); ++i) {
    const ClusterShard& shard = config->shards_[i];
    for (const SlotRange& r : shard.slot_ranges) {
      for (uint32_t slot = r.start; slot <= r.end; ++slot) {
        config->shard_of_slot_[slot] = static_cast<uint16_t>(i);
      }
    }
    bool is_my_shard = shard.master.id == my_id;
    if (is_my_shard) {
      config->is_master_ = true;
      config->outgoing_ = shard.migrations;
    } else {
      for (const ClusterNode& replica : shard.replicas) {
        if (replica.id == my_id) is_my_shard = true;
      }
      // Only a master can be a migration target and ids are unique, so a migration naming me
      // is never in my own shard.
      for (const MigrationInfo& m : shard.migrations) {
        if (m.node_id == my_id) config->incoming_.push_back({shard.master.id, m});
      }
    }
    if (is_my_shard) config->owned_.Add(shard.slot_ranges);
  }
  return config;
}

int ClusterConfig::ShardIndexOfMaster(std::string_view id) const {
  auto it = std::lower_bound(
      shards_.begin(), shards_.end(), id,
      [](const ClusterShard& shard, std::string_view id) { return shard.master.id < id; });
  if (it == shards_.end() || it->master.id != id) return -1;
  return static_cast<int>(it - shards_.begin());
}

bool ClusterConfig::Equals(const ClusterConfig& other) const {
  // Both shard lists are sorted by master id (unique), so equal configs line up index by index.
  if (shards_.size() != other.shards_.size()) return false;
  for (size_t i = 0; i < shards_.size(); ++i) {
    if (!ShardsEqual(shards_[i], other.shards_[i])) return false;
  }
  return true;
}

}  // namespace darner
