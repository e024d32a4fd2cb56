// Genesis: parse / print round trip, the hash and what it covers, every rejection with the
// field path in the message, address parsing, and the worked example of docs/FORMAT.md
// "Genesis" (HEARTH_UPDATE_DOCS=1 rewrites it; otherwise any difference fails).
#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "hearth/base/codec.h"
#include "hearth/node/genesis.h"
#include "ledger/format_doc.h"

using namespace hearth;
using namespace hearth::node;
using nlohmann::json;

namespace {

const char* const kAgencyNames[] = {"civil_affairs", "tax", "social_security",
                                    "disability_federation", "public_security",
                                    "property_registry", "financial"};

// Deterministic Ed25519 key from a one-byte seed pattern.
PrivateKey SeedKey(uint8_t seed) {
  Bytes s(32);
  for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<uint8_t>(seed + i);
  Result<PrivateKey> k = PrivateKey::Ed25519FromSeed(s);
  REQUIRE(k.ok());
  return *k;
}

PublicKey KeyOf(Suite suite, uint8_t seed) {
  if (suite == Suite::kEd25519Sha256) return SeedKey(seed).public_key();
  Result<PrivateKey> k = PrivateKey::Generate(suite);
  REQUIRE(k.ok());
  return k->public_key();
}

GenesisMember Member(Suite suite, size_t i) {
  GenesisMember m;
  m.name = kAgencyNames[i];
  m.agency = *ParseAgency(kAgencyNames[i]);
  const auto base = static_cast<uint8_t>(16 * i);
  m.node_key = KeyOf(suite, base);
  m.transport_key = SeedKey(static_cast<uint8_t>(base + 1)).public_key().raw();
  m.issuer_keys = {KeyOf(suite, static_cast<uint8_t>(base + 2))};
  m.p2p = "127.0.0.1:" + std::to_string(7001 + i);
  m.api = "https://127.0.0.1:" + std::to_string(8001 + i);
  return m;
}

Genesis FourMembers(Suite suite = Suite::kEd25519Sha256) {
  Genesis g;
  g.chain_id = "hearth-test";
  g.suite = suite;
  g.genesis_time_ms = 1'735'689'600'000ULL;  // 2025-01-01T00:00:00Z
  g.f = 1;
  for (size_t i = 0; i < 4; ++i) g.members.push_back(Member(suite, i));
  g.hash = GenesisHash(g);
  return g;
}

json JsonOf(const Genesis& g) { return json::parse(GenesisToJson(g)); }

// ParseGenesis of `j` fails and its message contains `want`.
void ExpectRejected(const json& j, const std::string& want) {
  Result<Genesis> r = ParseGenesis(j.dump());
  INFO("expected an error containing: " << want);
  REQUIRE_FALSE(r.ok());
  INFO("got: " << r.status().message());
  CHECK(r.status().code() == Code::kInvalidArgument);
  CHECK(r.status().message().find(want) != std::string::npos);
}

void ExpectTextRejected(const std::string& text, const std::string& want) {
  Result<Genesis> r = ParseGenesis(text);
  INFO("expected an error containing: " << want);
  REQUIRE_FALSE(r.ok());
  INFO("got: " << r.status().message());
  CHECK(r.status().message().find(want) != std::string::npos);
}

std::string ReadText(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("genesis JSON round trips and the hash covers identity, not addresses") {
  for (Suite suite : {Suite::kEd25519Sha256, Suite::kSm2Sm3}) {
    INFO(SuiteName(suite));
    const Genesis g = FourMembers(suite);
    Result<Genesis> back = ParseGenesis(GenesisToJson(g));
    REQUIRE(back.ok());
    CHECK(*back == g);
    CHECK(GenesisToJson(*back) == GenesisToJson(g));
    CHECK(back->hash == SuiteHash(suite, EncodeGenesis(g)));

    Genesis moved = g;
    moved.members[2].p2p = "10.0.0.7:9000";
    moved.members[2].api = "https://node3.example.org:443";
    CHECK(GenesisHash(moved) == g.hash);

    Genesis other = g;
    other.members[1].issuer_keys.push_back(KeyOf(suite, 200));
    CHECK(GenesisHash(other) != g.hash);
    other = g;
    other.chain_id = "hearth-other";
    CHECK(GenesisHash(other) != g.hash);
    other = g;
    other.genesis_time_ms += 1;
    CHECK(GenesisHash(other) != g.hash);
    other = g;
    std::swap(other.members[0], other.members[1]);  // order is identity (proposer index)
    CHECK(GenesisHash(other) != g.hash);
  }
  // The same encoding under the two suites gives different hashes (SHA-256 vs SM3).
  const Genesis g = FourMembers();
  CHECK(SuiteHash(Suite::kSm2Sm3, EncodeGenesis(g)) != GenesisHash(g));
}

TEST_CASE("genesis with one member (f = 0) and with seven (f = 2) parse") {
  Genesis g = FourMembers();
  g.members.resize(1);
  g.f = 0;
  REQUIRE(ParseGenesis(GenesisToJson(g)).ok());
  g = FourMembers();
  for (size_t i = 4; i < 7; ++i) g.members.push_back(Member(Suite::kEd25519Sha256, i));
  g.f = 2;
  REQUIRE(ParseGenesis(GenesisToJson(g)).ok());
}

TEST_CASE("genesis rejects bad keys with the field path") {
  const Genesis g = FourMembers();
  json j = JsonOf(g);
  j["members"][1]["node_key"] = "zz" + j["members"][1]["node_key"].get<std::string>().substr(2);
  ExpectRejected(j, "genesis.members[1].node_key: not hex");

  j = JsonOf(g);
  j["members"][2]["node_key"] = ToHex(KeyOf(Suite::kSm2Sm3, 0).raw());
  ExpectRejected(j, "genesis.members[2].node_key: not a valid ed25519-sha256 public key");

  const Genesis sm = FourMembers(Suite::kSm2Sm3);
  j = JsonOf(sm);
  j["members"][2]["node_key"] = ToHex(SeedKey(99).public_key().raw());
  ExpectRejected(j, "genesis.members[2].node_key: not a valid sm2-sm3 public key");
  j = JsonOf(sm);
  Bytes off_curve = sm.members[0].issuer_keys[0].raw();
  off_curve[64] ^= 1;
  j["members"][0]["issuer_keys"][0] = ToHex(off_curve);
  ExpectRejected(j, "genesis.members[0].issuer_keys[0]: not a valid sm2-sm3 public key");

  j = JsonOf(g);
  j["members"][3]["transport_key"] = ToHex(Bytes(31, 7));
  ExpectRejected(j, "genesis.members[3].transport_key: not a valid Ed25519 public key");
  j = JsonOf(sm);
  j["members"][3]["transport_key"] = ToHex(sm.members[3].node_key.raw());
  ExpectRejected(j, "genesis.members[3].transport_key: not a valid Ed25519 public key");

  j = JsonOf(g);
  j["members"][0]["issuer_keys"] = json::array({42});
  ExpectRejected(j, "genesis.members[0].issuer_keys[0]: expected a hex string");
  j = JsonOf(g);
  j["members"][0]["issuer_keys"] = json::array();
  for (uint8_t i = 0; i < 17; ++i) {
    j["members"][0]["issuer_keys"].push_back(ToHex(SeedKey(static_cast<uint8_t>(100 + i)).public_key().raw()));
  }
  ExpectRejected(j, "genesis.members[0].issuer_keys: 17 keys, at most 16");
}

TEST_CASE("genesis rejects any key used twice") {
  const Genesis g = FourMembers();
  json j = JsonOf(g);
  j["members"][3]["issuer_keys"][0] = j["members"][0]["node_key"];
  ExpectRejected(j, "genesis.members[3].issuer_keys[0]: key already used at genesis.members[0].node_key");

  j = JsonOf(g);
  j["members"][1]["transport_key"] = j["members"][1]["node_key"];
  ExpectRejected(j, "genesis.members[1].transport_key: key already used at genesis.members[1].node_key");

  j = JsonOf(g);
  j["members"][2]["node_key"] = j["members"][0]["node_key"];
  ExpectRejected(j, "genesis.members[2].node_key: key already used at genesis.members[0].node_key");

  j = JsonOf(g);
  j["members"][0]["issuer_keys"].push_back(j["members"][0]["issuer_keys"][0]);
  ExpectRejected(j, "genesis.members[0].issuer_keys[1]: key already used at genesis.members[0].issuer_keys[0]");

  j = JsonOf(g);  // upper-case hex is the same key
  std::string upper = j["members"][0]["node_key"].get<std::string>();
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  j["members"][1]["issuer_keys"][0] = upper;
  ExpectRejected(j, "genesis.members[1].issuer_keys[0]: key already used at genesis.members[0].node_key");
}

TEST_CASE("genesis rejects member counts that are not 3f+1 and a wrong f") {
  Genesis g = FourMembers();
  g.members.push_back(Member(Suite::kEd25519Sha256, 4));  // n = 5
  ExpectRejected(JsonOf(g), "genesis.members: 5 members; n must be 3f+1");
  g = FourMembers();
  g.members.resize(3);
  g.f = 0;
  ExpectRejected(JsonOf(g), "genesis.members: 3 members");
  g.members.clear();
  ExpectRejected(JsonOf(g), "genesis.members: 0 members");
  g = FourMembers();
  g.f = 0;
  ExpectRejected(JsonOf(g), "genesis.f: 0 but 4 members need f = 1");
  json j = JsonOf(FourMembers());
  j["f"] = -1;
  ExpectRejected(j, "genesis.f: expected a non-negative integer");
  j["f"] = 1.0;
  ExpectRejected(j, "genesis.f: expected a non-negative integer");
  j["members"] = json::object();
  j["f"] = 1;
  ExpectRejected(j, "genesis.members: expected an array");
}

TEST_CASE("genesis rejects unknown, missing, duplicate and mistyped fields") {
  const Genesis g = FourMembers();
  json j = JsonOf(g);
  j["extra"] = 1;
  ExpectRejected(j, "genesis.extra: unknown field");
  j = JsonOf(g);
  j["members"][1]["port"] = 7001;
  ExpectRejected(j, "genesis.members[1].port: unknown field");
  j = JsonOf(g);
  j["hash"] = g.hash.Hex();
  ExpectRejected(j, "genesis.hash: unknown field");

  for (const char* field : {"chain_id", "suite", "genesis_time_ms", "f", "members"}) {
    j = JsonOf(g);
    j.erase(field);
    ExpectRejected(j, std::string("genesis.") + field + ": missing");
  }
  for (const char* field :
       {"name", "agency", "node_key", "transport_key", "issuer_keys", "p2p", "api"}) {
    j = JsonOf(g);
    j["members"][2].erase(field);
    ExpectRejected(j, std::string("genesis.members[2].") + field + ": missing");
  }
  j = JsonOf(g);
  j["chain_id"] = 7;
  ExpectRejected(j, "genesis.chain_id: expected a string");
  j = JsonOf(g);
  j["members"][0] = "civil_affairs";
  ExpectRejected(j, "genesis.members[0]: expected an object");

  std::string text = GenesisToJson(g);
  text.insert(text.find('{') + 1, "\"f\": 1,");
  ExpectTextRejected(text, "duplicate key \"f\"");
  ExpectTextRejected("{\"chain_id\": ", "genesis: malformed JSON at byte");
  ExpectTextRejected("[1, 2]", "genesis: expected an object");
  ExpectTextRejected(GenesisToJson(g) + "x", "genesis: malformed JSON at byte");
  ExpectTextRejected(std::string(kGenesisBytesMax + 1, ' '), "genesis: 1048577 bytes exceeds the maximum");
  ExpectTextRejected("{\"members\": " + std::string(40, '[') + std::string(40, ']') + "}",
                     "nesting deeper than 32 levels");
}

TEST_CASE("genesis rejects bad values of every scalar field") {
  const Genesis g = FourMembers();
  struct Case {
    const char* member_field;  // nullptr: top level
    const char* field;
    json value;
    const char* want;
  };
  const Case cases[] = {
      {nullptr, "chain_id", "has space", "genesis.chain_id: characters"},
      {nullptr, "chain_id", "", "genesis.chain_id: length 0"},
      {nullptr, "suite", "rsa-sha1", "genesis.suite: unknown suite 'rsa-sha1'"},
      {nullptr, "genesis_time_ms", 0, "genesis.genesis_time_ms: 0 outside"},
      {nullptr, "genesis_time_ms", "1735689600000", "genesis.genesis_time_ms: expected a non-negative integer"},
      {"1", "name", "a b", "genesis.members[1].name"},
      {"1", "name", "", "genesis.members[1].name: length 0"},
      {"1", "name", "_tax", "genesis.members[1].name"},
      {"1", "name", "civil_affairs", "genesis.members[1].name: same as genesis.members[0].name"},
      {"2", "agency", "police", "genesis.members[2].agency: unknown agency code 'police'"},
      {"2", "agency", "tax", "genesis.members[2].agency: same as genesis.members[1].agency"},
      {"0", "p2p", "example.com:7001", "genesis.members[0].p2p"},
      {"0", "p2p", "127.0.0.1", "genesis.members[0].p2p"},
      {"0", "p2p", "127.0.0.1:0", "genesis.members[0].p2p"},
      {"0", "p2p", "127.0.0.1:70000", "genesis.members[0].p2p"},
      {"0", "p2p", "127.0.0.1:07001", "genesis.members[0].p2p"},
      {"0", "p2p", "256.0.0.1:7001", "genesis.members[0].p2p"},
      {"0", "p2p", "::1:7001", "genesis.members[0].p2p"},
      {"0", "p2p", "127.0.0.1:7002", "genesis.members[1].p2p: same as genesis.members[0].p2p"},
      {"3", "api", "ftp://127.0.0.1:8001", "genesis.members[3].api"},
      {"3", "api", "127.0.0.1:8001", "genesis.members[3].api"},
      {"3", "api", "https://127.0.0.1", "genesis.members[3].api"},
      {"3", "api", "https://127.0.0.1:8001/", "genesis.members[3].api"},
      {"3", "api", "https://user@127.0.0.1:8001", "genesis.members[3].api"},
      {"3", "api", "https://-bad.example:8001", "genesis.members[3].api"},
      {"3", "api", "https://127.0.0.1:8001", "genesis.members[3].api: same as genesis.members[0].api"},
  };
  for (const Case& c : cases) {
    json j = JsonOf(g);
    if (c.member_field == nullptr) {
      j[c.field] = c.value;
    } else {
      j["members"][std::stoul(c.member_field)][c.field] = c.value;
    }
    ExpectRejected(j, c.want);
  }
  // Accepted variants.
  json j = JsonOf(g);
  j["members"][0]["p2p"] = "[::1]:7001";
  j["members"][1]["p2p"] = "localhost:7002";
  j["members"][2]["api"] = "http://127.0.0.1:8003";
  j["members"][3]["api"] = "https://node-4.hearth.example:443";
  j["members"][1]["agency"] = "financial";  // the name need not be the agency code
  Result<Genesis> ok = ParseGenesis(j.dump());
  REQUIRE(ok.ok());
  CHECK(ok->members[1].agency == Agency::kFinancial);
}

TEST_CASE("ValidateGenesis checks a genesis built in code") {
  Genesis g = FourMembers();
  REQUIRE(ValidateGenesis(g).ok());
  g.members[1].issuer_keys.push_back(KeyOf(Suite::kSm2Sm3, 0));
  Status s = ValidateGenesis(g);
  REQUIRE_FALSE(s.ok());
  CHECK(s.message() == "genesis.members[1].issuer_keys[1]: not a valid ed25519-sha256 public key");
  g = FourMembers();
  g.members[0].node_key = PublicKey();
  CHECK(ValidateGenesis(g).message() == "genesis.members[0].node_key: not a valid ed25519-sha256 public key");
}

TEST_CASE("genesis lookups by node key id, name and issuer key id") {
  const Genesis g = FourMembers();
  CHECK(MemberIndexByNodeKeyId(g, g.members[2].node_key.Id()) == std::optional<size_t>(2));
  CHECK_FALSE(MemberIndexByNodeKeyId(g, g.members[2].issuer_keys[0].Id()));
  CHECK(MemberIndexByName(g, "tax") == std::optional<size_t>(1));
  CHECK_FALSE(MemberIndexByName(g, "Tax"));
  CHECK(IssuerAgency(g, g.members[3].issuer_keys[0].Id()) == Agency::kDisabilityFederation);
  CHECK_FALSE(IssuerAgency(g, g.members[3].node_key.Id()));
}

TEST_CASE("addresses: host:port, API URLs and loopback") {
  Result<HostPort> hp = ParseHostPort("[::1]:65535");
  REQUIRE(hp.ok());
  CHECK(hp->host == "::1");
  CHECK(hp->port == 65535);
  CHECK(ParseHostPort("localhost:1").ok());
  CHECK_FALSE(ParseHostPort("127.0.0.1:0").ok());
  CHECK(ParseHostPort("127.0.0.1:0", /*allow_port_zero=*/true).ok());
  CHECK_FALSE(ParseHostPort("127.0.0.1:-1", true).ok());
  CHECK_FALSE(ParseHostPort("[127.0.0.1]:80").ok());
  CHECK_FALSE(ParseHostPort("[::1]80").ok());
  CHECK_FALSE(ParseHostPort(":80").ok());
  CHECK_FALSE(ParseHostPort("1.2.3:80").ok());

  Result<ApiUrl> u = ParseApiUrl("http://[::1]:8080");
  REQUIRE(u.ok());
  CHECK_FALSE(u->tls);
  CHECK(u->host == "::1");
  CHECK(u->port == 8080);
  CHECK(ParseApiUrl("https://a.b-c.example:1")->tls);
  CHECK_FALSE(ParseApiUrl("https://a..b:1").ok());
  CHECK_FALSE(ParseApiUrl("https://a.b:1?x").ok());
  CHECK_FALSE(ParseApiUrl("HTTPS://a.b:1").ok());

  CHECK(IsLoopbackHost("127.0.0.1"));
  CHECK(IsLoopbackHost("127.9.8.7"));
  CHECK(IsLoopbackHost("::1"));
  CHECK(IsLoopbackHost("localhost"));
  CHECK_FALSE(IsLoopbackHost("0.0.0.0"));
  CHECK_FALSE(IsLoopbackHost("128.0.0.1"));
  CHECK_FALSE(IsLoopbackHost("::"));
}

TEST_CASE("LoadGenesisFile reads a file and names it in errors") {
  char tmpl[] = "/tmp/hearth-genesis-test-XXXXXX";
  REQUIRE(mkdtemp(tmpl) != nullptr);
  const std::filesystem::path dir(tmpl);
  const Genesis g = FourMembers();
  {
    std::ofstream out(dir / "genesis.json");
    out << GenesisToJson(g);
  }
  Result<Genesis> loaded = LoadGenesisFile((dir / "genesis.json").string());
  REQUIRE(loaded.ok());
  CHECK(*loaded == g);

  Result<Genesis> missing = LoadGenesisFile((dir / "nope.json").string());
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == Code::kIOError);
  CHECK(missing.status().message().find("nope.json") != std::string::npos);

  json j = JsonOf(g);
  j["f"] = 2;
  {
    std::ofstream out(dir / "bad.json");
    out << j.dump();
  }
  Result<Genesis> bad = LoadGenesisFile((dir / "bad.json").string());
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("bad.json: genesis.f: 2") != std::string::npos);
  Result<Genesis> not_file = LoadGenesisFile(dir.string());
  REQUIRE_FALSE(not_file.ok());
  std::filesystem::remove_all(dir);
}

