#include "cluster/apply_lock.h"

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/use_future.hpp>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include "io/cancel_scope.h"

namespace darner {
namespace {

using namespace std::chrono_literals;

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
  // Returns once everything posted before has run.
  void Sync() { asio::post(ctx_, asio::use_future).get(); }

 private:
  asio::io_context ctx_{1};
  asio::executor_work_guard<asio::io_context::executor_type> guard_{ctx_.get_executor()};
  std::thread thread_;
};

// Spawns a coroutine that takes `lock` (bound to `scope` if not null), records `id` in `order`
// once it has it, and unlocks. Its future says whether it got the lock.
std::future<bool> TakeAndRelease(LoopThread& loop, ApplyLock& lock, CancelScope* scope, int id,
                                 std::vector<int>* order) {
  return asio::co_spawn(
      loop.ctx(),
      [&lock, scope, id, order]() -> asio::awaitable<bool> {
        if (!co_await lock.Lock(scope)) co_return false;
        order->push_back(id);
        lock.Unlock();
        co_return true;
      },
      asio::use_future);
}

bool LockNow(LoopThread& loop, ApplyLock& lock) {
  return asio::co_spawn(loop.ctx(), lock.Lock(), asio::use_future).get();
}

TEST(ApplyLockTest, FreeLockIsTakenAtOnceAndFreedByUnlock) {
  LoopThread loop;
  ApplyLock lock;
  EXPECT_TRUE(LockNow(loop, lock));
  lock.Unlock();
  EXPECT_TRUE(LockNow(loop, lock));
  lock.Unlock();
}

TEST(ApplyLockTest, WaitersGetTheLockInArrivalOrder) {
  LoopThread loop;
  ApplyLock lock;
  ASSERT_TRUE(LockNow(loop, lock));
  std::vector<int> order;
  std::vector<std::future<bool>> waiters;
  for (int id = 0; id < 4; ++id) {
    waiters.push_back(TakeAndRelease(loop, lock, nullptr, id, &order));
    loop.Sync();  // queued before the next one arrives
  }
  for (auto& w : waiters) EXPECT_EQ(w.wait_for(20ms), std::future_status::timeout);
  lock.Unlock();  // hands the lock down the queue, one waiter after the other
  for (auto& w : waiters) {
    ASSERT_EQ(w.wait_for(5s), std::future_status::ready);
    EXPECT_TRUE(w.get());
  }
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_TRUE(LockNow(loop, lock));  // the last one freed it
  lock.Unlock();
}

TEST(ApplyLockTest, CancelledWaiterGivesUpAndIsSkipped) {
  LoopThread loop;
  ApplyLock lock;
  CancelScope already;
  already.Cancel();
  EXPECT_FALSE(asio::co_spawn(loop.ctx(), lock.Lock(&already), asio::use_future).get());

  ASSERT_TRUE(LockNow(loop, lock));
  std::vector<int> order;
  CancelScope scope;
  auto quitter = TakeAndRelease(loop, lock, &scope, 1, &order);
  loop.Sync();
  auto patient = TakeAndRelease(loop, lock, nullptr, 2, &order);
  loop.Sync();
  scope.Cancel();  // gives up while the lock is still held
  ASSERT_EQ(quitter.wait_for(5s), std::future_status::ready);
  EXPECT_FALSE(quitter.get());
  EXPECT_EQ(patient.wait_for(20ms), std::future_status::timeout);
  lock.Unlock();  // skips the one that gave up
  ASSERT_EQ(patient.wait_for(5s), std::future_status::ready);
  EXPECT_TRUE(patient.get());
  EXPECT_EQ(order, (std::vector<int>{2}));
}

}  // namespace
}  // namespace darner
