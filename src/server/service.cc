#include "server/service.h"

#include <absl/flags/flag.h>
#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>
#include <sys/resource.h>
#include <time.h>

#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <optional>
#include <random>
#include <utility>

#include "base/byte_size.h"
#include "base/cycle_clock.h"
#include "base/logging.h"
#include "base/process_memory.h"
#include "base/strings.h"
#include "facade/errors.h"
#include "io/as_tuple.h"
#include "io/cancel_scope.h"
#include "server/eviction.h"
#include "server/families/families.h"
#include "server/transaction.h"

ABSL_FLAG(int32_t, port, 6379, "TCP port for clients (0 disables, -1 picks a free port)");
ABSL_FLAG(std::string, bind, "", "Address to listen on (empty: all interfaces)");
ABSL_FLAG(darner::ByteSize, proto_max_bulk_len, {512u << 20},
          "Largest bulk string a client may send (bytes, or a size such as 512mb)");
ABSL_FLAG(std::string, requirepass, "", "Password clients must AUTH with (empty: none)");
ABSL_FLAG(uint32_t, maxclients, 64000, "Maximum number of connected clients");
ABSL_FLAG(darner::ByteSize, maxmemory, {},
          "Limit on memory (bytes, or a size such as 8G or 512mb; 0 = unlimited); above it, "
          "writes that may grow memory get an OOM error");
ABSL_FLAG(uint32_t, dbnum, 16, "Number of databases");
ABSL_FLAG(std::vector<std::string>, restricted_commands, {},
          "Commands (comma-separated) that only connections on the admin port may run; others "
          "get 'Cannot execute restricted command (admin only)'");
ABSL_FLAG(bool, admin_nopass, false,
          "Connections on the admin port are authenticated without AUTH (requirepass applies to "
          "the main port only)");
ABSL_FLAG(darner::ByteSize, client_query_buffer_limit, {1ull << 30},
          "Redis's client-query-buffer-limit: a client whose unparsed input exceeds it is "
          "disconnected (bytes, or a size such as 1G; CONFIG SET client-query-buffer-limit)");

namespace darner {
namespace {

std::atomic<unsigned> g_thread_count{0};  // ThreadCount()
thread_local ThreadStats* tl_stats = nullptr;
thread_local std::vector<ConnectionContext*>* tl_connections = nullptr;

// Cluster `yes` mode: this thread's routing snapshot, and how many commands routed under each of
// the last two generations are still running.
struct ThreadRouting {
  std::shared_ptr<const SlotRouting> current = std::make_shared<SlotRouting>();
  uint64_t generation = 0;
  uint64_t running[2] = {0, 0};
};
thread_local ThreadRouting tl_routing;

// Holds the count of running commands for the generation a command was routed under, from its
// checks until it has finished. Released explicitly (never by a destructor: a coroutine frame
// dropped at shutdown may be destroyed on another thread).
class RoutingPin {
 public:
  const SlotRouting* Acquire() {
    if (!held_) {
      held_ = true;
      generation_ = tl_routing.generation;
      ++tl_routing.running[generation_ & 1];
    }
    return tl_routing.current.get();
  }
  void Release() {
    if (held_) {
      held_ = false;
      --tl_routing.running[generation_ & 1];
    }
  }

 private:
  bool held_ = false;
  uint64_t generation_ = 0;
};

// What CheckSlot returns for a served slot that is paused; never sent (compared by address).
constexpr std::string_view kSlotPaused = "slot paused";

// Waits until this thread's routing no longer pauses `slot`. A pause lasts as long as one
// finalization step of a migration (bounded by its deadlines).
asio::awaitable<void> WaitWhileSlotPaused(SlotId slot) {
  co_await WaitUntil(nullptr, std::chrono::steady_clock::time_point::max(),
                     [slot] { return !tl_routing.current->paused.test(slot); },
                     {std::chrono::microseconds(200), std::chrono::microseconds(200)});
}

// How long a write to a slot whose migration flow is behind waits for it to catch up, at most
// (spec §6.2: Dragonfly blocks such writers until the stream drains; Darner only slows them).
constexpr auto kMaxStalledWait = std::chrono::milliseconds(20);

asio::awaitable<void> WaitWhileSlotStalled(SlotId slot) {
  CountStalledWrite();
  co_await WaitUntil(nullptr, std::chrono::steady_clock::now() + kMaxStalledWait,
                     [slot] { return !SlotStalled(slot); },
                     {std::chrono::microseconds(200), std::chrono::microseconds(200)});
}

constexpr std::string_view kClientPaused = "clients paused";
std::atomic<int64_t> pause_until_ms{0};
std::atomic<ClientPauseMode> pause_mode{ClientPauseMode::kNone};

// The pause that holds back `cid` now, if any.
bool PausedNow(const CommandId& cid) {
  ClientPauseMode mode = pause_mode.load(std::memory_order_acquire);
  if (mode == ClientPauseMode::kNone) return false;
  if (NowMs() >= pause_until_ms.load(std::memory_order_relaxed)) return false;
  return mode == ClientPauseMode::kAll || (cid.flags & (co::kWrite | co::kMayReplicate));
}

// Waits while the pause holds `cid` back, or until the connection closes; polls at most every
// 10 ms, so UNPAUSE is seen within that.
asio::awaitable<void> WaitWhileClientsPaused(const CommandId* cid, Connection* conn) {
  co_await WaitUntil(nullptr, std::chrono::steady_clock::time_point::max(),
                     [cid, conn] { return !PausedNow(*cid) || conn->closing(); },
                     {std::chrono::microseconds(100), std::chrono::milliseconds(10)});
}

// The routing interface of one batch. It holds the pin that keeps the routing snapshot a
// command was admitted under in force until the command ends (cluster `yes` mode), and makes
// the waits that hold a command back before it runs: CLIENT PAUSE, a slot paused by a
// finalizing migration, a slot stalled behind a slow migration flow. Each wait releases the pin
// first (a paused slot waits for pinned commands), and the command is prepared again after it.
class BatchRouting {
 public:
  BatchRouting(bool routed, size_t batch_size) : routed_(routed), stalled_index_(batch_size) {}

