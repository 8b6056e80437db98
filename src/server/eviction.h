// maxmemory-policy: which keys go when used memory passes --maxmemory, and the per-key access
// record that LRU and LFU choose by. The record lives in 24 spare bits of each KeyEntry (no
// memory per key), as Redis keeps it in 24 bits of each object: the LRU clock in seconds, or an
// LFU counter (8 bits, logarithmic) with the minute it last decayed (16 bits). Which of the two
// a key holds follows the policy; after a policy change they adjust as keys are accessed, as in
// Redis. Everything here is shard-local except the policy and the clock, which are atomics.
#pragma once

#include <cstdint>
#include <optional>
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

// Advances the clocks the access records use; each shard's periodic task calls it.
void TickEvictionClock(int64_t now_ms);

// The access record of a key created now.
uint32_t InitialAccess();
// Records an access to `e` (LRU: now; LFU: a probabilistic increment after decay).
void RecordAccess(KeyEntry* e);
// OBJECT IDLETIME: seconds since the last access (LRU records).
uint64_t IdleSeconds(const KeyEntry* e);
// OBJECT FREQ: the LFU counter after decay.
uint32_t LfuFrequency(const KeyEntry* e);
// How good a candidate for eviction `e` is under `p` (larger goes first).
uint64_t EvictionScore(EvictionPolicy p, const KeyEntry* e);

}  // namespace darner
