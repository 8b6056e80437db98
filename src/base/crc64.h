// CRC-64/Jones, the checksum that ends every RDB file and DUMP payload (reflected, polynomial
// 0xad93d23594c935a9, initial value 0, no final xor).
#pragma once

#include <cstdint>
#include <string_view>

namespace darner {

// Extends `crc` (0 to start) over `data`.
uint64_t Crc64(uint64_t crc, std::string_view data);

}  // namespace darner
