#include "server/key_locks.h"

#include <absl/container/flat_hash_set.h>

namespace darner {

bool KeyLocks::Conflicts(std::span<const std::string_view> keys) const {
  if (Idle()) return false;
  for (std::string_view k : keys) {
    absl::string_view ak(k.data(), k.size());  // Debian's abseil has its own string_view
    if (held_.contains(ak) || wanted_.contains(ak)) return true;
  }
  return false;
}

bool KeyLocks::AnyHeld(const std::vector<std::string>& keys) const {
  for (const std::string& k : keys) {
    if (held_.contains(k)) return true;
  }
  return false;
}

bool KeyLocks::Acquire(const std::vector<std::string>& keys, std::function<void()> on_grant) {
  bool free = true;
  for (const std::string& k : keys) {
    if (held_.contains(k) || wanted_.contains(k)) {
      free = false;
      break;
    }
  }
  if (free) {
    for (const std::string& k : keys) held_[k] = 1;
    return true;
  }
  for (const std::string& k : keys) ++wanted_[k];
  waiters_.push_back(Waiter{&keys, std::move(on_grant)});
  return false;
}

void KeyLocks::Release(const std::vector<std::string>& keys) {
  for (const std::string& k : keys) held_.erase(k);
  if (waiters_.empty()) return;
  // Grant queued requests in order; a request is blocked by held keys and by keys of earlier
  // requests that stay queued.
  absl::flat_hash_set<absl::string_view> blocked;
  std::vector<std::function<void()>> granted;
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    const auto& wkeys = *it->keys;
    bool ok = !AnyHeld(wkeys);
    for (size_t i = 0; ok && i < wkeys.size(); ++i) ok = !blocked.contains(wkeys[i]);
    if (!ok) {
      blocked.insert(wkeys.begin(), wkeys.end());
      ++it;
      continue;
    }
    for (const std::string& k : wkeys) {
      held_[k] = 1;
      auto w = wanted_.find(k);
      if (--w->second == 0) wanted_.erase(w);
    }
    granted.push_back(std::move(it->on_grant));
    it = waiters_.erase(it);
  }
  for (auto& fn : granted) fn();
}

}  // namespace darner
