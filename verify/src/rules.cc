// Rule sets: strict parsing of the JSON format (docs/RULES.md), series look-ups and the
// compiled-in defaults (rules.h).
#include "hearth/verify/rules.h"

#include <algorithm>
#include <limits>
#include <set>
#include <utility>

#include "hearth/json/json_fields.h"
#include "hearth/verify/memo.h"
#include "rules_embedded.h"

namespace hearth::verify {

namespace {

using json = nlohmann::json;

constexpr size_t kRulesDepthMax = 8;
constexpr size_t kSeriesNameBytesMax = 64;
constexpr size_t kTextBytesMax = 1024;  // titles, sources, assumption notes
constexpr size_t kListMax = 64;         // any list in a rule set
constexpr uint32_t kFactorMax = 1000;

Status Bad(const std::string& path, std::string_view problem) {
  return Status::InvalidArgument(path + ": " + std::string(problem));
}

// Strict reader of one JSON object whose errors are "<path>.<key>: <problem>". Like
// JsonFields (json_fields.h), plus booleans; Finish rejects members never read.
class Obj {
 public:
  Obj(const json& v, std::string path) : v_(v), path_(std::move(path)) {}

  std::string Path(std::string_view key) const { return path_ + "." + std::string(key); }
  bool Has(std::string_view key) const { return v_.contains(key); }

  Status Get(std::string_view key, const json** out) {
    auto it = v_.find(key);
    if (it == v_.end()) return Bad(Path(key), "missing");
    read_.insert(std::string(key));
    *out = &*it;
    return Status::Ok();
  }
  Status U32(std::string_view key, uint32_t min, uint32_t max, uint32_t* out) {
    const json* v = nullptr;
    HEARTH_RETURN_IF_ERROR(Get(key, &v));
    return ReadU32(*v, Path(key), min, max, out);
  }
  Status Str(std::string_view key, std::string* out) {
    const json* v = nullptr;
    HEARTH_RETURN_IF_ERROR(Get(key, &v));
    return ReadText(*v, Path(key), out);
  }
  Status OptBool(std::string_view key, bool* out) {
    *out = false;
    if (!Has(key)) return Status::Ok();
    const json* v = nullptr;
    HEARTH_RETURN_IF_ERROR(Get(key, &v));
    if (!v->is_boolean()) {
      return Bad(Path(key), "expected a boolean, got " + std::string(JsonTypeName(*v)));
    }
    *out = v->get<bool>();
    return Status::Ok();
  }
  Status Array(std::string_view key, const json** out) {
    HEARTH_RETURN_IF_ERROR(Get(key, out));
    if (!(*out)->is_array()) {
      return Bad(Path(key), "expected an array, got " + std::string(JsonTypeName(**out)));
    }
    if ((*out)->size() > kListMax) {
      return Bad(Path(key), "more than " + std::to_string(kListMax) + " entries");
    }
    return Status::Ok();
  }
  Status Object(std::string_view key, const json** out) {
    HEARTH_RETURN_IF_ERROR(Get(key, out));
    if (!(*out)->is_object()) {
      return Bad(Path(key), "expected an object, got " + std::string(JsonTypeName(**out)));
    }
    return Status::Ok();
  }
  Status Finish() const {
    for (auto it = v_.begin(); it != v_.end(); ++it) {
      if (read_.count(it.key()) == 0) return Bad(Path(it.key()), "unknown field");
    }
    return Status::Ok();
  }

  static Status ReadU32(const json& v, const std::string& path, uint32_t min, uint32_t max,
                        uint32_t* out) {
    if (!v.is_number_integer()) {  // true for signed and unsigned integers, never floats
      return Bad(path, "expected an integer, got " + std::string(JsonTypeName(v)));
    }
    if (v.is_number_unsigned()) {
      const uint64_t u = v.get<uint64_t>();
      if (u < min || u > max) {
        return Bad(path, std::to_string(u) + " outside " + std::to_string(min) + ".." +
                             std::to_string(max));
      }
      *out = static_cast<uint32_t>(u);
      return Status::Ok();
    }
    return Bad(path, std::to_string(v.get<int64_t>()) + " outside " + std::to_string(min) +
                         ".." + std::to_string(max));
  }
  static Status ReadText(const json& v, const std::string& path, std::string* out) {
    if (!v.is_string()) return Bad(path, "expected a string, got " + std::string(JsonTypeName(v)));
    const auto& s = v.get_ref<const std::string&>();
    if (s.empty()) return Bad(path, "empty");
    if (s.size() > kTextBytesMax) {
      return Bad(path, "longer than " + std::to_string(kTextBytesMax) + " bytes");
    }
    *out = s;
    return Status::Ok();
  }

