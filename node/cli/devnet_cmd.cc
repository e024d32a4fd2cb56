// `hearth devnet up|down|status` and `hearth submit`: a local network of hearthd processes
// and bulk record submission (docs/DEVNET.md; the library is node/devnet.h).
//
//   hearth devnet up --dir D [--nodes 4|7|1] [--suite S] [--hearthd PATH] [--timeout-ms T]
//       Creates the devnet in D (new or empty folder) with fresh keys, or starts the stopped
//       devnet already in D; waits until every node's /healthz answers.
//   hearth devnet down --dir D [--grace-ms T]
//   hearth devnet status --dir D [--json] [--timeout-ms T]
//       One line (or JSON object) per node; exit 0 only when every node is up.
//   hearth devnet observer --dir D --name N [--follow A,B,...] [--principal P]
//       Writes an observer's files into D/observers/N/ (API key and certificate, the token it
//       reads members with, node.json following the members' APIs) and prints the node.json
//       path; start it with `hearthd --config` (docs/NODE.md "Observer").
//   hearth submit --dir D --agency A [--principal P] [--chunk-lines N] [--json]
//                 [--stall-timeout-ms T] [--request-timeout-ms T] FILE
//       Posts NDJSON records to A's node with P's token (default: A's), retrying lines the
//       node answers retry_later; exit 0 only when every line is accepted or duplicate.
// Exit codes (commands.h): 0 ok; 1 a node failed, is down, refused or rejected something;
// 2 bad arguments or unusable input (folder, file, tokens).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "hearth/base/status.h"
#include "hearth/ledger/crypto.h"
#include "hearth/node/devnet.h"
#include "hearth/node/genesis.h"
#include "hearth/node/node_config.h"
#include "hearth/node/tls.h"

