// `hearth keygen`, `hearth genesis`, `hearth pseudonym-key`: the key and genesis tooling of
// an operator (DESIGN.md "Node").
//
//   hearth keygen --out DIR [--suite S] [--name NAME]
//       DIR (absent or empty; created 0700) gets node.pem and issuer.pem (suite keys),
//       transport.pem (Ed25519) + transport-cert.pem (self-signed, CN=NAME), api.pem (ECDSA
//       P-256) + api-cert.pem (self-signed, SAN IP:127.0.0.1 and DNS:localhost), and
//       public.json {"suite","node_key","transport_key","issuer_key"} (raw keys as hex).
//       Private keys are 0600; NAME defaults to the last part of DIR.
//   hearth genesis --member NAME=DIR ... --out FILE [--suite S] [--chain-id ID]
//       [--p2p NAME=host:port] [--api NAME=url] [--agency NAME=agency] [--genesis-time-ms T]
//       Reads each DIR/public.json (members in command-line order). The agency defaults to
//       NAME when NAME is an agency code; addresses default to 127.0.0.1:7001+i and
//       https://127.0.0.1:8001+i; the chain id to "hearth-" + 16 random hex digits; f is
//       (n-1)/3 and n must be 3f+1. Prints the chain id and genesis hash.
//   hearth pseudonym-key --out FILE
//       32 random bytes as 64 hex digits in a new 0600 file.
// No command overwrites an existing file. Exit codes (commands.h): 0 ok; 2 bad arguments,
// bad input files, or an output that already exists.
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "hearth/base/status.h"
#include "hearth/consensus/params.h"
#include "hearth/ledger/categories.h"
#include "hearth/ledger/crypto.h"
#include "hearth/ledger/national_id.h"
#include "hearth/node/genesis.h"
#include "hearth/node/tls.h"

