// synth_cmd.cc: placeholder until the commands land.
#include "commands.h"

namespace hearth::cli {
void RegisterSynthCommands(CLI::App& /*app*/, CommandRegistry& /*registry*/) {}
}  // namespace hearth::cli
