// AuthIndex: the versioned, persisted half of the authenticated index (auth_index.h).
// Node records, the node cache and the storage keys live in auth_index_store.cc.
#include <algorithm>
#include <string>

#include "auth_index_store.h"
#include "hearth/ledger/auth_index.h"

namespace hearth {

using index_internal::LeafEntry;
using index_internal::Node;
using index_internal::NodePos;
using index_internal::NodeRef;
using index_internal::PathWithBit;

namespace index_internal {

// One changed key of a block: its new ids are sorted[begin, end), in log order.
struct Pending {
  Hash32 key;
  size_t begin = 0;
  size_t end = 0;
};

// Index of the first entry whose bit `depth` is 1. REQUIRES: entries sorted by key and
// sharing bits 0..depth-1, so that bit is monotonic over them.
template <typename T>
size_t SplitAt(std::span<T> entries, size_t depth) {
  auto it = std::partition_point(entries.begin(), entries.end(), [depth](const T& e) {
    return IndexKeyBit(e.key, depth) == 0;
  });
  return static_cast<size_t>(it - entries.begin());
}

// State of one ApplyBlock, so a failure can undo exactly what it staged.
struct ApplyCtx {
  uint64_t version = 0;
  std::vector<IndexUpdate> sorted;
  std::vector<index_internal::ListRange> staged_lists;
};

}  // namespace index_internal

using index_internal::ApplyCtx;
using index_internal::Pending;

struct AuthIndex::Impl {
  Impl(Suite s, const KvReader* committed, std::string prefix, size_t cache_nodes_max)
      : suite(s), store(s, committed, std::move(prefix), cache_nodes_max) {}

  Result<Hash32> ApplyBlock(uint64_t version, std::span<const IndexUpdate> updates);
  Result<NodeRef> RootRefAt(uint64_t version) const;
  Result<std::optional<IndexValue>> Walk(const NodeRef& root, const Hash32& key,
                                         IndexProof* proof) const;
  LeafEntry Finish(ApplyCtx* ctx, const Pending& item, const std::optional<IndexValue>& old);
  NodeRef Build(ApplyCtx* ctx, size_t depth, const Hash32& path, std::span<LeafEntry> leaves);
  Result<NodeRef> Rebuild(ApplyCtx* ctx, const NodeRef& old, size_t depth, const Hash32& path,
                          std::span<Pending> items);

