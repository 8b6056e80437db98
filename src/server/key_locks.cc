#include "server/key_locks.h"

#include <absl/container/flat_hash_set.h>

namespace darner {

namespace {
absl::string_view AbslView(std::string_view s) {  // Debian's abseil has its own string_view
  return absl::string_view(s.data(), s.size());
}
}  // namespace

bool KeyLocks::HeldAgainst(std::string_view key, LockMode mode) const {
  auto it = held_.find(AbslView(key));
  if (it == held_.end()) return false;
  return mode == LockMode::kExclusive || it->second == kWriter;
}

bool KeyLocks::Conflicts(std::span<const std::string_view> keys, LockMode mode) const {
  if (Idle()) return false;
  for (std::string_view k : keys) {
    if (HeldAgainst(k, mode) || wanted_.contains(AbslView(k))) return true;
  }
  return false;
}

void KeyLocks::Take(const std::vector<std::string>& keys, LockMode mode) {
  for (const std::string& k : keys) {
    int32_t& state = held_[k];
    state = mode == LockMode::kExclusive ? kWriter : state + 1;
  }
}

bool KeyLocks::TryAcquire(const std::vector<std::string>& keys, LockMode mode) {
  for (const std::string& k : keys) {
    if (HeldAgainst(k, mode) || wanted_.contains(k)) return false;
  }
  Take(keys, mode);
  return true;
}

bool KeyLocks::Acquire(const std::vector<std::string>& keys, LockMode mode,
                       std::function<void()> on_grant) {
  if (TryAcquire(keys, mode)) return true;
  for (const std::string& k : keys) ++wanted_[k];
  waiters_.push_back(Waiter{&keys, mode, std::move(on_grant)});
  return false;
}

void KeyLocks::Release(const std::vector<std::string>& keys, LockMode mode) {
  for (const std::string& k : keys) {
    auto it = held_.find(k);
    if (it == held_.end()) continue;
    if (mode == LockMode::kExclusive || --it->second == 0) held_.erase(it);
  }
  if (waiters_.empty()) return;
  // Grant queued requests in order; a request is blocked by keys held against it and by keys
  // of earlier requests that stay queued.
  absl::flat_hash_set<absl::string_view> blocked;
  std::vector<std::function<void()>> granted;
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    const auto& wkeys = *it->keys;
    bool ok = true;
    for (size_t i = 0; ok && i < wkeys.size(); ++i) {
      ok = !HeldAgainst(wkeys[i], it->mode) && !blocked.contains(wkeys[i]);
    }
    if (!ok) {
      blocked.insert(wkeys.begin(), wkeys.end());
      ++it;
      continue;
    }
    Take(wkeys, it->mode);
    for (const std::string& k : wkeys) {
      auto w = wanted_.find(k);
      if (--w->second == 0) wanted_.erase(w);
    }
    granted.push_back(std::move(it->on_grant));
    it = waiters_.erase(it);
  }
  for (auto& fn : granted) fn();
}

}  // namespace darner
