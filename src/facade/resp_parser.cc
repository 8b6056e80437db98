#include "facade/resp_parser.h"

#include <algorithm>
#include <charconv>
#include <memory>

namespace darner {
namespace {

constexpr size_t kMaxHeaderLine = 64 * 1024;

bool IsHexDigit(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  return (std::tolower(static_cast<unsigned char>(c)) - 'a') + 10;
}

// Splits an inline request the way redis-cli and Redis's inline protocol do: spaces separate
// arguments, "double quotes" allow C escapes, 'single quotes' allow \'. Returns false on
// unbalanced quotes (or a closing quote not followed by a space).
bool SplitInline(std::string_view line, std::vector<std::unique_ptr<std::string>>* out) {
  size_t i = 0;
  const size_t n = line.size();
  while (true) {
    while (i < n && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i >= n) return true;
    std::string current;
    bool in_double = false, in_single = false, done = false;
    while (!done) {
      if (in_double) {
        if (i >= n) return false;
        char c = line[i];
        if (c == '\\' && i + 3 < n && line[i + 1] == 'x' && IsHexDigit(line[i + 2]) &&
            IsHexDigit(line[i + 3])) {
          current.push_back(static_cast<char>(HexValue(line[i + 2]) * 16 + HexValue(line[i + 3])));
          i += 3;
        } else if (c == '\\' && i + 1 < n) {
          char e = line[++i];
          switch (e) {
            case 'n':
              current.push_back('\n');
              break;
            case 'r':
              current.push_back('\r');
              break;
            case 't':
              current.push_back('\t');
              break;
            case 'b':
              current.push_back('\b');
              break;
            case 'a':
              current.push_back('\a');
              break;
            default:
              current.push_back(e);
              break;
          }
        } else if (c == '"') {
          if (i + 1 < n && !std::isspace(static_cast<unsigned char>(line[i + 1]))) return false;
          done = true;
        } else {
          current.push_back(c);
        }
      } else if (in_single) {
        if (i >= n) return false;
        char c = line[i];
        if (c == '\\' && i + 1 < n && line[i + 1] == '\'') {
          current.push_back('\'');
          ++i;
        } else if (c == '\'') {
          if (i + 1 < n && !std::isspace(static_cast<unsigned char>(line[i + 1]))) return false;
          done = true;
        } else {
          current.push_back(c);
        }
      } else {
        if (i >= n) {
          done = true;
          break;
        }
        char c = line[i];
        switch (c) {
          case ' ':
          case '\n':
          case '\r':
          case '\t':
          case '\0':
            done = true;
            break;
          case '"':
            in_double = true;
            break;
          case '\'':
            in_single = true;
            break;
          default:
            current.push_back(c);
            break;
        }
      }
      if (i < n) ++i;
    }
    out->push_back(std::make_unique<std::string>(std::move(current)));
  }
}

// A length as Redis's string2ll reads it: an optional '-', then "0" or digits without a leading
// zero, within int64; "-0" is not a length.
bool ParseStrictInt(const char* first, const char* last, int64_t* value) {
  const char* digits = first + (first < last && *first == '-');
  if (digits == last || (last - digits > 1 && *digits == '0')) return false;
  if (digits != first && last - digits == 1 && *digits == '0') return false;
  auto [ptr, ec] = std::from_chars(first, last, *value);
  return ec == std::errc() && ptr == last;
}

}  // namespace

void RespParser::ShrinkIdle() {
  std::vector<std::pair<size_t, size_t>>().swap(spans_);
  std::vector<std::string_view>().swap(args_);
  std::vector<std::unique_ptr<std::string>>().swap(owned_);
}

void RespParser::Reset() {
  in_multibulk_ = false;
  expected_args_ = 0;
  pending_bulk_len_ = -1;
  pos_ = 0;
  spans_.clear();
  args_.clear();
  owned_.clear();
  want_ = 0;
}

RespParser::Status RespParser::Fail(std::string text) {
  error_ = std::move(text);
  return Status::kError;
}

RespParser::LineResult RespParser::ReadNumberLine(std::string_view buf, int64_t* value) {
  // buf[pos_] is the type byte; the number runs to the next "\r\n". Lengths are short, so the
  // common case is parsed in one pass over the digits; anything unusual takes the general path.
  size_t start = pos_ + 1;
  const char* p = buf.data() + start;
  const char* end = buf.data() + buf.size();
  if (start < buf.size()) {
    bool negative = *p == '-';
    const char* d = p + negative;
    uint64_t n = 0;
    const char* q = d;
    while (q < end && q - d < 18 && static_cast<unsigned char>(*q - '0') < 10) {
      n = n * 10 + static_cast<unsigned>(*q - '0');
      ++q;
    }
    if (q > d && q + 1 < end && *q == '\r') {
      if ((q - d > 1 && *d == '0') || (negative && n == 0)) return LineResult::kBadNumber;
      *value = negative ? -static_cast<int64_t>(n) : static_cast<int64_t>(n);
      pos_ = static_cast<size_t>(q - buf.data()) + 2;  // Redis does not check the byte after '\r'
      return LineResult::kOk;
    }
  }
  size_t limit = std::min(buf.size(), start + kMaxHeaderLine);
  size_t cr = buf.find('\r', start);
  if (cr == std::string_view::npos || cr + 1 >= buf.size()) {
    if (cr == std::string_view::npos && limit - start >= kMaxHeaderLine)
      return LineResult::kTooLong;
    return LineResult::kIncomplete;
  }
  if (cr - start > kMaxHeaderLine) return LineResult::kTooLong;
  const char* first = buf.data() + start;
  const char* last = buf.data() + cr;
  if (!ParseStrictInt(first, last, value)) return LineResult::kBadNumber;
  pos_ = cr + 2;  // Redis does not check the byte after '\r'
  return LineResult::kOk;
}

RespParser::Status RespParser::Parse(std::string_view buf, size_t* consumed) {
  *consumed = 0;
  args_.clear();
  if (!in_multibulk_) {
    if (buf.empty()) {
      want_ = 1;
      return Status::kIncomplete;
    }
    if (buf[0] != '*') return ParseInline(buf, consumed);
    pos_ = 0;
    int64_t count = 0;
    switch (ReadNumberLine(buf, &count)) {
      case LineResult::kIncomplete:
        want_ = buf.size() + 1;
        return Status::kIncomplete;
      case LineResult::kTooLong:
        return Fail("too big mbulk count string");
      case LineResult::kBadNumber:
        return Fail("invalid multibulk length");
      case LineResult::kOk:
        break;
    }
    if (count > static_cast<int64_t>(limits_.max_multibulk_len)) {
      return Fail("invalid multibulk length");
    }
    if (!authenticated_ && count > static_cast<int64_t>(kUnauthMaxMultibulk)) {
      return Fail("unauthenticated multibulk length");
    }
    if (count <= 0) {  // "*0" and "*-1" are empty requests, skipped
      *consumed = pos_;
      pos_ = 0;
      return Status::kOk;
    }
    in_multibulk_ = true;
    expected_args_ = count;
    pending_bulk_len_ = -1;
    spans_.clear();
    // Reserve gradually: a header promising a million arguments allocates only as they arrive.
    spans_.reserve(static_cast<size_t>(std::min<int64_t>(count, 1024)));
  }
  return ParseMultiBulk(buf, consumed);
}

RespParser::Status RespParser::ParseMultiBulk(std::string_view buf, size_t* consumed) {
  while (static_cast<int64_t>(spans_.size()) < expected_args_) {
    if (pending_bulk_len_ < 0) {
      if (pos_ >= buf.size()) {
        want_ = pos_ + 1;
        return Status::kIncomplete;
      }
      if (buf[pos_] != '$') {
        return Fail(std::string("expected '$', got '") + buf[pos_] + "'");
      }
      int64_t len = 0;
      switch (ReadNumberLine(buf, &len)) {
        case LineResult::kIncomplete:
          want_ = buf.size() + 1;
          return Status::kIncomplete;
        case LineResult::kTooLong:
          return Fail("too big bulk count string");
        case LineResult::kBadNumber:
          return Fail("invalid bulk length");
        case LineResult::kOk:
          break;
      }
      if (!authenticated_ && len > static_cast<int64_t>(kUnauthMaxBulk)) {
        return Fail("unauthenticated bulk length");
      }
      if (len < 0 || static_cast<uint64_t>(len) > limits_.max_bulk_len) {
        return Fail("invalid bulk length");
      }
      pending_bulk_len_ = len;
    }
    size_t end = pos_ + static_cast<size_t>(pending_bulk_len_) + 2;
    if (buf.size() < end) {
      want_ = end;
      return Status::kIncomplete;
    }
    spans_.emplace_back(pos_, static_cast<size_t>(pending_bulk_len_));
    pos_ = end;
    pending_bulk_len_ = -1;
  }
  args_.reserve(spans_.size());
  for (auto [off, len] : spans_) args_.emplace_back(buf.data() + off, len);
  *consumed = pos_;
  in_multibulk_ = false;
  pos_ = 0;
  spans_.clear();
  return Status::kOk;
}

RespParser::Status RespParser::ParseInline(std::string_view buf, size_t* consumed) {
  size_t nl = buf.find('\n');
  if (nl == std::string_view::npos) {
    if (buf.size() > limits_.max_inline_len) return Fail("too big inline request");
    want_ = buf.size() + 1;
    return Status::kIncomplete;
  }
  if (nl > limits_.max_inline_len) return Fail("too big inline request");
  std::string_view line = buf.substr(0, nl);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  size_t first = owned_.size();
  if (!SplitInline(line, &owned_)) return Fail("unbalanced quotes in request");
  for (size_t i = first; i < owned_.size(); ++i) args_.emplace_back(*owned_[i]);
  *consumed = nl + 1;
  return Status::kOk;
}

}  // namespace darner
