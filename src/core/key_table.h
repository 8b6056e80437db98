// The key table of one slot: a chained hash table with incremental rehash and a stable scan
// cursor. A scan that runs while keys are added and removed (and while the table grows or
// shrinks) visits every key that is present for the whole scan at least once.
//
// Entries are single allocations holding key, value and optional deadline; their addresses are
// stable while the key exists, except across SetExpireSlot (which reallocates).
// Not thread-safe: a table belongs to one shard thread.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>

#include "core/compact_value.h"

namespace darner {

struct KeyEntry {
  KeyEntry* next;
  CompactValue value;
  uint32_t key_len;
  uint32_t flags;
  // Followed by an int64_t deadline (absolute, ms) when kHasExpire is set, then the key bytes.

  static constexpr uint32_t kHasExpire = 1;
  // Bits 8-31 of flags hold the key's access record (server/eviction.h reads and writes it);
  // bits 0-7 are flags.
  static constexpr unsigned kAccessShift = 8;
  uint32_t access() const { return flags >> kAccessShift; }
  void set_access(uint32_t v) {
    flags = (flags & ((1u << kAccessShift) - 1)) | (v << kAccessShift);
  }

  static KeyEntry* Create(std::string_view key, CompactValue value, bool with_expire);
  static void Destroy(KeyEntry* e);

  bool has_expire() const { return flags & kHasExpire; }
  int64_t expire_at() const { return has_expire() ? *ExpireSlot() : 0; }
  void set_expire_at(int64_t ms) { *ExpireSlot() = ms; }
  std::string_view key() const {
    return std::string_view(reinterpret_cast<const char*>(this + 1) + (has_expire() ? 8 : 0),
                            key_len);
  }
  size_t MallocUsed() const;

 private:
  int64_t* ExpireSlot() const {
    return reinterpret_cast<int64_t*>(const_cast<KeyEntry*>(this + 1));
  }
};

// Aligned to a cache line: DbSlice keeps its tables in an array, and a lookup then touches one
// line for the table header.
class alignas(64) KeyTable {
 public:
  KeyTable() = default;
  ~KeyTable();
  KeyTable(const KeyTable&) = delete;
  KeyTable& operator=(const KeyTable&) = delete;

  size_t size() const { return tables_[0].used + tables_[1].used; }

  KeyEntry* Find(std::string_view key) const;
  // Links `e`, whose key must not be present.
  void Insert(KeyEntry* e);
  // Unlinks and returns the entry for `key`, or nullptr; the caller destroys it.
  KeyEntry* Unlink(std::string_view key);
  // Puts `fresh` in the place of `old` (same key); the caller destroys `old`.
  void Replace(KeyEntry* old, KeyEntry* fresh);

  // Calls fn(KeyEntry*) for the entries of one step of the scan and returns the next cursor;
  // 0 means the scan is complete. fn must not modify the table.
  template <typename F>
  uint64_t Scan(uint64_t cursor, F&& fn) const;

  // A random entry (uniform enough for RANDOMKEY and eviction), or nullptr when empty.
  KeyEntry* Random(uint64_t seed) const;
  // Calls fn(KeyEntry*) for up to `n` entries of consecutive buckets from a random one (as
  // Redis's dictGetSomeKeys samples for eviction): cheaper than `n` calls of Random, since
  // neighbouring buckets share cache lines. Looks at no more than 10 * n buckets.
  template <typename F>
  void Sample(uint64_t seed, size_t n, F&& fn) const;

  // Unlinks every entry, calling fn(KeyEntry*) on each (fn destroys it).
  template <typename F>
  void Clear(F&& fn);

  // Exchanges contents with `other` (O(1)): how a slot's keys are detached for background
  // deletion while a fresh, empty table takes their place.
  void Swap(KeyTable& other) noexcept {
    std::swap(tables_, other.tables_);
    std::swap(rehash_index_, other.rehash_index_);
  }
  // Unlinks up to `limit` entries, calling fn(KeyEntry*) on each (fn destroys it), and returns
  // how many; frees the bucket arrays once the table is empty. `*position` (start at 0) keeps
  // the place between calls. For dropping a detached table piecewise: nothing may look entries
  // up in it meanwhile.
  template <typename F>
  size_t DrainSome(size_t* position, size_t limit, F&& fn);

  // For prefetching ahead of a batch of lookups: the hash the table uses, and the address of
  // the bucket slot a hash maps to (nullptr when the table is empty).
  static uint64_t Hash(std::string_view key);
  KeyEntry* const* BucketFor(uint64_t hash) const {
    const Table& t = tables_[0];
    return t.buckets ? &t.buckets[hash & t.mask] : nullptr;
  }

