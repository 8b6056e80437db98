#include "base/logging.h"

#include <absl/flags/flag.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_split.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <mutex>
#include <utility>
#include <vector>

// glog's flags, with glog's names, types and defaults (Dragonfly links glog, so its command
// lines carry them).
ABSL_FLAG(bool, logtostderr, false, "Log to stderr only, never to files");
ABSL_FLAG(bool, alsologtostderr, false, "With --log_dir: every line to stderr too");
ABSL_FLAG(bool, colorlogtostderr, false, "Accepted (glog); Darner's stderr lines are plain");
ABSL_FLAG(bool, logtostdout, false, "Accepted (glog); Darner logs to stderr");
ABSL_FLAG(bool, colorlogtostdout, false, "Accepted (glog); Darner logs to stderr");
ABSL_FLAG(std::string, log_dir, "",
          "Write log files here, one per level (empty: no files, lines go to stderr)");
ABSL_FLAG(std::string, log_link, "", "Also put the <program>.<LEVEL> links in this directory");
ABSL_FLAG(int32_t, stderrthreshold, 2,
          "With --log_dir: lines at or above this level (0 INFO .. 3 FATAL) also go to stderr");
ABSL_FLAG(int32_t, minloglevel, 0, "Drop lines below this level (0 INFO .. 3 FATAL)");
ABSL_FLAG(int32_t, logbuflevel, 0,
          "Log file lines at or below this level are buffered (-1: none is)");
ABSL_FLAG(int32_t, logbufsecs, 30, "Buffered log file lines wait at most this many seconds");
ABSL_FLAG(uint32_t, max_log_size, 1800, "A log file over this many MiB is replaced by a new one");
ABSL_FLAG(bool, stop_logging_if_full_disk, false, "Stop writing log files when the disk is full");
ABSL_FLAG(int32_t, logfile_mode, 0664, "Permission bits of new log files");
ABSL_FLAG(bool, log_prefix, true, "Start each line with glog's level, time, thread and place");
ABSL_FLAG(bool, log_year_in_prefix, false, "Accepted (glog 0.7); the prefix has no year");
ABSL_FLAG(bool, log_utc_time, false, "Times in UTC instead of local time");
ABSL_FLAG(bool, timestamp_in_logfile_name, true, "Put the start time and pid in file names");
ABSL_FLAG(bool, log_file_header, true, "Start each log file with glog's four header lines");
ABSL_FLAG(int32_t, v, 0, "VLOG(n) lines with n at most this are logged");
ABSL_FLAG(std::string, vmodule, "",
          "Per-module VLOG levels, 'module=n,pattern*=n': the first matching pattern wins");
ABSL_FLAG(std::string, log_backtrace_at, "", "Accepted (glog); no backtraces are logged");
ABSL_FLAG(bool, symbolize_stacktrace, true, "Accepted (glog)");
ABSL_FLAG(bool, drop_log_memory, true, "Accepted (glog)");
ABSL_FLAG(int32_t, logemaillevel, 999, "Accepted (glog); Darner sends no mail");
ABSL_FLAG(std::string, alsologtoemail, "", "Accepted (glog); Darner sends no mail");
ABSL_FLAG(std::string, logmailer, "", "Accepted (glog); Darner sends no mail");

namespace darner {
namespace {

constexpr const char* kLevelNames[] = {"INFO", "WARNING", "ERROR", "FATAL"};
constexpr size_t kMaxBuffered = 64 * 1024;

int64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

// Settings read once by InitLogging; atomics because any thread logs.
std::atomic<int> min_level{0};
std::atomic<int> v_level{0};
std::atomic<bool> has_vmodule{false};
std::atomic<bool> files_on{false};
std::atomic<bool> prefix_on{true};
std::atomic<bool> utc_time{false};
std::vector<std::pair<std::string, int>> vmodule;  // written by InitLogging only

// One log file per level. Guarded by FileSinks::mu.
struct LogFile {
  int fd = -1;
  bool failed = false;   // could not be created: not tried again
  bool rotated = false;  // the last one was closed full
  uint64_t size = 0;
  std::string pending;  // buffered lines (--logbuflevel)
  int64_t pending_since_ns = 0;
};

class FileSinks {
 public:
  void Configure(std::string_view argv0);
  // Appends `line` (of `level`) to the files of `level` and below.
  void Write(LogLevel level, std::string_view line);
  void Flush();

