#include "hearth/node/genesis.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <set>

#include "hearth/base/codec.h"
#include "hearth/consensus/params.h"
#include "hearth/json/json_fields.h"
#include "hearth/ledger/records.h"
#include "hearth/ledger/transaction.h"

namespace hearth::node {

namespace {

using nlohmann::json;

// Deepest JSON nesting accepted (genesis and node config need 4).
constexpr int kJsonDepthMax = 32;
constexpr char kUrlShape[] = ": expected https://host:port or http://host:port";

std::string Quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string MemberPath(size_t i) { return "genesis.members[" + std::to_string(i) + "]"; }

Result<uint16_t> ParsePort(std::string_view text, bool allow_zero) {
  if (text.empty() || text.size() > 5 || (text.size() > 1 && text[0] == '0')) {
    return Status::InvalidArgument("port " + Quoted(text) + " is not a number 1..65535");
  }
  uint32_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return Status::InvalidArgument("port " + Quoted(text) + " is not a number 1..65535");
    }
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v > 65535 || (v == 0 && !allow_zero)) {
    return Status::InvalidArgument("port " + Quoted(text) + " outside " +
                                   (allow_zero ? "0" : "1") + "..65535");
  }
  return static_cast<uint16_t>(v);
}

bool IsIpv4(const std::string& s) {
  in_addr a{};
  return ::inet_pton(AF_INET, s.c_str(), &a) == 1;
}
bool IsIpv6(const std::string& s) {
  in6_addr a{};
  return ::inet_pton(AF_INET6, s.c_str(), &a) == 1;
}

bool IsDnsName(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  size_t label = 0;
  char prev = '.';
  for (char c : s) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (c == '.') {
      if (label == 0 || prev == '-') return false;
      label = 0;
    } else if (alnum || c == '-') {
      if (c == '-' && label == 0) return false;
      if (++label > 63) return false;
    } else {
      return false;
    }
    prev = c;
  }
  return label > 0 && prev != '-';
}

// Splits "host:port" / "[v6]:port" into a host (brackets removed) and port text.
Status SplitHostPort(std::string_view text, std::string* host, std::string_view* port,
                     bool* bracketed) {
  *bracketed = !text.empty() && text[0] == '[';
  if (*bracketed) {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return Status::InvalidArgument(Quoted(text) + " is not [ipv6]:port");
    }
    *host = std::string(text.substr(1, close - 1));
    *port = text.substr(close + 2);
    return Status::Ok();
  }
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return Status::InvalidArgument(Quoted(text) + " is not host:port");
  }
  *host = std::string(text.substr(0, colon));
  *port = text.substr(colon + 1);
  return Status::Ok();
}

// Every key of the genesis by raw bytes -> the path of its first use.
Status CheckKeysUnique(const Genesis& g) {
  std::map<Bytes, std::string> seen;
  auto add = [&seen](const Bytes& raw, const std::string& path) -> Status {
    auto [it, inserted] = seen.emplace(raw, path);
    if (!inserted) return Status::InvalidArgument(path + ": key already used at " + it->second);
    return Status::Ok();
  };
  for (size_t i = 0; i < g.members.size(); ++i) {
    const GenesisMember& m = g.members[i];
    const std::string p = MemberPath(i);
    HEARTH_RETURN_IF_ERROR(add(m.node_key.raw(), p + ".node_key"));
    HEARTH_RETURN_IF_ERROR(add(m.transport_key, p + ".transport_key"));
    for (size_t k = 0; k < m.issuer_keys.size(); ++k) {
      HEARTH_RETURN_IF_ERROR(
          add(m.issuer_keys[k].raw(), p + ".issuer_keys[" + std::to_string(k) + "]"));
    }
  }
  return Status::Ok();
}

// Names, agencies and addresses unique across members.
Status CheckMembersDistinct(const Genesis& g) {
  std::map<std::string, size_t> names, p2p, api;
  std::map<Agency, size_t> agencies;
  auto first = [](auto& m, const auto& key, size_t i, const std::string& field) -> Status {
    auto [it, inserted] = m.emplace(key, i);
    if (inserted) return Status::Ok();
    return Status::InvalidArgument(MemberPath(i) + "." + field + ": same as " +
                                   MemberPath(it->second) + "." + field);
  };
  for (size_t i = 0; i < g.members.size(); ++i) {
    const GenesisMember& m = g.members[i];
    HEARTH_RETURN_IF_ERROR(first(names, m.name, i, "name"));
    HEARTH_RETURN_IF_ERROR(first(agencies, m.agency, i, "agency"));
    HEARTH_RETURN_IF_ERROR(first(p2p, m.p2p, i, "p2p"));
    HEARTH_RETURN_IF_ERROR(first(api, m.api, i, "api"));
  }
  return Status::Ok();
}

