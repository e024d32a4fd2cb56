// Node records, storage keys, staging and the node cache of the authenticated index.
#include "auth_index_store.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <string>
#include <utility>

#include "hearth/base/codec.h"

namespace hearth::index_internal {

namespace {

constexpr uint8_t kMetaFormat = 1;
constexpr char kMetaTag = 'm';
constexpr char kRootTag = 'r';
constexpr char kNodeTag = 'n';
constexpr char kListTag = 'l';
constexpr size_t kInternalRecordBytes = 1 + 32 + 32 + 8 + 8;
constexpr size_t kLeafRecordBytes = 1 + 32 + 8 + 32;
constexpr size_t kRootRecordBytes = 32 + 8;
constexpr size_t kMetaRecordBytes = 1 + 1 + 1 + 8 + 8;

void PutBigEndian(std::string* out, uint64_t v, int width) {
  for (int i = width - 1; i >= 0; --i) out->push_back(static_cast<char>(v >> (8 * i)));
}

void PutHash(std::string* out, const Hash32& h) {
  out->append(reinterpret_cast<const char*>(h.bytes.data()), h.bytes.size());
}

std::string EncodeNode(const Node& n) {
  Writer w(n.leaf ? kLeafRecordBytes : kInternalRecordBytes);
  if (n.leaf) {
    w.U8(kIndexLeafTag);
    w.Hash(n.key);
    w.U64(n.value.count);
    w.Hash(n.value.head);
  } else {
    w.U8(kIndexNodeTag);
    w.Hash(n.left.hash);
    w.Hash(n.right.hash);
    w.U64(n.left.version);
    w.U64(n.right.version);
  }
  return std::string(AsChars(w.bytes()));
}

// Strict: exact length per tag, no empty/empty internal node, Z children at version 0,
// leaves with count >= 1.
Status DecodeNode(std::string_view bytes, Node* n) {
  Reader r(AsBytes(bytes), "index_node");
  uint8_t tag = 0;
  HEARTH_RETURN_IF_ERROR(r.U8("tag", &tag));
  if (tag == kIndexLeafTag) {
    n->leaf = true;
    HEARTH_RETURN_IF_ERROR(r.Hash("key", &n->key));
    HEARTH_RETURN_IF_ERROR(r.U64("count", &n->value.count));
    HEARTH_RETURN_IF_ERROR(r.Hash("head", &n->value.head));
    HEARTH_RETURN_IF_ERROR(r.Finish());
    if (n->value.count == 0) return r.Error("count", "leaf with count 0");
    return Status::Ok();
  }
  if (tag != kIndexNodeTag) return r.Error("tag", "unknown tag " + std::to_string(tag));
  n->leaf = false;
  HEARTH_RETURN_IF_ERROR(r.Hash("left", &n->left.hash));
  HEARTH_RETURN_IF_ERROR(r.Hash("right", &n->right.hash));
  HEARTH_RETURN_IF_ERROR(r.U64("left_version", &n->left.version));
  HEARTH_RETURN_IF_ERROR(r.U64("right_version", &n->right.version));
  HEARTH_RETURN_IF_ERROR(r.Finish());
  if (n->left.hash.IsZero() && n->right.hash.IsZero()) {
    return r.Error("left", "internal node with two empty children");
  }
  if ((n->left.hash.IsZero() && n->left.version != 0) ||
      (n->right.hash.IsZero() && n->right.version != 0)) {
    return r.Error("left_version", "empty child with a version");
  }
  return Status::Ok();
}

std::string KeyHex(const std::string& key) { return ToHex(AsBytes(key)); }

}  // namespace

size_t NodePosHash::operator()(const NodePos& p) const noexcept {
  // Native-order words are fine here: the hash never leaves the process. Each step is
  // MurmurHash3's 64-bit finaliser, so every input bit reaches every output bit.
  uint64_t w[4];
  std::memcpy(w, p.path.bytes.data(), sizeof(w));
  uint64_t h = p.version * 0x9E3779B97F4A7C15ULL ^ (p.depth + 0x632BE59BD9B4E019ULL);
  for (uint64_t word : w) {
    h ^= word;
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDULL;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53ULL;
    h ^= h >> 33;
  }
  return static_cast<size_t>(h);
}

Hash32 PathWithBit(const Hash32& path, size_t depth, int bit) {
  HEARTH_CHECK(depth < kIndexKeyBits);
  Hash32 out = path;
  const auto mask = static_cast<uint8_t>(0x80 >> (depth % 8));
  if (bit) {
    out.bytes[depth / 8] = static_cast<uint8_t>(out.bytes[depth / 8] | mask);
  } else {
    out.bytes[depth / 8] = static_cast<uint8_t>(out.bytes[depth / 8] & ~mask);
  }
  return out;
}

Hash32 PathPrefix(const Hash32& key, size_t bits) {
  HEARTH_CHECK(bits <= kIndexKeyBits);
  Hash32 out;
  for (size_t i = 0; i < bits / 8; ++i) out.bytes[i] = key.bytes[i];
  if (bits % 8 != 0) {
    out.bytes[bits / 8] = static_cast<uint8_t>(key.bytes[bits / 8] & (0xFF << (8 - bits % 8)));
  }
  return out;
}

bool SharePrefix(const Hash32& a, const Hash32& b, size_t bits) {
  return PathPrefix(a, bits) == PathPrefix(b, bits);
}

NodeStore::NodeStore(Suite suite, const KvReader* committed, std::string prefix,
                     size_t cache_nodes_max)
    : suite_(suite),
      committed_(committed),
      prefix_(std::move(prefix)),
      cache_nodes_max_(cache_nodes_max) {
  HEARTH_CHECK(committed_ != nullptr);
  // A quarter of the bound for the top table (2^levels slots), at most 16 levels.
  top_levels_ = std::min<size_t>(kTopLevelsMax, std::bit_width(cache_nodes_max_ / 4));
}

std::string NodeStore::MetaKey() const { return prefix_ + kMetaTag; }

std::string NodeStore::RootKey(uint64_t version) const {
  std::string k = prefix_ + kRootTag;
  PutBigEndian(&k, version, 8);
  return k;
}

std::string NodeStore::ListKey(const Hash32& key, uint64_t seq) const {
  std::string k = prefix_ + kListTag;
  PutHash(&k, key);
  PutBigEndian(&k, seq, 8);
  return k;
}

std::string NodeStore::NodeKey(const NodePos& pos) const {
  HEARTH_CHECK(pos.depth <= kIndexKeyBits);
  std::string k = prefix_ + kNodeTag;
  PutBigEndian(&k, pos.version, 8);
  PutBigEndian(&k, pos.depth, 2);
  k.append(reinterpret_cast<const char*>(pos.path.bytes.data()), (pos.depth + 7) / 8);
  return k;
}

Result<VersionState> NodeStore::ReadMeta() const {
  const std::string key = MetaKey();
  std::string v;
  Status s = committed_->Get(key, &v);
  if (s.code() == Code::kNotFound) return VersionState{};
  if (!s.ok()) return s.Annotate("index meta " + KeyHex(key));
  Reader r(AsBytes(v), "index_meta");
  uint8_t format = 0, suite = 0;
  bool has = false;
  VersionState st;
  Status d = r.U8("format", &format);
  if (d.ok() && format != kMetaFormat) d = r.Error("format", "unknown " + std::to_string(format));
  if (d.ok()) d = r.U8("suite", &suite);
  if (d.ok() && suite != static_cast<uint8_t>(suite_)) {
    d = r.Error("suite", "index written with suite byte " + std::to_string(suite) +
                             ", opened with " + std::string(SuiteName(suite_)));
  }
  if (d.ok()) d = r.Bool("has_versions", &has);
  if (d.ok()) d = r.U64("first_version", &st.first);
  if (d.ok()) d = r.U64("last_version", &st.last);
  if (d.ok()) d = r.Finish();
  if (d.ok() && (st.first > st.last || (!has && (st.first != 0 || st.last != 0)))) {
    d = r.Error("last_version", "version range invalid");
  }
  if (!d.ok()) return Status::Corruption("index meta " + KeyHex(key) + ": " + d.message());
  static_assert(kMetaRecordBytes == 19);
  st.has_versions = has;
  if (has) {
    HEARTH_ASSIGN_OR_RETURN(st.root, ReadRoot(st.last));
  }
  return st;
}

Result<NodeRef> NodeStore::ReadRoot(uint64_t version) const {
  if (auto it = staged_roots_.find(version); it != staged_roots_.end()) return it->second;
  const std::string key = RootKey(version);
  std::string v;
  Status s = committed_->Get(key, &v);
  if (s.code() == Code::kNotFound) {
    return Status::Corruption("index root " + KeyHex(key) + ": missing for version " +
                              std::to_string(version));
  }
  if (!s.ok()) return s.Annotate("index root " + KeyHex(key));
  Reader r(AsBytes(v), "index_root");
  NodeRef ref;
  Status d = r.Hash("root", &ref.hash);
  if (d.ok()) d = r.U64("node_version", &ref.version);
  if (d.ok()) d = r.Finish();
  if (d.ok() && ref.hash.IsZero() && ref.version != 0) {
    d = r.Error("node_version", "empty root with a version");
  }
  if (!d.ok()) return Status::Corruption("index root " + KeyHex(key) + ": " + d.message());
  static_assert(kRootRecordBytes == 40);
  // A root hash altered in place would otherwise go unnoticed: its node must match it.
  if (!ref.hash.IsZero()) {
    HEARTH_RETURN_IF_ERROR(ReadNode(NodePos{ref.version, 0, Hash32()}, ref.hash).status());
  }
  return ref;
}

Result<Node> NodeStore::ReadNode(const NodePos& pos, const Hash32& expected) const {
  if (auto it = staged_nodes_.find(pos); it != staged_nodes_.end()) return it->second;
  if (std::optional<Node> hit = CacheGet(pos)) return *hit;
  HEARTH_ASSIGN_OR_RETURN(Node n, ReadCommittedNode(pos, expected));
  CachePut(pos, n);
  return n;
}

Result<Node> NodeStore::ReadCommittedNode(const NodePos& pos, const Hash32& expected) const {
  const std::string key = NodeKey(pos);
  std::string v;
  Status s = committed_->Get(key, &v);
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++node_reads_;
  }
  if (s.code() == Code::kNotFound) {
    return Status::Corruption("index node " + KeyHex(key) + ": missing");
  }
  if (!s.ok()) return s.Annotate("index node " + KeyHex(key));
  Node n;
  if (Status d = DecodeNode(v, &n); !d.ok()) {
    return Status::Corruption("index node " + KeyHex(key) + ": " + d.message());
  }
  if (!n.leaf && pos.depth >= kIndexKeyBits) {
    return Status::Corruption("index node " + KeyHex(key) + ": internal node at depth 256");
  }
  const Hash32 h = n.leaf ? IndexLeafHash(suite_, n.key, n.value)
                          : IndexNodeHash(suite_, n.left.hash, n.right.hash);
  if (h != expected) {
    return Status::Corruption("index node " + KeyHex(key) + ": hash " + h.Hex() +
                              " differs from its parent's pointer " + expected.Hex());
  }
  if (n.leaf && !SharePrefix(n.key, pos.path, pos.depth)) {
    return Status::Corruption("index node " + KeyHex(key) + ": leaf key off its position");
  }
  return n;
}

