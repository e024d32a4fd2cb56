// mempool.h: transactions admitted but not yet committed, in admission order.
//
// Contract (DESIGN.md "Node"):
//  - Bounded by a count and a byte total; Insert answers kFull ("retry later") beyond them,
//    never evicting an admitted transaction to make room. The byte total is of ChargeOf,
//    an estimate of the memory a pooled transaction holds (its canonical bytes, its decoded
//    body and the pool's bookkeeping), not of its encoded size alone: an attestation of
//    ~190 encoded bytes holds ~690 bytes of heap in the pool (docs/PERFORMANCE.md "Node
//    memory"), so a bound on encoded bytes would let the pool take 3.6 times its budget.
//  - Everything in the pool was verified on admission (signature and chain rules); a block
//    carrying a transaction byte-identical to a pooled one (same id AND signature) need not
//    verify it again (IsVerified).
//  - A transaction leaves the pool only by being committed (RemoveCommitted) or, when a
//    block builder finds it can no longer be committed, by Drop with a reason that is kept
//    (bounded) and reported by DropReason, never silently.
// Thread-safety: every method locks; callable from any thread.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "hearth/base/bytes.h"
#include "hearth/ledger/transaction.h"

namespace hearth::node {

class Mempool {
 public:
  enum class InsertResult { kInserted, kDuplicate, kFull };

  // Bytes charged per pooled transaction on top of twice its encoded size: the pool entry
  // (a Transaction value, its id, times), its nodes in the two indexes and the allocator's
  // headers. Measured for attestations (the bulk of any pool): 686 heap bytes per pooled
  // transaction of 189 encoded bytes on average.
  static constexpr size_t kEntryOverheadBytes = 320;
  // What a pooled `tx` counts against max_bytes: kEntryOverheadBytes + 2 * EncodedSize()
  // (the canonical bytes are kept, and the decoded body holds about as many again).
  static size_t ChargeOf(const Transaction& tx) { return kEntryOverheadBytes + 2 * tx.EncodedSize(); }

  // REQUIRES: max_txs >= 1, max_bytes >= ChargeOf of the largest transaction
  // (kTransactionBytesMax), so that any single transaction fits an empty pool.
  Mempool(size_t max_txs, size_t max_bytes);

  InsertResult Insert(const Transaction& tx, uint64_t admitted_at_ms);
  // True when `txs` more transactions charged `bytes` in total (sum of ChargeOf) fit beside
  // the pooled ones now. Admission asks before it verifies signatures, so that a line it
  // must answer "retry later" costs no signature check; a caller that is the only inserter
  // (admission holds its own lock) gets Insert == kInserted for what HasRoom accepted, as
  // only commits and drops change the pool meanwhile and they only make room.
  bool HasRoom(size_t txs, size_t bytes) const;
  bool Contains(const Hash32& id) const;
  // True when exactly this transaction (id and signature) is pooled, i.e. verified.
  bool IsVerified(const Transaction& tx) const;
  // Up to max_txs transactions / max_bytes encoded bytes, oldest first, not removed.
  std::vector<Transaction> Peek(size_t max_txs, size_t max_bytes) const;
  // Removes committed ids; returns the admission times of those that were pooled.
  std::vector<uint64_t> RemoveCommitted(std::span<const Hash32> ids);
  void Drop(const Hash32& id, std::string reason);
  std::optional<std::string> DropReason(const Hash32& id) const;

  size_t size() const;
  // Sum of ChargeOf over the pooled transactions.
  size_t bytes() const;
  uint64_t dropped_total() const;

 private:
  struct Entry {
    Transaction tx;
    uint64_t admitted_at_ms;
    uint64_t seq;
  };
  void EraseLocked(std::unordered_map<Hash32, Entry>::iterator it);

  const size_t max_txs_;
  const size_t max_bytes_;
  mutable std::mutex mu_;
  std::unordered_map<Hash32, Entry> by_id_;
  std::map<uint64_t, Hash32> order_;  // seq -> id
  uint64_t next_seq_ = 0;
  size_t bytes_ = 0;
  std::map<Hash32, std::string> dropped_;
  std::deque<Hash32> dropped_order_;
  uint64_t dropped_total_ = 0;
};

}  // namespace hearth::node
