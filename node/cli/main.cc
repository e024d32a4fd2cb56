// hearth: the command-line tool of operators and auditors.
// Subcommands live in node/cli/*_cmd.cc, each registering itself through commands.h.
#include <CLI/CLI.hpp>

#include "commands.h"

int main(int argc, char** argv) {
  CLI::App app{"hearth: tools for the Hearth ledger (keys, logs, ids, verification)"};
  app.require_subcommand(1);
  hearth::cli::CommandRegistry registry;
  hearth::cli::RegisterAll(app, registry);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    // Malformed command lines exit 2 (CLI11 uses 0 for --help).
    return rc == 0 ? 0 : 2;
  }
  return registry.exit_code();
}
