// devnet_cmd.cc: placeholder until the commands land.
#include "commands.h"

namespace hearth::cli {
void RegisterDevnetCommands(CLI::App& /*app*/, CommandRegistry& /*registry*/) {}
}  // namespace hearth::cli
