// auth_index_store.h (private to hearth_ledger): pages, storage keys, staging and the page
// cache of the authenticated index. The byte layout is documented in auth_index.h.
//
// A page holds four levels of the binary tree below a position at a depth that is a
// multiple of 4: its *terminals* (leaves at relative depth 0..4, child pages at relative
// depth 4), left to right. Decoding recomputes the page's 31 subtree hashes ("slots") from
// the terminals, which both checks the page and gives every sibling a proof needs.
//
// Invariants:
//  1. A page read from the KvReader is returned only after its recomputed hash equals the
//     pointer that led to it and its terminals are well formed: otherwise Corruption.
//  2. The cache holds committed pages only (read from the KvReader, or staged and then
//     marked flushed), so DiscardStaged never leaves a discarded page visible.
// Thread-safety: const methods may run concurrently (the top pages of the cache in atomic
// slots, the rest of it and the counters under mu_); the
// staging methods need exclusive access, except from the committed-only readers
// (ReadCommittedRoot, ReadCommittedPage, ReadCommittedListEntry, ScanCommittedList), which
// never touch staged state and may run beside them.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "hearth/base/bytes.h"
#include "hearth/base/status.h"
#include "hearth/ledger/auth_index.h"
#include "hearth/ledger/crypto.h"
#include "hearth/ledger/kv.h"

namespace hearth::index_internal {

inline constexpr size_t kPageLevels = 4;
inline constexpr size_t kPageSlots = 31;  // relative depths 0..4: 1 + 2 + 4 + 8 + 16
inline constexpr size_t kPageTerminalsMax = 16;
// Deepest page: its relative-depth-4 terminals sit at depth 256 and can only be leaves.
inline constexpr size_t kPageDepthMax = kIndexKeyBits - kPageLevels;

// A pointer to a page: the subtree hash (Z for empty) and the version that wrote the page.
struct NodeRef {
  Hash32 hash;
  uint64_t version = 0;
};

// A page's position: written at `version`, at `depth` (a multiple of 4), under the first
// `depth` bits of `path` (later bits zero).
struct NodePos {
  uint64_t version = 0;
  size_t depth = 0;
  Hash32 path;
  friend bool operator==(const NodePos&, const NodePos&) = default;
};

struct NodePosHash {
  size_t operator()(const NodePos& p) const noexcept;
};

struct Terminal {
  uint8_t r = 0;     // relative depth 0..4
  uint8_t bits = 0;  // the r key bits below the page position, first bit highest; < 2^r
  bool leaf = true;
  Hash32 key;                  // leaf: its key; child page: the page's hash
  IndexValue value;            // leaf
  uint64_t child_version = 0;  // child page
};

enum class SlotKind : uint8_t { kEmpty, kInternal, kLeaf, kChild };

struct Slot {
  Hash32 hash;  // S(position ‖ bits), Z when empty
  SlotKind kind = SlotKind::kEmpty;
  uint8_t term = 0;  // kLeaf / kChild: index into Page::terms
};

struct Page {
  std::vector<Terminal> terms;
  std::array<Slot, kPageSlots> slots{};
  const Hash32& hash() const { return slots[0].hash; }
};

// Slot of relative position (r, bits). REQUIRES: r <= 4, bits < 2^r.
inline size_t SlotIndex(size_t r, uint32_t bits) { return ((size_t{1} << r) - 1) + bits; }
// Key bits [depth, depth + r) as a number, first bit highest. REQUIRES: depth + r <= 256.
uint32_t KeyBits(const Hash32& key, size_t depth, size_t r);
// path with bit `depth` set to `bit`. REQUIRES: depth < 256.
Hash32 PathWithBit(const Hash32& path, size_t depth, int bit);
// The first `bits` bits of key, later bits zero. REQUIRES: bits <= 256.
Hash32 PathPrefix(const Hash32& key, size_t bits);
// True when a and b agree on bits 0..bits-1. REQUIRES: bits <= 256.
bool SharePrefix(const Hash32& a, const Hash32& b, size_t bits);

// One ApplyBlock's list entries [first_seq, end_seq) of key, for undoing a failure.
struct ListRange {
  Hash32 key;
  uint64_t first_seq = 0;
  uint64_t end_seq = 0;
};

// The version range and the last root.
struct VersionState {
  bool has_versions = false;
  uint64_t first = 0;
  uint64_t last = 0;
  NodeRef root;
};

class NodeStore {
 public:
  NodeStore(Suite suite, const KvReader* committed, std::string prefix, size_t cache_pages_max);

