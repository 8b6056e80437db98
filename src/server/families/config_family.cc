// CONFIG and COMMAND: runtime settings and the command table, as Redis 7 reports them.
#include <absl/flags/declare.h>
#include <absl/flags/flag.h>
#include <absl/flags/parse.h>
#include <absl/flags/reflection.h>
#include <absl/strings/ascii.h>
#include <absl/strings/match.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <absl/strings/str_split.h>
#include <unistd.h>

#include <mutex>

#include "base/byte_size.h"
#include "base/strings.h"
#include "core/glob.h"
#include "facade/arg_parser.h"
#include "server/diagnostics.h"
#include "server/eviction.h"
#include "server/families/families.h"
#include "server/service.h"
#include "server/transaction.h"

ABSL_DECLARE_FLAG(std::string, requirepass);
ABSL_DECLARE_FLAG(uint32_t, maxclients);
ABSL_DECLARE_FLAG(darner::ByteSize, maxmemory);
ABSL_DECLARE_FLAG(uint32_t, dbnum);
ABSL_DECLARE_FLAG(darner::ByteSize, client_query_buffer_limit);
ABSL_DECLARE_FLAG(std::string, enable_debug_command);
ABSL_FLAG(std::string, client_output_buffer_limit,
          "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
          "Redis's client-output-buffer-limit: '<class> <hard> <soft> <soft seconds>' for the "
          "classes normal, replica and pubsub; a client whose unsent replies pass the hard limit, "
          "or stay over the soft one that long, is closed (0: no limit)");
// Kept for the snapshot work (SAVE, BGSAVE and loading at start are not built yet): Dragonfly's
// names and defaults, reported by CONFIG GET.
ABSL_FLAG(std::string, dir, "", "Directory for snapshot files (empty: the working directory)");
ABSL_FLAG(std::string, dbfilename, "dump-{timestamp}",
          "Snapshot file name (Dragonfly's form; snapshots are not written yet)");
ABSL_DECLARE_FLAG(int32_t, port);
ABSL_DECLARE_FLAG(std::string, bind);
ABSL_DECLARE_FLAG(darner::ByteSize, proto_max_bulk_len);
ABSL_DECLARE_FLAG(std::string, cluster_announce_ip);
ABSL_DECLARE_FLAG(uint32_t, announce_port);
ABSL_DECLARE_FLAG(std::string, maxmemory_policy);
ABSL_DECLARE_FLAG(int32_t, slowlog_log_slower_than);
ABSL_DECLARE_FLAG(uint32_t, slowlog_max_len);
ABSL_DECLARE_FLAG(int64_t, latency_monitor_threshold);
ABSL_DECLARE_FLAG(bool, latency_tracking);

namespace darner {

void RegisterConfigFamily(CommandRegistry* registry);

namespace {

// Parses a Redis memory value: bytes with an optional k/kb/m/mb/g/gb suffix (k = 1000,
// kb = 1024), case-insensitive.
bool ParseMemory(std::string_view s, uint64_t* out) {
  std::string lower = ToLower(s);
  uint64_t mul = 1;
  struct Unit {
    const char* suffix;
    uint64_t mul;
  };
  static constexpr Unit kUnits[] = {{"gb", 1ull << 30},
                                    {"mb", 1ull << 20},
                                    {"kb", 1ull << 10},
                                    {"g", 1000000000ull},
                                    {"m", 1000000ull},
                                    {"k", 1000ull},
                                    {"b", 1}};
  std::string_view digits = lower;
  for (const Unit& u : kUnits) {
    if (digits.ends_with(u.suffix)) {
      digits.remove_suffix(strlen(u.suffix));
      mul = u.mul;
      break;
    }
  }
  uint64_t v;
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), ::isdigit) ||
      !ParseUint64(digits, &v) || (v > 0 && mul > UINT64_MAX / v)) {
    return false;
  }
  *out = v * mul;
  return true;
}

// Redis's client-output-buffer-limit: "<class> <hard> <soft> <soft seconds>" for one or more of
// the classes normal, replica (alias slave) and pubsub. Only "normal" applies so far (no
// replicas or pub/sub yet); the others are kept for CONFIG GET.
struct OutputLimits {
  OutputBufferLimit normal, replica{256u << 20, 64u << 20, 60}, pubsub{32u << 20, 8u << 20, 60};
};
std::mutex output_limits_mu;  // guards CurrentOutputLimits() (CONFIG runs on any thread)
OutputLimits& CurrentOutputLimits() {
  static OutputLimits limits;
  return limits;
}

