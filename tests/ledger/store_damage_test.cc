// Block store damage tests: values changed or removed behind the store's back (through raw
// LevelDB) or bytes flipped in its table files are found at open, or at the read that
// touches them, and reported as Corruption with what is wrong, never as NotFound.
#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "hearth/ledger/store.h"
#include "ledger/fault_env.h"
#include "ledger/store_chain.h"

namespace hearth::testing {
namespace {

constexpr uint64_t kSeed = 777001;
constexpr uint64_t kBlocks = 5;

struct DamagedStore {
  ScopedTempDir dir{"store-damage"};
  TestChain chain{kSeed};
  ChainModel model;
  std::string log_frontier_tile_key;
  std::string index_root_key;
  std::string index_root_key_before;

  DamagedStore() {
    auto store = BlockStore::Open(dir.path(), chain.suite(), chain.chain_id(), chain.genesis(), {});
    REQUIRE(store.ok());
    for (uint64_t i = 0; i < kBlocks; ++i) REQUIRE(CommitNext(**store, chain, model, 6).ok());
    const uint64_t log_size = (*store)->head().log_size;
    log_frontier_tile_key = (*store)->LogTileKey(0, (log_size - 1) / 16);
    index_root_key = (*store)->IndexRootKey(kBlocks);
    index_root_key_before = (*store)->IndexRootKey(kBlocks - 1);
  }

  // Runs `damage` on the raw database while the store is closed.
  template <typename Fn>
  void Damage(Fn damage) {
    leveldb::DB* raw = nullptr;
    leveldb::Options options;
    REQUIRE(leveldb::DB::Open(options, dir.path(), &raw).ok());
    std::unique_ptr<leveldb::DB> db(raw);
    damage(db.get());
  }
  static std::string Get(leveldb::DB* db, const std::string& key) {
    std::string value;
    REQUIRE(db->Get(leveldb::ReadOptions(), key, &value).ok());
    return value;
  }
  static void Put(leveldb::DB* db, const std::string& key, const std::string& value) {
    leveldb::WriteOptions wo;
    wo.sync = true;
    REQUIRE(db->Put(wo, key, value).ok());
  }
  static void Delete(leveldb::DB* db, const std::string& key) {
    leveldb::WriteOptions wo;
    wo.sync = true;
    REQUIRE(db->Delete(wo, key).ok());
  }
  static void FlipLastByte(leveldb::DB* db, const std::string& key) {
    std::string value = Get(db, key);
    value.back() = static_cast<char>(value.back() ^ 0x01);
    Put(db, key, value);
  }

