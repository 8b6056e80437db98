// What an operation on a shard (an Op* function) hands back to the command that asked for it:
// an OpStatus, and with OpResult<T> a value when the status is kOk. Shard code never builds
// replies; the command turns a status into Redis's error text on the connection's thread
// (facade/errors.h has the texts).
#pragma once

#include <cassert>
#include <optional>
#include <utility>

namespace darner {

enum class OpStatus : unsigned char {
  kOk,
  kKeyNotFound,    // the key does not exist (not always an error: GET replies nil)
  kSkipped,        // nothing to do on this shard
  kWrongType,      // the key holds another type
  kSyntaxError,    // arguments the parser could not know were wrong until the data was seen
  kInvalidInt,     // a value that must be an integer is not, or is out of range
  kInvalidFloat,   // a value that must be a float is not
  kOverflow,       // an increment would leave the integer range
  kOutOfRange,     // an index, offset or size outside what the value allows
  kInvalidExpire,  // an expiry time that is not positive or overflows
  kOutOfMemory,    // over maxmemory and nothing could be evicted
  kBusyKey,        // the target key exists (RESTORE without REPLACE, RENAMENX, ...)
  kCancelled,      // the transaction was cancelled (shutdown, migration, client gone)
  kBadPayload,     // a serialized value of a newer RDB version, or with a wrong checksum
  kBadData,        // a serialized value whose bytes do not decode
};

// Either a T (status kOk) or a status that is not kOk. Reading the value of a failed result is
// a programming error (asserts in debug builds).
template <typename T>
class OpResult {
 public:
  OpResult(T value) : value_(std::move(value)) {}  // NOLINT: implicit, as `return value;` reads
  OpResult(OpStatus status) : status_(status) {    // NOLINT
    assert(status != OpStatus::kOk);
  }

  bool ok() const { return status_ == OpStatus::kOk; }
  explicit operator bool() const { return ok(); }
  OpStatus status() const { return status_; }

  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  // The value, or `fallback` when the status is not kOk.
  T value_or(T fallback) const& { return ok() ? *value_ : std::move(fallback); }

 private:
  std::optional<T> value_;
  OpStatus status_ = OpStatus::kOk;
};

// A result that carries no value.
template <>
class OpResult<void> {
 public:
  OpResult() = default;
  OpResult(OpStatus status) : status_(status) {}  // NOLINT

  bool ok() const { return status_ == OpStatus::kOk; }
  explicit operator bool() const { return ok(); }
  OpStatus status() const { return status_; }

 private:
  OpStatus status_ = OpStatus::kOk;
};

}  // namespace darner
