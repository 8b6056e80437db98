// Reply texts shared by many commands, exactly as Redis 7 words them.
#pragma once

#include <string_view>

namespace darner {

inline constexpr std::string_view kSyntaxErr = "syntax error";
inline constexpr std::string_view kInvalidIntErr = "value is not an integer or out of range";
inline constexpr std::string_view kInvalidFloatErr = "value is not a valid float";
inline constexpr std::string_view kWrongTypeErr =
    "-WRONGTYPE Operation against a key holding the wrong kind of value";
inline constexpr std::string_view kNoSuchKeyErr = "no such key";
inline constexpr std::string_view kOverflowErr = "increment or decrement would overflow";
inline constexpr std::string_view kDbIndexOutOfRangeErr = "DB index is out of range";
inline constexpr std::string_view kSameObjectErr = "source and destination objects are the same";

}  // namespace darner