  Status Open() {
    return BlockStore::Open(dir.path(), chain.suite(), chain.chain_id(), chain.genesis(), {}).status();
  }
  std::unique_ptr<BlockStore> OpenOk() {
    auto store = BlockStore::Open(dir.path(), chain.suite(), chain.chain_id(), chain.genesis(), {});
    INFO(store.status().ToString());
    REQUIRE(store.ok());
    return std::move(store).value();
  }
};

void ExpectCorruption(const Status& s, const std::string& text) {
  INFO(s.ToString());
  CHECK(s.code() == Code::kCorruption);
  CHECK(s.message().find(text) != std::string::npos);
}

TEST_CASE("damage to the head is refused at open with what is wrong") {
  INFO("seed " << kSeed);
  DamagedStore d;
  SECTION("the head header's bytes changed") {
    d.Damage([](leveldb::DB* db) { DamagedStore::FlipLastByte(db, BlockStore::HeaderKey(kBlocks)); });
    ExpectCorruption(d.Open(), "head block 5: block hash in head record");
  }
  SECTION("the head header does not decode") {
    d.Damage([](leveldb::DB* db) { DamagedStore::Put(db, BlockStore::HeaderKey(kBlocks), "garbage"); });
    ExpectCorruption(d.Open(), "block 5: stored header");
  }
  SECTION("the head header is gone") {
    d.Damage([](leveldb::DB* db) { DamagedStore::Delete(db, BlockStore::HeaderKey(kBlocks)); });
    ExpectCorruption(d.Open(), "block 5: stored header: missing");
  }
  SECTION("the parent header changed: the prev-hash link breaks") {
    d.Damage([](leveldb::DB* db) { DamagedStore::FlipLastByte(db, BlockStore::HeaderKey(kBlocks - 1)); });
    ExpectCorruption(d.Open(), "block 5: prev hash in header");
  }
  SECTION("a log node changed: the log root differs from the header's") {
    d.Damage([&](leveldb::DB* db) { DamagedStore::FlipLastByte(db, d.log_frontier_tile_key); });
    ExpectCorruption(d.Open(), "head block 5: log root in header");
  }
  SECTION("a log node key deleted") {
    d.Damage([&](leveldb::DB* db) { DamagedStore::Delete(db, d.log_frontier_tile_key); });
    ExpectCorruption(d.Open(), "merkle log");
  }
  SECTION("the index root changed") {
    // The previous block's root: well formed and backed by nodes, but not the header's.
    d.Damage([&](leveldb::DB* db) {
      DamagedStore::Put(db, d.index_root_key, DamagedStore::Get(db, d.index_root_key_before));
    });
    ExpectCorruption(d.Open(), "head block 5: index root in header");
  }
  SECTION("the index root's bytes changed") {
    d.Damage([&](leveldb::DB* db) { DamagedStore::FlipLastByte(db, d.index_root_key); });
    ExpectCorruption(d.Open(), "authenticated index");
  }
  SECTION("the head record lost") {
    d.Damage([](leveldb::DB* db) { DamagedStore::Delete(db, BlockStore::HeadKey()); });
    ExpectCorruption(d.Open(), "head is at height 0 but a header is stored at height 1");
  }
  SECTION("the head record does not decode") {
    d.Damage([](leveldb::DB* db) { DamagedStore::Put(db, BlockStore::HeadKey(), "\x01short"); });
    ExpectCorruption(d.Open(), "head record");
  }
  SECTION("the meta record lost") {
    d.Damage([](leveldb::DB* db) { DamagedStore::Delete(db, BlockStore::MetaKey()); });
    ExpectCorruption(d.Open(), "meta record missing");
  }
  SECTION("the head certificate lost") {
    d.Damage([](leveldb::DB* db) { DamagedStore::Delete(db, BlockStore::CertificateKey(kBlocks)); });
    ExpectCorruption(d.Open(), "certificate");
  }
  SECTION("the tx index entry of the head block's last tx lost") {
    const Hash32 id = d.model.blocks.back().txs.back().id();
    d.Damage([&](leveldb::DB* db) { DamagedStore::Delete(db, BlockStore::TxIndexKey(id)); });
    ExpectCorruption(d.Open(), "tx index");
  }
  SECTION("a tx index key of the wrong length (the committed-id filter is built from the keys)") {
    std::string key = BlockStore::TxIndexKey(d.model.blocks.back().txs.back().id());
    key.pop_back();
    d.Damage([&](leveldb::DB* db) { DamagedStore::Put(db, key, "x"); });
    ExpectCorruption(d.Open(), "tx index: 1 keys of the wrong length");
  }
}

TEST_CASE("damage below the head is Corruption at the read that touches it, never NotFound") {
  DamagedStore d;
  const Block& b2 = d.model.blocks[1];
  const Hash32 id = b2.txs[3].id();
  SECTION("a transaction deleted") {
    d.Damage([](leveldb::DB* db) { DamagedStore::Delete(db, BlockStore::TxKey(2, 3)); });
    auto store = d.OpenOk();
    ExpectCorruption(store->GetBlock(2).status(), "block 2");
    ExpectCorruption(store->GetTx(id).status(), "tx");
    CHECK(store->GetBlock(3).ok());
  }
  SECTION("a transaction's body bytes changed") {
    // Byte 40 lies in the body's signer id, so the tx id changes. (A changed signature
    // leaves the id alone: signatures are checked by whoever verifies the chain.)
    d.Damage([](leveldb::DB* db) {
      std::string value = DamagedStore::Get(db, BlockStore::TxKey(2, 3));
      value[40] = static_cast<char>(value[40] ^ 0x01);
      DamagedStore::Put(db, BlockStore::TxKey(2, 3), value);
    });
    auto store = d.OpenOk();
    CHECK(store->GetBlock(2).status().code() == Code::kCorruption);
    CHECK(store->GetTx(id).status().code() == Code::kCorruption);
  }
  SECTION("a tx index entry garbled") {
    d.Damage([&](leveldb::DB* db) { DamagedStore::Put(db, BlockStore::TxIndexKey(id), "x"); });
    auto store = d.OpenOk();
    ExpectCorruption(store->GetTx(id).status(), "tx index entry");
  }
  SECTION("a certificate garbled") {
    d.Damage([](leveldb::DB* db) { DamagedStore::Put(db, BlockStore::CertificateKey(2), "x"); });
    auto store = d.OpenOk();
    ExpectCorruption(store->Certificate(2).status(), "block 2: stored certificate");
  }
}

TEST_CASE("flipped bytes in the table files fail their checksums: Corruption, not NotFound") {
  DamagedStore d;
  d.Damage([](leveldb::DB* db) { db->CompactRange(nullptr, nullptr); });  // all data in tables
  int tables = 0;
  for (const auto& entry : std::filesystem::directory_iterator(d.dir.path())) {
    if (entry.path().extension() != ".ldb") continue;
    ++tables;
    std::fstream f(entry.path(), std::ios::in | std::ios::out | std::ios::binary);
    const auto size = static_cast<std::streamoff>(entry.file_size());
    for (std::streamoff pos = 100; pos < size - 100; pos += 512) {
      f.seekg(pos);
      char c = 0;
      f.get(c);
      f.seekp(pos);
      f.put(static_cast<char>(c ^ 0x5A));
    }
  }
  REQUIRE(tables > 0);
  ExpectCorruption(d.Open(), "");
}

}  // namespace
}  // namespace hearth::testing
