// rules.h: eligibility rule sets as data (DESIGN.md "Verify"; docs/RULES.md).
//
// A rule set is a JSON document, stored on chain verbatim as a RuleSet record
// (records.h) and shipped as defaults in verify/rules/*.json. ParseRules turns its text
// into a Rules value; the check engine (engine.h) reads only Rules.
//
// Contract:
//  - ParseRules is strict: unknown fields, wrong types, duplicate keys, floats, unknown
//    codes (categories, agencies, programmes, series names), months that are not YYYYMM,
//    series steps not in strictly increasing month order, amounts outside the ledger's
//    bounds, a category listed under the wrong class (a status in `counted` ...) or in two
//    lists, a lookback outside 1..kLookbackMonthsMax are InvalidArgument
//    "rules.<field path>: <problem>". A parsed Rules is always valid.
//  - Every figure carries its source text (`source`), and figures that are assumptions say
//    so (`assumption: true`); both are kept in Rules so receipts and docs can show them.
//  - ThresholdAt / SeriesAt are pure and total over valid months: a month before the first
//    step of a series has no value (nullopt), never a silent zero.
//  - A series step may instead `follow` another series (e.g. the low-income threshold follows
//    the minimum-wage series from 2019): from its month on, the series has that series'
//    value. A followed series has only fixed steps (one level, so no cycles).
// Thread-safety: values and pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hearth/base/bytes.h"
#include "hearth/base/status.h"
#include "hearth/ledger/categories.h"
#include "hearth/ledger/records.h"

namespace hearth::verify {

inline constexpr uint32_t kLookbackMonthsMax = 36;
inline constexpr uint32_t kRulesFormat = 1;  // the `format` member every rule set carries

// How per-capita income is compared with the threshold. Beijing's texts say 低于 (below):
// kBelow is the default, so a household exactly at the threshold is not eligible.
enum class Comparison : uint8_t { kBelow = 1, kAtOrBelow = 2 };

// What a member-month without a report from a required agency means.
//  kInsufficientEvidence: the decision is insufficient_evidence (the default; never zero).
//  kCountAsZero: counted as zero, and a reason says so (only when a rule set asks for it).
enum class MissingPolicy : uint8_t { kInsufficientEvidence = 1, kCountAsZero = 2 };

// One step of a named series: `fen` is in force from `from_month` until the next step.
struct SeriesStep {
  uint32_t from_month = 0;  // YYYYMM
  int64_t fen = 0;          // 0 < fen <= kAmountFenAbsMax; 0 when `follows` is set
  std::string follows;      // non-empty: the value is that of this series in each month
  std::string source;       // where the figure comes from (non-empty)
  bool assumption = false;  // true: not confirmed from an official text
  friend bool operator==(const SeriesStep&, const SeriesStep&) = default;
};

// The per-capita monthly threshold: the step of `series` in force in the month, times
// numerator / denominator, rounded down to whole fen.
struct Threshold {
  std::string series;  // a key of Rules::series
  uint32_t numerator = 1;    // 1..1000
  uint32_t denominator = 1;  // 1..1000
  std::string source;        // why this series and factor (non-empty)
  bool assumption = false;
  friend bool operator==(const Threshold&, const Threshold&) = default;
};

// A member qualifies when the disability status in force at as_of has a grade in `grades`,
// or a grade and type listed in `grade_types` (e.g. grade 3 with type intellectual).
struct DisabilityCondition {
  std::vector<uint32_t> grades;  // 1..4, sorted unique
  struct GradeTypes {
    uint32_t grade = 0;
    std::vector<std::string> types;  // attribute `type` values, sorted unique
    friend bool operator==(const GradeTypes&, const GradeTypes&) = default;
  };
  std::vector<GradeTypes> grade_types;  // grade ascending, unique, not also in `grades`
  std::string source;
  bool assumption = false;
  friend bool operator==(const DisabilityCondition&, const DisabilityCondition&) = default;
};

// Deposits per counted member must not exceed the previous calendar year's figure of
// `series` (per-capita consumption spending per year, in fen) times
// `small_household_permille` / 1000 for households of at most `small_household_max`
// members, else times `permille` / 1000.
struct DepositsCondition {
  std::string series;
  uint32_t small_household_max = 2;
  uint32_t small_household_permille = 1200;
  uint32_t permille = 1000;
  std::vector<Agency> issuers;  // agencies whose `deposits` attestations count
  std::string source;
  bool assumption = false;
  friend bool operator==(const DepositsCondition&, const DepositsCondition&) = default;
};

// No member may hold a vehicle in force at as_of, except one whose attributes contain one
// of `exempt` (key=value pairs, e.g. purpose=disability).
struct VehicleCondition {
  std::vector<Attribute> exempt;
  std::vector<Agency> issuers;
  std::string source;
  bool assumption = false;
  friend bool operator==(const VehicleCondition&, const VehicleCondition&) = default;
};

// The household may hold at most `max_homes` real_estate attestations in force at as_of.
struct RealEstateCondition {
  uint32_t max_homes = 1;
  std::vector<Agency> issuers;
  std::string source;
  bool assumption = false;
  friend bool operator==(const RealEstateCondition&, const RealEstateCondition&) = default;
};

struct Rules {
  Programme programme = Programme::kDibao;
  uint32_t version = 0;         // >= 1
  uint32_t effective_from = 0;  // YYYYMM
  std::string title_zh;
  std::string title_en;

