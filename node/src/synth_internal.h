// synth_internal.h: the plan of the synthetic district (synth.h) before it becomes signed
// records. Stages, each in its own file:
//   synth_people.cc    households, members, resident IDs, disability
//   synth_income.cc    income bands, roles, the monthly streams each agency reports
//   synth_scenarios.cc deaths, enrollments, benefits, gaps, corrections, forged records, notes
//   synth_records.cc   the plan -> ordered, signed transactions per agency; Synthesize
//   synth_io.cc        households.json, NDJSON files, key loading
// Everything here is integer arithmetic driven by Rng, so a seed replays the same district on
// every platform (no floating point, no std:: distributions, whose output is not portable).
// Thread-safety: values and pure functions.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hearth/base/bytes.h"
#include "hearth/ledger/categories.h"
#include "hearth/ledger/national_id.h"
#include "hearth/ledger/records.h"
#include "hearth/ledger/transaction.h"
#include "hearth/node/synth.h"

namespace hearth::node::synth {

// SplitMix64 (Steele, Lea, Flood 2014) over a state derived from (seed, stream, index), so
// every household and every stage draws from its own independent sequence.
class Rng {
 public:
  Rng(uint64_t seed, std::string_view stream, uint64_t index);
  uint64_t Next();
  // Uniform in [0, n). REQUIRES: n > 0.
  uint64_t Below(uint64_t n);
  // Uniform in [lo, hi]. REQUIRES: lo <= hi.
  int64_t Between(int64_t lo, int64_t hi);
  // True with probability per_mille / 1000.
  bool PerMille(uint32_t per_mille);
  // An index drawn with the given weights. REQUIRES: a positive total.
  size_t Weighted(std::span<const uint32_t> weights);

 private:
  uint64_t state_;
};

// ---- Months: window indices 0..months-1 map to first_month.. ----
uint32_t AddMonths(uint32_t yyyymm, int32_t delta);  // REQUIRES: a valid result

// ---- Beijing thresholds in fen per person per month (docs/SYNTH.md, research §1.5) ----
int64_t DibaoFen(uint32_t yyyymm);      // 低保 standard in force in that month
int64_t LowIncomeFen(uint32_t yyyymm);  // 低收入 threshold (the minimum wage from 2019)

inline constexpr int64_t kNoRecord = std::numeric_limits<int64_t>::min();
inline constexpr uint32_t kSetupFeed = std::numeric_limits<uint32_t>::max();
inline constexpr uint64_t kFeedSpacingMs = 30ULL * 24 * 3600 * 1000;

enum class Role : uint8_t {
  kChild,              // < 16
  kStudent,            // 16..22 in education
  kWorker,             // wage (tax)
  kSelfEmployed,       // business income, reported quarterly (tax)
  kUnemployed,         // unemployment benefit for a spell (social security)
  kNoIncome,           // working age, no income (caregiver, disabled, not working)
  kRetiree,            // enterprise pension (social security, counted)
  kResidentPensioner,  // basic resident pension (social security, excluded)
};

// What one agency reports about one person in one category, month by month.
struct Stream {
  Agency agency = Agency::kTax;
  Category category = Category::kWage;
  std::vector<int64_t> amount_fen;  // per window month; kNoRecord = nothing reported
  std::vector<Attribute> attributes;
  bool quarterly = false;  // one record per calendar quarter (clipped to the window)
};

struct DisabilityPlan {
  uint8_t grade = 4;  // 1 (most severe) .. 4
  std::string type;   // visual, hearing, speech, physical, intellectual, mental, multiple
  std::optional<uint8_t> wrong_grade;  // first recorded grade, corrected later
  uint32_t correction_feed = 0;
};

struct Person {
  std::string national_id;
  Hash32 subject;
  uint32_t age = 0;  // at the start of the window
  bool male = false;
  Role role = Role::kNoIncome;
  std::optional<DisabilityPlan> disability;
  std::optional<uint32_t> death_index;  // window index of the month of death
  std::vector<Stream> streams;
};

enum class Band : uint8_t {
  kDeepDibao,
  kNearDibaoBelow,
  kNearDibaoAbove,
  kLowIncome,
  kNearLowIncomeBelow,
  kNearLowIncomeAbove,
  kAbove,
};

struct EnrollmentPlan {
  Programme programme = Programme::kDibao;
  uint32_t first_month = 0;
  std::optional<uint32_t> last_month;
  uint32_t feed = kSetupFeed;  // setup, or the window index of the month it starts
};

struct HouseholdPlan {
  std::string case_number;
  Hash32 household_id;
  uint32_t declared_from = 0;
  Band band = Band::kAbove;
  int64_t target_per_capita_fen = 0;
  std::vector<Person> members;  // head first
  std::vector<EnrollmentPlan> enrollments;
  bool extra_key_signed = false;  // tax and social security sign with the added key
  int64_t expected_per_capita_fen = 0;
  std::vector<std::string> tags;  // note tokens besides the band
};

// A record first issued with wrong amounts, then corrected (each entry supersedes the one
// before; the last amount is the true one, equal to the stream's amount).
struct CorrectionPlan {
  Agency agency = Agency::kTax;
  size_t household = 0;
  size_t member = 0;
  Category category = Category::kWage;
  uint32_t month_index = 0;
  std::vector<int64_t> amounts_fen;  // [original, corrections...]; size >= 2
  std::vector<uint32_t> feeds;       // feed of each entry; feeds[0] == month_index
};

// A record signed with the revoked key after its revocation: a verifier must ignore it.
struct ForgedPlan {
  Agency agency = Agency::kTax;
  size_t household = 0;
  size_t member = 0;
  Category category = Category::kWage;
  uint32_t month_index = 0;
  bool supersedes_original = false;  // a fake correction of the genuine record of that month
  int64_t amount_fen = 0;
};

struct District {
  uint32_t first_month = 0;
  uint32_t last_month = 0;
  uint32_t months = 0;
  uint32_t lookback = 0;      // min(kSynthLookbackMonths, months)
  uint32_t revoke_feed = 0;   // the revocation precedes this feed (== months: at the end)
  std::set<Agency> agencies;  // founding agencies with keys
  std::vector<HouseholdPlan> households;
  std::vector<CorrectionPlan> corrections;
  std::vector<ForgedPlan> forged;

