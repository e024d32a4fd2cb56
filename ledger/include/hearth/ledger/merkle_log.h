// merkle_log.h: the global Merkle log of RFC 9162 §2.1 (hashing in merkle.h), persisted in a
// key-value store so that append and proofs at 10^7 leaves need O(log n) reads and no
// rebuild after a restart.
//
// Storage layout (all keys start with the caller's `key_prefix`; the log owns every key
// that starts with it, so the store must give no other component a prefix that extends it):
//   meta key  prefix ‖ 0xFF                     -> u8 version (1) ‖ u8 suite byte ‖ u64 LE size
//   tile key  prefix ‖ u8 t ‖ u64 BE j          -> the perfect subtree hashes of tile (t, j)
// A *tile* (t, j) holds the nodes of levels 4t .. 4t+3 under the level-(4t+4) node j: up
// to 16 + 8 + 4 + 2 = 30 hashes. Let m = min(16, (size >> 4t) - 16j) be the number of its
// complete level-4t nodes at the committed size; the value is, for q = 0..3, the
// (m >> q) complete nodes of level 4t+q in index order, 32 bytes each, concatenated.
// The top node of a tile is the bottom row of tile (t+1, j >> 4). A partial tile on the
// right edge is rewritten whole when it grows. Any value whose length is not exactly
// 32·(m + m/2 + m/4 + m/8) is Corruption, as is a tile that must exist and does not.
// Why tiles of 4 levels: an inclusion proof's siblings at levels 4t..4t+3 all lie in one
// tile, so a proof reads at most one value (<= 960 bytes) per tile level (6 at 10^7 leaves,
// instead of ~24 single nodes; with the caches below ~2-3, see bench_merkle), and the store
// holds ~66 bytes per leaf with one key per 16 leaves. Taller tiles would mean fewer reads
// but larger values rewritten at every flush.
//
// Write discipline (kv.h): Append stages nodes in memory; reads see staged state;
// FlushTo puts the staged tiles and the meta key into the caller's batch; MarkFlushed after
// the batch is durable; DiscardStaged if it was not.
// Memory: the frontier (O(log n)), the staged nodes (<= 2 per staged leaf, at most
// kStagedLeavesMax leaves), and two read caches: a direct-mapped cache of kTileCacheSlots
// *full* tiles of tile level >= 1 (a full tile never changes, so it needs no invalidation),
// and the right-edge (partial) tile of each tile level, valid until the next MarkFlushed (the
// only moment committed tiles change). Full tiles of level >= 1 number about size/240, so the
// cache holds all of them up to ~10^7 leaves: ~1 KiB per 240 leaves (~4 MiB at 10^6, ~40 MiB
// at 10^7, never more than ~70 MiB), leaving one uncached read (the leaf tile) per proof.
//
// Thread-safety: none; one thread at a time, const methods included (the store serialises
// access). The KvReader must stay valid and show the committed state.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "hearth/base/bytes.h"
#include "hearth/base/status.h"
#include "hearth/ledger/crypto.h"
#include "hearth/ledger/kv.h"
#include "hearth/ledger/merkle.h"

namespace hearth {

class MerkleLog {
 public:
  // Levels per tile, and hashes in a full tile (16 + 8 + 4 + 2).
  static constexpr int kTileHeight = 4;
  static constexpr size_t kTileHashesMax = 30;
  // Bound on leaves appended between two MarkFlushed/DiscardStaged (one block's worth).
  static constexpr uint64_t kStagedLeavesMax = uint64_t{1} << 20;
  static constexpr uint8_t kMetaVersion = 1;
  // Slots of the full-tile cache (a power of two).
  static constexpr size_t kTileCacheSlots = size_t{1} << 16;

  // REQUIRES: committed != nullptr, outlives this object.
  MerkleLog(Suite suite, const KvReader* committed, std::string key_prefix);

  // Loads the committed size and the right frontier (O(log n) reads). Corruption when the
  // meta value is malformed or a frontier tile is missing/malformed; FailedPrecondition
  // when the stored log was built with another suite.
  // REQUIRES: called once, before anything else.
  Status Open();

  Suite suite() const { return suite_; }
  // Leaves including staged ones, and the committed (flushed and marked) leaves.
  uint64_t size() const { return size_; }
  uint64_t committed_size() const { return committed_size_; }
  bool has_staged() const { return size_ != committed_size_; }

  // Stages a leaf hash (merkle::LeafHash of the leaf data); returns its 0-based index.
  // O(log n) hashes, no reads. OutOfRange past kTreeSizeMax; FailedPrecondition past
  // kStagedLeavesMax staged leaves.
  Result<uint64_t> Append(const Hash32& leaf_hash);