Result<Hash32> NodeStore::ReadListEntry(const Hash32& key, uint64_t seq) const {
  if (auto it = staged_list_.find({key, seq}); it != staged_list_.end()) return it->second;
  const std::string k = ListKey(key, seq);
  std::string v;
  Status s = committed_->Get(k, &v);
  if (s.code() == Code::kNotFound) {
    return Status::Corruption("index list entry " + KeyHex(k) + ": missing");
  }
  if (!s.ok()) return s.Annotate("index list entry " + KeyHex(k));
  if (v.size() != Hash32::kSize) {
    return Status::Corruption("index list entry " + KeyHex(k) + ": " + std::to_string(v.size()) +
                              " bytes, want 32");
  }
  return Hash32::FromBytes(AsBytes(v));
}

void NodeStore::StageNode(const NodePos& pos, const Node& node) {
  staged_nodes_.insert_or_assign(pos, node);
  ++nodes_written_;
}

void NodeStore::StageListEntry(const Hash32& key, uint64_t seq, const Hash32& id) {
  staged_list_.insert_or_assign({key, seq}, id);
}

void NodeStore::StageRoot(uint64_t version, const NodeRef& root) {
  staged_roots_.insert_or_assign(version, root);
}

void NodeStore::Unstage(uint64_t version, std::span<const ListRange> lists) {
  std::erase_if(staged_nodes_, [version](const auto& e) { return e.first.version == version; });
  for (const ListRange& r : lists) {
    for (uint64_t seq = r.first_seq; seq < r.end_seq; ++seq) staged_list_.erase({r.key, seq});
  }
}

