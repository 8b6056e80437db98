// Diagnostics commands: SLOWLOG, LATENCY, MEMORY, ROLE and LOLWUT. What they report is
// recorded per thread (server/diagnostics.h, ThreadStats); each report visits every thread.
#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>
#include <mimalloc.h>

#include <algorithm>
#include <map>

#include "base/process_memory.h"
#include "base/strings.h"
#include "facade/arg_parser.h"
#include "server/families/families.h"
#include "server/service.h"
#include "server/transaction.h"

namespace darner {
namespace {

// ---- SLOWLOG ----

asio::awaitable<void> CmdSlowLogGet(CmdArgList args, CommandContext& cx) {
  int64_t count = 10;
  if (args.size() == 2 && (!ParseInt64(args[1], &count) || count < -1)) {
    cx.rb->SendError("count should be greater than or equal to -1");
    co_return;
  }
  if (args.size() > 2) {
    cx.rb->SendError(kSyntaxErr);
    co_return;
  }
  std::vector<SlowLogEntry> all;
  Service* svc = cx.service;
  co_await cx.tx->RunOnAll([&](EngineShard&) {
    for (const SlowLogEntry& e : svc->thread_stats().slowlog.entries()) all.push_back(e);
  });
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.id > b.id; });
  size_t max_len = Diagnostics().slowlog_max_len.load(std::memory_order_relaxed);
  size_t n = std::min(all.size(), max_len);
  if (count >= 0) n = std::min<size_t>(n, static_cast<size_t>(count));
  ReplyBuilder* rb = cx.rb;
  rb->StartArray(n);
  for (size_t i = 0; i < n; ++i) {
    const SlowLogEntry& e = all[i];
    rb->StartArray(6);
    rb->SendLong(static_cast<int64_t>(e.id));
    rb->SendLong(e.unix_seconds);
    rb->SendLong(static_cast<int64_t>(e.micros));
    rb->StartArray(e.args.size());
    for (const std::string& a : e.args) rb->SendBulk(a);
    rb->SendBulk(e.addr);
    rb->SendBulk(e.name);
  }
}

asio::awaitable<void> CmdSlowLogLen(CmdArgList, CommandContext& cx) {
  size_t total = 0;
  Service* svc = cx.service;
  co_await cx.tx->RunOnAll(
      [&](EngineShard&) { total += svc->thread_stats().slowlog.entries().size(); });
  size_t max_len = Diagnostics().slowlog_max_len.load(std::memory_order_relaxed);
  cx.rb->SendLong(static_cast<int64_t>(std::min(total, max_len)));
}

asio::awaitable<void> CmdSlowLogReset(CmdArgList, CommandContext& cx) {
  Service* svc = cx.service;
  co_await cx.tx->RunOnAll([svc](EngineShard&) { svc->thread_stats().slowlog.Reset(); });
  cx.rb->SendOk();
}

void CmdSlowLogHelp(CmdArgList, CommandContext& cx) {
  cx.rb->SendSimpleStrings(
      {"SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", "GET [<count>]",
       "    List the newest <count> entries (10 by default; -1 lists all). Each entry holds",
       "    its id, Unix time, duration in microseconds, arguments, client address and",
       "    client name.", "LEN", "    Count the entries.", "RESET", "    Forget every entry.",
       "HELP", "    Print this help."});
}

// ---- LATENCY ----

struct MergedEvent {
  std::vector<std::vector<LatencyEvent::Sample>> parts;
  uint32_t max_ms = 0;
};

// Every thread's latency events, merged by name (sorted by name).
asio::awaitable<std::map<std::string, MergedEvent>> GatherEvents(CommandContext& cx) {
  std::map<std::string, MergedEvent> out;
  Service* svc = cx.service;
  co_await cx.tx->RunOnAll([&](EngineShard&) {
    for (const auto& [name, e] : svc->thread_stats().latency_events.events) {
      MergedEvent& m = out[name];
      m.parts.emplace_back(e.samples().begin(), e.samples().end());
      m.max_ms = std::max(m.max_ms, e.max_ms());
    }
  });
  co_return out;
}

