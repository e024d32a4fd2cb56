// store.h: the block store. Committed blocks with their certificates, the transaction index,
// the global Merkle log (merkle_log.h) and the authenticated index (auth_index.h), all in
// one LevelDB database, written one whole block at a time.
//
// Crash safety (DESIGN.md "Node"): CommitBlock puts everything a block changes (header,
// transactions, certificate, tx index entries, log tiles, index nodes and lists, head) into
// ONE leveldb::WriteBatch written with sync=true, so after a crash the store holds whole
// blocks or nothing of a block, and a block whose CommitBlock returned OK survives a power
// cut. The log and the index stage the block in memory, flush into that batch, and are
// marked flushed only after the write succeeded (discarded otherwise).
//
// Key layout (one-byte table prefixes; heights and positions big-endian so iteration runs
// in chain order; values use the canonical codec, little-endian):
//   0x01                               meta: u8 1 ‖ u8 suite ‖ text chain_id ‖ genesis_hash
//   0x02                               head: u8 1 ‖ u64 height ‖ block_hash ‖ u64 log_size
//                                            ‖ log_root ‖ index_root   (absent: height 0)
//   0x03 ‖ u64 BE height               block header (EncodeBlockHeader)
//   0x04 ‖ u64 BE height ‖ u32 BE pos  transaction (Transaction::Encode), pos 0-based
//   0x05 ‖ u64 BE height               commit certificate (EncodeCertificate)
//   0x06 ‖ tx id (32)                  tx location: u8 1 ‖ u64 height ‖ u32 position
//                                            ‖ u64 log_index
//   0x07 ‖ ...                         the Merkle log (prefix owned by MerkleLog)
//   0x08 ‖ ...                         the authenticated index, version = height
//                                      (prefix owned by AuthIndex)
// The meta record is written (synced) when the store is created; everything else only by
// CommitBlock. Heights start at 1; height 1's prev_hash is the genesis hash.
//
// Validation by CommitBlock (signatures are the caller's job, checked before commit):
// block well formed (Validate: tx_count, tx_root, suite and chain id of every tx, no id
// twice), suite and chain id of this store, height == head + 1, prev_hash == head hash,
// no tx already committed (AlreadyExists naming the id), header log_size / log_root /
// index_root equal to what applying the block gives, certificate for this height and
// block hash (its votes are verified by the caller: VerifyCommit). A rejected block writes
// nothing and leaves the store as it was.
//
// Open checks the head, O(1) in the chain length: the head record decodes; the header at
// the head height exists, decodes and hashes to the head's block hash; the last
// `prev_links_checked` prev-hash links hold (down to the genesis hash); the log size and
// root recomputed from the log's storage and the index root at the head version equal
// the header's; the head's certificate and its last transaction's index entry agree; no
// header is stored above the head. On a
// mismatch it refuses with Corruption saying what differs, e.g.
//   "head block 17: log root in header 3fa9c2… != log root in store 88c1d0…".
// A stored value that fails its checksum or does not decode is Corruption, never NotFound.
// Blocks below the head are checked when read (GetBlock re-derives the tx root; GetTx the
// id). A stored transaction whose signature alone was altered keeps its id and is not
// caught here: signatures are checked by whoever verifies the chain.
//
// After an environment failure (IOError) during a commit the store refuses further
// commits (FailedPrecondition): LevelDB may hold a partial log record it must not write
// past, and whether the failed block became durable is unknown until the store is
// reopened, which then holds the whole block or none of it.
//
// Thread-safety: every method may be called from any thread. Commits are serialised;
// log proofs and roots take the store's mutex (the log is single-threaded); header, block,
// certificate and transaction reads, index lists and ProveIndex go to committed state
// without it.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "hearth/base/bytes.h"
#include "hearth/base/status.h"
#include "hearth/ledger/auth_index.h"
#include "hearth/ledger/block.h"
#include "hearth/ledger/crypto.h"
#include "hearth/ledger/db.h"
#include "hearth/ledger/merkle_log.h"
#include "hearth/ledger/transaction.h"
#include "hearth/ledger/tx_location.h"

namespace leveldb {
class Env;
}  // namespace leveldb

