// Reading the chain export file, and the offline audit of a whole chain (contract in
// node/audit.h; the format in docs/FORMAT.md "Chain export file"; writing and fetching are in
// audit_export.cc).
//
// The audit is a bounded pipeline over blocks in log order:
//   stage 1, parallel on the pool, up to `lookahead` blocks ahead of stage 2: decode the
//     block and certificate (tx ids, tx root), the header checks that need no earlier
//     block, the certificate's signatures, the block hash, the Merkle leaf hashes folded
//     into the aligned log subtrees the block claims (from its header's log size), and the
//     block's index updates;
//   stage 2, on the caller's thread, in order: links to the previous block, duplicate ids,
//     chain rules (which fix the key of each signature), the log frontier, the
//     authenticated index, the header roots; then the transaction signatures go to the pool;
//   signatures, parallel on the pool, as stage 2 releases them.
// Stage 1 stores its findings in the block's slot and stage 2 reports them when it reaches
// that block, so they surface in log order; stage 2 and signature problems are kept as the
// minimum (height, position) reported, so the earliest problem in the log wins whatever the
// order the threads found them in. Workers prefer stage-1 jobs so stage 2 never starves, and
// the caller runs stage-1 or signature jobs itself while it waits.
#include "hearth/node/audit.h"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <unordered_map>

#include "hearth/api/thread_name.h"
#include "hearth/ledger/auth_index.h"
#include "hearth/ledger/block.h"
#include "hearth/ledger/index_keys.h"
#include "hearth/ledger/kv.h"
#include "hearth/ledger/merkle.h"
#include "hearth/node/chain_rules.h"
#include "hearth/verify/receipt.h"

