// mempool.h: transactions admitted but not yet committed, in admission order.
//
// Contract (DESIGN.md "Node"):
//  - Bounded by a count and a byte total; Insert answers kFull ("retry later") beyond them,
//    never evicting an admitted transaction to make room.
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

  Mempool(size_t max_txs, size_t max_bytes);

  InsertResult Insert(const Transaction& tx, uint64_t admitted_at_ms);
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
