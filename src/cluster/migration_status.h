// What a slot migration reports about itself, the same for both directions: the state machine
// both IncomingMigration (target side) and OutgoingMigration (source side) move through, and the
// snapshot each returns from Status(). DFLYCLUSTER SLOT-MIGRATION-STATUS formats these, once, for
// either direction. Plain data: nothing here touches a migration or waits.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "cluster/cluster_config.h"

namespace darner {

enum class MigrationState : uint8_t { kConnecting, kSync, kError, kFinished, kFatal };
std::string_view MigrationStateName(MigrationState state);  // "CONNECTING", ...

// One migration as seen at one instant (taken under the migration's lock, so the fields agree).
struct MigrationStatus {
  std::string_view direction;  // "in" (this node is the target) or "out" (this node is the source)
  std::string peer_id;  // the other node: an incoming migration's source, an outgoing one's target
  SlotRanges ranges;    // the migrating slots
  MigrationState state = MigrationState::kConnecting;
  std::string error;            // the last error recorded, "" if none ever
  uint64_t keys_at_finish = 0;  // keys frozen when it finished (meaningful in kFinished only)
};

}  // namespace darner
