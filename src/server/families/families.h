// Registration entry points of the command families.
#pragma once

namespace darner {

class CommandRegistry;

void RegisterConnectionFamily(CommandRegistry* registry);
void RegisterServerFamily(CommandRegistry* registry);
void RegisterGenericFamily(CommandRegistry* registry);
void RegisterStringFamily(CommandRegistry* registry);
void RegisterBitopsFamily(CommandRegistry* registry);

}  // namespace darner
