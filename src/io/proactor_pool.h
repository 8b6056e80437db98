// The thread-per-core runtime: one Asio event loop per thread. Work reaches another thread only
// by being posted to that thread's loop; nothing here knows about RESP, commands or keys.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/awaitable.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>
#include <atomic>
#include <memory>
#include <span>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

namespace darner {

#if defined(ASIO_HAS_IO_URING) && defined(ASIO_DISABLE_EPOLL)
inline constexpr std::string_view kMultiplexingApi = "io_uring";
#else
inline constexpr std::string_view kMultiplexingApi = "epoll";
#endif

class ProactorPool {
 public:
  explicit ProactorPool(unsigned num_threads);
  ~ProactorPool();
  ProactorPool(const ProactorPool&) = delete;
  ProactorPool& operator=(const ProactorPool&) = delete;

  unsigned size() const { return static_cast<unsigned>(loops_.size()); }
  asio::io_context& context(unsigned index) { return loops_[index]->ctx; }

  // Starts one thread per loop. `on_thread_start(index)` runs first on each thread.
  void Start(std::function<void(unsigned)> on_thread_start);
  // Stops every loop and joins the threads. Pending work is dropped.
  void Stop();

  // Index of the pool thread running the caller, or -1 off the pool.
  static int CurrentIndex();

  template <typename F>
  void Post(unsigned index, F&& f) {
    asio::post(loops_[index]->ctx, std::forward<F>(f));
  }

  // Runs f on every thread and blocks until all have finished. Only callable off the pool.
  void RunOnAllBlocking(const std::function<void(unsigned)>& f);

 private:
  struct Loop {
    asio::io_context ctx{1};
    asio::executor_work_guard<asio::io_context::executor_type> guard{ctx.get_executor()};
    std::thread thread;
  };
  std::vector<std::unique_ptr<Loop>> loops_;
};

// Awaitable: runs f() on `target`'s loop and resumes the awaiting coroutine on its own executor
// with f's result. f must not capture references that the caller does not keep alive (the
// caller is suspended until f has run, so references to its frame are fine).
template <typename F>
auto RunOnLoop(asio::io_context& target, F f) {
  using R = std::invoke_result_t<F&>;
  if constexpr (std::is_void_v<R>) {
    return asio::async_initiate<const asio::use_awaitable_t<>&, void()>(
        [&target](auto handler, F fn) {
          asio::post(target, [h = std::move(handler), fn = std::move(fn)]() mutable {
            fn();
            auto ex = asio::get_associated_executor(h);
            asio::post(ex, std::move(h));
          });
        },
        asio::use_awaitable, std::move(f));
  } else {
    return asio::async_initiate<const asio::use_awaitable_t<>&, void(R)>(
        [&target](auto handler, F fn) {
          asio::post(target, [h = std::move(handler), fn = std::move(fn)]() mutable {
            R result = fn();
            auto ex = asio::get_associated_executor(h);
            asio::post(ex, [h = std::move(h), result = std::move(result)]() mutable {
              std::move(h)(std::move(result));
            });
          });
        },
        asio::use_awaitable, std::move(f));
  }
}

// Awaitable: runs fn(i) on the loop of pool thread threads[i] for every i, all at once (on the
// caller's own thread inline, after posting the others), and resumes the awaiting coroutine on
// its own executor once every one has run. fn runs concurrently on several threads: it may
// write only state that belongs to its index. References to the caller's frame are fine.
template <typename F>
asio::awaitable<void> RunOnLoops(ProactorPool* pool, std::span<const unsigned> threads, F fn) {
  if (threads.empty()) co_return;
  std::atomic<size_t> pending{threads.size()};
  int current = ProactorPool::CurrentIndex();
  co_await asio::async_initiate<const asio::use_awaitable_t<>&, void()>(
      [pool, threads, &fn, &pending, current](auto handler) {
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        // The last one to finish resumes the caller.
        auto finish = [&pending, shared] {
          if (pending.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            auto ex = asio::get_associated_executor(*shared);
            asio::post(ex, std::move(*shared));
          }
        };
        size_t local = threads.size();
        for (size_t i = 0; i < threads.size(); ++i) {
          if (static_cast<int>(threads[i]) == current && local == threads.size()) {
            local = i;
            continue;
          }
          pool->Post(threads[i], [&fn, i, finish] {
            fn(i);
            finish();
          });
        }
        if (local < threads.size()) {
          fn(local);
          finish();
        }
      },
      asio::use_awaitable);
}

}  // namespace darner
