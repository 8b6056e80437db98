// Number parsing and formatting with Redis 7.0's exact rules: which strings are accepted as
// integers/floats and how numbers are rendered in replies and stored values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace darner {

// Longest output of FormatInt64: "-9223372036854775808".
inline constexpr size_t kMaxInt64Chars = 20;

// Redis refuses float strings of this many bytes or more (MAX_LONG_DOUBLE_CHARS).
inline constexpr size_t kMaxLongDoubleChars = 5 * 1024;

// Parses a decimal int64 like Redis `string2ll` (INCRBY, EXPIRE, ranges, ...): optional '-', then
// "0" alone or a digit 1-9 followed by digits. Rejects "", "+1", " 1", "1 ", "01", "-0",
// anything of more than 20 bytes, and values outside int64. `out` may be null.
bool ParseInt64(std::string_view s, int64_t* out);

// Parses a float like Redis `string2ld` (INCRBYFLOAT, HINCRBYFLOAT): strtold() rules, so "+1",
// "1e3", ".5", "inf", "-Infinity" and hex floats ("0x1p4") are accepted, but "", a leading
// space, trailing garbage, nan, overflow to +-inf, underflow to 0 and strings of
// kMaxLongDoubleChars or more bytes are rejected (so are embedded NUL bytes). `out` may be null.
bool ParseDouble(std::string_view s, long double* out);

// Parses a double like Redis `getDoubleFromObject`/`string2d` (ZADD and ZINCRBY scores, GEOADD
// coordinates...): strtod() rules with the same rejections as above, except
// that there is no length limit.
bool ParseDouble(std::string_view s, double* out);

// Formats an INCRBYFLOAT/HINCRBYFLOAT result like Redis `ld2string(..., LD_STR_HUMAN)`: "%.17Lf"
// with trailing zeros (and a trailing '.') removed, "-0" turned into "0", and "inf"/"-inf".
// Examples: 10.6 -> "10.6", 5e3 -> "5000", 1e-20 -> "0".
std::string FormatLongDouble(long double v);

// Formats a double the way Redis 7.0 replies with one (ZSCORE, ZINCRBY, WITHSCORES...):
// "%.17g", plus "inf"/"-inf". Examples: 1.5 -> "1.5", 0.1 -> "0.10000000000000001", -0.0 -> "-0".
std::string FormatDouble(double v);

// Writes the decimal form of `v` to `buf` (which needs room for kMaxInt64Chars bytes; no NUL is
// written) and returns the number of bytes written.
size_t FormatInt64(int64_t v, char* buf);

}  // namespace darner
