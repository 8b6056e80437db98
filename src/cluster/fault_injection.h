// Fault points of slot migration, and `DEBUG MIGRATION`, which switches them: tests use them to
// reach every branch of both sides' handling (an INIT that fails, an ACK that never comes, a
// flow that closes, a target that reads slowly). Off unless a test turns them on; each check is
// one relaxed atomic load. The cluster family registers the DEBUG subcommand at startup.
#pragma once

#include <cstdint>

#include "facade/service_interface.h"

namespace darner {

class ReplyBuilder;

// DEBUG MIGRATION PAUSE|RESUME: incoming migration flows stop reading while paused (to provoke
// back-pressure on the source).
void SetMigrationFlowsPaused(bool paused);
bool MigrationFlowsPaused();

// Counts are "the next n times".
enum class MigrationFault : uint8_t {
  kInitError,     // INIT replies an error
  kAckDrop,       // ACK closes the control connection without replying
  kAckDelayMs,    // every ACK waits this long before it joins (value, not a count)
  kFlowClose,     // a flow connection is closed after its next batch of records
  kApplyDelayUs,  // every batch of flow records waits this long before it applies (value)
  kInitDelayMs,   // every INIT waits this long between stopping old flows and initializing
  kCount,
};
// Sets a fault's count or value; 0 turns it off.
void SetMigrationFault(MigrationFault fault, int64_t value);
// For counts: true (and one less) if the fault should fire now. For values: the value.
bool TakeMigrationFault(MigrationFault fault);
int64_t MigrationFaultValue(MigrationFault fault);

// DEBUG MIGRATION PAUSE|RESUME|FAULT <name> <n> (`args` from MIGRATION on).
void DebugMigration(CmdArgList args, ReplyBuilder* rb);
// Registers DEBUG MIGRATION with the server's DEBUG command.
void RegisterDebugMigration();

}  // namespace darner
