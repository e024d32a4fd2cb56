// auth_index_impl.h (private to hearth_ledger): AuthIndex's state and the block-apply
// machinery shared by auth_index.cc (reads, proofs, staging) and auth_index_apply.cc
// (ApplyBlock). Same thread-safety as AuthIndex.
#pragma once

#include <atomic>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "auth_index_store.h"
#include "hearth/ledger/auth_index.h"

namespace hearth::index_internal {

// One changed key of a block: its new ids are ApplyCtx::sorted[begin, end), in log order.
struct Pending {
  Hash32 key;
  size_t begin = 0;
  size_t end = 0;
};

// A leaf about to be placed by ApplyBlock (new, updated, or an old one moved).
struct LeafEntry {
  Hash32 key;
  IndexValue value;
  Hash32 hash;
};

// State of one ApplyBlock, so a failure can undo exactly what it staged.
struct ApplyCtx {
  uint64_t version = 0;
  std::vector<IndexUpdate> sorted;  // the block's updates, stably sorted by key
  std::vector<ListRange> staged_lists;
};

}  // namespace hearth::index_internal

namespace hearth {

struct AuthIndex::Impl {
  using ApplyCtx = index_internal::ApplyCtx;
  using LeafEntry = index_internal::LeafEntry;
  using NodeRef = index_internal::NodeRef;
  using Page = index_internal::Page;
  using Pending = index_internal::Pending;
  using Terminal = index_internal::Terminal;

  Impl(Suite s, const KvReader* committed, std::string prefix, size_t cache_pages_max)
      : suite(s), store(s, committed, std::move(prefix), cache_pages_max) {}

  Result<NodeRef> RootRefAt(uint64_t version) const;
  // The root of a committed version, without staged state (see ProveCommitted).
  Result<NodeRef> CommittedRootRefAt(uint64_t version) const;
  // Which pages a walk may read: staged ones too (the writer's view), or committed only.
  enum class View : uint8_t { kLatest, kCommitted };
  Result<std::optional<IndexValue>> Walk(const NodeRef& root, const Hash32& key,
                                         IndexProof* proof, View view = View::kLatest) const;
  index_internal::VersionState CommittedState() const;
  void SetCommittedState(const index_internal::VersionState& s);

  // auth_index_apply.cc
  Result<Hash32> ApplyBlock(uint64_t version, std::span<const IndexUpdate> updates);
  // The new value of `item` given its old one; stages its list entries.
  LeafEntry Finish(ApplyCtx* ctx, const Pending& item, const std::optional<IndexValue>& old);
  // The page at (depth, path) after applying `items` under it to the page `old` (Z: none).
  Result<NodeRef> RebuildPage(ApplyCtx* ctx, const NodeRef& old, size_t depth,
                              const Hash32& path, std::span<Pending> items);
  // A new page holding exactly `leaves` (>= 2, or 1 for the root page).
  NodeRef BuildPage(ApplyCtx* ctx, size_t depth, std::span<LeafEntry> leaves);
  // Region (r, bits) of a page being built: old terminals `old_terms` of `old` (a
  // contiguous run of old.terms) plus `items`. Appends terminals and fills out->slots;
  // returns the region's hash.
  Result<Hash32> PlaceRegion(ApplyCtx* ctx, const Page& old, size_t depth, size_t r,
                             uint32_t bits, std::span<const Terminal> old_terms,
                             std::span<Pending> items, Page* out);
  // Region (r, bits) holding exactly `leaves` (no old structure). Returns its hash.
  Hash32 PlaceFresh(ApplyCtx* ctx, size_t depth, size_t r, uint32_t bits,
                    std::span<LeafEntry> leaves, Page* out);

  Suite suite;
  index_internal::NodeStore store;
  index_internal::VersionState state;
  // Written by Open and MarkFlushed (the writer), read by committed-only readers on other
  // threads: GUARDED_BY(committed_mu) for those two and for readers not holding the
  // writer's exclusion.
  mutable std::mutex committed_mu;
  index_internal::VersionState committed_state;
  bool opened = false;
  std::atomic<uint64_t> nodes_hashed{0};  // by the writer; read by stats() on any thread
};

}  // namespace hearth
