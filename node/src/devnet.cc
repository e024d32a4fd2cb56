// devnet.cc: see devnet.h. Creation (keys, genesis, tokens, configs), process control and
// status; the bulk submitter is at the end of the file.
#include "hearth/node/devnet.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "hearth/api/tokens.h"
#include "hearth/ledger/national_id.h"
#include "hearth/node/genesis.h"
#include "hearth/node/http_client.h"
#include "hearth/node/node_config.h"
#include "hearth/node/tls.h"

namespace hearth::node {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr int kCertificateValidityDays = 3650;
constexpr size_t kChainIdRandomBytes = 8;
constexpr size_t kDevnetFileBytesMax = 4 << 20;
constexpr uint64_t kHealthPollMs = 200;
constexpr uint64_t kHealthCallTimeoutMs = 2'000;
constexpr uint64_t kKillWaitMs = 5'000;
constexpr size_t kLogTailLines = 12;

std::string ErrnoText(int err) { return std::strerror(err); }

uint64_t NowUnixMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

void SleepMs(uint64_t ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

Status MakeDir(const fs::path& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0) {
    return Status::IOError(dir.string() + ": mkdir: " + ErrnoText(errno));
  }
  return Status::Ok();
}

Result<std::string> RandomHex(size_t n) {
  Bytes b(n);
  if (RAND_bytes(b.data(), static_cast<int>(n)) != 1) return Status::Internal("RAND_bytes failed");
  std::string hex = ToHex(b);
  OPENSSL_cleanse(b.data(), b.size());
  return hex;
}

// The last lines of a node's log, indented, for error messages.
std::string LogTail(const std::string& path) {
  std::ifstream in(path);
  std::deque<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(line);
    if (lines.size() > kLogTailLines) lines.pop_front();
  }
  std::string out;
  for (const std::string& l : lines) out += "\n    " + l;
  return out.empty() ? " (log empty)" : out;
}

// ---- Creation ----

// `count` distinct free TCP ports on 127.0.0.1: all are bound at once (so none repeats),
// then released for the nodes to take.
Result<std::vector<uint16_t>> FreeLoopbackPorts(size_t count) {
  std::vector<int> fds;
  std::vector<uint16_t> ports;
  Status st;
  for (size_t i = 0; i < count && st.ok(); ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      st = Status::IOError(std::string("socket: ") + ErrnoText(errno));
      break;
    }
    fds.push_back(fd);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      st = Status::IOError(std::string("bind 127.0.0.1:0: ") + ErrnoText(errno));
      break;
    }
    ports.push_back(ntohs(addr.sin_port));
  }
  for (int fd : fds) ::close(fd);
  HEARTH_RETURN_IF_ERROR(st);
  return ports;
}

// Writes one member's keys into `dir` (the layout of `hearth keygen`) and returns the
// member's genesis entry without addresses.
Result<GenesisMember> WriteMemberKeys(const fs::path& dir, Suite suite, Agency agency) {
  const std::string name(AgencyCode(agency));
  HEARTH_ASSIGN_OR_RETURN(PrivateKey node_key, PrivateKey::Generate(suite));
  HEARTH_ASSIGN_OR_RETURN(PrivateKey transport, PrivateKey::Generate(Suite::kEd25519Sha256));
  HEARTH_ASSIGN_OR_RETURN(PrivateKey issuer, PrivateKey::Generate(suite));
  HEARTH_ASSIGN_OR_RETURN(std::string transport_pem, transport.ToPem());
  Result<std::string> transport_cert =
      SelfSignedCertificatePem(transport_pem, name, kCertificateValidityDays, {}, {});
  OPENSSL_cleanse(transport_pem.data(), transport_pem.size());
  HEARTH_RETURN_IF_ERROR(transport_cert.status());
  HEARTH_ASSIGN_OR_RETURN(std::string api_pem, GenerateEcdsaP256KeyPem());
  Result<std::string> api_cert = SelfSignedCertificatePem(
      api_pem, name, kCertificateValidityDays, {"127.0.0.1"}, {"localhost"});
  Status st = api_cert.status();
  if (st.ok()) st = WriteNewFile((dir / "api.pem").string(), api_pem, 0600);
  OPENSSL_cleanse(api_pem.data(), api_pem.size());
  HEARTH_RETURN_IF_ERROR(st);
  HEARTH_RETURN_IF_ERROR(WriteNewFile((dir / "api-cert.pem").string(), *api_cert, 0644));
  HEARTH_RETURN_IF_ERROR(node_key.SavePemFile((dir / "node.pem").string()));
  HEARTH_RETURN_IF_ERROR(transport.SavePemFile((dir / "transport.pem").string()));
  HEARTH_RETURN_IF_ERROR(WriteNewFile((dir / "transport-cert.pem").string(), *transport_cert, 0644));
  HEARTH_RETURN_IF_ERROR(issuer.SavePemFile((dir / "issuer.pem").string()));
  const nlohmann::ordered_json pub = {{"suite", std::string(SuiteName(suite))},
                                      {"node_key", ToHex(node_key.public_key().raw())},
                                      {"transport_key", ToHex(transport.public_key().raw())},
                                      {"issuer_key", ToHex(issuer.public_key().raw())}};
  HEARTH_RETURN_IF_ERROR(WriteNewFile((dir / "public.json").string(), pub.dump(2) + "\n", 0644));
  GenesisMember m;
  m.name = name;
  m.agency = agency;
  m.node_key = node_key.public_key();
  m.transport_key = transport.public_key().raw();
  m.issuer_keys.push_back(issuer.public_key());
  return m;
}

