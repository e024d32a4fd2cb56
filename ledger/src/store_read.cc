// BlockStore: reads of blocks, transactions, roots and proofs (contract in store.h).
#include "hearth/ledger/store.h"
#include "id_filter.h"
#include "store_internal.h"

namespace hearth {

using store_internal::ShortHex;
using store_internal::StoredValueError;

namespace {
std::string BlockName(uint64_t height) { return "block " + std::to_string(height); }

void SplitList(const std::vector<IndexListEntry>& list, IndexEntry* entry) {
  entry->ids.reserve(list.size());
  entry->locations.reserve(list.size());
  for (const IndexListEntry& e : list) {
    entry->ids.push_back(e.id);
    entry->locations.push_back(e.location);
  }
}
}  // namespace

Status BlockStore::CheckHeight(uint64_t height) const {
  const uint64_t head_height = head().height;
  if (height == 0 || height > head_height) {
    return Status::NotFound(BlockName(height) + ": not committed (head is at height " +
                            std::to_string(head_height) + ")");
  }
  return Status::Ok();
}

Result<BlockHeader> BlockStore::ReadHeader(uint64_t height) const {
  const std::string what = BlockName(height) + ": stored header";
  std::string value;
  Status s = db_->Get(HeaderKey(height), &value);
  if (!s.ok()) return StoredValueError(s, what);
  auto header = DecodeBlockHeader(AsBytes(value));
  if (!header.ok()) return StoredValueError(header.status(), what);
  if (header->height != height || header->suite != suite_ || header->chain_id != chain_id_) {
    return Status::Corruption(what + ": holds height " + std::to_string(header->height) +
                              " of chain '" + header->chain_id + "'");
  }
  return header;
}

Result<std::vector<Transaction>> BlockStore::ReadTxs(uint64_t height, uint32_t tx_count) const {
  std::vector<Transaction> txs;
  txs.reserve(tx_count);
  Status bad;
  const std::string begin = TxKey(height, 0);
  const std::string end = store_internal::HeightKey(store_internal::kTxPrefix, height + 1);
  const Db::ScanFn visit = [&](std::string_view key, std::string_view value) {
    const std::string what = BlockName(height) + ": stored transaction " + std::to_string(txs.size());
    if (key.size() != store_internal::kTxKeyBytes || store_internal::TxKeyPosition(key) != txs.size()) {
      bad = Status::Corruption(what + ": missing (found another key)");
      return false;
    }
    auto tx = Transaction::Decode(AsBytes(value));
    if (!tx.ok()) {
      bad = StoredValueError(tx.status(), what);
      return false;
    }
    txs.push_back(std::move(tx).value());
    return true;
  };
  HEARTH_RETURN_IF_ERROR(db_->Scan(begin, end, size_t{tx_count} + 1, visit).Annotate(BlockName(height)));
  HEARTH_RETURN_IF_ERROR(bad);
  if (txs.size() != tx_count) {
    return Status::Corruption(BlockName(height) + ": header says " + std::to_string(tx_count) +
                              " transactions, store holds " + std::to_string(txs.size()));
  }
  return txs;
}

Result<TxLocation> BlockStore::ReadLocation(const Hash32& tx_id) const {
  auto not_committed = [&] { return Status::NotFound("tx " + tx_id.Hex() + ": not committed"); };
  if (!committed_ids_->MayContain(tx_id)) return not_committed();
  std::string value;
  Status s = db_->Get(TxIndexKey(tx_id), &value);
  if (s.code() == Code::kNotFound) return not_committed();
  if (!s.ok()) return StoredValueError(s, "tx index entry of " + ShortHex(tx_id));
  auto location = store_internal::DecodeLocation(value);
  if (!location.ok()) return StoredValueError(location.status(), "tx index entry of " + ShortHex(tx_id));
  return location;
}

Result<BlockHeader> BlockStore::Header(uint64_t height) const {
  HEARTH_RETURN_IF_ERROR(CheckHeight(height));
  return ReadHeader(height);
}

Result<Block> BlockStore::GetBlock(uint64_t height) const {
  HEARTH_RETURN_IF_ERROR(CheckHeight(height));
  HEARTH_ASSIGN_OR_RETURN(BlockHeader header, ReadHeader(height));
  HEARTH_ASSIGN_OR_RETURN(std::vector<Transaction> txs, ReadTxs(height, header.tx_count));
  Block block{std::move(header), std::move(txs)};
  Status valid = Validate(block);
  if (!valid.ok()) return Status::Corruption(BlockName(height) + ": stored body does not match its header: " + valid.message());
  return block;
}

Result<Bytes> BlockStore::CertificateBytes(uint64_t height) const {
  HEARTH_RETURN_IF_ERROR(CheckHeight(height));
  std::string value;
  Status s = db_->Get(CertificateKey(height), &value);
  if (!s.ok()) return StoredValueError(s, BlockName(height) + ": stored certificate");
  return Bytes(value.begin(), value.end());
}

Result<CommitCertificate> BlockStore::Certificate(uint64_t height) const {
  HEARTH_ASSIGN_OR_RETURN(const Bytes bytes, CertificateBytes(height));
  auto cert = DecodeCertificate(bytes);
  if (!cert.ok()) return StoredValueError(cert.status(), BlockName(height) + ": stored certificate");
  if (cert->height != height) {
    return Status::Corruption(BlockName(height) + ": stored certificate is for height " +
                              std::to_string(cert->height));
  }
  return cert;
}

Result<TxLocation> BlockStore::LocateTx(const Hash32& tx_id) const {
  HEARTH_ASSIGN_OR_RETURN(TxLocation location, ReadLocation(tx_id));
  // A commit in flight writes the index before head_ moves: not committed until it does.
  if (location.height > head().height) return Status::NotFound("tx " + tx_id.Hex() + ": not committed");
  return location;
}

Result<StoredTx> BlockStore::GetTx(const Hash32& tx_id) const {
  HEARTH_ASSIGN_OR_RETURN(TxLocation location, LocateTx(tx_id));
  return ReadTxAt(tx_id, location);
}

Result<StoredTx> BlockStore::GetTxAt(const Hash32& tx_id, const TxLocation& location) const {
  if (location.height == 0 || location.height > head().height) {
    return Status::NotFound("tx " + tx_id.Hex() + ": not committed at height " +
                            std::to_string(location.height));
  }
  return ReadTxAt(tx_id, location);
}

Result<StoredTx> BlockStore::ReadTxAt(const Hash32& tx_id, const TxLocation& location) const {
  // Named only on failure: a check reads ~140 of these.
  auto what = [&] {
    return "tx " + ShortHex(tx_id) + " at " + BlockName(location.height) + " position " +
           std::to_string(location.position);
  };
  std::string value;
  Status s = db_->Get(TxKey(location.height, location.position), &value);
  if (!s.ok()) return StoredValueError(s, what());
  auto tx = Transaction::Decode(AsBytes(value));
  if (!tx.ok()) return StoredValueError(tx.status(), what());
  if (tx->id() != tx_id) return Status::Corruption(what() + ": holds tx " + ShortHex(tx->id()));
  return StoredTx{std::move(tx).value(), location};
}

namespace {

// The proofs and roots below are answered for committed log sizes only.
Status WithinCommittedLog(uint64_t log_size, uint64_t committed) {
  if (log_size <= committed) return Status::Ok();
  return Status::OutOfRange("log size " + std::to_string(log_size) + " is beyond the committed " +
                            std::to_string(committed));
}

}  // namespace

Result<std::vector<Hash32>> BlockStore::InclusionProof(uint64_t log_index, uint64_t log_size) const {
  std::lock_guard lock(mu_);
  HEARTH_RETURN_IF_ERROR(WithinCommittedLog(log_size, head().log_size));
  return log_->InclusionProof(log_index, log_size);
}

Result<std::vector<std::vector<Hash32>>> BlockStore::InclusionProofs(
    std::span<const uint64_t> log_indices, uint64_t log_size) const {
  std::lock_guard lock(mu_);
  HEARTH_RETURN_IF_ERROR(WithinCommittedLog(log_size, head().log_size));
  return log_->InclusionProofs(log_indices, log_size);
}

Result<std::vector<Hash32>> BlockStore::ConsistencyProof(uint64_t size1, uint64_t size2) const {
  std::lock_guard lock(mu_);
  HEARTH_RETURN_IF_ERROR(WithinCommittedLog(size2, head().log_size));
  return log_->ConsistencyProof(size1, size2);
}

Result<Hash32> BlockStore::LogRootAt(uint64_t log_size) const {
  std::lock_guard lock(mu_);
  HEARTH_RETURN_IF_ERROR(WithinCommittedLog(log_size, head().log_size));
  return log_->RootAt(log_size);
}

Result<Hash32> BlockStore::LogLeafHash(uint64_t log_index) const {
  std::lock_guard lock(mu_);
  if (log_index >= head().log_size) {
    return Status::OutOfRange("log index " + std::to_string(log_index) + " is not below the committed size " +
                              std::to_string(head().log_size));
  }
  return log_->LeafHashAt(log_index);
}

Result<Hash32> BlockStore::IndexRootAt(uint64_t height) const {
  HEARTH_RETURN_IF_ERROR(CheckHeight(height));
  std::lock_guard lock(mu_);
  return index_->RootAt(height);
}

Result<IndexEntry> BlockStore::ProveIndex(const Hash32& key, uint64_t height) const {
  HEARTH_RETURN_IF_ERROR(CheckHeight(height));
  IndexEntry entry;
  // From committed state alone, without the store's mutex: every height <= head is
  // durable, and the walk never looks at what a commit is staging meanwhile.
  HEARTH_ASSIGN_OR_RETURN(IndexLookup lookup, index_->ProveCommitted(key, height, &entry.root));
  entry.value = lookup.value;
  entry.proof = std::move(lookup.proof);
  if (!entry.value.has_value()) return entry;
  // The list (one scan) from the committed entries alone, as IndexList reads it. It must
  // hold exactly the proven value's count; anything else (entries stored without
  // locations) takes the locked path.
  Result<std::vector<IndexListEntry>> list = index_->CommittedListUpTo(key, height);
  if (list.ok() && list->size() == entry.value->count) {
    SplitList(*list, &entry);
    return entry;
  }
  if (!list.ok() && list.status().code() != Code::kFailedPrecondition) return list.status();
  std::lock_guard lock(mu_);
  HEARTH_RETURN_IF_ERROR(FillList(key, entry.value->count, &entry));
  return entry;
}

Status BlockStore::FillList(const Hash32& key, uint64_t count, IndexEntry* entry) const {
  HEARTH_ASSIGN_OR_RETURN(std::vector<IndexListEntry> list, index_->ListEntries(key, count));
  SplitList(list, entry);
  return Status::Ok();
}

Result<IndexEntry> BlockStore::IndexList(const Hash32& key, uint64_t height) const {
  HEARTH_RETURN_IF_ERROR(CheckHeight(height));
  IndexEntry entry;
  // Committed entries only, without the lock: every height <= head is durable.
  Result<std::vector<IndexListEntry>> list = index_->CommittedListUpTo(key, height);
  if (list.ok()) {
    SplitList(*list, &entry);
    return entry;
  }
  if (list.status().code() != Code::kFailedPrecondition) return list.status();
  std::lock_guard lock(mu_);  // entries without locations: through the index value
  HEARTH_ASSIGN_OR_RETURN(entry.root, index_->RootAt(height));
  HEARTH_ASSIGN_OR_RETURN(entry.value, index_->Get(key, height));
  if (entry.value.has_value()) {
    HEARTH_RETURN_IF_ERROR(FillList(key, entry.value->count, &entry));
  }
  return entry;
}

std::string BlockStore::LogTileKey(int tile_level, uint64_t tile_index) const {
  return log_->TileKey(tile_level, tile_index);
}
std::string BlockStore::LogMetaKey() const { return log_->MetaKey(); }
std::string BlockStore::IndexRootKey(uint64_t height) const { return index_->RootKey(height); }

IndexStats BlockStore::index_stats() const { return index_->stats(); }

}  // namespace hearth