namespace hearth::cli {

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitMalformed = 2;
constexpr size_t kCertBytesMax = 1 << 20;

// Errors in what the user gave us exit 2; the others (nodes, network) exit 1.
int ExitCodeOf(const Status& s) {
  if (s.ok()) return kExitOk;
  switch (s.code()) {
    case Code::kInvalidArgument:
    case Code::kAlreadyExists:
    case Code::kNotFound:
    case Code::kIOError:
      return kExitMalformed;
    default:
      return kExitFailed;
  }
}

int Fail(const Status& s) {
  std::cerr << "error: " << s.message() << "\n";
  return ExitCodeOf(s);
}

struct UpOptions {
  std::string dir, suite = "ed25519-sha256", hearthd;
  size_t nodes = 4;
  uint64_t timeout_ms = 30'000;
};

int RunUp(const UpOptions& o) {
  node::DevnetUpOptions up;
  up.dir = o.dir;
  up.nodes = o.nodes;
  up.hearthd_path = o.hearthd;
  up.ready_timeout_ms = o.timeout_ms;
  Result<Suite> suite = ParseSuite(o.suite);
  if (!suite.ok()) return Fail(suite.status().Annotate("--suite"));
  up.suite = *suite;
  Result<std::vector<node::DevnetNode>> nodes = node::DevnetUp(up, std::cerr);
  if (!nodes.ok()) return Fail(nodes.status());
  std::cout << std::left << std::setw(24) << "agency" << std::setw(9) << "pid" << std::setw(28)
            << "api" << "p2p\n";
  for (const node::DevnetNode& n : *nodes) {
    std::cout << std::setw(24) << n.agency << std::setw(9) << n.pid << std::setw(28) << n.api
              << n.p2p << "\n";
  }
  std::cout << "tokens: " << o.dir << "/tokens.json; API certificates: " << o.dir
            << "/<agency>/api-cert.pem; logs: " << o.dir << "/<agency>/hearthd.log\n"
            << "stop with: hearth devnet down --dir " << o.dir << "\n";
  return kExitOk;
}

int RunStatus(const std::string& dir, bool as_json, uint64_t timeout_ms) {
  Result<std::vector<node::DevnetNodeStatus>> st = node::DevnetStatus(dir, timeout_ms);
  if (!st.ok()) return Fail(st.status());
  bool all_up = !st->empty();
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  if (!as_json) {
    std::cout << std::left << std::setw(24) << "agency" << std::setw(9) << "pid" << std::setw(6)
              << "state" << std::setw(9) << "height" << std::setw(10) << "log_size"
              << "log_root\n";
  }
  for (const node::DevnetNodeStatus& s : *st) {
    all_up = all_up && s.up;
    if (as_json) {
      nlohmann::ordered_json j = {{"agency", s.node.agency}, {"pid", s.node.pid}, {"up", s.up},
                                  {"height", s.height},      {"log_size", s.log_size},
                                  {"log_root", s.log_root},  {"mempool", s.mempool},
                                  {"api", s.node.api}};
      if (!s.up) j["error"] = s.error;
      arr.push_back(std::move(j));
      continue;
    }
    std::cout << std::setw(24) << s.node.agency << std::setw(9) << s.node.pid << std::setw(6)
              << (s.up ? "up" : "down");
    if (s.up) {
      std::cout << std::setw(9) << s.height << std::setw(10) << s.log_size << s.log_root << "\n";
    } else {
      std::cout << "(" << (s.running ? "process running; " : "") << s.error << ")\n";
    }
  }
  if (as_json) std::cout << arr.dump(2) << "\n";
  return all_up ? kExitOk : kExitFailed;
}

struct SubmitCliOptions {
  std::string dir, agency, principal, file;
  size_t chunk_lines = 10'000;
  uint64_t stall_timeout_ms = 120'000;
  uint64_t request_timeout_ms = 120'000;
  bool json = false;
};

// The node, certificate and token that `hearth submit` uses.
Status ResolveSubmitTarget(const SubmitCliOptions& o, node::SubmitOptions* so) {
  HEARTH_ASSIGN_OR_RETURN(std::vector<node::DevnetNode> nodes, node::LoadDevnetNodes(o.dir));
  const node::DevnetNode* target = nullptr;
  for (const node::DevnetNode& n : nodes) target = n.agency == o.agency ? &n : target;
  if (target == nullptr) {
    std::string names;
    for (const node::DevnetNode& n : nodes) names += (names.empty() ? "" : ", ") + n.agency;
    return Status::InvalidArgument("--agency: no node " + o.agency + " in " + o.dir + " (nodes: " +
                                   names + ")");
  }
  so->base_url = target->api;
  HEARTH_ASSIGN_OR_RETURN(so->ca_cert_pem,
                          node::ReadSmallFile(o.dir + "/" + o.agency + "/api-cert.pem", kCertBytesMax));
  const std::string principal = o.principal.empty() ? o.agency : o.principal;
  HEARTH_ASSIGN_OR_RETURN(std::vector<node::DevnetPrincipal> principals, node::LoadDevnetTokens(o.dir));
  for (const node::DevnetPrincipal& p : principals) {
    if (p.name == principal) so->token = p.token;
  }
  if (so->token.empty()) {
    return Status::InvalidArgument("--principal: no token for " + principal + " in " + o.dir +
                                   "/tokens.json");
  }
  return Status::Ok();
}

int RunSubmit(const SubmitCliOptions& o) {
  node::SubmitOptions so;
  so.file = o.file;
  so.chunk_lines = o.chunk_lines;
  so.stall_timeout_ms = o.stall_timeout_ms;
  so.request_timeout_ms = o.request_timeout_ms;
  Status st = ResolveSubmitTarget(o, &so);
  if (!st.ok()) return Fail(st);
  Result<node::SubmitSummary> r = node::SubmitNdjsonFile(so, std::cerr);
  if (!r.ok()) return Fail(r.status());
  const node::SubmitSummary& s = *r;
  if (o.json) {
    nlohmann::ordered_json j = {{"agency", o.agency},       {"lines", s.lines},
                                {"accepted", s.accepted},   {"duplicate", s.duplicate},
                                {"rejected", s.rejected},   {"unsettled", s.unsettled},
                                {"warnings", s.warnings}};
    nlohmann::ordered_json rej = nlohmann::ordered_json::array();
    for (const auto& x : s.rejections) rej.push_back({{"line", x.line}, {"reason", x.text}});
    j["first_rejections"] = std::move(rej);
    std::cout << j.dump() << "\n";
  } else {
    std::cout << o.file << " -> " << o.agency << " (" << so.base_url << "): " << s.lines
              << " records: accepted " << s.accepted << ", duplicate " << s.duplicate
              << ", rejected " << s.rejected;
    if (s.unsettled > 0) std::cout << ", unsettled (retry_later or no answer) " << s.unsettled;
    if (s.warnings > 0) std::cout << ", with warnings " << s.warnings;
    std::cout << "\n";
    for (const auto& x : s.rejections) std::cout << "  line " << x.line << ": rejected: " << x.text << "\n";
    if (s.rejected > s.rejections.size()) {
      std::cout << "  ... and " << (s.rejected - s.rejections.size()) << " more rejections\n";
    }
    for (const auto& x : s.first_warnings) std::cout << "  line " << x.line << ": warning: " << x.text << "\n";
  }
  return s.all_settled_ok() ? kExitOk : kExitFailed;
}

struct ObserverOptions {
  std::string dir, name, follow, principal = "auditor";
};

// A TCP port on 127.0.0.1 that was free a moment ago.
Result<uint16_t> FreeLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::IOError(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  const int err = errno;
  ::close(fd);
  if (!ok) return Status::IOError(std::string("bind 127.0.0.1:0: ") + std::strerror(err));
  return static_cast<uint16_t>(ntohs(addr.sin_port));
}

// Writes D/observers/N/{api.pem, api-cert.pem, follow.token, node.json}; returns the
// node.json path. The observer serves the devnet's token store (copied from the first
// member's node.json, hashes only) and follows the members with `principal`'s token.
Result<std::string> WriteObserver(const ObserverOptions& o) {
  namespace fs = std::filesystem;
  HEARTH_RETURN_IF_ERROR(node::ValidateMemberName(o.name).Annotate("--name"));
  const fs::path dir = fs::absolute(o.dir).lexically_normal();
  HEARTH_ASSIGN_OR_RETURN(node::Genesis g, node::LoadGenesisFile((dir / "genesis.json").string()));
  std::vector<const node::GenesisMember*> follow;
  if (o.follow.empty()) {
    for (const node::GenesisMember& m : g.members) follow.push_back(&m);
  } else {
    std::stringstream list(o.follow);
    std::string name;
    while (std::getline(list, name, ',')) {
      auto idx = node::MemberIndexByName(g, name);
      if (!idx) return Status::InvalidArgument("--follow: no member " + name + " in " + o.dir);
      follow.push_back(&g.members[*idx]);
    }
    if (follow.empty()) return Status::InvalidArgument("--follow: no member named");
  }
  HEARTH_ASSIGN_OR_RETURN(std::vector<node::DevnetPrincipal> principals, node::LoadDevnetTokens(o.dir));
  std::string token;
  for (const node::DevnetPrincipal& p : principals) {
    if (p.name == o.principal) token = p.token;
  }
  if (token.empty()) {
    return Status::InvalidArgument("--principal: no token for " + o.principal + " in " + o.dir +
                                   "/tokens.json");
  }
  HEARTH_ASSIGN_OR_RETURN(node::NodeConfig member,
                          node::LoadNodeConfigFile((dir / g.members[0].name / "node.json").string()));
  std::error_code ec;
  fs::create_directories(dir / "observers", ec);
  if (ec) return Status::IOError((dir / "observers").string() + ": " + ec.message());
  const fs::path od = dir / "observers" / o.name;
  if (::mkdir(od.c_str(), 0700) != 0) {
    if (errno == EEXIST) return Status::AlreadyExists(od.string() + ": the observer exists already");
    return Status::IOError(od.string() + ": mkdir: " + std::strerror(errno));
  }
  HEARTH_ASSIGN_OR_RETURN(std::string api_pem, node::GenerateEcdsaP256KeyPem());
  HEARTH_ASSIGN_OR_RETURN(std::string api_cert, node::SelfSignedCertificatePem(
                                                    api_pem, o.name, 3650, {"127.0.0.1"}, {"localhost"}));
  HEARTH_RETURN_IF_ERROR(node::WriteNewFile((od / "api.pem").string(), api_pem, 0600));
  HEARTH_RETURN_IF_ERROR(node::WriteNewFile((od / "api-cert.pem").string(), api_cert, 0644));
  HEARTH_RETURN_IF_ERROR(node::WriteNewFile((od / "follow.token").string(), token + "\n", 0600));
  HEARTH_ASSIGN_OR_RETURN(uint16_t port, FreeLoopbackPort());
  node::NodeConfig c;
  c.role = "observer";
  c.genesis_path = "../../genesis.json";
  c.data_dir = "data";
  c.api_listen = "127.0.0.1:" + std::to_string(port);
  c.api_tls = true;
  c.api_key_path = "api.pem";
  c.api_cert_path = "api-cert.pem";
  c.tokens = member.tokens;
  for (const node::GenesisMember* m : follow) {
    c.follow.push_back({m->api, "../../" + m->name + "/api-cert.pem", "follow.token"});
  }
  const std::string path = (od / "node.json").string();
  HEARTH_RETURN_IF_ERROR(node::WriteNewFile(path, node::NodeConfigToJson(c), 0600));
  // Read back exactly as hearthd will, and check it.
  HEARTH_ASSIGN_OR_RETURN(node::NodeConfig back, node::LoadNodeConfigFile(path));
  HEARTH_RETURN_IF_ERROR(node::ValidateNodeConfigAgainstGenesis(back, g));
  return path;
}

}  // namespace

