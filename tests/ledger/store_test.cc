// Block store tests on real LevelDB: a chain of signed blocks read back and proved after
// every reopen, invalid blocks rejected without a trace, damage found at open.
#include "hearth/ledger/store.h"

#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "hearth/ledger/auth_index.h"
#include "hearth/ledger/index_keys.h"
#include "hearth/ledger/merkle.h"
#include "ledger/fault_env.h"
#include "ledger/store_chain.h"

namespace hearth::testing {
namespace {

constexpr uint64_t kSeed = 20240301;

std::unique_ptr<BlockStore> OpenStore(const std::string& path, const TestChain& chain,
                                      BlockStore::Options options = {}) {
  auto store = BlockStore::Open(path, chain.suite(), chain.chain_id(), chain.genesis(), options);
  INFO(store.status().ToString());
  REQUIRE(store.ok());
  return std::move(store).value();
}

std::map<std::string, std::string> Snapshot(BlockStore& store) {
  std::map<std::string, std::string> all;
  REQUIRE(store.TEST_db()->Scan("", "", Db::kScanEntriesMax, [&](std::string_view k, std::string_view v) {
    all.emplace(k, v);
    return true;
  }).ok());
  return all;
}

TEST_CASE("a chain of signed blocks reads back and proves, after a reopen after every commit") {
  INFO("seed " << kSeed);
  ScopedTempDir dir("store");
  TestChain chain(kSeed);
  ChainModel model;
  auto store = OpenStore(dir.path(), chain);
  CheckAll(*store, chain, model);
  const size_t sizes[] = {3, 0, 7, 1, 12, 5, 16, 2, 9, 4};
  for (size_t n : sizes) {
    INFO("block " << model.height() + 1 << " with " << n << " txs");
    REQUIRE(CommitNext(*store, chain, model, n).ok());
    const ChainHead before = store->head();
    store.reset();
    store = OpenStore(dir.path(), chain);
    CHECK(store->head() == before);
    CheckHead(*store, chain, model);
  }
  CheckAll(*store, chain, model);
}

TEST_CASE("PreviewRoots changes nothing and predicts the committed header") {
  ScopedTempDir dir("store");
  TestChain chain(kSeed + 1);
  ChainModel model;
  auto store = OpenStore(dir.path(), chain);
  REQUIRE(CommitNext(*store, chain, model, 4).ok());
  const auto before = Snapshot(*store);
  const ChainHead head = store->head();
  std::vector<Transaction> txs = chain.Txs(6);
  auto roots = store->PreviewRoots(txs);
  REQUIRE(roots.ok());
  auto again = store->PreviewRoots(txs);
  REQUIRE(again.ok());
  CHECK(again->index_root == roots->index_root);
  CHECK(again->log_root == roots->log_root);
  CHECK(Snapshot(*store) == before);
  CHECK(store->head() == head);
  CHECK(roots->height == 2);
  CHECK(roots->prev_hash == head.block_hash);
  CHECK(roots->log_size == head.log_size + 6);
  Block block = chain.MakeBlock(*roots, txs);
  REQUIRE(store->CommitBlock(block, chain.Certify(block.header)).ok());
  CHECK(store->head().log_root == roots->log_root);
  CHECK(store->head().index_root == roots->index_root);
}

TEST_CASE("a held preview never leaks into reads, and another block's commit discards it") {
  ScopedTempDir dir("store");
  TestChain chain(kSeed + 7);
  ChainModel model;
  auto store = OpenStore(dir.path(), chain);
  REQUIRE(CommitNext(*store, chain, model, 5).ok());
  std::vector<Transaction> a = chain.Txs(4);
  std::vector<Transaction> b = chain.Txs(3);
  auto roots_a = store->PreviewRoots(a);
  REQUIRE(roots_a.ok());
  // While A is staged, every read and proof still shows the committed chain only.
  CheckAll(*store, chain, model);
  auto roots_b = store->PreviewRoots(b);  // replaces the preview of A
  REQUIRE(roots_b.ok());
  CHECK(roots_b->log_size == roots_a->log_size - 1);
  // Committing A (not the held preview) stages A again and gives A's roots.
  Block block = chain.MakeBlock(*roots_a, a);
  CommitCertificate cert = chain.Certify(block.header);
  REQUIRE(store->CommitBlock(block, cert).ok());
  model.Add(chain.suite(), block, cert);
  CHECK(store->head().index_root == roots_a->index_root);
  CheckAll(*store, chain, model);
  // A preview made before a commit is stale after it: the same transactions of B now give
  // roots over the new head.
  auto roots_b2 = store->PreviewRoots(b);
  REQUIRE(roots_b2.ok());
  CHECK(roots_b2->height == roots_b->height + 1);
  CHECK(roots_b2->log_size == store->head().log_size + 3);
  REQUIRE(CommitNext(*store, chain, model, 2).ok());
  CheckAll(*store, chain, model);
}

// Tries `block` (certified as given), expects `code` and `text` in the message, then
// checks nothing changed and the next valid block still commits.
void ExpectRejected(BlockStore& store, TestChain& chain, ChainModel& model, const Block& block,
                    const CommitCertificate& cert, Code code, const std::string& text) {
  const auto before = Snapshot(store);
  const ChainHead head = store.head();
  Status s = store.CommitBlock(block, cert);
  INFO(s.ToString());
  CHECK(s.code() == code);
  CHECK(s.message().find(text) != std::string::npos);
  CHECK(Snapshot(store) == before);
  CHECK(store.head() == head);
  REQUIRE(CommitNext(store, chain, model, 3).ok());
  CheckAll(store, chain, model);
}

TEST_CASE("invalid blocks are rejected and write nothing") {
  INFO("seed " << kSeed + 2);
  ScopedTempDir dir("store");
  TestChain chain(kSeed + 2);
  ChainModel model;
  auto store = OpenStore(dir.path(), chain);
  for (int i = 0; i < 3; ++i) REQUIRE(CommitNext(*store, chain, model, 4).ok());
  std::vector<Transaction> txs = chain.Txs(5);
  auto roots = store->PreviewRoots(txs);
  REQUIRE(roots.ok());
  Block block = chain.MakeBlock(*roots, txs);
  auto reject = [&](Block bad, Code code, const std::string& text) {
    ExpectRejected(*store, chain, model, bad, chain.Certify(bad.header), code, text);
  };

  SECTION("height beyond head + 1") {
    block.header.height += 1;
    reject(block, Code::kFailedPrecondition, "expected height 4");
  }
  SECTION("height of a committed block") {
    block.header.height = 3;
    block.header.prev_hash = model.blocks[1].header.prev_hash;
    reject(block, Code::kFailedPrecondition, "expected height 4");
  }
  SECTION("wrong prev hash") {
    block.header.prev_hash = model.blocks[1].header.prev_hash;
    reject(block, Code::kFailedPrecondition, "prev hash");
  }
  SECTION("wrong tx root") {
    block.header.tx_root = model.blocks[0].header.tx_root;
    reject(block, Code::kInvalidArgument, "tx");
  }
  SECTION("wrong log size") {
    block.header.log_size += 1;
    reject(block, Code::kInvalidArgument, "log size in header");
  }
  SECTION("wrong log root") {
    block.header.log_root = model.blocks[2].header.log_root;
    reject(block, Code::kInvalidArgument, "log root in header");
  }
  SECTION("wrong index root") {
    block.header.index_root = model.blocks[2].header.index_root;
    reject(block, Code::kInvalidArgument, "index root in header");
  }
  SECTION("a transaction committed before") {
    const Transaction old = model.blocks[1].txs[2];
    txs[3] = old;
    CHECK(store->PreviewRoots(txs).status().code() == Code::kAlreadyExists);
    Block dup = chain.MakeBlock(*roots, txs);  // header roots are stale: the duplicate is found first
    dup.header.tx_root = TxRoot(chain.suite(), std::span<const Transaction>(dup.txs));
    reject(dup, Code::kAlreadyExists, old.id().Hex().substr(0, 12));
  }
  SECTION("a transaction twice in the block") {
    txs[4] = txs[1];
    Block dup = chain.MakeBlock(*roots, txs);
    reject(dup, Code::kAlreadyExists, txs[1].id().Hex().substr(0, 12));
  }
  SECTION("a block of another chain") {
    TestChain other(kSeed + 3, "other-chain");
    Block foreign = other.MakeBlock(*roots, other.Txs(5));
    foreign.header.tx_root = TxRoot(other.suite(), std::span<const Transaction>(foreign.txs));
    reject(foreign, Code::kInvalidArgument, "chain id");
  }
  SECTION("a certificate of another block") {
    Block other = block;
    other.header.time_ms += 1;
    ExpectRejected(*store, chain, model, block, chain.Certify(other.header), Code::kInvalidArgument,
                   "certificate");
  }
  SECTION("the valid block itself commits") {
    REQUIRE(store->CommitBlock(block, chain.Certify(block.header)).ok());
    model.Add(chain.suite(), block, chain.Certify(block.header));
    CheckAll(*store, chain, model);
  }
}

TEST_CASE("blocks commit from wire bytes, an undecodable body names the position") {
  ScopedTempDir dir("store");
  TestChain chain(kSeed + 6);
  ChainModel model;
  auto store = OpenStore(dir.path(), chain);
  std::vector<Transaction> txs = chain.Txs(4);
  auto roots = store->PreviewRoots(txs);
  REQUIRE(roots.ok());
  const Block block = chain.MakeBlock(*roots, txs);
  const CommitCertificate cert = chain.Certify(block.header);
  const Bytes cert_bytes = EncodeCertificate(cert);
  Bytes bad = EncodeBlock(block);
  bad[bad.size() - txs[3].EncodedSize() + 6] ^= 0x7F;  // inside the last tx's body header
  Status s = store->CommitEncodedBlock(bad, cert_bytes);
  INFO(s.ToString());
  CHECK(s.code() == Code::kInvalidArgument);
  CHECK(s.message().find("txs[3]") != std::string::npos);
  CHECK(store->head().height == 0);
  REQUIRE(store->CommitEncodedBlock(EncodeBlock(block), cert_bytes).ok());
  model.Add(chain.suite(), block, cert);
  CheckAll(*store, chain, model);
}

TEST_CASE("open refuses a store of another chain, suite or genesis") {
  ScopedTempDir dir("store");
  TestChain chain(kSeed + 4);
  ChainModel model;
  {
    auto store = OpenStore(dir.path(), chain);
    REQUIRE(CommitNext(*store, chain, model, 2).ok());
  }
  const BlockStore::Options options;
  auto other_id = BlockStore::Open(dir.path(), chain.suite(), "another-chain", chain.genesis(), options);
  CHECK(other_id.status().code() == Code::kFailedPrecondition);
  auto other_genesis = BlockStore::Open(dir.path(), chain.suite(), chain.chain_id(), Hash32{}, options);
  CHECK(other_genesis.status().code() == Code::kFailedPrecondition);
  auto other_suite = BlockStore::Open(dir.path(), Suite::kSm2Sm3, chain.chain_id(), chain.genesis(), options);
  CHECK(other_suite.status().code() == Code::kFailedPrecondition);
  auto bad_id = BlockStore::Open(dir.path(), chain.suite(), "bad chain id!", chain.genesis(), options);
  CHECK(bad_id.status().code() == Code::kInvalidArgument);
  BlockStore::Options no_create;
  no_create.create_if_missing = false;
  auto missing = BlockStore::Open(dir.path() + "/missing", chain.suite(), chain.chain_id(), chain.genesis(), no_create);
  CHECK(missing.status().code() == Code::kNotFound);
  auto fine = OpenStore(dir.path(), chain, no_create);
  CHECK(fine->head().height == 1);
}

TEST_CASE("list entries locate their transactions, a wrong or missing location is caught") {
  ScopedTempDir dir("store");
  TestChain chain(kSeed + 9);
  ChainModel model;
  auto store = OpenStore(dir.path(), chain);
  for (size_t n : {4, 3, 5}) REQUIRE(CommitNext(*store, chain, model, n).ok());
  const Suite suite = chain.suite();
  const Transaction& tx = model.blocks[1].txs[2];
  const std::vector<Hash32> keys = IndexKeysOf(suite, tx);
  REQUIRE(!keys.empty());
  auto listed = store->IndexList(keys[0], 3);
  REQUIRE(listed.ok());
  const auto pos = std::find(listed->ids.begin(), listed->ids.end(), tx.id()) - listed->ids.begin();
  REQUIRE(pos < static_cast<long>(listed->ids.size()));
  const TxLocation at = listed->locations[pos];
  CHECK(at.height == 2);
  CHECK(at.position == 2);
  CHECK(at == store->LocateTx(tx.id()).value());
  // A location that holds another transaction is Corruption; none or above the head NotFound.
  const Hash32 other = model.blocks[2].txs[0].id();
  auto wrong = store->GetTxAt(other, at);
  CHECK(wrong.status().code() == Code::kCorruption);
  CHECK(wrong.status().message().find("holds tx") != std::string::npos);
  CHECK(store->GetTxAt(tx.id(), TxLocation{4, 0, 12}).status().code() == Code::kNotFound);
  CHECK(store->GetTxAt(tx.id(), TxLocation{}).status().code() == Code::kNotFound);
  // At height 1 the tx (filed at 2) is not listed.
  auto before = store->IndexList(keys[0], 1);
  REQUIRE(before.ok());
  CHECK(std::find(before->ids.begin(), before->ids.end(), tx.id()) == before->ids.end());

  // Entries as a store older than list locations wrote them (the id alone): IndexList falls
  // back to the index value and gives the same ids, with unknown locations.
  MemKv unused;
  const AuthIndex keys_of(suite, &unused, std::string(1, '\x08'));
  leveldb::WriteBatch batch;
  std::vector<std::string> with_locations;
  for (size_t seq = 0; seq < listed->ids.size(); ++seq) {
    const std::string k = keys_of.ListKey(keys[0], seq);
    std::string v;
    REQUIRE(store->TEST_db()->Get(k, &v).ok());
    REQUIRE(v.size() == 52);
    with_locations.push_back(v);
    batch.Put(k, v.substr(0, 32));
  }
  REQUIRE(store->TEST_db()->Write(&batch, Durability::kSync).ok());
  auto legacy = store->IndexList(keys[0], 3);
  REQUIRE(legacy.ok());
  CHECK(legacy->ids == listed->ids);
  CHECK(legacy->value.has_value());
  CHECK(legacy->root == model.blocks[2].header.index_root);
  for (const TxLocation& l : legacy->locations) CHECK(l == TxLocation());
  auto proven = store->ProveIndex(keys[0], 3);
  REQUIRE(proven.ok());
  CHECK(proven->ids == listed->ids);
  // A damaged entry is Corruption, not a shorter list.
  leveldb::WriteBatch damage;
  damage.Put(keys_of.ListKey(keys[0], 0), std::string(40, 'x'));
  REQUIRE(store->TEST_db()->Write(&damage, Durability::kSync).ok());
  CHECK(store->IndexList(keys[0], 3).status().code() == Code::kCorruption);
  CHECK(store->ProveIndex(keys[0], 3).status().code() == Code::kCorruption);
  // A missing last entry: ProveIndex's list (read outside the store's lock) is shorter than
  // the proven count, so it takes the locked path, which names the missing entry.
  leveldb::WriteBatch mend_and_drop;
  for (size_t seq = 0; seq < listed->ids.size(); ++seq) {
    mend_and_drop.Put(keys_of.ListKey(keys[0], seq), with_locations[seq]);
  }
  mend_and_drop.Delete(keys_of.ListKey(keys[0], listed->ids.size() - 1));
  REQUIRE(store->TEST_db()->Write(&mend_and_drop, Durability::kSync).ok());
  CHECK(store->IndexList(keys[0], 3)->ids.size() == listed->ids.size() - 1);  // no proof: shorter
  auto dropped = store->ProveIndex(keys[0], 3);
  CHECK(dropped.status().code() == Code::kCorruption);
  CHECK(dropped.status().message().find("missing") != std::string::npos);
}

// An Env whose next Sync of a LevelDB log file waits until the test opens the gate: the
// commit that issued it is then inside its synced write.
class GateEnv final : public leveldb::EnvWrapper {
 public:
  GateEnv() : EnvWrapper(leveldb::Env::Default()) {}
  void Arm() {
    std::lock_guard lock(mu_);
    armed_ = true;
    entered_ = false;
  }
  void WaitEntered() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return entered_; });
  }
  void Open() {
    std::lock_guard lock(mu_);
    armed_ = false;
    cv_.notify_all();
  }
  leveldb::Status NewWritableFile(const std::string& name, leveldb::WritableFile** out) override {
    leveldb::Status s = target()->NewWritableFile(name, out);
    if (s.ok() && name.ends_with(".log")) *out = new GatedFile(this, *out);
    return s;
  }

 private:
  class GatedFile final : public leveldb::WritableFile {
   public:
    GatedFile(GateEnv* env, leveldb::WritableFile* base) : env_(env), base_(base) {}
    leveldb::Status Append(const leveldb::Slice& data) override { return base_->Append(data); }
    leveldb::Status Close() override { return base_->Close(); }
    leveldb::Status Flush() override { return base_->Flush(); }
    leveldb::Status Sync() override {
      {
        std::unique_lock lock(env_->mu_);
        if (env_->armed_) {
          env_->entered_ = true;
          env_->cv_.notify_all();
          env_->cv_.wait(lock, [&] { return !env_->armed_; });
        }
      }
      return base_->Sync();
    }

   private:
    GateEnv* env_;
    std::unique_ptr<leveldb::WritableFile> base_;
  };
  std::mutex mu_;
  std::condition_variable cv_;
  bool armed_ = false;
  bool entered_ = false;
};

