// WriteReceiptBody (receipt_internal.h): the receipt body's canonical JSON written straight
// into one reserved buffer. Building an nlohmann tree and then serialising it cost about a
// fifth of a receipt (docs/PERFORMANCE.md); this writes the same bytes with one allocation
// for the text and a few for encodings. ReceiptBody (receipt_build.cc) stays the reference.
#include <algorithm>
#include <bit>
#include <charconv>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hearth/base/check.h"
#include "hearth/json/json_fields.h"
#include "hearth/ledger/categories.h"
#include "hearth/verify/memo.h"
#include "hearth/verify/receipt.h"
#include "receipt_internal.h"

namespace hearth::verify::receipt_internal {

void AppendInt(int64_t v, std::string& out) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, v).ptr;
  out.append(digits, static_cast<size_t>(end - digits));
}

void AppendUint(uint64_t v, std::string& out) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, v).ptr;
  out.append(digits, static_cast<size_t>(end - digits));
}

void AppendHex(ByteView b, std::string& out) {
  static constexpr char kDigits[] = "0123456789abcdef";
  const size_t at = out.size();
  out.resize(at + 2 * b.size());
  char* p = out.data() + at;
  for (uint8_t byte : b) {
    *p++ = kDigits[byte >> 4];
    *p++ = kDigits[byte & 0x0f];
  }
}

namespace {

// A canonical JSON writer over one string. Keys must be plain ASCII literals given in
// ascending byte order within each object (HEARTH_CHECKed: canonical order by construction);
// values are escaped as CanonicalJson escapes them. A string that is not valid UTF-8 clears
// ok() (the caller then falls back to the reference, which names the field).
class CanonicalWriter {
 public:
  explicit CanonicalWriter(std::string& out) : out_(out) {}

  void Open() {
    Value();
    out_ += '{';
    stack_.push_back(Level{true, {}, true});
  }
  void Close() {
    HEARTH_CHECK(!stack_.empty() && stack_.back().object && !after_key_);
    stack_.pop_back();
    out_ += '}';
  }
  void OpenArray() {
    Value();
    out_ += '[';
    stack_.push_back(Level{false, {}, true});
  }
  void CloseArray() {
    HEARTH_CHECK(!stack_.empty() && !stack_.back().object);
    stack_.pop_back();
    out_ += ']';
  }
  void Key(std::string_view k) {
    HEARTH_CHECK(!stack_.empty() && stack_.back().object && !after_key_);
    Level& l = stack_.back();
    HEARTH_CHECK_MSG(l.first || l.last_key < k, "receipt writer: keys out of canonical order");
    if (!l.first) out_ += ',';
    l.first = false;
    l.last_key = k;
    out_ += '"';
    out_ += k;
    out_ += "\":";
    after_key_ = true;
  }
  void Str(std::string_view s) {
    Value();
    if (!AppendJsonString(s, out_)) ok_ = false;
  }
  void Hex(ByteView b) {
    Value();
    out_ += '"';
    AppendHex(b, out_);
    out_ += '"';
  }
  void Hash(const Hash32& h) { Hex(h.view()); }
  void Hashes(std::span<const Hash32> hashes) {
    OpenArray();
    for (const Hash32& h : hashes) Hash(h);
    CloseArray();
  }
  void Int(int64_t v) {
    Value();
    AppendInt(v, out_);
  }
  void Uint(uint64_t v) {
    Value();
    AppendUint(v, out_);
  }
  void OptInt(const std::optional<int64_t>& v) {
    if (v.has_value()) {
      Int(*v);
    } else {
      Value();
      out_ += "null";
    }
  }
  void Bool(bool b) {
    Value();
    out_ += b ? "true" : "false";
  }
  // A value that is already canonical JSON text.
  void Canonical(std::string_view text) {
    Value();
    out_ += text;
  }

  bool ok() const { return ok_ && stack_.empty(); }
  size_t size() const { return out_.size(); }

 private:
  struct Level {
    bool object = false;
    std::string_view last_key;
    bool first = true;
  };
  // Before every value: a comma between array elements; in an object, a key must precede.
  void Value() {
    if (stack_.empty()) return;
    Level& l = stack_.back();
    if (l.object) {
      HEARTH_CHECK(after_key_);
      after_key_ = false;
      return;
    }
    if (!l.first) out_ += ',';
    l.first = false;
  }