namespace hearth::cli {

namespace {

namespace fs = std::filesystem;
using node::Genesis;
using node::GenesisMember;

constexpr int kExitOk = 0;
constexpr int kExitMalformed = 2;
// Self-signed certificates: peers pin keys, not certificates, so a long validity only
// avoids a needless expiry; rotate by replacing the key.
using node::WriteNewFile;

constexpr int kCertificateValidityDays = 3650;
constexpr size_t kPublicJsonBytesMax = 64 * 1024;
constexpr uint16_t kP2pPortBase = 7001;
constexpr uint16_t kApiPortBase = 8001;
constexpr size_t kChainIdRandomBytes = 8;

std::string ErrnoText(int err) { return std::strerror(err); }

void Cleanse(std::string& secret) { OPENSSL_cleanse(secret.data(), secret.size()); }

Result<Bytes> RandomBytes(size_t n) {
  Bytes b(n);
  if (RAND_bytes(b.data(), static_cast<int>(n)) != 1) {
    return Status::Internal("RAND_bytes failed");
  }
  return b;
}

void Report(const Status& s, CommandRegistry& registry) {
  if (!s.ok()) std::cerr << "error: " << s.message() << "\n";
  registry.set_exit_code(s.ok() ? kExitOk : kExitMalformed);
}

// `r`, with its error prefixed by `where`.
template <typename T>
Result<T> Where(Result<T> r, const std::string& where) {
  if (r.ok()) return r;
  return r.status().Annotate(where);
}

// ---- keygen ----

struct KeygenOptions {
  std::string out;
  std::string suite = "ed25519-sha256";
  std::string name;
};

// Creates `dir` with mode 0700, or accepts an existing empty directory.
// Sets *created when this call made it.
Status PrepareEmptyDir(const std::string& dir, bool* created) {
  *created = false;
  std::error_code ec;
  const fs::file_status st = fs::symlink_status(dir, ec);
  if (fs::exists(st)) {
    if (!fs::is_directory(st)) {
      return Status::InvalidArgument("--out: " + dir + " is not a directory");
    }
    if (!fs::is_empty(dir, ec) || ec) {
      return Status::AlreadyExists("--out: " + dir + " is not empty; refusing to mix keys");
    }
    return Status::Ok();
  }
  const fs::path parent = fs::path(dir).parent_path();
  if (!parent.empty()) {
    fs::create_directories(parent, ec);
    if (ec) return Status::IOError(parent.string() + ": create: " + ec.message());
  }
  if (::mkdir(dir.c_str(), 0700) != 0) return Status::IOError(dir + ": mkdir: " + ErrnoText(errno));
  *created = true;
  return Status::Ok();
}

struct KeySet {
  PrivateKey node, transport, issuer;
  std::string transport_cert, api_pem, api_cert;
  ~KeySet() { Cleanse(api_pem); }
};

Result<std::unique_ptr<KeySet>> GenerateKeySet(Suite suite, const std::string& name) {
  auto k = std::make_unique<KeySet>();
  HEARTH_ASSIGN_OR_RETURN(k->node, PrivateKey::Generate(suite));
  HEARTH_ASSIGN_OR_RETURN(k->transport, PrivateKey::Generate(Suite::kEd25519Sha256));
  HEARTH_ASSIGN_OR_RETURN(k->issuer, PrivateKey::Generate(suite));
  HEARTH_ASSIGN_OR_RETURN(std::string transport_pem, k->transport.ToPem());
  Result<std::string> cert =
      node::SelfSignedCertificatePem(transport_pem, name, kCertificateValidityDays, {}, {});
  Cleanse(transport_pem);
  if (!cert.ok()) return cert.status().Annotate("transport certificate");
  k->transport_cert = std::move(cert).value();
  HEARTH_ASSIGN_OR_RETURN(k->api_pem, node::GenerateEcdsaP256KeyPem());
  HEARTH_ASSIGN_OR_RETURN(k->api_cert,
                          node::SelfSignedCertificatePem(k->api_pem, name, kCertificateValidityDays,
                                                         {"127.0.0.1"}, {"localhost"}));
  return k;
}

std::string PublicJson(Suite suite, const KeySet& k) {
  nlohmann::ordered_json j = {{"suite", std::string(SuiteName(suite))},
                              {"node_key", ToHex(k.node.public_key().raw())},
                              {"transport_key", ToHex(k.transport.public_key().raw())},
                              {"issuer_key", ToHex(k.issuer.public_key().raw())}};
  return j.dump(2) + "\n";
}

Status WriteKeySet(const fs::path& dir, Suite suite, const KeySet& k,
                   std::vector<std::string>* written) {
  auto track = [written](const fs::path& p, Status s) {
    if (s.ok()) written->push_back(p.string());
    return s;
  };
  const fs::path node = dir / "node.pem", transport = dir / "transport.pem",
                 transport_cert = dir / "transport-cert.pem", issuer = dir / "issuer.pem",
                 api = dir / "api.pem", api_cert = dir / "api-cert.pem",
                 pub = dir / "public.json";
  HEARTH_RETURN_IF_ERROR(track(node, k.node.SavePemFile(node.string())));
  HEARTH_RETURN_IF_ERROR(track(transport, k.transport.SavePemFile(transport.string())));
  HEARTH_RETURN_IF_ERROR(
      track(transport_cert, WriteNewFile(transport_cert.string(), k.transport_cert, 0644)));
  HEARTH_RETURN_IF_ERROR(track(issuer, k.issuer.SavePemFile(issuer.string())));
  HEARTH_RETURN_IF_ERROR(track(api, WriteNewFile(api.string(), k.api_pem, 0600)));
  HEARTH_RETURN_IF_ERROR(track(api_cert, WriteNewFile(api_cert.string(), k.api_cert, 0644)));
  return track(pub, WriteNewFile(pub.string(), PublicJson(suite, k), 0644));
}

Result<std::string> KeygenName(const KeygenOptions& o) {
  if (!o.name.empty()) {
    HEARTH_RETURN_IF_ERROR(node::ValidateMemberName(o.name).Annotate("--name"));
    return o.name;
  }
  fs::path p = fs::path(o.out).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  const std::string name = p.filename().string();
  if (!node::ValidateMemberName(name).ok()) {
    return Status::InvalidArgument("--name: the folder name \"" + name +
                                   "\" is not a member name ([A-Za-z0-9_-]); pass --name");
  }
  return name;
}

Status RunKeygen(const KeygenOptions& o) {
  HEARTH_ASSIGN_OR_RETURN(Suite suite, ParseSuite(o.suite));
  HEARTH_ASSIGN_OR_RETURN(std::string name, KeygenName(o));
  HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<KeySet> keys, GenerateKeySet(suite, name));
  bool created = false;
  HEARTH_RETURN_IF_ERROR(PrepareEmptyDir(o.out, &created));
  std::vector<std::string> written;
  Status s = WriteKeySet(fs::path(o.out), suite, *keys, &written);
  if (!s.ok()) {
    // Only files this run created, in a folder that was empty: safe to take back.
    for (const std::string& f : written) ::unlink(f.c_str());
    if (created) ::rmdir(o.out.c_str());
    return s;
  }
  std::cout << PublicJson(suite, *keys);
  std::cerr << "wrote " << o.out
            << ": node.pem issuer.pem transport.pem api.pem (0600), transport-cert.pem "
               "api-cert.pem public.json\n";
  return Status::Ok();
}

// ---- genesis ----

struct GenesisOptions {
  std::vector<std::string> members, p2p, api, agency;
  std::string suite;
  std::string out;
  std::string chain_id;
  uint64_t genesis_time_ms = 0;
};

// "NAME=VALUE" pairs of one option, in order; names unique.
Result<std::vector<std::pair<std::string, std::string>>> ParsePairs(
    const std::vector<std::string>& items, const std::string& option, const char* value_kind) {
  std::vector<std::pair<std::string, std::string>> out;
  std::map<std::string, bool> seen;
  for (const std::string& item : items) {
    const size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == item.size()) {
      return Status::InvalidArgument(option + ": expected NAME=" + value_kind + ", got \"" +
                                     item + "\"");
    }
    std::string name = item.substr(0, eq);
    if (!seen.emplace(name, true).second) {
      return Status::InvalidArgument(option + ": " + name + " given twice");
    }
    out.emplace_back(std::move(name), item.substr(eq + 1));
  }
  return out;
}

