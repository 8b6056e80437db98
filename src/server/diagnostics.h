// What SLOWLOG and LATENCY report: the slow log, latency spikes by event class, and a latency
// histogram per command. Each thread records into its own copy (held by its ThreadStats) and
// never touches another thread's; the commands that report hop to every thread and merge.
// Recording is on the path of every command, so it is a few compares unless a command was slow.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace darner {

// The settings, shared by all threads (CONFIG SET writes them from any thread).
struct DiagnosticsConfig {
  std::atomic<int64_t> slowlog_slower_than_us{10000};  // negative: log nothing; 0: everything
  std::atomic<uint64_t> slowlog_max_len{128};
  std::atomic<int64_t> latency_threshold_ms{0};  // 0: the latency monitor is off
  std::atomic<bool> latency_tracking{true};      // per-command histograms
};
DiagnosticsConfig& Diagnostics();

// latency-tracking-info-percentiles: the percentiles INFO latencystats reports, in the order
// given ("50 99 99.9" by default). Any thread.
std::vector<double> InfoPercentiles();
// Sets them from a space-separated list; returns an error text, or empty.
std::string SetInfoPercentiles(std::string_view list);
// The list as CONFIG GET shows it.
std::string FormatInfoPercentiles();
// Copies --slowlog_log_slower_than, --slowlog_max_len, --latency_monitor_threshold and
// --latency_tracking into Diagnostics() (at start; CONFIG SET sets both).
void ApplyDiagnosticsFlags();

// Redis's limits on what one slow-log entry keeps of a command.
inline constexpr size_t kSlowLogMaxArgs = 32;
inline constexpr size_t kSlowLogMaxArgBytes = 128;

struct SlowLogEntry {
  uint64_t id = 0;  // process-wide, increasing
  int64_t unix_seconds = 0;
  uint64_t micros = 0;
  std::vector<std::string> args;  // shortened as Redis does
  std::string addr, name;         // the client's
};

// One thread's newest entries, newest first, at most slowlog_max_len of them.
class SlowLog {
 public:
  // `args` is the whole command, name first.
  void Add(std::span<const std::string_view> args, uint64_t micros, std::string_view addr,
           std::string_view name);
  const std::deque<SlowLogEntry>& entries() const { return entries_; }
  void Reset() { entries_.clear(); }

 private:
  std::deque<SlowLogEntry> entries_;
};

// The argument list a slow-log entry keeps: at most kSlowLogMaxArgs (the last one then says how
// many more there were), each at most kSlowLogMaxArgBytes (then saying how many bytes more).
std::vector<std::string> ShortenForSlowLog(std::span<const std::string_view> args);

// Latency spikes of one event class ("command", "fast-command"): the largest per second over
// the last kSamples seconds in which one happened, and the largest ever.
class LatencyEvent {
 public:
  static constexpr size_t kSamples = 160;
  struct Sample {
    int64_t unix_seconds = 0;
    uint32_t ms = 0;
  };
  void Add(int64_t unix_seconds, uint32_t ms);
  const std::deque<Sample>& samples() const { return samples_; }  // oldest first
  uint32_t max_ms() const { return max_ms_; }

 private:
  std::deque<Sample> samples_;
  uint32_t max_ms_ = 0;
};

// Command durations by powers of two: bucket i counts durations under 2^i microseconds (and at
// least 2^(i-1)); the last bucket takes everything longer.
struct LatencyHistogram {
  static constexpr size_t kBuckets = 25;  // up to ~16 s
  std::array<uint64_t, kBuckets> counts{};
  void Add(uint64_t micros);
  void Merge(const LatencyHistogram& other);
  uint64_t total() const;
  // The bound (2^i microseconds) of the bucket holding the p-th percentile (0 when empty).
  uint64_t Percentile(double p) const;
};

// A thread's latency monitor: its events by name.
struct LatencyEvents {
  std::vector<std::pair<std::string, LatencyEvent>> events;  // few: found by a linear scan
  void Add(std::string_view event, int64_t unix_seconds, uint32_t ms);
  // Forgets `event` (all events when empty); returns how many were forgotten.
  size_t Reset(std::string_view event);
};

// A merged view, oldest sample first: the largest value per second across threads.
std::vector<LatencyEvent::Sample> MergeSamples(
    const std::vector<std::vector<LatencyEvent::Sample>>& parts);

}  // namespace darner
