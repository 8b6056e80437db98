// CLUSTER, READONLY and READWRITE: what a cluster client asks any node (see cluster_commands.h).
#include "cluster/cluster_commands.h"

#include <absl/flags/declare.h>
#include <absl/flags/flag.h>

#include "base/numbers.h"
#include "base/strings.h"
#include "cluster/cluster_family.h"
#include "facade/errors.h"
#include "facade/reply_builder.h"
#include "server/conn_context.h"
#include "server/engine_shard.h"
#include "server/service.h"
#include "server/transaction.h"

ABSL_DECLARE_FLAG(int32_t, port);
ABSL_DECLARE_FLAG(std::string, cluster_announce_ip);
ABSL_DECLARE_FLAG(uint32_t, announce_port);

namespace darner {
namespace {

constexpr std::string_view kClusterDisabledErr =
    "Cluster is disabled. Enabled via passing --cluster_mode=emulated|yes";

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
    out->config = ClusterCommands::family()->config();
    if (!out->config) {
      cx.rb->SendError(kClusterNotConfiguredErr);
      return false;
    }
    return true;
  }
  ClusterShard shard;
  shard.slot_ranges = {{0, kNumSlots - 1}};
  shard.master.id = ClusterCommands::family()->my_id();
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
  const std::string& me = ClusterCommands::family()->my_id();
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
    auto config = ClusterCommands::family()->config();
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

}  // namespace

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
    rb->SendSimpleString(family()->my_id());
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

void ClusterCommands::ReadOnly(CmdArgList args, CommandContext& cx) { cx.rb->SendOk(); }

// Dragonfly answers "Cluster is disabled" in `yes` mode too (spec §7.6); Darner says OK in both
// cluster modes, as a cluster client expects.
void ClusterCommands::ReadWrite(CmdArgList args, CommandContext& cx) {
  if (ClusterEnabled()) {
    cx.rb->SendOk();
  } else {
    cx.rb->SendError(kClusterDisabledErr);
  }
}

}  // namespace darner
