// Outbox: durable append, recovery of a torn tail, refusal of a corrupt middle, group
// commit under concurrent appends, and compaction.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "hearth/node/files.h"
#include "hearth/node/outbox.h"

namespace hearth::node {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("hearth-outbox-" + std::to_string(::getpid()) + "-" +
                                        std::to_string(reinterpret_cast<uintptr_t>(this)));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

Transaction Access(const PrivateKey& key, uint64_t n) {
  AccessRecord r;
  r.caseworker = "cw" + std::to_string(n);
  r.agency = Agency::kCivilAffairs;
  r.household = SuiteHash(Suite::kEd25519Sha256, AsBytes("household " + std::to_string(n)));
  r.consent_tx = SuiteHash(Suite::kEd25519Sha256, AsBytes("consent " + std::to_string(n)));
  r.receipt_hash = SuiteHash(Suite::kEd25519Sha256, AsBytes("receipt " + std::to_string(n)));
  r.access_time_ms = 1'750'000'000'000ULL + n;
  TxBody body;
  body.chain_id = "outbox-test";
  body.issued_at_ms = r.access_time_ms;
  body.nonce = n;
  body.payload = r;
  Result<Transaction> tx = Transaction::Sign(std::move(body), key);
  REQUIRE(tx.ok());
  return *tx;
}

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void WriteAll(const fs::path& p, const std::string& s) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << s;
}

TEST_CASE("outbox: appended entries survive a reopen, in order") {
  TempDir dir;
  const std::string path = (dir.path / "outbox.bin").string();
  auto key = PrivateKey::Generate(Suite::kEd25519Sha256);
  REQUIRE(key.ok());
  std::vector<Hash32> ids;
  {
    auto box = Outbox::Open(path);
    REQUIRE(box.ok());
    CHECK((*box)->size() == 0);
    for (uint64_t i = 0; i < 5; ++i) {
      Transaction tx = Access(*key, i);
      ids.push_back(tx.id());
      REQUIRE((*box)->Append(tx).ok());
    }
  }
  auto box = Outbox::Open(path);
  REQUIRE(box.ok());
  auto entries = (*box)->Entries();
  REQUIRE(entries.size() == 5);
  for (size_t i = 0; i < 5; ++i) CHECK(entries[i].id() == ids[i]);
}

TEST_CASE("outbox: a torn last entry is cut off, a corrupt middle entry is refused") {
  TempDir dir;
  const fs::path path = dir.path / "outbox.bin";
  auto key = PrivateKey::Generate(Suite::kEd25519Sha256);
  REQUIRE(key.ok());
  {
    auto box = Outbox::Open(path.string());
    REQUIRE(box.ok());
    for (uint64_t i = 0; i < 3; ++i) REQUIRE((*box)->Append(Access(*key, i)).ok());
  }
  const std::string whole = ReadAll(path);
  const size_t entry = whole.size() / 3;
  REQUIRE(entry * 3 == whole.size());

  SECTION("torn inside the last entry's bytes") {
    WriteAll(path, whole.substr(0, whole.size() - 7));
    auto box = Outbox::Open(path.string());
    REQUIRE(box.ok());
    CHECK((*box)->size() == 2);
    // The file was cut back, so a new append lands after entry 2 and all three reopen.
    REQUIRE((*box)->Append(Access(*key, 9)).ok());
    box->reset();
    auto again = Outbox::Open(path.string());
    REQUIRE(again.ok());
    CHECK((*again)->size() == 3);
  }
  SECTION("torn inside a length prefix") {
    WriteAll(path, whole.substr(0, 2 * entry + 2));
    auto box = Outbox::Open(path.string());
    REQUIRE(box.ok());
    CHECK((*box)->size() == 2);
  }
  SECTION("a flipped byte in the first entry's body") {
    std::string bad = whole;
    bad[10] = static_cast<char>(bad[10] ^ 0x40);
    WriteAll(path, bad);
    auto box = Outbox::Open(path.string());
    REQUIRE_FALSE(box.ok());
    CHECK(box.status().code() == Code::kCorruption);
    CHECK_THAT(box.status().message(), Catch::Contains("offset 0"));
  }
  SECTION("an absurd length") {
    std::string bad = whole;
    bad[entry + 3] = static_cast<char>(0x7f);
    WriteAll(path, bad);
    auto box = Outbox::Open(path.string());
    REQUIRE_FALSE(box.ok());
    CHECK_THAT(box.status().message(), Catch::Contains("offset " + std::to_string(entry)));
  }
}

TEST_CASE("outbox: concurrent appends are all durable (group commit)") {
  TempDir dir;
  const std::string path = (dir.path / "outbox.bin").string();
  auto key = PrivateKey::Generate(Suite::kEd25519Sha256);
  REQUIRE(key.ok());
  std::vector<Transaction> txs;
  for (uint64_t i = 0; i < 200; ++i) txs.push_back(Access(*key, i));
  {
    auto box = Outbox::Open(path);
    REQUIRE(box.ok());
    Outbox* b = box->get();
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        for (size_t i = static_cast<size_t>(t); i < txs.size(); i += 8) {
          if (!b->Append(txs[i]).ok()) ++failures;
        }
      });
    }
    for (auto& th : threads) th.join();
    CHECK(failures.load() == 0);
  }
  auto box = Outbox::Open(path);
  REQUIRE(box.ok());
  std::set<Hash32> got;
  for (const auto& tx : (*box)->Entries()) got.insert(tx.id());
  CHECK(got.size() == txs.size());
  for (const auto& tx : txs) CHECK(got.count(tx.id()) == 1);
}

TEST_CASE("outbox: compaction keeps exactly the uncommitted entries") {
  TempDir dir;
  const std::string path = (dir.path / "outbox.bin").string();
  auto key = PrivateKey::Generate(Suite::kEd25519Sha256);
  REQUIRE(key.ok());
  std::vector<Transaction> txs;
  for (uint64_t i = 0; i < 6; ++i) txs.push_back(Access(*key, i));
  auto box = Outbox::Open(path);
  REQUIRE(box.ok());
  for (const auto& tx : txs) REQUIRE((*box)->Append(tx).ok());
  std::set<Hash32> committed = {txs[0].id(), txs[2].id(), txs[5].id()};
  REQUIRE((*box)->Compact([&](const Hash32& id) { return committed.count(id) > 0; }).ok());
  CHECK((*box)->size() == 3);
  // Appending after compaction still works and is durable.
  Transaction extra = Access(*key, 42);
  REQUIRE((*box)->Append(extra).ok());
  box->reset();
  auto again = Outbox::Open(path);
  REQUIRE(again.ok());
  auto entries = (*again)->Entries();
  REQUIRE(entries.size() == 4);
  CHECK(entries[0].id() == txs[1].id());
  CHECK(entries[1].id() == txs[3].id());
  CHECK(entries[2].id() == txs[4].id());
  CHECK(entries[3].id() == extra.id());
}

}  // namespace
}  // namespace hearth::node
