// String commands: GET SET SETNX SETEX PSETEX GETSET GETDEL GETEX MGET MSET MSETNX INCR DECR
// INCRBY DECRBY INCRBYFLOAT (the byte-range ones and LCS are in string_range_family.cc).
#include <absl/flags/declare.h>
#include <absl/flags/flag.h>
#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>

#include <cmath>

#include "base/byte_size.h"
#include "base/strings.h"
#include "facade/arg_parser.h"
#include "server/families/families.h"
#include "server/families/generic_family.h"
#include "server/service.h"
#include "server/transaction.h"

ABSL_DECLARE_FLAG(darner::ByteSize, proto_max_bulk_len);

namespace darner {
namespace {

// Each single-key command is a Cmd* that parses its arguments and replies, around an Op* that
// reads or changes the key on its shard and returns an OpResult (engine_shard.h's OpArgs).

// Replies nil for a missing key, the status's error otherwise.
void SendNilOr(CommandContext& cx, OpStatus status) {
  if (status == OpStatus::kKeyNotFound) return cx.rb->SendNull();
  cx.rb->SendError(StatusError(status));
}

void SendValue(CommandContext& cx, const KeyEntry* e) {
  char scratch[CompactValue::kScratchSize];
  cx.rb->SendBulk(e->value.GetString(scratch));
}

// A string value copied out (for replies sent after the key changed).
std::string CopyValue(const KeyEntry* e) {
  char scratch[CompactValue::kScratchSize];
  return std::string(e->value.GetString(scratch));
}

OpResult<const KeyEntry*> OpFindString(const OpArgs& op, std::string_view key) {
  return op.db().FindReadOnly(key, ObjType::kString);
}

void CmdGet(CmdArgList args, CommandContext& cx) {
  OpResult<const KeyEntry*> e = OpFindString(cx.op_args(), args[0]);
  if (!e) return SendNilOr(cx, e.status());
  SendValue(cx, *e);
}

// Expiry options of SET and GETEX, parsed with Redis's rules: all options are read first (a
// repeated option of the same kind overrides; a conflicting one is a syntax error), and only
// then is the time value checked.
struct ExpireOpt {
  enum Kind { kNone, kEx, kPx, kExAt, kPxAt, kKeepTtl, kPersist } kind = kNone;
  std::string_view value;
};

// Consumes one expiry option at the parser's position if there is one; *syntax_error is set on
// a conflicting or incomplete option. Returns false if the next token is not an expiry option.
bool ParseExpireOpt(ArgParser& parser, ExpireOpt* opt, bool is_set, bool* syntax_error) {
  struct Name {
    const char* name;
    ExpireOpt::Kind kind;
  };
  static constexpr Name kTimed[] = {{"EX", ExpireOpt::kEx},
                                    {"PX", ExpireOpt::kPx},
                                    {"EXAT", ExpireOpt::kExAt},
                                    {"PXAT", ExpireOpt::kPxAt}};
  for (const Name& n : kTimed) {
    if (!parser.Check(n.name)) continue;
    if ((opt->kind != ExpireOpt::kNone && opt->kind != n.kind) || !parser.HasNext()) {
      *syntax_error = true;
      return true;
    }
    opt->kind = n.kind;
    opt->value = parser.Next();
    return true;
  }
  ExpireOpt::Kind flag = ExpireOpt::kNone;
  if (is_set && parser.Check("KEEPTTL")) flag = ExpireOpt::kKeepTtl;
  if (!is_set && parser.Check("PERSIST")) flag = ExpireOpt::kPersist;
  if (flag == ExpireOpt::kNone) return false;
  if (opt->kind != ExpireOpt::kNone && opt->kind != flag) *syntax_error = true;
  opt->kind = flag;
  return true;
}

// Converts a timed option to an absolute deadline in ms (0: none): kInvalidInt or
// kInvalidExpire when the time is not valid.
OpResult<int64_t> ResolveDeadline(const ExpireOpt& opt) {
  if (opt.kind == ExpireOpt::kNone || opt.kind == ExpireOpt::kKeepTtl ||
      opt.kind == ExpireOpt::kPersist) {
    return int64_t{0};
  }
  int64_t v, deadline;
  if (!ParseInt64(opt.value, &v)) return OpStatus::kInvalidInt;
  bool seconds = opt.kind == ExpireOpt::kEx || opt.kind == ExpireOpt::kExAt;
  bool absolute = opt.kind == ExpireOpt::kExAt || opt.kind == ExpireOpt::kPxAt;
  if (v <= 0 || !ToDeadline(v, seconds ? 1000 : 1, absolute, NowMs(), &deadline)) {
    return OpStatus::kInvalidExpire;
  }
  return deadline;
}

// Replies the error of a failed expiry resolution (or a status of the key's lookup).
void SendExpireError(CommandContext& cx, OpStatus status, std::string_view cmd) {
  if (status == OpStatus::kInvalidExpire) {
    return cx.rb->SendError(StrCat("invalid expire time in '", cmd, "' command"));
  }
  cx.rb->SendError(StatusError(status));
}

struct SetParams {
  std::string_view value;
  int64_t deadline = 0;
  bool keep_ttl = false, nx = false, xx = false, get = false;
};

struct SetResult {
  bool written = false;
  std::optional<std::string> old;  // with GET: the previous value, if there was one
};

OpResult<SetResult> OpSet(const OpArgs& op, std::string_view key, const SetParams& p) {
  DbSlice& db = op.db();
  if (!p.nx && !p.xx && !p.get) {  // the common case: one lookup
    db.Set(key, CompactValue::String(p.value), p.deadline, p.keep_ttl);
    return SetResult{true, std::nullopt};
  }
  KeyEntry* e = db.Find(key);
  if (p.get && e && e->value.type() != ObjType::kString) return OpStatus::kWrongType;
  SetResult r;
  if (p.get && e) r.old = CopyValue(e);
  r.written = !((p.nx && e) || (p.xx && !e));
  if (r.written) db.Set(key, CompactValue::String(p.value), p.deadline, p.keep_ttl);
  return r;
}

// SET reads the old value only with GET; otherwise it overwrites without looking.
uint16_t SetKeyFlags(CmdArgList args, size_t) {
  for (size_t i = 3; i < args.size(); ++i) {
    if (EqualsIgnoreCase(args[i], "GET")) return ks::kRW | ks::kAccess | ks::kUpdate;
  }
  return ks::kOW | ks::kUpdate;
}

void CmdSet(CmdArgList args, CommandContext& cx) {
  SetParams params{.value = args[1]};
  ArgParser parser(args.subspan(2));
  ExpireOpt exp;
  bool syntax_error = false;
  while (parser.HasNext() && !syntax_error) {
    if (ParseExpireOpt(parser, &exp, true, &syntax_error)) continue;
    if (!params.xx && parser.Check("NX")) {
      params.nx = true;
    } else if (!params.nx && parser.Check("XX")) {
      params.xx = true;
    } else if (parser.Check("GET")) {
      params.get = true;
    } else {
      syntax_error = true;
    }
  }
  if (syntax_error) return cx.rb->SendError(kSyntaxErr);
  OpResult<int64_t> deadline = ResolveDeadline(exp);
  if (!deadline) return SendExpireError(cx, deadline.status(), "set");
  params.deadline = *deadline;
  params.keep_ttl = exp.kind == ExpireOpt::kKeepTtl;
  OpResult<SetResult> r = OpSet(cx.op_args(), args[0], params);
  if (!r) return cx.rb->SendError(StatusError(r.status()));
  if (params.get) {
    if (!r->old) return cx.rb->SendNull();
    return cx.rb->SendBulk(*r->old);
  }
  if (!r->written) return cx.rb->SendNull();
  cx.rb->SendOk();
}

// Adds key with value unless it exists; whether it did.
OpResult<bool> OpSetNx(const OpArgs& op, std::string_view key, std::string_view value) {
  DbSlice& db = op.db();
  if (db.Find(key)) return false;
  db.Add(key, CompactValue::String(value));
  return true;
}

void CmdSetNx(CmdArgList args, CommandContext& cx) {
  OpResult<bool> added = OpSetNx(cx.op_args(), args[0], args[1]);
  cx.rb->SendLong(*added ? 1 : 0);
}

void SetExImpl(CmdArgList args, CommandContext& cx, int64_t unit, std::string_view name) {
  int64_t v, deadline;
  if (!ParseInt64(args[1], &v)) return cx.rb->SendError(kInvalidIntErr);
  if (v <= 0 || !ToDeadline(v, unit, false, NowMs(), &deadline)) {
    return SendExpireError(cx, OpStatus::kInvalidExpire, name);
  }
  OpSet(cx.op_args(), args[0], SetParams{.value = args[2], .deadline = deadline});
  cx.rb->SendOk();
}

void CmdSetEx(CmdArgList args, CommandContext& cx) { SetExImpl(args, cx, 1000, "setex"); }
void CmdPSetEx(CmdArgList args, CommandContext& cx) { SetExImpl(args, cx, 1, "psetex"); }

// Sets key to value and gives back the value it had (nullopt when it had none).
OpResult<std::optional<std::string>> OpGetSet(const OpArgs& op, std::string_view key,
                                              std::string_view value) {
  DbSlice& db = op.db();
  OpResult<const KeyEntry*> e = db.FindReadOnly(key, ObjType::kString);
  if (!e && e.status() != OpStatus::kKeyNotFound) return e.status();
  std::optional<std::string> old;
  if (e) old = CopyValue(*e);
  db.Set(key, CompactValue::String(value), 0, false);
  return old;
}

void CmdGetSet(CmdArgList args, CommandContext& cx) {
  OpResult<std::optional<std::string>> old = OpGetSet(cx.op_args(), args[0], args[1]);
  if (!old) return cx.rb->SendError(StatusError(old.status()));
  if (!*old) return cx.rb->SendNull();
  cx.rb->SendBulk(**old);
}

OpResult<std::string> OpGetDel(const OpArgs& op, std::string_view key) {
  OpResult<const KeyEntry*> e = op.db().FindReadOnly(key, ObjType::kString);  // a read, as in Redis
  if (!e) return e.status();
  std::string value = CopyValue(*e);
  op.db().Delete(key);
  return value;
}

void CmdGetDel(CmdArgList args, CommandContext& cx) {
  OpResult<std::string> value = OpGetDel(cx.op_args(), args[0]);
  if (!value) return SendNilOr(cx, value.status());
  cx.rb->SendBulk(*value);
}

// GETEX: the value, after the expiry option was applied. Redis looks the key up before it
// checks the time, so a missing key wins over a bad time.
OpResult<std::string> OpGetEx(const OpArgs& op, std::string_view key, const ExpireOpt& exp) {
  DbSlice& db = op.db();
  OpResult<const KeyEntry*> found = db.FindReadOnly(key, ObjType::kString);
  if (!found) return found.status();
  OpResult<int64_t> deadline = ResolveDeadline(exp);
  if (!deadline) return deadline.status();
  std::string value = CopyValue(*found);
  // PERSIST of a key without a deadline, or no option: nothing changes.
  if (exp.kind == ExpireOpt::kPersist ? !(*found)->has_expire() : *deadline == 0) return value;
  OpResult<DbSlice::MutableEntry> e = db.FindMutable(key, ObjType::kString);
  if (exp.kind == ExpireOpt::kPersist) {
    e->SetExpire(0);
  } else if (*deadline <= NowMs()) {
    e->Delete();
  } else {
    e->SetExpire(*deadline);
  }
  return value;
}

void CmdGetEx(CmdArgList args, CommandContext& cx) {
  ArgParser parser(args.subspan(1));
  ExpireOpt exp;
  bool syntax_error = false;
  while (parser.HasNext() && !syntax_error) {
    if (!ParseExpireOpt(parser, &exp, false, &syntax_error)) syntax_error = true;
  }
  if (syntax_error) return cx.rb->SendError(kSyntaxErr);
  OpResult<std::string> value = OpGetEx(cx.op_args(), args[0], exp);
  if (value) return cx.rb->SendBulk(*value);
  if (value.status() == OpStatus::kKeyNotFound) return cx.rb->SendNull();
  SendExpireError(cx, value.status(), "getex");
}

// ---- Multi-key: MGET MSET MSETNX -------------------------------------------------------

// The ops below do one shard's share of a multi-key command: `args` is the command's argument
// list without its name, `positions` are the shard's keys' positions in the full list (name at
// 0). They run on every shard at once (Transaction::RunOnEach).

// MGET: the string values of the shard's keys, into their slots of `values` (others stay nil).
void OpMGet(const OpArgs& op, CmdArgList args, std::span<const size_t> positions,
            std::vector<std::optional<std::string>>* values) {
  char scratch[CompactValue::kScratchSize];
  for (size_t pos : positions) {
    OpResult<const KeyEntry*> e = op.db().FindReadOnly(args[pos - 1], ObjType::kString);
    if (e) (*values)[pos - 1].emplace((*e)->value.GetString(scratch));
  }
}

// MSETNX's check: whether any of the shard's keys exists.
bool OpAnyExists(const OpArgs& op, CmdArgList args, std::span<const size_t> positions) {
  for (size_t pos : positions) {
    if (op.db().Find(args[pos - 1]) != nullptr) return true;
  }
  return false;
}

// MSET: the shard's keys get their values. Positions are in argument order, so a key given
// twice ends with its last value.
void OpMSet(const OpArgs& op, CmdArgList args, std::span<const size_t> positions) {
  for (size_t pos : positions) {
    op.db().Set(args[pos - 1], CompactValue::String(args[pos]), 0, false);
  }
  op.shard->PublishMemory();
}

asio::awaitable<void> CmdMGet(CmdArgList args, CommandContext& cx) {
  std::vector<std::optional<std::string>> values(args.size());
  DbIndex db = cx.db;
  co_await cx.tx->RunOnEach([&](EngineShard& s, const Transaction::ShardKeys& sk) {
    OpMGet(OpArgs{&s, db}, args, sk.positions, &values);
  });
  cx.rb->StartArray(values.size());
  for (const auto& v : values) {
    if (v) {
      cx.rb->SendBulk(*v);
    } else {
      cx.rb->SendNull();
    }
  }
}

asio::awaitable<void> MSetImpl(CmdArgList args, CommandContext& cx, bool nx) {
  if (args.size() % 2 != 0) {
    cx.rb->SendError(StrCat("wrong number of arguments for '", ToLower(cx.cid->name), "' command"));
    co_return;
  }
  DbIndex db = cx.db;
  if (nx) {
    std::atomic<bool> any = false;  // written by every shard at once
    co_await cx.tx->RunOnEach([&](EngineShard& s, const Transaction::ShardKeys& sk) {
      if (OpAnyExists(OpArgs{&s, db}, args, sk.positions)) any = true;
    });
    if (any) {
      cx.rb->SendLong(0);
      co_return;
    }
  }
  co_await cx.tx->RunOnEach([&](EngineShard& s, const Transaction::ShardKeys& sk) {
    OpMSet(OpArgs{&s, db}, args, sk.positions);
  });
  if (nx) {
    cx.rb->SendLong(1);
  } else {
    cx.rb->SendOk();
  }
}

asio::awaitable<void> CmdMSet(CmdArgList args, CommandContext& cx) {
  co_await MSetImpl(args, cx, false);
}

asio::awaitable<void> CmdMSetNx(CmdArgList args, CommandContext& cx) {
  co_await MSetImpl(args, cx, true);
}

// ---- Counters -------------------------------------------------------------------------

OpResult<int64_t> OpIncrBy(const OpArgs& op, std::string_view key, int64_t delta) {
  DbSlice& db = op.db();
  OpResult<DbSlice::MutableEntry> e = db.FindMutable(key, ObjType::kString);
  if (!e) {
    if (e.status() != OpStatus::kKeyNotFound) return e.status();
    db.Add(key, CompactValue::Int(delta));
    return delta;
  }
  int64_t current, result;
  if (!e->value().TryGetInt(&current)) {
    e->Cancel();
    return OpStatus::kInvalidInt;
  }
  if (__builtin_add_overflow(current, delta, &result)) {
    e->Cancel();
    return OpStatus::kOverflow;
  }
  e->value().SetInt(result);
  return result;
}

void IncrImpl(CommandContext& cx, std::string_view key, int64_t delta) {
  OpResult<int64_t> result = OpIncrBy(cx.op_args(), key, delta);
  if (!result) return cx.rb->SendError(StatusError(result.status()));
  cx.rb->SendLong(*result);
}

void CmdIncr(CmdArgList args, CommandContext& cx) { IncrImpl(cx, args[0], 1); }
void CmdDecr(CmdArgList args, CommandContext& cx) { IncrImpl(cx, args[0], -1); }

void CmdIncrBy(CmdArgList args, CommandContext& cx) {
  int64_t delta;
  if (!ParseInt64(args[1], &delta)) return cx.rb->SendError(kInvalidIntErr);
  IncrImpl(cx, args[0], delta);
}

void CmdDecrBy(CmdArgList args, CommandContext& cx) {
  int64_t delta;
  if (!ParseInt64(args[1], &delta)) return cx.rb->SendError(kInvalidIntErr);
  if (delta == INT64_MIN) return cx.rb->SendError("decrement would overflow");
  IncrImpl(cx, args[0], -delta);
}

// The new value as text; kInvalidFloat for a value that is not a number, kOverflow for a NaN
// or infinite result.
OpResult<std::string> OpIncrByFloat(const OpArgs& op, std::string_view key, long double delta) {
  DbSlice& db = op.db();
  OpResult<DbSlice::MutableEntry> e = db.FindMutable(key, ObjType::kString);
  if (!e && e.status() != OpStatus::kKeyNotFound) return e.status();
  long double current = 0;
  if (e) {
    char scratch[CompactValue::kScratchSize];
    if (!ParseDouble(e->value().GetString(scratch), &current)) {
      e->Cancel();
      return OpStatus::kInvalidFloat;
    }
  }
  long double result = current + delta;
  if (std::isnan(result) || std::isinf(result)) {
    if (e) e->Cancel();
    return OpStatus::kOverflow;
  }
  std::string text = FormatLongDouble(result);
  if (e) {
    e->value() = CompactValue::PlainString(text);
  } else {
    db.Add(key, CompactValue::PlainString(text));
  }
  return text;
}

void CmdIncrByFloat(CmdArgList args, CommandContext& cx) {
  long double delta;
  if (!ParseDouble(args[1], &delta)) return cx.rb->SendError(kInvalidFloatErr);
  OpResult<std::string> text = OpIncrByFloat(cx.op_args(), args[0], delta);
  if (text) return cx.rb->SendBulk(*text);
  if (text.status() == OpStatus::kOverflow) {
    return cx.rb->SendError("increment would produce NaN or Infinity");
  }
  cx.rb->SendError(StatusError(text.status()));
}

using namespace co;
constexpr uint32_t kW = kWrite | kDenyOom;

// The family's declarations, registered in this order.
const CommandId kStringCommands[] = {
    CommandId{.name = "GET",
              .arity = 2,
              .flags = kReadOnly | kFast,
              .acl = "@read @string @fast",
              .keys = {{.flags = ks::kRO | ks::kAccess, .index = 1}},
              .sync = CmdGet,
              .group = "string",
              .since = "1.0.0",
              .complexity = "O(1)",
              .summary = "Gets the value stored at a key.",
              .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0}}},
    CommandId{
        .name = "SET",
        .arity = -3,
        .flags = kW,
        .acl = "@write @string @slow",
        .keys = {{.flags = ks::kRW | ks::kAccess | ks::kUpdate | ks::kVariableFlags,
                  .index = 1,
                  .notes = "Reads the old value (GET option) as well as writing the new one"}},
        .key_flags = SetKeyFlags,
        .sync = CmdSet,
        .group = "string",
        .since = "1.0.0",
        .complexity = "O(1)",
        .summary = "Stores a string under a key, replacing any existing value of any type and "
                   "creating the key when absent.",
        .history = {{"2.6.12", "The EX, PX, NX and XX options were introduced."},
                    {"6.0.0", "The KEEPTTL option was introduced."},
                    {"6.2.0", "The GET, EXAT and PXAT options were introduced."},
                    {"7.0.0", "NX may now be combined with GET."}},
        .args =
            {{.name = "key", .type = arg::kKey, .key_spec_index = 0},
             {.name = "value"},
             {.name = "condition",
              .type = arg::kOneOf,
              .since = "2.6.12",
              .flags = arg::kOptional,
              .args = {{.name = "nx", .type = arg::kPureToken, .token = "NX"},
                       {.name = "xx", .type = arg::kPureToken, .token = "XX"}}},
             {.name = "get",
              .type = arg::kPureToken,
              .token = "GET",
              .since = "6.2.0",
              .flags = arg::kOptional},
             {.name = "expiration",
              .type = arg::kOneOf,
              .flags = arg::kOptional,
              .args = {{.name = "seconds", .type = arg::kInteger, .token = "EX", .since = "2.6.12"},
                       {.name = "milliseconds",
                        .type = arg::kInteger,
                        .token = "PX",
                        .since = "2.6.12"},
                       {.name = "unix-time-seconds",
                        .type = arg::kUnixTime,
                        .token = "EXAT",
                        .since = "6.2.0"},
                       {.name = "unix-time-milliseconds",
                        .type = arg::kUnixTime,
                        .token = "PXAT",
                        .since = "6.2.0"},
                       {.name = "keepttl",
                        .type = arg::kPureToken,
                        .token = "KEEPTTL",
                        .since = "6.0.0"}}}}},
    CommandId{
        .name = "SETNX",
        .arity = 3,
        .flags = kW | kFast,
        .acl = "@write @string @fast",
        .keys = {{.flags = ks::kOW | ks::kInsert, .index = 1}},
        .sync = CmdSetNx,
        .group = "string",
        .since = "1.0.0",
        .complexity = "O(1)",
        .summary = "Stores a string under a key, but only if that key is not already present.",
        .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0}, {.name = "value"}}},
    CommandId{.name = "SETEX",
              .arity = 4,
              .flags = kW,
              .acl = "@write @string @slow",
              .keys = {{.flags = ks::kOW | ks::kUpdate, .index = 1}},
              .sync = CmdSetEx,
              .group = "string",
              .since = "2.0.0",
              .complexity = "O(1)",
              .summary = "Stores a string under a key together with a time-to-live in seconds, "
                         "creating the key if needed.",
              .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0},
                       {.name = "seconds", .type = arg::kInteger},
                       {.name = "value"}}},
    CommandId{.name = "PSETEX",
              .arity = 4,
              .flags = kW,
              .acl = "@write @string @slow",
              .keys = {{.flags = ks::kOW | ks::kUpdate, .index = 1}},
              .sync = CmdPSetEx,
              .group = "string",
              .since = "2.6.0",
              .complexity = "O(1)",
              .summary =
                  "Stores a string under a key together with a time-to-live in milliseconds, "
                  "creating the key if needed.",
              .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0},
                       {.name = "milliseconds", .type = arg::kInteger},
                       {.name = "value"}}},
    CommandId{
        .name = "GETSET",
        .arity = 3,
        .flags = kW | kFast,
        .acl = "@write @string @fast",
        .keys = {{.flags = ks::kRW | ks::kAccess | ks::kUpdate, .index = 1}},
        .sync = CmdGetSet,
        .group = "string",
        .since = "1.0.0",
        .complexity = "O(1)",
        .summary = "Overwrites the string at a key and replies with the value it held before.",
        .doc_flags = doc::kDeprecated,
        .deprecated_since = "6.2.0",
        .replaced_by = "`SET` with the `!GET` argument",
        .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0}, {.name = "value"}}},
    CommandId{.name = "GETDEL",
              .arity = 2,
              .flags = kWrite | kFast,
              .acl = "@write @string @fast",
              .keys = {{.flags = ks::kRW | ks::kAccess | ks::kDelete, .index = 1}},
              .sync = CmdGetDel,
              .group = "string",
              .since = "6.2.0",
              .complexity = "O(1)",
              .summary = "Removes a key and replies with the string it held.",
              .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0}}},
    CommandId{
        .name = "GETEX",
        .arity = -2,
        .flags = kWrite | kFast,
        .acl = "@write @string @fast",
        .keys = {{.flags = ks::kRW | ks::kAccess | ks::kUpdate,
                  .index = 1,
                  .notes = "Changes the TTL, so the value is read and updated"}},
        .sync = CmdGetEx,
        .group = "string",
        .since = "6.2.0",
        .complexity = "O(1)",
        .summary = "Gets the string stored at a key and optionally changes or clears its "
                   "time-to-live.",
        .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0},
                 {.name = "expiration",
                  .type = arg::kOneOf,
                  .flags = arg::kOptional,
                  .args = {{.name = "seconds", .type = arg::kInteger, .token = "EX"},
                           {.name = "milliseconds", .type = arg::kInteger, .token = "PX"},
                           {.name = "unix-time-seconds", .type = arg::kUnixTime, .token = "EXAT"},
                           {.name = "unix-time-milliseconds",
                            .type = arg::kUnixTime,
                            .token = "PXAT"},
                           {.name = "persist", .type = arg::kPureToken, .token = "PERSIST"}}}}},
    CommandId{
        .name = "MGET",
        .arity = -2,
        .flags = kReadOnly | kFast,
        .acl = "@read @string @fast",
        .tips = "request_policy:multi_shard",
        .keys = {{.flags = ks::kRO | ks::kAccess, .index = 1, .lastkey = -1}},
        .async = CmdMGet,
        .group = "string",
        .since = "1.0.0",
        .complexity = "O(N), N being the number of keys requested.",
        .summary = "Fetches the string values of several keys in a single atomic step.",
        .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0, .flags = arg::kMultiple}}},
    CommandId{.name = "MSET",
              .arity = -3,
              .flags = kW,
              .acl = "@write @string @slow",
              .tips = "request_policy:multi_shard response_policy:all_succeeded",
              .keys = {{.flags = ks::kOW | ks::kUpdate, .index = 1, .lastkey = -1, .keystep = 2}},
              .async = CmdMSet,
              .group = "string",
              .since = "1.0.1",
              .complexity = "O(N), N being the number of keys written.",
              .summary = "Writes string values to several keys at once, as a single atomic step.",
              .args = {{.name = "key_value",
                        .type = arg::kBlock,
                        .flags = arg::kMultiple,
                        .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0},
                                 {.name = "value"}}}}},
    CommandId{.name = "MSETNX",
              .arity = -3,
              .flags = kW,
              .acl = "@write @string @slow",
              .tips = "request_policy:multi_shard response_policy:agg_min",
              .keys = {{.flags = ks::kOW | ks::kInsert, .index = 1, .lastkey = -1, .keystep = 2}},
              .async = CmdMSetNx,
              .group = "string",
              .since = "1.0.1",
              .complexity = "O(N), N being the number of keys written.",
              .summary =
                  "Writes string values to several keys atomically, but only if none of them "
                  "is present yet.",
              .args = {{.name = "key_value",
                        .type = arg::kBlock,
                        .flags = arg::kMultiple,
                        .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0},
                                 {.name = "value"}}}}},
    CommandId{.name = "INCR",
              .arity = 2,
              .flags = kW | kFast,
              .acl = "@write @string @fast",
              .keys = {{.flags = ks::kRW | ks::kAccess | ks::kUpdate, .index = 1}},
              .sync = CmdIncr,
              .group = "string",
              .since = "1.0.0",
              .complexity = "O(1)",
              .summary = "Adds one to the integer stored at a key, treating a missing key as 0.",
              .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0}}},
    CommandId{.name = "DECR",
              .arity = 2,
              .flags = kW | kFast,
              .acl = "@write @string @fast",
              .keys = {{.flags = ks::kRW | ks::kAccess | ks::kUpdate, .index = 1}},
              .sync = CmdDecr,
              .group = "string",
              .since = "1.0.0",
              .complexity = "O(1)",
              .summary = "Subtracts one from the integer at a key, treating a missing key as 0.",
              .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0}}},
    CommandId{.name = "INCRBY",
              .arity = 3,
              .flags = kW | kFast,
              .acl = "@write @string @fast",
              .keys = {{.flags = ks::kRW | ks::kAccess | ks::kUpdate, .index = 1}},
              .sync = CmdIncrBy,
              .group = "string",
              .since = "1.0.0",
              .complexity = "O(1)",
              .summary = "Adds the given amount to the integer stored at a key, treating a missing "
                         "key as 0.",
              .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0},
                       {.name = "increment", .type = arg::kInteger}}},
    CommandId{.name = "DECRBY",
              .arity = 3,
              .flags = kW | kFast,
              .acl = "@write @string @fast",
              .keys = {{.flags = ks::kRW | ks::kAccess | ks::kUpdate, .index = 1}},
              .sync = CmdDecrBy,
              .group = "string",
              .since = "1.0.0",
              .complexity = "O(1)",
              .summary = "Subtracts the given amount from the integer stored at a key, treating a "
                         "missing key as 0.",
              .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0},
                       {.name = "decrement", .type = arg::kInteger}}},
    CommandId{.name = "INCRBYFLOAT",
              .arity = 3,
              .flags = kW | kFast,
              .acl = "@write @string @fast",
              .keys = {{.flags = ks::kRW | ks::kAccess | ks::kUpdate, .index = 1}},
              .sync = CmdIncrByFloat,
              .group = "string",
              .since = "2.6.0",
              .complexity = "O(1)",
              .summary = "Adds the given amount to the floating-point number stored at a key, "
                         "treating a missing key as 0.",
              .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0},
                       {.name = "increment", .type = arg::kDouble}}},
};

}  // namespace

void RegisterStringFamily(CommandRegistry* r) {
  for (const CommandId& cid : kStringCommands) *r << cid;
  RegisterStringRangeFamily(r);
}

}  // namespace darner