void NodeStore::FlushTo(KvWriter* batch, const VersionState& state) const {
  for (const auto& [pos, node] : staged_nodes_) batch->Put(NodeKey(pos), EncodeNode(node));
  for (const auto& [k, id] : staged_list_) {
    batch->Put(ListKey(k.first, k.second), AsChars(id.view()));
  }
  for (const auto& [version, ref] : staged_roots_) {
    Writer w(kRootRecordBytes);
    w.Hash(ref.hash);
    w.U64(ref.version);
    batch->Put(RootKey(version), AsChars(w.bytes()));
  }
  if (state.has_versions) {
    Writer w(kMetaRecordBytes);
    w.U8(kMetaFormat);
    w.U8(static_cast<uint8_t>(suite_));
    w.Bool(true);
    w.U64(state.first);
    w.U64(state.last);
    batch->Put(MetaKey(), AsChars(w.bytes()));
  }
}

void NodeStore::MarkFlushed() {
  if (cache_nodes_max_ > 0) {
    // The staged nodes are now committed: hand them to the cache without copying.
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = staged_nodes_.begin(); it != staged_nodes_.end();) {
      if (it->first.depth < top_levels_) {
        TopPut(it->first, it->second);
        it = staged_nodes_.erase(it);
      } else {
        ++it;
      }
    }
    hot_.merge(staged_nodes_);
    if (hot_.size() >= std::max<size_t>(1, cache_nodes_max_ / 2)) cold_ = std::exchange(hot_, {});
  }
  DiscardStaged();
}

