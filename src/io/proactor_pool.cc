#include "io/proactor_pool.h"

#include <latch>

#include "base/logging.h"

namespace darner {
namespace {
thread_local int tl_index = -1;
}

ProactorPool::ProactorPool(unsigned num_threads) {
  CHECK(num_threads > 0);
  for (unsigned i = 0; i < num_threads; ++i) loops_.push_back(std::make_unique<Loop>());
}

ProactorPool::~ProactorPool() { Stop(); }

void ProactorPool::Start(std::function<void(unsigned)> on_thread_start) {
  std::latch started(size());
  for (unsigned i = 0; i < size(); ++i) {
    Loop* loop = loops_[i].get();
    loop->thread = std::thread([loop, i, &on_thread_start, &started] {
      tl_index = static_cast<int>(i);
      if (on_thread_start) on_thread_start(i);
      started.count_down();
      loop->ctx.run();
    });
  }
  started.wait();
}

void ProactorPool::Stop() {
  for (auto& loop : loops_) {
    loop->guard.reset();
    loop->ctx.stop();
  }
  for (auto& loop : loops_) {
    if (loop->thread.joinable()) loop->thread.join();
  }
}

int ProactorPool::CurrentIndex() { return tl_index; }

void ProactorPool::RunOnAllBlocking(const std::function<void(unsigned)>& f) {
  CHECK(CurrentIndex() < 0) << "RunOnAllBlocking called from a pool thread";
  std::latch done(size());
  for (unsigned i = 0; i < size(); ++i) {
    Post(i, [&f, &done, i] {
      f(i);
      done.count_down();
    });
  }
  done.wait();
}

}  // namespace darner
