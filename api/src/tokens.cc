// Token store and minting (tokens.h).
#include "hearth/api/tokens.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>

#include "hearth/json/json_fields.h"
#include "hearth/ledger/crypto.h"

namespace hearth::api {

namespace {

constexpr size_t kTokenRandomBytes = 32;
constexpr size_t kTokenJsonDepthMax = 3;

struct RoleRow {
  Role role;
  std::string_view name;
};
constexpr RoleRow kRoles[] = {
    {Role::kAgency, "agency"},
    {Role::kCaseworker, "caseworker"},
    {Role::kAuditor, "auditor"},
    {Role::kAdmin, "admin"},
};

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '.' || c == '_' || c == '@' || c == '-';
}

bool RoleNeedsAgency(Role r) { return r == Role::kAgency || r == Role::kCaseworker; }

}  // namespace

std::string_view RoleName(Role role) {
  for (const RoleRow& row : kRoles) {
    if (row.role == role) return row.name;
  }
  return "unknown";
}

Result<Role> ParseRole(std::string_view name) {
  for (const RoleRow& row : kRoles) {
    if (row.name == name) return row.role;
  }
  return Status::InvalidArgument("unknown role '" + std::string(name) +
                                 "' (expected agency, caseworker, auditor or admin)");
}

Status CheckPrincipalName(std::string_view field, std::string_view name) {
  if (name.empty() || name.size() > kPrincipalNameBytesMax ||
      !std::all_of(name.begin(), name.end(), IsNameChar)) {
    return Status::InvalidArgument(std::string(field) + ": principal name must be 1.." +
                                   std::to_string(kPrincipalNameBytesMax) +
                                   " characters of [A-Za-z0-9._@-]");
  }
  return Status::Ok();
}

TokenStore::TokenStore() : mu_(std::make_unique<std::shared_mutex>()) {}
TokenStore::TokenStore(TokenStore&&) noexcept = default;
TokenStore& TokenStore::operator=(TokenStore&&) noexcept = default;
TokenStore::~TokenStore() = default;

Status TokenStore::CheckEntryLocked(const Entry& e) const {
  HEARTH_RETURN_IF_ERROR(CheckPrincipalName("principal", e.principal.name));
  if (RoleNeedsAgency(e.principal.role) && !e.principal.agency) {
    return Status::InvalidArgument("principal " + e.principal.name + ": the " +
                                   std::string(RoleName(e.principal.role)) + " role needs an agency");
  }
  if (entries_.size() >= kPrincipalsMax) {
    return Status::InvalidArgument("tokens: at most " + std::to_string(kPrincipalsMax) + " principals");
  }
  for (const Entry& other : entries_) {
    if (other.principal.name == e.principal.name) {
      return Status::AlreadyExists("principal " + e.principal.name + " exists");
    }
    if (other.token_sha256 == e.token_sha256) {
      return Status::AlreadyExists("principal " + other.principal.name + " holds the same token hash");
    }
  }
  return Status::Ok();
}

Status TokenStore::Add(const Principal& principal, const Hash32& token_sha256) {
  Entry e{principal, token_sha256};
  std::unique_lock lock(*mu_);
  HEARTH_RETURN_IF_ERROR(CheckEntryLocked(e));
  auto at = std::lower_bound(entries_.begin(), entries_.end(), e.principal.name,
                             [](const Entry& x, const std::string& n) { return x.principal.name < n; });
  entries_.insert(at, std::move(e));
  return Status::Ok();
}

Status TokenStore::Remove(std::string_view name) {
  std::unique_lock lock(*mu_);
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->principal.name == name) {
      entries_.erase(it);
      return Status::Ok();
    }
  }
  return Status::NotFound("no principal named " + std::string(name));
}

std::optional<Principal> TokenStore::Find(std::string_view name) const {
  std::shared_lock lock(*mu_);
  for (const Entry& e : entries_) {
    if (e.principal.name == name) return e.principal;
  }
  return std::nullopt;
}

std::vector<Principal> TokenStore::Principals() const {
  std::shared_lock lock(*mu_);
  std::vector<Principal> out;
  out.reserve(entries_.size());
  for (const Entry& e : entries_) out.push_back(e.principal);
  return out;
}

size_t TokenStore::size() const {
  std::shared_lock lock(*mu_);
  return entries_.size();
}