Status ValidateMember(const GenesisMember& m, Suite suite, size_t i) {
  const std::string p = MemberPath(i);
  HEARTH_RETURN_IF_ERROR(ValidateMemberName(m.name).Annotate(p + ".name"));
  HEARTH_RETURN_IF_ERROR(
      AgencyFromWire(static_cast<uint8_t>(m.agency)).status().Annotate(p + ".agency"));
  const std::string suite_name(SuiteName(suite));
  if (m.node_key.suite() != suite || m.node_key.raw().empty()) {
    return Status::InvalidArgument(p + ".node_key: not a valid " + suite_name + " public key");
  }
  HEARTH_RETURN_IF_ERROR(PublicKey::FromRaw(Suite::kEd25519Sha256, m.transport_key)
                             .status()
                             .Annotate(p + ".transport_key: not a valid Ed25519 public key"));
  if (m.issuer_keys.size() > kIssuerKeysPerMemberMax) {
    return Status::InvalidArgument(p + ".issuer_keys: " + std::to_string(m.issuer_keys.size()) +
                                   " keys, at most " + std::to_string(kIssuerKeysPerMemberMax));
  }
  for (size_t k = 0; k < m.issuer_keys.size(); ++k) {
    if (m.issuer_keys[k].suite() != suite || m.issuer_keys[k].raw().empty()) {
      return Status::InvalidArgument(p + ".issuer_keys[" + std::to_string(k) +
                                     "]: not a valid " + suite_name + " public key");
    }
  }
  if (m.p2p.size() > kAddressBytesMax) {
    return Status::InvalidArgument(p + ".p2p: longer than " + std::to_string(kAddressBytesMax));
  }
  HEARTH_RETURN_IF_ERROR(ParseHostPort(m.p2p).status().Annotate(p + ".p2p"));
  if (m.api.size() > kAddressBytesMax) {
    return Status::InvalidArgument(p + ".api: longer than " + std::to_string(kAddressBytesMax));
  }
  HEARTH_RETURN_IF_ERROR(ParseApiUrl(m.api).status().Annotate(p + ".api"));
  return Status::Ok();
}

Result<PublicKey> SuiteKeyFromHex(const std::string& hex, Suite suite, const std::string& path) {
  Result<Bytes> raw = FromHex(hex);
  if (!raw.ok()) return raw.status().Annotate(path + ": not hex");
  Result<PublicKey> key = PublicKey::FromRaw(suite, *raw);
  if (!key.ok()) {
    return Status::InvalidArgument(path + ": not a valid " + std::string(SuiteName(suite)) +
                                   " public key (" + key.status().message() + ")");
  }
  return key;
}

Result<GenesisMember> ParseMember(const json& j, Suite suite, size_t i) {
  HEARTH_ASSIGN_OR_RETURN(JsonFields o, JsonFields::Of(j, MemberPath(i)));
  HEARTH_RETURN_IF_ERROR(o.OnlyFields(
      {"name", "agency", "node_key", "transport_key", "issuer_keys", "p2p", "api"}));
  GenesisMember m;
  HEARTH_ASSIGN_OR_RETURN(m.name, o.String("name"));
  HEARTH_ASSIGN_OR_RETURN(std::string agency, o.String("agency"));
  Result<Agency> a = ParseAgency(agency);
  if (!a.ok()) return a.status().Annotate(o.PathOf("agency"));
  m.agency = *a;
  HEARTH_ASSIGN_OR_RETURN(std::string node_hex, o.String("node_key"));
  HEARTH_ASSIGN_OR_RETURN(m.node_key, SuiteKeyFromHex(node_hex, suite, o.PathOf("node_key")));
  HEARTH_ASSIGN_OR_RETURN(std::string transport_hex, o.String("transport_key"));
  Result<Bytes> transport = FromHex(transport_hex);
  if (!transport.ok()) return transport.status().Annotate(o.PathOf("transport_key") + ": not hex");
  m.transport_key = std::move(transport).value();
  HEARTH_ASSIGN_OR_RETURN(const json* issuers, o.Array("issuer_keys"));
  if (issuers->size() > kIssuerKeysPerMemberMax) {
    return Status::InvalidArgument(o.PathOf("issuer_keys") + ": " +
                                   std::to_string(issuers->size()) + " keys, at most " +
                                   std::to_string(kIssuerKeysPerMemberMax));
  }
  for (size_t k = 0; k < issuers->size(); ++k) {
    const std::string path = o.PathOf("issuer_keys") + "[" + std::to_string(k) + "]";
    const json& e = (*issuers)[k];
    if (!e.is_string()) return Status::InvalidArgument(path + ": expected a hex string");
    HEARTH_ASSIGN_OR_RETURN(PublicKey key, SuiteKeyFromHex(e.get<std::string>(), suite, path));
    m.issuer_keys.push_back(std::move(key));
  }
  HEARTH_ASSIGN_OR_RETURN(m.p2p, o.String("p2p"));
  HEARTH_ASSIGN_OR_RETURN(m.api, o.String("api"));
  return m;
}

}  // namespace