  // Before a command is prepared: the snapshot to check it against (null when not routed).
  const SlotRouting* Begin() {
    pin_.Release();
    return routed_ ? pin_.Acquire() : nullptr;
  }
  // After command `index` (of command `cid`, keys in `slot`, -1 for none) was prepared with
  // `error`: waits and returns true when it must be prepared again.
  asio::awaitable<bool> HoldBack(std::string_view error, const CommandId* cid, int slot,
                                 size_t index, Connection* conn) {
    if (error.data() == kClientPaused.data()) {
      pin_.Release();
      co_await WaitWhileClientsPaused(cid, conn);
      co_return true;  // a closing connection leaves the loop
    }
    if (error.data() == kSlotPaused.data()) {
      pin_.Release();  // a pause waits for pinned commands; this one has not started
      co_await WaitWhileSlotPaused(static_cast<SlotId>(slot));
      co_return true;  // the slot may have moved away meanwhile
    }
    if (error.empty() && routed_ && slot >= 0 && cid->IsWrite() &&
        SlotStalled(static_cast<SlotId>(slot)) && stalled_index_ != index) {
      stalled_index_ = index;  // one wait per command: slowed, never stuck
      pin_.Release();
      co_await WaitWhileSlotStalled(static_cast<SlotId>(slot));
      co_return true;
    }
    co_return false;
  }
  // Keyless commands touch no slot's data; they run unpinned (DFLYCLUSTER CONFIG waits for
  // pinned commands to finish).
  void Unpin() { pin_.Release(); }

