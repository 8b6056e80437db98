#include "cluster/cluster_family.h"

#include <absl/flags/declare.h>
#include <absl/flags/flag.h>
#include <sys/socket.h>

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>

#include "base/logging.h"
#include "base/numbers.h"
#include "base/strings.h"
#include "cluster/flow_consumer.h"
#include "facade/errors.h"
#include "facade/reply_builder.h"
#include "io/as_tuple.h"
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

ABSL_DECLARE_FLAG(int32_t, port);
ABSL_DECLARE_FLAG(std::string, cluster_announce_ip);
ABSL_DECLARE_FLAG(uint32_t, announce_port);

namespace darner {
namespace {

ClusterFamily* g_family = nullptr;

constexpr std::string_view kClusterDisabledErr =
    "Cluster is disabled. Enabled via passing --cluster_mode=emulated|yes";
constexpr std::string_view kDflyClusterDisabledErr =
    "Cluster is disabled. Use --cluster_mode=yes to enable.";
constexpr std::string_view kInvalidConfigErr = "Invalid cluster configuration.";
// How long applying a config waits for commands routed under the previous one to finish.
constexpr auto kRoutedCommandsWait = std::chrono::seconds(1);
// SO_RCVBUF of incoming flow connections.
constexpr int kFlowReceiveBuffer = 256 * 1024;
// Cap on the flows one INIT may announce (one per source shard).
constexpr uint64_t kMaxFlows = 1024;
// Attempts of one INIT racing other INITs of the same migration (see MigrateInit).
constexpr int kMaxInitTries = 64;
// Cap on the slots one GETSLOTINFO may ask for (each range expands to one reply entry per slot).
constexpr size_t kMaxSlotInfoEntries = 1 << 20;

std::chrono::milliseconds FinalizationTimeout() {
  return std::chrono::milliseconds(absl::GetFlag(FLAGS_migration_finalization_timeout_ms));
}

// Whether the peer of `conn` closed it (a pending EOF; requests pipelined after the current
// one count as open). For ACK: a source closes the control connection when it gives up.
bool PeerClosed(Connection* conn) {
  if (conn->closing()) return true;
  char byte;
  return recv(conn->native_fd(), &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

std::string UnknownSubcommand(std::string_view sub, std::string_view command) {
  return StrCat("Unknown subcommand or wrong number of arguments for '", sub, "'. Try ", command,
                " HELP.");
}

std::string WrongArgs(std::string_view name) {
  return StrCat("wrong number of arguments for '", name, "' command");
}

bool ParseSlotId(std::string_view text, int64_t* slot) {
  return ParseInt64(text, slot) && *slot >= 0 && *slot < int64_t{kNumSlots};
}

// The shards CLUSTER SHARDS/SLOTS/NODES describe: the installed config in `yes` mode, or the
// synthetic single shard of emulated mode (spec §2.2.8).
struct Topology {
  std::shared_ptr<const ClusterConfig> config;  // yes mode
  std::vector<ClusterShard> emulated;
  const std::vector<ClusterShard>& shards() const { return config ? config->shards() : emulated; }
};

// False (and the reply sent) in `yes` mode before the first config.
bool GetTopology(CommandContext& cx, Topology* out) {
  if (GetClusterMode() == ClusterMode::kYes) {
    out->config = g_family->config();
    if (!out->config) {
      cx.rb->SendError(kClusterNotConfiguredErr);
      return false;
    }
    return true;
  }
  ClusterShard shard;
  shard.slot_ranges = {{0, kNumSlots - 1}};
  shard.master.id = g_family->my_id();
  shard.master.ip = absl::GetFlag(FLAGS_cluster_announce_ip);
  if (shard.master.ip.empty()) {
    std::string local = cx.conn->conn->local_addr();
    shard.master.ip = local.substr(0, local.rfind(':'));
  }
  uint32_t port = absl::GetFlag(FLAGS_announce_port);
  shard.master.port = static_cast<uint16_t>(port ? port : absl::GetFlag(FLAGS_port));
  out->emulated.push_back(std::move(shard));
  return true;
}

void SendNode(const ClusterNode& node, bool master, ReplyBuilder* rb) {
  rb->StartArray(14);
  rb->SendBulk("id");
  rb->SendBulk(node.id);
  rb->SendBulk("endpoint");
  rb->SendBulk(node.ip);
  rb->SendBulk("ip");
  rb->SendBulk(node.ip);
  rb->SendBulk("port");
  rb->SendLong(node.port);
  rb->SendBulk("role");
  rb->SendBulk(master ? "master" : "replica");
  rb->SendBulk("replication-offset");
  rb->SendLong(0);
  rb->SendBulk("health");
  rb->SendBulk(HealthName(node.health));
}

void ClusterShards(CommandContext& cx) {
  Topology topo;
  if (!GetTopology(cx, &topo)) return;
  ReplyBuilder* rb = cx.rb;
  rb->StartArray(topo.shards().size());
  for (const ClusterShard& shard : topo.shards()) {
    rb->StartArray(4);
    rb->SendBulk("slots");
    rb->StartArray(shard.slot_ranges.size() * 2);
    for (const SlotRange& r : shard.slot_ranges) {
      rb->SendLong(r.start);
      rb->SendLong(r.end);
    }
    rb->SendBulk("nodes");
    size_t visible = 1;
    for (const ClusterNode& r : shard.replicas) visible += r.health != NodeHealth::kHidden;
    rb->StartArray(visible);
    SendNode(shard.master, true, rb);
    for (const ClusterNode& r : shard.replicas) {
      if (r.health != NodeHealth::kHidden) SendNode(r, false, rb);
    }
  }
}

void ClusterSlots(CommandContext& cx) {
  Topology topo;
  if (!GetTopology(cx, &topo)) return;
  ReplyBuilder* rb = cx.rb;
  size_t entries = 0;
  for (const ClusterShard& shard : topo.shards()) entries += shard.slot_ranges.size();
  rb->StartArray(entries);
  auto send_node = [rb](const ClusterNode& node) {
    rb->StartArray(3);
    rb->SendBulk(node.ip);
    rb->SendLong(node.port);
    rb->SendBulk(node.id);
  };
  for (const ClusterShard& shard : topo.shards()) {
    size_t online = 0;
    for (const ClusterNode& r : shard.replicas) online += r.health == NodeHealth::kOnline;
    for (const SlotRange& range : shard.slot_ranges) {
      rb->StartArray(3 + online);
      rb->SendLong(range.start);
      rb->SendLong(range.end);
      send_node(shard.master);
      for (const ClusterNode& r : shard.replicas) {
        if (r.health == NodeHealth::kOnline) send_node(r);
      }
    }
  }
}

void ClusterNodes(CommandContext& cx) {
  Topology topo;
  if (!GetTopology(cx, &topo)) return;
  const std::string& me = g_family->my_id();
  std::string out;
  auto append_node = [&](const ClusterNode& node, const ClusterShard& shard, bool master) {
    StrAppend(&out, node.id, " ", node.ip, ":", node.port, "@", node.port, " ",
              node.id == me ? "myself," : "", master ? "master " : "slave ",
              master ? std::string_view("-") : std::string_view(shard.master.id), " 0 0 0 ",
              node.health == NodeHealth::kFail ? "disconnected" : "connected");
    if (master) {
      for (const SlotRange& r : shard.slot_ranges) {
        if (r.start == r.end) {
          StrAppend(&out, " ", r.start);
        } else {
          StrAppend(&out, " ", r.start, "-", r.end);
        }
      }
    }
    out += '\n';
  };
  for (const ClusterShard& shard : topo.shards()) {
    append_node(shard.master, shard, true);
    for (const ClusterNode& r : shard.replicas) {
      if (r.health != NodeHealth::kHidden) append_node(r, shard, false);
    }
  }
  cx.rb->SendVerbatim(out);
}

void ClusterInfo(CommandContext& cx) {
  bool ok = true;
  size_t known_nodes = 1, size = 1;
  if (GetClusterMode() == ClusterMode::kYes) {
    auto config = g_family->config();
    ok = config != nullptr;
    known_nodes = size = 0;
    if (config) {
      for (const ClusterShard& shard : config->shards()) {
        known_nodes += 1 + shard.replicas.size();
        size += !shard.slot_ranges.empty();
      }
    }
  }
  size_t slots = ok ? kNumSlots : 0;
  std::string out = StrCat(
      "cluster_state:", ok ? "ok" : "fail", "\r\ncluster_slots_assigned:", slots,
      "\r\ncluster_slots_ok:", slots,
      "\r\ncluster_slots_pfail:0\r\ncluster_slots_fail:0\r\ncluster_known_nodes:", known_nodes,
      "\r\ncluster_size:", size,
      "\r\ncluster_current_epoch:1\r\ncluster_my_epoch:1\r\n"
      "cluster_stats_messages_ping_sent:1\r\ncluster_stats_messages_pong_sent:1\r\n"
      "cluster_stats_messages_sent:1\r\ncluster_stats_messages_ping_received:1\r\n"
      "cluster_stats_messages_pong_received:1\r\n"
      "cluster_stats_messages_meet_received:0\r\n"
      "cluster_stats_messages_received:1\r\n");
  cx.rb->SendVerbatim(out);
}

void ClusterHelp(ReplyBuilder* rb) {
  rb->SendSimpleStrings({
      "CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "SLOTS",
      "   Return information about slots range mappings. Each range is made of:",
      "   start, end, master and replicas IP addresses, ports and ids",
      "NODES",
      "   Return cluster configuration seen by node. Output format:",
      "   <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
      "INFO",
      "  Return information about the cluster",
      "HELP",
      "    Prints this help.",
  });
}

// Keys of `slot` in the connection's database: how many (limit = 0), or up to `limit` names.
asio::awaitable<void> KeysInSlot(CommandContext& cx, SlotId slot, int64_t limit, bool names) {
  unsigned shard = slot % cx.service->num_shards();
  DbIndex db = cx.db;
  std::vector<std::string> keys;
  size_t count = co_await cx.tx->RunOn(shard, [&](EngineShard& s) -> size_t {
    if (!s.HasDb(db)) return 0;
    const DbSlice& slice = s.db(db);
    unsigned pos = slot / cx.service->num_shards();
    if (!names) {
      size_t n = 0;
      uint64_t cursor = 0;
      do {
        cursor = slice.ScanSlot(pos, cursor, [&n](KeyEntry*) { ++n; });
      } while (cursor != 0);
      return n;
    }
    uint64_t cursor = 0;
    do {
      cursor = slice.ScanSlot(pos, cursor, [&](KeyEntry* e) {
        if (static_cast<int64_t>(keys.size()) < limit) keys.emplace_back(e->key());
      });
    } while (cursor != 0 && static_cast<int64_t>(keys.size()) < limit);
    return keys.size();
  });
  if (!names) {
    cx.rb->SendLong(static_cast<int64_t>(count));
    co_return;
  }
  cx.rb->StartArray(keys.size());
  for (const std::string& k : keys) cx.rb->SendBulk(k);
}

// A transaction for control-plane work that runs outside any command (routing changes made by a
// migration, late detaches): it only hops between shards, with no keys.
std::unique_ptr<Transaction> ControlTransaction(Service* service) {
  static const std::string_view kArgs[] = {"DFLYCLUSTER"};
  return std::make_unique<Transaction>(service, CmdArgList(kArgs),
                                       service->registry().Find("DFLYCLUSTER"));
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

// The command handlers, with access to the family's state.
struct ClusterCommands {
  static asio::awaitable<void> Cluster(CmdArgList args, CommandContext& cx);
  static asio::awaitable<void> DflyCluster(CmdArgList args, CommandContext& cx);
  static asio::awaitable<void> Config(std::string_view json, CommandContext& cx);
  static asio::awaitable<void> GetSlotInfo(CmdArgList args, CommandContext& cx);
  static asio::awaitable<void> FlushSlots(CmdArgList args, CommandContext& cx);
  static asio::awaitable<void> MigrationStatus(std::string_view node_id, CommandContext& cx);
  static asio::awaitable<void> DflyMigrate(CmdArgList args, CommandContext& cx);
  static asio::awaitable<void> MigrateInit(CmdArgList args, CommandContext& cx);
  static asio::awaitable<void> MigrateFlow(CmdArgList args, CommandContext& cx);
  static asio::awaitable<void> MigrateAck(CmdArgList args, CommandContext& cx);
  static void ReadOnly(CmdArgList args, CommandContext& cx) { cx.rb->SendOk(); }
  // Dragonfly answers "Cluster is disabled" in `yes` mode too (spec §7.6); Darner says OK in
  // both cluster modes, as a cluster client expects.
  static void ReadWrite(CmdArgList args, CommandContext& cx) {
    if (ClusterEnabled()) {
      cx.rb->SendOk();
    } else {
      cx.rb->SendError(kClusterDisabledErr);
    }
  }
};

asio::awaitable<void> ClusterCommands::Cluster(CmdArgList args, CommandContext& cx) {
  ReplyBuilder* rb = cx.rb;
  if (!ClusterEnabled()) {
    rb->SendError(kClusterDisabledErr);
    co_return;
  }
  std::string sub = ToUpper(args[0]);
  if (sub == "KEYSLOT") {
    if (args.size() != 2) {
      rb->SendError(WrongArgs("cluster keyslot"));
    } else {
      rb->SendLong(KeySlot(args[1]));
    }
    co_return;
  }
  // Redis semantics (Dragonfly has neither).
  if (sub == "COUNTKEYSINSLOT" || sub == "GETKEYSINSLOT") {
    bool names = sub == "GETKEYSINSLOT";
    if (args.size() != (names ? 3u : 2u)) {
      rb->SendError(WrongArgs(StrCat("cluster|", ToLower(sub))));
      co_return;
    }
    int64_t slot, limit = 0;
    if (!ParseInt64(args[1], &slot) || (names && !ParseInt64(args[2], &limit))) {
      rb->SendError(kInvalidIntErr);
      co_return;
    }
    if (slot < 0 || slot >= int64_t{kNumSlots} || limit < 0) {
      rb->SendError(names ? "Invalid slot or number of keys" : "Invalid slot");
      co_return;
    }
    co_await KeysInSlot(cx, static_cast<SlotId>(slot), limit, names);
    co_return;
  }
  // Like Dragonfly: any other subcommand takes no arguments.
  if (args.size() > 1) {
    rb->SendError(WrongArgs(StrCat("cluster ", ToLower(sub))));
  } else if (sub == "MYID") {
    rb->SendSimpleString(g_family->my_id());
  } else if (sub == "SHARDS") {
    ClusterShards(cx);
  } else if (sub == "SLOTS") {
    ClusterSlots(cx);
  } else if (sub == "NODES") {
    ClusterNodes(cx);
  } else if (sub == "INFO") {
    ClusterInfo(cx);
  } else if (sub == "HELP") {
    ClusterHelp(rb);
  } else {
    rb->SendError(UnknownSubcommand(sub, "CLUSTER"));
  }
}

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
    co_await MigrationStatus(args.size() == 2 ? args[1] : std::string_view{}, cx);
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

  // Outgoing migrations the new config no longer has (or has changed) are cancelled; their
  // slots stay here if the config still gives them to this node, and are flushed below if not.
  std::vector<std::shared_ptr<OutgoingMigration>> cancelled;
  {
    std::lock_guard lk(f->migrations_mu_);
    auto& list = f->outgoing_;
    for (auto it = list.begin(); it != list.end();) {
      const auto& wanted = config->outgoing_migrations();
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

  // Incoming migrations the new config no longer has are stopped and dropped; whatever they
  // streamed in is flushed below unless the node serves those slots under the new config.
  std::vector<std::shared_ptr<IncomingMigration>> dropped;
  {
    std::lock_guard lk(f->migrations_mu_);
    auto& list = f->incoming_;
    for (auto it = list.begin(); it != list.end();) {
      bool kept = false;
      for (const IncomingMigrationInfo& m : config->incoming_migrations()) {
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

  SlotSet held = f->HeldSlots(*config);
  SlotSet flush = before.Minus(held);
  flush |= partial.Minus(held);
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
  // New incoming migrations wait in CONNECTING for the source's INIT; created after the flush
  // so that nothing they receive is wiped.
  {
    std::lock_guard lk(f->migrations_mu_);
    for (const IncomingMigrationInfo& m : config->incoming_migrations()) {
      bool exists = false;
      for (const auto& in : f->incoming_) {
        exists |= in->source_id() == m.source_id && in->ranges() == m.info.slot_ranges;
      }
      if (!exists) {
        f->incoming_.push_back(std::make_shared<IncomingMigration>(m.source_id, m.info.slot_ranges,
                                                                   cx.service->pool()));
      }
    }
  }
  // New outgoing migrations start now (the target may not know them yet: INIT retries).
  std::vector<std::shared_ptr<OutgoingMigration>> started;
  {
    std::lock_guard lk(f->migrations_mu_);
    for (const MigrationInfo& m : config->outgoing_migrations()) {
      bool exists = false;
      for (const auto& out : f->outgoing_) exists |= out->info() == m;
      if (!exists) {
        f->outgoing_.push_back(std::make_shared<OutgoingMigration>(f->my_id_, m, cx.service, f));
        started.push_back(f->outgoing_.back());
      }
    }
  }
  for (const auto& m : started) m->Start();
  f->UnlockApply();
  cx.rb->SendOk();
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

asio::awaitable<void> ClusterCommands::MigrationStatus(std::string_view node_id,
                                                       CommandContext& cx) {
  struct Row {
    std::string_view direction;
    std::string peer;
    MigrationState state;
    uint64_t keys;
    std::string error;
    std::string ranges;
  };
  std::vector<Row> rows;
  for (const auto& m : g_family->incoming()) {
    if (!node_id.empty() && m->source_id() != node_id) continue;
    MigrationState state = m->state();
    uint64_t keys = state == MigrationState::kFinished
                        ? m->keys_at_finish()
                        : co_await CountKeys(cx.service, cx.tx, m->slots());
    std::string error = m->error();
    rows.push_back({"in", m->source_id(), state, keys, error.empty() ? "0" : error,
                    SlotRangesToString(m->ranges())});
  }
  for (const auto& m : g_family->outgoing()) {
    if (!node_id.empty() && m->target_id() != node_id) continue;
    MigrationState state = m->state();
    uint64_t keys = m->keys_at_finish();
    if (state != MigrationState::kFinished)
      keys = co_await CountKeys(cx.service, cx.tx, m->slots());
    std::string error = m->error();
    rows.push_back({"out", m->target_id(), state, keys, error.empty() ? "0" : error,
                    SlotRangesToString(m->info().slot_ranges)});
  }
  ReplyBuilder* rb = cx.rb;
  rb->StartArray(rows.size());
  for (const Row& r : rows) {
    rb->StartArray(6);
    rb->SendBulk(r.direction);
    rb->SendBulk(r.peer);
    rb->SendBulk(MigrationStateName(r.state));
    rb->SendLong(static_cast<int64_t>(r.keys));
    rb->SendBulk(r.error);
    rb->SendBulk(r.ranges);
  }
}

asio::awaitable<void> ClusterCommands::DflyMigrate(CmdArgList args, CommandContext& cx) {
  std::string sub = ToUpper(args[0]);
  if (sub == "INIT" && args.size() >= 5) {
    co_await MigrateInit(args.subspan(1), cx);
  } else if (sub == "FLOW" && args.size() == 3) {
    co_await MigrateFlow(args.subspan(1), cx);
  } else if (sub == "ACK" && args.size() == 3) {
    co_await MigrateAck(args.subspan(1), cx);
  } else {
    cx.rb->SendError(UnknownSubcommand(sub, "DFLYMIGRATE"));
  }
}

// INIT <source_id> <num_flows> <start> <end> [<start> <end> ...]
asio::awaitable<void> ClusterCommands::MigrateInit(CmdArgList args, CommandContext& cx) {
  ReplyBuilder* rb = cx.rb;
  uint64_t num_flows;
  if (!ParseUint64(args[1], &num_flows)) {
    rb->SendError(kInvalidIntErr);
    co_return;
  }
  if ((args.size() - 2) % 2 != 0) {
    rb->SendError(kSyntaxErr);
    co_return;
  }
  if (num_flows == 0 || num_flows > kMaxFlows) {
    rb->SendError("invalid number of flows");
    co_return;
  }
  SlotRanges ranges;
  for (size_t i = 2; i < args.size(); i += 2) {
    int64_t start, end;
    if (!ParseSlotId(args[i], &start) || !ParseSlotId(args[i + 1], &end)) {
      rb->SendError(kInvalidIntErr);
      co_return;
    }
    ranges.push_back({static_cast<SlotId>(start), static_cast<SlotId>(end)});
  }
  std::sort(ranges.begin(), ranges.end());
  if (TakeMigrationFault(MigrationFault::kInitError)) {
    rb->SendError("injected INIT fault");
    co_return;
  }
  std::shared_ptr<IncomingMigration> m;
  for (const auto& in : g_family->incoming()) {
    if (in->source_id() == args[0] && in->ranges() == ranges) m = in;
  }
  if (!m) {
    rb->SendSimpleString("UNKNOWN_MIGRATION");
    co_return;
  }
  // Concurrent INITs of one migration (a restarting source retrying) are serialized by the
  // flow table's generation: an INIT whose table was replaced by another INIT after it looked
  // stops and flushes again, so the last INIT to answer +OK owns every flow that attached.
  // Each retry follows another INIT's success, so the loop is bounded by the concurrency.
  bool initialized = false;
  for (int tries = 0; tries < kMaxInitTries && !initialized; ++tries) {
    uint64_t generation = m->generation();
    if (m->state() != MigrationState::kConnecting) {
      // A re-INIT after a failed attempt: stop the old flows and start over from empty slots.
      std::chrono::microseconds took;
      co_await m->Stop(FinalizationTimeout(), &took);
      LOG(INFO) << "Incoming migration from " << m->source_id() << " restarted; stopped in "
                << took.count() << " us";
      const SlotSet& slots = m->slots();
      co_await cx.tx->RunOnAll([&slots](EngineShard& s) { s.DetachSlots(slots.bits()); });
      if (m->state() == MigrationState::kFatal) {
        rb->SendError("-INCOMING_MIGRATION_OOM");
        co_return;
      }
    }
    if (int64_t ms = MigrationFaultValue(MigrationFault::kInitDelayMs); ms > 0) {
      asio::steady_timer timer(co_await asio::this_coro::executor);
      timer.expires_after(std::chrono::milliseconds(ms));
      co_await timer.async_wait(kAsTuple);
    }
    initialized = m->Init(static_cast<uint32_t>(num_flows), generation);
  }
  if (!initialized) {
    rb->SendError("migration is being restarted by other INITs");
    co_return;
  }
  LOG(INFO) << "Incoming migration from " << m->source_id() << " of " << SlotRangesToString(ranges)
            << " with " << num_flows << " flows";
  rb->SendOk();
}

// FLOW <source_id> <shard_id>: after +OK the connection carries only the flow's records.
asio::awaitable<void> ClusterCommands::MigrateFlow(CmdArgList args, CommandContext& cx) {
  ReplyBuilder* rb = cx.rb;
  std::shared_ptr<IncomingMigration> m = g_family->FindIncoming(args[0]);
  if (!m) {
    rb->SendError("syncid not found");
    co_return;
  }
  uint64_t flow;
  if (!ParseUint64(args[1], &flow) || flow > kMaxFlows) {
    rb->SendError(kInvalidIntErr);
    co_return;
  }
  Connection* conn = cx.conn->conn;
  if (conn->has_takeover() || cx.conn->replicated) {
    rb->SendError("connection is already a migration flow");
    co_return;
  }
  std::string error;
  if (!m->AttachFlow(static_cast<uint32_t>(flow), conn, &error)) {
    rb->SendError(error);
    co_return;
  }
  cx.conn->name = StrCat("migration_flow_", m->source_id());
  cx.conn->replicated = true;
  // A bounded receive buffer keeps what the source has sent but this node has not applied
  // small and visible to the source (as unacknowledged bytes), so the source pauses writes
  // for finalization only once this node has nearly caught up.
  int rcvbuf = kFlowReceiveBuffer;
  setsockopt(conn->native_fd(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
  conn->SetTakeover(
      std::make_unique<FlowConsumer>(m, static_cast<uint32_t>(flow), cx.service, conn));
  rb->SendOk();
}

// ACK <source_id> <attempt>
asio::awaitable<void> ClusterCommands::MigrateAck(CmdArgList args, CommandContext& cx) {
  ReplyBuilder* rb = cx.rb;
  uint64_t attempt;
  if (!ParseUint64(args[1], &attempt)) {
    rb->SendError(kInvalidIntErr);
    co_return;
  }
  std::shared_ptr<const ClusterConfig> config = g_family->config();
  bool configured = false;
  if (config) {
    for (const IncomingMigrationInfo& m : config->incoming_migrations()) {
      configured |= m.source_id == args[0];
    }
  }
  if (!configured) {
    rb->SendSimpleString("UNKNOWN_MIGRATION");
    co_return;
  }
  std::shared_ptr<IncomingMigration> m = g_family->FindIncoming(args[0]);
  if (!m) {
    rb->SendError("syncid not found");
    co_return;
  }
  asio::steady_timer timer(co_await asio::this_coro::executor);
  if (int64_t ms = MigrationFaultValue(MigrationFault::kAckDelayMs); ms > 0) {
    timer.expires_after(std::chrono::milliseconds(ms));
    co_await timer.async_wait(kAsTuple);
  }
  if (TakeMigrationFault(MigrationFault::kAckDrop)) {
    LOG(WARNING) << "Injected fault: dropping ACK " << attempt << " from " << args[0];
    cx.conn->conn->Close();
    co_return;
  }
  // Join: every flow must have parked at this attempt's marker. A source that gave the
  // attempt up (its pause limit passed) closed this connection before it let writes after the
  // marker happen: the attempt is not finished here then, whatever the flows show.
  using Join = IncomingMigration::Join;
  auto deadline = std::chrono::steady_clock::now() + FinalizationTimeout();
  Join join = Join::kWaiting;
  bool abandoned = false;
  bool fatal = false;
  co_await WaitUntil(nullptr, deadline,
                     [&] {
                       fatal = m->state() == MigrationState::kFatal;
                       if (!fatal) {
                         join = m->Joined(attempt);
                         abandoned = PeerClosed(cx.conn->conn);
                       }
                       return fatal || join != Join::kWaiting || abandoned;
                     },
                     // The pause on the source lasts about this long.
                     {std::chrono::microseconds(250), std::chrono::microseconds(250)});
  if (fatal) {
    rb->SendError("-INCOMING_MIGRATION_OOM");
    co_return;
  }
  if (abandoned) {
    LOG(WARNING) << "ACK " << attempt << " from " << m->source_id()
                 << " abandoned by the source: not finishing that attempt";
    co_return;
  }
  if (join != Join::kJoined) {
    LOG(WARNING) << (join == Join::kDataAfterMarker
                         ? "Can't join migration because of data after LSN for "
                     : join == Join::kSuperseded
                         ? "Can't join migration (a later attempt's marker arrived) for "
                         : "Can't join migration in time for ")
                 << m->source_id();
    m->RecordError("Can't join migration in time", false);
    rb->SendError("Join timeout happened");
    co_return;
  }
  if (m->state() != MigrationState::kFinished) {
    // The slots are served from now on, before the closing config arrives.
    ClusterFamily* f = g_family;
    co_await f->LockApply();
    m->Finish(co_await CountKeys(cx.service, cx.tx, m->slots()));
    std::shared_ptr<const ClusterConfig> now = f->config();
    if (now) {
      co_await cx.service->PublishRouting(f->RoutingNow(*now), cx.tx);
    }
    f->UnlockApply();
    LOG(INFO) << "Incoming migration from " << m->source_id() << " finished at attempt " << attempt;
  }
  rb->SendLong(static_cast<int64_t>(attempt));
}

ClusterFamily::ClusterFamily(Service* service) : service_(service) {
  CHECK(g_family == nullptr) << "one ClusterFamily per process";
  g_family = this;
}

ClusterFamily::~ClusterFamily() { g_family = nullptr; }

// A LockApply() caller waiting for its turn. `wake` is a scope used as a one-shot event: the
// holder cancels it to hand the lock over (granted), or the caller's own scope (its parent)
// does, to give up.
struct ClusterFamily::ApplyWaiter {
  ApplyWaiter() = default;
  explicit ApplyWaiter(CancelScope& parent) : wake(parent) {}
  CancelScope wake;
  bool granted = false;  // under apply_mu_
};

asio::awaitable<bool> ClusterFamily::LockApply(CancelScope* scope) {
  std::shared_ptr<ApplyWaiter> waiter;
  {
    std::lock_guard lk(apply_mu_);
    if (scope != nullptr && scope->cancelled()) co_return false;
    if (!applying_) {
      applying_ = true;
      co_return true;
    }
    waiter =
        scope != nullptr ? std::make_shared<ApplyWaiter>(*scope) : std::make_shared<ApplyWaiter>();
    apply_waiters_.push_back(waiter);
  }
  co_await SleepFor(waiter->wake, std::chrono::hours(24 * 365));
  std::shared_ptr<ApplyWaiter> next;
  {
    std::lock_guard lk(apply_mu_);
    if (!waiter->granted) {
      std::erase(apply_waiters_, waiter);  // our scope was cancelled first
      co_return false;
    }
    if (scope == nullptr || !scope->cancelled()) co_return true;
    next = HandOffApply();  // granted, but cancelled meanwhile: pass the lock on
  }
  if (next) next->wake.Cancel();
  co_return false;
}

std::shared_ptr<ClusterFamily::ApplyWaiter> ClusterFamily::HandOffApply() {
  while (!apply_waiters_.empty()) {
    std::shared_ptr<ApplyWaiter> w = std::move(apply_waiters_.front());
    apply_waiters_.pop_front();
    if (w->wake.cancelled()) continue;  // gave up (its scope was cancelled)
    w->granted = true;
    return w;
  }
  applying_ = false;
  return nullptr;
}

void ClusterFamily::UnlockApply() {
  std::shared_ptr<ApplyWaiter> next;
  {
    std::lock_guard lk(apply_mu_);
    next = HandOffApply();
  }
  if (next) next->wake.Cancel();
}

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

void ClusterFamily::Register(CommandRegistry* registry) {
  using namespace co;
  *registry
      << CommandId{.name = "CLUSTER",
                   .arity = -2,
                   .acl = "@slow",
                   .async = ClusterCommands::Cluster,
                   .group = "cluster",
                   .since = "3.0.0",
                   .complexity = "Varies with the subcommand.",
                   .summary = "Groups the subcommands used in cluster mode."}
      << CommandId{.name = "DFLYCLUSTER",
                   .arity = -2,
                   .flags = kAdmin | kHidden,
                   .acl = "@admin @slow @dangerous",
                   .async = ClusterCommands::DflyCluster,
                   .group = "cluster",
                   .since = "7.0.0",
                   .complexity = "Varies with the subcommand.",
                   .summary =
                       "Administers the Dragonfly-style cluster state through CONFIG, GETSLOTINFO, "
                       "FLUSHSLOTS and SLOT-MIGRATION-STATUS."}
      << CommandId{.name = "DFLYMIGRATE",
                   .arity = -2,
                   .flags = kAdmin | kHidden,
                   .acl = "@admin @slow @dangerous",
                   .async = ClusterCommands::DflyMigrate,
                   .group = "cluster",
                   .since = "7.0.0",
                   .complexity = "Varies with the subcommand.",
                   .summary = "Moves slots from one cluster node to another (INIT, FLOW, ACK)."}
      << CommandId{.name = "READONLY",
                   .arity = 1,
                   .flags = kLoading | kStale | kFast,
                   .acl = "@fast @connection",
                   .sync = ClusterCommands::ReadOnly,
                   .group = "cluster",
                   .since = "3.0.0",
                   .complexity = "O(1)",
                   .summary =
                       "Lets this connection have read commands served by a cluster replica node."}
      << CommandId{.name = "READWRITE",
                   .arity = 1,
                   .flags = kLoading | kStale | kFast,
                   .acl = "@fast @connection",
                   .sync = ClusterCommands::ReadWrite,
                   .group = "cluster",
                   .since = "3.0.0",
                   .complexity = "O(1)",
                   .summary =
                       "Turns off replica reads for this connection, undoing an earlier READONLY."};
}

}  // namespace darner