 private:
  const json& v_;
  std::string path_;
  std::set<std::string> read_;
};

std::string Index(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

Status CheckSeriesName(const std::string& path, const std::string& name) {
  bool ok = !name.empty() && name.size() <= kSeriesNameBytesMax && name[0] >= 'a' && name[0] <= 'z';
  for (char c : name) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
  }
  if (!ok) {
    return Bad(path, "series name \"" + name + "\" is not [a-z][a-z0-9_]* of at most " +
                         std::to_string(kSeriesNameBytesMax) + " characters");
  }
  return Status::Ok();
}

Status ReadMonth(Obj& o, std::string_view key, uint32_t* out) {
  const json* v = nullptr;
  HEARTH_RETURN_IF_ERROR(o.Get(key, &v));
  HEARTH_RETURN_IF_ERROR(
      Obj::ReadU32(*v, o.Path(key), 0, std::numeric_limits<uint32_t>::max(), out));
  return CheckMonth(o.Path(key), *out);
}

// A list of codes parsed by `parse`, without duplicates, in the given order.
template <typename T, typename ParseFn>
Status ReadCodes(const json& arr, const std::string& path, ParseFn parse, std::vector<T>* out) {
  if (!arr.is_array()) return Bad(path, "expected an array, got " + std::string(JsonTypeName(arr)));
  if (arr.size() > kListMax) return Bad(path, "more than " + std::to_string(kListMax) + " entries");
  out->clear();
  for (size_t i = 0; i < arr.size(); ++i) {
    const std::string p = Index(path, i);
    if (!arr[i].is_string()) {
      return Bad(p, "expected a string, got " + std::string(JsonTypeName(arr[i])));
    }
    Result<T> code = parse(arr[i].template get_ref<const std::string&>());
    if (!code.ok()) return Bad(p, code.status().message());
    if (std::find(out->begin(), out->end(), *code) != out->end()) {
      return Bad(p, "duplicate \"" + arr[i].template get<std::string>() + "\"");
    }
    out->push_back(*code);
  }
  return Status::Ok();
}

template <typename T, typename ParseFn>
Status ReadOptCodes(Obj& o, std::string_view key, ParseFn parse, std::vector<T>* out) {
  out->clear();
  if (!o.Has(key)) return Status::Ok();
  const json* v = nullptr;
  HEARTH_RETURN_IF_ERROR(o.Get(key, &v));
  return ReadCodes(*v, o.Path(key), parse, out);
}

Status ReadIssuers(Obj& o, std::vector<Agency>* out) {
  const json* v = nullptr;
  HEARTH_RETURN_IF_ERROR(o.Get("issuers", &v));
  HEARTH_RETURN_IF_ERROR(ReadCodes(*v, o.Path("issuers"), ParseAgency, out));
  if (out->empty()) return Bad(o.Path("issuers"), "empty; name at least one agency");
  return Status::Ok();
}

Status ReadSource(Obj& o, std::string* source, bool* assumption) {
  HEARTH_RETURN_IF_ERROR(o.Str("source", source));
  return o.OptBool("assumption", assumption);
}

Status ReadSeries(const json& v, const std::string& path, std::vector<SeriesStep>* out) {
  if (!v.is_array()) return Bad(path, "expected an array, got " + std::string(JsonTypeName(v)));
  if (v.empty()) return Bad(path, "empty; a series has at least one step");
  if (v.size() > kListMax) return Bad(path, "more than " + std::to_string(kListMax) + " steps");
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string p = Index(path, i);
    if (!v[i].is_object()) return Bad(p, "expected an object, got " + std::string(JsonTypeName(v[i])));
    Obj o(v[i], p);
    SeriesStep s;
    HEARTH_RETURN_IF_ERROR(ReadMonth(o, "from_month", &s.from_month));
    if (!out->empty() && s.from_month <= out->back().from_month) {
      return Bad(o.Path("from_month"), std::to_string(s.from_month) +
                                           " is not after the previous step's month " +
                                           std::to_string(out->back().from_month));
    }
    const bool has_fen = o.Has("fen");
    const bool has_follows = o.Has("follows");
    if (has_fen == has_follows) return Bad(p, "give exactly one of `fen` and `follows`");
    if (has_fen) {
      const json* f = nullptr;
      HEARTH_RETURN_IF_ERROR(o.Get("fen", &f));
      if (!f->is_number_integer()) {
        return Bad(o.Path("fen"), "expected an integer number of fen, got " +
                                      std::string(JsonTypeName(*f)));
      }
      const bool too_big = f->is_number_unsigned()
                               ? f->get<uint64_t>() > static_cast<uint64_t>(kAmountFenAbsMax)
                               : true;  // a signed JSON integer here is negative
      if (too_big || f->get<int64_t>() <= 0) {
        return Bad(o.Path("fen"), "must be 1.." + std::to_string(kAmountFenAbsMax));
      }
      s.fen = f->get<int64_t>();
    } else {
      HEARTH_RETURN_IF_ERROR(o.Str("follows", &s.follows));
      HEARTH_RETURN_IF_ERROR(CheckSeriesName(o.Path("follows"), s.follows));
    }
    HEARTH_RETURN_IF_ERROR(ReadSource(o, &s.source, &s.assumption));
    HEARTH_RETURN_IF_ERROR(o.Finish());
    out->push_back(std::move(s));
  }
  return Status::Ok();
}

Status ReadAllSeries(Obj& top, Rules* r) {
  if (!top.Has("series")) return Status::Ok();
  const json* v = nullptr;
  HEARTH_RETURN_IF_ERROR(top.Object("series", &v));
  if (v->size() > kListMax) return Bad(top.Path("series"), "too many series");
  for (auto it = v->begin(); it != v->end(); ++it) {
    const std::string p = top.Path("series") + "." + it.key();
    HEARTH_RETURN_IF_ERROR(CheckSeriesName(p, it.key()));
    HEARTH_RETURN_IF_ERROR(ReadSeries(it.value(), p, &r->series[it.key()]));
  }
  // `follows` names a series with fixed steps only (one level: no cycles).
  for (const auto& [name, steps] : r->series) {
    for (size_t i = 0; i < steps.size(); ++i) {
      if (steps[i].follows.empty()) continue;
      const std::string p = Index(top.Path("series") + "." + name, i) + ".follows";
      auto target = r->series.find(steps[i].follows);
      if (target == r->series.end()) {
        return Bad(p, "unknown series \"" + steps[i].follows + "\"");
      }
      for (const SeriesStep& t : target->second) {
        if (!t.follows.empty()) {
          return Bad(p, "series \"" + steps[i].follows + "\" itself follows another series");
        }
      }
    }
  }
  return Status::Ok();
}

Status CheckSeriesRef(const Rules& r, const std::string& path, const std::string& name) {
  HEARTH_RETURN_IF_ERROR(CheckSeriesName(path, name));
  if (r.series.count(name) == 0) return Bad(path, "unknown series \"" + name + "\"");
  return Status::Ok();
}

Status ReadThreshold(Obj& top, Rules* r) {
  if (!top.Has("threshold")) return Status::Ok();
  const json* v = nullptr;
  HEARTH_RETURN_IF_ERROR(top.Object("threshold", &v));
  Obj o(*v, top.Path("threshold"));
  Threshold t;
  HEARTH_RETURN_IF_ERROR(o.Str("series", &t.series));
  HEARTH_RETURN_IF_ERROR(CheckSeriesRef(*r, o.Path("series"), t.series));
  if (o.Has("numerator")) HEARTH_RETURN_IF_ERROR(o.U32("numerator", 1, kFactorMax, &t.numerator));
  if (o.Has("denominator")) {
    HEARTH_RETURN_IF_ERROR(o.U32("denominator", 1, kFactorMax, &t.denominator));
  }
  HEARTH_RETURN_IF_ERROR(ReadSource(o, &t.source, &t.assumption));
  HEARTH_RETURN_IF_ERROR(o.Finish());
  r->threshold = std::move(t);
  return Status::Ok();
}

// counted / deducted / excluded: each category in its class and in one list only.
Status ReadCategoryLists(Obj& top, Rules* r) {
  struct List {
    std::string_view key;
    CategoryClass klass;
    std::string_view class_name;
    std::vector<Category>* out;
  };
  const List lists[] = {{"counted", CategoryClass::kIncome, "income", &r->counted},
                        {"deducted", CategoryClass::kDeduction, "deduction", &r->deducted},
                        {"excluded", CategoryClass::kExcluded, "excluded", &r->excluded}};
  std::vector<Category> seen;
  for (const List& l : lists) {
    HEARTH_RETURN_IF_ERROR(ReadOptCodes(top, l.key, ParseCategory, l.out));
    for (size_t i = 0; i < l.out->size(); ++i) {
      const Category c = (*l.out)[i];
      const std::string p = Index(top.Path(l.key), i);
      if (InfoOf(c).klass != l.klass) {
        return Bad(p, "category \"" + std::string(CategoryCode(c)) + "\" is not of class " +
                          std::string(l.class_name));
      }
      if (std::find(seen.begin(), seen.end(), c) != seen.end()) {
        return Bad(p, "category \"" + std::string(CategoryCode(c)) + "\" is in two lists");
      }
      seen.push_back(c);
    }
  }
  if (r->threshold.has_value() && r->counted.empty()) {
    return Bad(top.Path("counted"), "an income test needs at least one counted category");
  }
  return Status::Ok();
}

Status ReadIssuerMap(Obj& top, Rules* r) {
  if (!top.Has("issuers")) return Status::Ok();
  const json* v = nullptr;
  HEARTH_RETURN_IF_ERROR(top.Object("issuers", &v));
  for (auto it = v->begin(); it != v->end(); ++it) {
    const std::string p = top.Path("issuers") + "." + it.key();
    Result<Category> c = ParseCategory(it.key());
    if (!c.ok()) return Bad(p, c.status().message());
    std::vector<Agency> agencies;
    HEARTH_RETURN_IF_ERROR(ReadCodes(it.value(), p, ParseAgency, &agencies));
    if (agencies.empty()) return Bad(p, "empty; name at least one agency");
    std::sort(agencies.begin(), agencies.end());
    r->issuers[*c] = std::move(agencies);
  }
  return Status::Ok();
}

Status ReadEnum(Obj& top, Rules* r) {
  if (top.Has("comparison")) {
    std::string s;
    HEARTH_RETURN_IF_ERROR(top.Str("comparison", &s));
    if (s == "below") {
      r->comparison = Comparison::kBelow;
    } else if (s == "at_or_below") {
      r->comparison = Comparison::kAtOrBelow;
    } else {
      return Bad(top.Path("comparison"), "\"" + s + "\" is not below | at_or_below");
    }
  }
  if (top.Has("missing")) {
    std::string s;
    HEARTH_RETURN_IF_ERROR(top.Str("missing", &s));
    if (s == "insufficient_evidence") {
      r->missing = MissingPolicy::kInsufficientEvidence;
    } else if (s == "count_as_zero") {
      r->missing = MissingPolicy::kCountAsZero;
    } else {
      return Bad(top.Path("missing"), "\"" + s + "\" is not insufficient_evidence | count_as_zero");
    }
  }
  return Status::Ok();
}

Status ReadGrades(const json& arr, const std::string& path, std::vector<uint32_t>* out) {
  if (!arr.is_array()) return Bad(path, "expected an array, got " + std::string(JsonTypeName(arr)));
  for (size_t i = 0; i < arr.size(); ++i) {
    uint32_t g = 0;
    HEARTH_RETURN_IF_ERROR(Obj::ReadU32(arr[i], Index(path, i), 1, 4, &g));
    if (!out->empty() && g <= out->back()) {
      return Bad(Index(path, i), "grades must be ascending and unique");
    }
    out->push_back(g);
  }
  return Status::Ok();
}

Status ReadDisability(Obj& top, Rules* r) {
  if (!top.Has("member_disability")) return Status::Ok();
  const json* v = nullptr;
  HEARTH_RETURN_IF_ERROR(top.Object("member_disability", &v));
  Obj o(*v, top.Path("member_disability"));
  DisabilityCondition d;
  if (o.Has("grades")) {
    const json* g = nullptr;
    HEARTH_RETURN_IF_ERROR(o.Array("grades", &g));
    HEARTH_RETURN_IF_ERROR(ReadGrades(*g, o.Path("grades"), &d.grades));
  }
  if (o.Has("grade_types")) {
    const json* arr = nullptr;
    HEARTH_RETURN_IF_ERROR(o.Array("grade_types", &arr));
    for (size_t i = 0; i < arr->size(); ++i) {
      const std::string p = Index(o.Path("grade_types"), i);
      if (!(*arr)[i].is_object()) return Bad(p, "expected an object");
      Obj e((*arr)[i], p);
      DisabilityCondition::GradeTypes gt;
      HEARTH_RETURN_IF_ERROR(e.U32("grade", 1, 4, &gt.grade));
      if (std::binary_search(d.grades.begin(), d.grades.end(), gt.grade)) {
        return Bad(e.Path("grade"), "grade " + std::to_string(gt.grade) + " is also in grades");
      }
      if (!d.grade_types.empty() && gt.grade <= d.grade_types.back().grade) {
        return Bad(e.Path("grade"), "grade_types must be in ascending, unique grade order");
      }
      const json* types = nullptr;
      HEARTH_RETURN_IF_ERROR(e.Array("types", &types));
      if (types->empty()) return Bad(e.Path("types"), "empty");
      for (size_t k = 0; k < types->size(); ++k) {
        std::string t;
        HEARTH_RETURN_IF_ERROR(Obj::ReadText((*types)[k], Index(e.Path("types"), k), &t));
        if (!gt.types.empty() && t <= gt.types.back()) {
          return Bad(Index(e.Path("types"), k), "types must be sorted and unique");
        }
        gt.types.push_back(std::move(t));
      }
      HEARTH_RETURN_IF_ERROR(e.Finish());
      d.grade_types.push_back(std::move(gt));
    }
  }
  if (d.grades.empty() && d.grade_types.empty()) {
    return Bad(o.Path("grades"), "neither grades nor grade_types given");
  }
  HEARTH_RETURN_IF_ERROR(ReadSource(o, &d.source, &d.assumption));
  HEARTH_RETURN_IF_ERROR(o.Finish());
  r->member_disability = std::move(d);
  return Status::Ok();
}

Status ReadAssets(Obj& top, Rules* r) {
  const json* v = nullptr;
  if (top.Has("deposits")) {
    HEARTH_RETURN_IF_ERROR(top.Object("deposits", &v));
    Obj o(*v, top.Path("deposits"));
    DepositsCondition d;
    HEARTH_RETURN_IF_ERROR(o.Str("series", &d.series));
    HEARTH_RETURN_IF_ERROR(CheckSeriesRef(*r, o.Path("series"), d.series));
    HEARTH_RETURN_IF_ERROR(
        o.U32("small_household_max", 0, static_cast<uint32_t>(kMembersMax),
              &d.small_household_max));
    HEARTH_RETURN_IF_ERROR(
        o.U32("small_household_permille", 1, 100'000, &d.small_household_permille));
    HEARTH_RETURN_IF_ERROR(o.U32("permille", 1, 100'000, &d.permille));
    HEARTH_RETURN_IF_ERROR(ReadIssuers(o, &d.issuers));
    HEARTH_RETURN_IF_ERROR(ReadSource(o, &d.source, &d.assumption));
    HEARTH_RETURN_IF_ERROR(o.Finish());
    r->deposits = std::move(d);
  }
  if (top.Has("vehicle")) {
    HEARTH_RETURN_IF_ERROR(top.Object("vehicle", &v));
    Obj o(*v, top.Path("vehicle"));
    VehicleCondition c;
    if (o.Has("exempt")) {
      const json* arr = nullptr;
      HEARTH_RETURN_IF_ERROR(o.Array("exempt", &arr));
      for (size_t i = 0; i < arr->size(); ++i) {
        const std::string p = Index(o.Path("exempt"), i);
        if (!(*arr)[i].is_object()) return Bad(p, "expected an object");
        Obj e((*arr)[i], p);
        Attribute a;
        HEARTH_RETURN_IF_ERROR(e.Str("key", &a.key));
        HEARTH_RETURN_IF_ERROR(e.Str("value", &a.value));
        HEARTH_RETURN_IF_ERROR(e.Finish());
        c.exempt.push_back(std::move(a));
      }
    }
    HEARTH_RETURN_IF_ERROR(ReadIssuers(o, &c.issuers));
    HEARTH_RETURN_IF_ERROR(ReadSource(o, &c.source, &c.assumption));
    HEARTH_RETURN_IF_ERROR(o.Finish());
    r->vehicle = std::move(c);
  }
  if (top.Has("real_estate")) {
    HEARTH_RETURN_IF_ERROR(top.Object("real_estate", &v));
    Obj o(*v, top.Path("real_estate"));
    RealEstateCondition c;
    HEARTH_RETURN_IF_ERROR(o.U32("max_homes", 0, 100, &c.max_homes));
    HEARTH_RETURN_IF_ERROR(ReadIssuers(o, &c.issuers));
    HEARTH_RETURN_IF_ERROR(ReadSource(o, &c.source, &c.assumption));
    HEARTH_RETURN_IF_ERROR(o.Finish());
    r->real_estate = std::move(c);
  }
  return Status::Ok();
}

Status ReadAssumptions(Obj& top, Rules* r) {
  if (!top.Has("assumptions")) return Status::Ok();
  const json* arr = nullptr;
  HEARTH_RETURN_IF_ERROR(top.Array("assumptions", &arr));
  for (size_t i = 0; i < arr->size(); ++i) {
    std::string s;
    HEARTH_RETURN_IF_ERROR(Obj::ReadText((*arr)[i], Index(top.Path("assumptions"), i), &s));
    r->assumptions.push_back(std::move(s));
  }
  return Status::Ok();
}

Status ReadRules(const json& root, Rules* r) {
  if (!root.is_object()) {
    return Bad("rules", "expected an object, got " + std::string(JsonTypeName(root)));
  }
  Obj top(root, "rules");
  uint32_t format = 0;
  HEARTH_RETURN_IF_ERROR(top.U32("format", 0, std::numeric_limits<uint32_t>::max(), &format));
  if (format != kRulesFormat) {
    return Bad(top.Path("format"), "format " + std::to_string(format) + " is not supported (" +
                                       std::to_string(kRulesFormat) + ")");
  }
  std::string programme;
  HEARTH_RETURN_IF_ERROR(top.Str("programme", &programme));
  Result<Programme> p = ParseProgramme(programme);
  if (!p.ok()) return Bad(top.Path("programme"), p.status().message());
  r->programme = *p;
  HEARTH_RETURN_IF_ERROR(top.U32("version", 1, std::numeric_limits<uint32_t>::max(), &r->version));
  HEARTH_RETURN_IF_ERROR(ReadMonth(top, "effective_from", &r->effective_from));
  HEARTH_RETURN_IF_ERROR(top.Str("title_zh", &r->title_zh));
  HEARTH_RETURN_IF_ERROR(top.Str("title_en", &r->title_en));
  HEARTH_RETURN_IF_ERROR(ReadAllSeries(top, r));
  HEARTH_RETURN_IF_ERROR(ReadThreshold(top, r));
  HEARTH_RETURN_IF_ERROR(ReadEnum(top, r));
  HEARTH_RETURN_IF_ERROR(top.U32("lookback_months", 1, kLookbackMonthsMax, &r->lookback_months));
  HEARTH_RETURN_IF_ERROR(ReadCategoryLists(top, r));
  HEARTH_RETURN_IF_ERROR(ReadIssuerMap(top, r));
  HEARTH_RETURN_IF_ERROR(ReadOptCodes(top, "required_reporters", ParseAgency,
                                      &r->required_reporters));
  std::sort(r->required_reporters.begin(), r->required_reporters.end());
  HEARTH_RETURN_IF_ERROR(ReadDisability(top, r));
  HEARTH_RETURN_IF_ERROR(ReadOptCodes(top, "enrolled_in", ParseProgramme, &r->enrolled_in));
  HEARTH_RETURN_IF_ERROR(ReadAssets(top, r));
  HEARTH_RETURN_IF_ERROR(ReadAssumptions(top, r));
  return top.Finish();
}

}  // namespace

Result<Rules> ParseRules(std::string_view json_text) {
  HEARTH_ASSIGN_OR_RETURN(
      json root, ParseJsonStrict(json_text, "rules", kRuleSetJsonBytesMax, kRulesDepthMax));
  Rules r;
  HEARTH_RETURN_IF_ERROR(ReadRules(root, &r));
  return r;
}

Result<std::shared_ptr<const Rules>> ParseRulesCached(const Hash32& rule_set_tx,
                                                      std::string_view json_text) {
  static TxTextMemo<Rules> memo(kRulesMemoEntries);  // NOLINT: process-wide by design
  return memo.Get(rule_set_tx, json_text, [](std::string_view text) { return ParseRules(text); });
}

std::optional<SeriesStep> SeriesAt(const Rules& rules, std::string_view series, uint32_t month) {
  auto it = rules.series.find(std::string(series));
  HEARTH_CHECK_MSG(it != rules.series.end(), "SeriesAt: unknown series");
  const SeriesStep* found = nullptr;
  for (const SeriesStep& s : it->second) {
    if (s.from_month > month) break;
    found = &s;
  }
  if (found == nullptr) return std::nullopt;
  if (!found->follows.empty()) {
    // ParseRules guarantees the followed series exists and has fixed steps only.
    std::optional<SeriesStep> v = SeriesAt(rules, found->follows, month);
    HEARTH_CHECK(!v.has_value() || v->follows.empty());
    return v;
  }
  return *found;
}

std::optional<int64_t> ThresholdAt(const Rules& rules, uint32_t month) {
  if (!rules.threshold.has_value()) return std::nullopt;
  const Threshold& t = *rules.threshold;
  std::optional<SeriesStep> s = SeriesAt(rules, t.series, month);
  if (!s.has_value()) return std::nullopt;
  // fen <= 10^10 and numerator <= 1000: the product fits in int64 with room to spare.
  return s->fen * static_cast<int64_t>(t.numerator) / static_cast<int64_t>(t.denominator);
}

const std::vector<DefaultRuleSet>& DefaultRuleSets() {
  static const std::vector<DefaultRuleSet> kDefaults = [] {
    std::vector<DefaultRuleSet> out;
    for (size_t i = 0; i < internal::kEmbeddedRuleFilesCount; ++i) {
      const internal::EmbeddedRuleFile& f = internal::kEmbeddedRuleFiles[i];
      Result<Rules> rules = ParseRules(f.text);
      HEARTH_CHECK_MSG(rules.ok(), "a shipped rule set (verify/rules/) does not parse");
      DefaultRuleSet d;
      d.file = f.file;
      d.record.programme = rules->programme;
      d.record.version = rules->version;
      d.record.effective_from = rules->effective_from;
      d.record.rules_json = std::string(f.text);
      HEARTH_CHECK(Validate(d.record).ok());
      out.push_back(std::move(d));
    }
    std::stable_sort(out.begin(), out.end(), [](const DefaultRuleSet& a, const DefaultRuleSet& b) {
      return a.record.programme < b.record.programme;
    });
    return out;
  }();
  return kDefaults;
}

}  // namespace hearth::verify
