// token_cmd.cc: `hearth token issue|list|revoke` — an admin manages a devnet node's API
// principals over HTTPS (POST/GET/DELETE /v1/tokens, node/household_api.h). The node keeps
// the change (hashes only) in its data directory; a token issued is printed once, here.
#include <iostream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "hearth/node/devnet.h"
#include "hearth/node/http_client.h"

namespace hearth::cli {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitMalformed = 2;

struct TokenCliOptions {
  std::string dir, node, principal = "admin", name, role, agency;
  uint32_t ttl_days = 30;
  bool json = false;
  uint64_t timeout_ms = 30'000;
};

int Call(const TokenCliOptions& o, const std::string& method, const std::string& target, const std::string& body,
         nlohmann::json* out) {
  Result<node::DevnetTarget> t = node::ResolveDevnetTarget(o.dir, o.node, o.principal);
  if (!t.ok()) {
    std::cerr << "hearth token: " << t.status().message() << "\n";
    return kExitMalformed;
  }
  node::HttpHeaders headers{{"Authorization", "Bearer " + t->token}};
  if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
  Result<node::HttpReply> reply = node::HttpCall(t->base_url, method, target, body, headers, t->ca_cert_pem, o.timeout_ms);
  if (!reply.ok()) {
    std::cerr << "hearth token: " << t->base_url << ": " << reply.status().message() << "\n";
    return kExitFailed;
  }
  if (reply->status / 100 != 2) {
    std::cerr << "hearth token: the node answered " << reply->status << ": " << reply->body << "\n";
    return reply->status == 400 ? kExitMalformed : kExitFailed;
  }
  *out = nlohmann::json::parse(reply->body, nullptr, false);
  if (out->is_discarded()) {
    std::cerr << "hearth token: the node's answer is not JSON\n";
    return kExitFailed;
  }
  return kExitOk;
}

void AddTarget(CLI::App* cmd, TokenCliOptions* o) {
  cmd->add_option("--dir", o->dir, "devnet folder")->required();
  cmd->add_option("--node", o->node, "the node (agency code) whose principals to change")->required();
  cmd->add_option("--principal", o->principal, "whose token authorises the change (an admin; default: admin)");
  cmd->add_option("--timeout-ms", o->timeout_ms, "how long to wait for the answer (30000)");
}

}  // namespace

void RegisterTokenCommands(CLI::App& app, CommandRegistry& registry) {
  CLI::App* token = app.add_subcommand("token", "issue, list and revoke API tokens on a node (admin)");
  token->require_subcommand(1);

  auto issue = std::make_shared<TokenCliOptions>();
  CLI::App* i = token->add_subcommand("issue", "issue a token; it is printed once and stored only as a hash");
  AddTarget(i, issue.get());
  i->add_option("--name", issue->name, "the new principal's name ([A-Za-z0-9._@-], 1..64)")->required();
  i->add_option("--role", issue->role, "agency, caseworker, auditor or admin")->required();
  i->add_option("--agency", issue->agency, "agency code (required for agency and caseworker)");
  i->add_option("--ttl-days", issue->ttl_days, "days until the token expires (1..3650, default 30)");
  i->add_flag("--json", issue->json, "print the node's JSON answer");
  i->callback([issue, &registry] {
    nlohmann::json body{{"principal", issue->name}, {"role", issue->role}, {"ttl_days", issue->ttl_days}};
    if (!issue->agency.empty()) body["agency"] = issue->agency;
    nlohmann::json out;
    int rc = Call(*issue, "POST", "/v1/tokens", body.dump(), &out);
    if (rc == kExitOk) {
      if (issue->json) {
        std::cout << out.dump() << "\n";
      } else {
        std::cout << out.value("token", "") << "\n";
        std::cerr << "issued to " << issue->name << " on " << issue->node << ", expires at "
                  << out.value("expires_ms", uint64_t{0}) << " ms; it is not shown again\n";
      }
    }
    registry.set_exit_code(rc);
  });

  auto list = std::make_shared<TokenCliOptions>();
  CLI::App* l = token->add_subcommand("list", "list the principals in force on a node");
  AddTarget(l, list.get());
  l->add_flag("--json", list->json, "print the node's JSON answer");
  l->callback([list, &registry] {
    nlohmann::json out;
    int rc = Call(*list, "GET", "/v1/tokens", "", &out);
    if (rc == kExitOk) {
      if (list->json) {
        std::cout << out.dump() << "\n";
      } else {
        for (const auto& p : out["principals"]) {
          std::cout << p.value("principal", "") << "\t" << p.value("role", "") << "\t" << p.value("agency", "-") << "\t"
                    << p.value("expires_ms", uint64_t{0}) << "\t" << p.value("source", "") << "\n";
        }
      }
    }
    registry.set_exit_code(rc);
  });

  auto revoke = std::make_shared<TokenCliOptions>();
  CLI::App* r = token->add_subcommand("revoke", "revoke a principal's token on a node (at once, kept across restarts)");
  AddTarget(r, revoke.get());
  r->add_option("--name", revoke->name, "the principal to revoke")->required();
  r->callback([revoke, &registry] {
    nlohmann::json out;
    int rc = Call(*revoke, "DELETE", "/v1/tokens/" + revoke->name, "", &out);
    if (rc == kExitOk) std::cout << "revoked " << revoke->name << " on " << revoke->node << "\n";
    registry.set_exit_code(rc);
  });
}

}  // namespace hearth::cli
