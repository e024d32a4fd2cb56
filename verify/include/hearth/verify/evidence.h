// evidence.h: an EvidenceSource (engine.h) over a given set of committed transactions.
//
// TxSetEvidence files every transaction it holds under IndexKeysOf(tx) (ledger/index_keys.h),
// each key's list in log order, exactly as the authenticated index does. Tests use it as a
// small in-memory chain; the receipt verifier fills it with a receipt's evidence and
// restricts it to the keys the receipt proves, so the engine fails on any key the receipt
// lacks instead of silently reading "nothing filed".
//
// Contract:
//  - Add: InvalidArgument for a second transaction at an already used log index, and for
//    the same transaction id at two log indices; adding the very same (id, log index) twice
//    is an idempotent success. Order of Add calls does not matter.
//  - Filed(key): the transactions filed under `key`, ascending log index (empty when none).
//    With RestrictTo(keys) set, a key outside `keys` is NotFound
//    "evidence lacks index key <key.ToString()>".
//  - Pointers returned by Filed stay valid for the source's lifetime (later Adds do not move
//    held transactions).
// Thread-safety: none; one thread at a time.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "hearth/base/bytes.h"
#include "hearth/base/status.h"
#include "hearth/ledger/index_keys.h"
#include "hearth/ledger/transaction.h"
#include "hearth/verify/engine.h"

namespace hearth::verify {

class TxSetEvidence : public EvidenceSource {
 public:
  TxSetEvidence() = default;
  TxSetEvidence(const TxSetEvidence&) = delete;
  TxSetEvidence& operator=(const TxSetEvidence&) = delete;

  Status Add(LoggedTx tx);
  Status Add(const Transaction& tx, uint64_t log_index) { return Add(LoggedTx{tx, log_index}); }

  // Only these keys may be read from now on (see the contract). Calling it again replaces
  // the set.
  void RestrictTo(const std::vector<IndexKey>& keys);

  Result<std::vector<const LoggedTx*>> Filed(const IndexKey& key) override;

  // Verifies the signature of every held transaction whose signer is known: a genesis
  // member's node or issuer key (trust), or a key added by a KeyEvent held here. Evaluate
  // checks authority but not signature bytes (engine.h), so a verifier of someone else's
  // evidence (a receipt) calls this first. Transactions of unknown signers are skipped: the
  // engine ignores them. VerifyFailed "evidence: transaction <id> at log index <n>: ...".
  Status VerifySignatures(const Trust& trust) const;

  size_t size() const { return by_index_.size(); }
  // The transaction with this id, or nullptr.
  const LoggedTx* Find(const Hash32& id) const;

 private:
  // Index keys compared by their canonical encoding (a total order, no hashing needed).
  std::map<Bytes, std::vector<const LoggedTx*>> filed_;
  std::map<uint64_t, std::unique_ptr<LoggedTx>> by_index_;  // log index -> transaction
  std::map<Hash32, uint64_t> index_of_;                      // tx id -> log index
  std::optional<std::vector<Bytes>> allowed_;                // sorted encoded keys
};

}  // namespace hearth::verify
