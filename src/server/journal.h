// The journal of one shard (DESIGN.md §5): while a shard has consumers (the outgoing flows of
// slot migrations, later replicas), every change to a key of database 0 is reported to them, on
// the shard's thread, right after it happened, in execution order.
//
// Changes are reported as *state*, not as commands: a consumer gets the key and its entry as it
// is now (nullptr when the key is gone, whether deleted, renamed away or expired), and forwards
// `SET key value [PXAT t]` or `DEL key`. That form is deterministic by construction (relative
// TTLs, INCRBYFLOAT, random choices need no special cases), and it makes the traversal's job
// simple: whatever order a key's reports and its baseline take, the last one sent is the key's
// current state.
//
// Only database 0 has consumers: cluster mode, the one user so far, has no other.
#pragma once

#include <algorithm>
#include <bitset>
#include <string_view>
#include <vector>

#include "base/crc16.h"

namespace darner {

struct KeyEntry;

class JournalConsumer {
 public:
  virtual ~JournalConsumer() = default;
  // `key` (of `slot`) changed; `entry` is its new state, or nullptr if it no longer exists.
  // Must not change the keyspace.
  virtual void OnKeyChange(SlotId slot, std::string_view key, const KeyEntry* entry) = 0;
  // Every key of the database was deleted at once (FLUSHALL, FLUSHDB).
  virtual void OnFlush() = 0;
};

class Journal {
 public:
  // Adds a consumer interested in `slots`; call on the shard's thread.
  void Add(JournalConsumer* consumer, const std::bitset<kNumSlots>& slots) {
    consumers_.push_back({consumer, slots});
    wanted_ |= slots;
  }
  void Remove(JournalConsumer* consumer) {
    std::erase_if(consumers_, [consumer](const Entry& e) { return e.consumer == consumer; });
    wanted_.reset();
    for (const Entry& e : consumers_) wanted_ |= e.slots;
  }
  bool empty() const { return consumers_.empty(); }

  void KeyChanged(std::string_view key, const KeyEntry* entry) {
    SlotId slot = KeySlot(key);
    if (!wanted_.test(slot)) return;
    for (const Entry& e : consumers_) {
      if (e.slots.test(slot)) e.consumer->OnKeyChange(slot, key, entry);
    }
  }
  void Flushed() {
    for (const Entry& e : consumers_) e.consumer->OnFlush();
  }

 private:
  struct Entry {
    JournalConsumer* consumer;
    std::bitset<kNumSlots> slots;
  };
  std::vector<Entry> consumers_;
  std::bitset<kNumSlots> wanted_;
};

}  // namespace darner
