// The eligibility check (engine.h; docs/VERIFY.md). Reads go through a Reader that records
// every index key once in first-read order; signer authority is judged by log position
// (KeyBook); the figures are integer fen with floor division.
#include "hearth/verify/engine.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "engine_internal.h"

namespace hearth::verify {

std::string_view DecisionCode(Decision d) {
  switch (d) {
    case Decision::kEligible: return "eligible";
    case Decision::kIneligible: return "ineligible";
    case Decision::kInsufficientEvidence: return "insufficient_evidence";
  }
  return "unknown";
}

std::string_view ConditionStatusCode(ConditionStatus s) {
  switch (s) {
    case ConditionStatus::kPassed: return "passed";
    case ConditionStatus::kFailed: return "failed";
    case ConditionStatus::kNotChecked: return "not_checked";
    case ConditionStatus::kUnknown: return "unknown";
  }
  return "unknown";
}

namespace engine_internal {

uint32_t MonthOrdinal(uint32_t m) { return (m / 100) * 12 + (m % 100 - 1); }
uint32_t MonthFromOrdinal(uint32_t o) { return (o / 12) * 100 + (o % 12 + 1); }

std::string Yuan(int64_t fen) {
  const bool neg = fen < 0;
  // |fen| of any figure here is far below 2^63, so negation cannot overflow.
  const uint64_t a = neg ? static_cast<uint64_t>(-(fen + 1)) + 1 : static_cast<uint64_t>(fen);
  std::string cents = std::to_string(a % 100);
  if (cents.size() < 2) cents.insert(0, "0");
  return (neg ? "-" : "") + std::to_string(a / 100) + "." + cents;
}

int64_t FloorDiv(int64_t a, int64_t b) {
  HEARTH_CHECK(b > 0);
  int64_t q = a / b;
  if ((a % b) != 0 && a < 0) --q;
  return q;
}

// ---- Reader ----

Result<std::vector<const LoggedTx*>> Reader::Read(const IndexKey& key) {
  Bytes enc = EncodeIndexKey(key);
  if (auto it = cache_.find(enc); it != cache_.end()) return it->second;
  HEARTH_ASSIGN_OR_RETURN(std::vector<const LoggedTx*> list, source_.Filed(key));
  for (size_t i = 0; i < list.size(); ++i) {
    HEARTH_CHECK(list[i] != nullptr);
    if (i > 0 && list[i]->log_index <= list[i - 1]->log_index) {
      return Status::Corruption("evidence for " + key.ToString() + " is not in log order");
    }
  }
  keys_read_->push_back(key);
  cache_.emplace(std::move(enc), list);
  return list;
}

// ---- KeyBook ----

KeyBook::KeyBook(const Trust& trust, Reader& reader) : trust_(trust), reader_(reader) {}

bool KeyBook::Envelope(const LoggedTx& lt) const {
  return lt.tx.body().chain_id == trust_.chain_id && lt.tx.suite() == trust_.suite;
}

std::optional<Agency> KeyBook::NodeAgency(const Hash32& signer) const {
  for (const TrustMember& m : trust_.members) {
    if (m.node_key.Id() == signer) return m.agency;
  }
  return std::nullopt;
}

bool KeyBook::IsMemberAgency(Agency a) const {
  for (const TrustMember& m : trust_.members) {
    if (m.agency == a) return true;
  }
  return false;
}

Result<const KeyBook::History*> KeyBook::HistoryOf(const Hash32& key_id) {
  if (auto it = histories_.find(key_id); it != histories_.end()) return &it->second;
  History h;
  for (const TrustMember& m : trust_.members) {
    for (const PublicKey& k : m.issuer_keys) {
      if (!h.owner.has_value() && k.Id() == key_id) {
        h.genesis = true;
        h.owner = m.agency;
      }
    }
  }
  HEARTH_ASSIGN_OR_RETURN(std::vector<const LoggedTx*> list,
                          reader_.Read(IndexKey::IssuerKey(key_id)));
  for (const LoggedTx* lt : list) {
    if (lt->tx.kind() != TxKind::kKeyEvent || !Envelope(*lt)) continue;
    const KeyEvent& ke = PayloadAs<KeyEvent>(lt->tx);
    // Only an agency's own node key may add or revoke that agency's issuer keys.
    std::optional<Agency> by = NodeAgency(lt->tx.body().signer);
    if (ke.KeyId() != key_id || !by.has_value() || *by != ke.agency) continue;
    if (h.owner.has_value() && *h.owner != ke.agency) continue;  // another agency's key
    if (!h.owner.has_value()) {
      if (ke.action != KeyAction::kAdd) continue;
      h.owner = ke.agency;
    }
    h.events.push_back(lt);
  }
  return &histories_.emplace(key_id, std::move(h)).first->second;
}

Result<std::optional<Agency>> KeyBook::AgencyAt(const LoggedTx& lt) {
  if (!Envelope(lt)) return std::optional<Agency>();
  HEARTH_ASSIGN_OR_RETURN(const History* h, HistoryOf(lt.tx.body().signer));
  bool active = h->genesis;
  for (const LoggedTx* ev : h->events) {
    if (ev->log_index >= lt.log_index) break;  // judged by log position only
    active = PayloadAs<KeyEvent>(ev->tx).action == KeyAction::kAdd;
  }
  if (!active) return std::optional<Agency>();
  return h->owner;
}

std::vector<const LoggedTx*> KeyBook::EventsBefore(const LoggedTx& lt) const {
  std::vector<const LoggedTx*> out;
  auto it = histories_.find(lt.tx.body().signer);
  if (it == histories_.end()) return out;
  for (const LoggedTx* ev : it->second.events) {
    if (ev->log_index < lt.log_index) out.push_back(ev);
  }
  return out;
}

}  // namespace engine_internal

}  // namespace hearth::verify
