// `hearth id ...`: pseudonyms of people and households (DESIGN.md "Identity and privacy").
//
//   hearth id pseudonym --key-file F --id ID [--suite S] [--today YYYYMMDD]  -> subject id hex
//   hearth id household --key-file F --case C [--suite S]                   -> household id hex
// `--id -` reads the ID from the first line of stdin, so it stays out of the process list
// and shell history. The key file holds 64 hex digits (optional trailing newline) and must
// not be group- or world-accessible.
// Exit codes (commands.h): 0 ok; 2 malformed ID, case number, key file or suite. Error
// messages never repeat the ID, the case number or the key.
#include <iostream>
#include <memory>
#include <string>

#include "commands.h"
#include "hearth/base/status.h"
#include "hearth/ledger/crypto.h"
#include "hearth/ledger/national_id.h"

namespace hearth::cli {

namespace {

constexpr int kExitOk = 0;
constexpr int kExitMalformed = 2;
// Longest stdin line read for `--id -` (an ID is 18 characters; spaces are trimmed).
constexpr size_t kStdinIdBytesMax = 256;

struct IdOptions {
  std::string key_file;
  std::string id;
  std::string case_number;
  std::string suite = "ed25519-sha256";
  std::string today;
};

Result<uint32_t> ParseToday(std::string_view text) {
  if (text.empty()) return uint32_t{0};
  if (text.size() != 8) return Status::InvalidArgument("--today: expected YYYYMMDD");
  uint32_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return Status::InvalidArgument("--today: expected YYYYMMDD");
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  return v;
}

Result<std::string> ReadIdArgument(const std::string& arg) {
  if (arg != "-") return arg;
  std::string line;
  std::getline(std::cin, line);
  if (line.size() > kStdinIdBytesMax) {
    return Status::InvalidArgument("national id on stdin: line longer than " +
                                   std::to_string(kStdinIdBytesMax) + " bytes");
  }
  return line;
}

Status RunPseudonym(const IdOptions& o) {
  HEARTH_ASSIGN_OR_RETURN(Suite suite, ParseSuite(o.suite));
  HEARTH_ASSIGN_OR_RETURN(uint32_t today, ParseToday(o.today));
  HEARTH_ASSIGN_OR_RETURN(PseudonymKey key, PseudonymKey::LoadFile(o.key_file));
  HEARTH_ASSIGN_OR_RETURN(std::string id, ReadIdArgument(o.id));
  HEARTH_ASSIGN_OR_RETURN(Hash32 subject, SubjectId(suite, key, id, today));
  std::cout << subject.Hex() << "\n";
  return Status::Ok();
}

Status RunHousehold(const IdOptions& o) {
  HEARTH_ASSIGN_OR_RETURN(Suite suite, ParseSuite(o.suite));
  HEARTH_ASSIGN_OR_RETURN(PseudonymKey key, PseudonymKey::LoadFile(o.key_file));
  HEARTH_ASSIGN_OR_RETURN(Hash32 household, HouseholdId(suite, key, o.case_number));
  std::cout << household.Hex() << "\n";
  return Status::Ok();
}

CLI::App* AddCommand(CLI::App* parent, const std::string& name, const std::string& help,
                     const std::shared_ptr<IdOptions>& o, Status (*run)(const IdOptions&),
                     CommandRegistry& registry) {
  CLI::App* cmd = parent->add_subcommand(name, help);
  cmd->add_option("--key-file", o->key_file, "pseudonym key file (64 hex digits, mode 0600)")
      ->required();
  cmd->add_option("--suite", o->suite, "ed25519-sha256 (HMAC-SHA256, default) or sm2-sm3");
  cmd->callback([o, run, &registry] {
    Status s = run(*o);
    if (!s.ok()) std::cerr << "error: " << s.message() << "\n";
    registry.set_exit_code(s.ok() ? kExitOk : kExitMalformed);
  });
  return cmd;
}

}  // namespace

void RegisterIdCommands(CLI::App& app, CommandRegistry& registry) {
  auto o = std::make_shared<IdOptions>();
  CLI::App* id = app.add_subcommand("id", "pseudonymous subject and household ids");
  id->require_subcommand(1);

  CLI::App* ps = AddCommand(id, "pseudonym",
                            "print the subject id of an 18-character resident ID", o,
                            RunPseudonym, registry);
  ps->add_option("--id", o->id, "the resident ID, or '-' to read it from stdin")->required();
  ps->add_option("--today", o->today, "YYYYMMDD; reject a date of birth after it");

  CLI::App* hh = AddCommand(id, "household", "print the household id of a case number", o,
                            RunHousehold, registry);
  hh->add_option("--case", o->case_number, "civil affairs case number ([A-Za-z0-9-], <= 64)")
      ->required();
}

}  // namespace hearth::cli
