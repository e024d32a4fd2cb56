// Evaluate (engine.h): rule set, household, attestations, figures, conditions, decision.
// docs/VERIFY.md describes the order and every reason code produced here.
#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "engine_internal.h"
#include "hearth/verify/engine.h"

namespace hearth::verify {

namespace {

using namespace engine_internal;

// An attestation that survived the envelope and signer checks.
struct Att {
  const LoggedTx* lt = nullptr;
  const Attestation* a = nullptr;
  Agency agency = Agency::kTax;
  bool active = true;  // false: superseded by a correction, or an ignored correction
};

bool Covers(const Attestation& a, uint32_t month) {
  return a.first_month <= month && month <= a.last_month;
}

std::string Short(const Hash32& h) { return h.Hex().substr(0, 12); }

class Evaluation {
 public:
  Evaluation(const Trust& trust, const CheckRequest& req, EvidenceSource& source)
      : trust_(trust), req_(req), reader_(source, &out_.keys_read), keys_(trust, reader_) {}

  Result<CheckResult> Run();

 private:
  Status Validate() const;
  Status LoadRules();
  Status LoadHousehold();
  Status LoadAttestations();
  void ResolveCorrections();
  void BuildMemberMonths();
  void CheckIncome();
  void CheckDisability();
  void CheckEnrollment();
  void CheckDeposits();
  void CheckVehicle();
  void CheckRealEstate();
  void Decide();

  // Signer's agency at the tx's log position; counts the tx as ignored when it has none.
  Result<std::optional<Agency>> Authority(const LoggedTx& lt);
  void Use(const LoggedTx& lt);
  void AddReason(std::string code, std::string zh, std::string en) {
    out_.reasons.push_back(Reason{std::move(code), std::move(zh), std::move(en)});
  }
  void AddCondition(std::string name, ConditionStatus s, std::string detail) {
    out_.conditions.push_back(ConditionResult{std::move(name), s, std::move(detail)});
  }
  bool Accepted(Category c, Agency a) const;
  bool AnyMemberAgency(const std::vector<Agency>& issuers) const;
  const HouseholdDeclaration* DeclarationAt(uint32_t month, const LoggedTx** lt) const;
  bool IsMember(const Hash32& s, uint32_t month) const;
  std::vector<Hash32> MembersAtAsOf() const;
  // Active attestations of `c` about `subject` covering `month` with an accepted issuer.
  std::vector<const Att*> Find(const Hash32& subject, uint32_t month, Category c,
                               const std::vector<Agency>* issuers) const;

  const Trust& trust_;
  const CheckRequest& req_;
  CheckResult out_;
  Reader reader_;
  KeyBook keys_;
  const Rules& rules() const { return out_.rules; }