Result<TokenStore> TokenStore::FromJson(const nlohmann::json& j) {
  if (!j.is_object()) return Status::InvalidArgument("tokens: expected a JSON object");
  if (j.size() > kPrincipalsMax) {
    return Status::InvalidArgument("tokens: " + std::to_string(j.size()) +
                                   " principals exceed the maximum " +
                                   std::to_string(kPrincipalsMax));
  }
  TokenStore store;
  for (auto it = j.begin(); it != j.end(); ++it) {
    HEARTH_RETURN_IF_ERROR(
        CheckPrincipalName("tokens." + it.key().substr(0, kPrincipalNameBytesMax), it.key()));
    const std::string where = "tokens." + it.key();
    if (!it.value().is_object()) return Status::InvalidArgument(where + ": expected an object");
    JsonFields f(it.value(), where);
    Entry e;
    e.principal.name = it.key();
    HEARTH_RETURN_IF_ERROR(f.Hash("token_sha256", &e.token_sha256));
    std::string role;
    HEARTH_RETURN_IF_ERROR(f.Str("role", &role));
    Result<Role> r = ParseRole(role);
    if (!r.ok()) return f.Error("role", r.status().message());
    e.principal.role = *r;
    if (f.Has("agency") || RoleNeedsAgency(*r)) {
      std::string agency;
      HEARTH_RETURN_IF_ERROR(f.Str("agency", &agency));
      Result<Agency> a = ParseAgency(agency);
      if (!a.ok()) return f.Error("agency", a.status().message());
      e.principal.agency = *a;
    }
    HEARTH_RETURN_IF_ERROR(f.U64("expires_ms", &e.principal.expires_ms));
    HEARTH_RETURN_IF_ERROR(f.Finish());
    for (const Entry& other : store.entries_) {
      if (other.token_sha256 == e.token_sha256) {
        return f.Error("token_sha256", "same token hash as principal " + other.principal.name);
      }
    }
    store.entries_.push_back(std::move(e));
  }
  // nlohmann::json objects iterate in key order, so entries_ is sorted by name.
  return store;
}

Result<TokenStore> TokenStore::FromJsonText(std::string_view text) {
  HEARTH_ASSIGN_OR_RETURN(nlohmann::json j,
                          ParseJsonStrict(text, "tokens", kTokenFileBytesMax, kTokenJsonDepthMax));
  return FromJson(j);
}

Result<TokenStore> TokenStore::LoadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::IOError("tokens file " + path + ": cannot open: " + std::strerror(errno));
  }
  std::string text;
  text.resize(kTokenFileBytesMax + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return Status::IOError("tokens file " + path + ": read failed");
  text.resize(static_cast<size_t>(in.gcount()));
  Result<TokenStore> store = FromJsonText(text);
  if (!store.ok()) return store.status().Annotate("tokens file " + path);
  return store;
}

Result<Principal> TokenStore::Authenticate(std::string_view bearer_token, uint64_t now_ms) const {
  if (bearer_token.empty() || bearer_token.size() > kTokenBytesMax) {
    return Status::VerifyFailed("token: unknown");
  }
  const Hash32 h = TokenHash(bearer_token);
  std::shared_lock lock(*mu_);
  // Visit every entry and remember the match without branching on secret data early.
  const Entry* found = nullptr;
  for (const Entry& e : entries_) {
    if (CRYPTO_memcmp(e.token_sha256.bytes.data(), h.bytes.data(), Hash32::kSize) == 0) {
      found = &e;
    }
  }
  if (found == nullptr) return Status::VerifyFailed("token: unknown");
  if (found->principal.expires_ms <= now_ms) {
    return Status::FailedPrecondition("token: expired at " +
                                      std::to_string(found->principal.expires_ms) + " ms");
  }
  return found->principal;
}

nlohmann::json TokenStore::ToJson() const {
  std::shared_lock lock(*mu_);
  nlohmann::json j = nlohmann::json::object();
  for (const Entry& e : entries_) {
    j[e.principal.name] = TokenEntryJson(e.token_sha256, e.principal.role, e.principal.agency,
                                         e.principal.expires_ms);
  }
  return j;
}

Hash32 TokenHash(std::string_view token) {
  return SuiteHash(Suite::kEd25519Sha256, AsBytes(token));  // the suite's hash is SHA-256
}

Result<MintedToken> MintToken() {
  uint8_t raw[kTokenRandomBytes];
  if (RAND_bytes(raw, static_cast<int>(sizeof(raw))) != 1) {
    return Status::Internal("token: RAND_bytes failed");
  }
  MintedToken t;
  t.token = ToHex(ByteView(raw, sizeof(raw)));
  OPENSSL_cleanse(raw, sizeof(raw));
  t.token_sha256 = TokenHash(t.token);
  return t;
}

nlohmann::json TokenEntryJson(const Hash32& token_sha256, Role role, std::optional<Agency> agency,
                              uint64_t expires_ms) {
  nlohmann::json j = nlohmann::json::object();
  j["token_sha256"] = token_sha256.Hex();
  j["role"] = RoleName(role);
  if (agency) j["agency"] = AgencyCode(*agency);
  j["expires_ms"] = expires_ms;
  return j;
}

}  // namespace hearth::api