 private:
  const bool routed_;
  RoutingPin pin_;
  size_t stalled_index_;  // the command that last waited for a stalled slot
};

constexpr std::string_view kCrossSlotErr = "-CROSSSLOT Keys in request don't hash to the same slot";

ConnectionContext* Ctx(Connection* conn) {
  return static_cast<ConnectionContext*>(conn->user_data());
}

// Redis replaces newlines in error texts so the reply stays one line.
std::string Sanitize(std::string s) {
  for (char& c : s) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return s;
}

}  // namespace

Service::Service(ProactorPool* pool) : pool_(pool) {
  g_thread_count.store(pool->size(), std::memory_order_relaxed);
  RegisterConnectionFamily(&registry_);
  RegisterServerFamily(&registry_);
  RegisterGenericFamily(&registry_);
  RegisterStringFamily(&registry_);
  RegisterBitopsFamily(&registry_);
}

Service::~Service() = default;

bool Service::ApplyStartupFlags(std::string* error) {
  if (!ApplyEvictionFlags(error)) return false;
  ApplyDiagnosticsFlags();
  if (!ApplyOutputBufferLimitFlag(error)) {
    *error = StrCat("--client_output_buffer_limit: ", *error);
    return false;
  }
  for (const std::string& name : absl::GetFlag(FLAGS_restricted_commands)) {
    if (name.empty()) continue;
    if (!registry_.Restrict(name)) {
      *error = StrCat("--restricted_commands: unknown command '", name, "'");
      return false;
    }
  }
  return true;
}

void Service::Init() {
  start_ms_ = NowMs();
  rss_at_start_ = ProcessRssBytes();
  rss_.store(rss_at_start_, std::memory_order_relaxed);
  TickEvictionClock(start_ms_);  // before the first key: its access record reads these clocks
  SetQueryBufferLimit(absl::GetFlag(FLAGS_client_query_buffer_limit).bytes);
  CycleClock::ToMicros(0);  // calibrates now rather than on the first INFO
  unsigned n = pool_->size();
  unsigned dbs = absl::GetFlag(FLAGS_dbnum);
  shards_.resize(n);
  size_t num_commands = registry_.size();
  pool_->RunOnAllBlocking([this, n, dbs, num_commands](unsigned i) {
    shards_[i] = std::make_unique<EngineShard>(i, n, dbs, &pool_->context(i));
    EngineShard::InitThreadLocal(shards_[i].get());
    tl_stats = new ThreadStats();
    tl_stats->commands.resize(num_commands);
    tl_connections = new std::vector<ConnectionContext*>();
  });
  // Only once every shard exists: the periodic task reads all of them (UsedMemory).
  pool_->RunOnAllBlocking([this](unsigned i) {
    shards_[i]->StartPeriodic([this, i] {
      ThreadStats& ts = *tl_stats;
      const ConnectionStats& net = ThreadConnectionStats();
      ts.samples[ts.sample_index++ % ts.samples.size()] = {
          NowMs(), ts.total_commands, net.net_input_bytes, net.net_output_bytes};
      TickEvictionClock(NowMs());
      if (i == 0) rss_.store(ProcessRssBytes(), std::memory_order_relaxed);
      if (HeartbeatEviction()) EvictInBackground();
      UsedMemory();  // keeps the peak current
      ParkIdleConnections();
    });
  });
}

namespace {
// Keys one write may evict before it runs, and how long the periodic task may evict for.
constexpr size_t kMaxEvictionsPerWrite = 128;
constexpr auto kEvictionTickBudget = std::chrono::microseconds(1000);
}  // namespace

void Service::SampleRss(uint64_t now_cycles) {
  // Writers resample at most every millisecond per thread: a cache filling at 100 MB/s would
  // carry RSS megabytes past the limit between two periodic samples, and RSS does not come back.
  thread_local uint64_t last = 0;
  if (!RssEviction() || CycleClock::ToMicros(now_cycles - last) < 1000) return;
  last = now_cycles;
  rss_.store(ProcessRssBytes(), std::memory_order_relaxed);
}

uint64_t Service::EvictionTarget() const {
  return darner::EvictionTarget(absl::GetFlag(FLAGS_maxmemory).bytes, RssEviction(),
                                rss_.load(std::memory_order_relaxed), rss_at_start_);
}

bool Service::NeedsEvictionFirst(const Prepared& p, EngineShard* shard) {
  if (shard == nullptr || !(p.cid->flags & co::kDenyOom) ||
      CurrentEvictionPolicy() == EvictionPolicy::kNoEviction) {
    return false;
  }
  uint64_t target = EvictionTarget();
  return target > 0 && UsedMemory() > target && !EvictForWrite();
}

bool Service::EvictForWrite() {
  // The write may go ahead once something was evicted, even if memory is not under the target
  // yet: the periodic task of every shard keeps evicting (as Redis lets a command run when its
  // eviction pass ran out of time). Nor is it refused while memory is under --maxmemory itself.
  EngineShard* shard = EngineShard::tlocal();
  uint64_t target = EvictionTarget();
  size_t evicted = shard ? shard->Evict(
                               CurrentEvictionPolicy(), [&] { return UsedMemory() > target; },
                               kMaxEvictionsPerWrite, kEvictionTickBudget)
                         : 0;
  return evicted > 0 || UsedMemory() <= absl::GetFlag(FLAGS_maxmemory).bytes;
}

void Service::EvictInBackground() {
  uint64_t target = EvictionTarget();
  if (target > 0 && UsedMemory() > target) {
    EngineShard::tlocal()->Evict(
        CurrentEvictionPolicy(), [&] { return UsedMemory() > target; }, SIZE_MAX,
        kEvictionTickBudget);
  }
}

void Service::ParkIdleConnections() {
  for (ConnectionContext* cc : *tl_connections) cc->conn->ParkIfIdle();
}

void Service::Shutdown() {
  pool_->RunOnAllBlocking([this](unsigned i) {
    shards_[i]->StopPeriodic();
    delete tl_stats;
    tl_stats = nullptr;
    delete tl_connections;
    tl_connections = nullptr;
  });
}

ThreadStats& Service::thread_stats() { return *tl_stats; }

std::vector<ConnectionContext*>& Service::ThreadConnections() { return *tl_connections; }

size_t Service::UsedMemory() const {
  size_t total = ConnectionBufferBytes();
  for (const auto& s : shards_) total += s->published_memory();
  size_t peak = peak_memory_.load(std::memory_order_relaxed);
  while (total > peak && !peak_memory_.compare_exchange_weak(peak, total)) {
  }
  return total;
}

bool AuthRequired(const Connection& conn) {
  return !absl::GetFlag(FLAGS_requirepass).empty() &&
         !(conn.privileged() && absl::GetFlag(FLAGS_admin_nopass));
}

unsigned ThreadCount() { return g_thread_count.load(std::memory_order_relaxed); }

unsigned ReservedFds(unsigned threads) { return 32 + 4 * threads; }

uint32_t FitMaxClientsToFdLimit(uint32_t maxclients, unsigned threads) {
  rlimit lim;
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return maxclients;
  const rlim_t wanted = rlim_t{maxclients} + ReservedFds(threads);
  if (lim.rlim_cur >= wanted) return maxclients;
  rlimit raised = lim;
  raised.rlim_cur = lim.rlim_max == RLIM_INFINITY ? wanted : std::min<rlim_t>(wanted, lim.rlim_max);
  if (raised.rlim_cur > lim.rlim_cur && setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
  if (lim.rlim_cur >= wanted) return maxclients;
  if (lim.rlim_cur <= ReservedFds(threads)) return 1;
  return static_cast<uint32_t>(lim.rlim_cur - ReservedFds(threads));
}

double ThreadStats::Rate(uint64_t Sample::* counter) const {
  const size_t n = samples.size();
  if (sample_index < 2) return 0;
  const Sample& newest = samples[(sample_index - 1) % n];
  // Until the ring has wrapped, the oldest sample is the first one taken.
  const Sample& oldest = samples[sample_index < n ? 0 : sample_index % n];
  // A counter that went down (reset between samples) has no rate yet.
  if (newest.ms <= oldest.ms || newest.*counter < oldest.*counter) return 0;
  return double(newest.*counter - oldest.*counter) * 1000.0 / double(newest.ms - oldest.ms);
}

void Service::RequestShutdown() {
  if (shutdown_hook_) shutdown_hook_();
}

bool Service::OnConnectionOpen(Connection* conn) {
  auto cc = std::make_shared<ConnectionContext>();
  cc->conn = conn;
  cc->id = next_client_id_.fetch_add(1, std::memory_order_relaxed);
  cc->created_ms = cc->last_active_ms = NowMs();
  cc->addr = conn->remote_addr();
  cc->authenticated = !AuthRequired(*conn);
  conn->SetAuthenticated(cc->authenticated);
  conn->set_user_data(cc);
  ++tl_stats->connections_received;
  size_t now_connected = connected_.fetch_add(1, std::memory_order_relaxed) + 1;
  cc->thread_list_index = tl_connections->size();
  tl_connections->push_back(cc.get());
  // The admin port stays reachable when the main port is full (as in Dragonfly).
  if (!conn->privileged() && now_connected > absl::GetFlag(FLAGS_maxclients)) {
    ++tl_stats->rejected_connections;
    conn->reply().SendError("max number of clients reached");
    return false;
  }
  return true;
}

void Service::OnConnectionClose(Connection* conn) {
  ConnectionContext* cc = Ctx(conn);
  auto& list = *tl_connections;
  size_t i = cc->thread_list_index;
  DCHECK(i < list.size() && list[i] == cc);
  list[i] = list.back();
  list[i]->thread_list_index = i;
  list.pop_back();
  connected_.fetch_sub(1, std::memory_order_relaxed);
}

std::string_view Service::Prepare(CmdArgList args, ConnectionContext* cc,
                                  const SlotRouting* routing, Prepared* p,
                                  std::string* error_storage) {
  p->args = args;
  p->keys.clear();
  p->slot = -1;
  Admission a{this, cc, routing, p, error_storage};
  if (std::string_view error = Lookup(a); !error.empty()) return error;
  for (AdmissionCheck check : kAdmissionChecks) {
    if (std::string_view error = check(a); !error.empty()) return error;
  }
  // Sync keyed commands have their keys on one shard (a single key, or keys sharing a tag).
  // A command whose key is optional runs keyless when it has none.
  if (p->cid->sync && !p->keys.empty()) {
    if (p->slot < 0) p->slot = KeySlot(p->keys.front());
    p->shard = p->slot % num_shards();
  }
  return {};
}

std::string_view Service::Lookup(Admission& a) {
  CmdArgList args = a.p->args;
  ConnectionContext* cc = a.cc;
  const CommandId*& cid = a.p->cid;
  if (args[0] == cc->lookup_name && cc->lookup_cid) {
    cid = cc->lookup_cid;
  } else {
    cid = registry_.Find(args[0]);
    if (cid && args[0].size() <= 32) {
      cc->lookup_name.assign(args[0]);
      cc->lookup_cid = cid;
    }
  }
  if (cid == nullptr) {
    std::string text =
        StrCat("unknown command '", args[0].substr(0, 128), "', with args beginning with: ");
    size_t args_len = 0;
    for (size_t i = 1; i < args.size() && args_len < 128; ++i) {
      std::string part = StrCat("'", args[i].substr(0, 128 - args_len), "' ");
      args_len += part.size();
      text += part;
    }
    *a.error_storage = Sanitize(std::move(text));
    return *a.error_storage;
  }
  if (!cid->subcommands.empty() && args.size() >= 2) {
    const CommandId* sub = registry_.FindSub(*cid, args[1]);
    if (!sub) {
      *a.error_storage = Sanitize(
          StrCat("unknown subcommand '", args[1].substr(0, 128), "'. Try ", cid->name, " HELP."));
      return *a.error_storage;
    }
    cid = sub;
  }
  return {};
}

std::string_view Service::CheckRestricted(Admission& a) {
  if (a.p->cid->restricted && !a.cc->conn->privileged() && !a.cc->replicated) {
    return "Cannot execute restricted command (admin only)";
  }
  return {};
}

std::string_view Service::CheckArity(Admission& a) {
  const CommandId& cid = *a.p->cid;
  const int argc = static_cast<int>(a.p->args.size());
  if ((cid.arity > 0 && argc != cid.arity) || (cid.arity < 0 && argc < -cid.arity)) {
    *a.error_storage = StrCat("wrong number of arguments for '", ToLower(cid.name), "' command");
    return *a.error_storage;
  }
  return {};
}

std::string_view Service::CheckAuth(Admission& a) {
  if (!a.cc->authenticated && !(a.p->cid->flags & co::kNoAuth)) {
    return "-NOAUTH Authentication required.";
  }
  return {};
}

std::string_view Service::CheckRouting(Admission& a) {
  const CommandId& cid = *a.p->cid;
  if (!cid.HasKeys() || !(a.routing || cid.sync)) return {};
  Prepared* p = a.p;
  CmdArgList args = p->args;
  cid.ForEachKey(args, [p, args](size_t pos) { p->keys.push_back(args[pos]); });
  if (a.routing) {
    if (std::string_view error = a.service->CheckSlot(p, a.routing, a.error_storage);
        !error.empty()) {
      return error;
    }
  }
  // Async commands find their keys again through their transaction.
  if (!cid.sync) p->keys.clear();
  return {};
}

std::string_view Service::CheckClientPause(Admission& a) {
  if (a.cc->conn->privileged() || a.cc->replicated) return {};
  return PausedNow(*a.p->cid) ? kClientPaused : std::string_view();
}

std::string_view Service::CheckMemory(Admission& a) {
  const CommandId& cid = *a.p->cid;
  if (!(cid.flags & co::kDenyOom)) return {};
  if (CurrentEvictionPolicy() == EvictionPolicy::kNoEviction) {
    uint64_t limit = absl::GetFlag(FLAGS_maxmemory).bytes;
    if (limit > 0 && a.service->UsedMemory() > limit) return kOomErr;
  } else if (uint64_t target = a.service->EvictionTarget();
             target > 0 && a.service->UsedMemory() > target) {
    // A single-shard command evicts on its key's shard when it runs (Execute); others evict
    // here, on this thread's shard.
    if (!(cid.HasKeys() && cid.sync) && !a.service->EvictForWrite()) return kOomErr;
  }
  return {};
}

std::string_view Service::CheckSlot(Prepared* p, const SlotRouting* routing,
                                    std::string* error_storage) {
  int slot = -1;
  for (std::string_view key : p->keys) {
    int s = KeySlot(key);
    if (slot >= 0 && s != slot) return kCrossSlotErr;
    slot = s;
  }
  if (slot < 0) return {};  // an optional key left out
  p->slot = slot;
  if (!routing->configured) return kClusterNotConfiguredErr;
  if (routing->served.test(slot))
    return routing->paused.test(slot) ? kSlotPaused : std::string_view();
  *error_storage =
      StrCat("-MOVED ", slot, " ", routing->redirects[routing->redirect_of_slot[slot]]);
  return *error_storage;
}

asio::awaitable<void> Service::PublishRouting(std::shared_ptr<const SlotRouting> routing,
                                              Transaction* tx) {
  co_await tx->RunOnAll([&routing](EngineShard&) {
    tl_routing.current = routing;
    ++tl_routing.generation;
  });
}

bool Service::ThreadServesSlot(SlotId slot) {
  const SlotRouting& r = *tl_routing.current;
  return r.configured && r.served.test(slot);
}

asio::awaitable<bool> Service::WaitForRoutedCommands(Transaction* tx,
                                                     std::chrono::milliseconds timeout) {
  auto drained = [tx]() -> asio::awaitable<bool> {
    uint64_t older = 0;
    co_await tx->RunOnAll(
        [&older](EngineShard&) { older += tl_routing.running[(tl_routing.generation - 1) & 1]; });
    co_return older == 0;
  };
  co_return co_await WaitUntil(nullptr, std::chrono::steady_clock::now() + timeout, drained,
                               {std::chrono::milliseconds(1), std::chrono::milliseconds(1)});
}

void Service::RejectCommand(const Prepared& p, ConnectionContext* cc, std::string_view error) {
  ReplyBuilder& rb = cc->conn->reply();
  rb.SendError(error);
  ThreadStats& st = *tl_stats;
  ++st.total_errors;
  ++st.errors[std::string(rb.last_error_code())];
  if (p.cid) ++st.commands[p.cid->index].rejected;
}

CommandContext Service::MakeContext(const Prepared& p, ConnectionContext* cc, ReplyBuilder* rb) {
  CommandContext cx;
  cx.service = this;
  cx.conn = cc;
  cx.rb = rb;
  cx.cid = p.cid;
  cx.db = cc->db;
  return cx;
}

namespace {
// A slow command's entry in the slow log and the latency monitor. Passwords are not kept.
void RecordSlowCall(ThreadStats& st, const CommandId* cid, CmdArgList args,
                    const ConnectionContext* cc, uint64_t micros) {
  const DiagnosticsConfig& config = Diagnostics();
  int64_t slower_than = config.slowlog_slower_than_us.load(std::memory_order_relaxed);
  if (slower_than >= 0 && micros >= static_cast<uint64_t>(slower_than) &&
      !(cid->flags & co::kSkipSlowlog)) {
    std::string_view redacted[] = {args[0], "(redacted)"};
    bool secret = cid->name == "AUTH" || cid->name == "HELLO";
    st.slowlog.Add(secret ? std::span<const std::string_view>(redacted) : args, micros, cc->addr,
                   cc->name);
  }
  int64_t threshold_ms = config.latency_threshold_ms.load(std::memory_order_relaxed);
  if (threshold_ms > 0 && micros / 1000 >= static_cast<uint64_t>(threshold_ms)) {
    st.latency_events.Add((cid->flags & co::kFast) ? "fast-command" : "command", time(nullptr),
                          static_cast<uint32_t>(std::min<uint64_t>(micros / 1000, UINT32_MAX)));
  }
}
}  // namespace

void ApplyReplyMode(ConnectionContext* cc, ReplyBuilder* rb, size_t mark) {
  if (!cc->reply_off && cc->reply_skip == 0) return;
  rb->buffer().resize(mark);
  if (cc->reply_skip > 0) --cc->reply_skip;
}

void PauseClients(int64_t until_ms, ClientPauseMode mode) {
  int64_t end = pause_until_ms.load(std::memory_order_relaxed);
  ClientPauseMode current = pause_mode.load(std::memory_order_relaxed);
  bool active = current != ClientPauseMode::kNone && NowMs() < end;
  // A pause still running is extended, never shortened or relaxed.
  pause_until_ms.store(active ? std::max(end, until_ms) : until_ms, std::memory_order_relaxed);
  pause_mode.store(active ? std::max(current, mode) : mode, std::memory_order_release);
}

void UnpauseClients() { pause_mode.store(ClientPauseMode::kNone, std::memory_order_release); }

void Service::RecordCall(const Prepared& p, const ConnectionContext* cc, uint64_t start_cycles,
                         uint64_t end_cycles, uint64_t errors_before, const ReplyBuilder& rb) {
  ThreadStats& st = *tl_stats;
  const CommandId* cid = p.cid;
  auto& cs = st.commands[cid->index];
  ++cs.calls;
  cs.cycles += end_cycles - start_cycles;
  uint64_t micros = CycleClock::ToMicros(end_cycles - start_cycles);
  if (Diagnostics().latency_tracking.load(std::memory_order_relaxed)) cs.latency.Add(micros);
  RecordSlowCall(st, cid, p.args, cc, micros);
  ++st.total_commands;
  if (rb.error_count() != errors_before) {
    ++cs.failed;
    ++st.total_errors;
    ++st.errors[std::string(rb.last_error_code())];
  }
}

uint64_t Service::Execute(const Prepared& p, ConnectionContext* cc, EngineShard* shard,
                          ReplyBuilder* rb, uint64_t start_cycles) {
  CommandContext cx = MakeContext(p, cc, rb);
  cx.shard = shard;
  ScopedKeySlot key_slot;
  if (p.slot >= 0 && !p.keys.empty()) key_slot.Set(p.keys.front(), static_cast<SlotId>(p.slot));
  uint64_t errors_before = cx.rb->error_count();
  // The clock is read once per command where commands run back to back: a command's time then
  // also covers the dispatch of it (tens of nanoseconds), as reading the TSC twice per command
  // cost about 3% of a GET in a pipeline.
  uint64_t start = start_cycles != 0 ? start_cycles : CycleClock::Now();
  if (NeedsEvictionFirst(p, shard)) {
    cx.rb->SendError(kOomErr);  // nothing on this shard could be evicted
  } else {
    p.cid->sync(p.args.subspan(1), cx);
  }
  uint64_t end = CycleClock::Now();
  RecordCall(p, cc, start, end, errors_before, *cx.rb);
  // With a memory limit, writers keep the published figure current for the OOM check; without
  // one, the shard's periodic tick is enough.
  if (shard && p.cid->IsWrite() && absl::GetFlag(FLAGS_maxmemory).bytes > 0) {
    shard->PublishMemory();
    SampleRss(end);
  }
  return end;
}

asio::awaitable<void> Service::ExecuteAsync(const Prepared& p, ConnectionContext* cc) {
  Transaction tx(this, p.args, p.cid);
  CommandContext cx = MakeContext(p, cc, &cc->conn->reply());
  cx.tx = &tx;
  uint64_t errors_before = cx.rb->error_count();
  uint64_t start = CycleClock::Now();
  co_await tx.Lock();
  if (!StillRouted(p, cc)) co_return;
  co_await p.cid->async(p.args.subspan(1), cx);
  tx.Unlock();
  RecordCall(p, cc, start, CycleClock::Now(), errors_before, *cx.rb);  // connection's thread
}

asio::awaitable<void> Service::ExecuteLocked(const Prepared& p, ConnectionContext* cc) {
  Transaction tx(this, p.args, p.cid);
  co_await tx.Lock();
  if (!StillRouted(p, cc)) co_return;
  if (p.shard == EngineShard::tlocal()->id()) {
    Execute(p, cc, EngineShard::tlocal(), &cc->conn->reply());
  } else {
    cc->hop_reply.SetResp3(cc->conn->reply().resp3());
    co_await tx.RunOn(p.shard, [&](EngineShard& s) { Execute(p, cc, &s, &cc->hop_reply); });
    cc->conn->reply().Absorb(cc->hop_reply);
  }
  tx.Unlock();
}

bool Service::StillRouted(const Prepared& p, ConnectionContext* cc) {
  if (GetClusterMode() != ClusterMode::kYes || cc->replicated || !p.cid->HasKeys()) return true;
  std::string storage;
  Prepared checked = p;
  std::string_view error = CheckSlot(&checked, tl_routing.current.get(), &storage);
  // A pause that began while this command waited for its locks does not hold it back: the
  // pause waits for commands routed before it (WaitForRoutedCommands).
  if (error.empty() || error.data() == kSlotPaused.data()) return true;
  RejectCommand(p, cc, error);
  return false;
}

size_t Service::PrefetchKeys(std::span<const CmdArgList> cmds, size_t from, ConnectionContext* cc,
                             EngineShard* local, SlotGuess* guesses) {
  // Pipelined lookups are memory-bound: touch the lines the next commands will need in rounds,
  // so their misses overlap instead of running one after another. The first argument is taken
  // as the key without looking the command up: a wrong guess only warms an unused line.
  size_t end = std::min(cmds.size(), from + kPrefetchWindow);
  for (size_t i = from; i < end; ++i) {
    guesses[i - from] =
        cmds[i].size() < 2 ? SlotGuess{} : SlotGuess{cmds[i][1], ComputeKeySlot(cmds[i][1])};
  }
  if (cc->db >= local->num_dbs() || !local->HasDb(cc->db)) return end;
  const DbSlice& db = local->db(cc->db);
  DbSlice::PrefetchSlot slots[kPrefetchWindow];
  size_t n = 0;
  for (size_t i = from; i < end; ++i) {
    const SlotGuess& g = guesses[i - from];
    if (g.key.data() == nullptr || g.slot % num_shards() != local->id()) continue;
    slots[n++] = db.PrefetchTable(g.key, g.slot);
  }
  for (size_t i = 0; i < n; ++i) db.PrefetchBucket(&slots[i]);
  for (size_t i = 0; i < n; ++i) db.PrefetchEntry(slots[i]);
  return end;
}

asio::awaitable<size_t> Service::RunSquashed(std::span<const CmdArgList> cmds,
                                             const Prepared& first, ConnectionContext* cc,
                                             std::vector<Prepared>* run,
                                             std::string* error_storage) {
  run->clear();
  run->push_back(first);
  for (size_t j = 1; j < cmds.size() && run->size() < kMaxSquash; ++j) {
    Prepared next;
    if (!Prepare(cmds[j], cc, nullptr, &next, error_storage).empty()) break;
    if (next.cid->async || next.keys.empty()) break;
    run->push_back(std::move(next));
  }
  if (run->size() == 1) co_return 0;
  const unsigned n = num_shards();
  if (cc->shard_replies.size() < n) cc->shard_replies.resize(n);
  std::vector<std::vector<uint32_t>> by_shard(n);  // indices into run, in order
  for (uint32_t k = 0; k < run->size(); ++k) by_shard[(*run)[k].shard].push_back(k);
  std::vector<unsigned> shards;
  for (unsigned s = 0; s < n; ++s) {
    if (!by_shard[s].empty()) shards.push_back(s);
  }
  // Where each command's reply ends in its shard's builder; 0 for one that did not run.
  std::vector<uint32_t> ends(run->size(), 0);
  std::vector<char> ran(run->size(), 0);
  const bool resp3 = cc->conn->reply().resp3();
  co_await RunOnLoops(pool_, shards, [&](size_t t) {
    unsigned id = shards[t];
    EngineShard* shard = EngineShard::tlocal();
    ReplyBuilder* rb = &cc->shard_replies[id];
    rb->SetResp3(resp3);
    uint64_t clock = 0;
    for (uint32_t k : by_shard[id]) {
      const Prepared& c = (*run)[k];
      if (shard->locks().Conflicts(c.keys, LockModeOf(*c.cid))) break;
      clock = Execute(c, cc, shard, rb, clock);
      ends[k] = static_cast<uint32_t>(rb->size());
      ran[k] = 1;
    }
  });
  ReplyBuilder& out = cc->conn->reply();
  std::vector<uint32_t> cursor(n, 0);
  for (size_t k = 0; k < run->size(); ++k) {
    const Prepared& c = (*run)[k];
    if (ran[k]) {
      out.AppendSlice(cc->shard_replies[c.shard], cursor[c.shard], ends[k]);
      cursor[c.shard] = ends[k];
    } else {
      co_await ExecuteLocked(c, cc);  // waits for the transaction holding its keys
    }
  }
  for (unsigned s : shards) out.TakeErrorsAndClear(cc->shard_replies[s]);
  cc->last_cmd = run->back().cid;
  co_return run->size();
}

asio::awaitable<size_t> Service::RunRemoteBatch(std::span<const CmdArgList> cmds,
                                                const Prepared& first, ConnectionContext* cc,
                                                const SlotRouting* routing,
                                                std::vector<Prepared>* run,
                                                std::string* error_storage) {
  // Gather the following commands that go to the same remote shard, and run them in one hop.
  run->clear();
  run->push_back(first);
  size_t j = 1;
  // Under CLIENT REPLY OFF or SKIP each command's reply is dropped (or not) on its own.
  if (cc->reply_off || cc->reply_skip > 0) j = cmds.size();
  for (; j < cmds.size(); ++j) {
    Prepared next;
    if (!Prepare(cmds[j], cc, routing, &next, error_storage).empty()) break;
    if (next.cid->async || next.keys.empty() || next.shard != first.shard) break;
    run->push_back(std::move(next));
  }
  // The remote shard writes the replies into the connection's hop builder, never into the
  // Connection; they join the connection's replies here, on its own thread.
  ReplyBuilder* hop = &cc->hop_reply;
  hop->SetResp3(cc->conn->reply().resp3());
  size_t done = co_await RunOnLoop(pool_->context(first.shard), [&]() -> size_t {
    EngineShard* shard = EngineShard::tlocal();
    for (size_t k = 0; k < run->size(); ++k) {
      if (shard->locks().Conflicts((*run)[k].keys, LockModeOf(*(*run)[k].cid))) return k;
      Execute((*run)[k], cc, shard, hop);
    }
    return run->size();
  });
  cc->conn->reply().Absorb(*hop);
  if (done < run->size()) {
    co_await ExecuteLocked((*run)[done], cc);  // waits for the keys another command holds
    ++done;
  }
  co_return done;
}

asio::awaitable<size_t> Service::DispatchBatch(Connection* conn, std::span<const CmdArgList> cmds) {
  ConnectionContext* cc = Ctx(conn);
  EngineShard* local = EngineShard::tlocal();
  Prepared p;
  std::string error_storage;
  std::vector<Prepared> run;  // consecutive commands for one remote shard

  size_t i = 0;
  size_t prefetched = 0;
  size_t guessed_from = 0;
  SlotGuess guesses[kPrefetchWindow];
  cc->last_active_ms = NowMs();
  const bool routed = GetClusterMode() == ClusterMode::kYes && !cc->replicated;
  BatchRouting routing_state(routed, cmds.size());
  // Nothing pipelined after QUIT (or a fatal error) runs, nor after a command that handed the
  // connection to a takeover (DFLYMIGRATE FLOW): what follows it is the takeover's.
  uint64_t clock = 0;  // when the previous command ended, if it ran here just before
  const bool taken_over = conn->has_takeover();  // a flow applying its records
  const bool squash = num_shards() > 1 && !routed && !cc->replicated && !taken_over &&
                      GetClusterMode() != ClusterMode::kYes;
  // CLIENT REPLY: the replies of the commands since `replied` begin at `reply_mark`.
  size_t replied = i, reply_mark = conn->reply().size();
  auto apply_reply_mode = [&] {
    if (i == replied) return;
    ApplyReplyMode(cc, &conn->reply(), reply_mark);
    replied = i;
    reply_mark = conn->reply().size();
  };
  while (i < cmds.size() && !conn->closing() && !conn->close_after_reply() &&
         (taken_over || !conn->has_takeover())) {
    apply_reply_mode();
    uint64_t start_cycles = std::exchange(clock, 0);
    const SlotRouting* routing = routing_state.Begin();
    if (i >= prefetched && cmds.size() - i >= 4) {
      guessed_from = i;
      prefetched = PrefetchKeys(cmds, i, cc, local, guesses);
    }
    ScopedKeySlot key_slot;
    if (i >= guessed_from && i < prefetched && guesses[i - guessed_from].key.data() != nullptr) {
      key_slot.Set(guesses[i - guessed_from].key, guesses[i - guessed_from].slot);
    }
    std::string_view error = Prepare(cmds[i], cc, routing, &p, &error_storage);
    bool again = co_await routing_state.HoldBack(error, p.cid, p.slot, i, conn);
    if (again) continue;  // prepared again after the wait
    if (!error.empty()) {
      RejectCommand(p, cc, error);
      ++i;
      continue;
    }
    cc->last_cmd = p.cid;
    if (!p.cid->HasKeys()) routing_state.Unpin();
    if (p.cid->async) {
      co_await ExecuteAsync(p, cc);
      ++i;
      continue;
    }
    if (p.keys.empty()) {
      clock = Execute(p, cc, nullptr, &conn->reply(), start_cycles);
      ++i;
      continue;
    }
    if (squash && !cc->reply_off && cc->reply_skip == 0) {
      size_t ran = co_await RunSquashed(cmds.subspan(i), p, cc, &run, &error_storage);
      if (ran > 0) {
        i += ran;
        continue;
      }
    }
    if (p.shard == local->id()) {
      if (local->locks().Conflicts(p.keys, LockModeOf(*p.cid))) {
        co_await ExecuteLocked(p, cc);
      } else {
        clock = Execute(p, cc, local, &conn->reply(), start_cycles);
      }
      ++i;
      continue;
    }
    i += co_await RunRemoteBatch(cmds.subspan(i), p, cc, routing, &run, &error_storage);
  }
  apply_reply_mode();
  routing_state.Unpin();
  co_return i;
}

}  // namespace darner