struct MintedPrincipal {
  std::string name;
  api::Role role;
  std::optional<Agency> agency;
};

// Mints a token per principal: one per agency (named by its code), a caseworker of
// civil_affairs, an auditor and an admin. Returns {node store JSON, tokens.json text}.
Result<std::pair<json, std::string>> MintDevnetTokens(const std::vector<Agency>& agencies) {
  std::vector<MintedPrincipal> principals;
  for (Agency a : agencies) principals.push_back({std::string(AgencyCode(a)), api::Role::kAgency, a});
  principals.push_back({"caseworker", api::Role::kCaseworker, Agency::kCivilAffairs});
  principals.push_back({"auditor", api::Role::kAuditor, std::nullopt});
  principals.push_back({"admin", api::Role::kAdmin, std::nullopt});
  const uint64_t expires_ms = NowUnixMs() + kDevnetTokenLifetimeMs;
  json store = json::object();
  nlohmann::ordered_json secrets = nlohmann::ordered_json::object();
  for (const MintedPrincipal& p : principals) {
    HEARTH_ASSIGN_OR_RETURN(api::MintedToken t, api::MintToken());
    store[p.name] = api::TokenEntryJson(t.token_sha256, p.role, p.agency, expires_ms);
    nlohmann::ordered_json s = {{"token", t.token}, {"role", std::string(api::RoleName(p.role))}};
    if (p.agency) s["agency"] = std::string(AgencyCode(*p.agency));
    s["expires_ms"] = expires_ms;
    secrets[p.name] = std::move(s);
    OPENSSL_cleanse(t.token.data(), t.token.size());
  }
  HEARTH_RETURN_IF_ERROR(api::TokenStore::FromJson(store).status().Annotate("minted tokens"));
  return std::make_pair(std::move(store), secrets.dump(2) + "\n");
}

NodeConfig DevnetNodeConfig(const GenesisMember& m, const json& tokens) {
  NodeConfig c;
  c.genesis_path = "../genesis.json";
  c.data_dir = "data";
  c.role = "voter";
  c.member_name = m.name;
  c.node_key_path = "node.pem";
  c.transport_key_path = "transport.pem";
  c.transport_cert_path = "transport-cert.pem";
  c.api_key_path = "api.pem";
  c.api_cert_path = "api-cert.pem";
  c.pseudonym_key_path = "../pseudonym.key";
  c.p2p_listen = m.p2p;
  c.api_listen = m.api.substr(m.api.find("://") + 3);
  c.api_tls = true;
  c.tokens = tokens;
  return c;
}

