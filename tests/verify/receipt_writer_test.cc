// The receipt's direct writer (BuildReceipt writes the canonical JSON straight into one
// buffer) against the reference path it replaced (an nlohmann tree of the body, signed by
// SignReceiptJson, written by CanonicalJson): byte for byte the same receipts over many
// checks of a randomised chain — every programme, several checkpoints and as-of months,
// households that change, die, correct records, use revoked keys, hold assets, and strings
// that need escaping (attribute values end up in reasons; the custom rule set's JSON needs
// canonicalising). Also the memo of parsed rule sets (memo.h, ParseRulesCached).
#include <catch2/catch.hpp>

#include <stdlib.h>  // mkdtemp

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "hearth/ledger/block.h"
#include "hearth/ledger/crypto.h"
#include "hearth/ledger/records.h"
#include "hearth/ledger/store.h"
#include "hearth/ledger/transaction.h"
#include "hearth/verify/engine.h"
#include "hearth/verify/memo.h"
#include "hearth/verify/receipt.h"
#include "hearth/verify/rules.h"
#include "hearth/verify/store_evidence.h"
#include "verify/commit_block.h"
#include "temp_dir.h"

namespace hearth::verify {
namespace {

using json = nlohmann::json;

constexpr uint64_t kTimeMs = 1'738'368'000'000ULL;  // 2025-02-01T00:00Z
// Strings a caseworker's receipt must carry exactly: quotes, backslashes, control
// characters, CJK and a character outside the BMP (no NUL: attribute values refuse it).
const char* const kOddTypes[] = {"intellectual", "say \"hi\"", "back\\slash", "tab\there",
                                 "ctl\x01\x1f", "新\n行", "😀 emoji", "/slash/ and \x7f"};

// A dibao rule set of our own, later than the shipped one, whose asset conditions have
// member issuers (so they are judged, not skipped), at_or_below, missing counted as zero,
// and a text far from canonical (indentation, escapes, key order).
std::string CustomRules() {
  json d = json::parse(DefaultRuleSets().front().record.rules_json);
  d["version"] = 2;
  d["effective_from"] = 202409;
  d["comparison"] = "at_or_below";
  d["missing"] = "count_as_zero";
  d["deposits"]["issuers"] = {"tax"};
  d["vehicle"]["issuers"] = {"social_security"};
  d["real_estate"]["issuers"] = {"tax"};
  d["assumptions"].push_back("quote \" backslash \\ tab \t ctl \x01 slash / 中文 😀");
  std::string text = d.dump(3, ' ', true);  // \uXXXX escapes for all non-ASCII
  const std::string from = "slash / ";  // an escaped solidus, which canonical text drops
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), "slash \\/ ");
  return text;
}

class VariedChain {
 public:
  VariedChain(Suite suite, uint64_t seed) : suite_(suite), rng_(seed) {
    const Agency agencies[4] = {Agency::kCivilAffairs, Agency::kTax, Agency::kSocialSecurity,
                                Agency::kDisabilityFederation};
    trust_.chain_id = "writer-test";
    trust_.suite = suite;
    trust_.f = 1;
    trust_.genesis_hash = SuiteHash(suite, AsBytes("writer genesis"));
    for (Agency a : agencies) {
      node_keys_.push_back(NewKey());
      issuer_keys_.push_back(NewKey());
      trust_.members.push_back(
          TrustMember{a, node_keys_.back().public_key(), {issuer_keys_.back().public_key()}});
    }
    extra_tax_key_ = std::make_unique<PrivateKey>(NewKey());
    BlockStore::Options options;
    options.TEST_sync_writes = false;  // scratch data: nothing here tests durability
    auto store = BlockStore::Open(dir_.path() + "/store", suite, trust_.chain_id,
                                  trust_.genesis_hash, options);
    REQUIRE(store.ok());
    store_ = std::move(*store);
  }

  struct Household {
    Hash32 id;
    Hash32 consent;
    std::vector<Hash32> members;  // as first declared
  };

