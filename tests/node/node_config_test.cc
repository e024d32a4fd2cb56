// Node config: parsing (paths resolved against the config folder, defaults, strictness with
// the field named), round trip, and the cross-check of a voter's key files against genesis.
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "hearth/ledger/block.h"
#include "hearth/node/node_config.h"
#include "hearth/node/tls.h"

using namespace hearth;
using namespace hearth::node;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/hearth-node-config-test-XXXXXX";
    HEARTH_CHECK(mkdtemp(tmpl) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

json VoterJson() {
  return json{{"genesis_path", "genesis.json"},
              {"data_dir", "data"},
              {"role", "voter"},
              {"member_name", "tax"},
              {"node_key_path", "keys/node.pem"},
              {"transport_key_path", "keys/transport.pem"},
              {"transport_cert_path", "keys/transport-cert.pem"},
              {"api_key_path", "keys/api.pem"},
              {"api_cert_path", "keys/api-cert.pem"},
              {"p2p_listen", "127.0.0.1:7002"},
              {"api_listen", "127.0.0.1:8002"}};
}

json ObserverJson() {
  return json{{"genesis_path", "/etc/hearth/genesis.json"},
              {"data_dir", "/var/lib/hearth"},
              {"role", "observer"},
              {"api_listen", "127.0.0.1:0"},
              {"api_tls", false},
              {"follow", json::array({json{{"url", "https://127.0.0.1:8001"},
                                           {"api_cert_path", "certs/tax-api-cert.pem"},
                                           {"token_path", "follow.token"}},
                                      json{{"url", "http://127.0.0.1:8002"},
                                           {"token_path", "/secrets/follow.token"}}})}};
}

// ObserverJson() with follow[i][key] = v (or erased when v is null).
json WithFollow(size_t i, const std::string& key, json v) {
  json j = ObserverJson();
  if (v.is_null()) {
    j["follow"][i].erase(key);
  } else {
    j["follow"][i][key] = std::move(v);
  }
  return j;
}

void ExpectRejected(const json& j, const std::string& want) {
  Result<NodeConfig> r = ParseNodeConfig(j.dump(), "/srv/node");
  INFO("expected an error containing: " << want);
  REQUIRE_FALSE(r.ok());
  INFO("got: " << r.status().message());
  CHECK(r.status().code() == Code::kInvalidArgument);
  CHECK(r.status().message().find(want) != std::string::npos);
}

}  // namespace

TEST_CASE("voter config: paths resolved against the config folder, defaults, round trip") {
  json j = VoterJson();
  j["pseudonym_key_path"] = "../secrets/pseudonym.key";
  j["tokens"] = {{"alice", {{"token_sha256", std::string(64, 'a')}, {"role", "caseworker"},
                            {"agency", "civil_affairs"}, {"expires_ms", 1}}}};
  Result<NodeConfig> c = ParseNodeConfig(j.dump(), "/srv/node");
  REQUIRE(c.ok());
  CHECK(c->is_voter());
  CHECK(c->genesis_path == "/srv/node/genesis.json");
  CHECK(c->data_dir == "/srv/node/data");
  CHECK(c->node_key_path == "/srv/node/keys/node.pem");
  CHECK(c->transport_cert_path == "/srv/node/keys/transport-cert.pem");
  CHECK(c->api_cert_path == "/srv/node/keys/api-cert.pem");
  CHECK(c->pseudonym_key_path == "/srv/secrets/pseudonym.key");
  CHECK(c->api_tls);
  CHECK(c->log_level == "info");
  CHECK(c->mempool_max == 50000);
  CHECK(c->mempool_bytes_max == size_t{128} << 20);
  CHECK(c->block_txs_max == 4096);
  CHECK(c->block_interval_ms == 200);
  CHECK(c->tokens["alice"]["role"] == "caseworker");

  Result<NodeConfig> back = ParseNodeConfig(NodeConfigToJson(*c), "/elsewhere");
  REQUIRE(back.ok());
  CHECK(*back == *c);

  j = VoterJson();
  j["log_level"] = "debug";
  j["mempool_max"] = 5;
  j["mempool_bytes_max"] = kMempoolBytesMin;
  j["block_txs_max"] = kBlockTxsMax;
  j["block_interval_ms"] = 0;
  j["genesis_path"] = "/abs/genesis.json";
  c = ParseNodeConfig(j.dump(), "/srv/node");
  REQUIRE(c.ok());
  CHECK(c->genesis_path == "/abs/genesis.json");
  CHECK(c->mempool_max == 5);
  CHECK(c->mempool_bytes_max == kMempoolBytesMin);
  back = ParseNodeConfig(NodeConfigToJson(*c), "/elsewhere");
  REQUIRE(back.ok());
  CHECK(back->mempool_bytes_max == kMempoolBytesMin);
  CHECK(c->block_txs_max == kBlockTxsMax);
  CHECK(c->block_interval_ms == 0);
  CHECK(c->log_level == "debug");
}