namespace hearth::node {

namespace {

std::string ShortHex(const Hash32& h) { return h.Hex().substr(0, 16) + "…"; }

std::string AtHeight(uint64_t h) { return "height " + std::to_string(h); }

double ThreadCpuSeconds() { return static_cast<double>(verify::ThreadCpuNs()) * 1e-9; }

uint64_t GetLE(const uint8_t* p, int width) {
  uint64_t v = 0;
  for (int i = width - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// ---- Reading: one interface over bytes in memory and a file ----

class Source {
 public:
  virtual ~Source() = default;
  // Reads exactly n bytes (REQUIRES n <= remaining()).
  virtual Status Read(uint8_t* out, size_t n) = 0;
  virtual uint64_t remaining() const = 0;
};

class MemSource final : public Source {
 public:
  explicit MemSource(ByteView b) : b_(b) {}
  Status Read(uint8_t* out, size_t n) override {
    HEARTH_CHECK(n <= remaining());
    if (n > 0) std::memcpy(out, b_.data() + pos_, n);
    pos_ += n;
    return Status::Ok();
  }
  uint64_t remaining() const override { return b_.size() - pos_; }

 private:
  ByteView b_;
  size_t pos_ = 0;
};

class FileSource final : public Source {
 public:
  static Result<std::unique_ptr<FileSource>> Open(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) {
      const int e = errno;
      std::string m = path + ": " + std::strerror(e);
      return e == ENOENT ? Status::NotFound(m) : Status::IOError(m);
    }
    struct stat st {};
    if (::fstat(::fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
      std::fclose(f);
      return Status::IOError(path + ": not a regular file");
    }
    auto s = std::unique_ptr<FileSource>(new FileSource(f, path, static_cast<uint64_t>(st.st_size)));
    return s;
  }
  ~FileSource() override { std::fclose(f_); }
  Status Read(uint8_t* out, size_t n) override {
    HEARTH_CHECK(n <= remaining());
    if (n > 0 && std::fread(out, 1, n, f_) != n) {
      return Status::IOError(path_ + ": read failed or file shrank");
    }
    left_ -= n;
    return Status::Ok();
  }
  uint64_t remaining() const override { return left_; }

 private:
  FileSource(std::FILE* f, std::string path, uint64_t size) : f_(f), path_(std::move(path)), left_(size) {
    std::setvbuf(f_, nullptr, _IOFBF, 1 << 20);
  }
  std::FILE* f_;
  std::string path_;
  uint64_t left_;
};

// Reads the header, then records one at a time; every length is checked before a buffer
// is sized for it. Content problems are VerifyFailed naming "file" or the height.
class ExportReader {
 public:
  explicit ExportReader(Source* src) : src_(src) {}

  Status ReadHeader() {
    if (src_->remaining() < kExportHeaderBytes) {
      return Status::VerifyFailed("file: " + std::to_string(src_->remaining()) +
                                  " bytes, shorter than the " + std::to_string(kExportHeaderBytes) +
                                  "-byte header");
    }
    uint8_t h[kExportHeaderBytes];
    HEARTH_RETURN_IF_ERROR(src_->Read(h, sizeof h));
    if (std::memcmp(h, kExportMagic.data(), kExportMagic.size()) != 0) {
      return Status::VerifyFailed("file: not a Hearth chain export (magic differs)");
    }
    if (h[8] != kExportVersion) {
      return Status::VerifyFailed("file: unknown export version " + std::to_string(h[8]));
    }
    genesis_hash_ = Hash32::FromBytes(ByteView(h + 9, 32));
    first_ = GetLE(h + 41, 8);
    count_ = GetLE(h + 49, 8);
    if (first_ == 0) return Status::VerifyFailed("file: first_height is 0 (heights start at 1)");
    if (count_ > kExportBlocksMax || count_ > (UINT64_MAX - first_)) {
      return Status::VerifyFailed("file: block count " + std::to_string(count_) + " exceeds the maximum");
    }
    if (count_ * 8 > src_->remaining()) {
      return Status::VerifyFailed("file: block count " + std::to_string(count_) + " needs at least " +
                                  std::to_string(count_ * 8) + " bytes, " +
                                  std::to_string(src_->remaining()) + " left");
    }
    return Status::Ok();
  }

  const Hash32& genesis_hash() const { return genesis_hash_; }
  uint64_t first_height() const { return first_; }
  uint64_t count() const { return count_; }

  // The next record. REQUIRES: fewer than count() read so far.
  Status Next(Bytes* block, Bytes* cert) {
    HEARTH_CHECK(read_ < count_);
    const std::string where = AtHeight(first_ + read_);
    HEARTH_RETURN_IF_ERROR(Blob(where + ": block", kBlockBytesMax, block));
    HEARTH_RETURN_IF_ERROR(Blob(where + ": certificate", kCertificateBytesMax, cert));
    ++read_;
    return Status::Ok();
  }

  Status Finish() const {
    if (src_->remaining() != 0) {
      return Status::VerifyFailed("file: " + std::to_string(src_->remaining()) +
                                  " bytes after the last record");
    }
    return Status::Ok();
  }

 private:
  Status Blob(const std::string& what, size_t max_bytes, Bytes* out) {
    if (src_->remaining() < 4) return Status::VerifyFailed(what + ": length truncated (file ends)");
    uint8_t l[4];
    HEARTH_RETURN_IF_ERROR(src_->Read(l, 4));
    const uint64_t len = GetLE(l, 4);
    if (len > max_bytes) {
      return Status::VerifyFailed(what + ": length " + std::to_string(len) + " exceeds the maximum " +
                                  std::to_string(max_bytes));
    }
    if (len > src_->remaining()) {
      return Status::VerifyFailed(what + ": length " + std::to_string(len) + " runs past the end of the file (" +
                                  std::to_string(src_->remaining()) + " bytes left)");
    }
    out->resize(len);
    return src_->Read(out->data(), len);
  }

  Source* src_;
  Hash32 genesis_hash_;
  uint64_t first_ = 0, count_ = 0, read_ = 0;
};

}  // namespace

Result<ChainExport> ReadExport(ByteView bytes) {
  MemSource src(bytes);
  ExportReader rd(&src);
  HEARTH_RETURN_IF_ERROR(rd.ReadHeader());
  ChainExport e;
  e.genesis_hash = rd.genesis_hash();
  e.first_height = rd.first_height();
  for (uint64_t i = 0; i < rd.count(); ++i) {
    ExportRecord r;
    HEARTH_RETURN_IF_ERROR(rd.Next(&r.block, &r.certificate));
    e.records.push_back(std::move(r));
  }
  HEARTH_RETURN_IF_ERROR(rd.Finish());
  return e;
}

// ---- Audit ----

namespace {

// The right frontier of the RFC 9162 log: O(log n) hashes, enough for the root.
class LogFrontier {
 public:
  explicit LogFrontier(Suite suite) : suite_(suite) {}
  // Appends a complete subtree of 2^level leaves with root `root`.
  // REQUIRES: size() is a multiple of 2^level (the subtree is aligned in the log).
  void AppendSubtree(int level, const Hash32& root) {
    HEARTH_CHECK(level >= 0 && level < merkle::kLevelMax &&
                 (size_ & ((uint64_t{1} << level) - 1)) == 0);
    Hash32 h = root;
    size_t l = static_cast<size_t>(level);
    while (((size_ >> l) & 1) != 0) {  // merge the complete subtrees to the left
      h = merkle::NodeHash(suite_, nodes_[l], h);
      ++l;
    }
    HEARTH_CHECK(l < nodes_.size());
    nodes_[l] = h;
    size_ += uint64_t{1} << level;
  }
  uint64_t size() const { return size_; }
  Hash32 Root() const {
    if (size_ == 0) return merkle::EmptyRoot(suite_);
    std::optional<Hash32> acc;
    for (size_t l = 0; l < nodes_.size(); ++l) {
      if (((size_ >> l) & 1) == 0) continue;
      acc = acc ? merkle::NodeHash(suite_, nodes_[l], *acc) : nodes_[l];
    }
    return *acc;
  }

 private:
  Suite suite_;
  uint64_t size_ = 0;
  std::array<Hash32, merkle::kLevelMax + 1> nodes_{};
};

// A complete subtree of the log: 2^level leaves, aligned (its first position a multiple of
// 2^level).
struct Subtree {
  int level = 0;
  Hash32 root;
};

// Leaves at log positions [start, start + leaves.size()) as the fewest aligned complete
// subtrees, left to right: what LogFrontier::AppendSubtree takes.
std::vector<Subtree> AlignedSubtrees(Suite suite, uint64_t start, std::span<const Hash32> leaves) {
  std::vector<Subtree> out;
  uint64_t pos = start;
  size_t i = 0;
  while (i < leaves.size()) {
    int level = pos == 0 ? merkle::kLevelMax - 1 : std::min(std::countr_zero(pos), merkle::kLevelMax - 1);
    while ((uint64_t{1} << level) > leaves.size() - i) --level;
    const size_t len = size_t{1} << level;
    out.push_back({level, merkle::RootOf(suite, leaves.subspan(i, len))});
    pos += len;
    i += len;
  }
  return out;
}

// The transaction ids seen so far: open addressing with linear probing over a power-of-two
// table kept at most half full (no allocation per id). Slots mix the id with a random
// per-audit seed, so ids ground to collide in the table cannot make inserts slow. The zero
// id (not a plausible hash) is kept aside because zero marks an empty slot.
class IdSet {
 public:
  IdSet() : seed_((uint64_t{std::random_device{}()} << 32) ^ std::random_device{}()) {}
  // False when `id` was already in the set.
  bool Insert(const Hash32& id) {
    if (id.IsZero()) return !std::exchange(has_zero_, true);
    if (2 * (size_ + 1) > slots_.size()) Grow();
    if (!Place(slots_, id)) return false;
    ++size_;
    return true;
  }

 private:
  static constexpr size_t kSlotsMin = 1024;
  size_t SlotOf(const Hash32& id) const {
    uint64_t a = 0, b = 0;
    std::memcpy(&a, id.bytes.data(), 8);
    std::memcpy(&b, id.bytes.data() + 8, 8);
    uint64_t x = (a ^ seed_) * 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 32) ^ b) * 0xd6e8feb86659fd93ull;
    return static_cast<size_t>(x ^ (x >> 32));
  }
  bool Place(std::vector<Hash32>& slots, const Hash32& id) const {
    const size_t mask = slots.size() - 1;
    for (size_t i = SlotOf(id) & mask;; i = (i + 1) & mask) {
      if (slots[i].IsZero()) {
        slots[i] = id;
        return true;
      }
      if (slots[i] == id) return false;
    }
  }
  void Grow() {
    std::vector<Hash32> bigger(std::max(kSlotsMin, 2 * slots_.size()));
    for (const Hash32& id : slots_) {
      if (!id.IsZero()) Place(bigger, id);
    }
    slots_ = std::move(bigger);
  }

  uint64_t seed_;
  std::vector<Hash32> slots_;
  size_t size_ = 0;
  bool has_zero_ = false;
};

// An in-memory KvReader/KvWriter for an AuthIndex that is only ever asked about its latest
// version: one entry per page position (a page written there replaces the one before, which
// the latest root no longer reaches), list entries are not kept (ApplyBlock never reads
// them) and only the latest root record is. Keys follow auth_index.h "Storage" under the
// one-byte prefix 'i': 'p' ‖ u64 BE version ‖ u16 BE depth ‖ path bytes, 'r' ‖ u64 BE
// version, 'l' ‖ ..., 'm'. Dropping too much would show as Corruption ("missing"), never as
// a wrong root: pages are checked against their parents' hashes when read.
class LatestIndexKv final : public KvReader, public KvWriter {
 public:
  static constexpr char kPrefix = 'i';
  Status Get(std::string_view key, std::string* value) const override {
    const Entry* e = nullptr;
    uint64_t version = 0;
    if (key.size() >= 2 && key[0] == kPrefix) {
      if (key[1] == 'p') {
        PagePos pos;
        if (ParsePage(key, &pos, &version)) {
          auto it = pages_.find(pos);
          if (it != pages_.end()) e = &it->second;
        }
      } else if (key[1] == 'r' && key.size() == 10) {
        version = BigEndian(key.substr(2));
        e = &root_;
      } else if (key.size() == 2 && key[1] == 'm') {
        e = &meta_;
      }
    }
    if (e == nullptr || !e->present || e->version != version) return Status::NotFound("no key");
    *value = e->value;
    return Status::Ok();
  }
  // Only list entries are ever scanned (AuthIndex::CommittedListUpTo), and none are kept.
  Status Scan(std::string_view begin, std::string_view, size_t, const ScanFn&) const override {
    HEARTH_CHECK_MSG(begin.size() >= 2 && begin[0] == kPrefix && begin[1] == 'l',
                     "the audit's index scans list entries only");
    return Status::Ok();
  }
  void Put(std::string_view key, std::string_view value) override {
    HEARTH_CHECK(key.size() >= 2 && key[0] == kPrefix);
    uint64_t version = 0;
    Entry* e = nullptr;
    switch (key[1]) {
      case 'l':
        return;
      case 'p': {
        PagePos pos;
        HEARTH_CHECK(ParsePage(key, &pos, &version));
        e = &pages_[pos];
        break;
      }
      case 'r':
        HEARTH_CHECK(key.size() == 10);
        version = BigEndian(key.substr(2));
        e = &root_;
        break;
      default:
        HEARTH_CHECK(key.size() == 2 && key[1] == 'm');
        e = &meta_;
    }
    e->present = true;
    e->version = version;
    e->value.assign(value);  // reuses the buffer of the page replaced
  }
  void Delete(std::string_view) override { HEARTH_CHECK_MSG(false, "the audit's index never deletes"); }