  // Committed meta and last root; an empty state when no meta is stored.
  Result<VersionState> ReadMeta() const;
  // Root record of a version that exists (staged or committed); Corruption if missing.
  Result<NodeRef> ReadRoot(uint64_t version) const;
  // Staged, cached or committed page at `pos`; checked against `expected` (invariant 1).
  // Pages are shared read-only between the cache and readers.
  Result<std::shared_ptr<const Page>> ReadPage(const NodePos& pos, const Hash32& expected) const;
  // The same two without staged state: safe beside the staging methods, for versions whose
  // batch is durable (staged roots and pages are only ever of later versions).
  Result<NodeRef> ReadCommittedRoot(uint64_t version) const;
  Result<std::shared_ptr<const Page>> ReadCommittedPage(const NodePos& pos,
                                                        const Hash32& expected) const;
  // List entry `seq` of `key`, which must exist (Corruption if missing or malformed).
  Result<IndexListEntry> ReadListEntry(const Hash32& key, uint64_t seq) const;
  // The committed entry alone (staged entries not consulted, no lock taken); nullopt when
  // it is not stored. Corruption if malformed.
  Result<std::optional<IndexListEntry>> ReadCommittedListEntry(const Hash32& key,
                                                               uint64_t seq) const;
  // The committed entries of `key` from seq 0 on, while their seqs run without a gap, in
  // one scan of the KvReader (staged entries not consulted, no lock taken): fn(seq, entry)
  // for each; fn returns false to stop. Corruption naming the storage key for a malformed
  // entry or a key of the wrong length under the list's prefix.
  using ListFn = std::function<bool(uint64_t seq, const IndexListEntry& entry)>;
  Status ScanCommittedList(const Hash32& key, const ListFn& fn) const;

  void StagePage(const NodePos& pos, Page page);
  void StageListEntry(const Hash32& key, uint64_t seq, const IndexListEntry& entry);
  void StageRoot(uint64_t version, const NodeRef& root);
  // Undoes a failed ApplyBlock: its pages (all written at `version`) and its list entries.
  void Unstage(uint64_t version, std::span<const ListRange> lists);
  bool has_staged() const { return !staged_roots_.empty() || !staged_pages_.empty(); }

  // Puts staged pages, roots, list entries and the meta of `state` into `batch`.
  void FlushTo(KvWriter* batch, const VersionState& state) const;
  void MarkFlushed();
  void DiscardStaged();

  // page_reads, cache_hits, pages_written.
  IndexStats read_stats() const;

  std::string MetaKey() const;
  std::string RootKey(uint64_t version) const;
  std::string ListKey(const Hash32& key, uint64_t seq) const;
  std::string PageKey(const NodePos& pos) const;

 private:
  using PagePtr = std::shared_ptr<const Page>;
  using PageMap = std::unordered_map<NodePos, PagePtr, NodePosHash>;
  // From the KvReader, decoded and checked (invariant 1); not cached.
  Result<PagePtr> LoadPage(const NodePos& pos, const Hash32& expected) const;
  PagePtr CacheGet(const NodePos& pos) const;         // nullptr on a miss
  void CachePut(const NodePos& pos, PagePtr page) const;  // REQUIRES: mu_ held
  size_t TopIndex(const NodePos& pos) const;

  Suite suite_;
  const KvReader* committed_;
  std::string prefix_;
  size_t cache_pages_max_;

  PageMap staged_pages_;
  std::map<uint64_t, NodeRef> staged_roots_;
  std::map<std::pair<Hash32, uint64_t>, IndexListEntry> staged_list_;  // (key, seq) -> entry
  std::atomic<uint64_t> pages_written_{0};  // written by the writer, read by read_stats

  mutable std::mutex mu_;
  // The pages at depths < 4 * top_page_levels_ live in a table indexed by position, one
  // slot per position holding the newest version seen: every walk at the last version
  // passes them without hashing a key or chasing a chain. At most 4 page levels
  // (1 + 16 + 256 + 4096 positions), and at most a quarter of the cache bound.
  // Every walk passes these pages, so a hit here takes no lock: readers load a slot
  // atomically (concurrent checks would otherwise queue on mu_ several times per walk);
  // slots are replaced under mu_.
  size_t top_page_levels_ = 0;
  struct TopPage {
    uint64_t version = 0;
    PagePtr page;
  };
  std::unique_ptr<std::atomic<std::shared_ptr<const TopPage>>[]> top_;  // empty slots: null
  // Deeper pages (and older versions of top positions), in two generations: a hit in cold_
  // moves to hot_; when hot_ holds half the bound, cold_ is dropped and hot_ becomes cold_
  // (an approximate LRU with O(1) work per access).
  mutable PageMap hot_;
  mutable PageMap cold_;
  // Page reads from the KvReader (misses) and cache hits, by page level (depth / 4).
  static constexpr size_t kLevels = kIndexKeyBits / kPageLevels;
  void CountHit(const NodePos& pos) const {
    cache_hits_[pos.depth / kPageLevels].fetch_add(1, std::memory_order_relaxed);
  }
  mutable std::array<std::atomic<uint64_t>, kLevels> page_reads_{};
  mutable std::array<std::atomic<uint64_t>, kLevels> cache_hits_{};
};

// Computes page->slots from page->terms for a page at (depth, path), checking that the
// terminals are well formed (left to right, prefix-free, child pages only at relative
// depth 4 and above kPageDepthMax, leaf keys under their positions, counts >= 1, a
// relative-depth-0 leaf only alone in the root page). InvalidArgument naming the problem.
Status ComputeSlots(Suite suite, size_t depth, const Hash32& path, Page* page);

}  // namespace hearth::index_internal