std::string FormatOutputLimits(const OutputLimits& l) {
  auto one = [](const char* name, const OutputBufferLimit& x) {
    return StrCat(name, " ", x.hard, " ", x.soft, " ", x.soft_seconds);
  };
  return StrCat(one("normal", l.normal), " ", one("slave", l.replica), " ",
                one("pubsub", l.pubsub));
}

std::string SetOutputLimits(std::string_view value) {
  std::vector<std::string> words =
      absl::StrSplit(absl::string_view(value.data(), value.size()), ' ', absl::SkipEmpty());
  if (words.size() % 4 != 0) return "Wrong number of arguments in buffer limit configuration.";
  std::lock_guard lk(output_limits_mu);
  OutputLimits next = CurrentOutputLimits();
  for (size_t i = 0; i < words.size(); i += 4) {
    OutputBufferLimit* target;
    std::string cls = ToLower(words[i]);
    if (cls == "normal") {
      target = &next.normal;
    } else if (cls == "replica" || cls == "slave") {
      target = &next.replica;
    } else if (cls == "pubsub") {
      target = &next.pubsub;
    } else {
      return "Invalid client class specified in buffer limit configuration.";
    }
    uint64_t hard, soft;
    int64_t seconds;
    if (!ParseMemory(words[i + 1], &hard) || !ParseMemory(words[i + 2], &soft) ||
        !ParseInt64(words[i + 3], &seconds) || seconds < 0 || seconds > UINT32_MAX) {
      return "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
    }
    *target = {hard, soft, static_cast<uint32_t>(seconds)};
  }
  CurrentOutputLimits() = next;
  SetNormalOutputLimit(next.normal);
  return "";
}

}  // namespace

// --client_output_buffer_limit, applied at start (main).
bool ApplyOutputBufferLimitFlag(std::string* error) {
  *error = SetOutputLimits(absl::GetFlag(FLAGS_client_output_buffer_limit));
  return error->empty();
}

