// tokens.h: API principals, their roles and the bearer tokens that authenticate them.
//
// A token is 32 random bytes written as 64 lowercase hex digits. Only its SHA-256 is stored
// (the node configuration holds the hashes, never the tokens):
//   {"<principal>": {"token_sha256": "<64 hex>", "role": "agency", "agency": "tax",
//                    "expires_ms": 1790000000000}, ...}
// Principal names are 1..64 characters of [A-Za-z0-9._@-] (a caseworker's name becomes the
// caseworker id of its access records). "agency" is required for the agency and caseworker
// roles and optional for the others. Unknown fields are rejected.
//
// Contract:
//  - Load errors are InvalidArgument naming the field ("tokens.alice.role: unknown role
//    'boss' ..."); two principals with the same token hash are rejected.
//  - Authenticate hashes the presented token and compares it with every stored hash in
//    constant time (no early exit), so timing reveals neither which hash nor how much of it
//    matched. It returns VerifyFailed for a token no principal holds (or an empty or
//    oversized one) and FailedPrecondition for a principal whose expires_ms <= now_ms.
//  - Add and Remove change the store at run time (an admin issuing or revoking a token);
//    a request authenticated after Remove returned no longer finds the principal.
// Thread-safety: every method may be called from any thread (a reader-writer lock guards
// the entries; Authenticate takes it shared). MintToken is thread-safe. Moving a store is
// not thread-safe (done before it is shared).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "hearth/base/bytes.h"
#include "hearth/base/status.h"
#include "hearth/ledger/categories.h"

namespace hearth::api {

enum class Role : uint8_t { kAgency, kCaseworker, kAuditor, kAdmin };

std::string_view RoleName(Role role);  // "agency", "caseworker", "auditor", "admin"
Result<Role> ParseRole(std::string_view name);

struct Principal {
  std::string name;
  Role role = Role::kAuditor;
  std::optional<Agency> agency;
  uint64_t expires_ms = 0;  // unix ms; the token is refused from this instant on
  friend bool operator==(const Principal&, const Principal&) = default;
};

inline constexpr size_t kPrincipalNameBytesMax = 64;
inline constexpr size_t kPrincipalsMax = 4096;
inline constexpr size_t kTokenBytesMax = 256;            // longer bearer tokens are refused
inline constexpr size_t kTokenFileBytesMax = 4 << 20;    // token store files

// OK when `name` is a valid principal name; else InvalidArgument naming `field`.
Status CheckPrincipalName(std::string_view field, std::string_view name);

class TokenStore {
 public:
  TokenStore();  // knows nobody: every token is unknown
  TokenStore(TokenStore&&) noexcept;
  TokenStore& operator=(TokenStore&&) noexcept;
  ~TokenStore();

  static Result<TokenStore> FromJson(const nlohmann::json& j);
  static Result<TokenStore> FromJsonText(std::string_view text);
  // IOError naming the path when the file cannot be read; then as FromJsonText.
  static Result<TokenStore> LoadFile(const std::string& path);

  Result<Principal> Authenticate(std::string_view bearer_token, uint64_t now_ms) const;

  // AlreadyExists when a principal of that name, or one holding the same token hash, is
  // present; InvalidArgument for a bad name, a role/agency mismatch or too many principals.
  Status Add(const Principal& principal, const Hash32& token_sha256);
  // NotFound when no principal has that name.
  Status Remove(std::string_view name);
  std::optional<Principal> Find(std::string_view name) const;
  std::vector<Principal> Principals() const;  // in name order

  size_t size() const;
  // The JSON form above (hashes only), in name order.
  nlohmann::json ToJson() const;

 private:
  struct Entry {
    Principal principal;
    Hash32 token_sha256;
  };
  Status CheckEntryLocked(const Entry& e) const;
  std::unique_ptr<std::shared_mutex> mu_;
  std::vector<Entry> entries_;
};

// SHA-256 of the token's bytes.
Hash32 TokenHash(std::string_view token);

struct MintedToken {
  std::string token;   // give to the principal, once
  Hash32 token_sha256; // store in the configuration
};
// 32 bytes from OpenSSL's CSPRNG; Internal if it fails.
Result<MintedToken> MintToken();

// One store entry: {"token_sha256": ..., "role": ..., ["agency": ...,] "expires_ms": ...}.
nlohmann::json TokenEntryJson(const Hash32& token_sha256, Role role, std::optional<Agency> agency,
                              uint64_t expires_ms);

}  // namespace hearth::api
