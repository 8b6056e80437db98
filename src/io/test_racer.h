// Test helper shared by the io tests: threads that race the calling thread, round by round.
#pragma once

#include <barrier>
#include <chrono>
#include <functional>
#include <thread>
#include <vector>

namespace darner {

// An upper bound on how long an operation may take, stretched in sanitizer builds (which run
// several times slower, and in CI next to other test binaries): a bound that holds in release
// must not flake there, and a hang still fails.
#ifdef DARNER_SANITIZER
inline constexpr int kTimeScale = 5;
#else
inline constexpr int kTimeScale = 1;
#endif
template <typename Rep, typename Period>
constexpr auto Slack(std::chrono::duration<Rep, Period> bound) {
  return bound * kTimeScale;
}

// `n` persistent threads that race the calling thread once per round: Start() releases them
// into `task` while the caller goes on, Join() waits until they are done. (Starting a thread
// per round costs more than the race itself on a small machine and spreads the threads out.)
class Racer {
 public:
  explicit Racer(int n) : barrier_(n + 1) {
    for (int i = 0; i < n; ++i) {
      threads_.emplace_back([this] {
        for (;;) {
          barrier_.arrive_and_wait();
          if (stop_) return;
          task_();
          barrier_.arrive_and_wait();
        }
      });
    }
  }
  ~Racer() {
    stop_ = true;
    barrier_.arrive_and_wait();
    for (auto& t : threads_) t.join();
  }
  void Start(std::function<void()> task) {
    task_ = std::move(task);
    barrier_.arrive_and_wait();
  }
  void Join() { barrier_.arrive_and_wait(); }

 private:
  std::barrier<> barrier_;
  std::function<void()> task_;  // written before a barrier phase, read after it
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace darner
