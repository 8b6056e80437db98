// Binary codec for the journal stream a slot-migration source sends on each flow socket (spec
// dragonfly-cluster.md §4.5). It is byte-for-byte the format of Dragonfly's JournalWriter /
// JournalReader, so a Darner source can feed a Dragonfly target and a Darner target can consume
// a Dragonfly source.
//
// Writing: free functions that append whole records to a std::string.
// Reading: StreamReader decodes one record at a time from a buffer the caller owns, without
// copying argument bytes, and resumes a partially received record where it stopped.
//
// This file knows nothing about sockets, shards or commands: it owns bytes ↔ records only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace darner::flow {

// Journal opcodes that may appear on a migration flow (Dragonfly's journal::Op values). Dragonfly
// has more (MULTI_COMMAND, EXEC, FIN, NOOP) but never sends them on a migration flow; the reader
// treats them as corrupt.
enum class Opcode : uint8_t {
  kSelect = 6,
  kExpired = 9,  // legacy; decoded exactly like kCommand
  kCommand = 10,
  kPing = 13,
  kLsn = 15,
};

enum class Status {
  kOk,          // a whole item was decoded
  kIncomplete,  // the input ends inside the item; nothing was consumed
  kCorrupt,     // the input can never become valid
};

// ---- Packed integers (the RDB "length" encoding) --------------------------------------------

// The longest packed integer: 0x81 + 8 bytes.
inline constexpr size_t kMaxPackedSize = 9;

// Bytes AppendPacked writes for `v` (1, 2, 5 or 9).
size_t PackedSize(uint64_t v);

// Appends `v` in the shortest of the four forms.
void AppendPacked(std::string* out, uint64_t v);

// Decodes the packed integer at in[0]. Every form is accepted, including non-minimal ones (a
// small value written with 0x80 + 4 bytes), as Dragonfly's reader does. kOk: *value is set and
// *len is the number of bytes it took. kIncomplete: *len is the number of bytes the whole integer
// takes (1 when `in` is empty), so in.size() < *len. kCorrupt: in[0] is not one of the four
// prefixes (e.g. 0xC0.., RDB's special string encodings, which the journal never uses).
Status DecodePacked(std::string_view in, uint64_t* value, size_t* len);

// ---- Writer -----------------------------------------------------------------------------------

// `SELECT db`. The parameter is 16 bits because that is what the target reads.
void AppendSelect(std::string* out, uint16_t db);

// One COMMAND record exactly as Dragonfly writes it: opcode, txid, the legacy constant 1, argc,
// the total byte size of all strings, then each string. `args` holds the command name first and
// must not be empty (an argc of 0 is corrupt for the reader). Grows `out` at most once.
void AppendCommand(std::string* out, uint64_t txid, std::span<const std::string_view> args);
void AppendCommand(std::string* out, uint64_t txid, std::initializer_list<std::string_view> args);

// What Dragonfly's migration streamer emits per command: every record comes from a fresh
// JournalWriter, which always precedes a COMMAND with a SELECT (§4.5). Senders that want to look
// exactly like Dragonfly use this; db is 0 in cluster mode.
void AppendSelectAndCommand(std::string* out, uint16_t db, uint64_t txid,
                            std::span<const std::string_view> args);
void AppendSelectAndCommand(std::string* out, uint16_t db, uint64_t txid,
                            std::initializer_list<std::string_view> args);

void AppendPing(std::string* out);

// In migrations the LSN carries the finalize attempt number (§4.4).
void AppendLsn(std::string* out, uint64_t lsn);

// ---- Reader -----------------------------------------------------------------------------------

// One decoded record. Only the fields of its opcode are meaningful.
struct Record {
  Opcode opcode = Opcode::kPing;
  uint16_t db = 0;    // kSelect
  uint64_t txid = 0;  // kCommand, kExpired (the target ignores it)
  uint64_t lsn = 0;   // kLsn
  // kCommand, kExpired: the command name, then its arguments. Views into the buffer passed to
  // the StreamReader::Next call that returned the record; valid until the caller changes it.
  std::vector<std::string_view> args;
};

struct StreamLimits {
  // Largest declared total of one command's argument bytes (--proto_max_bulk_len, as for a
  // client's request).
  uint64_t max_command_bytes = 512u << 20;
  // Most strings in one command (a client's multibulk limit).
  uint64_t max_args = 1024 * 1024;
};

