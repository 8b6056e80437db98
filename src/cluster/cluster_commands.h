// Private to src/cluster: the handlers of cluster mode's commands and the small pieces they
// share. ClusterCommands is a friend of ClusterFamily and the only code outside it that touches
// the family's state; each handler parses its arguments, does its work through the family and
// the command's transaction, and replies. The handlers live in three files, one per seam:
//  - cluster_commands.cc: CLUSTER (the read-only topology views, KEYSLOT, COUNTKEYSINSLOT,
//    GETKEYSINSLOT), READONLY and READWRITE. They only read the installed config and the keys;
//    they never change the config, the routing or a migration.
//  - cluster_family.cc: DFLYCLUSTER, the control plane (CONFIG, GETSLOTINFO, FLUSHSLOTS,
//    SLOT-MIGRATION-STATUS), and the command table ClusterFamily::Register installs.
//  - migration_target.cc: DFLYMIGRATE (INIT, FLOW, ACK), the target side of a migration, sent
//    by a source node's OutgoingMigration. It changes the routing only under the apply lock.
// No handler holds a lock across a wait. Not for src/server: the server sees only
// ClusterFamily.
#pragma once

#include <asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "cluster/cluster_config.h"
#include "server/command_registry.h"

namespace darner {

class ClusterFamily;
class Service;
class Transaction;

struct ClusterCommands {
  // The process's one ClusterFamily (set while it exists).
  static ClusterFamily* family();

  // cluster_commands.cc
  static asio::awaitable<void> Cluster(CmdArgList args, CommandContext& cx);
  static void ReadOnly(CmdArgList args, CommandContext& cx);
  static void ReadWrite(CmdArgList args, CommandContext& cx);

  // cluster_family.cc
  static asio::awaitable<void> DflyCluster(CmdArgList args, CommandContext& cx);
  static asio::awaitable<void> Config(std::string_view json, CommandContext& cx);
  static asio::awaitable<void> GetSlotInfo(CmdArgList args, CommandContext& cx);
  static asio::awaitable<void> FlushSlots(CmdArgList args, CommandContext& cx);
  static asio::awaitable<void> SlotMigrationStatus(std::string_view node_id, CommandContext& cx);
  // The steps of Config, in order, each run under the apply lock:
  // Stops and forgets the outgoing migrations `config` no longer lists (or lists changed).
  static asio::awaitable<void> StopDroppedOutgoing(const ClusterConfig& config);
  // Stops and forgets the incoming migrations `config` no longer lists; returns their slots.
  static asio::awaitable<SlotSet> StopDroppedIncoming(const ClusterConfig& config);
  // Installs `config`, publishes its routing and detaches `flush` once the commands admitted
  // under the old routing finished (or at once, and again later, if they take too long).
  static asio::awaitable<void> InstallConfig(std::shared_ptr<const ClusterConfig> config,
                                             const SlotSet& flush, CommandContext& cx);
  // Creates the migrations `config` lists that do not exist yet, and starts the outgoing ones.
  static void AddNewMigrations(const ClusterConfig& config, Service* service);

  // migration_target.cc
  static asio::awaitable<void> DflyMigrate(CmdArgList args, CommandContext& cx);
  static asio::awaitable<void> MigrateInit(CmdArgList args, CommandContext& cx);
  static asio::awaitable<void> MigrateFlow(CmdArgList args, CommandContext& cx);
  static asio::awaitable<void> MigrateAck(CmdArgList args, CommandContext& cx);
};

// "Unknown subcommand or wrong number of arguments for '<sub>'. Try <command> HELP."
std::string UnknownSubcommand(std::string_view sub, std::string_view command);
// "wrong number of arguments for '<name>' command"
std::string WrongArgs(std::string_view name);
// A slot id in [0, kNumSlots).
bool ParseSlotId(std::string_view text, int64_t* slot);
// --migration_finalization_timeout_ms.
std::chrono::milliseconds FinalizationTimeout();
// Keys this node holds in `slots` (database 0, the only one in cluster mode).
asio::awaitable<uint64_t> CountKeys(Service* service, Transaction* tx, const SlotSet& slots);

}  // namespace darner
