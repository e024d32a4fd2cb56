#include "hearth/ledger/kv.h"

#include <leveldb/db.h>
#include <leveldb/iterator.h>
#include <leveldb/write_batch.h>

#include <memory>

namespace hearth {

Status MemKv::Get(std::string_view key, std::string* value) const {
  auto it = map_.find(key);
  if (it == map_.end()) return Status::NotFound("key not found");
  *value = it->second;
  return Status::Ok();
}

Status MemKv::Scan(std::string_view begin, std::string_view end, size_t entries_max,
                   const ScanFn& fn) const {
  size_t visited = 0;
  for (auto it = map_.lower_bound(begin); it != map_.end() && visited < entries_max; ++it) {
    if (!end.empty() && std::string_view(it->first) >= end) break;
    ++visited;
    if (!fn(it->first, it->second)) break;
  }
  return Status::Ok();
}

void MemKv::Put(std::string_view key, std::string_view value) {
  map_.insert_or_assign(std::string(key), std::string(value));
}

void MemKv::Delete(std::string_view key) {
  auto it = map_.find(key);
  if (it != map_.end()) map_.erase(it);
}

namespace {

Status FromLevelDb(const leveldb::Status& s) {
  if (s.ok()) return Status::Ok();
  if (s.IsNotFound()) return Status::NotFound("key not found");
  if (s.IsCorruption()) return Status::Corruption("leveldb: " + s.ToString());
  return Status::IOError("leveldb: " + s.ToString());
}

}  // namespace

Status LevelDbReader::Get(std::string_view key, std::string* value) const {
  leveldb::ReadOptions ro;
  ro.verify_checksums = true;
  return FromLevelDb(db_->Get(ro, leveldb::Slice(key.data(), key.size()), value));
}

Status LevelDbReader::Scan(std::string_view begin, std::string_view end, size_t entries_max,
                           const ScanFn& fn) const {
  leveldb::ReadOptions ro;
  ro.verify_checksums = true;
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(ro));
  size_t visited = 0;
  for (it->Seek(leveldb::Slice(begin.data(), begin.size())); it->Valid() && visited < entries_max;
       it->Next()) {
    const leveldb::Slice k = it->key();
    const std::string_view key(k.data(), k.size());
    if (!end.empty() && key >= end) break;
    ++visited;
    const leveldb::Slice v = it->value();
    if (!fn(key, std::string_view(v.data(), v.size()))) break;
  }
  return FromLevelDb(it->status());
}

void LevelDbBatchWriter::Put(std::string_view key, std::string_view value) {
  batch_->Put(leveldb::Slice(key.data(), key.size()), leveldb::Slice(value.data(), value.size()));
}

void LevelDbBatchWriter::Delete(std::string_view key) {
  batch_->Delete(leveldb::Slice(key.data(), key.size()));
}

}  // namespace hearth