namespace {

// One CONFIG parameter: its Redis name, how to read it, and (if mutable) how to set it, which
// returns an error text or empty on success. A mutable parameter backed by a flag names it:
// its setter keeps the flag current, and CONFIG REWRITE writes the flag to the --flagfile.
struct ConfigParam {
  const char* name;
  std::function<std::string()> get;
  std::function<std::string(std::string_view)> set;  // null: immutable
  const char* flag = nullptr;
};

// A setter for an integer parameter in [lo, hi] that stores into `flag` and calls `apply` (if
// any).
template <typename T>
std::function<std::string(std::string_view)> IntSetter(absl::Flag<T>* flag, int64_t lo, int64_t hi,
                                                       void (*apply)(int64_t) = nullptr) {
  return [=](std::string_view v) -> std::string {
    int64_t n;
    if (!ParseInt64(v, &n)) return "argument couldn't be parsed into an integer";
    if (n < lo || n > hi) return StrCat("argument must be between ", lo, " and ", hi, " inclusive");
    // The flag may be narrower than Redis's range (Dragonfly's types): it keeps the nearest.
    absl::SetFlag(flag, static_cast<T>(std::clamp<int64_t>(n, std::numeric_limits<T>::min(),
                                                           std::numeric_limits<T>::max())));
    if (apply) apply(n);
    return "";
  };
}

// Every parameter, in CONFIG GET's order.
const ConfigParam kConfigParams[] = {
    {"maxmemory", [] { return StrCat(absl::GetFlag(FLAGS_maxmemory).bytes); },
     [](std::string_view v) -> std::string {
       uint64_t bytes;
       if (!ParseMemory(v, &bytes)) return "argument must be a memory value";
       absl::SetFlag(&FLAGS_maxmemory, ByteSize{bytes});
       return "";
     },
     "maxmemory"},
    {"maxclients", [] { return StrCat(absl::GetFlag(FLAGS_maxclients)); },
     [](std::string_view v) -> std::string {
       int64_t n;
       if (!ParseInt64(v, &n)) return "argument couldn't be parsed into an integer";
       if (n < 1 || n > UINT32_MAX) return "argument must be between 1 and 4294967295 inclusive";
       uint32_t fit = FitMaxClientsToFdLimit(static_cast<uint32_t>(n), ThreadCount());
       if (fit < n) {
         return StrCat(
             "The operating system is not able to handle the specified number of "
             "clients, try with ",
             fit);
       }
       absl::SetFlag(&FLAGS_maxclients, static_cast<uint32_t>(n));
       return "";
     },
     "maxclients"},
    {"requirepass", [] { return absl::GetFlag(FLAGS_requirepass); },
     [](std::string_view v) -> std::string {
       absl::SetFlag(&FLAGS_requirepass, std::string(v));
       return "";
     },
     "requirepass"},
    {"client-query-buffer-limit",
     [] { return StrCat(absl::GetFlag(FLAGS_client_query_buffer_limit).bytes); },
     [](std::string_view v) -> std::string {
       uint64_t bytes;
       if (!ParseMemory(v, &bytes)) return "argument must be a memory value";
       if (bytes < (1u << 20) || bytes > uint64_t{INT64_MAX})
         return "argument must be between 1048576 and 9223372036854775807 inclusive";
       absl::SetFlag(&FLAGS_client_query_buffer_limit, ByteSize{bytes});
       SetQueryBufferLimit(bytes);
       return "";
     },
     "client_query_buffer_limit"},
    {"client-output-buffer-limit",
     [] {
       std::lock_guard lk(output_limits_mu);
       return FormatOutputLimits(CurrentOutputLimits());
     },
     [](std::string_view v) -> std::string {
       std::string err = SetOutputLimits(v);
       if (err.empty()) {
         std::lock_guard lk(output_limits_mu);
         absl::SetFlag(&FLAGS_client_output_buffer_limit,
                       FormatOutputLimits(CurrentOutputLimits()));
       }
       return err;
     },
     "client_output_buffer_limit"},
    {"proto-max-bulk-len", [] { return StrCat(absl::GetFlag(FLAGS_proto_max_bulk_len).bytes); },
     nullptr},
    {"databases", [] { return StrCat(absl::GetFlag(FLAGS_dbnum)); }, nullptr},
    {"enable-debug-command", [] { return absl::GetFlag(FLAGS_enable_debug_command); }, nullptr},
    {"port", [] { return StrCat(absl::GetFlag(FLAGS_port)); }, nullptr},
    {"bind", [] { return absl::GetFlag(FLAGS_bind); }, nullptr},
    {"maxmemory-policy", [] { return std::string(EvictionPolicyName(CurrentEvictionPolicy())); },
     [](std::string_view v) -> std::string {
       std::optional<EvictionPolicy> p = ParseEvictionPolicy(v);
       if (!p) return StrCat("argument(s) must be one of the following: ", EvictionPolicyList());
       SetEvictionPolicy(*p);
       absl::SetFlag(&FLAGS_maxmemory_policy, std::string(EvictionPolicyName(*p)));
       return "";
     },
     "maxmemory_policy"},
    {"cluster-announce-ip", [] { return absl::GetFlag(FLAGS_cluster_announce_ip); },
     [](std::string_view v) -> std::string {
       absl::SetFlag(&FLAGS_cluster_announce_ip, std::string(v));
       return "";
     },
     "cluster_announce_ip"},
    {"announce-port", [] { return StrCat(absl::GetFlag(FLAGS_announce_port)); },
     IntSetter(&FLAGS_announce_port, 0, 65535), "announce_port"},
    {"slowlog-log-slower-than", [] { return StrCat(Diagnostics().slowlog_slower_than_us.load()); },
     IntSetter(&FLAGS_slowlog_log_slower_than, -1, INT64_MAX,
               [](int64_t n) { Diagnostics().slowlog_slower_than_us = n; }),
     "slowlog_log_slower_than"},
    {"slowlog-max-len", [] { return StrCat(Diagnostics().slowlog_max_len.load()); },
     IntSetter(&FLAGS_slowlog_max_len, 0, INT64_MAX,
               [](int64_t n) { Diagnostics().slowlog_max_len = static_cast<uint64_t>(n); }),
     "slowlog_max_len"},
    {"latency-monitor-threshold", [] { return StrCat(Diagnostics().latency_threshold_ms.load()); },
     IntSetter(&FLAGS_latency_monitor_threshold, 0, INT64_MAX,
               [](int64_t n) { Diagnostics().latency_threshold_ms = n; }),
     "latency_monitor_threshold"},
    {"latency-tracking",
     [] { return std::string(Diagnostics().latency_tracking.load() ? "yes" : "no"); },
     [](std::string_view v) -> std::string {
       if (!EqualsIgnoreCase(v, "yes") && !EqualsIgnoreCase(v, "no")) {
         return "argument must be 'yes' or 'no'";
       }
       bool on = EqualsIgnoreCase(v, "yes");
       absl::SetFlag(&FLAGS_latency_tracking, on);
       Diagnostics().latency_tracking = on;
       return "";
     },
     "latency_tracking"},
    {"latency-tracking-info-percentiles", FormatInfoPercentiles, SetInfoPercentiles},
    {"dir",
     [] {
       std::string dir = absl::GetFlag(FLAGS_dir);
       if (!dir.empty()) return dir;
       char cwd[4096];
       return std::string(getcwd(cwd, sizeof(cwd)) != nullptr ? cwd : "");
     },
     nullptr},
    {"dbfilename", [] { return absl::GetFlag(FLAGS_dbfilename); }, nullptr},
    {"save", [] { return std::string(""); }, nullptr},
    {"appendonly", [] { return std::string("no"); }, nullptr},
};

// Names compare with '-' and '_' treated alike, so Dragonfly-style names work too.
bool SameName(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = AsciiLower(a[i]), y = AsciiLower(b[i]);
    if (x == '_') x = '-';
    if (y == '_') y = '-';
    if (x != y) return false;
  }
  return true;
}