// Writes a whole new devnet into `dir` (absent or empty).
Status CreateDevnet(const DevnetUpOptions& o, std::ostream& log) {
  HEARTH_ASSIGN_OR_RETURN(std::vector<Agency> agencies, DevnetAgencies(o.nodes));
  const fs::path dir(o.dir);
  std::error_code ec;
  if (!fs::exists(dir)) {
    if (dir.has_parent_path()) fs::create_directories(dir.parent_path(), ec);
    if (ec) return Status::IOError(dir.parent_path().string() + ": create: " + ec.message());
    HEARTH_RETURN_IF_ERROR(MakeDir(dir));
  }
  HEARTH_ASSIGN_OR_RETURN(std::vector<uint16_t> ports, FreeLoopbackPorts(2 * agencies.size()));
  Genesis g;
  g.suite = o.suite;
  HEARTH_ASSIGN_OR_RETURN(std::string chain_hex, RandomHex(kChainIdRandomBytes));
  g.chain_id = "hearth-devnet-" + chain_hex;
  g.genesis_time_ms = NowUnixMs();
  g.f = static_cast<uint32_t>((agencies.size() - 1) / 3);
  for (size_t i = 0; i < agencies.size(); ++i) {
    const fs::path member_dir = dir / std::string(AgencyCode(agencies[i]));
    HEARTH_RETURN_IF_ERROR(MakeDir(member_dir));
    HEARTH_ASSIGN_OR_RETURN(GenesisMember m, WriteMemberKeys(member_dir, o.suite, agencies[i]));
    m.p2p = "127.0.0.1:" + std::to_string(ports[2 * i]);
    m.api = "https://127.0.0.1:" + std::to_string(ports[2 * i + 1]);
    g.members.push_back(std::move(m));
  }
  HEARTH_RETURN_IF_ERROR(ValidateGenesis(g).Annotate("devnet genesis"));
  g.hash = GenesisHash(g);
  HEARTH_RETURN_IF_ERROR(WriteNewFile((dir / "genesis.json").string(), GenesisToJson(g), 0644));

  HEARTH_ASSIGN_OR_RETURN(std::string pseudonym_hex, RandomHex(kPseudonymKeyBytes));
  pseudonym_hex += "\n";
  Status st = WriteNewFile((dir / "pseudonym.key").string(), pseudonym_hex, 0600);
  OPENSSL_cleanse(pseudonym_hex.data(), pseudonym_hex.size());
  HEARTH_RETURN_IF_ERROR(st);

  HEARTH_ASSIGN_OR_RETURN(auto tokens, MintDevnetTokens(agencies));
  st = WriteNewFile((dir / "tokens.json").string(), tokens.second, 0600);
  OPENSSL_cleanse(tokens.second.data(), tokens.second.size());
  HEARTH_RETURN_IF_ERROR(st);

  for (const GenesisMember& m : g.members) {
    const std::string path = (dir / m.name / "node.json").string();
    HEARTH_RETURN_IF_ERROR(WriteNewFile(path, NodeConfigToJson(DevnetNodeConfig(m, tokens.first)), 0600));
    // Read back exactly as hearthd will, and check it against genesis.
    HEARTH_ASSIGN_OR_RETURN(NodeConfig c, LoadNodeConfigFile(path));
    HEARTH_RETURN_IF_ERROR(ValidateNodeConfigAgainstGenesis(c, g));
  }
  log << "created devnet " << g.chain_id << " in " << o.dir << ": " << g.members.size()
      << " members (" << SuiteName(g.suite) << "), genesis " << g.hash.Hex() << "\n";
  return Status::Ok();
}

// ---- Processes ----

std::string HearthdBesideSelf() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "hearthd";
  return (self.parent_path() / "hearthd").string();
}

// Starts `hearthd --config config` in a session of its own, output appended to `log_path`.
Result<int> SpawnHearthd(const std::string& hearthd, const std::string& config,
                         const std::string& log_path) {
  const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return Status::IOError(log_path + ": open: " + ErrnoText(errno));
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0) {
    ::close(log_fd);
    return Status::IOError(std::string("/dev/null: open: ") + ErrnoText(errno));
  }
  std::string arg0 = hearthd, arg1 = "--config", arg2 = config;
  char* argv[] = {arg0.data(), arg1.data(), arg2.data(), nullptr};
  const pid_t pid = ::fork();
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    ::setsid();
    ::dup2(null_fd, 0);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    ::close_range(3, ~0u, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv(argv[0], argv);
    ::_exit(127);
  }
  const int fork_errno = errno;
  ::close(log_fd);
  ::close(null_fd);
  if (pid < 0) return Status::IOError(std::string("fork: ") + ErrnoText(fork_errno));
  return static_cast<int>(pid);
}

// True while `pid` (a child of this process or not) has not exited. Reaps it if it is ours.
bool ProcessExited(int pid) {
  int wstatus = 0;
  const pid_t r = ::waitpid(pid, &wstatus, WNOHANG);
  if (r == pid) return true;
  return ::kill(pid, 0) != 0 && errno == ESRCH;
}

// Signals the running ones of `nodes` with SIGTERM, then SIGKILL after grace_ms.
Status StopNodes(const std::vector<DevnetNode>& nodes, uint64_t grace_ms, std::ostream& log) {
  std::vector<const DevnetNode*> running;
  for (const DevnetNode& n : nodes) {
    if (n.pid > 0 && IsDevnetNodeProcess(n.pid, n.config)) {
      log << "stopping " << n.agency << " (pid " << n.pid << ")\n";
      ::kill(n.pid, SIGTERM);
      running.push_back(&n);
    }
  }
  auto wait_all = [&running](uint64_t ms) {
    const auto deadline = Clock::now() + std::chrono::milliseconds(ms);
    while (true) {
      std::erase_if(running, [](const DevnetNode* n) {
        return ProcessExited(n->pid) || !IsDevnetNodeProcess(n->pid, n->config);
      });
      if (running.empty() || Clock::now() >= deadline) return;
      SleepMs(50);
    }
  };
  wait_all(grace_ms);
  for (const DevnetNode* n : running) {
    log << n->agency << " (pid " << n->pid << ") did not stop in " << grace_ms << " ms: SIGKILL\n";
    ::kill(n->pid, SIGKILL);
  }
  if (!running.empty()) wait_all(kKillWaitMs);
  if (!running.empty()) {
    return Status::Internal(running.front()->agency + " (pid " + std::to_string(running.front()->pid) +
                            ") is still running after SIGKILL");
  }
  return Status::Ok();
}

