// ApplyLock: lets one cluster config apply (or one migration routing change, or one ACK that
// finishes a migration) run at a time, granted in arrival order. A coroutine lock, not a mutex:
// it is held across waits (hops to every shard), so a holder never blocks a thread. A waiter
// sleeps until the holder hands the lock to it and wakes it; nobody polls. Thread-safe: holders
// and waiters may be on any threads. It owns only the queue, never what it protects.
#pragma once

#include <asio/awaitable.hpp>
#include <deque>
#include <memory>
#include <mutex>

namespace darner {

class CancelScope;

class ApplyLock {
 public:
  ApplyLock() = default;
  ApplyLock(const ApplyLock&) = delete;
  ApplyLock& operator=(const ApplyLock&) = delete;

  // Waits for the lock; gives up (false) when `scope` is cancelled. Without a scope it always
  // gets the lock (true).
  asio::awaitable<bool> Lock(CancelScope* scope = nullptr);
  // Passes the lock to the first waiter that has not given up, or frees it.
  void Unlock();

 private:
  struct Waiter;
  // Under mu_: the waiter the lock passes to (granted), or none (the lock is free).
  std::shared_ptr<Waiter> HandOff();

  std::mutex mu_;  // guards held_ and waiters_; never held across a wait
  bool held_ = false;
  std::deque<std::shared_ptr<Waiter>> waiters_;
};

}  // namespace darner