// The parameters CONFIG SET changed since start (CONFIG runs on any thread).
std::mutex set_at_runtime_mu;
std::vector<std::string>& ParamsSetAtRuntime() {
  static std::vector<std::string> names;
  return names;
}
void MarkSetAtRuntime(const char* name) {
  std::lock_guard lk(set_at_runtime_mu);
  auto& names = ParamsSetAtRuntime();
  if (std::find(names.begin(), names.end(), name) == names.end()) names.emplace_back(name);
}
bool SetAtRuntime(const char* name) {
  std::lock_guard lk(set_at_runtime_mu);
  auto& names = ParamsSetAtRuntime();
  return std::find(names.begin(), names.end(), name) != names.end();
}

// The name of the flag a flagfile line sets ("--maxmemory=1gb", "-nolatency_tracking": the
// `no` of a boolean is kept), or empty for comments, blank lines and anything else.
std::string_view FlagOfLine(std::string_view line) {
  while (!line.empty() && absl::ascii_isspace(static_cast<unsigned char>(line.front()))) {
    line.remove_prefix(1);
  }
  if (!line.starts_with('-')) return {};
  line.remove_prefix(line.starts_with("--") ? 2 : 1);
  return line.substr(0, line.find('='));
}

// CONFIG REWRITE: the last --flagfile given gets, for every mutable parameter backed by a flag,
// the flag's current value: in place of the lines that set it, or appended when the file has
// none and the value is not the default. Other lines stay as they were. The new file replaces
// the old one atomically. Returns an error text, or empty.
std::string RewriteFlagfile() {
  std::vector<std::string> files = absl::GetFlag(FLAGS_flagfile);
  if (files.empty() || files.back().empty()) return "The server is running without a config file";
  const std::string& path = files.back();
  std::string text;
  if (FILE* f = fopen(path.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) text.append(buf, n);
    fclose(f);
  } else {
    return StrCat("Rewriting config file: ", strerror(errno));
  }
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  std::vector<std::string> appended;
  for (const ConfigParam& p : kConfigParams) {
    if (p.flag == nullptr || !p.set) continue;
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(p.flag);
    if (flag == nullptr) continue;
    std::string setting = StrCat("--", p.flag, "=", flag->CurrentValue());
    bool written = false;
    std::string no_flag = StrCat("no", p.flag);
    for (auto it = lines.begin(); it != lines.end();) {
      std::string_view name = FlagOfLine(*it);
      if (name != p.flag && name != no_flag) {
        ++it;
      } else if (!written) {
        *it++ = setting;  // the first line that set it now says the current value
        written = true;
      } else {
        it = lines.erase(it);  // later ones would override it again
      }
    }
    // A flag the file does not set is added once CONFIG SET changed it: a value the server
    // adjusted at start (maxclients to the descriptor limit) stays unwritten.
    if (!written && SetAtRuntime(p.name) && flag->CurrentValue() != flag->DefaultValue()) {
      appended.push_back(setting);
    }
  }
  if (!appended.empty()) {
    lines.push_back("# Written by CONFIG REWRITE");
    lines.insert(lines.end(), appended.begin(), appended.end());
  }
  std::string tmp = path + ".rewrite";
  FILE* f = fopen(tmp.c_str(), "w");
  if (f == nullptr) return StrCat("Rewriting config file: ", strerror(errno));
  std::string out = absl::StrJoin(lines, "\n") + "\n";
  bool ok =
      fwrite(out.data(), 1, out.size(), f) == out.size() && fflush(f) == 0 && fsync(fileno(f)) == 0;
  int err = errno;
  ok = fclose(f) == 0 && ok;
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
    if (ok) err = errno;
    unlink(tmp.c_str());
    return StrCat("Rewriting config file: ", strerror(err));
  }
  return "";
}

