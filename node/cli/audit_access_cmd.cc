// audit_access_cmd.cc: `hearth audit access` — who looked at a household, fetched from a
// devnet node as the auditor (GET /v1/access-log) and checked here against genesis alone:
// the checkpoint's certificate (2f+1 genesis node keys), every record's inclusion proof
// against the certified log root, every record's bytes (its id, its fields as listed) and
// its signature by a genesis node key. Prints one line per look; exit 1 when any check fails.
#include <ctime>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "hearth/ledger/block.h"
#include "hearth/ledger/merkle.h"
#include "hearth/ledger/transaction.h"
#include "hearth/node/devnet.h"
#include "hearth/node/genesis.h"
#include "hearth/node/http_client.h"

namespace hearth::cli {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitMalformed = 2;

struct AccessCliOptions {
  std::string dir, node = "civil_affairs", principal = "auditor", household_case, household, from, to;
  bool json = false;
  uint64_t timeout_ms = 30'000;
};

std::string TimeCst(uint64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000 + 8 * 3600);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
  return std::string(buf) + " CST";
}

std::string Str(const nlohmann::json& j, const char* k) {
  return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string();
}

// Checks one record of the answer against the certified header; "" when it holds.
std::string CheckRecord(const nlohmann::json& r, const BlockHeader& header, const node::Genesis& g) {
  Result<Bytes> bytes = FromHex(Str(r, "tx_hex"));
  if (!bytes.ok()) return "tx_hex: not hex";
  Result<Transaction> tx = Transaction::Decode(*bytes);
  if (!tx.ok()) return "tx_hex: " + tx.status().message();
  if (tx->id().Hex() != Str(r, "id")) return "id: the listed id is not the record's";
  if (tx->kind() != TxKind::kAccessRecord) return "not an access record";
  const auto& a = PayloadAs<AccessRecord>(*tx);
  if (a.caseworker != Str(r, "caseworker") || std::string(AgencyCode(a.agency)) != Str(r, "agency") ||
      std::string(ProgrammeCode(a.programme)) != Str(r, "program") || a.consent_tx.Hex() != Str(r, "consent_tx") ||
      a.receipt_hash.Hex() != Str(r, "receipt_hash") || !r.contains("access_time_ms") ||
      r["access_time_ms"] != a.access_time_ms) {
    return "the listed fields differ from the signed record";
  }
  const PublicKey* key = nullptr;
  for (const auto& m : g.members) {
    if (m.node_key.Id() == tx->body().signer) key = &m.node_key;
  }
  if (key == nullptr) return "signer: not a genesis node key";
  Status sig = tx->VerifySignature(*key);
  if (!sig.ok()) return "signature: " + sig.message();
  std::vector<Hash32> proof;
  if (!r.contains("inclusion_proof") || !r["inclusion_proof"].is_array()) return "inclusion_proof: missing";
  for (const auto& p : r["inclusion_proof"]) {
    Result<Hash32> h = p.is_string() ? Hash32::FromHex(p.get<std::string>()) : Result<Hash32>(Status::InvalidArgument("x"));
    if (!h.ok()) return "inclusion_proof: not 64 hex digits";
    proof.push_back(*h);
  }
  if (!r.contains("log_index") || !r["log_index"].is_number_unsigned()) return "log_index: missing";
  Status inc = merkle::VerifyInclusion(g.suite, merkle::LeafHash(g.suite, tx->id().view()), r["log_index"].get<uint64_t>(),
                                       header.log_size, header.log_root, proof);
  if (!inc.ok()) return "inclusion proof: " + inc.message();
  return "";
}