// ---- Addresses ----

Result<HostPort> ParseHostPort(std::string_view text, bool allow_port_zero) {
  std::string host;
  std::string_view port_text;
  bool bracketed = false;
  HEARTH_RETURN_IF_ERROR(SplitHostPort(text, &host, &port_text, &bracketed));
  const bool ok_host = bracketed ? IsIpv6(host) : (host == "localhost" || IsIpv4(host));
  if (!ok_host) {
    return Status::InvalidArgument(Quoted(text) + ": host must be an IPv4 literal, " +
                                   "[IPv6 literal] or localhost");
  }
  Result<uint16_t> port = ParsePort(port_text, allow_port_zero);
  if (!port.ok()) return port.status().Annotate(Quoted(text));
  return HostPort{host, *port};
}

bool IsLoopbackHost(std::string_view host) {
  if (host == "localhost" || host == "::1") return true;
  in_addr a{};
  const std::string h(host);
  if (::inet_pton(AF_INET, h.c_str(), &a) != 1) return false;
  return (ntohl(a.s_addr) >> 24) == 127;
}

Result<ApiUrl> ParseApiUrl(std::string_view url) {
  ApiUrl out;
  std::string_view rest;
  if (url.starts_with("https://")) {
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    out.tls = false;
    rest = url.substr(7);
  } else {
    return Status::InvalidArgument(Quoted(url) + kUrlShape);
  }
  std::string_view port_text;
  bool bracketed = false;
  Status split = SplitHostPort(rest, &out.host, &port_text, &bracketed);
  if (!split.ok()) return Status::InvalidArgument(Quoted(url) + kUrlShape);
  const bool ok_host = bracketed ? IsIpv6(out.host)
                                 : (IsIpv4(out.host) || IsDnsName(out.host));
  if (!ok_host) {
    return Status::InvalidArgument(Quoted(url) + ": host must be an IP literal or a DNS name " +
                                   "(no path, user or query)");
  }
  Result<uint16_t> port = ParsePort(port_text, false);
  if (!port.ok()) return port.status().Annotate(Quoted(url));
  out.port = *port;
  return out;
}

Status ValidateMemberName(std::string_view name) {
  if (name.empty() || name.size() > kMemberNameBytesMax) {
    return Status::InvalidArgument("length " + std::to_string(name.size()) + " outside 1.." +
                                   std::to_string(kMemberNameBytesMax));
  }
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '_' && c != '-'))) {
      return Status::InvalidArgument(Quoted(name) +
                                     " must be [A-Za-z0-9_-] starting with a letter or digit");
    }
  }
  return Status::Ok();
}

// ---- Genesis ----

