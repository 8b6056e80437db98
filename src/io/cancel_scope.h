// CancelScope: one cancellation flag for a unit of work (a migration, one flow of it) plus the
// actions that stop everything bound to it. It owns no I/O object and never closes anything; it
// only tells each registered owner, on that owner's own thread, to stop.
//
// Guarantees (all of them hold under concurrent use from any threads):
//  - Cancel() is idempotent. Exactly one call marks the scope cancelled and dispatches every
//    registered action exactly once; every call (including concurrent ones) returns only after
//    that dispatch is complete, so when any Cancel() returns, cancelled() is true and each action
//    registered before it has been posted (executor actions) or has run (inline actions). The
//    one exception: a Cancel() of the same scope from inside one of its own inline actions
//    returns at once (it cannot wait for itself).
//  - An executor action is posted to its executor and runs there, never on the cancelling
//    thread. An inline action runs on the thread that calls Cancel().
//  - Registering on a scope that is already cancelled dispatches the action at once (posted, or
//    run before OnCancel*() returns for an inline one).
//  - Registration::Reset() (and its destructor) may run on any thread, concurrently with
//    Cancel(). When it returns, the action is not running and will never start: if it was
//    already running on another thread, Reset() waits for it to finish; an action that was
//    posted but has not started yet becomes a no-op. Reset() from inside the action itself
//    does not wait. So an action may capture raw pointers to whatever owns its Registration,
//    as long as the Registration is destroyed first.
//  - After Reset() returns the scope never touches the executor again. The executor's context
//    must outlive the Registration (as it must outlive any I/O object on it); a no-op closure
//    may remain queued there and is simply destroyed with the context if never run.
//  - A child scope is cancelled when its parent is (inline, inside the parent's Cancel()), and
//    at once if the parent is already cancelled. Cancelling a child leaves the parent alone.
//  - Destroying a scope cancels it: nothing bound to a scope outlives it in a running state.
//
// Actions must be short and must not block: shut a socket down, cancel a timer, set a flag.
// They must not take a lock that is held by whoever destroys their Registration.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <system_error>
#include <type_traits>

#include "io/as_tuple.h"

namespace darner {

namespace cancel_detail {
struct State;
struct Entry;
}  // namespace cancel_detail

class CancelScope {
 public:
  class Registration;

  CancelScope();
  // A child scope: cancelled together with `parent` (which must outlive it or be cancelled
  // before being destroyed; destroying the parent cancels the child).
  explicit CancelScope(CancelScope& parent);
  // Cancels the scope.
  ~CancelScope();
  CancelScope(const CancelScope&) = delete;
  CancelScope& operator=(const CancelScope&) = delete;

  // Marks the scope and its children cancelled and dispatches every registered action. Returns
  // true for the one call that did it, false if the scope was already cancelled.
  bool Cancel();
  bool cancelled() const;

  // On Cancel(), posts `action` to `ex` (the executor of the object it stops).
  [[nodiscard]] Registration OnCancel(const asio::any_io_executor& ex,
                                      std::function<void()> action);
  // On Cancel(), runs `action` on the cancelling thread. It must be thread-safe and non-blocking.
  [[nodiscard]] Registration OnCancelInline(std::function<void()> action);

 private:
  Registration Register(std::shared_ptr<cancel_detail::Entry> entry);

  std::shared_ptr<cancel_detail::State> state_;
  std::unique_ptr<Registration> parent_registration_;
};

// Owns one registered action; see the guarantees above. Movable, not copyable.
class CancelScope::Registration {
 public:
  Registration() = default;
  Registration(Registration&& other) noexcept = default;
  Registration& operator=(Registration&& other) noexcept;
  ~Registration() { Reset(); }

  // Unregisters: afterwards the action is not running and never will.
  void Reset();
  bool registered() const { return entry_ != nullptr; }
  // True once the scope this was registered on is cancelled (lock-free; any thread).
  bool cancelled() const;

 private:
  friend class CancelScope;
  Registration(std::shared_ptr<cancel_detail::State> state,
               std::shared_ptr<cancel_detail::Entry> entry)
      : state_(std::move(state)), entry_(std::move(entry)) {}

  std::shared_ptr<cancel_detail::State> state_;
  std::shared_ptr<cancel_detail::Entry> entry_;
};

// Awaitable sleep bound to a scope: std::error_code{} after `duration`, or
// asio::error::operation_aborted as soon as `scope` is cancelled (immediately if it already is).
// Runs on the awaiting coroutine's executor.
asio::awaitable<std::error_code> SleepFor(CancelScope& scope,
                                          std::chrono::steady_clock::duration duration);

// How WaitUntil naps between checks: from `first`, doubling up to `max`. A condition that clears
// within microseconds is seen within microseconds; a long wait costs few wake-ups.
struct PollSteps {
  std::chrono::steady_clock::duration first = std::chrono::microseconds(50);
  std::chrono::steady_clock::duration max = std::chrono::milliseconds(1);
};

// Checks `pred` at once and then after each nap until it holds (true), `deadline` passes, or
// `scope` (when not null) is cancelled (false). `pred` returns bool, or is a coroutine function
// returning asio::awaitable<bool> (a check that hops to other threads). Runs on the awaiting
// coroutine's executor; the one place that writes a polling loop.
template <typename Pred>
asio::awaitable<bool> WaitUntil(CancelScope* scope, std::chrono::steady_clock::time_point deadline,
                                Pred pred, PollSteps steps = {}) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  std::chrono::steady_clock::duration step = steps.first;
  while (true) {
    bool holds = false;
    if constexpr (std::is_same_v<std::invoke_result_t<Pred&>, asio::awaitable<bool>>) {
      holds = co_await pred();
    } else {
      holds = pred();
    }
    if (holds) co_return true;
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline || (scope != nullptr && scope->cancelled())) co_return false;
    auto nap = std::min<std::chrono::steady_clock::duration>(step, deadline - now);
    if (scope != nullptr) {
      if (co_await SleepFor(*scope, nap)) co_return false;
    } else {
      timer.expires_after(nap);
      co_await timer.async_wait(kAsTuple);
    }
    step = std::min(step * 2, steps.max);
  }
}

}  // namespace darner
