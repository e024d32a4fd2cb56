// The check engine (engine.h, docs/VERIFY.md) over real signed transactions with log
// positions: thresholds to the fen, corrections, key revocation by log position, deaths,
// members joining, missing and zero months, excluded and deducted categories, every
// programme's extra conditions, asset conditions, request errors, both crypto suites.
#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <string>

#include "hearth/verify/engine.h"
#include "hearth/verify/evidence.h"
#include "hearth/verify/rules.h"

namespace hearth::verify {
namespace {

constexpr uint64_t kT0 = 1'735'689'600'000ULL;  // 2025-01-01T00:00:00Z
constexpr uint32_t kAsOf = 202501;              // window 202401..202412

Hash32 Id(std::string_view label) { return SuiteHash(Suite::kEd25519Sha256, AsBytes(label)); }

Attestation Att(const Hash32& subject, Category c, uint32_t first, uint32_t last, int64_t fen,
                std::vector<Attribute> attrs = {}) {
  Attestation a;
  a.subject = subject;
  a.category = c;
  a.first_month = first;
  a.last_month = last;
  a.amount_fen = fen;
  a.attributes = std::move(attrs);
  return a;
}

bool HasReason(const CheckResult& r, std::string_view code) {
  for (const Reason& x : r.reasons) {
    if (x.code == code) {
      CHECK(!x.zh.empty());
      CHECK(!x.en.empty());
      return true;
    }
  }
  return false;
}

const ConditionResult* Cond(const CheckResult& r, std::string_view name) {
  for (const ConditionResult& c : r.conditions) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

// A chain of signed transactions with log positions, and the Trust of its genesis.
class Chain {
 public:
  explicit Chain(Suite suite = Suite::kEd25519Sha256, bool asset_agencies = false,
                 bool default_rules = true)
      : suite_(suite) {
    std::vector<Agency> agencies = {Agency::kCivilAffairs, Agency::kTax, Agency::kSocialSecurity,
                                    Agency::kDisabilityFederation};
    if (asset_agencies) {
      agencies.insert(agencies.end(),
                      {Agency::kPublicSecurity, Agency::kPropertyRegistry, Agency::kFinancial});
    }
    trust_.chain_id = "hearth-test";
    trust_.suite = suite;
    trust_.f = 1;
    trust_.genesis_hash = Id("genesis");
    for (Agency a : agencies) {
      node_.emplace(a, NewKey());
      issuer_.emplace(a, NewKey());
      trust_.members.push_back(
          TrustMember{a, node_.at(a).public_key(), {issuer_.at(a).public_key()}});
    }
    if (!default_rules) return;
    for (const DefaultRuleSet& d : DefaultRuleSets()) Put(d.record, Issuer(Agency::kCivilAffairs));
  }

  PrivateKey NewKey() {
    Result<PrivateKey> k = PrivateKey::Generate(suite_);
    REQUIRE(k.ok());
    return *k;
  }
  const PrivateKey& Issuer(Agency a) const { return issuer_.at(a); }
  const PrivateKey& Node(Agency a) const { return node_.at(a); }
  const Trust& trust() const { return trust_; }
  size_t size() const { return log_.size(); }
  const std::vector<LoggedTx>& log() const { return log_; }

  // Signs `payload` with `key` and appends it at the next log index; returns its id.
  Hash32 Put(TxPayload payload, const PrivateKey& key, uint64_t issued_at_ms = kT0) {
    TxBody body;
    body.suite = suite_;
    body.chain_id = trust_.chain_id;
    body.issued_at_ms = issued_at_ms;
    body.nonce = ++nonce_;
    body.payload = std::move(payload);
    Result<Transaction> tx = Transaction::Sign(std::move(body), key);
    INFO(tx.status().ToString());
    REQUIRE(tx.ok());
    log_.push_back(LoggedTx{*tx, 1000 + log_.size()});
    return tx->id();
  }
  Hash32 Attest(Agency a, Attestation att) { return Put(std::move(att), Issuer(a)); }

  // Declaration + consent (civil affairs) for household `h`.
  void Household(const Hash32& h, std::vector<Hash32> members, uint32_t from = 202301) {
    std::sort(members.begin(), members.end());
    Put(HouseholdDeclaration{h, members, from}, Issuer(Agency::kCivilAffairs));
    if (consent_.IsZero()) {
      Consent c;
      c.household = h;
      c.form_hash = Id("form");
      c.valid_from_ms = kT0 - 1000;
      c.valid_until_ms = kT0 + 86'400'000ULL;
      consent_ = Put(c, Issuer(Agency::kCivilAffairs));
    }
    household_ = h;
  }
  // Tax wage `fen` and a social-security zero pension for every month first..last.
  void Reports(const Hash32& s, int64_t wage_fen, uint32_t first = 202401,
               uint32_t last = 202412) {
    Attest(Agency::kTax, Att(s, Category::kWage, first, last, wage_fen));
    Attest(Agency::kSocialSecurity, Att(s, Category::kPension, first, last, 0));
  }
  void Enroll(Programme p, uint32_t first = 202301) {
    Enrollment e;
    e.household = household_;
    e.programme = p;
    e.first_month = first;
    Put(e, Issuer(Agency::kCivilAffairs));
  }

  // The evidence at a checkpoint holding the first `upto` transactions (all by default).
  std::unique_ptr<TxSetEvidence> Evidence(size_t upto = SIZE_MAX) const {
    auto ev = std::make_unique<TxSetEvidence>();
    for (size_t i = 0; i < log_.size() && i < upto; ++i) REQUIRE(ev->Add(log_[i]).ok());
    return ev;
  }
  CheckRequest Request(Programme p, uint32_t as_of = kAsOf) const {
    CheckRequest r;
    r.household = household_;
    r.programme = p;
    r.as_of = as_of;
    r.consent = consent_;
    r.checkpoint_time_ms = kT0;
    return r;
  }
  Result<CheckResult> Check(Programme p = Programme::kDibao, size_t upto = SIZE_MAX) const {
    auto ev = Evidence(upto);
    return Evaluate(trust_, Request(p), *ev);
  }
  CheckResult Ok(Programme p = Programme::kDibao, size_t upto = SIZE_MAX) const {
    Result<CheckResult> r = Check(p, upto);
    INFO(r.status().ToString());
    REQUIRE(r.ok());
    return *r;
  }

 private:
  Suite suite_;
  Trust trust_;
  std::map<Agency, PrivateKey> node_, issuer_;
  std::vector<LoggedTx> log_;
  uint64_t nonce_ = 0;
  Hash32 household_, consent_;
};

const Hash32 kA = Id("subject a");
const Hash32 kB = Id("subject b");
const Hash32 kC = Id("subject c");
const Hash32 kH = Id("household 1");

TEST_CASE("dibao threshold to the fen: below is eligible, at and over are not") {
  // 1450.00 yuan = 145000 fen in force from 2024-07; one member, so per-capita = wage.
  struct Row {
    int64_t wage;
    Decision decision;
    const char* code;
  };
  const Row rows[] = {{144'999, Decision::kEligible, "income_below_threshold"},
                      {145'000, Decision::kIneligible, "income_not_below_threshold"},
                      {145'001, Decision::kIneligible, "income_not_below_threshold"},
                      {0, Decision::kEligible, "income_below_threshold"}};
  for (Suite suite : {Suite::kEd25519Sha256, Suite::kSm2Sm3}) {
    for (const Row& row : rows) {
      INFO(SuiteName(suite) << " wage " << row.wage);
      Chain c(suite);
      c.Household(kH, {kA});
      c.Reports(kA, row.wage);
      CheckResult r = c.Ok();
      CHECK(r.decision == row.decision);
      CHECK(HasReason(r, row.code));
      CHECK(r.per_capita_monthly_fen == row.wage);
      CHECK(r.threshold_fen == 145'000);
      CHECK(r.member_months_counted == 12);
      CHECK(r.income_total_fen == 12 * row.wage);
      CHECK(r.window_first == 202401);
      CHECK(r.window_last == 202412);
      REQUIRE(Cond(r, "income") != nullptr);
      // The asset agencies are not members: conditions not checked, never blocking.
      CHECK(Cond(r, "deposits")->status == ConditionStatus::kNotChecked);
      CHECK(Cond(r, "vehicle")->status == ConditionStatus::kNotChecked);
      CHECK(Cond(r, "real_estate")->status == ConditionStatus::kNotChecked);
      CHECK(HasReason(r, "deposits_not_checked"));
    }
  }
}

TEST_CASE("at_or_below comparison and floor rounding of the per-capita figure") {
  Chain c;
  std::string text = DefaultRuleSets()[0].record.rules_json;
  const std::string from = "\"comparison\": \"below\"";
  text.replace(text.find(from), from.size(), "\"comparison\": \"at_or_below\"");
  const std::string v = "\"version\": 1";
  text.replace(text.find(v), v.size(), "\"version\": 2");
  c.Put(RuleSet{Programme::kDibao, 2, 201601, text}, c.Issuer(Agency::kCivilAffairs));
  c.Household(kH, {kA, kB});
  // 290001 + 0 over two members: 145000.5 -> 145000, at the threshold: eligible here.
  c.Reports(kA, 290'001);
  c.Reports(kB, 0);
  CheckResult r = c.Ok();
  CHECK(r.rules.version == 2);
  CHECK(r.rules.comparison == Comparison::kAtOrBelow);
  CHECK(r.per_capita_monthly_fen == 145'000);
  CHECK(r.decision == Decision::kEligible);
  CHECK(HasReason(r, "income_at_or_below_threshold"));
}

TEST_CASE("a net business loss rounds toward minus infinity") {
  Chain c;
  c.Household(kH, {kA, kB});
  c.Reports(kA, 0);
  c.Reports(kB, 0);
  c.Attest(Agency::kTax, Att(kA, Category::kBusiness, 202401, 202412, -1));
  CheckResult r = c.Ok();
  CHECK(r.income_total_fen == -12);
  CHECK(r.per_capita_monthly_fen == -1);  // -12 / 24 = -0.5 -> -1
  CHECK(r.decision == Decision::kEligible);
}

TEST_CASE("a correction flips the decision, the older checkpoint keeps the old figures") {
  Chain c;
  c.Household(kH, {kA});
  c.Attest(Agency::kSocialSecurity, Att(kA, Category::kPension, 202401, 202412, 0));
  const Hash32 wrong = c.Attest(Agency::kTax, Att(kA, Category::kWage, 202401, 202412, 100'000));
  const size_t before = c.size();
  Attestation fix = Att(kA, Category::kWage, 202401, 202412, 200'000);
  fix.supersedes = wrong;
  const Hash32 fixed = c.Attest(Agency::kTax, fix);

  CheckResult old = c.Ok(Programme::kDibao, before);
  CHECK(old.decision == Decision::kEligible);
  CHECK(old.per_capita_monthly_fen == 100'000);

  CheckResult now = c.Ok();
  CHECK(now.decision == Decision::kIneligible);
  CHECK(now.per_capita_monthly_fen == 200'000);
  for (const MemberMonth& mm : now.member_months) {
    for (const MonthAmount& a : mm.amounts) CHECK(a.tx != wrong);
  }
  CHECK(std::find(now.used_txs.begin(), now.used_txs.end(), fixed) != now.used_txs.end());
  CHECK(std::find(now.used_txs.begin(), now.used_txs.end(), wrong) == now.used_txs.end());
}

TEST_CASE("a correction of another agency's record is ignored") {
  Chain c;
  c.Household(kH, {kA});
  c.Attest(Agency::kSocialSecurity, Att(kA, Category::kPension, 202401, 202412, 0));
  const Hash32 wage = c.Attest(Agency::kTax, Att(kA, Category::kWage, 202401, 202412, 100'000));
  Attestation fix = Att(kA, Category::kPension, 202401, 202412, 900'000);
  fix.supersedes = wage;  // social security "correcting" tax's wage
  c.Attest(Agency::kSocialSecurity, fix);
  CheckResult r = c.Ok();
  CHECK(r.per_capita_monthly_fen == 100'000);
  CHECK(r.decision == Decision::kEligible);
  CHECK(HasReason(r, "evidence_ignored"));
}

TEST_CASE("the last of two corrections of one record wins") {
  Chain c;
  c.Household(kH, {kA});
  c.Attest(Agency::kSocialSecurity, Att(kA, Category::kPension, 202401, 202412, 0));
  const Hash32 wage = c.Attest(Agency::kTax, Att(kA, Category::kWage, 202401, 202412, 100'000));
  Attestation f1 = Att(kA, Category::kWage, 202401, 202412, 300'000);
  f1.supersedes = wage;
  c.Attest(Agency::kTax, f1);
  Attestation f2 = Att(kA, Category::kWage, 202401, 202412, 120'000);
  f2.supersedes = wage;
  c.Attest(Agency::kTax, f2);
  CheckResult r = c.Ok();
  CHECK(r.per_capita_monthly_fen == 120'000);
}

TEST_CASE("key revocation is judged by log position, never by issued-at time") {
  for (bool revoke_first : {true, false}) {
    INFO("revoked " << (revoke_first ? "before" : "after") << " the attestation in the log");
    Chain c;
    c.Household(kH, {kA});
    c.Attest(Agency::kSocialSecurity, Att(kA, Category::kPension, 202401, 202412, 0));
    PrivateKey extra = c.NewKey();
    KeyEvent add{KeyAction::kAdd, Agency::kTax, extra.public_key().suite(),
                 extra.public_key().raw(), "second feed key"};
    c.Put(add, c.Node(Agency::kTax));
    KeyEvent revoke = add;
    revoke.action = KeyAction::kRevoke;
    revoke.reason = "leaked";
    Attestation wage = Att(kA, Category::kWage, 202401, 202412, 100'000);
    if (revoke_first) {
      c.Put(revoke, c.Node(Agency::kTax), kT0 + 5000);
      // Claims to be issued before the revocation: irrelevant, the log says otherwise.
      c.Put(wage, extra, kT0 - 5000);
    } else {
      c.Put(wage, extra, kT0 + 5000);
      c.Put(revoke, c.Node(Agency::kTax), kT0 - 5000);
    }
    CheckResult r = c.Ok();
    if (revoke_first) {
      CHECK(r.decision == Decision::kInsufficientEvidence);
      CHECK(HasReason(r, "missing_report"));
      CHECK(HasReason(r, "evidence_ignored"));
      CHECK_FALSE(r.per_capita_monthly_fen.has_value());
    } else {
      CHECK(r.decision == Decision::kEligible);
      CHECK(r.per_capita_monthly_fen == 100'000);
    }
  }
}

TEST_CASE("keys not yet added, added by another agency's node, or of another chain count nothing") {
  Chain c;
  c.Household(kH, {kA});
  c.Attest(Agency::kSocialSecurity, Att(kA, Category::kPension, 202401, 202412, 0));
  PrivateKey extra = c.NewKey();
  KeyEvent add{KeyAction::kAdd, Agency::kTax, extra.public_key().suite(),
               extra.public_key().raw(), ""};
  SECTION("signed before the key was added") {
    c.Put(Att(kA, Category::kWage, 202401, 202412, 100'000), extra);
    c.Put(add, c.Node(Agency::kTax));
  }
  SECTION("added by civil affairs' node for tax") {
    c.Put(add, c.Node(Agency::kCivilAffairs));
    c.Put(Att(kA, Category::kWage, 202401, 202412, 100'000), extra);
  }
  SECTION("signed by a node key instead of an issuer key") {
    c.Put(Att(kA, Category::kWage, 202401, 202412, 100'000), c.Node(Agency::kTax));
  }
  SECTION("wage from an agency not accepted for wages") {
    c.Attest(Agency::kSocialSecurity, Att(kA, Category::kWage, 202401, 202412, 100'000));
  }
  CheckResult r = c.Ok();
  CHECK(r.decision == Decision::kInsufficientEvidence);
  CHECK(HasReason(r, "missing_report"));
  for (const MemberMonth& mm : r.member_months) {
    CHECK(mm.missing_reporters == std::vector<Agency>{Agency::kTax});
  }
}

TEST_CASE("a death in the window ends the membership from its month") {
  Chain c;
  c.Household(kH, {kA, kB});
  c.Reports(kA, 200'000);
  c.Reports(kB, 0, 202401, 202406);  // nothing after B's death: not required
  c.Attest(Agency::kCivilAffairs, Att(kB, Category::kDeath, 202407, 202407, 0));
  CheckResult r = c.Ok();
  CHECK(r.member_months_counted == 18);  // A: 12, B: 202401..202406
  CHECK(r.per_capita_monthly_fen == 12 * 200'000 / 18);
  CHECK(r.decision == Decision::kEligible);
  CHECK(HasReason(r, "member_died"));
  for (const MemberMonth& mm : r.member_months) {
    if (mm.subject == kB) CHECK(mm.member == (mm.month < 202407));
  }
}

TEST_CASE("a member who joined mid-window counts from the declaration's month") {
  Chain c;
  c.Household(kH, {kA}, 202301);
  c.Household(kH, {kA, kC}, 202407);
  c.Reports(kA, 150'000);
  c.Reports(kC, 0, 202407, 202412);
  CheckResult r = c.Ok();
  CHECK(r.declared_members.size() == 2);
  CHECK(r.member_months.size() == 24);  // both subjects, every window month
  CHECK(r.member_months_counted == 18);
  CHECK(r.per_capita_monthly_fen == 12 * 150'000 / 18);
  CHECK(r.decision == Decision::kEligible);
}

TEST_CASE("missing months are insufficient evidence, an explicit zero is a zero") {
  Chain c;
  c.Household(kH, {kA});
  c.Attest(Agency::kSocialSecurity, Att(kA, Category::kPension, 202401, 202412, 0));
  c.Attest(Agency::kTax, Att(kA, Category::kWage, 202401, 202411, 100'000));
  CheckResult r = c.Ok();
  CHECK(r.decision == Decision::kInsufficientEvidence);
  CHECK(HasReason(r, "missing_report"));
  CHECK_FALSE(r.per_capita_monthly_fen.has_value());
  CHECK(Cond(r, "income")->status == ConditionStatus::kUnknown);
  REQUIRE(r.member_months.size() == 12);
  CHECK(r.member_months.back().month == 202412);
  CHECK(r.member_months.back().missing_reporters == std::vector<Agency>{Agency::kTax});

  c.Attest(Agency::kTax, Att(kA, Category::kWage, 202412, 202412, 0));
  r = c.Ok();
  CHECK(r.decision == Decision::kEligible);
  CHECK(r.per_capita_monthly_fen == 11 * 100'000 / 12);
  CHECK(r.member_months.back().missing_reporters.empty());
}

TEST_CASE("a rule set may count missing months as zero, and says so") {
  Chain c;
  std::string text = DefaultRuleSets()[0].record.rules_json;
  const std::string from = "\"missing\": \"insufficient_evidence\"";
  text.replace(text.find(from), from.size(), "\"missing\": \"count_as_zero\"");
  text.replace(text.find("\"version\": 1"), 12, "\"version\": 2");
  c.Put(RuleSet{Programme::kDibao, 2, 201601, text}, c.Issuer(Agency::kCivilAffairs));
  c.Household(kH, {kA});
  c.Reports(kA, 120'000, 202401, 202406);
  CheckResult r = c.Ok();
  CHECK(r.decision == Decision::kEligible);
  CHECK(HasReason(r, "missing_counted_as_zero"));
  CHECK(r.per_capita_monthly_fen == 60'000);
}

TEST_CASE("excluded categories are shown but not counted, deductions are subtracted") {
  Chain c;
  c.Household(kH, {kA});
  c.Reports(kA, 150'000);
  SECTION("excluded") {
    c.Attest(Agency::kCivilAffairs, Att(kA, Category::kDibaoBenefit, 202401, 202412, 145'000));
    c.Attest(Agency::kDisabilityFederation,
             Att(kA, Category::kDisabilitySubsidy, 202401, 202412, 30'000));
    CheckResult r = c.Ok();
    CHECK(r.per_capita_monthly_fen == 150'000);
    CHECK(r.decision == Decision::kIneligible);
    CHECK(HasReason(r, "excluded_income_shown"));
    REQUIRE(r.member_months[0].amounts.size() == 4);  // wage, pension, two excluded
    CHECK(r.member_months[0].counted_fen == 150'000);
  }
  SECTION("deducted") {
    c.Attest(Agency::kCivilAffairs, Att(kA, Category::kSupportPaid, 202401, 202412, 10'000));
    CheckResult r = c.Ok();
    CHECK(r.per_capita_monthly_fen == 140'000);
    CHECK(r.decision == Decision::kEligible);
    CHECK(r.member_months[0].counted_fen == 140'000);
  }
}

TEST_CASE("low income and tekun test income against their own thresholds") {
  // At 2025-01 the low-income threshold is the minimum wage 2420 yuan.
  for (int64_t wage : {241'999, 242'000}) {
    Chain c;
    c.Household(kH, {kA});
    c.Reports(kA, wage);
    CheckResult r = c.Ok(Programme::kLowIncome);
    CHECK(r.threshold_fen == 242'000);
    CHECK(r.decision == (wage < 242'000 ? Decision::kEligible : Decision::kIneligible));
  }
  for (int64_t wage : {144'999, 145'000}) {
    Chain c;
    c.Household(kH, {kA});
    c.Reports(kA, wage);
    c.Attest(Agency::kCivilAffairs, Att(kA, Category::kHighAgeAllowance, 202401, 202412, 50'000));
    CheckResult r = c.Ok(Programme::kTekun);
    CHECK(r.per_capita_monthly_fen == wage);  // the allowance is excluded for tekun
    CHECK(r.decision == (wage < 145'000 ? Decision::kEligible : Decision::kIneligible));
  }
}

TEST_CASE("nursing subsidy: grade 1-2, or grade 3 intellectual or mental") {
  struct Row {
    const char* grade;
    const char* type;
    Decision decision;
  };
  const Row rows[] = {{"1", "physical", Decision::kEligible},
                      {"2", "visual", Decision::kEligible},
                      {"3", "intellectual", Decision::kEligible},
                      {"3", "mental", Decision::kEligible},
                      {"3", "physical", Decision::kIneligible},
                      {"4", "mental", Decision::kIneligible},
                      {nullptr, nullptr, Decision::kIneligible}};
  for (const Row& row : rows) {
    INFO((row.grade ? row.grade : "none") << " " << (row.type ? row.type : ""));
    Chain c;
    c.Household(kH, {kA, kB});
    if (row.grade != nullptr) {
      c.Attest(Agency::kDisabilityFederation,
               Att(kB, Category::kDisabilityStatus, 202001, 202912, 0,
                   {{"grade", row.grade}, {"type", row.type}}));
    }
    CheckResult r = c.Ok(Programme::kDisabilityNursing);
    CHECK(r.decision == row.decision);
    CHECK_FALSE(r.threshold_fen.has_value());  // no income test
    REQUIRE(Cond(r, "member_disability") != nullptr);
    CHECK(HasReason(r, row.decision == Decision::kEligible ? "disability_qualified"
                                                           : "disability_not_qualified"));
  }
}

TEST_CASE("living subsidy needs a dibao / low-income enrollment and a disabled member") {
  for (int variant = 0; variant < 4; ++variant) {
    INFO("variant " << variant);
    Chain c;
    c.Household(kH, {kA});
    const bool enrolled = variant == 0 || variant == 1;
    const bool disabled = variant == 0 || variant == 2;
    if (enrolled) c.Enroll(variant == 0 ? Programme::kDibao : Programme::kLowIncome);
    if (disabled) {
      c.Attest(Agency::kDisabilityFederation,
               Att(kA, Category::kDisabilityStatus, 202001, 202912, 0, {{"grade", "4"}}));
    }
    if (variant == 3) c.Enroll(Programme::kHeating);  // not one that qualifies
    CheckResult r = c.Ok(Programme::kDisabilityLiving);
    CHECK(r.decision == (enrolled && disabled ? Decision::kEligible : Decision::kIneligible));
    CHECK(HasReason(r, enrolled ? "enrolled" : "not_enrolled"));
  }
}

TEST_CASE("heating aid needs a dibao, low-income or tekun enrollment in force") {
  struct Row {
    Programme p;
    uint32_t first;
    Decision decision;
  };
  const Row rows[] = {{Programme::kTekun, 202301, Decision::kEligible},
                      {Programme::kLowIncome, 202501, Decision::kEligible},
                      {Programme::kDibao, 202502, Decision::kIneligible},  // starts later
                      {Programme::kDisabilityLiving, 202301, Decision::kIneligible}};
  for (const Row& row : rows) {
    INFO(ProgrammeCode(row.p) << " from " << row.first);
    Chain c;
    c.Household(kH, {kA});
    c.Enroll(row.p, row.first);
    CheckResult r = c.Ok(Programme::kHeating);
    CHECK(r.decision == row.decision);
    CHECK(Cond(r, "enrolled_in")->status ==
          (row.decision == Decision::kEligible ? ConditionStatus::kPassed
                                               : ConditionStatus::kFailed));
  }
}

TEST_CASE("asset conditions: checked when their agencies are members") {
  // Per-capita consumption 2024 (the previous year) 49748 yuan; one member: x 1.2.
  const int64_t cap = 4'974'800LL * 1200 / 1000;
  Chain c(Suite::kEd25519Sha256, /*asset_agencies=*/true);
  c.Household(kH, {kA});
  c.Reports(kA, 100'000);
  SECTION("deposits at the cap, no vehicle, one home: eligible") {
    c.Attest(Agency::kFinancial, Att(kA, Category::kDeposits, kAsOf, kAsOf, cap));
    c.Attest(Agency::kPropertyRegistry, Att(kA, Category::kRealEstate, 202001, 202812, 1));
    c.Attest(Agency::kPublicSecurity,
             Att(kA, Category::kVehicle, 202001, 202812, 1, {{"purpose", "disability"}}));
    CheckResult r = c.Ok();
    CHECK(r.decision == Decision::kEligible);
    CHECK(Cond(r, "deposits")->status == ConditionStatus::kPassed);
    CHECK(Cond(r, "vehicle")->status == ConditionStatus::kPassed);
    CHECK(Cond(r, "real_estate")->status == ConditionStatus::kPassed);
  }
  SECTION("deposits one fen over the cap") {
    c.Attest(Agency::kFinancial, Att(kA, Category::kDeposits, kAsOf, kAsOf, cap + 1));
    CheckResult r = c.Ok();
    CHECK(r.decision == Decision::kIneligible);
    CHECK(Cond(r, "deposits")->status == ConditionStatus::kFailed);
    CHECK(HasReason(r, "deposits_over_limit"));
  }
  SECTION("no deposits report: unknown") {
    CheckResult r = c.Ok();
    CHECK(r.decision == Decision::kInsufficientEvidence);
    CHECK(Cond(r, "deposits")->status == ConditionStatus::kUnknown);
    CHECK(HasReason(r, "deposits_unreported"));
  }
  SECTION("a vehicle that is not exempt, and two homes") {
    c.Attest(Agency::kFinancial, Att(kA, Category::kDeposits, kAsOf, kAsOf, 0));
    c.Attest(Agency::kPublicSecurity, Att(kA, Category::kVehicle, 202001, 202812, 1));
    c.Attest(Agency::kPropertyRegistry, Att(kA, Category::kRealEstate, 202001, 202812, 1));
    c.Attest(Agency::kPropertyRegistry, Att(kA, Category::kRealEstate, 202401, 202812, 1));
    CheckResult r = c.Ok();
    CHECK(r.decision == Decision::kIneligible);
    CHECK(Cond(r, "vehicle")->status == ConditionStatus::kFailed);
    CHECK(Cond(r, "real_estate")->status == ConditionStatus::kFailed);
    CHECK(HasReason(r, "vehicle_held"));
    CHECK(HasReason(r, "real_estate_over_limit"));
  }
}

TEST_CASE("requests that cannot be evaluated are errors") {
  Chain c;
  c.Household(kH, {kA});
  c.Reports(kA, 100'000);
  auto ev = c.Evidence();
  SECTION("unknown household") {
    CheckRequest q = c.Request(Programme::kDibao);
    q.household = Id("household nobody declared");
    Result<CheckResult> r = Evaluate(c.trust(), q, *ev);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Code::kNotFound);
    CHECK_THAT(r.status().message(), Catch::Contains("unknown household"));
  }
  SECTION("declaration only from a later month") {
    CheckRequest q = c.Request(Programme::kDibao, 202212);
    Result<CheckResult> r = Evaluate(c.trust(), q, *ev);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Code::kNotFound);
  }
  SECTION("consent missing") {
    CheckRequest q = c.Request(Programme::kDibao);
    q.consent = Id("no such consent");
    Result<CheckResult> r = Evaluate(c.trust(), q, *ev);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Code::kFailedPrecondition);
  }
  SECTION("consent expired at the checkpoint") {
    CheckRequest q = c.Request(Programme::kDibao);
    q.checkpoint_time_ms = kT0 + 86'400'000ULL;  // valid_until is exclusive
    Result<CheckResult> r = Evaluate(c.trust(), q, *ev);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Code::kFailedPrecondition);
    CHECK_THAT(r.status().message(), Catch::Contains("not valid at the checkpoint"));
  }
  SECTION("consent not yet valid") {
    CheckRequest q = c.Request(Programme::kDibao);
    q.checkpoint_time_ms = kT0 - 2000;
    CHECK(Evaluate(c.trust(), q, *ev).status().code() == Code::kFailedPrecondition);
  }
  SECTION("no rule set in force") {
    CheckRequest q = c.Request(Programme::kTekun, 202012);  // tekun rules start 2021-04
    Result<CheckResult> r = Evaluate(c.trust(), q, *ev);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Code::kFailedPrecondition);
    CHECK_THAT(r.status().message(), Catch::Contains("no rule set for programme tekun"));
  }
  SECTION("malformed request") {
    CheckRequest q = c.Request(Programme::kDibao, 202513);
    CHECK(Evaluate(c.trust(), q, *ev).status().code() == Code::kInvalidArgument);
    q = c.Request(Programme::kDibao);
    q.members = {kB, kA};
    if (kA < kB) CHECK(Evaluate(c.trust(), q, *ev).status().code() == Code::kInvalidArgument);
  }
}

TEST_CASE("a rule set signed by another agency is no rule set") {
  Chain c(Suite::kEd25519Sha256, false, /*default_rules=*/false);
  c.Put(DefaultRuleSets()[0].record, c.Issuer(Agency::kTax));
  c.Household(kH, {kA});
  c.Reports(kA, 100'000);
  Result<CheckResult> r = c.Check(Programme::kDibao);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kFailedPrecondition);
  c.Put(DefaultRuleSets()[0].record, c.Issuer(Agency::kCivilAffairs));
  CHECK(c.Check(Programme::kDibao).ok());
}

TEST_CASE("a rule set whose JSON does not parse is an error, not a silent fallback") {
  Chain c;
  c.Put(RuleSet{Programme::kDibao, 2, 202401, R"({"format": 1})"},
        c.Issuer(Agency::kCivilAffairs));
  c.Household(kH, {kA});
  c.Reports(kA, 100'000);
  Result<CheckResult> r = c.Check(Programme::kDibao);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kFailedPrecondition);
  CHECK_THAT(r.status().message(), Catch::Contains("does not parse"));
}

TEST_CASE("members given by the caseworker must match the declaration") {
  Chain c;
  c.Household(kH, {kA, kB});
  c.Reports(kA, 100'000);
  c.Reports(kB, 0);
  auto ev = c.Evidence();
  CheckRequest q = c.Request(Programme::kDibao);
  std::vector<Hash32> both = {kA, kB};
  std::sort(both.begin(), both.end());
  q.members = both;
  Result<CheckResult> r = Evaluate(c.trust(), q, *ev);
  REQUIRE(r.ok());
  CHECK(r->decision == Decision::kEligible);
  q.members = {kA};
  r = Evaluate(c.trust(), q, *ev);
  REQUIRE(r.ok());
  CHECK(r->decision == Decision::kInsufficientEvidence);
  CHECK(HasReason(*r, "members_mismatch"));
}

TEST_CASE("results are deterministic and re-derivable from exactly the keys read") {
  Chain c(Suite::kSm2Sm3);
  c.Household(kH, {kA, kB});
  c.Reports(kA, 100'000);
  c.Reports(kB, 20'000);
  c.Attest(Agency::kCivilAffairs, Att(kA, Category::kDibaoBenefit, 202401, 202412, 10'000));
  CheckResult first = c.Ok();
  CHECK(first.decision == Decision::kEligible);
  CHECK(c.Ok() == first);

  // The same transactions added in reverse order give the same result.
  auto ev = c.Evidence();
  TxSetEvidence reversed;
  for (auto it = c.log().rbegin(); it != c.log().rend(); ++it) REQUIRE(reversed.Add(*it).ok());
  Result<CheckResult> rev = Evaluate(c.trust(), c.Request(Programme::kDibao), reversed);
  REQUIRE(rev.ok());
  CHECK(*rev == first);
  // keys_read: programme key first, then the rule set signer's issuer key, then household.
  REQUIRE(first.keys_read.size() >= 3);
  CHECK(first.keys_read[0] == IndexKey::ForProgramme(Programme::kDibao));
  CHECK(first.keys_read[1].kind == IndexKeyKind::kIssuerKey);
  CHECK(first.keys_read[2] == IndexKey::Household(kH));
  // 2 subjects x 13 months of subject-month keys.
  size_t subject_months = 0;
  for (const IndexKey& k : first.keys_read) subject_months += k.kind == IndexKeyKind::kSubjectMonth;
  CHECK(subject_months == 26);

  // A verifier holding only the keys read re-derives the same result ...
  auto restricted = c.Evidence();
  restricted->RestrictTo(first.keys_read);
  Result<CheckResult> again = Evaluate(c.trust(), c.Request(Programme::kDibao), *restricted);
  REQUIRE(again.ok());
  CHECK(*again == first);
  // ... and fails when one key is missing.
  std::vector<IndexKey> fewer = first.keys_read;
  const IndexKey dropped = fewer[5];
  fewer.erase(fewer.begin() + 5);
  auto lacking = c.Evidence();
  lacking->RestrictTo(fewer);
  Result<CheckResult> bad = Evaluate(c.trust(), c.Request(Programme::kDibao), *lacking);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().code() == Code::kNotFound);
  CHECK(bad.status().message() == "evidence lacks index key " + dropped.ToString());

  // used_txs are in log order and include the rule set, declaration, consent, attestations.
  REQUIRE(!first.used_txs.empty());
  CHECK(std::find(first.used_txs.begin(), first.used_txs.end(), first.rule_set_tx) !=
        first.used_txs.end());
  CHECK(std::find(first.used_txs.begin(), first.used_txs.end(), first.declaration_tx) !=
        first.used_txs.end());
  std::vector<uint64_t> order;
  for (const Hash32& id : first.used_txs) order.push_back(ev->Find(id)->log_index);
  CHECK(std::is_sorted(order.begin(), order.end()));
}

TEST_CASE("TxSetEvidence files by index key in log order and refuses conflicts") {
  Chain c;
  c.Household(kH, {kA});
  c.Attest(Agency::kTax, Att(kA, Category::kWage, 202401, 202403, 1));
  c.Attest(Agency::kTax, Att(kA, Category::kWage, 202402, 202402, 2));
  TxSetEvidence ev;
  auto full = c.Evidence();
  Result<std::vector<const LoggedTx*>> feb = full->Filed(IndexKey::SubjectMonth(kA, 202402));
  REQUIRE(feb.ok());
  REQUIRE(feb->size() == 2);
  CHECK((*feb)[0]->log_index < (*feb)[1]->log_index);
  Result<std::vector<const LoggedTx*>> mar = full->Filed(IndexKey::SubjectMonth(kA, 202403));
  REQUIRE(mar.ok());
  CHECK(mar->size() == 1);
  CHECK(full->Filed(IndexKey::SubjectMonth(kA, 202404))->empty());
  // Same id twice at the same index: fine; at another index, or two txs at one index: not.
  const LoggedTx& one = *(*feb)[0];
  CHECK(ev.Add(one).ok());
  CHECK(ev.Add(one).ok());
  CHECK(ev.size() == 1);
  CHECK(ev.Add(one.tx, one.log_index + 7).code() == Code::kInvalidArgument);
  CHECK(ev.Add((*feb)[1]->tx, one.log_index).code() == Code::kInvalidArgument);
}

TEST_CASE("TxSetEvidence verifies the signatures of known signers") {
  for (Suite suite : {Suite::kEd25519Sha256, Suite::kSm2Sm3}) {
    INFO(SuiteName(suite));
    Chain c(suite);
    c.Household(kH, {kA});
    PrivateKey extra = c.NewKey();
    c.Put(KeyEvent{KeyAction::kAdd, Agency::kTax, suite, extra.public_key().raw(), ""},
          c.Node(Agency::kTax));
    c.Put(Att(kA, Category::kWage, 202401, 202412, 5), extra);
    auto ev = c.Evidence();
    CHECK(ev->VerifySignatures(c.trust()).ok());
    // The same body with a signature by another key: rejected, naming the transaction.
    const LoggedTx& last = c.log().back();
    PrivateKey other = c.NewKey();
    Result<Bytes> sig = other.Sign(SigningContext(TxKind::kAttestation), c.trust().chain_id,
                                   last.tx.body_bytes());
    REQUIRE(sig.ok());
    Result<Transaction> forged = Transaction::FromParts(last.tx.body(), *sig);
    REQUIRE(forged.ok());
    TxSetEvidence bad;
    for (size_t i = 0; i + 1 < c.size(); ++i) REQUIRE(bad.Add(c.log()[i]).ok());
    REQUIRE(bad.Add(*forged, last.log_index).ok());
    Status s = bad.VerifySignatures(c.trust());
    CHECK(s.code() == Code::kVerifyFailed);
    CHECK_THAT(s.message(), Catch::Contains(forged->id().Hex()));
  }
}

}  // namespace
}  // namespace hearth::verify