asio::awaitable<void> CmdLatencyLatest(CmdArgList, CommandContext& cx) {
  std::map<std::string, MergedEvent> events = co_await GatherEvents(cx);
  cx.rb->StartArray(events.size());
  for (const auto& [name, m] : events) {
    std::vector<LatencyEvent::Sample> samples = MergeSamples(m.parts);
    LatencyEvent::Sample last = samples.empty() ? LatencyEvent::Sample{} : samples.back();
    cx.rb->StartArray(4);
    cx.rb->SendBulk(name);
    cx.rb->SendLong(last.unix_seconds);
    cx.rb->SendLong(last.ms);
    cx.rb->SendLong(m.max_ms);
  }
}

asio::awaitable<void> CmdLatencyHistory(CmdArgList args, CommandContext& cx) {
  std::map<std::string, MergedEvent> events = co_await GatherEvents(cx);
  auto it = events.find(std::string(args[1]));
  std::vector<LatencyEvent::Sample> samples;
  if (it != events.end()) samples = MergeSamples(it->second.parts);
  cx.rb->StartArray(samples.size());
  for (const LatencyEvent::Sample& s : samples) {
    cx.rb->StartArray(2);
    cx.rb->SendLong(s.unix_seconds);
    cx.rb->SendLong(s.ms);
  }
}

asio::awaitable<void> CmdLatencyReset(CmdArgList args, CommandContext& cx) {
  std::vector<std::string> names;
  for (size_t i = 1; i < args.size(); ++i) names.emplace_back(args[i]);
  std::map<std::string, bool> reset;  // by name: an event counts once however many threads had it
  Service* svc = cx.service;
  co_await cx.tx->RunOnAll([&](EngineShard&) {
    LatencyEvents& mine = svc->thread_stats().latency_events;
    if (names.empty()) {
      for (const auto& e : mine.events) reset[e.first] = true;
      mine.Reset("");
    }
    for (const std::string& n : names) {
      if (mine.Reset(n) > 0) reset[n] = true;
    }
  });
  cx.rb->SendLong(static_cast<int64_t>(reset.size()));
}

// A text chart of an event's samples, oldest left: one column per sample, its height the
// sample's share of the largest one, with how long ago it was under it.
std::string LatencyGraph(std::string_view name, const std::vector<LatencyEvent::Sample>& samples,
                         uint32_t all_time_max) {
  constexpr int kRows = 8;
  uint32_t high = 0, low = UINT32_MAX;
  for (const auto& s : samples) {
    high = std::max(high, s.ms);
    low = std::min(low, s.ms);
  }
  std::string out = StrCat(name, " - high ", high, " ms, low ", low, " ms (all time high ",
                           all_time_max, " ms)\n", std::string(80, '-'), "\n");
  size_t first = samples.size() > 80 ? samples.size() - 80 : 0;
  for (int row = kRows; row >= 1; --row) {
    std::string line;
    for (size_t i = first; i < samples.size(); ++i) {
      uint32_t height = high ? (samples[i].ms * kRows + high - 1) / high : 0;
      line.push_back(height >= static_cast<uint32_t>(row) ? '#' : ' ');
    }
    out += line + "\n";
  }
  int64_t now = time(nullptr);
  for (size_t i = first; i < samples.size(); ++i) {
    int64_t ago = now - samples[i].unix_seconds;
    out.push_back(ago < 60 ? 's' : ago < 3600 ? 'm' : 'h');
  }
  return out + "\n";
}

asio::awaitable<void> CmdLatencyGraph(CmdArgList args, CommandContext& cx) {
  std::map<std::string, MergedEvent> events = co_await GatherEvents(cx);
  auto it = events.find(std::string(args[1]));
  if (it == events.end()) {
    cx.rb->SendError(StrCat("No samples available for event '", args[1], "'"));
    co_return;
  }
  cx.rb->SendVerbatim(LatencyGraph(it->first, MergeSamples(it->second.parts), it->second.max_ms));
}

