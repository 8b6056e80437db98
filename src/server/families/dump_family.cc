// DUMP and RESTORE: a key's value as a payload in Redis's RDB encoding (core/rdb_value.h), which
// redis-server's RESTORE reads, and back. Each new value type adds its encoding in core/, not here.
#include "base/strings.h"
#include "core/rdb_value.h"
#include "facade/arg_parser.h"
#include "server/eviction.h"
#include "server/families/families.h"
#include "server/families/generic_family.h"
#include "server/service.h"

namespace darner {
namespace {

// The DUMP payload of key's value.
OpResult<std::string> OpDump(const OpArgs& op, std::string_view key) {
  const KeyEntry* e = op.db().FindForRead(key);
  if (!e) return OpStatus::kKeyNotFound;
  return rdb::DumpPayload(e->value);
}

void CmdDump(CmdArgList args, CommandContext& cx) {
  OpResult<std::string> payload = OpDump(cx.op_args(), args[0]);
  if (payload) {
    cx.rb->SendBulk(*payload);
  } else {
    cx.rb->SendNull();
  }
}

// RESTORE's arguments after the key; the TTL and the payload are judged on the shard, after the
// key's existence, in Redis's order.
struct RestoreParams {
  std::string_view ttl;
  std::string_view payload;
  bool replace = false;
  bool absttl = false;
  int64_t idle_seconds = -1;  // IDLETIME, or -1
  int freq = -1;              // FREQ, or -1
};

// kBusyKey, then kInvalidInt / kInvalidExpire for the TTL, then kBadPayload / kBadData for the
// payload; nothing changes on any of them. A deadline already past only deletes the old key.
OpResult<void> OpRestore(const OpArgs& op, std::string_view key, const RestoreParams& p) {
  DbSlice& db = op.db();
  KeyEntry* existing = db.Find(key);
  if (existing && !p.replace) return OpStatus::kBusyKey;
  int64_t ttl;
  if (!ParseInt64(p.ttl, &ttl)) return OpStatus::kInvalidInt;
  if (ttl < 0) return OpStatus::kInvalidExpire;
  OpResult<CompactValue> value = rdb::ParseDumpPayload(p.payload);
  if (!value) return value.status();
  int64_t deadline = 0;
  if (ttl > 0 && !ToDeadline(ttl, 1, p.absttl, NowMs(), &deadline)) deadline = INT64_MAX;
  if (existing) db.Delete(existing);
  if (deadline != 0 && deadline <= NowMs()) return {};
  KeyEntry* e = db.Add(key, std::move(value).value(), deadline);
  SetRestoredAccess(e, p.idle_seconds, p.freq);
  return {};
}

// Parses RESTORE's options (after the key, TTL and payload) as Redis does: IDLETIME and FREQ
// exclude each other, each needs its value, anything else is a syntax error. Returns the error
// text, empty when they parse.
std::string_view ParseRestoreOptions(CmdArgList opts, RestoreParams* p) {
  for (size_t i = 0; i < opts.size(); ++i) {
    std::string opt = ToUpper(opts[i]);
    bool has_value = i + 1 < opts.size();
    int64_t v;
    if (opt == "REPLACE") {
      p->replace = true;
    } else if (opt == "ABSTTL") {
      p->absttl = true;
    } else if (opt == "IDLETIME" && has_value && p->freq < 0) {
      if (!ParseInt64(opts[++i], &v)) return kInvalidIntErr;
      if (v < 0) return "Invalid IDLETIME value, must be >= 0";
      p->idle_seconds = v;
    } else if (opt == "FREQ" && has_value && p->idle_seconds < 0) {
      if (!ParseInt64(opts[++i], &v)) return kInvalidIntErr;
      if (v < 0 || v > 255) return "Invalid FREQ value, must be >= 0 and <= 255";
      p->freq = static_cast<int>(v);
    } else {
      return kSyntaxErr;
    }
  }
  return {};
}

void CmdRestore(CmdArgList args, CommandContext& cx) {
  RestoreParams p{.ttl = args[1], .payload = args[2]};
  if (std::string_view error = ParseRestoreOptions(args.subspan(3), &p); !error.empty()) {
    cx.rb->SendError(error);
    return;
  }
  OpResult<void> done = OpRestore(cx.op_args(), args[0], p);
  if (done) {
    cx.rb->SendOk();
  } else if (done.status() == OpStatus::kInvalidExpire) {
    cx.rb->SendError("Invalid TTL value, must be >= 0");
  } else {
    cx.rb->SendError(StatusError(done.status()));
  }
}

using namespace co;

const CommandId kDumpCommands[] = {
    CommandId{.name = "DUMP",
              .arity = 2,
              .flags = kReadOnly,
              .acl = "@keyspace @read @slow",
              .tips = "nondeterministic_output",
              .keys = {{.flags = ks::kRO | ks::kAccess, .index = 1}},
              .sync = CmdDump,
              .group = "generic",
              .since = "2.6.0",
              .complexity = "O(1) to find the key, plus O(N*M) to serialize its value: N elements "
                            "of average size M (a string is a single element).",
              .summary = "Serializes the value of a key in Redis's RDB format, for RESTORE.",
              .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0}}},
    CommandId{.name = "RESTORE",
              .arity = -4,
              .flags = kWrite | kDenyOom,
              .acl = "@keyspace @write @slow @dangerous",
              .keys = {{.flags = ks::kOW | ks::kUpdate, .index = 1}},
              .sync = CmdRestore,
              .group = "generic",
              .since = "2.6.0",
              .complexity = "O(1) to create the key, plus O(N*M) to decode its value: N elements "
                            "of average size M (O(N*M*log(N)) for a sorted set).",
              .summary = "Creates a key from a value serialized by DUMP.",
              .history = {{"3.0.0", "The `REPLACE` option was added."},
                          {"5.0.0", "The `ABSTTL` option was added."},
                          {"5.0.0", "The `IDLETIME` and `FREQ` options were added."}},
              .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0},
                       {.name = "ttl", .type = arg::kInteger},
                       {.name = "serialized-value", .type = arg::kString},
                       {.name = "replace",
                        .type = arg::kPureToken,
                        .token = "REPLACE",
                        .since = "3.0.0",
                        .flags = arg::kOptional},
                       {.name = "absttl",
                        .type = arg::kPureToken,
                        .token = "ABSTTL",
                        .since = "5.0.0",
                        .flags = arg::kOptional},
                       {.name = "seconds",
                        .type = arg::kInteger,
                        .token = "IDLETIME",
                        .since = "5.0.0",
                        .flags = arg::kOptional},
                       {.name = "frequency",
                        .type = arg::kInteger,
                        .token = "FREQ",
                        .since = "5.0.0",
                        .flags = arg::kOptional}}},
};

}  // namespace

void RegisterDumpFamily(CommandRegistry* r) {
  for (const CommandId& cid : kDumpCommands) *r << cid;
}

}  // namespace darner
