// The command table: one entry per command gives its name, arity, flags, key positions, ACL
// categories and handler. Dispatch, COMMAND, COMMAND INFO/COUNT/LIST/DOCS/GETKEYS are all
// driven by it. Adding a command = its table entry + its handler + its test.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <asio/awaitable.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "facade/service_interface.h"

namespace darner {

struct CommandContext;

namespace co {
enum Flag : uint32_t {
  kWrite = 1 << 0,
  kReadOnly = 1 << 1,
  kDenyOom = 1 << 2,
  kFast = 1 << 3,
  kAdmin = 1 << 4,
  kNoScript = 1 << 5,
  kLoading = 1 << 6,
  kStale = 1 << 7,
  kNoAuth = 1 << 8,  // allowed before AUTH
  kAllowBusy = 1 << 9,
  kSkipMonitor = 1 << 10,
  kSkipSlowlog = 1 << 11,
  kPubSub = 1 << 12,
  kMayReplicate = 1 << 13,
  kNoMandatoryKeys = 1 << 14,
  kMovableKeys = 1 << 15,
  kBlocking = 1 << 16,
  kNoMulti = 1 << 17,
  kNoAsyncLoading = 1 << 18,
  kHidden = 1 << 19,  // runs, but COMMAND does not list or describe it (node-to-node commands)
};
}  // namespace co

// Runs on the thread of the shard that owns the command's keys (or on the connection's thread
// for keyless commands) and writes exactly one reply.
using SyncHandler = void (*)(CmdArgList args, CommandContext& cx);
// Runs on the connection's thread as a coroutine; reaches shards through cx.tx. Used by
// commands whose keys may span shards and by commands that visit every shard.
using AsyncHandler = asio::awaitable<void> (*)(CmdArgList args, CommandContext& cx);

struct CommandId {
  std::string name;  // upper case
  int arity = 0;     // Redis convention: negative = at least -arity arguments, name included
  uint32_t flags = 0;
  int first_key = 0;  // 0: no keys
  int last_key = 0;   // negative: counted from the end
  int key_step = 0;
  std::string acl_categories;  // "@read @string @fast"
  SyncHandler sync = nullptr;
  AsyncHandler async = nullptr;
  // Redis 7 COMMAND DOCS fields.
  std::string summary;
  std::string since;
  std::string group;
  std::string complexity;
  size_t index = 0;  // dense, assigned at registration (for per-command statistics)
  // Container commands (CONFIG, CLIENT, ...) list their subcommands, registered as
  // "PARENT|SUB" entries; the dispatcher resolves argv[1] to one of them.
  std::vector<const CommandId*> subcommands;
  const CommandId* parent = nullptr;
  // Allowed only on the admin port (--restricted_commands); subcommands follow their parent.
  bool restricted = false;

  bool IsWrite() const { return flags & co::kWrite; }
  bool IsHidden() const { return flags & co::kHidden; }
  bool HasKeys() const { return first_key > 0; }
  // Positions (into the full argument list, name at 0) of the keys of this invocation.
  void KeyPositions(size_t argc, std::vector<size_t>* out) const;
};

class CommandRegistry {
 public:
  // Registers a command; "PARENT|SUB" names register a subcommand of an existing PARENT.
  CommandRegistry& operator<<(CommandId cid);
  const CommandId* Find(std::string_view name) const;  // case-insensitive, "config|get" too
  const CommandId* FindSub(const CommandId& parent, std::string_view sub) const;
  // Marks `name` (a top-level command, with its subcommands) admin-port only; false if unknown.
  bool Restrict(std::string_view name);
  // Number of top-level commands (what COMMAND COUNT reports).
  size_t top_level_count() const { return top_level_; }
  size_t size() const { return commands_.size(); }
  template <typename F>
  void ForEach(F&& fn) const {
    for (const CommandId& cid : commands_) fn(cid);
  }

 private:
  std::deque<CommandId> commands_;  // stable addresses
  size_t top_level_ = 0;
  absl::flat_hash_map<std::string, const CommandId*> by_name_;
};

class ReplyBuilder;
// Send the Redis 7 `COMMAND INFO` and `COMMAND DOCS` entries for cid.
void SendCommandInfo(const CommandId& cid, ReplyBuilder* rb);
void SendCommandDocs(const CommandId& cid, ReplyBuilder* rb);

}  // namespace darner