asio::awaitable<void> CmdLatencyDoctor(CmdArgList, CommandContext& cx) {
  std::map<std::string, MergedEvent> events = co_await GatherEvents(cx);
  std::string report;
  if (Diagnostics().latency_threshold_ms.load(std::memory_order_relaxed) == 0) {
    report =
        "The latency monitor is off (latency-monitor-threshold is 0), so no spikes were "
        "recorded. Turn it on with CONFIG SET latency-monitor-threshold <milliseconds>.\n";
  } else if (events.empty()) {
    report = "No latency spike over latency-monitor-threshold has been recorded.\n";
  } else {
    report = "Latency spikes recorded, by event class:\n\n";
    for (const auto& [name, m] : events) {
      std::vector<LatencyEvent::Sample> samples = MergeSamples(m.parts);
      uint64_t sum = 0;
      for (const auto& s : samples) sum += s.ms;
      StrAppend(&report, "- ", name, ": ", samples.size(), " seconds with spikes, average ",
                samples.empty() ? 0 : sum / samples.size(), " ms, worst ever ", m.max_ms, " ms.\n");
    }
    StrAppend(&report,
              "\nSLOWLOG GET names the commands that took longest. Commands over large values "
              "(KEYS, FLUSHALL, deleting big keys) run on their shard's thread and hold up the "
              "other clients of that shard while they run.\n");
  }
  cx.rb->SendVerbatim(report);
}

// One command's LATENCY HISTOGRAM entry: its calls, and cumulative counts by bucket bound.
void SendHistogram(const std::string& name, const LatencyHistogram& h, ReplyBuilder* rb) {
  rb->SendBulk(name);
  rb->StartMap(2);
  rb->SendBulk("calls");
  rb->SendLong(static_cast<int64_t>(h.total()));
  rb->SendBulk("histogram_usec");
  size_t used = 0;
  for (uint64_t c : h.counts) used += c > 0;
  rb->StartMap(used);
  uint64_t cumulative = 0;
  for (size_t i = 0; i < LatencyHistogram::kBuckets; ++i) {
    if (h.counts[i] == 0) continue;
    cumulative += h.counts[i];
    rb->SendLong(int64_t{1} << i);
    rb->SendLong(static_cast<int64_t>(cumulative));
  }
}

asio::awaitable<void> CmdLatencyHistogram(CmdArgList args, CommandContext& cx) {
  std::vector<LatencyHistogram> merged;
  Service* svc = cx.service;
  co_await cx.tx->RunOnAll([&](EngineShard&) {
    const auto& cmds = svc->thread_stats().commands;
    if (merged.size() < cmds.size()) merged.resize(cmds.size());
    for (size_t i = 0; i < cmds.size(); ++i) merged[i].Merge(cmds[i].latency);
  });
  // The commands asked for (a container stands for its subcommands), or all of them.
  std::vector<const CommandId*> wanted;
  const CommandRegistry& reg = svc->registry();
  if (args.size() == 1) {
    reg.ForEach([&](const CommandId& cid) { wanted.push_back(&cid); });
  }
  for (size_t i = 1; i < args.size(); ++i) {
    const CommandId* cid = reg.Find(args[i]);
    if (cid == nullptr) continue;
    if (cid->subcommands.empty()) wanted.push_back(cid);
    for (const CommandId* sub : cid->subcommands) wanted.push_back(sub);
  }
  std::erase_if(wanted, [&](const CommandId* c) {
    return c->IsHidden() || c->index >= merged.size() || merged[c->index].total() == 0;
  });
  cx.rb->StartMap(wanted.size());
  for (const CommandId* c : wanted) SendHistogram(ToLower(c->name), merged[c->index], cx.rb);
}

