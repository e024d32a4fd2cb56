// Tests of the synthetic district (node/synth.h): determinism, signatures and validity of
// every record, the spreads the devnet and the verifier tests rely on, privacy (no raw ID on
// any record), the files, and an independent re-evaluation of every household's figure from
// the records alone (corrections resolved, revoked keys honoured by log position).
#include "hearth/node/synth.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "hearth/api/record_json.h"
#include "hearth/ledger/national_id.h"
#include "hearth/node/chain_rules.h"
#include "hearth/node/genesis.h"

using namespace hearth;
using namespace hearth::node;

namespace {

constexpr Agency kFounders[] = {Agency::kCivilAffairs, Agency::kTax, Agency::kSocialSecurity,
                                Agency::kDisabilityFederation};
constexpr uint32_t kLastMonth = 202510;

PrivateKey SeededKey(uint8_t a, uint8_t b) {
  Bytes seed(32, a);
  seed[0] = b;
  Result<PrivateKey> k = PrivateKey::Ed25519FromSeed(seed);
  REQUIRE(k.ok());
  return *k;
}

std::vector<SynthAgencyKeys> Keys(Suite suite) {
  std::vector<SynthAgencyKeys> keys;
  for (Agency a : kFounders) {
    SynthAgencyKeys k;
    k.agency = a;
    if (suite == Suite::kEd25519Sha256) {
      k.issuer = SeededKey(static_cast<uint8_t>(a), 1);
      k.node_key = SeededKey(static_cast<uint8_t>(a), 2);
    } else {
      k.issuer = PrivateKey::Generate(suite).value();
      k.node_key = PrivateKey::Generate(suite).value();
    }
    keys.push_back(std::move(k));
  }
  return keys;
}

SynthOptions Options(size_t households, uint64_t seed, Suite suite = Suite::kEd25519Sha256) {
  SynthOptions o;
  o.chain_id = "synth-test";
  o.suite = suite;
  o.pseudonym_key = Bytes(32, 0x5a);
  o.households = households;
  o.months = 12;
  o.last_month = kLastMonth;
  o.seed = seed;
  o.base_time_ms = SynthDefaultBaseTimeMs(SynthFirstMonth(kLastMonth, 12).value());
  return o;
}

// One district shared by the tests that only read it (300 households, 12 months).
const SynthOutput& District300() {
  static const SynthOutput out = [] {
    Result<SynthOutput> r = Synthesize(Options(300, 20251031), Keys(Suite::kEd25519Sha256));
    REQUIRE(r.ok());
    return std::move(r).value();
  }();
  return out;
}

const std::vector<SynthAgencyKeys>& Ed25519Keys() {
  static const std::vector<SynthAgencyKeys> keys = Keys(Suite::kEd25519Sha256);
  return keys;
}

bool IsCounted(Category c) {
  const CategoryClass k = InfoOf(c).klass;
  return k == CategoryClass::kIncome || k == CategoryClass::kDeduction;
}

// What a correct verifier sees: per agency, in log order, the attestations signed by a key
// valid at that position, with superseded ones removed.
struct Evaluation {
  std::map<Hash32, Attestation> effective;  // tx id -> attestation
  std::map<Hash32, Agency> agency_of;
  std::map<Hash32, std::vector<Hash32>> members;  // household -> subjects
  std::map<Hash32, uint32_t> death_month;         // subject -> month
  size_t ignored_revoked = 0;
  size_t superseded = 0;
};

Evaluation Evaluate(const SynthOutput& out, const std::vector<SynthAgencyKeys>& keys,
                    bool honour_revocations = true, bool resolve_corrections = true) {
  Evaluation ev;
  for (const auto& [agency, txs] : out.records) {
    std::set<Hash32> valid;
    for (const SynthAgencyKeys& k : keys) {
      if (k.agency == agency) valid.insert(k.issuer.public_key().Id());
    }
    for (const Transaction& tx : txs) {
      if (tx.kind() == TxKind::kKeyEvent) {
        const KeyEvent& e = PayloadAs<KeyEvent>(tx);
        if (e.action == KeyAction::kAdd) valid.insert(e.KeyId());
        if (e.action == KeyAction::kRevoke && honour_revocations) valid.erase(e.KeyId());
        continue;
      }
      if (tx.kind() == TxKind::kHouseholdDeclaration) {
        const auto& d = PayloadAs<HouseholdDeclaration>(tx);
        ev.members[d.household] = d.members;
        continue;
      }
      if (tx.kind() != TxKind::kAttestation) continue;
      const Attestation& a = PayloadAs<Attestation>(tx);
      if (valid.count(tx.body().signer) == 0) {
        ++ev.ignored_revoked;
        continue;
      }
      if (a.supersedes && resolve_corrections) {
        auto it = ev.effective.find(*a.supersedes);
        REQUIRE(it != ev.effective.end());
        REQUIRE(ev.agency_of.at(*a.supersedes) == agency);
        ev.effective.erase(it);
        ++ev.superseded;
      }
      ev.effective[tx.id()] = a;
      ev.agency_of[tx.id()] = agency;
      if (a.category == Category::kDeath) ev.death_month[a.subject] = a.first_month;
    }
  }
  return ev;
}

uint32_t MonthIndex(uint32_t m) { return (m / 100) * 12 + m % 100 - 1; }

// Per-capita counted monthly income over the 12 months ending at last_month, by
// member-months: a member counts (with that month's income) in each month before the month
// of their death (floor division), as documented in docs/SYNTH.md.
std::map<Hash32, int64_t> PerCapita(const SynthOutput& out, const Evaluation& ev) {
  const uint32_t lo = MonthIndex(out.last_month) - 11;
  const uint32_t hi = MonthIndex(out.last_month);
  auto end_of = [&](const Hash32& s) {  // first month index that is not a membership month
    auto d = ev.death_month.find(s);
    return d == ev.death_month.end() ? hi + 1 : MonthIndex(d->second);
  };
  std::map<Hash32, int64_t> income;  // subject -> total over its membership months
  for (const auto& [id, a] : ev.effective) {
    if (!IsCounted(a.category)) continue;
    const int64_t sign = InfoOf(a.category).klass == CategoryClass::kIncome ? 1 : -1;
    const uint32_t end = end_of(a.subject);
    for (uint32_t m = std::max(lo, MonthIndex(a.first_month));
         m <= std::min(hi, MonthIndex(a.last_month)) && m < end; ++m) {
      income[a.subject] += sign * a.amount_fen;
    }
  }
  std::map<Hash32, int64_t> pc;
  for (const auto& [household, members] : ev.members) {
    int64_t total = 0;
    int64_t member_months = 0;
    for (const Hash32& s : members) {
      const uint32_t end = end_of(s);
      member_months += end > lo ? std::min<int64_t>(end, hi + 1) - lo : 0;
      total += income[s];
    }
    REQUIRE(member_months > 0);
    pc[household] = total / member_months - (total % member_months != 0 && total < 0 ? 1 : 0);
  }
  return pc;
}

std::string Token(const std::string& note, size_t i) {
  std::istringstream in(note);
  std::string t;
  for (size_t k = 0; k <= i && (in >> t); ++k) {
  }
  return t;
}

bool HasToken(const std::string& note, std::string_view prefix) {
  std::istringstream in(note);
  std::string t;
  while (in >> t) {
    if (t.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("the same seed gives byte-identical output, another seed another district") {
  const SynthOptions o = Options(40, 99);
  Result<SynthOutput> a = Synthesize(o, Ed25519Keys());
  Result<SynthOutput> b = Synthesize(o, Ed25519Keys());
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  REQUIRE(a->records.size() == 4);
  for (const auto& [agency, txs] : a->records) {
    const auto& other = b->records.at(agency);
    REQUIRE(txs.size() == other.size());
    for (size_t i = 0; i < txs.size(); ++i) REQUIRE(txs[i].Encode() == other[i].Encode());
  }
  CHECK(SynthHouseholdsJson(*a) == SynthHouseholdsJson(*b));
  for (size_t i = 0; i < a->households.size(); ++i) {
    CHECK(a->households[i].expected_note == b->households[i].expected_note);
  }

  SynthOptions o2 = o;
  o2.seed = 100;
  Result<SynthOutput> c = Synthesize(o2, Ed25519Keys());
  REQUIRE(c.ok());
  CHECK(c->households[0].member_ids != a->households[0].member_ids);
  CHECK(c->households[0].case_number != a->households[0].case_number);
}

TEST_CASE("every record validates, round-trips and verifies with the key it names") {
  const SynthOutput& out = District300();
  for (const auto& [agency, txs] : out.records) {
    std::map<Hash32, PublicKey> keys;  // signer id -> key
    Hash32 node_id;
    for (const SynthAgencyKeys& k : Ed25519Keys()) {
      if (k.agency != agency) continue;
      keys.emplace(k.issuer.public_key().Id(), k.issuer.public_key());
      keys.emplace(k.node_key.public_key().Id(), k.node_key.public_key());
      node_id = k.node_key.public_key().Id();
    }
    std::set<Hash32> seen;
    for (const Transaction& tx : txs) {
      INFO(AgencyCode(agency) << " record " << tx.id().Hex());
      REQUIRE(Validate(tx.body()).ok());
      Result<Transaction> again = Transaction::Decode(tx.Encode());
      REQUIRE(again.ok());
      CHECK(*again == tx);
      CHECK(tx.body().chain_id == "synth-test");
      CHECK(seen.insert(tx.id()).second);  // no duplicates
      if (tx.kind() == TxKind::kKeyEvent) {
        const KeyEvent& e = PayloadAs<KeyEvent>(tx);
        CHECK(e.agency == agency);
        CHECK(tx.body().signer == node_id);  // key events are signed by the node key
        if (e.action == KeyAction::kAdd) {
          keys.emplace(e.KeyId(), PublicKey::FromRaw(e.key_suite, e.key_raw).value());
        }
      } else {
        CHECK(tx.body().signer != node_id);  // records are signed by issuer keys
      }
      auto key = keys.find(tx.body().signer);
      REQUIRE(key != keys.end());  // a genesis key or one added earlier in the list
      CHECK(tx.VerifySignature(key->second).ok());
      if (tx.kind() == TxKind::kAttestation) {
        const Attestation& a = PayloadAs<Attestation>(tx);
        if (a.supersedes) CHECK(seen.count(*a.supersedes) == 1);  // corrects an earlier record
        CHECK(a.first_month >= out.first_month);
        CHECK(a.last_month <= out.last_month);
      }
    }
    // A tampered record no longer verifies.
    Bytes bad = txs.back().Encode();
    bad[bad.size() - 1] ^= 1;
    Result<Transaction> t = Transaction::Decode(bad);
    REQUIRE(t.ok());
    CHECK(!t->VerifySignature(keys.at(t->body().signer)).ok());
  }
}

TEST_CASE("the revoked key: added, used, revoked, then forging back-dated records") {
  const SynthOutput& out = District300();
  for (Agency agency : {Agency::kTax, Agency::kSocialSecurity}) {
    INFO(AgencyCode(agency));
    const auto& txs = out.records.at(agency);
    std::optional<size_t> add, revoke;
    Hash32 extra;
    size_t legit = 0, forged = 0;
    for (size_t i = 0; i < txs.size(); ++i) {
      if (txs[i].kind() == TxKind::kKeyEvent) {
        const KeyEvent& e = PayloadAs<KeyEvent>(txs[i]);
        (e.action == KeyAction::kAdd ? add : revoke) = i;
        extra = e.KeyId();
        continue;
      }
      if (txs[i].body().signer != extra) continue;
      REQUIRE(add.has_value());  // never used before it is added
      if (!revoke) {
        ++legit;
      } else {
        ++forged;
        // Back-dated: its own issued-at says "before the revocation".
        CHECK(txs[i].body().issued_at_ms < txs[*revoke].body().issued_at_ms);
      }
    }
    REQUIRE(add.has_value());
    REQUIRE(revoke.has_value());
    CHECK(*add == 0);
    CHECK(legit > 0);
    CHECK(forged > 0);
    CHECK(PayloadAs<KeyEvent>(txs[*add]).KeyId() == PayloadAs<KeyEvent>(txs[*revoke]).KeyId());
  }
}

TEST_CASE("the node's admission rules take every record, only forged ones draw a warning") {
  const SynthOutput& out = District300();
  Genesis g;
  g.chain_id = "synth-test";
  g.suite = Suite::kEd25519Sha256;
  for (const SynthAgencyKeys& k : Ed25519Keys()) {
    GenesisMember m;
    m.agency = k.agency;
    m.node_key = k.node_key.public_key();
    m.issuer_keys = {k.issuer.public_key()};
    g.members.push_back(m);
  }
  KeyRegistry registry(g);
  uint64_t log_index = 0;
  size_t warned = 0;
  const Evaluation ev = Evaluate(out, Ed25519Keys());
  for (const auto& [agency, txs] : out.records) {
    for (const Transaction& tx : txs) {
      INFO(AgencyCode(agency) << " " << TxKindName(tx.kind()) << " " << tx.id().Hex());
      const RuleCheck check = registry.Check(tx);
      REQUIRE(check.status.ok());
      REQUIRE(registry.VerifySigner(tx).ok());
      if (!check.warning.empty()) ++warned;
      registry.Apply(tx, log_index++);
    }
  }
  CHECK(warned == ev.ignored_revoked);
  CHECK(warned > 0);
}

TEST_CASE("the district has the spreads the verifier tests need") {
  const SynthOutput& out = District300();
  REQUIRE(out.households.size() == 300);
  CHECK(out.first_month == 202411);
  CHECK(out.last_month == 202510);

  std::set<size_t> sizes;
  size_t persons = 0;
  for (const SynthHousehold& h : out.households) {
    sizes.insert(h.member_ids.size());
    persons += h.member_ids.size();
  }
  CHECK(sizes == std::set<size_t>{1, 2, 3, 4, 5, 6});

  std::set<Hash32> disabled;
  size_t deaths = 0, corrections = 0, zeros = 0, consents = 0, enrollments = 0;
  std::set<Programme> programmes;
  for (const auto& [agency, txs] : out.records) {
    for (const Transaction& tx : txs) {
      if (tx.kind() == TxKind::kConsent) ++consents;
      if (tx.kind() == TxKind::kEnrollment) {
        ++enrollments;
        programmes.insert(PayloadAs<Enrollment>(tx).programme);
      }
      if (tx.kind() != TxKind::kAttestation) continue;
      const Attestation& a = PayloadAs<Attestation>(tx);
      if (a.category == Category::kDisabilityStatus) {
        disabled.insert(a.subject);
        REQUIRE(a.attributes.size() == 2);
        CHECK(a.attributes[0].key == "grade");
        CHECK(std::string("1234").find(a.attributes[0].value) != std::string::npos);
      }
      if (a.category == Category::kDeath) ++deaths;
      if (a.supersedes) ++corrections;
      if (a.amount_fen == 0 && InfoOf(a.category).klass == CategoryClass::kIncome) ++zeros;
    }
  }
  const size_t disabled_per_mille = disabled.size() * 1000 / persons;
  INFO("disabled " << disabled.size() << " of " << persons);
  CHECK(disabled_per_mille >= 30);  // about 1 in 20
  CHECK(disabled_per_mille <= 80);
  CHECK(deaths >= 1);
  CHECK(corrections >= 3);
  CHECK(zeros > 0);
  CHECK(consents == out.households.size());
  CHECK(enrollments > 0);
  CHECK(programmes.count(Programme::kDibao) == 1);
  CHECK(programmes.count(Programme::kLowIncome) == 1);

  std::map<std::string, size_t> bands;
  for (const SynthHousehold& h : out.households) ++bands[Token(h.expected_note, 0)];
  CHECK(bands["dibao-eligible"] >= 30);
  CHECK(bands["low-income-eligible"] >= 30);
  CHECK(bands["above-low-income"] >= 30);
  // Close to the 低保 line (1450 yuan) on both sides.
  size_t just_below = 0, just_above = 0;
  for (const SynthHousehold& h : out.households) {
    if (h.expected_per_capita_fen >= 130'000 && h.expected_per_capita_fen < 145'000) ++just_below;
    if (h.expected_per_capita_fen >= 145'000 && h.expected_per_capita_fen < 160'000) ++just_above;
  }
  CHECK(just_below > 0);
  CHECK(just_above > 0);
  // And close to the 低收入 line (the minimum wage, 2540 yuan from September 2025).
  just_below = just_above = 0;
  for (const SynthHousehold& h : out.households) {
    if (h.expected_per_capita_fen >= 230'000 && h.expected_per_capita_fen < 254'000) ++just_below;
    if (h.expected_per_capita_fen >= 254'000 && h.expected_per_capita_fen < 280'000) ++just_above;
  }
  CHECK(just_below > 0);
  CHECK(just_above > 0);
}

TEST_CASE("gaps: member-months without a record from an agency that covers the member") {
  const SynthOutput& out = District300();
  const Evaluation ev = Evaluate(out, Ed25519Keys());
  std::map<Hash32, std::set<std::pair<Agency, uint32_t>>> covered;  // subject -> (agency, month)
  for (const auto& [id, a] : ev.effective) {
    for (uint32_t m = a.first_month; m <= a.last_month; m = m % 100 == 12 ? m + 89 : m + 1) {
      covered[a.subject].insert({ev.agency_of.at(id), m});
    }
  }
  size_t gaps = 0;
  for (const SynthHousehold& h : out.households) {
    const auto& members = ev.members.at(h.household_id);
    for (const Hash32& s : members) {
      for (Agency agency : {Agency::kTax, Agency::kSocialSecurity}) {
        for (uint32_t m = out.first_month; m <= out.last_month;
             m = m % 100 == 12 ? m + 89 : m + 1) {
          auto d = ev.death_month.find(s);
          if (d != ev.death_month.end() && m >= d->second) continue;  // membership ended
          if (covered[s].count({agency, m}) != 0) continue;
          ++gaps;
          const std::string tag =
              "gap=" + std::string(AgencyCode(agency)) + ":" + std::to_string(m);
          INFO(h.expected_note);
          CHECK(HasToken(h.expected_note, tag));  // every gap is announced in the note
        }
      }
    }
  }
  CHECK(gaps >= 1);
}

TEST_CASE("an independent evaluation of the records gives every expected figure") {
  const SynthOutput& out = District300();
  const Evaluation ev = Evaluate(out, Ed25519Keys());
  CHECK(ev.ignored_revoked > 0);
  CHECK(ev.superseded > 0);
  const std::map<Hash32, int64_t> pc = PerCapita(out, ev);
  for (const SynthHousehold& h : out.households) {
    INFO(h.case_number << ": " << h.expected_note);
    CHECK(pc.at(h.household_id) == h.expected_per_capita_fen);
    CHECK(HasToken(h.expected_note, "pc_fen=" + std::to_string(h.expected_per_capita_fen)));
  }
  // The traps matter: a verifier that ignores revocations or corrections gets other figures
  // for the households marked so.
  auto differs = [&](const Evaluation& wrong, std::string_view tag) {
    const std::map<Hash32, int64_t> bad = PerCapita(out, wrong);
    size_t n = 0;
    for (const SynthHousehold& h : out.households) {
      if (bad.at(h.household_id) != h.expected_per_capita_fen) {
        CHECK(HasToken(h.expected_note, tag));
        ++n;
      }
    }
    return n;
  };
  CHECK(differs(Evaluate(out, Ed25519Keys(), false, true), "revoked-key") > 0);
  CHECK(differs(Evaluate(out, Ed25519Keys(), true, false), "correction") > 0);
}

TEST_CASE("every member ID is a valid, unique resident ID, and none reaches a record") {
  const SynthOutput& out = District300();
  std::set<std::string> ids;
  std::set<std::string> prefixes;  // the first 17 digits of every ID
  const PseudonymKey key = PseudonymKey::FromBytes(Bytes(32, 0x5a));
  const Evaluation ev = Evaluate(out, Ed25519Keys());
  const std::string case_prefix = out.households[0].case_number.substr(0, 7);  // "TZxxxx-"
  for (const SynthHousehold& h : out.households) {
    REQUIRE(ValidateCaseNumber(h.case_number).ok());
    CHECK(h.case_number.substr(0, 7) == case_prefix);
    CHECK(HouseholdId(Suite::kEd25519Sha256, key, h.case_number).value() == h.household_id);
    std::vector<Hash32> subjects;
    for (const std::string& id : h.member_ids) {
      Result<std::string> norm = NormaliseNationalId(id, 20251031);
      REQUIRE(norm.ok());
      CHECK(*norm == id);
      CHECK(ids.insert(id).second);
      subjects.push_back(SubjectId(Suite::kEd25519Sha256, key, id).value());
      prefixes.insert(id.substr(0, 17));
    }
    std::sort(subjects.begin(), subjects.end());
    CHECK(subjects == ev.members.at(h.household_id));  // the declaration names exactly them
  }
  // An ID on a record would show as a run of 17 or more digits (in the binary form or the
  // JSON form) holding one of the prefixes; a case number would show its common prefix.
  auto leaks = [&](const std::string& text) {
    if (text.find(case_prefix) != std::string::npos) return true;
    size_t run = 0;
    for (size_t i = 0; i <= text.size(); ++i) {
      if (i < text.size() && text[i] >= '0' && text[i] <= '9') {
        ++run;
        continue;
      }
      for (size_t start = i - run; run >= 17 && start + 17 <= i; ++start) {
        if (prefixes.count(text.substr(start, 17)) != 0) return true;
      }
      run = 0;
    }
    return false;
  };
  CHECK(leaks("x" + out.households[5].member_ids[0] + "y"));  // the detector detects
  size_t leaking = 0;
  for (const auto& [agency, txs] : out.records) {
    for (const Transaction& tx : txs) {
      const Bytes enc = tx.Encode();
      if (leaks(std::string(enc.begin(), enc.end())) || leaks(api::TransactionToJsonText(tx))) {
        ++leaking;
      }
    }
  }
  CHECK(leaking == 0);
}

TEST_CASE("households.json and the NDJSON files") {
  const SynthOutput& out = District300();
  const nlohmann::json j = nlohmann::json::parse(SynthHouseholdsJson(out));
  CHECK(j.size() == 3);
  CHECK(j.at("first_month") == 202411);
  CHECK(j.at("last_month") == 202510);
  REQUIRE(j.at("households").size() == out.households.size());
  std::map<Hash32, Hash32> consent_of;  // consent tx id -> household
  for (const Transaction& tx : out.records.at(Agency::kCivilAffairs)) {
    if (tx.kind() == TxKind::kConsent) consent_of[tx.id()] = PayloadAs<Consent>(tx).household;
  }
  for (size_t i = 0; i < out.households.size(); ++i) {
    const auto& h = j.at("households")[i];
    CHECK(h.size() == 3);
    CHECK(h.at("case") == out.households[i].case_number);
    CHECK(h.at("members").get<std::vector<std::string>>() == out.households[i].member_ids);
    const Hash32 consent = Hash32::FromHex(h.at("consent").get<std::string>()).value();
    CHECK(consent_of.at(consent) == out.households[i].household_id);
  }

  const std::string dir =
      std::filesystem::temp_directory_path() / ("hearth-synth-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  REQUIRE(WriteSynthOutput(out, dir + "/out").ok());
  for (const auto& [agency, txs] : out.records) {
    std::ifstream in(dir + "/out/" + std::string(AgencyCode(agency)) + ".ndjson");
    std::string line;
    size_t n = 0;
    while (std::getline(in, line)) {
      Result<Transaction> tx = api::ParseRecordLine(line);
      REQUIRE(tx.ok());
      REQUIRE(n < txs.size());
      CHECK(tx->Encode() == txs[n++].Encode());
    }
    CHECK(n == txs.size());
  }
  struct stat st {};
  REQUIRE(::stat((dir + "/out/households.json").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  std::ifstream hj(dir + "/out/households.json");
  std::stringstream text;
  text << hj.rdbuf();
  CHECK(text.str() == SynthHouseholdsJson(out));

  // Keys in the devnet layout load; a missing one is an error naming the file.
  for (const SynthAgencyKeys& k : Ed25519Keys()) {
    const std::string sub = dir + "/keys/" + std::string(AgencyCode(k.agency));
    std::filesystem::create_directories(sub);
    REQUIRE(k.issuer.SavePemFile(sub + "/issuer.pem").ok());
    REQUIRE(k.node_key.SavePemFile(sub + "/node.pem").ok());
  }
  Result<std::vector<SynthAgencyKeys>> loaded =
      LoadSynthKeys(dir + "/keys", Suite::kEd25519Sha256,
                    {Agency::kCivilAffairs, Agency::kTax, Agency::kSocialSecurity,
                     Agency::kDisabilityFederation});
  REQUIRE(loaded.ok());
  CHECK(loaded->at(1).issuer.public_key() == Ed25519Keys()[1].issuer.public_key());
  Result<std::vector<SynthAgencyKeys>> missing =
      LoadSynthKeys(dir + "/keys", Suite::kEd25519Sha256, {Agency::kPublicSecurity});
  REQUIRE(!missing.ok());
  CHECK(missing.status().message().find("public_security/issuer.pem") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("sm2-sm3: the same bodies and ids for a seed, every record verifies") {
  const std::vector<SynthAgencyKeys> keys = Keys(Suite::kSm2Sm3);
  const SynthOptions o = Options(12, 5, Suite::kSm2Sm3);
  Result<SynthOutput> a = Synthesize(o, keys);
  Result<SynthOutput> b = Synthesize(o, keys);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  const Evaluation ev = Evaluate(*a, keys);
  CHECK(ev.ignored_revoked > 0);
  for (const auto& [agency, txs] : a->records) {
    std::map<Hash32, PublicKey> known;
    for (const SynthAgencyKeys& k : keys) {
      if (k.agency != agency) continue;
      known.emplace(k.issuer.public_key().Id(), k.issuer.public_key());
      known.emplace(k.node_key.public_key().Id(), k.node_key.public_key());
    }
    REQUIRE(txs.size() == b->records.at(agency).size());
    for (size_t i = 0; i < txs.size(); ++i) {
      CHECK(txs[i].id() == b->records.at(agency)[i].id());
      if (txs[i].kind() == TxKind::kKeyEvent &&
          PayloadAs<KeyEvent>(txs[i]).action == KeyAction::kAdd) {
        const KeyEvent& e = PayloadAs<KeyEvent>(txs[i]);
        known.emplace(e.KeyId(), PublicKey::FromRaw(e.key_suite, e.key_raw).value());
      }
      CHECK(txs[i].VerifySignature(known.at(txs[i].body().signer)).ok());
    }
  }
}

TEST_CASE("bad options and keys are rejected with the reason") {
  const auto bad = [](SynthOptions o, std::vector<SynthAgencyKeys> keys, std::string_view what) {
    Result<SynthOutput> r = Synthesize(o, keys);
    REQUIRE(!r.ok());
    CHECK(r.status().code() == Code::kInvalidArgument);
    INFO(r.status().message());
    CHECK(r.status().message().find(what) != std::string::npos);
  };
  const SynthOptions good = Options(5, 1);
  SynthOptions o = good;
  o.households = 0;
  bad(o, Keys(Suite::kEd25519Sha256), "households 0");
  o = good;
  o.households = kSynthHouseholdsMax + 1;
  bad(o, Keys(Suite::kEd25519Sha256), "households");
  o = good;
  o.months = 0;
  bad(o, Keys(Suite::kEd25519Sha256), "months 0");
  o = good;
  o.months = 121;
  bad(o, Keys(Suite::kEd25519Sha256), "months 121");
  o = good;
  o.last_month = 202513;
  bad(o, Keys(Suite::kEd25519Sha256), "last month");
  o = good;
  o.last_month = 200005;
  bad(o, Keys(Suite::kEd25519Sha256), "starts before");
  o = good;
  o.pseudonym_key.pop_back();
  bad(o, Keys(Suite::kEd25519Sha256), "pseudonym key is 31 bytes");
  o = good;
  o.chain_id = "bad chain id!";
  bad(o, Keys(Suite::kEd25519Sha256), "chain id");
  o = good;
  o.base_time_ms = 0;
  bad(o, Keys(Suite::kEd25519Sha256), "base time");

  std::vector<SynthAgencyKeys> keys = Keys(Suite::kEd25519Sha256);
  keys.erase(keys.begin());  // no civil_affairs
  bad(good, keys, "civil_affairs keys are required");
  keys = Keys(Suite::kEd25519Sha256);
  keys.push_back(Keys(Suite::kEd25519Sha256)[1]);
  bad(good, keys, "listed twice");
  keys = Keys(Suite::kEd25519Sha256);
  keys[2].issuer = PrivateKey::Generate(Suite::kSm2Sm3).value();
  bad(good, keys, "must be ed25519-sha256 keys");
  keys = Keys(Suite::kEd25519Sha256);
  keys[0].node_key = PrivateKey();
  bad(good, keys, "must be ed25519-sha256 keys");
}

TEST_CASE("only civil_affairs: declarations and consents, no income records") {
  std::vector<SynthAgencyKeys> keys;
  keys.push_back(Keys(Suite::kEd25519Sha256)[0]);
  SynthOptions o = Options(10, 3);
  o.months = 1;
  Result<SynthOutput> r = Synthesize(o, keys);
  REQUIRE(r.ok());
  CHECK(r->records.size() == 1);
  CHECK(r->first_month == 202510);
  for (const SynthHousehold& h : r->households) CHECK(h.consent_tx != Hash32{});
}

TEST_CASE("window and default base time") {
  CHECK(SynthFirstMonth(202510, 12).value() == 202411);
  CHECK(SynthFirstMonth(202510, 1).value() == 202510);
  CHECK(SynthFirstMonth(202501, 13).value() == 202401);
  CHECK(!SynthFirstMonth(202510, 0).ok());
  // 2024-11-01T00:00:00+08:00 = 2024-10-31T16:00:00Z.
  CHECK(SynthDefaultBaseTimeMs(202411) == 1'730'390'400'000ULL);
  CHECK(SynthDefaultBaseTimeMs(200003) == 951'840'000'000ULL);  // 2000-02-29T16:00Z
}
