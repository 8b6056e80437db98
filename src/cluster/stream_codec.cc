#include "cluster/stream_codec.h"

#include <algorithm>
#include <cassert>
#include <limits>

namespace darner::flow {
namespace {

// First bytes of the two long forms (RDB_32BITLEN / RDB_64BITLEN).
constexpr uint8_t k32BitPrefix = 0x80;
constexpr uint8_t k64BitPrefix = 0x81;

// Past this many strings the reader drops its span table after a record instead of keeping the
// capacity: one huge command should not pin megabytes for the rest of the flow.
constexpr size_t kKeptSpanCapacity = 4096;

constexpr std::string_view kCorruptPrefix = "corrupt flow stream: ";

size_t EncodePacked(uint64_t v, char* buf) {
  if (v < 64) {
    buf[0] = static_cast<char>(v);
    return 1;
  }
  if (v < 16384) {
    buf[0] = static_cast<char>(0x40 | (v >> 8));
    buf[1] = static_cast<char>(v & 0xFF);
    return 2;
  }
  size_t width = v <= std::numeric_limits<uint32_t>::max() ? 4 : 8;
  buf[0] = static_cast<char>(width == 4 ? k32BitPrefix : k64BitPrefix);
  for (size_t i = 0; i < width; ++i) {
    buf[1 + i] = static_cast<char>((v >> (8 * (width - 1 - i))) & 0xFF);
  }
  return 1 + width;
}

// Makes room for `extra` more bytes with geometric growth: an exact reserve per record would
// reallocate on every append when the caller batches many small records into one string.
void Grow(std::string* out, size_t extra) {
  size_t need = out->size() + extra;
  if (need > out->capacity()) out->reserve(std::max(need, 2 * out->capacity()));
}

void AppendPackedUnchecked(std::string* out, uint64_t v) {
  char buf[kMaxPackedSize];
  out->append(buf, EncodePacked(v, buf));
}

// Starts *out over as a record of `op`, keeping the capacity of its argument vector.
void StartRecord(Record* out, Opcode op) {
  out->opcode = op;
  out->db = 0;
  out->txid = 0;
  out->lsn = 0;
  out->args.clear();
}

std::string Hex(uint8_t b) {
  constexpr char kDigits[] = "0123456789abcdef";
  return {'0', 'x', kDigits[b >> 4], kDigits[b & 0xF]};
}

}  // namespace

size_t PackedSize(uint64_t v) {
  if (v < 64) return 1;
  if (v < 16384) return 2;
  return v <= std::numeric_limits<uint32_t>::max() ? 5 : 9;
}

void AppendPacked(std::string* out, uint64_t v) { AppendPackedUnchecked(out, v); }

Status DecodePacked(std::string_view in, uint64_t* value, size_t* len) {
  if (in.empty()) {
    *len = 1;
    return Status::kIncomplete;
  }
  const auto* p = reinterpret_cast<const uint8_t*>(in.data());
  size_t n;
  switch (p[0] >> 6) {
    case 0:
      n = 1;
      break;
    case 1:
      n = 2;
      break;
    case 2:
      if (p[0] == k32BitPrefix) {
        n = 5;
      } else if (p[0] == k64BitPrefix) {
        n = 9;
      } else {
        return Status::kCorrupt;
      }
      break;
    default:  // 0xC0..0xFF: RDB special encodings, not integers
      return Status::kCorrupt;
  }
  *len = n;
  if (in.size() < n) return Status::kIncomplete;
  if (n == 1) {
    *value = p[0];
  } else if (n == 2) {
    *value = (uint64_t{p[0] & 0x3Fu} << 8) | p[1];
  } else {
    uint64_t v = 0;
    for (size_t i = 1; i < n; ++i) v = (v << 8) | p[i];
    *value = v;
  }
  return Status::kOk;
}

void AppendSelect(std::string* out, uint16_t db) {
  Grow(out, 1 + kMaxPackedSize);
  AppendPackedUnchecked(out, static_cast<uint64_t>(Opcode::kSelect));
  AppendPackedUnchecked(out, db);
}

void AppendCommand(std::string* out, uint64_t txid, std::span<const std::string_view> args) {
  assert(!args.empty());
  // First pass for the sizes the header declares (and to reserve once), second pass to write.
  uint64_t total = 0;
  size_t prefixes = 0;
  for (std::string_view a : args) {
    total += a.size();
    prefixes += PackedSize(a.size());
  }
  Grow(out,
       1 + PackedSize(txid) + 1 + PackedSize(args.size()) + PackedSize(total) + prefixes + total);
  AppendPackedUnchecked(out, static_cast<uint64_t>(Opcode::kCommand));
  AppendPackedUnchecked(out, txid);
  // Dragonfly's legacy shard count: its migration writer always sends 1, and its reader only
  // checks that the value fits 32 bits.
  AppendPackedUnchecked(out, 1);
  AppendPackedUnchecked(out, args.size());
  AppendPackedUnchecked(out, total);
  for (std::string_view a : args) {
    AppendPackedUnchecked(out, a.size());
    out->append(a);
  }
}

void AppendCommand(std::string* out, uint64_t txid, std::initializer_list<std::string_view> args) {
  AppendCommand(out, txid, std::span<const std::string_view>(args.begin(), args.size()));
}

void AppendSelectAndCommand(std::string* out, uint16_t db, uint64_t txid,
                            std::span<const std::string_view> args) {
  AppendSelect(out, db);
  AppendCommand(out, txid, args);
}

void AppendSelectAndCommand(std::string* out, uint16_t db, uint64_t txid,
                            std::initializer_list<std::string_view> args) {
  AppendSelectAndCommand(out, db, txid,
                         std::span<const std::string_view>(args.begin(), args.size()));
}

void AppendPing(std::string* out) {
  AppendPackedUnchecked(out, static_cast<uint64_t>(Opcode::kPing));
}

void AppendLsn(std::string* out, uint64_t lsn) {
  Grow(out, 1 + kMaxPackedSize);
  AppendPackedUnchecked(out, static_cast<uint64_t>(Opcode::kLsn));
  AppendPackedUnchecked(out, lsn);
}

// ---- StreamReader -----------------------------------------------------------------------------

void StreamReader::Reset() {
  stage_ = Stage::kOpcode;
  pos_ = 0;
  spans_.clear();
  want_ = 0;
  error_.clear();
}

Status StreamReader::Fail(std::string what) {
  stage_ = Stage::kCorrupt;
  error_.assign(kCorruptPrefix);
  error_ += what;
  return Status::kCorrupt;
}

void StreamReader::FinishRecord() {
  stage_ = Stage::kOpcode;
  pos_ = 0;
  want_ = 0;
  if (spans_.capacity() > kKeptSpanCapacity) {
    std::vector<std::pair<size_t, size_t>>().swap(spans_);
  } else {
    spans_.clear();
  }
}

Status StreamReader::ReadPacked(std::string_view buf, uint64_t* value) {
  size_t len = 0;
  Status st = DecodePacked(buf.substr(pos_), value, &len);
  switch (st) {
    case Status::kOk:
      pos_ += len;
      break;
    case Status::kIncomplete:
      want_ = pos_ + len;
      break;
    case Status::kCorrupt:
      return Fail("bad packed integer prefix " + Hex(static_cast<uint8_t>(buf[pos_])) +
                  " at offset " + std::to_string(pos_) + " of a record");
  }
  return st;
}

Status StreamReader::Emit(size_t* consumed) {
  *consumed = pos_;
  FinishRecord();
  return Status::kOk;
}

std::optional<Status> StreamReader::ReadOpcode(std::string_view buf, size_t* consumed,
                                               Record* out) {
  uint64_t v = 0;
  if (Status st = ReadPacked(buf, &v); st != Status::kOk) return st;
  switch (v) {
    case static_cast<uint64_t>(Opcode::kSelect):
      stage_ = Stage::kSelectDb;
      return std::nullopt;
    case static_cast<uint64_t>(Opcode::kCommand):
    case static_cast<uint64_t>(Opcode::kExpired):
      opcode_ = static_cast<Opcode>(v);
      stage_ = Stage::kTxid;
      return std::nullopt;
    case static_cast<uint64_t>(Opcode::kLsn):
      stage_ = Stage::kLsn;
      return std::nullopt;
    case static_cast<uint64_t>(Opcode::kPing):
      StartRecord(out, Opcode::kPing);
      return Emit(consumed);
    default:
      return Fail("unknown opcode " + std::to_string(v));
  }
}

Status StreamReader::ReadSelectOrLsn(std::string_view buf, size_t* consumed, Record* out) {
  uint64_t v = 0;
  if (Status st = ReadPacked(buf, &v); st != Status::kOk) return st;
  if (stage_ == Stage::kLsn) {
    StartRecord(out, Opcode::kLsn);
    out->lsn = v;
    return Emit(consumed);
  }
  // Dragonfly reads the index as uint16 and fails the flow on anything larger.
  if (v > std::numeric_limits<uint16_t>::max()) {
    return Fail("SELECT of db " + std::to_string(v) + " > 65535");
  }
  StartRecord(out, Opcode::kSelect);
  out->db = static_cast<uint16_t>(v);
  return Emit(consumed);
}

std::optional<Status> StreamReader::ReadCommandHeader(std::string_view buf) {
  uint64_t v = 0;
  switch (stage_) {
    case Stage::kTxid:
      if (Status st = ReadPacked(buf, &txid_); st != Status::kOk) return st;
      stage_ = Stage::kShardCount;
      return std::nullopt;
    case Stage::kShardCount:
      if (Status st = ReadPacked(buf, &v); st != Status::kOk) return st;
      // Meaningless to the target, but Dragonfly reads it as uint32; stay as strict.
      if (v > std::numeric_limits<uint32_t>::max()) {
        return Fail("shard count " + std::to_string(v) + " does not fit 32 bits");
      }
      stage_ = Stage::kArgCount;
      return std::nullopt;
    case Stage::kArgCount:
      if (Status st = ReadPacked(buf, &argc_); st != Status::kOk) return st;
      if (argc_ == 0) return Fail("command with no strings");
      if (argc_ > limits_.max_args) {
        return Fail("command with " + std::to_string(argc_) + " strings, limit " +
                    std::to_string(limits_.max_args));
      }
      stage_ = Stage::kTotalSize;
      return std::nullopt;
    default:  // Stage::kTotalSize
      if (Status st = ReadPacked(buf, &remaining_); st != Status::kOk) return st;
      if (remaining_ > limits_.max_command_bytes) {
        return Fail("command of " + std::to_string(remaining_) + " bytes, limit " +
                    std::to_string(limits_.max_command_bytes));
      }
      // Reserve for the common case only: argc is attacker-controlled up to max_args.
      spans_.reserve(std::min<uint64_t>(argc_, 64));
      stage_ = Stage::kArgLength;
      return std::nullopt;
  }
}

std::optional<Status> StreamReader::ReadArgLength(std::string_view buf, size_t* consumed,
                                                  Record* out) {
  if (spans_.size() == argc_) {
    if (remaining_ != 0) {
      return Fail("strings are " + std::to_string(remaining_) +
                  " bytes short of the declared command size");
    }
    StartRecord(out, opcode_);
    out->txid = txid_;
    out->args.reserve(spans_.size());
    for (auto [offset, len] : spans_) out->args.emplace_back(buf.data() + offset, len);
    return Emit(consumed);
  }
  if (Status st = ReadPacked(buf, &arg_len_); st != Status::kOk) return st;
  if (arg_len_ > remaining_) {
    return Fail("string " + std::to_string(spans_.size()) + " of " + std::to_string(arg_len_) +
                " bytes exceeds the " + std::to_string(remaining_) +
                " left of the declared command size");
  }
  stage_ = Stage::kArgBytes;
  return std::nullopt;
}

std::optional<Status> StreamReader::ReadArgBytes(std::string_view buf) {
  // arg_len_ <= remaining_ <= max_command_bytes; compare by subtraction so that a huge
  // configured limit cannot overflow pos_ + arg_len_.
  if (buf.size() - pos_ < arg_len_) {
    want_ = arg_len_ > std::numeric_limits<size_t>::max() - pos_
                ? std::numeric_limits<size_t>::max()
                : pos_ + static_cast<size_t>(arg_len_);
    return Status::kIncomplete;
  }
  spans_.emplace_back(pos_, static_cast<size_t>(arg_len_));
  pos_ += arg_len_;
  remaining_ -= arg_len_;
  stage_ = Stage::kArgLength;
  return std::nullopt;
}

Status StreamReader::Next(std::string_view available, size_t* consumed, Record* out) {
  if (stage_ == Stage::kCorrupt) return Status::kCorrupt;
  // The caller dropped bytes we had already parsed: start the record over rather than trust
  // offsets past the end of the view.
  if (available.size() < pos_) {
    stage_ = Stage::kOpcode;
    pos_ = 0;
    spans_.clear();
  }
  while (true) {
    std::optional<Status> done;
    switch (stage_) {
      case Stage::kOpcode:
        done = ReadOpcode(available, consumed, out);
        break;
      case Stage::kSelectDb:
      case Stage::kLsn:
        return ReadSelectOrLsn(available, consumed, out);
      case Stage::kTxid:
      case Stage::kShardCount:
      case Stage::kArgCount:
      case Stage::kTotalSize:
        done = ReadCommandHeader(available);
        break;
      case Stage::kArgLength:
        done = ReadArgLength(available, consumed, out);
        break;
      case Stage::kArgBytes:
        done = ReadArgBytes(available);
        break;
      case Stage::kCorrupt:
        return Status::kCorrupt;
    }
    if (done) return *done;
  }
}

}  // namespace darner::flow
