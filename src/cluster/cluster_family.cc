#include "cluster/cluster_family.h"

#include <absl/flags/declare.h>
#include <absl/flags/flag.h>

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/this_coro.hpp>

#include "base/logging.h"
#include "base/numbers.h"
#include "base/strings.h"
#include "cluster/cluster_commands.h"
#include "cluster/fault_injection.h"
#include "facade/errors.h"
#include "facade/reply_builder.h"
#include "io/cancel_scope.h"
#include "server/command_registry.h"
#include "server/conn_context.h"
#include "server/engine_shard.h"
#include "server/service.h"
#include "server/transaction.h"

ABSL_FLAG(std::string, cluster_node_id, "",
          "This node's id in cluster mode (empty: the random run id, new at every start)");

// Accepted for Dragonfly command lines. Darner always picks a key's thread by its slot, and has no
// replicas to hide yet (replication is not built).
ABSL_FLAG(bool, experimental_cluster_shard_by_slot, true,
          "Accepted for Dragonfly compatibility: Darner always maps slots to threads");
ABSL_FLAG(bool, managed_service_info, false,
          "Emulated cluster mode: hide replicas from non-admin connections (Darner has no "
          "replicas yet, so this changes nothing)");

ABSL_FLAG(uint32_t, migration_finalization_timeout_ms, 30000,
          "Target: how long ACK waits for every flow to reach the finalize marker, and how long "
          "stopping an incoming migration waits for its flows to end");

ABSL_DECLARE_FLAG(uint32_t, announce_port);

