#include "server/cluster_support.h"

#include <absl/flags/flag.h>

#include <atomic>

ABSL_FLAG(std::string, cluster_mode, "",
          "Cluster mode: empty (off), 'emulated' (one node owning every slot) or 'yes' (a cluster "
          "driven by DFLYCLUSTER CONFIG)");

ABSL_FLAG(std::string, cluster_announce_ip, "",
          "Emulated cluster mode: the IP CLUSTER SLOTS/SHARDS/NODES show for this node (empty: "
          "the address the asking client connected to)");
ABSL_FLAG(uint32_t, announce_port, 0,
          "Emulated cluster mode: the port CLUSTER SLOTS/SHARDS/NODES show for this node (0: "
          "--port)");

namespace darner {
namespace {

std::atomic<ClusterMode> cluster_mode{ClusterMode::kOff};

}  // namespace

bool InitClusterMode(std::string* error) {
  std::string text = absl::GetFlag(FLAGS_cluster_mode);
  ClusterMode mode;
  if (text.empty()) {
    mode = ClusterMode::kOff;
  } else if (text == "emulated") {
    mode = ClusterMode::kEmulated;
  } else if (text == "yes") {
    mode = ClusterMode::kYes;
  } else {
    *error = "Invalid value for flag --cluster_mode. Exiting...";
    return false;
  }
  cluster_mode.store(mode, std::memory_order_relaxed);
  return true;
}

ClusterMode GetClusterMode() { return cluster_mode.load(std::memory_order_relaxed); }

namespace cluster_internal {
std::atomic<uint64_t> stalled_slots[kNumSlots / 64];
}  // namespace cluster_internal

namespace {
std::atomic<uint64_t> stalled_writes{0};
}  // namespace

void SetSlotStalled(SlotId slot, bool stalled) {
  uint64_t bit = uint64_t{1} << (slot % 64);
  auto& word = cluster_internal::stalled_slots[slot / 64];
  if (stalled) {
    word.fetch_or(bit, std::memory_order_relaxed);
  } else {
    word.fetch_and(~bit, std::memory_order_relaxed);
  }
}

namespace {
std::function<void()> before_flush_hook;  // set once at startup
}  // namespace

void SetBeforeFlushHook(std::function<void()> hook) { before_flush_hook = std::move(hook); }

void RunBeforeFlushHook() {
  if (before_flush_hook) before_flush_hook();
}

void CountStalledWrite() { stalled_writes.fetch_add(1, std::memory_order_relaxed); }
uint64_t StalledWrites() { return stalled_writes.load(std::memory_order_relaxed); }

}  // namespace darner
