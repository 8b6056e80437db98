// The keys of one database on one shard: one KeyTable per slot the shard owns (allocated on
// first use), a deadline index for active expiry, and memory accounting.
// Runs only on its shard's thread.
#pragma once

#include <absl/container/btree_set.h>

#include <bitset>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/crc16.h"
#include "base/op_result.h"
#include "core/key_table.h"
#include "server/eviction.h"
#include "server/journal.h"

namespace darner {

using DbIndex = uint16_t;

struct DbStats {
  uint64_t expired_keys = 0;
  uint64_t evicted_keys = 0;
  uint64_t keyspace_hits = 0;
  uint64_t keyspace_misses = 0;
  // Changes made by commands (Redis's `dirty`: INFO rdb_changes_since_last_save); expiry and
  // eviction do not count.
  uint64_t changes = 0;
};

// Why a key changed, as the change fan-out (DbSlice::OnChange) reports it.
enum class ChangeCause : uint8_t {
  kCommand,  // a command wrote, deleted or re-timed the key
  kExpired,  // its deadline passed (on access or in the expiry cycle)
  kEvicted,  // maxmemory eviction took it
};

class DbSlice {
 public:
  class MutableEntry;
  struct AddOrFindResult;

  DbSlice(unsigned shard_id, unsigned num_shards, DbStats* stats);
  ~DbSlice();

  // ---- Typed access, what Op* functions use ----
  // The live entry of `key` for reading a value of `type`: kKeyNotFound when missing,
  // kWrongType when it holds another type. Counts a keyspace hit or miss.
  OpResult<const KeyEntry*> FindReadOnly(std::string_view key, ObjType type);
  // An existing key of `type`, opened for an in-place change of its value: kKeyNotFound,
  // kWrongType. The change is closed (accounted, and reported once to the fan-out) when the
  // guard is destroyed or Done() is called.
  OpResult<MutableEntry> FindMutable(std::string_view key, ObjType type);
  // Like FindMutable, but a missing key is added first (is_new), holding an empty string until
  // the caller stores its value; the change closes the same way.
  OpResult<AddOrFindResult> AddOrFind(std::string_view key, ObjType type);

  // The live entry for key (expired keys are deleted on the way), or nullptr.
  KeyEntry* Find(std::string_view key);
  // Like Find, and counts a keyspace hit or miss.
  KeyEntry* FindForRead(std::string_view key);
  // Like Find, but leaves the key's access record alone (OBJECT, which must not touch).
  KeyEntry* FindNoTouch(std::string_view key);

  // Evicts one key chosen by `policy` from a sample (Redis's maxmemory-samples, 5), or the key
  // with the nearest deadline for volatile-ttl; journaled as a DEL. False when the policy finds
  // nothing to evict here.
  bool EvictOne(EvictionPolicy policy, uint64_t seed);

  // Adds a key that must not exist. expire_at_ms = 0 means no TTL. Like Redis, a deadline
  // already past still stores the key; it expires on its next access or expiry cycle.
  KeyEntry* Add(std::string_view key, CompactValue value, int64_t expire_at_ms = 0);
  // Sets key to value: replaces an existing value (dropping its TTL unless keep_ttl) or adds.
  KeyEntry* Set(std::string_view key, CompactValue value, int64_t expire_at_ms, bool keep_ttl);
  bool Delete(std::string_view key);
  void Delete(KeyEntry* e);
  // Sets (ms > 0) or removes (ms == 0) the deadline; returns the entry, which may have moved.
  KeyEntry* SetExpire(KeyEntry* e, int64_t ms);

  // While set, every change to a key is reported to `journal` (see server/journal.h).
  void set_journal(Journal* journal) { journal_ = journal; }

  size_t size() const { return key_count_; }
  size_t expires_count() const { return deadlines_.size(); }
  size_t MemoryBytes() const;
  // MEMORY STATS: the shares of MemoryBytes() that index the keys and their deadlines.
  size_t IndexBytes() const { return key_count_ * 12 + tables_.size() * sizeof(KeyTable); }
  size_t DeadlineIndexBytes() const { return deadlines_.size() * 24; }

