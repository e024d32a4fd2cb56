// node_config.h: what `hearthd --config node.json` reads — one node's files, addresses,
// role and tunables — and its cross-check against the genesis file.
//
// JSON shape (paths relative to the config file's folder; * = required):
//   {"genesis_path"*, "data_dir"*, "role"*: "voter"|"observer", "api_listen"*: "host:port",
//    "api_tls": true, "api_key_path", "api_cert_path"   (both required when api_tls),
//    voter only:    "member_name"*, "node_key_path"*, "transport_key_path"*,
//                   "transport_cert_path"*, "p2p_listen"*: "host:port",
//    observer only: "follow"*: [{"url"*: "https://host:port", "api_cert_path"*, "token_path"*},
//                   ...] (1..kFollowMax members' APIs; see FollowTarget),
//    "pseudonym_key_path", "tokens": {...TokenStore JSON, kept as-is...},
//    "log_level": "trace"|"debug"|"info"|"warn"|"error", "mempool_max",
//    "mempool_bytes_max", "block_txs_max", "block_interval_ms"}
//
// Contract:
//  - Parsing is strict: unknown, duplicate, missing or mistyped fields, fields that do not
//    apply to the role, and out-of-range values are InvalidArgument naming the field, e.g.
//    "node.json: api_tls: false requires a loopback api_listen (got 0.0.0.0)".
//  - A parsed NodeConfig holds absolute or config-relative-resolved paths; NodeConfigToJson
//    writes them back, so ParseNodeConfig(NodeConfigToJson(c), any_dir) == c.
//  - `tokens` is only checked to be a JSON object here; the API library validates it.
//  - ValidateNodeConfigAgainstGenesis reads the key and certificate files and checks them
//    against genesis; its errors name the config field that is wrong.
// Thread-safety: values and pure functions; the Load/Validate functions read files.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "hearth/base/status.h"
#include "hearth/node/genesis.h"

namespace hearth::node {

// Largest node config file accepted.
inline constexpr size_t kNodeConfigBytesMax = 1 << 20;
// Bounds of the tunables.
inline constexpr size_t kMempoolMaxLimit = 10'000'000;
// mempool_bytes_max (Mempool::ChargeOf bytes): at least what the largest transaction is
// charged, at most 64 GiB.
inline constexpr size_t kMempoolBytesMin = size_t{1} << 20;
inline constexpr size_t kMempoolBytesLimit = size_t{64} << 30;
inline constexpr uint64_t kBlockIntervalMsMax = 60'000;
// Observer: most members one observer follows.
inline constexpr size_t kFollowMax = 256;
// Largest bearer-token file an observer reads (the token itself is <= 256 characters).
inline constexpr size_t kFollowTokenFileBytesMax = 4096;

// One member an observer follows through its HTTPS API (docs/NODE.md "Observer").
//  - url: the member's API base URL; "http://" only with a loopback host (the bearer token
//    would otherwise cross the network in clear text).
//  - api_cert_path: https only (required then, refused for http): the member's API
//    certificate, the only trust anchor of the connection (as `hearth submit` trusts it).
//  - token_path: a file holding one bearer token (of any role) that the member accepts;
//    GET /v1/blocks needs one. The token never sits in node.json.
struct FollowTarget {
  std::string url;
  std::string api_cert_path;
  std::string token_path;
  friend bool operator==(const FollowTarget&, const FollowTarget&) = default;
};

struct NodeConfig {
  std::string genesis_path;
  std::string data_dir;
  std::string role;         // "voter" | "observer"
  std::string member_name;  // voter: which genesis member this node is
  std::string node_key_path, transport_key_path, transport_cert_path;  // voter
  std::string api_key_path, api_cert_path;                             // when api_tls
  std::string pseudonym_key_path;  // optional; never inside data_dir
  std::string p2p_listen;          // voter: host:port (port 0 = any free port)
  std::string api_listen;          // host:port (port 0 = any free port)
  bool api_tls = true;
  nlohmann::json tokens = nlohmann::json::object();  // TokenStore JSON, as given
  std::vector<FollowTarget> follow;                  // observer: members to follow
  std::string log_level = "info";
  // Pending transactions: at most mempool_max of them and mempool_bytes_max bytes of memory
  // (estimated, Mempool::ChargeOf); beyond either, admission answers "retry later". With
  // the defaults the count binds for attestations (50 000 of them are ~36 MiB: tens of
  // seconds of commits), the byte bound for large records (rule sets, attestations with many
  // attributes); both keep the pool a small part of a node's 1 GiB (docs/PERFORMANCE.md
  // "Node memory").
  size_t mempool_max = 50000;
  size_t mempool_bytes_max = size_t{128} << 20;
  size_t block_txs_max = 4096;
  uint64_t block_interval_ms = 200;

  bool is_voter() const { return role == "voter"; }
  friend bool operator==(const NodeConfig&, const NodeConfig&) = default;
};

// Parses a node config; relative paths are resolved against `config_dir` (left relative
// when it is empty). Errors start with "node.json: <field>: ".
Result<NodeConfig> ParseNodeConfig(std::string_view json_text, const std::string& config_dir);
// Reads `path` and parses it with its folder (made absolute) as config_dir, so every path
// in the result is absolute; errors start with the path.
Result<NodeConfig> LoadNodeConfigFile(const std::string& path);
// Pretty JSON of `c`, ending with a newline; defaults are written out too.
// REQUIRES: `c` is valid (as from ParseNodeConfig).
std::string NodeConfigToJson(const NodeConfig& c);

// Checks `c` against genesis `g`, reading key and certificate files:
//  - voter: member_name is a genesis member; the public key of node_key_path (a private
//    key of the genesis suite) is that member's node_key; transport_key_path's Ed25519 key
//    and the key in transport_cert_path are its transport_key;
//  - observer: every follow[i].api_cert_path holds a PEM certificate and every
//    follow[i].token_path a well-formed token (ReadFollowToken);
//  - pseudonym_key_path (when set) is not inside data_dir (it must never be copied along
//    with a data directory or a backup of it).
// Errors name the config field, e.g. "node.json: node_key_path: public key ... is not the
// node key of member tax in genesis".
Status ValidateNodeConfigAgainstGenesis(const NodeConfig& c, const Genesis& g);

// The bearer token in `path`: the file's text without surrounding white space; 1..256
// printable ASCII characters without spaces. Errors name the path, never the token.
Result<std::string> ReadFollowToken(const std::string& path);

// True when `path` is `dir` or lies under it, after resolving "..", "." and symlinks of
// the parts that exist (std::filesystem::weakly_canonical).
bool PathIsInside(const std::string& path, const std::string& dir);

}  // namespace hearth::node
