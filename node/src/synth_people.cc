// Stage 1 of the synthetic district: who lives in each household (synth_internal.h).
// Figures and their sources: docs/SYNTH.md "Households" and "Disability".
#include <algorithm>
#include <array>
#include <iterator>

#include "synth_internal.h"

namespace hearth::node::synth {

namespace {

struct MemberSpec {
  uint32_t age = 0;
  bool male = false;
};

// Household sizes 1..6 (per mille). An assumption shaped like an assistance caseload: more
// one- and two-person households than the census average (docs/SYNTH.md).
constexpr std::array<uint32_t, 6> kSizeWeights = {260, 300, 240, 110, 60, 30};

struct Region {
  const char* code;
  uint32_t weight;
};
// Where members' IDs were first issued: mostly Tongzhou (110112), some other Beijing
// districts, a few other provinces (spouses who moved their hukou). An assumption.
constexpr Region kRegions[] = {
    {"110112", 850}, {"110101", 10}, {"110102", 10}, {"110105", 20}, {"110106", 10},
    {"110108", 10},  {"110111", 10}, {"110113", 10}, {"110114", 10}, {"110115", 10},
    {"131082", 15},  {"130181", 5},  {"410102", 10}, {"370102", 10}, {"230103", 10},
};

constexpr const char* kDisabilityTypes[] = {"physical", "hearing",      "multiple", "visual",
                                            "mental",   "intellectual", "speech"};
// Shares of the 2006 Second National Sample Survey on Disability (per mille; docs/SYNTH.md).
constexpr std::array<uint32_t, 7> kDisabilityTypeWeights = {291, 242, 163, 149, 74, 67, 15};
// Grades 1..4 (per mille): an assumption, grade 4 (mildest) the most common.
constexpr std::array<uint32_t, 4> kGradeWeights = {150, 200, 250, 400};

// `v` in decimal, zero-padded to `width` digits. REQUIRES: v < 10^width.
std::string Digits(uint64_t v, size_t width) {
  std::string s(width, '0');
  for (size_t i = width; i > 0; --i, v /= 10) s[i - 1] = static_cast<char>('0' + v % 10);
  HEARTH_CHECK(v == 0);
  return s;
}

bool IsLeap(uint32_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
uint32_t DaysIn(uint32_t y, uint32_t m) {
  static constexpr uint32_t kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

uint32_t Age(Rng& rng, int64_t lo, int64_t hi) {
  return static_cast<uint32_t>(rng.Between(lo, hi < lo ? lo : hi));
}

// A child's age for a parent of age `parent`: born when the parent was 22..40, at most 22.
uint32_t ChildAge(Rng& rng, uint32_t parent) {
  const int64_t hi = std::min<int64_t>(22, static_cast<int64_t>(parent) - 22);
  const int64_t lo = std::max<int64_t>(0, static_cast<int64_t>(parent) - 40);
  return Age(rng, std::min(lo, std::max<int64_t>(hi, 0)), std::max<int64_t>(hi, 0));
}

uint32_t ElderAge(Rng& rng, uint32_t child) {
  return static_cast<uint32_t>(std::clamp<int64_t>(child + 24 + rng.Between(0, 10), 60, 95));
}

void AddCouple(Rng& rng, std::vector<MemberSpec>& out, int64_t lo, int64_t hi) {
  const bool head_male = rng.PerMille(500);
  const uint32_t a = Age(rng, lo, hi);
  const int64_t b = std::clamp<int64_t>(a + rng.Between(-5, 5), 18, 95);
  out.push_back({a, head_male});
  out.push_back({static_cast<uint32_t>(b), !head_male});
}

void AddChildren(Rng& rng, std::vector<MemberSpec>& out, uint32_t parent, int n) {
  for (int i = 0; i < n; ++i) out.push_back({ChildAge(rng, parent), rng.PerMille(510)});
}

void AddElders(Rng& rng, std::vector<MemberSpec>& out, uint32_t child, int n) {
  const uint32_t age = ElderAge(rng, child);
  for (int i = 0; i < n; ++i) {
    out.push_back({static_cast<uint32_t>(std::clamp<int64_t>(age + rng.Between(-3, 3), 60, 95)),
                   i == 0 ? rng.PerMille(450) : !out.back().male});
  }
}

// Composition templates by size (docs/SYNTH.md "Households"); the head comes first.
void ComposeSmall(Rng& rng, size_t size, std::vector<MemberSpec>& m) {
  if (size == 1) {
    const std::array<uint32_t, 3> w = {450, 450, 100};  // elder, adult, young adult
    const size_t k = rng.Weighted(w);
    const uint32_t age = k == 0 ? Age(rng, 60, 92) : k == 1 ? Age(rng, 25, 59) : Age(rng, 18, 24);
    m.push_back({age, rng.PerMille(480)});
  } else if (size == 2) {
    // Elderly couple, couple, single parent and child, adult and an elderly parent.
    const std::array<uint32_t, 4> w = {350, 250, 250, 150};
    const size_t k = rng.Weighted(w);
    if (k < 2) {
      AddCouple(rng, m, k == 0 ? 60 : 25, k == 0 ? 90 : 59);
    } else if (k == 2) {
      m.push_back({Age(rng, 28, 55), rng.PerMille(300)});
      AddChildren(rng, m, m[0].age, 1);
    } else {
      m.push_back({Age(rng, 35, 59), rng.PerMille(500)});
      AddElders(rng, m, m[0].age, 1);
    }
  } else {
    // Couple and child, single parent and two children, elderly couple and an adult child.
    const std::array<uint32_t, 3> w = {650, 100, 250};
    const size_t k = rng.Weighted(w);
    if (k == 0) {
      AddCouple(rng, m, 25, 55);
      AddChildren(rng, m, m[0].age, 1);
    } else if (k == 1) {
      m.push_back({Age(rng, 28, 55), rng.PerMille(300)});
      AddChildren(rng, m, m[0].age, 2);
    } else {
      AddCouple(rng, m, 60, 85);
      m.push_back({Age(rng, 25, std::min<int64_t>(45, m[0].age - 22)), rng.PerMille(550)});
    }
  }
}

void ComposeLarge(Rng& rng, size_t size, std::vector<MemberSpec>& m) {
  int children = 0;
  int elders = 0;
  if (size == 4) {  // couple and two children, or couple, child and a grandparent
    const bool two_children = rng.PerMille(450);
    children = two_children ? 2 : 1;
    elders = two_children ? 0 : 1;
  } else if (size == 5) {  // 1 child + 2 grandparents, 2 + 1, or 3 children
    const std::array<uint32_t, 3> w = {600, 300, 100};
    const size_t k = rng.Weighted(w);
    children = static_cast<int>(k) + 1;
    elders = 2 - static_cast<int>(k);
  } else {  // 2 children + 2 grandparents, or 3 + 1
    const bool two_elders = rng.PerMille(800);
    children = two_elders ? 2 : 3;
    elders = two_elders ? 2 : 1;
  }
  AddCouple(rng, m, 28, size == 4 ? 55 : 50);
  AddChildren(rng, m, m[0].age, children);
  if (elders > 0) AddElders(rng, m, m[0].age, elders);
}

std::vector<MemberSpec> Compose(Rng& rng, size_t size) {
  HEARTH_CHECK(size >= 1 && size <= 6);
  std::vector<MemberSpec> m;
  if (size <= 3) {
    ComposeSmall(rng, size, m);
  } else {
    ComposeLarge(rng, size, m);
  }
  HEARTH_CHECK(m.size() == size);
  return m;
}

// A resident ID (GB 11643-1999) of someone of `age` at the start of the window: region,
// date of birth before the window, sequence (odd for men), MOD 11-2 check character.
std::string MakeNationalId(Rng& rng, uint32_t first_month, const MemberSpec& spec) {
  std::array<uint32_t, std::size(kRegions)> w{};
  for (size_t i = 0; i < w.size(); ++i) w[i] = kRegions[i].weight;
  const char* region = kRegions[rng.Weighted(w)].code;
  const uint32_t year = first_month / 100 - spec.age - 1;
  const auto month = static_cast<uint32_t>(rng.Between(1, 12));
  const auto day = static_cast<uint32_t>(rng.Between(1, DaysIn(year, month)));
  const auto seq = static_cast<uint32_t>(rng.Between(0, 499) * 2 + (spec.male ? 1 : 0));
  std::string id =
      std::string(region) + Digits(year, 4) + Digits(month, 2) + Digits(day, 2) + Digits(seq, 3);
  HEARTH_CHECK(id.size() == kNationalIdLength - 1);
  id.push_back(NationalIdCheckChar(id));
  return id;
}

// Per-mille chance of a disability by age: about 1 person in 20 over the whole district.
uint32_t DisabilityPerMille(uint32_t age) { return age < 16 ? 20 : age < 60 ? 40 : 95; }

}  // namespace

HouseholdPlan MakeHousehold(const SynthOptions& opts, const District& d, size_t index,
                            const PseudonymKey& key, std::set<std::string>& used_ids) {
  Rng rng(opts.seed, "household", index);
  HouseholdPlan h;
  // "TZ" (Tongzhou), a tag of the seed (so districts of two seeds do not share case
  // numbers), and the household's number.
  const uint64_t tag = Rng(opts.seed, "case-tag", 0).Next() & 0xFFFF;
  static constexpr char kHex[] = "0123456789ABCDEF";
  h.case_number = "TZ";
  for (int shift = 12; shift >= 0; shift -= 4) h.case_number.push_back(kHex[(tag >> shift) & 0xF]);
  h.case_number += "-" + Digits(index + 1, 7);
  Result<Hash32> hid = HouseholdId(opts.suite, key, h.case_number);
  HEARTH_CHECK(hid.ok());
  h.household_id = *hid;
  h.declared_from = AddMonths(d.first_month, -static_cast<int32_t>(rng.Between(0, 35)));

  // The first six households take sizes 1..6, so every size is present in any district of
  // six households or more; the rest are drawn.
  const size_t size = index < 6 ? index + 1 : rng.Weighted(kSizeWeights) + 1;
  for (const MemberSpec& spec : Compose(rng, size)) {
    Person p;
    p.age = spec.age;
    p.male = spec.male;
    for (;;) {  // a fresh ID until unused (collisions are rare; bounded by the ID space)
      p.national_id = MakeNationalId(rng, d.first_month, spec);
      if (used_ids.insert(p.national_id).second) break;
    }
    Result<Hash32> subject = SubjectId(opts.suite, key, p.national_id);
    HEARTH_CHECK(subject.ok());
    p.subject = *subject;
    if (rng.PerMille(DisabilityPerMille(p.age))) {
      DisabilityPlan dis;
      dis.grade = static_cast<uint8_t>(rng.Weighted(kGradeWeights) + 1);
      dis.type = kDisabilityTypes[rng.Weighted(kDisabilityTypeWeights)];
      p.disability = dis;
    }
    h.members.push_back(std::move(p));
  }
  return h;
}

}  // namespace hearth::node::synth
