// Leveled logging in glog's line format and with glog's flags, so that Dragonfly's tooling finds
// what it expects: LOG(INFO) << "text", VLOG(1) << "detail". Each line is formatted in the
// calling thread and written with a single write(2), so lines from different threads never
// interleave.
//
// Where lines go (the flags are glog's, with glog's meaning):
//   --log_dir=DIR   files DIR/<program>.<host>.<user>.log.<LEVEL>.<yyyymmdd-hhmmss>.<pid>, one
//                   per level, each holding the lines of its level and above, with a link
//                   DIR/<program>.<LEVEL> to the newest; stderr then gets lines at or above
//                   --stderrthreshold (default ERROR), or all with --alsologtostderr.
//   --logtostderr   stderr only, whatever --log_dir says.
//   neither         stderr only (glog would write files to /tmp; see docs/compatibility.md).
// --minloglevel drops lower levels everywhere; --v and --vmodule enable VLOG(n); lines at or
// below --logbuflevel are buffered in memory for at most --logbufsecs (files only); files over
// --max_log_size MiB are replaced by a new one.
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

// Reads the logging flags and opens nothing yet (files are created by their first line). Call
// once, after the flags are parsed; before it, lines go to stderr. `argv0` names the files.
void InitLogging(const char* argv0);
// Writes out buffered lines (shutdown; FATAL does it itself).
void FlushLogs();

// Sets the lowest level that is logged (--minloglevel).
void SetMinLogLevel(LogLevel level);

// Whether VLOG(level) at a source file is on: the level of the first --vmodule pattern that
// matches the file's module (its base name without extension), else --v.
bool VLogEnabled(int level, const char* file);

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
// LOG(INFO) when VLogEnabled(n) at this file (one relaxed load when --vmodule is not set).
#define VLOG(n)                                \
  if (!::darner::VLogEnabled((n), __FILE__)) { \
  } else                                       \
    LOG(INFO)
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
