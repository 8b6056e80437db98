#include "base/logging.h"

#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <ctime>

namespace darner {
namespace {
std::atomic<int> min_level{0};
}

void SetMinLogLevel(LogLevel level) { min_level = static_cast<int>(level); }

bool LogRateLimit::Allow(double seconds, uint64_t* suppressed) {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  int64_t now = int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
  int64_t next = next_ns_.load(std::memory_order_relaxed);
  if (now < next ||
      !next_ns_.compare_exchange_strong(next, now + static_cast<int64_t>(seconds * 1e9),
                                        std::memory_order_relaxed)) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  *suppressed = dropped_.exchange(0, std::memory_order_relaxed);
  return true;
}

std::string SuppressedNote(uint64_t suppressed) {
  if (suppressed == 0) return {};
  return "[" + std::to_string(suppressed) + " similar lines suppressed] ";
}

LogMessage::LogMessage(LogLevel level, const char* file, int line) : level_(level) {
  static constexpr char kLetters[] = "IWEF";
  timeval tv;
  gettimeofday(&tv, nullptr);
  tm parts;
  localtime_r(&tv.tv_sec, &parts);
  char prefix[64];
  std::string_view base(file);
  if (size_t slash = base.rfind('/'); slash != std::string_view::npos)
    base.remove_prefix(slash + 1);
  snprintf(prefix, sizeof(prefix), "%c%02d%02d %02d:%02d:%02d.%06ld %d ",
           kLetters[static_cast<int>(level)], parts.tm_mon + 1, parts.tm_mday, parts.tm_hour,
           parts.tm_min, parts.tm_sec, static_cast<long>(tv.tv_usec), static_cast<int>(gettid()));
  stream_ << prefix << base << ':' << line << "] ";
}

LogMessage::~LogMessage() {
  if (static_cast<int>(level_) >= min_level.load(std::memory_order_relaxed)) {
    stream_ << '\n';
    std::string line = stream_.str();
    [[maybe_unused]] ssize_t n = write(STDERR_FILENO, line.data(), line.size());
  }
  if (level_ == LogLevel::FATAL) abort();
}

}  // namespace darner
