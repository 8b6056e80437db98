// The command table: one declaration per command gives its name, arity, flags, ACL categories,
// key specs, handler and documentation. Dispatch, routing, transaction locks and COMMAND
// INFO/COUNT/LIST/DOCS/GETKEYS are all driven by it. Adding a command = its declaration + its
// handler + its test.
#pragma once

#include <absl/container/flat_hash_map.h>
#include <absl/functional/function_ref.h>

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

// Key specs: where a command's keys are, as Redis 7 describes them. Every consumer (routing,
// transaction locks, COMMAND INFO/GETKEYS, the migration target's checks) reads these; nothing
// else knows key positions.
namespace ks {
enum Flag : uint16_t {
  kRO = 1 << 0,              // the command reads the key's value (and does not change it)
  kRW = 1 << 1,              // reads and changes it
  kOW = 1 << 2,              // overwrites it without reading it
  kRM = 1 << 3,              // removes it
  kAccess = 1 << 4,          // the user sees (part of) the value
  kUpdate = 1 << 5,          // an existing value is changed
  kInsert = 1 << 6,          // a value is added (the key, or an element)
  kDelete = 1 << 7,          // a value is removed
  kNotKey = 1 << 8,          // a name in a key position that is not a key (routing only)
  kIncomplete = 1 << 9,      // the spec may miss keys (the command finds the rest itself)
  kVariableFlags = 1 << 10,  // the flags depend on the other arguments
};
}  // namespace ks

struct KeySpec {
  enum class Find : uint8_t { kRange, kKeynum };
  uint16_t flags = 0;  // ks::Flag
  // Where the search begins: argument `index` (name at 0), or, when `keyword` is set, the
  // argument after `keyword`, searched from `startfrom` (negative: from the end, backwards).
  int index = 0;
  std::string_view keyword;
  int startfrom = 0;
  // Which arguments from there are keys. kRange: up to `lastkey` (relative to the start;
  // negative counts from the end of the arguments), every `keystep`-th; a `limit` > 1 with
  // lastkey -1 takes only the first 1/limit of what remains. kKeynum: the argument
  // `keynumidx` after the start holds the number of keys, which begin `firstkey` after it.
  Find find = Find::kRange;
  int lastkey = 0;
  int keystep = 1;
  int limit = 0;
  int keynumidx = 0;
  int firstkey = 1;
  std::string_view notes;  // shown by COMMAND INFO
};

// COMMAND DOCS argument descriptions: the tree of a command's arguments, as Redis 7 gives it.
namespace arg {
enum Type : uint8_t {
  kString,
  kInteger,
  kDouble,
  kKey,        // a key name; key_spec_index says which of the command's key specs finds it
  kPattern,    // a glob-style pattern
  kUnixTime,   // a Unix timestamp
  kPureToken,  // the token alone, no value
  kOneOf,      // exactly one of `args`
  kBlock,      // all of `args`, in order
};
enum Flag : uint8_t {
  kOptional = 1 << 0,
  kMultiple = 1 << 1,       // may repeat
  kMultipleToken = 1 << 2,  // repeats with its token before each value
};
}  // namespace arg

struct CommandArg {
  std::string_view name;
  arg::Type type = arg::kString;
  int key_spec_index = -1;  // kKey: the index into the command's `keys`
  std::string_view token;   // the keyword written before the value ("EX", "MATCH"), if any
  std::string_view summary;
  std::string_view since;             // the version that added the argument, when not the first
  std::string_view deprecated_since;  // the version from which it is kept only for compatibility
  uint8_t flags = 0;                  // arg::Flag
  std::vector<CommandArg> args;       // kOneOf and kBlock: their members
};

// One change to a command, for COMMAND DOCS: the version that made it and what it changed.
struct CommandHistory {
  std::string_view version;
  std::string_view text;
};

namespace doc {
enum Flag : uint8_t {
  kDeprecated = 1 << 0,  // kept for compatibility; `replaced_by` says what to use instead
  kSysCmd = 1 << 1,      // a system command, not meant for applications
};
}  // namespace doc