  // MTH of the whole log (staged included), from memory.
  Hash32 Root() const;
  // MTH of the first `size` leaves; OutOfRange when size > size().
  Result<Hash32> RootAt(uint64_t size) const;
  // The leaf hash at `index`; OutOfRange when index >= size().
  Result<Hash32> LeafHashAt(uint64_t index) const;
  // RFC 9162 PATH(index, D[size]) / PROOF(size1, D[size2]) for sizes <= size().
  // InvalidArgument for impossible parameters (index >= size, size1 == 0, size1 > size2),
  // OutOfRange for sizes beyond the log, Corruption for bad stored tiles.
  Result<std::vector<Hash32>> InclusionProof(uint64_t index, uint64_t size) const;
  Result<std::vector<Hash32>> ConsistencyProof(uint64_t size1, uint64_t size2) const;
  // InclusionProof of each index at one size, in the order given (errors as InclusionProof,
  // naming the index). The proofs share the tiles they read: upper tiles are read once for
  // all, and indices given in ascending order read each leaf tile once.
  Result<std::vector<std::vector<Hash32>>> InclusionProofs(std::span<const uint64_t> indices,
                                                           uint64_t size) const;

  // Puts every tile changed by staged appends, and the meta key, into `batch`. Reads at
  // most one committed partial tile per tile level. Does not change this object, so it
  // may be repeated into a fresh batch.
  Status FlushTo(KvWriter* batch) const;
  // The batch that FlushTo filled is durable: staged state becomes committed.
  // Between the batch becoming visible in the KvReader and this call, reads at committed
  // sizes stay right (the block store lets proofs run while it writes the batch): the only
  // stored values a batch changes are the committed partial tiles, one per tile level, and
  // FlushTo has just read each of them into the edge cache, where such reads find them
  // (their stored value, now longer, would fail the length check). Tested in
  // merkle_log_test "proofs at the committed size while the next batch is already visible".
  void MarkFlushed();
  // The batch failed or was dropped: back to the committed state.
  void DiscardStaged();

  // Lowers the staged-leaves bound so tests can reach it cheaply.
  void TEST_SetStagedLeavesMax(uint64_t n) { staged_leaves_max_ = n; }

  // Keys, for the store's checks and for tests that corrupt values.
  std::string MetaKey() const;
  std::string TileKey(int tile_level, uint64_t tile_index) const;

 private:
  // OutOfRange naming `what` when size is beyond the log (staged leaves included).
  Status WithinSize(const char* what, uint64_t size) const;
  struct TileMemo;
  struct CachedTile {
    bool valid = false;
    int tile_level = 0;
    uint64_t tile_index = 0;
    uint64_t version = 0;  // committed_version_ when read; unused for full tiles
    std::string value;
  };
  // The cache slot for committed tile (t, j), or nullptr for tiles not worth caching.
  CachedTile* CacheSlot(int tile_level, uint64_t tile_index) const;
  // The perfect subtree (level, index); REQUIRES (index+1) << level <= size_.
  Result<Hash32> Node(int level, uint64_t index, TileMemo* memo) const;
  // The committed value of tile (t, j) into memo->entries[t], via the full-tile cache.
  Status FetchTile(int tile_level, uint64_t tile_index, TileMemo* memo) const;
  Status ReadTile(int tile_level, uint64_t tile_index, std::string* value) const;
  Status LoadFrontier();
  // The edge memo to use for proofs at `size` (merkle.h EdgeMemo), or nullptr.
  merkle::EdgeMemo* EdgeMemoFor(uint64_t size) const;
  void StageNode(int level, uint64_t index, const Hash32& h);

  Suite suite_;
  const KvReader* committed_;
  std::string prefix_;
  uint64_t size_ = 0;
  uint64_t committed_size_ = 0;
  // frontier_[l] is node (l, (size_ >> l) - 1) for every bit l set in size_.
  std::array<Hash32, merkle::kLevelMax + 1> frontier_{};
  std::array<Hash32, merkle::kLevelMax + 1> committed_frontier_{};
  // staged_[l][k] is node (l, (committed_size_ >> l) + k).
  std::array<std::vector<Hash32>, merkle::kLevelMax + 1> staged_;
  bool opened_ = false;
  bool frontier_loaded_ = false;
  uint64_t staged_leaves_max_ = kStagedLeavesMax;
  mutable std::vector<CachedTile> tile_cache_;  // kTileCacheSlots entries once used
  mutable std::array<CachedTile, merkle::kLevelMax / kTileHeight + 1> edge_cache_;
  uint64_t committed_version_ = 0;  // incremented by MarkFlushed
  // Right-edge range hashes of the last committed size proved at (most proofs in a receipt
  // or an audit share one size): saves ~log n node hashes per proof.
  mutable merkle::EdgeMemo edge_memo_;
};

}  // namespace hearth
