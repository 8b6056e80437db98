#include "io/cancel_scope.h"

#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <atomic>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "io/as_tuple.h"

namespace darner {
namespace cancel_detail {

// One registered action. `run_mu` makes running the action and disarming it mutually exclusive,
// which is what lets Registration::Reset() promise "not running and never will".
struct Entry : std::enable_shared_from_this<Entry> {
  std::mutex run_mu;
  bool armed = true;                              // under run_mu
  std::function<void()> action;                   // under run_mu
  std::atomic<std::thread::id> runner{};          // the thread running `action`, while it runs
  std::optional<asio::any_io_executor> executor;  // empty: inline

  // Called once, by the dispatching Cancel() (or by registration on a cancelled scope).
  void Fire() {
    if (!executor) {
      Run();
      return;
    }
    // Posting under run_mu: once Disarm() has returned nothing is posted to the executor any
    // more, so its context only has to outlive the Registration.
    std::lock_guard lock(run_mu);
    if (!armed) return;
    asio::post(*executor, [self = shared_from_this()] { self->Run(); });
  }

  void Run() {
    std::function<void()> fn;  // destroyed after run_mu is released
    std::lock_guard lock(run_mu);
    if (!armed) return;
    armed = false;
    fn = std::move(action);
    runner.store(std::this_thread::get_id(), std::memory_order_relaxed);
    fn();
    runner.store(std::thread::id(), std::memory_order_relaxed);
  }

  void Disarm() {
    if (runner.load(std::memory_order_relaxed) == std::this_thread::get_id()) {
      // Called from inside our own action: this thread already holds run_mu.
      armed = false;
      return;
    }
    std::function<void()> dead;  // captures destroyed outside the lock
    std::lock_guard lock(run_mu);
    armed = false;
    dead = std::move(action);
  }
};

struct State {
  std::mutex mu;  // guards `entries` and `dispatcher`
  std::vector<std::shared_ptr<Entry>> entries;
  std::thread::id dispatcher;
  std::atomic<bool> cancelled{false};
  std::atomic<bool> dispatched{false};
};

namespace {

bool CancelState(State& state) {
  std::vector<std::shared_ptr<Entry>> entries;
  bool mine = false;
  {
    std::lock_guard lock(state.mu);
    if (!state.cancelled.load(std::memory_order_relaxed)) {
      state.cancelled.store(true, std::memory_order_release);
      state.dispatcher = std::this_thread::get_id();
      entries.swap(state.entries);
      mine = true;
    } else if (state.dispatcher == std::this_thread::get_id()) {
      // Dispatch already finished on this thread, or this is a re-entry from one of our own
      // inline actions: either way, do not wait for ourselves.
      return false;
    }
  }
  if (!mine) {
    state.dispatched.wait(false, std::memory_order_acquire);
    return false;
  }
  for (auto& entry : entries) entry->Fire();
  state.dispatched.store(true, std::memory_order_release);
  state.dispatched.notify_all();
  return true;
}

}  // namespace
}  // namespace cancel_detail

using cancel_detail::CancelState;
using cancel_detail::Entry;
using cancel_detail::State;

CancelScope::CancelScope() : state_(std::make_shared<State>()) {}

CancelScope::CancelScope(CancelScope& parent) : CancelScope() {
  parent_registration_ =
      std::make_unique<Registration>(parent.OnCancelInline([weak = std::weak_ptr(state_)] {
        if (auto state = weak.lock()) CancelState(*state);
      }));
}

CancelScope::~CancelScope() {
  CancelState(*state_);
  parent_registration_.reset();
}

bool CancelScope::Cancel() {
  // A local reference: an inline action may destroy this scope object while we dispatch.
  std::shared_ptr<State> state = state_;
  return CancelState(*state);
}

bool CancelScope::cancelled() const { return state_->cancelled.load(std::memory_order_acquire); }

CancelScope::Registration CancelScope::Register(std::shared_ptr<Entry> entry) {
  bool fire_now = false;
  {
    std::lock_guard lock(state_->mu);
    if (state_->cancelled.load(std::memory_order_relaxed)) {
      fire_now = true;
    } else {
      state_->entries.push_back(entry);
    }
  }
  if (fire_now) entry->Fire();
  return Registration(state_, std::move(entry));
}

CancelScope::Registration CancelScope::OnCancel(const asio::any_io_executor& ex,
                                                std::function<void()> action) {
  auto entry = std::make_shared<Entry>();
  entry->action = std::move(action);
  entry->executor = ex;
  return Register(std::move(entry));
}

CancelScope::Registration CancelScope::OnCancelInline(std::function<void()> action) {
  auto entry = std::make_shared<Entry>();
  entry->action = std::move(action);
  return Register(std::move(entry));
}

CancelScope::Registration& CancelScope::Registration::operator=(Registration&& other) noexcept {
  if (this != &other) {
    Reset();
    state_ = std::move(other.state_);
    entry_ = std::move(other.entry_);
  }
  return *this;
}

void CancelScope::Registration::Reset() {
  if (!entry_) return;
  entry_->Disarm();
  {
    std::lock_guard lock(state_->mu);
    auto& entries = state_->entries;
    for (size_t i = 0; i < entries.size(); ++i) {
      if (entries[i] == entry_) {
        entries[i] = std::move(entries.back());
        entries.pop_back();
        break;
      }
    }
  }
  entry_.reset();
  state_.reset();
}

bool CancelScope::Registration::cancelled() const {
  return state_ && state_->cancelled.load(std::memory_order_acquire);
}

asio::awaitable<std::error_code> SleepFor(CancelScope& scope,
                                          std::chrono::steady_clock::duration duration) {
  if (scope.cancelled()) co_return asio::error::operation_aborted;
  auto ex = co_await asio::this_coro::executor;
  asio::steady_timer timer(ex, duration);
  // Declared after `timer`, so destroyed first: the action can never see a dead timer.
  CancelScope::Registration registration = scope.OnCancel(ex, [&timer] { timer.cancel(); });
  auto [ec] = co_await timer.async_wait(kAsTuple);
  if (registration.cancelled()) co_return asio::error::operation_aborted;
  co_return ec;
}

}  // namespace darner
