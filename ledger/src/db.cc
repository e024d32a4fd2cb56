#include "hearth/ledger/db.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/env.h>
#include <leveldb/filter_policy.h>
#include <leveldb/iterator.h>
#include <leveldb/options.h>
#include <leveldb/write_batch.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>

namespace hearth {
namespace {

leveldb::Status ErrnoStatus(const std::string& path, int error) {
  if (error == ENOENT) return leveldb::Status::NotFound(path, std::strerror(error));
  return leveldb::Status::IOError(path, std::strerror(error));
}

// Counts the descriptors PreadFiles hold; Acquire fails once `max` are taken.
// Process-wide counts of table-file reads (every LevelDB block that missed the block cache,
// and the reads of compactions), for /metrics.
std::atomic<uint64_t> g_table_reads{0};
std::atomic<uint64_t> g_table_read_bytes{0};

class FdBudget {
 public:
  explicit FdBudget(int max) : left_(max) {}
  bool Acquire() {
    int left = left_.load(std::memory_order_relaxed);
    while (left > 0) {
      if (left_.compare_exchange_weak(left, left - 1, std::memory_order_relaxed)) return true;
    }
    return false;
  }
  void Release() { left_.fetch_add(1, std::memory_order_relaxed); }

 private:
  std::atomic<int> left_;
};

int PreadFdsBudget() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return kPreadFdsMax;
  return static_cast<int>(std::min<rlim_t>(rl.rlim_cur / 5, kPreadFdsMax));
}

// A table file read with pread. fd_ >= 0: held open (one unit of budget_) until destroyed;
// fd_ < 0: the path is opened for each Read.
class PreadFile final : public leveldb::RandomAccessFile {
 public:
  PreadFile(std::string path, int fd, FdBudget* budget) : path_(std::move(path)), fd_(fd), budget_(budget) {}
  ~PreadFile() override {
    if (fd_ >= 0) {
      ::close(fd_);
      budget_->Release();
    }
  }

  leveldb::Status Read(uint64_t offset, size_t n, leveldb::Slice* result, char* scratch) const override {
    int fd = fd_;
    if (fd < 0) {
      fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        *result = leveldb::Slice(scratch, 0);
        return ErrnoStatus(path_, errno);
      }
    }
    // Short reads are continued: a caller sees fewer than n bytes only at the end of the file.
    size_t got = 0;
    leveldb::Status s;
    while (got < n) {
      const ssize_t r = ::pread(fd, scratch + got, n - got, static_cast<off_t>(offset + got));
      if (r < 0) {
        if (errno == EINTR) continue;
        s = ErrnoStatus(path_, errno);
        break;
      }
      if (r == 0) break;
      got += static_cast<size_t>(r);
    }
    if (fd != fd_) ::close(fd);
    g_table_reads.fetch_add(1, std::memory_order_relaxed);
    g_table_read_bytes.fetch_add(got, std::memory_order_relaxed);
    *result = leveldb::Slice(scratch, got);
    return s;
  }

 private:
  const std::string path_;
  const int fd_;
  FdBudget* const budget_;
};

class PreadEnv final : public leveldb::EnvWrapper {
 public:
  explicit PreadEnv(int fds_max) : leveldb::EnvWrapper(leveldb::Env::Default()), budget_(fds_max) {}

  leveldb::Status NewRandomAccessFile(const std::string& path, leveldb::RandomAccessFile** result) override {
    *result = nullptr;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus(path, errno);
    if (budget_.Acquire()) {
      *result = new PreadFile(path, fd, &budget_);
    } else {
      ::close(fd);  // the file exists and is readable: reopened for each read
      *result = new PreadFile(path, -1, &budget_);
    }
    return leveldb::Status::OK();
  }

 private:
  FdBudget budget_;
};

Status FromLevelDb(const leveldb::Status& s, std::string_view what) {
  if (s.ok()) return Status::Ok();
  std::string message = std::string(what) + ": leveldb: " + s.ToString();
  if (s.IsNotFound()) return Status::NotFound(std::move(message));
  if (s.IsCorruption()) return Status::Corruption(std::move(message));
  return Status::IOError(std::move(message));
}

