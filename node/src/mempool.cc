#include "hearth/node/mempool.h"

#include "hearth/node/node_config.h"

namespace hearth::node {

namespace {
constexpr size_t kDroppedKept = 100'000;
static_assert(kMempoolBytesMin >= Mempool::kEntryOverheadBytes + 2 * kTransactionBytesMax,
              "node.json's smallest mempool_bytes_max must hold the largest transaction");
}  // namespace

Mempool::Mempool(size_t max_txs, size_t max_bytes) : max_txs_(max_txs), max_bytes_(max_bytes) {
  HEARTH_CHECK(max_txs >= 1);
  HEARTH_CHECK(max_bytes >= kEntryOverheadBytes + 2 * kTransactionBytesMax);
}

Mempool::InsertResult Mempool::Insert(const Transaction& tx, uint64_t admitted_at_ms) {
  std::lock_guard lock(mu_);
  if (by_id_.count(tx.id()) != 0) return InsertResult::kDuplicate;
  const size_t size = ChargeOf(tx);
  if (by_id_.size() >= max_txs_ || bytes_ + size > max_bytes_) return InsertResult::kFull;
  const uint64_t seq = next_seq_++;
  by_id_.emplace(tx.id(), Entry{tx, admitted_at_ms, seq});
  order_.emplace(seq, tx.id());
  bytes_ += size;
  dropped_.erase(tx.id());
  return InsertResult::kInserted;
}

bool Mempool::HasRoom(size_t txs, size_t bytes) const {
  std::lock_guard lock(mu_);
  return txs <= max_txs_ - by_id_.size() && bytes <= max_bytes_ - bytes_;
}

bool Mempool::Contains(const Hash32& id) const {
  std::lock_guard lock(mu_);
  return by_id_.count(id) != 0;
}

bool Mempool::IsVerified(const Transaction& tx) const {
  std::lock_guard lock(mu_);
  auto it = by_id_.find(tx.id());
  return it != by_id_.end() && it->second.tx == tx;
}

std::vector<Transaction> Mempool::Peek(size_t max_txs, size_t max_bytes) const {
  std::lock_guard lock(mu_);
  std::vector<Transaction> out;
  size_t total = 0;
  for (const auto& [seq, id] : order_) {
    if (out.size() >= max_txs) break;
    const Transaction& tx = by_id_.at(id).tx;
    if (total + tx.EncodedSize() > max_bytes) break;
    total += tx.EncodedSize();
    out.push_back(tx);
  }
  return out;
}

void Mempool::EraseLocked(std::unordered_map<Hash32, Entry>::iterator it) {
  bytes_ -= ChargeOf(it->second.tx);
  order_.erase(it->second.seq);
  by_id_.erase(it);
}

std::vector<uint64_t> Mempool::RemoveCommitted(std::span<const Hash32> ids) {
  std::lock_guard lock(mu_);
  std::vector<uint64_t> admitted;
  for (const Hash32& id : ids) {
    auto it = by_id_.find(id);
    if (it == by_id_.end()) continue;
    admitted.push_back(it->second.admitted_at_ms);
    EraseLocked(it);
  }
  return admitted;
}

void Mempool::Drop(const Hash32& id, std::string reason) {
  std::lock_guard lock(mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  EraseLocked(it);
  ++dropped_total_;
  if (dropped_.emplace(id, std::move(reason)).second) dropped_order_.push_back(id);
  while (dropped_order_.size() > kDroppedKept) {
    dropped_.erase(dropped_order_.front());
    dropped_order_.pop_front();
  }
}

std::optional<std::string> Mempool::DropReason(const Hash32& id) const {
  std::lock_guard lock(mu_);
  auto it = dropped_.find(id);
  if (it == dropped_.end()) return std::nullopt;
  return it->second;
}

size_t Mempool::size() const {
  std::lock_guard lock(mu_);
  return by_id_.size();
}

size_t Mempool::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

uint64_t Mempool::dropped_total() const {
  std::lock_guard lock(mu_);
  return dropped_total_;
}

}  // namespace hearth::node