 private:
  struct Entry {
    bool present = false;
    uint64_t version = 0;
    std::string value;
  };
  struct PagePos {
    uint16_t depth = 0;
    std::array<uint8_t, 32> path{};
    friend bool operator==(const PagePos&, const PagePos&) = default;
  };
  struct PagePosHash {
    size_t operator()(const PagePos& p) const noexcept {
      uint64_t x = p.depth;
      for (size_t i = 0; i < p.path.size(); i += 8) {
        uint64_t w = 0;
        std::memcpy(&w, p.path.data() + i, 8);
        x = (x ^ w) * 0x9e3779b97f4a7c15ull;
        x ^= x >> 29;
      }
      return static_cast<size_t>(x);
    }
  };
  static uint64_t BigEndian(std::string_view b) {
    uint64_t v = 0;
    for (char c : b) v = (v << 8) | static_cast<uint8_t>(c);
    return v;
  }
  // 'i' 'p' ‖ u64 BE version ‖ u16 BE depth ‖ ceil(depth / 8) path bytes.
  static bool ParsePage(std::string_view key, PagePos* pos, uint64_t* version) {
    if (key.size() < 12) return false;
    *version = BigEndian(key.substr(2, 8));
    const uint64_t depth = BigEndian(key.substr(10, 2));
    const size_t path_bytes = static_cast<size_t>((depth + 7) / 8);
    if (depth > kIndexKeyBits || key.size() != 12 + path_bytes) return false;
    pos->depth = static_cast<uint16_t>(depth);
    std::memcpy(pos->path.data(), key.data() + 12, path_bytes);
    return true;
  }

