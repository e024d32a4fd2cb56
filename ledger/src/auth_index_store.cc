// Pages, storage keys, staging and the page cache of the authenticated index.
#include "auth_index_store.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

#include "hearth/base/codec.h"

namespace hearth::index_internal {

namespace {

constexpr uint8_t kMetaFormat = 1;
constexpr uint8_t kPageTag = 0x04;
constexpr uint8_t kLeafKind = 0x02;
constexpr uint8_t kChildKind = 0x04;
constexpr char kMetaTag = 'm';
constexpr char kRootTag = 'r';
constexpr char kPageKeyTag = 'p';
constexpr char kListTag = 'l';
constexpr size_t kTerminalBytesMax = 3 + 32 + 8 + 32;
constexpr size_t kListEntryBytesMax = 32 + 8 + 4 + 8;
constexpr size_t kRootRecordBytes = 32 + 8;
constexpr size_t kMetaRecordBytes = 1 + 1 + 1 + 8 + 8;
constexpr size_t kTopPageLevelsMax = 4;

void PutBigEndian(std::string* out, uint64_t v, int width) {
  for (int i = width - 1; i >= 0; --i) out->push_back(static_cast<char>(v >> (8 * i)));
}

std::string EncodePage(const Page& page) {
  Writer w(2 + page.terms.size() * kTerminalBytesMax);
  w.U8(kPageTag);
  w.U8(static_cast<uint8_t>(page.terms.size()));
  for (const Terminal& t : page.terms) {
    w.U8(t.r);
    w.U8(t.bits);
    w.U8(t.leaf ? kLeafKind : kChildKind);
    w.Hash(t.key);
    if (t.leaf) {
      w.U64(t.value.count);
      w.Hash(t.value.head);
    } else {
      w.U64(t.child_version);
    }
  }
  return std::string(AsChars(w.bytes()));
}

// Strict decode of the terminals; ComputeSlots checks their meaning.
Status DecodePage(std::string_view bytes, Page* page) {
  Reader r(AsBytes(bytes), "index_page");
  uint8_t tag = 0, n = 0;
  HEARTH_RETURN_IF_ERROR(r.U8("tag", &tag));
  if (tag != kPageTag) return r.Error("tag", "unknown tag " + std::to_string(tag));
  HEARTH_RETURN_IF_ERROR(r.U8("count", &n));
  if (n == 0 || n > kPageTerminalsMax) return r.Error("count", std::to_string(n) + " terminals");
  page->terms.resize(n);
  for (Terminal& t : page->terms) {
    uint8_t kind = 0;
    HEARTH_RETURN_IF_ERROR(r.U8("r", &t.r));
    HEARTH_RETURN_IF_ERROR(r.U8("bits", &t.bits));
    HEARTH_RETURN_IF_ERROR(r.U8("kind", &kind));
    if (kind != kLeafKind && kind != kChildKind) {
      return r.Error("kind", "unknown kind " + std::to_string(kind));
    }
    t.leaf = kind == kLeafKind;
    HEARTH_RETURN_IF_ERROR(r.Hash("key", &t.key));
    if (t.leaf) {
      HEARTH_RETURN_IF_ERROR(r.U64("count", &t.value.count));
      HEARTH_RETURN_IF_ERROR(r.Hash("head", &t.value.head));
    } else {
      HEARTH_RETURN_IF_ERROR(r.U64("child_version", &t.child_version));
    }
  }
  return r.Finish();
}

std::string KeyHex(std::string_view key) { return ToHex(AsBytes(key)); }

// id[32], then the location when it has one (auth_index.h "Storage").
std::string EncodeListEntry(const IndexListEntry& e) {
  Writer w(kListEntryBytesMax);
  w.Hash(e.id);
  if (e.location.height != 0) {
    w.U64(e.location.height);
    w.U32(e.location.position);
    w.U64(e.location.log_index);
  }
  return std::string(AsChars(w.bytes()));
}

Status DecodeListEntry(std::string_view bytes, IndexListEntry* e) {
  if (bytes.size() != Hash32::kSize && bytes.size() != kListEntryBytesMax) {
    return Status::InvalidArgument(std::to_string(bytes.size()) + " bytes, want 32 or " +
                                   std::to_string(kListEntryBytesMax));
  }
  Reader r(AsBytes(bytes), "index_list_entry");
  HEARTH_RETURN_IF_ERROR(r.Hash("id", &e->id));
  e->location = TxLocation();
  if (bytes.size() == kListEntryBytesMax) {
    HEARTH_RETURN_IF_ERROR(r.U64("height", &e->location.height));
    HEARTH_RETURN_IF_ERROR(r.U32("position", &e->location.position));
    HEARTH_RETURN_IF_ERROR(r.U64("log_index", &e->location.log_index));
    if (e->location.height == 0) return r.Error("height", "a stored location has height >= 1");
  }
  return r.Finish();
}

// Fills the slots of one region of a page from its terminals (ComputeSlots).
class SlotFiller {
 public:
  SlotFiller(Suite suite, Page* page) : suite_(suite), page_(page) {}