asio::awaitable<void> CmdConfig(CmdArgList args, CommandContext& cx) {
  std::string sub = ToUpper(args[0]);
  ReplyBuilder* rb = cx.rb;
  if (sub == "GET" && args.size() >= 2) {
    std::vector<std::pair<std::string, std::string>> found;
    for (const ConfigParam& p : kConfigParams) {
      for (size_t i = 1; i < args.size(); ++i) {
        std::string pattern = ToLower(args[i]);
        std::replace(pattern.begin(), pattern.end(), '_', '-');
        if (GlobMatch(pattern, p.name, true)) {
          // Like Redis 7.0, a name without glob characters is echoed as it was typed.
          bool glob = args[i].find_first_of("*?[") != std::string_view::npos;
          found.emplace_back(glob ? std::string(p.name) : std::string(args[i]), p.get());
          break;
        }
      }
    }
    rb->StartMap(found.size());
    for (const auto& [k, v] : found) {
      rb->SendBulk(k);
      rb->SendBulk(v);
    }
  } else if (sub == "SET") {
    if (args.size() % 2 == 0) {
      rb->SendError("wrong number of arguments for 'config|set' command");
      co_return;
    }
    // Validate every pair before applying any, as Redis 7 does.
    std::vector<std::pair<const ConfigParam*, std::string_view>> changes;
    for (size_t i = 1; i < args.size(); i += 2) {
      const ConfigParam* param = nullptr;
      for (const ConfigParam& p : kConfigParams) {
        if (SameName(p.name, args[i])) param = &p;
      }
      if (!param) {
        rb->SendError(
            StrCat("Unknown option or number of arguments for CONFIG SET - '", args[i], "'"));
        co_return;
      }
      if (!param->set) {
        rb->SendError(StrCat("CONFIG SET failed (possibly related to argument '", args[i],
                             "') - can't set immutable config"));
        co_return;
      }
      changes.emplace_back(param, args[i + 1]);
    }
    for (const auto& [param, value] : changes) {
      std::string err = param->set(value);
      if (!err.empty()) {
        rb->SendError(
            StrCat("CONFIG SET failed (possibly related to argument '", param->name, "') - ", err));
        co_return;
      }
      MarkSetAtRuntime(param->name);
    }
    // A new memory limit applies to the next write: bring every shard's figure up to date.
    co_await cx.tx->RunOnAll([](EngineShard& s) { s.PublishMemory(); });
    rb->SendOk();
  } else if (sub == "RESETSTAT" && args.size() == 1) {
    Service* svc = cx.service;
    co_await cx.tx->RunOnAll([svc](EngineShard& s) {
      ThreadStats& ts = svc->thread_stats();
      for (auto& c : ts.commands) c = {};
      ts.errors.clear();
      ts.total_commands = ts.total_errors = ts.connections_received = ts.rejected_connections = 0;
      // The rate samples hold counts from before the reset: start them again.
      ts.samples = {};
      ts.sample_index = 0;
      // The change counter is not a statistic (Redis's `dirty` survives RESETSTAT too).
      s.stats() = DbStats{.changes = s.stats().changes};
    });
    rb->SendOk();
  } else if (sub == "REWRITE" && args.size() == 1) {
    std::string err = RewriteFlagfile();
    if (err.empty()) {
      rb->SendOk();
    } else {
      rb->SendError(err);
    }
  } else if (sub == "HELP" && args.size() == 1) {
    rb->SendSimpleStrings(
        {"CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", "GET <pattern>",
         "    Return parameters matching the glob-like <pattern> and their values.",
         "SET <directive> <value>", "    Set the configuration <directive> to <value>.",
         "RESETSTAT", "    Reset statistics reported by the INFO command.", "REWRITE",
         "    Write the current values of the settable parameters to the --flagfile.", "HELP",
         "    Print this help."});
  } else {
    rb->SendError(StrCat("unknown subcommand or wrong number of arguments for '", args[0],
                         "'. Try CONFIG HELP."));
  }
}

