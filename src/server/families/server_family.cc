// Server commands: INFO DBSIZE FLUSHDB FLUSHALL SWAPDB TIME DEBUG SHUTDOWN.
#include <absl/flags/declare.h>
#include <absl/flags/flag.h>
#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>
#include <mimalloc.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <atomic>
#include <cmath>
#include <random>

#include "base/byte_size.h"
#include "base/cycle_clock.h"
#include "base/process_memory.h"
#include "base/strings.h"
#include "facade/arg_parser.h"
#include "io/as_tuple.h"
#include "server/eviction.h"
#include "server/families/families.h"
#include "server/service.h"
#include "server/transaction.h"

ABSL_FLAG(std::string, enable_debug_command, "local",
          "Redis's enable-debug-command: who may run DEBUG: 'no', 'yes' or 'local' (connections "
          "from a loopback address only). Darner's default is 'local' (Redis's is 'no')");
ABSL_DECLARE_FLAG(darner::ByteSize, proto_max_bulk_len);
ABSL_DECLARE_FLAG(uint32_t, maxclients);
ABSL_DECLARE_FLAG(darner::ByteSize, maxmemory);
ABSL_DECLARE_FLAG(int32_t, port);
ABSL_DECLARE_FLAG(uint32_t, dbnum);

namespace darner {

void RegisterConfigFamily(CommandRegistry* registry);
void RegisterDiagnosticsFamily(CommandRegistry* registry);

const std::string& RunId() {
  static const std::string id = [] {
    std::string s;
    uint64_t seed = static_cast<uint64_t>(NowMs()) ^ (static_cast<uint64_t>(getpid()) << 32);
    for (int i = 0; i < 40; ++i) {
      seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
      s.push_back("0123456789abcdef"[(seed >> 59) & 15]);
    }
    return s;
  }();
  return id;
}

namespace {

std::string HumanBytes(uint64_t n) {
  double d = static_cast<double>(n);
  if (n < 1024) return StrCat(n, "B");
  if (n < (1ull << 20)) return absl::StrFormat("%.2fK", d / 1024);
  if (n < (1ull << 30)) return absl::StrFormat("%.2fM", d / (1 << 20));
  if (n < (1ull << 40)) return absl::StrFormat("%.2fG", d / (1ull << 30));
  return absl::StrFormat("%.2fT", d / (1ull << 40));
}

// What INFO gathers from every thread (each thread is one shard and serves connections).
struct NodeSnapshot {
  struct Db {
    uint64_t keys = 0, expires = 0;
  };
  std::vector<Db> dbs;
  DbStats db_stats;
  ThreadStats stats;
  ConnectionStats net;
  double ops_per_sec = 0, input_kbps = 0, output_kbps = 0;
  size_t memory = 0;
};

void Merge(NodeSnapshot* into, EngineShard& shard, ThreadStats& ts) {
  if (into->dbs.size() < shard.num_dbs()) into->dbs.resize(shard.num_dbs());
  for (unsigned i = 0; i < shard.num_dbs(); ++i) {
    if (!shard.HasDb(i)) continue;
    into->dbs[i].keys += shard.db(i).size();
    into->dbs[i].expires += shard.db(i).expires_count();
  }
  into->db_stats.expired_keys += shard.stats().expired_keys;
  into->db_stats.evicted_keys += shard.stats().evicted_keys;
  into->db_stats.keyspace_hits += shard.stats().keyspace_hits;
  into->db_stats.keyspace_misses += shard.stats().keyspace_misses;
  into->db_stats.changes += shard.stats().changes;
  into->memory += shard.MemoryBytes();
  auto& st = into->stats;
  if (st.commands.size() < ts.commands.size()) st.commands.resize(ts.commands.size());
  for (size_t i = 0; i < ts.commands.size(); ++i) {
    st.commands[i].calls += ts.commands[i].calls;
    st.commands[i].cycles += ts.commands[i].cycles;
    st.commands[i].rejected += ts.commands[i].rejected;
    st.commands[i].failed += ts.commands[i].failed;
    st.commands[i].latency.Merge(ts.commands[i].latency);
  }
  for (const auto& [code, n] : ts.errors) st.errors[code] += n;
  st.total_commands += ts.total_commands;
  st.total_errors += ts.total_errors;
  st.connections_received += ts.connections_received;
  st.rejected_connections += ts.rejected_connections;
  into->net.net_input_bytes += ThreadConnectionStats().net_input_bytes;
  into->net.net_output_bytes += ThreadConnectionStats().net_output_bytes;
  into->net.reads_processed += ThreadConnectionStats().reads_processed;
  into->net.writes_processed += ThreadConnectionStats().writes_processed;
  into->ops_per_sec += ts.InstantaneousOps();
  into->input_kbps += ts.Rate(&ThreadStats::Sample::input_bytes) / 1024;
  into->output_kbps += ts.Rate(&ThreadStats::Sample::output_bytes) / 1024;
}

asio::awaitable<NodeSnapshot> Snapshot(CommandContext& cx) {
  NodeSnapshot snap;
  Service* svc = cx.service;
  co_await cx.tx->RunOnAll([&](EngineShard& s) { Merge(&snap, s, svc->thread_stats()); });
  co_return snap;
}

// "12.34%", as Redis prints shares.
std::string Percent(uint64_t part, uint64_t whole) {
  return absl::StrFormat("%.2f%%", whole ? 100.0 * double(part) / double(whole) : 0.0);
}

void AppendServerSection(std::string* out, const NodeSnapshot& /*snap*/, Service* svc) {
  utsname u;
  uname(&u);
  int64_t uptime = (NowMs() - svc->start_time_ms()) / 1000;
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  StrAppend(out, "# Server\r\nredis_version:", kRedisVersion, "\r\ndarner_version:", kDarnerVersion,
            "\r\nredis_git_sha1:00000000\r\nredis_git_dirty:0\r\nredis_build_id:0\r\n"
            "redis_mode:",
            ClusterEnabled() ? "cluster" : "standalone", "\r\nos:", u.sysname, " ", u.release, " ",
            u.machine,
            "\r\narch_bits:64\r\nmonotonic_clock:POSIX clock_gettime\r\n"
            "multiplexing_api:",
            kMultiplexingApi, "\r\natomicvar_api:c11-builtin\r\ngcc_version:", __GNUC__, ".",
            __GNUC_MINOR__, ".", __GNUC_PATCHLEVEL__, "\r\nprocess_id:", getpid(),
            "\r\nprocess_supervised:no\r\nrun_id:", RunId(),
            "\r\ntcp_port:", absl::GetFlag(FLAGS_port),
            "\r\nserver_time_usec:", int64_t(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000,
            "\r\nuptime_in_seconds:", uptime, "\r\nuptime_in_days:", uptime / 86400,
            "\r\nhz:10\r\nconfigured_hz:10\r\nlru_clock:", (ts.tv_sec & ((1 << 24) - 1)),
            "\r\nthread_count:", svc->num_shards(),
            "\r\nexecutable:/proc/self/exe\r\nconfig_file:\r\nio_threads_active:0\r\n\r\n");
}

void AppendClientsSection(std::string* out, const NodeSnapshot& snap, Service* svc) {
  StrAppend(out, "# Clients\r\nconnected_clients:", svc->connected_clients(),
            "\r\ncluster_connections:0\r\nmaxclients:", absl::GetFlag(FLAGS_maxclients),
            "\r\nclient_recent_max_input_buffer:0\r\nclient_recent_max_output_buffer:0"
            "\r\nblocked_clients:0\r\ntracking_clients:0\r\nclients_in_timeout_table:0"
            "\r\n\r\n");
}

void AppendMemorySection(std::string* out, const NodeSnapshot& snap, Service* svc) {
  size_t rss = ProcessRssBytes();
  uint64_t maxmemory = absl::GetFlag(FLAGS_maxmemory).bytes;
  // As in Redis, used_memory counts client buffers; used_memory_dataset is the data alone.
  size_t clients = ConnectionBufferBytes();
  size_t used = snap.memory + clients;
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  uint64_t system = pages > 0 && page > 0 ? uint64_t(pages) * uint64_t(page) : 0;
  StrAppend(
      out, "# Memory\r\nused_memory:", used, "\r\nused_memory_human:", HumanBytes(used),
      "\r\nused_memory_rss:", rss, "\r\nused_memory_rss_human:", HumanBytes(rss),
      "\r\nused_memory_peak:", std::max(svc->PeakMemory(), used),
      "\r\nused_memory_peak_human:", HumanBytes(std::max(svc->PeakMemory(), used)),
      "\r\nused_memory_peak_rss:", std::max(PeakRssBytes(), rss),
      "\r\nused_memory_peak_perc:", Percent(used, std::max(svc->PeakMemory(), used)),
      "\r\nused_memory_overhead:", clients, "\r\nused_memory_startup:0",
      "\r\nused_memory_dataset:", snap.memory,
      "\r\nused_memory_dataset_perc:", Percent(snap.memory, used),
      "\r\ntotal_system_memory:", system, "\r\ntotal_system_memory_human:", HumanBytes(system),
      "\r\nmaxmemory:", maxmemory, "\r\nmaxmemory_human:", HumanBytes(maxmemory),
      "\r\nmaxmemory_policy:", EvictionPolicyName(CurrentEvictionPolicy()),
      "\r\nmem_fragmentation_ratio:", absl::StrFormat("%.2f", used ? double(rss) / used : 0.0),
      "\r\nmem_fragmentation_bytes:", static_cast<int64_t>(rss) - static_cast<int64_t>(used),
      "\r\nmem_not_counted_for_evict:0\r\nmem_replication_backlog:0"
      "\r\nmem_total_replication_buffers:0\r\nmem_clients_slaves:0",
      "\r\nmem_clients_normal:", clients,
      "\r\nmem_cluster_links:0\r\nmem_aof_buffer:0\r\nmem_allocator:mimalloc-", mi_version() / 100,
      ".", (mi_version() / 10) % 10, ".", mi_version() % 10, "\r\nactive_defrag_running:0\r\n\r\n");
}

void AppendPersistenceSection(std::string* out, const NodeSnapshot& snap, Service* svc) {
  StrAppend(out,
            "# Persistence\r\nloading:0\r\nasync_loading:0\r\ncurrent_cow_peak:0\r\n"
            "current_cow_size:0\r\ncurrent_cow_size_age:0\r\ncurrent_fork_perc:0.00\r\n"
            "current_save_keys_processed:0\r\ncurrent_save_keys_total:0\r\n"
            "rdb_changes_since_last_save:",
            snap.db_stats.changes,  // nothing is ever saved: changes since start
            "\r\nrdb_bgsave_in_progress:0\r\nrdb_last_save_time:", svc->start_time_ms() / 1000,
            "\r\nrdb_last_bgsave_status:ok\r\nrdb_last_bgsave_time_sec:-1\r\n"
            "rdb_current_bgsave_time_sec:-1\r\nrdb_saves:0\r\nrdb_last_cow_size:0\r\n"
            "rdb_last_load_keys_expired:0\r\nrdb_last_load_keys_loaded:0\r\n"
            "aof_enabled:0\r\naof_rewrite_in_progress:0\r\naof_rewrite_scheduled:0\r\n"
            "aof_last_rewrite_time_sec:-1\r\naof_current_rewrite_time_sec:-1\r\n"
            "aof_last_bgrewrite_status:ok\r\naof_rewrites:0\r\n"
            "aof_rewrites_consecutive_failures:0\r\naof_last_write_status:ok\r\n"
            "aof_last_cow_size:0\r\nmodule_fork_in_progress:0\r\nmodule_fork_last_cow_size:0"
            "\r\n\r\n");
}

void AppendStatsSection(std::string* out, const NodeSnapshot& snap, Service* svc) {
  StrAppend(out, "# Stats\r\ntotal_connections_received:", snap.stats.connections_received,
            "\r\ntotal_commands_processed:", snap.stats.total_commands,
            "\r\ninstantaneous_ops_per_sec:", static_cast<int64_t>(snap.ops_per_sec),
            "\r\ntotal_net_input_bytes:", snap.net.net_input_bytes,
            "\r\ntotal_net_output_bytes:", snap.net.net_output_bytes,
            "\r\ntotal_net_repl_input_bytes:0\r\ntotal_net_repl_output_bytes:0",
            "\r\ninstantaneous_input_kbps:", absl::StrFormat("%.2f", snap.input_kbps),
            "\r\ninstantaneous_output_kbps:", absl::StrFormat("%.2f", snap.output_kbps),
            "\r\ninstantaneous_input_repl_kbps:0.00\r\ninstantaneous_output_repl_kbps:0.00",
            "\r\nrejected_connections:", snap.stats.rejected_connections,
            "\r\nsync_full:0\r\nsync_partial_ok:0\r\nsync_partial_err:0",
            "\r\nexpired_keys:", snap.db_stats.expired_keys,
            "\r\nevicted_keys:", snap.db_stats.evicted_keys,
            "\r\nevicted_clients:0\r\ntotal_eviction_exceeded_time:0"
            "\r\ncurrent_eviction_exceeded_time:0\r\nkeyspace_hits:",
            snap.db_stats.keyspace_hits, "\r\nkeyspace_misses:", snap.db_stats.keyspace_misses,
            "\r\npubsub_channels:0\r\npubsub_patterns:0\r\npubsubshard_channels:0"
            "\r\nlatest_fork_usec:0\r\ntotal_forks:0\r\nmigrate_cached_sockets:0"
            "\r\nslave_expires_tracked_keys:0\r\nactive_defrag_hits:0\r\nactive_defrag_misses:0"
            "\r\nactive_defrag_key_hits:0\r\nactive_defrag_key_misses:0"
            "\r\ntotal_active_defrag_time:0\r\ncurrent_active_defrag_time:0"
            "\r\ntracking_total_keys:0\r\ntracking_total_items:0\r\ntracking_total_prefixes:0"
            "\r\nunexpected_error_replies:0\r\ntotal_error_replies:",
            snap.stats.total_errors, "\r\ndump_payload_sanitizations:0",
            "\r\ntotal_reads_processed:", snap.net.reads_processed,
            "\r\ntotal_writes_processed:", snap.net.writes_processed,
            "\r\nio_threaded_reads_processed:0\r\nio_threaded_writes_processed:0\r\n\r\n");
}

void AppendReplicationSection(std::string* out, const NodeSnapshot& snap, Service* svc) {
  StrAppend(out,
            "# Replication\r\nrole:master\r\nconnected_slaves:0\r\n"
            "master_failover_state:no-failover\r\nmaster_replid:",
            RunId(),
            "\r\nmaster_replid2:0000000000000000000000000000000000000000\r\n"
            "master_repl_offset:0\r\nsecond_repl_offset:-1\r\nrepl_backlog_active:0\r\n"
            "repl_backlog_size:0\r\nrepl_backlog_first_byte_offset:0\r\n"
            "repl_backlog_histlen:0\r\n\r\n");
}

void AppendCpuSection(std::string* out, const NodeSnapshot& snap, Service* svc) {
  rusage self, children;
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &children);
  auto secs = [](const timeval& tv) {
    return absl::StrFormat("%.6f", tv.tv_sec + tv.tv_usec / 1e6);
  };
  StrAppend(out, "# CPU\r\nused_cpu_sys:", secs(self.ru_stime),
            "\r\nused_cpu_user:", secs(self.ru_utime),
            "\r\nused_cpu_sys_children:", secs(children.ru_stime),
            "\r\nused_cpu_user_children:", secs(children.ru_utime), "\r\n\r\n");
}

void AppendModulesSection(std::string* out, const NodeSnapshot& snap, Service* svc) {
  StrAppend(out, "# Modules\r\n\r\n");
}

void AppendCommandStats(std::string* out, const NodeSnapshot& snap, Service* svc) {
  StrAppend(out, "# Commandstats\r\n");
  svc->registry().ForEach([&](const CommandId& cid) {
    if (cid.index >= snap.stats.commands.size()) return;
    const auto& c = snap.stats.commands[cid.index];
    if (c.calls == 0 && c.rejected == 0 && c.failed == 0) return;
    uint64_t usec = CycleClock::ToMicros(c.cycles);
    StrAppend(out, "cmdstat_", ToLower(cid.name), ":calls=", c.calls, ",usec=", usec,
              ",usec_per_call=", absl::StrFormat("%.2f", c.calls ? double(usec) / c.calls : 0.0),
              ",rejected_calls=", c.rejected, ",failed_calls=", c.failed, "\r\n");
  });
  StrAppend(out, "\r\n");
}

// One line per command that ran: the percentiles latency-tracking-info-percentiles names, as
// the bounds of the power-of-two buckets that hold them (server/diagnostics.h).
void AppendLatencyStats(std::string* out, const NodeSnapshot& snap, Service* svc) {
  StrAppend(out, "# Latencystats\r\n");
  std::vector<double> percentiles = InfoPercentiles();
  svc->registry().ForEach([&](const CommandId& cid) {
    if (cid.index >= snap.stats.commands.size()) return;
    const LatencyHistogram& h = snap.stats.commands[cid.index].latency;
    if (h.total() == 0) return;
    StrAppend(out, "latency_percentiles_usec_", ToLower(cid.name), ":");
    for (size_t i = 0; i < percentiles.size(); ++i) {
      StrAppend(out, i ? "," : "",
                absl::StrFormat("p%g=%.3f", percentiles[i], double(h.Percentile(percentiles[i]))));
    }
    StrAppend(out, "\r\n");
  });
  StrAppend(out, "\r\n");
}

void AppendErrorStats(std::string* out, const NodeSnapshot& snap, Service* svc) {
  StrAppend(out, "# Errorstats\r\n");
  std::vector<std::pair<std::string, uint64_t>> errors(snap.stats.errors.begin(),
                                                       snap.stats.errors.end());
  std::sort(errors.begin(), errors.end());
  for (const auto& [code, n] : errors) StrAppend(out, "errorstat_", code, ":count=", n, "\r\n");
  StrAppend(out, "\r\n");
}

void AppendClusterSection(std::string* out, const NodeSnapshot& snap, Service* svc) {
  StrAppend(out, "# Cluster\r\ncluster_enabled:", ClusterEnabled() ? 1 : 0, "\r\n");
  svc->AppendClusterInfo(out);
  StrAppend(out, "\r\n");
}

void AppendKeyspaceSection(std::string* out, const NodeSnapshot& snap, Service* svc) {
  StrAppend(out, "# Keyspace\r\n");
  for (size_t i = 0; i < snap.dbs.size(); ++i) {
    if (snap.dbs[i].keys == 0) continue;
    StrAppend(out, "db", i, ":keys=", snap.dbs[i].keys, ",expires=", snap.dbs[i].expires,
              ",avg_ttl=0\r\n");
  }
  StrAppend(out, "\r\n");
}

using SectionFn = void (*)(std::string* out, const NodeSnapshot& snap, Service* svc);

// INFO's sections in Redis's order, each with the function that writes it.
struct InfoSection {
  std::string_view name;
  SectionFn append;
  bool in_default;  // part of plain INFO (commandstats is only in INFO ALL or by name)
};
constexpr InfoSection kInfoSections[] = {
    {"server", AppendServerSection, true},
    {"clients", AppendClientsSection, true},
    {"memory", AppendMemorySection, true},
    {"persistence", AppendPersistenceSection, true},
    {"stats", AppendStatsSection, true},
    {"replication", AppendReplicationSection, true},
    {"cpu", AppendCpuSection, true},
    {"modules", AppendModulesSection, true},
    {"commandstats", AppendCommandStats, false},
    {"errorstats", AppendErrorStats, true},
    {"latencystats", AppendLatencyStats, false},
    {"cluster", AppendClusterSection, true},
    {"keyspace", AppendKeyspaceSection, true},
};

asio::awaitable<void> CmdInfo(CmdArgList args, CommandContext& cx) {
  std::vector<std::string> lowered;
  for (std::string_view a : args) lowered.push_back(ToLower(a));
  bool all = lowered.size() == 1 && (lowered[0] == "all" || lowered[0] == "everything");
  bool by_default = args.empty() || (lowered.size() == 1 && lowered[0] == "default");
  std::vector<const InfoSection*> sections;
  for (const InfoSection& s : kInfoSections) {
    bool named = std::find(lowered.begin(), lowered.end(), s.name) != lowered.end();
    if (all || (by_default && s.in_default) || (!all && !by_default && named)) {
      sections.push_back(&s);
    }
  }
  NodeSnapshot snap = co_await Snapshot(cx);
  std::string out;
  for (const InfoSection* s : sections) s->append(&out, snap, cx.service);
  if (out.size() >= 2) out.resize(out.size() - 2);  // no blank line after the last section
  cx.rb->SendVerbatim(out);
}

asio::awaitable<void> CmdDbSize(CmdArgList args, CommandContext& cx) {
  size_t total = 0;
  DbIndex db = cx.db;
  co_await cx.tx->RunOnAll([&](EngineShard& s) { total += s.HasDb(db) ? s.db(db).size() : 0; });
  cx.rb->SendLong(static_cast<int64_t>(total));
}

// FLUSHDB and FLUSHALL accept an optional ASYNC or SYNC; both run synchronously here since
// freeing is quick per slot table.
bool ParseFlushMode(CmdArgList args, CommandContext& cx) {
  if (args.size() > 1 || (args.size() == 1 && !EqualsIgnoreCase(args[0], "ASYNC") &&
                          !EqualsIgnoreCase(args[0], "SYNC"))) {
    cx.rb->SendError(kSyntaxErr);
    return false;
  }
  return true;
}

asio::awaitable<void> CmdFlushDb(CmdArgList args, CommandContext& cx) {
  if (!ParseFlushMode(args, cx)) co_return;
  RunBeforeFlushHook();
  DbIndex db = cx.db;
  co_await cx.tx->RunOnAll([db](EngineShard& s) {
    if (s.HasDb(db)) s.db(db).Flush();
    s.PublishMemory();
  });
  cx.rb->SendOk();
}

asio::awaitable<void> CmdFlushAll(CmdArgList args, CommandContext& cx) {
  if (!ParseFlushMode(args, cx)) co_return;
  RunBeforeFlushHook();
  co_await cx.tx->RunOnAll([](EngineShard& s) {
    for (unsigned i = 0; i < s.num_dbs(); ++i) {
      if (s.HasDb(i)) s.db(i).Flush();
    }
    s.PublishMemory();
  });
  cx.rb->SendOk();
}

asio::awaitable<void> CmdSwapDb(CmdArgList args, CommandContext& cx) {
  if (GetClusterMode() == ClusterMode::kYes) {
    cx.rb->SendError("SWAPDB is not allowed in cluster mode");
    co_return;
  }
  int64_t a, b;
  if (!ParseInt64(args[0], &a) || a < INT32_MIN || a > INT32_MAX) {
    cx.rb->SendError("invalid first DB index");
    co_return;
  }
  if (!ParseInt64(args[1], &b) || b < INT32_MIN || b > INT32_MAX) {
    cx.rb->SendError("invalid second DB index");
    co_return;
  }
  int64_t dbs = absl::GetFlag(FLAGS_dbnum);
  if (a < 0 || b < 0 || a >= dbs || b >= dbs) {
    cx.rb->SendError(kDbIndexOutOfRangeErr);
    co_return;
  }
  // Connections keep their database numbers and so see the other database's keys from now on.
  co_await cx.tx->RunOnAll([a, b](EngineShard& s) {
    s.SwapDbs(static_cast<DbIndex>(a), static_cast<DbIndex>(b));
    if (s.id() == 0) ++s.stats().changes;  // one change for the server, as Redis counts it
  });
  cx.rb->SendOk();
}

void CmdTime(CmdArgList args, CommandContext& cx) {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  cx.rb->StartArray(2);
  cx.rb->SendBulk(std::to_string(ts.tv_sec));
  cx.rb->SendBulk(std::to_string(ts.tv_nsec / 1000));
}

// What DEBUG POPULATE may fill memory up to: maxmemory, or without one 80% of the machine's RAM.
size_t PopulateMemoryLimit() {
  if (uint64_t maxmemory = absl::GetFlag(FLAGS_maxmemory).bytes; maxmemory > 0) return maxmemory;
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page <= 0) return SIZE_MAX;
  return static_cast<size_t>(pages) / 5 * 4 * static_cast<size_t>(page);
}

// Whether this connection may run DEBUG (Redis's enable-debug-command).
bool DebugAllowed(const Connection& conn) {
  std::string mode = absl::GetFlag(FLAGS_enable_debug_command);
  if (mode == "yes") return true;
  if (mode == "local") return conn.is_local();
  return false;
}

// DEBUG POPULATE <count> [<prefix>] [<size>] [RAND] [SLOTS <start> <end>] [TYPE <type>]
// [ELEMENTS <n>], as Dragonfly reads it: the first <count> keys <prefix>:0, <prefix>:1, ... whose
// slot is in [start, end] (every slot without SLOTS), each created unless it exists. Values are
// "value:<i>" padded with zero bytes to <size> (Redis's), or with RAND <size> random letters and
// digits (16 without a size). TYPE names the value type (strings are the only one so far) and
// ELEMENTS its element count (1 for strings). In cluster `yes` mode keys of slots the node does
// not serve are skipped.
struct PopulateOptions {
  int64_t count = 0;
  std::string prefix = "key";
  int64_t size = 0;
  bool random = false;
  int64_t first_slot = 0, last_slot = kNumSlots - 1;
};

// Keys <prefix>:<i> that a SLOTS range may look at, at most: a narrow range needs about
// 16384 / width candidates per key, and each costs a CRC16 on every shard (16M: about 0.35 s
// per shard here; one slot then holds at most 1,024 keys, a range of 100 slots 102,400).
constexpr int64_t kMaxPopulateCandidates = int64_t{1} << 24;

// False (with the error sent) on bad arguments.
bool ParsePopulate(CmdArgList args, CommandContext& cx, PopulateOptions* o) {
  if (!ParseInt64(args[0], &o->count) || o->count < 0) {
    cx.rb->SendError("value is out of range, must be positive");
    return false;
  }
  auto keyword = [](std::string_view a) {
    return EqualsIgnoreCase(a, "RAND") || EqualsIgnoreCase(a, "SLOTS") ||
           EqualsIgnoreCase(a, "TYPE") || EqualsIgnoreCase(a, "ELEMENTS");
  };
  size_t i = 1;
  for (; i < args.size() && i < 3 && !keyword(args[i]); ++i) {
    if (i == 1) {
      o->prefix = std::string(args[i]);
    } else if (!ParseInt64(args[i], &o->size) || o->size < 0) {
      cx.rb->SendError("value is out of range, must be positive");
      return false;
    }
  }
  bool sized = i == 3;
  for (; i < args.size(); ++i) {
    int64_t elements = 0;
    if (EqualsIgnoreCase(args[i], "RAND")) {
      o->random = true;
    } else if (EqualsIgnoreCase(args[i], "SLOTS") && i + 2 < args.size()) {
      if (!ParseInt64(args[i + 1], &o->first_slot) || !ParseInt64(args[i + 2], &o->last_slot) ||
          o->first_slot < 0 || o->last_slot >= kNumSlots || o->first_slot > o->last_slot) {
        cx.rb->SendError("Invalid slot range");
        return false;
      }
      i += 2;
    } else if (EqualsIgnoreCase(args[i], "TYPE") && i + 1 < args.size()) {
      if (!EqualsIgnoreCase(args[++i], "STRING")) {
        cx.rb->SendError(StrCat("type '", args[i], "' is not supported: Darner has strings only"));
        return false;
      }
    } else if (EqualsIgnoreCase(args[i], "ELEMENTS") && i + 1 < args.size()) {
      if (!ParseInt64(args[++i], &elements) || elements < 1) {
        cx.rb->SendError("value is out of range, must be positive");
        return false;
      }
    } else {
      cx.rb->SendError(kSyntaxErr);
      return false;
    }
  }
  if (o->random && !sized) o->size = 16;
  // No value larger than a client could SET.
  if (static_cast<uint64_t>(o->size) > absl::GetFlag(FLAGS_proto_max_bulk_len).bytes) {
    cx.rb->SendError("value size exceeds proto-max-bulk-len");
    return false;
  }
  int64_t width = o->last_slot - o->first_slot + 1;
  if (width < kNumSlots && o->count > kMaxPopulateCandidates / kNumSlots * width) {
    cx.rb->SendError(StrCat("slot range ", o->first_slot, "-", o->last_slot, " is too narrow for ",
                            o->count, " keys"));
    return false;
  }
  return true;
}

asio::awaitable<void> DebugPopulate(CmdArgList args, CommandContext& cx) {
  PopulateOptions o;
  if (!ParsePopulate(args, cx, &o)) co_return;
  DbIndex db = cx.db;
  unsigned shards = cx.service->num_shards();
  bool routed = GetClusterMode() == ClusterMode::kYes;
  Service* svc = cx.service;
  const size_t limit = PopulateMemoryLimit();
  const bool all_slots = o.first_slot == 0 && o.last_slot == kNumSlots - 1;
  const uint64_t seed = std::random_device{}();
  std::atomic<bool> out_of_memory{false};
  co_await cx.tx->RunOnAll([&](EngineShard& s) {
    DbSlice& slice = s.db(db);
    std::string key = o.prefix + ":";
    size_t base = key.size();
    std::string value;
    std::mt19937_64 rng(seed + s.id());
    // Memory is checked every few keys (and before the first): POPULATE stops at the limit.
    size_t budget = 0;
    int64_t found = 0;  // keys in the slot range so far, on every shard
    for (int64_t i = 0; found < o.count && (all_slots || i < 2 * kMaxPopulateCandidates); ++i) {
      if (budget == 0) {
        s.PublishMemory();
        if (svc->UsedMemory() > limit) {
          out_of_memory.store(true, std::memory_order_relaxed);
          break;
        }
        budget = std::max<size_t>(1, (64u << 10) / (static_cast<size_t>(o.size) + 64));
      }
      key.resize(base);
      StrAppend(&key, i);
      SlotId slot = KeySlot(key);
      if (slot < o.first_slot || slot > o.last_slot) continue;
      ++found;
      if (slot % shards != s.id()) continue;
      if (routed && !Service::ThreadServesSlot(slot)) continue;
      if (slice.Find(key)) continue;
      if (o.random) {
        static constexpr char kChars[] =
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        value.resize(static_cast<size_t>(o.size));
        for (char& c : value) c = kChars[rng() % (sizeof(kChars) - 1)];
      } else {
        value = StrCat("value:", i);
        if (o.size > 0) value.resize(static_cast<size_t>(o.size), '\0');
      }
      slice.Add(key, CompactValue::String(value));
      --budget;
    }
    s.PublishMemory();
  });
  if (out_of_memory.load(std::memory_order_relaxed)) {
    cx.rb->SendError("-OOM DEBUG POPULATE stopped: used memory > 'maxmemory' (or 80% of RAM)");
    co_return;
  }
  cx.rb->SendOk();
}

std::vector<DebugSubcommand>& DebugSubcommands() {
  static std::vector<DebugSubcommand> subs;
  return subs;
}

asio::awaitable<void> CmdDebug(CmdArgList args, CommandContext& cx) {
  if (!DebugAllowed(*cx.conn->conn)) {
    cx.rb->SendError(
        "DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you "
        "can run it from a local connection, otherwise you need to set this option in the "
        "configuration file, and then restart the server.");
    co_return;
  }
  std::string sub = ToUpper(args[0]);
  for (const DebugSubcommand& ext : DebugSubcommands()) {
    if (sub == ext.name) {
      ext.handler(args, cx.rb);
      co_return;
    }
  }
  if (sub == "POPULATE" && args.size() >= 2 && args.size() <= 13) {
    co_await DebugPopulate(args.subspan(1), cx);
  } else if (sub == "SLEEP" && args.size() == 2) {
    long double secs;
    if (!ParseDouble(args[1], &secs) || secs < 0) {
      cx.rb->SendError(kInvalidFloatErr);
      co_return;
    }
    // Clamped to ten years: a larger value would overflow the timer's clock.
    secs = std::min<long double>(secs, 10.0L * 365 * 24 * 3600);
    asio::steady_timer timer(co_await asio::this_coro::executor);
    timer.expires_after(std::chrono::microseconds(static_cast<int64_t>(secs * 1e6)));
    co_await timer.async_wait(kAsTuple);
    cx.rb->SendOk();
  } else if (sub == "SET-ACTIVE-EXPIRE" && args.size() == 2) {
    int64_t on;
    if (!ParseInt64(args[1], &on)) {
      cx.rb->SendError(kInvalidIntErr);
      co_return;
    }
    EngineShard::SetActiveExpire(on != 0);
    cx.rb->SendOk();
  } else if (sub == "HELP" && args.size() == 1) {
    std::vector<std::string_view> lines = {
        "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "POPULATE <count> [<prefix>] [<size>] [RAND] [SLOTS <start> <end>] [TYPE <type>]",
        "         [ELEMENTS <n>]",
        "    Create <count> string keys named key:<num>. If <prefix> is specified then",
        "    it is used instead of the 'key' prefix. RAND fills values with random",
        "    characters. SLOTS creates the <count> keys in slots <start> to <end>."};
    for (const DebugSubcommand& ext : DebugSubcommands()) {
      lines.insert(lines.end(), ext.help.begin(), ext.help.end());
    }
    lines.insert(lines.end(),
                 {"SLEEP <seconds>", "    Stop the server for <seconds>. Decimals allowed.",
                  "SET-ACTIVE-EXPIRE <0|1>",
                  "    0 stops collecting expired keys in the background (they still expire when",
                  "    accessed); 1 resumes it.", "HELP", "    Print this help."});
    cx.rb->StartArray(lines.size());
    for (std::string_view line : lines) cx.rb->SendSimpleString(line);
  } else {
    cx.rb->SendError(StrCat("unknown subcommand or wrong number of arguments for '", args[0],
                            "'. Try DEBUG HELP."));
  }
}

void CmdShutdown(CmdArgList args, CommandContext& cx) {
  bool nosave = false, save = false;
  for (std::string_view a : args) {
    if (EqualsIgnoreCase(a, "NOSAVE")) {
      nosave = true;
    } else if (EqualsIgnoreCase(a, "SAVE")) {
      save = true;
    } else if (!EqualsIgnoreCase(a, "NOW") && !EqualsIgnoreCase(a, "FORCE")) {
      return cx.rb->SendError(kSyntaxErr);
    }
  }
  if (nosave && save) return cx.rb->SendError(kSyntaxErr);
  // Like Redis, no reply: the connection closes as the server exits.
  cx.conn->conn->CloseAfterReply();
  cx.service->RequestShutdown();
}

using namespace co;

// The family's declarations, registered in this order.
const CommandId kServerCommands[] = {
    CommandId{.name = "INFO",
              .arity = -1,
              .flags = kLoading | kStale,
              .acl = "@slow @dangerous",
              .tips = "nondeterministic_output request_policy:all_shards response_policy:special",
              .async = CmdInfo,
              .group = "server",
              .since = "1.0.0",
              .complexity = "O(1)",
              .summary = "Reports server state and statistics, optionally for chosen sections.",
              .history = {{"7.0.0", "Accepts several section names in one call."}},
              .args = {{.name = "section", .flags = arg::kOptional | arg::kMultiple}}},
    CommandId{.name = "DBSIZE",
              .arity = 1,
              .flags = kReadOnly | kFast,
              .acl = "@keyspace @read @fast",
              .tips = "request_policy:all_shards response_policy:agg_sum",
              .async = CmdDbSize,
              .group = "server",
              .since = "1.0.0",
              .complexity = "O(1)",
              .summary = "Counts the keys in the currently selected database."},
    CommandId{
        .name = "FLUSHDB",
        .arity = -1,
        .flags = kWrite,
        .acl = "@keyspace @write @slow @dangerous",
        .tips = "request_policy:all_shards response_policy:all_succeeded",
        .async = CmdFlushDb,
        .group = "server",
        .since = "1.0.0",
        .complexity = "O(N), N being the key count of the selected database",
        .summary = "Deletes every key in the currently selected database.",
        .history = {{"4.0.0", "The ASYNC mode was introduced."},
                    {"6.2.0", "The SYNC mode was introduced."}},
        .args =
            {{.name = "async",
              .type = arg::kOneOf,
              .flags = arg::kOptional,
              .args =
                  {{.name = "async", .type = arg::kPureToken, .token = "ASYNC", .since = "4.0.0"},
                   {.name = "sync", .type = arg::kPureToken, .token = "SYNC", .since = "6.2.0"}}}}},
    CommandId{
        .name = "FLUSHALL",
        .arity = -1,
        .flags = kWrite,
        .acl = "@keyspace @write @slow @dangerous",
        .tips = "request_policy:all_shards response_policy:all_succeeded",
        .async = CmdFlushAll,
        .group = "server",
        .since = "1.0.0",
        .complexity = "O(N), N being the key count summed over all databases",
        .summary = "Deletes every key in every database.",
        .history = {{"4.0.0", "The ASYNC mode was introduced."},
                    {"6.2.0", "The SYNC mode was introduced."}},
        .args =
            {{.name = "async",
              .type = arg::kOneOf,
              .flags = arg::kOptional,
              .args =
                  {{.name = "async", .type = arg::kPureToken, .token = "ASYNC", .since = "4.0.0"},
                   {.name = "sync", .type = arg::kPureToken, .token = "SYNC", .since = "6.2.0"}}}}},
    CommandId{.name = "SWAPDB",
              .arity = 3,
              .flags = kWrite | kFast,
              .acl = "@keyspace @write @fast @dangerous",
              .async = CmdSwapDb,
              .group = "server",
              .since = "4.0.0",
              .complexity = "O(N), N being the number of clients that watch keys of either "
                            "database",
              .summary = "Exchanges the contents of two databases.",
              .args = {{.name = "index1", .type = arg::kInteger},
                       {.name = "index2", .type = arg::kInteger}}},
    CommandId{.name = "TIME",
              .arity = 1,
              .flags = kLoading | kStale | kFast,
              .acl = "@fast",
              .tips = "nondeterministic_output",
              .sync = CmdTime,
              .group = "server",
              .since = "2.6.0",
              .complexity = "O(1)",
              .summary = "Reports the server's clock as seconds and microseconds."},
    CommandId{.name = "DEBUG",
              .arity = -2,
              .flags = kAdmin | kNoScript | kLoading | kStale,
              .acl = "@admin @slow @dangerous",
              .async = CmdDebug,
              .group = "server",
              .since = "1.0.0",
              .complexity = "Varies with the subcommand.",
              .summary = "Groups the subcommands meant for debugging the server.",
              .doc_flags = doc::kSysCmd},
    CommandId{.name = "SHUTDOWN",
              .arity = -1,
              .flags = kAdmin | kNoScript | kLoading | kStale | kNoMulti | kAllowBusy,
              .acl = "@admin @slow @dangerous",
              .sync = CmdShutdown,
              .group = "server",
              .since = "1.0.0",
              .complexity = "O(1): Darner keeps no snapshot to write",
              .summary = "Stops the server process after its clients' in-flight replies.",
              .history = {{"7.0.0", "The NOW, FORCE and ABORT modifiers were introduced."}},
              .args = {{.name = "nosave_save",
                        .type = arg::kOneOf,
                        .flags = arg::kOptional,
                        .args = {{.name = "nosave", .type = arg::kPureToken, .token = "NOSAVE"},
                                 {.name = "save", .type = arg::kPureToken, .token = "SAVE"}}},
                       {.name = "now",
                        .type = arg::kPureToken,
                        .token = "NOW",
                        .since = "7.0.0",
                        .flags = arg::kOptional},
                       {.name = "force",
                        .type = arg::kPureToken,
                        .token = "FORCE",
                        .since = "7.0.0",
                        .flags = arg::kOptional},
                       {.name = "abort",
                        .type = arg::kPureToken,
                        .token = "ABORT",
                        .since = "7.0.0",
                        .flags = arg::kOptional}}},
};

}  // namespace

void RegisterDebugSubcommand(DebugSubcommand sub) { DebugSubcommands().push_back(std::move(sub)); }

void RegisterServerFamily(CommandRegistry* r) {
  for (const CommandId& cid : kServerCommands) *r << cid;
  RegisterConfigFamily(r);
  RegisterDiagnosticsFamily(r);
}

}  // namespace darner