  std::string& out_;
  std::vector<Level> stack_;
  bool after_key_ = false;
  bool ok_ = true;
};

// The canonical text of a rule set's JSON as a receipt carries it (ReceiptBody parses it
// with these limits), memoised like the parsed Rules: every receipt of a programme carries
// the same few rule sets.
Result<std::shared_ptr<const std::string>> RulesCanonical(const Hash32& tx, std::string_view json_text) {
  static TxTextMemo<std::string> memo(kRulesMemoEntries);  // process-wide by design
  return memo.Get(tx, json_text, [](std::string_view text) -> Result<std::string> {
    HEARTH_ASSIGN_OR_RETURN(nlohmann::json rules,
                            ParseJsonStrict(text, "receipt.rule_set.rules", kRuleSetJsonBytesMax,
                                            kReceiptDepthMax - 4));
    return CanonicalJson(rules, "receipt.rule_set.rules");
  });
}

// The RuleSet transaction the result names, as ReceiptBody finds it; nullptr when it would
// fail.
const RuleSet* FindRuleSet(const ReceiptParts& parts) {
  for (const EvidenceItem& e : parts.evidence) {
    if (e.tx->id() != parts.result->rule_set_tx) continue;
    if (e.tx->kind() != TxKind::kRuleSet) return nullptr;
    return &PayloadAs<RuleSet>(*e.tx);
  }
  return nullptr;
}

void WriteCheckpoint(const ReceiptParts& parts, CanonicalWriter& w) {
  const BlockHeader& h = *parts.header;
  w.Open();
  w.Key("block_hash");
  w.Hash(BlockHash(h));
  w.Key("certificate");
  w.Hex(parts.certificate_bytes);
  w.Key("header");
  w.Hex(parts.header_bytes);
  w.Key("height");
  w.Uint(h.height);
  w.Key("index_root");
  w.Hash(h.index_root);
  w.Key("log_root");
  w.Hash(h.log_root);
  w.Key("log_size");
  w.Uint(h.log_size);
  w.Key("time_ms");
  w.Uint(h.time_ms);
  w.Close();
}

void WriteEvidence(const ReceiptParts& parts, const ProofTable& table, CanonicalWriter& w) {
  w.OpenArray();
  for (size_t i = 0; i < parts.evidence.size(); ++i) {
    const EvidenceItem& e = parts.evidence[i];
    w.Open();
    w.Key("id");
    w.Hash(e.tx->id());
    w.Key("inclusion_proof");
    w.OpenArray();
    for (uint32_t ref : table.Refs(i)) w.Uint(ref);
    w.CloseArray();
    w.Key("log_index");
    w.Uint(e.log_index);
    w.Key("tx");
    w.Hex(e.tx->Encode());
    w.Close();
  }
  w.CloseArray();
}

void WriteIndex(const ReceiptParts& parts, CanonicalWriter& w) {
  w.OpenArray();
  for (const IndexItem& i : parts.index) {
    w.Open();
    w.Key("ids");
    w.Hashes(i.ids);
    w.Key("key");
    w.Hex(EncodeIndexKey(*i.key));
    w.Key("name");
    w.Str(i.key->ToString());
    w.Key("proof");
    w.Hex(i.proof->Encode());
    w.Close();
  }
  w.CloseArray();
}

void WriteMemberMonths(const std::vector<MemberMonth>& months, CanonicalWriter& w) {
  w.OpenArray();
  for (const MemberMonth& mm : months) {
    w.Open();
    w.Key("amounts");
    w.OpenArray();
    for (const MonthAmount& a : mm.amounts) {
      w.Open();
      w.Key("agency");
      w.Str(AgencyCode(a.agency));
      w.Key("category");
      w.Str(CategoryCode(a.category));
      w.Key("fen");
      w.Int(a.fen);
      w.Key("tx");
      w.Hash(a.tx);
      w.Close();
    }
    w.CloseArray();
    w.Key("counted_fen");
    w.Int(mm.counted_fen);
    w.Key("member");
    w.Bool(mm.member);
    w.Key("missing_reporters");
    w.OpenArray();
    for (Agency a : mm.missing_reporters) w.Str(AgencyCode(a));
    w.CloseArray();
    w.Key("month");
    w.Uint(mm.month);
    w.Key("subject");
    w.Hash(mm.subject);
    w.Close();
  }
  w.CloseArray();
}

void WriteConditionsAndReasons(const CheckResult& r, CanonicalWriter& w, bool conditions) {
  w.OpenArray();
  if (conditions) {
    for (const ConditionResult& c : r.conditions) {
      w.Open();
      w.Key("detail");
      w.Str(c.detail);
      w.Key("name");
      w.Str(c.name);
      w.Key("status");
      w.Str(ConditionStatusCode(c.status));
      w.Close();
    }
  } else {
    for (const Reason& reason : r.reasons) {
      w.Open();
      w.Key("code");
      w.Str(reason.code);
      w.Key("en");
      w.Str(reason.en);
      w.Key("zh");
      w.Str(reason.zh);
      w.Close();
    }
  }
  w.CloseArray();
}

// An upper estimate of the text's size, so that it is written without reallocating.
size_t EstimateBytes(const ReceiptParts& parts, const ProofTable& table) {
  size_t n = 67 * table.nodes.size() + 8192 + parts.header_bytes.size() * 2 + parts.certificate_bytes.size() * 2;
  for (const EvidenceItem& e : parts.evidence) {
    n += 160 + 2 * e.tx->EncodedSize() + 8 * e.inclusion_proof.size();
  }
  for (const IndexItem& i : parts.index) n += 2600 + 67 * i.ids.size();
  for (const MemberMonth& mm : parts.result->member_months) n += 200 + 140 * mm.amounts.size();
  for (const Reason& r : parts.result->reasons) n += 40 + 2 * (r.en.size() + r.zh.size());
  n += 67 * (parts.result->used_txs.size() + parts.result->declared_members.size() +
             parts.request->members.size());
  return n;
}

}  // namespace