void RegisterDevnetCommands(CLI::App& app, CommandRegistry& registry) {
  CLI::App* devnet = app.add_subcommand("devnet", "a local network of hearthd processes");
  devnet->require_subcommand(1);

  auto up = std::make_shared<UpOptions>();
  CLI::App* up_cmd = devnet->add_subcommand("up", "create (or restart) and start a devnet");
  up_cmd->add_option("--dir", up->dir, "devnet folder (new, empty, or a stopped devnet)")->required();
  up_cmd->add_option("--nodes", up->nodes, "number of nodes: 4 (default), 7 or 1");
  up_cmd->add_option("--suite", up->suite, "ed25519-sha256 (default) or sm2-sm3");
  up_cmd->add_option("--hearthd", up->hearthd, "hearthd binary (default: beside hearth)");
  up_cmd->add_option("--timeout-ms", up->timeout_ms, "how long to wait for /healthz (30000)");
  up_cmd->callback([up, &registry] { registry.set_exit_code(RunUp(*up)); });

  auto down_dir = std::make_shared<std::string>();
  auto grace_ms = std::make_shared<uint64_t>(10'000);
  CLI::App* down_cmd = devnet->add_subcommand("down", "stop every node of a devnet");
  down_cmd->add_option("--dir", *down_dir, "devnet folder")->required();
  down_cmd->add_option("--grace-ms", *grace_ms, "wait after SIGTERM before SIGKILL (10000)");
  down_cmd->callback([down_dir, grace_ms, &registry] {
    Status s = node::DevnetDown(*down_dir, *grace_ms, std::cerr);
    registry.set_exit_code(s.ok() ? kExitOk : Fail(s));
  });

  struct StatusOptions {
    std::string dir;
    bool json = false;
    uint64_t timeout_ms = 3'000;
  };
  auto so = std::make_shared<StatusOptions>();
  CLI::App* status_cmd = devnet->add_subcommand("status", "height, log size and root of every node");
  status_cmd->add_option("--dir", so->dir, "devnet folder")->required();
  status_cmd->add_flag("--json", so->json, "a JSON list instead of a table");
  status_cmd->add_option("--timeout-ms", so->timeout_ms, "per-node /healthz timeout (3000)");
  status_cmd->callback([so, &registry] { registry.set_exit_code(RunStatus(so->dir, so->json, so->timeout_ms)); });

  auto ob = std::make_shared<ObserverOptions>();
  CLI::App* ob_cmd = devnet->add_subcommand("observer", "write the files of a non-voting observer node");
  ob_cmd->add_option("--dir", ob->dir, "devnet folder")->required();
  ob_cmd->add_option("--name", ob->name, "observer name (its folder: D/observers/NAME)")->required();
  ob_cmd->add_option("--follow", ob->follow, "members to follow, comma-separated (default: all)");
  ob_cmd->add_option("--principal", ob->principal, "whose token it reads members with (auditor)");
  ob_cmd->callback([ob, &registry] {
    Result<std::string> path = WriteObserver(*ob);
    if (!path.ok()) return registry.set_exit_code(Fail(path.status()));
    std::cout << *path << "\n";
    registry.set_exit_code(kExitOk);
  });

  auto sub = std::make_shared<SubmitCliOptions>();
  CLI::App* submit = app.add_subcommand("submit", "post NDJSON records to a devnet node");
  submit->add_option("--dir", sub->dir, "devnet folder")->required();
  submit->add_option("--agency", sub->agency, "the node to submit to (agency code)")->required();
  submit->add_option("--principal", sub->principal, "whose token to use (default: the agency's)");
  submit->add_option("--chunk-lines", sub->chunk_lines, "records per request (10000)");
  submit->add_option("--stall-timeout-ms", sub->stall_timeout_ms,
                     "give up on retry_later lines after this long without progress (120000)");
  submit->add_option("--request-timeout-ms", sub->request_timeout_ms,
                     "how long to wait for the answer to one request (120000)");
  submit->add_flag("--json", sub->json, "print the summary as one JSON line");
  submit->add_option("file", sub->file, "NDJSON file, one record per line")->required();
  submit->callback([sub, &registry] { registry.set_exit_code(RunSubmit(*sub)); });
}

}  // namespace hearth::cli