namespace darner {
namespace {

ClusterFamily* g_family = nullptr;

constexpr std::string_view kDflyClusterDisabledErr =
    "Cluster is disabled. Use --cluster_mode=yes to enable.";
constexpr std::string_view kInvalidConfigErr = "Invalid cluster configuration.";
// How long applying a config waits for commands routed under the previous one to finish.
constexpr auto kRoutedCommandsWait = std::chrono::seconds(1);
// Cap on the slots one GETSLOTINFO may ask for (each range expands to one reply entry per slot).
constexpr size_t kMaxSlotInfoEntries = 1 << 20;

// A transaction for control-plane work that runs outside any command (routing changes made by a
// migration, late detaches): it only hops between shards, with no keys.
std::unique_ptr<Transaction> ControlTransaction(Service* service) {
  return std::make_unique<Transaction>(service);  // no keys: hops only
}

// Waits until no command admitted under an older routing is still running; false at `timeout`
// or when `scope` (if any) is cancelled. Such commands normally end within microseconds: the
// checks back off from 50 us to 1 ms instead of sleeping a whole millisecond at once.
asio::awaitable<bool> WaitRouted(Service* service, Transaction* tx,
                                 std::chrono::milliseconds timeout, CancelScope* scope) {
  // A zero timeout checks once.
  auto drained = [service, tx] {
    return service->WaitForRoutedCommands(tx, std::chrono::milliseconds(0));
  };
  co_return co_await WaitUntil(scope, std::chrono::steady_clock::now() + timeout, drained);
}

// Runs when commands admitted under an older routing were still running as a config switch
// ended its wait: once they have finished, detaches again whatever they may have written to the
// lost slots, unless a later config gave those slots back.
asio::awaitable<void> DetachAgainWhenDrained(Service* service, SlotSet lost) {
  std::unique_ptr<Transaction> tx = ControlTransaction(service);
  if (!co_await service->WaitForRoutedCommands(tx.get(), std::chrono::seconds(60))) {
    LOG(ERROR) << "Commands admitted before a cluster config change still run after 60 s";
  }
  std::shared_ptr<const ClusterConfig> now = g_family->config();
  SlotSet still_lost = now ? lost.Minus(now->owned_slots()) : lost;
  size_t detached = 0;
  co_await tx->RunOnAll([&](EngineShard& s) { detached += s.DetachSlots(still_lost.bits()); });
  LOG(INFO) << "Late writes to newly unowned slots dropped: " << detached << " keys";
}

}  // namespace

std::chrono::milliseconds FinalizationTimeout() {
  return std::chrono::milliseconds(absl::GetFlag(FLAGS_migration_finalization_timeout_ms));
}

ClusterFamily* ClusterCommands::family() { return g_family; }

asio::awaitable<void> ClusterCommands::DflyCluster(CmdArgList args, CommandContext& cx) {
  ReplyBuilder* rb = cx.rb;
  if (GetClusterMode() != ClusterMode::kYes) {
    rb->SendError(kDflyClusterDisabledErr);
    co_return;
  }
  std::string sub = ToUpper(args[0]);
  if (sub == "CONFIG") {
    if (args.size() != 2) {
      rb->SendError(WrongArgs("dflycluster config"));
    } else {
      co_await Config(args[1], cx);
    }
  } else if (sub == "GETSLOTINFO") {
    co_await GetSlotInfo(args.subspan(1), cx);
  } else if (sub == "FLUSHSLOTS") {
    co_await FlushSlots(args.subspan(1), cx);
  } else if (sub == "SLOT-MIGRATION-STATUS" && args.size() <= 2) {
    co_await SlotMigrationStatus(args.size() == 2 ? args[1] : std::string_view{}, cx);
  } else {
    rb->SendError(UnknownSubcommand(sub, "DFLYCLUSTER"));
  }
}

asio::awaitable<void> ClusterCommands::Config(std::string_view json, CommandContext& cx) {
  ClusterFamily* f = g_family;
  co_await f->LockApply();
  std::string why;
  std::shared_ptr<const ClusterConfig> config = ClusterConfig::Create(json, f->my_id_, &why);
  if (!config) {
    f->UnlockApply();
    LOG(WARNING) << "Rejected cluster config: " << why;
    cx.rb->SendError(kInvalidConfigErr);
    co_return;
  }
  std::shared_ptr<const ClusterConfig> old = f->config();
  if (old && old->Equals(*config)) {
    f->UnlockApply();
    cx.rb->SendOk();
    co_return;
  }
  // Before the first config the node counts as serving everything, so keys it held before it
  // joined (in slots it was not given) go too. Slots that finished migrating out still hold
  // their keys until a config takes them away.
  SlotSet before = old ? f->HeldSlots(*old) : SlotSet::All();
  co_await StopDroppedOutgoing(*config);
  SlotSet partial = co_await StopDroppedIncoming(*config);
  SlotSet held = f->HeldSlots(*config);
  SlotSet flush = before.Minus(held);
  flush |= partial.Minus(held);
  co_await InstallConfig(config, flush, cx);
  AddNewMigrations(*config, cx.service);
  f->UnlockApply();
  cx.rb->SendOk();
}

// Outgoing migrations the new config no longer has (or has changed) are cancelled; their slots
// stay here if the config still gives them to this node, and are flushed by Config if not.
asio::awaitable<void> ClusterCommands::StopDroppedOutgoing(const ClusterConfig& config) {
  ClusterFamily* f = g_family;
  std::vector<std::shared_ptr<OutgoingMigration>> cancelled;
  {
    std::lock_guard lk(f->migrations_mu_);
    auto& list = f->outgoing_;
    for (auto it = list.begin(); it != list.end();) {
      const auto& wanted = config.outgoing_migrations();
      if (std::find(wanted.begin(), wanted.end(), (*it)->info()) != wanted.end()) {
        ++it;
      } else {
        cancelled.push_back(*it);
        it = list.erase(it);
      }
    }
  }
  for (const auto& m : cancelled) {
    std::chrono::microseconds took;
    co_await m->Stop(FinalizationTimeout(), &took);
    f->RecordStop(took);
    {
      std::lock_guard lk(f->migrations_mu_);
      f->paused_ = f->paused_.Minus(m->slots());
    }
    LOG(INFO) << "Outgoing migration cancelled: slots " << SlotRangesToString(m->info().slot_ranges)
              << " to " << m->info().ip << ":" << m->info().port << "; stopped in " << took.count()
              << " us";
  }
}

// Incoming migrations the new config no longer has are stopped and dropped; whatever they
// streamed in is flushed by Config unless the node serves those slots under the new config.
asio::awaitable<SlotSet> ClusterCommands::StopDroppedIncoming(const ClusterConfig& config) {
  ClusterFamily* f = g_family;
  std::vector<std::shared_ptr<IncomingMigration>> dropped;
  {
    std::lock_guard lk(f->migrations_mu_);
    auto& list = f->incoming_;
    for (auto it = list.begin(); it != list.end();) {
      bool kept = false;
      for (const IncomingMigrationInfo& m : config.incoming_migrations()) {
        kept |= m.source_id == (*it)->source_id() && m.info.slot_ranges == (*it)->ranges();
      }
      if (kept) {
        ++it;
      } else {
        dropped.push_back(*it);
        it = list.erase(it);
      }
    }
  }
  SlotSet partial;
  for (const auto& m : dropped) {
    std::chrono::microseconds took;
    co_await m->Stop(FinalizationTimeout(), &took);
    f->RecordStop(took);
    LOG(INFO) << "Incoming migration from " << m->source_id() << " cancelled; stopped in "
              << took.count() << " us";
    partial |= m->slots();
  }
  co_return partial;
}

asio::awaitable<void> ClusterCommands::InstallConfig(std::shared_ptr<const ClusterConfig> config,
                                                     const SlotSet& flush, CommandContext& cx) {
  ClusterFamily* f = g_family;
  {
    std::lock_guard lk(f->config_mu_);
    f->config_ = config;
  }
  co_await cx.service->PublishRouting(f->RoutingNow(*config), cx.tx);
  // Writes admitted under the old routing may still be running; the slots they hit are only
  // detached once they are done, or they could land after the detach and survive it. With no
  // slot to detach there is nothing to wait for (a cancel that keeps the slots here).
  bool drained = true;
  if (!flush.Empty()) {
    drained = co_await WaitRouted(cx.service, cx.tx, kRoutedCommandsWait, nullptr);
  }
  if (!drained) LOG(WARNING) << "Cluster config change timed for: " << f->my_id_;
  if (!flush.Empty()) {
    LOG(INFO) << "Flushing newly unowned slots: " << SlotRangesToString(flush.ToRanges());
    co_await cx.tx->RunOnAll([&flush](EngineShard& s) { s.DetachSlots(flush.bits()); });
    if (!drained) {
      asio::co_spawn(co_await asio::this_coro::executor, DetachAgainWhenDrained(cx.service, flush),
                     asio::detached);
    }
  }
}

void ClusterCommands::AddNewMigrations(const ClusterConfig& config, Service* service) {
  ClusterFamily* f = g_family;
  // New incoming migrations wait in CONNECTING for the source's INIT; created after the flush
  // so that nothing they receive is wiped.
  {
    std::lock_guard lk(f->migrations_mu_);
    for (const IncomingMigrationInfo& m : config.incoming_migrations()) {
      bool exists = false;
      for (const auto& in : f->incoming_) {
        exists |= in->source_id() == m.source_id && in->ranges() == m.info.slot_ranges;
      }
      if (!exists) {
        f->incoming_.push_back(
            std::make_shared<IncomingMigration>(m.source_id, m.info.slot_ranges, service->pool()));
      }
    }
  }
  // New outgoing migrations start now (the target may not know them yet: INIT retries).
  std::vector<std::shared_ptr<OutgoingMigration>> started;
  {
    std::lock_guard lk(f->migrations_mu_);
    for (const MigrationInfo& m : config.outgoing_migrations()) {
      bool exists = false;
      for (const auto& out : f->outgoing_) exists |= out->info() == m;
      if (!exists) {
        f->outgoing_.push_back(std::make_shared<OutgoingMigration>(f->my_id_, m, service, f));
        started.push_back(f->outgoing_.back());
      }
    }
  }
  for (const auto& m : started) m->Start();
}

asio::awaitable<void> ClusterCommands::GetSlotInfo(CmdArgList args, CommandContext& cx) {
  ReplyBuilder* rb = cx.rb;
  if (args.size() < 2 || !EqualsIgnoreCase(args[0], "SLOTS")) {
    rb->SendError(kSyntaxErr);
    co_return;
  }
  std::vector<SlotId> slots;
  for (size_t i = 1; i < args.size(); ++i) {
    std::string_view spec = args[i];
    size_t dash = spec.find('-');
    if (dash != std::string_view::npos && dash > 0) {
      uint64_t a, b;
      if (!ParseUint64(spec.substr(0, dash), &a) || !ParseUint64(spec.substr(dash + 1), &b)) {
        rb->SendError("Invalid slot range format");
        co_return;
      }
      if (a >= kNumSlots || b >= kNumSlots) {
        rb->SendError("Invalid slot id");
        co_return;
      }
      if (a > b) std::swap(a, b);
      if (slots.size() + (b - a + 1) > kMaxSlotInfoEntries) {
        rb->SendError("too many slots requested");
        co_return;
      }
      for (uint64_t s = a; s <= b; ++s) slots.push_back(static_cast<SlotId>(s));
    } else {
      uint64_t s;  // unsigned, like Dragonfly: "-1" is not a number here
      if (!ParseUint64(spec, &s)) {
        rb->SendError(kInvalidIntErr);
        co_return;
      }
      if (s >= kNumSlots) {
        rb->SendError("Invalid slot id");
        co_return;
      }
      if (slots.size() >= kMaxSlotInfoEntries) {
        rb->SendError("too many slots requested");
        co_return;
      }
      slots.push_back(static_cast<SlotId>(s));
    }
  }
  // Each shard reports on its own slots; results are indexed by slot.
  struct Info {
    uint64_t keys = 0, reads = 0, writes = 0, memory = 0;
  };
  std::vector<Info> info(kNumSlots);
  std::vector<bool> wanted(kNumSlots);
  for (SlotId s : slots) wanted[s] = true;
  unsigned n = cx.service->num_shards();
  co_await cx.tx->RunOnAll([&](EngineShard& shard) {
    if (!shard.HasDb(0)) return;
    const DbSlice& db = shard.db(0);
    for (unsigned pos = 0; pos < db.slot_positions(); ++pos) {
      SlotId slot = static_cast<SlotId>(pos * n + shard.id());
      if (!wanted[slot]) continue;
      Info& i = info[slot];
      DbSlice::SlotStats st = db.GetSlotStats(pos);
      i.keys = st.keys;
      i.reads = st.reads;
      i.writes = st.writes;
      i.memory = st.memory_bytes;
    }
  });
  rb->StartArray(slots.size());
  for (SlotId s : slots) {
    const Info& i = info[s];
    rb->StartArray(9);
    rb->SendLong(s);
    rb->SendBulk("key_count");
    rb->SendLong(static_cast<int64_t>(i.keys));
    rb->SendBulk("total_reads");
    rb->SendLong(static_cast<int64_t>(i.reads));
    rb->SendBulk("total_writes");
    rb->SendLong(static_cast<int64_t>(i.writes));
    rb->SendBulk("memory_bytes");
    rb->SendLong(static_cast<int64_t>(i.memory));
  }
}

asio::awaitable<void> ClusterCommands::FlushSlots(CmdArgList args, CommandContext& cx) {
  ReplyBuilder* rb = cx.rb;
  SlotRanges ranges;
  for (size_t i = 0; i < args.size(); i += 2) {
    int64_t start, end;
    if (!ParseSlotId(args[i], &start)) {
      rb->SendError(kInvalidIntErr);
      co_return;
    }
    if (i + 1 >= args.size()) {
      rb->SendError(kSyntaxErr);
      co_return;
    }
    if (!ParseSlotId(args[i + 1], &end)) {
      rb->SendError(kInvalidIntErr);
      co_return;
    }
    if (start > end) {
      rb->SendError("Invalid slot range");
      co_return;
    }
    ranges.push_back({static_cast<SlotId>(start), static_cast<SlotId>(end)});
  }
  if (ranges.empty()) {
    rb->SendError(kSyntaxErr);
    co_return;
  }
  SlotSet slots(ranges);
  LOG(INFO) << "Flushing slots: " << SlotRangesToString(slots.ToRanges());
  co_await cx.tx->RunOnAll([&slots](EngineShard& s) { s.DetachSlots(slots.bits()); });
  rb->SendOk();
}

// Keys this node holds in `slots` (database 0, the only one in cluster mode).
asio::awaitable<uint64_t> CountKeys(Service* service, Transaction* tx, const SlotSet& slots) {
  uint64_t total = 0;
  unsigned n = service->num_shards();
  co_await tx->RunOnAll([&](EngineShard& shard) {
    if (!shard.HasDb(0)) return;
    const DbSlice& db = shard.db(0);
    for (unsigned pos = 0; pos < db.slot_positions(); ++pos) {
      if (slots.Contains(static_cast<SlotId>(pos * n + shard.id()))) {
        total += db.GetSlotStats(pos).keys;
      }
    }
  });
  co_return total;
}

// One row per migration, incoming ones first, each in creation order: direction, peer node,
// state, keys (frozen at the finish, else counted now), last error ("0" if none), slot ranges.
asio::awaitable<void> ClusterCommands::SlotMigrationStatus(std::string_view node_id,
                                                           CommandContext& cx) {
  std::vector<MigrationStatus> rows;
  for (const auto& m : g_family->incoming()) rows.push_back(m->Status());
  for (const auto& m : g_family->outgoing()) rows.push_back(m->Status());
  if (!node_id.empty()) std::erase_if(rows, [&](const auto& r) { return r.peer_id != node_id; });
  std::vector<uint64_t> keys;
  for (const MigrationStatus& r : rows) {
    if (r.state == MigrationState::kFinished) {
      keys.push_back(r.keys_at_finish);
    } else {
      keys.push_back(co_await CountKeys(cx.service, cx.tx, SlotSet(r.ranges)));
    }
  }
  ReplyBuilder* rb = cx.rb;
  rb->StartArray(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    const MigrationStatus& r = rows[i];
    rb->StartArray(6);
    rb->SendBulk(r.direction);
    rb->SendBulk(r.peer_id);
    rb->SendBulk(MigrationStateName(r.state));
    rb->SendLong(static_cast<int64_t>(keys[i]));
    rb->SendBulk(r.error.empty() ? "0" : r.error);
    rb->SendBulk(SlotRangesToString(r.ranges));
  }
}

ClusterFamily::ClusterFamily(Service* service) : service_(service) {
  CHECK(g_family == nullptr) << "one ClusterFamily per process";
  g_family = this;
}

ClusterFamily::~ClusterFamily() { g_family = nullptr; }

std::vector<std::shared_ptr<IncomingMigration>> ClusterFamily::incoming() const {
  std::lock_guard lk(migrations_mu_);
  return incoming_;
}

std::shared_ptr<IncomingMigration> ClusterFamily::FindIncoming(std::string_view source_id) const {
  std::lock_guard lk(migrations_mu_);
  for (const auto& m : incoming_) {
    if (m->source_id() == source_id) return m;
  }
  return nullptr;
}

std::vector<std::shared_ptr<OutgoingMigration>> ClusterFamily::outgoing() const {
  std::lock_guard lk(migrations_mu_);
  return outgoing_;
}

SlotSet ClusterFamily::ServedSlots(const ClusterConfig& config) const {
  SlotSet served = config.owned_slots();
  std::lock_guard lk(migrations_mu_);
  for (const auto& m : incoming_) {
    if (m->state() == MigrationState::kFinished) served |= m->slots();
  }
  for (const auto& m : outgoing_) {
    if (m->state() == MigrationState::kFinished) served = served.Minus(m->slots());
  }
  return served;
}

SlotSet ClusterFamily::HeldSlots(const ClusterConfig& config) const {
  SlotSet held = config.owned_slots();
  std::lock_guard lk(migrations_mu_);
  for (const auto& m : incoming_) {
    if (m->state() == MigrationState::kFinished) held |= m->slots();
  }
  return held;
}

std::shared_ptr<const SlotRouting> ClusterFamily::RoutingNow(const ClusterConfig& config) const {
  SlotSet served = ServedSlots(config);
  auto routing = BuildRouting(config, served);
  std::lock_guard lk(migrations_mu_);
  if (!paused_.Empty()) {
    auto copy = std::make_shared<SlotRouting>(*routing);
    copy->paused = paused_.bits() & copy->served;
    return copy;
  }
  return routing;
}

asio::awaitable<bool> ClusterFamily::SetSlotsPaused(const SlotSet& slots, bool paused,
                                                    CancelScope& scope) {
  if (!co_await LockApply(&scope)) co_return false;
  {
    std::lock_guard lk(migrations_mu_);
    if (paused) {
      paused_ |= slots;
    } else {
      paused_ = paused_.Minus(slots);
    }
  }
  if (std::shared_ptr<const ClusterConfig> now = config()) {
    std::unique_ptr<Transaction> tx = ControlTransaction(service_);
    co_await service_->PublishRouting(RoutingNow(*now), tx.get());
  }
  UnlockApply();
  co_return true;
}

asio::awaitable<bool> ClusterFamily::FinishOutgoing(OutgoingMigration* m, CancelScope& scope) {
  if (!co_await LockApply(&scope)) co_return false;
  std::unique_ptr<Transaction> tx = ControlTransaction(service_);
  m->MarkFinished(co_await CountKeys(service_, tx.get(), m->slots()));
  {
    std::lock_guard lk(migrations_mu_);
    paused_ = paused_.Minus(m->slots());
  }
  if (std::shared_ptr<const ClusterConfig> now = config()) {
    co_await service_->PublishRouting(RoutingNow(*now), tx.get());
  }
  UnlockApply();
  co_return true;
}

asio::awaitable<bool> ClusterFamily::WaitForRoutedCommands(std::chrono::milliseconds timeout,
                                                           CancelScope& scope) {
  std::unique_ptr<Transaction> tx = ControlTransaction(service_);
  bool drained = co_await WaitRouted(service_, tx.get(), timeout, &scope);
  co_return drained;
}

void ClusterFamily::RecordStop(std::chrono::microseconds took) {
  uint64_t us = static_cast<uint64_t>(took.count());
  last_stop_us_.store(us, std::memory_order_relaxed);
  uint64_t max = max_stop_us_.load(std::memory_order_relaxed);
  while (us > max && !max_stop_us_.compare_exchange_weak(max, us)) {
  }
}

void ClusterFamily::Shutdown() {
  for (const auto& m : outgoing()) {
    std::chrono::microseconds took;
    bool stopped = m->StopBlocking(std::chrono::seconds(5), &took);
    LOG(INFO) << "Outgoing migration to " << m->target_id()
              << (stopped ? " stopped" : " not stopped") << " at shutdown in " << took.count()
              << " us";
  }
  for (const auto& m : incoming()) m->Cancel();
}

bool ClusterFamily::Init(std::string* error) {
  if (!InitClusterMode(error)) return false;
  my_id_ = absl::GetFlag(FLAGS_cluster_node_id);
  if (!my_id_.empty() && GetClusterMode() == ClusterMode::kEmulated) {
    *error = "Setting --cluster_node_id in emulated mode is unsupported";
    return false;
  }
  if (my_id_.empty()) my_id_ = RunId();
  if (absl::GetFlag(FLAGS_announce_port) > 65535) {
    *error = "Invalid value for flag --announce_port: must be at most 65535";
    return false;
  }
  if (ClusterEnabled()) {
    SetBeforeFlushHook([this] {
      for (const auto& m : incoming()) m->FailAttempt("FLUSH command during migration");
    });
    service_->SetClusterInfoHook([this](std::string* out) {
      uint64_t errors = 0;
      for (const auto& m : incoming()) errors += m->error_count();
      uint64_t last_pause = 0, max_pause = 0, streamed_bytes = 0;
      std::string rows;
      size_t index = 0;
      for (const auto& m : outgoing()) {
        OutgoingProgress p = m->progress();
        StrAppend(&rows, "migration_out_", index++, ":target=", m->target_id(),
                  ",state=", MigrationStateName(m->state()), ",phase=", m->phase(),
                  ",keys=", p.keys_streamed, ",changes=", p.changes_streamed,
                  ",bytes=", p.bytes_streamed, ",keys_per_sec=", m->keys_per_sec(),
                  ",last_pause_us=", m->last_pause_us(), "\r\n");
        errors += m->error_count();
        last_pause = std::max(last_pause, m->last_pause_us());
        max_pause = std::max(max_pause, m->max_pause_us());
        streamed_bytes += m->progress().bytes_streamed;
      }
      StrAppend(
          out, "migration_errors_total:", errors,
          "\r\ntotal_migrated_keys:", OutgoingMigration::TotalMigratedKeys(),
          "\r\nmigration_out_bytes:", streamed_bytes, "\r\nmigration_last_pause_us:", last_pause,
          "\r\nmigration_max_pause_us:", max_pause,
          "\r\nmigration_stalled_writes:", StalledWrites(),
          "\r\nmigration_last_stop_us:", last_stop_us_.load(std::memory_order_relaxed),
          "\r\nmigration_max_stop_us:", max_stop_us_.load(std::memory_order_relaxed), "\r\n", rows);
    });
  }
  return true;
}

std::shared_ptr<const ClusterConfig> ClusterFamily::config() const {
  std::lock_guard lk(config_mu_);
  return config_;
}

std::shared_ptr<const SlotRouting> ClusterFamily::BuildRouting(const ClusterConfig& config,
                                                               const SlotSet& served) {
  auto routing = std::make_shared<SlotRouting>();
  routing->configured = true;
  routing->served = served.bits();
  const auto& shards = config.shards();
  for (const ClusterShard& shard : shards) {
    routing->redirects.push_back(StrCat(shard.master.ip, ":", shard.master.port));
  }
  routing->redirect_of_slot.resize(kNumSlots);
  for (uint32_t slot = 0; slot < kNumSlots; ++slot) {
    size_t index = config.ShardIndexOfSlot(static_cast<SlotId>(slot));
    // A slot of my own shard that I do not serve has finished migrating out: send clients to
    // the migration's target (spec §3.5).
    if (shards[index].master.id == config.my_id() && !routing->served.test(slot)) {
      for (const MigrationInfo& m : config.outgoing_migrations()) {
        bool covers = false;
        for (const SlotRange& r : m.slot_ranges) covers |= r.start <= slot && slot <= r.end;
        int target = config.ShardIndexOfMaster(m.node_id);
        if (covers && target >= 0) index = static_cast<size_t>(target);
      }
    }
    routing->redirect_of_slot[slot] = static_cast<uint16_t>(index);
  }
  return routing;
}

namespace {

using namespace co;

// The family's declarations, registered in this order.
const CommandId kClusterCommands[] = {
    CommandId{.name = "CLUSTER",
              .arity = -2,
              .acl = "@slow",
              .async = ClusterCommands::Cluster,
              .group = "cluster",
              .since = "3.0.0",
              .complexity = "Varies with the subcommand.",
              .summary = "Groups the subcommands used in cluster mode."},
    CommandId{.name = "DFLYCLUSTER",
              .arity = -2,
              .flags = kAdmin | kHidden,
              .acl = "@admin @slow @dangerous",
              .async = ClusterCommands::DflyCluster,
              .group = "cluster",
              .since = "7.0.0",
              .complexity = "Varies with the subcommand.",
              .summary =
                  "Administers the Dragonfly-style cluster state through CONFIG, GETSLOTINFO, "
                  "FLUSHSLOTS and SLOT-MIGRATION-STATUS."},
    CommandId{.name = "DFLYMIGRATE",
              .arity = -2,
              .flags = kAdmin | kHidden,
              .acl = "@admin @slow @dangerous",
              .async = ClusterCommands::DflyMigrate,
              .group = "cluster",
              .since = "7.0.0",
              .complexity = "Varies with the subcommand.",
              .summary = "Moves slots from one cluster node to another (INIT, FLOW, ACK)."},
    CommandId{
        .name = "READONLY",
        .arity = 1,
        .flags = kLoading | kStale | kFast,
        .acl = "@fast @connection",
        .sync = ClusterCommands::ReadOnly,
        .group = "cluster",
        .since = "3.0.0",
        .complexity = "O(1)",
        .summary = "Lets this connection have read commands served by a cluster replica node."},
    CommandId{
        .name = "READWRITE",
        .arity = 1,
        .flags = kLoading | kStale | kFast,
        .acl = "@fast @connection",
        .sync = ClusterCommands::ReadWrite,
        .group = "cluster",
        .since = "3.0.0",
        .complexity = "O(1)",
        .summary = "Turns off replica reads for this connection, undoing an earlier READONLY."},
};

}  // namespace

void ClusterFamily::Register(CommandRegistry* registry) {
  for (const CommandId& cid : kClusterCommands) *registry << cid;
  RegisterDebugMigration();
}

}  // namespace darner
