// Registration entry points of the command families.
#pragma once

#include <string>

namespace darner {

class CommandRegistry;

void RegisterConnectionFamily(CommandRegistry* registry);
void RegisterServerFamily(CommandRegistry* registry);
void RegisterGenericFamily(CommandRegistry* registry);
void RegisterStringFamily(CommandRegistry* registry);
void RegisterBitopsFamily(CommandRegistry* registry);
void RegisterDumpFamily(CommandRegistry* registry);  // by RegisterGenericFamily

// Applies --client_output_buffer_limit; false with *error when it does not parse.
bool ApplyOutputBufferLimitFlag(std::string* error);

}  // namespace darner
