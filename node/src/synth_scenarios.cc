// Stage 3 of the synthetic district: the events that make the data worth verifying
// (synth_internal.h): deaths, enrollments and the benefits they pay, disability subsidies,
// gaps, corrections, records forged with a revoked key, and the expected figures and notes.
// Each kind of event happens to at least one household whenever any household can have it,
// so every district exercises every rule. Rates: docs/SYNTH.md "Events".
#include <algorithm>
#include <map>
#include <tuple>

#include "synth_internal.h"

namespace hearth::node::synth {

namespace {

// Per-mille rates of households with each event (at least one when possible).
constexpr uint32_t kDeathPerMille = 20;
constexpr uint32_t kGapPerMille = 30;
constexpr uint32_t kWageCorrectionPerMille = 30;
constexpr uint32_t kPensionCorrectionPerMille = 10;
constexpr uint32_t kForgedPerMille = 5;             // per agency that revokes a key
constexpr uint32_t kGradeCorrectionPerMille = 100;  // of disabled persons

size_t EventCount(size_t households, uint32_t per_mille, size_t candidates) {
  if (candidates == 0) return 0;
  return std::min(candidates, std::max<size_t>(1, households * per_mille / 1000));
}

// `count` distinct elements of `items`, in a seeded order.
template <typename T>
std::vector<T> Choose(Rng& rng, std::vector<T> items, size_t count) {
  count = std::min(count, items.size());
  for (size_t i = 0; i < count; ++i) {
    std::swap(items[i], items[i + rng.Below(items.size() - i)]);
  }
  items.resize(count);
  return items;
}

bool AliveIn(const Person& p, uint32_t index) {
  return !p.death_index.has_value() || index <= *p.death_index;
}

void AddTag(HouseholdPlan& h, std::string tag) {
  if (std::find(h.tags.begin(), h.tags.end(), tag) == h.tags.end())
    h.tags.push_back(std::move(tag));
}

void PlanDeaths(const SynthOptions& opts, District& d) {
  Rng rng(opts.seed, "deaths", 0);
  std::vector<size_t> candidates;
  for (size_t i = 0; i < d.households.size(); ++i) {
    const auto& m = d.households[i].members;
    if (m.size() >= 2 &&
        std::any_of(m.begin(), m.end(), [](const Person& p) { return p.age >= 60; })) {
      candidates.push_back(i);
    }
  }
  const size_t n = EventCount(d.households.size(), kDeathPerMille, candidates.size());
  for (size_t hi : Choose(rng, candidates, n)) {
    HouseholdPlan& h = d.households[hi];
    std::vector<size_t> elders;
    for (size_t i = 0; i < h.members.size(); ++i) {
      if (h.members[i].age >= 60) elders.push_back(i);
    }
    Person& p = h.members[elders[rng.Below(elders.size())]];
    const auto death = static_cast<uint32_t>(rng.Below(d.months));
    p.death_index = death;
    for (Stream& s : p.streams) {
      for (uint32_t i = death + 1; i < d.months; ++i) s.amount_fen[i] = kNoRecord;
    }
    AddTag(h, "death=" + std::to_string(d.MonthAt(death)));
  }
}

Stream BenefitStream(const District& d, const Person& p, Category category, uint32_t from_index,
                     int64_t amount, std::string_view kind) {
  Stream s = EmptyStream(
      d,
      category == Category::kDibaoBenefit ? Agency::kCivilAffairs : Agency::kDisabilityFederation,
      category);
  if (!kind.empty()) s.attributes.push_back({"kind", std::string(kind)});
  for (uint32_t i = from_index; i < d.months; ++i) {
    if (AliveIn(p, i)) s.amount_fen[i] = amount;
  }
  return s;
}

EnrollmentPlan SetupEnrollment(Rng& rng, const District& d, Programme programme) {
  EnrollmentPlan e;
  e.programme = programme;
  e.first_month = AddMonths(d.first_month, -static_cast<int32_t>(rng.Between(1, 48)));
  return e;
}

void PlanDibao(Rng& rng, const District& d, HouseholdPlan& h, int64_t pc) {
  const int64_t dibao = DibaoFen(d.last_month);
  const int64_t low = LowIncomeFen(d.last_month);
  std::optional<uint32_t> from_index;
  bool alert = false;
  if (pc < dibao) {
    const uint64_t r = rng.Below(1000);
    if (r < 700) {
      h.enrollments.push_back(SetupEnrollment(rng, d, Programme::kDibao));
      from_index = 0;
    } else if (r < 800 && d.months > 1) {  // approved during the window
      EnrollmentPlan e;
      e.feed = static_cast<uint32_t>(rng.Between(1, d.months - 1));
      e.first_month = d.MonthAt(e.feed);
      h.enrollments.push_back(e);
      from_index = e.feed;
    }
  } else if (pc >= low && rng.PerMille(30)) {  // income rose; still paid: 应退尽退
    h.enrollments.push_back(SetupEnrollment(rng, d, Programme::kDibao));
    from_index = 0;
    alert = true;
  } else if (pc < low) {
    if (rng.PerMille(500)) h.enrollments.push_back(SetupEnrollment(rng, d, Programme::kLowIncome));
    if (rng.PerMille(100)) {  // a dibao enrollment that ended before the window
      EnrollmentPlan e = SetupEnrollment(rng, d, Programme::kDibao);
      e.first_month = AddMonths(d.first_month, -static_cast<int32_t>(rng.Between(24, 48)));
      e.last_month = AddMonths(d.first_month, -static_cast<int32_t>(rng.Between(1, 12)));
      h.enrollments.push_back(e);
    }
  }
  if (!from_index) return;
  // The top-up to the standard (差额), per member, in whole yuan; for a household whose
  // income rose, what it was paid before.
  const int64_t gap_fen = std::max<int64_t>(0, dibao - pc);
  const int64_t amount =
      alert ? dibao * rng.Between(300, 700) / 1000 / 100 * 100 : gap_fen / 100 * 100;
  for (Person& p : h.members) {
    p.streams.push_back(BenefitStream(d, p, Category::kDibaoBenefit, *from_index, amount, ""));
  }
  if (alert) AddTag(h, "alert-expected");
}

void PlanDisability(Rng& rng, const District& d, HouseholdPlan& h, int64_t pc) {
  if (!d.Has(Agency::kDisabilityFederation)) return;  // nobody certifies a disability
  bool nursing = false;
  bool living = false;
  for (Person& p : h.members) {
    if (!p.disability) continue;
    AddTag(h, "disability");
    DisabilityPlan& dis = *p.disability;
    if (rng.PerMille(kGradeCorrectionPerMille)) {
      dis.wrong_grade = static_cast<uint8_t>(dis.grade == 4 ? 3 : dis.grade + 1);
      dis.correction_feed = static_cast<uint32_t>(rng.Below(d.months));
      AddTag(h, "correction");
    }
    const bool severe =
        dis.grade <= 2 || (dis.grade == 3 && (dis.type == "intellectual" || dis.type == "mental"));
    if (severe && rng.PerMille(800)) {  // 重度残疾人护理补贴: not means-tested
      p.streams.push_back(BenefitStream(d, p, Category::kDisabilitySubsidy, 0,
                                        dis.grade == 1 ? 30'000 : 10'000, "nursing"));
      nursing = true;
    }
    if (pc < LowIncomeFen(d.last_month) && rng.PerMille(800)) {  // 困难残疾人生活补贴
      p.streams.push_back(BenefitStream(d, p, Category::kDisabilitySubsidy, 0,
                                        pc < DibaoFen(d.last_month) ? 40'000 : 20'000, "living"));
      living = true;
    }
  }
  if (nursing) h.enrollments.push_back(SetupEnrollment(rng, d, Programme::kDisabilityNursing));
  if (living) h.enrollments.push_back(SetupEnrollment(rng, d, Programme::kDisabilityLiving));
}

// One or two months without any record from an agency that covers the member.
void PlanGaps(const SynthOptions& opts, District& d) {
  Rng rng(opts.seed, "gaps", 0);
  std::vector<Agency> agencies;
  for (Agency a : {Agency::kTax, Agency::kSocialSecurity}) {
    if (d.Has(a)) agencies.push_back(a);
  }
  if (agencies.empty()) return;
  std::vector<size_t> all(d.households.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  const size_t n = EventCount(d.households.size(), kGapPerMille, all.size());
  for (size_t hi : Choose(rng, all, n)) {
    HouseholdPlan& h = d.households[hi];
    Person& p = h.members[rng.Below(h.members.size())];
    Agency agency = agencies[rng.Below(agencies.size())];
    const bool quarterly = std::any_of(p.streams.begin(), p.streams.end(), [&](const Stream& s) {
      return s.agency == agency && s.quarterly;
    });
    if (quarterly) {  // a quarterly record cannot lose one month; use the other agency
      if (agencies.size() < 2) continue;
      agency = Agency::kSocialSecurity;
    }
    // A gap falls in a month the person is a member: before the month of death, which
    // already ends membership (a gap there would change nothing a verifier reads).
    if (p.death_index && *p.death_index == 0) continue;
    const uint32_t last_alive = p.death_index ? *p.death_index - 1 : d.months - 1;
    const uint32_t lo = std::min(d.months - d.lookback, last_alive);
    const auto start = static_cast<uint32_t>(rng.Between(lo, last_alive));
    const uint32_t end = std::min(last_alive, start + static_cast<uint32_t>(rng.Below(2)));
    for (uint32_t i = start; i <= end; ++i) {
      for (Stream& s : p.streams) {
        if (s.agency == agency) s.amount_fen[i] = kNoRecord;
      }
      AddTag(h, "gap=" + std::string(AgencyCode(agency)) + ":" + std::to_string(d.MonthAt(i)));
    }
  }
}

using RecordKey = std::tuple<size_t, size_t, uint16_t, uint32_t>;  // household, member, cat, month

struct Target {
  size_t household;
  size_t member;
  uint32_t month_index;
};

// Monthly records of `category` from `agency` with a positive amount, in months < before.
std::vector<Target> Targets(const District& d, Agency agency, Category category, uint32_t before,
                            const std::set<RecordKey>& taken) {
  std::vector<Target> out;
  for (size_t hi = 0; hi < d.households.size(); ++hi) {
    const auto& members = d.households[hi].members;
    for (size_t mi = 0; mi < members.size(); ++mi) {
      for (const Stream& s : members[mi].streams) {
        if (s.agency != agency || s.category != category || s.quarterly) continue;
        for (uint32_t i = 0; i < std::min(before, d.months); ++i) {
          const RecordKey key{hi, mi, static_cast<uint16_t>(category), i};
          if (s.amount_fen[i] > 0 && taken.count(key) == 0) out.push_back({hi, mi, i});
        }
      }
    }
  }
  return out;
}

int64_t WrongAmount(Rng& rng, int64_t right) {
  switch (rng.Below(4)) {
    case 0:
      return right * 10;  // a digit too many
    case 1:
      return right / 10;  // a digit lost
    case 2:
      return 0;  // reported before the payroll arrived
    default:
      return right + rng.Between(50'000, 300'000);
  }
}

void PlanCorrections(const SynthOptions& opts, District& d, std::set<RecordKey>& taken) {
  Rng rng(opts.seed, "corrections", 0);
  const struct {
    Agency agency;
    Category category;
    uint32_t per_mille;
  } kinds[] = {{Agency::kTax, Category::kWage, kWageCorrectionPerMille},
               {Agency::kSocialSecurity, Category::kPension, kPensionCorrectionPerMille}};
  for (const auto& k : kinds) {
    if (!d.Has(k.agency)) continue;
    std::vector<Target> all = Targets(d, k.agency, k.category, d.months, taken);
    // One target per household: draw households first, then one of their records.
    std::map<size_t, std::vector<Target>> by_household;
    for (const Target& t : all) by_household[t.household].push_back(t);
    std::vector<size_t> households;
    for (const auto& [hi, unused] : by_household) households.push_back(hi);
    const size_t n = EventCount(d.households.size(), k.per_mille, households.size());
    for (size_t hi : Choose(rng, households, n)) {
      const std::vector<Target>& ts = by_household[hi];
      const Target t = ts[rng.Below(ts.size())];
      const Person& p = d.households[hi].members[t.member];
      int64_t right = 0;
      for (const Stream& s : p.streams) {
        if (s.agency == k.agency && s.category == k.category) right = s.amount_fen[t.month_index];
      }
      CorrectionPlan c{k.agency, hi, t.member, k.category, t.month_index, {}, {}};
      c.amounts_fen.push_back(WrongAmount(rng, right));
      c.feeds.push_back(t.month_index);
      if (rng.PerMille(250)) {  // the first correction is wrong too and is corrected again
        c.amounts_fen.push_back(WrongAmount(rng, right));
        c.feeds.push_back(std::min<uint32_t>(
            d.months - 1, c.feeds.back() + static_cast<uint32_t>(rng.Between(1, 2))));
      }
      c.amounts_fen.push_back(right);
      c.feeds.push_back(std::min<uint32_t>(
          d.months - 1, c.feeds.back() + static_cast<uint32_t>(rng.Between(1, 3))));
      taken.insert({hi, t.member, static_cast<uint16_t>(k.category), t.month_index});
      AddTag(d.households[hi], "correction");
      d.corrections.push_back(std::move(c));
    }
  }
}

// After the revocation, the revoked key signs fake corrections that zero a genuine income
// record, and fake extra income; a verifier that honours the revocation ignores both.
void PlanForged(const SynthOptions& opts, District& d, std::set<RecordKey>& taken) {
  Rng rng(opts.seed, "forged", 0);
  const std::pair<Agency, Category> kinds[] = {{Agency::kTax, Category::kWage},
                                               {Agency::kSocialSecurity, Category::kPension}};
  for (const auto& [agency, category] : kinds) {
    if (!d.Has(agency)) continue;
    const size_t n = std::max<size_t>(1, d.households.size() * kForgedPerMille / 1000);
    std::vector<Target> zeroable =
        Choose(rng, Targets(d, agency, category, d.revoke_feed, taken), n);
    for (size_t i = 0; i < n; ++i) {
      ForgedPlan f{agency, 0, 0, category, 0, false, 0};
      if (i % 2 == 0 && i / 2 < zeroable.size()) {
        const Target& t = zeroable[i / 2];
        f.household = t.household;
        f.member = t.member;
        f.month_index = t.month_index;
        f.supersedes_original = true;
        taken.insert({t.household, t.member, static_cast<uint16_t>(category), t.month_index});
      } else {
        f.household = rng.Below(d.households.size());
        const Person& p = d.households[f.household].members[0];
        f.month_index = static_cast<uint32_t>(rng.Below(p.death_index.value_or(d.months - 1) + 1));
        f.amount_fen = rng.Between(800'000, 2'000'000);
      }
      AddTag(d.households[f.household], "revoked-key");
      d.forged.push_back(f);
    }
  }
}

std::string Note(const District& d, const HouseholdPlan& h) {
  const int64_t pc = h.expected_per_capita_fen;
  const int64_t dibao = DibaoFen(d.last_month);
  const int64_t low = LowIncomeFen(d.last_month);
  std::string note = pc < dibao ? "dibao-eligible"
                     : pc < low ? "low-income-eligible"
                                : "above-low-income";
  note += " pc_fen=" + std::to_string(pc);
  auto near = [pc](int64_t t) { return pc * 100 >= t * 95 && pc * 100 <= t * 105; };
  if (near(dibao) || near(low)) note += " near-threshold";
  if (pc == 0) note += " zero-income";
  for (const EnrollmentPlan& e : h.enrollments) {
    if (e.first_month <= d.last_month && (!e.last_month || *e.last_month >= d.last_month)) {
      note += " enrolled=" + std::string(ProgrammeCode(e.programme));
    }
  }
  for (const std::string& t : h.tags) note += " " + t;
  return note;
}

}  // namespace

void PlanScenarios(const SynthOptions& opts, District& d) {
  PlanDeaths(opts, d);
  bool any_grade_correction = false;
  Person* first_disabled = nullptr;
  HouseholdPlan* first_disabled_household = nullptr;
  for (size_t i = 0; i < d.households.size(); ++i) {
    HouseholdPlan& h = d.households[i];
    Rng rng(opts.seed, "benefits", i);
    const int64_t pc = PerCapitaFen(d, h);
    PlanDibao(rng, d, h, pc);
    PlanDisability(rng, d, h, pc);
    h.extra_key_signed = i % 5 == 2;
    for (Person& p : h.members) {
      if (!p.disability) continue;
      any_grade_correction |= p.disability->wrong_grade.has_value();
      if (first_disabled == nullptr) {
        first_disabled = &p;
        first_disabled_household = &h;
      }
    }
  }
  if (!any_grade_correction && first_disabled != nullptr && d.Has(Agency::kDisabilityFederation)) {
    DisabilityPlan& dis = *first_disabled->disability;
    dis.wrong_grade = static_cast<uint8_t>(dis.grade == 4 ? 3 : dis.grade + 1);
    dis.correction_feed = d.months - 1;
    AddTag(*first_disabled_household, "correction");
  }
  PlanGaps(opts, d);
  std::set<RecordKey> taken;
  PlanCorrections(opts, d, taken);
  PlanForged(opts, d, taken);
  for (HouseholdPlan& h : d.households) {
    h.expected_per_capita_fen = PerCapitaFen(d, h);
  }
}

std::string NoteOf(const District& d, const HouseholdPlan& h) { return Note(d, h); }

}  // namespace hearth::node::synth
