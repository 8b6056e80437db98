// Minimal leveled logging to stderr: LOG(INFO) << "text"; one line per statement, written with a
// single write(2) so lines from different threads never interleave.
#pragma once

#include <atomic>
#include <cassert>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>

namespace darner {

enum class LogLevel { INFO, WARNING, ERROR, FATAL };

class LogMessage {
 public:
  LogMessage(LogLevel level, const char* file, int line);
  ~LogMessage();
  std::ostream& stream() { return stream_; }

 private:
  LogLevel level_;
  std::ostringstream stream_;
};

// Sets the lowest level that is printed (default INFO).
void SetMinLogLevel(LogLevel level);

// One call site's budget of LOG_EVERY_N_SEC: lets a line through at most once per period, and
// counts the lines it held back meanwhile.
class LogRateLimit {
 public:
  // Whether a line may be logged now; if so, *suppressed is how many were held back before it.
  bool Allow(double seconds, uint64_t* suppressed);

 private:
  std::atomic<int64_t> next_ns_{0};
  std::atomic<uint64_t> dropped_{0};
};

// "" or "[N similar lines suppressed] ".
std::string SuppressedNote(uint64_t suppressed);

}  // namespace darner

#define LOG(level) ::darner::LogMessage(::darner::LogLevel::level, __FILE__, __LINE__).stream()
// LOG(level), at most once per `seconds` at this call site: for lines a peer can trigger at
// will (accept failures, protocol errors), so no client can flood the log.
#define LOG_EVERY_N_SEC(level, seconds)                         \
  for (                                                         \
      uint64_t darner_suppressed = 0, darner_once = 1;          \
      darner_once &&                                            \
      [&] {                                                     \
        static ::darner::LogRateLimit darner_limit;             \
        return darner_limit.Allow(seconds, &darner_suppressed); \
      }();                                                      \
      darner_once = 0)                                          \
  LOG(level) << ::darner::SuppressedNote(darner_suppressed)
#define CHECK(cond) \
  if (!(cond)) LOG(FATAL) << "Check failed: " #cond " "
#define DCHECK(cond) assert(cond)
