// A cheap monotonic clock for statistics (command durations): the CPU's time-stamp counter,
// which is constant-rate on the machines Darner targets. Not for deadlines.
#pragma once

#include <cstdint>

namespace darner {

class CycleClock {
 public:
  static uint64_t Now() { return __builtin_ia32_rdtsc(); }
  // Converts a difference of Now() values to microseconds.
  static uint64_t ToMicros(uint64_t cycles) { return cycles / CyclesPerMicro(); }

 private:
  static uint64_t CyclesPerMicro();
};

}  // namespace darner
