// Reply texts shared by many commands, exactly as Redis 7 words them.
#pragma once

#include <string_view>

#include "base/op_result.h"

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
inline constexpr std::string_view kOomErr =
    "-OOM command not allowed when used memory > 'maxmemory'.";
inline constexpr std::string_view kBusyKeyErr = "-BUSYKEY Target key name already exists.";
inline constexpr std::string_view kCancelledErr = "-ERR the command was cancelled";

// The error text an Op*'s status stands for, where Redis words it the same for every command.
// Statuses whose text depends on the command (kOutOfRange, kKeyNotFound in most commands) are
// replied by the command itself; kOk and kSkipped are not errors.
constexpr std::string_view StatusError(OpStatus status) {
  switch (status) {
    case OpStatus::kWrongType:
      return kWrongTypeErr;
    case OpStatus::kSyntaxError:
      return kSyntaxErr;
    case OpStatus::kInvalidInt:
      return kInvalidIntErr;
    case OpStatus::kInvalidFloat:
      return kInvalidFloatErr;
    case OpStatus::kOverflow:
      return kOverflowErr;
    case OpStatus::kOutOfMemory:
      return kOomErr;
    case OpStatus::kBusyKey:
      return kBusyKeyErr;
    case OpStatus::kKeyNotFound:
      return kNoSuchKeyErr;
    case OpStatus::kOutOfRange:
      return "index out of range";
    case OpStatus::kCancelled:
      return kCancelledErr;
    case OpStatus::kBadPayload:
      return "DUMP payload version or checksum are wrong";
    case OpStatus::kBadData:
      return "Bad data format";
    case OpStatus::kInvalidExpire:  // the command's name is part of the text
      return "invalid expire time";
    case OpStatus::kOk:
    case OpStatus::kSkipped:
      break;
  }
  return "internal error: not an error status";
}

}  // namespace darner