TEST_CASE("proofs and lists are answered while a commit waits for its fsync") {
  ScopedTempDir dir("store");
  TestChain chain(kSeed + 11);
  ChainModel model;
  GateEnv env;
  BlockStore::Options options;
  options.env = &env;
  auto store = OpenStore(dir.path(), chain, options);
  for (size_t n : {3, 4}) REQUIRE(CommitNext(*store, chain, model, n).ok());
  const ChainHead head = store->head();
  const Transaction& tx = model.blocks[1].txs[0];
  const Hash32 key = IndexKeysOf(chain.suite(), tx).at(0);

  env.Arm();
  std::thread committer([&] { CHECK(CommitNext(*store, chain, model, 5).ok()); });
  env.WaitEntered();  // the third block's commit is inside its synced write
  // The log proof and root take the store's lock (index proofs and lists read committed
  // state without it): none of them may wait for the write to finish.
  auto reads = std::async(std::launch::async, [&] {
    bool ok = store->InclusionProof(head.log_size - 1, head.log_size).ok();
    auto proven = store->ProveIndex(key, head.height);
    ok = ok && proven.ok() && !proven->ids.empty();
    ok = ok && store->IndexRootAt(head.height).ok() && store->head() == head;
    auto listed = store->IndexList(key, head.height);
    return ok && listed.ok() && listed->ids == proven->ids;
  });
  // Generous: this only tells a deadlock (reads blocked behind the write) from a slow machine.
  const bool answered = reads.wait_for(std::chrono::seconds(60)) == std::future_status::ready;
  CHECK(answered);
  env.Open();
  committer.join();
  CHECK(reads.get());
  CHECK(store->head().height == head.height + 1);
  CheckAll(*store, chain, model);
}

