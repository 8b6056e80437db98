#include "base/numbers.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>

namespace darner {
namespace {

bool IsCSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// A NUL-terminated copy of a string_view: on the stack when small, on the heap otherwise.
class CString {
 public:
  explicit CString(std::string_view s) {
    if (s.size() < sizeof(small_)) {
      data_ = small_;
    } else {
      heap_ = std::make_unique<char[]>(s.size() + 1);
      data_ = heap_.get();
    }
    std::memcpy(data_, s.data(), s.size());
    data_[s.size()] = '\0';
  }
  const char* get() const { return data_; }

 private:
  char small_[128];
  std::unique_ptr<char[]> heap_;
  char* data_;
};

// The checks Redis applies after strtod/strtold: errno is ERANGE only on overflow (+-HUGE_VAL)
// or underflow; underflow is rejected only when the result rounded to zero.
template <typename T>
bool RangeOk(T value, int err) {
  if (err == ERANGE && (std::isinf(value) || value == 0)) return false;
  return !std::isnan(value);
}

}  // namespace

bool ParseInt64(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > kMaxInt64Chars) return false;
  if (s == "0") {
    if (out) *out = 0;
    return true;
  }
  size_t i = 0;
  const bool negative = s[0] == '-';
  if (negative) ++i;
  // The first digit must be 1-9: this rejects "-", "-0", "01" and signs other than one '-'.
  if (i == s.size() || s[i] < '1' || s[i] > '9') return false;

  // Accumulate the magnitude as unsigned so that INT64_MIN's magnitude fits.
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  uint64_t v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    const uint64_t digit = s[i] - '0';
    if (v > kMax / 10 || v * 10 > kMax - digit) return false;
    v = v * 10 + digit;
  }
  constexpr uint64_t kMaxPositive = std::numeric_limits<int64_t>::max();
  if (negative) {
    if (v > kMaxPositive + 1) return false;
    if (out) *out = static_cast<int64_t>(0 - v);  // Well defined: unsigned negation.
  } else {
    if (v > kMaxPositive) return false;
    if (out) *out = static_cast<int64_t>(v);
  }
  return true;
}

bool ParseDouble(std::string_view s, long double* out) {
  if (s.empty() || s.size() >= kMaxLongDoubleChars) return false;
  CString buf(s);
  char* end = nullptr;
  errno = 0;
  const long double value = std::strtold(buf.get(), &end);
  const int err = errno;
  // Every byte must be consumed, so an embedded NUL is rejected too.
  if (IsCSpace(s[0]) || static_cast<size_t>(end - buf.get()) != s.size() || !RangeOk(value, err)) {
    return false;
  }
  if (out) *out = value;
  return true;
}

bool ParseDouble(std::string_view s, double* out) {
  if (s.empty() || IsCSpace(s[0])) return false;
  CString buf(s);
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(buf.get(), &end);
  const int err = errno;
  if (static_cast<size_t>(end - buf.get()) != s.size() || !RangeOk(value, err)) return false;
  if (out) *out = value;
  return true;
}

std::string FormatLongDouble(long double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  // The largest finite long double needs 4933 integer digits; with the sign, the point and 17
  // decimals it stays below kMaxLongDoubleChars, the buffer Redis uses.
  char buf[kMaxLongDoubleChars];
  int len = std::snprintf(buf, sizeof(buf), "%.17Lf", v);
  if (len <= 0 || static_cast<size_t>(len) >= sizeof(buf)) return std::string();
  std::string_view text(buf, len);
  if (text.find('.') != std::string_view::npos) {
    while (text.back() == '0') text.remove_suffix(1);
    if (text.back() == '.') text.remove_suffix(1);
  }
  if (text == "-0") return "0";
  return std::string(text);
}

std::string FormatDouble(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[32];  // "%.17g" needs at most 24 bytes ("-1.2345678901234567e-308").
  int len = std::snprintf(buf, sizeof(buf), "%.17g", v);
  return std::string(buf, len);
}

size_t FormatInt64(int64_t v, char* buf) {
  // Two digits per division, from a table of "00".."99".
  static constexpr char kPairs[] =
      "0001020304050607080910111213141516171819"
      "2021222324252627282930313233343536373839"
      "4041424344454647484950515253545556575859"
      "6061626364656667686970717273747576777879"
      "8081828384858687888990919293949596979899";
  uint64_t u = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  size_t digits = 1;
  for (uint64_t t = u; t >= 10; t /= 10) ++digits;
  const size_t len = digits + (v < 0 ? 1 : 0);
  char* p = buf + len;
  while (u >= 100) {
    const size_t pair = (u % 100) * 2;
    u /= 100;
    *--p = kPairs[pair + 1];
    *--p = kPairs[pair];
  }
  if (u >= 10) {
    *--p = kPairs[u * 2 + 1];
    *--p = kPairs[u * 2];
  } else {
    *--p = static_cast<char>('0' + u);
  }
  if (v < 0) *--p = '-';
  return len;
}

}  // namespace darner
