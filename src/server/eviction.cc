#include "server/eviction.h"

#include <absl/flags/flag.h>

#include <algorithm>
#include <atomic>
#include <random>

#include "base/strings.h"

ABSL_FLAG(std::string, maxmemory_policy, "noeviction",
          "Redis's maxmemory-policy: what goes when used memory passes --maxmemory "
          "(volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, "
          "allkeys-random, noeviction); CONFIG SET maxmemory-policy");
ABSL_FLAG(bool, cache_mode, false,
          "Dragonfly's cache mode: evict keys at --maxmemory instead of refusing writes "
          "(maxmemory-policy allkeys-lfu unless --maxmemory_policy names another)");
ABSL_FLAG(bool, enable_heartbeat_eviction, true,
          "Each shard's periodic task evicts while used memory is over the limit (with an "
          "eviction policy); writes evict for themselves either way");
ABSL_FLAG(bool, enable_heartbeat_rss_eviction, true,
          "Count RSS grown beyond --maxmemory against the eviction target, so allocator slack "
          "does not carry RSS past the limit (off in sanitizer builds)");

namespace darner {
namespace {

constexpr uint32_t kLruMask = (1u << 24) - 1;  // LRU clock: seconds, 24 bits
constexpr uint32_t kLfuInit = 5;               // a new key's counter (Redis's LFU_INIT_VAL)
constexpr uint32_t kLfuLogFactor = 10;         // Redis's lfu-log-factor default
constexpr uint32_t kLfuDecayMinutes = 1;       // Redis's lfu-decay-time default

constexpr std::pair<std::string_view, EvictionPolicy> kPolicies[] = {
    {"volatile-lru", EvictionPolicy::kVolatileLru},
    {"volatile-lfu", EvictionPolicy::kVolatileLfu},
    {"volatile-random", EvictionPolicy::kVolatileRandom},
    {"volatile-ttl", EvictionPolicy::kVolatileTtl},
    {"allkeys-lru", EvictionPolicy::kAllKeysLru},
    {"allkeys-lfu", EvictionPolicy::kAllKeysLfu},
    {"allkeys-random", EvictionPolicy::kAllKeysRandom},
    {"noeviction", EvictionPolicy::kNoEviction},
};

std::atomic<EvictionPolicy> g_policy{EvictionPolicy::kNoEviction};
std::atomic<uint32_t> g_lru_clock{0};    // seconds & kLruMask
std::atomic<uint32_t> g_lfu_minutes{0};  // minutes & 0xFFFF

uint32_t LfuDecayed(uint32_t access) {
  uint32_t counter = access & 0xFF, last = access >> 8;
  uint32_t now = g_lfu_minutes.load(std::memory_order_relaxed);
  uint32_t elapsed = (now - last) & 0xFFFF;
  uint32_t periods = elapsed / kLfuDecayMinutes;
  return periods >= counter ? 0 : counter - periods;
}

}  // namespace

std::optional<EvictionPolicy> ParseEvictionPolicy(std::string_view name) {
  for (const auto& [n, p] : kPolicies) {
    if (EqualsIgnoreCase(name, n)) return p;
  }
  return std::nullopt;
}

std::string_view EvictionPolicyName(EvictionPolicy p) {
  for (const auto& [n, q] : kPolicies) {
    if (p == q) return n;
  }
  return "noeviction";
}

std::string_view EvictionPolicyList() {
  return "volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, "
         "allkeys-random, noeviction";
}

bool ApplyEvictionFlags(std::string* error) {
  std::optional<EvictionPolicy> policy = ParseEvictionPolicy(absl::GetFlag(FLAGS_maxmemory_policy));
  if (!policy) {
    *error = StrCat("--maxmemory_policy must be one of: ", EvictionPolicyList());
    return false;
  }
  if (absl::GetFlag(FLAGS_cache_mode) && *policy == EvictionPolicy::kNoEviction) {
    policy = EvictionPolicy::kAllKeysLfu;
  }
  SetEvictionPolicy(*policy);
  return true;
}

bool HeartbeatEviction() { return absl::GetFlag(FLAGS_enable_heartbeat_eviction); }

bool RssEviction() {
#ifdef DARNER_SANITIZER
  return false;
#else
  return absl::GetFlag(FLAGS_enable_heartbeat_rss_eviction);
#endif
}

uint64_t EvictionTarget(uint64_t maxmemory, bool rss_eviction, uint64_t rss,
                        uint64_t rss_at_start) {
  if (maxmemory == 0 || !rss_eviction) return maxmemory;
  uint64_t grown = rss > rss_at_start ? rss - rss_at_start : 0;
  // Four times the excess: RSS rarely falls, and the allocator's slack grows as eviction leaves
  // holes, so the data must shrink by more than RSS overshot for RSS to stop. RSS settles a
  // fifth of the slack above the limit (about 3 MB at 128 MB, 12% slack).
  uint64_t excess = grown > maxmemory ? 4 * (grown - maxmemory) : 0;
  return maxmemory - std::min(excess, maxmemory / 10);
}

EvictionPolicy CurrentEvictionPolicy() { return g_policy.load(std::memory_order_relaxed); }
void SetEvictionPolicy(EvictionPolicy p) { g_policy.store(p, std::memory_order_relaxed); }

void TickEvictionClock(int64_t now_ms) {
  g_lru_clock.store(static_cast<uint32_t>(now_ms / 1000) & kLruMask, std::memory_order_relaxed);
  g_lfu_minutes.store(static_cast<uint32_t>(now_ms / 60000) & 0xFFFF, std::memory_order_relaxed);
}

uint32_t InitialAccess() {
  if (IsLfu(CurrentEvictionPolicy())) {
    return (g_lfu_minutes.load(std::memory_order_relaxed) << 8) | kLfuInit;
  }
  return g_lru_clock.load(std::memory_order_relaxed);
}

void RecordAccess(KeyEntry* e) {
  if (!IsLfu(CurrentEvictionPolicy())) {
    e->set_access(g_lru_clock.load(std::memory_order_relaxed));
    return;
  }
  uint32_t counter = LfuDecayed(e->access());
  if (counter < 255) {
    // Logarithmic: the more accesses a key has had, the less likely one more counts.
    thread_local std::minstd_rand rng(std::random_device{}());
    double base = counter > kLfuInit ? counter - kLfuInit : 0;
    double p = 1.0 / (base * kLfuLogFactor + 1);
    if (std::uniform_real_distribution<double>(0, 1)(rng) < p) ++counter;
  }
  e->set_access((g_lfu_minutes.load(std::memory_order_relaxed) << 8) | counter);
}

void SetRestoredAccess(KeyEntry* e, int64_t idle_seconds, int freq) {
  if (IsLfu(CurrentEvictionPolicy())) {
    if (freq >= 0) {
      e->set_access((g_lfu_minutes.load(std::memory_order_relaxed) << 8) |
                    static_cast<uint32_t>(freq));
    }
    return;
  }
  if (idle_seconds < 0) return;
  int64_t clock = g_lru_clock.load(std::memory_order_relaxed);
  // Redis's rule for an idle time older than the (wrapping) clock: half the clock's range back.
  int64_t at =
      idle_seconds <= clock ? clock - idle_seconds : (clock + (kLruMask + 1) / 2) % (kLruMask + 1);
  e->set_access(static_cast<uint32_t>(at));
}

uint64_t IdleSeconds(const KeyEntry* e) {
  return (g_lru_clock.load(std::memory_order_relaxed) - e->access()) & kLruMask;
}

uint32_t LfuFrequency(const KeyEntry* e) { return LfuDecayed(e->access()); }

uint64_t EvictionScore(EvictionPolicy p, const KeyEntry* e) {
  switch (p) {
    case EvictionPolicy::kAllKeysLru:
    case EvictionPolicy::kVolatileLru:
      return IdleSeconds(e);
    case EvictionPolicy::kAllKeysLfu:
    case EvictionPolicy::kVolatileLfu:
      return 255 - LfuFrequency(e);
    case EvictionPolicy::kVolatileTtl:
      return UINT64_MAX - static_cast<uint64_t>(e->expire_at());
    default:
      return 0;
  }
}

}  // namespace darner
