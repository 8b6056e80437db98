#include "server/db_slice.h"

#include <time.h>

#include <algorithm>

#include "base/logging.h"
#include "server/cluster_support.h"

namespace darner {

int64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

DbSlice::DbSlice(unsigned shard_id, unsigned num_shards, DbStats* stats)
    : shard_id_(shard_id), num_shards_(num_shards), stats_(stats) {
  tables_ = std::vector<KeyTable>((kNumSlots - shard_id + num_shards - 1) / num_shards);
  if (ClusterEnabled()) slot_counters_.resize(tables_.size());
}

void DbSlice::AccountSlot(const KeyEntry* e, int64_t delta, bool write) {
  SlotCounters& c = slot_counters_[KeySlot(e->key()) / num_shards_];
  c.bytes += delta;
  c.writes += write;
}

DbSlice::SlotStats DbSlice::GetSlotStats(unsigned slot_pos) const {
  SlotStats st;
  st.keys = tables_[slot_pos].size();
  if (!slot_counters_.empty()) {
    const SlotCounters& c = slot_counters_[slot_pos];
    st.reads = c.reads;
    st.writes = c.writes;
    st.memory_bytes =
        static_cast<uint64_t>(std::max<int64_t>(c.bytes, 0)) + tables_[slot_pos].BucketBytes();
  }
  return st;
}

DbSlice::~DbSlice() = default;

KeyTable* DbSlice::TableFor(std::string_view key) {
  SlotId slot = KeySlot(key);
  DCHECK(slot % num_shards_ == shard_id_);
  return &tables_[slot / num_shards_];
}

KeyEntry* DbSlice::Find(std::string_view key) { return FindIn(TableFor(key), key); }

KeyEntry* DbSlice::FindIn(KeyTable* table, std::string_view key, bool touch) {
  KeyEntry* e = table->Find(key);
  if (e && e->has_expire() && IsExpired(e, NowMs())) {
    DeleteFor(e, ChangeCause::kExpired);
    ++stats_->expired_keys;
    return nullptr;
  }
  if (e && touch) RecordAccess(e);
  return e;
}

KeyEntry* DbSlice::FindNoTouch(std::string_view key) { return FindIn(TableFor(key), key, false); }

namespace {
// One step of splitmix64: each sample gets an unrelated seed (RandomEntry's own generator is
// the same LCG, so stepping it here would make consecutive samples probe the same slots).
uint64_t SplitMix(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}
}  // namespace

void DbSlice::AddEvictionCandidate(uint64_t score, std::string key) {
  auto at = std::lower_bound(eviction_pool_.begin(), eviction_pool_.end(), score,
                             [](const EvictionCandidate& c, uint64_t s) { return c.score < s; });
  eviction_pool_.insert(at, EvictionCandidate{score, std::move(key)});
  if (eviction_pool_.size() > kEvictionPoolSize) eviction_pool_.erase(eviction_pool_.begin());
}

bool DbSlice::EvictOne(EvictionPolicy policy, uint64_t seed) {
  if (key_count_ == 0) return false;
  if (policy == EvictionPolicy::kVolatileTtl) {
    if (deadlines_.empty()) return false;
    DeleteFor(deadlines_.begin()->second, ChangeCause::kEvicted);
    ++stats_->evicted_keys;
    return true;
  }
  constexpr int kSamples = 5;  // Redis's maxmemory-samples
  const bool volatile_only = IsVolatile(policy);
  if (volatile_only && deadlines_.empty()) return false;
  if (policy == EvictionPolicy::kAllKeysRandom || policy == EvictionPolicy::kVolatileRandom) {
    // Random: any sampled key will do.
    for (int tries = 0; tries < kSamples * 8; ++tries) {
      KeyEntry* e = RandomEntry(SplitMix(&seed));
      if (!e || (volatile_only && !e->has_expire())) continue;
      DeleteFor(e, ChangeCause::kEvicted);
      ++stats_->evicted_keys;
      return true;
    }
  } else {
    // Samples (neighbours in one slot's table, as Redis takes them from one dict) go into the
    // pool, which keeps the best candidates seen (sorted, best last); volatile policies sample
    // until five keys with a deadline turned up (bounded).
    int found = 0;
    auto consider = [&](KeyEntry* e) {
      if (volatile_only && !e->has_expire()) return;
      ++found;
      uint64_t score = EvictionScore(policy, e);
      if (eviction_pool_.size() == kEvictionPoolSize && score <= eviction_pool_.front().score) {
        return;
      }
      for (const auto& c : eviction_pool_) {
        if (c.key == e->key()) return;
      }
      AddEvictionCandidate(score, std::string(e->key()));
    };
    for (int tries = 0; found < kSamples && tries < 8; ++tries) {
      uint64_t x = SplitMix(&seed);
      if (const KeyTable* t = RandomTable(&x)) t->Sample(x, kSamples - found, consider);
    }
    while (!eviction_pool_.empty()) {
      EvictionCandidate best = std::move(eviction_pool_.back());
      eviction_pool_.pop_back();
      KeyEntry* e = TableFor(best.key)->Find(best.key);
      if (!e || (volatile_only && !e->has_expire())) continue;  // gone meanwhile
      // Accessed since it was sampled: back in the pool with its score of now.
      uint64_t score = EvictionScore(policy, e);
      if (score < best.score && !eviction_pool_.empty() && score < eviction_pool_.back().score) {
        AddEvictionCandidate(score, std::move(best.key));
        continue;
      }
      DeleteFor(e, ChangeCause::kEvicted);
      ++stats_->evicted_keys;
      return true;
    }
  }
  // Nothing sampled (few keys with a deadline): the nearest deadline stands in.
  if (!volatile_only) return false;
  DeleteFor(deadlines_.begin()->second, ChangeCause::kEvicted);
  ++stats_->evicted_keys;
  return true;
}

KeyEntry* DbSlice::FindForRead(std::string_view key) {
  KeyTable* table = TableFor(key);
  KeyEntry* e = FindIn(table, key);
  if (!slot_counters_.empty()) ++slot_counters_[table - tables_.data()].reads;
  ++(e ? stats_->keyspace_hits : stats_->keyspace_misses);
  return e;
}

KeyEntry* DbSlice::Insert(std::string_view key, CompactValue value, int64_t expire_at_ms) {
  KeyTable* t = TableFor(key);
  KeyEntry* e = KeyEntry::Create(key, std::move(value), expire_at_ms > 0);
  e->set_access(InitialAccess());
  if (expire_at_ms > 0) {
    e->set_expire_at(expire_at_ms);
    deadlines_.emplace(expire_at_ms, e);
  }
  t->Insert(e);
  ++key_count_;
  Account(e, static_cast<int64_t>(e->MallocUsed()), true);
  return e;
}

KeyEntry* DbSlice::Add(std::string_view key, CompactValue value, int64_t expire_at_ms) {
  KeyEntry* e = Insert(key, std::move(value), expire_at_ms);
  OnChange(key, e, ChangeCause::kCommand);
  return e;
}

KeyEntry* DbSlice::Set(std::string_view key, CompactValue value, int64_t expire_at_ms,
                       bool keep_ttl) {
  KeyEntry* e = Find(key);
  if (!e) return Add(key, std::move(value), expire_at_ms);
  PreUpdate(e);
  e->value = std::move(value);
  AccountUpdate(e);
  if (!keep_ttl) e = ChangeExpire(e, expire_at_ms);
  OnChange(key, e, ChangeCause::kCommand);
  return e;
}

OpResult<const KeyEntry*> DbSlice::FindReadOnly(std::string_view key, ObjType type) {
  const KeyEntry* e = FindForRead(key);
  if (!e) return OpStatus::kKeyNotFound;
  if (e->value.type() != type) return OpStatus::kWrongType;
  return e;
}

OpResult<DbSlice::MutableEntry> DbSlice::FindMutable(std::string_view key, ObjType type) {
  KeyEntry* e = Find(key);
  if (!e) return OpStatus::kKeyNotFound;
  if (e->value.type() != type) return OpStatus::kWrongType;
  return MutableEntry(this, e, false);
}

OpResult<DbSlice::AddOrFindResult> DbSlice::AddOrFind(std::string_view key, ObjType type) {
  KeyEntry* e = Find(key);
  if (e && e->value.type() != type) return OpStatus::kWrongType;
  bool is_new = e == nullptr;
  if (is_new) e = Insert(key, CompactValue::String(""), 0);
  return AddOrFindResult{MutableEntry(this, e, is_new), is_new};
}

void DbSlice::MutableEntry::Done() {
  if (!db_) return;
  db_->AccountUpdate(e_);
  db_->OnChange(e_->key(), e_, ChangeCause::kCommand);
  db_ = nullptr;
  e_ = nullptr;
}

void DbSlice::MutableEntry::Cancel() {
  if (!db_) return;
  db_->Account(e_, static_cast<int64_t>(e_->value.MallocUsed()), false);
  if (is_new_) db_->DeleteUnreported(e_);
  db_ = nullptr;
  e_ = nullptr;
}

void DbSlice::MutableEntry::Delete() {
  if (!db_) return;
  db_->AccountUpdate(e_);  // the open change's bytes are given back by the deletion
  db_->Delete(e_);
  db_ = nullptr;
  e_ = nullptr;
}

void DbSlice::Unlinked(KeyEntry* e) {
  if (e->has_expire()) deadlines_.erase({e->expire_at(), e});
  --key_count_;
  Account(e, -static_cast<int64_t>(e->MallocUsed()), true);
  KeyEntry::Destroy(e);
}

bool DbSlice::Delete(std::string_view key) {
  KeyEntry* e = Find(key);  // an expired key counts as absent (and goes away here)
  if (!e) return false;
  Delete(e);
  return true;
}

void DbSlice::Delete(KeyEntry* e) { DeleteFor(e, ChangeCause::kCommand); }

void DbSlice::DeleteUnreported(KeyEntry* e) {
  KeyEntry* unlinked = TableFor(e->key())->Unlink(e->key());
  DCHECK(unlinked == e);
  Unlinked(unlinked);
}

void DbSlice::DeleteFor(KeyEntry* e, ChangeCause cause) {
  KeyEntry* unlinked = TableFor(e->key())->Unlink(e->key());
  DCHECK(unlinked == e);
  OnChange(e->key(), nullptr, cause);  // while the key's bytes still exist
  Unlinked(unlinked);
}

KeyEntry* DbSlice::SetExpire(KeyEntry* e, int64_t ms) {
  e = ChangeExpire(e, ms);
  OnChange(e->key(), e, ChangeCause::kCommand);
  return e;
}

KeyEntry* DbSlice::ChangeExpire(KeyEntry* e, int64_t ms) {
  if (e->has_expire()) {
    deadlines_.erase({e->expire_at(), e});
    if (ms > 0) {
      e->set_expire_at(ms);
      deadlines_.emplace(ms, e);
      return e;
    }
  } else if (ms == 0) {
    return e;
  }
  // The deadline field appears or disappears: move the entry to a new allocation.
  Account(e, -static_cast<int64_t>(e->MallocUsed()), false);
  KeyEntry* fresh = KeyEntry::Create(e->key(), std::move(e->value), ms > 0);
  fresh->set_access(e->access());
  if (ms > 0) {
    fresh->set_expire_at(ms);
    deadlines_.emplace(ms, fresh);
  }
  TableFor(e->key())->Replace(e, fresh);
  Account(fresh, static_cast<int64_t>(fresh->MallocUsed()), true);
  KeyEntry::Destroy(e);
  return fresh;
}

size_t DbSlice::MemoryBytes() const {
  // O(1): entries and values are counted exactly; bucket arrays (load factor 0.5 to 1) and the
  // deadline index are estimated.
  return obj_bytes_ + IndexBytes() + DeadlineIndexBytes();
}

const KeyTable* DbSlice::RandomTable(uint64_t* seed) const {
  if (key_count_ == 0) return nullptr;
  // Slots are picked at random until a non-empty one turns up; weight by nothing (good enough
  // for RANDOMKEY, which Redis does not promise to be uniform either).
  uint64_t& x = *seed;
  x |= 1;
  for (int attempt = 0; attempt < 64; ++attempt) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    const KeyTable& t = tables_[(x >> 33) % tables_.size()];
    if (t.size() > 0) return &t;
  }
  // Few keys among many slots: a slot chosen in proportion to its keys, by one pass over the
  // slots (the first non-empty one would make eviction's samples all the same key).
  size_t r = (x >> 11) % key_count_;
  const KeyTable* last = nullptr;
  for (const KeyTable& t : tables_) {
    if (t.size() == 0) continue;
    if (r < t.size()) return &t;
    r -= t.size();
    last = &t;
  }
  return last;
}

