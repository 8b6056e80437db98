#include "cluster/fault_injection.h"

#include <atomic>
#include <string_view>
#include <utility>

#include "base/numbers.h"
#include "base/strings.h"
#include "facade/errors.h"
#include "facade/reply_builder.h"
#include "server/families/families.h"

namespace darner {
namespace {

std::atomic<bool> migration_flows_paused{false};
std::atomic<int64_t> migration_faults[static_cast<size_t>(MigrationFault::kCount)];

constexpr std::pair<std::string_view, MigrationFault> kFaults[] = {
    {"INIT-ERROR", MigrationFault::kInitError},     {"ACK-DROP", MigrationFault::kAckDrop},
    {"ACK-DELAY", MigrationFault::kAckDelayMs},     {"FLOW-CLOSE", MigrationFault::kFlowClose},
    {"APPLY-DELAY", MigrationFault::kApplyDelayUs}, {"INIT-DELAY", MigrationFault::kInitDelayMs}};

}  // namespace

void SetMigrationFlowsPaused(bool paused) {
  migration_flows_paused.store(paused, std::memory_order_relaxed);
}

bool MigrationFlowsPaused() { return migration_flows_paused.load(std::memory_order_relaxed); }

void SetMigrationFault(MigrationFault fault, int64_t value) {
  migration_faults[static_cast<size_t>(fault)].store(value, std::memory_order_relaxed);
}

bool TakeMigrationFault(MigrationFault fault) {
  auto& counter = migration_faults[static_cast<size_t>(fault)];
  int64_t n = counter.load(std::memory_order_relaxed);
  while (n > 0) {
    if (counter.compare_exchange_weak(n, n - 1, std::memory_order_relaxed)) return true;
  }
  return false;
}

int64_t MigrationFaultValue(MigrationFault fault) {
  return migration_faults[static_cast<size_t>(fault)].load(std::memory_order_relaxed);
}

void DebugMigration(CmdArgList args, ReplyBuilder* rb) {
  if (args.size() == 2 &&
      (EqualsIgnoreCase(args[1], "PAUSE") || EqualsIgnoreCase(args[1], "RESUME"))) {
    SetMigrationFlowsPaused(EqualsIgnoreCase(args[1], "PAUSE"));
    return rb->SendOk();
  }
  if (args.size() != 4 || !EqualsIgnoreCase(args[1], "FAULT")) {
    return rb->SendError(StrCat("unknown subcommand or wrong number of arguments for '", args[0],
                                "'. Try DEBUG HELP."));
  }
  int64_t value;
  if (!ParseInt64(args[3], &value) || value < 0) return rb->SendError(kInvalidIntErr);
  for (const auto& [name, fault] : kFaults) {
    if (EqualsIgnoreCase(args[2], name)) {
      SetMigrationFault(fault, value);
      return rb->SendOk();
    }
  }
  rb->SendError(kSyntaxErr);
}

void RegisterDebugMigration() {
  RegisterDebugSubcommand(
      {.name = "MIGRATION",
       .help = {"MIGRATION PAUSE|RESUME",
                "    Stop or resume reading incoming slot-migration flows.",
                "MIGRATION FAULT INIT-ERROR|ACK-DROP|FLOW-CLOSE <count>",
                "    Make the next <count> INITs fail, ACKs go unanswered, or flows close.",
                "MIGRATION FAULT ACK-DELAY <ms>|APPLY-DELAY <us>|INIT-DELAY <ms>",
                "    Delay every ACK, every batch a flow applies, or every INIT (0 turns a fault",
                "    off)."},
       .handler = DebugMigration});
}

}  // namespace darner
