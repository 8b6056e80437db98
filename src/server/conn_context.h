// Per-connection server state (database, protocol, authentication, name), and the context a
// command handler receives.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "facade/connection.h"
#include "server/command_registry.h"
#include "server/db_slice.h"
#include "server/engine_shard.h"

namespace darner {

class EngineShard;
class Service;
class Transaction;

struct ConnectionContext {
  Connection* conn = nullptr;
  uint64_t id = 0;
  size_t thread_list_index = 0;  // in Service::ThreadConnections(): O(1) removal
  DbIndex db = 0;
  bool authenticated = false;
  std::string name;
  std::string addr;  // the peer's ip:port, kept for threads that may not ask conn
  // CLIENT SETINFO's library name and version; allocated only when a client sets one.
  struct LibInfo {
    std::string name, version;
  };
  std::unique_ptr<LibInfo> lib;
  // CLIENT REPLY: OFF drops every reply; SKIP drops the replies of the command itself and the
  // next one (reply_skip counts the commands still to drop).
  bool reply_off = false;
  uint8_t reply_skip = 0;
  bool no_evict = false;  // CLIENT NO-EVICT (shown in CLIENT LIST; there is no client eviction)
  int64_t created_ms = 0;
  int64_t last_active_ms = 0;
  const CommandId* last_cmd = nullptr;  // for CLIENT LIST (formatted only there)
  // Commands arriving on a replication or migration stream: applied whatever the slot
  // ownership (cluster routing is skipped).
  bool replicated = false;
  // The last command name looked up, as the client spelled it, and what it resolved to:
  // pipelines usually repeat one command.
  std::string lookup_name;
  const CommandId* lookup_cid = nullptr;
  // Where commands that run on another shard's thread write their replies: lent to that shard
  // for one hop, while this connection waits for it, then absorbed into the connection's own
  // builder on its thread. So the Connection itself is touched only by its own thread.
  ReplyBuilder hop_reply;
  // The same for a squashed batch (Service::RunSquashed): one builder per shard, made on first
  // use, which the shards fill at once.
  std::vector<ReplyBuilder> shard_replies;
};

struct CommandContext {
  Service* service = nullptr;
  ConnectionContext* conn = nullptr;
  ReplyBuilder* rb = nullptr;
  const CommandId* cid = nullptr;
  DbIndex db = 0;
  // The shard a sync handler runs on (nullptr for keyless commands run on the connection's
  // thread); the transaction of an async handler.
  EngineShard* shard = nullptr;
  Transaction* tx = nullptr;

  // For a sync handler's Op* calls.
  OpArgs op_args() const { return OpArgs{shard, db}; }
};

}  // namespace darner