  Hash32 Fill(size_t r, uint32_t bits, size_t first, size_t end) {
    Slot& s = page_->slots[SlotIndex(r, bits)];
    if (first == end || !error_.empty()) return s.hash = Hash32();
    const Terminal& t0 = page_->terms[first];
    if (end - first == 1 && t0.r == r) {
      s.kind = t0.leaf ? SlotKind::kLeaf : SlotKind::kChild;
      s.term = static_cast<uint8_t>(first);
      return s.hash = t0.leaf ? IndexLeafHash(suite_, t0.key, t0.value) : t0.key;
    }
    if (r == kPageLevels) return Fail("two terminals at one position");
    size_t mid = first;
    for (size_t i = first; i < end; ++i) {
      const Terminal& t = page_->terms[i];
      if (t.r <= r) return Fail("terminals not prefix-free");
      const int bit = (t.bits >> (t.r - 1 - r)) & 1;
      if (bit == 0 && mid != i) return Fail("terminals out of order");
      if (bit == 0) mid = i + 1;
    }
    const Hash32 left = Fill(r + 1, bits * 2, first, mid);
    const Hash32 right = Fill(r + 1, bits * 2 + 1, mid, end);
    s.kind = SlotKind::kInternal;
    return s.hash = IndexNodeHash(suite_, left, right);
  }

  const std::string& error() const { return error_; }

 private:
  Hash32 Fail(std::string why) {
    if (error_.empty()) error_ = std::move(why);
    return Hash32();
  }

