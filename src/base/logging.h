// Minimal leveled logging to stderr: LOG(INFO) << "text"; one line per statement, written with a
// single write(2) so lines from different threads never interleave.
#pragma once

#include <cassert>
#include <cstdlib>
#include <sstream>
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

}  // namespace darner

#define LOG(level) ::darner::LogMessage(::darner::LogLevel::level, __FILE__, __LINE__).stream()
#define CHECK(cond) \
  if (!(cond)) LOG(FATAL) << "Check failed: " #cond " "
#define DCHECK(cond) assert(cond)