// COMMAND GETKEYS: the keys of the command line `target`, as its key specs find them, with
// Redis's errors in Redis's order.
void SendKeysOf(const CommandRegistry& reg, CmdArgList target, bool with_flags, ReplyBuilder* rb) {
  const CommandId* cid = reg.Find(target[0]);
  if (cid != nullptr && !cid->subcommands.empty() && target.size() >= 2) {
    cid = reg.FindSub(*cid, target[1]);
  }
  if (cid == nullptr) return rb->SendError("Invalid command specified");
  if (!cid->HasKeys()) return rb->SendError("The command has no key arguments");
  const int argc = static_cast<int>(target.size());
  if ((cid->arity > 0 && argc != cid->arity) || (cid->arity < 0 && argc < -cid->arity)) {
    return rb->SendError("Invalid number of arguments specified for command");
  }
  std::vector<std::pair<size_t, size_t>> found;  // position, key spec
  bool valid = cid->ForEachKeyOfSpec(
      target, [&found](size_t pos, size_t spec) { found.emplace_back(pos, spec); });
  if (!valid || found.empty()) {
    if (cid->flags & co::kNoMandatoryKeys) return rb->SendEmptyArray();
    return rb->SendError("Invalid arguments specified for command");
  }
  rb->StartArray(found.size());
  for (auto [pos, spec] : found) {
    if (!with_flags) {
      rb->SendBulk(target[pos]);
      continue;
    }
    rb->StartArray(2);
    rb->SendBulk(target[pos]);
    SendKeyFlags(cid->KeyFlags(target, spec), rb);
  }
}

void CmdCommand(CmdArgList args, CommandContext& cx) {
  const CommandRegistry& reg = cx.service->registry();
  ReplyBuilder* rb = cx.rb;
  auto send_all = [&] {
    rb->StartArray(reg.top_level_count());
    reg.ForEach([&](const CommandId& cid) {
      if (!cid.parent && !cid.IsHidden()) SendCommandInfo(cid, rb);
    });
  };
  if (args.empty()) return send_all();
  std::string sub = ToUpper(args[0]);
  if (sub == "COUNT" && args.size() == 1) {
    rb->SendLong(static_cast<int64_t>(reg.top_level_count()));
  } else if (sub == "INFO") {
    if (args.size() == 1) return send_all();
    rb->StartArray(args.size() - 1);
    for (size_t i = 1; i < args.size(); ++i) {
      const CommandId* cid = reg.Find(args[i]);
      if (cid && !cid->IsHidden()) {
        SendCommandInfo(*cid, rb);
      } else {
        rb->SendNull();
      }
    }
  } else if (sub == "DOCS") {
    std::vector<const CommandId*> cids;
    if (args.size() == 1) {
      reg.ForEach([&](const CommandId& cid) {
        if (!cid.parent && !cid.IsHidden()) cids.push_back(&cid);
      });
    } else {
      for (size_t i = 1; i < args.size(); ++i) {
        const CommandId* cid = reg.Find(args[i]);
        if (cid && !cid->IsHidden()) cids.push_back(cid);
      }
    }
    rb->StartMap(cids.size());
    for (const CommandId* cid : cids) SendCommandDocs(*cid, rb);
  } else if (sub == "LIST") {
    std::string pattern;
    ArgParser parser(args.subspan(1));
    if (parser.Check("FILTERBY")) {
      if (parser.Check("PATTERN")) {
        pattern = std::string(parser.Next());
      } else if (parser.Check("ACLCAT") || parser.Check("MODULE")) {
        pattern = std::string(parser.Next());
        pattern = "\x01" + pattern;  // category filter, handled below
      } else {
        parser.Fail(kSyntaxErr);
      }
    }
    if (parser.HasNext()) parser.Fail(kSyntaxErr);
    if (parser.error()) {
      rb->SendError(*parser.error());
      return;
    }
    std::vector<std::string> names;
    reg.ForEach([&](const CommandId& cid) {
      if (cid.IsHidden() || (cid.parent && cid.parent->IsHidden())) return;
      std::string lower = ToLower(cid.name);
      if (!pattern.empty() && pattern[0] == '\x01') {
        std::string cat = "@" + ToLower(pattern.substr(1));
        std::vector<std::string> cats = absl::StrSplit(cid.acl, ' ');
        if (std::find(cats.begin(), cats.end(), cat) == cats.end()) return;
      } else if (!pattern.empty() && !GlobMatch(pattern, lower, true)) {
        return;
      }
      names.push_back(std::move(lower));
    });
    rb->StartArray(names.size());
    for (const auto& n : names) rb->SendBulk(n);
  } else if (sub == "GETKEYS" && args.size() >= 2) {
    SendKeysOf(reg, args.subspan(1), false, rb);
  } else if (sub == "GETKEYSANDFLAGS" && args.size() >= 2) {
    SendKeysOf(reg, args.subspan(1), true, rb);
  } else if (sub == "HELP" && args.size() == 1) {
    rb->SendSimpleStrings({"COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                           "(no subcommand)",
                           "    Return details about all Redis commands.",
                           "COUNT",
                           "    Return the total number of commands in this Redis server.",
                           "LIST",
                           "    Return a list of all commands in this Redis server.",
                           "INFO [<command-name> ...]",
                           "    Return details about multiple Redis commands.",
                           "    If no command names are given, documentation details for all",
                           "    commands are returned.",
                           "DOCS [<command-name> ...]",
                           "    Return documentation details about multiple Redis commands.",
                           "    If no command names are given, documentation details for all",
                           "    commands are returned.",
                           "GETKEYS <full-command>",
                           "    Return the keys from a full Redis command.",
                           "GETKEYSANDFLAGS <full-command>",
                           "    Return the keys and the access flags from a full Redis command.",
                           "HELP",
                           "    Prints this help."});
  } else {
    rb->SendError(StrCat("unknown subcommand or wrong number of arguments for '", args[0],
                         "'. Try COMMAND HELP."));
  }
}