// Runs on the thread of the shard that owns the command's keys (or on the connection's thread
// for keyless commands) and writes exactly one reply into cx.rb: the connection's builder on
// its own thread, the builder it lent for the hop on another shard's. Never touches the
// Connection itself from another thread. Written as a Cmd* around Op* functions.
using SyncHandler = void (*)(CmdArgList args, CommandContext& cx);
// Runs on the connection's thread as a coroutine; reaches shards through cx.tx. Used by
// commands whose keys may span shards and by commands that visit every shard.
using AsyncHandler = asio::awaitable<void> (*)(CmdArgList args, CommandContext& cx);
// For a command with a kVariableFlags key spec: the ks::Flag flags of the keys that spec
// `spec_index` finds in this invocation (`args` with the name at 0), as COMMAND
// GETKEYSANDFLAGS reports them (SET with GET reads the old value; BITFIELD with only GETs reads).
using KeyFlagsFn = uint16_t (*)(CmdArgList args, size_t spec_index);

// One command's declaration, written with designated initializers in its family's
// registration: {.name = "GET", .arity = 2, ...}. The fields after `args` are filled in by the
// registry.
struct CommandId {
  std::string name;    // upper case; "PARENT|SUB" for a subcommand
  int arity = 0;       // Redis convention: negative = at least -arity arguments, name included
  uint32_t flags = 0;  // co::Flag
  std::string acl;     // ACL categories: "@read @string @fast"
  // COMMAND INFO's tips, space-separated, as Redis gives them ("request_policy:all_shards").
  std::string_view tips;
  std::vector<KeySpec> keys;       // in Redis's order
  KeyFlagsFn key_flags = nullptr;  // with a kVariableFlags spec
  SyncHandler sync = nullptr;      // exactly one of sync and async
  AsyncHandler async = nullptr;
  // COMMAND DOCS.
  std::string group;
  std::string since;
  std::string complexity;
  std::string summary;
  uint8_t doc_flags = 0;                // doc::Flag
  std::string_view deprecated_since;    // with doc::kDeprecated: the version that deprecated it
  std::string_view replaced_by;         // with doc::kDeprecated: the command to use instead
  std::vector<CommandHistory> history;  // oldest first
  std::vector<CommandArg> args;         // the arguments after the name (after PARENT SUB)

  // Derived at registration.
  int first_key = 0;  // Redis's legacy range, for COMMAND INFO: 0 = none
  int last_key = 0;   // negative: counted from the end
  int key_step = 0;
  size_t index = 0;  // dense (for per-command statistics)
  // Container commands (CONFIG, CLIENT, ...) list their subcommands, registered as
  // "PARENT|SUB" entries; the dispatcher resolves argv[1] to one of them.
  std::vector<const CommandId*> subcommands;
  const CommandId* parent = nullptr;
  // Allowed only on the admin port (--restricted_commands); subcommands follow their parent.
  bool restricted = false;

  bool IsWrite() const { return flags & co::kWrite; }
  bool IsHidden() const { return flags & co::kHidden; }
  bool HasKeys() const { return !keys.empty(); }
  // Positions (into `args`, name at 0) of the keys of this invocation, in key-spec order.
  // False when the arguments do not fit a spec that is not incomplete (COMMAND GETKEYS says
  // "Invalid arguments"); `out` then holds the keys found before.
  bool KeyPositions(CmdArgList args, std::vector<size_t>* out) const;
  // The same, position by position, without collecting them.
  bool ForEachKey(CmdArgList args, absl::FunctionRef<void(size_t)> fn) const;
  // The same, with the index of the key spec that found each key.
  bool ForEachKeyOfSpec(CmdArgList args, absl::FunctionRef<void(size_t pos, size_t spec)> fn) const;
  // The flags of the keys spec `spec_index` finds in this invocation: the spec's own, or, for a
  // kVariableFlags spec, what key_flags works out.
  uint16_t KeyFlags(CmdArgList args, size_t spec_index) const;
  // Derives first_key/last_key/key_step and kMovableKeys from the key specs, as Redis 7 does.
  void DeriveLegacyRange();
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
// Send the Redis 7 `COMMAND INFO` entry for cid, and its `COMMAND DOCS` entry (the name, then
// the docs map: one pair of the DOCS reply map).
void SendCommandInfo(const CommandId& cid, ReplyBuilder* rb);
// Sends ks::Flag flags as Redis names them ("RW", "access", ...), as a set.
void SendKeyFlags(uint16_t flags, ReplyBuilder* rb);
void SendCommandDocs(const CommandId& cid, ReplyBuilder* rb);

}  // namespace darner