// Decodes the records of one flow, in order. Not thread-safe; one reader per flow socket.
//
// Caller protocol: keep a buffer whose first byte is the start of the next record, append what
// the socket delivers, and call Next(buffer, ...) until it stops returning kOk:
//  * kOk: *out holds one record, which took the first *consumed bytes. Use it, then drop those
//    bytes (advance a start offset and compact whenever convenient) before the next call.
//  * kIncomplete: nothing was consumed. Read more, append, and call again with the same record
//    start. MinBytesWanted() is how many bytes (from the record start) the buffer must hold before
//    another call can make progress; a caller may use it to size the next read.
//  * kCorrupt: Error() says why ("corrupt flow stream: ..."). The flow must end; Next keeps
//    returning kCorrupt until Reset().
//
// Resuming: the reader remembers how far into a partial record it got, as offsets from the record
// start (never pointers, so the caller may move or compact the buffer between calls as long as
// the record's bytes stay in order at the front). Each call parses only the bytes it has not seen
// before, so a record arriving in many small reads costs O(record size) in total. A view shorter
// than what was already parsed (a caller that dropped bytes) restarts the record from its first
// byte: correct, only slower.
//
// Memory: each declared size is checked against StreamLimits as soon as it is read, before any
// of the bytes it announces are needed — a total over max_command_bytes, more than max_args
// strings, or a string longer than what is left of the declared total is kCorrupt right away.
// So a hostile or broken source can make the caller buffer at most one record of about
// max_command_bytes + 9 * max_args + 45 bytes, and the reader itself keeps 16 bytes per string.
class StreamReader {
 public:
  explicit StreamReader(StreamLimits limits = {}) : limits_(limits) {}

  Status Next(std::string_view available, size_t* consumed, Record* out);

  // After kIncomplete: the buffer must hold at least this many bytes, counted from the record
  // start. Once a string's length has been read this covers the whole string, so a large value
  // is announced before its bytes arrive.
  size_t MinBytesWanted() const { return want_; }

  // After kCorrupt: "corrupt flow stream: <what>".
  const std::string& Error() const { return error_; }

  // Forgets a partially parsed record and a previous error.
  void Reset();

 private:
  // Where the parse of the current record stands: the next field to read.
  enum class Stage {
    kOpcode,
    kSelectDb,
    kLsn,
    kTxid,
    kShardCount,
    kArgCount,
    kTotalSize,
    kArgLength,
    kArgBytes,
    kCorrupt,
  };

  // Reads the packed integer at pos_ and advances past it; on kIncomplete sets want_.
  Status ReadPacked(std::string_view buf, uint64_t* value);
  Status Fail(std::string what);
  // Ends the current record and prepares for the next one.
  void FinishRecord();
  // Ends the current record, which took the first pos_ bytes: *consumed = pos_, kOk.
  Status Emit(size_t* consumed);

  // One step of Next per stage: each reads the field(s) of its stages and either returns what
  // Next returns (a record, kIncomplete or kCorrupt) or nullopt once it moved to a later stage.
  std::optional<Status> ReadOpcode(std::string_view buf, size_t* consumed, Record* out);
  // kSelectDb / kLsn: the record's only field; always ends the record (or the stream).
  Status ReadSelectOrLsn(std::string_view buf, size_t* consumed, Record* out);
  // kTxid, kShardCount, kArgCount, kTotalSize: a command's header, checked against limits_.
  std::optional<Status> ReadCommandHeader(std::string_view buf);
  // kArgLength: the next string's length, or the finished command once every string is read.
  std::optional<Status> ReadArgLength(std::string_view buf, size_t* consumed, Record* out);
  // kArgBytes: the bytes of the string whose length was read.
  std::optional<Status> ReadArgBytes(std::string_view buf);

  StreamLimits limits_;

  Stage stage_ = Stage::kOpcode;
  size_t pos_ = 0;  // offset from the record start of the first byte not yet parsed
  Opcode opcode_ = Opcode::kPing;
  uint64_t txid_ = 0;
  uint64_t argc_ = 0;
  uint64_t remaining_ = 0;  // declared total minus the lengths of the strings read so far
  uint64_t arg_len_ = 0;    // length of the string whose bytes are awaited (kArgBytes)
  std::vector<std::pair<size_t, size_t>> spans_;  // (offset, length) of each string read

  size_t want_ = 0;
  std::string error_;
};

}  // namespace darner::flow