Status ValidateGenesis(const Genesis& g) {
  if (Status s = ValidateChainId(g.chain_id); !s.ok()) {
    return Status::InvalidArgument("genesis." + s.message());  // "genesis.chain_id: ..."
  }
  HEARTH_RETURN_IF_ERROR(
      SuiteFromByte(static_cast<uint8_t>(g.suite)).status().Annotate("genesis.suite"));
  if (g.genesis_time_ms < kTimeMsMin || g.genesis_time_ms >= kTimeMsMax) {
    return Status::InvalidArgument("genesis.genesis_time_ms: " + std::to_string(g.genesis_time_ms) +
                                   " outside [2000-01-01, 2200-01-01) in unix ms");
  }
  const size_t n = g.members.size();
  if (n < 1 || n > consensus::kMembersMax ||
      !consensus::CheckMemberCount(static_cast<uint32_t>(n)).ok()) {
    return Status::InvalidArgument("genesis.members: " + std::to_string(n) +
                                   " members; n must be 3f+1 for some f, 1 <= n <= " +
                                   std::to_string(consensus::kMembersMax) +
                                   " (otherwise 2f+1 votes are not a quorum)");
  }
  const uint32_t want_f = consensus::FaultsTolerated(static_cast<uint32_t>(n));
  if (g.f != want_f) {
    return Status::InvalidArgument("genesis.f: " + std::to_string(g.f) + " but " +
                                   std::to_string(n) + " members need f = " +
                                   std::to_string(want_f) + " (n = 3f+1)");
  }
  for (size_t i = 0; i < n; ++i) HEARTH_RETURN_IF_ERROR(ValidateMember(g.members[i], g.suite, i));
  HEARTH_RETURN_IF_ERROR(CheckMembersDistinct(g));
  return CheckKeysUnique(g);
}

Result<Genesis> ParseGenesis(std::string_view json_text) {
  HEARTH_ASSIGN_OR_RETURN(json doc, ParseJsonStrict(json_text, "genesis", kGenesisBytesMax));
  HEARTH_ASSIGN_OR_RETURN(JsonFields o, JsonFields::Of(doc, "genesis"));
  HEARTH_RETURN_IF_ERROR(o.OnlyFields({"chain_id", "suite", "genesis_time_ms", "f", "members"}));
  Genesis g;
  HEARTH_ASSIGN_OR_RETURN(g.chain_id, o.String("chain_id"));
  HEARTH_ASSIGN_OR_RETURN(std::string suite, o.String("suite"));
  Result<Suite> s = ParseSuite(suite);
  if (!s.ok()) return s.status().Annotate("genesis.suite");
  g.suite = *s;
  HEARTH_ASSIGN_OR_RETURN(g.genesis_time_ms, o.Unsigned("genesis_time_ms"));
  HEARTH_ASSIGN_OR_RETURN(uint64_t f, o.Unsigned("f"));
  if (f > consensus::kMembersMax) {
    return Status::InvalidArgument("genesis.f: " + std::to_string(f) + " is too large");
  }
  g.f = static_cast<uint32_t>(f);
  HEARTH_ASSIGN_OR_RETURN(const json* members, o.Array("members"));
  if (members->size() > consensus::kMembersMax) {
    return Status::InvalidArgument("genesis.members: " + std::to_string(members->size()) +
                                   " members, at most " +
                                   std::to_string(consensus::kMembersMax));
  }
  for (size_t i = 0; i < members->size(); ++i) {
    HEARTH_ASSIGN_OR_RETURN(GenesisMember m, ParseMember((*members)[i], g.suite, i));
    g.members.push_back(std::move(m));
  }
  HEARTH_RETURN_IF_ERROR(ValidateGenesis(g));
  g.hash = GenesisHash(g);
  return g;
}

Result<Genesis> LoadGenesisFile(const std::string& path) {
  HEARTH_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path, kGenesisBytesMax));
  Result<Genesis> g = ParseGenesis(text);
  if (!g.ok()) return g.status().Annotate(path);
  return g;
}

std::string GenesisToJson(const Genesis& g) {
  nlohmann::ordered_json members = nlohmann::ordered_json::array();
  for (const GenesisMember& m : g.members) {
    nlohmann::ordered_json issuers = nlohmann::ordered_json::array();
    for (const PublicKey& k : m.issuer_keys) issuers.push_back(ToHex(k.raw()));
    members.push_back({{"name", m.name},
                       {"agency", std::string(AgencyCode(m.agency))},
                       {"node_key", ToHex(m.node_key.raw())},
                       {"transport_key", ToHex(m.transport_key)},
                       {"issuer_keys", std::move(issuers)},
                       {"p2p", m.p2p},
                       {"api", m.api}});
  }
  nlohmann::ordered_json doc = {{"chain_id", g.chain_id},
                                {"suite", std::string(SuiteName(g.suite))},
                                {"genesis_time_ms", g.genesis_time_ms},
                                {"f", g.f},
                                {"members", std::move(members)}};
  return doc.dump(2) + "\n";
}