  Suite suite;
  index_internal::NodeStore store;
  index_internal::VersionState state;
  index_internal::VersionState committed_state;
  bool opened = false;
  uint64_t nodes_hashed = 0;
};

AuthIndex::AuthIndex(Suite suite, const KvReader* committed, std::string key_prefix)
    : AuthIndex(suite, committed, std::move(key_prefix), Options()) {}

AuthIndex::AuthIndex(Suite suite, const KvReader* committed, std::string key_prefix,
                     Options options)
    : suite_(suite),
      impl_(std::make_unique<Impl>(suite, committed, std::move(key_prefix),
                                   options.cache_nodes_max)) {}

AuthIndex::~AuthIndex() = default;

Status AuthIndex::Open() {
  HEARTH_CHECK_MSG(!impl_->opened, "AuthIndex::Open called twice");
  impl_->opened = true;
  HEARTH_ASSIGN_OR_RETURN(impl_->state, impl_->store.ReadMeta());
  impl_->committed_state = impl_->state;
  return Status::Ok();
}

std::optional<uint64_t> AuthIndex::last_version() const {
  if (!impl_->state.has_versions) return std::nullopt;
  return impl_->state.last;
}

std::optional<uint64_t> AuthIndex::committed_last_version() const {
  if (!impl_->committed_state.has_versions) return std::nullopt;
  return impl_->committed_state.last;
}

bool AuthIndex::has_staged() const { return impl_->store.has_staged(); }

Hash32 AuthIndex::Root() const { return impl_->state.root.hash; }

Result<Hash32> AuthIndex::RootAt(uint64_t version) const {
  HEARTH_ASSIGN_OR_RETURN(NodeRef ref, impl_->RootRefAt(version));
  return ref.hash;
}

Result<Hash32> AuthIndex::ApplyBlock(uint64_t version, std::span<const IndexUpdate> updates) {
  return impl_->ApplyBlock(version, updates);
}

Result<std::optional<IndexValue>> AuthIndex::Get(const Hash32& key) const {
  HEARTH_CHECK(impl_->opened);
  return impl_->Walk(impl_->state.root, key, nullptr);
}

Result<std::optional<IndexValue>> AuthIndex::Get(const Hash32& key, uint64_t version) const {
  HEARTH_ASSIGN_OR_RETURN(NodeRef root, impl_->RootRefAt(version));
  return impl_->Walk(root, key, nullptr);
}

Result<IndexLookup> AuthIndex::Prove(const Hash32& key, uint64_t version) const {
  HEARTH_ASSIGN_OR_RETURN(NodeRef root, impl_->RootRefAt(version));
  IndexLookup out;
  HEARTH_ASSIGN_OR_RETURN(out.value, impl_->Walk(root, key, &out.proof));
  return out;
}

Result<NodeRef> AuthIndex::Impl::RootRefAt(uint64_t version) const {
  HEARTH_CHECK(opened);
  if (!state.has_versions || version < state.first || version > state.last) {
    return Status::NotFound("index: no version " + std::to_string(version));
  }
  if (version == state.last) return state.root;
  return store.ReadRoot(version);
}

Result<std::optional<IndexValue>> AuthIndex::Impl::Walk(const NodeRef& root, const Hash32& key,
                                                  IndexProof* proof) const {
  NodeRef ref = root;
  Hash32 path;
  // Each step goes one level down; a node below depth 256 is refused by ReadNode.
  for (size_t depth = 0; depth <= kIndexKeyBits; ++depth) {
    if (ref.hash.IsZero()) {
      if (proof) proof->terminal = IndexProof::Terminal::kEmpty;
      return std::optional<IndexValue>();
    }
    HEARTH_ASSIGN_OR_RETURN(Node n, store.ReadNode(NodePos{ref.version, depth, path}, ref.hash));
    if (n.leaf) {
      if (n.key == key) {
        if (proof) proof->terminal = IndexProof::Terminal::kPresent;
        return std::optional<IndexValue>(n.value);
      }
      if (proof) {
        proof->terminal = IndexProof::Terminal::kOtherLeaf;
        proof->other_key = n.key;
        proof->other_value = n.value;
      }
      return std::optional<IndexValue>();
    }
    const int bit = IndexKeyBit(key, depth);
    if (proof) proof->siblings.push_back(bit ? n.left.hash : n.right.hash);
    ref = bit ? n.right : n.left;
    path = PathWithBit(path, depth, bit);
  }
  HEARTH_CHECK_MSG(false, "index walk past depth 256");
  return Status::Internal("unreachable");
}

Result<std::vector<Hash32>> AuthIndex::List(const Hash32& key, uint64_t count) const {
  if (count > kIndexListIdsMax) {
    return Status::InvalidArgument("index list: count " + std::to_string(count) +
                                   " exceeds the maximum " + std::to_string(kIndexListIdsMax));
  }
  HEARTH_ASSIGN_OR_RETURN(std::optional<IndexValue> value, Get(key));
  const uint64_t have = value ? value->count : 0;
  if (count > have) {
    return Status::OutOfRange("index list: " + std::to_string(count) + " ids asked, " +
                              std::to_string(have) + " filed under " + key.Hex());
  }
  std::vector<Hash32> ids;
  ids.reserve(count);
  for (uint64_t seq = 0; seq < count; ++seq) {
    HEARTH_ASSIGN_OR_RETURN(Hash32 id, impl_->store.ReadListEntry(key, seq));
    ids.push_back(id);
  }
  return ids;
}

Result<Hash32> AuthIndex::Impl::ApplyBlock(uint64_t version, std::span<const IndexUpdate> updates) {
  HEARTH_CHECK(opened);
  if (updates.size() > kIndexBlockUpdatesMax) {
    return Status::InvalidArgument("index: " + std::to_string(updates.size()) +
                                   " updates in one block exceeds the maximum " +
                                   std::to_string(kIndexBlockUpdatesMax));
  }
  if (state.has_versions && (state.last == UINT64_MAX || version != state.last + 1)) {
    return Status::FailedPrecondition("index: version " + std::to_string(version) +
                                      " applied after " + std::to_string(state.last));
  }
  ApplyCtx ctx;
  ctx.version = version;
  ctx.sorted.assign(updates.begin(), updates.end());
  // Stable: ids of one key keep their log order.
  std::stable_sort(ctx.sorted.begin(), ctx.sorted.end(),
                   [](const IndexUpdate& a, const IndexUpdate& b) { return a.key < b.key; });
  std::vector<Pending> items;
  for (size_t i = 0; i < ctx.sorted.size(); ++i) {
    if (items.empty() || items.back().key != ctx.sorted[i].key) {
      items.push_back(Pending{ctx.sorted[i].key, i, i});
    }
    items.back().end = i + 1;
  }
  NodeRef root = state.root;
  if (!items.empty()) {
    Result<NodeRef> rebuilt = Rebuild(&ctx, state.root, 0, Hash32(), std::span(items));
    if (!rebuilt.ok()) {
      store.Unstage(version, ctx.staged_lists);
      return rebuilt.status();
    }
    root = *rebuilt;
  }
  store.StageRoot(version, root);
  if (!state.has_versions) state.first = version;
  state.has_versions = true;
  state.last = version;
  state.root = root;
  return root.hash;
}

LeafEntry AuthIndex::Impl::Finish(ApplyCtx* ctx, const Pending& item,
                            const std::optional<IndexValue>& old) {
  IndexValue v = old.value_or(IndexValue{});
  const uint64_t first_seq = v.count;
  for (size_t i = item.begin; i < item.end; ++i) {
    v.head = IndexChainStep(suite, v.head, ctx->sorted[i].tx_id);
    store.StageListEntry(item.key, first_seq + (i - item.begin), ctx->sorted[i].tx_id);
  }
  v.count = first_seq + (item.end - item.begin);
  ctx->staged_lists.push_back({item.key, first_seq, v.count});
  ++nodes_hashed;
  return LeafEntry{item.key, v, IndexLeafHash(suite, item.key, v)};
}

NodeRef AuthIndex::Impl::Build(ApplyCtx* ctx, size_t depth, const Hash32& path,
                         std::span<LeafEntry> leaves) {
  HEARTH_CHECK(!leaves.empty());
  Node n;
  Hash32 hash;
  if (leaves.size() == 1) {
    n.leaf = true;
    n.key = leaves[0].key;
    n.value = leaves[0].value;
    hash = leaves[0].hash;
  } else {
    // Two distinct keys differ in some bit < 256, so the recursion ends by then.
    HEARTH_CHECK(depth < kIndexKeyBits);
    const size_t m = SplitAt(leaves, depth);
    if (m > 0) n.left = Build(ctx, depth + 1, path, leaves.first(m));
    if (m < leaves.size()) {
      n.right = Build(ctx, depth + 1, PathWithBit(path, depth, 1), leaves.subspan(m));
    }
    hash = IndexNodeHash(suite, n.left.hash, n.right.hash);
    ++nodes_hashed;
  }
  const NodePos pos{ctx->version, depth, path};
  store.StageNode(pos, n);
  return NodeRef{hash, ctx->version};
}

Result<NodeRef> AuthIndex::Impl::Rebuild(ApplyCtx* ctx, const NodeRef& old, size_t depth,
                                   const Hash32& path, std::span<Pending> items) {
  HEARTH_CHECK(!items.empty());
  std::vector<LeafEntry> leaves;
  if (old.hash.IsZero()) {
    for (const Pending& item : items) leaves.push_back(Finish(ctx, item, std::nullopt));
    return Build(ctx, depth, path, std::span(leaves));
  }
  HEARTH_ASSIGN_OR_RETURN(Node n, store.ReadNode(NodePos{old.version, depth, path}, old.hash));
  if (n.leaf) {
    bool matched = false;
    for (const Pending& item : items) {
      const bool same = item.key == n.key;
      matched = matched || same;
      leaves.push_back(Finish(ctx, item, same ? std::optional(n.value) : std::nullopt));
    }
    if (!matched) {
      // The existing leaf moves below the new branch point: rewritten at its new position.
      LeafEntry existing{n.key, n.value, old.hash};
      leaves.insert(std::lower_bound(leaves.begin(), leaves.end(), existing,
                                     [](const LeafEntry& a, const LeafEntry& b) {
                                       return a.key < b.key;
                                     }),
                    existing);
    }
    return Build(ctx, depth, path, std::span(leaves));
  }
  const size_t m = SplitAt(items, depth);
  Node out;
  out.left = n.left;
  out.right = n.right;
  if (m > 0) {
    HEARTH_ASSIGN_OR_RETURN(out.left, Rebuild(ctx, n.left, depth + 1, path, items.first(m)));
  }
  if (m < items.size()) {
    HEARTH_ASSIGN_OR_RETURN(out.right, Rebuild(ctx, n.right, depth + 1,
                                               PathWithBit(path, depth, 1), items.subspan(m)));
  }
  const Hash32 hash = IndexNodeHash(suite, out.left.hash, out.right.hash);
  ++nodes_hashed;
  const NodePos pos{ctx->version, depth, path};
  store.StageNode(pos, out);
  return NodeRef{hash, ctx->version};
}

Status AuthIndex::FlushTo(KvWriter* batch) const {
  HEARTH_CHECK(impl_->opened && batch != nullptr);
  impl_->store.FlushTo(batch, impl_->state);
  return Status::Ok();
}

void AuthIndex::MarkFlushed() {
  impl_->store.MarkFlushed();
  impl_->committed_state = impl_->state;
}

void AuthIndex::DiscardStaged() {
  impl_->store.DiscardStaged();
  impl_->state = impl_->committed_state;
}

IndexStats AuthIndex::stats() const {
  IndexStats s = impl_->store.read_stats();
  s.nodes_hashed = impl_->nodes_hashed;
  return s;
}

std::string AuthIndex::MetaKey() const { return impl_->store.MetaKey(); }
std::string AuthIndex::RootKey(uint64_t version) const { return impl_->store.RootKey(version); }
std::string AuthIndex::ListKey(const Hash32& key, uint64_t seq) const {
  return impl_->store.ListKey(key, seq);
}
std::string AuthIndex::NodeKey(uint64_t version, size_t depth, const Hash32& path) const {
  HEARTH_CHECK(depth <= kIndexKeyBits);
  return impl_->store.NodeKey(NodePos{version, depth, path});
}

}  // namespace hearth
