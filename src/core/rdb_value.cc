#include "core/rdb_value.h"

#include <cstring>

#include "base/crc64.h"
#include "base/numbers.h"
#include "core/lzf.h"

namespace darner::rdb {
namespace {

// String-encoding tags (the low 6 bits after a 0b11 length prefix).
enum : uint8_t { kEncInt8 = 0, kEncInt16 = 1, kEncInt32 = 2, kEncLzf = 3 };

constexpr size_t kFooterSize = 10;  // version (2) + CRC-64 (8)

void AppendLittleEndian(uint64_t v, size_t bytes, std::string* out) {
  for (size_t i = 0; i < bytes; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

// Redis encodes a string as an integer only when it is the canonical decimal form of one that
// fits 32 bits ("007" and "+1" stay strings, so they restore byte for byte).
bool AppendAsInteger(std::string_view s, std::string* out) {
  int64_t v;
  if (s.size() > 11 || !ParseInt64(s, &v)) return false;
  char buf[24];
  if (std::string_view(buf, FormatInt64(v, buf)) != s) return false;
  if (v >= INT8_MIN && v <= INT8_MAX) {
    out->push_back(static_cast<char>(0xC0 | kEncInt8));
    AppendLittleEndian(static_cast<uint64_t>(v), 1, out);
  } else if (v >= INT16_MIN && v <= INT16_MAX) {
    out->push_back(static_cast<char>(0xC0 | kEncInt16));
    AppendLittleEndian(static_cast<uint64_t>(v), 2, out);
  } else if (v >= INT32_MIN && v <= INT32_MAX) {
    out->push_back(static_cast<char>(0xC0 | kEncInt32));
    AppendLittleEndian(static_cast<uint64_t>(v), 4, out);
  } else {
    return false;
  }
  return true;
}

int64_t SignExtend(uint64_t v, size_t bytes) {
  unsigned shift = 64 - 8 * static_cast<unsigned>(bytes);
  return static_cast<int64_t>(v << shift) >> shift;
}

}  // namespace

void AppendLength(uint64_t n, std::string* out) {
  if (n < (1 << 6)) {
    out->push_back(static_cast<char>(n));
  } else if (n < (1 << 14)) {
    out->push_back(static_cast<char>(0x40 | (n >> 8)));
    out->push_back(static_cast<char>(n & 0xff));
  } else if (n <= UINT32_MAX) {
    out->push_back(static_cast<char>(0x80));
    for (int i = 3; i >= 0; --i) out->push_back(static_cast<char>(n >> (8 * i)));
  } else {
    out->push_back(static_cast<char>(0x81));
    for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>(n >> (8 * i)));
  }
}

void AppendString(std::string_view s, std::string* out) {
  if (AppendAsInteger(s, out)) return;
  AppendLength(s.size(), out);
  out->append(s);
}

bool Reader::ReadBytes(size_t n, std::string_view* out) {
  if (n > remaining()) return false;
  *out = in_.substr(pos_, n);
  pos_ += n;
  return true;
}

bool Reader::ReadByte(uint8_t* out) {
  std::string_view b;
  if (!ReadBytes(1, &b)) return false;
  *out = static_cast<uint8_t>(b[0]);
  return true;
}

bool Reader::ReadLength(uint64_t* n, bool* encoded) {
  uint8_t first;
  if (!ReadByte(&first)) return false;
  *encoded = false;
  switch (first >> 6) {
    case 0:
      *n = first & 0x3f;
      return true;
    case 1: {
      uint8_t second;
      if (!ReadByte(&second)) return false;
      *n = (uint64_t(first & 0x3f) << 8) | second;
      return true;
    }
    case 3:
      *encoded = true;
      *n = first & 0x3f;
      return true;
    default:
      break;
  }
  size_t bytes = first == 0x80 ? 4 : first == 0x81 ? 8 : 0;
  std::string_view b;
  if (bytes == 0 || !ReadBytes(bytes, &b)) return false;  // 0x82..0xBF are not lengths
  *n = 0;
  for (char c : b) *n = (*n << 8) | static_cast<uint8_t>(c);
  return true;
}

bool Reader::ReadString(std::string* out) {
  uint64_t n;
  bool encoded;
  if (!ReadLength(&n, &encoded)) return false;
  std::string_view b;
  if (!encoded) {
    if (!ReadBytes(n, &b)) return false;
    out->assign(b);
    return true;
  }
  if (n == kEncInt8 || n == kEncInt16 || n == kEncInt32) {
    size_t bytes = size_t(1) << n;
    if (!ReadBytes(bytes, &b)) return false;
    uint64_t v = 0;
    for (size_t i = 0; i < bytes; ++i) v |= uint64_t(static_cast<uint8_t>(b[i])) << (8 * i);
    char buf[24];
    out->assign(buf, FormatInt64(SignExtend(v, bytes), buf));
    return true;
  }
  if (n != kEncLzf) return false;
  uint64_t clen, len;
  bool ignored;  // Redis reads these two lengths without looking at the encoding flag
  if (!ReadLength(&clen, &ignored) || !ReadLength(&len, &ignored) || !ReadBytes(clen, &b)) {
    return false;
  }
  if (len == 0 || len > LzfMaxExpansion(clen)) return false;  // no valid stream expands more
  return LzfDecompress(b, len, out);
}

std::string DumpPayload(const CompactValue& value) {
  std::string out;
  out.push_back(static_cast<char>(kTypeString));
  char scratch[CompactValue::kScratchSize];
  AppendString(value.GetString(scratch), &out);
  AppendLittleEndian(kVersion, 2, &out);
  AppendLittleEndian(Crc64(0, out), 8, &out);
  return out;
}

OpResult<CompactValue> ParseDumpPayload(std::string_view payload) {
  if (payload.size() < kFooterSize) return OpStatus::kBadPayload;
  std::string_view footer = payload.substr(payload.size() - kFooterSize);
  uint16_t version = static_cast<uint8_t>(footer[0]) | (static_cast<uint8_t>(footer[1]) << 8);
  if (version > kVersion) return OpStatus::kBadPayload;
  uint64_t crc = 0;
  for (int i = 7; i >= 0; --i) crc = (crc << 8) | static_cast<uint8_t>(footer[2 + i]);
  if (Crc64(0, payload.substr(0, payload.size() - 8)) != crc) return OpStatus::kBadPayload;

  // Redis reads the value from the whole payload, footer included, so a body cut short can borrow
  // footer bytes; Darner reads the body alone. Bytes after the value are not looked at (Redis's
  // rule).
  Reader r(payload.substr(0, payload.size() - kFooterSize));
  uint8_t type;
  if (!r.ReadByte(&type) || type != kTypeString) return OpStatus::kBadData;
  std::string s;
  if (!r.ReadString(&s)) return OpStatus::kBadData;
  return CompactValue::String(s);
}

}  // namespace darner::rdb
