#include "io/proactor_pool.h"

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <atomic>
#include <future>

namespace darner {
namespace {

TEST(ProactorPoolTest, RunOnAllVisitsEveryThread) {
  ProactorPool pool(3);
  pool.Start(nullptr);
  std::atomic<unsigned> mask{0};
  pool.RunOnAllBlocking([&](unsigned i) {
    EXPECT_EQ(ProactorPool::CurrentIndex(), static_cast<int>(i));
    mask |= 1u << i;
  });
  EXPECT_EQ(mask.load(), 7u);
  pool.Stop();
}

TEST(ProactorPoolTest, RunOnLoopHopsAndReturns) {
  ProactorPool pool(2);
  pool.Start(nullptr);
  std::promise<std::pair<int, int>> done;
  asio::co_spawn(
      pool.context(0),
      [&]() -> asio::awaitable<void> {
        int there =
            co_await RunOnLoop(pool.context(1), [] { return ProactorPool::CurrentIndex(); });
        co_await RunOnLoop(pool.context(1), [] {});
        done.set_value({there, ProactorPool::CurrentIndex()});
      },
      asio::detached);
  auto [there, back] = done.get_future().get();
  EXPECT_EQ(there, 1);
  EXPECT_EQ(back, 0);
  pool.Stop();
}

}  // namespace
}  // namespace darner
