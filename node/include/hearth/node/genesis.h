// genesis.h: the genesis file of a Hearth chain — its suite, chain id, fault bound f and the
// founding members with their keys and addresses (DESIGN.md "Node") — and its hash.
//
// Contract:
//  - ParseGenesis is strict: unknown or duplicate fields, missing fields, wrong JSON types
//    and invalid values are InvalidArgument naming the field path, e.g.
//    "genesis.members[2].node_key: not a valid sm2-sm3 public key". A parsed Genesis always
//    satisfies every rule below, and ParseGenesis(GenesisToJson(g)) == g.
//  - Rules: chain id per ValidateChainId; n = members.size() = 3f+1 with 1 <= n <= 256;
//    genesis_time_ms in [kTimeMsMin, kTimeMsMax); member names unique; agencies unique;
//    every key (node, transport, issuer, across all members) used exactly once; node and
//    issuer keys of the genesis suite; transport keys raw 32-byte Ed25519; p2p "host:port"
//    with an IP literal or "localhost" host; api "https://host:port" or "http://host:port".
//  - The genesis hash covers identity (suite, chain id, time, f, names, agencies, keys) and
//    not addresses, so a node can move without a new chain. docs/FORMAT.md "Genesis" gives
//    the encoding byte by byte with a worked example.
// Thread-safety: values and pure functions; LoadGenesisFile reads the file system.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "hearth/base/bytes.h"
#include "hearth/base/status.h"
#include "hearth/ledger/categories.h"
#include "hearth/ledger/crypto.h"
#include "hearth/node/files.h"  // ReadSmallFile

namespace hearth::node {

// Tag and version bytes of the genesis encoding (tag distinct from blocks, headers,
// certificates and transaction kinds).
inline constexpr uint8_t kGenesisTag = 0x05;
inline constexpr uint8_t kGenesisVersion = 1;
// Largest genesis file accepted.
inline constexpr size_t kGenesisBytesMax = 1 << 20;
// Member names: 1..64 characters of [A-Za-z0-9_-], starting with a letter or digit.
inline constexpr size_t kMemberNameBytesMax = 64;
// Issuer keys one member may list in genesis (more can be added later by KeyEvent).
inline constexpr size_t kIssuerKeysPerMemberMax = 16;
// Raw length of an Ed25519 transport key.
inline constexpr size_t kTransportKeyBytes = 32;
// Longest address text (p2p "host:port" or api URL).
inline constexpr size_t kAddressBytesMax = 256;

struct GenesisMember {
  std::string name;
  Agency agency = Agency::kCivilAffairs;
  PublicKey node_key;                  // suite key, signs votes and key events
  Bytes transport_key;                 // raw 32-byte Ed25519, pinned by peer TLS
  std::vector<PublicKey> issuer_keys;  // suite keys, sign records
  std::string p2p;                     // "127.0.0.1:7001"
  std::string api;                     // "https://127.0.0.1:8001"

  friend bool operator==(const GenesisMember&, const GenesisMember&) = default;
};

struct Genesis {
  std::string chain_id;
  Suite suite = Suite::kEd25519Sha256;
  uint64_t genesis_time_ms = 0;
  uint32_t f = 0;
  std::vector<GenesisMember> members;
  Hash32 hash;  // GenesisHash(*this), set by ParseGenesis