struct PublicKeys {
  Suite suite;
  PublicKey node_key, issuer_key;
  Bytes transport_key;
};

Result<PublicKeys> ReadPublicJson(const std::string& dir) {
  const std::string path = (fs::path(dir) / "public.json").string();
  HEARTH_ASSIGN_OR_RETURN(std::string text, node::ReadSmallFile(path, kPublicJsonBytesMax));
  HEARTH_ASSIGN_OR_RETURN(nlohmann::json j, node::ParseJsonStrict(text, path, kPublicJsonBytesMax));
  HEARTH_ASSIGN_OR_RETURN(node::JsonFields o, node::JsonFields::Of(j, path));
  HEARTH_RETURN_IF_ERROR(o.OnlyFields({"suite", "node_key", "transport_key", "issuer_key"}));
  HEARTH_ASSIGN_OR_RETURN(std::string suite_name, o.String("suite"));
  PublicKeys k;
  HEARTH_ASSIGN_OR_RETURN(k.suite, Where(ParseSuite(suite_name), o.PathOf("suite")));
  auto key = [&](std::string_view field, Suite s) -> Result<PublicKey> {
    HEARTH_ASSIGN_OR_RETURN(std::string hex, o.String(field));
    Result<Bytes> raw = FromHex(hex);
    if (!raw.ok()) return raw.status().Annotate(o.PathOf(field));
    Result<PublicKey> pk = PublicKey::FromRaw(s, *raw);
    if (!pk.ok()) return pk.status().Annotate(o.PathOf(field));
    return pk;
  };
  HEARTH_ASSIGN_OR_RETURN(k.node_key, key("node_key", k.suite));
  HEARTH_ASSIGN_OR_RETURN(k.issuer_key, key("issuer_key", k.suite));
  HEARTH_ASSIGN_OR_RETURN(PublicKey transport, key("transport_key", Suite::kEd25519Sha256));
  k.transport_key = transport.raw();
  return k;
}

