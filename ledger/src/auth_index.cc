// AuthIndex: versions, reads, proofs and staging (auth_index.h). ApplyBlock is in
// auth_index_apply.cc; pages, keys and the cache in auth_index_store.cc.
#include <string>

#include "auth_index_impl.h"
#include "hearth/ledger/auth_index.h"

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

AuthIndex::AuthIndex(Suite suite, const KvReader* committed, std::string key_prefix)
    : AuthIndex(suite, committed, std::move(key_prefix), Options()) {}

AuthIndex::AuthIndex(Suite suite, const KvReader* committed, std::string key_prefix,
                     Options options)
    : suite_(suite),
      impl_(std::make_unique<Impl>(suite, committed, std::move(key_prefix),
                                   options.cache_pages_max)) {}

AuthIndex::~AuthIndex() = default;

Status AuthIndex::Open() {
  HEARTH_CHECK_MSG(!impl_->opened, "AuthIndex::Open called twice");
  impl_->opened = true;
  HEARTH_ASSIGN_OR_RETURN(impl_->state, impl_->store.ReadMeta());
  impl_->SetCommittedState(impl_->state);
  return Status::Ok();
}

std::optional<uint64_t> AuthIndex::last_version() const {
  if (!impl_->state.has_versions) return std::nullopt;
  return impl_->state.last;
}