  void Build(size_t households) {
    std::vector<Transaction> first;
    for (const DefaultRuleSet& d : DefaultRuleSets()) first.push_back(Sign(d.record, issuer_keys_[0]));
    RuleSet custom{Programme::kDibao, 2, 202409, CustomRules()};
    first.push_back(Sign(custom, issuer_keys_[0]));
    KeyEvent add{KeyAction::kAdd, Agency::kTax, suite_, extra_tax_key_->public_key().raw(),
                 "second key \"quoted\""};
    first.push_back(Sign(add, node_keys_[1]));
    Commit(std::move(first));
    for (size_t h = 0; h < households; ++h) AddHousehold(h);
    KeyEvent revoke{KeyAction::kRevoke, Agency::kTax, suite_, extra_tax_key_->public_key().raw(), ""};
    Commit({Sign(revoke, node_keys_[1])});
    mid_height_ = store_->head().height;
    // After the revocation: records by the revoked key (ignored) and corrections.
    std::vector<Transaction> late;
    for (const Transaction& t : correctable_) {
      const Attestation& a = PayloadAs<Attestation>(t);
      Attestation c = a;
      c.amount_fen = a.amount_fen + Pick(0, 50'000);
      c.supersedes = t.id();
      const size_t signer = Pick(0, 3) == 0 ? 2 : 1;  // sometimes another agency's "correction"
      late.push_back(Sign(c, Pick(0, 4) == 0 ? *extra_tax_key_ : issuer_keys_[signer]));
    }
    Commit(std::move(late));
  }

  const Trust& trust() const { return trust_; }
  const BlockStore& store() const { return *store_; }
  const PrivateKey& node_key(size_t m) const { return node_keys_[m]; }
  const std::vector<Household>& households() const { return households_; }
  uint64_t mid_height() const { return mid_height_; }
  size_t Pick(size_t lo, size_t hi) { return std::uniform_int_distribution<size_t>(lo, hi)(rng_); }

 private:
  PrivateKey NewKey() {
    auto k = PrivateKey::Generate(suite_);
    REQUIRE(k.ok());
    return *k;
  }

  template <typename Payload>
  Transaction Sign(const Payload& payload, const PrivateKey& key) {
    TxBody body;
    body.suite = suite_;
    body.chain_id = trust_.chain_id;
    body.issued_at_ms = kTimeMs - 1000;
    body.nonce = next_nonce_++;
    body.payload = payload;
    auto tx = Transaction::Sign(std::move(body), key);
    INFO(tx.status().ToString());
    REQUIRE(tx.ok());
    return *tx;
  }

  Attestation Att(const Hash32& s, Category c, uint32_t first, uint32_t last, int64_t fen) {
    Attestation a;
    a.subject = s;
    a.category = c;
    a.first_month = first;
    a.last_month = last;
    a.amount_fen = fen;
    return a;
  }

  static uint32_t MonthAt(size_t i) {  // 0 -> 202307
    const size_t o = 2023 * 12 + 6 + i;
    return static_cast<uint32_t>((o / 12) * 100 + o % 12 + 1);
  }

  void AddHousehold(size_t h) {
    std::vector<Transaction> txs;
    Household hh;
    hh.id = SuiteHash(suite_, AsBytes("household " + std::to_string(h)));
    const size_t n = Pick(1, 4);
    for (size_t i = 0; i < n; ++i) {
      hh.members.push_back(SuiteHash(suite_, AsBytes("subject " + std::to_string(h) + "/" + std::to_string(i))));
    }
    std::sort(hh.members.begin(), hh.members.end());
    txs.push_back(Sign(HouseholdDeclaration{hh.id, hh.members, 202001}, issuer_keys_[0]));
    std::vector<Hash32> everyone = hh.members;
    if (Pick(0, 2) == 0) {  // a member joins, or one leaves, mid-window
      std::vector<Hash32> later = hh.members;
      if (later.size() > 1 && Pick(0, 1) == 0) {
        later.erase(later.begin() + static_cast<std::ptrdiff_t>(Pick(0, later.size() - 1)));
      } else {
        later.push_back(SuiteHash(suite_, AsBytes("newcomer " + std::to_string(h))));
        everyone.push_back(later.back());
        std::sort(later.begin(), later.end());
      }
      txs.push_back(Sign(HouseholdDeclaration{hh.id, later, MonthAt(Pick(3, 15))}, issuer_keys_[0]));
    }
    Consent consent{hh.id, SuiteHash(suite_, AsBytes("form")), kTimeMs - 86'400'000, std::nullopt};
    if (Pick(0, 1) == 0) consent.valid_until_ms = kTimeMs + 86'400'000'000ULL;
    Transaction consent_tx = Sign(consent, issuer_keys_[0]);
    hh.consent = consent_tx.id();
    txs.push_back(consent_tx);
    if (Pick(0, 2) > 0) {
      Enrollment e{hh.id, Pick(0, 1) == 0 ? Programme::kDibao : Programme::kLowIncome, 202301, std::nullopt};
      if (Pick(0, 3) == 0) e.last_month = 202405;
      txs.push_back(Sign(e, issuer_keys_[0]));
    }
    for (const Hash32& s : everyone) AddSubject(s, txs);
    Commit(std::move(txs));
    households_.push_back(std::move(hh));
  }

  void AddSubject(const Hash32& s, std::vector<Transaction>& txs) {
    // Wages in random spans (some months left without a tax report), zero pensions or
    // amounts, a negative business result, excluded and deducted amounts.
    for (size_t i = 0; i < 19;) {
      const size_t len = Pick(1, 8);
      const uint32_t first = MonthAt(i), last = MonthAt(std::min<size_t>(i + len - 1, 18));
      if (Pick(0, 5) > 0) {
        const int64_t fen = Pick(0, 4) == 0 ? 0 : static_cast<int64_t>(Pick(1, 300'000));
        Transaction t = Sign(Att(s, Category::kWage, first, last, fen),
                             Pick(0, 5) == 0 ? *extra_tax_key_ : issuer_keys_[1]);
        if (Pick(0, 3) == 0) correctable_.push_back(t);
        txs.push_back(std::move(t));
      }
      i += len;
    }
    txs.push_back(Sign(Att(s, Category::kPension, MonthAt(0), MonthAt(18),
                           Pick(0, 1) == 0 ? 0 : static_cast<int64_t>(Pick(1, 400'000))),
                       issuer_keys_[2]));
    if (Pick(0, 3) == 0) {
      txs.push_back(Sign(Att(s, Category::kBusiness, MonthAt(2), MonthAt(9),
                             -static_cast<int64_t>(Pick(1, 90'000))), issuer_keys_[1]));
    }
    if (Pick(0, 2) == 0) {
      txs.push_back(Sign(Att(s, Category::kDibaoBenefit, MonthAt(0), MonthAt(18), 130'000), issuer_keys_[0]));
    }
    if (Pick(0, 4) == 0) {
      txs.push_back(Sign(Att(s, Category::kSupportPaid, MonthAt(5), MonthAt(12), 20'000), issuer_keys_[0]));
    }
    if (Pick(0, 2) == 0) {  // a disability status whose type shows in the reasons
      Attestation d = Att(s, Category::kDisabilityStatus, MonthAt(0), MonthAt(18), 0);
      d.attributes = {{"grade", std::to_string(Pick(1, 4))}, {"type", kOddTypes[Pick(0, 7)]}};
      txs.push_back(Sign(d, issuer_keys_[3]));
    }
    for (uint32_t m : {MonthAt(12), MonthAt(18)}) {  // as-of months of the checks
      txs.push_back(Sign(Att(s, Category::kDeposits, m, m, static_cast<int64_t>(Pick(0, 20'000'000))),
                         issuer_keys_[1]));
      if (Pick(0, 2) == 0) {
        Attestation v = Att(s, Category::kVehicle, m, m, 5'000'000);
        if (Pick(0, 1) == 0) v.attributes = {{"purpose", "disability"}};
        txs.push_back(Sign(v, issuer_keys_[2]));
      }
      if (Pick(0, 2) == 0) txs.push_back(Sign(Att(s, Category::kRealEstate, m, m, 90'000'000), issuer_keys_[1]));
    }
    if (Pick(0, 7) == 0) {
      const uint32_t died = MonthAt(Pick(4, 17));
      txs.push_back(Sign(Att(s, Category::kDeath, died, died, 0), issuer_keys_[0]));
    }
  }

  void Commit(std::vector<Transaction> txs) {
    testing::CommitBlockWithQuorum(*store_, suite_, trust_.chain_id, node_keys_, kTimeMs, std::move(txs));
  }


  Suite suite_;
  std::mt19937_64 rng_;
  testing::TempDir dir_{"writer"};
  Trust trust_;
  std::vector<PrivateKey> node_keys_, issuer_keys_;
  std::unique_ptr<PrivateKey> extra_tax_key_;
  std::unique_ptr<BlockStore> store_;
  std::vector<Household> households_;
  std::vector<Transaction> correctable_;
  uint64_t next_nonce_ = 0;
  uint64_t mid_height_ = 0;
};

struct Tally {
  size_t receipts = 0;
  size_t refused = 0;  // checks that cannot be evaluated (no rule set in force ...)
  std::set<std::string> decisions, reasons;
};

// One check at `height`: the receipt BuildReceipt writes equals the reference path's bytes.
void CompareOne(VariedChain& chain, uint64_t height, CheckRequest req, uint16_t member, Tally& tally) {
  auto ev = StoreEvidence::Open(chain.store(), height);
  REQUIRE(ev.ok());
  auto cert = chain.store().Certificate(height);
  REQUIRE(cert.ok());
  req.checkpoint_time_ms = (*ev)->header().time_ms;
  Result<CheckResult> result = Evaluate(chain.trust(), req, **ev);
  if (!result.ok()) {
    ++tally.refused;
    return;
  }
  const Trust& trust = chain.trust();
  auto text = BuildReceipt(trust, req, *result, **ev, (*ev)->header(), *cert, chain.node_key(member), member);
  INFO(text.status().ToString());
  REQUIRE(text.ok());
  auto reference = TEST_ReceiptBodyViaTree(trust, req, *result, **ev, (*ev)->header(), *cert, member);
  INFO(reference.status().ToString());
  REQUIRE(reference.ok());
  // The text is canonical, and its body is the reference body.
  json parsed = json::parse(*text);
  auto canonical = CanonicalJson(parsed);
  REQUIRE(canonical.ok());
  CHECK(*canonical + "\n" == *text);
  parsed.erase("signature");
  auto body = CanonicalJson(parsed);
  REQUIRE(body.ok());
  REQUIRE(*body == *reference);
  if (trust.suite == Suite::kEd25519Sha256) {  // deterministic signatures: the whole old path
    json old = json::parse(*reference);
    REQUIRE(SignReceiptJson(old, chain.node_key(member), trust.chain_id).ok());
    auto old_text = CanonicalJson(old);
    REQUIRE(old_text.ok());
    CHECK(*old_text + "\n" == *text);
  }
  Status verified = VerifyReceipt(*text, trust);
  INFO(verified.ToString());
  REQUIRE(verified.ok());
  ++tally.receipts;
  tally.decisions.insert(std::string(DecisionCode(result->decision)));
  for (const Reason& r : result->reasons) tally.reasons.insert(r.code);
}

void CompareMany(Suite suite, uint64_t seed, size_t households, size_t stride, bool coverage) {
  INFO("seed " << seed);
  VariedChain chain(suite, seed);
  chain.Build(households);
  Tally tally;
  const Programme programmes[] = {Programme::kDibao,           Programme::kLowIncome, Programme::kTekun,
                                  Programme::kDisabilityLiving, Programme::kDisabilityNursing,
                                  Programme::kHeating};
  size_t n = 0;
  for (const VariedChain::Household& h : chain.households()) {
    for (Programme p : programmes) {
      for (uint32_t as_of : {202407u, 202501u}) {
        for (uint64_t height : {chain.mid_height(), chain.store().head().height}) {
          if (n++ % stride != 0) continue;
          CheckRequest req;
          req.household = h.id;
          req.programme = p;
          req.as_of = as_of;
          req.consent = h.consent;
          // The declared members, none (= declared), or a wrong list (members_mismatch).
          const size_t form = chain.Pick(0, 2);
          if (form == 0) req.members = h.members;
          if (form == 2) req.members = {h.members.front()};
          CompareOne(chain, height, req, static_cast<uint16_t>(chain.Pick(0, 3)), tally);
        }
      }
    }
  }
  INFO("receipts " << tally.receipts << ", refused " << tally.refused);
  CHECK(tally.receipts >= (households * 6 * 2 * 2 / stride) / 2);
  if (coverage) {  // the chain is varied enough to reach every kind of outcome
    CHECK(tally.decisions.size() == 3);
    for (const char* code : {"member_died", "members_mismatch", "missing_counted_as_zero",
                             "missing_report", "disability_qualified", "deposits_over_limit",
                             "deposits_within_limit", "vehicle_held", "real_estate_over_limit",
                             "evidence_ignored", "excluded_income_shown", "enrolled", "not_enrolled"}) {
      INFO(code);
      CHECK(tally.reasons.count(code) == 1);
    }
  }
}

TEST_CASE("the direct receipt writer gives the reference path's bytes (ed25519, 24 households)") {
  CompareMany(Suite::kEd25519Sha256, 20261130, 24, 1, true);
}

TEST_CASE("the direct receipt writer gives the reference path's bytes (other seeds)") {
  for (uint64_t seed : {1u, 2u, 3u}) CompareMany(Suite::kEd25519Sha256, seed, 10, 1, false);
}

TEST_CASE("the direct receipt writer gives the reference path's bytes (sm2-sm3, a sample)") {
  CompareMany(Suite::kSm2Sm3, 77, 8, 5, false);
}

TEST_CASE("RunCheck's and the verifier's receipt hash is ReceiptHash of the text") {
  for (Suite suite : {Suite::kEd25519Sha256, Suite::kSm2Sm3}) {
    VariedChain chain(suite, 5);
    chain.Build(3);
    for (const VariedChain::Household& h : chain.households()) {
      CheckRequest req;
      req.household = h.id;
      req.programme = Programme::kDibao;
      req.as_of = 202501;
      req.consent = h.consent;
      auto out = RunCheck(chain.store(), chain.store().head().height, chain.trust(), req, chain.node_key(1), 1);
      INFO(out.status().ToString());
      REQUIRE(out.ok());
      auto expected = ReceiptHash(suite, out->receipt);
      REQUIRE(expected.ok());
      CHECK(out->receipt_hash == *expected);
      auto verified = VerifyReceiptDetailed(out->receipt, chain.trust());
      REQUIRE(verified.ok());
      CHECK(verified->receipt_hash == *expected);
      // The same receipt stored pretty-printed with \u escapes: the same value, the same hash.
      const std::string pretty = json::parse(out->receipt).dump(2, ' ', true);
      REQUIRE(pretty != out->receipt);
      auto again = VerifyReceiptDetailed(pretty, chain.trust());
      INFO(again.status().ToString());
      REQUIRE(again.ok());
      CHECK(again->receipt_hash == *expected);
      // A changed receipt hashes differently (and does not verify).
      json changed = json::parse(out->receipt);
      changed["income_total_fen"] = changed["income_total_fen"].get<int64_t>() + 1;
      auto other = ReceiptHash(suite, changed.dump());
      REQUIRE(other.ok());
      CHECK(*other != *expected);
      CHECK(VerifyReceiptDetailed(changed.dump(), chain.trust()).status().code() == Code::kVerifyFailed);
    }
  }
}

// ---- The memo of parsed rule sets ----

TEST_CASE("TxTextMemo: a hit needs the same id and text, errors are not kept, bounded") {
  TxTextMemo<std::string> memo(2);
  size_t made = 0;
  auto upper = [&](std::string_view t) -> Result<std::string> {
    ++made;
    if (t == "bad") return Status::InvalidArgument("bad text");
    return std::string(t) + "!";
  };
  const Hash32 a = SuiteHash(Suite::kEd25519Sha256, AsBytes("a"));
  const Hash32 b = SuiteHash(Suite::kEd25519Sha256, AsBytes("b"));
  const Hash32 c = SuiteHash(Suite::kEd25519Sha256, AsBytes("c"));
  auto first = memo.Get(a, "x", upper);
  REQUIRE(first.ok());
  CHECK(**first == "x!");
  auto again = memo.Get(a, "x", upper);
  REQUIRE(again.ok());
  CHECK(again->get() == first->get());  // the same value, not made again
  CHECK(made == 1);
  auto other_text = memo.Get(a, "y", upper);  // same id, other text: never the old value
  REQUIRE(other_text.ok());
  CHECK(**other_text == "y!");
  CHECK(made == 2);
  CHECK(memo.Get(b, "bad", upper).status().code() == Code::kInvalidArgument);
  CHECK(memo.Get(b, "bad", upper).status().code() == Code::kInvalidArgument);
  CHECK(made == 4);  // errors are made again each time
  CHECK(memo.stats().entries == 2);
  REQUIRE(memo.Get(a, "x", upper).ok());  // a/x is now the most recently used
  REQUIRE(memo.Get(c, "z", upper).ok());  // evicts a/y, the least recently used
  CHECK(memo.stats().entries == 2);
  const size_t before = made;
  REQUIRE(memo.Get(a, "x", upper).ok());
  CHECK(made == before);
  REQUIRE(memo.Get(a, "y", upper).ok());
  CHECK(made == before + 1);
  CHECK(**first == "x!");  // a value handed out stays valid after eviction
}

TEST_CASE("TxTextMemo: many threads get equal values for the same key") {
  TxTextMemo<std::string> memo(4);
  std::atomic<size_t> made{0};
  std::atomic<bool> wrong{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        const std::string text = "text " + std::to_string((i + t) % 7);
        const Hash32 id = SuiteHash(Suite::kEd25519Sha256, AsBytes(text));
        auto v = memo.Get(id, text, [&](std::string_view s) -> Result<std::string> {
          ++made;
          return std::string(s) + "/made";
        });
        if (!v.ok() || **v != text + "/made") wrong = true;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  CHECK(!wrong);
  CHECK(memo.stats().entries <= 4);
  CHECK(memo.stats().hits + memo.stats().misses == 16000);
}

TEST_CASE("ParseRulesCached: the same rules as ParseRules, parsed once, errors as ParseRules") {
  const RuleSet& dibao = DefaultRuleSets().front().record;
  const Hash32 id = SuiteHash(Suite::kEd25519Sha256, AsBytes("a rule set tx"));
  auto direct = ParseRules(dibao.rules_json);
  REQUIRE(direct.ok());
  auto cached = ParseRulesCached(id, dibao.rules_json);
  REQUIRE(cached.ok());
  CHECK(**cached == *direct);
  auto again = ParseRulesCached(id, dibao.rules_json);
  REQUIRE(again.ok());
  CHECK(again->get() == cached->get());
  const std::string broken = dibao.rules_json.substr(0, dibao.rules_json.size() / 2);
  auto bad = ParseRulesCached(id, broken);
  CHECK(bad.status().code() == Code::kInvalidArgument);
  CHECK(bad.status().message() == ParseRules(broken).status().message());
  auto custom = ParseRulesCached(id, CustomRules());  // same id, other text
  REQUIRE(custom.ok());
  CHECK((*custom)->version == 2);
}

}  // namespace
}  // namespace hearth::verify