  uint32_t MonthAt(uint32_t index) const {
    return AddMonths(first_month, static_cast<int32_t>(index));
  }
  bool Has(Agency a) const { return agencies.count(a) != 0; }
};

// Stage 1 (synth_people.cc): households with members, IDs, subject and household ids,
// disability. `used_ids` keeps IDs unique across the district.
HouseholdPlan MakeHousehold(const SynthOptions& opts, const District& d, size_t index,
                            const PseudonymKey& key, std::set<std::string>& used_ids);

// Stage 2 (synth_income.cc): band, roles and streams of one household.
void PlanIncome(const SynthOptions& opts, const District& d, size_t index, HouseholdPlan& h);

// Stage 3 (synth_scenarios.cc): deaths, enrollments and benefits, gaps, corrections, the
// revocation scenario, expected figures and notes.
void PlanScenarios(const SynthOptions& opts, District& d);

// The expected_note of a household (synth.h), from its plan after PlanScenarios.
std::string NoteOf(const District& d, const HouseholdPlan& h);

// Per-capita counted monthly income over the look-back, from the streams (members alive at
// last_month; floor division). Used for enrollments and for the expected figures.
int64_t PerCapitaFen(const District& d, const HouseholdPlan& h);

// A stream of `agency`/`category` with every month kNoRecord.
Stream EmptyStream(const District& d, Agency agency, Category category);

// Stage 4 (synth_records.cc): each agency's unsigned bodies in submission order. The body's
// signer field is left for signing; `supersedes` names an earlier item of the same agency
// whose id goes into the attestation's supersedes field.
enum class Signer : uint8_t { kIssuer, kExtra, kNode };

struct Item {
  TxBody body;
  Signer signer = Signer::kIssuer;
  std::optional<size_t> supersedes;  // index of an earlier item of the same agency
};

struct Emitted {
  std::map<Agency, std::vector<Item>> items;
  std::vector<size_t> consent_items;  // per household: its Consent in civil_affairs' items
};

// REQUIRES: extra_keys holds a key for tax and social security when they are in d.agencies.
Emitted Emit(const SynthOptions& opts, const District& d,
             const std::map<Agency, PublicKey>& extra_keys);

}  // namespace hearth::node::synth