  // Bytes used by the bucket arrays.
  size_t BucketBytes() const {
    return (Capacity(tables_[0]) + Capacity(tables_[1])) * sizeof(void*);
  }

 private:
  struct Table {
    KeyEntry** buckets = nullptr;
    uint64_t mask = 0;  // capacity - 1; capacity 0 when buckets is null
    size_t used = 0;
  };
  static size_t Capacity(const Table& t) { return t.buckets ? t.mask + 1 : 0; }
  bool rehashing() const { return rehash_index_ >= 0; }
  void RehashStep();
  void StartResize(size_t capacity);
  // Tables up to this many buckets are resized in one step: moving a few thousand entries takes
  // microseconds, and lookups then never probe two arrays. Larger ones rehash incrementally.
  static constexpr size_t kIncrementalRehashAbove = 4096;
  void MaybeResize();
  KeyEntry** FindLink(std::string_view key, uint64_t hash);

  Table tables_[2];
  int64_t rehash_index_ = -1;
};

namespace key_table_internal {
inline uint64_t Rev(uint64_t v) {
  v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
  v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
  v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((v & 0x0F0F0F0F0F0F0F0FULL) << 4);
  return __builtin_bswap64(v);
}
}  // namespace key_table_internal

template <typename F>
void KeyTable::Sample(uint64_t seed, size_t n, F&& fn) const {
  if (size() == 0 || n == 0) return;
  // During a rehash the old array's buckets below rehash_index_ are empty: start in the new one
  // or past the index, in proportion to what each array still holds.
  uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 1;
  x ^= x >> 29;
  const Table* t = &tables_[0];
  size_t begin = 0;
  if (rehashing()) {
    begin = static_cast<size_t>(rehash_index_);
    if (x % size() >= tables_[0].used) t = &tables_[1], begin = 0;
  }
  size_t cap = Capacity(*t);
  if (cap <= begin) return;
  size_t idx = begin + (x >> 17) % (cap - begin), seen = 0;
  for (size_t step = 0; step < 10 * n && step < cap - begin && seen < n; ++step) {
    for (KeyEntry* e = t->buckets[idx]; e && seen < n; e = e->next, ++seen) fn(e);
    if (++idx == cap) idx = begin;
  }
}

template <typename F>
uint64_t KeyTable::Scan(uint64_t v, F&& fn) const {
  using key_table_internal::Rev;
  if (size() == 0) return 0;
  auto visit = [&](const Table& t, uint64_t idx) {
    for (KeyEntry* e = t.buckets[idx & t.mask]; e; e = e->next) fn(e);
  };
  if (!rehashing()) {
    const Table& t = tables_[0];
    visit(t, v);
    v |= ~t.mask;
    v = Rev(Rev(v) + 1);
    return v;
  }
  // Visit the small table's bucket, then every bucket of the large table that it expands to.
  const Table* small = &tables_[0];
  const Table* large = &tables_[1];
  if (Capacity(*small) > Capacity(*large)) std::swap(small, large);
  visit(*small, v);
  const uint64_t m0 = small->mask;
  const uint64_t m1 = large->mask;
  do {
    visit(*large, v);
    v |= ~m1;
    v = Rev(Rev(v) + 1);
  } while (v & (m0 ^ m1));
  return v;
}

template <typename F>
void KeyTable::Clear(F&& fn) {
  for (Table& t : tables_) {
    for (size_t i = 0; i < Capacity(t); ++i) {
      KeyEntry* e = t.buckets[i];
      while (e) {
        KeyEntry* next = e->next;
        fn(e);
        e = next;
      }
    }
    delete[] t.buckets;
    t = Table{};
  }
  rehash_index_ = -1;
}

template <typename F>
size_t KeyTable::DrainSome(size_t* position, size_t limit, F&& fn) {
  size_t n = 0;
  // Positions run over the buckets of tables_[0], then those of tables_[1].
  while (n < limit && size() > 0) {
    size_t pos = *position;
    Table& t = pos < Capacity(tables_[0]) ? tables_[0] : tables_[1];
    size_t index = &t == &tables_[0] ? pos : pos - Capacity(tables_[0]);
    if (index >= Capacity(t)) break;  // cannot happen while size() > 0
    KeyEntry*& head = t.buckets[index];
    if (head == nullptr) {
      ++*position;
      continue;
    }
    KeyEntry* e = head;
    head = e->next;
    --t.used;
    fn(e);
    ++n;
  }
  if (size() == 0) Clear([](KeyEntry*) {});
  return n;
}

}  // namespace darner
