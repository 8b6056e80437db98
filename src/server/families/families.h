// Registration entry points of the command families.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "facade/service_interface.h"

namespace darner {

class CommandRegistry;

void RegisterConnectionFamily(CommandRegistry* registry);
void RegisterServerFamily(CommandRegistry* registry);
void RegisterGenericFamily(CommandRegistry* registry);
void RegisterStringFamily(CommandRegistry* registry);
void RegisterStringRangeFamily(CommandRegistry* registry);  // by RegisterStringFamily
void RegisterBitopsFamily(CommandRegistry* registry);
void RegisterDumpFamily(CommandRegistry* registry);  // by RegisterGenericFamily

class ReplyBuilder;

// A DEBUG subcommand that a higher layer provides (the cluster's DEBUG MIGRATION): its name,
// its DEBUG HELP lines, and its handler, which gets the arguments from the subcommand's name on.
struct DebugSubcommand {
  std::string_view name;
  std::vector<std::string_view> help;
  void (*handler)(CmdArgList args, ReplyBuilder* rb);
};
// Before Service::Init (DEBUG reads the list without a lock).
void RegisterDebugSubcommand(DebugSubcommand sub);

// Applies --client_output_buffer_limit; false with *error when it does not parse.
bool ApplyOutputBufferLimitFlag(std::string* error);

}  // namespace darner
