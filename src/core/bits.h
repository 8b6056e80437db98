// Bit-level string algorithms behind BITCOUNT, BITPOS, BITOP, SETBIT/GETBIT and BITFIELD, with
// Redis 7.0's exact semantics. Bits are numbered from the most significant bit of byte 0, and a
// string reads as if followed by infinitely many zero bits. These functions are pure: key
// lookup, type checks, argument counting and replies belong to the command layer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/types/span.h"

namespace darner {

// Redis's default proto-max-bulk-len: bit offsets must address a byte below it.
inline constexpr uint64_t kDefaultMaxBulkLen = 512ull * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// BITCOUNT / BITPOS

// BITCOUNT key: the number of set bits.
int64_t BitCount(std::string_view s);

// BITCOUNT key start end [BYTE|BIT]. Indexes count bytes (or bits when `bit_unit`), negative
// ones from the end; the range is clamped to the string. Like Redis, two negative indexes with
// start > end give 0 before any clamping.
int64_t BitCount(std::string_view s, int64_t start, int64_t end, bool bit_unit = false);

// BITPOS key bit [start [end [BYTE|BIT]]] on an existing string (a missing key is the command's
// business: Redis replies 0 when looking for 0 and -1 when looking for 1). `bit` is 0 or 1.
// Returns the absolute bit position of the first `bit` in the range, or -1 for an empty range.
// When no such bit exists: -1 when looking for 1 or when `end` was given; otherwise (looking for 0
// with no explicit end) the position right after the range, e.g. 8 * size for "\xff..." strings.
// (Redis's syntax only allows BIT together with an explicit end.)
int64_t BitPos(std::string_view s, int bit, int64_t start = 0,
               std::optional<int64_t> end = std::nullopt, bool bit_unit = false);

// ---------------------------------------------------------------------------------------------
// BITOP

enum class BitOpKind { kAnd, kOr, kXor, kNot };

// BITOP's result for `sources` (missing keys are passed as empty strings): as long as the longest
// source, shorter sources zero-padded. kNot uses only sources[0] (Redis demands exactly one).
// An empty result means Redis deletes the destination key.
std::string BitOp(BitOpKind op, absl::Span<const std::string_view> sources);

// ---------------------------------------------------------------------------------------------
// SETBIT / GETBIT

// Parses a bit offset argument like Redis `getBitOffsetFromArgument`: a ParseInt64 integer >= 0
// whose byte (offset >> 3) is below `max_bytes` (proto-max-bulk-len). When `allow_hash` (BITFIELD)
// and `type_bits` > 0, "#N" means N * type_bits; like Redis, that product wraps modulo 2^64 before
// the range check instead of being rejected.
bool ParseBitOffset(std::string_view arg, bool allow_hash, int type_bits, uint64_t max_bytes,
                    uint64_t* out);

// The bit at `offset` (0 beyond the end).
int GetBit(std::string_view s, uint64_t offset);

// Sets the bit at `offset` to `value` (0 or 1), zero-extending `s` as needed, and returns the
// previous bit.
int SetBit(std::string* s, uint64_t offset, int value);

// ---------------------------------------------------------------------------------------------
// BITFIELD

// A BITFIELD type: i1..i64 or u1..u63.
struct BitfieldType {
  bool is_signed = false;
  uint8_t bits = 0;
};

enum class BitfieldOverflow { kWrap, kSat, kFail };

// Parses "i8", "u16", ... like Redis 7.0: lowercase 'i' or 'u' only, then a ParseInt64 width
// (so "u08" is invalid); text after an embedded NUL is ignored, as Redis's C string code does.
bool ParseBitfieldType(std::string_view s, BitfieldType* out);

// Parses the OVERFLOW argument: WRAP, SAT or FAIL, case-insensitively.
bool ParseBitfieldOverflow(std::string_view s, BitfieldOverflow* out);

// Reads the field at bit `offset` (missing bits read as 0). Unsigned fields come back as their
// non-negative value (u63 fits in int64).
int64_t BitfieldGet(std::string_view s, uint64_t offset, BitfieldType type);

// Writes the low `type.bits` bits of `value` at bit `offset`, zero-extending `s` as needed.
void BitfieldStore(std::string* s, uint64_t offset, BitfieldType type, int64_t value);

struct BitfieldSum {
  int64_t value;  // The value to store; left as the input `value` for an overflow under kFail.
  bool overflow;
};

// Computes `value + incr` for a field of `type` under the overflow policy, exactly like Redis's
// check{Signed,Unsigned}BitfieldOverflow: the mathematically exact sum is range-checked; WRAP
// keeps its low bits (sign-extended for signed types), SAT clamps to min/max. For unsigned types
// `value` is taken as uint64, so SET of a negative value overflows upwards (SAT gives the max).
BitfieldSum BitfieldAdd(BitfieldType type, int64_t value, int64_t incr, BitfieldOverflow overflow);

// BITFIELD ... SET: stores `value` and returns the old field value, or nullopt when it overflows
// under kFail (field left unchanged). Like Redis, `s` is zero-extended to cover the field even
// then, since Redis grows the string for all write operations before running them.
std::optional<int64_t> BitfieldSet(std::string* s, uint64_t offset, BitfieldType type,
                                   int64_t value, BitfieldOverflow overflow);

// BITFIELD ... INCRBY: adds `incr` and returns the new field value, or nullopt on overflow under
// kFail (field unchanged, `s` still zero-extended as for BitfieldSet).
std::optional<int64_t> BitfieldIncrBy(std::string* s, uint64_t offset, BitfieldType type,
                                      int64_t incr, BitfieldOverflow overflow);

}  // namespace darner