TEST_CASE("observer config parses and round trips") {
  Result<NodeConfig> c = ParseNodeConfig(ObserverJson().dump(), "/srv/obs");
  REQUIRE(c.ok());
  CHECK_FALSE(c->is_voter());
  REQUIRE(c->follow.size() == 2);
  CHECK(c->follow[0].url == "https://127.0.0.1:8001");
  CHECK(c->follow[0].api_cert_path == "/srv/obs/certs/tax-api-cert.pem");
  CHECK(c->follow[0].token_path == "/srv/obs/follow.token");
  CHECK(c->follow[1].url == "http://127.0.0.1:8002");
  CHECK(c->follow[1].api_cert_path.empty());
  CHECK(c->follow[1].token_path == "/secrets/follow.token");
  CHECK(c->member_name.empty());
  CHECK(c->p2p_listen.empty());
  CHECK_FALSE(c->api_tls);
  CHECK(c->api_key_path.empty());
  CHECK(c->tokens == json::object());
  Result<NodeConfig> back = ParseNodeConfig(NodeConfigToJson(*c), "");
  REQUIRE(back.ok());
  CHECK(*back == *c);
}

TEST_CASE("node config rejections name the field") {
  auto with = [](json j, const std::string& key, json v) {
    j[key] = std::move(v);
    return j;
  };
  auto without = [](json j, const std::string& key) {
    j.erase(key);
    return j;
  };
  ExpectRejected(with(VoterJson(), "listen", "x"), "node.json: listen: unknown field");
  ExpectRejected(without(VoterJson(), "genesis_path"), "node.json: genesis_path: missing");
  ExpectRejected(without(VoterJson(), "data_dir"), "node.json: data_dir: missing");
  ExpectRejected(without(VoterJson(), "role"), "node.json: role: missing");
  ExpectRejected(with(VoterJson(), "role", "leader"), "node.json: role: \"leader\" is not voter or observer");
  ExpectRejected(without(VoterJson(), "member_name"), "node.json: member_name: missing");
  ExpectRejected(with(VoterJson(), "member_name", "a/b"), "node.json: member_name:");
  ExpectRejected(without(VoterJson(), "node_key_path"), "node.json: node_key_path: missing");
  ExpectRejected(without(VoterJson(), "transport_cert_path"), "node.json: transport_cert_path: missing");
  ExpectRejected(without(VoterJson(), "p2p_listen"), "node.json: p2p_listen: missing");
  ExpectRejected(with(VoterJson(), "p2p_listen", "0.0.0.0"), "node.json: p2p_listen:");
  ExpectRejected(with(VoterJson(), "p2p_listen", "host.example:7001"), "node.json: p2p_listen:");
  ExpectRejected(with(VoterJson(), "follow", ObserverJson()["follow"]),
                 "node.json: follow: only for role observer");
  ExpectRejected(with(VoterJson(), "node_key_path", ""), "node.json: node_key_path: must not be empty");
  ExpectRejected(with(VoterJson(), "data_dir", 5), "node.json: data_dir: expected a string");
  ExpectRejected(without(VoterJson(), "api_listen"), "node.json: api_listen: missing");
  ExpectRejected(with(VoterJson(), "api_listen", "127.0.0.1:99999"), "node.json: api_listen:");
  ExpectRejected(without(VoterJson(), "api_key_path"), "node.json: api_key_path: missing");
  ExpectRejected(without(VoterJson(), "api_cert_path"), "node.json: api_cert_path: missing");
  ExpectRejected(with(VoterJson(), "api_tls", "no"), "node.json: api_tls: expected true or false");

  json plain = without(without(VoterJson(), "api_key_path"), "api_cert_path");
  plain["api_tls"] = false;
  REQUIRE(ParseNodeConfig(plain.dump(), "").ok());
  ExpectRejected(with(plain, "api_listen", "0.0.0.0:8002"),
                 "node.json: api_tls: false requires a loopback api_listen (got 0.0.0.0:8002");
  ExpectRejected(with(plain, "api_listen", "10.1.2.3:8002"), "node.json: api_tls: false requires a loopback");
  ExpectRejected(with(plain, "api_key_path", "k.pem"), "node.json: api_key_path: not used when api_tls is false");

  ExpectRejected(with(VoterJson(), "mempool_max", 0), "node.json: mempool_max: 0 outside 1..10000000");
  ExpectRejected(with(VoterJson(), "mempool_max", -5), "node.json: mempool_max: expected a non-negative integer");
  ExpectRejected(with(VoterJson(), "mempool_bytes_max", kMempoolBytesMin - 1),
                 "node.json: mempool_bytes_max: 1048575 outside 1048576..68719476736");
  ExpectRejected(with(VoterJson(), "mempool_bytes_max", kMempoolBytesLimit + 1),
                 "node.json: mempool_bytes_max: 68719476737 outside 1048576..68719476736");
  ExpectRejected(with(VoterJson(), "mempool_bytes_max", "64MiB"),
                 "node.json: mempool_bytes_max: expected a non-negative integer");
  ExpectRejected(with(VoterJson(), "block_txs_max", kBlockTxsMax + 1), "node.json: block_txs_max:");
  ExpectRejected(with(VoterJson(), "block_interval_ms", 60001), "node.json: block_interval_ms:");
  ExpectRejected(with(VoterJson(), "log_level", "verbose"), "node.json: log_level: \"verbose\"");
  ExpectRejected(with(VoterJson(), "tokens", json::array()), "node.json: tokens: expected an object");

  ExpectRejected(with(ObserverJson(), "member_name", "tax"), "node.json: member_name: only for role voter");
  ExpectRejected(with(ObserverJson(), "p2p_listen", "127.0.0.1:1"), "node.json: p2p_listen: only for role voter");
  ExpectRejected(without(ObserverJson(), "follow"), "node.json: follow: missing");
  ExpectRejected(with(ObserverJson(), "follow", json::array()), "node.json: follow: 0 URLs");
  ExpectRejected(with(ObserverJson(), "follow", "https://127.0.0.1:8001"),
                 "node.json: follow: expected an array");
  ExpectRejected(with(ObserverJson(), "follow", json::array({"https://127.0.0.1:8001"})),
                 "node.json: follow[0]: expected an object");
  ExpectRejected(WithFollow(1, "token", "abc"), "node.json: follow[1].token: unknown field");
  ExpectRejected(WithFollow(0, "url", nullptr), "node.json: follow[0].url: missing");
  ExpectRejected(WithFollow(0, "url", ""), "node.json: follow[0].url: must not be empty");
  ExpectRejected(WithFollow(0, "url", 8001), "node.json: follow[0].url: expected a string");
  ExpectRejected(WithFollow(0, "url", "127.0.0.1:8001"), "node.json: follow[0].url:");
  ExpectRejected(WithFollow(0, "url", "https://127.0.0.1:8001/v1"), "node.json: follow[0].url:");
  ExpectRejected(WithFollow(1, "url", "https://127.0.0.1:8001"),
                 "node.json: follow[1].url: duplicate URL https://127.0.0.1:8001");
  ExpectRejected(WithFollow(0, "api_cert_path", nullptr), "node.json: follow[0].api_cert_path: missing");
  ExpectRejected(WithFollow(0, "api_cert_path", ""), "node.json: follow[0].api_cert_path: must not be empty");
  ExpectRejected(WithFollow(1, "api_cert_path", "c.pem"),
                 "node.json: follow[1].api_cert_path: not used with an http:// url");
  ExpectRejected(WithFollow(1, "url", "http://10.0.0.7:8002"),
                 "node.json: follow[1].url: http:// only on a loopback host");
  ExpectRejected(WithFollow(0, "token_path", nullptr), "node.json: follow[0].token_path: missing");
  ExpectRejected(WithFollow(1, "token_path", 5), "node.json: follow[1].token_path: expected a string");
  {
    json many = ObserverJson();
    many["follow"] = json::array();
    for (size_t i = 0; i <= kFollowMax; ++i) {
      many["follow"].push_back({{"url", "http://127.0.0.1:" + std::to_string(1000 + i)},
                                {"token_path", "t"}});
    }
    ExpectRejected(many, "node.json: follow: 257 URLs, expected 1..256");
    many["follow"].erase(many["follow"].size() - 1);
    CHECK(ParseNodeConfig(many.dump(), "").ok());
  }

  Result<NodeConfig> dup = ParseNodeConfig(R"({"role": "voter", "role": "observer"})", "");
  REQUIRE_FALSE(dup.ok());
  CHECK(dup.status().message().starts_with("node.json: malformed JSON"));
  CHECK(dup.status().message().ends_with("duplicate key \"role\""));
  Result<NodeConfig> junk = ParseNodeConfig("role: voter", "");
  REQUIRE_FALSE(junk.ok());
  CHECK(junk.status().message().starts_with("node.json: malformed JSON at byte"));
}

