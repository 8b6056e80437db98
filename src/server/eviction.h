// maxmemory-policy: which keys go when used memory passes --maxmemory, and the per-key access
// record that LRU and LFU choose by. The record lives in 24 spare bits of each KeyEntry (no
// memory per key), as Redis keeps it in 24 bits of each object: the LRU clock in seconds, or an
// LFU counter (8 bits, logarithmic) with the minute it last decayed (16 bits). Which of the two
// a key holds follows the policy; after a policy change they adjust as keys are accessed, as in
// Redis. Everything here is shard-local except the policy and the clock, which are atomics.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/key_table.h"

namespace darner {

enum class EvictionPolicy : uint8_t {
  kNoEviction,
  kAllKeysLru,
  kAllKeysLfu,
  kAllKeysRandom,
  kVolatileLru,
  kVolatileLfu,
  kVolatileRandom,
  kVolatileTtl,
};

// Redis's names ("allkeys-lru", ...), any case.
std::optional<EvictionPolicy> ParseEvictionPolicy(std::string_view name);
std::string_view EvictionPolicyName(EvictionPolicy p);
// "volatile-lru, volatile-lfu, ..., noeviction", as Redis lists them in its error.
std::string_view EvictionPolicyList();

EvictionPolicy CurrentEvictionPolicy();
void SetEvictionPolicy(EvictionPolicy p);
inline bool IsLfu(EvictionPolicy p) {
  return p == EvictionPolicy::kAllKeysLfu || p == EvictionPolicy::kVolatileLfu;
}
inline bool IsVolatile(EvictionPolicy p) {
  return p == EvictionPolicy::kVolatileLru || p == EvictionPolicy::kVolatileLfu ||
         p == EvictionPolicy::kVolatileRandom || p == EvictionPolicy::kVolatileTtl;
}

// Reads --maxmemory_policy and Dragonfly's --cache_mode (allkeys-lfu unless a policy is named)
// into the policy; false with `error` set on an unknown policy name.
bool ApplyEvictionFlags(std::string* error);
// Dragonfly's --enable_heartbeat_eviction: whether each shard's periodic task evicts while used
// memory is over the target (writes evict for themselves either way).
bool HeartbeatEviction();
// Dragonfly's --enable_heartbeat_rss_eviction: whether RSS lowers the eviction target (see
// EvictionTarget). Always false in sanitizer builds, whose RSS is mostly shadow memory and
// quarantine rather than data.
bool RssEviction();

// The used-memory figure eviction aims under. Used memory counts what Darner allocated, not the
// allocator's slack (partly used pages, per-thread caches), so at `maxmemory` alone RSS settles
// above it. With `rss_eviction`, the RSS grown since start (`rss - rss_at_start`) beyond
// `maxmemory` is taken off the target four times over, at most a tenth of it: with a large dataset
// RSS settles near the limit, and fixed costs that dominate a small limit, or RSS that never drops
// once reached, cannot shrink the cache by more than that.
uint64_t EvictionTarget(uint64_t maxmemory, bool rss_eviction, uint64_t rss, uint64_t rss_at_start);

// Advances the clocks the access records use; each shard's periodic task calls it.
void TickEvictionClock(int64_t now_ms);

// The access record of a key created now.
uint32_t InitialAccess();
// Records an access to `e` (LRU: now; LFU: a probabilistic increment after decay).
void RecordAccess(KeyEntry* e);
// RESTORE's IDLETIME / FREQ (negative: not given): under an LFU policy `freq` becomes the
// counter, otherwise `idle_seconds` sets the last access that far back. Either is ignored when
// the policy does not track it, as in Redis.
void SetRestoredAccess(KeyEntry* e, int64_t idle_seconds, int freq);
// OBJECT IDLETIME: seconds since the last access (LRU records).
uint64_t IdleSeconds(const KeyEntry* e);
// OBJECT FREQ: the LFU counter after decay.
uint32_t LfuFrequency(const KeyEntry* e);
// How good a candidate for eviction `e` is under `p` (larger goes first).
uint64_t EvictionScore(EvictionPolicy p, const KeyEntry* e);

}  // namespace darner