void CmdLatencyHelp(CmdArgList, CommandContext& cx) {
  cx.rb->SendSimpleStrings(
      {"LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", "DOCTOR",
       "    Describe the latency spikes recorded, in words.", "GRAPH <event>",
       "    Chart the recorded spikes of the <event> class.", "HISTORY <event>",
       "    List the recorded spikes of the <event> class: Unix time and milliseconds.", "LATEST",
       "    List the newest and the largest spike of every event class.", "RESET [<event> ...]",
       "    Forget the spikes of the <event> classes (of every class when none is named).",
       "HISTOGRAM [COMMAND ...]",
       "    Give, per command, its calls and how many took under each power of two",
       "    microseconds (every command that ran when none is named).", "HELP",
       "    Print this help."});
}

// ---- MEMORY ----

void CmdMemoryUsage(CmdArgList args, CommandContext& cx) {
  ArgParser parser(args.subspan(2));
  if (parser.Check("SAMPLES")) parser.NextInt();
  if (parser.HasNext()) parser.Fail(kSyntaxErr);
  if (parser.error()) return cx.rb->SendError(*parser.error());
  KeyEntry* e = cx.shard->db(cx.db).Find(args[1]);
  if (!e) return cx.rb->SendNull();
  // The entry, its value's heap bytes, and its share of the bucket array.
  cx.rb->SendLong(static_cast<int64_t>(e->MallocUsed() + sizeof(void*)));
}

// What MEMORY STATS and MEMORY DOCTOR read, gathered from every shard.
struct MemoryFigures {
  struct Db {
    uint64_t keys = 0, index_bytes = 0, deadline_bytes = 0;
  };
  std::vector<Db> dbs;
  uint64_t data = 0;  // MemoryBytes of all shards (index included)
  uint64_t keys = 0;
  uint64_t clients = 0;
  uint64_t used = 0, peak = 0, rss = 0;
  uint64_t overhead() const {
    uint64_t total = clients;
    for (const Db& d : dbs) total += d.index_bytes + d.deadline_bytes;
    return total;
  }
};

asio::awaitable<MemoryFigures> GatherMemory(CommandContext& cx) {
  MemoryFigures f;
  co_await cx.tx->RunOnAll([&](EngineShard& s) {
    if (f.dbs.size() < s.num_dbs()) f.dbs.resize(s.num_dbs());
    for (unsigned i = 0; i < s.num_dbs(); ++i) {
      if (!s.HasDb(i)) continue;
      const DbSlice& db = s.db(i);
      f.dbs[i].keys += db.size();
      f.dbs[i].index_bytes += db.IndexBytes();
      f.dbs[i].deadline_bytes += db.DeadlineIndexBytes();
      f.keys += db.size();
    }
    f.data += s.MemoryBytes();
  });
  f.clients = ConnectionBufferBytes();
  f.used = f.data + f.clients;
  f.peak = std::max<uint64_t>(cx.service->PeakMemory(), f.used);
  f.rss = ProcessRssBytes();
  co_return f;
}

double Ratio(uint64_t a, uint64_t b) { return b ? static_cast<double>(a) / b : 0; }

