// String commands: GET SET SETNX SETEX PSETEX GETSET GETDEL GETEX MGET MSET MSETNX INCR DECR
// INCRBY DECRBY INCRBYFLOAT APPEND STRLEN GETRANGE SUBSTR SETRANGE LCS.
#include <absl/flags/declare.h>
#include <absl/flags/flag.h>
#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>

#include <cmath>

#include "base/byte_size.h"
#include "base/strings.h"
#include "core/lcs.h"
#include "facade/arg_parser.h"
#include "server/families/families.h"
#include "server/families/generic_family.h"
#include "server/service.h"
#include "server/transaction.h"

ABSL_DECLARE_FLAG(darner::ByteSize, proto_max_bulk_len);

namespace darner {
namespace {

DbSlice& Db(CommandContext& cx) { return cx.shard->db(cx.db); }

// The string value of key for reading: nullptr when missing; sets *wrong_type when it is not a
// string (only strings exist today, but handlers are written for when other types arrive).
KeyEntry* FindString(CommandContext& cx, std::string_view key, bool* wrong_type) {
  KeyEntry* e = Db(cx).FindForRead(key);
  *wrong_type = e && e->value.type() != ObjType::kString;
  return *wrong_type ? nullptr : e;
}

void SendValue(CommandContext& cx, const KeyEntry* e) {
  char scratch[CompactValue::kScratchSize];
  cx.rb->SendBulk(e->value.GetString(scratch));
}

void CmdGet(CmdArgList args, CommandContext& cx) {
  bool wrong_type;
  KeyEntry* e = FindString(cx, args[0], &wrong_type);
  if (wrong_type) return cx.rb->SendError(kWrongTypeErr);
  if (!e) return cx.rb->SendNull();
  SendValue(cx, e);
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

// Converts a timed option to an absolute deadline (ms); false after sending the error.
bool ResolveDeadline(CommandContext& cx, const ExpireOpt& opt, std::string_view cmd,
                     int64_t* deadline) {
  *deadline = 0;
  if (opt.kind == ExpireOpt::kNone || opt.kind == ExpireOpt::kKeepTtl ||
      opt.kind == ExpireOpt::kPersist) {
    return true;
  }
  int64_t v;
  if (!ParseInt64(opt.value, &v)) {
    cx.rb->SendError(kInvalidIntErr);
    return false;
  }
  bool seconds = opt.kind == ExpireOpt::kEx || opt.kind == ExpireOpt::kExAt;
  bool absolute = opt.kind == ExpireOpt::kExAt || opt.kind == ExpireOpt::kPxAt;
  if (v <= 0 || !ToDeadline(v, seconds ? 1000 : 1, absolute, NowMs(), deadline)) {
    cx.rb->SendError(StrCat("invalid expire time in '", cmd, "' command"));
    return false;
  }
  return true;
}

void CmdSet(CmdArgList args, CommandContext& cx) {
  std::string_view key = args[0], value = args[1];
  ArgParser parser(args.subspan(2));
  ExpireOpt exp;
  bool nx = false, xx = false, get = false, syntax_error = false;
  while (parser.HasNext() && !syntax_error) {
    if (ParseExpireOpt(parser, &exp, true, &syntax_error)) continue;
    if (!xx && parser.Check("NX")) {
      nx = true;
    } else if (!nx && parser.Check("XX")) {
      xx = true;
    } else if (parser.Check("GET")) {
      get = true;
    } else {
      syntax_error = true;
    }
  }
  if (syntax_error) return cx.rb->SendError(kSyntaxErr);
  int64_t deadline;
  if (!ResolveDeadline(cx, exp, "set", &deadline)) return;
  DbSlice& db = Db(cx);
  bool keep_ttl = exp.kind == ExpireOpt::kKeepTtl;
  if (!nx && !xx && !get) {  // the common case: one lookup
    db.Set(key, CompactValue::String(value), deadline, keep_ttl);
    return cx.rb->SendOk();
  }
  KeyEntry* e = db.Find(key);
  if (get && e && e->value.type() != ObjType::kString) return cx.rb->SendError(kWrongTypeErr);
  bool write = !((nx && e) || (xx && !e));
  if (get) {
    if (e) {
      SendValue(cx, e);
    } else {
      cx.rb->SendNull();
    }
  }
  if (write) db.Set(key, CompactValue::String(value), deadline, keep_ttl);
  if (!get) {
    if (write) {
      cx.rb->SendOk();
    } else {
      cx.rb->SendNull();
    }
  }
}

void CmdSetNx(CmdArgList args, CommandContext& cx) {
  DbSlice& db = Db(cx);
  if (db.Find(args[0])) return cx.rb->SendLong(0);
  db.Add(args[0], CompactValue::String(args[1]));
  cx.rb->SendLong(1);
}

void SetExImpl(CmdArgList args, CommandContext& cx, int64_t unit, std::string_view name) {
  int64_t v, deadline;
  if (!ParseInt64(args[1], &v)) return cx.rb->SendError(kInvalidIntErr);
  if (v <= 0 || !ToDeadline(v, unit, false, NowMs(), &deadline)) {
    return cx.rb->SendError(StrCat("invalid expire time in '", name, "' command"));
  }
  Db(cx).Set(args[0], CompactValue::String(args[2]), deadline, false);
  cx.rb->SendOk();
}

void CmdSetEx(CmdArgList args, CommandContext& cx) { SetExImpl(args, cx, 1000, "setex"); }
void CmdPSetEx(CmdArgList args, CommandContext& cx) { SetExImpl(args, cx, 1, "psetex"); }

void CmdGetSet(CmdArgList args, CommandContext& cx) {
  bool wrong_type;
  KeyEntry* e = FindString(cx, args[0], &wrong_type);
  if (wrong_type) return cx.rb->SendError(kWrongTypeErr);
  if (e) {
    SendValue(cx, e);
  } else {
    cx.rb->SendNull();
  }
  Db(cx).Set(args[0], CompactValue::String(args[1]), 0, false);
}

void CmdGetDel(CmdArgList args, CommandContext& cx) {
  bool wrong_type;
  KeyEntry* e = FindString(cx, args[0], &wrong_type);
  if (wrong_type) return cx.rb->SendError(kWrongTypeErr);
  if (!e) return cx.rb->SendNull();
  SendValue(cx, e);
  Db(cx).Delete(e);
}

void CmdGetEx(CmdArgList args, CommandContext& cx) {
  ArgParser parser(args.subspan(1));
  ExpireOpt exp;
  bool syntax_error = false;
  while (parser.HasNext() && !syntax_error) {
    if (!ParseExpireOpt(parser, &exp, false, &syntax_error)) syntax_error = true;
  }
  if (syntax_error) return cx.rb->SendError(kSyntaxErr);
  // Redis looks the key up before it validates the time.
  bool wrong_type;
  KeyEntry* e = FindString(cx, args[0], &wrong_type);
  if (wrong_type) return cx.rb->SendError(kWrongTypeErr);
  if (!e) return cx.rb->SendNull();
  int64_t deadline;
  if (!ResolveDeadline(cx, exp, "getex", &deadline)) return;
  SendValue(cx, e);
  DbSlice& db = Db(cx);
  if (exp.kind == ExpireOpt::kPersist) {
    db.SetExpire(e, 0);
  } else if (deadline > 0) {
    if (deadline <= NowMs()) {
      db.Delete(e);
    } else {
      db.SetExpire(e, deadline);
    }
  }
}

// ---- Multi-key: MGET MSET MSETNX -------------------------------------------------------

asio::awaitable<void> CmdMGet(CmdArgList args, CommandContext& cx) {
  std::vector<std::optional<std::string>> values(args.size());
  DbIndex db = cx.db;
  co_await cx.tx->RunOnEach([&](EngineShard& s, const Transaction::ShardKeys& sk) {
    DbSlice& d = s.db(db);
    char scratch[CompactValue::kScratchSize];
    for (size_t pos : sk.positions) {
      KeyEntry* e = d.FindForRead(args[pos - 1]);
      if (e && e->value.type() == ObjType::kString)
        values[pos - 1].emplace(e->value.GetString(scratch));
    }
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
    bool any = false;
    co_await cx.tx->RunOnEach([&](EngineShard& s, const Transaction::ShardKeys& sk) {
      for (size_t pos : sk.positions) any = any || s.db(db).Find(args[pos - 1]) != nullptr;
    });
    if (any) {
      cx.rb->SendLong(0);
      co_return;
    }
  }
  co_await cx.tx->RunOnEach([&](EngineShard& s, const Transaction::ShardKeys& sk) {
    // Positions are in argument order, so a key given twice ends with its last value.
    for (size_t pos : sk.positions) {
      s.db(db).Set(args[pos - 1], CompactValue::String(args[pos]), 0, false);
    }
    s.PublishMemory();
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

void IncrImpl(CommandContext& cx, std::string_view key, int64_t delta) {
  DbSlice& db = Db(cx);
  KeyEntry* e = db.Find(key);
  if (e && e->value.type() != ObjType::kString) return cx.rb->SendError(kWrongTypeErr);
  int64_t current = 0;
  if (e && !e->value.TryGetInt(&current)) return cx.rb->SendError(kInvalidIntErr);
  int64_t result;
  if (__builtin_add_overflow(current, delta, &result)) return cx.rb->SendError(kOverflowErr);
  if (e) {
    db.PreUpdate(e);
    e->value.SetInt(result);
    db.PostUpdate(e);
  } else {
    db.Add(key, CompactValue::Int(result));
  }
  cx.rb->SendLong(result);
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

void CmdIncrByFloat(CmdArgList args, CommandContext& cx) {
  long double delta;
  if (!ParseDouble(args[1], &delta)) return cx.rb->SendError(kInvalidFloatErr);
  DbSlice& db = Db(cx);
  KeyEntry* e = db.Find(args[0]);
  if (e && e->value.type() != ObjType::kString) return cx.rb->SendError(kWrongTypeErr);
  long double current = 0;
  if (e) {
    char scratch[CompactValue::kScratchSize];
    if (!ParseDouble(e->value.GetString(scratch), &current)) {
      return cx.rb->SendError(kInvalidFloatErr);
    }
  }
  long double result = current + delta;
  if (std::isnan(result) || std::isinf(result)) {
    return cx.rb->SendError("increment would produce NaN or Infinity");
  }
  std::string text = FormatLongDouble(result);
  if (e) {
    db.PreUpdate(e);
    e->value = CompactValue::PlainString(text);
    db.PostUpdate(e);
  } else {
    db.Add(args[0], CompactValue::PlainString(text));
  }
  cx.rb->SendBulk(text);
}

// ---- Byte ranges ----------------------------------------------------------------------

// Checks that a string grown to `len` bytes stays within proto-max-bulk-len.
bool CheckStringSize(CommandContext& cx, uint64_t len) {
  if (len > absl::GetFlag(FLAGS_proto_max_bulk_len).bytes) {
    cx.rb->SendError("string exceeds maximum allowed size (proto-max-bulk-len)");
    return false;
  }
  return true;
}

void CmdAppend(CmdArgList args, CommandContext& cx) {
  DbSlice& db = Db(cx);
  KeyEntry* e = db.Find(args[0]);
  if (e && e->value.type() != ObjType::kString) return cx.rb->SendError(kWrongTypeErr);
  if (!e) {
    db.Add(args[0], CompactValue::String(args[1]));
    return cx.rb->SendLong(static_cast<int64_t>(args[1].size()));
  }
  if (!CheckStringSize(cx, e->value.StringSize() + args[1].size())) return;
  db.PreUpdate(e);
  e->value.Append(args[1]);
  db.PostUpdate(e);
  cx.rb->SendLong(static_cast<int64_t>(e->value.StringSize()));
}

void CmdStrLen(CmdArgList args, CommandContext& cx) {
  bool wrong_type;
  KeyEntry* e = FindString(cx, args[0], &wrong_type);
  if (wrong_type) return cx.rb->SendError(kWrongTypeErr);
  cx.rb->SendLong(e ? static_cast<int64_t>(e->value.StringSize()) : 0);
}

void CmdGetRange(CmdArgList args, CommandContext& cx) {
  int64_t start, end;
  if (!ParseInt64(args[1], &start) || !ParseInt64(args[2], &end)) {
    return cx.rb->SendError(kInvalidIntErr);
  }
  bool wrong_type;
  KeyEntry* e = FindString(cx, args[0], &wrong_type);
  if (wrong_type) return cx.rb->SendError(kWrongTypeErr);
  char scratch[CompactValue::kScratchSize];
  std::string_view s = e ? e->value.GetString(scratch) : std::string_view();
  int64_t len = static_cast<int64_t>(s.size());
  // Redis's rules: negative indexes count from the end; an empty or inverted range is "".
  if (start < 0 && end < 0 && start > end) return cx.rb->SendBulk("");
  if (start < 0) start = std::max<int64_t>(len + start, 0);
  if (end < 0) end = std::max<int64_t>(len + end, 0);
  if (end >= len) end = len - 1;
  if (len == 0 || start > end) return cx.rb->SendBulk("");
  cx.rb->SendBulk(s.substr(static_cast<size_t>(start), static_cast<size_t>(end - start + 1)));
}

void CmdSetRange(CmdArgList args, CommandContext& cx) {
  int64_t offset;
  if (!ParseInt64(args[1], &offset)) return cx.rb->SendError(kInvalidIntErr);
  if (offset < 0) return cx.rb->SendError("offset is out of range");
  std::string_view value = args[2];
  DbSlice& db = Db(cx);
  KeyEntry* e = db.Find(args[0]);
  if (e && e->value.type() != ObjType::kString) return cx.rb->SendError(kWrongTypeErr);
  if (!e) {
    if (value.empty()) return cx.rb->SendLong(0);
    if (!CheckStringSize(cx, static_cast<uint64_t>(offset) + value.size())) return;
    CompactValue v;
    v.SetRange(static_cast<size_t>(offset), value);
    db.Add(args[0], std::move(v));
    return cx.rb->SendLong(offset + static_cast<int64_t>(value.size()));
  }
  if (value.empty()) return cx.rb->SendLong(static_cast<int64_t>(e->value.StringSize()));
  if (!CheckStringSize(cx, static_cast<uint64_t>(offset) + value.size())) return;
  db.PreUpdate(e);
  size_t len = e->value.SetRange(static_cast<size_t>(offset), value);
  db.PostUpdate(e);
  cx.rb->SendLong(static_cast<int64_t>(len));
}

// ---- LCS ------------------------------------------------------------------------------

asio::awaitable<void> CmdLcs(CmdArgList args, CommandContext& cx) {
  bool len_only = false, idx = false, with_len = false;
  int64_t min_len = 0;
  ArgParser parser(args.subspan(2));
  while (parser.HasNext() && !parser.error()) {
    if (parser.Check("LEN")) {
      len_only = true;
    } else if (parser.Check("IDX")) {
      idx = true;
    } else if (parser.Check("WITHMATCHLEN")) {
      with_len = true;
    } else if (parser.Check("MINMATCHLEN")) {
      min_len = parser.NextInt();
      if (min_len < 0) min_len = 0;
    } else {
      parser.Fail(kSyntaxErr);
    }
  }
  if (parser.error()) {
    cx.rb->SendError(*parser.error());
    co_return;
  }
  if (len_only && idx) {
    cx.rb->SendError("If you want both the length and indexes, please just use IDX.");
    co_return;
  }
  DbIndex db = cx.db;
  std::string values[2];
  bool wrong_type = false;
  for (int i = 0; i < 2; ++i) {
    unsigned shard = cx.tx->ShardOfPosition(i + 1);
    co_await cx.tx->RunOn(shard, [&](EngineShard& s) {
      KeyEntry* e = s.db(db).FindForRead(args[i]);
      if (e && e->value.type() != ObjType::kString) wrong_type = true;
      if (e) values[i] = e->value.ToString();
    });
  }
  if (wrong_type) {
    cx.rb->SendError("The specified keys must contain string values");
    co_return;
  }
  LcsOptions opts;
  opts.want_string = !len_only && !idx;
  opts.want_matches = idx;
  opts.min_match_len = min_len;
  opts.max_table_bytes = absl::GetFlag(FLAGS_proto_max_bulk_len).bytes;
  LcsResult result;
  switch (ComputeLcs(values[0], values[1], opts, &result)) {
    case LcsStatus::kStringTooLong:
      cx.rb->SendError(kLcsStringTooLongError);
      co_return;
    case LcsStatus::kTableTooBig:
      cx.rb->SendError(kLcsTableTooBigError);
      co_return;
    case LcsStatus::kOk:
      break;
  }
  if (len_only) {
    cx.rb->SendLong(result.len);
  } else if (!idx) {
    cx.rb->SendBulk(result.lcs);
  } else {
    cx.rb->StartMap(2);
    cx.rb->SendBulk("matches");
    cx.rb->StartArray(result.matches.size());
    for (const LcsMatch& m : result.matches) {
      cx.rb->StartArray(with_len ? 3 : 2);
      cx.rb->StartArray(2);
      cx.rb->SendLong(m.a_start);
      cx.rb->SendLong(m.a_end);
      cx.rb->StartArray(2);
      cx.rb->SendLong(m.b_start);
      cx.rb->SendLong(m.b_end);
      if (with_len) cx.rb->SendLong(m.len);
    }
    cx.rb->SendBulk("len");
    cx.rb->SendLong(result.len);
  }
}

}  // namespace

void RegisterStringFamily(CommandRegistry* r) {
  using namespace co;
  constexpr uint32_t kW = kWrite | kDenyOom;
  *r << CommandId{.name = "GET",
                  .arity = 2,
                  .flags = kReadOnly | kFast,
                  .acl = "@read @string @fast",
                  .keys = {{.flags = ks::kRO | ks::kAccess, .index = 1}},
                  .sync = CmdGet,
                  .group = "string",
                  .since = "1.0.0",
                  .complexity = "O(1)",
                  .summary = "Gets the value stored at a key.",
                  .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0}}}
     << CommandId{.name = "SET",
                  .arity = -3,
                  .flags = kW,
                  .acl = "@write @string @slow",
                  .keys = {{.flags = ks::kRW | ks::kAccess | ks::kUpdate | ks::kVariableFlags,
                            .index = 1,
                            .notes =
                                "Reads the old value (GET option) as well as writing the new one"}},
                  .sync = CmdSet,
                  .group = "string",
                  .since = "1.0.0",
                  .complexity = "O(1)",
                  .summary =
                      "Stores a string under a key, replacing any existing value of any type and "
                      "creating the key when absent.",
                  .history = {{"2.6.12", "The EX, PX, NX and XX options were introduced."},
                              {"6.0.0", "The KEEPTTL option was introduced."},
                              {"6.2.0", "The GET, EXAT and PXAT options were introduced."},
                              {"7.0.0", "NX may now be combined with GET."}},
                  .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0},
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
                            .args = {{.name = "seconds",
                                      .type = arg::kInteger,
                                      .token = "EX",
                                      .since = "2.6.12"},
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
                                      .since = "6.0.0"}}}}}
     << CommandId{.name = "SETNX",
                  .arity = 3,
                  .flags = kW | kFast,
                  .acl = "@write @string @fast",
                  .keys = {{.flags = ks::kOW | ks::kInsert, .index = 1}},
                  .sync = CmdSetNx,
                  .group = "string",
                  .since = "1.0.0",
                  .complexity = "O(1)",
                  .summary =
                      "Stores a string under a key, but only if that key is not already present.",
                  .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0},
                           {.name = "value"}}}
     << CommandId{.name = "SETEX",
                  .arity = 4,
                  .flags = kW,
                  .acl = "@write @string @slow",
                  .keys = {{.flags = ks::kOW | ks::kUpdate, .index = 1}},
                  .sync = CmdSetEx,
                  .group = "string",
                  .since = "2.0.0",
                  .complexity = "O(1)",
                  .summary =
                      "Stores a string under a key together with a time-to-live in seconds, "
                      "creating the key if needed.",
                  .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0},
                           {.name = "seconds", .type = arg::kInteger},
                           {.name = "value"}}}
     << CommandId{.name = "PSETEX",
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
                           {.name = "value"}}}
     << CommandId{.name = "GETSET",
                  .arity = 3,
                  .flags = kW | kFast,
                  .acl = "@write @string @fast",
                  .keys = {{.flags = ks::kRW | ks::kAccess | ks::kUpdate, .index = 1}},
                  .sync = CmdGetSet,
                  .group = "string",
                  .since = "1.0.0",
                  .complexity = "O(1)",
                  .summary =
                      "Overwrites the string at a key and replies with the value it held before.",
                  .doc_flags = doc::kDeprecated,
                  .deprecated_since = "6.2.0",
                  .replaced_by = "`SET` with the `!GET` argument",
                  .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0},
                           {.name = "value"}}}
     << CommandId{.name = "GETDEL",
                  .arity = 2,
                  .flags = kWrite | kFast,
                  .acl = "@write @string @fast",
                  .keys = {{.flags = ks::kRW | ks::kAccess | ks::kDelete, .index = 1}},
                  .sync = CmdGetDel,
                  .group = "string",
                  .since = "6.2.0",
                  .complexity = "O(1)",
                  .summary = "Removes a key and replies with the string it held.",
                  .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0}}}
     << CommandId{.name = "GETEX",
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
                  .summary =
                      "Gets the string stored at a key and optionally changes or clears its "
                      "time-to-live.",
                  .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0},
                           {.name = "expiration",
                            .type = arg::kOneOf,
                            .flags = arg::kOptional,
                            .args = {{.name = "seconds", .type = arg::kInteger, .token = "EX"},
                                     {.name = "milliseconds", .type = arg::kInteger, .token = "PX"},
                                     {.name = "unix-time-seconds",
                                      .type = arg::kUnixTime,
                                      .token = "EXAT"},
                                     {.name = "unix-time-milliseconds",
                                      .type = arg::kUnixTime,
                                      .token = "PXAT"},
                                     {.name = "persist",
                                      .type = arg::kPureToken,
                                      .token = "PERSIST"}}}}}
     << CommandId{.name = "MGET",
                  .arity = -2,
                  .flags = kReadOnly | kFast,
                  .acl = "@read @string @fast",
                  .keys = {{.flags = ks::kRO | ks::kAccess, .index = 1, .lastkey = -1}},
                  .async = CmdMGet,
                  .group = "string",
                  .since = "1.0.0",
                  .complexity = "O(N), N being the number of keys requested.",
                  .summary = "Fetches the string values of several keys in a single atomic step.",
                  .args = {{.name = "key",
                            .type = arg::kKey,
                            .key_spec_index = 0,
                            .flags = arg::kMultiple}}}
     << CommandId{.name = "MSET",
                  .arity = -3,
                  .flags = kW,
                  .acl = "@write @string @slow",
                  .keys =
                      {{.flags = ks::kOW | ks::kUpdate, .index = 1, .lastkey = -1, .keystep = 2}},
                  .async = CmdMSet,
                  .group = "string",
                  .since = "1.0.1",
                  .complexity = "O(N), N being the number of keys written.",
                  .summary =
                      "Writes string values to several keys at once, as a single atomic step.",
                  .args = {{.name = "key_value",
                            .type = arg::kBlock,
                            .flags = arg::kMultiple,
                            .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0},
                                     {.name = "value"}}}}}
     << CommandId{.name = "MSETNX",
                  .arity = -3,
                  .flags = kW,
                  .acl = "@write @string @slow",
                  .keys =
                      {{.flags = ks::kOW | ks::kInsert, .index = 1, .lastkey = -1, .keystep = 2}},
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
                                     {.name = "value"}}}}}
     << CommandId{.name = "INCR",
                  .arity = 2,
                  .flags = kW | kFast,
                  .acl = "@write @string @fast",
                  .keys = {{.flags = ks::kRW | ks::kAccess | ks::kUpdate, .index = 1}},
                  .sync = CmdIncr,
                  .group = "string",
                  .since = "1.0.0",
                  .complexity = "O(1)",
                  .summary =
                      "Adds one to the integer stored at a key, treating a missing key as 0.",
                  .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0}}}
     << CommandId{.name = "DECR",
                  .arity = 2,
                  .flags = kW | kFast,
                  .acl = "@write @string @fast",
                  .keys = {{.flags = ks::kRW | ks::kAccess | ks::kUpdate, .index = 1}},
                  .sync = CmdDecr,
                  .group = "string",
                  .since = "1.0.0",
                  .complexity = "O(1)",
                  .summary =
                      "Subtracts one from the integer at a key, treating a missing key as 0.",
                  .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0}}}
     << CommandId{.name = "INCRBY",
                  .arity = 3,
                  .flags = kW | kFast,
                  .acl = "@write @string @fast",
                  .keys = {{.flags = ks::kRW | ks::kAccess | ks::kUpdate, .index = 1}},
                  .sync = CmdIncrBy,
                  .group = "string",
                  .since = "1.0.0",
                  .complexity = "O(1)",
                  .summary =
                      "Adds the given amount to the integer stored at a key, treating a missing "
                      "key as 0.",
                  .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0},
                           {.name = "increment", .type = arg::kInteger}}}
     << CommandId{.name = "DECRBY",
                  .arity = 3,
                  .flags = kW | kFast,
                  .acl = "@write @string @fast",
                  .keys = {{.flags = ks::kRW | ks::kAccess | ks::kUpdate, .index = 1}},
                  .sync = CmdDecrBy,
                  .group = "string",
                  .since = "1.0.0",
                  .complexity = "O(1)",
                  .summary =
                      "Subtracts the given amount from the integer stored at a key, treating a "
                      "missing key as 0.",
                  .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0},
                           {.name = "decrement", .type = arg::kInteger}}}
     << CommandId{.name = "INCRBYFLOAT",
                  .arity = 3,
                  .flags = kW | kFast,
                  .acl = "@write @string @fast",
                  .keys = {{.flags = ks::kRW | ks::kAccess | ks::kUpdate, .index = 1}},
                  .sync = CmdIncrByFloat,
                  .group = "string",
                  .since = "2.6.0",
                  .complexity = "O(1)",
                  .summary =
                      "Adds the given amount to the floating-point number stored at a key, "
                      "treating a missing key as 0.",
                  .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0},
                           {.name = "increment", .type = arg::kDouble}}}
     << CommandId{.name = "APPEND",
                  .arity = 3,
                  .flags = kW | kFast,
                  .acl = "@write @string @fast",
                  .keys = {{.flags = ks::kRW | ks::kInsert, .index = 1}},
                  .sync = CmdAppend,
                  .group = "string",
                  .since = "2.0.0",
                  .complexity =
                      "O(1). Amortized O(1) as long as the added piece is small, whatever the size "
                      "of the existing value, because the string's spare capacity doubles each "
                      "time its buffer is reallocated.",
                  .summary =
                      "Adds a string to the end of a key's value, creating the key when it is "
                      "absent.",
                  .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0},
                           {.name = "value"}}}
     << CommandId{.name = "STRLEN",
                  .arity = 2,
                  .flags = kReadOnly | kFast,
                  .acl = "@read @string @fast",
                  .keys = {{.flags = ks::kRO, .index = 1}},
                  .sync = CmdStrLen,
                  .group = "string",
                  .since = "2.2.0",
                  .complexity = "O(1)",
                  .summary = "Gets the number of bytes in the string stored at a key.",
                  .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0}}}
     << CommandId{.name = "GETRANGE",
                  .arity = 4,
                  .flags = kReadOnly,
                  .acl = "@read @string @slow",
                  .keys = {{.flags = ks::kRO | ks::kAccess, .index = 1}},
                  .sync = CmdGetRange,
                  .group = "string",
                  .since = "2.4.0",
                  .complexity =
                      "O(N), N being the length of the returned string. Cost follows the size of "
                      "the result, and since copying out a slice is cheap, short results are "
                      "effectively O(1).",
                  .summary =
                      "Gets the slice of a key's string value that lies between two offsets.",
                  .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0},
                           {.name = "start", .type = arg::kInteger},
                           {.name = "end", .type = arg::kInteger}}}
     << CommandId{.name = "SUBSTR",
                  .arity = 4,
                  .flags = kReadOnly,
                  .acl = "@read @string @slow",
                  .keys = {{.flags = ks::kRO | ks::kAccess, .index = 1}},
                  .sync = CmdGetRange,
                  .group = "string",
                  .since = "1.0.0",
                  .complexity =
                      "O(N), N being the length of the returned string. Cost follows the size of "
                      "the result, and since copying out a slice is cheap, short results are "
                      "effectively O(1).",
                  .summary =
                      "Gets a slice of a string value between two offsets; an older name for "
                      "GETRANGE.",
                  .doc_flags = doc::kDeprecated,
                  .deprecated_since = "2.0.0",
                  .replaced_by = "`GETRANGE`",
                  .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0},
                           {.name = "start", .type = arg::kInteger},
                           {.name = "end", .type = arg::kInteger}}}
     << CommandId{.name = "SETRANGE",
                  .arity = 4,
                  .flags = kW,
                  .acl = "@write @string @slow",
                  .keys = {{.flags = ks::kRW | ks::kUpdate, .index = 1}},
                  .sync = CmdSetRange,
                  .group = "string",
                  .since = "2.2.0",
                  .complexity =
                      "O(1) apart from copying the new bytes into place. That copy is normally "
                      "tiny, giving amortized O(1); for a large value argument it is O(M), M being "
                      "that argument's length.",
                  .summary =
                      "Writes a string over part of a key's value starting at an offset, creating "
                      "the key when absent.",
                  .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0},
                           {.name = "offset", .type = arg::kInteger},
                           {.name = "value"}}}
     << CommandId{
            .name = "LCS",
            .arity = -3,
            .flags = kReadOnly,
            .acl = "@read @string @slow",
            .keys = {{.flags = ks::kRO | ks::kAccess, .index = 1, .lastkey = 1}},
            .async = CmdLcs,
            .group = "string",
            .since = "7.0.0",
            .complexity = "O(N*M), N and M being the lengths of the two strings compared",
            .summary = "Computes the longest subsequence shared by two string values.",
            .args = {
                {.name = "key1", .type = arg::kKey, .key_spec_index = 0},
                {.name = "key2", .type = arg::kKey, .key_spec_index = 0},
                {.name = "len", .type = arg::kPureToken, .token = "LEN", .flags = arg::kOptional},
                {.name = "idx", .type = arg::kPureToken, .token = "IDX", .flags = arg::kOptional},
                {.name = "len",
                 .type = arg::kInteger,
                 .token = "MINMATCHLEN",
                 .flags = arg::kOptional},
                {.name = "withmatchlen",
                 .type = arg::kPureToken,
                 .token = "WITHMATCHLEN",
                 .flags = arg::kOptional}}};
}

}  // namespace darner
