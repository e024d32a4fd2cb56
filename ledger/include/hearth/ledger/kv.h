// kv.h: the key-value interface through which the Merkle log, the authenticated index and
// the block store persist.
//
// Write discipline (the store's crash-safety rests on it): a component such as MerkleLog
// never writes to the database by itself. It stages the writes of one block in memory
// (reads see staged state), then FlushTo(KvWriter*) puts them into the caller's batch; the
// caller commits all components' writes in one synced LevelDB WriteBatch. After a crash the
// database holds whole blocks or nothing of a block.
//
// Thread-safety: KvReader implementations are safe for concurrent Get and Scan; writers are used by
// one thread at a time.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "hearth/base/status.h"

namespace leveldb {
class DB;
class WriteBatch;
}  // namespace leveldb

namespace hearth {

class KvReader {
 public:
  virtual ~KvReader() = default;
  // OK with *value set; NotFound when the key is absent; Corruption / IOError when the
  // environment fails (never reported as NotFound).
  virtual Status Get(std::string_view key, std::string* value) const = 0;
  // Calls fn(key, value) for the keys in [begin, end) (an empty end: no upper bound, as for
  // Db::Scan) in key order, at most `entries_max`
  // of them; fn returns false to stop. One consistent view of the store for the whole
  // call (LevelDB: one iterator, so a list of n entries costs one seek and n steps instead
  // of n point reads, each of which takes LevelDB's mutex twice). Corruption / IOError as
  // for Get.
  using ScanFn = std::function<bool(std::string_view key, std::string_view value)>;
  virtual Status Scan(std::string_view begin, std::string_view end, size_t entries_max,
                      const ScanFn& fn) const = 0;
};

class KvWriter {
 public:
  virtual ~KvWriter() = default;
  virtual void Put(std::string_view key, std::string_view value) = 0;
  virtual void Delete(std::string_view key) = 0;
};

// An in-memory ordered map; for tests and for staging.
class MemKv final : public KvReader, public KvWriter {
 public:
  Status Get(std::string_view key, std::string* value) const override;
  Status Scan(std::string_view begin, std::string_view end, size_t entries_max,
              const ScanFn& fn) const override;
  void Put(std::string_view key, std::string_view value) override;
  void Delete(std::string_view key) override;
  size_t size() const { return map_.size(); }
  const std::map<std::string, std::string, std::less<>>& map() const { return map_; }

 private:
  std::map<std::string, std::string, std::less<>> map_;
};

// Reads from an open LevelDB with checksum verification on.
class LevelDbReader final : public KvReader {
 public:
  explicit LevelDbReader(leveldb::DB* db) : db_(db) {}
  Status Get(std::string_view key, std::string* value) const override;
  Status Scan(std::string_view begin, std::string_view end, size_t entries_max,
              const ScanFn& fn) const override;

 private:
  leveldb::DB* db_;  // not owned
};

// Appends to a LevelDB WriteBatch (not owned); the caller writes the batch, synced.
class LevelDbBatchWriter final : public KvWriter {
 public:
  explicit LevelDbBatchWriter(leveldb::WriteBatch* batch) : batch_(batch) {}
  void Put(std::string_view key, std::string_view value) override;
  void Delete(std::string_view key) override;

 private:
  leveldb::WriteBatch* batch_;
};

}  // namespace hearth
