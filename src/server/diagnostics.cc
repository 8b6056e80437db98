#include "server/diagnostics.h"

#include <absl/flags/flag.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>
#include <absl/strings/str_split.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <map>
#include <mutex>

ABSL_FLAG(int32_t, slowlog_log_slower_than, 10000,
          "Redis's slowlog-log-slower-than: commands that take at least this many microseconds "
          "go to the slow log (0: every command; -1: none)");
ABSL_FLAG(uint32_t, slowlog_max_len, 128, "Redis's slowlog-max-len: entries the slow log keeps");
ABSL_FLAG(int64_t, latency_monitor_threshold, 0,
          "Redis's latency-monitor-threshold: commands that take at least this many "
          "milliseconds are recorded by LATENCY (0: the latency monitor is off)");
ABSL_FLAG(bool, latency_tracking, true,
          "Redis's latency-tracking: keep a histogram of durations per command (LATENCY "
          "HISTOGRAM)");

namespace darner {

DiagnosticsConfig& Diagnostics() {
  static DiagnosticsConfig config;
  return config;
}

namespace {
std::mutex percentiles_mu;
std::vector<double>& Percentiles() {
  static std::vector<double> list = {50, 99, 99.9};
  return list;
}
}  // namespace

std::vector<double> InfoPercentiles() {
  std::lock_guard lk(percentiles_mu);
  return Percentiles();
}

std::string SetInfoPercentiles(std::string_view list) {
  std::vector<double> parsed;
  for (absl::string_view word :
       absl::StrSplit(absl::string_view(list.data(), list.size()), ' ', absl::SkipEmpty())) {
    double v;
    if (!absl::SimpleAtod(word, &v) || std::isnan(v)) {
      return "Invalid latency-tracking-info-percentiles parameters";
    }
    if (v < 0 || v > 100) {
      return "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]";
    }
    parsed.push_back(v);
  }
  std::lock_guard lk(percentiles_mu);
  Percentiles() = std::move(parsed);
  return "";
}

std::string FormatInfoPercentiles() {
  std::string out;
  for (double p : InfoPercentiles()) {
    if (!out.empty()) out += ' ';
    out += absl::StrFormat("%g", p);
  }
  return out;
}

uint64_t LatencyHistogram::Percentile(double p) const {
  uint64_t n = total();
  if (n == 0) return 0;
  // The rank of the percentile among the calls, at least the first.
  uint64_t rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(p / 100 * double(n))));
  uint64_t seen = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    seen += counts[i];
    if (seen >= rank) return uint64_t{1} << i;
  }
  return uint64_t{1} << (kBuckets - 1);
}

void ApplyDiagnosticsFlags() {
  DiagnosticsConfig& c = Diagnostics();
  c.slowlog_slower_than_us = std::max<int64_t>(absl::GetFlag(FLAGS_slowlog_log_slower_than), -1);
  c.slowlog_max_len = absl::GetFlag(FLAGS_slowlog_max_len);
  c.latency_threshold_ms = std::max<int64_t>(absl::GetFlag(FLAGS_latency_monitor_threshold), 0);
  c.latency_tracking = absl::GetFlag(FLAGS_latency_tracking);
}

namespace {
std::atomic<uint64_t> next_slowlog_id{0};
}  // namespace

std::vector<std::string> ShortenForSlowLog(std::span<const std::string_view> args) {
  size_t kept = std::min(args.size(), kSlowLogMaxArgs);
  if (args.size() > kSlowLogMaxArgs) --kept;  // the last slot says how many were left out
  std::vector<std::string> out;
  out.reserve(kept + 1);
  for (size_t i = 0; i < kept; ++i) {
    std::string_view a = args[i];
    if (a.size() > kSlowLogMaxArgBytes) {
      out.push_back(absl::StrCat(std::string(a.substr(0, kSlowLogMaxArgBytes)), "... (",
                                 a.size() - kSlowLogMaxArgBytes, " more bytes)"));
    } else {
      out.emplace_back(a);
    }
  }
  if (kept < args.size())
    out.push_back(absl::StrCat("... (", args.size() - kept, " more arguments)"));
  return out;
}

void SlowLog::Add(std::span<const std::string_view> args, uint64_t micros, std::string_view addr,
                  std::string_view name) {
  uint64_t max_len = Diagnostics().slowlog_max_len.load(std::memory_order_relaxed);
  SlowLogEntry e;
  e.id = next_slowlog_id.fetch_add(1, std::memory_order_relaxed);
  e.unix_seconds = time(nullptr);
  e.micros = micros;
  e.args = ShortenForSlowLog(args);
  e.addr = std::string(addr);
  e.name = std::string(name);
  entries_.push_front(std::move(e));
  while (entries_.size() > max_len) entries_.pop_back();
}

void LatencyEvent::Add(int64_t unix_seconds, uint32_t ms) {
  max_ms_ = std::max(max_ms_, ms);
  if (!samples_.empty() && samples_.back().unix_seconds == unix_seconds) {
    samples_.back().ms = std::max(samples_.back().ms, ms);
    return;
  }
  samples_.push_back({unix_seconds, ms});
  if (samples_.size() > kSamples) samples_.pop_front();
}

void LatencyEvents::Add(std::string_view event, int64_t unix_seconds, uint32_t ms) {
  for (auto& [name, e] : events) {
    if (name == event) return e.Add(unix_seconds, ms);
  }
  events.emplace_back(std::string(event), LatencyEvent{}).second.Add(unix_seconds, ms);
}

size_t LatencyEvents::Reset(std::string_view event) {
  size_t before = events.size();
  if (event.empty()) {
    events.clear();
  } else {
    std::erase_if(events, [&](const auto& e) { return e.first == event; });
  }
  return before - events.size();
}

std::vector<LatencyEvent::Sample> MergeSamples(
    const std::vector<std::vector<LatencyEvent::Sample>>& parts) {
  std::map<int64_t, uint32_t> by_second;
  for (const auto& part : parts) {
    for (const LatencyEvent::Sample& s : part) {
      uint32_t& ms = by_second[s.unix_seconds];
      ms = std::max(ms, s.ms);
    }
  }
  std::vector<LatencyEvent::Sample> out;
  for (auto [sec, ms] : by_second) out.push_back({sec, ms});
  if (out.size() > LatencyEvent::kSamples) {
    out.erase(out.begin(), out.end() - LatencyEvent::kSamples);
  }
  return out;
}

void LatencyHistogram::Add(uint64_t micros) {
  size_t bucket = std::min<size_t>(std::bit_width(micros), kBuckets - 1);
  ++counts[bucket];
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (size_t i = 0; i < kBuckets; ++i) counts[i] += other.counts[i];
}

uint64_t LatencyHistogram::total() const {
  uint64_t n = 0;
  for (uint64_t c : counts) n += c;
  return n;
}

}  // namespace darner