  std::vector<std::pair<const LoggedTx*, const HouseholdDeclaration*>> declarations_;
  std::vector<std::pair<const LoggedTx*, const Enrollment*>> enrollments_;
  std::vector<uint32_t> months_;  // window then as_of, ascending
  std::set<Hash32> subjects_;
  std::map<Hash32, Att> atts_;                              // by tx id
  std::map<std::pair<Hash32, uint32_t>, std::vector<const Att*>> by_subject_month_;  // log order
  std::map<Hash32, uint32_t> death_month_;
  std::set<Hash32> ignored_;
  std::map<Hash32, uint64_t> used_;  // tx id -> log index
  bool members_mismatch_ = false;
};

Status Evaluation::Validate() const {
  if (!IsValidMonth(req_.as_of)) {
    return Status::InvalidArgument("check.as_of: month " + std::to_string(req_.as_of) +
                                   " is not YYYYMM");
  }
  for (size_t i = 1; i < req_.members.size(); ++i) {
    if (!(req_.members[i - 1] < req_.members[i])) {
      return Status::InvalidArgument("check.members: not sorted ascending and unique");
    }
  }
  if (req_.members.size() > kMembersMax) {
    return Status::InvalidArgument("check.members: more than " + std::to_string(kMembersMax));
  }
  return Status::Ok();
}

Result<std::optional<Agency>> Evaluation::Authority(const LoggedTx& lt) {
  HEARTH_ASSIGN_OR_RETURN(std::optional<Agency> a, keys_.AgencyAt(lt));
  if (!a.has_value()) ignored_.insert(lt.tx.id());
  return a;
}

void Evaluation::Use(const LoggedTx& lt) {
  used_.emplace(lt.tx.id(), lt.log_index);
  for (const LoggedTx* ev : keys_.EventsBefore(lt)) used_.emplace(ev->tx.id(), ev->log_index);
}

Status Evaluation::LoadRules() {
  HEARTH_ASSIGN_OR_RETURN(std::vector<const LoggedTx*> list,
                          reader_.Read(IndexKey::ForProgramme(req_.programme)));
  const LoggedTx* best = nullptr;
  for (const LoggedTx* lt : list) {
    if (lt->tx.kind() != TxKind::kRuleSet) continue;
    const RuleSet& rs = PayloadAs<RuleSet>(lt->tx);
    HEARTH_ASSIGN_OR_RETURN(std::optional<Agency> by, Authority(*lt));
    if (by != Agency::kCivilAffairs) {
      if (by.has_value()) ignored_.insert(lt->tx.id());
      continue;
    }
    if (rs.programme != req_.programme || rs.effective_from > req_.as_of) continue;
    if (best != nullptr) {
      const RuleSet& b = PayloadAs<RuleSet>(best->tx);
      // Later entries are later in the log, so ties on both keys go to the later one.
      if (std::pair(rs.effective_from, rs.version) < std::pair(b.effective_from, b.version)) {
        continue;
      }
    }
    best = lt;
  }
  const std::string prog(ProgrammeCode(req_.programme));
  if (best == nullptr) {
    return Status::FailedPrecondition("no rule set for programme " + prog + " in force at " +
                                      std::to_string(req_.as_of));
  }
  const RuleSet& rs = PayloadAs<RuleSet>(best->tx);
  Result<std::shared_ptr<const Rules>> rules = ParseRulesCached(best->tx.id(), rs.rules_json);
  if (!rules.ok()) {
    return Status::FailedPrecondition("rule set " + best->tx.id().Hex() + " for " + prog +
                                      " does not parse: " + rules.status().message());
  }
  const Rules& parsed = **rules;
  if (parsed.programme != rs.programme || parsed.version != rs.version ||
      parsed.effective_from != rs.effective_from) {
    return Status::FailedPrecondition("rule set " + best->tx.id().Hex() +
                                      ": programme, version or effective_from of the JSON "
                                      "differ from the record");
  }
  out_.rules = parsed;
  out_.rule_set_tx = best->tx.id();
  Use(*best);
  return Status::Ok();
}

const HouseholdDeclaration* Evaluation::DeclarationAt(uint32_t month,
                                                      const LoggedTx** lt_out) const {
  const HouseholdDeclaration* best = nullptr;
  for (const auto& [lt, d] : declarations_) {  // log order: ties go to the later one
    if (d->effective_from > month) continue;
    if (best == nullptr || d->effective_from >= best->effective_from) {
      best = d;
      if (lt_out != nullptr) *lt_out = lt;
    }
  }
  return best;
}

Status Evaluation::LoadHousehold() {
  HEARTH_ASSIGN_OR_RETURN(std::vector<const LoggedTx*> list,
                          reader_.Read(IndexKey::Household(req_.household)));
  const LoggedTx* consent = nullptr;
  for (const LoggedTx* lt : list) {
    const TxKind k = lt->tx.kind();
    if (k != TxKind::kHouseholdDeclaration && k != TxKind::kConsent &&
        k != TxKind::kEnrollment) {
      continue;
    }
    HEARTH_ASSIGN_OR_RETURN(std::optional<Agency> by, Authority(*lt));
    if (by != Agency::kCivilAffairs) {
      if (by.has_value()) ignored_.insert(lt->tx.id());
      continue;
    }
    if (k == TxKind::kHouseholdDeclaration) {
      const auto& d = PayloadAs<HouseholdDeclaration>(lt->tx);
      if (d.household == req_.household) declarations_.emplace_back(lt, &d);
    } else if (k == TxKind::kEnrollment) {
      const auto& e = PayloadAs<Enrollment>(lt->tx);
      if (e.household == req_.household) enrollments_.emplace_back(lt, &e);
    } else if (lt->tx.id() == req_.consent &&
               PayloadAs<Consent>(lt->tx).household == req_.household) {
      consent = lt;
    }
  }
  const LoggedTx* decl_lt = nullptr;
  const HouseholdDeclaration* decl = DeclarationAt(req_.as_of, &decl_lt);
  if (decl == nullptr) {
    return Status::NotFound("unknown household " + req_.household.Hex() +
                            ": no declaration in force at " + std::to_string(req_.as_of));
  }
  if (req_.consent_required) {
    if (consent == nullptr) {
      return Status::FailedPrecondition("consent " + req_.consent.Hex() +
                                        " is not a valid consent filed under household " +
                                        req_.household.Hex());
    }
    const Consent& c = PayloadAs<Consent>(consent->tx);
    const uint64_t t = req_.checkpoint_time_ms;
    if (t < c.valid_from_ms || (c.valid_until_ms.has_value() && t >= *c.valid_until_ms)) {
      return Status::FailedPrecondition("consent " + req_.consent.Hex() +
                                        " is not valid at the checkpoint time " +
                                        std::to_string(t));
    }
    Use(*consent);
  }
  out_.declaration_tx = decl_lt->tx.id();
  out_.declared_members = decl->members;
  members_mismatch_ = !req_.members.empty() && req_.members != decl->members;
  return Status::Ok();
}

Status Evaluation::LoadAttestations() {
  for (uint32_t m : months_) {
    const LoggedTx* lt = nullptr;
    const HouseholdDeclaration* d = DeclarationAt(m, &lt);
    if (d == nullptr) continue;
    Use(*lt);
    subjects_.insert(d->members.begin(), d->members.end());
  }
  for (const Hash32& s : subjects_) {
    for (uint32_t m : months_) {
      HEARTH_ASSIGN_OR_RETURN(std::vector<const LoggedTx*> list,
                              reader_.Read(IndexKey::SubjectMonth(s, m)));
      for (const LoggedTx* lt : list) {
        if (lt->tx.kind() != TxKind::kAttestation) continue;
        const Attestation& a = PayloadAs<Attestation>(lt->tx);
        if (a.subject != s || !Covers(a, m)) continue;  // misfiled: never counted
        HEARTH_ASSIGN_OR_RETURN(std::optional<Agency> by, Authority(*lt));
        if (!by.has_value()) continue;
        // One Att per transaction, shared by every month it is filed under.
        Att& att = atts_.try_emplace(lt->tx.id(), Att{lt, &a, *by, true}).first->second;
        by_subject_month_[{s, m}].push_back(&att);
      }
    }
  }
  return Status::Ok();
}

// Corrections, in log order: a valid correction of an earlier attestation of the same agency
// and subject deactivates it everywhere; among several corrections of one record the last in
// the log wins; a correction of another agency's record is ignored.
void Evaluation::ResolveCorrections() {
  std::vector<Att*> order;
  for (auto& [id, att] : atts_) order.push_back(&att);
  std::sort(order.begin(), order.end(),
            [](const Att* x, const Att* y) { return x->lt->log_index < y->lt->log_index; });
  std::map<Hash32, Att*> corrector;  // corrected id -> current correction
  for (Att* c : order) {
    if (!c->a->supersedes.has_value() || !c->active) continue;
    auto target = atts_.find(*c->a->supersedes);
    if (target == atts_.end()) continue;  // corrects something outside what was read
    Att& t = target->second;
    if (t.agency != c->agency || t.a->subject != c->a->subject ||
        t.lt->log_index >= c->lt->log_index) {
      c->active = false;
      ignored_.insert(c->lt->tx.id());
      continue;
    }
    t.active = false;
    auto [it, fresh] = corrector.try_emplace(t.lt->tx.id(), c);
    if (!fresh) {
      it->second->active = false;
      it->second = c;
    }
  }
}

bool Evaluation::Accepted(Category c, Agency a) const {
  auto it = rules().issuers.find(c);
  if (it == rules().issuers.end()) return a == InfoOf(c).issuer;
  return std::find(it->second.begin(), it->second.end(), a) != it->second.end();
}

bool Evaluation::AnyMemberAgency(const std::vector<Agency>& issuers) const {
  return std::any_of(issuers.begin(), issuers.end(),
                     [&](Agency a) { return keys_.IsMemberAgency(a); });
}

std::vector<const Att*> Evaluation::Find(const Hash32& subject, uint32_t month, Category c,
                                         const std::vector<Agency>* issuers) const {
  std::vector<const Att*> out;
  auto it = by_subject_month_.find({subject, month});
  if (it == by_subject_month_.end()) return out;
  for (const Att* a : it->second) {
    if (!a->active || a->a->category != c) continue;
    const bool ok = issuers == nullptr
                        ? Accepted(c, a->agency)
                        : std::find(issuers->begin(), issuers->end(), a->agency) != issuers->end();
    if (ok) out.push_back(a);
  }
  return out;
}

bool Evaluation::IsMember(const Hash32& s, uint32_t month) const {
  const HouseholdDeclaration* d = DeclarationAt(month, nullptr);
  if (d == nullptr || !std::binary_search(d->members.begin(), d->members.end(), s)) return false;
  auto dm = death_month_.find(s);
  return dm == death_month_.end() || month < dm->second;
}

std::vector<Hash32> Evaluation::MembersAtAsOf() const {
  std::vector<Hash32> out;
  for (const Hash32& s : out_.declared_members) {
    if (IsMember(s, req_.as_of)) out.push_back(s);
  }
  return out;
}

void Evaluation::BuildMemberMonths() {
  for (const Hash32& s : subjects_) {
    for (uint32_t m : months_) {
      for (const Att* d : Find(s, m, Category::kDeath, nullptr)) {
        auto [it, fresh] = death_month_.try_emplace(s, d->a->first_month);
        if (!fresh) it->second = std::min(it->second, d->a->first_month);
        Use(*d->lt);
      }
    }
  }
  auto in = [](const std::vector<Category>& list, Category c) {
    return std::find(list.begin(), list.end(), c) != list.end();
  };
  for (const Hash32& s : subjects_) {
    for (uint32_t m : months_) {
      if (m == req_.as_of) continue;  // the window only
      MemberMonth mm;
      mm.subject = s;
      mm.month = m;
      mm.member = IsMember(s, m);
      std::set<Agency> reported;
      for (const Att* a : by_subject_month_[{s, m}]) {
        if (!a->active || !Accepted(a->a->category, a->agency)) continue;
        const Category c = a->a->category;
        // +1 counted, -1 deducted, 2 excluded (shown only), 0 not looked at.
        const int sign = in(rules().counted, c)    ? 1
                         : in(rules().deducted, c) ? -1
                         : in(rules().excluded, c) ? 2
                                                   : 0;
        if (sign == 0) continue;  // a category this programme does not look at
        mm.amounts.push_back(MonthAmount{a->a->category, a->agency, a->a->amount_fen,
                                         a->lt->tx.id()});
        reported.insert(a->agency);
        Use(*a->lt);
        if (sign == 2) continue;  // excluded: shown, never counted
        // |amount| <= 10^10; fewer than 10^8 records a month cannot overflow int64.
        mm.counted_fen += sign * a->a->amount_fen;
      }
      if (mm.member) {
        for (Agency r : rules().required_reporters) {
          if (reported.count(r) == 0) mm.missing_reporters.push_back(r);
        }
      }
      out_.member_months.push_back(std::move(mm));
    }
  }
}

void Evaluation::CheckIncome() {
  if (!rules().threshold.has_value()) return;
  const bool below = rules().comparison == Comparison::kBelow;
  uint64_t n = 0, missing = 0;
  int64_t total = 0;
  std::string first_missing;
  for (const MemberMonth& mm : out_.member_months) {
    if (!mm.member) continue;
    ++n;
    total += mm.counted_fen;
    if (!mm.missing_reporters.empty()) {
      if (missing == 0) {
        first_missing = Short(mm.subject) + "/" + std::to_string(mm.month) + " (" +
                        std::string(AgencyCode(mm.missing_reporters.front())) + ")";
      }
      ++missing;
    }
  }
  out_.member_months_counted = n;
  out_.income_total_fen = total;
  out_.threshold_fen = ThresholdAt(rules(), req_.as_of);
  const std::string n_s = std::to_string(missing);
  if (n == 0) {
    AddReason("no_member_months", "核对期内没有可计入的家庭成员月份，无法计算人均收入。",
              "No counted member-months in the window: per-capita income cannot be computed.");
    AddCondition("income", ConditionStatus::kUnknown, "no counted member-months");
    return;
  }
  if (missing > 0 && rules().missing == MissingPolicy::kInsufficientEvidence) {
    AddReason("missing_report",
              "有 " + n_s + " 个成员月份缺少必需部门的报告（如 " + first_missing +
                  "），无记录不等于零收入。",
              n_s + " member-months lack a report from a required agency (e.g. " +
                  first_missing + "); no record is not zero income.");
    AddCondition("income", ConditionStatus::kUnknown, n_s + " member-months missing reports");
    return;
  }
  if (missing > 0) {
    AddReason("missing_counted_as_zero",
              "按规则，" + n_s + " 个缺少报告的成员月份按零收入计算。",
              "By this rule set, " + n_s + " member-months without a report count as zero.");
  }
  const int64_t pc = FloorDiv(total, static_cast<int64_t>(n));
  out_.per_capita_monthly_fen = pc;
  if (!out_.threshold_fen.has_value()) {
    AddReason("threshold_not_in_force", "核对月份没有生效的收入标准。",
              "The rule set has no threshold in force in the as-of month.");
    AddCondition("income", ConditionStatus::kUnknown, "no threshold in force");
    return;
  }
  const int64_t th = *out_.threshold_fen;
  const std::string pc_y = Yuan(pc), th_y = Yuan(th);
  const bool pass = below ? pc < th : pc <= th;
  const std::string detail = "per-capita " + pc_y + " yuan vs threshold " + th_y + " yuan";
  if (pass) {
    AddReason(below ? "income_below_threshold" : "income_at_or_below_threshold",
              "家庭月人均收入 " + pc_y + " 元" + (below ? "低于" : "不高于") + "标准 " + th_y +
                  " 元。",
              "Per-capita monthly income " + pc_y + " yuan is " +
                  (below ? "below" : "at or below") + " the threshold " + th_y + " yuan.");
  } else {
    AddReason(below ? "income_not_below_threshold" : "income_above_threshold",
              "家庭月人均收入 " + pc_y + " 元" + (below ? "不低于" : "高于") + "标准 " + th_y +
                  " 元。",
              "Per-capita monthly income " + pc_y + " yuan is " +
                  (below ? "not below" : "above") + " the threshold " + th_y + " yuan.");
  }
  AddCondition("income", pass ? ConditionStatus::kPassed : ConditionStatus::kFailed, detail);
}

// Grade and type of a disability_status attestation; nullopt when the grade is malformed.
std::optional<std::pair<uint32_t, std::string>> GradeOf(const Attestation& a) {
  std::optional<uint32_t> grade;
  std::string type;
  for (const Attribute& at : a.attributes) {
    if (at.key == "grade" && at.value.size() == 1 && at.value[0] >= '1' && at.value[0] <= '4') {
      grade = static_cast<uint32_t>(at.value[0] - '0');
    }
    if (at.key == "type") type = at.value;
  }
  if (!grade.has_value()) return std::nullopt;
  return std::pair(*grade, type);
}

bool Qualifies(const DisabilityCondition& c, uint32_t grade, const std::string& type) {
  if (std::binary_search(c.grades.begin(), c.grades.end(), grade)) return true;
  for (const auto& gt : c.grade_types) {
    if (gt.grade == grade && std::binary_search(gt.types.begin(), gt.types.end(), type)) {
      return true;
    }
  }
  return false;
}

void Evaluation::CheckDisability() {
  if (!rules().member_disability.has_value()) return;
  auto it = rules().issuers.find(Category::kDisabilityStatus);
  const std::vector<Agency> issuers =
      it != rules().issuers.end() ? it->second
                                  : std::vector<Agency>{InfoOf(Category::kDisabilityStatus).issuer};
  if (!AnyMemberAgency(issuers)) {
    AddReason("disability_not_verifiable", "没有能出具残疾状况的成员机构，无法核实。",
              "No member agency can attest disability status; it cannot be verified.");
    AddCondition("member_disability", ConditionStatus::kUnknown, "no issuing agency is a member");
    return;
  }
  for (const Hash32& s : MembersAtAsOf()) {
    for (const Att* a : Find(s, req_.as_of, Category::kDisabilityStatus, &issuers)) {
      std::optional<std::pair<uint32_t, std::string>> g = GradeOf(*a->a);
      if (!g.has_value() || !Qualifies(*rules().member_disability, g->first, g->second)) continue;
      Use(*a->lt);
      const std::string gs = std::to_string(g->first);
      const std::string ty = g->second.empty() ? "" : " " + g->second;
      AddReason("disability_qualified",
                "成员 " + Short(s) + " 持有符合条件的残疾状况（" + gs + " 级" + ty + "）。",
                "Member " + Short(s) + " has a qualifying disability (grade " + gs + ty + ").");
      AddCondition("member_disability", ConditionStatus::kPassed,
                   "member " + Short(s) + " grade " + gs + ty);
      return;
    }
  }
  AddReason("disability_not_qualified", "没有成员持有符合条件的残疾状况记录。",
            "No member has a qualifying disability status on record.");
  AddCondition("member_disability", ConditionStatus::kFailed, "no qualifying disability status");
}

void Evaluation::CheckEnrollment() {
  const std::vector<Programme>& want = rules().enrolled_in;
  if (want.empty()) return;
  std::string names;
  for (Programme p : want) names += (names.empty() ? "" : "/") + std::string(ProgrammeCode(p));
  for (const auto& [lt, e] : enrollments_) {
    if (std::find(want.begin(), want.end(), e->programme) == want.end()) continue;
    if (e->first_month > req_.as_of || (e->last_month.has_value() && *e->last_month < req_.as_of)) {
      continue;
    }
    Use(*lt);
    const std::string p(ProgrammeCode(e->programme));
    AddReason("enrolled", "家庭在核对月份享受 " + p + "。",
              "The household is enrolled in " + p + " in the as-of month.");
    AddCondition("enrolled_in", ConditionStatus::kPassed, "enrolled in " + p);
    return;
  }
  AddReason("not_enrolled", "家庭在核对月份未享受 " + names + "。",
            "The household is not enrolled in " + names + " in the as-of month.");
  AddCondition("enrolled_in", ConditionStatus::kFailed, "not enrolled in " + names);
}

void Evaluation::CheckDeposits() {
  if (!rules().deposits.has_value()) return;
  const DepositsCondition& c = *rules().deposits;
  if (!AnyMemberAgency(c.issuers)) {
    AddReason("deposits_not_checked", "存款等金融资产未核对：出具机构不是本链成员，请人工核实。",
              "Deposits not checked: no issuing agency is a member; verify by hand.");
    AddCondition("deposits", ConditionStatus::kNotChecked, "no issuing agency is a member");
    return;
  }
  const std::vector<Hash32> members = MembersAtAsOf();
  int64_t total = 0;
  for (const Hash32& s : members) {
    std::vector<const Att*> found = Find(s, req_.as_of, Category::kDeposits, &c.issuers);
    if (found.empty()) {
      AddReason("deposits_unreported",
                "成员 " + Short(s) + " 在核对月份没有存款记录（无记录不等于零）。",
                "Member " + Short(s) + " has no deposits report for the as-of month (no record "
                "is not zero).");
      AddCondition("deposits", ConditionStatus::kUnknown, "member " + Short(s) + " unreported");
      return;
    }
    for (const Att* a : found) {
      total += a->a->amount_fen;  // <= 10^14 each; a handful per member
      Use(*a->lt);
    }
  }
  const uint32_t prev_dec = (req_.as_of / 100 - 1) * 100 + 12;
  std::optional<SeriesStep> base =
      IsValidMonth(prev_dec) ? SeriesAt(rules(), c.series, prev_dec) : std::nullopt;
  if (members.empty() || !base.has_value()) {
    AddReason("deposits_limit_unknown", "上一年度的人均消费支出标准缺失，无法核对存款。",
              "Last year's per-capita consumption figure is missing: deposits cannot be judged.");
    AddCondition("deposits", ConditionStatus::kUnknown, "no limit for the previous year");
    return;
  }
  const int64_t n = static_cast<int64_t>(members.size());
  const uint32_t permille =
      members.size() <= c.small_household_max ? c.small_household_permille : c.permille;
  const int64_t cap = base->fen * permille / 1000;
  const int64_t per_person = FloorDiv(total, n);
  const std::string detail = "per person " + Yuan(per_person) + " yuan vs limit " + Yuan(cap) +
                             " yuan (" + std::to_string(permille) + "/1000 of " +
                             Yuan(base->fen) + ")";
  if (per_person <= cap) {
    AddReason("deposits_within_limit",
              "人均金融资产 " + Yuan(per_person) + " 元，未超过限额 " + Yuan(cap) + " 元。",
              "Deposits per person " + Yuan(per_person) + " yuan are within the limit " +
                  Yuan(cap) + " yuan.");
    AddCondition("deposits", ConditionStatus::kPassed, detail);
  } else {
    AddReason("deposits_over_limit",
              "人均金融资产 " + Yuan(per_person) + " 元，超过限额 " + Yuan(cap) + " 元。",
              "Deposits per person " + Yuan(per_person) + " yuan exceed the limit " + Yuan(cap) +
                  " yuan.");
    AddCondition("deposits", ConditionStatus::kFailed, detail);
  }
}

void Evaluation::CheckVehicle() {
  if (!rules().vehicle.has_value()) return;
  const VehicleCondition& c = *rules().vehicle;
  if (!AnyMemberAgency(c.issuers)) {
    AddReason("vehicle_not_checked", "机动车未核对：出具机构不是本链成员，请人工核实。",
              "Vehicles not checked: no issuing agency is a member; verify by hand.");
    AddCondition("vehicle", ConditionStatus::kNotChecked, "no issuing agency is a member");
    return;
  }
  for (const Hash32& s : MembersAtAsOf()) {
    for (const Att* a : Find(s, req_.as_of, Category::kVehicle, &c.issuers)) {
      Use(*a->lt);
      const bool exempt = std::any_of(c.exempt.begin(), c.exempt.end(), [&](const Attribute& e) {
        return std::find(a->a->attributes.begin(), a->a->attributes.end(), e) !=
               a->a->attributes.end();
      });
      if (exempt) continue;
      AddReason("vehicle_held", "成员 " + Short(s) + " 名下有非豁免机动车。",
                "Member " + Short(s) + " holds a vehicle that is not exempt.");
      AddCondition("vehicle", ConditionStatus::kFailed, "member " + Short(s) + " holds a vehicle");
      return;
    }
  }
  AddReason("vehicle_none", "家庭成员名下没有非豁免机动车记录。",
            "No member holds a non-exempt vehicle on record.");
  AddCondition("vehicle", ConditionStatus::kPassed, "no non-exempt vehicle");
}

void Evaluation::CheckRealEstate() {
  if (!rules().real_estate.has_value()) return;
  const RealEstateCondition& c = *rules().real_estate;
  if (!AnyMemberAgency(c.issuers)) {
    AddReason("real_estate_not_checked", "房产未核对：出具机构不是本链成员，请人工核实。",
              "Real estate not checked: no issuing agency is a member; verify by hand.");
    AddCondition("real_estate", ConditionStatus::kNotChecked, "no issuing agency is a member");
    return;
  }
  uint32_t homes = 0;
  for (const Hash32& s : MembersAtAsOf()) {
    for (const Att* a : Find(s, req_.as_of, Category::kRealEstate, &c.issuers)) {
      Use(*a->lt);
      ++homes;
    }
  }
  const std::string h = std::to_string(homes), mx = std::to_string(c.max_homes);
  if (homes <= c.max_homes) {
    AddReason("real_estate_within_limit", "家庭房产 " + h + " 套，不超过 " + mx + " 套。",
              "The household holds " + h + " homes, at most " + mx + ".");
    AddCondition("real_estate", ConditionStatus::kPassed, h + " homes, at most " + mx);
  } else {
    AddReason("real_estate_over_limit", "家庭房产 " + h + " 套，超过 " + mx + " 套。",
              "The household holds " + h + " homes, more than " + mx + ".");
    AddCondition("real_estate", ConditionStatus::kFailed, h + " homes, more than " + mx);
  }
}

void Evaluation::Decide() {
  bool failed = false, unknown = members_mismatch_;
  for (const ConditionResult& c : out_.conditions) {
    failed = failed || c.status == ConditionStatus::kFailed;
    unknown = unknown || c.status == ConditionStatus::kUnknown;
  }
  if (failed) {
    out_.decision = Decision::kIneligible;
  } else if (unknown) {
    out_.decision = Decision::kInsufficientEvidence;
  } else {
    out_.decision = Decision::kEligible;
  }
  if (!ignored_.empty()) {
    const std::string n = std::to_string(ignored_.size());
    AddReason("evidence_ignored",
              n + " 条记录未采用（签名密钥已吊销或无权出具、跨机构更正等）。",
              n + " records were ignored (key revoked or not authorised, correction of another "
                  "agency's record ...).");
  }
  out_.used_txs.clear();
  std::vector<std::pair<uint64_t, Hash32>> used;
  for (const auto& [id, index] : used_) used.emplace_back(index, id);
  std::sort(used.begin(), used.end());
  for (const auto& [index, id] : used) out_.used_txs.push_back(id);
}

Result<CheckResult> Evaluation::Run() {
  HEARTH_RETURN_IF_ERROR(Validate());
  const uint32_t as_of_ord = MonthOrdinal(req_.as_of);
  HEARTH_RETURN_IF_ERROR(LoadRules());
  const uint32_t first_ord = as_of_ord - rules().lookback_months;
  if (!IsValidMonth(MonthFromOrdinal(first_ord))) {
    return Status::InvalidArgument("check.as_of: the window before " +
                                   std::to_string(req_.as_of) + " starts before year " +
                                   std::to_string(kMonthYearMin));
  }
  for (uint32_t o = first_ord; o <= as_of_ord; ++o) months_.push_back(MonthFromOrdinal(o));
  out_.window_first = months_.front();
  out_.window_last = months_[months_.size() - 2];
  HEARTH_RETURN_IF_ERROR(LoadHousehold());
  HEARTH_RETURN_IF_ERROR(LoadAttestations());
  ResolveCorrections();
  BuildMemberMonths();
  if (members_mismatch_) {
    AddReason("members_mismatch", "申报的家庭成员与链上在核对月份生效的户籍申报不一致。",
              "The members given differ from the household declaration in force at as-of.");
  }
  for (const auto& [s, m] : death_month_) {
    if (m > req_.as_of) continue;
    AddReason("member_died",
              "成员 " + Short(s) + " 于 " + std::to_string(m) + " 死亡，自该月起不再计入。",
              "Member " + Short(s) + " died in " + std::to_string(m) +
                  " and is not counted from that month on.");
  }
  if (MembersAtAsOf().empty()) {
    AddReason("no_members_at_as_of", "核对月份家庭没有在世的成员。",
              "The household has no living member in the as-of month.");
    AddCondition("household", ConditionStatus::kUnknown, "no living member at as-of");
  }
  CheckIncome();
  CheckDisability();
  CheckEnrollment();
  CheckDeposits();
  CheckVehicle();
  CheckRealEstate();
  const bool excluded_shown = std::any_of(
      out_.member_months.begin(), out_.member_months.end(), [&](const MemberMonth& mm) {
        return std::any_of(mm.amounts.begin(), mm.amounts.end(), [&](const MonthAmount& a) {
          return InfoOf(a.category).klass == CategoryClass::kExcluded;
        });
      });
  if (excluded_shown) {
    AddReason("excluded_income_shown", "明细中列出的低保金、补贴等按规定不计入收入。",
              "Assistance, subsidies and other excluded income are shown but not counted.");
  }
  Decide();
  return std::move(out_);
}

}  // namespace

Result<CheckResult> Evaluate(const Trust& trust, const CheckRequest& request,
                             EvidenceSource& source) {
  Evaluation e(trust, request, source);
  return e.Run();
}

}  // namespace hearth::verify
