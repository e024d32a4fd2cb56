#include "hearth/node/node_config.h"

#include <algorithm>
#include <filesystem>
#include <set>
#include <system_error>

#include "hearth/ledger/block.h"
#include "hearth/ledger/crypto.h"
#include "hearth/api/tokens.h"
#include "hearth/node/http_client.h"
#include "hearth/node/tls.h"

namespace hearth::node {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::string_view kWhat = "node.json";
// Largest certificate file read by the cross-check.
constexpr size_t kCertificateBytesMax = 64 * 1024;

constexpr std::string_view kVoterOnly[] = {"member_name", "node_key_path", "transport_key_path",
                                           "transport_cert_path", "p2p_listen"};
constexpr std::string_view kLogLevels[] = {"trace", "debug", "info", "warn", "error"};

Status Bad(std::string_view field, const std::string& problem) {
  return Status::InvalidArgument(std::string(field) + ": " + problem);
}

// `r`, with its error prefixed by the field name.
template <typename T>
Result<T> Field(Result<T> r, std::string_view field) {
  if (r.ok()) return r;
  return r.status().Annotate(field);
}

std::string Resolve(const std::string& path, const std::string& config_dir) {
  const fs::path p(path);
  if (p.is_absolute() || config_dir.empty()) return p.lexically_normal().string();
  return (fs::path(config_dir) / p).lexically_normal().string();
}

// Optional non-empty string field: left unchanged when absent.
Status OptString(const JsonFields& o, std::string_view key, std::string* out) {
  if (!o.Has(key)) return Status::Ok();
  HEARTH_ASSIGN_OR_RETURN(*out, o.String(key));
  if (out->empty()) return Bad(o.PathOf(key), "must not be empty (leave the field out instead)");
  return Status::Ok();
}

Status ReqString(const JsonFields& o, std::string_view key, std::string* out) {
  HEARTH_ASSIGN_OR_RETURN(*out, o.String(key));
  if (out->empty()) return Bad(o.PathOf(key), "must not be empty");
  return Status::Ok();
}

Status OptPath(const JsonFields& o, std::string_view key, const std::string& dir,
               std::string* out) {
  HEARTH_RETURN_IF_ERROR(OptString(o, key, out));
  if (!out->empty()) *out = Resolve(*out, dir);
  return Status::Ok();
}

Status ReqPath(const JsonFields& o, std::string_view key, const std::string& dir,
               std::string* out) {
  HEARTH_RETURN_IF_ERROR(ReqString(o, key, out));
  *out = Resolve(*out, dir);
  return Status::Ok();
}

template <typename T>
Status OptBounded(const JsonFields& o, std::string_view key, uint64_t lo, uint64_t hi, T* out) {
  if (!o.Has(key)) return Status::Ok();
  HEARTH_ASSIGN_OR_RETURN(uint64_t v, o.Unsigned(key));
  if (v < lo || v > hi) {
    return Bad(key, std::to_string(v) + " outside " + std::to_string(lo) + ".." +
                        std::to_string(hi));
  }
  *out = static_cast<T>(v);
  return Status::Ok();
}

Status ParseRoleFields(const JsonFields& o, const std::string& dir, NodeConfig* c) {
  if (c->is_voter()) {
    if (o.Has("follow")) return Bad("follow", "only for role observer (a voter follows consensus)");
    HEARTH_RETURN_IF_ERROR(ReqString(o, "member_name", &c->member_name));
    HEARTH_RETURN_IF_ERROR(ValidateMemberName(c->member_name).Annotate("member_name"));
    HEARTH_RETURN_IF_ERROR(ReqPath(o, "node_key_path", dir, &c->node_key_path));
    HEARTH_RETURN_IF_ERROR(ReqPath(o, "transport_key_path", dir, &c->transport_key_path));
    HEARTH_RETURN_IF_ERROR(ReqPath(o, "transport_cert_path", dir, &c->transport_cert_path));
    HEARTH_RETURN_IF_ERROR(ReqString(o, "p2p_listen", &c->p2p_listen));
    return ParseHostPort(c->p2p_listen, /*allow_port_zero=*/true).status().Annotate("p2p_listen");
  }
  for (std::string_view key : kVoterOnly) {
    if (o.Has(key)) return Bad(key, "only for role voter");
  }
  HEARTH_ASSIGN_OR_RETURN(const json* follow, o.Array("follow"));
  if (follow->empty() || follow->size() > kFollowMax) {
    return Bad("follow", std::to_string(follow->size()) + " URLs, expected 1.." +
                             std::to_string(kFollowMax));
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < follow->size(); ++i) {
    const std::string field = "follow[" + std::to_string(i) + "]";
    HEARTH_ASSIGN_OR_RETURN(JsonFields e, JsonFields::Of((*follow)[i], field));
    HEARTH_RETURN_IF_ERROR(e.OnlyFields({"url", "api_cert_path", "token_path"}));
    FollowTarget t;
    HEARTH_RETURN_IF_ERROR(ReqString(e, "url", &t.url));
    HEARTH_ASSIGN_OR_RETURN(ApiUrl url, Field(ParseApiUrl(t.url), e.PathOf("url")));
    if (!seen.insert(t.url).second) return Bad(e.PathOf("url"), "duplicate URL " + t.url);
    if (url.tls) {
      HEARTH_RETURN_IF_ERROR(ReqPath(e, "api_cert_path", dir, &t.api_cert_path));
    } else {
      if (!IsLoopbackHost(url.host)) {
        return Bad(e.PathOf("url"), "http:// only on a loopback host (got " + t.url +
                                        "; the bearer token would cross the network in clear text)");
      }
      if (e.Has("api_cert_path")) return Bad(e.PathOf("api_cert_path"), "not used with an http:// url");
    }
    HEARTH_RETURN_IF_ERROR(ReqPath(e, "token_path", dir, &t.token_path));
    c->follow.push_back(std::move(t));
  }
  return Status::Ok();
}

Status ParseApiFields(const JsonFields& o, const std::string& dir, NodeConfig* c) {
  if (o.Has("api_tls")) {
    HEARTH_ASSIGN_OR_RETURN(c->api_tls, o.Bool("api_tls"));
  }
  HEARTH_RETURN_IF_ERROR(ReqString(o, "api_listen", &c->api_listen));
  HEARTH_ASSIGN_OR_RETURN(
      HostPort api, Field(ParseHostPort(c->api_listen, /*allow_port_zero=*/true), "api_listen"));
  if (c->api_tls) {
    HEARTH_RETURN_IF_ERROR(ReqPath(o, "api_key_path", dir, &c->api_key_path));
    return ReqPath(o, "api_cert_path", dir, &c->api_cert_path);
  }
  if (!IsLoopbackHost(api.host)) {
    return Bad("api_tls", "false requires a loopback api_listen (got " + c->api_listen +
                              "; plain HTTP carries bearer tokens in clear text)");
  }
  if (o.Has("api_key_path")) return Bad("api_key_path", "not used when api_tls is false");
  if (o.Has("api_cert_path")) return Bad("api_cert_path", "not used when api_tls is false");
  return Status::Ok();
}

Status ParseTunables(const JsonFields& o, NodeConfig* c) {
  if (o.Has("tokens")) {
    HEARTH_ASSIGN_OR_RETURN(const json* tokens, o.Object("tokens"));
    c->tokens = *tokens;
  }
  HEARTH_RETURN_IF_ERROR(OptString(o, "log_level", &c->log_level));
  bool known = false;
  for (std::string_view l : kLogLevels) known = known || l == c->log_level;
  if (!known) {
    return Bad("log_level", "\"" + c->log_level + "\" is not trace|debug|info|warn|error");
  }
  HEARTH_RETURN_IF_ERROR(OptBounded(o, "mempool_max", 1, kMempoolMaxLimit, &c->mempool_max));
  HEARTH_RETURN_IF_ERROR(
      OptBounded(o, "mempool_bytes_max", kMempoolBytesMin, kMempoolBytesLimit, &c->mempool_bytes_max));
  HEARTH_RETURN_IF_ERROR(OptBounded(o, "block_txs_max", 1, kBlockTxsMax, &c->block_txs_max));
  return OptBounded(o, "block_interval_ms", 0, kBlockIntervalMsMax, &c->block_interval_ms);
}

Result<NodeConfig> ParseAs(std::string_view text, const std::string& config_dir,
                           std::string_view what) {
  HEARTH_ASSIGN_OR_RETURN(json doc, ParseJsonStrict(text, what, kNodeConfigBytesMax));
  HEARTH_ASSIGN_OR_RETURN(JsonFields o, JsonFields::Of(doc, ""));
  HEARTH_RETURN_IF_ERROR(o.OnlyFields(
      {"genesis_path", "data_dir", "role", "member_name", "node_key_path", "transport_key_path",
       "transport_cert_path", "api_key_path", "api_cert_path", "pseudonym_key_path",
       "p2p_listen", "api_listen", "api_tls", "tokens", "follow", "log_level", "mempool_max",
       "mempool_bytes_max", "block_txs_max", "block_interval_ms"}));
  NodeConfig c;
  HEARTH_RETURN_IF_ERROR(ReqString(o, "role", &c.role));
  if (c.role != "voter" && c.role != "observer") {
    return Bad("role", "\"" + c.role + "\" is not voter or observer");
  }
  HEARTH_RETURN_IF_ERROR(ReqPath(o, "genesis_path", config_dir, &c.genesis_path));
  HEARTH_RETURN_IF_ERROR(ReqPath(o, "data_dir", config_dir, &c.data_dir));
  HEARTH_RETURN_IF_ERROR(OptPath(o, "pseudonym_key_path", config_dir, &c.pseudonym_key_path));
  HEARTH_RETURN_IF_ERROR(ParseRoleFields(o, config_dir, &c));
  HEARTH_RETURN_IF_ERROR(ParseApiFields(o, config_dir, &c));
  HEARTH_RETURN_IF_ERROR(ParseTunables(o, &c));
  return c;
}

std::string KeyIdPrefix(const PublicKey& k) { return k.Id().Hex().substr(0, 16); }

Status CheckVoterKeys(const NodeConfig& c, const Genesis& g) {
  const std::optional<size_t> idx = MemberIndexByName(g, c.member_name);
  if (!idx) {
    std::string names;
    for (const GenesisMember& m : g.members) names += (names.empty() ? "" : ", ") + m.name;
    return Bad("member_name", "no member \"" + c.member_name + "\" in genesis (members: " +
                                  names + ")");
  }
  const GenesisMember& m = g.members[*idx];
  Result<PrivateKey> node_key = PrivateKey::LoadPemFile(g.suite, c.node_key_path);
  if (!node_key.ok()) {
    return node_key.status().Annotate("node_key_path (a " + std::string(SuiteName(g.suite)) +
                                      " private key)");
  }
  if (!(node_key->public_key() == m.node_key)) {
    return Bad("node_key_path", "public key " + KeyIdPrefix(node_key->public_key()) +
                                    "... is not the node key of member " + m.name +
                                    " in genesis (" + KeyIdPrefix(m.node_key) + "...)");
  }
  Result<PrivateKey> transport = PrivateKey::LoadPemFile(Suite::kEd25519Sha256,
                                                         c.transport_key_path);
  if (!transport.ok()) {
    return transport.status().Annotate("transport_key_path (an Ed25519 private key)");
  }
  if (transport->public_key().raw() != m.transport_key) {
    return Bad("transport_key_path", "public key " + ToHex(transport->public_key().raw()) +
                                         " is not the transport key of member " + m.name +
                                         " in genesis (" + ToHex(m.transport_key) + ")");
  }
  HEARTH_ASSIGN_OR_RETURN(
      std::string cert_pem,
      Field(ReadSmallFile(c.transport_cert_path, kCertificateBytesMax), "transport_cert_path"));
  Result<Bytes> cert_key = Ed25519KeyOfCertificatePem(cert_pem);
  if (!cert_key.ok()) return cert_key.status().Annotate("transport_cert_path");
  if (*cert_key != m.transport_key) {
    return Bad("transport_cert_path", "certificate key " + ToHex(*cert_key) +
                                          " is not the transport key of member " + m.name +
                                          " in genesis (" + ToHex(m.transport_key) + ")");
  }
  return Status::Ok();
}

}  // namespace

