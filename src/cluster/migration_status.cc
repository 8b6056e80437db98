#include "cluster/migration_status.h"

namespace darner {

std::string_view MigrationStateName(MigrationState state) {
  switch (state) {
    case MigrationState::kConnecting:
      return "CONNECTING";
    case MigrationState::kSync:
      return "SYNC";
    case MigrationState::kError:
      return "ERROR";
    case MigrationState::kFinished:
      return "FINISHED";
    case MigrationState::kFatal:
      return "FATAL";
  }
  return "?";
}

}  // namespace darner
