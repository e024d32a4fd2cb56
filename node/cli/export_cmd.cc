// `hearth export`: fetches a chain from a devnet node's HTTPS API into one export file
// (docs/FORMAT.md "Chain export file"; the library is node/audit.h).
//
//   hearth export --dir D --node AGENCY --out FILE [--from H] [--to H] [--principal P]
//                 [--timeout-ms T]
//       D is a devnet folder (node/devnet.h): the node's API address comes from
//       D/nodes.json, the certificate to trust from D/AGENCY/api-cert.pem, the token from
//       D/tokens.json (principal P, default "auditor"), the genesis hash written into the
//       file from D/genesis.json. --to defaults to the node's head. The file is written
//       beside FILE and renamed over it when complete.
// Exit codes (commands.h): 0 ok; 1 the node failed, refused or answered something
// unexpected; 2 bad arguments or unusable devnet folder.
#include <iostream>
#include <memory>
#include <string>

#include "commands.h"
#include "hearth/node/audit.h"
#include "hearth/node/devnet.h"
#include "hearth/node/genesis.h"

namespace hearth::cli {

namespace {

struct ExportCliOptions {
  std::string dir, node, out, principal = "auditor";
  uint64_t from = 1, to = 0;
  uint64_t timeout_ms = 60'000;
};

// The node's URL and certificate and the principal's token (node/devnet.h), and the
// genesis hash to write into the file.
Status Resolve(const ExportCliOptions& o, node::ExportFetchOptions* fo) {
  HEARTH_ASSIGN_OR_RETURN(node::Genesis g, node::LoadGenesisFile(o.dir + "/genesis.json"));
  fo->genesis_hash = node::GenesisHash(g);
  HEARTH_ASSIGN_OR_RETURN(node::DevnetTarget t, node::ResolveDevnetTarget(o.dir, o.node, o.principal));
  fo->base_url = std::move(t.base_url);
  fo->ca_cert_pem = std::move(t.ca_cert_pem);
  fo->token = std::move(t.token);
  return Status::Ok();
}

int RunExport(const ExportCliOptions& o) {
  node::ExportFetchOptions fo;
  fo.from = o.from;
  fo.to = o.to;
  fo.out = o.out;
  fo.request_timeout_ms = o.timeout_ms;
  Status st = Resolve(o, &fo);
  if (!st.ok()) {
    std::cerr << "error: " << st.message() << "\n";
    return 2;
  }
  Result<node::ExportFetchSummary> r = node::ExportFromNode(fo);
  if (!r.ok()) {
    std::cerr << "error: " << r.status().message() << "\n";
    const Code c = r.status().code();
    return c == Code::kInvalidArgument || c == Code::kIOError ? 2 : 1;
  }
  std::cout << "exported heights " << r->first_height << ".." << r->last_height << " (" << r->blocks
            << " blocks, " << r->file_bytes << " bytes) to " << o.out << "\n";
  return 0;
}

}  // namespace

void RegisterExportCommands(CLI::App& app, CommandRegistry& registry) {
  auto o = std::make_shared<ExportCliOptions>();
  CLI::App* cmd = app.add_subcommand("export", "fetch a chain from a devnet node into an export file");
  cmd->add_option("--dir", o->dir, "devnet folder")->required();
  cmd->add_option("--node", o->node, "the node to ask (agency code)")->required();
  cmd->add_option("--out", o->out, "export file to write")->required();
  cmd->add_option("--from", o->from, "first height (1)");
  cmd->add_option("--to", o->to, "last height (default: the node's head)");
  cmd->add_option("--principal", o->principal, "whose token to use (auditor)");
  cmd->add_option("--timeout-ms", o->timeout_ms, "per request (60000)");
  cmd->callback([o, &registry] { registry.set_exit_code(RunExport(*o)); });
}

}  // namespace hearth::cli
