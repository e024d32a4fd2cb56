#include "hearth/node/node_api.h"

#include <unistd.h>

#include <charconv>
#include <nlohmann/json.hpp>

#include "hearth/api/record_json.h"
#include "hearth/ledger/merkle.h"

namespace hearth::node {

namespace {

using api::HttpRequest;
using api::HttpResponse;
using api::JsonError;
using api::Role;
using nlohmann::json;

const std::vector<Role> kAnyRole = {Role::kAgency, Role::kCaseworker, Role::kAuditor, Role::kAdmin};

HttpResponse Json(const json& j, unsigned status = 200) {
  HttpResponse r;
  r.status = status;
  r.body = j.dump();
  r.body += '\n';
  return r;
}

HttpResponse FromStatus(const Status& st) {
  switch (st.code()) {
    case Code::kNotFound: return JsonError(404, "not_found", st.message());
    case Code::kOutOfRange: return JsonError(404, "out_of_range", st.message());
    case Code::kInvalidArgument: return JsonError(400, "bad_request", st.message());
    case Code::kUnavailable: return JsonError(503, "unavailable", st.message());
    default: return JsonError(500, "internal", st.ToString());
  }
}

Result<uint64_t> QueryU64(const HttpRequest& req, const std::string& name, std::optional<uint64_t> def) {
  auto it = req.query.find(name);
  if (it == req.query.end()) {
    if (def) return *def;
    return Status::InvalidArgument("query parameter " + name + " is required");
  }
  uint64_t v = 0;
  const std::string& s = it->second;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) {
    return Status::InvalidArgument("query parameter " + name + "=\"" + s.substr(0, 32) +
                                   "\": expected a non-negative integer");
  }
  return v;
}

Result<uint64_t> ParseHeight(const std::string& s) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) {
    return Status::InvalidArgument("height \"" + s.substr(0, 32) + "\": expected a positive integer");
  }
  return v;
}

json HashList(const std::vector<Hash32>& v) {
  json a = json::array();
  for (const auto& h : v) a.push_back(h.Hex());
  return a;
}

json HeaderJson(const BlockHeader& h) {
  return json{{"height", h.height},          {"hash", BlockHash(h).Hex()},
              {"prev_hash", h.prev_hash.Hex()}, {"time_ms", h.time_ms},
              {"proposer", h.proposer},      {"tx_count", h.tx_count},
              {"tx_root", h.tx_root.Hex()},  {"log_size", h.log_size},
              {"log_root", h.log_root.Hex()}, {"index_root", h.index_root.Hex()},
              {"suite", std::string(SuiteName(h.suite))}, {"chain_id", h.chain_id}};
}

json CertificateJson(const CommitCertificate& c) {
  json votes = json::array();
  for (const auto& v : c.votes) votes.push_back({{"member", v.member}, {"signature", ToHex(v.signature)}});
  return json{{"height", c.height}, {"round", c.round}, {"block_hash", c.block_hash.Hex()}, {"votes", votes}};
}

