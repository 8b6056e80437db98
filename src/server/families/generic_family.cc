// Keyspace commands: DEL UNLINK EXISTS TYPE TOUCH RENAME RENAMENX COPY MOVE RANDOMKEY KEYS SCAN
// EXPIRE PEXPIRE EXPIREAT PEXPIREAT TTL PTTL EXPIRETIME PEXPIRETIME PERSIST OBJECT (DUMP and
// RESTORE are in dump_family.cc).
#include "server/families/generic_family.h"

#include <absl/flags/declare.h>
#include <absl/flags/flag.h>
#include <absl/strings/ascii.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>

#include <random>

#include "base/strings.h"
#include "core/glob.h"
#include "facade/arg_parser.h"
#include "server/cluster_support.h"
#include "server/eviction.h"
#include "server/families/families.h"
#include "server/service.h"
#include "server/transaction.h"

ABSL_DECLARE_FLAG(uint32_t, dbnum);

namespace darner {

bool ToDeadline(int64_t value, int64_t unit_ms, bool absolute, int64_t now_ms, int64_t* out) {
  if (value > INT64_MAX / unit_ms || value < INT64_MIN / unit_ms) return false;
  int64_t ms = value * unit_ms;
  if (!absolute) {
    if (ms > INT64_MAX - now_ms) return false;
    ms += now_ms;
  }
  *out = ms;
  return true;
}

std::string_view TypeName(const KeyEntry* e) {
  switch (e->value.type()) {
    case ObjType::kString:
      return "string";
  }
  return "none";
}

namespace {

// ---- DEL UNLINK EXISTS TOUCH: keys on any shards, one count reply -----------------------

// One shard's share of a counting command: per_key(db, key) (0 or 1) summed over the shard's
// keys (`positions` in the full argument list; `args` without the name).
template <typename PerKey>
int64_t OpCountKeys(const OpArgs& op, CmdArgList args, std::span<const size_t> positions,
                    PerKey per_key) {
  int64_t n = 0;
  for (size_t pos : positions) n += per_key(op.db(), args[pos - 1]);
  return n;
}

template <typename PerKey>
asio::awaitable<void> CountKeys(CmdArgList args, CommandContext& cx, PerKey per_key) {
  std::atomic<int64_t> total{0};  // every shard adds its share at once
  DbIndex db = cx.db;
  co_await cx.tx->RunOnEach([&](EngineShard& s, const Transaction::ShardKeys& sk) {
    total += OpCountKeys(OpArgs{&s, db}, args, sk.positions, per_key);
  });
  cx.rb->SendLong(total.load());
}

asio::awaitable<void> CmdDel(CmdArgList args, CommandContext& cx) {
  co_await CountKeys(args, cx, [](DbSlice& db, std::string_view key) { return db.Delete(key); });
}

asio::awaitable<void> CmdExists(CmdArgList args, CommandContext& cx) {
  co_await CountKeys(args, cx,
                     [](DbSlice& db, std::string_view key) { return db.Find(key) != nullptr; });
}

// The type name of key ("none" when it is missing).
OpResult<std::string_view> OpType(const OpArgs& op, std::string_view key) {
  const KeyEntry* e = op.db().Find(key);
  return e ? TypeName(e) : std::string_view("none");
}

void CmdType(CmdArgList args, CommandContext& cx) {
  cx.rb->SendSimpleString(*OpType(cx.op_args(), args[0]));
}

// ---- RENAME RENAMENX COPY: read on the source shard, write on the destination shard -----

// A value detached from its key, for moving between shards.
struct Detached {
  bool found = false;
  CompactValue value;
  int64_t expire_at = 0;
};

asio::awaitable<void> RenameImpl(CmdArgList args, CommandContext& cx, bool nx) {
  std::string_view src = args[0], dst = args[1];
  DbIndex db = cx.db;
  Transaction* tx = cx.tx;
  unsigned src_shard = tx->ShardOfPosition(1), dst_shard = tx->ShardOfPosition(2);
  if (src == dst) {
    bool exists = co_await tx->RunOn(src_shard,
                                     [&](EngineShard& s) { return s.db(db).Find(src) != nullptr; });
    if (!exists) {
      cx.rb->SendError(kNoSuchKeyErr);
    } else if (nx) {
      cx.rb->SendLong(0);
    } else {
      cx.rb->SendOk();
    }
    co_return;
  }
  // RENAMENX looks at the destination first, so that a refused rename changes nothing.
  bool dst_exists = nx && co_await tx->RunOn(dst_shard, [&](EngineShard& s) {
    return s.db(db).Find(dst) != nullptr;
  });
  Detached moved = co_await tx->RunOn(src_shard, [&](EngineShard& s) {
    Detached d;
    KeyEntry* e = s.db(db).Find(src);
    if (!e) return d;
    d.found = true;
    if (dst_exists) return d;  // reported below; the source stays
    d.expire_at = e->expire_at();
    d.value = std::move(e->value);
    s.db(db).Delete(e);
    s.PublishMemory();
    return d;
  });
  if (!moved.found) {
    cx.rb->SendError(kNoSuchKeyErr);
    co_return;
  }
  if (dst_exists) {
    cx.rb->SendLong(0);
    co_return;
  }
  co_await tx->RunOn(dst_shard, [&](EngineShard& s) {
    s.db(db).Delete(dst);
    s.db(db).Add(dst, std::move(moved.value), moved.expire_at);
    s.PublishMemory();
  });
  if (nx) {
    cx.rb->SendLong(1);
  } else {
    cx.rb->SendOk();
  }
}

asio::awaitable<void> CmdRename(CmdArgList args, CommandContext& cx) {
  co_await RenameImpl(args, cx, false);
}

asio::awaitable<void> CmdRenameNx(CmdArgList args, CommandContext& cx) {
  co_await RenameImpl(args, cx, true);
}

asio::awaitable<void> CmdCopy(CmdArgList args, CommandContext& cx) {
  std::string_view src = args[0], dst = args[1];
  DbIndex src_db = cx.db, dst_db = cx.db;
  bool replace = false;
  ArgParser parser(args.subspan(2));
  while (parser.HasNext()) {
    if (parser.Check("REPLACE")) {
      replace = true;
    } else if (parser.Check("DB")) {
      int64_t index = parser.NextInt();
      if (parser.error()) break;
      if (index < 0 || index >= static_cast<int64_t>(absl::GetFlag(FLAGS_dbnum))) {
        parser.Fail(kDbIndexOutOfRangeErr);
        break;
      }
      dst_db = static_cast<DbIndex>(index);
    } else {
      parser.Fail(kSyntaxErr);
      break;
    }
  }
  if (parser.error()) {
    cx.rb->SendError(*parser.error());
    co_return;
  }
  if (src == dst && src_db == dst_db) {
    cx.rb->SendError(kSameObjectErr);
    co_return;
  }
  Transaction* tx = cx.tx;
  unsigned src_shard = tx->ShardOfPosition(1), dst_shard = tx->ShardOfPosition(2);
  Detached copy = co_await tx->RunOn(src_shard, [&](EngineShard& s) {
    Detached d;
    if (KeyEntry* e = s.db(src_db).Find(src)) {
      d.found = true;
      d.value = e->value.Clone();
      d.expire_at = e->expire_at();
    }
    return d;
  });
  if (!copy.found) {
    cx.rb->SendLong(0);
    co_return;
  }
  bool done = co_await tx->RunOn(dst_shard, [&](EngineShard& s) {
    DbSlice& d = s.db(dst_db);
    if (d.Find(dst)) {
      if (!replace) return false;
      d.Delete(dst);
    }
    d.Add(dst, std::move(copy.value), copy.expire_at);
    s.PublishMemory();
    return true;
  });
  cx.rb->SendLong(done ? 1 : 0);
}

// Moves key to database `to` on the same shard, unless it is missing there or present in `to`.
OpResult<bool> OpMove(const OpArgs& op, std::string_view key, DbIndex to_index) {
  DbSlice& from = op.db();
  DbSlice& to = op.shard->db(to_index);
  KeyEntry* e = from.Find(key);
  if (!e || to.Find(key)) return false;
  int64_t expire_at = e->expire_at();
  CompactValue v = std::move(e->value);
  from.Delete(e);
  to.Add(key, std::move(v), expire_at);
  return true;
}

void CmdMove(CmdArgList args, CommandContext& cx) {
  if (GetClusterMode() == ClusterMode::kYes) {
    cx.rb->SendError("MOVE is not allowed in cluster mode");
    return;
  }
  int64_t index;
  if (!ParseInt64(args[1], &index)) {
    cx.rb->SendError(kInvalidIntErr);
    return;
  }
  if (index < 0 || index >= static_cast<int64_t>(absl::GetFlag(FLAGS_dbnum))) {
    cx.rb->SendError(kDbIndexOutOfRangeErr);
    return;
  }
  if (index == cx.db) {
    cx.rb->SendError(kSameObjectErr);
    return;
  }
  OpResult<bool> moved = OpMove(cx.op_args(), args[0], static_cast<DbIndex>(index));
  cx.rb->SendLong(*moved ? 1 : 0);
}

// ---- RANDOMKEY KEYS SCAN: visit shards in turn ------------------------------------------

asio::awaitable<void> CmdRandomKey(CmdArgList args, CommandContext& cx) {
  DbIndex db = cx.db;
  std::vector<size_t> sizes;
  co_await cx.tx->RunOnAll(
      [&](EngineShard& s) { sizes.push_back(s.HasDb(db) ? s.db(db).size() : 0); });
  std::mt19937_64 rng(std::random_device{}());
  // Expired keys found on the way are deleted; give up (nil) after a bounded number of tries.
  for (int attempt = 0; attempt < 100; ++attempt) {
    size_t total = 0;
    for (size_t n : sizes) total += n;
    if (total == 0) break;
    size_t pick = rng() % total;
    unsigned shard = 0;
    while (pick >= sizes[shard]) pick -= sizes[shard++];
    uint64_t seed = rng();
    std::optional<std::string> key = co_await cx.tx->RunOn(shard, [&](EngineShard& s) {
      std::optional<std::string> k;
      DbSlice& d = s.db(db);
      KeyEntry* e = d.RandomEntry(seed);
      if (e && d.Find(e->key())) k.emplace(e->key());  // Find drops it if expired
      sizes[shard] = d.size();
      return k;
    });
    if (key) {
      cx.rb->SendBulk(*key);
      co_return;
    }
  }
  cx.rb->SendNull();
}

asio::awaitable<void> CmdKeys(CmdArgList args, CommandContext& cx) {
  std::string pattern(args[0]);
  bool all = pattern == "*";
  DbIndex db = cx.db;
  std::vector<std::string> keys;
  int64_t now = NowMs();
  co_await cx.tx->RunOnAll([&](EngineShard& s) {
    if (!s.HasDb(db)) return;
    DbSlice& d = s.db(db);
    for (unsigned pos = 0; pos < d.slot_positions(); ++pos) {
      if (d.SlotEmpty(pos)) continue;
      uint64_t cursor = 0;
      do {
        cursor = d.ScanSlot(pos, cursor, [&](KeyEntry* e) {
          if (e->has_expire() && e->expire_at() <= now) return;
          if (all || GlobMatch(pattern, e->key())) keys.emplace_back(e->key());
        });
      } while (cursor != 0);
    }
  });
  cx.rb->StartArray(keys.size());
  for (const auto& k : keys) cx.rb->SendBulk(k);
}

// A SCAN cursor: the low 15 bits index the (shard, slot position) pair in shard-major order,
// the rest is the cursor inside that slot's table.
constexpr int kPosBits = 15;

asio::awaitable<void> CmdScan(CmdArgList args, CommandContext& cx) {
  uint64_t cursor;
  if (!ParseUint64(args[0], &cursor)) {
    cx.rb->SendError("invalid cursor");
    co_return;
  }
  std::string pattern;
  int64_t count = 10;
  std::string type;
  ArgParser parser(args.subspan(1));
  while (parser.HasNext()) {
    if (parser.Check("MATCH")) {
      pattern = std::string(parser.Next());
    } else if (parser.Check("COUNT")) {
      count = parser.NextInt();
      if (!parser.error() && count < 1) parser.Fail(kSyntaxErr);
    } else if (parser.Check("TYPE")) {
      type = ToLower(parser.Next());
    } else {
      parser.Fail(kSyntaxErr);
    }
    if (parser.error()) break;
  }
  if (parser.error()) {
    cx.rb->SendError(*parser.error());
    co_return;
  }
  const unsigned shards = cx.service->num_shards();
  const unsigned per_shard = (kNumSlots + shards - 1) / shards;
  uint64_t pos = cursor & ((1u << kPosBits) - 1);
  uint64_t table_cursor = cursor >> kPosBits;
  unsigned shard = static_cast<unsigned>(pos / per_shard);
  unsigned slot_pos = static_cast<unsigned>(pos % per_shard);
  DbIndex db = cx.db;
  std::vector<std::string> keys;
  size_t visited = 0;
  bool done = shard >= shards;
  int64_t now = NowMs();
  while (!done && visited < static_cast<size_t>(count)) {
    // Scan on this shard until `count` entries were visited or its slots are exhausted.
    co_await cx.tx->RunOn(shard, [&](EngineShard& s) {
      DbSlice* d = s.HasDb(db) ? &s.db(db) : nullptr;
      unsigned limit = d ? d->slot_positions() : 0;
      while (slot_pos < limit && visited < static_cast<size_t>(count)) {
        if (d->SlotEmpty(slot_pos)) {
          ++slot_pos;
          table_cursor = 0;
          continue;
        }
        table_cursor = d->ScanSlot(slot_pos, table_cursor, [&](KeyEntry* e) {
          ++visited;
          if (e->has_expire() && e->expire_at() <= now) return;
          if (!pattern.empty() && !GlobMatch(pattern, e->key())) return;
          if (!type.empty() && type != TypeName(e)) return;
          keys.emplace_back(e->key());
        });
        if (table_cursor == 0) ++slot_pos;
      }
      if (slot_pos >= limit) {
        ++shard;
        slot_pos = 0;
        table_cursor = 0;
      }
    });
    done = shard >= shards;
  }
  uint64_t next = done ? 0 : (table_cursor << kPosBits) | (uint64_t(shard) * per_shard + slot_pos);
  cx.rb->StartArray(2);
  cx.rb->SendBulk(std::to_string(next));
  cx.rb->StartArray(keys.size());
  for (const auto& k : keys) cx.rb->SendBulk(k);
}

// ---- Expiry ---------------------------------------------------------------------------

struct ExpireParams {
  int64_t deadline = 0, now = 0;
  bool nx = false, xx = false, gt = false, lt = false;  // EXPIRE's conditions
};

// Sets key's deadline (a deadline already past deletes it) when the conditions allow; whether
// it did. A key without a deadline counts as one at infinity (GT never, LT always).
OpResult<bool> OpExpire(const OpArgs& op, std::string_view key, const ExpireParams& p) {
  DbSlice& db = op.db();
  KeyEntry* e = db.Find(key);
  if (!e) return false;
  int64_t current = e->expire_at();  // 0: no TTL
  if ((p.nx && current != 0) || (p.xx && current == 0) ||
      (p.gt && (current == 0 || p.deadline <= current)) ||
      (p.lt && current != 0 && p.deadline >= current)) {
    return false;
  }
  if (p.deadline <= p.now) {
    db.Delete(e);
  } else {
    db.SetExpire(e, p.deadline);
  }
  return true;
}

void ExpireImpl(CmdArgList args, CommandContext& cx, int64_t unit_ms, bool absolute) {
  // Options are checked before the time value, as Redis does.
  bool nx = false, xx = false, gt = false, lt = false;
  for (size_t i = 2; i < args.size(); ++i) {
    std::string opt = ToUpper(args[i]);
    if (opt == "NX")
      nx = true;
    else if (opt == "XX")
      xx = true;
    else if (opt == "GT")
      gt = true;
    else if (opt == "LT")
      lt = true;
    else {
      cx.rb->SendError(StrCat("Unsupported option ", args[i]));
      return;
    }
  }
  if (nx && (xx || gt || lt)) {
    cx.rb->SendError("NX and XX, GT or LT options at the same time are not compatible");
    return;
  }
  if (gt && lt) {
    cx.rb->SendError("GT and LT options at the same time are not compatible");
    return;
  }
  int64_t value;
  if (!ParseInt64(args[1], &value)) {
    cx.rb->SendError(kInvalidIntErr);
    return;
  }
  int64_t now = NowMs();
  int64_t deadline;
  if (!ToDeadline(value, unit_ms, absolute, now, &deadline)) {
    cx.rb->SendError(StrCat("invalid expire time in '", ToLower(cx.cid->name), "' command"));
    return;
  }
  ExpireParams params{.deadline = deadline, .now = now, .nx = nx, .xx = xx, .gt = gt, .lt = lt};
  OpResult<bool> set = OpExpire(cx.op_args(), args[0], params);
  cx.rb->SendLong(*set ? 1 : 0);
}

void CmdExpire(CmdArgList args, CommandContext& cx) { ExpireImpl(args, cx, 1000, false); }
void CmdPExpire(CmdArgList args, CommandContext& cx) { ExpireImpl(args, cx, 1, false); }
void CmdExpireAt(CmdArgList args, CommandContext& cx) { ExpireImpl(args, cx, 1000, true); }
void CmdPExpireAt(CmdArgList args, CommandContext& cx) { ExpireImpl(args, cx, 1, true); }

// TTL family: -2 missing key, -1 no deadline.
// The key's deadline (0: none).
OpResult<int64_t> OpExpireAt(const OpArgs& op, std::string_view key) {
  const KeyEntry* e = op.db().Find(key);
  if (!e) return OpStatus::kKeyNotFound;
  return e->expire_at();
}

void TtlImpl(CommandContext& cx, std::string_view key, bool ms, bool absolute) {
  OpResult<int64_t> deadline = OpExpireAt(cx.op_args(), key);
  if (!deadline) {
    cx.rb->SendLong(-2);
    return;
  }
  if (*deadline == 0) {
    cx.rb->SendLong(-1);
    return;
  }
  int64_t at = *deadline;
  if (absolute) {
    cx.rb->SendLong(ms ? at : (at + 500) / 1000);
    return;
  }
  int64_t left = std::max<int64_t>(at - NowMs(), 0);
  cx.rb->SendLong(ms ? left : (left + 500) / 1000);
}

void CmdTtl(CmdArgList args, CommandContext& cx) { TtlImpl(cx, args[0], false, false); }
void CmdPTtl(CmdArgList args, CommandContext& cx) { TtlImpl(cx, args[0], true, false); }
void CmdExpireTime(CmdArgList args, CommandContext& cx) { TtlImpl(cx, args[0], false, true); }
void CmdPExpireTime(CmdArgList args, CommandContext& cx) { TtlImpl(cx, args[0], true, true); }

// Removes key's deadline; whether it had one.
OpResult<bool> OpPersist(const OpArgs& op, std::string_view key) {
  DbSlice& db = op.db();
  KeyEntry* e = db.Find(key);
  if (!e || !e->has_expire()) return false;
  db.SetExpire(e, 0);
  return true;
}

void CmdPersist(CmdArgList args, CommandContext& cx) {
  cx.rb->SendLong(*OpPersist(cx.op_args(), args[0]) ? 1 : 0);
}

void CmdObject(CmdArgList args, CommandContext& cx) {
  std::string sub = ToUpper(args[0]);
  if (sub == "HELP" && args.size() == 1) {
    cx.rb->SendSimpleStrings(
        {"OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", "ENCODING <key>",
         "    Return the kind of internal representation used in order to store the value",
         "    associated with a <key>.", "FREQ <key>",
         "    Return the access frequency index of the <key>. The returned integer is",
         "    proportional to the logarithm of the recent access frequency of the key.",
         "IDLETIME <key>",
         "    Return the idle time of the <key>, that is the approximated number of",
         "    seconds elapsed since the last access to the key.", "REFCOUNT <key>",
         "    Return the number of references of the value associated with the specified",
         "    <key>.", "HELP", "    Print this help."});
    return;
  }
  if (args.size() != 2 ||
      (sub != "ENCODING" && sub != "FREQ" && sub != "IDLETIME" && sub != "REFCOUNT")) {
    cx.rb->SendError(StrCat("unknown subcommand or wrong number of arguments for '", args[0],
                            "'. Try OBJECT HELP."));
    return;
  }
  const KeyEntry* e = cx.op_args().db().FindNoTouch(args[1]);  // OBJECT is not an access
  bool lfu = IsLfu(CurrentEvictionPolicy());
  if (!e) {
    cx.rb->SendNull();
  } else if (sub == "ENCODING") {
    cx.rb->SendBulk(e->value.EncodingName());
  } else if (sub == "FREQ" && !lfu) {
    cx.rb->SendError(
        "An LFU maxmemory policy is not selected, access frequency not tracked. Please note that "
        "when switching between policies at runtime LRU and LFU data will take some time to "
        "adjust.");
  } else if (sub == "FREQ") {
    cx.rb->SendLong(LfuFrequency(e));
  } else if (sub == "IDLETIME" && lfu) {
    cx.rb->SendError(
        "An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
        "switching between policies at runtime LRU and LFU data will take some time to adjust.");
  } else if (sub == "IDLETIME") {
    cx.rb->SendLong(static_cast<int64_t>(IdleSeconds(e)));
  } else {
    cx.rb->SendLong(1);  // REFCOUNT
  }
}

using namespace co;

// The family's declarations, registered in this order.
const CommandId kGenericCommands[] = {
    CommandId{
        .name = "DEL",
        .arity = -2,
        .flags = kWrite,
        .acl = "@keyspace @write @slow",
        .tips = "request_policy:multi_shard response_policy:agg_sum",
        .keys = {{.flags = ks::kRM | ks::kDelete, .index = 1, .lastkey = -1}},
        .async = CmdDel,
        .group = "generic",
        .since = "1.0.0",
        .complexity = "O(N), N being the number of keys removed.",
        .summary = "Removes each of the given keys.",
        .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0, .flags = arg::kMultiple}}},
    CommandId{
        .name = "UNLINK",
        .arity = -2,
        .flags = kWrite | kFast,
        .acl = "@keyspace @write @fast",
        .tips = "request_policy:multi_shard response_policy:agg_sum",
        .keys = {{.flags = ks::kRM | ks::kDelete, .index = 1, .lastkey = -1}},
        .async = CmdDel,
        .group = "generic",
        .since = "4.0.0",
        .complexity = "O(N), N being the number of keys removed.",
        .summary = "Removes the given keys (in Darner, exactly as DEL does).",
        .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0, .flags = arg::kMultiple}}},
    CommandId{
        .name = "EXISTS",
        .arity = -2,
        .flags = kReadOnly | kFast,
        .acl = "@keyspace @read @fast",
        .tips = "request_policy:multi_shard response_policy:agg_sum",
        .keys = {{.flags = ks::kRO, .index = 1, .lastkey = -1}},
        .async = CmdExists,
        .group = "generic",
        .since = "1.0.0",
        .complexity = "O(N), N being the number of keys checked.",
        .summary = "Counts how many of the given keys are present.",
        .history = {{"3.0.3", "Accepts more than one key."}},
        .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0, .flags = arg::kMultiple}}},
    CommandId{
        .name = "TOUCH",
        .arity = -2,
        .flags = kReadOnly | kFast,
        .acl = "@keyspace @read @fast",
        .tips = "request_policy:multi_shard response_policy:agg_sum",
        .keys = {{.flags = ks::kRO, .index = 1, .lastkey = -1}},
        .async = CmdExists,
        .group = "generic",
        .since = "3.2.1",
        .complexity = "O(N), N being the number of keys touched.",
        .summary = "Refreshes the last-access time of the given keys and replies with how many "
                   "of them are present.",
        .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0, .flags = arg::kMultiple}}},
    CommandId{.name = "TYPE",
              .arity = 2,
              .flags = kReadOnly | kFast,
              .acl = "@keyspace @read @fast",
              .keys = {{.flags = ks::kRO, .index = 1}},
              .sync = CmdType,
              .group = "generic",
              .since = "1.0.0",
              .complexity = "O(1)",
              .summary = "Reports the data type of the value held at a key.",
              .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0}}},
    CommandId{.name = "RENAME",
              .arity = 3,
              .flags = kWrite,
              .acl = "@keyspace @write @slow",
              .keys = {{.flags = ks::kRW | ks::kAccess | ks::kDelete, .index = 1},
                       {.flags = ks::kOW | ks::kUpdate, .index = 2}},
              .async = CmdRename,
              .group = "generic",
              .since = "1.0.0",
              .complexity = "O(1)",
              .summary = "Gives a key a new name, replacing any key that already has that name.",
              .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0},
                       {.name = "newkey", .type = arg::kKey, .key_spec_index = 1}}},
    CommandId{.name = "RENAMENX",
              .arity = 3,
              .flags = kWrite | kFast,
              .acl = "@keyspace @write @fast",
              .keys = {{.flags = ks::kRW | ks::kAccess | ks::kDelete, .index = 1},
                       {.flags = ks::kOW | ks::kInsert, .index = 2}},
              .async = CmdRenameNx,
              .group = "generic",
              .since = "1.0.0",
              .complexity = "O(1)",
              .summary = "Gives a key a new name, but only if no key has that name yet.",
              .history = {{"3.2.0", "Renaming a key to its own name is no longer an error."}},
              .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0},
                       {.name = "newkey", .type = arg::kKey, .key_spec_index = 1}}},
    CommandId{.name = "COPY",
              .arity = -3,
              .flags = kWrite | kDenyOom,
              .acl = "@keyspace @write @slow",
              .keys = {{.flags = ks::kRO | ks::kAccess, .index = 1},
                       {.flags = ks::kOW | ks::kUpdate, .index = 2}},
              .async = CmdCopy,
              .group = "generic",
              .since = "6.2.0",
              .complexity =
                  "O(N) at most for collections, N being the count of contained elements; O(1) "
                  "for strings.",
              .summary = "Duplicates the value held at one key into another key.",
              .args = {{.name = "source", .type = arg::kKey, .key_spec_index = 0},
                       {.name = "destination", .type = arg::kKey, .key_spec_index = 1},
                       {.name = "destination-db",
                        .type = arg::kInteger,
                        .token = "DB",
                        .flags = arg::kOptional},
                       {.name = "replace",
                        .type = arg::kPureToken,
                        .token = "REPLACE",
                        .flags = arg::kOptional}}},
    CommandId{.name = "MOVE",
              .arity = 3,
              .flags = kWrite | kFast,
              .acl = "@keyspace @write @fast",
              .keys = {{.flags = ks::kRW | ks::kAccess | ks::kUpdate, .index = 1}},
              .sync = CmdMove,
              .group = "generic",
              .since = "1.0.0",
              .complexity = "O(1)",
              .summary = "Transfers a key from the current database into a different one.",
              .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0},
                       {.name = "db", .type = arg::kInteger}}},
    CommandId{.name = "RANDOMKEY",
              .arity = 1,
              .flags = kReadOnly,
              .acl = "@keyspace @read @slow",
              .tips = "request_policy:all_shards nondeterministic_output",
              .async = CmdRandomKey,
              .group = "generic",
              .since = "1.0.0",
              .complexity = "O(1)",
              .summary = "Picks a key name at random from the current database."},
    CommandId{.name = "KEYS",
              .arity = 2,
              .flags = kReadOnly,
              .acl = "@keyspace @read @slow @dangerous",
              .tips = "request_policy:all_shards nondeterministic_output_order",
              .async = CmdKeys,
              .group = "generic",
              .since = "1.0.0",
              .complexity =
                  "O(N), N being the number of keys in the database, provided key names and "
                  "the pattern are of bounded length.",
              .summary = "Lists every key name matching a glob-style pattern.",
              .args = {{.name = "pattern", .type = arg::kPattern}}},
    CommandId{
        .name = "SCAN",
        .arity = -2,
        .flags = kReadOnly,
        .acl = "@keyspace @read @slow",
        .tips = "nondeterministic_output request_policy:special",
        .async = CmdScan,
        .group = "generic",
        .since = "2.8.0",
        .complexity = "O(1) per call. O(N) for a full pass, meaning as many calls as it takes for "
                      "the cursor to come back to 0, N being the number of elements in the "
                      "collection.",
        .summary = "Walks through the key names of the database incrementally with a cursor.",
        .history = {{"6.0.0", "The TYPE filter was introduced."}},
        .args =
            {{.name = "cursor", .type = arg::kInteger},
             {.name = "pattern", .type = arg::kPattern, .token = "MATCH", .flags = arg::kOptional},
             {.name = "count", .type = arg::kInteger, .token = "COUNT", .flags = arg::kOptional},
             {.name = "type", .token = "TYPE", .since = "6.0.0", .flags = arg::kOptional}}},
    CommandId{.name = "EXPIRE",
              .arity = -3,
              .flags = kWrite | kFast,
              .acl = "@keyspace @write @fast",
              .keys = {{.flags = ks::kRW | ks::kUpdate, .index = 1}},
              .sync = CmdExpire,
              .group = "generic",
              .since = "1.0.0",
              .complexity = "O(1)",
              .summary = "Gives a key a time-to-live expressed in seconds.",
              .history = {{"7.0.0", "The NX, XX, GT and LT conditions were introduced."}},
              .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0},
                       {.name = "seconds", .type = arg::kInteger},
                       {.name = "condition",
                        .type = arg::kOneOf,
                        .since = "7.0.0",
                        .flags = arg::kOptional,
                        .args = {{.name = "nx", .type = arg::kPureToken, .token = "NX"},
                                 {.name = "xx", .type = arg::kPureToken, .token = "XX"},
                                 {.name = "gt", .type = arg::kPureToken, .token = "GT"},
                                 {.name = "lt", .type = arg::kPureToken, .token = "LT"}}}}},
    CommandId{.name = "PEXPIRE",
              .arity = -3,
              .flags = kWrite | kFast,
              .acl = "@keyspace @write @fast",
              .keys = {{.flags = ks::kRW | ks::kUpdate, .index = 1}},
              .sync = CmdPExpire,
              .group = "generic",
              .since = "2.6.0",
              .complexity = "O(1)",
              .summary = "Gives a key a time-to-live expressed in milliseconds.",
              .history = {{"7.0.0", "The NX, XX, GT and LT conditions were introduced."}},
              .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0},
                       {.name = "milliseconds", .type = arg::kInteger},
                       {.name = "condition",
                        .type = arg::kOneOf,
                        .since = "7.0.0",
                        .flags = arg::kOptional,
                        .args = {{.name = "nx", .type = arg::kPureToken, .token = "NX"},
                                 {.name = "xx", .type = arg::kPureToken, .token = "XX"},
                                 {.name = "gt", .type = arg::kPureToken, .token = "GT"},
                                 {.name = "lt", .type = arg::kPureToken, .token = "LT"}}}}},
    CommandId{.name = "EXPIREAT",
              .arity = -3,
              .flags = kWrite | kFast,
              .acl = "@keyspace @write @fast",
              .keys = {{.flags = ks::kRW | ks::kUpdate, .index = 1}},
              .sync = CmdExpireAt,
              .group = "generic",
              .since = "1.2.0",
              .complexity = "O(1)",
              .summary = "Makes a key expire at a given Unix time in seconds.",
              .history = {{"7.0.0", "The NX, XX, GT and LT conditions were introduced."}},
              .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0},
                       {.name = "unix-time-seconds", .type = arg::kUnixTime},
                       {.name = "condition",
                        .type = arg::kOneOf,
                        .since = "7.0.0",
                        .flags = arg::kOptional,
                        .args = {{.name = "nx", .type = arg::kPureToken, .token = "NX"},
                                 {.name = "xx", .type = arg::kPureToken, .token = "XX"},
                                 {.name = "gt", .type = arg::kPureToken, .token = "GT"},
                                 {.name = "lt", .type = arg::kPureToken, .token = "LT"}}}}},
    CommandId{.name = "PEXPIREAT",
              .arity = -3,
              .flags = kWrite | kFast,
              .acl = "@keyspace @write @fast",
              .keys = {{.flags = ks::kRW | ks::kUpdate, .index = 1}},
              .sync = CmdPExpireAt,
              .group = "generic",
              .since = "2.6.0",
              .complexity = "O(1)",
              .summary = "Makes a key expire at a given Unix time in milliseconds.",
              .history = {{"7.0.0", "The NX, XX, GT and LT conditions were introduced."}},
              .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0},
                       {.name = "unix-time-milliseconds", .type = arg::kUnixTime},
                       {.name = "condition",
                        .type = arg::kOneOf,
                        .since = "7.0.0",
                        .flags = arg::kOptional,
                        .args = {{.name = "nx", .type = arg::kPureToken, .token = "NX"},
                                 {.name = "xx", .type = arg::kPureToken, .token = "XX"},
                                 {.name = "gt", .type = arg::kPureToken, .token = "GT"},
                                 {.name = "lt", .type = arg::kPureToken, .token = "LT"}}}}},
    CommandId{.name = "TTL",
              .arity = 2,
              .flags = kReadOnly | kFast,
              .acl = "@keyspace @read @fast",
              .tips = "nondeterministic_output",
              .keys = {{.flags = ks::kRO | ks::kAccess, .index = 1}},
              .sync = CmdTtl,
              .group = "generic",
              .since = "1.0.0",
              .complexity = "O(1)",
              .summary = "Reports how many seconds a key has left to live.",
              .history = {{"2.8.0", "A missing key gets the reply -2 (-1 still means no expiry)."}},
              .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0}}},
    CommandId{.name = "PTTL",
              .arity = 2,
              .flags = kReadOnly | kFast,
              .acl = "@keyspace @read @fast",
              .tips = "nondeterministic_output",
              .keys = {{.flags = ks::kRO | ks::kAccess, .index = 1}},
              .sync = CmdPTtl,
              .group = "generic",
              .since = "2.6.0",
              .complexity = "O(1)",
              .summary = "Reports how many milliseconds a key has left to live.",
              .history = {{"2.8.0", "A missing key gets the reply -2 (-1 still means no expiry)."}},
              .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0}}},
    CommandId{.name = "EXPIRETIME",
              .arity = 2,
              .flags = kReadOnly | kFast,
              .acl = "@keyspace @read @fast",
              .keys = {{.flags = ks::kRO | ks::kAccess, .index = 1}},
              .sync = CmdExpireTime,
              .group = "generic",
              .since = "7.0.0",
              .complexity = "O(1)",
              .summary = "Reports the Unix time, in seconds, at which a key will expire.",
              .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0}}},
    CommandId{.name = "PEXPIRETIME",
              .arity = 2,
              .flags = kReadOnly | kFast,
              .acl = "@keyspace @read @fast",
              .keys = {{.flags = ks::kRO | ks::kAccess, .index = 1}},
              .sync = CmdPExpireTime,
              .group = "generic",
              .since = "7.0.0",
              .complexity = "O(1)",
              .summary = "Reports the Unix time, in milliseconds, at which a key will expire.",
              .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0}}},
    CommandId{.name = "PERSIST",
              .arity = 2,
              .flags = kWrite | kFast,
              .acl = "@keyspace @write @fast",
              .keys = {{.flags = ks::kRW | ks::kUpdate, .index = 1}},
              .sync = CmdPersist,
              .group = "generic",
              .since = "2.2.0",
              .complexity = "O(1)",
              .summary = "Clears the time-to-live of a key so that it no longer expires.",
              .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0}}},
    CommandId{.name = "OBJECT",
              .arity = -2,
              .acl = "@slow",
              .sync = CmdObject,
              .group = "generic",
              .since = "2.2.3",
              .complexity = "Varies with the subcommand.",
              .summary = "Groups the subcommands that inspect how a key's value is stored."},
    CommandId{.name = "OBJECT|HELP",
              .arity = 2,
              .flags = kLoading | kStale,
              .acl = "@keyspace @slow",
              .sync = CmdObject,
              .group = "generic",
              .since = "6.2.0",
              .complexity = "O(1)",
              .summary = "Describes the available subcommands and their usage."},
    CommandId{.name = "OBJECT|ENCODING",
              .arity = 3,
              .flags = kReadOnly,
              .acl = "@keyspace @read @slow",
              .tips = "nondeterministic_output",
              .keys = {{.flags = ks::kRO, .index = 2}},
              .sync = CmdObject,
              .group = "generic",
              .since = "2.2.3",
              .complexity = "O(1)",
              .summary = "Reports the internal representation of the value held at a key.",
              .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0}}},
    CommandId{.name = "OBJECT|FREQ",
              .arity = 3,
              .flags = kReadOnly,
              .acl = "@keyspace @read @slow",
              .tips = "nondeterministic_output",
              .keys = {{.flags = ks::kRO, .index = 2}},
              .sync = CmdObject,
              .group = "generic",
              .since = "4.0.0",
              .complexity = "O(1)",
              .summary = "Reports the logarithmic access-frequency counter of a key.",
              .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0}}},
    CommandId{.name = "OBJECT|IDLETIME",
              .arity = 3,
              .flags = kReadOnly,
              .acl = "@keyspace @read @slow",
              .tips = "nondeterministic_output",
              .keys = {{.flags = ks::kRO, .index = 2}},
              .sync = CmdObject,
              .group = "generic",
              .since = "2.2.3",
              .complexity = "O(1)",
              .summary = "Reports how many seconds have passed since a key was last accessed.",
              .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0}}},
    CommandId{.name = "OBJECT|REFCOUNT",
              .arity = 3,
              .flags = kReadOnly,
              .acl = "@keyspace @read @slow",
              .tips = "nondeterministic_output",
              .keys = {{.flags = ks::kRO, .index = 2}},
              .sync = CmdObject,
              .group = "generic",
              .since = "2.2.3",
              .complexity = "O(1)",
              .summary = "Reports how many references the value held at a key has.",
              .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0}}},
};

}  // namespace

void RegisterGenericFamily(CommandRegistry* r) {
  for (const CommandId& cid : kGenericCommands) *r << cid;
  RegisterDumpFamily(r);
}

}  // namespace darner
