// What the data plane needs from cluster mode, and nothing more: the mode the node runs in and,
// in `yes` mode, an immutable routing snapshot (which slots this node serves, where the others
// went). The cluster library builds snapshots from the pushed topology and publishes them with
// Service::PublishRouting; the server only reads them. Keeps src/server free of the cluster's
// internals (DESIGN.md §2).
#pragma once

#include <atomic>
#include <bitset>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/crc16.h"

namespace darner {

enum class ClusterMode : uint8_t {
  kOff,       // a plain server
  kEmulated,  // one node that owns every slot; CLUSTER commands describe it
  kYes,       // a real cluster driven by DFLYCLUSTER CONFIG
};

// Reads --cluster_mode (fixed from startup on). False, with the message to exit with, when the
// flag holds anything but "", "emulated" or "yes".
bool InitClusterMode(std::string* error);
ClusterMode GetClusterMode();
inline bool ClusterEnabled() { return GetClusterMode() != ClusterMode::kOff; }

// Back-pressure of outgoing migration flows: while a flow's unsent output is over
// --replication_stream_output_limit, its slots are "stalled", and the data plane makes writes
// to them wait a little (bounded) before they run, so they slow down to what the target takes
// instead of piling up in the flow's buffer. Any thread.
void SetSlotStalled(SlotId slot, bool stalled);
inline bool SlotStalled(SlotId slot);
// Writes that waited for a stalled slot (INFO).
void CountStalledWrite();
uint64_t StalledWrites();

// Runs before FLUSHALL/FLUSHDB delete anything (set by the cluster family at startup): incoming
// migrations fail their attempt, so the source resends everything rather than the target
// finishing with the keys the flush removed.
void SetBeforeFlushHook(std::function<void()> hook);
void RunBeforeFlushHook();

// The reply to keyed commands (and to CLUSTER SHARDS/SLOTS/NODES) before the first config.
inline constexpr std::string_view kClusterNotConfiguredErr = "Cluster is not yet configured";

// Routing of keyed commands in `yes` mode. A command whose keys hash to slot s runs here when
// `served` has s, and is answered `-MOVED s <redirect>` otherwise.
struct SlotRouting {
  bool configured = false;  // false until the first DFLYCLUSTER CONFIG
  std::bitset<kNumSlots> served;
  // Served slots whose commands wait (not refused) until a later snapshot lifts the pause: the
  // slots of an outgoing migration while it finalizes.
  std::bitset<kNumSlots> paused;
  std::vector<std::string> redirects;      // "ip:port"
  std::vector<uint16_t> redirect_of_slot;  // index into redirects, kNumSlots entries
};

namespace cluster_internal {
extern std::atomic<uint64_t> stalled_slots[kNumSlots / 64];
}  // namespace cluster_internal

inline bool SlotStalled(SlotId slot) {
  return cluster_internal::stalled_slots[slot / 64].load(std::memory_order_relaxed) &
         (uint64_t{1} << (slot % 64));
}

}  // namespace darner