namespace hearth {
namespace store_internal {
class IdFilter;
}  // namespace store_internal

// The chain's state after the head block (all zero-height fields for an empty store:
// block_hash = genesis hash, log_size 0, log_root = merkle::EmptyRoot, index_root = zero).
struct ChainHead {
  uint64_t height = 0;
  Hash32 block_hash;
  uint64_t log_size = 0;
  Hash32 log_root;
  Hash32 index_root;
  friend bool operator==(const ChainHead&, const ChainHead&) = default;
};

// What the header of the next block must carry, given its transactions.
struct BlockRoots {
  uint64_t height = 0;  // head + 1
  Hash32 prev_hash;     // head block hash
  Hash32 tx_root;
  uint64_t log_size = 0;
  Hash32 log_root;
  Hash32 index_root;
};

// The header of the block these roots were previewed for (PreviewRoots over its
// `tx_count` transactions): height, prev_hash and the four roots from `roots`, the rest as
// given. The one place a header is assembled from roots (proposer, tests, benchmarks).
inline BlockHeader HeaderFromRoots(const BlockRoots& roots, Suite suite, std::string chain_id,
                                   uint64_t time_ms, uint16_t proposer, uint32_t tx_count) {
  BlockHeader h;
  h.suite = suite;
  h.chain_id = std::move(chain_id);
  h.height = roots.height;
  h.prev_hash = roots.prev_hash;
  h.time_ms = time_ms;
  h.proposer = proposer;
  h.tx_count = tx_count;
  h.tx_root = roots.tx_root;
  h.log_size = roots.log_size;
  h.log_root = roots.log_root;
  h.index_root = roots.index_root;
  return h;
}

struct StoredTx {
  Transaction tx;
  TxLocation location;
};

// An index key's full list at a height, with its proof against IndexRootAt(height).
struct IndexEntry {
  Hash32 root;
  std::optional<IndexValue> value;  // nullopt: the key is absent
  IndexProof proof;
  std::vector<Hash32> ids;          // every tx filed under the key, log order
  // Where each of ids is stored, from its list entry (height 0: the entry was written
  // without one, by a store older than list locations); same length as ids.
  std::vector<TxLocation> locations;
};

class BlockStore {
 public:
  struct Options {
    // nullptr = leveldb::Env::Default(). Not owned; must outlive the store.
    leveldb::Env* env = nullptr;
    bool create_if_missing = true;
    // Prev-hash links checked at open below the head (bounded: open stays O(1)).
    uint64_t prev_links_checked = 2;
    AuthIndex::Options index;
    DbOptions db;  // env and create_if_missing above take precedence
    // Test hook: false writes blocks unsynced, to prove the crash tests fail then. Never
    // false outside tests.
    bool TEST_sync_writes = true;
  };
  // Opens or creates the store in directory `path` for a chain. FailedPrecondition when
  // the store belongs to another suite, chain id or genesis hash; Corruption when a check
  // above fails; NotFound when it does not exist and create_if_missing is false.
  static Result<std::unique_ptr<BlockStore>> Open(const std::string& path, Suite suite,
                                                  std::string chain_id,
                                                  const Hash32& genesis_hash,
                                                  const Options& options);
  ~BlockStore();
  BlockStore(const BlockStore&) = delete;
  BlockStore& operator=(const BlockStore&) = delete;

  Suite suite() const { return suite_; }
  const std::string& chain_id() const { return chain_id_; }
  const Hash32& genesis_hash() const { return genesis_hash_; }
  ChainHead head() const;

  // Validates and durably commits the next block (see the contract above).
  Status CommitBlock(const Block& block, const CommitCertificate& certificate);
  // The same from wire bytes (EncodeBlock / EncodeCertificate). A body that does not decode
  // is InvalidArgument naming the transaction's position ("block.txs[3] at offset ...").
  Status CommitEncodedBlock(ByteView block_bytes, ByteView certificate_bytes);
  // Roots the next block's header must carry for `txs` in this order; the same checks as
  // CommitBlock on the transactions (suite, chain id, no duplicate within or committed).
  // Changes nothing durable. The last successful preview stays staged in memory, so that
  // committing exactly those transactions next (same height and tx root) reuses it instead
  // of computing the log and index again; any other preview or commit discards it.
  Result<BlockRoots> PreviewRoots(std::span<const Transaction> txs);

  // Reads at heights 1..head (NotFound above the head or at 0).
  Result<BlockHeader> Header(uint64_t height) const;
  Result<Block> GetBlock(uint64_t height) const;
  Result<CommitCertificate> Certificate(uint64_t height) const;
  Result<Bytes> CertificateBytes(uint64_t height) const;
  // NotFound when the id was never committed.
  Result<StoredTx> GetTx(const Hash32& tx_id) const;
  Result<TxLocation> LocateTx(const Hash32& tx_id) const;
  // GetTx for a location already known (from an index list entry): one read instead of
  // two. NotFound when location.height is 0 or above the head; Corruption when the
  // transaction stored there is not `tx_id`.
  Result<StoredTx> GetTxAt(const Hash32& tx_id, const TxLocation& location) const;

