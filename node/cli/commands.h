// commands.h: how subcommands of `hearth` register. Each *_cmd.cc defines one Register*
// function, listed in RegisterAll (commands.cc) — the only shared edit point.
//
// Exit codes of every subcommand: 0 success (or "ok" for verifications), 1 a verification
// that failed (with the reason on stderr), 2 malformed input (with what and where).
#pragma once

#include <CLI/CLI.hpp>

namespace hearth::cli {

class CommandRegistry {
 public:
  void set_exit_code(int code) { exit_code_ = code; }
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_ = 0;
};

void RegisterLogCommands(CLI::App& app, CommandRegistry& registry);  // log_cmd.cc
void RegisterIdCommands(CLI::App& app, CommandRegistry& registry);   // id_cmd.cc
// keygen, genesis, pseudonym-key
void RegisterKeyCommands(CLI::App& app, CommandRegistry& registry);     // keys_cmd.cc
void RegisterSynthCommands(CLI::App& app, CommandRegistry& registry);   // synth_cmd.cc
// devnet up|down|status, submit
void RegisterDevnetCommands(CLI::App& app, CommandRegistry& registry);  // devnet_cmd.cc
void RegisterCheckCommands(CLI::App& app, CommandRegistry& registry);  // check_cmd.cc
void RegisterVerifyReceiptCommands(CLI::App& app, CommandRegistry& registry);  // verify_receipt_cmd.cc
void RegisterExportCommands(CLI::App& app, CommandRegistry& registry);  // export_cmd.cc
void RegisterAuditCommands(CLI::App& app, CommandRegistry& registry);   // audit_cmd.cc
// `audit access`, added under the `audit` command by audit_cmd.cc.
void RegisterAuditAccessCommand(CLI::App* audit, CommandRegistry& registry);  // audit_access_cmd.cc
void RegisterTokenCommands(CLI::App& app, CommandRegistry& registry);   // token_cmd.cc

inline void RegisterAll(CLI::App& app, CommandRegistry& registry) {
  RegisterLogCommands(app, registry);
  RegisterIdCommands(app, registry);
  RegisterKeyCommands(app, registry);
  RegisterSynthCommands(app, registry);
  RegisterDevnetCommands(app, registry);
  RegisterCheckCommands(app, registry);
  RegisterVerifyReceiptCommands(app, registry);
  RegisterExportCommands(app, registry);
  RegisterAuditCommands(app, registry);
  RegisterTokenCommands(app, registry);
}

}  // namespace hearth::cli