std::optional<uint64_t> AuthIndex::committed_last_version() const {
  const index_internal::VersionState committed = impl_->CommittedState();
  if (!committed.has_versions) return std::nullopt;
  return committed.last;
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

Result<IndexLookup> AuthIndex::ProveCommitted(const Hash32& key, uint64_t version,
                                              Hash32* root) const {
  HEARTH_CHECK(root != nullptr);
  HEARTH_ASSIGN_OR_RETURN(NodeRef ref, impl_->CommittedRootRefAt(version));
  IndexLookup out;
  HEARTH_ASSIGN_OR_RETURN(out.value, impl_->Walk(ref, key, &out.proof, Impl::View::kCommitted));
  *root = ref.hash;
  return out;
}

index_internal::VersionState AuthIndex::Impl::CommittedState() const {
  std::lock_guard lock(committed_mu);
  return committed_state;
}

void AuthIndex::Impl::SetCommittedState(const index_internal::VersionState& s) {
  std::lock_guard lock(committed_mu);
  committed_state = s;
}

Result<NodeRef> AuthIndex::Impl::CommittedRootRefAt(uint64_t version) const {
  HEARTH_CHECK(opened);
  const index_internal::VersionState committed = CommittedState();
  if (!committed.has_versions || version < committed.first || version > committed.last) {
    return Status::NotFound("index: no committed version " + std::to_string(version));
  }
  if (version == committed.last) return committed.root;
  return store.ReadCommittedRoot(version);
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
                                                        IndexProof* proof, View view) const {
  NodeRef ref = root;
  // One page per step, four levels each; ComputeSlots refuses child pages past depth 252.
  for (size_t depth = 0; depth <= index_internal::kPageDepthMax; depth += kPageLevels) {
    if (ref.hash.IsZero()) {
      if (proof) proof->terminal = IndexProof::Terminal::kEmpty;
      return std::optional<IndexValue>();
    }
    const NodePos pos{ref.version, depth, PathPrefix(key, depth)};
    HEARTH_ASSIGN_OR_RETURN(std::shared_ptr<const Page> read,
                            view == View::kCommitted ? store.ReadCommittedPage(pos, ref.hash)
                                                     : store.ReadPage(pos, ref.hash));
    const Page& page = *read;
    bool descend = false;
    for (size_t r = 0; r <= kPageLevels && !descend; ++r) {
      const uint32_t bits = KeyBits(key, depth, r);
      const Slot& slot = page.slots[SlotIndex(r, bits)];
      switch (slot.kind) {
        case SlotKind::kEmpty:
          if (proof) proof->terminal = IndexProof::Terminal::kEmpty;
          return std::optional<IndexValue>();
        case SlotKind::kLeaf: {
          const index_internal::Terminal& t = page.terms[slot.term];
          if (t.key == key) {
            if (proof) proof->terminal = IndexProof::Terminal::kPresent;
            return std::optional<IndexValue>(t.value);
          }
          if (proof) {
            proof->terminal = IndexProof::Terminal::kOtherLeaf;
            proof->other_key = t.key;
            proof->other_value = t.value;
          }
          return std::optional<IndexValue>();
        }
        case SlotKind::kChild:
          ref = NodeRef{slot.hash, page.terms[slot.term].child_version};
          descend = true;
          break;
        case SlotKind::kInternal: {
          HEARTH_CHECK(r < kPageLevels);
          const auto bit = static_cast<uint32_t>(IndexKeyBit(key, depth + r));
          const uint32_t sibling = bits * 2 + (1 - bit);
          if (proof) proof->siblings.push_back(page.slots[SlotIndex(r + 1, sibling)].hash);
          break;
        }
      }
    }
    HEARTH_CHECK(descend);
  }
  HEARTH_CHECK_MSG(false, "index walk past the last page level");
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
  return ListKnownCount(key, count);
}

Result<std::vector<Hash32>> AuthIndex::ListKnownCount(const Hash32& key, uint64_t count) const {
  HEARTH_ASSIGN_OR_RETURN(std::vector<IndexListEntry> entries, ListEntries(key, count));
  std::vector<Hash32> ids;
  ids.reserve(entries.size());
  for (const IndexListEntry& e : entries) ids.push_back(e.id);
  return ids;
}

Result<std::vector<IndexListEntry>> AuthIndex::ListEntries(const Hash32& key,
                                                          uint64_t count) const {
  if (count > kIndexListIdsMax) {
    return Status::InvalidArgument("index list: count " + std::to_string(count) +
                                   " exceeds the maximum " + std::to_string(kIndexListIdsMax));
  }
  std::vector<IndexListEntry> entries;
  entries.reserve(count);
  for (uint64_t seq = 0; seq < count; ++seq) {
    HEARTH_ASSIGN_OR_RETURN(IndexListEntry entry, impl_->store.ReadListEntry(key, seq));
    entries.push_back(entry);
  }
  return entries;
}

Result<std::vector<IndexListEntry>> AuthIndex::CommittedListUpTo(const Hash32& key,
                                                                uint64_t version) const {
  std::vector<IndexListEntry> entries;
  Status failed;
  HEARTH_RETURN_IF_ERROR(impl_->store.ScanCommittedList(
      key, [&](uint64_t seq, const IndexListEntry& entry) {
        const uint64_t height = entry.location.height;
        if (height == 0) {
          failed = Status::FailedPrecondition("index list of " + key.Hex() + ": entry " +
                                              std::to_string(seq) + " has no location");
          return false;
        }
        if (!entries.empty() && height < entries.back().location.height) {
          failed = Status::Corruption("index list of " + key.Hex() + ": entry " +
                                      std::to_string(seq) + " at height " +
                                      std::to_string(height) + " after one at " +
                                      std::to_string(entries.back().location.height));
          return false;
        }
        if (height > version) return false;
        if (entries.size() >= kIndexListIdsMax) {
          failed = Status::InvalidArgument("index list of " + key.Hex() + ": more than " +
                                           std::to_string(kIndexListIdsMax) + " entries");
          return false;
        }
        entries.push_back(entry);
        return true;
      }));
  HEARTH_RETURN_IF_ERROR(failed);
  return entries;
}

Status AuthIndex::FlushTo(KvWriter* batch) const {
  HEARTH_CHECK(impl_->opened && batch != nullptr);
  impl_->store.FlushTo(batch, impl_->state);
  return Status::Ok();
}

void AuthIndex::MarkFlushed() {
  impl_->store.MarkFlushed();  // the pages first: a reader of the new root finds them
  impl_->SetCommittedState(impl_->state);
}

void AuthIndex::DiscardStaged() {
  impl_->store.DiscardStaged();
  impl_->state = impl_->CommittedState();
}

IndexStats AuthIndex::stats() const {
  IndexStats s = impl_->store.read_stats();
  s.nodes_hashed = impl_->nodes_hashed.load(std::memory_order_relaxed);
  return s;
}

std::string AuthIndex::MetaKey() const { return impl_->store.MetaKey(); }
std::string AuthIndex::RootKey(uint64_t version) const { return impl_->store.RootKey(version); }
std::string AuthIndex::ListKey(const Hash32& key, uint64_t seq) const {
  return impl_->store.ListKey(key, seq);
}
std::string AuthIndex::PageKey(uint64_t version, size_t depth, const Hash32& path) const {
  HEARTH_CHECK(depth % kPageLevels == 0 && depth <= index_internal::kPageDepthMax);
  return impl_->store.PageKey(NodePos{version, depth, PathPrefix(path, depth)});
}

}  // namespace hearth