TEST_CASE("reads during commits see only committed state") {
  // Readers on other threads prove against whatever head they see while blocks commit;
  // every proof must verify against the header at that head (never staged state).
  constexpr int kBlocks = 12;
  constexpr int kReaders = 2;
  ScopedTempDir dir("store");
  TestChain chain(kSeed + 5);
  ChainModel model;
  auto store = OpenStore(dir.path(), chain);
  std::vector<std::vector<Transaction>> txs;
  for (int i = 0; i < kBlocks; ++i) txs.push_back(chain.Txs(6));  // signed up front
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::atomic<int> checked{0};
  auto reader = [&] {
    const Suite suite = chain.suite();
    while (!done.load()) {
      const ChainHead head = store->head();
      if (head.height == 0) continue;
      auto header = store->Header(head.height);
      auto leaf = store->LogLeafHash(head.log_size - 1);
      auto proof = store->InclusionProof(head.log_size - 1, head.log_size);
      auto index_root = store->IndexRootAt(head.height);
      const bool good = header.ok() && leaf.ok() && proof.ok() && index_root.ok() &&
                        BlockHash(*header) == head.block_hash && *index_root == header->index_root &&
                        merkle::VerifyInclusion(suite, *leaf, head.log_size - 1, head.log_size,
                                                header->log_root, *proof).ok();
      // The lock-free list read: the head block's last tx is filed under each of its keys
      // at the head, with its location, and nothing filed above the head shows.
      bool listed = true;
      const Transaction& last = txs[head.height - 1].back();
      for (const Hash32& key : IndexKeysOf(suite, last)) {
        // The lock-free proof, while the writer stages the next block's pages and root and
        // fills the page cache beside it: a walk at the head never asks for a staged
        // version, so what this guards is the concurrency itself (a torn page, a cache
        // slot read while replaced, a freed page: a wrong proof here, or ASan's report).
        auto proven = store->ProveIndex(key, head.height);
        listed = listed && proven.ok() && header.ok() && proven->root == header->index_root &&
                 !proven->ids.empty() && proven->ids.back() == last.id() &&
                 VerifyIndexEntry(suite, header->index_root, key, proven->ids, proven->proof).ok();
        auto list = store->IndexList(key, head.height);
        listed = listed && list.ok() && !list->ids.empty() && list->ids.back() == last.id() &&
                 list->locations.back().height == head.height &&
                 list->locations.back().log_index == head.log_size - 1;
        for (size_t j = 0; listed && j < list->locations.size(); ++j) {
          listed = list->locations[j].height <= head.height;
        }
      }
      if (!good || !listed) failures.fetch_add(1);
      checked.fetch_add(1);
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < kReaders; ++i) threads.emplace_back(reader);
  for (int i = 0; i < kBlocks; ++i) {
    auto roots = store->PreviewRoots(txs[i]);
    REQUIRE(roots.ok());
    Block block = chain.MakeBlock(*roots, txs[i]);
    const CommitCertificate cert = chain.Certify(block.header);
    REQUIRE(store->CommitBlock(block, cert).ok());
    model.Add(chain.suite(), block, cert);
  }
  // Let the readers see the final head at least once before stopping them.
  const int seen = checked.load();
  while (checked.load() < seen + 2 * kReaders) {
  }
  done.store(true);
  for (auto& t : threads) t.join();
  CHECK(failures.load() == 0);
  CheckAll(*store, chain, model);
}

}  // namespace
}  // namespace hearth::testing
