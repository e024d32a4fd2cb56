#include "commands.h"

namespace hearth::cli {

void RegisterIdCommands(CLI::App& app, CommandRegistry& registry) {
  (void)app;
  (void)registry;
}

}  // namespace hearth::cli