std::string NodesJson(const std::vector<DevnetNode>& nodes) {
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  for (const DevnetNode& n : nodes) {
    arr.push_back({{"agency", n.agency}, {"p2p", n.p2p}, {"api", n.api}, {"pid", n.pid},
                   {"config", n.config}});
  }
  return arr.dump(2) + "\n";
}

// The nodes of the devnet in `dir` as genesis lists them (pids unknown).
Result<std::vector<DevnetNode>> NodesFromGenesis(const fs::path& dir) {
  HEARTH_ASSIGN_OR_RETURN(Genesis g, LoadGenesisFile((dir / "genesis.json").string()));
  std::vector<DevnetNode> nodes;
  for (const GenesisMember& m : g.members) {
    DevnetNode n;
    n.agency = m.name;
    n.p2p = m.p2p;
    n.api = m.api;
    n.config = fs::absolute(dir / m.name / "node.json").lexically_normal().string();
    nodes.push_back(std::move(n));
  }
  return nodes;
}

Result<std::string> ReadCert(const fs::path& dir, const std::string& agency) {
  return ReadSmallFile((dir / agency / "api-cert.pem").string(), kDevnetFileBytesMax);
}

// Polls every node's /healthz until all answer, a node exits, or the deadline passes.
Status WaitHealthy(const fs::path& dir, const std::vector<DevnetNode>& nodes, uint64_t timeout_ms,
                   std::ostream& log) {
  std::map<std::string, std::string> certs;
  for (const DevnetNode& n : nodes) {
    HEARTH_ASSIGN_OR_RETURN(certs[n.agency], ReadCert(dir, n.agency));
  }
  std::set<size_t> pending;
  for (size_t i = 0; i < nodes.size(); ++i) pending.insert(i);
  std::map<size_t, std::string> last_error;
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!pending.empty()) {
    for (auto it = pending.begin(); it != pending.end();) {
      const DevnetNode& n = nodes[*it];
      const std::string log_path = (dir / n.agency / "hearthd.log").string();
      if (ProcessExited(n.pid)) {
        return Status::Unavailable(n.agency + ": hearthd (pid " + std::to_string(n.pid) +
                                   ") exited; the end of " + log_path + ":" + LogTail(log_path));
      }
      Result<HttpReply> r = HttpCall(n.api, "GET", "/healthz", "", {}, certs[n.agency], kHealthCallTimeoutMs);
      if (r.ok() && r->status == 200) {
        log << n.agency << " is up (pid " << n.pid << ", " << n.api << ")\n";
        it = pending.erase(it);
        continue;
      }
      last_error[*it] = r.ok() ? "HTTP " + std::to_string(r->status) : r.status().message();
      ++it;
    }
    if (pending.empty()) break;
    if (Clock::now() >= deadline) {
      const size_t i = *pending.begin();
      const std::string log_path = (dir / nodes[i].agency / "hearthd.log").string();
      return Status::Unavailable(nodes[i].agency + ": /healthz does not answer after " +
                                 std::to_string(timeout_ms) + " ms (" + last_error[i] +
                                 "); the end of " + log_path + ":" + LogTail(log_path));
    }
    SleepMs(kHealthPollMs);
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<Agency>> DevnetAgencies(size_t n) {
  if (n != 1 && n != 4 && n != 7) {
    return Status::InvalidArgument("--nodes: " + std::to_string(n) +
                                   ": a devnet has 1, 4 or 7 nodes (n = 3f+1, one per agency)");
  }
  const std::vector<Agency> all = {Agency::kCivilAffairs,   Agency::kTax,
                                   Agency::kSocialSecurity, Agency::kDisabilityFederation,
                                   Agency::kPublicSecurity, Agency::kPropertyRegistry,
                                   Agency::kFinancial};
  static_assert(kDevnetNodesMax == 7);
  return std::vector<Agency>(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n));
}

bool IsDevnetNodeProcess(int pid, const std::string& config_path) {
  if (pid <= 0) return false;
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  if (!in) return false;
  std::vector<std::string> args;
  std::string arg;
  while (std::getline(in, arg, '\0')) args.push_back(arg);
  if (args.empty() || fs::path(args[0]).filename() != "hearthd") return false;
  std::error_code ec;
  for (size_t i = 1; i + 1 < args.size(); ++i) {
    if (args[i] != "--config") continue;
    if (args[i + 1] == config_path) return true;
    if (fs::equivalent(args[i + 1], config_path, ec)) return true;
  }
  return false;
}