HttpResponse PostRecords(Node& node, const HttpRequest& req) {
  const auto& principal = *req.principal;
  if (!principal.agency) return JsonError(403, "forbidden", "this principal has no agency");
  std::vector<std::string_view> raw;
  std::string_view body = req.body;
  size_t start = 0;
  while (start < body.size()) {
    size_t end = body.find('\n', start);
    if (end == std::string_view::npos) end = body.size();
    std::string_view line = body.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    raw.push_back(line);
    start = end + 1;
  }
  while (!raw.empty() && raw.back().find_first_not_of(" \t") == std::string_view::npos) raw.pop_back();
  if (raw.empty()) return JsonError(400, "bad_request", "empty body: expected a JSON record or NDJSON lines");
  if (raw.size() > kBulkLinesMax) {
    return JsonError(413, "too_many_lines", "bulk of " + std::to_string(raw.size()) +
                                                " lines: at most " + std::to_string(kBulkLinesMax));
  }
  const bool bulk = raw.size() > 1 || req.content_type.find("ndjson") != std::string::npos;
  std::vector<Result<Transaction>> lines;
  lines.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    auto tx = api::ParseRecordLine(raw[i]);
    if (tx.ok() && tx->body().chain_id != node.genesis().chain_id) {
      tx = Status::InvalidArgument("transaction.chain_id: \"" + tx->body().chain_id +
                                   "\" is not this chain's (\"" + node.genesis().chain_id + "\")");
    }
    lines.push_back(std::move(tx));
  }
  std::vector<SubmitOutcome> out = node.Submit(std::move(lines), principal.agency);
  auto line_json = [&](size_t i) {
    const SubmitOutcome& o = out[i];
    json j{{"line", i + 1}, {"result", std::string(SubmitKindName(o.kind))}};
    if (o.id) j["id"] = o.id->Hex();
    if (!o.reason.empty()) j["reason"] = o.reason;
    if (!o.warning.empty()) j["warning"] = o.warning;
    return j;
  };
  if (!bulk) {
    const SubmitOutcome& o = out[0];
    unsigned status = 200;
    if (o.kind == SubmitOutcome::Kind::kAccepted) status = 201;
    if (o.kind == SubmitOutcome::Kind::kRejected) status = o.reason.rfind("forbidden", 0) == 0 ? 403 : 422;
    if (o.kind == SubmitOutcome::Kind::kRetryLater) status = 503;
    HttpResponse r = Json(line_json(0), status);
    if (status == 503) r.headers.emplace_back("Retry-After", "1");
    return r;
  }
  HttpResponse r;
  r.content_type = "application/x-ndjson";
  size_t counts[4] = {0, 0, 0, 0};
  for (size_t i = 0; i < out.size(); ++i) {
    r.body += line_json(i).dump();
    r.body += '\n';
    ++counts[static_cast<size_t>(out[i].kind)];
  }
  r.headers.emplace_back("X-Hearth-Accepted", std::to_string(counts[0]));
  r.headers.emplace_back("X-Hearth-Duplicate", std::to_string(counts[1]));
  r.headers.emplace_back("X-Hearth-Rejected", std::to_string(counts[2]));
  r.headers.emplace_back("X-Hearth-Retry-Later", std::to_string(counts[3]));
  return r;
}

HttpResponse GetTx(Node& node, const HttpRequest& req) {
  auto id = Hash32::FromHex(req.path_params.at("id"));
  if (!id.ok()) return JsonError(400, "bad_request", "id: expected 64 hex digits");
  TxStatus s = node.GetTxStatus(*id);
  switch (s.state) {
    case TxStatus::State::kUnknown:
      return JsonError(404, "not_found", "no transaction " + id->Hex() + " is pending or committed here");
    case TxStatus::State::kPending:
      return Json({{"id", id->Hex()}, {"state", "pending"}});
    case TxStatus::State::kDropped:
      return Json({{"id", id->Hex()}, {"state", "dropped"}, {"reason", s.dropped_reason}});
    case TxStatus::State::kCommitted: break;
  }
  const StoredTx& st = *s.committed;
  const uint64_t size = node.store().head().log_size;
  auto proof = node.store().InclusionProof(st.location.log_index, size);
  auto root = node.store().LogRootAt(size);
  if (!proof.ok()) return FromStatus(proof.status());
  if (!root.ok()) return FromStatus(root.status());
  return Json({{"id", id->Hex()},
               {"state", "committed"},
               {"height", st.location.height},
               {"position", st.location.position},
               {"log_index", st.location.log_index},
               {"log_size", size},
               {"log_root", root->Hex()},
               {"inclusion_proof", HashList(*proof)},
               {"record", api::TransactionToJson(st.tx)}});
}

