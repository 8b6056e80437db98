// Bitmap commands: SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO. The bit algorithms
// are the pure functions of core/bits.h; this file parses arguments, finds and creates keys,
// and replies exactly as Redis 7.0 does.
#include <absl/flags/declare.h>
#include <absl/flags/flag.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/byte_size.h"
#include "base/numbers.h"
#include "base/strings.h"
#include "core/bits.h"
#include "facade/errors.h"
#include "facade/reply_builder.h"
#include "server/command_registry.h"
#include "server/conn_context.h"
#include "server/engine_shard.h"
#include "server/families/families.h"
#include "server/transaction.h"

ABSL_DECLARE_FLAG(darner::ByteSize, proto_max_bulk_len);

namespace darner {
namespace {

constexpr std::string_view kBitOffsetErr = "bit offset is not an integer or out of range";
constexpr std::string_view kBitValueErr = "bit is not an integer or out of range";
constexpr std::string_view kBitfieldTypeErr =
    "Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";

// Bit offsets must address a byte below proto-max-bulk-len, so no bit write can grow a string
// beyond it.
uint64_t MaxBulkLen() { return absl::GetFlag(FLAGS_proto_max_bulk_len).bytes; }

// The read Op of every bitmap command: fn(the string value of `key`) (a keyspace hit), or
// kKeyNotFound (a miss) / kWrongType, with nothing computed.
template <typename F>
auto OpReadBits(const OpArgs& op, std::string_view key, F fn)
    -> OpResult<std::invoke_result_t<F&, std::string_view>> {
  OpResult<const KeyEntry*> e = op.db().FindReadOnly(key, ObjType::kString);
  if (!e) return e.status();
  char scratch[CompactValue::kScratchSize];
  return fn((*e)->value.GetString(scratch));
}

// Rewrites the bytes of `v` holding the `bits` bits at bit `offset`: fn(std::string* window,
// uint64_t offset_in_window) edits a zero-padded copy of just those bytes (at most 9), which is
// then written back, growing the string as needed. The value becomes a "raw" string, as Redis's
// bit writes leave it. Returns what fn returns.
template <typename F>
auto EditBits(CompactValue* v, uint64_t offset, unsigned bits, F fn) {
  uint64_t first = offset >> 3, last = (offset + bits - 1) >> 3;
  char scratch[CompactValue::kScratchSize];
  std::string_view s = v->GetString(scratch);
  std::string window(last - first + 1, '\0');
  if (first < s.size()) s.substr(first, window.size()).copy(window.data(), window.size());
  auto result = fn(&window, offset - first * 8);
  v->SetRange(first, window);
  return result;
}

// The Op of every bit write: runs fn(CompactValue*) on key's string, creating the key when
// missing (fn must then write at least one byte). kWrongType for other types.
template <typename F>
OpResult<void> OpWriteBits(const OpArgs& op, std::string_view key, F fn) {
  OpResult<DbSlice::AddOrFindResult> r = op.db().AddOrFind(key, ObjType::kString);
  if (!r) return r.status();
  fn(&r->entry.value());
  return {};
}

// Parses BYTE or BIT; false for anything else.
bool ParseBitUnit(std::string_view s, bool* bit_unit) {
  if (EqualsIgnoreCase(s, "BIT")) {
    *bit_unit = true;
  } else if (EqualsIgnoreCase(s, "BYTE")) {
    *bit_unit = false;
  } else {
    return false;
  }
  return true;
}

// ---- SETBIT GETBIT --------------------------------------------------------------------

void CmdSetBit(CmdArgList args, CommandContext& cx) {
  uint64_t offset;
  if (!ParseBitOffset(args[1], false, 0, MaxBulkLen(), &offset)) {
    return cx.rb->SendError(kBitOffsetErr);
  }
  int64_t bit;
  if (!ParseInt64(args[2], &bit) || (bit & ~int64_t{1})) return cx.rb->SendError(kBitValueErr);
  int old = 0;
  OpResult<void> r = OpWriteBits(cx.op_args(), args[0], [&](CompactValue* v) {
    old = EditBits(v, offset, 1, [&](std::string* window, uint64_t off) {
      return SetBit(window, off, static_cast<int>(bit));
    });
  });
  if (!r) return cx.rb->SendError(StatusError(r.status()));
  cx.rb->SendLong(old);
}

void CmdGetBit(CmdArgList args, CommandContext& cx) {
  uint64_t offset;
  if (!ParseBitOffset(args[1], false, 0, MaxBulkLen(), &offset)) {
    return cx.rb->SendError(kBitOffsetErr);
  }
  auto bit =
      OpReadBits(cx.op_args(), args[0], [&](std::string_view s) { return GetBit(s, offset); });
  if (bit.status() == OpStatus::kWrongType) return cx.rb->SendError(kWrongTypeErr);
  cx.rb->SendLong(bit.value_or(0));
}

// ---- BITCOUNT BITPOS ------------------------------------------------------------------

// BITCOUNT's optional range, or the error it gets. Redis looks the key up first: a missing key
// answers 0 (and a wrong type WRONGTYPE) before the range is judged.
struct BitRange {
  int64_t start = 0;
  std::optional<int64_t> end;
  bool bit_unit = false;
  bool whole = true;       // no range given
  bool empty = false;      // an inverted negative range: 0 whatever the unit says
  std::string_view error;  // set when the range does not parse
};

BitRange ParseBitCountRange(CmdArgList range) {
  BitRange r;
  if (range.empty()) return r;
  r.whole = false;
  if (range.size() != 2 && range.size() != 3) return {.error = kSyntaxErr};
  int64_t end;
  if (!ParseInt64(range[0], &r.start) || !ParseInt64(range[1], &end)) {
    return {.error = kInvalidIntErr};
  }
  r.end = end;
  // Redis answers 0 for an inverted negative range before it looks at the unit argument.
  if (r.start < 0 && end < 0 && r.start > end) {
    r.empty = true;
    return r;
  }
  if (range.size() == 3 && !ParseBitUnit(range[2], &r.bit_unit)) return {.error = kSyntaxErr};
  return r;
}

// BITCOUNT key [start end [BYTE|BIT]].
void CmdBitCount(CmdArgList args, CommandContext& cx) {
  BitRange range = ParseBitCountRange(args.subspan(1));
  auto count = OpReadBits(cx.op_args(), args[0], [&](std::string_view s) -> OpResult<int64_t> {
    if (!range.error.empty()) return OpStatus::kSyntaxError;
    if (range.empty) return int64_t{0};
    if (range.whole) return static_cast<int64_t>(BitCount(s));
    return static_cast<int64_t>(BitCount(s, range.start, *range.end, range.bit_unit));
  });
  if (count.status() == OpStatus::kWrongType) return cx.rb->SendError(kWrongTypeErr);
  if (count.status() == OpStatus::kKeyNotFound) return cx.rb->SendLong(0);
  if (!*count) return cx.rb->SendError(range.error);
  cx.rb->SendLong(**count);
}

// BITPOS's optional start, end and unit, parsed after the key is found (Redis's order: the
// bit, then the key, then start, the unit and end).
BitRange ParseBitPosRange(CmdArgList range) {
  BitRange r;
  if (range.size() > 3) return {.error = kSyntaxErr};
  if (range.size() >= 1 && !ParseInt64(range[0], &r.start)) return {.error = kInvalidIntErr};
  if (range.size() == 3 && !ParseBitUnit(range[2], &r.bit_unit)) return {.error = kSyntaxErr};
  if (range.size() >= 2) {
    int64_t v;
    if (!ParseInt64(range[1], &v)) return {.error = kInvalidIntErr};
    r.end = v;
  }
  return r;
}

// BITPOS key bit [start [end [BYTE|BIT]]].
void CmdBitPos(CmdArgList args, CommandContext& cx) {
  int64_t bit;
  if (!ParseInt64(args[1], &bit)) return cx.rb->SendError(kInvalidIntErr);
  if (bit != 0 && bit != 1) return cx.rb->SendError("The bit argument must be 1 or 0.");
  BitRange range = ParseBitPosRange(args.subspan(2));
  auto pos = OpReadBits(cx.op_args(), args[0], [&](std::string_view s) -> OpResult<int64_t> {
    if (!range.error.empty()) return OpStatus::kSyntaxError;
    return BitPos(s, static_cast<int>(bit), range.start, range.end, range.bit_unit);
  });
  if (pos.status() == OpStatus::kWrongType) return cx.rb->SendError(kWrongTypeErr);
  // A missing key is an endless run of zero bits.
  if (pos.status() == OpStatus::kKeyNotFound) return cx.rb->SendLong(bit ? -1 : 0);
  if (!*pos) return cx.rb->SendError(range.error);
  cx.rb->SendLong(**pos);
}

// ---- BITOP ----------------------------------------------------------------------------

// BITOP's share of one shard: the values of its source keys (full-list positions from
// `first_source`; `args` without the name) into values[pos - first_source]; a missing source
// stays empty. False when a source is not a string.
bool OpReadSources(const OpArgs& op, CmdArgList args, std::span<const size_t> positions,
                   size_t first_source, std::vector<std::string>* values) {
  bool ok = true;
  for (size_t pos : positions) {
    if (pos < first_source) continue;
    OpResult<const KeyEntry*> e = op.db().FindReadOnly(args[pos - 1], ObjType::kString);
    if (e) {
      (*values)[pos - first_source] = (*e)->value.ToString();
    } else if (e.status() == OpStatus::kWrongType) {
      ok = false;
    }
  }
  return ok;
}

// BITOP op destkey key [key ...]: the sources are read from their shards, the result computed
// here and stored (or, when empty, the destination deleted) on the destination's shard.
asio::awaitable<void> CmdBitOp(CmdArgList args, CommandContext& cx) {
  BitOpKind op;
  std::string_view op_name = args[0];
  if (EqualsIgnoreCase(op_name, "AND")) {
    op = BitOpKind::kAnd;
  } else if (EqualsIgnoreCase(op_name, "OR")) {
    op = BitOpKind::kOr;
  } else if (EqualsIgnoreCase(op_name, "XOR")) {
    op = BitOpKind::kXor;
  } else if (EqualsIgnoreCase(op_name, "NOT")) {
    op = BitOpKind::kNot;
  } else {
    cx.rb->SendError(kSyntaxErr);
    co_return;
  }
  if (op == BitOpKind::kNot && args.size() != 3) {
    cx.rb->SendError("BITOP NOT must be called with a single source key.");
    co_return;
  }
  DbIndex db = cx.db;
  // Full-list positions: 0 is the command name, 2 the destination, 3.. the sources.
  constexpr size_t kFirstSource = 3;
  std::vector<std::string> values(args.size() + 1 - kFirstSource);
  std::atomic<bool> wrong_type = false;  // written by every shard at once
  co_await cx.tx->RunOnEach([&](EngineShard& s, const Transaction::ShardKeys& sk) {
    if (!OpReadSources(OpArgs{&s, db}, args, sk.positions, kFirstSource, &values)) {
      wrong_type = true;
    }
  });
  if (wrong_type) {
    cx.rb->SendError(kWrongTypeErr);
    co_return;
  }
  std::vector<std::string_view> sources(values.begin(), values.end());
  std::string result = BitOp(op, sources);
  std::string_view dest = args[1];
  co_await cx.tx->RunOn(cx.tx->ShardOfPosition(2), [&](EngineShard& s) {
    DbSlice& d = s.db(db);
    if (result.empty()) {
      d.Delete(dest);
    } else {
      CompactValue v;
      v.SetRange(0, result);  // stored "raw", as Redis stores it
      d.Set(dest, std::move(v), 0, false);
    }
    s.PublishMemory();
  });
  cx.rb->SendLong(static_cast<int64_t>(result.size()));
}

// ---- BITFIELD BITFIELD_RO -------------------------------------------------------------

struct BitfieldOp {
  enum Kind { kGet, kSet, kIncrBy };
  Kind kind = kGet;
  BitfieldType type;
  uint64_t offset = 0;
  int64_t value = 0;  // SET value or INCRBY increment
  BitfieldOverflow overflow = BitfieldOverflow::kWrap;
};

// Parses every subcommand before anything runs, so an invalid one changes nothing. Returns the
// error to reply, if any.
std::optional<std::string_view> ParseBitfieldOps(CmdArgList args, std::vector<BitfieldOp>* ops) {
  BitfieldOverflow overflow = BitfieldOverflow::kWrap;
  for (size_t i = 0; i < args.size();) {
    std::string_view sub = args[i];
    size_t remaining = args.size() - i - 1;
    BitfieldOp op;
    if (EqualsIgnoreCase(sub, "GET") && remaining >= 2) {
      op.kind = BitfieldOp::kGet;
    } else if (EqualsIgnoreCase(sub, "SET") && remaining >= 3) {
      op.kind = BitfieldOp::kSet;
    } else if (EqualsIgnoreCase(sub, "INCRBY") && remaining >= 3) {
      op.kind = BitfieldOp::kIncrBy;
    } else if (EqualsIgnoreCase(sub, "OVERFLOW") && remaining >= 1) {
      if (!ParseBitfieldOverflow(args[i + 1], &overflow)) return "Invalid OVERFLOW type specified";
      i += 2;
      continue;
    } else {
      return kSyntaxErr;
    }
    if (!ParseBitfieldType(args[i + 1], &op.type)) return kBitfieldTypeErr;
    if (!ParseBitOffset(args[i + 2], true, op.type.bits, MaxBulkLen(), &op.offset)) {
      return kBitOffsetErr;
    }
    if (op.kind != BitfieldOp::kGet && !ParseInt64(args[i + 3], &op.value)) return kInvalidIntErr;
    op.overflow = overflow;
    ops->push_back(op);
    i += op.kind == BitfieldOp::kGet ? 3 : 4;
  }
  return std::nullopt;
}

// BITFIELD only reads when every subcommand is a complete GET or OVERFLOW; a SET, an INCRBY or
// anything it cannot read makes it a write (Redis errs on the side of writing).
uint16_t BitfieldKeyFlags(CmdArgList args, size_t) {
  for (size_t i = 2; i < args.size(); ++i) {
    size_t rest = args.size() - i - 1;
    if (EqualsIgnoreCase(args[i], "GET") && rest >= 2) {
      i += 2;
    } else if (EqualsIgnoreCase(args[i], "OVERFLOW") && rest >= 1) {
      i += 1;
    } else {
      return ks::kRW | ks::kAccess | ks::kUpdate;
    }
  }
  return ks::kRO | ks::kAccess;
}

// BITFIELD key [GET type offset | SET type offset value | INCRBY type offset incr |
// OVERFLOW WRAP|SAT|FAIL]... With only GETs it is read-only (a missing key is not created);
// BITFIELD_RO (`read_only_command`) refuses anything else. Any write creates the key and, like
// Redis, grows the string to cover every written field even when FAIL skips the write.
void BitfieldImpl(CmdArgList args, CommandContext& cx, bool read_only_command) {
  std::vector<BitfieldOp> ops;
  if (auto error = ParseBitfieldOps(args.subspan(1), &ops)) return cx.rb->SendError(*error);
  bool writes = false;
  for (const BitfieldOp& op : ops) writes = writes || op.kind != BitfieldOp::kGet;

  if (!writes) {
    auto get_all = [&ops](std::string_view s) {
      std::vector<int64_t> values;
      values.reserve(ops.size());
      for (const BitfieldOp& op : ops) values.push_back(BitfieldGet(s, op.offset, op.type));
      return values;
    };
    auto values = OpReadBits(cx.op_args(), args[0], get_all);
    if (values.status() == OpStatus::kWrongType) return cx.rb->SendError(kWrongTypeErr);
    std::vector<int64_t> got = values ? std::move(*values) : get_all({});  // missing: zeros
    cx.rb->StartArray(got.size());
    for (int64_t v : got) cx.rb->SendLong(v);
    return;
  }
  if (read_only_command) {
    return cx.rb->SendError("BITFIELD_RO only supports the GET subcommand");
  }

  std::vector<std::optional<int64_t>> results;
  results.reserve(ops.size());
  OpResult<void> written = OpWriteBits(cx.op_args(), args[0], [&](CompactValue* v) {
    for (const BitfieldOp& op : ops) {
      if (op.kind == BitfieldOp::kGet) {
        char scratch[CompactValue::kScratchSize];
        results.push_back(BitfieldGet(v->GetString(scratch), op.offset, op.type));
        continue;
      }
      results.push_back(
          EditBits(v, op.offset, op.type.bits, [&op](std::string* window, uint64_t off) {
            return op.kind == BitfieldOp::kSet
                       ? BitfieldSet(window, off, op.type, op.value, op.overflow)
                       : BitfieldIncrBy(window, off, op.type, op.value, op.overflow);
          }));
    }
  });
  if (!written) return cx.rb->SendError(StatusError(written.status()));
  cx.rb->StartArray(results.size());
  for (const std::optional<int64_t>& r : results) {
    if (r) {
      cx.rb->SendLong(*r);
    } else {
      cx.rb->SendNull();  // FAIL overflow
    }
  }
}

void CmdBitfield(CmdArgList args, CommandContext& cx) { BitfieldImpl(args, cx, false); }
void CmdBitfieldRo(CmdArgList args, CommandContext& cx) { BitfieldImpl(args, cx, true); }

using namespace co;
constexpr uint32_t kW = kWrite | kDenyOom;

// The family's declarations, registered in this order.
const CommandId kBitopsCommands[] = {
    CommandId{
        .name = "SETBIT",
        .arity = 4,
        .flags = kW,
        .acl = "@write @bitmap @slow",
        .keys = {{.flags = ks::kRW | ks::kAccess | ks::kUpdate, .index = 1}},
        .sync = CmdSetBit,
        .group = "bitmap",
        .since = "2.2.0",
        .complexity = "O(1)",
        .summary = "Turns one bit on or off at a given offset within the string held at a key.",
        .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0},
                 {.name = "offset", .type = arg::kInteger},
                 {.name = "value", .type = arg::kInteger}}},
    CommandId{.name = "GETBIT",
              .arity = 3,
              .flags = kReadOnly | kFast,
              .acl = "@read @bitmap @fast",
              .keys = {{.flags = ks::kRO | ks::kAccess, .index = 1}},
              .sync = CmdGetBit,
              .group = "bitmap",
              .since = "2.2.0",
              .complexity = "O(1)",
              .summary = "Reads the single bit at a given offset within the string held at a key.",
              .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0},
                       {.name = "offset", .type = arg::kInteger}}},
    CommandId{
        .name = "BITCOUNT",
        .arity = -2,
        .flags = kReadOnly,
        .acl = "@read @bitmap @slow",
        .keys = {{.flags = ks::kRO | ks::kAccess, .index = 1}},
        .sync = CmdBitCount,
        .group = "bitmap",
        .since = "2.6.0",
        .complexity = "O(N)",
        .summary = "Counts the 1 bits in a string.",
        .history = {{"7.0.0",
                     "The range may be given in bits with BIT (BYTE is the default unit)."}},
        .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0},
                 {.name = "index",
                  .type = arg::kBlock,
                  .flags = arg::kOptional,
                  .args = {{.name = "start", .type = arg::kInteger},
                           {.name = "end", .type = arg::kInteger},
                           {.name = "index_unit",
                            .type = arg::kOneOf,
                            .since = "7.0.0",
                            .flags = arg::kOptional,
                            .args = {{.name = "byte", .type = arg::kPureToken, .token = "BYTE"},
                                     {.name = "bit", .type = arg::kPureToken, .token = "BIT"}}}}}}},
    CommandId{.name = "BITPOS",
              .arity = -3,
              .flags = kReadOnly,
              .acl = "@read @bitmap @slow",
              .keys = {{.flags = ks::kRO | ks::kAccess, .index = 1}},
              .sync = CmdBitPos,
              .group = "bitmap",
              .since = "2.8.7",
              .complexity = "O(N)",
              .summary = "Locates the first 1 or 0 bit in a string.",
              .history = {{"7.0.0",
                           "The range may be given in bits with BIT (BYTE is the default unit)."}},
              .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0},
                       {.name = "bit", .type = arg::kInteger},
                       {.name = "index",
                        .type = arg::kBlock,
                        .flags = arg::kOptional,
                        .args = {{.name = "start", .type = arg::kInteger},
                                 {.name = "end_index",
                                  .type = arg::kBlock,
                                  .flags = arg::kOptional,
                                  .args = {{.name = "end", .type = arg::kInteger},
                                           {.name = "index_unit",
                                            .type = arg::kOneOf,
                                            .since = "7.0.0",
                                            .flags = arg::kOptional,
                                            .args = {{.name = "byte",
                                                      .type = arg::kPureToken,
                                                      .token = "BYTE"},
                                                     {.name = "bit",
                                                      .type = arg::kPureToken,
                                                      .token = "BIT"}}}}}}}}},
    CommandId{
        .name = "BITOP",
        .arity = -4,
        .flags = kW,
        .acl = "@write @bitmap @slow",
        .keys = {{.flags = ks::kOW | ks::kUpdate, .index = 2},
                 {.flags = ks::kRO | ks::kAccess, .index = 3, .lastkey = -1}},
        .async = CmdBitOp,
        .group = "bitmap",
        .since = "2.6.0",
        .complexity = "O(N)",
        .summary = "Combines strings with a bitwise operator and stores the result.",
        .args = {{.name = "operation"},
                 {.name = "destkey", .type = arg::kKey, .key_spec_index = 0},
                 {.name = "key", .type = arg::kKey, .key_spec_index = 1, .flags = arg::kMultiple}}},
    CommandId{
        .name = "BITFIELD",
        .arity = -2,
        .flags = kW,
        .acl = "@write @bitmap @slow",
        .keys = {{.flags = ks::kRW | ks::kAccess | ks::kUpdate | ks::kVariableFlags,
                  .index = 1,
                  .notes = "Both reads (GET) and changes (SET, INCRBY) the value"}},
        .key_flags = BitfieldKeyFlags,
        .sync = CmdBitfield,
        .group = "bitmap",
        .since = "3.2.0",
        .complexity = "O(1) per subcommand given",
        .summary = "Reads, writes and increments integer fields of a chosen width in a string.",
        .args =
            {{.name = "key", .type = arg::kKey, .key_spec_index = 0},
             {.name = "operation",
              .type =
                  arg::kOneOf,
              .flags =
                  arg::kOptional | arg::kMultiple,
              .args =
                  {{.name = "encoding_offset",
                    .type =
                        arg::kBlock,
                    .token =
                        "GET",
                    .args = {{.name = "encoding"}, {.name = "offset", .type = arg::kInteger}}},
                   {.name = "write",
                    .type =
                        arg::kBlock,
                    .args =
                        {{.name = "wrap_sat_fail",
                          .type =
                              arg::kOneOf,
                          .token = "OVERFLOW",
                          .flags = arg::kOptional,
                          .args = {{.name = "wrap", .type = arg::kPureToken, .token = "WRAP"},
                                   {.name = "sat", .type = arg::kPureToken, .token = "SAT"},
                                   {.name = "fail", .type = arg::kPureToken, .token = "FAIL"}}},
                         {.name = "write_operation",
                          .type = arg::kOneOf,
                          .args = {{.name = "encoding_offset_value",
                                    .type = arg::kBlock,
                                    .token = "SET",
                                    .args = {{.name = "encoding"},
                                             {.name = "offset", .type = arg::kInteger},
                                             {.name = "value", .type = arg::kInteger}}},
                                   {.name = "encoding_offset_increment",
                                    .type = arg::kBlock,
                                    .token = "INCRBY",
                                    .args = {{.name = "encoding"},
                                             {.name = "offset", .type = arg::kInteger},
                                             {.name = "increment", .type = arg::kInteger}}}}}}}}}}},
    CommandId{
        .name = "BITFIELD_RO",
        .arity = -2,
        .flags = kReadOnly | kFast,
        .acl = "@read @bitmap @fast",
        .keys = {{.flags = ks::kRO | ks::kAccess, .index = 1}},
        .sync = CmdBitfieldRo,
        .group = "bitmap",
        .since = "6.0.0",
        .complexity = "O(1) per subcommand given",
        .summary = "Read-only form of BITFIELD: it reads integer fields of a chosen width inside a "
                   "string.",
        .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0},
                 {.name = "encoding_offset",
                  .type = arg::kBlock,
                  .token = "GET",
                  .flags = arg::kOptional | arg::kMultiple | arg::kMultipleToken,
                  .args = {{.name = "encoding"}, {.name = "offset", .type = arg::kInteger}}}}},
};

}  // namespace

void RegisterBitopsFamily(CommandRegistry* r) {
  for (const CommandId& cid : kBitopsCommands) *r << cid;
}

}  // namespace darner
