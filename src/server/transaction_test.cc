// Transactions through the in-process harness: locks taken on several shards at once, shared by
// readers, for one command or several, and released.
#include "server/transaction.h"

#include <asio/co_spawn.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_future.hpp>
#include <chrono>
#include <future>
#include <thread>

#include "server/test_utils.h"

namespace darner {
namespace {

class TransactionTest : public BaseFamilyTest {
 protected:
  // Runs `make()` as a coroutine on thread `thread` and waits for it (bounded).
  template <typename F>
  void RunCoroutine(unsigned thread, F make) {
    std::future<void> done =
        asio::co_spawn(service().pool()->context(thread), make(), asio::use_future);
    ASSERT_EQ(done.wait_for(std::chrono::seconds(20)), std::future_status::ready);
    done.get();
  }
  // Keys that hash to shard 0 and to shard 1.
  std::string KeyOn(unsigned shard, int n) {
    for (int i = 0;; ++i) {
      std::string k = "k" + std::to_string(n) + ":" + std::to_string(i);
      if (service().ShardOf(k) == shard) return k;
    }
  }
  const CommandId* Cid(std::string_view name) { return service().registry().Find(name); }
  // Whether shard `shard`'s locks would refuse `key` in `mode` now.
  bool Conflicts(unsigned shard, const std::string& key, LockMode mode) {
    std::promise<bool> p;
    service().pool()->Post(shard, [&] {
      std::string_view k = key;
      p.set_value(service().shard(shard)->locks().Conflicts({&k, 1}, mode));
    });
    return p.get_future().get();
  }
};

TEST_F(TransactionTest, SeveralCommandsLockTheUnionOfTheirKeys) {
  std::string a = KeyOn(0, 1), b = KeyOn(1, 2), c = KeyOn(1, 3);
  std::vector<std::string_view> get_a = {"GET", a}, mget = {"MGET", b, c}, set_b = {"SET", b, "v"};
  std::vector<Transaction::Command> reads = {{get_a, Cid("GET")}, {mget, Cid("MGET")}};
  RunCoroutine(0, [&]() -> asio::awaitable<void> {
    Transaction tx(&service(), reads);
    EXPECT_EQ(tx.mode(), LockMode::kShared);
    EXPECT_EQ(tx.shards().size(), 2u);
    if (tx.shards().size() == 2) EXPECT_EQ(tx.shards()[1].lock_keys.size(), 2u);
    co_await tx.Lock();
    EXPECT_TRUE(tx.locked());
    co_return;  // the destructor unlocks
  });
  EXPECT_FALSE(Conflicts(1, b, LockMode::kExclusive));

  std::vector<Transaction::Command> mixed = {{get_a, Cid("GET")}, {set_b, Cid("SET")}};
  std::promise<void> locked, release;
  std::future<void> released = release.get_future();
  std::thread holder([&] {
    RunCoroutine(0, [&]() -> asio::awaitable<void> {
      Transaction tx(&service(), mixed);
      EXPECT_EQ(tx.mode(), LockMode::kExclusive);
      co_await tx.Lock();
      locked.set_value();
      // Hold until the checks below ran (napping keeps the thread's loop running).
      asio::steady_timer nap(co_await asio::this_coro::executor);
      while (released.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
        nap.expires_after(std::chrono::milliseconds(1));
        co_await nap.async_wait(asio::use_awaitable);
      }
      tx.Unlock();
    });
  });
  locked.get_future().wait();
  EXPECT_TRUE(Conflicts(0, a, LockMode::kShared));
  EXPECT_TRUE(Conflicts(1, b, LockMode::kShared));
  EXPECT_FALSE(Conflicts(1, c, LockMode::kExclusive));
  release.set_value();
  holder.join();
  EXPECT_FALSE(Conflicts(0, a, LockMode::kExclusive));
}

TEST_F(TransactionTest, OpposedTransactionsOnTwoThreadsNeverDeadlock) {
  // Each thread locks both shards' keys over and over; the parallel round fails whenever the
  // other holds a key, and the ordered fallback must still make progress.
  std::string a = KeyOn(0, 1), b = KeyOn(1, 2);
  std::vector<std::string_view> line1 = {"MSET", a, "1", b, "2"}, line2 = {"MSET", b, "3", a, "4"};
  auto worker = [&](unsigned thread, std::vector<std::string_view>& line) {
    RunCoroutine(thread, [&]() -> asio::awaitable<void> {
      for (int i = 0; i < 2000; ++i) {
        Transaction tx(&service(), line, Cid("MSET"));
        co_await tx.Lock();
        tx.Unlock();
      }
    });
  };
  std::thread t1([&] { worker(0, line1); });
  std::thread t2([&] { worker(1, line2); });
  t1.join();
  t2.join();
  EXPECT_FALSE(Conflicts(0, a, LockMode::kExclusive));
  EXPECT_FALSE(Conflicts(1, b, LockMode::kExclusive));
}

TEST_F(TransactionTest, KeylessTransactionVisitsShardsWithoutLocks) {
  RunCoroutine(0, [&]() -> asio::awaitable<void> {
    Transaction tx(&service());
    co_await tx.Lock();
    EXPECT_FALSE(tx.locked());
    int visited = 0;
    co_await tx.RunOnAll([&](EngineShard&) { ++visited; });
    EXPECT_EQ(visited, static_cast<int>(shards()));
  });
}

TEST_F(TransactionTest, SquashedBatchWaitsForAKeyATransactionHolds) {
  // A transaction on thread 1 holds `b` (shard 1) for 100 ms. A squashed batch on thread 0
  // touching both shards stops shard 1's share at `b`, runs it once the lock is free, and still
  // replies in order; the rest of shard 1's share runs after it.
  std::string a = KeyOn(0, 1), b = KeyOn(1, 2), c = KeyOn(1, 3);
  std::vector<std::string_view> hold = {"MSET", b, "held"};
  std::promise<void> locked;
  std::thread holder([&] {
    RunCoroutine(1, [&]() -> asio::awaitable<void> {
      Transaction tx(&service(), hold, Cid("MSET"));
      co_await tx.Lock();
      locked.set_value();
      asio::steady_timer nap(co_await asio::this_coro::executor);
      nap.expires_after(std::chrono::milliseconds(100));
      co_await nap.async_wait(asio::use_awaitable);
      tx.Unlock();
    });
  });
  locked.get_future().wait();
  auto start = std::chrono::steady_clock::now();
  std::string replies = RunBatch(
      {{"set", a, "1"}, {"set", b, "2"}, {"set", c, "3"}, {"get", a}, {"get", b}, {"get", c}});
  auto waited = std::chrono::steady_clock::now() - start;
  holder.join();
  EXPECT_EQ(replies, std::string(kOk) + std::string(kOk) + std::string(kOk) + Bulk("1") +
                         Bulk("2") + Bulk("3"));
  EXPECT_GE(waited, std::chrono::milliseconds(80));
  EXPECT_LT(waited, std::chrono::seconds(5));
}

}  // namespace
}  // namespace darner
