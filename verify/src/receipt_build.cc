// Building a receipt: the reference JSON tree of the body (ReceiptBody, which the verifier
// uses to name a differing field), BuildReceipt over a StoreEvidence (with the direct writer
// of receipt_write.cc), and RunCheck (receipt.h; docs/RECEIPT.md).
#include <ctime>
#include <string>
#include <unordered_set>
#include <utility>

#include "hearth/json/json_fields.h"
#include "hearth/ledger/categories.h"
#include "hearth/ledger/merkle.h"
#include "hearth/verify/receipt.h"
#include "receipt_internal.h"

namespace hearth::verify {

namespace receipt_internal {

namespace {

using json = nlohmann::json;

json OptionalInt(const std::optional<int64_t>& v) {
  return v.has_value() ? json(*v) : json(nullptr);
}

json RequestJson(const CheckRequest& r) {
  return json{{"household", r.household.Hex()},
              {"members", HashList(r.members)},
              {"programme", std::string(ProgrammeCode(r.programme))},
              {"as_of", r.as_of},
              {"consent", r.consent.Hex()}};
}

json MemberMonthsJson(const std::vector<MemberMonth>& months) {
  json out = json::array();
  for (const MemberMonth& mm : months) {
    json amounts = json::array();
    for (const MonthAmount& a : mm.amounts) {
      amounts.push_back(json{{"category", std::string(CategoryCode(a.category))},
                             {"agency", std::string(AgencyCode(a.agency))},
                             {"fen", a.fen},
                             {"tx", a.tx.Hex()}});
    }
    json missing = json::array();
    for (Agency a : mm.missing_reporters) missing.push_back(std::string(AgencyCode(a)));
    out.push_back(json{{"subject", mm.subject.Hex()},
                       {"month", mm.month},
                       {"member", mm.member},
                       {"amounts", std::move(amounts)},
                       {"counted_fen", mm.counted_fen},
                       {"missing_reporters", std::move(missing)}});
  }
  return out;
}

json ReasonsJson(const std::vector<Reason>& reasons) {
  json out = json::array();
  for (const Reason& r : reasons) out.push_back(json{{"code", r.code}, {"zh", r.zh}, {"en", r.en}});
  return out;
}

json ConditionsJson(const std::vector<ConditionResult>& conditions) {
  json out = json::array();
  for (const ConditionResult& c : conditions) {
    out.push_back(json{{"name", c.name},
                       {"status", std::string(ConditionStatusCode(c.status))},
                       {"detail", c.detail}});
  }
  return out;
}

Result<json> RuleSetJson(const ReceiptParts& parts) {
  const CheckResult& result = *parts.result;
  for (const EvidenceItem& e : parts.evidence) {
    if (e.tx->id() != result.rule_set_tx) continue;
    if (e.tx->kind() != TxKind::kRuleSet) break;
    const RuleSet& rs = PayloadAs<RuleSet>(*e.tx);
    HEARTH_ASSIGN_OR_RETURN(json rules, ParseJsonStrict(rs.rules_json, "receipt.rule_set.rules",
                                                        kRuleSetJsonBytesMax, kReceiptDepthMax - 4));
    return json{{"tx", result.rule_set_tx.Hex()},
                {"programme", std::string(ProgrammeCode(rs.programme))},
                {"version", rs.version},
                {"effective_from", rs.effective_from},
                {"rules", std::move(rules)}};
  }
  return Status::InvalidArgument("receipt.rule_set.tx: rule set " + result.rule_set_tx.Hex() +
                                 " is not a RuleSet in the evidence");
}

json CheckpointJson(const ReceiptParts& parts) {
  const BlockHeader& h = *parts.header;
  return json{{"height", h.height},
              {"time_ms", h.time_ms},
              {"block_hash", BlockHash(h).Hex()},
              {"log_size", h.log_size},
              {"log_root", h.log_root.Hex()},
              {"index_root", h.index_root.Hex()},
              {"header", ToHex(parts.header_bytes)},
              {"certificate", ToHex(parts.certificate_bytes)}};
}

json EvidenceJson(const std::vector<EvidenceItem>& evidence, const ProofTable& table) {
  json out = json::array();
  for (size_t i = 0; i < evidence.size(); ++i) {
    const EvidenceItem& e = evidence[i];
    json refs = json::array();
    for (uint32_t ref : table.Refs(i)) refs.push_back(ref);
    out.push_back(json{{"id", e.tx->id().Hex()},
                       {"log_index", e.log_index},
                       {"tx", ToHex(e.tx->Encode())},
                       {"inclusion_proof", std::move(refs)}});
  }
  return out;
}

json IndexJson(const std::vector<IndexItem>& index) {
  json out = json::array();
  for (const IndexItem& i : index) {
    out.push_back(json{{"key", ToHex(EncodeIndexKey(*i.key))},
                       {"name", i.key->ToString()},
                       {"ids", HashList(i.ids)},
                       {"proof", ToHex(i.proof->Encode())}});
  }
  return out;
}

}  // namespace

Result<nlohmann::json> ReceiptBody(const ReceiptParts& parts) {
  const Trust& trust = *parts.trust;
  const CheckResult& r = *parts.result;
  HEARTH_ASSIGN_OR_RETURN(json rule_set, RuleSetJson(parts));
  json body = json::object();
  body["format"] = kReceiptFormat;
  body["chain_id"] = trust.chain_id;
  body["suite"] = std::string(SuiteName(trust.suite));
  body["genesis_hash"] = trust.genesis_hash.Hex();
  body["request"] = RequestJson(*parts.request);
  body["decision"] = std::string(DecisionCode(r.decision));
  body["reasons"] = ReasonsJson(r.reasons);
  body["per_capita_monthly_fen"] = OptionalInt(r.per_capita_monthly_fen);
  body["threshold_fen"] = OptionalInt(r.threshold_fen);
  body["income_total_fen"] = r.income_total_fen;
  body["member_months_counted"] = r.member_months_counted;
  body["window"] = json{{"first", r.window_first}, {"last", r.window_last}};
  body["member_months"] = MemberMonthsJson(r.member_months);
  body["conditions"] = ConditionsJson(r.conditions);
  body["rule_set"] = std::move(rule_set);
  body["household"] = json{{"declaration_tx", r.declaration_tx.Hex()},
                           {"members", HashList(r.declared_members)},
                           {"consent_tx", parts.request->consent.Hex()}};
  body["used_txs"] = HashList(r.used_txs);
  body["checkpoint"] = CheckpointJson(parts);
  const ProofTable table = MakeProofTable(parts.evidence);
  body["evidence"] = EvidenceJson(parts.evidence, table);
  body["proof_nodes"] = HashList(table.nodes);
  body["index"] = IndexJson(parts.index);
  body["signer"] = parts.signer;
  return body;
}

}  // namespace receipt_internal

using receipt_internal::EvidenceItem;
using receipt_internal::IndexItem;
using receipt_internal::ReceiptParts;


namespace {

// The parts of a receipt over `evidence` (after its inclusion proofs are made), with the
// encoded header and certificate they point into.
struct GatheredParts {
  Bytes header_bytes;
  Bytes certificate_bytes;
  ReceiptParts parts;
};

Status Gather(const Trust& trust, const CheckRequest& request, const CheckResult& result,
              StoreEvidence& evidence, const BlockHeader& header,
              const CommitCertificate& certificate, uint16_t member, GatheredParts& g) {
  if (!request.consent_required) {
    return Status::InvalidArgument("receipt: a receipt needs a check that relied on a consent");
  }
  if (!evidence.has_proofs()) {
    return Status::InvalidArgument("receipt: the evidence was read without index proofs");
  }
  if (header != evidence.header() || certificate.height != header.height ||
      certificate.block_hash != BlockHash(header)) {
    return Status::InvalidArgument("receipt: header or certificate is not the checkpoint at height " +
                                   std::to_string(evidence.height()));
  }
  HEARTH_RETURN_IF_ERROR(evidence.ProveInclusions());
  ReceiptParts& parts = g.parts;
  parts.trust = &trust;
  parts.request = &request;
  parts.result = &result;
  parts.header = &header;
  g.header_bytes = EncodeBlockHeader(header);
  g.certificate_bytes = EncodeCertificate(certificate);
  parts.header_bytes = g.header_bytes;
  parts.certificate_bytes = g.certificate_bytes;
  parts.signer = member;
  // The index in the order the engine read it; the evidence is every tx filed under those
  // keys, each once, in log order.
  std::unordered_map<Hash32, const StoreEvidence::KeyRead*> by_hash;
  by_hash.reserve(evidence.keys().size());
  for (const StoreEvidence::KeyRead& k : evidence.keys()) by_hash.emplace(k.key_hash, &k);
  std::unordered_set<Hash32> in_evidence;
  parts.index.reserve(result.keys_read.size());
  for (const IndexKey& key : result.keys_read) {
    auto it = by_hash.find(IndexKeyHash(trust.suite, key));
    if (it == by_hash.end()) {
      return Status::InvalidArgument("receipt: key " + key.ToString() +
                                     " in the result was not read through the evidence source");
    }
    const StoreEvidence::KeyRead& k = *it->second;
    parts.index.push_back(IndexItem{&k.key, k.entry.ids, &k.entry.proof});
    for (const Hash32& id : k.entry.ids) in_evidence.insert(id);
  }
  const std::vector<const StoreEvidence::TxRead*> txs = evidence.TxsInLogOrder();
  parts.evidence.reserve(txs.size());
  for (const StoreEvidence::TxRead* t : txs) {
    if (in_evidence.count(t->logged.tx.id()) == 0) continue;
    parts.evidence.push_back(EvidenceItem{&t->logged.tx, t->logged.log_index, t->inclusion_proof});
  }
  return Status::Ok();
}

// The reference way: the body as an nlohmann tree, signed and written by CanonicalJson.
Result<std::string> BuildViaTree(const ReceiptParts& parts, const PrivateKey& signer,
                                 Hash32* receipt_hash) {
  HEARTH_ASSIGN_OR_RETURN(nlohmann::json body, receipt_internal::ReceiptBody(parts));
  HEARTH_ASSIGN_OR_RETURN(Hash32 hash, SignReceiptJson(body, signer, parts.trust->chain_id));
  if (receipt_hash != nullptr) *receipt_hash = hash;
  HEARTH_ASSIGN_OR_RETURN(std::string text, CanonicalJson(body));
  text += '\n';
  return text;
}

}  // namespace

uint64_t ThreadCpuNs() {
  timespec ts{};
  if (::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return 0;
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

Result<std::string> BuildReceipt(const Trust& trust, const CheckRequest& request,
                                 const CheckResult& result, StoreEvidence& evidence,
                                 const BlockHeader& header, const CommitCertificate& certificate,
                                 const PrivateKey& signer, uint16_t member,
                                 Hash32* receipt_hash, CheckCpu* cpu) {
  // Each part's CPU time goes to `cpu` (if any), also when the part fails.
  uint64_t mark = cpu != nullptr ? ThreadCpuNs() : 0;
  auto charge = [&](uint64_t CheckCpu::*part) {
    if (cpu == nullptr) return;
    const uint64_t now = ThreadCpuNs();
    cpu->*part += now - mark;
    mark = now;
  };
  GatheredParts g;
  Status gathered = Gather(trust, request, result, evidence, header, certificate, member, g);
  charge(&CheckCpu::proofs_ns);  // Gather's cost is the inclusion proofs
  HEARTH_RETURN_IF_ERROR(gathered);
  std::string body;
  size_t signature_at = 0;
  const bool written = receipt_internal::WriteReceiptBody(g.parts, &body, &signature_at).ok();
  charge(&CheckCpu::text_ns);
  if (!written) return BuildViaTree(g.parts, signer, receipt_hash);  // names the exact error
  const Hash32 hash = ReceiptBodyHash(trust.suite, body);
  if (receipt_hash != nullptr) *receipt_hash = hash;
  Result<Bytes> signed_hash = SignReceiptHash(signer, trust.chain_id, hash);
  charge(&CheckCpu::signature_ns);
  HEARTH_ASSIGN_OR_RETURN(Bytes signature, std::move(signed_hash));
  // The signed text with "signature" in its canonical place (before "signer"), and a newline.
  static constexpr std::string_view kSignatureKey = "\"signature\":\"";
  std::string text;
  text.reserve(body.size() + kSignatureKey.size() + 2 * signature.size() + 3);
  text.append(body, 0, signature_at);
  text += kSignatureKey;
  receipt_internal::AppendHex(signature, text);
  text += "\",";
  text.append(body, signature_at);
  text += '\n';
  return text;
}

Result<std::string> TEST_ReceiptBodyViaTree(const Trust& trust, const CheckRequest& request,
                                            const CheckResult& result, StoreEvidence& evidence,
                                            const BlockHeader& header,
                                            const CommitCertificate& certificate, uint16_t member) {
  GatheredParts g;
  HEARTH_RETURN_IF_ERROR(Gather(trust, request, result, evidence, header, certificate, member, g));
  HEARTH_ASSIGN_OR_RETURN(nlohmann::json body, receipt_internal::ReceiptBody(g.parts));
  return CanonicalJson(body);
}

Result<CheckOutcome> RunCheck(const BlockStore& store, uint64_t height, const Trust& trust,
                              CheckRequest request, const PrivateKey& signer, uint16_t member) {
  const uint64_t start = ThreadCpuNs();
  HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<StoreEvidence> evidence, StoreEvidence::Open(store, height));
  HEARTH_ASSIGN_OR_RETURN(CommitCertificate certificate, store.Certificate(height));
  request.checkpoint_time_ms = evidence->header().time_ms;
  CheckCpu cpu;
  HEARTH_ASSIGN_OR_RETURN(CheckResult result, Evaluate(trust, request, *evidence));
  cpu.evidence_ns = ThreadCpuNs() - start;
  Hash32 hash;
  HEARTH_ASSIGN_OR_RETURN(std::string receipt,
                          BuildReceipt(trust, request, result, *evidence, evidence->header(),
                                       certificate, signer, member, &hash, &cpu));
  return CheckOutcome{std::move(result), std::move(receipt), hash, cpu};
}

}  // namespace hearth::verify
