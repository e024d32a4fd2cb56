// `hearth synth`: a synthetic district of signed records for a devnet (docs/SYNTH.md).
//
//   hearth synth --dir D --households N --months M --seed S --out DIR
//                [--last-month YYYYMM] [--base-time-ms T]
//
// Reads D/genesis.json (chain id, suite, members), each founding member's keys from
// D/<agency>/issuer.pem and D/<agency>/node.pem (checked against genesis), and the
// pseudonym key D/pseudonym.key (64 hex digits, mode 0600). Writes DIR/<agency>.ndjson (one
// record per line, in submission order) and DIR/households.json (the caseworkers' input,
// mode 0600: it holds synthetic ID numbers), then prints a summary. The same inputs and seed
// give the same files (ed25519-sha256; sm2-sm3 signatures are randomised). The base time
// defaults to midnight (UTC+8) of the window's first month, so the output does not depend
// on the clock.
// Exit codes (commands.h): 0 ok; 2 bad arguments or input files, or a write that failed.
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "hearth/base/status.h"
#include "hearth/ledger/categories.h"
#include "hearth/ledger/national_id.h"
#include "hearth/node/genesis.h"
#include "hearth/node/synth.h"

namespace hearth::cli {

namespace {

constexpr int kExitOk = 0;
constexpr int kExitMalformed = 2;

struct SynthCmdOptions {
  std::string dir;
  std::string out;
  size_t households = 0;
  uint32_t months = 0;
  uint64_t seed = 0;
  uint32_t last_month = 202510;
  uint64_t base_time_ms = 0;  // 0: the default for the window
};

// The keys on disk must be the ones genesis lists, or every record would be rejected.
Status CheckAgainstGenesis(const node::Genesis& g, const std::vector<node::SynthAgencyKeys>& keys) {
  for (const node::SynthAgencyKeys& k : keys) {
    const std::string agency(AgencyCode(k.agency));
    for (const node::GenesisMember& m : g.members) {
      if (m.agency != k.agency) continue;
      if (!(m.node_key == k.node_key.public_key())) {
        return Status::InvalidArgument(agency + "/node.pem: not the node key genesis lists for " +
                                       agency);
      }
      bool listed = false;
      for (const PublicKey& p : m.issuer_keys) listed |= p == k.issuer.public_key();
      if (!listed) {
        return Status::InvalidArgument(agency +
                                       "/issuer.pem: not an issuer key genesis lists "
                                       "for " +
                                       agency);
      }
    }
  }
  return Status::Ok();
}

void PrintSummary(const node::SynthOutput& out) {
  std::map<std::string, size_t> bands;
  for (const node::SynthHousehold& h : out.households) {
    ++bands[h.expected_note.substr(0, h.expected_note.find(' '))];
  }
  std::cout << "window " << out.first_month << ".." << out.last_month << ", "
            << out.households.size() << " households";
  for (const auto& [band, n] : bands) std::cout << ", " << n << " " << band;
  std::cout << "\n";
  for (const auto& [agency, txs] : out.records) {
    std::cout << AgencyCode(agency) << ": " << txs.size() << " records\n";
  }
}

Status Run(const SynthCmdOptions& o) {
  HEARTH_ASSIGN_OR_RETURN(node::Genesis g, node::LoadGenesisFile(o.dir + "/genesis.json"));
  std::vector<Agency> agencies;
  for (const node::GenesisMember& m : g.members) {
    if (m.agency == Agency::kCivilAffairs || m.agency == Agency::kTax ||
        m.agency == Agency::kSocialSecurity || m.agency == Agency::kDisabilityFederation) {
      agencies.push_back(m.agency);
    }
  }
  HEARTH_ASSIGN_OR_RETURN(std::vector<node::SynthAgencyKeys> keys,
                          node::LoadSynthKeys(o.dir, g.suite, agencies));
  HEARTH_RETURN_IF_ERROR(CheckAgainstGenesis(g, keys));
  HEARTH_ASSIGN_OR_RETURN(PseudonymKey pseudonym, PseudonymKey::LoadFile(o.dir + "/pseudonym.key"));

  node::SynthOptions opts;
  opts.chain_id = g.chain_id;
  opts.suite = g.suite;
  opts.pseudonym_key.assign(pseudonym.bytes().begin(), pseudonym.bytes().end());
  opts.households = o.households;
  opts.months = o.months;
  opts.last_month = o.last_month;
  opts.seed = o.seed;
  HEARTH_ASSIGN_OR_RETURN(uint32_t first_month, node::SynthFirstMonth(o.last_month, o.months));
  opts.base_time_ms =
      o.base_time_ms != 0 ? o.base_time_ms : node::SynthDefaultBaseTimeMs(first_month);
  HEARTH_ASSIGN_OR_RETURN(node::SynthOutput out, node::Synthesize(opts, keys));
  HEARTH_RETURN_IF_ERROR(node::WriteSynthOutput(out, o.out));
  PrintSummary(out);
  return Status::Ok();
}

}  // namespace

void RegisterSynthCommands(CLI::App& app, CommandRegistry& registry) {
  auto o = std::make_shared<SynthCmdOptions>();
  CLI::App* cmd = app.add_subcommand(
      "synth", "generate a synthetic district of signed records for a devnet (docs/SYNTH.md)");
  cmd->add_option("--dir", o->dir,
                  "devnet directory: genesis.json, <agency>/issuer.pem, "
                  "<agency>/node.pem, pseudonym.key")
      ->required();
  cmd->add_option("--households", o->households, "number of households")
      ->required()
      ->check(CLI::Range(size_t{1}, node::kSynthHouseholdsMax));
  cmd->add_option("--months", o->months, "months in the window, ending at --last-month")
      ->required()
      ->check(CLI::Range(uint32_t{1}, node::kSynthMonthsMax));
  cmd->add_option("--seed", o->seed, "seed: the same seed gives the same district")->required();
  cmd->add_option("--out", o->out, "output directory (created when missing)")->required();
  cmd->add_option("--last-month", o->last_month, "last month of the window, YYYYMM (202510)");
  cmd->add_option("--base-time-ms", o->base_time_ms,
                  "issued-at time of the first record, unix ms (default: the window's start)");
  cmd->callback([o, &registry] {
    Status s = Run(*o);
    if (!s.ok()) std::cerr << "error: " << s.message() << "\n";
    registry.set_exit_code(s.ok() ? kExitOk : kExitMalformed);
  });
}

}  // namespace hearth::cli