Bytes EncodeGenesis(const Genesis& g) {
  Writer w(256 * (g.members.size() + 1));
  w.U8(kGenesisTag);
  w.U8(kGenesisVersion);
  w.U8(static_cast<uint8_t>(g.suite));
  w.Str(g.chain_id);
  w.U64(g.genesis_time_ms);
  w.U32(g.f);
  w.Count(g.members.size());
  for (const GenesisMember& m : g.members) {
    w.Str(m.name);
    w.U8(static_cast<uint8_t>(m.agency));
    w.Blob(m.node_key.raw());
    w.Blob(m.transport_key);
    w.Count(m.issuer_keys.size());
    for (const PublicKey& k : m.issuer_keys) w.Blob(k.raw());
  }
  return w.Take();
}

Hash32 GenesisHash(const Genesis& g) { return SuiteHash(g.suite, EncodeGenesis(g)); }

std::optional<size_t> MemberIndexByNodeKeyId(const Genesis& g, const Hash32& key_id) {
  for (size_t i = 0; i < g.members.size(); ++i) {
    if (g.members[i].node_key.Id() == key_id) return i;
  }
  return std::nullopt;
}

std::optional<size_t> MemberIndexByName(const Genesis& g, std::string_view name) {
  for (size_t i = 0; i < g.members.size(); ++i) {
    if (g.members[i].name == name) return i;
  }
  return std::nullopt;
}

std::optional<Agency> IssuerAgency(const Genesis& g, const Hash32& key_id) {
  for (const GenesisMember& m : g.members) {
    for (const PublicKey& k : m.issuer_keys) {
      if (k.Id() == key_id) return m.agency;
    }
  }
  return std::nullopt;
}

// ---- Strict JSON ----

Result<nlohmann::json> ParseJsonStrict(std::string_view text, std::string_view what,
                                       size_t max_bytes) {
  return hearth::ParseJsonStrict(text, what, max_bytes, kJsonDepthMax);
}

Result<JsonFields> JsonFields::Of(const nlohmann::json& j, std::string path) {
  if (!j.is_object()) {
    return Status::InvalidArgument(path.empty() ? "expected an object"
                                                : path + ": expected an object");
  }
  return JsonFields(&j, std::move(path));
}

Status JsonFields::OnlyFields(std::initializer_list<std::string_view> allowed) const {
  for (auto it = j_->begin(); it != j_->end(); ++it) {
    bool known = false;
    for (std::string_view a : allowed) known = known || a == it.key();
    if (!known) return Status::InvalidArgument(PathOf(it.key()) + ": unknown field");
  }
  return Status::Ok();
}

bool JsonFields::Has(std::string_view key) const { return j_->contains(key); }

std::string JsonFields::PathOf(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

Result<const nlohmann::json*> JsonFields::Get(std::string_view key) const {
  auto it = j_->find(key);
  if (it == j_->end()) return Status::InvalidArgument(PathOf(key) + ": missing");
  return &*it;
}

Result<std::string> JsonFields::String(std::string_view key) const {
  HEARTH_ASSIGN_OR_RETURN(const json* v, Get(key));
  if (!v->is_string()) return Status::InvalidArgument(PathOf(key) + ": expected a string");
  return v->get<std::string>();
}

Result<uint64_t> JsonFields::Unsigned(std::string_view key) const {
  HEARTH_ASSIGN_OR_RETURN(const json* v, Get(key));
  if (!v->is_number_unsigned()) {
    return Status::InvalidArgument(PathOf(key) + ": expected a non-negative integer");
  }
  return v->get<uint64_t>();
}

Result<bool> JsonFields::Bool(std::string_view key) const {
  HEARTH_ASSIGN_OR_RETURN(const json* v, Get(key));
  if (!v->is_boolean()) return Status::InvalidArgument(PathOf(key) + ": expected true or false");
  return v->get<bool>();
}

Result<const nlohmann::json*> JsonFields::Array(std::string_view key) const {
  HEARTH_ASSIGN_OR_RETURN(const json* v, Get(key));
  if (!v->is_array()) return Status::InvalidArgument(PathOf(key) + ": expected an array");
  return v;
}

Result<const nlohmann::json*> JsonFields::Object(std::string_view key) const {
  HEARTH_ASSIGN_OR_RETURN(const json* v, Get(key));
  if (!v->is_object()) return Status::InvalidArgument(PathOf(key) + ": expected an object");
  return v;
}


}  // namespace hearth::node