  std::unordered_map<PagePos, Entry, PagePosHash> pages_;
  Entry root_, meta_;
};

// Where a problem is: (height, position); position -1 for the block itself, the tx
// position, or tx_count for the block's roots. The first in log order is reported.
struct Problem {
  uint64_t height = UINT64_MAX;
  int64_t position = 0;
  std::string message;
  bool Before(uint64_t h, int64_t p) const { return height < h || (height == h && position <= p); }
};

// One block on its way through the pipeline. The reader fills the input, one stage-1 run
// the results, stage 2 the keys; each hands it on through the pool's mutex (`done`, the
// queues), and signature jobs only read it after stage 2 released them.
struct BlockSlot {
  uint64_t height = 0;
  Bytes block_bytes, cert_bytes;  // dropped by stage 1
  uint64_t record_bytes = 0;      // their sizes, for the lookahead bound
  Status read_status;             // not ok: the record did not read (no stage 1)
  bool done = false;              // stage 1 finished or skipped; GUARDED_BY the pool's mutex
  bool skipped = false;           // a problem below this height was known: nothing computed
  // Stage 1: the first problem among decoding, height and chain (`early`, checked before
  // the link to the parent), and among proposer and certificate (`late`).
  Status early, late;
  Block block;
  CommitCertificate cert;
  Hash32 block_hash;
  uint64_t cert_signatures = 0;
  double cert_cpu_seconds = 0;
  bool log_start_valid = false;  // header.log_size >= tx_count
  uint64_t log_start = 0;        // header.log_size - tx_count: where the header says the
                                 // block's leaves start; log_subtrees assume it
  std::vector<Subtree> log_subtrees;
  std::vector<IndexUpdate> updates;  // log order
  // Stage 2: the key each transaction's signature must verify with (owned by the
  // registry, a std::map: stable addresses, and the key member never changes).
  std::vector<const PublicKey*> keys;
};
using SlotPtr = std::shared_ptr<BlockSlot>;

// What stage 1 needs from genesis (read-only, shared by the threads).
struct ChainContext {
  Suite suite = Suite::kEd25519Sha256;
  std::string chain_id;
  size_t members = 0;
  uint32_t f = 0;
  std::vector<PublicKey> node_keys;
  explicit ChainContext(const Genesis& g) : suite(g.suite), chain_id(g.chain_id), members(g.members.size()), f(g.f) {
    for (const GenesisMember& m : g.members) node_keys.push_back(m.node_key);
  }
};

Status CheckCertificate(const ChainContext& c, BlockSlot* s) {
  const BlockHeader& h = s->block.header;
  if (h.proposer >= c.members) {
    return Status::VerifyFailed("proposer " + std::to_string(h.proposer) + " is not a member");
  }
  auto cert = DecodeCertificate(s->cert_bytes);
  if (!cert.ok()) return cert.status().Annotate("certificate does not decode");
  s->cert = std::move(cert).value();
  if (s->cert.height != s->height || s->cert.block_hash != s->block_hash) {
    return Status::VerifyFailed("certificate is for height " + std::to_string(s->cert.height) + " block " +
                                ShortHex(s->cert.block_hash) + ", not this block");
  }
  s->cert_signatures = s->cert.votes.size();
  const double cpu0 = ThreadCpuSeconds();
  Status v = VerifyCommit(h, s->cert, c.node_keys, c.f);
  s->cert_cpu_seconds = ThreadCpuSeconds() - cpu0;
  if (!v.ok()) return Status::VerifyFailed("certificate: " + v.message());
  return Status::Ok();
}

// Stage 1 for one block: everything that needs no earlier block.
void Prepare(const ChainContext& c, BlockSlot* s) {
  auto block = DecodeBlock(s->block_bytes);
  if (!block.ok()) {
    s->early = block.status().Annotate("block does not decode");
    return;
  }
  s->block = std::move(block).value();
  const BlockHeader& h = s->block.header;
  if (h.height != s->height) {
    s->early = Status::VerifyFailed("header height is " + std::to_string(h.height) + ", expected " +
                                    std::to_string(s->height));
    return;
  }
  if (h.suite != c.suite || h.chain_id != c.chain_id) {
    s->early = Status::VerifyFailed("block of another chain (suite or chain id differs from genesis)");
    return;
  }
  s->block_hash = BlockHash(h);
  s->late = CheckCertificate(c, s);
  if (!s->late.ok()) return;
  const std::vector<Transaction>& txs = s->block.txs;
  std::vector<Hash32> leaves;
  leaves.reserve(txs.size());
  for (const Transaction& tx : txs) {
    leaves.push_back(merkle::LeafHash(c.suite, tx.id().view()));
    for (const Hash32& key : IndexKeysOf(c.suite, tx)) s->updates.push_back({key, tx.id()});
  }
  if (h.log_size >= txs.size()) {
    s->log_start_valid = true;
    s->log_start = h.log_size - txs.size();
    s->log_subtrees = AlignedSubtrees(c.suite, s->log_start, leaves);
  }
}

struct SigJob {
  std::shared_ptr<const BlockSlot> slot;
  uint32_t begin = 0, end = 0;  // tx positions
};

// Threads for stage 1 and signatures: `threads - 1` workers plus the caller, which runs
// jobs while it waits (WaitPrepared) or while too many signatures are queued (Throttle).
class AuditPool {
 public:
  AuditPool(unsigned threads, const ChainContext& c) : c_(c) {
    for (unsigned i = 1; i < threads; ++i) {
      workers_.emplace_back([this] { WorkerLoop(); });
      api::SetThreadName(workers_.back(), "audit");
    }
  }
  ~AuditPool() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    work_cv_.notify_all();
    for (std::thread& t : workers_) t.join();
  }
  AuditPool(const AuditPool&) = delete;
  AuditPool& operator=(const AuditPool&) = delete;

