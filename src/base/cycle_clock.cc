#include "base/cycle_clock.h"

#include <chrono>
#include <thread>

namespace darner {

uint64_t CycleClock::CyclesPerMicro() {
  // Calibrated once, against the steady clock, over 2 ms.
  static const uint64_t rate = [] {
    auto t0 = std::chrono::steady_clock::now();
    uint64_t c0 = Now();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    auto t1 = std::chrono::steady_clock::now();
    uint64_t c1 = Now();
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(t1 - t0).count();
    uint64_t r = us > 0 ? (c1 - c0) / static_cast<uint64_t>(us) : 1;
    return r > 0 ? r : 1;
  }();
  return rate;
}

}  // namespace darner