using namespace co;
constexpr uint32_t kConfigFlags = kAdmin | kNoScript | kLoading | kStale;
constexpr const char* kConfigCats = "@admin @slow @dangerous";

// The family's declarations, registered in this order.
const CommandId kConfigCommands[] = {
    CommandId{.name = "CONFIG",
              .arity = -2,
              .acl = "@slow",
              .async = CmdConfig,
              .group = "server",
              .since = "2.0.0",
              .complexity = "Varies with the subcommand.",
              .summary = "Groups the subcommands that inspect and change server settings."},
    CommandId{.name = "CONFIG|GET",
              .arity = -3,
              .flags = kConfigFlags,
              .acl = kConfigCats,
              .async = CmdConfig,
              .group = "server",
              .since = "2.0.0",
              .complexity = "O(N), N being the number of parameters named in the call",
              .summary = "Reports the current values of the requested configuration parameters.",
              .history = {{"7.0.0", "Takes several parameter patterns at once."}},
              .args = {{.name = "parameter",
                        .type = arg::kBlock,
                        .flags = arg::kMultiple,
                        .args = {{.name = "parameter"}}}}},
    CommandId{.name = "CONFIG|SET",
              .arity = -4,
              .flags = kConfigFlags,
              .acl = kConfigCats,
              .tips = "request_policy:all_nodes response_policy:all_succeeded",
              .async = CmdConfig,
              .group = "server",
              .since = "2.0.0",
              .complexity = "O(N), N being the number of parameters named in the call",
              .summary = "Changes configuration parameters at runtime without a restart.",
              .history = {{"7.0.0", "Sets several parameters at once."}},
              .args = {{.name = "parameter_value",
                        .type = arg::kBlock,
                        .flags = arg::kMultiple,
                        .args = {{.name = "parameter"}, {.name = "value"}}}}},
    CommandId{.name = "CONFIG|RESETSTAT",
              .arity = 2,
              .flags = kConfigFlags,
              .acl = kConfigCats,
              .async = CmdConfig,
              .group = "server",
              .since = "2.0.0",
              .complexity = "O(1)",
              .summary = "Zeroes the statistics counters kept by the server."},
    CommandId{.name = "CONFIG|REWRITE",
              .arity = 2,
              .flags = kConfigFlags,
              .acl = kConfigCats,
              .async = CmdConfig,
              .group = "server",
              .since = "2.8.0",
              .complexity = "O(1)",
              .summary = "Writes the parameters' current values to the --flagfile."},
    CommandId{.name = "CONFIG|HELP",
              .arity = 2,
              .flags = kLoading | kStale,
              .acl = "@slow",
              .async = CmdConfig,
              .group = "server",
              .since = "5.0.0",
              .complexity = "O(1)",
              .summary = "Describes the available subcommands and their usage."},
    CommandId{.name = "COMMAND",
              .arity = -1,
              .flags = kLoading | kStale,
              .acl = "@slow @connection",
              .tips = "nondeterministic_output_order",
              .sync = CmdCommand,
              .group = "server",
              .since = "2.8.13",
              .complexity = "O(N), N being the number of commands the server supports",
              .summary = "Describes in detail every command the server supports."},
    CommandId{.name = "COMMAND|COUNT",
              .arity = 2,
              .flags = kLoading | kStale,
              .acl = "@slow @connection",
              .sync = CmdCommand,
              .group = "server",
              .since = "2.8.13",
              .complexity = "O(1)",
              .summary = "Reports how many commands the server supports."},
    CommandId{.name = "COMMAND|INFO",
              .arity = -2,
              .flags = kLoading | kStale,
              .acl = "@slow @connection",
              .tips = "nondeterministic_output_order",
              .sync = CmdCommand,
              .group = "server",
              .since = "2.8.13",
              .complexity = "O(N), N being the number of commands described",
              .summary = "Describes the named commands, or all of them when none are named.",
              .history = {{"7.0.0", "With no command names, describes every command."}},
              .args = {{.name = "command-name", .flags = arg::kOptional | arg::kMultiple}}},
    CommandId{
        .name = "COMMAND|DOCS",
        .arity = -2,
        .flags = kLoading | kStale,
        .acl = "@slow @connection",
        .tips = "nondeterministic_output_order",
        .sync = CmdCommand,
        .group = "server",
        .since = "7.0.0",
        .complexity = "O(N), N being the number of commands documented",
        .summary = "Gives documentation for the named commands, or for all when none are named.",
        .args = {{.name = "command-name", .flags = arg::kOptional | arg::kMultiple}}},
    CommandId{.name = "COMMAND|LIST",
              .arity = -2,
              .flags = kLoading | kStale,
              .acl = "@slow @connection",
              .tips = "nondeterministic_output_order",
              .sync = CmdCommand,
              .group = "server",
              .since = "7.0.0",
              .complexity = "O(N), N being the number of commands the server supports",
              .summary = "Lists the names of the commands the server supports.",
              .args = {{.name = "filterby",
                        .type = arg::kOneOf,
                        .token = "FILTERBY",
                        .flags = arg::kOptional,
                        .args = {{.name = "module-name", .token = "MODULE"},
                                 {.name = "category", .token = "ACLCAT"},
                                 {.name = "pattern", .type = arg::kPattern, .token = "PATTERN"}}}}},
    CommandId{.name = "COMMAND|GETKEYS",
              .arity = -4,
              .flags = kLoading | kStale,
              .acl = "@slow @connection",
              .sync = CmdCommand,
              .group = "server",
              .since = "2.8.13",
              .complexity = "O(N), N being the number of arguments of the given command",
              .summary = "Works out which arguments of a given command are key names."},
    CommandId{.name = "COMMAND|GETKEYSANDFLAGS",
              .arity = -4,
              .flags = kLoading | kStale,
              .acl = "@slow @connection",
              .sync = CmdCommand,
              .group = "server",
              .since = "7.0.0",
              .complexity = "O(N), N being the number of arguments of the given command",
              .summary = "Works out which arguments of a given command are key names, and how it "
                         "uses each."},
    CommandId{.name = "COMMAND|HELP",
              .arity = 2,
              .flags = kLoading | kStale,
              .acl = "@slow @connection",
              .sync = CmdCommand,
              .group = "server",
              .since = "5.0.0",
              .complexity = "O(1)",
              .summary = "Describes the available subcommands and their usage."},
};

}  // namespace

void RegisterConfigFamily(CommandRegistry* r) {
  for (const CommandId& cid : kConfigCommands) *r << cid;
}

}  // namespace darner
