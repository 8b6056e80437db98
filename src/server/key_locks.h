// Key locks of one shard, used by commands whose keys span shards: such a command locks its
// keys on every shard it touches (in increasing shard order, so lock waits never form a cycle)
// before it changes anything, and releases them after. Single-shard commands run without
// locking when none of their keys is locked or awaited. Requests are granted in FIFO order per
// key. Runs only on its shard's thread.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <deque>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace darner {

class KeyLocks {
 public:
  bool Idle() const { return held_.empty() && waiters_.empty(); }

  // True when any of `keys` is held or awaited by a queued request.
  bool Conflicts(std::span<const std::string_view> keys) const;

  // Locks `keys` (distinct) now if possible and returns true; otherwise queues the request
  // and returns false: `on_grant` then runs on this thread once the locks are held.
  bool Acquire(const std::vector<std::string>& keys, std::function<void()> on_grant);

  void Release(const std::vector<std::string>& keys);

 private:
  struct Waiter {
    const std::vector<std::string>* keys;
    std::function<void()> on_grant;
  };
  bool AnyHeld(const std::vector<std::string>& keys) const;

  absl::flat_hash_map<std::string, uint32_t> held_;
  // Keys wanted by queued requests, with the number of requests wanting each.
  absl::flat_hash_map<std::string, uint32_t> wanted_;
  std::deque<Waiter> waiters_;
};

}  // namespace darner