asio::awaitable<void> CmdMemoryStats(CmdArgList, CommandContext& cx) {
  MemoryFigures f = co_await GatherMemory(cx);
  // mimalloc's view of the process: what it committed from the OS.
  size_t elapsed, user, sys, current_rss, peak_rss, current_commit, peak_commit, faults;
  mi_process_info(&elapsed, &user, &sys, &current_rss, &peak_rss, &current_commit, &peak_commit,
                  &faults);
  const size_t allocated = f.used, resident = f.rss;
  const size_t active = std::max<size_t>(current_commit, allocated);
  ReplyBuilder* rb = cx.rb;
  size_t dbs_with_keys = 0;
  for (const auto& d : f.dbs) dbs_with_keys += d.keys > 0;
  uint64_t overhead = f.overhead();
  uint64_t dataset = f.used > overhead ? f.used - overhead : 0;
  rb->StartMap(27 + dbs_with_keys);
  auto num = [rb](std::string_view k, uint64_t v) {
    rb->SendBulk(k);
    rb->SendLong(static_cast<int64_t>(v));
  };
  auto real = [rb](std::string_view k, double v) {
    rb->SendBulk(k);
    rb->SendDouble(v);
  };
  num("peak.allocated", f.peak);
  num("total.allocated", f.used);
  num("startup.allocated", 0);
  num("replication.backlog", 0);
  num("clients.slaves", 0);
  num("clients.normal", f.clients);
  num("cluster.links", 0);
  num("aof.buffer", 0);
  num("lua.caches", 0);
  num("functions.caches", 0);
  for (size_t i = 0; i < f.dbs.size(); ++i) {
    if (f.dbs[i].keys == 0) continue;
    rb->SendBulk(StrCat("db.", i));
    rb->StartMap(3);
    num("overhead.hashtable.main", f.dbs[i].index_bytes);
    num("overhead.hashtable.expires", f.dbs[i].deadline_bytes);
    num("overhead.hashtable.slot-to-keys", 0);  // slots are the index itself (one table each)
  }
  num("overhead.total", overhead);
  num("keys.count", f.keys);
  num("keys.bytes-per-key", f.keys ? dataset / f.keys : 0);
  num("dataset.bytes", dataset);
  real("dataset.percentage", 100 * Ratio(dataset, f.used));
  real("peak.percentage", 100 * Ratio(f.used, f.peak));
  num("allocator.allocated", allocated);
  num("allocator.active", active);
  num("allocator.resident", resident);
  real("allocator-fragmentation.ratio", Ratio(active, allocated));
  num("allocator-fragmentation.bytes", active - allocated);
  real("allocator-rss.ratio", Ratio(resident, active));
  num("allocator-rss.bytes", resident > active ? resident - active : 0);
  real("rss-overhead.ratio", 1.0);
  num("rss-overhead.bytes", 0);
  real("fragmentation", Ratio(f.rss, f.used));
  num("fragmentation.bytes", f.rss > f.used ? f.rss - f.used : 0);
}

asio::awaitable<void> CmdMemoryDoctor(CmdArgList, CommandContext& cx) {
  MemoryFigures f = co_await GatherMemory(cx);
  std::string report;
  if (f.used < (5u << 20)) {
    report =
        "This instance holds less than 5 MB, too little for the memory figures to mean "
        "anything yet. Ask again once it holds some data.\n";
  } else {
    std::vector<std::string> findings;
    double frag = Ratio(f.rss, f.used);
    if (frag > 1.4) {
      findings.push_back(absl::StrFormat(
          "The process's resident memory is %.2f times the memory in use: freed memory is "
          "still held. MEMORY PURGE returns what the allocator can give back.",
          frag));
    }
    if (f.peak > f.used + f.used / 2) {
      findings.push_back(absl::StrFormat(
          "The memory in use peaked at %.2f times today's figure; resident memory may stay near "
          "the peak.",
          Ratio(f.peak, f.used)));
    }
    if (f.clients > f.used / 4) {
      findings.push_back(
          "Client buffers take more than a quarter of the memory in use: look for clients "
          "that read their replies slowly or send very large pipelines (CLIENT LIST qbuf, omem).");
    }
    if (findings.empty()) {
      report = "No memory problem found.\n";
    } else {
      report = "Memory findings:\n\n";
      for (size_t i = 0; i < findings.size(); ++i) {
        StrAppend(&report, i + 1, ". ", findings[i], "\n");
      }
    }
  }
  cx.rb->SendVerbatim(report);
}

void CmdMemoryMallocStats(CmdArgList, CommandContext& cx) {
  std::string text;
  mi_stats_print_out(
      [](const char* msg, void* arg) { static_cast<std::string*>(arg)->append(msg); }, &text);
  cx.rb->SendVerbatim(text);
}

asio::awaitable<void> CmdMemoryPurge(CmdArgList, CommandContext& cx) {
  // Each thread's mimalloc heap is its own: collect on every thread.
  co_await cx.tx->RunOnAll([](EngineShard&) { mi_collect(true); });
  cx.rb->SendOk();
}

