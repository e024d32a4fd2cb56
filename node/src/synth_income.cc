// Stage 2 of the synthetic district: each household's income band, its members' roles and
// the monthly streams that tax and social security report (synth_internal.h).
//
// A household first draws a band against the thresholds in force in last_month (below 低保,
// near it on either side, between 低保 and 低收入, near 低收入, above), then a target
// per-capita income in that band; the target is shared out over the members by role:
// enterprise pensions first, an unemployment benefit, then wages (or business income),
// and what is left over where nobody can earn becomes support received from relatives.
// Monthly noise and bonuses move the realised figure a little; the notes are computed from
// what is finally recorded, never from the target. Figures: docs/SYNTH.md "Income".
#include <algorithm>
#include <array>

#include "synth_internal.h"

namespace hearth::node::synth {

namespace {

// Band shares (per mille), in Band order: an assumption chosen so that every threshold has
// households close to it on both sides (docs/SYNTH.md).
constexpr std::array<uint32_t, 7> kBandWeights = {220, 70, 70, 160, 30, 30, 420};

constexpr int64_t kPensionMinFen = 320'000;  // enterprise pension draw, yuan 3200..6500
constexpr int64_t kPensionMaxFen = 650'000;
constexpr int64_t kPensionCapFen = 900'000;       // highest pension after topping up
constexpr int64_t kResidentPensionFen = 92'400;   // basic resident pension, yuan 924 (assumed)
constexpr int64_t kUnemploymentMinFen = 200'000;  // unemployment benefit, yuan 2000..2300
constexpr int64_t kUnemploymentMaxFen = 230'000;
constexpr int64_t kSupportMaxFen = 300'000;  // support from relatives, at most yuan 3000

int64_t Scale(int64_t v, int64_t per_mille) { return v * per_mille / 1000; }

int64_t TargetPerCapita(Rng& rng, Band band, int64_t dibao, int64_t low) {
  switch (band) {
    case Band::kDeepDibao:
      return rng.PerMille(100) ? 0 : Scale(dibao, rng.Between(0, 850));
    case Band::kNearDibaoBelow:
      return Scale(dibao, rng.Between(900, 980));
    case Band::kNearDibaoAbove:
      return Scale(dibao, rng.Between(1020, 1100));
    case Band::kLowIncome:
      return rng.Between(Scale(dibao, 1120), Scale(low, 920));
    case Band::kNearLowIncomeBelow:
      return Scale(low, rng.Between(950, 985));
    case Band::kNearLowIncomeAbove:
      return Scale(low, rng.Between(1015, 1050));
    case Band::kAbove: {
      const int64_t u = rng.Between(0, 999);  // skewed towards the lower end
      return Scale(low, 1100 + 2400 * u * u / 1'000'000);
    }
  }
  return 0;
}

bool IsLowBand(Band b) { return b <= Band::kLowIncome; }

// Working-age members in the order they take up work: no disability first, severe last.
std::vector<size_t> WorkingOrder(const HouseholdPlan& h) {
  std::vector<size_t> order;
  for (size_t i = 0; i < h.members.size(); ++i) {
    if (h.members[i].role == Role::kNoIncome) order.push_back(i);
  }
  auto severity = [&](size_t i) {
    const auto& dis = h.members[i].disability;
    return !dis ? 0 : dis->grade >= 3 ? 1 : 2;
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return severity(a) < severity(b); });
  return order;
}

struct Shares {
  std::vector<std::pair<size_t, int64_t>> pension;  // member, fen per month
  std::vector<std::pair<size_t, int64_t>> wage;
  std::optional<std::pair<size_t, int64_t>> unemployment;
  std::optional<std::pair<size_t, int64_t>> support;
  std::optional<std::pair<size_t, int64_t>> rent;  // property income
};

// Splits `total` into `k` positive-weighted parts (the last takes the rounding remainder).
std::vector<int64_t> Split(Rng& rng, int64_t total, size_t k) {
  std::vector<int64_t> w(k);
  int64_t sum = 0;
  for (auto& x : w) sum += (x = rng.Between(60, 140));
  std::vector<int64_t> parts(k);
  int64_t given = 0;
  for (size_t i = 0; i + 1 < k; ++i) given += (parts[i] = total * w[i] / sum);
  parts[k - 1] = total - given;
  return parts;
}

Shares Allocate(Rng& rng, HouseholdPlan& h, int64_t total) {
  Shares s;
  int64_t left = total;
  for (size_t i = 0; i < h.members.size(); ++i) {
    Person& p = h.members[i];
    if (p.age < 60) continue;
    const int64_t draw = rng.Between(kPensionMinFen, kPensionMaxFen);
    if (rng.PerMille(850) && left >= kPensionMinFen) {
      p.role = Role::kRetiree;
      s.pension.push_back({i, std::min(draw, left)});
      left -= s.pension.back().second;
    } else {
      p.role = Role::kResidentPensioner;
    }
  }
  std::vector<size_t> working = WorkingOrder(h);
  size_t next = 0;
  if (IsLowBand(h.band) && !working.empty() && left >= kUnemploymentMinFen && rng.PerMille(300)) {
    const int64_t benefit = rng.Between(kUnemploymentMinFen, kUnemploymentMaxFen);
    if (benefit <= left) {
      h.members[working[next]].role = Role::kUnemployed;
      s.unemployment = {working[next++], benefit};
      left -= benefit;
    }
  }
  if (left > 0 && next < working.size()) {
    const bool high = !IsLowBand(h.band);
    const int64_t typical = high ? rng.Between(450'000, 1'200'000) : rng.Between(250'000, 450'000);
    const auto k = static_cast<size_t>(std::clamp<int64_t>(
        (left + typical / 2) / typical, 1, static_cast<int64_t>(working.size() - next)));
    for (int64_t part : Split(rng, left, k)) {
      Person& p = h.members[working[next]];
      p.role = high && rng.PerMille(100) ? Role::kSelfEmployed : Role::kWorker;
      s.wage.push_back({working[next++], part});
    }
    left = 0;
  }
  for (auto& [member, amount] : s.pension) {  // nobody can earn: pensions carry the rest
    if (left <= 0) break;
    const int64_t add = std::min(left, kPensionCapFen - amount);
    amount += add;
    left -= add;
  }
  if (left > 0) {  // support from relatives outside the household (赡养/抚养费)
    size_t eldest = 0;
    for (size_t i = 1; i < h.members.size(); ++i) {
      if (h.members[i].age > h.members[eldest].age) eldest = i;
    }
    s.support = {eldest, std::min(left, kSupportMaxFen)};
    left -= s.support->second;
    if (left > 0) s.rent = {eldest, left};  // beyond that: rent from a flat they own
  }
  return s;
}

void AssignBaseRoles(Rng& rng, HouseholdPlan& h) {
  for (size_t i = 0; i < h.members.size(); ++i) {
    Person& p = h.members[i];
    if (p.age < 16) {
      p.role = Role::kChild;
    } else if (p.age < 18 || (p.age <= 22 && i > 0 && rng.PerMille(700))) {
      p.role = Role::kStudent;
    } else {
      p.role = Role::kNoIncome;  // working age or elder: decided by Allocate
    }
  }
}

void WageStream(Rng& rng, const District& d, Person& p, int64_t base, bool bonus) {
  if (p.role == Role::kSelfEmployed) {
    Stream s = EmptyStream(d, Agency::kTax, Category::kBusiness);
    s.quarterly = true;
    int64_t quarter_amount = 0;
    for (uint32_t i = 0; i < d.months; ++i) {
      const uint32_t month = d.MonthAt(i);
      if (i == 0 || month % 100 % 3 == 1) {  // a new calendar quarter
        quarter_amount = rng.PerMille(50) ? -Scale(base, rng.Between(100, 500))
                                          : Scale(base, rng.Between(700, 1300));
      }
      s.amount_fen[i] = quarter_amount;
    }
    p.streams.push_back(std::move(s));
    return;
  }
  Stream s = EmptyStream(d, Agency::kTax, Category::kWage);
  for (uint32_t i = 0; i < d.months; ++i) {
    int64_t v = Scale(base, rng.Between(960, 1040));
    if (bonus && d.MonthAt(i) % 100 == 1) v += base;  // a Spring Festival bonus in January
    s.amount_fen[i] = v;
  }
  p.streams.push_back(std::move(s));
}

Stream Constant(const District& d, Agency agency, Category category, int64_t amount) {
  Stream s = EmptyStream(d, agency, category);
  std::fill(s.amount_fen.begin(), s.amount_fen.end(), amount);
  return s;
}

void UnemploymentStreams(Rng& rng, const District& d, Person& p, int64_t benefit) {
  Stream ub = EmptyStream(d, Agency::kSocialSecurity, Category::kUnemploymentBenefit);
  Stream zero = EmptyStream(d, Agency::kSocialSecurity, Category::kPension);
  int64_t start = 0;
  int64_t end = d.months;    // exclusive
  if (!rng.PerMille(700)) {  // a spell (6..24 months, the legal maximum) inside the window
    start = rng.Between(0, d.months - 1);
    end = std::min<int64_t>(d.months, start + rng.Between(6, 24));
  }
  for (int64_t i = 0; i < d.months; ++i) {
    if (i >= start && i < end) {
      ub.amount_fen[i] = benefit;
    } else {
      zero.amount_fen[i] = 0;  // covered, no benefit that month
    }
  }
  for (Stream* s : {&ub, &zero}) {
    if (std::any_of(s->amount_fen.begin(), s->amount_fen.end(),
                    [](int64_t v) { return v != kNoRecord; })) {
      p.streams.push_back(std::move(*s));
    }
  }
}

}  // namespace

void PlanIncome(const SynthOptions& opts, const District& d, size_t index, HouseholdPlan& h) {
  Rng rng(opts.seed, "income", index);
  const int64_t dibao = DibaoFen(d.last_month);
  const int64_t low = LowIncomeFen(d.last_month);
  h.band = static_cast<Band>(rng.Weighted(kBandWeights));
  h.target_per_capita_fen = TargetPerCapita(rng, h.band, dibao, low);
  AssignBaseRoles(rng, h);
  const Shares s =
      Allocate(rng, h, h.target_per_capita_fen * static_cast<int64_t>(h.members.size()));

  const bool high = !IsLowBand(h.band);
  for (const auto& [member, amount] : s.wage) {
    WageStream(rng, d, h.members[member], amount, high && rng.PerMille(200));
  }
  for (const auto& [member, amount] : s.pension) {
    h.members[member].streams.push_back(
        Constant(d, Agency::kSocialSecurity, Category::kPension, amount));
  }
  if (s.unemployment) {
    UnemploymentStreams(rng, d, h.members[s.unemployment->first], s.unemployment->second);
  }
  if (s.support) {
    h.members[s.support->first].streams.push_back(
        Constant(d, Agency::kCivilAffairs, Category::kSupportReceived, s.support->second));
  }
  if (s.rent) {
    h.members[s.rent->first].streams.push_back(
        Constant(d, Agency::kTax, Category::kProperty, s.rent->second));
  } else if (h.band == Band::kAbove && rng.PerMille(50)) {  // rent from a second property
    h.members[0].streams.push_back(
        Constant(d, Agency::kTax, Category::kProperty, rng.Between(150'000, 400'000)));
  }
  // Tax and social security cover every member: explicit zeros where nothing was found.
  for (Person& p : h.members) {
    if (p.role != Role::kWorker && p.role != Role::kSelfEmployed) {
      p.streams.push_back(Constant(d, Agency::kTax, Category::kWage, 0));
    }
    if (p.role == Role::kResidentPensioner) {
      p.streams.push_back(Constant(d, Agency::kSocialSecurity, Category::kResidentBasicPension,
                                   kResidentPensionFen));
    } else if (p.role != Role::kRetiree && p.role != Role::kUnemployed) {
      p.streams.push_back(Constant(d, Agency::kSocialSecurity, Category::kPension, 0));
    }
  }
}

}  // namespace hearth::node::synth
