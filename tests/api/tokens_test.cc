// Principals and bearer tokens (api/tokens.h).
#include "hearth/api/tokens.h"

#include <unistd.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <cstdio>
#include <fstream>
#include <string>

namespace hearth::api {
namespace {

using json = nlohmann::json;

constexpr uint64_t kNow = 1'750'000'000'000ULL;

struct Fixture {
  MintedToken tax = *MintToken();
  MintedToken auditor = *MintToken();
  json config = {
      {"tax-system", TokenEntryJson(tax.token_sha256, Role::kAgency, Agency::kTax, kNow + 1000)},
      {"auditor.li", TokenEntryJson(auditor.token_sha256, Role::kAuditor, std::nullopt, kNow)},
  };
};

std::string ErrorOf(const json& j) {
  Result<TokenStore> s = TokenStore::FromJson(j);
  if (s.ok()) return "";
  CHECK(s.status().code() == Code::kInvalidArgument);
  return s.status().message();
}

TEST_CASE("minted tokens are 64 hex digits, distinct, with their SHA-256") {
  Result<MintedToken> a = MintToken();
  Result<MintedToken> b = MintToken();
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->token.size() == 64);
  CHECK(FromHex(a->token).ok());
  CHECK(a->token != b->token);
  CHECK(a->token_sha256 == TokenHash(a->token));
  CHECK(TokenHash("abc").Hex() ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");  // FIPS 180-2
}

TEST_CASE("authenticate: right token, unknown token, expired token") {
  Fixture fx;
  Result<TokenStore> store = TokenStore::FromJson(fx.config);
  REQUIRE(store.ok());
  CHECK(store->size() == 2);

  Result<Principal> p = store->Authenticate(fx.tax.token, kNow);
  REQUIRE(p.ok());
  CHECK(p->name == "tax-system");
  CHECK(p->role == Role::kAgency);
  CHECK(p->agency == Agency::kTax);
  CHECK(p->expires_ms == kNow + 1000);
  CHECK(store->Authenticate(fx.tax.token, kNow + 999).ok());
  CHECK(store->Authenticate(fx.tax.token, kNow + 1000).status().code() ==
        Code::kFailedPrecondition);

  // Expired exactly at expires_ms.
  CHECK(store->Authenticate(fx.auditor.token, kNow).status().code() == Code::kFailedPrecondition);
  CHECK(store->Authenticate(fx.auditor.token, kNow - 1).ok());

  // Unknown: another token, the hash itself, a prefix, empty, oversized.
  Result<MintedToken> other = MintToken();
  REQUIRE(other.ok());
  for (const std::string& t :
       {other->token, fx.tax.token_sha256.Hex(), fx.tax.token.substr(0, 63), std::string(),
        std::string(kTokenBytesMax + 1, 'a')}) {
    CHECK(store->Authenticate(t, kNow).status().code() == Code::kVerifyFailed);
  }
  CHECK(TokenStore().Authenticate(fx.tax.token, kNow).status().code() == Code::kVerifyFailed);
}

TEST_CASE("roles parse and print") {
  for (Role r : {Role::kAgency, Role::kCaseworker, Role::kAuditor, Role::kAdmin}) {
    Result<Role> back = ParseRole(RoleName(r));
    REQUIRE(back.ok());
    CHECK(*back == r);
  }
  CHECK(!ParseRole("Admin").ok());
}

TEST_CASE("load errors name the field") {
  Fixture fx;
  auto edit = [&](const std::string& who, const std::string& key, json v) {
    json j = fx.config;
    if (v.is_discarded()) {
      j[who].erase(key);
    } else {
      j[who][key] = std::move(v);
    }
    return ErrorOf(j);
  };
  const json kErase = json::value_t::discarded;
  CHECK(edit("tax-system", "role", "boss").find("tokens.tax-system.role: unknown role 'boss'") == 0);
  CHECK(edit("tax-system", "role", kErase) == "tokens.tax-system.role: missing");
  CHECK(edit("tax-system", "token_sha256", kErase) == "tokens.tax-system.token_sha256: missing");
  CHECK(edit("tax-system", "token_sha256", "abcd") ==
        "tokens.tax-system.token_sha256: expected 64 hex digits, got 4");
  CHECK(edit("tax-system", "agency", kErase) == "tokens.tax-system.agency: missing");
  CHECK(edit("tax-system", "agency", "army").find("tokens.tax-system.agency: unknown agency") == 0);
  CHECK(edit("tax-system", "expires_ms", 1.5) ==
        "tokens.tax-system.expires_ms: expected an integer, got a float");
  CHECK(edit("tax-system", "expires_ms", -1).find("tokens.tax-system.expires_ms: -1 is negative") == 0);
  CHECK(edit("auditor.li", "tier", 3) == "tokens.auditor.li.tier: unknown field");
  CHECK(edit("auditor.li", "token_sha256", fx.tax.token_sha256.Hex()) ==
        "tokens.tax-system.token_sha256: same token hash as principal auditor.li");

  json j = fx.config;
  j["bad name!"] = j["tax-system"];
  CHECK(ErrorOf(j).find("tokens.bad name!: principal name must be") == 0);
  CHECK(ErrorOf(json::array()) == "tokens: expected a JSON object");
  CHECK(ErrorOf(json{{"x", 1}}) == "tokens.x: expected an object");
  CHECK(ErrorOf(json::object()).empty());  // an empty store is valid
}

TEST_CASE("token store files") {
  Fixture fx;
  char dir_template[] = "/tmp/hearth-tokens-XXXXXX";
  REQUIRE(mkdtemp(dir_template) != nullptr);
  const std::string dir = dir_template;
  const std::string path = dir + "/tokens.json";

  Result<TokenStore> missing = TokenStore::LoadFile(path);
  REQUIRE(!missing.ok());
  CHECK(missing.status().code() == Code::kIOError);
  CHECK(missing.status().message().find(path) != std::string::npos);

  auto write = [&](const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
  };
  write(fx.config.dump(2));
  Result<TokenStore> store = TokenStore::LoadFile(path);
  REQUIRE(store.ok());
  CHECK(store->Authenticate(fx.tax.token, kNow).ok());
  CHECK(store->ToJson() == fx.config);

  write("{\"a\": {\"role\": ");
  Result<TokenStore> bad = TokenStore::LoadFile(path);
  REQUIRE(!bad.ok());
  CHECK(bad.status().message().find("tokens file " + path + ": tokens: malformed JSON") == 0);

  std::string text = fx.config.dump();
  text.insert(1, "\"tax-system\": {},");  // the same principal twice
  write(text);
  bad = TokenStore::LoadFile(path);
  REQUIRE(!bad.ok());
  CHECK(bad.status().message().find("duplicate key \"tax-system\"") != std::string::npos);

  write(std::string(kTokenFileBytesMax + 1, ' '));
  bad = TokenStore::LoadFile(path);
  REQUIRE(!bad.ok());
  CHECK(bad.status().message().find("exceeds the maximum") != std::string::npos);

  std::remove(path.c_str());
  rmdir(dir.c_str());
}

TEST_CASE("principals added and removed at run time, concurrent readers see a consistent store") {
  TokenStore store;
  Result<MintedToken> a = MintToken();
  Result<MintedToken> b = MintToken();
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  const Principal alice{"alice", Role::kCaseworker, Agency::kCivilAffairs, kNow + 1000};
  REQUIRE(store.Add(alice, a->token_sha256).ok());
  CHECK(store.Authenticate(a->token, kNow)->name == "alice");
  CHECK(store.Find("alice") == alice);
  // Same name, same hash, bad name, a caseworker without an agency: refused, nothing changes.
  CHECK(store.Add(Principal{"alice", Role::kAuditor, std::nullopt, kNow + 1000}, b->token_sha256).code() ==
        Code::kAlreadyExists);
  CHECK(store.Add(Principal{"bob", Role::kAuditor, std::nullopt, kNow + 1000}, a->token_sha256).code() ==
        Code::kAlreadyExists);
  CHECK(store.Add(Principal{"b b", Role::kAuditor, std::nullopt, kNow + 1000}, b->token_sha256).code() ==
        Code::kInvalidArgument);
  CHECK(store.Add(Principal{"bob", Role::kCaseworker, std::nullopt, kNow + 1000}, b->token_sha256).code() ==
        Code::kInvalidArgument);
  CHECK(store.size() == 1);
  REQUIRE(store.Add(Principal{"bob", Role::kAuditor, std::nullopt, kNow + 1000}, b->token_sha256).ok());
  CHECK(store.Principals().size() == 2);
  CHECK(store.Principals()[0].name == "alice");  // name order
  // Removal takes effect at once, while other threads authenticate.
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> bob_ok{0};
  std::thread reader([&] {
    while (!stop) {
      if (store.Authenticate(b->token, kNow).ok()) ++bob_ok;
      (void)store.Authenticate(a->token, kNow);
    }
  });
  CHECK(store.Remove("alice").ok());
  CHECK(store.Authenticate(a->token, kNow).status().code() == Code::kVerifyFailed);
  CHECK(store.Remove("alice").code() == Code::kNotFound);
  stop = true;
  reader.join();
  CHECK(store.Authenticate(b->token, kNow).ok());
  CHECK(store.ToJson().size() == 1);
}

}  // namespace
}  // namespace hearth::api
