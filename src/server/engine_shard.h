// One shard of the keyspace: the databases, key locks and statistics owned by one pool thread.
// Everything in it is touched only from that thread; other threads post work to it.
#pragma once

#include <absl/functional/function_ref.h>

#include <asio/steady_timer.hpp>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "server/db_slice.h"
#include "server/eviction.h"
#include "server/journal.h"
#include "server/key_locks.h"

namespace darner {

class EngineShard {
 public:
  EngineShard(unsigned id, unsigned num_shards, unsigned num_dbs, asio::io_context* loop);
  ~EngineShard();

  // The shard owned by the calling thread, or nullptr off the pool.
  static EngineShard* tlocal();
  static void InitThreadLocal(EngineShard* shard);

  unsigned id() const { return id_; }
  DbSlice& db(DbIndex index);
  unsigned num_dbs() const { return static_cast<unsigned>(dbs_.size()); }
  // Databases that were created (a db is created on first use).
  bool HasDb(DbIndex index) const { return dbs_[index] != nullptr; }
  // SWAPDB: databases a and b trade their keys on this shard.
  void SwapDbs(DbIndex a, DbIndex b) { std::swap(dbs_[a], dbs_[b]); }
  KeyLocks& locks() { return locks_; }
  // Consumers of database 0's changes (slot migration flows); see server/journal.h.
  void AddJournalConsumer(JournalConsumer* consumer, const std::bitset<kNumSlots>& slots);
  void RemoveJournalConsumer(JournalConsumer* consumer);
  DbStats& stats() { return stats_; }
  size_t MemoryBytes() const;
  // Makes MemoryBytes() readable from other threads (for maxmemory checks and INFO).
  void PublishMemory() { published_memory_.store(MemoryBytes(), std::memory_order_relaxed); }
  size_t published_memory() const { return published_memory_.load(std::memory_order_relaxed); }

  // Takes the keys of `slots` out of every database at once (DbSlice::DetachSlots) and frees
  // them in the background, a short slice per event-loop turn, so clients of other slots are
  // not stalled. Returns how many keys were detached.
  size_t DetachSlots(const std::bitset<kNumSlots>& slots);
  // Keys detached and not yet freed.
  bool HasDetached() const;

  // Evicts keys under `policy`, one from each database in turn, while `over_limit()` holds: at
  // most `max_keys` keys or `budget` of time. Publishes memory after each round (over_limit
  // reads it). Returns how many keys went; 0 under noeviction or when nothing is evictable.
  size_t Evict(EvictionPolicy policy, absl::FunctionRef<bool()> over_limit, size_t max_keys,
               std::chrono::microseconds budget);

  // Starts the periodic task (active expiry, memory publishing, and `on_tick` every idle
  // period); StopPeriodic cancels it.
  void StartPeriodic(std::function<void()> on_tick);
  void StopPeriodic();
  // DEBUG SET-ACTIVE-EXPIRE: whether the periodic task collects expired keys (every shard;
  // default on). Lazy expiry on access is not affected.
  static void SetActiveExpire(bool on);
  static bool ActiveExpire();

 private:
  void ActiveExpireTick();
  void DropDetachedStep();

  unsigned id_;
  unsigned num_shards_;
  asio::io_context* loop_;
  std::vector<std::unique_ptr<DbSlice>> dbs_;
  KeyLocks locks_;
  Journal journal_;
  DbStats stats_;
  asio::steady_timer expire_timer_;
  asio::steady_timer drop_timer_;
  bool stopped_ = false;
  bool dropping_ = false;  // a DropDetachedStep is queued
  std::function<void()> on_tick_;
  std::chrono::steady_clock::time_point last_tick_;
  std::atomic<size_t> published_memory_{0};
  uint64_t eviction_seed_;  // picks the keys eviction samples
};

// What an Op* function runs with: the shard it runs on (its own thread's) and the database the
// command addresses. Op* functions read and change data and return an OpResult; they never
// build replies.
struct OpArgs {
  EngineShard* shard;
  DbIndex db_index;
  DbSlice& db() const { return shard->db(db_index); }
};

}  // namespace darner
