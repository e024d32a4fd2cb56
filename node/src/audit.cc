// The chain export file, fetching it from a node, and the offline audit (contract in
// node/audit.h; the file format in docs/FORMAT.md "Chain export file").
#include "hearth/node/audit.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "hearth/ledger/auth_index.h"
#include "hearth/ledger/block.h"
#include "hearth/ledger/index_keys.h"
#include "hearth/ledger/kv.h"
#include "hearth/ledger/merkle.h"
#include "hearth/node/chain_rules.h"
#include "hearth/node/http_client.h"
#include "hearth/node/node_api.h"

namespace hearth::node {

namespace {

std::string ShortHex(const Hash32& h) { return h.Hex().substr(0, 16) + "…"; }

std::string AtHeight(uint64_t h) { return "height " + std::to_string(h); }

void PutLE(Bytes* out, uint64_t v, int width) {
  for (int i = 0; i < width; ++i) out->push_back(static_cast<uint8_t>(v >> (8 * i)));
}

uint64_t GetLE(const uint8_t* p, int width) {
  uint64_t v = 0;
  for (int i = width - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

Bytes EncodeHeader(const Hash32& genesis_hash, uint64_t first_height, uint64_t count) {
  Bytes out(kExportMagic.begin(), kExportMagic.end());
  out.push_back(kExportVersion);
  out.insert(out.end(), genesis_hash.bytes.begin(), genesis_hash.bytes.end());
  PutLE(&out, first_height, 8);
  PutLE(&out, count, 8);
  return out;
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

// ---- Writing ----

Bytes EncodeExport(const ChainExport& e) {
  HEARTH_CHECK(e.first_height >= 1);
  Bytes out = EncodeHeader(e.genesis_hash, e.first_height, e.records.size());
  for (const ExportRecord& r : e.records) {
    HEARTH_CHECK(r.block.size() <= kBlockBytesMax && r.certificate.size() <= kCertificateBytesMax);
    PutLE(&out, r.block.size(), 4);
    out.insert(out.end(), r.block.begin(), r.block.end());
    PutLE(&out, r.certificate.size(), 4);
    out.insert(out.end(), r.certificate.begin(), r.certificate.end());
  }
  return out;
}

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

namespace {

Status WriteAll(int fd, ByteView b, const std::string& path) {
  size_t done = 0;
  while (done < b.size()) {
    const ssize_t n = ::write(fd, b.data() + done, b.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::IOError(path + ": write: " + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<ExportWriter>> ExportWriter::Create(const std::string& path,
                                                           const Hash32& genesis_hash,
                                                           uint64_t first_height) {
  if (first_height == 0) return Status::InvalidArgument("export: heights start at 1");
  auto w = std::unique_ptr<ExportWriter>(new ExportWriter());
  w->path_ = path;
  w->tmp_path_ = path + ".tmp-" + std::to_string(::getpid());
  w->fd_ = ::open(w->tmp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (w->fd_ < 0) return Status::IOError(w->tmp_path_ + ": " + std::strerror(errno));
  const Bytes header = EncodeHeader(genesis_hash, first_height, 0);
  HEARTH_RETURN_IF_ERROR(WriteAll(w->fd_, header, w->tmp_path_));
  w->bytes_ = header.size();
  return w;
}

ExportWriter::~ExportWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!finished_ && !tmp_path_.empty()) ::unlink(tmp_path_.c_str());
}

Status ExportWriter::Append(ByteView block, ByteView certificate) {
  HEARTH_CHECK(!finished_ && fd_ >= 0);
  if (block.size() > kBlockBytesMax || certificate.size() > kCertificateBytesMax) {
    return Status::InvalidArgument("export: block of " + std::to_string(block.size()) +
                                   " bytes or certificate of " + std::to_string(certificate.size()) +
                                   " bytes exceeds its maximum");
  }
  if (count_ >= kExportBlocksMax) return Status::InvalidArgument("export: too many blocks");
  Bytes len;
  PutLE(&len, block.size(), 4);
  HEARTH_RETURN_IF_ERROR(WriteAll(fd_, len, tmp_path_));
  HEARTH_RETURN_IF_ERROR(WriteAll(fd_, block, tmp_path_));
  len.clear();
  PutLE(&len, certificate.size(), 4);
  HEARTH_RETURN_IF_ERROR(WriteAll(fd_, len, tmp_path_));
  HEARTH_RETURN_IF_ERROR(WriteAll(fd_, certificate, tmp_path_));
  ++count_;
  bytes_ += 8 + block.size() + certificate.size();
  return Status::Ok();
}

Status ExportWriter::Finish() {
  HEARTH_CHECK(!finished_ && fd_ >= 0);
  Bytes count;
  PutLE(&count, count_, 8);
  if (::pwrite(fd_, count.data(), count.size(), kExportHeaderBytes - 8) != 8) {
    return Status::IOError(tmp_path_ + ": pwrite: " + std::strerror(errno));
  }
  if (::fsync(fd_) != 0) return Status::IOError(tmp_path_ + ": fsync: " + std::strerror(errno));
  ::close(fd_);
  fd_ = -1;
  if (::rename(tmp_path_.c_str(), path_.c_str()) != 0) {
    return Status::IOError(path_ + ": rename: " + std::strerror(errno));
  }
  finished_ = true;
  return Status::Ok();
}

Status WriteExport(const std::string& path, const ChainExport& e) {
  HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<ExportWriter> w,
                          ExportWriter::Create(path, e.genesis_hash, e.first_height));
  for (const ExportRecord& r : e.records) HEARTH_RETURN_IF_ERROR(w->Append(r.block, r.certificate));
  return w->Finish();
}

// ---- Fetching from a node ----

namespace {

// One GET /v1/blocks answer, parsed: its blocks appended to the writer. Returns the head
// the node reported.
Result<uint64_t> FetchRange(HttpClient& client, const ExportFetchOptions& o, uint64_t from,
                            uint64_t to, ExportWriter* w, uint64_t* next) {
  const std::string target = "/v1/blocks?from=" + std::to_string(from) + "&to=" + std::to_string(to);
  HEARTH_ASSIGN_OR_RETURN(HttpReply reply,
                          client.Call("GET", target, "", {{"Authorization", "Bearer " + o.token}},
                                      o.request_timeout_ms));
  const std::string where = o.base_url + target;
  if (reply.status == 401 || reply.status == 403) {
    return Status::VerifyFailed(where + ": refused (" + std::to_string(reply.status) + "): " +
                                reply.body.substr(0, 300));
  }
  if (reply.status != 200) {
    return Status::FailedPrecondition(where + ": HTTP " + std::to_string(reply.status) + ": " +
                                      reply.body.substr(0, 300));
  }
  const nlohmann::json j = nlohmann::json::parse(reply.body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("head") || !j["head"].is_number_unsigned() ||
      !j.contains("blocks") || !j["blocks"].is_array()) {
    return Status::FailedPrecondition(where + ": answer is not {head, blocks}");
  }
  for (const nlohmann::json& b : j["blocks"]) {
    const std::string at = where + ": height " + std::to_string(*next);
    if (!b.is_object() || !b.contains("height") || !b["height"].is_number_unsigned() ||
        b["height"].get<uint64_t>() != *next || !b.contains("block") || !b["block"].is_string() ||
        !b.contains("certificate") || !b["certificate"].is_string()) {
      return Status::FailedPrecondition(at + ": entry is not {height, block, certificate} in order");
    }
    if (b["block"].get_ref<const std::string&>().size() > 2 * kBlockBytesMax ||
        b["certificate"].get_ref<const std::string&>().size() > 2 * kCertificateBytesMax) {
      return Status::FailedPrecondition(at + ": block or certificate too large");
    }
    auto block = FromHex(b["block"].get<std::string>());
    auto cert = FromHex(b["certificate"].get<std::string>());
    if (!block.ok() || !cert.ok()) return Status::FailedPrecondition(at + ": not hex");
    auto hb = DecodeBlock(*block);
    auto hc = DecodeCertificate(*cert);
    if (!hb.ok()) return Status::FailedPrecondition(at + ": block: " + hb.status().message());
    if (!hc.ok()) return Status::FailedPrecondition(at + ": certificate: " + hc.status().message());
    if (hb->header.height != *next || hc->height != *next) {
      return Status::FailedPrecondition(at + ": block or certificate names another height");
    }
    HEARTH_RETURN_IF_ERROR(w->Append(*block, *cert));
    ++*next;
  }
  return j["head"].get<uint64_t>();
}

}  // namespace

Result<ExportFetchSummary> ExportFromNode(const ExportFetchOptions& o) {
  if (o.from == 0) return Status::InvalidArgument("--from: heights start at 1");
  if (o.to != 0 && o.to < o.from) return Status::InvalidArgument("--to is below --from");
  HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<HttpClient> client, HttpClient::Create(o.base_url, o.ca_cert_pem));
  HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<ExportWriter> w,
                          ExportWriter::Create(o.out, o.genesis_hash, o.from));
  uint64_t next = o.from;
  uint64_t to = o.to;
  while (to == 0 || next <= to) {
    const uint64_t ask_to = to == 0 ? next + kBlocksPerRangeMax - 1 : std::min(to, next + kBlocksPerRangeMax - 1);
    const uint64_t before = next;
    HEARTH_ASSIGN_OR_RETURN(uint64_t head, FetchRange(*client, o, next, ask_to, w.get(), &next));
    if (to == 0) {
      if (head < o.from) {
        return Status::InvalidArgument("--from " + std::to_string(o.from) + ": the node's head is " +
                                       std::to_string(head));
      }
      to = head;
    } else if (to > head && next > head) {
      return Status::InvalidArgument("--to " + std::to_string(to) + ": the node's head is " +
                                     std::to_string(head));
    }
    if (next == before && next <= to) {
      return Status::FailedPrecondition(o.base_url + ": no block returned for height " + std::to_string(next));
    }
  }
  ExportFetchSummary s;
  s.first_height = o.from;
  s.last_height = next - 1;
  s.blocks = w->count();
  s.file_bytes = w->bytes();
  HEARTH_RETURN_IF_ERROR(w->Finish());
  return s;
}

// ---- Audit ----

namespace {

// The right frontier of the RFC 9162 log: O(log n) hashes, enough for the root.
class LogFrontier {
 public:
  explicit LogFrontier(Suite suite) : suite_(suite) {}
  void Append(const Hash32& leaf_hash) {
    Hash32 h = leaf_hash;
    int level = 0;
    while ((size_ >> level) & 1) {  // merge the complete subtrees to the left
      h = merkle::NodeHash(suite_, nodes_[static_cast<size_t>(level)], h);
      ++level;
    }
    nodes_[static_cast<size_t>(level)] = h;
    ++size_;
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
  std::array<Hash32, 64> nodes_{};
};

// An in-memory KvReader/KvWriter for an AuthIndex that is only ever asked about its latest
// version: a page written at a position replaces the page stored there before (pages no
// longer reachable from the latest root), list entries are not kept (ApplyBlock never reads
// them) and only the latest root record is. Keys follow auth_index.h "Storage" under the
// one-byte prefix 'i': 'p' ‖ u64 BE version ‖ u16 BE depth ‖ path bytes, 'r' ‖ u64 BE
// version, 'l' ‖ ..., 'm'. Dropping too much would show as Corruption ("missing"), never as
// a wrong root: pages are checked against their parents' hashes when read.
class LatestIndexKv final : public KvReader, public KvWriter {
 public:
  static constexpr char kPrefix = 'i';
  Status Get(std::string_view key, std::string* value) const override {
    auto it = map_.find(std::string(key));
    if (it == map_.end()) return Status::NotFound("no key");
    *value = it->second;
    return Status::Ok();
  }
  void Put(std::string_view key, std::string_view value) override {
    HEARTH_CHECK(key.size() >= 2 && key[0] == kPrefix);
    const char tag = key[1];
    if (tag == 'l') return;
    std::string slot;
    if (tag == 'p') {
      HEARTH_CHECK(key.size() >= 12);
      slot = std::string(key.substr(0, 2)).append(key.substr(10));  // without the version
    } else if (tag == 'r') {
      slot = "r";
    }
    if (!slot.empty()) {
      auto [it, inserted] = latest_.try_emplace(slot, key);
      if (!inserted && it->second != key) {
        map_.erase(it->second);
        it->second = std::string(key);
      }
    }
    map_.insert_or_assign(std::string(key), std::string(value));
  }
  void Delete(std::string_view key) override { map_.erase(std::string(key)); }

 private:
  std::unordered_map<std::string, std::string> map_;
  std::unordered_map<std::string, std::string> latest_;  // position -> its current key
};

// Where a problem is: (height, position); position -1 for the block itself, the tx
// position, or tx_count for the block's roots. The first in log order is reported.
struct Problem {
  uint64_t height = UINT64_MAX;
  int64_t position = 0;
  std::string message;
  bool Before(uint64_t h, int64_t p) const { return height < h || (height == h && position <= p); }
};

// A decoded block with the key each transaction's signature must verify with.
struct BlockWork {
  uint64_t height = 0;
  Block block;
  CommitCertificate cert;
  std::vector<const PublicKey*> keys;  // owned by the registry (std::map: stable addresses)
};

struct SigJob {
  std::shared_ptr<const BlockWork> work;
  uint32_t begin = 0, end = 0;  // tx positions
  bool certificate = false;
};

// Signature checks on `threads - 1` workers plus the caller (RunOne / Drain).
class VerifyPool {
 public:
  VerifyPool(unsigned threads, const Genesis& g) : f_(g.f) {
    for (const GenesisMember& m : g.members) node_keys_.push_back(m.node_key);
    for (unsigned i = 1; i < threads; ++i) workers_.emplace_back([this] { WorkerLoop(); });
  }
  ~VerifyPool() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : workers_) t.join();
  }

  void Submit(SigJob job) {
    {
      std::lock_guard lock(mu_);
      queued_sigs_ += job.end - job.begin + (job.certificate ? 1 : 0);
      queue_.push_back(std::move(job));
      ++outstanding_;
    }
    cv_.notify_one();
  }
  size_t queued_sigs() {
    std::lock_guard lock(mu_);
    return queued_sigs_;
  }
  // Runs one queued job on the calling thread; false when the queue was empty.
  bool RunOne() {
    SigJob job;
    {
      std::lock_guard lock(mu_);
      if (queue_.empty()) return false;
      job = Pop();
    }
    Run(job);
    Done();
    return true;
  }
  // Runs or waits for every submitted job.
  void Drain() {
    while (RunOne()) {
    }
    std::unique_lock lock(mu_);
    idle_cv_.wait(lock, [this] { return outstanding_ == 0; });
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

 private:
  SigJob Pop() {  // REQUIRES: mu_ held, queue not empty
    SigJob job = std::move(queue_.front());
    queue_.pop_front();
    queued_sigs_ -= job.end - job.begin + (job.certificate ? 1 : 0);
    return job;
  }
  void Done() {
    std::lock_guard lock(mu_);
    if (--outstanding_ == 0) idle_cv_.notify_all();
  }
  void WorkerLoop() {
    for (;;) {
      SigJob job;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
        if (queue_.empty()) return;
        job = Pop();
      }
      Run(job);
      Done();
    }
  }
  void Run(const SigJob& job) {
    const BlockWork& w = *job.work;
    if (w.height > first_bad_height()) return;  // a problem earlier in the log: not needed
    uint64_t n = 0;
    if (job.certificate) {
      Status s = VerifyCommit(w.block.header, w.cert, node_keys_, f_);
      n += w.cert.votes.size();
      if (!s.ok()) Report(w.height, -1, AtHeight(w.height) + ": certificate: " + s.message());
    }
    for (uint32_t i = job.begin; i < job.end; ++i) {
      const Transaction& tx = w.block.txs[i];
      Status s = tx.VerifySignature(*w.keys[i]);
      ++n;
      if (!s.ok()) {
        Report(w.height, i, AtHeight(w.height) + ": tx " + std::to_string(i) + " (id " +
                                ShortHex(tx.id()) + "): signature: " + s.message());
        break;
      }
    }
    signatures_.fetch_add(n);
  }

  uint32_t f_;
  std::vector<PublicKey> node_keys_;
  std::mutex mu_;
  std::condition_variable cv_, idle_cv_;
  std::deque<SigJob> queue_;
  size_t queued_sigs_ = 0;
  size_t outstanding_ = 0;
  bool stop_ = false;
  Problem problem_;
  std::atomic<uint64_t> first_bad_height_{UINT64_MAX};
  std::atomic<uint64_t> signatures_{0};
  std::vector<std::thread> workers_;
};

// Transactions per verification job, and most signatures queued before the caller helps.
constexpr uint32_t kJobTxs = 64;
constexpr size_t kQueuedSigsMax = 8192;
constexpr unsigned kAuditThreadsMax = 256;

// The sequential part of the audit: the chain state after each block, in log order.
class Auditor {
 public:
  Auditor(const Genesis& g, unsigned threads)
      : g_(g),
        genesis_hash_(GenesisHash(g)),
        registry_(g),
        log_(g.suite),
        index_(g.suite, &kv_, std::string(1, LatestIndexKv::kPrefix)),
        pool_(threads, g) {
    prev_hash_ = genesis_hash_;
    parent_time_ms_ = g.genesis_time_ms;
  }

  Status Open() { return index_.Open(); }
  const Hash32& genesis_hash() const { return genesis_hash_; }
  VerifyPool& pool() { return pool_; }
  AuditSummary& summary() { return summary_; }

  // Checks block `height` and hands its signatures to the pool. A problem is reported to
  // the pool (ordered with the signature problems); false stops the audit.
  bool Step(uint64_t height, ByteView block_bytes, ByteView cert_bytes) {
    auto work = std::make_shared<BlockWork>();
    work->height = height;
    Status s = CheckBlock(height, block_bytes, cert_bytes, work.get());
    if (!s.ok()) {
      pool_.Report(height, -1, AtHeight(height) + ": " + s.message());
      return false;
    }
    int64_t bad_tx = -1;
    s = ApplyTxs(work.get(), &bad_tx);
    if (!s.ok()) {
      pool_.Report(height, bad_tx, AtHeight(height) + ": " + s.message());
      return false;
    }
    std::shared_ptr<const BlockWork> shared = work;
    const auto n = static_cast<uint32_t>(work->block.txs.size());
    pool_.Submit(SigJob{shared, 0, std::min(n, kJobTxs), true});
    for (uint32_t b = kJobTxs; b < n; b += kJobTxs) pool_.Submit(SigJob{shared, b, std::min(n, b + kJobTxs), false});
    s = CheckRoots(*work);
    if (!s.ok()) {
      pool_.Report(height, n, AtHeight(height) + ": " + s.message());
      return false;
    }
    while (pool_.queued_sigs() > kQueuedSigsMax && pool_.RunOne()) {
    }
    prev_hash_ = BlockHash(work->block.header);
    parent_time_ms_ = work->block.header.time_ms;
    ++summary_.blocks;
    return true;
  }

  void Finish() {
    summary_.log_size = log_.size();
    summary_.log_root = log_.Root();
    summary_.index_root = index_.Root();
    summary_.head_hash = prev_hash_;
    summary_.signatures = pool_.signatures();
  }

 private:
  Status CheckBlock(uint64_t height, ByteView block_bytes, ByteView cert_bytes, BlockWork* w) {
    auto block = DecodeBlock(block_bytes);
    if (!block.ok()) return block.status().Annotate("block does not decode");
    w->block = std::move(block).value();
    const BlockHeader& h = w->block.header;
    if (h.height != height) {
      return Status::VerifyFailed("header height is " + std::to_string(h.height) + ", expected " +
                                  std::to_string(height));
    }
    if (h.suite != g_.suite || h.chain_id != g_.chain_id) {
      return Status::VerifyFailed("block of another chain (suite or chain id differs from genesis)");
    }
    if (h.prev_hash != prev_hash_) {
      return Status::VerifyFailed("prev_hash " + ShortHex(h.prev_hash) + " is not the hash of the " +
                                  (height == 1 ? std::string("genesis ") : AtHeight(height - 1) + " ") +
                                  ShortHex(prev_hash_));
    }
    if (h.proposer >= g_.members.size()) {
      return Status::VerifyFailed("proposer " + std::to_string(h.proposer) + " is not a member");
    }
    if (h.time_ms < parent_time_ms_) return Status::VerifyFailed("block time before its parent's");
    auto cert = DecodeCertificate(cert_bytes);
    if (!cert.ok()) return cert.status().Annotate("certificate does not decode");
    w->cert = std::move(cert).value();
    if (w->cert.height != height || w->cert.block_hash != BlockHash(h)) {
      return Status::VerifyFailed("certificate is for height " + std::to_string(w->cert.height) +
                                  " block " + ShortHex(w->cert.block_hash) + ", not this block");
    }
    return Status::Ok();
  }

  // Chain rules in order, the log and the index; *bad_tx is the position at fault.
  Status ApplyTxs(BlockWork* w, int64_t* bad_tx) {
    const std::vector<Transaction>& txs = w->block.txs;
    w->keys.resize(txs.size());
    updates_.clear();
    for (size_t i = 0; i < txs.size(); ++i) {
      const Transaction& tx = txs[i];
      *bad_tx = static_cast<int64_t>(i);
      const std::string where = "tx " + std::to_string(i) + " (id " + ShortHex(tx.id()) + ")";
      if (!ids_.insert(tx.id()).second) {
        return Status::VerifyFailed(where + ": already committed earlier in the chain");
      }
      RuleCheck rc = registry_.Check(tx);
      if (!rc.status.ok()) return rc.status.Annotate(where + ": chain rules");
      if (!rc.warning.empty()) ++summary_.revoked_signer;
      w->keys[i] = &registry_.Find(tx.body().signer)->key;
      registry_.Apply(tx, log_.size());
      log_.Append(merkle::LeafHash(g_.suite, tx.id().view()));
      for (const Hash32& key : IndexKeysOf(g_.suite, tx)) updates_.push_back({key, tx.id()});
      ++summary_.by_kind[static_cast<uint8_t>(tx.kind()) - static_cast<uint8_t>(TxKind::kAttestation)];
    }
    summary_.transactions += txs.size();
    *bad_tx = static_cast<int64_t>(txs.size());
    auto root = index_.ApplyBlock(w->height, updates_);
    if (!root.ok()) return root.status().Annotate("index");
    HEARTH_RETURN_IF_ERROR(index_.FlushTo(&kv_));
    index_.MarkFlushed();
    index_root_ = *root;
    return Status::Ok();
  }

  Status CheckRoots(const BlockWork& w) const {
    const BlockHeader& h = w.block.header;
    if (h.log_size != log_.size()) {
      return Status::VerifyFailed("log size in header " + std::to_string(h.log_size) + " != computed " +
                                  std::to_string(log_.size()));
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
  KeyRegistry registry_;
  LogFrontier log_;
  LatestIndexKv kv_;
  AuthIndex index_;
  Hash32 index_root_;
  std::unordered_set<Hash32> ids_;
  std::vector<IndexUpdate> updates_;
  Hash32 prev_hash_;
  uint64_t parent_time_ms_ = 0;
  AuditSummary summary_;
  VerifyPool pool_;  // last: its workers stop before the state they read goes away
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
  Bytes block, cert;
  bool ok = true;
  for (uint64_t h = 1; ok && h <= rd.count(); ++h) {
    if (a.pool().first_bad_height() < h) break;  // a signature already failed below h
    Status s = rd.Next(&block, &cert);
    if (s.code() == Code::kIOError) return s;
    if (!s.ok()) {
      a.pool().Report(h, -1, s.message());
      break;
    }
    ok = a.Step(h, block, cert);
  }
  a.pool().Drain();
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
