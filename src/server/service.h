// The server: owns the command table and the shards, and executes requests for connections.
// A command whose keys live on one shard runs there: inline when that shard is the
// connection's own thread, otherwise in one hop that carries every consecutive pipelined
// command for the same shard. Commands whose keys may span shards run as a Transaction.
#pragma once

#include <absl/container/flat_hash_map.h>
#include <absl/container/inlined_vector.h>

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "facade/service_interface.h"
#include "io/proactor_pool.h"
#include "server/cluster_support.h"
#include "server/command_registry.h"
#include "server/conn_context.h"
#include "server/diagnostics.h"
#include "server/engine_shard.h"

namespace darner {

// What HELLO and INFO report as the Redis version Darner is compatible with.
inline constexpr std::string_view kRedisVersion = "7.0.15";
inline constexpr std::string_view kDarnerVersion = "0.1.0";

// This process's random 40-hex-digit id (INFO run_id and master_replid; the default cluster
// node id).
const std::string& RunId();

// Per-thread counters, summed across threads by INFO.
struct ThreadStats {
  struct Cmd {
    uint64_t calls = 0, cycles = 0, rejected = 0, failed = 0;  // cycles: CycleClock
    LatencyHistogram latency;                                  // LATENCY HISTOGRAM
  };
  std::vector<Cmd> commands;
  SlowLog slowlog;
  LatencyEvents latency_events;
  absl::flat_hash_map<std::string, uint64_t> errors;  // by error code
  uint64_t total_commands = 0;
  uint64_t total_errors = 0;
  uint64_t connections_received = 0;
  uint64_t rejected_connections = 0;
  // Counters sampled every 100 ms, for INFO's instantaneous_* rates.
  struct Sample {
    int64_t ms = 0;
    uint64_t commands = 0, input_bytes = 0, output_bytes = 0;
  };
  std::array<Sample, 16> samples{};
  size_t sample_index = 0;
  // Per second, over the retained samples (about 1.6 s).
  double Rate(uint64_t Sample::* counter) const;
  double InstantaneousOps() const { return Rate(&Sample::commands); }
};

class Transaction;

// CLIENT PAUSE: until `until_ms` (NowMs), commands of clients wait before they run: all of
// them (kAll) or those that write or may replicate (kWrite). Admin-port connections and
// migration flows are never paused. A second pause extends the first (the later end, the
// stricter mode); UnpauseClients ends it at once.
enum class ClientPauseMode : uint8_t { kNone, kWrite, kAll };
void PauseClients(int64_t until_ms, ClientPauseMode mode);
void UnpauseClients();

// CLIENT REPLY: after a command whose reply began at `mark` in `rb`, drops that reply when the
// connection is in OFF mode or skipping, and counts the skip down.
void ApplyReplyMode(ConnectionContext* cc, ReplyBuilder* rb, size_t mark);

// Whether `conn` must AUTH before running commands (requirepass set, and not an admin-port
// connection under --admin_nopass).
bool AuthRequired(const Connection& conn);

// Descriptors kept out of maxclients' reach: listeners, event loops, log files, migration links.
unsigned ReservedFds(unsigned threads);
// Raises the open-files limit so that `maxclients` clients fit, as far as the hard limit allows,
// and returns how many clients do fit (maxclients, or fewer when the limit cannot be raised).
uint32_t FitMaxClientsToFdLimit(uint32_t maxclients, unsigned threads);
// The number of threads of the running Service (0 before one exists).
unsigned ThreadCount();

class Service : public ServiceInterface {
 public:
  explicit Service(ProactorPool* pool);
  ~Service() override;

  // Applies the flags checked at start (--restricted_commands to the command table,
  // --client_output_buffer_limit); call once every family is registered and before Init().
  // False with *error for a bad value.
  bool ApplyStartupFlags(std::string* error);
  // Creates the shards (one per pool thread); call before any connection arrives.
  void Init();
  // Stops per-shard background work; call before stopping the pool.
  void Shutdown();

  asio::awaitable<size_t> DispatchBatch(Connection* conn,
                                        std::span<const CmdArgList> commands) override;
  bool OnConnectionOpen(Connection* conn) override;
  void OnConnectionClose(Connection* conn) override;

  ProactorPool* pool() { return pool_; }
  const CommandRegistry& registry() const { return registry_; }
  // For families registered from outside src/server (the cluster's); only before Init().
  CommandRegistry* mutable_registry() { return &registry_; }

