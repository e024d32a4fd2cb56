// MerkleLog: RFC 9162 log persisted as tiles of 4 levels (layout in merkle_log.h).
#include "hearth/ledger/merkle_log.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <utility>

#include "hearth/base/check.h"

namespace hearth {

namespace {

constexpr int kTileLevels = merkle::kLevelMax / MerkleLog::kTileHeight + 1;
constexpr uint64_t kTileWidth = uint64_t{1} << MerkleLog::kTileHeight;  // bottom nodes per tile
constexpr size_t kMetaBytes = 1 + 1 + 8;
constexpr char kMetaTag = '\xFF';
static_assert(std::has_single_bit(MerkleLog::kTileCacheSlots));

// Hashes stored in a tile with m complete bottom nodes.
size_t TileHashCount(uint64_t m) { return static_cast<size_t>(m + m / 2 + m / 4 + m / 8); }

// Complete bottom nodes of tile (t, j) in a tree of `size` leaves.
uint64_t TileBottomCount(int t, uint64_t j, uint64_t size) {
  uint64_t row = size >> (MerkleLog::kTileHeight * t);
  if (row <= j * kTileWidth) return 0;
  return std::min(kTileWidth, row - j * kTileWidth);
}

// Offset (in hashes) of node (sublevel q, position r within its level) in a tile with m
// bottom nodes.
size_t TileOffset(uint64_t m, int q, uint64_t r) {
  size_t offset = 0;
  for (int k = 0; k < q; ++k) offset += static_cast<size_t>(m >> k);
  return offset + static_cast<size_t>(r);
}

}  // namespace

// The last tile read at each tile level during one operation: a proof walks up one tile
// per tile level, so this turns its ~4 reads per tile into one.
struct MerkleLog::TileMemo {
  struct Entry {
    bool valid = false;
    uint64_t index = 0;
    std::string value;
  };
  std::array<Entry, kTileLevels> entries;
};

MerkleLog::MerkleLog(Suite suite, const KvReader* committed, std::string key_prefix)
    : suite_(suite), committed_(committed), prefix_(std::move(key_prefix)) {
  HEARTH_CHECK(committed_ != nullptr);
}

std::string MerkleLog::MetaKey() const { return prefix_ + kMetaTag; }

std::string MerkleLog::TileKey(int tile_level, uint64_t tile_index) const {
  HEARTH_CHECK(tile_level >= 0 && tile_level < kTileLevels);
  std::string key = prefix_;
  key.push_back(static_cast<char>(tile_level));
  for (int shift = 56; shift >= 0; shift -= 8) {
    key.push_back(static_cast<char>((tile_index >> shift) & 0xFF));
  }
  return key;
}

Status MerkleLog::WithinSize(const char* what, uint64_t size) const {
  if (size <= size_) return Status::Ok();
  return Status::OutOfRange(std::string(what) + " " + std::to_string(size) + " exceeds log size " +
                            std::to_string(size_));
}

Status MerkleLog::ReadTile(int tile_level, uint64_t tile_index, std::string* value) const {
  std::string key = TileKey(tile_level, tile_index);
  Status s = committed_->Get(key, value);
  auto where = [&] {
    return "merkle log tile (" + std::to_string(tile_level) + ", " + std::to_string(tile_index) +
           ") key " + ToHex(AsBytes(key));
  };
  if (s.code() == Code::kNotFound) return Status::Corruption(where() + ": missing");
  if (!s.ok()) return s.Annotate(where());
  uint64_t m = TileBottomCount(tile_level, tile_index, committed_size_);
  size_t want = TileHashCount(m) * Hash32::kSize;
  if (value->size() != want) {
    return Status::Corruption(where() + ": value is " + std::to_string(value->size()) +
                              " bytes, want " + std::to_string(want) + " at log size " +
                              std::to_string(committed_size_));
  }
  return Status::Ok();
}

MerkleLog::CachedTile* MerkleLog::CacheSlot(int tile_level, uint64_t tile_index) const {
  const uint64_t m = TileBottomCount(tile_level, tile_index, committed_size_);
  // Partial: the right edge of its tile level, read by most proofs, changed by MarkFlushed.
  if (m < kTileWidth) return &edge_cache_[tile_level];
  // Full leaf tiles are hit at random; caching them would only evict the shared upper ones.
  if (tile_level == 0) return nullptr;
  if (tile_cache_.empty()) tile_cache_.resize(kTileCacheSlots);
  uint64_t mix = (tile_index ^ (uint64_t{static_cast<uint8_t>(tile_level)} << 56)) *
                 0x9E3779B97F4A7C15ull;
  return &tile_cache_[mix >> (64 - std::countr_zero(kTileCacheSlots))];
}

Status MerkleLog::FetchTile(int tile_level, uint64_t tile_index, TileMemo* memo) const {
  TileMemo::Entry& entry = memo->entries[tile_level];
  if (entry.valid && entry.index == tile_index) return Status::Ok();
  entry.valid = false;
  CachedTile* slot = CacheSlot(tile_level, tile_index);
  if (slot == nullptr) {
    HEARTH_RETURN_IF_ERROR(ReadTile(tile_level, tile_index, &entry.value));
  } else {
    // Only partial tiles age: a full tile is final.
    const bool partial = TileBottomCount(tile_level, tile_index, committed_size_) < kTileWidth;
    if (!slot->valid || slot->tile_level != tile_level || slot->tile_index != tile_index ||
        (partial && slot->version != committed_version_)) {
      slot->valid = false;
      HEARTH_RETURN_IF_ERROR(ReadTile(tile_level, tile_index, &slot->value));
      slot->valid = true;
      slot->tile_level = tile_level;
      slot->tile_index = tile_index;
      slot->version = committed_version_;
    }
    entry.value = slot->value;
  }
  entry.valid = true;
  entry.index = tile_index;
  return Status::Ok();
}

Result<Hash32> MerkleLog::Node(int level, uint64_t index, TileMemo* memo) const {
  HEARTH_CHECK(level >= 0 && level <= merkle::kLevelMax);
  HEARTH_CHECK(index < (size_ >> level));
  // The right edge of the current tree is held in memory (once Open has loaded it).
  if (frontier_loaded_ && ((size_ >> level) & 1) != 0 && index == (size_ >> level) - 1) {
    return frontier_[level];
  }
  uint64_t committed_row = committed_size_ >> level;
  if (index >= committed_row) {
    const std::vector<Hash32>& row = staged_[level];
    HEARTH_CHECK(index - committed_row < row.size());
    return row[index - committed_row];
  }
  int t = level / kTileHeight;
  int q = level % kTileHeight;
  uint64_t j = index >> (kTileHeight - q);
  HEARTH_RETURN_IF_ERROR(FetchTile(t, j, memo));
  const TileMemo::Entry& entry = memo->entries[t];
  uint64_t m = TileBottomCount(t, j, committed_size_);
  uint64_t r = index - (j << (kTileHeight - q));
  HEARTH_CHECK(r < (m >> q));
  size_t offset = TileOffset(m, q, r) * Hash32::kSize;
  return Hash32::FromBytes(AsBytes(entry.value).subspan(offset, Hash32::kSize));
}

Status MerkleLog::Open() {
  HEARTH_CHECK(!opened_);
  opened_ = true;
  std::string meta;
  Status s = committed_->Get(MetaKey(), &meta);
  if (s.code() == Code::kNotFound) {
    // An empty log has no keys at all; a first tile without meta means the meta was lost.
    std::string tile;
    Status t = committed_->Get(TileKey(0, 0), &tile);
    if (t.ok()) return Status::Corruption("merkle log: meta key missing but tile (0, 0) exists");
    if (t.code() != Code::kNotFound) return t.Annotate("merkle log tile (0, 0)");
    frontier_loaded_ = true;
    return Status::Ok();
  }
  std::string where = "merkle log meta key " + ToHex(AsBytes(MetaKey()));
  if (!s.ok()) return s.Annotate(where);
  if (meta.size() != kMetaBytes) {
    return Status::Corruption(where + ": value is " + std::to_string(meta.size()) +
                              " bytes, want " + std::to_string(kMetaBytes));
  }
  auto byte = [&meta](size_t i) { return static_cast<uint8_t>(meta[i]); };
  if (byte(0) != kMetaVersion) {
    return Status::Corruption(where + ": unknown version " + std::to_string(byte(0)));
  }
  if (byte(1) != static_cast<uint8_t>(suite_)) {
    return Status::FailedPrecondition(where + ": log was built with suite byte " +
                                      std::to_string(byte(1)) + ", opened as " +
                                      std::string(SuiteName(suite_)));
  }
  uint64_t size = 0;
  for (size_t i = 0; i < 8; ++i) size |= uint64_t{byte(2 + i)} << (8 * i);
  if (size > merkle::kTreeSizeMax) {
    return Status::Corruption(where + ": size " + std::to_string(size) + " exceeds 2^48");
  }
  size_ = committed_size_ = size;
  return LoadFrontier();
}

Status MerkleLog::LoadFrontier() {
  TileMemo memo;
  for (int level = 0; level <= merkle::kLevelMax; ++level) {
    if (((size_ >> level) & 1) == 0) continue;
    HEARTH_ASSIGN_OR_RETURN(frontier_[level], Node(level, (size_ >> level) - 1, &memo));
  }
  committed_frontier_ = frontier_;
  frontier_loaded_ = true;
  return Status::Ok();
}

void MerkleLog::StageNode(int level, uint64_t index, const Hash32& h) {
  std::vector<Hash32>& row = staged_[level];
  HEARTH_CHECK(index == (committed_size_ >> level) + row.size());
  row.push_back(h);
}

Result<uint64_t> MerkleLog::Append(const Hash32& leaf_hash) {
  HEARTH_CHECK(opened_);
  if (size_ >= merkle::kTreeSizeMax) {
    return Status::OutOfRange("merkle log is full (2^48 leaves)");
  }
  if (size_ - committed_size_ >= staged_leaves_max_) {
    return Status::FailedPrecondition("merkle log: more than " +
                                      std::to_string(staged_leaves_max_) +
                                      " staged leaves; flush first");
  }
  const uint64_t leaf_index = size_;
  Hash32 h = leaf_hash;
  int level = 0;
  StageNode(0, leaf_index, h);
  // Each trailing 1 bit of the index closes a perfect subtree with the frontier node left of it.
  for (uint64_t i = leaf_index; (i & 1) != 0; i >>= 1) {
    h = merkle::NodeHash(suite_, frontier_[level], h);
    ++level;
    StageNode(level, i >> 1, h);
  }
  frontier_[level] = h;
  size_ = leaf_index + 1;
  return leaf_index;
}

Hash32 MerkleLog::Root() const {
  HEARTH_CHECK(opened_);
  if (size_ == 0) return merkle::EmptyRoot(suite_);
  int low = std::countr_zero(size_);
  Hash32 acc = frontier_[low];
  for (int level = low + 1; level <= merkle::kLevelMax; ++level) {
    if ((size_ >> level) & 1) acc = merkle::NodeHash(suite_, frontier_[level], acc);
  }
  return acc;
}

Result<Hash32> MerkleLog::RootAt(uint64_t size) const {
  HEARTH_CHECK(opened_);
  HEARTH_RETURN_IF_ERROR(WithinSize("size", size));
  if (size == size_) return Root();
  TileMemo memo;
  return merkle::RootFromSubtrees(
      suite_, size, [this, &memo](int level, uint64_t index) { return Node(level, index, &memo); },
      EdgeMemoFor(size));
}

Result<Hash32> MerkleLog::LeafHashAt(uint64_t index) const {
  HEARTH_CHECK(opened_);
  if (index >= size_) {
    return Status::OutOfRange("leaf index " + std::to_string(index) + " not below log size " +
                              std::to_string(size_));
  }
  TileMemo memo;
  return Node(0, index, &memo);
}

Result<std::vector<Hash32>> MerkleLog::InclusionProof(uint64_t index, uint64_t size) const {
  HEARTH_CHECK(opened_);
  HEARTH_RETURN_IF_ERROR(WithinSize("size", size));
  TileMemo memo;
  return merkle::InclusionProofFromSubtrees(
      suite_, index, size,
      [this, &memo](int level, uint64_t i) { return Node(level, i, &memo); }, EdgeMemoFor(size));
}

Result<std::vector<std::vector<Hash32>>> MerkleLog::InclusionProofs(
    std::span<const uint64_t> indices, uint64_t size) const {
  HEARTH_CHECK(opened_);
  HEARTH_RETURN_IF_ERROR(WithinSize("size", size));
  TileMemo memo;  // one for all: a tile stays in it until a proof needs another at its level
  const merkle::SubtreeFn node = [this, &memo](int level, uint64_t i) { return Node(level, i, &memo); };
  std::vector<std::vector<Hash32>> out;
  out.reserve(indices.size());
  for (uint64_t index : indices) {
    Result<std::vector<Hash32>> proof =
        merkle::InclusionProofFromSubtrees(suite_, index, size, node, EdgeMemoFor(size));
    if (!proof.ok()) return proof.status().Annotate("leaf " + std::to_string(index));
    out.push_back(std::move(*proof));
  }
  return out;
}

Result<std::vector<Hash32>> MerkleLog::ConsistencyProof(uint64_t size1, uint64_t size2) const {
  HEARTH_CHECK(opened_);
  HEARTH_RETURN_IF_ERROR(WithinSize("size2", size2));
  TileMemo memo;
  return merkle::ConsistencyProofFromSubtrees(
      suite_, size1, size2,
      [this, &memo](int level, uint64_t i) { return Node(level, i, &memo); }, EdgeMemoFor(size2));
}

merkle::EdgeMemo* MerkleLog::EdgeMemoFor(uint64_t size) const {
  // Committed leaves never change, so edge hashes of a committed size stay true; staged
  // ones may be discarded and replaced, so sizes beyond the committed one get no memo.
  return size <= committed_size_ ? &edge_memo_ : nullptr;
}

Status MerkleLog::FlushTo(KvWriter* batch) const {
  HEARTH_CHECK(opened_ && batch != nullptr);
  if (!has_staged()) return Status::Ok();
  TileMemo memo;
  const uint64_t c = committed_size_, s = size_;
  for (int t = 0; t < kTileLevels; ++t) {
    const int base = t * kTileHeight;
    // No new node at a tile's bottom level means none above it either.
    if ((c >> base) == (s >> base)) break;
    const uint64_t j_first = (c >> base) / kTileWidth;
    const uint64_t j_last = ((s >> base) - 1) / kTileWidth;
    for (uint64_t j = j_first; j <= j_last; ++j) {
      const uint64_t m = TileBottomCount(t, j, s);
      std::string value(TileHashCount(m) * Hash32::kSize, '\0');
      for (int q = 0; q < kTileHeight; ++q) {
        for (uint64_t r = 0; r < (m >> q); ++r) {
          HEARTH_ASSIGN_OR_RETURN(Hash32 h, Node(base + q, (j << (kTileHeight - q)) + r, &memo));
          std::memcpy(value.data() + TileOffset(m, q, r) * Hash32::kSize, h.bytes.data(),
                      Hash32::kSize);
        }
      }
      batch->Put(TileKey(t, j), value);
    }
  }
  std::string meta(kMetaBytes, '\0');
  meta[0] = static_cast<char>(kMetaVersion);
  meta[1] = static_cast<char>(suite_);
  for (size_t i = 0; i < 8; ++i) meta[2 + i] = static_cast<char>((s >> (8 * i)) & 0xFF);
  batch->Put(MetaKey(), meta);
  return Status::Ok();
}

void MerkleLog::MarkFlushed() {
  HEARTH_CHECK(opened_);
  committed_size_ = size_;
  ++committed_version_;  // partial tiles may have changed: the edge cache is stale
  committed_frontier_ = frontier_;
  for (auto& row : staged_) row.clear();
}

void MerkleLog::DiscardStaged() {
  HEARTH_CHECK(opened_);
  size_ = committed_size_;
  frontier_ = committed_frontier_;
  for (auto& row : staged_) row.clear();
}

}  // namespace hearth
