// db.h: a thin owner of one LevelDB database, with the options Hearth relies on.
//
// What it fixes for every user:
//  - paranoid_checks on (a damaged log or table stops the open instead of being skipped),
//    checksums verified on every read, a Bloom filter for point lookups of absent keys (the
//    store's duplicate check), an injectable leveldb::Env (crash tests pass a fault env);
//  - LevelDB statuses mapped onto Hearth's: NotFound only for an absent key, Corruption for
//    checksum or format failures, IOError for the environment. Nothing throws.
//  - Write(batch, Durability::kSync) returns only after the batch is synced to disk: the
//    store's crash safety rests on it.
//
// Thread-safety: Get, Scan and Write may be called from any thread (LevelDB serialises
// writers); Open and destruction by one thread.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "hearth/base/status.h"
#include "hearth/ledger/kv.h"

namespace leveldb {
class Cache;
class DB;
class Env;
class FilterPolicy;
class WriteBatch;
}  // namespace leveldb

namespace hearth {

struct DbOptions {
  // nullptr means leveldb::Env::Default(). Not owned; must outlive the Db.
  leveldb::Env* env = nullptr;
  bool create_if_missing = true;
  size_t write_buffer_bytes = size_t{8} << 20;
  size_t block_cache_bytes = size_t{32} << 20;
  int bloom_bits_per_key = 10;
};

enum class Durability : uint8_t {
  kSync,    // fsync'd before Write returns
  kBuffer,  // in the OS only: lost at a power cut (tests and scratch data only)
};

class Db {
 public:
  // Largest number of entries one Scan visits (a caller asking for more pages through).
  static constexpr size_t kScanEntriesMax = size_t{1} << 20;

  // Opens (or creates) the database in directory `path`. IOError when the directory cannot
  // be used or is locked by another process; Corruption when LevelDB finds damage.
  static Result<std::unique_ptr<Db>> Open(const std::string& path, const DbOptions& options);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Reads with checksum verification (the KvReader contract of kv.h).
  const KvReader& reader() const { return *reader_; }
  Status Get(std::string_view key, std::string* value) const { return reader_->Get(key, value); }
  // Applies `batch` atomically.
  Status Write(leveldb::WriteBatch* batch, Durability durability);

  // Calls fn(key, value) for keys in [begin, end) in key order (end empty = no bound), at
  // most `entries_max` (<= kScanEntriesMax) of them; fn returns false to stop early. A
  // non-OK status from the iterator (checksum failure, I/O) is returned.
  using ScanFn = std::function<bool(std::string_view key, std::string_view value)>;
  Status Scan(std::string_view begin, std::string_view end, size_t entries_max,
              const ScanFn& fn) const;
  // True when the database holds no key at all.
  Result<bool> IsEmpty() const;

  const std::string& path() const { return path_; }
  // The raw handle, for tests that corrupt values behind the store's back.
  leveldb::DB* TEST_raw() { return db_.get(); }

 private:
  Db() = default;

  std::string path_;
  std::unique_ptr<const leveldb::FilterPolicy> filter_;
  std::unique_ptr<leveldb::Cache> cache_;
  std::unique_ptr<leveldb::DB> db_;  // after filter_ and cache_: closed before them
  std::unique_ptr<LevelDbReader> reader_;
};

}  // namespace hearth
