// Block store crash tests over FaultEnv (a LevelDB Env that forgets unsynced writes at a
// simulated power cut). The property: after a crash and reopen the store holds exactly the
// blocks whose CommitBlock returned OK, each whole (header, transactions, tx index, log and
// index all agree). The tests have teeth: with TEST_sync_writes = false the same property
// must fail, so switching the store's writes to unsynced breaks this test.
#include <catch2/catch.hpp>
#include <cstdint>
#include <memory>
#include <random>
#include <string>

#include "hearth/ledger/store.h"
#include "ledger/fault_env.h"
#include "ledger/store_chain.h"

namespace hearth::testing {
namespace {

constexpr uint64_t kSeed = 0x5EED'0001;
constexpr int kTrials = 12;
constexpr int kCrashesPerTrial = 3;
constexpr int kBlocksPerCrashMax = 5;
constexpr size_t kTxsPerBlockMax = 8;
// A block's synced LevelDB write is 4 log operations (record header and payload appends,
// flush, sync) when its batch fits one 32 KiB log block, more when it does not.
constexpr int kLogOpsPerSmallBlock = 4;
constexpr int kLogOpsPerBlockMax = 12;

struct Harness {
  explicit Harness(uint64_t seed, bool sync_writes = true) : chain(seed), rng(seed) {
    options.env = &env;
    options.TEST_sync_writes = sync_writes;
    Reopen();
  }
  void Reopen() {
    store.reset();
    auto opened = BlockStore::Open(dir.path(), chain.suite(), chain.chain_id(), chain.genesis(), options);
    INFO(opened.status().ToString());
    REQUIRE(opened.ok());
    store = std::move(opened).value();
  }
  // Power cut now (if not already), close, forget what was not durable, reopen.
  void CrashAndReopen() {
    env.CutPower();
    store.reset();
    leveldb::Status s = env.SimulateCrash();
    INFO(s.ToString());
    REQUIRE(s.ok());
    Reopen();
  }
  // The property under test, as a value so the teeth test can require it to be false.
  bool HoldsExactlyTheOkBlocks() const { return store->head().height == model.height(); }

