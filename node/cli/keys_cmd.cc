// keys_cmd.cc: placeholder until the commands land.
#include "commands.h"

namespace hearth::cli {
void RegisterKeyCommands(CLI::App& /*app*/, CommandRegistry& /*registry*/) {}
}  // namespace hearth::cli