 private:
  void Open(int level, LogFile* f);
  void WriteOut(int level, LogFile* f, std::string_view bytes);
  void FlushOne(int level, LogFile* f);

  std::mutex mu_;  // guards everything below; never held across anything but file writes
  std::string dir_, link_dir_, base_, program_;
  int buf_level_ = 0;
  int64_t buf_ns_ = 0;
  uint64_t max_size_ = 0;
  bool stop_if_full_ = false, stamp_name_ = true, header_ = true;
  int mode_ = 0664;
  int64_t start_ns_ = 0;
  bool disk_full_ = false;
  std::array<LogFile, 4> files_;
};
FileSinks sinks;

std::atomic<bool> also_stderr{false};
std::atomic<int> stderr_threshold{2};

std::string_view Basename(std::string_view path) {
  if (size_t slash = path.rfind('/'); slash != std::string_view::npos)
    path.remove_prefix(slash + 1);
  return path;
}

// '*' any run, '?' any one character (glog's vmodule patterns).
bool GlobMatch(std::string_view pattern, std::string_view s) {
  size_t p = 0, i = 0, star = std::string_view::npos, mark = 0;
  while (i < s.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == s[i])) {
      ++p;
      ++i;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = i;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      i = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

void WriteStderr(std::string_view line) {
  [[maybe_unused]] ssize_t n = write(STDERR_FILENO, line.data(), line.size());
}

tm LocalParts(time_t t) {
  tm parts;
  if (utc_time.load(std::memory_order_relaxed)) {
    gmtime_r(&t, &parts);
  } else {
    localtime_r(&t, &parts);
  }
  return parts;
}

void FileSinks::Configure(std::string_view argv0) {
  std::lock_guard lk(mu_);
  for (int level = 0; level < 4; ++level) {
    FlushOne(level, &files_[level]);
    if (files_[level].fd >= 0) ::close(files_[level].fd);
    files_[level] = LogFile();
  }
  disk_full_ = false;
  dir_ = absl::GetFlag(FLAGS_log_dir);
  link_dir_ = absl::GetFlag(FLAGS_log_link);
  buf_level_ = absl::GetFlag(FLAGS_logbuflevel);
  buf_ns_ = int64_t{std::max(0, absl::GetFlag(FLAGS_logbufsecs))} * 1000000000;
  max_size_ = uint64_t{std::max(1u, absl::GetFlag(FLAGS_max_log_size))} << 20;
  stop_if_full_ = absl::GetFlag(FLAGS_stop_logging_if_full_disk);
  stamp_name_ = absl::GetFlag(FLAGS_timestamp_in_logfile_name);
  header_ = absl::GetFlag(FLAGS_log_file_header);
  mode_ = absl::GetFlag(FLAGS_logfile_mode);
  char host[256] = "unknown";
  if (gethostname(host, sizeof(host) - 1) != 0) std::strcpy(host, "unknown");
  host[sizeof(host) - 1] = '\0';
  // glog's choice of user name: $USER, else the account of the effective uid.
  std::string user = getenv("USER") != nullptr ? getenv("USER") : "";
  if (user.empty()) {
    passwd pw, *found = nullptr;
    char buf[1024];
    if (getpwuid_r(geteuid(), &pw, buf, sizeof(buf), &found) == 0 && found != nullptr) {
      user = found->pw_name;
    }
  }
  if (user.empty()) user = "invalid-user";
  start_ns_ = MonotonicNs();
  std::string program(Basename(argv0));
  if (program.empty()) program = "darner";
  base_ = program + "." + host + "." + user + ".log.";
  program_ = program;
}

void FileSinks::Open(int level, LogFile* f) {
  timeval tv;
  gettimeofday(&tv, nullptr);
  tm t = LocalParts(tv.tv_sec);
  char stamp[64];
  snprintf(stamp, sizeof(stamp), ".%04d%02d%02d-%02d%02d%02d.%d", t.tm_year + 1900, t.tm_mon + 1,
           t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, static_cast<int>(getpid()));
  std::string name = base_ + kLevelNames[level] + (stamp_name_ ? stamp : "");
  std::string path = dir_ + "/" + name;
  // A file that replaces a full one within the same second gets a suffix, never the full one.
  f->fd = ::open(path.c_str(),
                 O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (f->rotated ? O_EXCL : 0), mode_);
  for (int suffix = 1; f->fd < 0 && errno == EEXIST && suffix <= 100; ++suffix) {
    std::string alt = name + "." + std::to_string(suffix);
    f->fd = ::open((dir_ + "/" + alt).c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC,
                   mode_);
    if (f->fd >= 0) {
      name = alt;
      path = dir_ + "/" + alt;
    }
  }
  if (f->fd < 0) {
    f->failed = true;
    WriteStderr("Could not create log file '" + path + "': " + std::strerror(errno) + "\n");
    return;
  }
  f->size = 0;
  // <program>.<LEVEL> names the newest file of its level, as with glog.
  std::string link = dir_ + "/" + program_ + "." + kLevelNames[level];
  ::unlink(link.c_str());
  [[maybe_unused]] int rc = ::symlink(name.c_str(), link.c_str());
  if (!link_dir_.empty()) {
    std::string extra = link_dir_ + "/" + program_ + "." + kLevelNames[level];
    ::unlink(extra.c_str());
    rc = ::symlink(path.c_str(), extra.c_str());
  }
  if (header_) {
    int64_t up = (MonotonicNs() - start_ns_) / 1000000000;
    char header[512];
    char host[256] = "unknown";
    gethostname(host, sizeof(host) - 1);
    host[sizeof(host) - 1] = '\0';
    snprintf(header, sizeof(header),
             "Log file created at: %04d/%02d/%02d %02d:%02d:%02d\n"
             "Running on machine: %s\n"
             "Running duration (h:mm:ss): %d:%02d:%02d\n"
             "Log line format: [IWEF]mmdd hh:mm:ss.uuuuuu threadid file:line] msg\n",
             t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, host,
             static_cast<int>(up / 3600), static_cast<int>(up / 60 % 60),
             static_cast<int>(up % 60));
    WriteOut(level, f, header);
  }
}

void FileSinks::WriteOut(int level, LogFile* f, std::string_view bytes) {
  while (!bytes.empty() && f->fd >= 0) {
    ssize_t n = ::write(f->fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      if (errno == ENOSPC && stop_if_full_) disk_full_ = true;
      return;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
    f->size += static_cast<uint64_t>(n);
  }
}

void FileSinks::FlushOne(int level, LogFile* f) {
  if (f->pending.empty()) return;
  std::string out;
  out.swap(f->pending);
  WriteOut(level, f, out);
}

void FileSinks::Write(LogLevel line_level, std::string_view line) {
  int lv = static_cast<int>(line_level);
  std::lock_guard lk(mu_);
  if (disk_full_) return;
  int64_t now = MonotonicNs();
  for (int level = 0; level <= lv; ++level) {
    LogFile* f = &files_[level];
    if (f->failed) continue;
    if (f->fd < 0) {
      Open(level, f);
      if (f->fd < 0) continue;
    }
    if (lv <= buf_level_) {
      if (f->pending.empty()) f->pending_since_ns = now;
      f->pending.append(line);
      if (f->pending.size() >= kMaxBuffered || now - f->pending_since_ns >= buf_ns_) {
        FlushOne(level, f);
      }
    } else {
      FlushOne(level, f);
      WriteOut(level, f, line);
    }
    if (f->size >= max_size_) {  // the next line opens a new file
      FlushOne(level, f);
      ::close(f->fd);
      f->fd = -1;
      f->rotated = true;
    }
  }
}

void FileSinks::Flush() {
  std::lock_guard lk(mu_);
  for (int level = 0; level < 4; ++level) FlushOne(level, &files_[level]);
}

}  // namespace

void InitLogging(const char* argv0) {
  min_level = std::clamp(absl::GetFlag(FLAGS_minloglevel), 0, 3);
  v_level = absl::GetFlag(FLAGS_v);
  prefix_on = absl::GetFlag(FLAGS_log_prefix);
  utc_time = absl::GetFlag(FLAGS_log_utc_time);
  stderr_threshold = absl::GetFlag(FLAGS_stderrthreshold);
  also_stderr = absl::GetFlag(FLAGS_alsologtostderr);
  vmodule.clear();
  std::vector<std::string> items =
      absl::StrSplit(absl::GetFlag(FLAGS_vmodule), ',', absl::SkipWhitespace());
  for (const std::string& item : items) {
    size_t eq = item.rfind('=');
    int level = 0;
    if (eq == std::string::npos || eq == 0 ||
        !absl::SimpleAtoi(absl::string_view(item).substr(eq + 1), &level)) {
      WriteStderr("Ignoring --vmodule entry '" + std::string(item) + "' (want module=level)\n");
      continue;
    }
    vmodule.emplace_back(std::string(item.substr(0, eq)), level);
  }
  has_vmodule = !vmodule.empty();
  bool files = !absl::GetFlag(FLAGS_logtostderr) && !absl::GetFlag(FLAGS_log_dir).empty();
  if (files) sinks.Configure(argv0 == nullptr ? "darner" : argv0);
  files_on = files;
}

void FlushLogs() {
  if (files_on.load(std::memory_order_relaxed)) sinks.Flush();
}

void SetMinLogLevel(LogLevel level) { min_level = static_cast<int>(level); }

bool VLogEnabled(int level, const char* file) {
  if (!has_vmodule.load(std::memory_order_relaxed)) {
    return level <= v_level.load(std::memory_order_relaxed);
  }
  std::string_view module = Basename(file);
  if (size_t dot = module.find('.'); dot != std::string_view::npos) module = module.substr(0, dot);
  if (module.ends_with("-inl")) module.remove_suffix(4);
  for (const auto& [pattern, max_level] : vmodule) {
    if (GlobMatch(pattern, module)) return level <= max_level;
  }
  return level <= v_level.load(std::memory_order_relaxed);
}

bool LogRateLimit::Allow(double seconds, uint64_t* suppressed) {
  int64_t now = MonotonicNs();
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
  if (!prefix_on.load(std::memory_order_relaxed)) return;
  static constexpr char kLetters[] = "IWEF";
  timeval tv;
  gettimeofday(&tv, nullptr);
  tm parts = LocalParts(tv.tv_sec);
  char prefix[64];
  snprintf(prefix, sizeof(prefix), "%c%02d%02d %02d:%02d:%02d.%06ld %d ",
           kLetters[static_cast<int>(level)], parts.tm_mon + 1, parts.tm_mday, parts.tm_hour,
           parts.tm_min, parts.tm_sec, static_cast<long>(tv.tv_usec), static_cast<int>(gettid()));
  stream_ << prefix << Basename(file) << ':' << line << "] ";
}

LogMessage::~LogMessage() {
  int level = static_cast<int>(level_);
  if (level >= min_level.load(std::memory_order_relaxed) || level_ == LogLevel::FATAL) {
    stream_ << '\n';
    std::string line = stream_.str();
    bool files = files_on.load(std::memory_order_relaxed);
    if (!files || also_stderr || level >= stderr_threshold || level_ == LogLevel::FATAL) {
      WriteStderr(line);
    }
    if (files) sinks.Write(level_, line);
  }
  if (level_ == LogLevel::FATAL) {
    FlushLogs();
    abort();
  }
}

}  // namespace darner
