#include "base/crc16.h"

#include <array>

namespace darner {
namespace {

// CRC16-CCITT (XMODEM): polynomial 0x1021, initial value 0, no reflection.
constexpr std::array<uint16_t, 256> MakeTable() {
  std::array<uint16_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint16_t crc = static_cast<uint16_t>(i << 8);
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
                           : static_cast<uint16_t>(crc << 1);
    }
    table[i] = crc;
  }
  return table;
}

constexpr std::array<uint16_t, 256> kTable = MakeTable();

// Slicing by 4: kSliced[k][b] is the CRC of byte b followed by k zero bytes. The CRC is linear,
// so four bytes fold in with four independent lookups instead of four dependent ones.
constexpr std::array<std::array<uint16_t, 256>, 4> MakeSliced() {
  std::array<std::array<uint16_t, 256>, 4> t{};
  t[0] = MakeTable();
  for (int k = 1; k < 4; ++k) {
    for (uint32_t b = 0; b < 256; ++b) {
      uint16_t prev = t[k - 1][b];
      t[k][b] = static_cast<uint16_t>((prev << 8) ^ t[0][prev >> 8]);
    }
  }
  return t;
}

constexpr std::array<std::array<uint16_t, 256>, 4> kSliced = MakeSliced();

}  // namespace

uint16_t Crc16(std::string_view data) {
  uint32_t crc = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  size_t n = data.size();
  for (; n >= 4; n -= 4, p += 4) {
    crc = kSliced[3][((crc >> 8) ^ p[0]) & 0xff] ^ kSliced[2][(crc ^ p[1]) & 0xff] ^
          kSliced[1][p[2]] ^ kSliced[0][p[3]];
  }
  for (; n > 0; --n, ++p) {
    crc = ((crc << 8) ^ kTable[((crc >> 8) ^ *p) & 0xff]) & 0xffff;
  }
  return static_cast<uint16_t>(crc);
}

std::string_view HashTag(std::string_view key) {
  size_t open = key.find('{');
  if (open == std::string_view::npos) return key;
  size_t close = key.find('}', open + 1);
  if (close == std::string_view::npos || close == open + 1) return key;
  return key.substr(open + 1, close - open - 1);
}

}  // namespace darner