  friend bool operator==(const Genesis&, const Genesis&) = default;
};

// Parses and validates a genesis file's text (see the contract above); sets `hash`.
Result<Genesis> ParseGenesis(std::string_view json_text);
// Reads `path` (at most kGenesisBytesMax) and parses it; errors are prefixed with the path.
Result<Genesis> LoadGenesisFile(const std::string& path);
// Pretty JSON (2-space indent, fields in the documented order, keys as lower-case hex),
// ending with a newline. REQUIRES: `g` is valid (as from ParseGenesis).
std::string GenesisToJson(const Genesis& g);
// Checks every rule of the contract on a Genesis built in code (ParseGenesis runs it too).
// Errors name the field path as ParseGenesis does. Ignores `hash`.
Status ValidateGenesis(const Genesis& g);

// The canonical encoding hashed by GenesisHash (docs/FORMAT.md "Genesis"):
//   u8 0x05 ‖ u8 1 ‖ u8 suite ‖ text chain_id ‖ u64 genesis_time_ms ‖ u32 f ‖ u32 n ‖
//   n × (text name ‖ u8 agency ‖ bytes node_key raw ‖ bytes transport_key ‖
//        u32 count ‖ count × bytes issuer_key raw)
// REQUIRES: `g` is valid.
Bytes EncodeGenesis(const Genesis& g);
// SuiteHash(g.suite, EncodeGenesis(g)).
Hash32 GenesisHash(const Genesis& g);

// Index of the member whose node key has id `key_id` (PublicKey::Id), if any.
std::optional<size_t> MemberIndexByNodeKeyId(const Genesis& g, const Hash32& key_id);
// Index of the member called `name`, if any.
std::optional<size_t> MemberIndexByName(const Genesis& g, std::string_view name);
// The agency whose genesis issuer keys include the key with id `key_id`, if any.
// Linear in the number of keys (each hashed): build a map for per-transaction lookups.
std::optional<Agency> IssuerAgency(const Genesis& g, const Hash32& key_id);

// ---- Addresses (also used by node_config.h) ----

struct HostPort {
  std::string host;  // IPv4 literal, IPv6 literal without brackets, or "localhost"
  uint16_t port = 0;
  friend bool operator==(const HostPort&, const HostPort&) = default;
};
// "a.b.c.d:port", "[v6]:port" or "localhost:port"; port 1..65535, or 0 too when
// `allow_port_zero` (listen addresses: any free port). Errors do not name a field.
Result<HostPort> ParseHostPort(std::string_view text, bool allow_port_zero = false);
// True for 127.0.0.0/8, ::1 and "localhost".
bool IsLoopbackHost(std::string_view host);

struct ApiUrl {
  bool tls = true;   // https
  std::string host;  // IP literal, "localhost" or a DNS name
  uint16_t port = 0;
};
// "https://host:port" or "http://host:port" (port required, no path); IPv6 in brackets.
Result<ApiUrl> ParseApiUrl(std::string_view url);

// Member names: see kMemberNameBytesMax. Errors do not name a field.
Status ValidateMemberName(std::string_view name);

// ---- Strict JSON reading (shared by the genesis and node config readers) ----

// hearth::ParseJsonStrict (json_fields.h) with the configuration files' nesting bound (32):
// duplicate keys, deeper nesting, invalid UTF-8 and more than `max_bytes` are rejected.
// Errors start with `what` (e.g. "genesis").
Result<nlohmann::json> ParseJsonStrict(std::string_view text, std::string_view what,
                                       size_t max_bytes);

// Typed access to one JSON object whose fields are addressed as "<path>.<key>" (or "<key>"
// when path is empty).
// Holds a pointer to the json: it must outlive the JsonFields.
class JsonFields {
 public:
  // InvalidArgument "<path>: expected an object" when `j` is not an object.
  static Result<JsonFields> Of(const nlohmann::json& j, std::string path);

  // InvalidArgument "<path>.<key>: unknown field" for the first key not in `allowed`.
  Status OnlyFields(std::initializer_list<std::string_view> allowed) const;
  bool Has(std::string_view key) const;
  std::string PathOf(std::string_view key) const;

  // Required fields: "<path>.<key>: missing" or "...: expected a string" etc.
  Result<std::string> String(std::string_view key) const;
  Result<uint64_t> Unsigned(std::string_view key) const;  // non-negative integer
  Result<bool> Bool(std::string_view key) const;
  Result<const nlohmann::json*> Array(std::string_view key) const;
  Result<const nlohmann::json*> Object(std::string_view key) const;

 private:
  JsonFields(const nlohmann::json* j, std::string path) : j_(j), path_(std::move(path)) {}
  Result<const nlohmann::json*> Get(std::string_view key) const;
  const nlohmann::json* j_;
  std::string path_;
};


}  // namespace hearth::node
