#include "core/key_table.h"

#include <mimalloc.h>
#include <xxhash.h>

#include <new>

namespace darner {
namespace {

constexpr size_t kMinCapacity = 4;
// Buckets examined at most per rehash step, so that a sparse table still rehashes in O(1).
constexpr int kMaxEmptyVisits = 10;

}  // namespace

KeyEntry* KeyEntry::Create(std::string_view key, CompactValue value, bool with_expire) {
  size_t size = sizeof(KeyEntry) + (with_expire ? 8 : 0) + key.size();
  void* mem = mi_malloc(size);
  KeyEntry* e = static_cast<KeyEntry*>(mem);
  e->next = nullptr;
  new (&e->value) CompactValue(std::move(value));
  e->key_len = static_cast<uint32_t>(key.size());
  e->flags = with_expire ? kHasExpire : 0;
  if (with_expire) e->set_expire_at(0);
  std::memcpy(const_cast<char*>(e->key().data()), key.data(), key.size());
  return e;
}

void KeyEntry::Destroy(KeyEntry* e) {
  e->value.~CompactValue();
  mi_free(e);
}

size_t KeyEntry::MallocUsed() const { return mi_usable_size(this) + value.MallocUsed(); }

KeyTable::~KeyTable() {
  Clear([](KeyEntry* e) { KeyEntry::Destroy(e); });
}

uint64_t KeyTable::Hash(std::string_view key) { return XXH3_64bits(key.data(), key.size()); }

KeyEntry** KeyTable::FindLink(std::string_view key, uint64_t hash) {
  for (int i = 0; i < 2; ++i) {
    Table& t = tables_[i];
    if (t.buckets == nullptr) continue;
    KeyEntry** link = &t.buckets[hash & t.mask];
    for (; *link; link = &(*link)->next) {
      if ((*link)->key() == key) return link;
    }
    if (!rehashing()) break;
  }
  return nullptr;
}

KeyEntry* KeyTable::Find(std::string_view key) const {
  if (size() == 0) return nullptr;
  KeyEntry** link = const_cast<KeyTable*>(this)->FindLink(key, Hash(key));
  return link ? *link : nullptr;
}

void KeyTable::Insert(KeyEntry* e) {
  if (rehashing()) RehashStep();
  MaybeResize();
  // While rehashing, new entries go to the new table so the old one only drains.
  Table& t = rehashing() ? tables_[1] : tables_[0];
  KeyEntry** bucket = &t.buckets[Hash(e->key()) & t.mask];
  e->next = *bucket;
  *bucket = e;
  ++t.used;
}

KeyEntry* KeyTable::Unlink(std::string_view key) {
  if (size() == 0) return nullptr;
  if (rehashing()) RehashStep();
  uint64_t hash = Hash(key);
  for (int i = 0; i < 2; ++i) {
    Table& t = tables_[i];
    if (t.buckets == nullptr) continue;
    for (KeyEntry** link = &t.buckets[hash & t.mask]; *link; link = &(*link)->next) {
      if ((*link)->key() == key) {
        KeyEntry* e = *link;
        *link = e->next;
        --t.used;
        MaybeResize();
        return e;
      }
    }
    if (!rehashing()) break;
  }
  return nullptr;
}

void KeyTable::Replace(KeyEntry* old, KeyEntry* fresh) {
  KeyEntry** link = FindLink(old->key(), Hash(old->key()));
  fresh->next = old->next;
  *link = fresh;
}

KeyEntry* KeyTable::Random(uint64_t seed) const {
  if (size() == 0) return nullptr;
  // Pick random buckets until a non-empty one turns up, then a random entry of its chain.
  uint64_t x = seed | 1;
  for (;;) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    const Table* t = &tables_[0];
    size_t cap0 = Capacity(tables_[0]), cap1 = Capacity(tables_[1]);
    uint64_t idx = x % (cap0 + cap1);
    if (idx >= cap0) {
      t = &tables_[1];
      idx -= cap0;
    }
    if (rehashing() && t == &tables_[0] && static_cast<int64_t>(idx) < rehash_index_) continue;
    KeyEntry* e = t->buckets[idx];
    if (e == nullptr) continue;
    size_t len = 0;
    for (KeyEntry* p = e; p; p = p->next) ++len;
    for (size_t skip = (x >> 32) % len; skip > 0; --skip) e = e->next;
    return e;
  }
}

void KeyTable::StartResize(size_t capacity) {
  Table fresh;
  fresh.buckets = new KeyEntry*[capacity]();
  fresh.mask = capacity - 1;
  if (tables_[0].buckets == nullptr) {
    tables_[0] = fresh;
    return;
  }
  tables_[1] = fresh;
  rehash_index_ = 0;
  if (capacity <= kIncrementalRehashAbove && Capacity(tables_[0]) <= kIncrementalRehashAbove) {
    while (rehashing()) RehashStep();
  }
}

void KeyTable::MaybeResize() {
  if (rehashing()) return;
  size_t cap = Capacity(tables_[0]);
  size_t used = tables_[0].used;
  if (cap == 0) {
    StartResize(kMinCapacity);
  } else if (used >= cap) {
    StartResize(cap * 2);
  } else if (cap > kMinCapacity && used * 10 < cap) {
    size_t target = kMinCapacity;
    while (target < used * 2) target *= 2;
    if (target < cap) StartResize(target);
  }
}

void KeyTable::RehashStep() {
  Table& from = tables_[0];
  Table& to = tables_[1];
  int empty_visits = kMaxEmptyVisits;
  while (static_cast<uint64_t>(rehash_index_) <= from.mask &&
         from.buckets[rehash_index_] == nullptr) {
    ++rehash_index_;
    if (--empty_visits == 0) return;
  }
  if (static_cast<uint64_t>(rehash_index_) <= from.mask) {
    KeyEntry* e = from.buckets[rehash_index_];
    while (e) {
      KeyEntry* next = e->next;
      KeyEntry** bucket = &to.buckets[Hash(e->key()) & to.mask];
      e->next = *bucket;
      *bucket = e;
      --from.used;
      ++to.used;
      e = next;
    }
    from.buckets[rehash_index_] = nullptr;
    ++rehash_index_;
  }
  if (from.used == 0) {
    delete[] from.buckets;
    tables_[0] = to;
    tables_[1] = Table{};
    rehash_index_ = -1;
  }
}

}  // namespace darner