  void SubmitPrepare(SlotPtr slot) {
    {
      std::lock_guard lock(mu_);
      prep_queue_.push_back(std::move(slot));
    }
    work_cv_.notify_one();
  }
  // A slot that needs no stage 1 (a record that did not read).
  void MarkDone(BlockSlot* slot) {
    std::lock_guard lock(mu_);
    slot->done = true;
  }
  void SubmitSigs(SigJob job) {
    {
      std::lock_guard lock(mu_);
      queued_sigs_ += job.end - job.begin;
      ++sig_jobs_outstanding_;
      sig_queue_.push_back(std::move(job));
    }
    work_cv_.notify_one();
  }
  // Returns when stage 1 of `slot` has run, running queued jobs meanwhile.
  void WaitPrepared(const BlockSlot& slot) {
    std::unique_lock lock(mu_);
    while (!slot.done) {
      if (!RunQueuedJob(lock)) done_cv_.wait(lock);
    }
  }
  // Runs signature jobs on the caller while more than `max` signatures are queued.
  void Throttle(size_t max) {
    std::unique_lock lock(mu_);
    while (queued_sigs_ > max && RunQueuedJob(lock)) {
    }
  }
  // Runs or waits for every signature job submitted.
  void DrainSigs() {
    std::unique_lock lock(mu_);
    while (sig_jobs_outstanding_ > 0) {
      if (!RunQueuedJob(lock)) done_cv_.wait(lock);
    }
  }
  void Report(uint64_t height, int64_t position, std::string message) {
    std::lock_guard lock(mu_);
    if (problem_.Before(height, position)) return;
    problem_ = Problem{height, position, std::move(message)};
    first_bad_height_.store(height);
  }
  uint64_t first_bad_height() const { return first_bad_height_.load(); }
  Problem problem() {
    std::lock_guard lock(mu_);
    return problem_;
  }
  uint64_t signatures() const { return signatures_.load(); }
  double signature_cpu_seconds() {
    std::lock_guard lock(mu_);
    return signature_cpu_seconds_;
  }
  // Stage 1 verifies certificates: their CPU counts as signature work too.
  void AddCpu(double seconds) {
    std::lock_guard lock(mu_);
    signature_cpu_seconds_ += seconds;
  }

