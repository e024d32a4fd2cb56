// `hearth verify-receipt receipt.json --genesis genesis.json`: the auditor's offline check
// of an eligibility receipt (DESIGN.md "Verify"; docs/RECEIPT.md "Verification"), trusting
// nothing but the genesis file.
//
// Prints "OK: <decision> at checkpoint height <h>" and a summary line on success (exit 0);
// "verification failed: <field path>: <reason>" on stderr when the receipt does not verify
// (exit 1); "error: ..." when a file cannot be read or the genesis file is malformed (exit 2).
#include <iostream>
#include <memory>
#include <string>

#include "commands.h"
#include "hearth/base/status.h"
#include "hearth/node/files.h"
#include "hearth/node/genesis.h"
#include "hearth/node/trust.h"
#include "hearth/verify/receipt.h"

namespace hearth::cli {

namespace {

constexpr int kExitOk = 0;
constexpr int kExitVerifyFailed = 1;
constexpr int kExitMalformed = 2;

struct VerifyReceiptOptions {
  std::string receipt;
  std::string genesis;
};

std::string OptionalFen(const std::optional<int64_t>& v) {
  return v.has_value() ? std::to_string(*v) + " fen" : std::string("none");
}

int Run(const VerifyReceiptOptions& o) {
  Result<node::Genesis> genesis = node::LoadGenesisFile(o.genesis);
  if (!genesis.ok()) {
    std::cerr << "error: " << genesis.status().message() << "\n";
    return kExitMalformed;
  }
  Result<std::string> text = node::ReadSmallFile(o.receipt, verify::kReceiptBytesMax);
  if (!text.ok()) {
    std::cerr << "error: " << text.status().message() << "\n";
    return kExitMalformed;
  }
  const verify::Trust trust = node::TrustFromGenesis(*genesis);
  Result<verify::VerifiedReceipt> v = verify::VerifyReceiptDetailed(*text, trust);
  if (!v.ok()) {
    std::cerr << "verification failed: " << v.status().message() << "\n";
    return kExitVerifyFailed;
  }
  const verify::CheckResult& r = v->result;
  std::cout << "OK: " << verify::DecisionCode(r.decision) << " at checkpoint height "
            << v->checkpoint.height << "\n";
  std::cout << "household " << v->request.household.Hex() << ", programme "
            << ProgrammeCode(v->request.programme) << ", as of " << v->request.as_of
            << ", per-capita " << OptionalFen(r.per_capita_monthly_fen) << ", threshold "
            << OptionalFen(r.threshold_fen) << ", signed by member " << v->signer << " ("
            << genesis->members[v->signer].name << ")\n";
  return kExitOk;
}

}  // namespace

void RegisterVerifyReceiptCommands(CLI::App& app, CommandRegistry& registry) {
  auto o = std::make_shared<VerifyReceiptOptions>();
  CLI::App* cmd = app.add_subcommand(
      "verify-receipt", "verify an eligibility-check receipt offline against a genesis file");
  cmd->add_option("receipt", o->receipt, "the receipt (JSON)")->required();
  cmd->add_option("--genesis", o->genesis, "the chain's genesis.json")->required();
  cmd->callback([o, &registry] { registry.set_exit_code(Run(*o)); });
}

}  // namespace hearth::cli