  // Scans the slot at position `slot_pos` of this shard's slot list from `table_cursor`,
  // calling fn(KeyEntry*) (which must not modify the slice). Returns the next table cursor
  // (0: slot done).
  template <typename F>
  uint64_t ScanSlot(unsigned slot_pos, uint64_t table_cursor, F&& fn) const {
    return slot_pos < tables_.size() ? tables_[slot_pos].Scan(table_cursor, fn) : 0;
  }
  unsigned slot_positions() const { return static_cast<unsigned>(tables_.size()); }
  bool SlotEmpty(unsigned slot_pos) const { return tables_[slot_pos].size() == 0; }

  KeyEntry* RandomEntry(uint64_t seed);

  // Per-slot figures for DFLYCLUSTER GETSLOTINFO, kept in cluster mode only. Reads and writes are
  // cumulative (they survive flushes); memory is the bytes of the slot's entries and values.
  struct SlotStats {
    uint64_t keys = 0, reads = 0, writes = 0, memory_bytes = 0;
  };
  SlotStats GetSlotStats(unsigned slot_pos) const;

  // Prefetching for a batch of lookups, in three rounds over the batch so that the cache misses
  // of different keys overlap: the table header, then the bucket, then the first entry.
  struct PrefetchSlot {
    const KeyTable* table;
    uint64_t hash;
    KeyEntry* const* bucket;
  };
  PrefetchSlot PrefetchTable(std::string_view key, SlotId slot) const {
    const KeyTable* t = &tables_[slot / num_shards_];
    __builtin_prefetch(t);
    return {t, KeyTable::Hash(key), nullptr};
  }
  void PrefetchBucket(PrefetchSlot* p) const {
    p->bucket = p->table->BucketFor(p->hash);
    if (p->bucket) __builtin_prefetch(p->bucket);
  }
  void PrefetchEntry(const PrefetchSlot& p) const {
    if (p.bucket && *p.bucket) __builtin_prefetch(*p.bucket);
  }

  // Deletes every key (also those of detached slots not yet dropped).
  void Flush();

  // Takes every key of `slots` (those of them this shard holds) out of the keyspace at once:
  // they are no longer found, counted or scanned, and keys written to those slots afterwards
  // start in a fresh table. The detached keys are freed by DropDetached, in the background.
  // Returns how many keys were detached.
  size_t DetachSlots(const std::bitset<kNumSlots>& slots);
  // Frees up to `limit` detached keys; returns how many.
  size_t DropDetached(size_t limit);
  bool HasDetached() const { return !detached_.empty(); }
  // Deletes up to `limit` keys whose deadline has passed; returns how many were deleted.
  size_t ExpireDue(int64_t now_ms, size_t limit);
  // The earliest deadline, or 0 when no key has one.
  int64_t NextDeadline() const { return deadlines_.empty() ? 0 : deadlines_.begin()->first; }

 private:
  KeyTable* TableFor(std::string_view key);
  KeyEntry* FindIn(KeyTable* table, std::string_view key, bool touch = true);
  bool IsExpired(const KeyEntry* e, int64_t now) const {
    return e->has_expire() && e->expire_at() <= now;
  }
  void Unlinked(KeyEntry* e);
  // Deletes e, reporting the change with `cause`.
  void DeleteFor(KeyEntry* e, ChangeCause cause);
  // SetExpire without the change report.
  KeyEntry* ChangeExpire(KeyEntry* e, int64_t ms);
  // Unlinks and frees e without reporting it (a key AddOrFind added, then cancelled).
  void DeleteUnreported(KeyEntry* e);
  // Links a new entry without reporting it.
  KeyEntry* Insert(std::string_view key, CompactValue value, int64_t expire_at_ms);
  // The change fan-out: every change to a key of this slice, whatever made it, passes here
  // exactly once, right after it happened (`e` is the key's new state, nullptr when it is
  // gone). It feeds the change counter and the journal; WATCH, keyspace notifications, client
  // tracking and snapshots join here, never in command code.
  void OnChange(std::string_view key, const KeyEntry* e, ChangeCause cause) {
    stats_->changes += cause == ChangeCause::kCommand;
    if (journal_) journal_->KeyChanged(key, e);
  }
  // Brackets an in-place change of e->value (MutableEntry's open and close).
  void PreUpdate(KeyEntry* e) { Account(e, -static_cast<int64_t>(e->value.MallocUsed()), false); }
  void AccountUpdate(KeyEntry* e) { Account(e, static_cast<int64_t>(e->value.MallocUsed()), true); }
  // Adds `delta` to the bytes held by e's data (and to its slot's, in cluster mode), counting a
  // write of the slot when `write`.
  void Account(const KeyEntry* e, int64_t delta, bool write) {
    obj_bytes_ += delta;
    if (!slot_counters_.empty()) AccountSlot(e, delta, write);
  }
  void AccountSlot(const KeyEntry* e, int64_t delta, bool write);