void NodeStore::DiscardStaged() {
  staged_nodes_.clear();
  staged_roots_.clear();
  staged_list_.clear();
}

size_t NodeStore::TopIndex(const NodePos& pos) const {
  HEARTH_CHECK(pos.depth < top_levels_ && top_levels_ <= 16);
  const uint32_t first16 = (uint32_t{pos.path.bytes[0]} << 8) | pos.path.bytes[1];
  return ((size_t{1} << pos.depth) - 1) + (first16 >> (16 - pos.depth));
}

void NodeStore::TopPut(const NodePos& pos, const Node& node) const {
  if (top_.empty()) top_.resize((size_t{1} << top_levels_) - 1);
  TopSlot& slot = top_[TopIndex(pos)];
  if (slot.used && slot.version > pos.version) return;  // keep the newest
  slot.used = true;
  slot.version = pos.version;
  slot.node = node;
}

std::optional<Node> NodeStore::CacheGet(const NodePos& pos) const {
  if (cache_nodes_max_ == 0) return std::nullopt;
  std::lock_guard<std::mutex> lock(mu_);
  if (pos.depth < top_levels_) {
    if (top_.empty()) return std::nullopt;
    const TopSlot& slot = top_[TopIndex(pos)];
    if (slot.used && slot.version == pos.version) {
      ++cache_hits_;
      return slot.node;
    }
  }
  if (auto it = hot_.find(pos); it != hot_.end()) {
    ++cache_hits_;
    return it->second;
  }
  auto it = cold_.find(pos);
  if (it == cold_.end()) return std::nullopt;
  ++cache_hits_;
  Node n = it->second;
  hot_.insert(cold_.extract(it));  // moves the entry, no allocation
  if (hot_.size() >= std::max<size_t>(1, cache_nodes_max_ / 2)) cold_ = std::exchange(hot_, {});
  return n;
}

void NodeStore::CachePut(const NodePos& pos, const Node& node) const {
  if (cache_nodes_max_ == 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (pos.depth < top_levels_) {
    const bool newest = top_.empty() || !top_[TopIndex(pos)].used ||
                        top_[TopIndex(pos)].version <= pos.version;
    if (newest) return TopPut(pos, node);
  }
  hot_.insert_or_assign(pos, node);
  if (hot_.size() >= std::max<size_t>(1, cache_nodes_max_ / 2)) cold_ = std::exchange(hot_, {});
}

IndexStats NodeStore::read_stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  IndexStats s;
  s.node_reads = node_reads_;
  s.cache_hits = cache_hits_;
  s.nodes_written = nodes_written_;
  return s;
}

}  // namespace hearth::index_internal