Result<std::vector<DevnetNode>> LoadDevnetNodes(const std::string& dir) {
  const std::string path = (fs::path(dir) / "nodes.json").string();
  HEARTH_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path, kDevnetFileBytesMax));
  HEARTH_ASSIGN_OR_RETURN(json j, ParseJsonStrict(text, path, kDevnetFileBytesMax));
  if (!j.is_array()) return Status::InvalidArgument(path + ": expected an array");
  std::vector<DevnetNode> nodes;
  for (size_t i = 0; i < j.size(); ++i) {
    HEARTH_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of(j[i], path + "[" + std::to_string(i) + "]"));
    HEARTH_RETURN_IF_ERROR(f.OnlyFields({"agency", "p2p", "api", "pid", "config"}));
    DevnetNode n;
    HEARTH_ASSIGN_OR_RETURN(n.agency, f.String("agency"));
    HEARTH_ASSIGN_OR_RETURN(n.p2p, f.String("p2p"));
    HEARTH_ASSIGN_OR_RETURN(n.api, f.String("api"));
    HEARTH_ASSIGN_OR_RETURN(uint64_t pid, f.Unsigned("pid"));
    if (pid > static_cast<uint64_t>(INT32_MAX)) return Status::InvalidArgument(f.PathOf("pid") + ": out of range");
    n.pid = static_cast<int>(pid);
    HEARTH_ASSIGN_OR_RETURN(n.config, f.String("config"));
    HEARTH_RETURN_IF_ERROR(ValidateMemberName(n.agency).Annotate(f.PathOf("agency")));
    nodes.push_back(std::move(n));
  }
  return nodes;
}

Result<DevnetTarget> ResolveDevnetTarget(const std::string& dir, const std::string& agency,
                                         const std::string& principal) {
  HEARTH_ASSIGN_OR_RETURN(std::vector<DevnetNode> nodes, LoadDevnetNodes(dir));
  const DevnetNode* target = nullptr;
  std::string names;
  for (const DevnetNode& n : nodes) {
    if (n.agency == agency) target = &n;
    names += (names.empty() ? "" : ", ") + n.agency;
  }
  if (target == nullptr) {
    return Status::InvalidArgument("--node: no node " + agency + " in " + dir + " (nodes: " + names + ")");
  }
  DevnetTarget t;
  t.base_url = target->api;
  HEARTH_ASSIGN_OR_RETURN(t.ca_cert_pem, ReadCert(fs::path(dir), agency));
  const std::string who = principal.empty() ? agency : principal;
  HEARTH_ASSIGN_OR_RETURN(std::vector<DevnetPrincipal> principals, LoadDevnetTokens(dir));
  std::string known;
  for (const DevnetPrincipal& p : principals) {
    if (p.name == who) t.token = p.token;
    known += (known.empty() ? "" : ", ") + p.name;
  }
  if (t.token.empty()) {
    return Status::InvalidArgument("--principal: no token for " + who + " in " + dir + "/tokens.json (principals: " +
                                   known + ")");
  }
  return t;
}

Result<std::vector<DevnetPrincipal>> LoadDevnetTokens(const std::string& dir) {
  const std::string path = (fs::path(dir) / "tokens.json").string();
  HEARTH_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path, kDevnetFileBytesMax));
  HEARTH_ASSIGN_OR_RETURN(json j, ParseJsonStrict(text, path, kDevnetFileBytesMax));
  HEARTH_ASSIGN_OR_RETURN(JsonFields top, JsonFields::Of(j, path));
  std::vector<DevnetPrincipal> out;
  for (const auto& [name, entry] : j.items()) {
    HEARTH_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Of(entry, top.PathOf(name)));
    HEARTH_RETURN_IF_ERROR(f.OnlyFields({"token", "role", "agency", "expires_ms"}));
    DevnetPrincipal p;
    p.name = name;
    HEARTH_ASSIGN_OR_RETURN(p.token, f.String("token"));
    HEARTH_ASSIGN_OR_RETURN(p.role, f.String("role"));
    if (f.Has("agency")) {
      HEARTH_ASSIGN_OR_RETURN(p.agency, f.String("agency"));
    }
    out.push_back(std::move(p));
  }
  return out;
}