TEST_CASE("LoadNodeConfigFile resolves paths against its folder and names the file") {
  TempDir tmp;
  const fs::path cfg = tmp.path() / "node.json";
  {
    std::ofstream out(cfg);
    out << VoterJson().dump(2);
  }
  Result<NodeConfig> c = LoadNodeConfigFile(cfg.string());
  REQUIRE(c.ok());
  CHECK(c->node_key_path == (tmp.path() / "keys/node.pem").string());
  // A relative config path still gives absolute paths.
  const fs::path cwd = fs::current_path();
  fs::current_path(tmp.path());
  Result<NodeConfig> rel = LoadNodeConfigFile("node.json");
  fs::current_path(cwd);
  REQUIRE(rel.ok());
  CHECK(rel->data_dir == (fs::canonical(tmp.path()) / "data").string());
  {
    std::ofstream out(tmp.path() / "bad.json");
    json j = VoterJson();
    j["mempool_max"] = 0;
    out << j.dump();
  }
  Result<NodeConfig> bad = LoadNodeConfigFile((tmp.path() / "bad.json").string());
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message() == (tmp.path() / "bad.json").string() +
                                      ": mempool_max: 0 outside 1..10000000");
  CHECK_FALSE(LoadNodeConfigFile((tmp.path() / "missing.json").string()).ok());
}