  std::map<std::string, std::vector<SeriesStep>> series;  // name -> steps, months ascending

  // Income test. nullopt: the programme has no income test (e.g. the nursing subsidy).
  std::optional<Threshold> threshold;
  Comparison comparison = Comparison::kBelow;
  // The window is the `lookback_months` months before the as-of month (as_of excluded).
  uint32_t lookback_months = 12;

  std::vector<Category> counted;   // class kIncome
  std::vector<Category> deducted;  // class kDeduction
  std::vector<Category> excluded;  // class kExcluded: shown in the breakdown, never counted
  // Accepted issuers per category; a category absent here accepts CategoryInfo::issuer only.
  std::map<Category, std::vector<Agency>> issuers;
  // Agencies that must have reported (any category, an explicit zero counts) for every
  // counted member in every month of the window.
  std::vector<Agency> required_reporters;
  MissingPolicy missing = MissingPolicy::kInsufficientEvidence;

  // Extra conditions; each absent one does not apply.
  std::optional<DisabilityCondition> member_disability;  // some member must qualify
  std::vector<Programme> enrolled_in;  // non-empty: an enrollment in one of these at as_of
  std::optional<DepositsCondition> deposits;
  std::optional<VehicleCondition> vehicle;
  std::optional<RealEstateCondition> real_estate;

  std::vector<std::string> assumptions;  // free-text notes on unsourced choices

  friend bool operator==(const Rules&, const Rules&) = default;
};

// Parses and validates a rule set's JSON text (see the contract above).
Result<Rules> ParseRules(std::string_view json_text);

// ParseRules memoised for rule sets on chain: `json_text` is the rules_json of RuleSet
// transaction `rule_set_tx`. Every check of a programme uses the same few rule sets, and
// parsing one again took a measurable share of a decision (docs/PERFORMANCE.md). A
// process-wide TxTextMemo (memo.h) of kRulesMemoEntries: a hit needs the same id and the
// same text, errors are ParseRules's and are not kept. Thread-safe.
inline constexpr size_t kRulesMemoEntries = 32;
Result<std::shared_ptr<const Rules>> ParseRulesCached(const Hash32& rule_set_tx,
                                                      std::string_view json_text);

// The value of `series` in `month`: the last step with from_month <= month (for a step that
// follows another series, that series' step in force in `month`); nullopt when the month is
// before the first step. REQUIRES: the series exists in `rules`.
std::optional<SeriesStep> SeriesAt(const Rules& rules, std::string_view series, uint32_t month);
// The threshold in `month` (fen per person per month); nullopt without an income test or
// before the series starts.
std::optional<int64_t> ThresholdAt(const Rules& rules, uint32_t month);

// The shipped default rule sets (verify/rules/*.json, compiled in), one entry per file, in
// programme order: the RuleSet record civil affairs puts on chain (rules_json is the file's
// text verbatim) and the file name.
struct DefaultRuleSet {
  std::string file;  // e.g. "dibao.json"
  RuleSet record;
};
const std::vector<DefaultRuleSet>& DefaultRuleSets();

}  // namespace hearth::verify