  ScopedTempDir dir{"store-crash"};
  FaultEnv env;
  TestChain chain;
  ChainModel model;
  std::mt19937_64 rng;
  BlockStore::Options options;
  std::unique_ptr<BlockStore> store;
};

uint64_t Uniform(std::mt19937_64& rng, uint64_t lo, uint64_t hi) {
  return std::uniform_int_distribution<uint64_t>(lo, hi)(rng);
}

TEST_CASE("after a crash at a random point the store holds exactly the blocks committed OK") {
  int commits_cut = 0;  // commits the power cut interrupted (IOError)
  for (int trial = 0; trial < kTrials; ++trial) {
    const uint64_t seed = kSeed + static_cast<uint64_t>(trial);
    INFO("seed " << seed);
    Harness h(seed);
    for (int crash = 0; crash < kCrashesPerTrial; ++crash) {
      INFO("crash " << crash);
      // The power goes at a random log operation, maybe inside some block's write, maybe
      // never (then it goes between two blocks, after the last commit returned).
      const uint64_t blocks = Uniform(h.rng, 1, kBlocksPerCrashMax);
      const auto cut_at = static_cast<int>(Uniform(h.rng, 1, blocks * kLogOpsPerSmallBlock + 2));
      INFO("blocks " << blocks << ", power cut at log operation " << cut_at);
      h.env.CutPowerAtNthOp(cut_at, ".log");
      for (uint64_t b = 0; b < blocks && h.env.powered(); ++b) {
        Status s = CommitNext(*h.store, h.chain, h.model, Uniform(h.rng, 0, kTxsPerBlockMax));
        INFO(s.ToString());
        CHECK((s.ok() || s.code() == Code::kIOError));
        if (!s.ok()) ++commits_cut;
        if (Uniform(h.rng, 0, 4) == 0 && h.env.powered()) h.Reopen();  // a clean restart too
      }
      h.CrashAndReopen();
      REQUIRE(h.HoldsExactlyTheOkBlocks());
      CheckAll(*h.store, h.chain, h.model);
    }
  }
  CHECK(commits_cut > 0);  // some crashes did land inside a block's write
}

TEST_CASE("a crash between two blocks keeps both and the chain goes on") {
  Harness h(kSeed + 100);
  REQUIRE(CommitNext(*h.store, h.chain, h.model, 4).ok());
  REQUIRE(CommitNext(*h.store, h.chain, h.model, 5).ok());
  h.CrashAndReopen();
  REQUIRE(h.store->head().height == 2);
  CheckAll(*h.store, h.chain, h.model);
  REQUIRE(CommitNext(*h.store, h.chain, h.model, 3).ok());
  h.CrashAndReopen();
  REQUIRE(h.store->head().height == 3);
  CheckAll(*h.store, h.chain, h.model);
}

TEST_CASE("a crash at every operation of one block's write leaves all of it or none") {
  bool committed_once = false;
  for (int op = 1; op <= kLogOpsPerBlockMax && !committed_once; ++op) {
    INFO("power cut at log operation " << op);
    Harness h(kSeed + 200);
    REQUIRE(CommitNext(*h.store, h.chain, h.model, 6).ok());
    REQUIRE(CommitNext(*h.store, h.chain, h.model, 6).ok());
    h.env.CutPowerAtNthOp(op, ".log");
    Status s = CommitNext(*h.store, h.chain, h.model, kTxsPerBlockMax);
    INFO(s.ToString());
    CHECK((s.ok() || s.code() == Code::kIOError));
    committed_once = s.ok();
    h.CrashAndReopen();
    REQUIRE(h.HoldsExactlyTheOkBlocks());
    CHECK(h.store->head().height == (s.ok() ? 3u : 2u));
    CheckAll(*h.store, h.chain, h.model);
  }
  CHECK(committed_once);  // the loop reached the operation after the block's sync
}

TEST_CASE("teeth: with unsynced writes a block committed OK is lost at a crash") {
  // The same property as above must FAIL when the store does not sync: otherwise the
  // crash tests could not tell a synced store from an unsynced one.
  Harness h(kSeed + 300, /*sync_writes=*/false);
  for (int i = 0; i < 3; ++i) REQUIRE(CommitNext(*h.store, h.chain, h.model, 4).ok());
  h.CrashAndReopen();
  INFO("head after crash " << h.store->head().height << ", committed OK " << h.model.height());
  CHECK_FALSE(h.HoldsExactlyTheOkBlocks());
  CHECK(h.store->head().height < h.model.height());
}

// An injected I/O error fails the commit; nothing moves in memory; further commits are
// refused until a reopen, after which the store is whole (with or without the block).
void ExpectFailedCommit(Harness& h, bool crash_before_reopen) {
  const ChainHead before = h.store->head();
  std::vector<Transaction> txs = h.chain.Txs(5);
  auto roots = h.store->PreviewRoots(txs);
  REQUIRE(roots.ok());
  Block block = h.chain.MakeBlock(*roots, txs);
  const CommitCertificate cert = h.chain.Certify(block.header);
  Status s = h.store->CommitBlock(block, cert);
  INFO(s.ToString());
  REQUIRE(s.code() == Code::kIOError);
  CHECK(h.env.injected_failures() == 1);
  CHECK(h.store->head() == before);
  CHECK(h.store->LogRootAt(before.log_size).ok());
  CHECK(h.store->PreviewRoots(txs).status().code() == Code::kFailedPrecondition);
  CHECK(h.store->CommitBlock(block, cert).code() == Code::kFailedPrecondition);
  CheckAll(*h.store, h.chain, h.model);  // reads still serve the committed state
  if (crash_before_reopen) {
    h.CrashAndReopen();
    CHECK(h.store->head() == before);  // never synced, so never durable
  } else {
    h.Reopen();
    // The write may have reached the OS before the failure: all of the block or none.
    if (h.store->head().height == before.height + 1) h.model.Add(h.chain.suite(), block, cert);
  }
  REQUIRE(h.HoldsExactlyTheOkBlocks());
  CheckAll(*h.store, h.chain, h.model);
  REQUIRE(CommitNext(*h.store, h.chain, h.model, 3).ok());
  CheckAll(*h.store, h.chain, h.model);
}

TEST_CASE("injected write and sync errors fail the commit and leave a consistent store") {
  const bool crash = GENERATE(false, true);
  INFO((crash ? "crash" : "plain reopen") << " after the failure");
  SECTION("first append of the block's log record fails") {
    Harness h(kSeed + 400);
    REQUIRE(CommitNext(*h.store, h.chain, h.model, 4).ok());
    h.env.FailNthAppend(1, ".log");
    ExpectFailedCommit(h, crash);
  }
  SECTION("second append (the record's payload) fails") {
    Harness h(kSeed + 401);
    REQUIRE(CommitNext(*h.store, h.chain, h.model, 4).ok());
    h.env.FailNthAppend(2, ".log");
    ExpectFailedCommit(h, crash);
  }
  SECTION("the sync fails") {
    Harness h(kSeed + 402);
    REQUIRE(CommitNext(*h.store, h.chain, h.model, 4).ok());
    h.env.FailNthSync(1, ".log");
    ExpectFailedCommit(h, crash);
  }
}

}  // namespace
}  // namespace hearth::testing