  // Cluster `yes` mode. Every keyed command is checked against the routing snapshot of the
  // thread that dispatches it (CROSSSLOT, not configured, MOVED), and stays counted as "routed
  // under generation g" until it has finished. PublishRouting installs a new snapshot on every
  // thread and starts a new generation; WaitForRoutedCommands then waits (up to `timeout`) until
  // no command routed under an older generation is still running, so that work on slots this
  // node gave up (flushing them) cannot race with writes admitted under the old routing.
  asio::awaitable<void> PublishRouting(std::shared_ptr<const SlotRouting> routing, Transaction* tx);
  asio::awaitable<bool> WaitForRoutedCommands(Transaction* tx, std::chrono::milliseconds timeout);
  // Whether the calling thread's routing snapshot has `slot` (cluster `yes` mode).
  static bool ThreadServesSlot(SlotId slot);
  // Appended to INFO's Cluster section after `cluster_enabled` (set by the cluster family).
  void SetClusterInfoHook(std::function<void(std::string*)> hook) {
    cluster_info_hook_ = std::move(hook);
  }
  void AppendClusterInfo(std::string* out) const {
    if (cluster_info_hook_) cluster_info_hook_(out);
  }
  unsigned num_shards() const { return pool_->size(); }
  unsigned ShardOf(std::string_view key) const { return KeySlot(key) % num_shards(); }

  // Bytes of data held by all shards (as last published by each shard), plus the connections'
  // buffers.
  size_t UsedMemory() const;
  // Highest UsedMemory() seen so far.
  size_t PeakMemory() const { return peak_memory_.load(std::memory_order_relaxed); }
  EngineShard* shard(unsigned i) { return shards_[i].get(); }

  // Connections of the calling thread.
  std::vector<ConnectionContext*>& ThreadConnections();
  // What eviction keeps used memory under: --maxmemory, lowered by RSS beyond it (see
  // darner::EvictionTarget; RSS is sampled by shard 0's periodic task); 0 without a limit.
  uint64_t EvictionTarget() const;
  // With an eviction policy and used memory over the target: evicts keys of the calling
  // thread's shard for a write; false when nothing could be evicted there and used memory is
  // over --maxmemory (the write gets -OOM).
  bool EvictForWrite();
  // Refreshes the RSS figure EvictionTarget reads, at most once a millisecond per thread (the
  // periodic task also refreshes it every 100 ms).
  void SampleRss(uint64_t now_cycles);
  // The periodic task's eviction: while used memory is over the target, the calling thread's
  // shard evicts for up to 1 ms.
  void EvictInBackground();
  // Parks the calling thread's connections that stayed idle since the last call (see
  // Connection::ParkIfIdle); run from each shard's periodic task.
  void ParkIdleConnections();
  ThreadStats& thread_stats();
  size_t connected_clients() const { return connected_.load(std::memory_order_relaxed); }
  int64_t start_time_ms() const { return start_ms_; }

  // Asks the process to shut down (SHUTDOWN command, signals); set by main.
  void SetShutdownHook(std::function<void()> hook) { shutdown_hook_ = std::move(hook); }
  void RequestShutdown();

 private:
  struct Prepared {
    CmdArgList args;
    const CommandId* cid = nullptr;
    unsigned shard = 0;
    int slot = -1;  // the keys' slot, when cluster routing computed it
    absl::InlinedVector<std::string_view, 2> keys;
  };