 private:
  // Runs the next job (stage 1 first) with `lock` released; false when both queues are
  // empty. REQUIRES: lock holds mu_.
  bool RunQueuedJob(std::unique_lock<std::mutex>& lock) {
    if (!prep_queue_.empty()) {
      SlotPtr slot = std::move(prep_queue_.front());
      prep_queue_.pop_front();
      lock.unlock();
      if (slot->height > first_bad_height()) {
        slot->skipped = true;  // a problem earlier in the log: not needed
      } else {
        Prepare(c_, slot.get());
        AddCpu(slot->cert_cpu_seconds);
      }
      slot->block_bytes = Bytes();
      slot->cert_bytes = Bytes();
      lock.lock();
      slot->done = true;
      done_cv_.notify_all();
      return true;
    }
    if (!sig_queue_.empty()) {
      SigJob job = std::move(sig_queue_.front());
      sig_queue_.pop_front();
      queued_sigs_ -= job.end - job.begin;
      lock.unlock();
      RunSigs(job);
      job.slot.reset();  // the last user of a block frees it here, outside the lock
      lock.lock();
      if (--sig_jobs_outstanding_ == 0) done_cv_.notify_all();
      return true;
    }
    return false;
  }
  void WorkerLoop() {
    std::unique_lock lock(mu_);
    for (;;) {
      work_cv_.wait(lock, [this] { return stop_ || !prep_queue_.empty() || !sig_queue_.empty(); });
      if (stop_) return;
      RunQueuedJob(lock);
    }
  }
  void RunSigs(const SigJob& job) {
    const BlockSlot& s = *job.slot;
    if (s.height > first_bad_height()) return;  // a problem earlier in the log: not needed
    const double cpu0 = ThreadCpuSeconds();
    // One batch (Transaction::VerifySignatures); the first bad signature of the job is
    // reported.
    std::vector<const Transaction*> txs;
    std::vector<const PublicKey*> keys;
    for (uint32_t i = job.begin; i < job.end; ++i) {
      txs.push_back(&s.block.txs[i]);
      keys.push_back(s.keys[i]);
    }
    const std::vector<Status> verified = Transaction::VerifySignatures(txs, keys);
    for (uint32_t i = job.begin; i < job.end; ++i) {
      const Status& st = verified[i - job.begin];
      if (!st.ok()) {
        const Transaction& tx = s.block.txs[i];
        Report(s.height, i, AtHeight(s.height) + ": tx " + std::to_string(i) + " (id " +
                                ShortHex(tx.id()) + "): signature: " + st.message());
        break;
      }
    }
    signatures_.fetch_add(job.end - job.begin);
    AddCpu(ThreadCpuSeconds() - cpu0);
  }

  const ChainContext& c_;
  std::mutex mu_;
  std::condition_variable work_cv_, done_cv_;
  std::deque<SlotPtr> prep_queue_;   // GUARDED_BY(mu_)
  std::deque<SigJob> sig_queue_;     // GUARDED_BY(mu_)
  size_t queued_sigs_ = 0;           // GUARDED_BY(mu_)
  size_t sig_jobs_outstanding_ = 0;  // queued or running; GUARDED_BY(mu_)
  bool stop_ = false;                // GUARDED_BY(mu_)
  Problem problem_;                  // GUARDED_BY(mu_)
  std::atomic<uint64_t> first_bad_height_{UINT64_MAX};
  std::atomic<uint64_t> signatures_{0};
  double signature_cpu_seconds_ = 0;  // GUARDED_BY(mu_)
  std::vector<std::thread> workers_;
};

// Transactions per signature job; most signatures queued before the caller helps; blocks
// read ahead of stage 2 (per thread, and in raw bytes: at least one block is always
// allowed); threads.
constexpr uint32_t kJobTxs = kSignatureBatchMax;  // one batch of Transaction::VerifySignatures
constexpr size_t kQueuedSigsPerThread = 4096;
constexpr size_t kQueuedSigsMax = 65536;
constexpr size_t kLookaheadBlocksPerThread = 2;
constexpr uint64_t kLookaheadBytesMax = uint64_t{64} << 20;
constexpr unsigned kAuditThreadsMax = 256;

// Stage 2: the chain state after each block, in log order.
class Auditor {
 public:
  Auditor(const Genesis& g, unsigned threads)
      : g_(g),
        genesis_hash_(GenesisHash(g)),
        context_(g),
        registry_(g),
        log_(g.suite),
        index_(g.suite, &kv_, std::string(1, LatestIndexKv::kPrefix)),
        pool_(threads, context_) {
    prev_hash_ = genesis_hash_;
    parent_time_ms_ = g.genesis_time_ms;
  }

