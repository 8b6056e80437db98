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

inline SlotId ComputeKeySlot(std::string_view key) { return Crc16(HashTag(key)) & (kNumSlots - 1); }

// A command needs its key's slot several times (routing check, shard choice, the slot's table,
// the journal). The command loop records it once per command here, and KeySlot answers from it
// for that exact key: the same address and length in the request buffer, which stays alive and
// unchanged while the command runs. Whoever sets it clears it when the command ends
// (ScopedKeySlot), so it never outlives the buffer it points into.
struct KeySlotMemo {
  const char* data = nullptr;
  size_t size = 0;
  SlotId slot = 0;
};
inline thread_local KeySlotMemo tl_key_slot_memo;

inline SlotId KeySlot(std::string_view key) {
  const KeySlotMemo& m = tl_key_slot_memo;
  if (key.data() == m.data && key.size() == m.size && m.data != nullptr) return m.slot;
  return ComputeKeySlot(key);
}

// Records a key's slot for KeySlot until destroyed. Only for keys that point into a buffer that
// outlives the scope and is not written meanwhile (a request's arguments).
class ScopedKeySlot {
 public:
  ScopedKeySlot() = default;
  ScopedKeySlot(const ScopedKeySlot&) = delete;
  ScopedKeySlot& operator=(const ScopedKeySlot&) = delete;
  ~ScopedKeySlot() { tl_key_slot_memo = {}; }
  void Set(std::string_view key, SlotId slot) { tl_key_slot_memo = {key.data(), key.size(), slot}; }
};

}  // namespace darner