void CmdMemoryHelp(CmdArgList, CommandContext& cx) {
  cx.rb->SendSimpleStrings(
      {"MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", "DOCTOR",
       "    Look for memory problems and describe them.", "MALLOC-STATS",
       "    Print the allocator's (mimalloc's) statistics.", "PURGE",
       "    Ask the allocator to return free memory to the operating system.", "STATS",
       "    Break down the memory in use.", "USAGE <key> [SAMPLES <count>]",
       "    Return memory in bytes used by <key> and its value.", "HELP", "    Print this help."});
}

// ---- ROLE, LOLWUT ----

void CmdRole(CmdArgList, CommandContext& cx) {
  // Darner has no replication yet: always a primary with no replicas.
  cx.rb->StartArray(3);
  cx.rb->SendBulk("master");
  cx.rb->SendLong(0);
  cx.rb->SendEmptyArray();
}

// A patch of darning: warp and weft threads over and under each other; VERSION picks the weave
// (1: plain, 2: twill, ...), the optional numbers after it the patch's width and height.
std::string Darning(int64_t weave, int64_t width, int64_t height) {
  std::string out;
  for (int64_t y = 0; y < height; ++y) {
    for (int64_t x = 0; x < width; ++x) {
      bool over = ((x + y * weave) / std::max<int64_t>(weave, 1)) % 2 == 0;
      out.push_back(over ? '|' : '-');
    }
    out.push_back('\n');
  }
  return out;
}

void CmdLolwut(CmdArgList args, CommandContext& cx) {
  int64_t weave = 1;
  std::vector<int64_t> size;
  for (size_t i = 0; i < args.size(); ++i) {
    int64_t v;
    if (EqualsIgnoreCase(args[i], "VERSION") && i + 1 < args.size()) {
      if (!ParseInt64(args[++i], &v)) return cx.rb->SendError(kInvalidIntErr);
      weave = std::clamp<int64_t>(v, 1, 8);
    } else if (ParseInt64(args[i], &v)) {
      size.push_back(std::clamp<int64_t>(v, 1, 200));
    }
  }
  int64_t width = size.size() > 0 ? size[0] : 40, height = size.size() > 1 ? size[1] : 10;
  cx.rb->SendVerbatim(StrCat(Darning(weave, width, height), "\nDarner ver. ", kDarnerVersion,
                             " (Redis ", kRedisVersion, " compatible)\n"));
}

using namespace co;

// Shared by the subcommand declarations below.
constexpr uint32_t kAdminDiag = kAdmin | kNoScript | kLoading | kStale;
constexpr const char* kAdminAcl = "@admin @slow @dangerous";

