// db.h: a thin owner of one LevelDB database, with the options Hearth relies on.
//
// What it fixes for every user:
//  - paranoid_checks on (a damaged log or table stops the open instead of being skipped),
//    checksums verified on every read, a Bloom filter for point lookups of absent keys (the
//    store's duplicate check), an injectable leveldb::Env (crash tests pass a fault env);
//  - table files read with pread(2), not memory-mapped, unless another Env is injected
//    (DefaultDbEnv below): the process then holds table data only in LevelDB's bounded
//    block cache, and its resident set does not grow with the size of the database;
//  - LevelDB statuses mapped onto Hearth's: NotFound only for an absent key, Corruption for
//    checksum or format failures, IOError for the environment. Nothing throws.
//  - Write(batch, Durability::kSync) returns only after the batch is synced to disk: the
//    store's crash safety rests on it.
//
// Thread-safety: Get, Scan and Write may be called from any thread (LevelDB serialises
// writers); Open and destruction by one thread.
#pragma once

#include <cstddef>
#include <cstdint>
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

// The Env Db::Open uses when DbOptions::env is nullptr or leveldb::Env::Default():
// leveldb::Env::Default() for everything except NewRandomAccessFile (LevelDB opens table
// files with it), whose files read with pread(2) into LevelDB's buffers instead of mapping
// the file. Debian's LevelDB maps up to 1000 table files on 64-bit hosts, and every page
// read through a map counts in the process's resident memory, so a node's RSS grew with its
// data (docs/PERFORMANCE.md "Node memory"); read with pread, those pages stay in the OS page
// cache, outside the process. File descriptors: a file keeps its descriptor open while at
// most kPreadFdsMax (or a fifth of RLIMIT_NOFILE, if lower) are held by this Env; beyond
// that a file opens its path for each read (as LevelDB's own Env does past its limits).
// LevelDB's table cache (max_open_files, 1000) bounds the open files either way.
// Never destroyed; thread-safe like Env::Default().
leveldb::Env* DefaultDbEnv();
// Table-file reads made by the Envs of NewPreadEnv and DefaultDbEnv in this process since it
// started: each is one LevelDB block (or a table's index, filter or footer) that was not in
// a block cache, or a read of a compaction. Thread-safe; relaxed counts.
struct TableReadStats {
  uint64_t reads = 0;
  uint64_t bytes = 0;
};
TableReadStats TableReads();
// Most table-file descriptors DefaultDbEnv holds open at once.
inline constexpr int kPreadFdsMax = 1000;
// A new Env like DefaultDbEnv that holds at most `fds_max` (>= 0) descriptors open at once
// (0: every read opens its file). For tests and benchmarks; must outlive its Dbs.
std::unique_ptr<leveldb::Env> NewPreadEnv(int fds_max);

struct DbOptions {
  // nullptr or leveldb::Env::Default() means DefaultDbEnv(). Any other Env is used as given
  // (its table files are read however it reads them). Not owned; must outlive the Db.
  leveldb::Env* env = nullptr;
  bool create_if_missing = true;
  // Memory: up to two write buffers (the one filling and the one being flushed) and the
  // block cache are held at once; with DefaultDbEnv every table block read passes through
  // the cache, so these two bound the table data the process holds. Each open table adds
  // its index and Bloom filter blocks (a few tens of KB per 2 MB table).
  // 128 MiB of cache and 1 KiB blocks: a check reads ~110 random items (list entries and
  // transactions) spread over the whole store; at 10^6 attestations these cut a decision's
  // p50 / p99 from 1.15 / 2.8 ms (32 MiB, 4 KiB) to ~0.8-0.9 / 2.2-2.4 ms, for ~100 MiB more
  // per node and ~30 MiB of larger table indexes (docs/PERFORMANCE.md).
  size_t write_buffer_bytes = size_t{8} << 20;
  size_t block_cache_bytes = size_t{128} << 20;
  int bloom_bits_per_key = 10;
  // Uncompressed bytes per table data block (LevelDB's block_size), for tables written
  // from now on. A point read that misses the cache reads, checks and decompresses one
  // whole block, so smaller blocks make random reads cheaper and each table's in-memory
  // index larger.
  size_t block_bytes = 1024;
  // Snappy-compress table blocks (LevelDB's default) for tables written from now on; blocks
  // already written are read either way. Off: the store is mostly hashes, signatures and
  // ids. In a 10^6-attestation store 87 % of the blocks (90 % of the bytes) did not shrink
  // by LevelDB's 12.5 % threshold and were written uncompressed after the attempt, and
  // compression saved 3 % of the disk in all, while every flush and compaction paid for the
  // attempt on every block (docs/PERFORMANCE.md, session 13).
  bool compress_blocks = false;
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
  // Calls fn(key) for every key in [begin, end) in key order, without a count bound and
  // without filling the block cache: for a start-up pass over a whole key range (the block
  // store's tx index). Checksums are verified; a non-OK iterator status is returned.
  using KeyFn = std::function<void(std::string_view key)>;
  Status ForEachKey(std::string_view begin, std::string_view end, const KeyFn& fn) const;
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
