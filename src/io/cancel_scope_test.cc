#include "io/cancel_scope.h"

#include <gtest/gtest.h>

#include <array>
#include <asio/co_spawn.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/use_future.hpp>
#include <atomic>
#include <barrier>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "io/test_racer.h"

namespace darner {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// One io_context running on its own thread, standing in for a proactor thread.
class LoopThread {
 public:
  LoopThread() : thread_([this] { ctx_.run(); }) {}
  ~LoopThread() {
    guard_.reset();
    ctx_.stop();
    thread_.join();
  }
  asio::io_context& ctx() { return ctx_; }
  std::thread::id id() const { return thread_.get_id(); }
  // Returns once everything posted before has run.
  void Sync() { asio::post(ctx_, asio::use_future).get(); }

 private:
  asio::io_context ctx_{1};
  asio::executor_work_guard<asio::io_context::executor_type> guard_{ctx_.get_executor()};
  std::thread thread_;
};

TEST(CancelScopeTest, CancelIsIdempotent) {
  CancelScope scope;
  EXPECT_FALSE(scope.cancelled());
  int runs = 0;
  auto registration = scope.OnCancelInline([&] { ++runs; });
  EXPECT_TRUE(scope.Cancel());
  EXPECT_TRUE(scope.cancelled());
  EXPECT_TRUE(registration.cancelled());
  EXPECT_FALSE(scope.Cancel());
  EXPECT_EQ(runs, 1);
}

TEST(CancelScopeTest, ExecutorActionRunsOnItsOwnThread) {
  LoopThread loop;
  CancelScope scope;
  std::promise<std::thread::id> ran_on;
  auto registration = scope.OnCancel(loop.ctx().get_executor(),
                                     [&] { ran_on.set_value(std::this_thread::get_id()); });
  auto start = Clock::now();
  scope.Cancel();
  auto future = ran_on.get_future();
  ASSERT_EQ(future.wait_for(1s), std::future_status::ready);
  EXPECT_LT(Clock::now() - start, Slack(50ms));
  EXPECT_EQ(future.get(), loop.id());
}

TEST(CancelScopeTest, RegisteringAfterCancelDispatchesAtOnce) {
  LoopThread loop;
  CancelScope scope;
  scope.Cancel();
  int inline_runs = 0;
  auto inline_registration = scope.OnCancelInline([&] { ++inline_runs; });
  EXPECT_EQ(inline_runs, 1);  // before OnCancelInline returned
  EXPECT_TRUE(inline_registration.cancelled());

  std::promise<void> ran;
  auto registration = scope.OnCancel(loop.ctx().get_executor(), [&] { ran.set_value(); });
  EXPECT_EQ(ran.get_future().wait_for(1s), std::future_status::ready);
}

TEST(CancelScopeTest, ResetBeforeCancelNeverRuns) {
  LoopThread loop;
  CancelScope scope;
  std::atomic<int> runs{0};
  auto a = scope.OnCancelInline([&] { ++runs; });
  auto b = scope.OnCancel(loop.ctx().get_executor(), [&] { ++runs; });
  a.Reset();
  b.Reset();
  EXPECT_FALSE(a.registered());
  scope.Cancel();
  loop.Sync();
  EXPECT_EQ(runs.load(), 0);
}

TEST(CancelScopeTest, ResetAfterPostBeforeRunSkipsTheAction) {
  LoopThread loop;
  CancelScope scope;
  std::atomic<int> runs{0};
  // Hold the loop so the posted action cannot start before Reset().
  std::promise<void> release;
  asio::post(loop.ctx(), [f = release.get_future().share()] { f.wait(); });
  auto registration = scope.OnCancel(loop.ctx().get_executor(), [&] { ++runs; });
  scope.Cancel();  // posts the action behind the blocker
  registration.Reset();
  release.set_value();
  loop.Sync();
  EXPECT_EQ(runs.load(), 0);
}

TEST(CancelScopeTest, ResetFromInsideTheActionDoesNotDeadlock) {
  LoopThread loop;
  CancelScope scope;
  CancelScope::Registration inline_registration;
  inline_registration = scope.OnCancelInline([&] { inline_registration.Reset(); });
  CancelScope::Registration posted;
  std::promise<void> ran;
  posted = scope.OnCancel(loop.ctx().get_executor(), [&] {
    posted.Reset();
    ran.set_value();
  });
  scope.Cancel();
  EXPECT_FALSE(inline_registration.registered());
  ASSERT_EQ(ran.get_future().wait_for(1s), std::future_status::ready);
  loop.Sync();
  EXPECT_FALSE(posted.registered());
}

TEST(CancelScopeTest, InlineActionMayDestroyItsScope) {
  auto scope = std::make_unique<CancelScope>();
  int runs = 0;
  auto other = scope->OnCancelInline([&] { ++runs; });
  auto destroyer = scope->OnCancelInline([&] { scope.reset(); });
  EXPECT_TRUE(scope->Cancel());
  EXPECT_EQ(scope, nullptr);
  EXPECT_EQ(runs, 1);
  EXPECT_TRUE(other.cancelled());  // registrations keep the shared state alive
}

TEST(CancelScopeTest, ConcurrentCancelFromFourThreads) {
  LoopThread loop;
  Racer racer(4);
  auto start = Clock::now();
  for (int i = 0; i < 1000; ++i) {
    CancelScope scope;
    std::atomic<int> inline_runs{0};
    std::atomic<int> posted_runs{0};
    auto a = scope.OnCancelInline([&] { ++inline_runs; });
    auto b = scope.OnCancel(loop.ctx().get_executor(), [&] { ++posted_runs; });
    std::atomic<int> winners{0};
    std::atomic<int> early_returns{0};
    racer.Start([&] {
      winners += scope.Cancel();
      winners += scope.Cancel();  // a second call on the same thread
      // Every Cancel() returns only after the dispatch is complete.
      if (!scope.cancelled() || inline_runs.load() != 1) ++early_returns;
    });
    racer.Join();
    loop.Sync();
    ASSERT_EQ(winners.load(), 1);
    ASSERT_EQ(early_returns.load(), 0);
    ASSERT_EQ(inline_runs.load(), 1);
    ASSERT_EQ(posted_runs.load(), 1);
  }
  EXPECT_LT(Clock::now() - start, 2s);  // typically ~0.1 s
}

// The guarantee an owner relies on: after Reset() returns, the action is not running and never
// will, so the owner may free what the action touches. ASan/TSan would flag a violation.
TEST(CancelScopeTest, ResetRacingCancelNeverRunsAfterReset) {
  LoopThread loop;
  Racer canceller(1);
  auto start = Clock::now();
  for (int i = 0; i < 1000; ++i) {
    CancelScope scope;
    // One counter per action: they run on different threads.
    auto counters = std::make_unique<std::array<int, 2>>();
    auto* raw = counters.get();
    auto posted = scope.OnCancel(loop.ctx().get_executor(), [raw] { ++(*raw)[0]; });
    auto inline_action = scope.OnCancelInline([raw] { ++(*raw)[1]; });
    canceller.Start([&] { scope.Cancel(); });
    if (i % 2) std::this_thread::yield();
    inline_action.Reset();
    posted.Reset();
    counters.reset();  // the actions may no longer touch them
    canceller.Join();
  }
  loop.Sync();
  EXPECT_LT(Clock::now() - start, 2s);  // typically ~50 ms
}

TEST(CancelScopeTest, ParentCancelsChildren) {
  CancelScope parent;
  CancelScope child(parent);
  CancelScope grandchild(child);
  CancelScope sibling(parent);
  int runs = 0;
  auto registration = grandchild.OnCancelInline([&] { ++runs; });

  EXPECT_TRUE(sibling.Cancel());  // a child's cancel leaves the parent alone
  EXPECT_FALSE(parent.cancelled());
  EXPECT_FALSE(child.cancelled());

  EXPECT_TRUE(parent.Cancel());
  EXPECT_TRUE(child.cancelled());
  EXPECT_TRUE(grandchild.cancelled());
  EXPECT_EQ(runs, 1);

  CancelScope late_child(parent);  // born cancelled
  EXPECT_TRUE(late_child.cancelled());
}

TEST(CancelScopeTest, ChildDestroyedBeforeParentUnregisters) {
  CancelScope parent;
  int runs = 0;
  {
    CancelScope child(parent);
    auto registration = child.OnCancelInline([&] { ++runs; });
    registration.Reset();
  }
  parent.Cancel();
  EXPECT_EQ(runs, 0);
}

TEST(CancelScopeTest, ChildDestroyedWhileParentCancels) {
  Racer canceller(1);
  auto start = Clock::now();
  for (int i = 0; i < 1000; ++i) {
    CancelScope parent;
    auto child = std::make_unique<CancelScope>(parent);
    int runs = 0;
    auto registration = child->OnCancelInline([&] { ++runs; });
    canceller.Start([&] { parent.Cancel(); });
    registration.Reset();
    child.reset();
    canceller.Join();
    EXPECT_LE(runs, 1);
  }
  EXPECT_LT(Clock::now() - start, 2s);  // typically ~30 ms
}

TEST(CancelScopeTest, DestroyingTheScopeCancels) {
  int runs = 0;
  CancelScope::Registration registration;
  {
    CancelScope scope;
    registration = scope.OnCancelInline([&] { ++runs; });
  }
  EXPECT_EQ(runs, 1);
  EXPECT_TRUE(registration.cancelled());
}

TEST(CancelScopeTest, SleepForElapsesOrStopsOnCancel) {
  LoopThread loop;
  CancelScope scope;
  auto start = Clock::now();
  std::error_code ec = asio::co_spawn(loop.ctx(), SleepFor(scope, 30ms), asio::use_future).get();
  auto elapsed = Clock::now() - start;
  EXPECT_FALSE(ec);
  EXPECT_GE(elapsed, 30ms);
  EXPECT_LT(elapsed, Slack(80ms));

  auto sleeping = asio::co_spawn(loop.ctx(), SleepFor(scope, 10s), asio::use_future);
  std::this_thread::sleep_for(20ms);
  start = Clock::now();
  scope.Cancel();
  ASSERT_EQ(sleeping.wait_for(1s), std::future_status::ready);
  EXPECT_LT(Clock::now() - start, Slack(50ms));
  EXPECT_EQ(sleeping.get(), asio::error::operation_aborted);

  // Already cancelled: returns without waiting (timed on the loop's thread).
  auto late = asio::co_spawn(
      loop.ctx(),
      [&]() -> asio::awaitable<std::pair<std::error_code, Clock::duration>> {
        auto t0 = Clock::now();
        std::error_code result = co_await SleepFor(scope, 10s);
        co_return std::pair{result, Clock::now() - t0};
      },
      asio::use_future);
  ASSERT_EQ(late.wait_for(1s), std::future_status::ready);
  auto [late_ec, late_elapsed] = late.get();
  EXPECT_EQ(late_ec, asio::error::operation_aborted);
  EXPECT_LT(late_elapsed, Slack(5ms));
}

TEST(CancelScopeTest, WaitUntilHoldsTimesOutOrStopsOnCancel) {
  LoopThread loop;
  CancelScope scope;
  std::atomic<bool> flag{false};
  // Holds: seen soon after the flag is set from another thread.
  auto waiting = asio::co_spawn(
      loop.ctx(),
      [&]() -> asio::awaitable<bool> {
        co_return co_await WaitUntil(&scope, Clock::now() + 10s, [&] { return flag.load(); });
      },
      asio::use_future);
  std::this_thread::sleep_for(20ms);
  auto start = Clock::now();
  flag = true;
  ASSERT_EQ(waiting.wait_for(1s), std::future_status::ready);
  EXPECT_TRUE(waiting.get());
  EXPECT_LT(Clock::now() - start, Slack(20ms));

  // A coroutine predicate that never holds: false at the deadline, not before.
  start = Clock::now();
  auto timed = asio::co_spawn(
      loop.ctx(),
      [&]() -> asio::awaitable<bool> {
        auto never = []() -> asio::awaitable<bool> { co_return false; };
        co_return co_await WaitUntil(nullptr, Clock::now() + 30ms, never);
      },
      asio::use_future);
  ASSERT_EQ(timed.wait_for(2s), std::future_status::ready);
  EXPECT_FALSE(timed.get());
  EXPECT_GE(Clock::now() - start, 30ms);
  EXPECT_LT(Clock::now() - start, Slack(100ms));

  // Cancelled: false at once, long before the deadline.
  auto cancelled = asio::co_spawn(
      loop.ctx(),
      [&]() -> asio::awaitable<bool> {
        co_return co_await WaitUntil(&scope, Clock::now() + 10s, [] { return false; });
      },
      asio::use_future);
  std::this_thread::sleep_for(20ms);
  start = Clock::now();
  scope.Cancel();
  ASSERT_EQ(cancelled.wait_for(1s), std::future_status::ready);
  EXPECT_FALSE(cancelled.get());
  EXPECT_LT(Clock::now() - start, Slack(50ms));
}

// A predicate that already holds returns true at once: checked before any nap, and before the
// scope or the deadline are looked at (a cancelled scope or a past deadline do not hide it).
TEST(CancelScopeTest, WaitUntilReturnsAtOnceWhenPredHolds) {
  LoopThread loop;
  CancelScope cancelled_scope;
  cancelled_scope.Cancel();
  int calls = 0;
  auto start = Clock::now();
  auto held = asio::co_spawn(
      loop.ctx(),
      [&]() -> asio::awaitable<std::array<bool, 3>> {
        bool open =
            co_await WaitUntil(nullptr, Clock::now() + 10s, [&] { return ++calls > 0; }, {1s, 1s});
        bool past = co_await WaitUntil(nullptr, Clock::now() - 1s, [] { return true; }, {1s, 1s});
        bool stopped =
            co_await WaitUntil(&cancelled_scope, Clock::now() + 10s, [] { return true; }, {1s, 1s});
        co_return std::array<bool, 3>{open, past, stopped};
      },
      asio::use_future);
  ASSERT_EQ(held.wait_for(1s), std::future_status::ready);
  EXPECT_EQ(held.get(), (std::array<bool, 3>{true, true, true}));
  EXPECT_EQ(calls, 1);
  // Naps are 1 s each here: returning well within one shows that none was taken.
  EXPECT_LT(Clock::now() - start, Slack(20ms));
}

// A predicate that never holds is checked until the deadline and no later: the wait ends at the
// deadline (never before it), within one nap of it.
TEST(CancelScopeTest, WaitUntilEndsAtTheDeadline) {
  LoopThread loop;
  CancelScope scope;
  int calls = 0;
  auto start = Clock::now();
  auto timed = asio::co_spawn(
      loop.ctx(),
      [&]() -> asio::awaitable<bool> {
        co_return co_await WaitUntil(&scope, Clock::now() + 40ms, [&] {
          ++calls;
          return false;
        });
      },
      asio::use_future);
  ASSERT_EQ(timed.wait_for(2s), std::future_status::ready);
  EXPECT_FALSE(timed.get());
  auto elapsed = Clock::now() - start;
  EXPECT_GE(elapsed, 40ms);
  EXPECT_LT(elapsed, Slack(60ms));
  // Naps double from 50 us to 1 ms: a 40 ms wait checks about 45 times, not thousands.
  EXPECT_GT(calls, 2);
  EXPECT_LT(calls, 200);
}

}  // namespace
}  // namespace darner
