// Reads a command's arguments left to right: options by case-insensitive name, integers with
// Redis's strict parsing. Errors are recorded once; the first one wins.
#pragma once

#include <absl/strings/match.h>

#include <cstdint>
#include <optional>
#include <string_view>

#include "base/numbers.h"
#include "base/strings.h"
#include "facade/errors.h"
#include "facade/service_interface.h"

namespace darner {

class ArgParser {
 public:
  explicit ArgParser(CmdArgList args) : args_(args) {}

  bool HasNext() const { return pos_ < args_.size(); }
  size_t remaining() const { return args_.size() - pos_; }
  std::string_view Peek() const { return args_[pos_]; }

  // Consumes the next argument if it equals `name` (ignoring case).
  bool Check(std::string_view name) {
    if (HasNext() && EqualsIgnoreCase(args_[pos_], name)) {
      ++pos_;
      return true;
    }
    return false;
  }

  std::string_view Next() {
    if (!HasNext()) {
      Fail(kSyntaxErr);
      return {};
    }
    return args_[pos_++];
  }

  int64_t NextInt() {
    std::string_view s = Next();
    int64_t v = 0;
    if (!error_ && !ParseInt64(s, &v)) Fail(kInvalidIntErr);
    return v;
  }

  void Fail(std::string_view error) {
    if (!error_) error_ = error;
  }
  const std::optional<std::string_view>& error() const { return error_; }

 private:
  CmdArgList args_;
  size_t pos_ = 0;
  std::optional<std::string_view> error_;
};

}  // namespace darner