  // Looks the command up and runs the admission checks (those that need no data), in order.
  // Returns an error text to send (and the command is rejected) or an empty string.
  std::string_view Prepare(CmdArgList args, ConnectionContext* cc, const SlotRouting* routing,
                           Prepared* p, std::string* error_storage);
  // What an admission check sees. A check returns an error to reply, or an empty string to
  // let the command go on to the next one.
  struct Admission {
    Service* service;
    ConnectionContext* cc;
    const SlotRouting* routing;  // null outside cluster `yes` mode
    Prepared* p;
    std::string* error_storage;  // backs an error text that is not a constant
  };
  using AdmissionCheck = std::string_view (*)(Admission& a);
  // Resolves the command and subcommand name: the first check.
  std::string_view Lookup(Admission& a);
  static std::string_view CheckRestricted(Admission& a);
  static std::string_view CheckArity(Admission& a);
  static std::string_view CheckAuth(Admission& a);
  // Finds the keys (for routing and for single-shard commands) and, in cluster mode, checks
  // that they share a slot this node serves.
  static std::string_view CheckRouting(Admission& a);
  static std::string_view CheckMemory(Admission& a);
  // CLIENT PAUSE: holds the command back (DispatchBatch waits, then checks it again).
  static std::string_view CheckClientPause(Admission& a);
  // The order of the checks is Redis's: who may run it, its shape, then where and whether
  // there is memory for it. Later checks (MULTI queueing, pub/sub mode, read-only replica)
  // go into this list.
  static constexpr AdmissionCheck kAdmissionChecks[] = {
      &CheckRestricted, &CheckArity, &CheckAuth, &CheckRouting, &CheckMemory, &CheckClientPause};
  // The cluster `yes` mode checks of a keyed command: its keys share a slot that this node
  // serves. Returns the error to reply or an empty string; sets p->slot.
  std::string_view CheckSlot(Prepared* p, const SlotRouting* routing, std::string* error_storage);
  void RejectCommand(const Prepared& p, ConnectionContext* cc, std::string_view error);
  CommandContext MakeContext(const Prepared& p, ConnectionContext* cc, ReplyBuilder* rb);
  // Counts one call of p's command, which ran from start_cycles to end_cycles, in this thread's
  // statistics (and its error, if it replied one), its histogram, and, if it was slow, the
  // slow log and the latency monitor.
  void RecordCall(const Prepared& p, const ConnectionContext* cc, uint64_t start_cycles,
                  uint64_t end_cycles, uint64_t errors_before, const ReplyBuilder& rb);
  // Runs a sync handler on the current thread, replying into `rb` (the connection's own builder
  // on its thread, its hop builder on another shard's), and records statistics. Returns the
  // cycle clock at its end; a command that follows at once passes it back as `start_cycles`
  // (0: read the clock), so back-to-back commands of a batch read the clock once each instead
  // of twice.
  uint64_t Execute(const Prepared& p, ConnectionContext* cc, EngineShard* shard, ReplyBuilder* rb,
                   uint64_t start_cycles = 0);
  // For a command about to run on `shard`: true when it must be refused with -OOM because used
  // memory is over --maxmemory and the eviction policy found nothing to evict there.
  bool NeedsEvictionFirst(const Prepared& p, EngineShard* shard);
  asio::awaitable<void> ExecuteAsync(const Prepared& p, ConnectionContext* cc);
  // Pipeline squashing (outside cluster `yes` mode, with more than one shard): `first` (cmds[0],
  // a sync command with keys) and the sync keyed commands after it, up to kMaxSquash, run
  // grouped by shard: every shard runs its share at once, in order, replying into its own
  // builder, and the replies join the connection's in the pipeline's order. Commands of one
  // shard keep their order; commands of different shards (different keys) may run in either
  // order, as with Dragonfly's squashing. A command whose keys a transaction holds stops its
  // shard's share; it and the rest of that share then run one by one, in order, after the
  // others. Returns how many of `cmds` ran; 0 when nothing follows to squash with (`first`
  // then runs the usual way). `run` is scratch space.
  static constexpr size_t kMaxSquash = 128;
  asio::awaitable<size_t> RunSquashed(std::span<const CmdArgList> cmds, const Prepared& first,
                                      ConnectionContext* cc, std::vector<Prepared>* run,
                                      std::string* error_storage);
  // Runs `first` (the command cmds[0], for a remote shard) and the commands after it that go to
  // the same shard in one hop; returns how many of `cmds` ran. `run` is scratch space.
  asio::awaitable<size_t> RunRemoteBatch(std::span<const CmdArgList> cmds, const Prepared& first,
                                         ConnectionContext* cc, const SlotRouting* routing,
                                         std::vector<Prepared>* run, std::string* error_storage);
  asio::awaitable<void> ExecuteLocked(const Prepared& p, ConnectionContext* cc);
  // After waiting for key locks, a keyed command is checked again against the routing now in
  // force: a config switch may have taken its slot away meanwhile. Replies MOVED and returns
  // false if so.
  bool StillRouted(const Prepared& p, ConnectionContext* cc);
  // The slot of a command's first argument, worked out ahead by PrefetchKeys.
  struct SlotGuess {
    std::string_view key;
    SlotId slot = 0;
  };
  static constexpr size_t kPrefetchWindow = 16;
  // Warms the cache for the keys of cmds[from, from + window) on the local shard, and records
  // each command's first-argument slot in guesses[i - from]; returns the end of the window.
  size_t PrefetchKeys(std::span<const CmdArgList> cmds, size_t from, ConnectionContext* cc,
                      EngineShard* local, SlotGuess* guesses);

  ProactorPool* pool_;
  CommandRegistry registry_;
  std::vector<std::unique_ptr<EngineShard>> shards_;
  std::atomic<size_t> connected_{0};
  mutable std::atomic<size_t> peak_memory_{0};
  std::atomic<uint64_t> next_client_id_{1};
  int64_t start_ms_ = 0;
  size_t rss_at_start_ = 0;     // before any key or connection
  std::atomic<size_t> rss_{0};  // sampled every 100 ms
  std::function<void()> shutdown_hook_;
  std::function<void(std::string*)> cluster_info_hook_;
};

}  // namespace darner
