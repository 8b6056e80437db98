// Key → slot hashing: CRC16 (XMODEM, as Redis Cluster uses) of the key's hash tag.
#pragma once

#include <cstdint>
#include <string_view>

namespace darner {

inline constexpr uint32_t kNumSlots = 16384;
using SlotId = uint16_t;

uint16_t Crc16(std::string_view data);

// The part of `key` that is hashed: the text between the first '{' and the next '}' when that
// text is non-empty, otherwise the whole key (Redis Cluster's hash tag rule).
std::string_view HashTag(std::string_view key);

inline SlotId KeySlot(std::string_view key) { return Crc16(HashTag(key)) & (kNumSlots - 1); }

}  // namespace darner
