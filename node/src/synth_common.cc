// Shared pieces of the synthetic district (synth_internal.h): the random sequence, month
// arithmetic, Beijing's thresholds and the per-capita figure.
#include <iterator>

#include "synth_internal.h"

namespace hearth::node::synth {

namespace {

// The SplitMix64 output function: a bijective mix of 64 bits.
uint64_t Mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// FNV-1a of a stream name: distinct names give unrelated starting states.
uint64_t NameHash(std::string_view name) {
  uint64_t h = 0xCBF29CE484222325ULL;
  for (char c : name) {
    h ^= static_cast<uint8_t>(c);
    h *= 0x100000001B3ULL;
  }
  return h;
}

struct ThresholdRow {
  uint32_t from_month;  // YYYYMM the figure applies from
  int64_t fen;
};

// 低保, yuan per person per month (research/domain-income-verification.md §1.5). 2018 is an
// assumption of the research; 1450 is kept for 2025 (the 2025 figure is a gap there).
constexpr ThresholdRow kDibao[] = {
    {201101, 50000},  {201201, 52000},  {201301, 58000},  {201401, 65000},  {201501, 71000},
    {201601, 80000},  {201701, 90000},  {201801, 100000}, {201901, 110000}, {202007, 117000},
    {202107, 124500}, {202207, 132000}, {202307, 139500}, {202407, 145000},
};

// 低收入: published figures to 2017, then Beijing's monthly minimum wage (§1.5): 2200 (2019),
// 2320 (2021, month assumed July), 2420 (September 2023), 2540 (2025, month assumed
// September, after the notice of July 2025). 2018 keeps 1410 (a gap in the research).
constexpr ThresholdRow kLowIncome[] = {
    {201101, 73100},  {201201, 74000},  {201301, 74000},  {201401, 85000},
    {201501, 93000},  {201601, 105000}, {201701, 141000}, {201901, 220000},
    {202107, 232000}, {202309, 242000}, {202509, 254000},
};

int64_t Lookup(std::span<const ThresholdRow> rows, uint32_t yyyymm) {
  int64_t v = rows.front().fen;  // before the first row: the earliest figure
  for (const ThresholdRow& r : rows) {
    if (r.from_month <= yyyymm) v = r.fen;
  }
  return v;
}

}  // namespace

Rng::Rng(uint64_t seed, std::string_view stream, uint64_t index)
    : state_(Mix64(seed ^ 0x6A09E667F3BCC909ULL) ^ Mix64(NameHash(stream)) ^
             Mix64(index * 0x9E3779B97F4A7C15ULL + 0x3C6EF372FE94F82BULL)) {}

uint64_t Rng::Next() {
  state_ += 0x9E3779B97F4A7C15ULL;
  return Mix64(state_);
}

uint64_t Rng::Below(uint64_t n) {
  HEARTH_CHECK(n > 0);
  // Rejection of the short last block keeps the draw exactly uniform.
  const uint64_t limit = (0 - n) % n;
  for (;;) {
    const uint64_t r = Next();
    if (r >= limit) return r % n;
  }
}

int64_t Rng::Between(int64_t lo, int64_t hi) {
  HEARTH_CHECK(lo <= hi);
  const uint64_t span = static_cast<uint64_t>(hi - lo) + 1;
  return lo + static_cast<int64_t>(Below(span));
}

bool Rng::PerMille(uint32_t per_mille) { return Below(1000) < per_mille; }

size_t Rng::Weighted(std::span<const uint32_t> weights) {
  uint64_t total = 0;
  for (uint32_t w : weights) total += w;
  HEARTH_CHECK(total > 0);
  uint64_t r = Below(total);
  for (size_t i = 0; i < weights.size(); ++i) {
    if (r < weights[i]) return i;
    r -= weights[i];
  }
  HEARTH_CHECK_MSG(false, "Weighted: unreachable");
  return 0;
}

uint32_t AddMonths(uint32_t yyyymm, int32_t delta) {
  const int64_t index = static_cast<int64_t>(yyyymm / 100) * 12 + (yyyymm % 100 - 1) + delta;
  HEARTH_CHECK(index >= 0);
  const auto result = static_cast<uint32_t>((index / 12) * 100 + index % 12 + 1);
  HEARTH_CHECK(IsValidMonth(result));
  return result;
}

int64_t DibaoFen(uint32_t yyyymm) { return Lookup(kDibao, yyyymm); }
int64_t LowIncomeFen(uint32_t yyyymm) { return Lookup(kLowIncome, yyyymm); }

Stream EmptyStream(const District& d, Agency agency, Category category) {
  Stream s;
  s.agency = agency;
  s.category = category;
  s.amount_fen.assign(d.months, kNoRecord);
  return s;
}

int64_t PerCapitaFen(const District& d, const HouseholdPlan& h) {
  // Member-months (docs/VERIFY.md "Rounding"): a member counts in each look-back month
  // before the month of their death (a death ends membership from that month), with the
  // income of those months; the total is divided by the number of such member-months.
  int64_t total = 0;
  int64_t member_months = 0;
  for (const Person& p : h.members) {
    const uint32_t end = p.death_index.value_or(d.months);  // first month not a member
    for (uint32_t i = d.months - d.lookback; i < d.months && i < end; ++i) ++member_months;
    for (const Stream& s : p.streams) {
      if (!d.Has(s.agency)) continue;  // an agency without keys reports nothing
      const CategoryClass klass = InfoOf(s.category).klass;
      if (klass != CategoryClass::kIncome && klass != CategoryClass::kDeduction) continue;
      for (uint32_t i = d.months - d.lookback; i < d.months && i < end; ++i) {
        if (s.amount_fen[i] == kNoRecord) continue;
        total += klass == CategoryClass::kIncome ? s.amount_fen[i] : -s.amount_fen[i];
      }
    }
  }
  HEARTH_CHECK(member_months > 0);
  int64_t q = total / member_months;
  if (total % member_months != 0 && total < 0) --q;  // floor, also for net losses
  return q;
}

}  // namespace hearth::node::synth
