#include "cluster/apply_lock.h"

#include <chrono>

#include "io/cancel_scope.h"

namespace darner {

// A Lock() caller waiting for its turn. `wake` is a scope used as a one-shot event: the holder
// cancels it to hand the lock over (granted), or the caller's own scope (its parent) does, to
// give up.
struct ApplyLock::Waiter {
  Waiter() = default;
  explicit Waiter(CancelScope& parent) : wake(parent) {}
  CancelScope wake;
  bool granted = false;  // under mu_
};

asio::awaitable<bool> ApplyLock::Lock(CancelScope* scope) {
  std::shared_ptr<Waiter> waiter;
  {
    std::lock_guard lk(mu_);
    if (scope != nullptr && scope->cancelled()) co_return false;
    if (!held_) {
      held_ = true;
      co_return true;
    }
    waiter = scope != nullptr ? std::make_shared<Waiter>(*scope) : std::make_shared<Waiter>();
    waiters_.push_back(waiter);
  }
  co_await SleepFor(waiter->wake, std::chrono::hours(24 * 365));
  std::shared_ptr<Waiter> next;
  {
    std::lock_guard lk(mu_);
    if (!waiter->granted) {
      std::erase(waiters_, waiter);  // our scope was cancelled first
      co_return false;
    }
    if (scope == nullptr || !scope->cancelled()) co_return true;
    next = HandOff();  // granted, but cancelled meanwhile: pass the lock on
  }
  if (next) next->wake.Cancel();
  co_return false;
}

std::shared_ptr<ApplyLock::Waiter> ApplyLock::HandOff() {
  while (!waiters_.empty()) {
    std::shared_ptr<Waiter> w = std::move(waiters_.front());
    waiters_.pop_front();
    if (w->wake.cancelled()) continue;  // gave up (its scope was cancelled)
    w->granted = true;
    return w;
  }
  held_ = false;
  return nullptr;
}

void ApplyLock::Unlock() {
  std::shared_ptr<Waiter> next;
  {
    std::lock_guard lk(mu_);
    next = HandOff();
  }
  if (next) next->wake.Cancel();
}

}  // namespace darner