HttpResponse GetBlock(Node& node, const HttpRequest& req) {
  auto h = ParseHeight(req.path_params.at("height"));
  if (!h.ok()) return FromStatus(h.status());
  auto block = node.store().GetBlock(*h);
  if (!block.ok()) return FromStatus(block.status());
  auto cert = node.store().Certificate(*h);
  if (!cert.ok()) return FromStatus(cert.status());
  json ids = json::array();
  for (const auto& tx : block->txs) ids.push_back(tx.id().Hex());
  json j{{"header", HeaderJson(block->header)}, {"certificate", CertificateJson(*cert)}, {"tx_ids", ids}};
  if (req.query.count("records")) {
    json recs = json::array();
    for (const auto& tx : block->txs) recs.push_back(api::TransactionToJson(tx));
    j["records"] = std::move(recs);
  }
  return Json(j);
}

HttpResponse GetBlockRange(Node& node, const HttpRequest& req) {
  auto from = QueryU64(req, "from", std::nullopt);
  if (!from.ok()) return FromStatus(from.status());
  const uint64_t head = node.store().head().height;
  auto to = QueryU64(req, "to", std::min(head, *from + kBlocksPerRangeMax - 1));
  if (!to.ok()) return FromStatus(to.status());
  if (*from == 0 || *to < *from) return JsonError(400, "bad_request", "need 1 <= from <= to");
  if (*to - *from + 1 > kBlocksPerRangeMax) {
    return JsonError(400, "range_too_large", "at most " + std::to_string(kBlocksPerRangeMax) + " blocks per request");
  }
  json blocks = json::array();
  size_t bytes = 0;
  for (uint64_t h = *from; h <= std::min(*to, head); ++h) {
    auto block = node.store().GetBlock(h);
    auto cert = node.store().CertificateBytes(h);
    if (!block.ok()) return FromStatus(block.status());
    if (!cert.ok()) return FromStatus(cert.status());
    std::string hex = ToHex(EncodeBlock(*block));
    bytes += hex.size();
    blocks.push_back({{"height", h}, {"block", std::move(hex)}, {"certificate", ToHex(*cert)}});
    if (bytes > 32u * 1024 * 1024) break;  // the client asks again from where this ends
  }
  return Json({{"head", head}, {"blocks", blocks}});
}

HttpResponse GetCheckpoint(Node& node) {
  const ChainHead head = node.store().head();
  if (head.height == 0) return JsonError(404, "not_found", "no block committed yet");
  auto header = node.store().Header(head.height);
  auto cert = node.store().Certificate(head.height);
  if (!header.ok()) return FromStatus(header.status());
  if (!cert.ok()) return FromStatus(cert.status());
  return Json({{"header", HeaderJson(*header)},
               {"header_hex", ToHex(EncodeBlockHeader(*header))},
               {"certificate", CertificateJson(*cert)},
               {"certificate_hex", ToHex(EncodeCertificate(*cert))}});
}

HttpResponse GetInclusion(Node& node, const HttpRequest& req) {
  const uint64_t head_size = node.store().head().log_size;
  auto size = QueryU64(req, "size", head_size);
  if (!size.ok()) return FromStatus(size.status());
  uint64_t index = 0;
  std::optional<Hash32> id;
  if (auto it = req.query.find("id"); it != req.query.end()) {
    auto h = Hash32::FromHex(it->second);
    if (!h.ok()) return JsonError(400, "bad_request", "id: expected 64 hex digits");
    auto loc = node.store().LocateTx(*h);
    if (!loc.ok()) return FromStatus(loc.status());
    index = loc->log_index;
    id = *h;
  } else {
    auto i = QueryU64(req, "index", std::nullopt);
    if (!i.ok()) return JsonError(400, "bad_request", "give id=<tx id> or index=<log index>");
    index = *i;
  }
  if (*size > head_size || index >= *size) {
    return JsonError(400, "out_of_range", "need index < size <= " + std::to_string(head_size));
  }
  auto proof = node.store().InclusionProof(index, *size);
  auto root = node.store().LogRootAt(*size);
  auto leaf = node.store().LogLeafHash(index);
  if (!proof.ok()) return FromStatus(proof.status());
  if (!root.ok()) return FromStatus(root.status());
  if (!leaf.ok()) return FromStatus(leaf.status());
  json j{{"log_index", index}, {"log_size", *size}, {"leaf_hash", leaf->Hex()},
         {"root", root->Hex()}, {"proof", HashList(*proof)}};
  if (id) j["id"] = id->Hex();
  return Json(j);
}

