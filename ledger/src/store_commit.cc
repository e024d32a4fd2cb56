// BlockStore: validating, staging and durably committing one block (contract in store.h).
#include <leveldb/write_batch.h>

#include <unordered_map>
#include <unordered_set>

#include "hearth/ledger/index_keys.h"
#include "hearth/ledger/merkle.h"
#include "hearth/ledger/store.h"
#include "id_filter.h"
#include "store_internal.h"

namespace hearth {

using store_internal::ShortHex;

bool BlockStore::PreviewMatchesLocked(uint64_t height, const Hash32& tx_root) const {
  return preview_ != nullptr && preview_->height == height && preview_->tx_root == tx_root;
}

namespace {

std::string TxName(size_t position, const Hash32& id) {
  return "tx " + std::to_string(position) + " (" + ShortHex(id) + ")";
}

Status HeaderMismatch(uint64_t height, std::string_view field, const std::string& in_header,
                      const std::string& computed) {
  return Status::InvalidArgument("block " + std::to_string(height) + ": " + std::string(field) +
                                 " in header " + in_header + " != " + std::string(field) +
                                 " computed " + computed);
}

Status CheckNoRepeatedId(std::span<const Transaction> txs) {
  std::unordered_map<Hash32, size_t> first_position;
  for (size_t i = 0; i < txs.size() && i <= kBlockTxsMax; ++i) {
    auto [it, inserted] = first_position.emplace(txs[i].id(), i);
    if (!inserted) {
      return Status::AlreadyExists(TxName(i, txs[i].id()) + ": id appears twice in the block (also tx " +
                                   std::to_string(it->second) + ")");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<BlockRoots> BlockStore::StageLocked(std::span<const Transaction> txs, Staged* staged) {
  HEARTH_CHECK(!log_->has_staged() && !index_->has_staged());
  HEARTH_RETURN_IF_ERROR(failed_);
  if (txs.size() > kBlockTxsMax) {
    return Status::InvalidArgument("block holds " + std::to_string(txs.size()) +
                                   " transactions, more than " + std::to_string(kBlockTxsMax));
  }
  const ChainHead head = this->head();
  std::unordered_set<Hash32> seen;
  staged->ids.clear();
  staged->ids.reserve(txs.size());
  for (size_t i = 0; i < txs.size(); ++i) {
    const Transaction& tx = txs[i];
    if (tx.suite() != suite_ || tx.body().chain_id != chain_id_) {
      return Status::InvalidArgument(TxName(i, tx.id()) + ": suite or chain id is not this chain's");
    }
    if (!seen.insert(tx.id()).second) {
      return Status::AlreadyExists(TxName(i, tx.id()) + ": id appears twice in the block");
    }
    auto committed = ReadLocation(tx.id());
    if (committed.ok()) {
      return Status::AlreadyExists(TxName(i, tx.id()) + ": already committed at height " +
                                   std::to_string(committed->height) + " position " +
                                   std::to_string(committed->position));
    }
    if (committed.status().code() != Code::kNotFound) return committed.status();
    staged->ids.push_back(tx.id());
  }
  staged->first_log_index = head.log_size;

  BlockRoots roots;
  roots.height = head.height + 1;
  roots.prev_hash = head.block_hash;
  roots.tx_root = TxRoot(suite_, std::span<const Hash32>(staged->ids));
  std::vector<IndexUpdate> updates;
  for (size_t i = 0; i < txs.size(); ++i) {
    auto appended = log_->Append(merkle::LeafHash(suite_, staged->ids[i].view()));
    if (!appended.ok()) {
      DiscardLocked();
      return appended.status();
    }
    const TxLocation location{roots.height, static_cast<uint32_t>(i), staged->first_log_index + i};
    for (const Hash32& key : IndexKeysOf(suite_, txs[i])) {
      updates.push_back({key, staged->ids[i], location});
    }
  }
  auto index_root = index_->ApplyBlock(roots.height, updates);
  if (!index_root.ok()) {
    DiscardLocked();
    return index_root.status();
  }
  roots.log_size = log_->size();
  roots.log_root = log_->Root();
  roots.index_root = *index_root;
  return roots;
}

void BlockStore::DiscardLocked() {
  log_->DiscardStaged();
  index_->DiscardStaged();
  preview_.reset();
}

Status BlockStore::CheckHeaderLocked(const BlockHeader& header, const BlockRoots& roots) const {
  if (header.tx_root != roots.tx_root) {
    return HeaderMismatch(header.height, "tx root", ShortHex(header.tx_root), ShortHex(roots.tx_root));
  }
  if (header.log_size != roots.log_size) {
    return HeaderMismatch(header.height, "log size", std::to_string(header.log_size),
                          std::to_string(roots.log_size));
  }
  if (header.log_root != roots.log_root) {
    return HeaderMismatch(header.height, "log root", ShortHex(header.log_root), ShortHex(roots.log_root));
  }
  if (header.index_root != roots.index_root) {
    return HeaderMismatch(header.height, "index root", ShortHex(header.index_root),
                          ShortHex(roots.index_root));
  }
  return Status::Ok();
}

Status BlockStore::WriteLocked(const Block& block, const CommitCertificate& certificate,
                               const Staged& staged, const BlockRoots& roots,
                               std::unique_lock<std::mutex>* lock) {
  const uint64_t height = block.header.height;
  leveldb::WriteBatch batch;
  LevelDbBatchWriter writer(&batch);
  auto put = [&](const std::string& key, const Bytes& value) {
    writer.Put(key, AsChars(ByteView(value)));
  };
  put(HeaderKey(height), EncodeBlockHeader(block.header));
  for (size_t i = 0; i < block.txs.size(); ++i) {
    const auto position = static_cast<uint32_t>(i);
    put(TxKey(height, position), block.txs[i].Encode());
    const TxLocation location{height, position, staged.first_log_index + i};
    writer.Put(TxIndexKey(staged.ids[i]), store_internal::EncodeLocation(location));
  }
  put(CertificateKey(height), EncodeCertificate(certificate));
  const ChainHead head{height, BlockHash(block.header), roots.log_size, roots.log_root, roots.index_root};
  writer.Put(HeadKey(), store_internal::EncodeHead(head));
  HEARTH_RETURN_IF_ERROR(log_->FlushTo(&writer));
  HEARTH_RETURN_IF_ERROR(index_->FlushTo(&writer));

  // Before the entries exist (id_filter.h): a reader never finds an entry the filter lacks.
  for (const Hash32& id : staged.ids) committed_ids_->Add(id);

  lock->unlock();  // commit_mu_ keeps other writers out; readers may prove meanwhile
  Status written = db_->Write(&batch, options_.TEST_sync_writes ? Durability::kSync : Durability::kBuffer);
  lock->lock();
  if (!written.ok()) {
    // LevelDB may hold part of the batch in its log; writing past it could bury a torn
    // record under later ones. Refuse further commits until the store is reopened.
    failed_ = Status::FailedPrecondition("block store failed while committing block " +
                                         std::to_string(height) + " (" + written.message() +
                                         "); reopen it");
    return written.Annotate("block " + std::to_string(height));
  }
  log_->MarkFlushed();
  index_->MarkFlushed();
  std::lock_guard head_lock(head_mu_);
  head_ = head;
  return Status::Ok();
}

Status BlockStore::CommitBlock(const Block& block, const CommitCertificate& certificate) {
  const BlockHeader& header = block.header;
  const std::string where = "block " + std::to_string(header.height);
  // Before Validate, which also rejects a repeated id but without naming it.
  HEARTH_RETURN_IF_ERROR(CheckNoRepeatedId(block.txs).Annotate(where));
  HEARTH_RETURN_IF_ERROR(Validate(block).Annotate(where));
  HEARTH_RETURN_IF_ERROR(Validate(certificate).Annotate(where + ": certificate"));
  if (header.suite != suite_ || header.chain_id != chain_id_) {
    return Status::InvalidArgument(where + ": suite or chain id is not this chain's");
  }
  if (certificate.height != header.height || certificate.block_hash != BlockHash(header)) {
    return Status::InvalidArgument(where + ": certificate is for height " +
                                   std::to_string(certificate.height) + " block " +
                                   ShortHex(certificate.block_hash) + ", not this block");
  }
  std::lock_guard commit(commit_mu_);
  std::unique_lock lock(mu_);
  HEARTH_RETURN_IF_ERROR(failed_);
  const ChainHead head = this->head();
  if (header.height != head.height + 1) {
    return Status::FailedPrecondition(where + ": expected height " + std::to_string(head.height + 1) +
                                      " (head is " + std::to_string(head.height) + ")");
  }
  if (header.prev_hash != head.block_hash) {
    return Status::FailedPrecondition(where + ": prev hash " + ShortHex(header.prev_hash) +
                                      " != head block hash " + ShortHex(head.block_hash));
  }
  Staged staged;
  Result<BlockRoots> roots = Status::Internal("unset");
  if (PreviewMatchesLocked(header.height, header.tx_root)) {
    // The transactions were staged by PreviewRoots at this head: reuse them.
    staged = std::move(preview_->staged);
    roots = preview_->roots;
    preview_.reset();
  } else {
    DiscardLocked();
    roots = StageLocked(block.txs, &staged);
    if (!roots.ok()) return roots.status().Annotate(where);
  }
  Status s = CheckHeaderLocked(header, *roots);
  if (s.ok()) s = WriteLocked(block, certificate, staged, *roots, &lock);
  if (!s.ok()) DiscardLocked();
  return s;
}

Status BlockStore::CommitEncodedBlock(ByteView block_bytes, ByteView certificate_bytes) {
  auto block = DecodeBlock(block_bytes);
  if (!block.ok()) return block.status().Annotate("block to commit");
  auto certificate = DecodeCertificate(certificate_bytes);
  if (!certificate.ok()) return certificate.status().Annotate("certificate of block " + std::to_string(block->header.height));
  return CommitBlock(*block, *certificate);
}

Result<BlockRoots> BlockStore::PreviewRoots(std::span<const Transaction> txs) {
  std::lock_guard commit(commit_mu_);
  std::lock_guard lock(mu_);
  HEARTH_RETURN_IF_ERROR(failed_);
  const uint64_t height = head().height + 1;
  const Hash32 tx_root = TxRoot(suite_, txs);
  if (PreviewMatchesLocked(height, tx_root)) return preview_->roots;
  DiscardLocked();
  auto preview = std::make_unique<Preview>();
  auto roots = StageLocked(txs, &preview->staged);
  if (!roots.ok()) return roots;  // StageLocked discarded what it staged
  preview->height = height;
  preview->tx_root = tx_root;
  preview->roots = *roots;
  preview_ = std::move(preview);
  return roots;
}

}  // namespace hearth