Result<std::vector<DevnetNode>> DevnetUp(const DevnetUpOptions& o, std::ostream& log) {
  if (o.dir.empty()) return Status::InvalidArgument("--dir: empty");
  HEARTH_RETURN_IF_ERROR(DevnetAgencies(o.nodes).status());
  const fs::path dir = fs::absolute(o.dir).lexically_normal();
  std::error_code ec;
  if (fs::exists(dir / "nodes.json")) {
    HEARTH_ASSIGN_OR_RETURN(std::vector<DevnetNode> old, LoadDevnetNodes(dir.string()));
    for (const DevnetNode& n : old) {
      if (IsDevnetNodeProcess(n.pid, n.config)) {
        return Status::AlreadyExists("the devnet in " + o.dir + " is up (" + n.agency + " is pid " +
                                     std::to_string(n.pid) + "); `hearth devnet down --dir " +
                                     o.dir + "` first");
      }
    }
  }
  if (fs::exists(dir / "genesis.json")) {
    log << "starting the existing devnet in " << o.dir << " (its keys and data are kept)\n";
  } else if (fs::exists(dir) && (!fs::is_directory(dir) || !fs::is_empty(dir, ec))) {
    return Status::AlreadyExists("--dir: " + o.dir + " exists and is not a devnet (no genesis.json); "
                                 "give a new or empty folder");
  } else {
    DevnetUpOptions create = o;
    create.dir = dir.string();
    HEARTH_RETURN_IF_ERROR(CreateDevnet(create, log));
  }
  HEARTH_ASSIGN_OR_RETURN(std::vector<DevnetNode> nodes, NodesFromGenesis(dir));
  if (nodes.size() != o.nodes) {
    log << "note: the devnet in " << o.dir << " has " << nodes.size() << " nodes\n";
  }
  const std::string hearthd = o.hearthd_path.empty() ? HearthdBesideSelf() : o.hearthd_path;
  if (::access(hearthd.c_str(), X_OK) != 0) {
    return Status::InvalidArgument("--hearthd: " + hearthd + " is not an executable file" +
                                   (o.hearthd_path.empty() ? " (build the hearthd target)" : ""));
  }
  Status st;
  for (DevnetNode& n : nodes) {
    Result<int> pid = SpawnHearthd(hearthd, n.config, (dir / n.agency / "hearthd.log").string());
    if (!pid.ok()) {
      st = pid.status().Annotate(n.agency);
      break;
    }
    n.pid = *pid;
  }
  if (st.ok()) st = ReplaceFile((dir / "nodes.json").string(), NodesJson(nodes), 0644);
  if (st.ok()) st = WaitHealthy(dir, nodes, o.ready_timeout_ms, log);
  if (!st.ok()) {
    (void)StopNodes(nodes, kKillWaitMs, log);
    return st;
  }
  return nodes;
}

