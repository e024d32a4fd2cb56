// `hearth audit verify`: re-verifies a whole chain export offline, trusting only genesis
// (DESIGN.md "Verify"; the checks are listed in node/audit.h).
//
//   hearth audit verify FILE --genesis genesis.json [--threads N] [--json]
//       Prints a summary (blocks, transactions by kind, signatures, final log and index
//       roots, time, rate) and exits 0; on the first problem prints it with its height
//       (and transaction position and id) and exits 1.
// Exit codes (commands.h): 0 the chain verifies; 1 it does not (any problem in the file's
// bytes included); 2 unusable input (missing file, bad genesis, bad arguments).
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "hearth/ledger/transaction.h"
#include "hearth/node/audit.h"
#include "hearth/node/genesis.h"

namespace hearth::cli {

namespace {

struct AuditCliOptions {
  std::string file, genesis;
  unsigned threads = 0;
  bool json = false;
};

void PrintSummary(const node::AuditSummary& s, bool as_json) {
  const double rate = s.seconds > 0 ? static_cast<double>(s.transactions) / s.seconds : 0;
  nlohmann::ordered_json kinds = nlohmann::ordered_json::object();
  std::string kinds_text;
  for (size_t k = 0; k < s.by_kind.size(); ++k) {
    auto kind = TxKindFromWire(static_cast<uint8_t>(static_cast<uint8_t>(TxKind::kAttestation) + k));
    if (!kind.ok() || s.by_kind[k] == 0) continue;
    const std::string name(TxKindName(*kind));
    kinds[name] = s.by_kind[k];
    kinds_text += (kinds_text.empty() ? "" : ", ") + name + " " + std::to_string(s.by_kind[k]);
  }
  if (as_json) {
    nlohmann::ordered_json j = {{"ok", true},
                                {"blocks", s.blocks},
                                {"transactions", s.transactions},
                                {"by_kind", kinds},
                                {"signatures", s.signatures},
                                {"revoked_signer", s.revoked_signer},
                                {"log_size", s.log_size},
                                {"log_root", s.log_root.Hex()},
                                {"index_root", s.index_root.Hex()},
                                {"head_hash", s.head_hash.Hex()},
                                {"threads", s.threads},
                                {"seconds", s.seconds},
                                {"tx_per_second", rate}};
    std::cout << j.dump() << "\n";
    return;
  }
  char timing[128];
  std::snprintf(timing, sizeof timing, "%.3f s, %.0f tx/s on %u threads", s.seconds, rate, s.threads);
  std::cout << "ok: " << s.blocks << " blocks, " << s.transactions << " transactions"
            << (kinds_text.empty() ? "" : " (" + kinds_text + ")") << "\n"
            << "signatures verified: " << s.signatures << " (transactions and precommits)\n";
  if (s.revoked_signer > 0) {
    std::cout << "records signed by a key revoked earlier in the log (ignored by checks): "
              << s.revoked_signer << "\n";
  }
  std::cout << "log size " << s.log_size << ", log root " << s.log_root.Hex() << "\n"
            << "index root " << s.index_root.Hex() << "\n"
            << "head block " << s.head_hash.Hex() << "\n"
            << "time " << timing << "\n";
}

int RunVerify(const AuditCliOptions& o) {
  Result<node::Genesis> g = node::LoadGenesisFile(o.genesis);
  if (!g.ok()) {
    std::cerr << "error: --genesis: " << g.status().message() << "\n";
    return 2;
  }
  Result<node::AuditSummary> r = node::AuditChainFile(*g, o.file, o.threads);
  if (!r.ok()) {
    if (r.status().code() == Code::kVerifyFailed) {
      std::cerr << "audit failed: " << r.status().message() << "\n";
      return 1;
    }
    std::cerr << "error: " << r.status().message() << "\n";
    return 2;
  }
  PrintSummary(*r, o.json);
  return 0;
}

}  // namespace

void RegisterAuditCommands(CLI::App& app, CommandRegistry& registry) {
  CLI::App* audit = app.add_subcommand("audit", "offline verification of a whole chain");
  audit->require_subcommand(1);
  auto o = std::make_shared<AuditCliOptions>();
  CLI::App* verify = audit->add_subcommand("verify", "re-verify a chain export trusting only genesis");
  verify->add_option("file", o->file, "chain export file (hearth export)")->required();
  verify->add_option("--genesis", o->genesis, "the chain's genesis.json")->required();
  verify->add_option("--threads", o->threads, "signature threads, caller included (0 = all cores)");
  verify->add_flag("--json", o->json, "print the summary as one JSON line");
  verify->callback([o, &registry] { registry.set_exit_code(RunVerify(*o)); });
  RegisterAuditAccessCommand(audit, registry);
}

}  // namespace hearth::cli