  Status Open() { return index_.Open(); }
  const Hash32& genesis_hash() const { return genesis_hash_; }
  AuditPool& pool() { return pool_; }
  AuditSummary& summary() { return summary_; }

  // Checks the prepared block in `s` and hands its signatures to the pool. A problem is
  // reported to the pool (ordered with the signature problems); false stops the audit.
  bool Step(const SlotPtr& s) {
    const uint64_t height = s->height;
    if (s->skipped) return false;
    if (!s->read_status.ok()) {
      pool_.Report(height, -1, s->read_status.message());
      return false;
    }
    Status st = CheckLinks(*s);
    if (!st.ok()) {
      pool_.Report(height, -1, AtHeight(height) + ": " + st.message());
      return false;
    }
    int64_t bad_tx = -1;
    st = ApplyTxs(s.get(), &bad_tx);
    if (!st.ok()) {
      pool_.Report(height, bad_tx, AtHeight(height) + ": " + st.message());
      return false;
    }
    const auto n = static_cast<uint32_t>(s->block.txs.size());
    for (uint32_t b = 0; b < n; b += kJobTxs) pool_.SubmitSigs(SigJob{s, b, std::min(n, b + kJobTxs)});
    st = CheckRoots(*s);
    if (!st.ok()) {
      pool_.Report(height, n, AtHeight(height) + ": " + st.message());
      return false;
    }
    prev_hash_ = s->block_hash;
    parent_time_ms_ = s->block.header.time_ms;
    cert_signatures_ += s->cert_signatures;
    ++summary_.blocks;
    return true;
  }

  void Finish() {
    summary_.log_size = log_.size();
    summary_.log_root = log_.Root();
    summary_.index_root = index_.Root();
    summary_.head_hash = prev_hash_;
    summary_.signatures = pool_.signatures() + cert_signatures_;
    summary_.signature_cpu_seconds = pool_.signature_cpu_seconds();
  }

 private:
  Status CheckLinks(const BlockSlot& s) const {
    if (!s.early.ok()) return s.early;
    const BlockHeader& h = s.block.header;
    if (h.prev_hash != prev_hash_) {
      return Status::VerifyFailed("prev_hash " + ShortHex(h.prev_hash) + " is not the hash of the " +
                                  (s.height == 1 ? std::string("genesis ") : AtHeight(s.height - 1) + " ") +
                                  ShortHex(prev_hash_));
    }
    if (h.time_ms < parent_time_ms_) return Status::VerifyFailed("block time before its parent's");
    return s.late;
  }

  static std::string TxWhere(size_t i, const Transaction& tx) {
    return "tx " + std::to_string(i) + " (id " + ShortHex(tx.id()) + ")";
  }

  // Chain rules in order, the log and the index; *bad_tx is the position at fault.
  Status ApplyTxs(BlockSlot* s, int64_t* bad_tx) {
    const std::vector<Transaction>& txs = s->block.txs;
    const uint64_t log_start = log_.size();
    s->keys.resize(txs.size());
    for (size_t i = 0; i < txs.size(); ++i) {
      const Transaction& tx = txs[i];
      *bad_tx = static_cast<int64_t>(i);
      if (!ids_.Insert(tx.id())) {
        return Status::VerifyFailed(TxWhere(i, tx) + ": already committed earlier in the chain");
      }
      RuleCheck rc = registry_.Check(tx);
      if (!rc.status.ok()) return rc.status.Annotate(TxWhere(i, tx) + ": chain rules");
      if (!rc.warning.empty()) ++summary_.revoked_signer;
      s->keys[i] = &registry_.Find(tx.body().signer)->key;
      registry_.Apply(tx, log_start + i);
      ++summary_.by_kind[static_cast<uint8_t>(tx.kind()) - static_cast<uint8_t>(TxKind::kAttestation)];
    }
    summary_.transactions += txs.size();
    *bad_tx = static_cast<int64_t>(txs.size());
    // The leaves were folded into subtrees aligned for the start the header claims; any
    // other start means the header's log size is wrong, reported by CheckRoots.
    log_matches_ = s->log_start_valid && s->log_start == log_start;
    if (log_matches_) {
      for (const Subtree& t : s->log_subtrees) log_.AppendSubtree(t.level, t.root);
    }
    auto root = index_.ApplyBlock(s->height, s->updates);
    if (!root.ok()) return root.status().Annotate("index");
    HEARTH_RETURN_IF_ERROR(index_.FlushTo(&kv_));
    index_.MarkFlushed();
    index_root_ = *root;
    return Status::Ok();
  }

  Status CheckRoots(const BlockSlot& s) const {
    const BlockHeader& h = s.block.header;
    if (!log_matches_) {
      return Status::VerifyFailed("log size in header " + std::to_string(h.log_size) + " != computed " +
                                  std::to_string(log_.size() + s.block.txs.size()));
    }
    const Hash32 log_root = log_.Root();
    if (h.log_root != log_root) {
      return Status::VerifyFailed("log root in header " + ShortHex(h.log_root) + " != computed " +
                                  ShortHex(log_root));
    }
    if (h.index_root != index_root_) {
      return Status::VerifyFailed("index root in header " + ShortHex(h.index_root) + " != computed " +
                                  ShortHex(index_root_));
    }
    return Status::Ok();
  }

