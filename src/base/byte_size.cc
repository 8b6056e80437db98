#include "base/byte_size.h"

#include <cctype>
#include <charconv>
#include <cmath>

namespace darner {

bool ParseByteSize(std::string_view text, uint64_t* bytes) {
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
    ++i;
  std::string_view number = text.substr(0, i);
  std::string unit;
  for (char c : text.substr(i)) unit.push_back(static_cast<char>(std::tolower(c)));
  if (number.empty() || number.front() == '.' || number.back() == '.') return false;
  int shift = 0;
  if (!unit.empty()) {
    static constexpr std::string_view kPrefixes = "kmgtp";
    size_t prefix = kPrefixes.find(unit[0]);
    if (unit == "b") {
      shift = 0;
    } else if (prefix != std::string_view::npos &&
               (unit.size() == 1 || unit.substr(1) == "b" || unit.substr(1) == "ib")) {
      shift = 10 * static_cast<int>(prefix + 1);
    } else {
      return false;
    }
  }
  if (number.find('.') == std::string_view::npos) {
    uint64_t n = 0;
    auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), n);
    if (ec != std::errc() || ptr != number.data() + number.size()) return false;
    if (shift > 0 && n > (UINT64_MAX >> shift)) return false;
    *bytes = n << shift;
    return true;
  }
  if (shift == 0 || number.find('.') != number.rfind('.')) return false;  // "1.5" bytes
  double n = 0;
  auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), n);
  if (ec != std::errc() || ptr != number.data() + number.size()) return false;
  double value = std::ldexp(n, shift);
  if (!(value < 18446744073709551615.0)) return false;
  *bytes = static_cast<uint64_t>(value);
  return true;
}

bool AbslParseFlag(absl::string_view text, ByteSize* out, std::string* error) {
  if (!ParseByteSize(std::string_view(text.data(), text.size()), &out->bytes)) {
    *error = "expected a size in bytes, such as 1073741824, 100mb, 1G or 512KiB";
    return false;
  }
  return true;
}

std::string AbslUnparseFlag(ByteSize size) { return std::to_string(size.bytes); }

}  // namespace darner