  Suite suite_;
  Page* page_;
  std::string error_;
};

}  // namespace

Status ComputeSlots(Suite suite, size_t depth, const Hash32& path, Page* page) {
  HEARTH_CHECK(depth % kPageLevels == 0 && depth <= kPageDepthMax);
  auto bad = [](const std::string& why) { return Status::InvalidArgument("index page: " + why); };
  const size_t n = page->terms.size();
  if (n == 0 || n > kPageTerminalsMax) return bad(std::to_string(n) + " terminals");
  for (const Terminal& t : page->terms) {
    if (t.r > kPageLevels || t.bits >= (1u << t.r)) return bad("terminal position out of range");
    if (t.leaf) {
      if (t.value.count == 0) return bad("leaf with count 0");
      if (!SharePrefix(t.key, path, depth) || KeyBits(t.key, depth, t.r) != t.bits) {
        return bad("leaf key off its position");
      }
      if (t.r == 0 && (depth != 0 || n != 1)) return bad("collapsed leaf beside other keys");
    } else if (t.r != kPageLevels || depth + kPageLevels > kPageDepthMax || t.key.IsZero()) {
      return bad("child page off relative depth 4 or below the last page level");
    }
  }
  page->slots = {};
  SlotFiller filler(suite, page);
  filler.Fill(0, 0, 0, n);
  if (!filler.error().empty()) return bad(filler.error());
  return Status::Ok();
}

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

uint32_t KeyBits(const Hash32& key, size_t depth, size_t r) {
  HEARTH_CHECK(depth + r <= kIndexKeyBits && r <= kPageLevels);
  uint32_t v = 0;
  for (size_t i = depth; i < depth + r; ++i) {
    v = (v << 1) | static_cast<uint32_t>(IndexKeyBit(key, i));
  }
  return v;
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
                     size_t cache_pages_max)
    : suite_(suite),
      committed_(committed),
      prefix_(std::move(prefix)),
      cache_pages_max_(cache_pages_max) {
  HEARTH_CHECK(committed_ != nullptr);
  // Page levels whose positions (1 + 16 + ... + 16^(L-1)) fit in a quarter of the bound.
  size_t positions = 0;
  while (top_page_levels_ < kTopPageLevelsMax &&
         (positions + (size_t{1} << (4 * top_page_levels_))) * 4 <= cache_pages_max_) {
    positions += size_t{1} << (4 * top_page_levels_);
    ++top_page_levels_;
  }
  if (top_page_levels_ > 0) {
    top_ = std::make_unique<std::atomic<std::shared_ptr<const TopPage>>[]>(positions);
  }
}

std::string NodeStore::MetaKey() const { return prefix_ + kMetaTag; }

std::string NodeStore::RootKey(uint64_t version) const {
  std::string k = prefix_ + kRootTag;
  PutBigEndian(&k, version, 8);
  return k;
}

std::string NodeStore::ListKey(const Hash32& key, uint64_t seq) const {
  std::string k = prefix_ + kListTag;
  k.append(reinterpret_cast<const char*>(key.bytes.data()), key.bytes.size());
  PutBigEndian(&k, seq, 8);
  return k;
}

std::string NodeStore::PageKey(const NodePos& pos) const {
  HEARTH_CHECK(pos.depth % kPageLevels == 0 && pos.depth <= kPageDepthMax);
  std::string k = prefix_ + kPageKeyTag;
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
  st.has_versions = has;
  if (has) {
    HEARTH_ASSIGN_OR_RETURN(st.root, ReadRoot(st.last));
  }
  return st;
}

Result<NodeRef> NodeStore::ReadRoot(uint64_t version) const {
  if (auto it = staged_roots_.find(version); it != staged_roots_.end()) return it->second;
  return ReadCommittedRoot(version);
}

Result<NodeRef> NodeStore::ReadCommittedRoot(uint64_t version) const {
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
  if (d.ok()) d = r.U64("page_version", &ref.version);
  if (d.ok()) d = r.Finish();
  if (d.ok() && ref.hash.IsZero() && ref.version != 0) {
    d = r.Error("page_version", "empty root with a version");
  }
  if (!d.ok()) return Status::Corruption("index root " + KeyHex(key) + ": " + d.message());
  // A root hash altered in place would otherwise go unnoticed: its page must match it.
  if (!ref.hash.IsZero()) {
    HEARTH_RETURN_IF_ERROR(ReadCommittedPage(NodePos{ref.version, 0, Hash32()}, ref.hash).status());
  }
  return ref;
}

Result<std::shared_ptr<const Page>> NodeStore::ReadPage(const NodePos& pos,
                                                       const Hash32& expected) const {
  if (auto it = staged_pages_.find(pos); it != staged_pages_.end()) return it->second;
  return ReadCommittedPage(pos, expected);
}

Result<std::shared_ptr<const Page>> NodeStore::ReadCommittedPage(const NodePos& pos,
                                                                const Hash32& expected) const {
  if (PagePtr hit = CacheGet(pos)) return hit;
  HEARTH_ASSIGN_OR_RETURN(PagePtr page, LoadPage(pos, expected));
  if (cache_pages_max_ > 0) {
    std::lock_guard<std::mutex> lock(mu_);
    CachePut(pos, page);
  }
  return page;
}

Result<NodeStore::PagePtr> NodeStore::LoadPage(const NodePos& pos, const Hash32& expected) const {
  const std::string key = PageKey(pos);
  std::string v;
  Status s = committed_->Get(key, &v);
  page_reads_[pos.depth / kPageLevels].fetch_add(1, std::memory_order_relaxed);
  if (s.code() == Code::kNotFound) {
    return Status::Corruption("index page " + KeyHex(key) + ": missing");
  }
  if (!s.ok()) return s.Annotate("index page " + KeyHex(key));
  auto page = std::make_shared<Page>();
  Status d = DecodePage(v, page.get());
  if (d.ok()) d = ComputeSlots(suite_, pos.depth, pos.path, page.get());
  if (!d.ok()) return Status::Corruption("index page " + KeyHex(key) + ": " + d.message());
  if (page->hash() != expected) {
    return Status::Corruption("index page " + KeyHex(key) + ": hash " + page->hash().Hex() +
                              " differs from its parent's pointer " + expected.Hex());
  }
  return PagePtr(std::move(page));
}

Result<IndexListEntry> NodeStore::ReadListEntry(const Hash32& key, uint64_t seq) const {
  if (auto it = staged_list_.find({key, seq}); it != staged_list_.end()) return it->second;
  HEARTH_ASSIGN_OR_RETURN(std::optional<IndexListEntry> entry, ReadCommittedListEntry(key, seq));
  if (!entry) return Status::Corruption("index list entry " + KeyHex(ListKey(key, seq)) + ": missing");
  return *entry;
}

Result<std::optional<IndexListEntry>> NodeStore::ReadCommittedListEntry(const Hash32& key,
                                                                        uint64_t seq) const {
  const std::string k = ListKey(key, seq);
  std::string v;
  Status s = committed_->Get(k, &v);
  if (s.code() == Code::kNotFound) return std::optional<IndexListEntry>();
  if (!s.ok()) return s.Annotate("index list entry " + KeyHex(k));
  IndexListEntry entry;
  Status d = DecodeListEntry(v, &entry);
  if (!d.ok()) return Status::Corruption("index list entry " + KeyHex(k) + ": " + d.message());
  return std::optional<IndexListEntry>(entry);
}

Status NodeStore::ScanCommittedList(const Hash32& key, const ListFn& fn) const {
  const std::string first = ListKey(key, 0);
  const std::string end = ListKey(key, ~uint64_t{0}) + '\0';  // past every seq of key
  const size_t prefix_bytes = first.size() - 8;
  uint64_t want = 0;
  Status failed;
  Status scanned = committed_->Scan(first, end, ~size_t{0}, [&](std::string_view k,
                                                                std::string_view v) {
    if (k.size() != first.size()) {
      failed = Status::Corruption("index list entry " + KeyHex(k) + ": key of " +
                                  std::to_string(k.size()) + " bytes, want " +
                                  std::to_string(first.size()));
      return false;
    }
    uint64_t seq = 0;
    for (size_t i = prefix_bytes; i < k.size(); ++i) seq = (seq << 8) | static_cast<uint8_t>(k[i]);
    if (seq != want) return false;  // a gap ends the list, as a missing point read does
    IndexListEntry entry;
    Status d = DecodeListEntry(v, &entry);
    if (!d.ok()) {
      failed = Status::Corruption("index list entry " + KeyHex(k) + ": " + d.message());
      return false;
    }
    ++want;
    return fn(seq, entry);
  });
  if (!scanned.ok()) return scanned.Annotate("index list of " + key.Hex());
  return failed;
}

void NodeStore::StagePage(const NodePos& pos, Page page) {
  staged_pages_.insert_or_assign(pos, std::make_shared<const Page>(std::move(page)));
  pages_written_.fetch_add(1, std::memory_order_relaxed);
}

void NodeStore::StageListEntry(const Hash32& key, uint64_t seq, const IndexListEntry& entry) {
  staged_list_.insert_or_assign({key, seq}, entry);
}

void NodeStore::StageRoot(uint64_t version, const NodeRef& root) {
  staged_roots_.insert_or_assign(version, root);
}

void NodeStore::Unstage(uint64_t version, std::span<const ListRange> lists) {
  std::erase_if(staged_pages_, [version](const auto& e) { return e.first.version == version; });
  for (const ListRange& r : lists) {
    for (uint64_t seq = r.first_seq; seq < r.end_seq; ++seq) staged_list_.erase({r.key, seq});
  }
}

void NodeStore::FlushTo(KvWriter* batch, const VersionState& state) const {
  for (const auto& [pos, page] : staged_pages_) batch->Put(PageKey(pos), EncodePage(*page));
  for (const auto& [k, entry] : staged_list_) {
    batch->Put(ListKey(k.first, k.second), EncodeListEntry(entry));
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
  if (cache_pages_max_ > 0) {
    // The staged pages are now committed.
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [pos, page] : staged_pages_) CachePut(pos, page);
  }
  DiscardStaged();
}

void NodeStore::DiscardStaged() {
  staged_pages_.clear();
  staged_roots_.clear();
  staged_list_.clear();
}

size_t NodeStore::TopIndex(const NodePos& pos) const {
  const size_t level = pos.depth / kPageLevels;
  HEARTH_CHECK(level < top_page_levels_ && top_page_levels_ <= kTopPageLevelsMax);
  size_t first = 0;  // slots of the levels above
  for (size_t l = 0; l < level; ++l) first += size_t{1} << (4 * l);
  const uint32_t first16 = (uint32_t{pos.path.bytes[0]} << 8) | pos.path.bytes[1];
  return first + (first16 >> (16 - pos.depth));
}

NodeStore::PagePtr NodeStore::CacheGet(const NodePos& pos) const {
  if (cache_pages_max_ == 0) return nullptr;
  if (pos.depth < kPageLevels * top_page_levels_) {
    const std::shared_ptr<const TopPage> top = top_[TopIndex(pos)].load(std::memory_order_acquire);
    if (top != nullptr && top->version == pos.version) {
      CountHit(pos);
      return top->page;
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = hot_.find(pos); it != hot_.end()) {
    CountHit(pos);
    return it->second;
  }
  auto it = cold_.find(pos);
  if (it == cold_.end()) return nullptr;
  CountHit(pos);
  PagePtr page = it->second;
  hot_.insert(cold_.extract(it));  // moves the entry, no allocation
  if (hot_.size() >= std::max<size_t>(1, cache_pages_max_ / 2)) cold_ = std::exchange(hot_, {});
  return page;
}

void NodeStore::CachePut(const NodePos& pos, PagePtr page) const {
  if (pos.depth < kPageLevels * top_page_levels_) {
    std::atomic<std::shared_ptr<const TopPage>>& slot = top_[TopIndex(pos)];
    const std::shared_ptr<const TopPage> held = slot.load(std::memory_order_relaxed);  // mu_ held
    if (held == nullptr || held->version <= pos.version) {  // keep the newest
      slot.store(std::make_shared<const TopPage>(TopPage{pos.version, std::move(page)}),
                 std::memory_order_release);
      return;
    }
  }
  hot_.insert_or_assign(pos, std::move(page));
  if (hot_.size() >= std::max<size_t>(1, cache_pages_max_ / 2)) cold_ = std::exchange(hot_, {});
}

IndexStats NodeStore::read_stats() const {
  IndexStats s;
  for (size_t level = 0; level < kLevels; ++level) {
    const uint64_t reads = page_reads_[level].load(std::memory_order_relaxed);
    const uint64_t hits = cache_hits_[level].load(std::memory_order_relaxed);
    s.page_reads += reads;
    s.cache_hits += hits;
    if (reads != 0 || hits != 0) {
      s.page_reads_by_level.resize(level + 1, 0);
      s.cache_hits_by_level.resize(level + 1, 0);
      s.page_reads_by_level[level] = reads;
      s.cache_hits_by_level[level] = hits;
    }
  }
  s.pages_written = pages_written_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace hearth::index_internal
