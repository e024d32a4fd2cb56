// household_read.h (private to node/): what the chain says about one household at a
// height, judged the way verify/engine.h judges it — only records signed by a key of the
// right agency that was not revoked earlier in the log count (Node::AuthorityAt).
//
// Contract:
//  - ReadHousehold reads the household's index key (declarations, consents, enrollments
//    filed under it) in log order; records of other agencies or of revoked keys are skipped.
//  - ChooseConsent: with `requested`, that consent must be among `h.consents` and valid at
//    `time_ms` (valid_from <= t < valid_until); without, the consent with the largest log
//    index valid at `time_ms`. FailedPrecondition "consent ..." otherwise (the check route
//    maps it to 409 consent).
//  - DeclarationAt: the declaration in force in `month` (largest effective_from <= month,
//    then last in the log), or null.
// Thread-safety: functions of their arguments; Node and BlockStore are thread-safe.
#pragma once

#include <optional>
#include <vector>

#include "hearth/ledger/store.h"
#include "hearth/node/node.h"

namespace hearth::node {

struct HouseholdTxs {
  std::vector<StoredTx> declarations, consents, enrollments;  // log order
};

Result<HouseholdTxs> ReadHousehold(const Node& node, const Hash32& household, uint64_t height);
Result<Hash32> ChooseConsent(const HouseholdTxs& h, const std::optional<Hash32>& requested, uint64_t time_ms);
const HouseholdDeclaration* DeclarationAt(const HouseholdTxs& h, uint32_t month);

// Every transaction filed under `key` at `height`, in log order, with its location.
Result<std::vector<StoredTx>> ReadIndexed(const Node& node, const IndexKey& key, uint64_t height);

}  // namespace hearth::node
