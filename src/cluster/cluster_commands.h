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
  static asio::awaitable<void> MigrationStatus(std::string_view node_id, CommandContext& cx);

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
