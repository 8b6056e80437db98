// The cost of one hop: how long a coroutine on one thread waits for a function to run on
// another thread and come back (RunOnLoop), against calling the function in place, and the
// cost of reaching every shard at once (RunOnLoops), and the time per hop when many hops
// overlap (what a busy server pays). Prints the median of ROUNDS rounds, in nanoseconds.
// docs/design/threading-and-transactions.md builds its model of throughput against core count on
// these figures.
//
//   hop_bench [--rounds=N] [--iterations=N]     (--self-test: a short run that checks it works)
#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/use_future.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <future>
#include <string>
#include <vector>

#include "io/proactor_pool.h"

namespace {

using Clock = std::chrono::steady_clock;
using darner::ProactorPool;

double NsPer(Clock::duration d, size_t n) {
  return std::chrono::duration<double, std::nano>(d).count() / static_cast<double>(n);
}

// Runs `body` as a coroutine on thread 0 of `pool` and waits for it.
template <typename F>
void OnThread0(ProactorPool& pool, F body) {
  asio::co_spawn(pool.context(0), body(), asio::use_future).get();
}

struct Figures {
  double local_ns, hop_ns, fanout_ns, pipelined_ns;
};

// Many coroutines hopping at once (as many connections do on a busy server): the time per hop
// when hops overlap, which is the CPU a hop costs rather than the latency of a wake-up.
constexpr size_t kInFlight = 32;
double PipelinedHop(ProactorPool& pool, size_t iterations) {
  size_t per = std::max<size_t>(iterations / kInFlight, 1);
  std::vector<std::future<void>> done;
  auto t0 = Clock::now();
  for (size_t c = 0; c < kInFlight; ++c) {
    done.push_back(asio::co_spawn(
        pool.context(0),
        [&pool, per]() -> asio::awaitable<void> {
          uint64_t sink = 0;
          for (size_t i = 0; i < per; ++i) {
            co_await darner::RunOnLoop(pool.context(1), [&sink, i] { sink += i; });
          }
        },
        asio::use_future));
  }
  for (auto& f : done) f.get();
  return NsPer(Clock::now() - t0, per * kInFlight);
}

Figures Round(ProactorPool& pool, size_t iterations) {
  Figures f{};
  volatile uint64_t sink = 0;
  OnThread0(pool, [&]() -> asio::awaitable<void> {
    auto t0 = Clock::now();
    for (size_t i = 0; i < iterations; ++i) sink = sink + i;  // the work a hop carries, in place
    f.local_ns = NsPer(Clock::now() - t0, iterations);

    t0 = Clock::now();
    for (size_t i = 0; i < iterations; ++i) {
      co_await darner::RunOnLoop(pool.context(1), [&sink, i] { sink = sink + i; });
    }
    f.hop_ns = NsPer(Clock::now() - t0, iterations);

    // Both threads at once (the caller's share inline): what a squashed batch or a lock round
    // over two shards costs.
    unsigned threads[] = {0, 1};
    std::vector<uint64_t> slots(2);
    t0 = Clock::now();
    for (size_t i = 0; i < iterations; ++i) {
      co_await darner::RunOnLoops(&pool, threads, [&slots, i](size_t t) { slots[t] += i; });
    }
    f.fanout_ns = NsPer(Clock::now() - t0, iterations);
  });
  f.pipelined_ns = PipelinedHop(pool, iterations);
  return f;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  size_t rounds = 5, iterations = 200000;
  bool self_test = false;
  for (int i = 1; i < argc; ++i) {
    if (strncmp(argv[i], "--rounds=", 9) == 0)
      rounds = std::stoul(argv[i] + 9);
    else if (strncmp(argv[i], "--iterations=", 13) == 0)
      iterations = std::stoul(argv[i] + 13);
    else if (strcmp(argv[i], "--self-test") == 0)
      self_test = true;
    else {
      fprintf(stderr, "usage: %s [--rounds=N] [--iterations=N] [--self-test]\n", argv[0]);
      return 2;
    }
  }
  if (self_test) rounds = 1, iterations = 1000;
  if (rounds == 0 || iterations == 0) return 2;
  ProactorPool pool(2);
  pool.Start([](unsigned) {});
  std::vector<double> local, hop, fanout, pipelined;
  for (size_t r = 0; r < rounds; ++r) {
    Figures f = Round(pool, iterations);
    local.push_back(f.local_ns);
    hop.push_back(f.hop_ns);
    fanout.push_back(f.fanout_ns);
    pipelined.push_back(f.pipelined_ns);
  }
  pool.Stop();
  printf("median of %zu rounds, %zu iterations each:\n", rounds, iterations);
  printf("  local call           %8.1f ns\n", Median(local));
  printf("  hop (round trip)     %8.1f ns\n", Median(hop));
  printf("  both threads at once %8.1f ns\n", Median(fanout));
  printf("  hop, %zu in flight   %8.1f ns per hop\n", kInFlight, Median(pipelined));
  bool ok = Median(hop) > 0 && Median(fanout) > 0;
  return ok ? 0 : 1;
}
