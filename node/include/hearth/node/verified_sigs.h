// verified_sigs.h: a bounded memo of transactions whose signatures this node has verified
// outside the mempool — in a proposed block it had not pooled yet — so that the same
// transaction arriving by gossip while that block is being decided is not verified again;
// and of the access records this process has just signed with its own node key (whose
// signatures it checked once), so that admitting them to its own mempool costs no
// verification.
// Each node verifies every signature once (DESIGN.md "Node"); without the memo a
// transaction that reached a validator first in a proposal and then by gossip cost it two
// verifications, and under bulk ingest that was about a fifth of all signature work.
//
// Contract:
//  - Contains(tx) is true only for a transaction byte-identical in id AND signature to one
//    added (a different signature over the same body is not vouched for).
//  - At most `capacity` entries (REQUIRES: >= 1); the oldest added goes first. Forgetting
//    only costs a verification again, never correctness.
// Thread-safety: every member may be called from any thread.
#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <unordered_map>

#include "hearth/base/bytes.h"
#include "hearth/base/check.h"
#include "hearth/ledger/transaction.h"

namespace hearth::node {

class VerifiedSignatures {
 public:
  explicit VerifiedSignatures(size_t capacity) : capacity_(capacity) { HEARTH_CHECK(capacity >= 1); }

  void Add(const Transaction& tx) {
    std::lock_guard lock(mu_);
    auto [it, inserted] = by_id_.try_emplace(tx.id(), tx.signature());
    if (!inserted) {
      it->second = tx.signature();
      return;
    }
    order_.push_back(tx.id());
    while (order_.size() > capacity_) {
      by_id_.erase(order_.front());
      order_.pop_front();
    }
  }

  bool Contains(const Transaction& tx) const {
    std::lock_guard lock(mu_);
    auto it = by_id_.find(tx.id());
    return it != by_id_.end() && it->second == tx.signature();
  }

  size_t size() const {
    std::lock_guard lock(mu_);
    return by_id_.size();
  }

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::unordered_map<Hash32, Bytes> by_id_;  // GUARDED_BY(mu_)
  std::deque<Hash32> order_;                 // GUARDED_BY(mu_): ids, oldest first
};

}  // namespace hearth::node
