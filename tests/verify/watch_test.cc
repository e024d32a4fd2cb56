// The change watch: an enrolled 低保 household lifted over the threshold by a wage
// correction raises exactly one alert, also across a restart and a rebuild from scratch;
// changes that do not flip the decision, and households that are not enrolled, raise none.
#include <catch2/catch.hpp>

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "hearth/ledger/block.h"
#include "hearth/ledger/store.h"
#include "hearth/ledger/transaction.h"
#include "hearth/verify/engine.h"
#include "hearth/verify/rules.h"
#include "hearth/verify/watch.h"
#include "verify/commit_block.h"

namespace hearth::verify {
namespace {

// 2024-08-05T00:00:00Z: as_of 202408 (CST), window 202308..202407, 低保 1450 yuan.
constexpr uint64_t kTimeMs = 1'722'816'000'000ULL;

class WatchChain {
 public:
  explicit WatchChain(Suite suite) : suite_(suite) {
    std::string pattern = "/tmp/hearth-watch-XXXXXX";
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    dir_ = pattern;
    const Agency agencies[4] = {Agency::kCivilAffairs, Agency::kTax, Agency::kSocialSecurity,
                                Agency::kDisabilityFederation};
    trust_.chain_id = "watch-test";
    trust_.suite = suite;
    trust_.f = 1;
    trust_.genesis_hash = SuiteHash(suite, AsBytes("watch genesis"));
    for (Agency a : agencies) {
      node_keys_.push_back(Generate());
      issuers_.push_back(Generate());
      trust_.members.push_back(TrustMember{a, node_keys_.back().public_key(), {issuers_.back().public_key()}});
    }
    auto store = BlockStore::Open(dir_ + "/store", suite, trust_.chain_id, trust_.genesis_hash, {});
    REQUIRE(store.ok());
    store_ = std::move(*store);
  }
  ~WatchChain() {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  const Trust& trust() const { return trust_; }
  const BlockStore& store() const { return *store_; }
  std::string watch_path() const { return dir_ + "/watch"; }
  const PrivateKey& civil() const { return issuers_[0]; }
  const PrivateKey& tax() const { return issuers_[1]; }
  const PrivateKey& social() const { return issuers_[2]; }
  Hash32 Id(const std::string& s) const { return SuiteHash(suite_, AsBytes(s)); }

  template <typename Payload>
  Transaction Sign(const Payload& p, const PrivateKey& key) {
    TxBody body;
    body.suite = suite_;
    body.chain_id = trust_.chain_id;
    body.issued_at_ms = kTimeMs;
    body.nonce = nonce_++;
    body.payload = p;
    auto tx = Transaction::Sign(std::move(body), key);
    REQUIRE(tx.ok());
    return *tx;
  }

  Transaction Monthly(const Hash32& subject, Category c, int64_t fen, const PrivateKey& key,
                      std::optional<Hash32> supersedes = std::nullopt) {
    Attestation a;
    a.subject = subject;
    a.category = c;
    a.first_month = 202308;
    a.last_month = 202407;
    a.amount_fen = fen;
    a.supersedes = supersedes;
    return Sign(a, key);
  }

  void Commit(std::vector<Transaction> txs) {
    testing::CommitBlockWithQuorum(*store_, suite_, trust_.chain_id, node_keys_, kTimeMs, std::move(txs));
  }


 private:
  PrivateKey Generate() {
    auto k = PrivateKey::Generate(suite_);
    REQUIRE(k.ok());
    return *k;
  }

  Suite suite_;
  std::string dir_;
  Trust trust_;
  std::vector<PrivateKey> node_keys_, issuers_;
  uint64_t nonce_ = 0;
  std::unique_ptr<BlockStore> store_;
};

std::unique_ptr<ChangeWatch> OpenWatch(const WatchChain& chain) {
  auto w = ChangeWatch::Open(chain.watch_path(), chain.store(), chain.trust());
  INFO(w.status().ToString());
  REQUIRE(w.ok());
  return std::move(*w);
}

std::vector<Alert> AllAlerts(const ChangeWatch& w) {
  auto a = w.Alerts(std::nullopt, 0, 100);
  REQUIRE(a.ok());
  return *a;
}

TEST_CASE("MonthOfTimeCst uses UTC+8 month boundaries") {
  CHECK(MonthOfTimeCst(1'722'816'000'000ULL) == 202408);  // 2024-08-05T00:00Z
  // 2024-07-31T16:00:00Z is 2024-08-01T00:00 in Beijing.
  CHECK(MonthOfTimeCst(1'722'441'600'000ULL) == 202408);
  CHECK(MonthOfTimeCst(1'722'441'599'999ULL) == 202407);
  CHECK(MonthOfTimeCst(946'684'800'000ULL) == 200001);
  CHECK(MonthOfTimeCst(951'782'400'000ULL) == 200002);  // 2000-02-29T00:00Z
}

TEST_CASE("change watch: a wage that lifts an enrolled dibao household over the threshold") {
  for (Suite suite : {Suite::kEd25519Sha256, Suite::kSm2Sm3}) {
    DYNAMIC_SECTION("suite " << SuiteName(suite)) {
      WatchChain chain(suite);
      const Hash32 household = chain.Id("household 1"), a = chain.Id("A"), b = chain.Id("B");
      const Hash32 other_household = chain.Id("household 2"), c = chain.Id("C");
      const Hash32 sorted_ab[2] = {std::min(a, b), std::max(a, b)};

      // Block 1: rule set, two households (only the first will be enrolled), their reports.
      HouseholdDeclaration d1{household, {sorted_ab[0], sorted_ab[1]}, 202001};
      HouseholdDeclaration d2{other_household, {c}, 202001};
      Transaction wage_a = chain.Monthly(a, Category::kWage, 50'000, chain.tax());
      chain.Commit({chain.Sign(DefaultRuleSets().front().record, chain.civil()), chain.Sign(d1, chain.civil()),
                    chain.Sign(d2, chain.civil()), wage_a, chain.Monthly(b, Category::kWage, 0, chain.tax()),
                    chain.Monthly(a, Category::kPension, 0, chain.social()),
                    chain.Monthly(b, Category::kPension, 0, chain.social()),
                    chain.Monthly(c, Category::kWage, 10'000, chain.tax()),
                    chain.Monthly(c, Category::kPension, 0, chain.social())});
      // Block 2: the enrollment (baseline: eligible, 25,000 fen per person).
      chain.Commit({chain.Sign(Enrollment{household, Programme::kDibao, 202301, std::nullopt}, chain.civil())});

      auto watch = OpenWatch(chain);
      REQUIRE(watch->CatchUp().ok());
      CHECK(watch->processed_height() == 2);
      CHECK(watch->watched() == 1);
      CHECK(AllAlerts(*watch).empty());

      // Block 3: a report that does not change the decision, and one about a household
      // nobody enrolled: no alert.
      chain.Commit({chain.Monthly(b, Category::kSupportReceived, 1'000, chain.civil()),
                    chain.Monthly(c, Category::kWage, 900'000, chain.tax())});
      REQUIRE(watch->CatchUp().ok());
      CHECK(AllAlerts(*watch).empty());

      // Block 4: A's wage corrected to 4,000 yuan a month: (400,000 + 1,000) / 2 per month is
      // above 145,000 fen. Exactly one alert, naming the correction.
      Transaction correction = chain.Monthly(a, Category::kWage, 400'000, chain.tax(), wage_a.id());
      chain.Commit({correction});
      REQUIRE(watch->CatchUp().ok());
      std::vector<Alert> alerts = AllAlerts(*watch);
      REQUIRE(alerts.size() == 1);
      CHECK(alerts[0].height == 4);
      CHECK(alerts[0].household == household);
      CHECK(alerts[0].programme == Programme::kDibao);
      CHECK(alerts[0].as_of == 202408);
      CHECK(alerts[0].old_decision == Decision::kEligible);
      CHECK(alerts[0].new_decision == Decision::kIneligible);
      CHECK(alerts[0].old_per_capita_fen == std::optional<int64_t>(25'500));
      CHECK(alerts[0].new_per_capita_fen == std::optional<int64_t>(200'500));
      CHECK(alerts[0].causes == std::vector<Hash32>{correction.id()});
      // Per-household listing.
      auto mine = watch->Alerts(household, 0, 10);
      REQUIRE(mine.ok());
      CHECK(mine->size() == 1);
      auto theirs = watch->Alerts(other_household, 0, 10);
      REQUIRE(theirs.ok());
      CHECK(theirs->empty());
      auto later = watch->Alerts(std::nullopt, 5, 10);
      REQUIRE(later.ok());
      CHECK(later->empty());

      // Restart: nothing new, the alert is still there, exactly once.
      watch.reset();
      watch = OpenWatch(chain);
      CHECK(watch->processed_height() == 4);
      REQUIRE(watch->CatchUp().ok());
      CHECK(AllAlerts(*watch) == alerts);

      // Rebuild from nothing (the watch is derived from the chain): the same single alert.
      watch.reset();
      std::filesystem::remove_all(chain.watch_path());
      watch = OpenWatch(chain);
      CHECK(watch->processed_height() == 0);
      REQUIRE(watch->CatchUp(2).ok());  // bounded steps
      CHECK(watch->processed_height() == 2);
      REQUIRE(watch->CatchUp().ok());
      CHECK(AllAlerts(*watch) == alerts);
      CHECK(watch->watched() == 1);

      // Block 5: the enrollment ends (last month before as_of): the household is no longer
      // watched, and a correction that would flip it back raises nothing.
      chain.Commit({chain.Sign(Enrollment{household, Programme::kDibao, 202301, 202406}, chain.civil())});
      REQUIRE(watch->CatchUp().ok());
      CHECK(watch->watched() == 0);
      chain.Commit({chain.Monthly(a, Category::kWage, 50'000, chain.tax(), correction.id())});
      REQUIRE(watch->CatchUp().ok());
      CHECK(AllAlerts(*watch) == alerts);
      // Reopened: the count of watched pairs is read back from the database.
      watch.reset();
      watch = OpenWatch(chain);
      CHECK(watch->watched() == 0);
    }
  }
}

TEST_CASE("change watch: a watch database ahead of the chain is refused") {
  WatchChain chain(Suite::kEd25519Sha256);
  chain.Commit({chain.Sign(DefaultRuleSets().front().record, chain.civil())});
  {
    auto watch = OpenWatch(chain);
    REQUIRE(watch->CatchUp().ok());
  }
  WatchChain other(Suite::kEd25519Sha256);  // empty chain, same watch folder layout
  std::filesystem::create_directories(other.watch_path());
  std::filesystem::remove_all(other.watch_path());
  std::filesystem::copy(chain.watch_path(), other.watch_path(), std::filesystem::copy_options::recursive);
  auto w = ChangeWatch::Open(other.watch_path(), other.store(), other.trust());
  REQUIRE_FALSE(w.ok());
  CHECK_THAT(w.status().message(), Catch::Contains("above the store's head"));
}

}  // namespace
}  // namespace hearth::verify