int RunAccess(const AccessCliOptions& o) {
  if (o.household_case.empty() == o.household.empty()) {
    std::cerr << "hearth audit access: give --household-case or --household\n";
    return kExitMalformed;
  }
  Result<node::Genesis> g = node::LoadGenesisFile(o.dir + "/genesis.json");
  if (!g.ok()) {
    std::cerr << "hearth audit access: " << g.status().message() << "\n";
    return kExitMalformed;
  }
  Result<node::DevnetTarget> t = node::ResolveDevnetTarget(o.dir, o.node, o.principal);
  if (!t.ok()) {
    std::cerr << "hearth audit access: " << t.status().message() << "\n";
    return kExitMalformed;
  }
  std::string target = "/v1/access-log?limit=10000&" +
                       (o.household_case.empty() ? "household=" + o.household : "household_case=" + o.household_case);
  if (!o.from.empty()) target += "&from=" + o.from;
  if (!o.to.empty()) target += "&to=" + o.to;
  Result<node::HttpReply> reply = node::HttpCall(t->base_url, "GET", target, "", {{"Authorization", "Bearer " + t->token}},
                                                 t->ca_cert_pem, o.timeout_ms);
  if (!reply.ok()) {
    std::cerr << "hearth audit access: " << t->base_url << ": " << reply.status().message() << "\n";
    return kExitFailed;
  }
  if (reply->status != 200) {
    std::cerr << "hearth audit access: the node answered " << reply->status << ": " << reply->body << "\n";
    return reply->status == 400 ? kExitMalformed : kExitFailed;
  }
  const nlohmann::json j = nlohmann::json::parse(reply->body, nullptr, false);
  if (!j.is_object() || !j.contains("records") || !j["records"].is_array() || !j.contains("checkpoint")) {
    std::cerr << "hearth audit access: the node's answer is not an access log\n";
    return kExitFailed;
  }
  const nlohmann::json& cp = j["checkpoint"];
  if (j["records"].empty() && !cp.contains("header_hex")) {
    std::cout << "no access records (empty chain)\n";
    return kExitOk;
  }
  Result<Bytes> hb = FromHex(Str(cp, "header_hex"));
  Result<Bytes> cb = FromHex(Str(cp, "certificate_hex"));
  Result<BlockHeader> header = hb.ok() ? DecodeBlockHeader(*hb) : Result<BlockHeader>(hb.status());
  Result<CommitCertificate> cert = cb.ok() ? DecodeCertificate(*cb) : Result<CommitCertificate>(cb.status());
  if (!header.ok() || !cert.ok()) {
    std::cerr << "hearth audit access: checkpoint: " << (header.ok() ? cert.status() : header.status()).message() << "\n";
    return kExitFailed;
  }
  std::vector<PublicKey> node_keys;
  for (const auto& m : g->members) node_keys.push_back(m.node_key);
  Status commit = header->chain_id == g->chain_id ? VerifyCommit(*header, *cert, node_keys, g->f)
                                                  : Status::VerifyFailed("another chain's header");
  if (!commit.ok()) {
    std::cerr << "hearth audit access: checkpoint " << header->height << ": " << commit.message() << "\n";
    return kExitFailed;
  }
  int failures = 0;
  nlohmann::json out = nlohmann::json::array();
  for (size_t i = 0; i < j["records"].size(); ++i) {
    const nlohmann::json& r = j["records"][i];
    const std::string problem = CheckRecord(r, *header, *g);
    if (!problem.empty()) {
      ++failures;
      std::cerr << "record " << i << " (" << Str(r, "id") << "): " << problem << "\n";
    }
    if (o.json) {
      nlohmann::json x = r;
      x.erase("tx_hex");
      x.erase("inclusion_proof");
      x["verified"] = problem.empty();
      out.push_back(std::move(x));
    } else {
      std::cout << TimeCst(r.value("access_time_ms", uint64_t{0})) << "  " << Str(r, "caseworker") << " ("
                << Str(r, "agency") << ")  " << Str(r, "purpose") << " " << Str(r, "program") << "  consent "
                << Str(r, "consent_tx").substr(0, 12) << "  receipt " << Str(r, "receipt_hash").substr(0, 12)
                << "  height " << r.value("height", uint64_t{0}) << (problem.empty() ? "  verified" : "  FAILED")
                << "\n";
    }
  }
  if (o.json) {
    std::cout << nlohmann::json{{"household", j.value("household", "")},
                                {"checkpoint_height", header->height},
                                {"records", out},
                                {"failures", failures},
                                {"truncated", j.value("truncated", false)}}
                     .dump()
              << "\n";
  } else {
    std::cout << j["records"].size() << " access records, checkpoint " << header->height << " certified by genesis; "
              << (failures == 0 ? "all verified" : std::to_string(failures) + " FAILED") << "\n";
  }
  return failures == 0 ? kExitOk : kExitFailed;
}

}  // namespace

void RegisterAuditAccessCommand(CLI::App* audit, CommandRegistry& registry) {
  auto o = std::make_shared<AccessCliOptions>();
  CLI::App* cmd = audit->add_subcommand("access", "who looked at a household (devnet node, checked against genesis)");
  cmd->add_option("--dir", o->dir, "devnet folder")->required();
  cmd->add_option("--node", o->node, "the node to ask (agency code; default civil_affairs)");
  cmd->add_option("--principal", o->principal, "whose token to use (default: auditor)");
  cmd->add_option("--household-case", o->household_case, "civil affairs case number");
  cmd->add_option("--household", o->household, "household id (64 hex)");
  cmd->add_option("--from", o->from, "first month YYYYMM (China Standard Time)");
  cmd->add_option("--to", o->to, "last month YYYYMM");
  cmd->add_flag("--json", o->json, "one JSON object");
  cmd->add_option("--timeout-ms", o->timeout_ms, "how long to wait for the answer (30000)");
  cmd->callback([o, &registry] { registry.set_exit_code(RunAccess(*o)); });
}

}  // namespace hearth::cli
