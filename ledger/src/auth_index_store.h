// auth_index_store.h (private to hearth_ledger): the node records, storage keys, staging and
// node cache of the authenticated index. The byte layout is documented in auth_index.h.
//
// Invariants:
//  1. A node read from the KvReader is returned only after its hash equals the pointer that
//     led to it (and, for a leaf, its key lies under its position): otherwise Corruption.
//  2. The cache holds committed nodes only (read from the KvReader, or staged and then
//     marked flushed), so DiscardStaged never leaves a discarded node visible.
// Thread-safety: const methods may run concurrently (cache and counters under mu_); the
// staging methods need exclusive access.
#pragma once

#include <cstdint>
#include <map>
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

// A child pointer: the subtree hash (Z for empty) and the version its node was written at.
struct NodeRef {
  Hash32 hash;
  uint64_t version = 0;
};

// A node's position: written at `version`, at `depth`, under the first `depth` bits of
// `path` (later bits zero).
struct NodePos {
  uint64_t version = 0;
  size_t depth = 0;
  Hash32 path;
  friend bool operator==(const NodePos&, const NodePos&) = default;
};

struct NodePosHash {
  size_t operator()(const NodePos& p) const noexcept;
};

struct Node {
  bool leaf = false;
  NodeRef left, right;  // internal node
  Hash32 key;           // leaf
  IndexValue value;     // leaf
};

// A leaf about to be (re)written by ApplyBlock.
struct LeafEntry {
  Hash32 key;
  IndexValue value;
  Hash32 hash;
};

// List entries [first_seq, end_seq) of key staged by one ApplyBlock.
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

// path with bit `depth` set to `bit`. REQUIRES: depth < 256.
Hash32 PathWithBit(const Hash32& path, size_t depth, int bit);
// The first `bits` bits of key, later bits zero. REQUIRES: bits <= 256.
Hash32 PathPrefix(const Hash32& key, size_t bits);
// True when a and b agree on bits 0..bits-1. REQUIRES: bits <= 256.
bool SharePrefix(const Hash32& a, const Hash32& b, size_t bits);

class NodeStore {
 public:
  NodeStore(Suite suite, const KvReader* committed, std::string prefix, size_t cache_nodes_max);

  // Committed meta and last root; an empty state when no meta is stored.
  Result<VersionState> ReadMeta() const;
  // Root record of a version that exists (staged or committed); Corruption if missing.
  Result<NodeRef> ReadRoot(uint64_t version) const;
  // Staged, cached or committed node at `pos`; checked against `expected` (invariant 1).
  Result<Node> ReadNode(const NodePos& pos, const Hash32& expected) const;
  // List entry `seq` of `key`, which must exist (Corruption if missing or malformed).
  Result<Hash32> ReadListEntry(const Hash32& key, uint64_t seq) const;

  void StageNode(const NodePos& pos, const Node& node);
  void StageListEntry(const Hash32& key, uint64_t seq, const Hash32& id);
  void StageRoot(uint64_t version, const NodeRef& root);
  // Undoes a failed ApplyBlock: its nodes (all written at `version`) and its list entries.
  void Unstage(uint64_t version, std::span<const ListRange> lists);
  bool has_staged() const { return !staged_roots_.empty() || !staged_nodes_.empty(); }

  // Puts staged nodes, roots, list entries and the meta of `state` into `batch`.
  void FlushTo(KvWriter* batch, const VersionState& state) const;
  void MarkFlushed();
  void DiscardStaged();

  // node_reads and cache_hits; nodes_written.
  IndexStats read_stats() const;

  std::string MetaKey() const;
  std::string RootKey(uint64_t version) const;
  std::string ListKey(const Hash32& key, uint64_t seq) const;
  std::string NodeKey(const NodePos& pos) const;

 private:
  using NodeMap = std::unordered_map<NodePos, Node, NodePosHash>;
  Result<Node> ReadCommittedNode(const NodePos& pos, const Hash32& expected) const;
  std::optional<Node> CacheGet(const NodePos& pos) const;
  void CachePut(const NodePos& pos, const Node& node) const;
  // REQUIRES: mu_ held, pos.depth < top_levels_.
  size_t TopIndex(const NodePos& pos) const;
  void TopPut(const NodePos& pos, const Node& node) const;

  Suite suite_;
  const KvReader* committed_;
  std::string prefix_;
  size_t cache_nodes_max_;

  NodeMap staged_nodes_;
  std::map<uint64_t, NodeRef> staged_roots_;
  std::map<std::pair<Hash32, uint64_t>, Hash32> staged_list_;  // (key, seq) -> id
  uint64_t nodes_written_ = 0;

  mutable std::mutex mu_;
  // The top levels (depth < top_levels_ <= kTopLevelsMax) live in a table indexed by
  // position, one slot per position holding the newest version seen there: the nodes
  // every walk at the last version passes, found without hashing or chasing a chain.
  static constexpr size_t kTopLevelsMax = 16;
  struct TopSlot {
    bool used = false;
    uint64_t version = 0;
    Node node;
  };
  size_t top_levels_ = 0;
  mutable std::vector<TopSlot> top_;  // allocated on first use
  // Deeper nodes (and older versions of top positions), in two generations: a hit in cold_
  // moves to hot_; when hot_ holds half the bound, cold_ is dropped and hot_ becomes cold_
  // (an approximate LRU with O(1) work per access).
  mutable NodeMap hot_;
  mutable NodeMap cold_;
  mutable uint64_t node_reads_ = 0;
  mutable uint64_t cache_hits_ = 0;
};

}  // namespace hearth::index_internal
