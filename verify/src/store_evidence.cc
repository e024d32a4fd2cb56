// StoreEvidence: the engine's reads served from a BlockStore at one checkpoint height, with
// everything recorded that a receipt carries (store_evidence.h).
#include "hearth/verify/store_evidence.h"

#include <algorithm>
#include <string>
#include <utility>

namespace hearth::verify {

Result<std::unique_ptr<StoreEvidence>> StoreEvidence::Open(const BlockStore& store,
                                                           uint64_t height, Limits limits) {
  HEARTH_ASSIGN_OR_RETURN(BlockHeader header, store.Header(height));
  return std::unique_ptr<StoreEvidence>(new StoreEvidence(store, std::move(header), limits));
}

Result<std::vector<const LoggedTx*>> StoreEvidence::Filed(const IndexKey& key) {
  const Hash32 key_hash = IndexKeyHash(header_.suite, key);
  if (auto it = key_pos_.find(key_hash); it != key_pos_.end()) return filed_[it->second];
  if (keys_.size() >= limits_.keys_max) {
    return Status::OutOfRange("resource exhausted: the check reads more than " +
                              std::to_string(limits_.keys_max) + " index keys (at " +
                              key.ToString() + ")");
  }
  Result<IndexEntry> entry = limits_.proofs ? store_.ProveIndex(key_hash, header_.height)
                                             : store_.IndexList(key_hash, header_.height);
  if (!entry.ok()) return entry.status().Annotate("index key " + key.ToString());
  const uint64_t count = entry->value.has_value() ? entry->value->count : 0;
  // IndexList leaves the root zero when it read the list entries alone.
  const bool with_root = limits_.proofs || !entry->root.IsZero();
  if (entry->locations.size() != entry->ids.size() ||
      (with_root && (entry->ids.size() != count || entry->root != header_.index_root))) {
    return Status::Corruption("index key " + key.ToString() + " at height " +
                              std::to_string(header_.height) +
                              ": list or root disagrees with the index value / header");
  }
  std::vector<const LoggedTx*> filed;
  filed.reserve(entry->ids.size());
  uint64_t prev_index = 0;
  for (size_t i = 0; i < entry->ids.size(); ++i) {
    HEARTH_ASSIGN_OR_RETURN(const TxRead* read, ReadTx(entry->ids[i], entry->locations[i], key));
    if (i > 0 && read->logged.log_index <= prev_index) {
      return Status::Corruption("index key " + key.ToString() + ": list not in log order");
    }
    prev_index = read->logged.log_index;
    filed.push_back(&read->logged);
  }
  key_pos_.emplace(key_hash, keys_.size());
  keys_.push_back(KeyRead{key, key_hash, std::move(*entry)});
  filed_.push_back(std::move(filed));
  return filed_.back();
}

Result<const StoreEvidence::TxRead*> StoreEvidence::ReadTx(const Hash32& id,
                                                           const TxLocation& location,
                                                           const IndexKey& key) {
  if (auto it = txs_.find(id); it != txs_.end()) return it->second.get();
  if (txs_.size() >= limits_.txs_max) {
    return Status::OutOfRange("resource exhausted: the check reads more than " +
                              std::to_string(limits_.txs_max) + " transactions (at " +
                              key.ToString() + ")");
  }
  Result<StoredTx> stored = location.height != 0 ? store_.GetTxAt(id, location) : store_.GetTx(id);
  if (!stored.ok()) {
    return stored.status().Annotate("transaction " + id.Hex() + " filed under " + key.ToString());
  }
  if (stored->location.log_index >= header_.log_size) {
    return Status::Corruption("transaction " + id.Hex() + " filed under " + key.ToString() +
                              " at height " + std::to_string(header_.height) +
                              " has log index " + std::to_string(stored->location.log_index) +
                              " beyond the log size " + std::to_string(header_.log_size));
  }
  // Built in place: the decoded transaction is moved once, not through temporaries.
  std::unique_ptr<TxRead> read(
      new TxRead{LoggedTx{std::move(stored->tx), stored->location.log_index}, false, {}});
  const TxRead* out = read.get();
  txs_.emplace(id, std::move(read));
  return out;
}

Status StoreEvidence::ProveInclusions() {
  // In log order, in one call: the proofs share their upper tiles and the store's lock is
  // taken once.
  std::vector<TxRead*> todo;
  for (auto& [id, read] : txs_) {
    if (!read->proven) todo.push_back(read.get());
  }
  if (todo.empty()) return Status::Ok();
  std::sort(todo.begin(), todo.end(), [](const TxRead* a, const TxRead* b) {
    return a->logged.log_index < b->logged.log_index;
  });
  std::vector<uint64_t> indices;
  indices.reserve(todo.size());
  for (const TxRead* t : todo) indices.push_back(t->logged.log_index);
  Result<std::vector<std::vector<Hash32>>> proofs = store_.InclusionProofs(indices, header_.log_size);
  if (!proofs.ok()) return proofs.status().Annotate("inclusion proofs");
  HEARTH_CHECK(proofs->size() == todo.size());
  for (size_t i = 0; i < todo.size(); ++i) {
    todo[i]->inclusion_proof = std::move((*proofs)[i]);
    todo[i]->proven = true;
  }
  return Status::Ok();
}

std::vector<const StoreEvidence::TxRead*> StoreEvidence::TxsInLogOrder() const {
  std::vector<const TxRead*> out;
  out.reserve(txs_.size());
  for (const auto& [id, read] : txs_) out.push_back(read.get());
  std::sort(out.begin(), out.end(), [](const TxRead* a, const TxRead* b) {
    return a->logged.log_index < b->logged.log_index;
  });
  return out;
}

const StoreEvidence::TxRead* StoreEvidence::FindTx(const Hash32& id) const {
  auto it = txs_.find(id);
  return it == txs_.end() ? nullptr : it->second.get();
}

}  // namespace hearth::verify