const CommandId kDiagnosticsCommands[] = {
    CommandId{.name = "SLOWLOG",
              .arity = -2,
              .acl = "@slow",
              .sync = CmdSlowLogHelp,
              .group = "server",
              .since = "2.2.12",
              .complexity = "Varies with the subcommand.",
              .summary = "Groups the subcommands that read and clear the slow-command log."},
    CommandId{.name = "SLOWLOG|GET",
              .arity = -2,
              .flags = kAdmin | kLoading | kStale,
              .acl = kAdminAcl,
              .tips = "request_policy:all_nodes nondeterministic_output",
              .async = CmdSlowLogGet,
              .group = "server",
              .since = "2.2.12",
              .complexity = "O(N), N being the number of entries returned",
              .summary = "Lists the newest entries of the slow-command log.",
              .history = {{"4.0.0", "Entries carry the client's address and name."}},
              .args = {{.name = "count", .type = arg::kInteger, .flags = arg::kOptional}}},
    CommandId{.name = "SLOWLOG|LEN",
              .arity = 2,
              .flags = kAdmin | kLoading | kStale,
              .acl = kAdminAcl,
              .tips = "request_policy:all_nodes response_policy:agg_sum nondeterministic_output",
              .async = CmdSlowLogLen,
              .group = "server",
              .since = "2.2.12",
              .complexity = "O(1)",
              .summary = "Counts the entries of the slow-command log."},
    CommandId{.name = "SLOWLOG|RESET",
              .arity = 2,
              .flags = kAdmin | kLoading | kStale,
              .acl = kAdminAcl,
              .tips = "request_policy:all_nodes response_policy:all_succeeded",
              .async = CmdSlowLogReset,
              .group = "server",
              .since = "2.2.12",
              .complexity = "O(N), N being the number of entries",
              .summary = "Empties the slow-command log."},
    CommandId{.name = "SLOWLOG|HELP",
              .arity = 2,
              .flags = kLoading | kStale,
              .acl = "@slow",
              .sync = CmdSlowLogHelp,
              .group = "server",
              .since = "6.2.0",
              .complexity = "O(1)",
              .summary = "Describes the available subcommands and their usage."},
    CommandId{.name = "LATENCY",
              .arity = -2,
              .acl = "@slow",
              .sync = CmdLatencyHelp,
              .group = "server",
              .since = "2.8.13",
              .complexity = "Varies with the subcommand.",
              .summary = "Groups the subcommands of the latency monitor."},
    CommandId{.name = "LATENCY|DOCTOR",
              .arity = 2,
              .flags = kAdminDiag,
              .acl = kAdminAcl,
              .tips = "nondeterministic_output request_policy:all_nodes response_policy:special",
              .async = CmdLatencyDoctor,
              .group = "server",
              .since = "2.8.13",
              .complexity = "O(1)",
              .summary = "Describes the recorded latency spikes in words."},
    CommandId{.name = "LATENCY|GRAPH",
              .arity = 3,
              .flags = kAdminDiag,
              .acl = kAdminAcl,
              .tips = "nondeterministic_output request_policy:all_nodes response_policy:special",
              .async = CmdLatencyGraph,
              .group = "server",
              .since = "2.8.13",
              .complexity = "O(1)",
              .summary = "Charts the recorded spikes of one event class as text.",
              .args = {{.name = "event"}}},
    CommandId{.name = "LATENCY|HISTORY",
              .arity = 3,
              .flags = kAdminDiag,
              .acl = kAdminAcl,
              .tips = "nondeterministic_output request_policy:all_nodes response_policy:special",
              .async = CmdLatencyHistory,
              .group = "server",
              .since = "2.8.13",
              .complexity = "O(1)",
              .summary = "Lists the recorded spikes of one event class.",
              .args = {{.name = "event"}}},
    CommandId{.name = "LATENCY|LATEST",
              .arity = 2,
              .flags = kAdminDiag,
              .acl = kAdminAcl,
              .tips = "nondeterministic_output request_policy:all_nodes response_policy:special",
              .async = CmdLatencyLatest,
              .group = "server",
              .since = "2.8.13",
              .complexity = "O(1)",
              .summary = "Gives the newest and the largest spike of every event class."},
    CommandId{.name = "LATENCY|RESET",
              .arity = -2,
              .flags = kAdminDiag,
              .acl = kAdminAcl,
              .tips = "request_policy:all_nodes response_policy:all_succeeded",
              .async = CmdLatencyReset,
              .group = "server",
              .since = "2.8.13",
              .complexity = "O(1)",
              .summary = "Forgets the spikes of some or all event classes.",
              .args = {{.name = "event", .flags = arg::kOptional | arg::kMultiple}}},
    CommandId{.name = "LATENCY|HISTOGRAM",
              .arity = -2,
              .flags = kAdminDiag,
              .acl = kAdminAcl,
              .tips = "nondeterministic_output request_policy:all_nodes response_policy:special",
              .async = CmdLatencyHistogram,
              .group = "server",
              .since = "7.0.0",
              .complexity = "O(N), N being the number of commands reported",
              .summary = "Gives the distribution of command durations, per command.",
              .args = {{.name = "command", .flags = arg::kOptional | arg::kMultiple}}},
    CommandId{.name = "LATENCY|HELP",
              .arity = 2,
              .flags = kLoading | kStale,
              .acl = "@slow",
              .sync = CmdLatencyHelp,
              .group = "server",
              .since = "2.8.13",
              .complexity = "O(1)",
              .summary = "Describes the available subcommands and their usage."},
    CommandId{.name = "MEMORY",
              .arity = -2,
              .acl = "@slow",
              .sync = CmdMemoryHelp,
              .group = "server",
              .since = "4.0.0",
              .complexity = "Varies with the subcommand.",
              .summary = "Groups the subcommands that report on memory use."},
    CommandId{.name = "MEMORY|USAGE",
              .arity = -3,
              .flags = kReadOnly,
              .acl = "@read @slow",
              .keys = {{.flags = ks::kRO, .index = 2}},
              .sync = CmdMemoryUsage,
              .group = "server",
              .since = "4.0.0",
              .complexity = "O(N), N being the number of samples taken.",
              .summary = "Gives an approximate count of the bytes a key and its value occupy.",
              .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0},
                       {.name = "count",
                        .type = arg::kInteger,
                        .token = "SAMPLES",
                        .flags = arg::kOptional}}},
    CommandId{.name = "MEMORY|STATS",
              .arity = 2,
              .acl = "@slow",
              .tips = "nondeterministic_output request_policy:all_shards response_policy:special",
              .async = CmdMemoryStats,
              .group = "server",
              .since = "4.0.0",
              .complexity = "O(1)",
              .summary = "Breaks the memory in use down by what it holds."},
    CommandId{.name = "MEMORY|DOCTOR",
              .arity = 2,
              .acl = "@slow",
              .tips = "nondeterministic_output request_policy:all_shards response_policy:special",
              .async = CmdMemoryDoctor,
              .group = "server",
              .since = "4.0.0",
              .complexity = "O(1)",
              .summary = "Looks for memory problems and describes them in words."},
    CommandId{.name = "MEMORY|MALLOC-STATS",
              .arity = 2,
              .acl = "@slow",
              .tips = "nondeterministic_output request_policy:all_shards response_policy:special",
              .sync = CmdMemoryMallocStats,
              .group = "server",
              .since = "4.0.0",
              .complexity = "Depends on how much memory is allocated, could be slow",
              .summary = "Prints the memory allocator's own statistics."},
    CommandId{.name = "MEMORY|PURGE",
              .arity = 2,
              .acl = "@slow",
              .tips = "request_policy:all_shards response_policy:all_succeeded",
              .async = CmdMemoryPurge,
              .group = "server",
              .since = "4.0.0",
              .complexity = "Depends on how much memory is allocated, could be slow",
              .summary = "Asks the allocator to return free memory to the operating system."},
    CommandId{.name = "MEMORY|HELP",
              .arity = 2,
              .flags = kLoading | kStale,
              .acl = "@slow",
              .sync = CmdMemoryHelp,
              .group = "server",
              .since = "4.0.0",
              .complexity = "O(1)",
              .summary = "Describes the available subcommands and their usage."},
    CommandId{.name = "ROLE",
              .arity = 1,
              .flags = kNoScript | kLoading | kStale | kFast,
              .acl = "@admin @fast @dangerous",
              .sync = CmdRole,
              .group = "server",
              .since = "2.8.12",
              .complexity = "O(1)",
              .summary = "Tells whether this node is a primary or a replica, and its peers."},
    CommandId{.name = "LOLWUT",
              .arity = -1,
              .flags = kReadOnly | kFast,
              .acl = "@read @fast",
              .sync = CmdLolwut,
              .group = "server",
              .since = "5.0.0",
              .summary = "Draws a patch of darning and gives the server's version.",
              .args = {{.name = "version",
                        .type = arg::kInteger,
                        .token = "VERSION",
                        .flags = arg::kOptional}}},
};

}  // namespace

void RegisterDiagnosticsFamily(CommandRegistry* r) {
  for (const CommandId& cid : kDiagnosticsCommands) *r << cid;
}

}  // namespace darner