  // RFC 9162 proofs over the committed log (sizes <= head().log_size).
  Result<std::vector<Hash32>> InclusionProof(uint64_t log_index, uint64_t log_size) const;
  // The inclusion proofs of many leaves at one size, in the order given, under one hold of
  // the store's lock and sharing the tiles they read (MerkleLog::InclusionProofs).
  Result<std::vector<std::vector<Hash32>>> InclusionProofs(std::span<const uint64_t> log_indices,
                                                           uint64_t log_size) const;
  Result<std::vector<Hash32>> ConsistencyProof(uint64_t size1, uint64_t size2) const;
  Result<Hash32> LogRootAt(uint64_t log_size) const;
  Result<Hash32> LogLeafHash(uint64_t log_index) const;
  // Index root after block `height` (1..head).
  Result<Hash32> IndexRootAt(uint64_t height) const;
  // `key` is an index key hash (IndexKeyHash). Its list and proof at block `height`, both
  // from committed state without the store's lock (AuthIndex::ProveCommitted, then the list
  // as IndexList reads it) when the entries carry locations and their number is the proven
  // count; otherwise the list is read under the lock through the index value.
  Result<IndexEntry> ProveIndex(const Hash32& key, uint64_t height) const;
  // The same list without proof, root or value (ids and locations only): what a decision
  // that is not turned into a receipt needs. Read from the key's list entries alone
  // (AuthIndex::CommittedListUpTo: no page walk, not under the store's lock, so it does
  // not wait for a commit in flight); for entries stored without locations it falls back
  // to the index value and fills root and value too.
  Result<IndexEntry> IndexList(const Hash32& key, uint64_t height) const;
  // The authenticated index's page cache counters (AuthIndex::stats); any thread, no lock.
  IndexStats index_stats() const;

  // For tests and tools: the raw database and storage keys.
  Db* TEST_db() { return db_.get(); }
  static std::string HeaderKey(uint64_t height);
  static std::string TxKey(uint64_t height, uint32_t position);
  static std::string CertificateKey(uint64_t height);
  static std::string TxIndexKey(const Hash32& tx_id);
  static std::string MetaKey();
  static std::string HeadKey();
  std::string LogTileKey(int tile_level, uint64_t tile_index) const;
  std::string LogMetaKey() const;
  std::string IndexRootKey(uint64_t height) const;

 private:
  struct Staged;
  BlockStore(Suite suite, std::string chain_id, const Hash32& genesis_hash, const Options& options);

  // Open steps (store.cc).
  Status OpenMeta();
  // Fills committed_ids_ from the tx index (a scan of its keys).
  Status LoadCommittedIds();
  Status LoadHead();
  Status CheckHead() const;
  Status CheckPrevLinks(const BlockHeader& head_header) const;
  Status CheckLogAndIndex(const BlockHeader& head_header) const;
  Status CheckHeadExtras(const BlockHeader& head_header) const;
  // Commit steps (store_commit.cc). REQUIRES: mu_ held.
  Result<BlockRoots> StageLocked(std::span<const Transaction> txs, Staged* staged);
  Status CheckHeaderLocked(const BlockHeader& header, const BlockRoots& roots) const;
  // Releases *lock (on mu_) for the synced write itself and takes it again after.
  Status WriteLocked(const Block& block, const CommitCertificate& certificate,
                     const Staged& staged, const BlockRoots& roots,
                     std::unique_lock<std::mutex>* lock);
  void DiscardLocked();
  struct Preview;
  bool PreviewMatchesLocked(uint64_t height, const Hash32& tx_root) const;
  // Reads (store_read.cc).
  Status CheckHeight(uint64_t height) const;
  Result<BlockHeader> ReadHeader(uint64_t height) const;
  Result<std::vector<Transaction>> ReadTxs(uint64_t height, uint32_t tx_count) const;
  Result<TxLocation> ReadLocation(const Hash32& tx_id) const;
  // The body at `location`, decoded and checked to be `tx_id`.
  Result<StoredTx> ReadTxAt(const Hash32& tx_id, const TxLocation& location) const;
  // entry->ids and locations from the first `count` list entries of `key`.
  Status FillList(const Hash32& key, uint64_t count, IndexEntry* entry) const;

  const Suite suite_;
  const std::string chain_id_;
  const Hash32 genesis_hash_;
  const Options options_;
  std::unique_ptr<Db> db_;
  // Every id with a tx index entry, in a Bloom filter (store_internal/id_filter.h): "not
  // committed", the usual answer on admission and staging, without a LevelDB read. Built by
  // Open; commits add their ids before writing them.
  std::unique_ptr<store_internal::IdFilter> committed_ids_;

  // Serialises CommitBlock and PreviewRoots (the only writers of the log, the index,
  // failed_ and preview_). Taken before mu_.
  std::mutex commit_mu_;
  // Guards the log and the index (MerkleLog is single-threaded). A commit holds it while it
  // stages and while it marks the block flushed, not during the synced write in between:
  // readers at heights <= head meanwhile see exactly what they saw before the commit began
  // (the staged state is not touched during the write), so proofs do not wait for an fsync.
  mutable std::mutex mu_;
  std::unique_ptr<MerkleLog> log_;
  std::unique_ptr<AuthIndex> index_;
  Status failed_;  // non-OK after an environment failure during a commit
  std::unique_ptr<Preview> preview_;  // the staged result of the last PreviewRoots

  mutable std::mutex head_mu_;  // guards head_ alone, so plain reads never wait on a commit
  ChainHead head_;
};

}  // namespace hearth