// ---- docs/FORMAT.md "Genesis" worked example ----

namespace {

Genesis ExampleGenesis() {
  Genesis g;
  g.chain_id = "hearth-example";
  g.suite = Suite::kEd25519Sha256;
  g.genesis_time_ms = 1'735'689'600'000ULL;
  g.f = 0;
  GenesisMember m;
  m.name = "civil_affairs";
  m.agency = Agency::kCivilAffairs;
  m.node_key = SeedKey(0x01).public_key();
  m.transport_key = SeedKey(0x21).public_key().raw();
  m.issuer_keys = {SeedKey(0x41).public_key(), SeedKey(0x61).public_key()};
  m.p2p = "127.0.0.1:7001";
  m.api = "https://127.0.0.1:8001";
  g.members.push_back(m);
  g.hash = GenesisHash(g);
  return g;
}

std::string SeedText(uint8_t seed) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "Ed25519 seed %02x %02x .. %02x", seed, seed + 1, seed + 31);
  return buf;
}

std::string GenesisExample() {
  const Genesis g = ExampleGenesis();
  REQUIRE(ParseGenesis(GenesisToJson(g)).ok());
  formatdoc::Annotated a;
  a.U8("tag", kGenesisTag, "genesis");
  a.U8("version", kGenesisVersion);
  a.U8("suite", static_cast<uint8_t>(g.suite), std::string(SuiteName(g.suite)));
  a.Str("chain_id", g.chain_id);
  a.U64("genesis_time_ms", g.genesis_time_ms, "2025-01-01T00:00:00.000Z");
  a.U32("f", g.f);
  a.Count("n", g.members.size());
  const GenesisMember& m = g.members[0];
  a.Str("members[0].name", m.name);
  a.U8("members[0].agency", static_cast<uint8_t>(m.agency), std::string(AgencyCode(m.agency)));
  a.Blob("members[0].node_key", m.node_key.raw(), SeedText(0x01));
  a.Blob("members[0].transport_key", m.transport_key, SeedText(0x21));
  a.Count("members[0].issuer_keys", m.issuer_keys.size());
  a.Blob("members[0].issuer_keys[0]", m.issuer_keys[0].raw(), SeedText(0x41));
  a.Blob("members[0].issuer_keys[1]", m.issuer_keys[1].raw(), SeedText(0x61));
  REQUIRE(a.bytes() == EncodeGenesis(g));

  std::string out = "The genesis file (keys from RFC 8032 seeds `s, s+1, ..., s+31`):\n\n```json\n" +
                    GenesisToJson(g) + "```\n\nIts encoding (" + std::to_string(a.bytes().size()) +
                    " bytes):\n\n" + a.Table() + "\n" + formatdoc::HexBlock(a.bytes()) +
                    "\ngenesis hash = SHA-256(encoding) = " + formatdoc::Tick(g.hash.Hex()) + "\n";
  return out;
}

}  // namespace

TEST_CASE("docs/FORMAT.md Genesis example matches the code") {
  const std::filesystem::path doc_path =
      std::filesystem::path(HEARTH_SOURCE_DIR) / "docs" / "FORMAT.md";
  std::string doc = ReadText(doc_path);
  REQUIRE_FALSE(doc.empty());
  const std::string body = GenesisExample();
  bool found = false;
  const std::string current = formatdoc::RegionOf(doc, "genesis", &found);
  if (!found) FAIL("docs/FORMAT.md has no region <!-- BEGIN example:genesis --> ... <!-- END example:genesis -->");
  const char* update = std::getenv("HEARTH_UPDATE_DOCS");
  if (update != nullptr && std::string_view(update) == "1") {
    REQUIRE(formatdoc::ReplaceRegion(doc, "genesis", body));
    std::ofstream out(doc_path, std::ios::binary | std::ios::trunc);
    out << doc;
    REQUIRE(out.good());
    return;
  }
  INFO("regenerate with HEARTH_UPDATE_DOCS=1 build/bin/node_genesis_test\n--- generated ---\n" << body);
  CHECK(current == body);
  // The hash in the prose is the one this code computes.
  CHECK(current.find(ExampleGenesis().hash.Hex()) != std::string::npos);
}
