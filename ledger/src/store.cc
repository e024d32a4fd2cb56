// BlockStore: opening and the checks of the head at open (contract in store.h).
#include "hearth/ledger/store.h"

#include <leveldb/env.h>
#include <leveldb/write_batch.h>

#include "hearth/ledger/merkle.h"
#include "id_filter.h"
#include "store_internal.h"

namespace hearth {

using store_internal::ShortHex;
using store_internal::StoredValueError;

namespace {

std::string BlockName(uint64_t height) { return "block " + std::to_string(height); }

// "head block 17: log root in header 3fa9… != log root in store 88c1…"
Status Mismatch(std::string_view where, std::string_view field, std::string_view in_a,
                const std::string& a, std::string_view in_b, const std::string& b) {
  return Status::Corruption(std::string(where) + ": " + std::string(field) + " in " +
                            std::string(in_a) + " " + a + " != " + std::string(field) + " in " +
                            std::string(in_b) + " " + b);
}

}  // namespace

BlockStore::BlockStore(Suite suite, std::string chain_id, const Hash32& genesis_hash,
                       const Options& options)
    : suite_(suite), chain_id_(std::move(chain_id)), genesis_hash_(genesis_hash), options_(options) {}

BlockStore::~BlockStore() = default;

Result<std::unique_ptr<BlockStore>> BlockStore::Open(const std::string& path, Suite suite,
                                                     std::string chain_id,
                                                     const Hash32& genesis_hash,
                                                     const Options& options) {
  HEARTH_RETURN_IF_ERROR(ValidateChainId(chain_id));
  leveldb::Env* env = options.env != nullptr ? options.env : leveldb::Env::Default();
  if (!options.create_if_missing && !env->FileExists(path + "/CURRENT")) {
    return Status::NotFound("block store " + path + " does not exist");
  }
  std::unique_ptr<BlockStore> store(new BlockStore(suite, std::move(chain_id), genesis_hash, options));
  DbOptions db_options = options.db;
  db_options.env = env;
  db_options.create_if_missing = options.create_if_missing;
  HEARTH_ASSIGN_OR_RETURN(store->db_, Db::Open(path, db_options));
  const std::string where = "block store " + path;
  HEARTH_RETURN_IF_ERROR(store->OpenMeta().Annotate(where));

  store->log_ = std::make_unique<MerkleLog>(suite, &store->db_->reader(),
                                            std::string(1, char{store_internal::kLogPrefix}));
  HEARTH_RETURN_IF_ERROR(store->log_->Open().Annotate(where + ": merkle log"));
  store->index_ = std::make_unique<AuthIndex>(suite, &store->db_->reader(),
                                              std::string(1, char{store_internal::kIndexPrefix}),
                                              options.index);
  HEARTH_RETURN_IF_ERROR(store->index_->Open().Annotate(where + ": authenticated index"));
  HEARTH_RETURN_IF_ERROR(store->LoadCommittedIds().Annotate(where));
  HEARTH_RETURN_IF_ERROR(store->LoadHead().Annotate(where));
  HEARTH_RETURN_IF_ERROR(store->CheckHead().Annotate(where));
  return store;
}

Status BlockStore::LoadCommittedIds() {
  committed_ids_ = std::make_unique<store_internal::IdFilter>();
  const std::string begin(1, static_cast<char>(store_internal::kTxIndexPrefix));
  const std::string end(1, static_cast<char>(store_internal::kTxIndexPrefix + 1));
  size_t malformed = 0;
  std::string first_malformed;
  HEARTH_RETURN_IF_ERROR(db_->ForEachKey(begin, end, [&](std::string_view key) {
    if (key.size() != 1 + Hash32::kSize) {
      if (malformed++ == 0) first_malformed = ToHex(AsBytes(key));
      return;
    }
    committed_ids_->Add(Hash32::FromBytes(AsBytes(key.substr(1))));
  }));
  if (malformed > 0) {
    return Status::Corruption("tx index: " + std::to_string(malformed) +
                              " keys of the wrong length, the first " + first_malformed);
  }
  return Status::Ok();
}

Status BlockStore::OpenMeta() {
  std::string value;
  Status s = db_->Get(MetaKey(), &value);
  if (s.code() == Code::kNotFound) {
    HEARTH_ASSIGN_OR_RETURN(bool empty, db_->IsEmpty());
    if (!empty) return Status::Corruption("meta record missing from a non-empty store");
    leveldb::WriteBatch batch;
    const std::string meta = store_internal::EncodeMeta({suite_, chain_id_, genesis_hash_});
    batch.Put(MetaKey(), meta);
    return db_->Write(&batch, options_.TEST_sync_writes ? Durability::kSync : Durability::kBuffer);
  }
  if (!s.ok()) return StoredValueError(s, "meta record");
  auto meta = store_internal::DecodeMeta(value);
  if (!meta.ok()) return StoredValueError(meta.status(), "meta record");
  if (meta->suite != suite_) {
    return Status::FailedPrecondition("store is for suite " + std::string(SuiteName(meta->suite)) +
                                      ", not " + std::string(SuiteName(suite_)));
  }
  if (meta->chain_id != chain_id_) {
    return Status::FailedPrecondition("store is for chain id '" + meta->chain_id + "', not '" +
                                      chain_id_ + "'");
  }
  if (meta->genesis_hash != genesis_hash_) {
    return Status::FailedPrecondition("store is for genesis " + meta->genesis_hash.Hex() +
                                      ", not " + genesis_hash_.Hex());
  }
  return Status::Ok();
}

Status BlockStore::LoadHead() {
  std::string value;
  Status s = db_->Get(HeadKey(), &value);
  ChainHead head;
  if (s.code() == Code::kNotFound) {
    head.block_hash = genesis_hash_;
    head.log_root = merkle::EmptyRoot(suite_);
  } else if (!s.ok()) {
    return StoredValueError(s, "head record");
  } else {
    auto decoded = store_internal::DecodeHead(value);
    if (!decoded.ok()) return StoredValueError(decoded.status(), "head record");
    head = *decoded;
  }
  std::lock_guard lock(head_mu_);
  head_ = head;
  return Status::Ok();
}

Status BlockStore::CheckHead() const {
  const ChainHead head = this->head();
  // Nothing may be stored above the head: a header there means the head record was lost.
  std::string value;
  Status above = db_->Get(HeaderKey(head.height + 1), &value);
  if (above.ok()) {
    return Status::Corruption("head is at height " + std::to_string(head.height) +
                              " but a header is stored at height " + std::to_string(head.height + 1));
  }
  if (above.code() != Code::kNotFound) return StoredValueError(above, BlockName(head.height + 1) + " header");
  if (head.height == 0) {
    if (log_->committed_size() != 0 || index_->committed_last_version().has_value()) {
      return Status::Corruption("no head record, but the log holds " +
                                std::to_string(log_->committed_size()) +
                                " leaves or the index holds versions");
    }
    return Status::Ok();
  }
  HEARTH_ASSIGN_OR_RETURN(const BlockHeader header, ReadHeader(head.height));
  const std::string where = "head " + BlockName(head.height);
  const Hash32 hash = BlockHash(header);
  if (hash != head.block_hash) {
    return Mismatch(where, "block hash", "head record", ShortHex(head.block_hash), "stored header",
                    ShortHex(hash));
  }
  if (header.log_size != head.log_size || header.log_root != head.log_root ||
      header.index_root != head.index_root) {
    return Status::Corruption(where + ": head record roots differ from the header's");
  }
  HEARTH_RETURN_IF_ERROR(CheckPrevLinks(header));
  HEARTH_RETURN_IF_ERROR(CheckLogAndIndex(header));
  return CheckHeadExtras(header);
}

Status BlockStore::CheckPrevLinks(const BlockHeader& head_header) const {
  BlockHeader child = head_header;
  for (uint64_t link = 0; link < options_.prev_links_checked; ++link) {
    if (child.height == 1) {
      if (child.prev_hash != genesis_hash_) {
        return Mismatch(BlockName(1), "prev hash", "header", ShortHex(child.prev_hash), "genesis",
                        ShortHex(genesis_hash_));
      }
      return Status::Ok();
    }
    HEARTH_ASSIGN_OR_RETURN(BlockHeader parent, ReadHeader(child.height - 1));
    const Hash32 parent_hash = BlockHash(parent);
    if (child.prev_hash != parent_hash) {
      return Mismatch(BlockName(child.height), "prev hash", "header", ShortHex(child.prev_hash),
                      "store (hash of " + BlockName(parent.height) + ")", ShortHex(parent_hash));
    }
    child = std::move(parent);
  }
  return Status::Ok();
}

Status BlockStore::CheckLogAndIndex(const BlockHeader& header) const {
  const std::string where = "head " + BlockName(header.height);
  if (log_->committed_size() != header.log_size) {
    return Mismatch(where, "log size", "header", std::to_string(header.log_size), "store",
                    std::to_string(log_->committed_size()));
  }
  const Hash32 log_root = log_->Root();
  if (log_root != header.log_root) {
    return Mismatch(where, "log root", "header", ShortHex(header.log_root), "store", ShortHex(log_root));
  }
  const std::optional<uint64_t> version = index_->committed_last_version();
  if (version != header.height) {
    return Mismatch(where, "index version", "header", std::to_string(header.height), "store",
                    version ? std::to_string(*version) : std::string("none"));
  }
  auto index_root = index_->RootAt(header.height);
  if (!index_root.ok()) return StoredValueError(index_root.status(), where + ": index root");
  if (*index_root != header.index_root) {
    return Mismatch(where, "index root", "header", ShortHex(header.index_root), "store",
                    ShortHex(*index_root));
  }
  // Walk one path from the root: every node read is checked against its parent's hash, so
  // a damaged or missing root node shows here rather than in the first proof served.
  auto probe = index_->Prove(Hash32{}, header.height);
  if (!probe.ok()) return StoredValueError(probe.status(), where + ": index nodes");
  return VerifyIndexProof(suite_, *index_root, Hash32{}, probe->value, probe->proof)
      .Annotate(where + ": index proof from storage");
}

Status BlockStore::CheckHeadExtras(const BlockHeader& header) const {
  const std::string where = "head " + BlockName(header.height);
  HEARTH_ASSIGN_OR_RETURN(const Bytes cert_bytes, CertificateBytes(header.height));
  auto cert = DecodeCertificate(cert_bytes);
  if (!cert.ok()) return StoredValueError(cert.status(), where + ": certificate");
  if (cert->height != header.height || cert->block_hash != BlockHash(header)) {
    return Status::Corruption(where + ": stored certificate is for another block");
  }
  if (header.tx_count == 0) return Status::Ok();
  const uint32_t last = header.tx_count - 1;
  std::string value;
  Status s = db_->Get(TxKey(header.height, last), &value);
  if (!s.ok()) return StoredValueError(s, where + ": transaction " + std::to_string(last));
  auto tx = Transaction::Decode(AsBytes(value));
  if (!tx.ok()) return StoredValueError(tx.status(), where + ": transaction " + std::to_string(last));
  auto location = ReadLocation(tx->id());
  if (!location.ok()) return StoredValueError(location.status(), where + ": tx index of its last tx");
  const TxLocation want{header.height, last, header.log_size - 1};
  if (*location != want) {
    return Status::Corruption(where + ": tx index of its last tx " + ShortHex(tx->id()) +
                              " points to height " + std::to_string(location->height) +
                              " position " + std::to_string(location->position) + " log index " +
                              std::to_string(location->log_index));
  }
  return Status::Ok();
}

ChainHead BlockStore::head() const {
  std::lock_guard lock(head_mu_);
  return head_;
}

}  // namespace hearth