Result<NodeConfig> ParseNodeConfig(std::string_view json_text, const std::string& config_dir) {
  Result<NodeConfig> c = ParseAs(json_text, config_dir, kWhat);
  if (!c.ok() && !c.status().message().starts_with(kWhat)) return c.status().Annotate(kWhat);
  return c;
}

Result<NodeConfig> LoadNodeConfigFile(const std::string& path) {
  HEARTH_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path, kNodeConfigBytesMax));
  std::error_code ec;
  const fs::path abs = fs::absolute(path, ec);
  if (ec) return Status::IOError(path + ": " + ec.message());
  Result<NodeConfig> c = ParseAs(text, abs.parent_path().lexically_normal().string(), path);
  if (!c.ok() && !c.status().message().starts_with(path)) return c.status().Annotate(path);
  return c;
}

std::string NodeConfigToJson(const NodeConfig& c) {
  nlohmann::ordered_json j;
  j["role"] = c.role;
  j["genesis_path"] = c.genesis_path;
  j["data_dir"] = c.data_dir;
  if (c.is_voter()) {
    j["member_name"] = c.member_name;
    j["node_key_path"] = c.node_key_path;
    j["transport_key_path"] = c.transport_key_path;
    j["transport_cert_path"] = c.transport_cert_path;
    j["p2p_listen"] = c.p2p_listen;
  } else {
    nlohmann::ordered_json follow = nlohmann::ordered_json::array();
    for (const FollowTarget& t : c.follow) {
      nlohmann::ordered_json e = {{"url", t.url}};
      if (!t.api_cert_path.empty()) e["api_cert_path"] = t.api_cert_path;
      e["token_path"] = t.token_path;
      follow.push_back(std::move(e));
    }
    j["follow"] = std::move(follow);
  }
  j["api_listen"] = c.api_listen;
  j["api_tls"] = c.api_tls;
  if (c.api_tls) {
    j["api_key_path"] = c.api_key_path;
    j["api_cert_path"] = c.api_cert_path;
  }
  if (!c.pseudonym_key_path.empty()) j["pseudonym_key_path"] = c.pseudonym_key_path;
  j["tokens"] = nlohmann::ordered_json::parse(c.tokens.dump());
  j["log_level"] = c.log_level;
  j["mempool_max"] = c.mempool_max;
  j["mempool_bytes_max"] = c.mempool_bytes_max;
  j["block_txs_max"] = c.block_txs_max;
  j["block_interval_ms"] = c.block_interval_ms;
  return j.dump(2) + "\n";
}

