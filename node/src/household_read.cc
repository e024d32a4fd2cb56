#include "household_read.h"

#include "hearth/ledger/index_keys.h"

namespace hearth::node {

Result<std::vector<StoredTx>> ReadIndexed(const Node& node, const IndexKey& key, uint64_t height) {
  HEARTH_ASSIGN_OR_RETURN(IndexEntry entry,
                          node.store().IndexList(IndexKeyHash(node.genesis().suite, key), height));
  std::vector<StoredTx> out;
  out.reserve(entry.ids.size());
  for (size_t i = 0; i < entry.ids.size(); ++i) {
    const TxLocation& at = entry.locations[i];
    HEARTH_ASSIGN_OR_RETURN(StoredTx tx, at.height != 0 ? node.store().GetTxAt(entry.ids[i], at)
                                                        : node.store().GetTx(entry.ids[i]));
    out.push_back(std::move(tx));
  }
  return out;
}

Result<HouseholdTxs> ReadHousehold(const Node& node, const Hash32& household, uint64_t height) {
  HEARTH_ASSIGN_OR_RETURN(std::vector<StoredTx> txs, ReadIndexed(node, IndexKey::Household(household), height));
  HouseholdTxs h;
  for (StoredTx& st : txs) {
    if (node.AuthorityAt(st.tx.body().signer, st.location.log_index) != Agency::kCivilAffairs) continue;
    switch (st.tx.kind()) {
      case TxKind::kHouseholdDeclaration:
        if (PayloadAs<HouseholdDeclaration>(st.tx).household == household) h.declarations.push_back(std::move(st));
        break;
      case TxKind::kConsent:
        if (PayloadAs<Consent>(st.tx).household == household) h.consents.push_back(std::move(st));
        break;
      case TxKind::kEnrollment:
        if (PayloadAs<Enrollment>(st.tx).household == household) h.enrollments.push_back(std::move(st));
        break;
      default:
        break;
    }
  }
  return h;
}

Result<Hash32> ChooseConsent(const HouseholdTxs& h, const std::optional<Hash32>& requested, uint64_t time_ms) {
  auto valid = [time_ms](const Consent& c) {
    return c.valid_from_ms <= time_ms && (!c.valid_until_ms || time_ms < *c.valid_until_ms);
  };
  if (requested) {
    for (const StoredTx& st : h.consents) {
      if (st.tx.id() != *requested) continue;
      if (!valid(PayloadAs<Consent>(st.tx))) {
        return Status::FailedPrecondition("consent " + requested->Hex() + " is not valid at the checkpoint time " +
                                          std::to_string(time_ms));
      }
      return *requested;
    }
    return Status::FailedPrecondition("consent " + requested->Hex() + " is not a consent filed under this household");
  }
  for (auto it = h.consents.rbegin(); it != h.consents.rend(); ++it) {
    if (valid(PayloadAs<Consent>(it->tx))) return it->tx.id();
  }
  return Status::FailedPrecondition("consent: this household has no consent valid at the checkpoint time " +
                                    std::to_string(time_ms));
}

const HouseholdDeclaration* DeclarationAt(const HouseholdTxs& h, uint32_t month) {
  const HouseholdDeclaration* best = nullptr;
  for (const StoredTx& st : h.declarations) {  // log order: a later one wins ties
    const auto& d = PayloadAs<HouseholdDeclaration>(st.tx);
    if (d.effective_from <= month && (best == nullptr || d.effective_from >= best->effective_from)) best = &d;
  }
  return best;
}

}  // namespace hearth::node