ProofTable MakeProofTable(std::span<const EvidenceItem> evidence) {
  ProofTable t;
  size_t total = 0;
  for (const EvidenceItem& e : evidence) total += e.inclusion_proof.size();
  t.refs.reserve(total);
  t.ends.reserve(evidence.size());
  // Open addressing over positions in t.nodes (0 = empty slot), at most half full; the
  // hashes are uniform, so their first 8 bytes pick the slot.
  const size_t capacity = std::bit_ceil(std::max<size_t>(16, 2 * total));
  std::vector<uint32_t> slots(capacity, 0);
  for (const EvidenceItem& e : evidence) {
    for (const Hash32& h : e.inclusion_proof) {
      uint64_t mix = 0;
      std::memcpy(&mix, h.bytes.data(), sizeof mix);
      size_t at = static_cast<size_t>(mix) & (capacity - 1);
      while (slots[at] != 0 && t.nodes[slots[at] - 1] != h) at = (at + 1) & (capacity - 1);
      if (slots[at] == 0) {
        t.nodes.push_back(h);
        slots[at] = static_cast<uint32_t>(t.nodes.size());
      }
      t.refs.push_back(slots[at] - 1);
    }
    t.ends.push_back(t.refs.size());
  }
  return t;
}

Status WriteReceiptBody(const ReceiptParts& parts, std::string* out, size_t* signature_at) {
  const Trust& trust = *parts.trust;
  const CheckRequest& req = *parts.request;
  const CheckResult& r = *parts.result;
  const RuleSet* rule_set = FindRuleSet(parts);
  if (rule_set == nullptr) return Status::InvalidArgument("receipt: rule set not in the evidence");
  HEARTH_ASSIGN_OR_RETURN(std::shared_ptr<const std::string> rules,
                          RulesCanonical(r.rule_set_tx, rule_set->rules_json));
  const ProofTable table = MakeProofTable(parts.evidence);
  out->clear();
  out->reserve(EstimateBytes(parts, table) + rules->size());
  CanonicalWriter w(*out);
  w.Open();
  w.Key("chain_id");
  w.Str(trust.chain_id);
  w.Key("checkpoint");
  WriteCheckpoint(parts, w);
  w.Key("conditions");
  WriteConditionsAndReasons(r, w, true);
  w.Key("decision");
  w.Str(DecisionCode(r.decision));
  w.Key("evidence");
  WriteEvidence(parts, table, w);
  w.Key("format");
  w.Uint(kReceiptFormat);
  w.Key("genesis_hash");
  w.Hash(trust.genesis_hash);
  w.Key("household");
  w.Open();
  w.Key("consent_tx");
  w.Hash(req.consent);
  w.Key("declaration_tx");
  w.Hash(r.declaration_tx);
  w.Key("members");
  w.Hashes(r.declared_members);
  w.Close();
  w.Key("income_total_fen");
  w.Int(r.income_total_fen);
  w.Key("index");
  WriteIndex(parts, w);
  w.Key("member_months");
  WriteMemberMonths(r.member_months, w);
  w.Key("member_months_counted");
  w.Uint(r.member_months_counted);
  w.Key("per_capita_monthly_fen");
  w.OptInt(r.per_capita_monthly_fen);
  w.Key("proof_nodes");
  w.Hashes(table.nodes);
  w.Key("reasons");
  WriteConditionsAndReasons(r, w, false);
  w.Key("request");
  w.Open();
  w.Key("as_of");
  w.Uint(req.as_of);
  w.Key("consent");
  w.Hash(req.consent);
  w.Key("household");
  w.Hash(req.household);
  w.Key("members");
  w.Hashes(req.members);
  w.Key("programme");
  w.Str(ProgrammeCode(req.programme));
  w.Close();
  w.Key("rule_set");
  w.Open();
  w.Key("effective_from");
  w.Uint(rule_set->effective_from);
  w.Key("programme");
  w.Str(ProgrammeCode(rule_set->programme));
  w.Key("rules");
  w.Canonical(*rules);
  w.Key("tx");
  w.Hash(r.rule_set_tx);
  w.Key("version");
  w.Uint(rule_set->version);
  w.Close();
  *signature_at = w.size() + 1;  // after the comma Key("signer") writes
  w.Key("signer");
  w.Uint(parts.signer);
  w.Key("suite");
  w.Str(SuiteName(trust.suite));
  w.Key("threshold_fen");
  w.OptInt(r.threshold_fen);
  w.Key("used_txs");
  w.Hashes(r.used_txs);
  w.Key("window");
  w.Open();
  w.Key("first");
  w.Uint(r.window_first);
  w.Key("last");
  w.Uint(r.window_last);
  w.Close();
  w.Close();
  if (!w.ok()) return Status::InvalidArgument("receipt: a string is not valid UTF-8");
  return Status::Ok();
}

}  // namespace hearth::verify::receipt_internal