bool PathIsInside(const std::string& path, const std::string& dir) {
  std::error_code ec;
  const fs::path p = fs::weakly_canonical(fs::absolute(path, ec), ec);
  if (ec) return false;
  const fs::path d = fs::weakly_canonical(fs::absolute(dir, ec), ec);
  if (ec) return false;
  const fs::path rel = p.lexically_relative(d);
  if (rel.empty()) return false;
  const std::string first = rel.begin()->string();
  return first != "..";
}

Result<std::string> ReadFollowToken(const std::string& path) {
  HEARTH_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path, kFollowTokenFileBytesMax));
  const size_t b = text.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return Status::InvalidArgument(path + ": no token in the file");
  const size_t e = text.find_last_not_of(" \t\r\n");
  std::string token = text.substr(b, e - b + 1);
  std::fill(text.begin(), text.end(), '\0');
  if (token.size() > api::kTokenBytesMax) {
    return Status::InvalidArgument(path + ": token longer than " +
                                   std::to_string(api::kTokenBytesMax) + " characters");
  }
  for (char ch : token) {
    if (ch <= ' ' || ch > '~') {
      return Status::InvalidArgument(path + ": the token must be one word of printable ASCII");
    }
  }
  return token;
}

Status CheckFollowTargets(const NodeConfig& c) {
  for (size_t i = 0; i < c.follow.size(); ++i) {
    const FollowTarget& t = c.follow[i];
    const std::string field = "follow[" + std::to_string(i) + "]";
    std::string pem;
    if (!t.api_cert_path.empty()) {
      HEARTH_ASSIGN_OR_RETURN(pem, Field(ReadSmallFile(t.api_cert_path, kCertificateBytesMax),
                                         field + ".api_cert_path"));
    }
    HEARTH_RETURN_IF_ERROR(HttpClient::Create(t.url, pem).status().Annotate(field + ".api_cert_path"));
    HEARTH_RETURN_IF_ERROR(ReadFollowToken(t.token_path).status().Annotate(field + ".token_path"));
  }
  return Status::Ok();
}

Status ValidateNodeConfigAgainstGenesis(const NodeConfig& c, const Genesis& g) {
  if (c.is_voter()) HEARTH_RETURN_IF_ERROR(CheckVoterKeys(c, g).Annotate(kWhat));
  if (!c.is_voter()) HEARTH_RETURN_IF_ERROR(CheckFollowTargets(c).Annotate(kWhat));
  if (!c.pseudonym_key_path.empty() && PathIsInside(c.pseudonym_key_path, c.data_dir)) {
    return Bad("pseudonym_key_path",
               c.pseudonym_key_path + " is inside data_dir " + c.data_dir +
                   "; keep the consortium pseudonym key outside every data directory (and "
                   "its backups)")
        .Annotate(kWhat);
  }
  return Status::Ok();
}

}  // namespace hearth::node