// Applies NAME=VALUE overrides to the members; unknown names are errors.
template <typename Apply>
Status ApplyOverrides(const std::vector<std::string>& items, const std::string& option,
                      const char* value_kind, Genesis* g, Apply apply) {
  HEARTH_ASSIGN_OR_RETURN(auto pairs, ParsePairs(items, option, value_kind));
  for (const auto& [name, value] : pairs) {
    const std::optional<size_t> i = node::MemberIndexByName(*g, name);
    if (!i) return Status::InvalidArgument(option + ": no --member named " + name);
    HEARTH_RETURN_IF_ERROR(apply(g->members[*i], value).Annotate(option + " " + name));
  }
  return Status::Ok();
}

// The agency of member `name`: its --agency, else the name itself when it is an agency code.
Result<Agency> AgencyOf(const std::string& name, const std::map<std::string, std::string>& given) {
  auto it = given.find(name);
  if (it != given.end()) return Where(ParseAgency(it->second), "--agency " + name);
  Result<Agency> agency = ParseAgency(name);
  if (agency.ok()) return agency;
  return Status::InvalidArgument("--member " + name +
                                 ": the name is not an agency code; pass --agency " + name +
                                 "=AGENCY");
}

Status AddMembers(const GenesisOptions& o, Genesis* g) {
  HEARTH_ASSIGN_OR_RETURN(auto members, ParsePairs(o.members, "--member", "DIR"));
  HEARTH_ASSIGN_OR_RETURN(auto agency_pairs, ParsePairs(o.agency, "--agency", "AGENCY"));
  std::map<std::string, std::string> agencies;
  for (auto& [name, code] : agency_pairs) {
    bool known = false;
    for (const auto& mem : members) known = known || mem.first == name;
    if (!known) return Status::InvalidArgument("--agency: no --member named " + name);
    agencies.emplace(name, code);
  }
  for (size_t i = 0; i < members.size(); ++i) {
    const auto& [name, dir] = members[i];
    HEARTH_RETURN_IF_ERROR(node::ValidateMemberName(name).Annotate("--member " + name));
    HEARTH_ASSIGN_OR_RETURN(PublicKeys k, ReadPublicJson(dir));
    if (i == 0 && o.suite.empty()) g->suite = k.suite;
    if (k.suite != g->suite) {
      return Status::InvalidArgument("--member " + name + ": " + dir + "/public.json has suite " +
                                     std::string(SuiteName(k.suite)) + ", the genesis suite is " +
                                     std::string(SuiteName(g->suite)));
    }
    GenesisMember m;
    m.name = name;
    HEARTH_ASSIGN_OR_RETURN(m.agency, AgencyOf(name, agencies));
    m.node_key = std::move(k.node_key);
    m.transport_key = std::move(k.transport_key);
    m.issuer_keys.push_back(std::move(k.issuer_key));
    m.p2p = "127.0.0.1:" + std::to_string(kP2pPortBase + i);
    m.api = "https://127.0.0.1:" + std::to_string(kApiPortBase + i);
    g->members.push_back(std::move(m));
  }
  return Status::Ok();
}

Result<Genesis> BuildGenesis(const GenesisOptions& o) {
  Genesis g;
  if (!o.suite.empty()) {
    HEARTH_ASSIGN_OR_RETURN(g.suite, Where(ParseSuite(o.suite), "--suite"));
  }
  HEARTH_RETURN_IF_ERROR(AddMembers(o, &g));
  const size_t n = g.members.size();
  if (n > consensus::kMembersMax ||
      !consensus::CheckMemberCount(static_cast<uint32_t>(n)).ok()) {
    return Status::InvalidArgument("--member: " + std::to_string(n) +
                                   " members; n must be 3f+1 (1, 4, 7, 10, ...) so that 2f+1 "
                                   "votes are a Byzantine quorum");
  }
  g.f = consensus::FaultsTolerated(static_cast<uint32_t>(n));
  HEARTH_RETURN_IF_ERROR(ApplyOverrides(o.p2p, "--p2p", "host:port", &g,
                                        [](GenesisMember& m, const std::string& v) {
                                          m.p2p = v;
                                          return node::ParseHostPort(v).status();
                                        }));
  HEARTH_RETURN_IF_ERROR(ApplyOverrides(o.api, "--api", "URL", &g,
                                        [](GenesisMember& m, const std::string& v) {
                                          m.api = v;
                                          return node::ParseApiUrl(v).status();
                                        }));
  g.chain_id = o.chain_id;
  if (g.chain_id.empty()) {
    HEARTH_ASSIGN_OR_RETURN(Bytes r, RandomBytes(kChainIdRandomBytes));
    g.chain_id = "hearth-" + ToHex(r);
  }
  g.genesis_time_ms = o.genesis_time_ms;
  if (g.genesis_time_ms == 0) {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    g.genesis_time_ms = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
  }
  HEARTH_RETURN_IF_ERROR(node::ValidateGenesis(g));
  g.hash = node::GenesisHash(g);
  return g;
}

