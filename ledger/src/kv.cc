#include "hearth/ledger/kv.h"

#include <leveldb/db.h>
#include <leveldb/write_batch.h>

namespace hearth {

Status MemKv::Get(std::string_view key, std::string* value) const {
  auto it = map_.find(key);
  if (it == map_.end()) return Status::NotFound("key not found");
  *value = it->second;
  return Status::Ok();
}

void MemKv::Put(std::string_view key, std::string_view value) {
  map_.insert_or_assign(std::string(key), std::string(value));
}

void MemKv::Delete(std::string_view key) {
  auto it = map_.find(key);
  if (it != map_.end()) map_.erase(it);
}

Status LevelDbReader::Get(std::string_view key, std::string* value) const {
  leveldb::ReadOptions ro;
  ro.verify_checksums = true;
  leveldb::Status s = db_->Get(ro, leveldb::Slice(key.data(), key.size()), value);
  if (s.ok()) return Status::Ok();
  if (s.IsNotFound()) return Status::NotFound("key not found");
  if (s.IsCorruption()) return Status::Corruption("leveldb: " + s.ToString());
  return Status::IOError("leveldb: " + s.ToString());
}

void LevelDbBatchWriter::Put(std::string_view key, std::string_view value) {
  batch_->Put(leveldb::Slice(key.data(), key.size()), leveldb::Slice(value.data(), value.size()));
}

void LevelDbBatchWriter::Delete(std::string_view key) {
  batch_->Delete(leveldb::Slice(key.data(), key.size()));
}

}  // namespace hearth
