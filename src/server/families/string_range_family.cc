// String commands over byte ranges, and LCS: APPEND STRLEN GETRANGE SUBSTR SETRANGE LCS.
#include <absl/flags/declare.h>
#include <absl/flags/flag.h>

#include "base/byte_size.h"
#include "base/strings.h"
#include "core/lcs.h"
#include "facade/arg_parser.h"
#include "server/families/families.h"
#include "server/service.h"
#include "server/transaction.h"

ABSL_DECLARE_FLAG(darner::ByteSize, proto_max_bulk_len);

namespace darner {
namespace {

// ---- Byte ranges ----------------------------------------------------------------------

constexpr std::string_view kStringTooBigErr =
    "string exceeds maximum allowed size (proto-max-bulk-len)";

// Whether a string grown to `len` bytes stays within proto-max-bulk-len.
bool FitsBulkLen(uint64_t len) { return len <= absl::GetFlag(FLAGS_proto_max_bulk_len).bytes; }

// Replies a byte-range Op's failure: kOutOfRange is the size limit.
void SendRangeError(CommandContext& cx, OpStatus status) {
  cx.rb->SendError(status == OpStatus::kOutOfRange ? kStringTooBigErr : StatusError(status));
}

// The length after appending.
OpResult<int64_t> OpAppend(const OpArgs& op, std::string_view key, std::string_view tail) {
  OpResult<DbSlice::AddOrFindResult> r = op.db().AddOrFind(key, ObjType::kString);
  if (!r) return r.status();
  DbSlice::MutableEntry& e = r->entry;
  if (r->is_new) {
    e.value() = CompactValue::String(tail);
  } else if (!FitsBulkLen(e.value().StringSize() + tail.size())) {
    e.Cancel();
    return OpStatus::kOutOfRange;
  } else {
    e.value().Append(tail);
  }
  return static_cast<int64_t>(e.value().StringSize());
}

void CmdAppend(CmdArgList args, CommandContext& cx) {
  OpResult<int64_t> len = OpAppend(cx.op_args(), args[0], args[1]);
  if (!len) return SendRangeError(cx, len.status());
  cx.rb->SendLong(*len);
}

void CmdStrLen(CmdArgList args, CommandContext& cx) {
  OpResult<const KeyEntry*> e = cx.op_args().db().FindReadOnly(args[0], ObjType::kString);
  if (!e && e.status() != OpStatus::kKeyNotFound) return cx.rb->SendError(StatusError(e.status()));
  cx.rb->SendLong(e ? static_cast<int64_t>((*e)->value.StringSize()) : 0);
}

void CmdGetRange(CmdArgList args, CommandContext& cx) {
  int64_t start, end;
  if (!ParseInt64(args[1], &start) || !ParseInt64(args[2], &end)) {
    return cx.rb->SendError(kInvalidIntErr);
  }
  OpResult<const KeyEntry*> e = cx.op_args().db().FindReadOnly(args[0], ObjType::kString);
  if (!e && e.status() != OpStatus::kKeyNotFound) return cx.rb->SendError(StatusError(e.status()));
  char scratch[CompactValue::kScratchSize];
  std::string_view s = e ? (*e)->value.GetString(scratch) : std::string_view();
  int64_t len = static_cast<int64_t>(s.size());
  // Redis's rules: negative indexes count from the end; an empty or inverted range is "".
  if (start < 0 && end < 0 && start > end) return cx.rb->SendBulk("");
  if (start < 0) start = std::max<int64_t>(len + start, 0);
  if (end < 0) end = std::max<int64_t>(len + end, 0);
  if (end >= len) end = len - 1;
  if (len == 0 || start > end) return cx.rb->SendBulk("");
  cx.rb->SendBulk(s.substr(static_cast<size_t>(start), static_cast<size_t>(end - start + 1)));
}

// The length after writing `value` at `offset`.
OpResult<int64_t> OpSetRange(const OpArgs& op, std::string_view key, size_t offset,
                             std::string_view value) {
  DbSlice& db = op.db();
  if (value.empty()) {  // changes nothing, creates nothing
    OpResult<DbSlice::MutableEntry> e = db.FindMutable(key, ObjType::kString);
    if (!e) return e.status() == OpStatus::kKeyNotFound ? OpResult<int64_t>(0) : e.status();
    int64_t len = static_cast<int64_t>(e->value().StringSize());
    e->Cancel();
    return len;
  }
  OpResult<DbSlice::AddOrFindResult> r = db.AddOrFind(key, ObjType::kString);
  if (!r) return r.status();
  if (!FitsBulkLen(uint64_t{offset} + value.size())) {
    r->entry.Cancel();
    return OpStatus::kOutOfRange;
  }
  return static_cast<int64_t>(r->entry.value().SetRange(offset, value));
}

void CmdSetRange(CmdArgList args, CommandContext& cx) {
  int64_t offset;
  if (!ParseInt64(args[1], &offset)) return cx.rb->SendError(kInvalidIntErr);
  if (offset < 0) return cx.rb->SendError("offset is out of range");
  OpResult<int64_t> len = OpSetRange(cx.op_args(), args[0], static_cast<size_t>(offset), args[2]);
  if (!len) return SendRangeError(cx, len.status());
  cx.rb->SendLong(*len);
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

using namespace co;

// The flags of a string write that may grow memory.
constexpr uint32_t kW = kWrite | kDenyOom;

const CommandId kStringRangeCommands[] = {
    CommandId{.name = "APPEND",
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
              .summary = "Adds a string to the end of a key's value, creating the key when it is "
                         "absent.",
              .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0}, {.name = "value"}}},
    CommandId{.name = "STRLEN",
              .arity = 2,
              .flags = kReadOnly | kFast,
              .acl = "@read @string @fast",
              .keys = {{.flags = ks::kRO, .index = 1}},
              .sync = CmdStrLen,
              .group = "string",
              .since = "2.2.0",
              .complexity = "O(1)",
              .summary = "Gets the number of bytes in the string stored at a key.",
              .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0}}},
    CommandId{.name = "GETRANGE",
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
              .summary = "Gets the slice of a key's string value that lies between two offsets.",
              .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0},
                       {.name = "start", .type = arg::kInteger},
                       {.name = "end", .type = arg::kInteger}}},
    CommandId{.name = "SUBSTR",
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
              .summary = "Gets a slice of a string value between two offsets; an older name for "
                         "GETRANGE.",
              .doc_flags = doc::kDeprecated,
              .deprecated_since = "2.0.0",
              .replaced_by = "`GETRANGE`",
              .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0},
                       {.name = "start", .type = arg::kInteger},
                       {.name = "end", .type = arg::kInteger}}},
    CommandId{
        .name = "SETRANGE",
        .arity = 4,
        .flags = kW,
        .acl = "@write @string @slow",
        .keys = {{.flags = ks::kRW | ks::kUpdate, .index = 1}},
        .sync = CmdSetRange,
        .group = "string",
        .since = "2.2.0",
        .complexity = "O(1) apart from copying the new bytes into place. That copy is normally "
                      "tiny, giving amortized O(1); for a large value argument it is O(M), M being "
                      "that argument's length.",
        .summary = "Writes a string over part of a key's value starting at an offset, creating "
                   "the key when absent.",
        .args = {{.name = "key", .type = arg::kKey, .key_spec_index = 0},
                 {.name = "offset", .type = arg::kInteger},
                 {.name = "value"}}},
    CommandId{
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
        .args = {{.name = "key1", .type = arg::kKey, .key_spec_index = 0},
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
                  .flags = arg::kOptional}}},
};

}  // namespace

void RegisterStringRangeFamily(CommandRegistry* r) {
  for (const CommandId& cid : kStringRangeCommands) *r << cid;
}

}  // namespace darner