leveldb::Slice ToSlice(std::string_view s) { return leveldb::Slice(s.data(), s.size()); }

}  // namespace

std::unique_ptr<leveldb::Env> NewPreadEnv(int fds_max) {
  HEARTH_CHECK(fds_max >= 0);
  return std::make_unique<PreadEnv>(fds_max);
}

TableReadStats TableReads() {
  return TableReadStats{g_table_reads.load(std::memory_order_relaxed),
                        g_table_read_bytes.load(std::memory_order_relaxed)};
}

leveldb::Env* DefaultDbEnv() {
  static leveldb::Env* const env = NewPreadEnv(PreadFdsBudget()).release();  // never destroyed
  return env;
}

Result<std::unique_ptr<Db>> Db::Open(const std::string& path, const DbOptions& options) {
  HEARTH_CHECK(options.bloom_bits_per_key >= 0 && options.block_bytes >= 256);
  std::unique_ptr<Db> db(new Db());
  db->path_ = path;
  if (options.bloom_bits_per_key > 0) {
    db->filter_.reset(leveldb::NewBloomFilterPolicy(options.bloom_bits_per_key));
  }
  if (options.block_cache_bytes > 0) db->cache_.reset(leveldb::NewLRUCache(options.block_cache_bytes));

  leveldb::Options lo;
  lo.create_if_missing = options.create_if_missing;
  lo.paranoid_checks = true;
  const bool default_env = options.env == nullptr || options.env == leveldb::Env::Default();
  lo.env = default_env ? DefaultDbEnv() : options.env;
  lo.write_buffer_size = options.write_buffer_bytes;
  lo.block_size = options.block_bytes;
  lo.compression = options.compress_blocks ? leveldb::kSnappyCompression : leveldb::kNoCompression;
  lo.block_cache = db->cache_.get();
  lo.filter_policy = db->filter_.get();
  leveldb::DB* raw = nullptr;
  leveldb::Status s = leveldb::DB::Open(lo, path, &raw);
  if (!s.ok()) return FromLevelDb(s, "open " + path);
  db->db_.reset(raw);
  db->reader_ = std::make_unique<LevelDbReader>(raw);
  return db;
}

Db::~Db() = default;

Status Db::Write(leveldb::WriteBatch* batch, Durability durability) {
  HEARTH_CHECK(batch != nullptr);
  leveldb::WriteOptions wo;
  wo.sync = durability == Durability::kSync;
  return FromLevelDb(db_->Write(wo, batch), "write " + path_);
}

Status Db::Scan(std::string_view begin, std::string_view end, size_t entries_max,
                const ScanFn& fn) const {
  HEARTH_CHECK(entries_max <= kScanEntriesMax);
  leveldb::ReadOptions ro;
  ro.verify_checksums = true;
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(ro));
  size_t visited = 0;
  for (it->Seek(ToSlice(begin)); it->Valid() && visited < entries_max; it->Next()) {
    const leveldb::Slice key = it->key();
    const std::string_view k(key.data(), key.size());
    if (!end.empty() && k >= end) break;
    const leveldb::Slice value = it->value();
    ++visited;
    if (!fn(k, std::string_view(value.data(), value.size()))) break;
  }
  return FromLevelDb(it->status(), "scan " + path_);
}

Status Db::ForEachKey(std::string_view begin, std::string_view end, const KeyFn& fn) const {
  leveldb::ReadOptions ro;
  ro.verify_checksums = true;
  ro.fill_cache = false;
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(ro));
  for (it->Seek(ToSlice(begin)); it->Valid(); it->Next()) {
    const leveldb::Slice key = it->key();
    const std::string_view k(key.data(), key.size());
    if (!end.empty() && k >= end) break;
    fn(k);
  }
  return FromLevelDb(it->status(), "scan " + path_);
}

Result<bool> Db::IsEmpty() const {
  bool empty = true;
  HEARTH_RETURN_IF_ERROR(Scan("", "", 1, [&](std::string_view, std::string_view) {
    empty = false;
    return false;
  }));
  return empty;
}

}  // namespace hearth