Status DevnetDown(const std::string& dir, uint64_t grace_ms, std::ostream& log) {
  HEARTH_ASSIGN_OR_RETURN(std::vector<DevnetNode> nodes, LoadDevnetNodes(dir));
  // A node restarted by hand has another pid than nodes.json: take the one it reports,
  // still signalled only if /proc shows it is hearthd with that node's config.
  if (auto status = DevnetStatus(dir, 2'000); status.ok()) {
    for (size_t i = 0; i < nodes.size() && i < status->size(); ++i) {
      const DevnetNodeStatus& s = (*status)[i];
      if (s.up && s.node.agency == nodes[i].agency && IsDevnetNodeProcess(s.node.pid, nodes[i].config)) {
        nodes[i].pid = s.node.pid;
      }
    }
  }
  size_t running = 0;
  for (const DevnetNode& n : nodes) running += IsDevnetNodeProcess(n.pid, n.config) ? 1 : 0;
  if (running == 0) {
    log << "no node of the devnet in " << dir << " is running\n";
    return Status::Ok();
  }
  HEARTH_RETURN_IF_ERROR(StopNodes(nodes, grace_ms, log));
  log << "stopped " << running << " node(s)\n";
  return Status::Ok();
}

Result<std::vector<DevnetNodeStatus>> DevnetStatus(const std::string& dir, uint64_t timeout_ms) {
  HEARTH_ASSIGN_OR_RETURN(std::vector<DevnetNode> nodes, LoadDevnetNodes(dir));
  std::vector<DevnetNodeStatus> out;
  for (const DevnetNode& n : nodes) {
    DevnetNodeStatus s;
    s.node = n;
    s.running = IsDevnetNodeProcess(n.pid, n.config);
    Result<std::string> cert = ReadCert(fs::path(dir), n.agency);
    Result<HttpReply> r = cert.ok() ? HttpCall(n.api, "GET", "/healthz", "", {}, *cert, timeout_ms)
                                    : Result<HttpReply>(cert.status());
    if (!r.ok()) {
      s.error = r.status().message();
    } else if (r->status != 200) {
      s.error = "/healthz: HTTP " + std::to_string(r->status);
    } else {
      const json j = json::parse(r->body, nullptr, /*allow_exceptions=*/false);
      if (j.is_object() && j.value("height", json()).is_number_unsigned() &&
          j.value("log_size", json()).is_number_unsigned() && j.value("log_root", json()).is_string()) {
        s.up = true;
        s.height = j["height"].get<uint64_t>();
        s.log_size = j["log_size"].get<uint64_t>();
        s.log_root = j["log_root"].get<std::string>();
        s.chain_id = j.value("chain_id", "");
        if (j.value("mempool", json()).is_number_unsigned()) s.mempool = j["mempool"].get<uint64_t>();
        // A node restarted by hand has a new pid: the node's own answer wins.
        if (j.value("pid", json()).is_number_unsigned()) {
          s.node.pid = static_cast<int>(j["pid"].get<uint64_t>());
          s.running = true;
        }
      } else {
        s.error = "/healthz: unexpected answer " + r->body.substr(0, 200);
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

// ---- Bulk submission ----

namespace {

constexpr uint64_t kRetryPauseMinMs = 200;
constexpr uint64_t kRetryPauseMaxMs = 5'000;

struct PendingLine {
  size_t file_line = 0;
  std::string text;
};

bool IsBlank(const std::string& line) {
  return line.find_first_not_of(" \t\r") == std::string::npos;
}

// Reads up to `max` non-blank lines of `in` (line numbers continue from *line_no).
Status ReadChunk(std::istream& in, const std::string& file, size_t max, size_t* line_no,
                 std::vector<PendingLine>* out) {
  out->clear();
  std::string line;
  while (out->size() < max && std::getline(in, line)) {
    ++*line_no;
    if (line.size() > kSubmitLineBytesMax) {
      return Status::InvalidArgument(file + ":" + std::to_string(*line_no) + ": line longer than " +
                                     std::to_string(kSubmitLineBytesMax) + " bytes");
    }
    if (IsBlank(line)) continue;
    if (line.back() == '\r') line.pop_back();
    out->push_back({*line_no, std::move(line)});
  }
  if (in.bad()) return Status::IOError(file + ": read failed");
  return Status::Ok();
}

// Counts the records of `file` and checks that every line fits, before anything is sent.
Result<size_t> ScanFile(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Status::IOError(file + ": cannot open: " + ErrnoText(errno));
  size_t line_no = 0, records = 0;
  std::vector<PendingLine> chunk;
  do {
    HEARTH_RETURN_IF_ERROR(ReadChunk(in, file, 4096, &line_no, &chunk));
    records += chunk.size();
  } while (!chunk.empty());
  if (records == 0) return Status::InvalidArgument(file + ": no records (empty or blank lines only)");
  return records;
}

void KeepFirst(std::vector<SubmitLineReport>* v, size_t keep) {
  if (v->size() <= 2 * keep + 16) return;
  std::sort(v->begin(), v->end(), [](const auto& a, const auto& b) { return a.line < b.line; });
  v->resize(keep);
}

// The message of a JSON error answer, or the start of the body.
std::string AnswerText(const HttpReply& r) {
  const json j = json::parse(r.body, nullptr, false);
  if (j.is_object() && j.value("message", json()).is_string()) {
    return j.value("error", std::string("error")) + ": " + j["message"].get<std::string>();
  }
  return r.body.substr(0, 300);
}

// Applies one NDJSON answer to `todo`: settled lines go into `sum`, retry_later ones into
// *retry. Corruption when the answer does not match the request line for line.
Status ApplyAnswer(const std::string& body, const std::vector<PendingLine>& todo,
                   const SubmitOptions& o, SubmitSummary* sum, std::vector<PendingLine>* retry) {
  std::vector<bool> seen(todo.size(), false);
  std::istringstream in(body);
  std::string line;
  size_t answered = 0;
  while (std::getline(in, line)) {
    if (IsBlank(line)) continue;
    const json j = json::parse(line, nullptr, false);
    const json ln = j.is_object() ? j.value("line", json()) : json();
    const json result = j.is_object() ? j.value("result", json()) : json();
    if (!ln.is_number_unsigned() || !result.is_string()) {
      return Status::Corruption("answer line \"" + line.substr(0, 200) + "\": expected {\"line\", \"result\"}");
    }
    const uint64_t k = ln.get<uint64_t>();
    if (k == 0 || k > todo.size() || seen[k - 1]) {
      return Status::Corruption("answer names line " + std::to_string(k) + " of a request of " +
                                std::to_string(todo.size()) + " lines (or twice)");
    }
    seen[k - 1] = true;
    ++answered;
    const PendingLine& p = todo[k - 1];
    const std::string r = result.get<std::string>();
    const std::string reason = j.value("reason", json()).is_string() ? j["reason"].get<std::string>() : "";
    if (r == "accepted") {
      ++sum->accepted;
      if (j.value("warning", json()).is_string()) {
        ++sum->warnings;
        if (sum->first_warnings.size() < o.rejections_kept) {
          sum->first_warnings.push_back({p.file_line, j["warning"].get<std::string>()});
        }
      }
    } else if (r == "duplicate") {
      ++sum->duplicate;
    } else if (r == "rejected") {
      ++sum->rejected;
      sum->rejections.push_back({p.file_line, reason.empty() ? "(no reason given)" : reason});
      KeepFirst(&sum->rejections, o.rejections_kept);
    } else if (r == "retry_later") {
      retry->push_back(p);
    } else {
      return Status::Corruption("answer line " + std::to_string(k) + ": unknown result \"" + r + "\"");
    }
  }
  if (answered != todo.size()) {
    return Status::Corruption("the node answered " + std::to_string(answered) + " of " +
                              std::to_string(todo.size()) + " lines");
  }
  return Status::Ok();
}

// Sends one chunk until every line is settled or the stall bound passes. Returns the lines
// left unsettled (non-empty only at the stall bound).
Result<std::vector<PendingLine>> SendChunk(HttpClient& client, std::vector<PendingLine> todo,
                                           const SubmitOptions& o, SubmitSummary* sum,
                                           std::ostream& log) {
  const HttpHeaders headers = {{"Authorization", "Bearer " + o.token},
                               {"Content-Type", "application/x-ndjson"}};
  auto last_progress = Clock::now();
  uint64_t pause_ms = kRetryPauseMinMs;
  Status last_failure;
  while (!todo.empty()) {
    std::string body;
    for (const PendingLine& p : todo) {
      body += p.text;
      body += '\n';
    }
    Result<HttpReply> r = client.Call("POST", "/v1/records", body, headers, o.request_timeout_ms);
    std::vector<PendingLine> retry;
    uint64_t retry_after_ms = 0;
    if (!r.ok()) {
      if (r.status().code() != Code::kUnavailable) return r.status();
      last_failure = r.status();
      retry = std::move(todo);
    } else if (r->status == 503 || r->status == 429 || r->status == 502 || r->status == 504) {
      last_failure = Status::Unavailable(client.base_url() + ": HTTP " + std::to_string(r->status) +
                                         ": " + AnswerText(*r));
      auto it = r->headers.find("retry-after");
      if (it != r->headers.end()) retry_after_ms = 1000 * std::strtoull(it->second.c_str(), nullptr, 10);
      retry = std::move(todo);
    } else if (r->status == 401) {
      return Status::VerifyFailed(client.base_url() + " refused the token: " + AnswerText(*r));
    } else if (r->status != 200) {
      return Status::FailedPrecondition(client.base_url() + "/v1/records: HTTP " +
                                        std::to_string(r->status) + ": " + AnswerText(*r));
    } else {
      HEARTH_RETURN_IF_ERROR(ApplyAnswer(r->body, todo, o, sum, &retry));
      if (retry.size() < todo.size()) {
        last_progress = Clock::now();
        pause_ms = kRetryPauseMinMs;
      }
      last_failure = Status::Unavailable("the node answered retry_later");
    }
    todo = std::move(retry);
    if (todo.empty()) break;
    const auto stalled = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - last_progress);
    if (static_cast<uint64_t>(stalled.count()) >= o.stall_timeout_ms) {
      log << "giving up on " << todo.size() << " line(s) after " << o.stall_timeout_ms
          << " ms without progress: " << last_failure.message() << "\n";
      return todo;
    }
    SleepMs(std::min(std::max(pause_ms, retry_after_ms), kRetryPauseMaxMs));
    pause_ms = std::min(pause_ms * 2, kRetryPauseMaxMs);
  }
  return std::vector<PendingLine>{};
}

}  // namespace

Result<SubmitSummary> SubmitNdjsonFile(const SubmitOptions& o, std::ostream& log) {
  if (o.chunk_lines == 0 || o.chunk_lines > kSubmitChunkLinesMax) {
    return Status::InvalidArgument("chunk lines: " + std::to_string(o.chunk_lines) + " outside 1.." +
                                   std::to_string(kSubmitChunkLinesMax));
  }
  if (o.token.empty()) return Status::InvalidArgument("token: empty");
  SubmitSummary sum;
  HEARTH_ASSIGN_OR_RETURN(sum.lines, ScanFile(o.file));
  HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<HttpClient> client, HttpClient::Create(o.base_url, o.ca_cert_pem));
  std::ifstream in(o.file, std::ios::binary);
  if (!in) return Status::IOError(o.file + ": cannot open: " + ErrnoText(errno));
  size_t line_no = 0, sent = 0;
  std::vector<PendingLine> chunk;
  while (true) {
    HEARTH_RETURN_IF_ERROR(ReadChunk(in, o.file, o.chunk_lines, &line_no, &chunk));
    if (chunk.empty()) break;
    const size_t first = chunk.front().file_line, last = chunk.back().file_line, n = chunk.size();
    HEARTH_ASSIGN_OR_RETURN(std::vector<PendingLine> left, SendChunk(*client, std::move(chunk), o, &sum, log));
    sent += n;
    log << "lines " << first << ".." << last << ": accepted " << sum.accepted << ", duplicate "
        << sum.duplicate << ", rejected " << sum.rejected << " so far\n";
    if (!left.empty()) {
      sum.unsettled = left.size() + (sum.lines > sent ? sum.lines - sent : 0);
      break;
    }
  }
  std::sort(sum.rejections.begin(), sum.rejections.end(),
            [](const auto& a, const auto& b) { return a.line < b.line; });
  if (sum.rejections.size() > o.rejections_kept) sum.rejections.resize(o.rejections_kept);
  return sum;
}

}  // namespace hearth::node