Status RunGenesis(const GenesisOptions& o) {
  if (fs::exists(fs::symlink_status(o.out))) {
    return Status::AlreadyExists("--out: " + o.out + " exists; refusing to overwrite");
  }
  HEARTH_ASSIGN_OR_RETURN(Genesis g, BuildGenesis(o));
  const std::string text = node::GenesisToJson(g);
  Result<Genesis> reparsed = node::ParseGenesis(text);
  HEARTH_CHECK_MSG(reparsed.ok() && *reparsed == g, "genesis JSON does not round trip");
  HEARTH_RETURN_IF_ERROR(WriteNewFile(o.out, text, 0644));
  std::cout << "chain_id " << g.chain_id << "\n"
            << "genesis_hash " << g.hash.Hex() << "\n";
  return Status::Ok();
}

// ---- pseudonym-key ----

Status RunPseudonymKey(const std::string& out) {
  HEARTH_ASSIGN_OR_RETURN(Bytes key, RandomBytes(kPseudonymKeyBytes));
  std::string text = ToHex(key) + "\n";
  OPENSSL_cleanse(key.data(), key.size());
  Status s = WriteNewFile(out, text, 0600);
  Cleanse(text);
  HEARTH_RETURN_IF_ERROR(s);
  std::cerr << "wrote " << out << " (0600).\n"
            << "warning: this is the consortium pseudonym key. Keep it outside every node data "
               "directory and its backups, give it to member nodes over a secure channel, and "
               "never log it: whoever holds it can link subject ids to national IDs.\n";
  return Status::Ok();
}

}  // namespace

void RegisterKeyCommands(CLI::App& app, CommandRegistry& registry) {
  auto k = std::make_shared<KeygenOptions>();
  CLI::App* keygen = app.add_subcommand("keygen", "create a member's node, transport, issuer "
                                                  "and API keys in a new folder");
  keygen->add_option("--out", k->out, "folder to create (absent or empty)")->required();
  keygen->add_option("--suite", k->suite, "ed25519-sha256 (default) or sm2-sm3");
  keygen->add_option("--name", k->name, "member name, certificate CN (default: folder name)");
  keygen->callback([k, &registry] { Report(RunKeygen(*k), registry); });

  auto g = std::make_shared<GenesisOptions>();
  CLI::App* genesis = app.add_subcommand("genesis", "write a genesis file from keygen folders");
  genesis->add_option("--member", g->members, "NAME=DIR of a keygen folder (repeat; n = 3f+1)")
      ->required();
  genesis->add_option("--out", g->out, "genesis file to create (never overwritten)")->required();
  genesis->add_option("--suite", g->suite, "ed25519-sha256 or sm2-sm3 (default: the members')");
  genesis->add_option("--chain-id", g->chain_id, "chain id (default: hearth-<random hex>)");
  genesis->add_option("--p2p", g->p2p, "NAME=host:port (default 127.0.0.1:7001+i)");
  genesis->add_option("--api", g->api, "NAME=https://host:port (default https://127.0.0.1:8001+i)");
  genesis->add_option("--agency", g->agency, "NAME=agency code (default: NAME)");
  genesis->add_option("--genesis-time-ms", g->genesis_time_ms, "unix ms (default: now)");
  genesis->callback([g, &registry] { Report(RunGenesis(*g), registry); });

  auto out = std::make_shared<std::string>();
  CLI::App* pk = app.add_subcommand("pseudonym-key", "create the consortium pseudonym key file");
  pk->add_option("--out", *out, "key file to create (0600, never overwritten)")->required();
  pk->callback([out, &registry] { Report(RunPseudonymKey(*out), registry); });
}

}  // namespace hearth::cli