KeyEntry* DbSlice::RandomEntry(uint64_t seed) {
  const KeyTable* t = RandomTable(&seed);
  return t ? t->Random(seed) : nullptr;
}

void DbSlice::Flush() {
  const size_t key_count_before = key_count_;
  for (KeyTable& t : tables_) t.Clear([](KeyEntry* e) { KeyEntry::Destroy(e); });
  detached_.clear();  // each table destroys its entries
  deadlines_.clear();
  key_count_ = 0;
  obj_bytes_ = 0;
  for (SlotCounters& c : slot_counters_) c.bytes = 0;
  stats_->changes += key_count_before;
  if (journal_) journal_->Flushed();
}

size_t DbSlice::DetachSlots(const std::bitset<kNumSlots>& slots) {
  size_t detached = 0;
  for (size_t pos = 0; pos < tables_.size(); ++pos) {
    SlotId slot = static_cast<SlotId>(pos * num_shards_ + shard_id_);
    if (!slots.test(slot) || tables_[pos].size() == 0) continue;
    auto d = std::make_unique<Detached>();
    d->table.Swap(tables_[pos]);
    detached += d->table.size();
    detached_.push_back(std::move(d));
    if (!slot_counters_.empty()) slot_counters_[pos].bytes = 0;  // freed later, not by the slot
  }
  key_count_ -= detached;
  return detached;
}

size_t DbSlice::DropDetached(size_t limit) {
  size_t n = 0;
  while (n < limit && !detached_.empty()) {
    Detached& d = *detached_.back();
    n += d.table.DrainSome(&d.position, limit - n, [this](KeyEntry* e) {
      if (e->has_expire()) deadlines_.erase({e->expire_at(), e});
      obj_bytes_ -= e->MallocUsed();
      KeyEntry::Destroy(e);
    });
    if (d.table.size() == 0) detached_.pop_back();
  }
  return n;
}

size_t DbSlice::ExpireDue(int64_t now_ms, size_t limit) {
  size_t n = 0;
  while (n < limit && !deadlines_.empty() && deadlines_.begin()->first <= now_ms) {
    KeyEntry* e = deadlines_.begin()->second;
    if (!detached_.empty() && TableFor(e->key())->Find(e->key()) != e) {
      // A key of a detached slot: DropDetached frees it.
      deadlines_.erase(deadlines_.begin());
      continue;
    }
    DeleteFor(e, ChangeCause::kExpired);
    ++stats_->expired_keys;
    ++n;
  }
  return n;
}

}  // namespace darner