  const Genesis& g_;
  Hash32 genesis_hash_;
  ChainContext context_;
  KeyRegistry registry_;
  LogFrontier log_;
  bool log_matches_ = false;
  LatestIndexKv kv_;
  AuthIndex index_;
  Hash32 index_root_;
  IdSet ids_;
  Hash32 prev_hash_;
  uint64_t parent_time_ms_ = 0;
  uint64_t cert_signatures_ = 0;
  AuditSummary summary_;
  AuditPool pool_;  // last: its workers stop before the state they read goes away
};

// The reader side of the pipeline: records read ahead of stage 2, within the bounds.
class Lookahead {
 public:
  Lookahead(ExportReader* rd, AuditPool* pool, unsigned threads)
      : rd_(rd), pool_(pool), blocks_max_(std::max<size_t>(2, kLookaheadBlocksPerThread * threads)) {}

  // Reads and submits records up to the bounds. IOError only for an unreadable file; a
  // record that does not read becomes a slot that stage 2 reports, and reading stops.
  Status Fill() {
    while (!stopped_ && next_ <= rd_->count() && slots_.size() < blocks_max_ &&
           (slots_.empty() || bytes_ < kLookaheadBytesMax)) {
      auto s = std::make_shared<BlockSlot>();
      s->height = next_++;
      Status st = rd_->Next(&s->block_bytes, &s->cert_bytes);
      if (st.code() == Code::kIOError) return st;
      s->record_bytes = s->block_bytes.size() + s->cert_bytes.size();
      bytes_ += s->record_bytes;
      slots_.push_back(s);
      if (!st.ok()) {
        s->read_status = std::move(st);
        stopped_ = true;
        pool_->MarkDone(s.get());
      } else {
        pool_->SubmitPrepare(std::move(s));
      }
    }
    return Status::Ok();
  }
  // The oldest slot read and not yet taken. REQUIRES: !empty().
  SlotPtr Take() {
    SlotPtr s = std::move(slots_.front());
    slots_.pop_front();
    bytes_ -= s->record_bytes;
    return s;
  }
  bool empty() const { return slots_.empty(); }

 private:
  ExportReader* rd_;
  AuditPool* pool_;
  size_t blocks_max_;
  uint64_t next_ = 1;
  bool stopped_ = false;
  std::deque<SlotPtr> slots_;
  uint64_t bytes_ = 0;  // record_bytes of slots_
};

Result<AuditSummary> Audit(const Genesis& g, Source* src, unsigned threads) {
  const auto t0 = std::chrono::steady_clock::now();
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads = std::min(threads, kAuditThreadsMax);
  ExportReader rd(src);
  HEARTH_RETURN_IF_ERROR(rd.ReadHeader());
  Auditor a(g, threads);
  if (rd.genesis_hash() != a.genesis_hash()) {
    return Status::VerifyFailed("file: genesis hash " + ShortHex(rd.genesis_hash()) +
                                " is not the given genesis's " + ShortHex(a.genesis_hash()) +
                                " (another chain, or the wrong genesis file)");
  }
  if (rd.first_height() != 1) {
    return Status::VerifyFailed("file: the export starts at height " + std::to_string(rd.first_height()) +
                                "; an audit needs the chain from height 1");
  }
  HEARTH_RETURN_IF_ERROR(a.Open().Annotate("audit index"));
  Lookahead ahead(&rd, &a.pool(), threads);
  const size_t queued_sigs_max = std::min(kQueuedSigsMax, kQueuedSigsPerThread * std::max(2u, threads));
  for (uint64_t h = 1; h <= rd.count(); ++h) {
    if (a.pool().first_bad_height() < h) break;  // a signature already failed below h
    HEARTH_RETURN_IF_ERROR(ahead.Fill());
    if (ahead.empty()) break;  // reading stopped at a record that did not read
    SlotPtr s = ahead.Take();
    a.pool().WaitPrepared(*s);
    if (!a.Step(s)) break;
    a.pool().Throttle(queued_sigs_max);
  }
  a.pool().DrainSigs();
  const Problem p = a.pool().problem();
  if (p.height != UINT64_MAX) return Status::VerifyFailed(p.message);
  HEARTH_RETURN_IF_ERROR(rd.Finish());
  a.Finish();
  AuditSummary s = a.summary();
  s.threads = threads;
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return s;
}

}  // namespace

Result<AuditSummary> AuditChain(const Genesis& genesis, ByteView export_bytes, unsigned threads) {
  MemSource src(export_bytes);
  return Audit(genesis, &src, threads);
}

Result<AuditSummary> AuditChainFile(const Genesis& genesis, const std::string& path, unsigned threads) {
  HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<FileSource> src, FileSource::Open(path));
  return Audit(genesis, src.get(), threads);
}

}  // namespace hearth::node
