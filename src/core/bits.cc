#include "core/bits.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>

#include "base/numbers.h"

namespace darner {
namespace {

uint8_t ByteAt(std::string_view s, uint64_t i) { return static_cast<uint8_t>(s[i]); }

// The 8 bytes at s[i..i+8) as one word (byte order does not matter to the callers).
uint64_t WordAt(std::string_view s, uint64_t i) {
  uint64_t word;
  std::memcpy(&word, s.data() + i, sizeof(word));
  return word;
}

// Mask of the bits of a byte from bit `from` to bit `to` (0 = most significant), inclusive.
uint8_t BitsMask(unsigned from, unsigned to) {
  return static_cast<uint8_t>((0xFFu >> from) & (0xFFu << (7 - to)));
}

// Set bits in s[first..last] (absolute bit positions, both inside the string).
int64_t CountBits(std::string_view s, uint64_t first, uint64_t last) {
  const uint64_t first_byte = first / 8;
  const uint64_t last_byte = last / 8;
  if (first_byte == last_byte) {
    return std::popcount(
        static_cast<uint8_t>(ByteAt(s, first_byte) & BitsMask(first % 8, last % 8)));
  }
  int64_t count =
      std::popcount(static_cast<uint8_t>(ByteAt(s, first_byte) & BitsMask(first % 8, 7)));
  count += std::popcount(static_cast<uint8_t>(ByteAt(s, last_byte) & BitsMask(0, last % 8)));
  uint64_t i = first_byte + 1;
  for (; i + 8 <= last_byte; i += 8) count += std::popcount(WordAt(s, i));
  for (; i < last_byte; ++i) count += std::popcount(ByteAt(s, i));
  return count;
}

// Position of the first bit equal to `bit` in s[first..last] (absolute bit positions inside the
// string), or -1.
int64_t FindBit(std::string_view s, int bit, uint64_t first, uint64_t last) {
  const uint8_t flip = bit ? 0x00 : 0xFF;  // Searching for 0 is searching for 1 in ~byte.
  const uint64_t first_byte = first / 8;
  const uint64_t last_byte = last / 8;
  for (uint64_t i = first_byte; i <= last_byte; ++i) {
    // Skip whole words of interior bytes that cannot contain the bit.
    if (i > first_byte) {
      const uint64_t skip_word = bit ? 0 : ~uint64_t{0};
      while (i + 8 <= last_byte && WordAt(s, i) == skip_word) i += 8;
    }
    uint8_t b = ByteAt(s, i) ^ flip;
    b &= BitsMask(i == first_byte ? first % 8 : 0, i == last_byte ? last % 8 : 7);
    if (b != 0) return static_cast<int64_t>(i * 8) + std::countl_zero(b);
  }
  return -1;
}

// Converts Redis-style start/end indexes (negative = from the end) over `total` units into a
// clamped inclusive range. Returns false when the range is empty.
bool NormalizeRange(int64_t total, int64_t* start, int64_t* end) {
  if (*start < 0) *start += total;
  if (*end < 0) *end += total;
  if (*start < 0) *start = 0;
  if (*end < 0) *end = 0;
  if (*end >= total) *end = total - 1;
  return *start <= *end;
}

// ASCII case-insensitive equality with a lowercase literal.
bool EqualsLower(std::string_view s, std::string_view lower) {
  if (s.size() != lower.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

// Truncates at the first NUL, as Redis's strcasecmp/strlen-based parsing sees the argument.
std::string_view AsCString(std::string_view s) { return s.substr(0, s.find('\0')); }

}  // namespace

int64_t BitCount(std::string_view s) {
  if (s.empty()) return 0;
  return CountBits(s, 0, s.size() * 8 - 1);
}

int64_t BitCount(std::string_view s, int64_t start, int64_t end, bool bit_unit) {
  if (start < 0 && end < 0 && start > end) return 0;
  const int64_t total = static_cast<int64_t>(s.size()) * (bit_unit ? 8 : 1);
  if (!NormalizeRange(total, &start, &end)) return 0;
  if (!bit_unit) {
    start *= 8;
    end = end * 8 + 7;
  }
  return CountBits(s, start, end);
}

int64_t BitPos(std::string_view s, int bit, int64_t start, std::optional<int64_t> end,
               bool bit_unit) {
  const int64_t total = static_cast<int64_t>(s.size()) * (bit_unit ? 8 : 1);
  int64_t last = end.value_or(total - 1);
  if (!NormalizeRange(total, &start, &last)) return -1;
  if (!bit_unit) {
    start *= 8;
    last = last * 8 + 7;
  }
  const int64_t pos = FindBit(s, bit, start, last);
  if (pos >= 0 || bit == 1 || end.has_value()) return pos;
  // Looking for a clear bit without an explicit end: the string counts as zero-padded, so the
  // answer is the first bit of the byte after the range.
  return (last / 8 + 1) * 8;
}

std::string BitOp(BitOpKind op, absl::Span<const std::string_view> sources) {
  if (sources.empty()) return std::string();
  if (op == BitOpKind::kNot) {
    std::string out(sources[0]);
    for (char& c : out) c = static_cast<char>(~c);
    return out;
  }
  size_t max_len = 0;
  for (std::string_view src : sources) max_len = std::max(max_len, src.size());
  // AND starts from all ones but is then zeroed past the end of every shorter source.
  std::string out(max_len, op == BitOpKind::kAnd ? '\xff' : '\0');
  for (std::string_view src : sources) {
    for (size_t i = 0; i < src.size(); ++i) {
      switch (op) {
        case BitOpKind::kAnd:
          out[i] &= src[i];
          break;
        case BitOpKind::kOr:
          out[i] |= src[i];
          break;
        default:
          out[i] ^= src[i];
          break;
      }
    }
    if (op == BitOpKind::kAnd) std::fill(out.begin() + src.size(), out.end(), '\0');
  }
  return out;
}

bool ParseBitOffset(std::string_view arg, bool allow_hash, int type_bits, uint64_t max_bytes,
                    uint64_t* out) {
  const bool hash = allow_hash && type_bits > 0 && !arg.empty() && arg[0] == '#';
  int64_t offset;
  if (!ParseInt64(hash ? arg.substr(1) : arg, &offset)) return false;
  // Redis multiplies as int64 and the overflow wraps in practice; do the same, well defined.
  if (hash) offset = static_cast<int64_t>(static_cast<uint64_t>(offset) * type_bits);
  if (offset < 0 || (static_cast<uint64_t>(offset) >> 3) >= max_bytes) return false;
  *out = static_cast<uint64_t>(offset);
  return true;
}

int GetBit(std::string_view s, uint64_t offset) {
  const uint64_t byte = offset / 8;
  if (byte >= s.size()) return 0;
  return (ByteAt(s, byte) >> (7 - offset % 8)) & 1;
}

int SetBit(std::string* s, uint64_t offset, int value) {
  const uint64_t byte = offset / 8;
  if (byte >= s->size()) s->resize(byte + 1, '\0');
  const uint8_t mask = 0x80 >> (offset % 8);
  uint8_t b = static_cast<uint8_t>((*s)[byte]);
  const int old = (b & mask) ? 1 : 0;
  b = value ? (b | mask) : (b & ~mask);
  (*s)[byte] = static_cast<char>(b);
  return old;
}

bool ParseBitfieldType(std::string_view s, BitfieldType* out) {
  s = AsCString(s);
  if (s.empty()) return false;
  // Lowercase only: Redis 7.0 rejects "I8" and "U8".
  if (s[0] != 'i' && s[0] != 'u') return false;
  const bool is_signed = s[0] == 'i';
  int64_t bits;
  if (!ParseInt64(s.substr(1), &bits) || bits < 1 || bits > (is_signed ? 64 : 63)) return false;
  out->is_signed = is_signed;
  out->bits = static_cast<uint8_t>(bits);
  return true;
}

bool ParseBitfieldOverflow(std::string_view s, BitfieldOverflow* out) {
  s = AsCString(s);
  if (EqualsLower(s, "wrap")) {
    *out = BitfieldOverflow::kWrap;
  } else if (EqualsLower(s, "sat")) {
    *out = BitfieldOverflow::kSat;
  } else if (EqualsLower(s, "fail")) {
    *out = BitfieldOverflow::kFail;
  } else {
    return false;
  }
  return true;
}

int64_t BitfieldGet(std::string_view s, uint64_t offset, BitfieldType type) {
  uint64_t v = 0;
  for (unsigned i = 0; i < type.bits; ++i) v = (v << 1) | GetBit(s, offset + i);
  // Sign-extend a negative signed field.
  if (type.is_signed && type.bits < 64 && (v >> (type.bits - 1)) & 1)
    v |= ~uint64_t{0} << type.bits;
  return static_cast<int64_t>(v);
}

void BitfieldStore(std::string* s, uint64_t offset, BitfieldType type, int64_t value) {
  const uint64_t v = static_cast<uint64_t>(value);
  for (unsigned i = 0; i < type.bits; ++i) {
    SetBit(s, offset + i, (v >> (type.bits - 1 - i)) & 1);
  }
}

BitfieldSum BitfieldAdd(BitfieldType type, int64_t value, int64_t incr, BitfieldOverflow overflow) {
  const unsigned bits = type.bits;
  const uint64_t low_mask = bits == 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
  // Two's complement sum, truncated to the field and (for signed types) sign-extended: the WRAP
  // result.
  uint64_t wrapped = (static_cast<uint64_t>(value) + static_cast<uint64_t>(incr)) & low_mask;
  if (type.is_signed && bits < 64 && (wrapped >> (bits - 1)) & 1) wrapped |= ~low_mask;

  // Compare the exact sum with the field's range (+1: too big, -1: too small).
  int direction = 0;
  int64_t limit = 0;
  if (type.is_signed) {
    const int64_t max = static_cast<int64_t>(low_mask >> 1);
    const int64_t min = -max - 1;
    if (value > max) {
      direction = 1;
    } else if (value < min) {
      // Only SET passes an out-of-range value (with incr 0). Redis first tests incr against
      // max - value computed with wrap-around, which turns negative when value is far below the
      // range: e.g. SET i8 to INT64_MIN saturates to +127, not -128. Keep that quirk.
      const auto max_incr = static_cast<int64_t>(static_cast<uint64_t>(max) - value);
      direction = (bits < 64 && incr > max_incr) ? 1 : -1;
    } else if (incr > 0 && value > max - incr) {  // max - incr cannot overflow here.
      direction = 1;
    } else if (incr < 0 && value < min - incr) {
      direction = -1;
    }
    limit = direction > 0 ? max : min;
  } else {
    const uint64_t max = low_mask;
    const uint64_t v = static_cast<uint64_t>(value);
    if (v > max || (incr > 0 && static_cast<uint64_t>(incr) > max - v)) {
      direction = 1;
    } else if (incr < 0 && static_cast<uint64_t>(0) - static_cast<uint64_t>(incr) > v) {
      direction = -1;
    }
    limit = direction > 0 ? static_cast<int64_t>(max) : 0;
  }

  if (direction == 0) return {static_cast<int64_t>(wrapped), false};
  switch (overflow) {
    case BitfieldOverflow::kWrap:
      return {static_cast<int64_t>(wrapped), true};
    case BitfieldOverflow::kSat:
      return {limit, true};
    default:
      return {value, true};
  }
}

std::optional<int64_t> BitfieldSet(std::string* s, uint64_t offset, BitfieldType type,
                                   int64_t value, BitfieldOverflow overflow) {
  const uint64_t needed = (offset + type.bits - 1) / 8 + 1;
  if (s->size() < needed) s->resize(needed, '\0');
  const int64_t old = BitfieldGet(*s, offset, type);
  const BitfieldSum sum = BitfieldAdd(type, value, 0, overflow);
  if (sum.overflow && overflow == BitfieldOverflow::kFail) return std::nullopt;
  BitfieldStore(s, offset, type, sum.value);
  return old;
}

std::optional<int64_t> BitfieldIncrBy(std::string* s, uint64_t offset, BitfieldType type,
                                      int64_t incr, BitfieldOverflow overflow) {
  const uint64_t needed = (offset + type.bits - 1) / 8 + 1;
  if (s->size() < needed) s->resize(needed, '\0');
  const int64_t old = BitfieldGet(*s, offset, type);
  const BitfieldSum sum = BitfieldAdd(type, old, incr, overflow);
  if (sum.overflow && overflow == BitfieldOverflow::kFail) return std::nullopt;
  BitfieldStore(s, offset, type, sum.value);
  return sum.value;
}

}  // namespace darner
