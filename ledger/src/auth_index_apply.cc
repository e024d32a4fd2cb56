// AuthIndex::ApplyBlock: one block's updates applied as a batch. The changed keys are sorted
// and the pages on their paths rebuilt top-down in one pass, each changed tree node hashed
// once; unchanged regions of a rewritten page keep their terminals and slot hashes.
#include <algorithm>
#include <string>

#include "auth_index_impl.h"

namespace hearth {

using index_internal::KeyBits;
using index_internal::kPageLevels;
using index_internal::NodePos;
using index_internal::NodeRef;
using index_internal::Page;
using index_internal::PathPrefix;
using index_internal::Slot;
using index_internal::SlotIndex;
using index_internal::SlotKind;
using index_internal::Terminal;

namespace {

// Index of the first entry whose key bit `depth` is 1. REQUIRES: entries sorted by key and
// sharing bits 0..depth-1, so that bit is monotonic over them.
template <typename T>
size_t SplitByKey(std::span<T> entries, size_t depth) {
  auto it = std::partition_point(entries.begin(), entries.end(), [depth](const T& e) {
    return IndexKeyBit(e.key, depth) == 0;
  });
  return static_cast<size_t>(it - entries.begin());
}

// Index of the first old terminal whose relative bit r is 1 (terminals are left to right).
size_t SplitTerms(std::span<const Terminal> terms, size_t r) {
  auto it = std::partition_point(terms.begin(), terms.end(), [r](const Terminal& t) {
    return ((t.bits >> (t.r - 1 - r)) & 1) == 0;
  });
  return static_cast<size_t>(it - terms.begin());
}

// Copies the slots of region (r, bits) from `from` to `to`, shifting terminal indices.
void CopySlots(const Page& from, Page* to, size_t r, uint32_t bits, ptrdiff_t shift) {
  Slot s = from.slots[SlotIndex(r, bits)];
  if (s.kind == SlotKind::kLeaf || s.kind == SlotKind::kChild) {
    s.term = static_cast<uint8_t>(s.term + shift);
  }
  to->slots[SlotIndex(r, bits)] = s;
  if (s.kind == SlotKind::kInternal) {
    CopySlots(from, to, r + 1, bits * 2, shift);
    CopySlots(from, to, r + 1, bits * 2 + 1, shift);
  }
}

}  // namespace

Result<Hash32> AuthIndex::Impl::ApplyBlock(uint64_t version,
                                           std::span<const IndexUpdate> updates) {
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
  for (const IndexUpdate& u : updates) {
    if (u.location.height != 0 && u.location.height != version) {
      return Status::InvalidArgument("index: update of " + u.key.Hex() + " carries a location at height " +
                                     std::to_string(u.location.height) + " in version " +
                                     std::to_string(version));
    }
  }
  ApplyCtx ctx;
  ctx.version = version;
  ctx.sorted.assign(updates.begin(), updates.end());
  // Stable: the ids of one key keep their log order.
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
    Result<NodeRef> rebuilt = RebuildPage(&ctx, state.root, 0, Hash32(), std::span(items));
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

AuthIndex::Impl::LeafEntry AuthIndex::Impl::Finish(ApplyCtx* ctx, const Pending& item,
                                                   const std::optional<IndexValue>& old) {
  IndexValue v = old.value_or(IndexValue{});
  const uint64_t first_seq = v.count;
  for (size_t i = item.begin; i < item.end; ++i) {
    v.head = IndexChainStep(suite, v.head, ctx->sorted[i].tx_id);
    store.StageListEntry(item.key, first_seq + (i - item.begin),
                         IndexListEntry{ctx->sorted[i].tx_id, ctx->sorted[i].location});
  }
  v.count = first_seq + (item.end - item.begin);
  ctx->staged_lists.push_back({item.key, first_seq, v.count});
  nodes_hashed.fetch_add(1, std::memory_order_relaxed);
  return LeafEntry{item.key, v, IndexLeafHash(suite, item.key, v)};
}

Result<NodeRef> AuthIndex::Impl::RebuildPage(ApplyCtx* ctx, const NodeRef& old, size_t depth,
                                             const Hash32& path, std::span<Pending> items) {
  HEARTH_CHECK(!items.empty());
  if (old.hash.IsZero()) {
    std::vector<LeafEntry> leaves;
    for (const Pending& item : items) leaves.push_back(Finish(ctx, item, std::nullopt));
    return BuildPage(ctx, depth, std::span(leaves));
  }
  HEARTH_ASSIGN_OR_RETURN(std::shared_ptr<const Page> old_page,
                          store.ReadPage(NodePos{old.version, depth, path}, old.hash));
  Page page;
  HEARTH_ASSIGN_OR_RETURN(Hash32 hash, PlaceRegion(ctx, *old_page, depth, 0, 0,
                                                   std::span(old_page->terms), items, &page));
  HEARTH_CHECK(hash == page.hash());
  store.StagePage(NodePos{ctx->version, depth, path}, std::move(page));
  return NodeRef{hash, ctx->version};
}

AuthIndex::Impl::NodeRef AuthIndex::Impl::BuildPage(ApplyCtx* ctx, size_t depth,
                                                    std::span<LeafEntry> leaves) {
  HEARTH_CHECK(!leaves.empty() && depth <= index_internal::kPageDepthMax);
  Page page;
  const Hash32 hash = PlaceFresh(ctx, depth, 0, 0, leaves, &page);
  store.StagePage(NodePos{ctx->version, depth, PathPrefix(leaves[0].key, depth)},
                  std::move(page));
  return NodeRef{hash, ctx->version};
}

Hash32 AuthIndex::Impl::PlaceFresh(ApplyCtx* ctx, size_t depth, size_t r, uint32_t bits,
                                   std::span<LeafEntry> leaves, Page* out) {
  Slot& slot = out->slots[SlotIndex(r, bits)];
  if (leaves.empty()) return slot.hash = Hash32();
  if (leaves.size() == 1 || r == kPageLevels) {
    Terminal t;
    t.r = static_cast<uint8_t>(r);
    t.bits = static_cast<uint8_t>(bits);
    if (leaves.size() == 1) {  // a key alone in its region: its leaf, collapsed here
      t.key = leaves[0].key;
      t.value = leaves[0].value;
      slot.kind = SlotKind::kLeaf;
      slot.hash = leaves[0].hash;
    } else {  // two or more keys below relative depth 4: a child page
      const NodeRef child = BuildPage(ctx, depth + kPageLevels, leaves);
      t.leaf = false;
      t.key = child.hash;
      t.child_version = child.version;
      slot.kind = SlotKind::kChild;
      slot.hash = child.hash;
    }
    slot.term = static_cast<uint8_t>(out->terms.size());
    out->terms.push_back(t);
    return slot.hash;
  }
  const size_t m = SplitByKey(leaves, depth + r);
  const Hash32 left = PlaceFresh(ctx, depth, r + 1, bits * 2, leaves.first(m), out);
  const Hash32 right = PlaceFresh(ctx, depth, r + 1, bits * 2 + 1, leaves.subspan(m), out);
  nodes_hashed.fetch_add(1, std::memory_order_relaxed);
  slot.kind = SlotKind::kInternal;  // slots is an array: `slot` is still valid
  return slot.hash = IndexNodeHash(suite, left, right);
}

Result<Hash32> AuthIndex::Impl::PlaceRegion(ApplyCtx* ctx, const Page& old, size_t depth,
                                            size_t r, uint32_t bits,
                                            std::span<const Terminal> old_terms,
                                            std::span<Pending> items, Page* out) {
  if (items.empty()) {  // unchanged: the old terminals and hashes as they were
    const size_t old_first = static_cast<size_t>(old_terms.data() - old.terms.data());
    const auto shift = static_cast<ptrdiff_t>(out->terms.size()) -
                       static_cast<ptrdiff_t>(old_first);
    out->terms.insert(out->terms.end(), old_terms.begin(), old_terms.end());
    CopySlots(old, out, r, bits, shift);
    return out->slots[SlotIndex(r, bits)].hash;
  }
  std::vector<LeafEntry> leaves;
  if (old_terms.empty()) {  // only new keys here
    for (const Pending& item : items) leaves.push_back(Finish(ctx, item, std::nullopt));
    return PlaceFresh(ctx, depth, r, bits, std::span(leaves), out);
  }
  const Terminal& t0 = old_terms[0];
  if (old_terms.size() == 1 && t0.r == r && t0.leaf) {  // an old leaf alone here
    bool matched = false;
    for (const Pending& item : items) {
      const bool same = item.key == t0.key;
      matched = matched || same;
      leaves.push_back(Finish(ctx, item, same ? std::optional(t0.value) : std::nullopt));
    }
    if (!matched) {  // it moves below the new branch point
      const LeafEntry moved{t0.key, t0.value, old.slots[SlotIndex(r, bits)].hash};
      leaves.insert(std::lower_bound(leaves.begin(), leaves.end(), moved,
                                     [](const LeafEntry& a, const LeafEntry& b) {
                                       return a.key < b.key;
                                     }),
                    moved);
    }
    return PlaceFresh(ctx, depth, r, bits, std::span(leaves), out);
  }
  if (old_terms.size() == 1 && t0.r == r) {  // a child page: rebuilt below
    const NodeRef old_child{old.slots[SlotIndex(r, bits)].hash, t0.child_version};
    HEARTH_ASSIGN_OR_RETURN(NodeRef child,
                            RebuildPage(ctx, old_child, depth + kPageLevels,
                                        PathPrefix(items[0].key, depth + kPageLevels), items));
    Terminal t = t0;
    t.key = child.hash;
    t.child_version = child.version;
    Slot& slot = out->slots[SlotIndex(r, bits)];
    slot = Slot{child.hash, SlotKind::kChild, static_cast<uint8_t>(out->terms.size())};
    out->terms.push_back(t);
    return child.hash;
  }
  HEARTH_CHECK(r < kPageLevels);  // several old terminals below: split both sides
  const size_t mi = SplitByKey(items, depth + r);
  const size_t mt = SplitTerms(old_terms, r);
  HEARTH_ASSIGN_OR_RETURN(Hash32 left, PlaceRegion(ctx, old, depth, r + 1, bits * 2,
                                                   old_terms.first(mt), items.first(mi), out));
  HEARTH_ASSIGN_OR_RETURN(Hash32 right,
                          PlaceRegion(ctx, old, depth, r + 1, bits * 2 + 1,
                                      old_terms.subspan(mt), items.subspan(mi), out));
  nodes_hashed.fetch_add(1, std::memory_order_relaxed);
  Slot& slot = out->slots[SlotIndex(r, bits)];
  slot.kind = SlotKind::kInternal;
  return slot.hash = IndexNodeHash(suite, left, right);
}

}  // namespace hearth
