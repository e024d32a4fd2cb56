// Rule sets: the shipped defaults parse and hold the documented figures; every malformed
// input is rejected with the path of the offending field (rules.h, docs/RULES.md).
#include <catch2/catch.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "hearth/verify/rules.h"

namespace hearth::verify {
namespace {

using json = nlohmann::json;

const Rules& DefaultRules(Programme p) {
  static std::map<Programme, Rules> cache;
  auto it = cache.find(p);
  if (it != cache.end()) return it->second;
  for (const DefaultRuleSet& d : DefaultRuleSets()) {
    if (d.record.programme != p) continue;
    Result<Rules> r = ParseRules(d.record.rules_json);
    REQUIRE(r.ok());
    return cache.emplace(p, *r).first->second;
  }
  FAIL("no default rule set for " << ProgrammeCode(p));
  throw 0;
}

TEST_CASE("every shipped rule set parses, one per programme, in programme order") {
  const std::vector<DefaultRuleSet>& d = DefaultRuleSets();
  REQUIRE(d.size() == 6);
  const char* files[] = {"dibao.json", "low_income.json", "tekun.json",
                         "disability_living.json", "disability_nursing.json", "heating.json"};
  for (size_t i = 0; i < d.size(); ++i) {
    INFO(d[i].file);
    CHECK(d[i].file == files[i]);
    CHECK(static_cast<size_t>(d[i].record.programme) == i + 1);
    CHECK(Validate(d[i].record).ok());
    Result<Rules> r = ParseRules(d[i].record.rules_json);
    REQUIRE(r.ok());
    CHECK(r->programme == d[i].record.programme);
    CHECK(r->version == d[i].record.version);
    CHECK(r->effective_from == d[i].record.effective_from);
    CHECK(!r->assumptions.empty());
    for (const auto& [name, steps] : r->series) {
      for (const SeriesStep& s : steps) CHECK(!s.source.empty());
    }
  }
}

TEST_CASE("dibao defaults hold Beijing's published figures") {
  const Rules& r = DefaultRules(Programme::kDibao);
  const std::pair<uint32_t, int64_t> expect[] = {
      {201601, 80000},  {201612, 80000},  {201701, 90000},  {201801, 100000},
      {201901, 110000}, {202006, 110000}, {202007, 117000}, {202107, 124500},
      {202207, 132000}, {202307, 139500}, {202406, 139500}, {202407, 145000},
      {202512, 145000}};
  for (auto [month, fen] : expect) {
    INFO(month);
    CHECK(ThresholdAt(r, month) == fen);
  }
  CHECK(ThresholdAt(r, 201512) == std::nullopt);  // before the first step: no value, not 0
  CHECK(r.comparison == Comparison::kBelow);
  CHECK(r.lookback_months == 12);
  CHECK(r.missing == MissingPolicy::kInsufficientEvidence);
  CHECK(r.required_reporters == std::vector<Agency>{Agency::kTax, Agency::kSocialSecurity});
  REQUIRE(r.deposits.has_value());
  CHECK(r.deposits->small_household_permille == 1200);
  CHECK(r.deposits->permille == 1000);
  CHECK(r.deposits->issuers == std::vector<Agency>{Agency::kFinancial});
  REQUIRE(r.vehicle.has_value());
  CHECK(r.vehicle->issuers == std::vector<Agency>{Agency::kPublicSecurity});
  REQUIRE(r.real_estate.has_value());
  CHECK(r.real_estate->max_homes == 1);
  CHECK(r.real_estate->issuers == std::vector<Agency>{Agency::kPropertyRegistry});
  // 2018's 1000 yuan is an assumption; 2020-07's 1170 is sourced.
  CHECK(SeriesAt(r, "dibao_standard", 201801)->assumption);
  CHECK_FALSE(SeriesAt(r, "dibao_standard", 202007)->assumption);
}

TEST_CASE("low-income threshold follows the minimum-wage series from 2019") {
  const Rules& r = DefaultRules(Programme::kLowIncome);
  CHECK(ThresholdAt(r, 201601) == 105000);
  CHECK(ThresholdAt(r, 201701) == 141000);
  CHECK(ThresholdAt(r, 201812) == 141000);  // 2018 is a gap: the 2017 figure stays
  CHECK(ThresholdAt(r, 201901) == 212000);  // minimum wage from 2018-09
  CHECK(ThresholdAt(r, 201907) == 220000);
  CHECK(ThresholdAt(r, 202309) == 242000);
  CHECK(ThresholdAt(r, 202509) == 254000);
  // The step returned for a following month is the minimum-wage step, with its source.
  std::optional<SeriesStep> s = SeriesAt(r, "low_income_standard", 202310);
  REQUIRE(s.has_value());
  CHECK(s->from_month == 202309);
  CHECK(s->source.find("2023") != std::string::npos);
}

TEST_CASE("status programmes carry their extra conditions") {
  const Rules& nursing = DefaultRules(Programme::kDisabilityNursing);
  CHECK_FALSE(nursing.threshold.has_value());
  CHECK(ThresholdAt(nursing, 202401) == std::nullopt);
  REQUIRE(nursing.member_disability.has_value());
  CHECK(nursing.member_disability->grades == std::vector<uint32_t>{1, 2});
  REQUIRE(nursing.member_disability->grade_types.size() == 1);
  CHECK(nursing.member_disability->grade_types[0].grade == 3);
  CHECK(nursing.member_disability->grade_types[0].types ==
        std::vector<std::string>{"intellectual", "mental"});
  const Rules& living = DefaultRules(Programme::kDisabilityLiving);
  CHECK(living.enrolled_in == std::vector<Programme>{Programme::kDibao, Programme::kLowIncome});
  const Rules& heating = DefaultRules(Programme::kHeating);
  CHECK(heating.enrolled_in.size() == 3);
  REQUIRE(heating.series.count("heating_aid_per_household") == 1);
  CHECK(heating.series.at("heating_aid_per_household")[0].fen == 180000);
  CHECK(heating.series.at("heating_aid_per_household")[0].assumption);  // planning doc only
  const Rules& tekun = DefaultRules(Programme::kTekun);
  CHECK(std::find(tekun.excluded.begin(), tekun.excluded.end(), Category::kHighAgeAllowance) !=
        tekun.excluded.end());
}

json Minimal() {
  return json::parse(R"({
    "format": 1, "programme": "dibao", "version": 1, "effective_from": 202401,
    "title_zh": "测试", "title_en": "test",
    "series": {"s": [{"from_month": 202401, "fen": 100000, "source": "src"}],
               "t": [{"from_month": 202001, "fen": 5000000, "source": "src"}]},
    "threshold": {"series": "s", "source": "src"},
    "lookback_months": 12,
    "counted": ["wage"]
  })");
}

TEST_CASE("a minimal rule set parses with the documented defaults") {
  Result<Rules> r = ParseRules(Minimal().dump());
  REQUIRE(r.ok());
  CHECK(r->threshold->numerator == 1);
  CHECK(r->threshold->denominator == 1);
  CHECK(r->comparison == Comparison::kBelow);
  CHECK(r->missing == MissingPolicy::kInsufficientEvidence);
  CHECK(ThresholdAt(*r, 202401) == 100000);
  json j = Minimal();
  j["threshold"]["numerator"] = 3;
  j["threshold"]["denominator"] = 2;
  j["series"]["s"][0]["fen"] = 100001;
  r = ParseRules(j.dump());
  REQUIRE(r.ok());
  CHECK(ThresholdAt(*r, 202401) == 150001);  // 150001.5 rounded down
}

struct BadCase {
  const char* name;
  std::function<void(json&)> mutate;
  const char* message;  // expected prefix "rules.<path>: ..." (a substring of the message)
};

TEST_CASE("malformed rule sets name the offending field") {
  const BadCase cases[] = {
      {"unknown top field", [](json& j) { j["colour"] = "red"; }, "rules.colour: unknown field"},
      {"unknown nested field", [](json& j) { j["threshold"]["extra"] = 1; },
       "rules.threshold.extra: unknown field"},
      {"unknown step field", [](json& j) { j["series"]["s"][0]["note"] = "x"; },
       "rules.series.s[0].note: unknown field"},
      {"float amount", [](json& j) { j["series"]["s"][0]["fen"] = 1000.5; },
       "rules.series.s[0].fen: expected an integer"},
      {"zero amount", [](json& j) { j["series"]["s"][0]["fen"] = 0; }, "rules.series.s[0].fen"},
      {"negative amount", [](json& j) { j["series"]["s"][0]["fen"] = -5; },
       "rules.series.s[0].fen"},
      {"amount over the ledger bound", [](json& j) { j["series"]["s"][0]["fen"] = 10000000001LL; },
       "rules.series.s[0].fen"},
      {"bad month", [](json& j) { j["effective_from"] = 202413; },
       "rules.effective_from: month 202413"},
      {"month as string", [](json& j) { j["effective_from"] = "202401"; },
       "rules.effective_from: expected an integer"},
      {"bad step month", [](json& j) { j["series"]["s"][0]["from_month"] = 2024; },
       "rules.series.s[0].from_month: month 2024"},
      {"unsorted series",
       [](json& j) {
         j["series"]["s"].push_back({{"from_month", 202301}, {"fen", 1}, {"source", "x"}});
       },
       "rules.series.s[1].from_month: 202301 is not after"},
      {"repeated step month",
       [](json& j) {
         j["series"]["s"].push_back({{"from_month", 202401}, {"fen", 1}, {"source", "x"}});
       },
       "rules.series.s[1].from_month"},
      {"empty series", [](json& j) { j["series"]["u"] = json::array(); }, "rules.series.u: empty"},
      {"bad series name", [](json& j) { j["series"]["Bad-Name"] = j["series"]["s"]; },
       "rules.series.Bad-Name: series name"},
      {"missing source", [](json& j) { j["series"]["s"][0].erase("source"); },
       "rules.series.s[0].source: missing"},
      {"empty source", [](json& j) { j["series"]["s"][0]["source"] = ""; },
       "rules.series.s[0].source: empty"},
      {"assumption not boolean", [](json& j) { j["series"]["s"][0]["assumption"] = "yes"; },
       "rules.series.s[0].assumption: expected a boolean"},
      {"fen and follows", [](json& j) { j["series"]["s"][0]["follows"] = "t"; },
       "rules.series.s[0]: give exactly one"},
      {"follows unknown series",
       [](json& j) {
         j["series"]["s"].push_back({{"from_month", 202501}, {"follows", "nope"}, {"source", "x"}});
       },
       "rules.series.s[1].follows: unknown series \"nope\""},
      {"follows a following series",
       [](json& j) {
         j["series"]["t"].push_back({{"from_month", 202501}, {"follows", "s"}, {"source", "x"}});
         j["series"]["s"].push_back({{"from_month", 202501}, {"follows", "t"}, {"source", "x"}});
       },
       "itself follows another series"},
      {"unknown threshold series", [](json& j) { j["threshold"]["series"] = "nope"; },
       "rules.threshold.series: unknown series \"nope\""},
      {"threshold numerator 0", [](json& j) { j["threshold"]["numerator"] = 0; },
       "rules.threshold.numerator: 0 outside 1..1000"},
      {"threshold denominator too big", [](json& j) { j["threshold"]["denominator"] = 1001; },
       "rules.threshold.denominator"},
      {"unknown category", [](json& j) { j["counted"] = {"salary"}; }, "rules.counted[0]"},
      {"status in counted", [](json& j) { j["counted"] = {"wage", "disability_status"}; },
       "rules.counted[1]: category \"disability_status\" is not of class income"},
      {"income in excluded", [](json& j) { j["excluded"] = {"wage"}; },
       "rules.excluded[0]: category \"wage\" is not of class excluded"},
      {"excluded in deducted", [](json& j) { j["deducted"] = {"dibao_benefit"}; },
       "rules.deducted[0]: category \"dibao_benefit\" is not of class deduction"},
      {"duplicate category", [](json& j) { j["counted"] = {"wage", "wage"}; },
       "rules.counted[1]: duplicate"},
      {"no counted with a threshold", [](json& j) { j["counted"] = json::array(); },
       "rules.counted: an income test needs"},
      {"lookback 0", [](json& j) { j["lookback_months"] = 0; }, "rules.lookback_months: 0 outside"},
      {"lookback 37", [](json& j) { j["lookback_months"] = 37; },
       "rules.lookback_months: 37 outside 1..36"},
      {"missing lookback", [](json& j) { j.erase("lookback_months"); },
       "rules.lookback_months: missing"},
      {"unknown programme", [](json& j) { j["programme"] = "pension"; }, "rules.programme"},
      {"format 2", [](json& j) { j["format"] = 2; }, "rules.format: format 2 is not supported"},
      {"version 0", [](json& j) { j["version"] = 0; }, "rules.version"},
      {"comparison", [](json& j) { j["comparison"] = "less"; }, "rules.comparison"},
      {"missing policy", [](json& j) { j["missing"] = "zero"; }, "rules.missing"},
      {"unknown reporter", [](json& j) { j["required_reporters"] = {"bank"}; },
       "rules.required_reporters[0]"},
      {"issuers unknown category", [](json& j) { j["issuers"] = {{"salary", {"tax"}}}; },
       "rules.issuers.salary"},
      {"issuers unknown agency", [](json& j) { j["issuers"] = {{"wage", {"tax", "irs"}}}; },
       "rules.issuers.wage[1]"},
      {"issuers empty", [](json& j) { j["issuers"] = {{"wage", json::array()}}; },
       "rules.issuers.wage: empty"},
      {"unknown enrolled programme", [](json& j) { j["enrolled_in"] = {"dibao", "x"}; },
       "rules.enrolled_in[1]"},
      {"grades unsorted",
       [](json& j) { j["member_disability"] = {{"grades", {2, 1}}, {"source", "x"}}; },
       "rules.member_disability.grades[1]: grades must be ascending"},
      {"grade 5", [](json& j) { j["member_disability"] = {{"grades", {5}}, {"source", "x"}}; },
       "rules.member_disability.grades[0]: 5 outside 1..4"},
      {"grade in both lists",
       [](json& j) {
         j["member_disability"] = {{"grades", {3}},
                                   {"grade_types", {{{"grade", 3}, {"types", {"mental"}}}}},
                                   {"source", "x"}};
       },
       "rules.member_disability.grade_types[0].grade: grade 3 is also in grades"},
      {"unsorted types",
       [](json& j) {
         j["member_disability"] = {
             {"grade_types", {{{"grade", 3}, {"types", {"mental", "intellectual"}}}}},
             {"source", "x"}};
       },
       "rules.member_disability.grade_types[0].types[1]"},
      {"no grades at all", [](json& j) { j["member_disability"] = {{"source", "x"}}; },
       "rules.member_disability.grades"},
      {"deposits without issuers",
       [](json& j) {
         j["deposits"] = {{"series", "t"},           {"small_household_max", 2},
                          {"small_household_permille", 1200}, {"permille", 1000},
                          {"issuers", json::array()}, {"source", "x"}};
       },
       "rules.deposits.issuers: empty"},
      {"deposits unknown series",
       [](json& j) {
         j["deposits"] = {{"series", "nope"},        {"small_household_max", 2},
                          {"small_household_permille", 1200}, {"permille", 1000},
                          {"issuers", {"financial"}}, {"source", "x"}};
       },
       "rules.deposits.series: unknown series"},
      {"vehicle exempt unknown field",
       [](json& j) {
         j["vehicle"] = {{"exempt", {{{"key", "purpose"}, {"value", "x"}, {"why", 1}}}},
                         {"issuers", {"public_security"}},
                         {"source", "x"}};
       },
       "rules.vehicle.exempt[0].why: unknown field"},
      {"real estate missing max", [](json& j) {
         j["real_estate"] = {{"issuers", {"property_registry"}}, {"source", "x"}};
       }, "rules.real_estate.max_homes: missing"},
      {"assumptions not strings", [](json& j) { j["assumptions"] = {1}; }, "rules.assumptions[0]"},
      {"null value", [](json& j) { j["title_en"] = nullptr; }, "rules.title_en: expected a string"},
  };
  for (const BadCase& c : cases) {
    INFO(c.name);
    json j = Minimal();
    c.mutate(j);
    Result<Rules> r = ParseRules(j.dump());
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Code::kInvalidArgument);
    CHECK_THAT(r.status().message(), Catch::Contains(c.message));
  }
}

TEST_CASE("malformed rule-set text is rejected before any field") {
  const std::pair<std::string, std::string> cases[] = {
      {"", "rules: malformed JSON"},
      {"[]", "rules: expected an object"},
      {R"({"format": 1, "format": 1})", "duplicate key"},
      {std::string(kRuleSetJsonBytesMax + 1, ' '), "exceeds the maximum"},
      {R"({"format": 1} trailing)", "rules: malformed JSON"},
  };
  for (const auto& [text, message] : cases) {
    INFO(text.substr(0, 40));
    Result<Rules> r = ParseRules(text);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.status().message(), Catch::Contains(message));
  }
}

}  // namespace
}  // namespace hearth::verify
