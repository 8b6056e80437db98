#include "server/db_slice.h"

#include <time.h>

#include "base/logging.h"

namespace darner {

int64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

DbSlice::DbSlice(unsigned shard_id, unsigned num_shards, DbStats* stats)
    : shard_id_(shard_id), num_shards_(num_shards), stats_(stats) {
  tables_ = std::vector<KeyTable>((kNumSlots - shard_id + num_shards - 1) / num_shards);
}

DbSlice::~DbSlice() = default;

KeyTable* DbSlice::TableFor(std::string_view key) {
  SlotId slot = KeySlot(key);
  DCHECK(slot % num_shards_ == shard_id_);
  return &tables_[slot / num_shards_];
}

KeyEntry* DbSlice::Find(std::string_view key) {
  KeyEntry* e = TableFor(key)->Find(key);
  if (e && e->has_expire() && IsExpired(e, NowMs())) {
    Delete(e);
    ++stats_->expired_keys;
    return nullptr;
  }
  return e;
}

KeyEntry* DbSlice::FindForRead(std::string_view key) {
  KeyEntry* e = Find(key);
  ++(e ? stats_->keyspace_hits : stats_->keyspace_misses);
  return e;
}

KeyEntry* DbSlice::Add(std::string_view key, CompactValue value, int64_t expire_at_ms) {
  KeyTable* t = TableFor(key);
  KeyEntry* e = KeyEntry::Create(key, std::move(value), expire_at_ms > 0);
  if (expire_at_ms > 0) {
    e->set_expire_at(expire_at_ms);
    deadlines_.emplace(expire_at_ms, e);
  }
  t->Insert(e);
  ++key_count_;
  obj_bytes_ += e->MallocUsed();
  return e;
}

KeyEntry* DbSlice::Set(std::string_view key, CompactValue value, int64_t expire_at_ms,
                       bool keep_ttl) {
  KeyEntry* e = Find(key);
  if (!e) return Add(key, std::move(value), expire_at_ms);
  PreUpdate(e);
  e->value = std::move(value);
  PostUpdate(e);
  if (!keep_ttl) e = SetExpire(e, expire_at_ms);
  return e;
}

void DbSlice::Unlinked(KeyEntry* e) {
  if (e->has_expire()) deadlines_.erase({e->expire_at(), e});
  --key_count_;
  obj_bytes_ -= e->MallocUsed();
  KeyEntry::Destroy(e);
}

bool DbSlice::Delete(std::string_view key) {
  KeyEntry* e = Find(key);  // an expired key counts as absent (and goes away here)
  if (!e) return false;
  Delete(e);
  return true;
}

void DbSlice::Delete(KeyEntry* e) {
  KeyEntry* unlinked = TableFor(e->key())->Unlink(e->key());
  DCHECK(unlinked == e);
  Unlinked(unlinked);
}

KeyEntry* DbSlice::SetExpire(KeyEntry* e, int64_t ms) {
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
  obj_bytes_ -= e->MallocUsed();
  KeyEntry* fresh = KeyEntry::Create(e->key(), std::move(e->value), ms > 0);
  if (ms > 0) {
    fresh->set_expire_at(ms);
    deadlines_.emplace(ms, fresh);
  }
  TableFor(e->key())->Replace(e, fresh);
  obj_bytes_ += fresh->MallocUsed();
  KeyEntry::Destroy(e);
  return fresh;
}

size_t DbSlice::MemoryBytes() const {
  // O(1): entries and values are counted exactly; bucket arrays (load factor 0.5 to 1) and the
  // deadline index are estimated.
  return obj_bytes_ + key_count_ * 12 + deadlines_.size() * 24 + tables_.size() * sizeof(KeyTable);
}

KeyEntry* DbSlice::RandomEntry(uint64_t seed) {
  if (key_count_ == 0) return nullptr;
  // Slots are picked at random until a non-empty one turns up; weight by nothing (good enough
  // for RANDOMKEY, which Redis does not promise to be uniform either).
  uint64_t x = seed | 1;
  for (int attempt = 0; attempt < 64; ++attempt) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    const KeyTable& t = tables_[(x >> 33) % tables_.size()];
    if (t.size() > 0) return t.Random(x);
  }
  for (const KeyTable& t : tables_) {
    if (t.size() > 0) return t.Random(x);
  }
  return nullptr;
}

void DbSlice::Flush() {
  for (KeyTable& t : tables_) t.Clear([](KeyEntry* e) { KeyEntry::Destroy(e); });
  deadlines_.clear();
  key_count_ = 0;
  obj_bytes_ = 0;
}

size_t DbSlice::ExpireDue(int64_t now_ms, size_t limit) {
  size_t n = 0;
  while (n < limit && !deadlines_.empty() && deadlines_.begin()->first <= now_ms) {
    KeyEntry* e = deadlines_.begin()->second;
    Delete(e);
    ++stats_->expired_keys;
    ++n;
  }
  return n;
}

}  // namespace darner
