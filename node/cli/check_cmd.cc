// check_cmd.cc: `hearth check` — run an eligibility check on a devnet node over HTTPS and
// save the signed receipt. The node's store is never opened here (a running node owns it).
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "hearth/base/status.h"
#include "hearth/node/devnet.h"
#include "hearth/node/files.h"
#include "hearth/node/http_client.h"

namespace hearth::cli {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitMalformed = 2;

struct CheckCliOptions {
  std::string dir, node, principal = "caseworker", household_case, program, consent, out;
  std::vector<std::string> members;
  uint32_t as_of = 0;
  uint64_t timeout_ms = 30'000;
};

int RunCheck(const CheckCliOptions& o) {
  Result<node::DevnetTarget> target = node::ResolveDevnetTarget(o.dir, o.node, o.principal);
  if (!target.ok()) {
    std::cerr << "hearth check: " << target.status().message() << "\n";
    return kExitMalformed;
  }
  nlohmann::json body = {{"household_case", o.household_case},
                         {"members", o.members},
                         {"program", o.program},
                         {"as_of", o.as_of},
                         {"consent", o.consent}};
  Result<node::HttpReply> reply =
      node::HttpCall(target->base_url, "POST", "/v1/checks", body.dump(),
                     {{"Authorization", "Bearer " + target->token}, {"Content-Type", "application/json"}},
                     target->ca_cert_pem, o.timeout_ms);
  if (!reply.ok()) {
    std::cerr << "hearth check: " << target->base_url << ": " << reply.status().message() << "\n";
    return kExitFailed;
  }
  if (reply->status != 200) {
    std::cerr << "hearth check: the node answered " << reply->status << ": " << reply->body << "\n";
    return reply->status == 400 ? kExitMalformed : kExitFailed;
  }
  nlohmann::json receipt = nlohmann::json::parse(reply->body, nullptr, false);
  if (receipt.is_discarded() || !receipt.is_object()) {
    std::cerr << "hearth check: the node's answer is not a JSON object\n";
    return kExitFailed;
  }
  if (!o.out.empty()) {
    Status st = node::ReplaceFile(o.out, reply->body, 0600);
    if (!st.ok()) {
      std::cerr << "hearth check: " << st.message() << "\n";
      return kExitFailed;
    }
  }
  auto get = [&](const char* key) { return receipt.contains(key) ? receipt[key].dump() : std::string("-"); };
  std::cout << "decision " << (receipt.contains("decision") && receipt["decision"].is_string()
                                   ? receipt["decision"].get<std::string>()
                                   : std::string("?"))
            << ", per-capita monthly income (fen) " << get("per_capita_monthly_fen") << ", threshold (fen) "
            << get("threshold_fen");
  auto it = reply->headers.find("hearth-access-record");
  if (it != reply->headers.end()) std::cout << ", access record " << it->second;
  if (!o.out.empty()) std::cout << "; receipt written to " << o.out;
  std::cout << "\n";
  return kExitOk;
}

}  // namespace

void RegisterCheckCommands(CLI::App& app, CommandRegistry& registry) {
  auto o = std::make_shared<CheckCliOptions>();
  CLI::App* cmd = app.add_subcommand("check", "run an eligibility check on a devnet node and save its receipt");
  cmd->add_option("--dir", o->dir, "devnet folder")->required();
  cmd->add_option("--node", o->node, "the node to ask (agency code)")->required();
  cmd->add_option("--principal", o->principal, "whose token to use (default: caseworker)");
  cmd->add_option("--household-case", o->household_case, "civil affairs case number")->required();
  cmd->add_option("--member", o->members, "a member's ID number (repeat for each member)")->required();
  cmd->add_option("--program", o->program, "dibao, low_income, tekun, disability_living, disability_nursing, heating")
      ->required();
  cmd->add_option("--as-of", o->as_of, "the month checked, YYYYMM")->required();
  cmd->add_option("--consent", o->consent, "id of the household's Consent record")->required();
  cmd->add_option("--out", o->out, "where to write the receipt (JSON)");
  cmd->add_option("--timeout-ms", o->timeout_ms, "how long to wait for the answer (30000)");
  cmd->callback([o, &registry] { registry.set_exit_code(RunCheck(*o)); });
}

}  // namespace hearth::cli