  unsigned shard_id_;
  unsigned num_shards_;
  DbStats* stats_;
  Journal* journal_ = nullptr;
  // Index = slot / num_shards. Held inline (an empty table allocates nothing), which saves a
  // dependent cache miss on every lookup.
  std::vector<KeyTable> tables_;
  absl::btree_set<std::pair<int64_t, KeyEntry*>> deadlines_;
  // Tables of detached slots waiting to be freed, with each one's drain position. Their keys
  // may still sit in deadlines_ until freed; ExpireDue skips such entries.
  struct Detached {
    KeyTable table;
    size_t position = 0;
  };
  std::vector<std::unique_ptr<Detached>> detached_;
  size_t key_count_ = 0;
  size_t obj_bytes_ = 0;
  struct SlotCounters {
    uint64_t reads = 0, writes = 0;
    int64_t bytes = 0;
  };
  std::vector<SlotCounters> slot_counters_;  // by slot position; empty outside cluster mode
  // Redis's eviction pool: the best candidates of past samples, best last, kept by name (a
  // candidate may be gone or changed by the time it is taken; it is looked up again).
  struct EvictionCandidate {
    uint64_t score;
    std::string key;
  };
  // A random non-empty slot table (advances *seed), or nullptr when the db is empty.
  const KeyTable* RandomTable(uint64_t* seed) const;
  static constexpr size_t kEvictionPoolSize = 16;  // Redis's EVPOOL_SIZE
  // Inserts by score, dropping the worst candidate when the pool overflows.
  void AddEvictionCandidate(uint64_t score, std::string key);
  std::vector<EvictionCandidate> eviction_pool_;
};

// A key open for an in-place change (from FindMutable or AddOrFind). The change closes once:
// at Done(), Delete() or destruction, whichever comes first; then memory accounting follows the
// value's new size and the change fan-out hears of it. Move-only; the entry must not be used
// after the change closed. Keys other than this one may be read and changed while it is open,
// but not this key through another path.
class DbSlice::MutableEntry {
 public:
  MutableEntry() = default;
  MutableEntry(MutableEntry&& o) noexcept
      : db_(std::exchange(o.db_, nullptr)), e_(std::exchange(o.e_, nullptr)), is_new_(o.is_new_) {}
  MutableEntry& operator=(MutableEntry&& o) noexcept {
    if (this != &o) {
      Done();
      db_ = std::exchange(o.db_, nullptr);
      e_ = std::exchange(o.e_, nullptr);
      is_new_ = o.is_new_;
    }
    return *this;
  }
  MutableEntry(const MutableEntry&) = delete;
  MutableEntry& operator=(const MutableEntry&) = delete;
  ~MutableEntry() { Done(); }

  KeyEntry* get() const { return e_; }
  KeyEntry* operator->() const { return e_; }
  CompactValue& value() const { return e_->value; }

  // Sets (ms > 0) or removes (0) the key's deadline as part of this change.
  void SetExpire(int64_t ms) { e_ = db_->ChangeExpire(e_, ms); }
  // Removes the key instead; the change is reported as the deletion.
  void Delete();
  // Closes the change (idempotent).
  void Done();
  // Closes without a change, for an operation that failed after it opened the key: the value
  // must be as it was opened. A key AddOrFind added goes away again, unreported.
  void Cancel();

 private:
  friend class DbSlice;
  MutableEntry(DbSlice* db, KeyEntry* e, bool is_new) : db_(db), e_(e), is_new_(is_new) {
    db_->PreUpdate(e_);
  }

  DbSlice* db_ = nullptr;
  KeyEntry* e_ = nullptr;
  bool is_new_ = false;
};

struct DbSlice::AddOrFindResult {
  MutableEntry entry;
  bool is_new = false;
};

int64_t NowMs();

}  // namespace darner
