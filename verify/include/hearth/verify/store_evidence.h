// store_evidence.h: the check engine's EvidenceSource backed by the node's BlockStore at one
// checkpoint height (DESIGN.md "Verify"; docs/RECEIPT.md).
//
// Contract:
//  - Filed(key) answers "every transaction filed under `key` at height h, in log order":
//    the list is BlockStore::ProveIndex(IndexKeyHash(suite, key), h), which holds exactly the
//    first `count` ids of the key's list (count = the index value at h), so a transaction
//    committed after h never appears (without proofs: BlockStore::IndexList, the entries
//    filed at heights <= h). Each listed id is read once, at the location its list entry
//    gives (GetTxAt; GetTx for entries stored without one), and must lie in the log at h
//    (log index < log size of header h), else Corruption.
//  - It records what a receipt needs: for every key read (first-read order, once each) the
//    IndexEntry (full id list and proof against the index root at h), and for every
//    transaction read its log index. Inclusion proofs against the log size at h are made
//    by ProveInclusions (once, after the check), not per read.
//  - Bounded: more than `keys_max` distinct keys or `txs_max` distinct transactions in one
//    check is refused with OutOfRange "resource exhausted: ..." (Hearth's Code has no
//    ResourceExhausted; OutOfRange is the nearest "a size beyond what is allowed").
//  - Errors of the store pass through annotated with the key.
// Thread-safety: one thread per object (as EvidenceSource); the store may be shared and
// keep committing: reads at h do not change.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "hearth/base/bytes.h"
#include "hearth/base/status.h"
#include "hearth/ledger/block.h"
#include "hearth/ledger/index_keys.h"
#include "hearth/ledger/store.h"
#include "hearth/verify/engine.h"

namespace hearth::verify {

// Named bounds on one check's reads (a household of kMembersMax members over the longest
// look-back reads at most 32 x 37 subject-month keys plus a handful of others).
inline constexpr size_t kCheckKeysMax = 2048;
inline constexpr size_t kCheckTxsMax = 16384;

class StoreEvidence : public EvidenceSource {
 public:
  struct Limits {
    size_t keys_max = kCheckKeysMax;
    size_t txs_max = kCheckTxsMax;
    // false: index lists without their proofs (BlockStore::IndexList), for decisions that
    // are not turned into receipts (benchmarks, the change watch). BuildReceipt refuses
    // evidence read without proofs.
    bool proofs = true;
  };
  // One key read: the key and its entry at the checkpoint.
  struct KeyRead {
    IndexKey key;
    Hash32 key_hash;
    IndexEntry entry;
  };
  // One transaction read, with its inclusion proof once ProveInclusions ran.
  struct TxRead {
    LoggedTx logged;
    bool proven = false;
    std::vector<Hash32> inclusion_proof;
  };

  // `store` must outlive the object. NotFound when `height` is 0 or above the head.
  static Result<std::unique_ptr<StoreEvidence>> Open(const BlockStore& store, uint64_t height,
                                                     Limits limits);
  static Result<std::unique_ptr<StoreEvidence>> Open(const BlockStore& store, uint64_t height) {
    return Open(store, height, Limits{});
  }

  Result<std::vector<const LoggedTx*>> Filed(const IndexKey& key) override;

  // Makes the inclusion proof of every transaction read (against header().log_size);
  // transactions already proven are skipped, so it may be called again after more reads.
  Status ProveInclusions();

  uint64_t height() const { return header_.height; }
  bool has_proofs() const { return limits_.proofs; }
  const BlockHeader& header() const { return header_; }
  // Keys in first-read order.
  const std::vector<KeyRead>& keys() const { return keys_; }
  // Every transaction read, in log order (pointers valid for the object's lifetime).
  std::vector<const TxRead*> TxsInLogOrder() const;
  // The transaction read with this id, or nullptr.
  const TxRead* FindTx(const Hash32& id) const;

 private:
  StoreEvidence(const BlockStore& store, BlockHeader header, Limits limits)
      : store_(store), header_(std::move(header)), limits_(limits) {
    // A household of four reads about 50 keys and 60 transactions: no rehash on the way.
    keys_.reserve(64);
    filed_.reserve(64);
    key_pos_.reserve(64);
    txs_.reserve(128);
  }
  Result<const TxRead*> ReadTx(const Hash32& id, const TxLocation& location, const IndexKey& key);

  const BlockStore& store_;
  const BlockHeader header_;
  const Limits limits_;
  std::vector<KeyRead> keys_;
  std::unordered_map<Hash32, size_t> key_pos_;  // key hash -> position in keys_
  // Per key (same position as keys_): the transactions filed under it, in log order.
  std::vector<std::vector<const LoggedTx*>> filed_;
  std::unordered_map<Hash32, std::unique_ptr<TxRead>> txs_;
};

}  // namespace hearth::verify