namespace {

// Keys of one member written as keygen would (names as in keygen's folder).
struct MemberFiles {
  PrivateKey node, transport, issuer;
  fs::path dir;
};

MemberFiles WriteMember(const fs::path& dir, Suite suite, const std::string& name) {
  fs::create_directories(dir);
  MemberFiles m{*PrivateKey::Generate(suite), *PrivateKey::Generate(Suite::kEd25519Sha256),
                *PrivateKey::Generate(suite), dir};
  REQUIRE(m.node.SavePemFile((dir / "node.pem").string()).ok());
  REQUIRE(m.transport.SavePemFile((dir / "transport.pem").string()).ok());
  Result<std::string> cert =
      SelfSignedCertificatePem(*m.transport.ToPem(), name, 30, {}, {});
  REQUIRE(cert.ok());
  std::ofstream(dir / "transport-cert.pem") << *cert;
  return m;
}

Genesis GenesisOf(const std::vector<MemberFiles>& files, Suite suite) {
  const char* const names[] = {"civil_affairs", "tax", "social_security", "disability_federation"};
  Genesis g;
  g.chain_id = "hearth-config-test";
  g.suite = suite;
  g.genesis_time_ms = 1'735'689'600'000ULL;
  g.f = 1;
  for (size_t i = 0; i < files.size(); ++i) {
    GenesisMember m;
    m.name = names[i];
    m.agency = *ParseAgency(names[i]);
    m.node_key = files[i].node.public_key();
    m.transport_key = files[i].transport.public_key().raw();
    m.issuer_keys = {files[i].issuer.public_key()};
    m.p2p = "127.0.0.1:" + std::to_string(7001 + i);
    m.api = "https://127.0.0.1:" + std::to_string(8001 + i);
    g.members.push_back(m);
  }
  REQUIRE(ValidateGenesis(g).ok());
  g.hash = GenesisHash(g);
  return g;
}

NodeConfig VoterFor(const fs::path& root, const MemberFiles& m, const std::string& name) {
  NodeConfig c = *ParseNodeConfig(VoterJson().dump(), root.string());
  c.member_name = name;
  c.node_key_path = (m.dir / "node.pem").string();
  c.transport_key_path = (m.dir / "transport.pem").string();
  c.transport_cert_path = (m.dir / "transport-cert.pem").string();
  return c;
}

void ExpectMismatch(const NodeConfig& c, const Genesis& g, const std::string& want) {
  Status s = ValidateNodeConfigAgainstGenesis(c, g);
  INFO("expected an error containing: " << want);
  REQUIRE_FALSE(s.ok());
  INFO("got: " << s.message());
  CHECK(s.message().find(want) != std::string::npos);
}

}  // namespace

