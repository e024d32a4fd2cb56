#include "hearth/ledger/db.h"

#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/env.h>
#include <leveldb/filter_policy.h>
#include <leveldb/iterator.h>
#include <leveldb/options.h>
#include <leveldb/write_batch.h>

namespace hearth {
namespace {

Status FromLevelDb(const leveldb::Status& s, std::string_view what) {
  if (s.ok()) return Status::Ok();
  std::string message = std::string(what) + ": leveldb: " + s.ToString();
  if (s.IsNotFound()) return Status::NotFound(std::move(message));
  if (s.IsCorruption()) return Status::Corruption(std::move(message));
  return Status::IOError(std::move(message));
}

leveldb::Slice ToSlice(std::string_view s) { return leveldb::Slice(s.data(), s.size()); }

}  // namespace

Result<std::unique_ptr<Db>> Db::Open(const std::string& path, const DbOptions& options) {
  HEARTH_CHECK(options.bloom_bits_per_key >= 0);
  std::unique_ptr<Db> db(new Db());
  db->path_ = path;
  if (options.bloom_bits_per_key > 0) {
    db->filter_.reset(leveldb::NewBloomFilterPolicy(options.bloom_bits_per_key));
  }
  if (options.block_cache_bytes > 0) db->cache_.reset(leveldb::NewLRUCache(options.block_cache_bytes));

  leveldb::Options lo;
  lo.create_if_missing = options.create_if_missing;
  lo.paranoid_checks = true;
  lo.env = options.env != nullptr ? options.env : leveldb::Env::Default();
  lo.write_buffer_size = options.write_buffer_bytes;
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

Result<bool> Db::IsEmpty() const {
  bool empty = true;
  HEARTH_RETURN_IF_ERROR(Scan("", "", 1, [&](std::string_view, std::string_view) {
    empty = false;
    return false;
  }));
  return empty;
}

}  // namespace hearth