HttpResponse GetConsistency(Node& node, const HttpRequest& req) {
  const uint64_t head_size = node.store().head().log_size;
  auto from = QueryU64(req, "from", std::nullopt);
  auto to = QueryU64(req, "to", head_size);
  if (!from.ok()) return FromStatus(from.status());
  if (!to.ok()) return FromStatus(to.status());
  if (*from > *to || *to > head_size) {
    return JsonError(400, "out_of_range", "need from <= to <= " + std::to_string(head_size));
  }
  auto proof = node.store().ConsistencyProof(*from, *to);
  auto r1 = node.store().LogRootAt(*from);
  auto r2 = node.store().LogRootAt(*to);
  if (!proof.ok()) return FromStatus(proof.status());
  if (!r1.ok()) return FromStatus(r1.status());
  if (!r2.ok()) return FromStatus(r2.status());
  return Json({{"from", *from}, {"to", *to}, {"root_from", r1->Hex()}, {"root_to", r2->Hex()},
               {"proof", HashList(*proof)}});
}

}  // namespace

void RegisterNodeRoutes(api::HttpServer& server, Node& node) {
  Node* n = &node;
  if (node.config().is_voter()) {
    server.AddRoute({"POST", "/v1/records", {Role::kAgency}, [n](const HttpRequest& r) { return PostRecords(*n, r); }});
  } else {
    // An observer never admits records: answered to anyone (no token needed to learn that),
    // 409 rather than 503 so that retrying clients (hearth submit) stop at once.
    std::string members;
    for (const FollowTarget& t : node.config().follow) members += (members.empty() ? "" : ", ") + t.url;
    const std::string message = std::string(kObserverSubmitRefusal) + " (this observer follows " + members + ")";
    server.AddRoute({"POST", "/v1/records", {}, [message](const HttpRequest&) {
                       return JsonError(409, "observer", message);
                     }});
  }
  server.AddRoute({"GET", "/v1/tx/{id}", kAnyRole, [n](const HttpRequest& r) { return GetTx(*n, r); }});
  server.AddRoute({"GET", "/v1/blocks/{height}", kAnyRole, [n](const HttpRequest& r) { return GetBlock(*n, r); }});
  server.AddRoute({"GET", "/v1/blocks", kAnyRole, [n](const HttpRequest& r) { return GetBlockRange(*n, r); }});
  server.AddRoute({"GET", "/v1/checkpoint", kAnyRole, [n](const HttpRequest&) { return GetCheckpoint(*n); }});
  server.AddRoute({"GET", "/v1/proof/inclusion", kAnyRole, [n](const HttpRequest& r) { return GetInclusion(*n, r); }});
  server.AddRoute({"GET", "/v1/proof/consistency", kAnyRole, [n](const HttpRequest& r) { return GetConsistency(*n, r); }});
  server.AddRoute({"GET", "/healthz", {}, [n](const HttpRequest&) {
                     const ChainHead h = n->store().head();
                     json j{{"status", "ok"},
                            {"chain_id", n->genesis().chain_id},
                            {"role", n->config().role},
                            {"member", n->config().member_name},
                            {"height", h.height},
                            {"log_size", h.log_size},
                            {"log_root", h.log_root.Hex()},
                            {"index_root", h.index_root.Hex()},
                            {"block_hash", h.block_hash.Hex()},
                            {"mempool", n->mempool_size()},
                            {"pid", static_cast<uint64_t>(::getpid())}};
                     return Json(j);
                   }});
  api::HttpServer* s = &server;
  server.AddRoute({"GET", "/metrics", {}, [n, s](const HttpRequest&) {
                     HttpResponse r;
                     r.content_type = "text/plain; version=0.0.4";
                     r.body = n->MetricsText() + s->MetricsText();
                     return r;
                   }});
}

}  // namespace hearth::node