TEST_CASE("config cross-check against genesis names the wrong field") {
  for (Suite suite : {Suite::kEd25519Sha256, Suite::kSm2Sm3}) {
    INFO(SuiteName(suite));
    TempDir tmp;
    std::vector<MemberFiles> files;
    for (int i = 0; i < 4; ++i) {
      files.push_back(WriteMember(tmp.path() / ("m" + std::to_string(i)), suite, "m"));
    }
    const Genesis g = GenesisOf(files, suite);
    const NodeConfig good = VoterFor(tmp.path(), files[1], "tax");
    REQUIRE(ValidateNodeConfigAgainstGenesis(good, g).ok());

    NodeConfig c = good;
    c.member_name = "treasury";
    ExpectMismatch(c, g, "node.json: member_name: no member \"treasury\" in genesis (members: "
                         "civil_affairs, tax, social_security, disability_federation)");
    c = good;
    c.node_key_path = (files[0].dir / "node.pem").string();
    ExpectMismatch(c, g, "node.json: node_key_path: public key ");
    ExpectMismatch(c, g, "is not the node key of member tax in genesis");
    c = good;
    c.node_key_path = (files[1].dir / "transport.pem").string();  // an Ed25519 key
    if (suite == Suite::kSm2Sm3) {
      ExpectMismatch(c, g, "node.json: node_key_path (a sm2-sm3 private key)");
    } else {
      ExpectMismatch(c, g, "node.json: node_key_path: public key");
    }
    c = good;
    c.node_key_path = (tmp.path() / "absent.pem").string();
    ExpectMismatch(c, g, "node.json: node_key_path");
    c = good;
    c.transport_key_path = (files[2].dir / "transport.pem").string();
    ExpectMismatch(c, g, "node.json: transport_key_path: public key");
    c = good;
    c.transport_cert_path = (files[2].dir / "transport-cert.pem").string();
    ExpectMismatch(c, g, "node.json: transport_cert_path: certificate key");
    c = good;
    c.transport_cert_path = (files[1].dir / "node.pem").string();  // not a certificate
    ExpectMismatch(c, g, "node.json: transport_cert_path");

    c = good;
    c.pseudonym_key_path = c.data_dir + "/keys/../pseudonym.key";
    ExpectMismatch(c, g, "node.json: pseudonym_key_path: ");
    c.pseudonym_key_path = c.data_dir + "/../pseudonym.key";
    CHECK(ValidateNodeConfigAgainstGenesis(c, g).ok());

    // An observer has no keys to check; its members' certificates and tokens are read.
    const fs::path odir = tmp.path() / "observer";
    fs::create_directories(odir / "certs");
    Result<std::string> api_key = GenerateEcdsaP256KeyPem();
    REQUIRE(api_key.ok());
    Result<std::string> api_cert = SelfSignedCertificatePem(*api_key, "tax", 30, {"127.0.0.1"}, {});
    REQUIRE(api_cert.ok());
    std::ofstream(odir / "certs/tax-api-cert.pem") << *api_cert;
    const std::string token(64, 'a');
    std::ofstream(odir / "follow.token") << "\n  " << token << "\n";
    json oj = ObserverJson();
    oj["follow"][1]["token_path"] = "follow.token";
    const NodeConfig obs_good = *ParseNodeConfig(oj.dump(), odir.string());
    CHECK(ValidateNodeConfigAgainstGenesis(obs_good, g).ok());
    Result<std::string> read = ReadFollowToken((odir / "follow.token").string());
    REQUIRE(read.ok());
    CHECK(*read == token);
    NodeConfig obs = obs_good;
    obs.pseudonym_key_path = obs.data_dir + "/pseudonym.key";
    ExpectMismatch(obs, g, "node.json: pseudonym_key_path: ");
    obs = obs_good;
    obs.follow[0].api_cert_path = (odir / "certs/absent.pem").string();
    ExpectMismatch(obs, g, "node.json: follow[0].api_cert_path: ");
    obs.follow[0].api_cert_path = (files[1].dir / "node.pem").string();  // a key, not a certificate
    ExpectMismatch(obs, g, "node.json: follow[0].api_cert_path: CA certificate: no PEM certificate found");
    obs = obs_good;
    obs.follow[1].token_path = (odir / "absent.token").string();
    ExpectMismatch(obs, g, "node.json: follow[1].token_path: ");
    auto bad_token = [&](const std::string& text, const std::string& want) {
      std::ofstream(odir / "bad.token", std::ios::trunc) << text;
      NodeConfig o = obs_good;
      o.follow[1].token_path = (odir / "bad.token").string();
      ExpectMismatch(o, g, "node.json: follow[1].token_path: " + (odir / "bad.token").string() + ": " + want);
    };
    bad_token("", "no token in the file");
    bad_token(" \n\t\n", "no token in the file");
    bad_token("two words", "the token must be one word of printable ASCII");
    bad_token(std::string(257, 'b'), "token longer than 256 characters");
    // The token never appears in an error.
    NodeConfig o = obs_good;
    std::ofstream(odir / "bad.token", std::ios::trunc) << "secret\x01value";
    o.follow[1].token_path = (odir / "bad.token").string();
    Status s = ValidateNodeConfigAgainstGenesis(o, g);
    REQUIRE_FALSE(s.ok());
    CHECK(s.message().find("secret") == std::string::npos);
  }
}

TEST_CASE("PathIsInside follows symlinks and ..") {
  TempDir tmp;
  const fs::path data = tmp.path() / "data";
  fs::create_directories(data / "sub");
  fs::create_symlink(data / "sub", tmp.path() / "link");
  CHECK(PathIsInside((data / "x").string(), data.string()));
  CHECK(PathIsInside(data.string(), data.string()));
  CHECK(PathIsInside((tmp.path() / "link" / "key").string(), data.string()));
  CHECK_FALSE(PathIsInside((data / ".." / "key").string(), data.string()));
  CHECK_FALSE(PathIsInside((tmp.path() / "data2" / "key").string(), data.string()));
}
