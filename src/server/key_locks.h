// Key locks of one shard, used by commands whose keys span shards: such a command locks its
// keys on every shard it touches before it reads or changes anything, and releases them after.
// Readers share a key (LockMode::kShared), a writer holds it alone. Single-shard commands run
// without locking when none of their keys is locked against them or awaited. Queued requests
// are granted in FIFO order per key (a reader never overtakes a queued writer), so no request
// waits forever. Runs only on its shard's thread.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace darner {

enum class LockMode : uint8_t { kShared, kExclusive };

class KeyLocks {
 public:
  bool Idle() const { return held_.empty() && waiters_.empty(); }

  // True when a request for `keys` in `mode` could not be granted now: one of them is held
  // in a mode that excludes it, or awaited by a queued request.
  bool Conflicts(std::span<const std::string_view> keys,
                 LockMode mode = LockMode::kExclusive) const;

  // Locks `keys` (distinct) now if possible and returns true; otherwise queues the request
  // and returns false: `on_grant` then runs on this thread once the locks are held.
  bool Acquire(const std::vector<std::string>& keys, LockMode mode, std::function<void()> on_grant);
  // Locks `keys` now if possible; never queues.
  bool TryAcquire(const std::vector<std::string>& keys, LockMode mode);

  // Releases locks taken in `mode`.
  void Release(const std::vector<std::string>& keys, LockMode mode);

 private:
  struct Waiter {
    const std::vector<std::string>* keys;
    LockMode mode;
    std::function<void()> on_grant;
  };
  // Whether `key` is held in a way that excludes a request in `mode`.
  bool HeldAgainst(std::string_view key, LockMode mode) const;
  void Take(const std::vector<std::string>& keys, LockMode mode);

  // Per held key: the number of readers, or kWriter.
  static constexpr int32_t kWriter = -1;
  absl::flat_hash_map<std::string, int32_t> held_;
  // Keys wanted by queued requests, with the number of requests wanting each.
  absl::flat_hash_map<std::string, uint32_t> wanted_;
  std::deque<Waiter> waiters_;
};

}  // namespace darner
