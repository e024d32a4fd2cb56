// Stage 4 of the synthetic district: the plan becomes each agency's ordered list of signed
// transactions (synth.h contract), and Synthesize ties the stages together.
//
// Order of an agency's list: a setup feed (key additions, household declarations, consents,
// enrollments already running, disability certificates), then one feed per window month
// (month k's records, issued from base + (k + 1) * 30 days), each ending with the
// corrections issued that month. Tax and social security add a second issuer key in the
// setup feed, use it for some households, and revoke it just before feed `revoke_feed`;
// right after the revocation the revoked key signs forged records whose issued-at times
// are back-dated to before it, which only a verifier judging by log position rejects.
#include <algorithm>
#include <map>
#include <tuple>

#include "synth_internal.h"
#include "hearth/verify/rules.h"

namespace hearth::node {

namespace synth {
namespace {

using RecordKey = std::tuple<size_t, size_t, uint16_t, uint32_t>;  // household, member, cat, month

// One agency's items under construction.
class Feed {
 public:
  Feed(const SynthOptions& opts, Agency agency, const District& d)
      : opts_(opts),
        d_(d),
        agency_(agency),
        nonce_(opts.seed, "nonce", static_cast<uint8_t>(agency)) {}

  Agency agency() const { return agency_; }
  std::vector<Item>& items() { return items_; }

  void StartSetup() { time_ms_ = opts_.base_time_ms; }
  void StartMonth(uint32_t k) {
    time_ms_ = opts_.base_time_ms + (uint64_t{k} + 1) * kFeedSpacingMs;
  }

  size_t Add(TxPayload payload, Signer signer, std::optional<size_t> supersedes = std::nullopt,
             std::optional<uint64_t> issued_at_ms = std::nullopt) {
    Item item;
    item.body.suite = opts_.suite;
    item.body.chain_id = opts_.chain_id;
    item.body.issued_at_ms = issued_at_ms.value_or(time_ms_++);
    item.body.nonce = nonce_.Next();
    item.body.payload = std::move(payload);
    item.signer = signer;
    item.supersedes = supersedes;
    items_.push_back(std::move(item));
    return items_.size() - 1;
  }

  size_t Attest(const Hash32& subject, Category category, uint32_t first_index, uint32_t last_index,
                int64_t amount, std::vector<Attribute> attributes, Signer signer,
                std::optional<size_t> supersedes = std::nullopt,
                std::optional<uint64_t> issued_at_ms = std::nullopt) {
    Attestation a;
    a.subject = subject;
    a.category = category;
    a.first_month = d_.MonthAt(first_index);
    a.last_month = d_.MonthAt(last_index);
    a.amount_fen = amount;
    a.attributes = std::move(attributes);
    return Add(a, signer, supersedes, issued_at_ms);
  }

 private:
  const SynthOptions& opts_;
  const District& d_;
  Agency agency_;
  Rng nonce_;
  uint64_t time_ms_ = 0;
  std::vector<Item> items_;
};

uint32_t Quarter(uint32_t yyyymm) { return (yyyymm / 100) * 4 + (yyyymm % 100 - 1) / 3; }

// The window indices [first, k] of the record a stream emits in month k, if any: monthly
// streams one month; quarterly streams a run of months of one calendar quarter, emitted in
// its last recorded month.
std::optional<uint32_t> RecordStart(const District& d, const Stream& s, uint32_t k) {
  if (s.amount_fen[k] == kNoRecord) return std::nullopt;
  if (!s.quarterly) return k;
  const uint32_t q = Quarter(d.MonthAt(k));
  if (k + 1 < d.months && s.amount_fen[k + 1] != kNoRecord && Quarter(d.MonthAt(k + 1)) == q) {
    return std::nullopt;
  }
  uint32_t first = k;
  while (first > 0 && s.amount_fen[first - 1] != kNoRecord && Quarter(d.MonthAt(first - 1)) == q) {
    --first;
  }
  return first;
}

struct Plans {
  std::map<std::tuple<Agency, size_t, size_t, uint16_t, uint32_t>, size_t> correction_of;
  std::set<std::tuple<Agency, size_t, size_t, uint16_t, uint32_t>> wanted;  // forged targets
  std::map<std::tuple<Agency, size_t, size_t, uint16_t, uint32_t>, size_t> item_of;
  std::vector<std::vector<size_t>> correction_items;  // per correction: item of each entry
};

// Month k's records of `feed`'s agency that come from streams.
void EmitStreams(const District& d, Feed& feed, uint32_t k, Plans& plans) {
  const Agency agency = feed.agency();
  const bool rotating = agency == Agency::kTax || agency == Agency::kSocialSecurity;
  for (size_t hi = 0; hi < d.households.size(); ++hi) {
    const HouseholdPlan& h = d.households[hi];
    const Signer signer =
        rotating && h.extra_key_signed && k < d.revoke_feed ? Signer::kExtra : Signer::kIssuer;
    for (size_t mi = 0; mi < h.members.size(); ++mi) {
      const Person& p = h.members[mi];
      for (const Stream& s : p.streams) {
        if (s.agency != agency) continue;
        const std::optional<uint32_t> first = RecordStart(d, s, k);
        if (!first) continue;
        const auto key = std::make_tuple(agency, hi, mi, static_cast<uint16_t>(s.category), k);
        int64_t amount = s.amount_fen[k];
        auto c = plans.correction_of.find(key);
        if (c != plans.correction_of.end()) amount = d.corrections[c->second].amounts_fen[0];
        const size_t item =
            feed.Attest(p.subject, s.category, *first, k, amount, s.attributes, signer);
        if (c != plans.correction_of.end()) plans.correction_items[c->second].push_back(item);
        if (plans.wanted.count(key) != 0) plans.item_of[key] = item;
      }
    }
  }
}

void EmitCorrections(const District& d, Feed& feed, uint32_t k, Plans& plans) {
  for (size_t ci = 0; ci < d.corrections.size(); ++ci) {
    const CorrectionPlan& c = d.corrections[ci];
    if (c.agency != feed.agency()) continue;
    const HouseholdPlan& h = d.households[c.household];
    const bool rotating = c.agency == Agency::kTax || c.agency == Agency::kSocialSecurity;
    const Signer signer =
        rotating && h.extra_key_signed && k < d.revoke_feed ? Signer::kExtra : Signer::kIssuer;
    for (size_t j = 1; j < c.feeds.size(); ++j) {
      if (c.feeds[j] != k) continue;
      std::vector<size_t>& chain = plans.correction_items[ci];
      HEARTH_CHECK(chain.size() == j);  // the entry before was emitted earlier
      chain.push_back(feed.Attest(h.members[c.member].subject, c.category, c.month_index,
                                  c.month_index, c.amounts_fen[j], {}, signer, chain.back()));
    }
  }
}

KeyEvent MakeKeyEvent(KeyAction action, Agency agency, const PublicKey& key, std::string reason) {
  KeyEvent e;
  e.action = action;
  e.agency = agency;
  e.key_suite = key.suite();
  e.key_raw = key.raw();
  e.reason = std::move(reason);
  return e;
}

void EmitForged(const SynthOptions& opts, const District& d, Feed& feed, Plans& plans) {
  // Back-dated into the month before the revocation: only the log position gives them away.
  uint64_t at = opts.base_time_ms + uint64_t{d.revoke_feed} * kFeedSpacingMs + 24ULL * 3600 * 1000;
  for (const ForgedPlan& f : d.forged) {
    if (f.agency != feed.agency()) continue;
    const Hash32& subject = d.households[f.household].members[f.member].subject;
    std::optional<size_t> target;
    if (f.supersedes_original) {
      const auto key = std::make_tuple(f.agency, f.household, f.member,
                                       static_cast<uint16_t>(f.category), f.month_index);
      target = plans.item_of.at(key);
    }
    feed.Attest(subject, f.category, f.month_index, f.month_index, f.amount_fen, {}, Signer::kExtra,
                target, at++);
  }
}

void EmitRevocation(const SynthOptions& opts, const District& d, Feed& feed, const PublicKey& extra,
                    Plans& plans) {
  feed.Add(MakeKeyEvent(KeyAction::kRevoke, feed.agency(), extra, "synthetic: key compromised"),
           Signer::kNode);
  EmitForged(opts, d, feed, plans);
}

void EmitRotatingAgency(const SynthOptions& opts, const District& d, Feed& feed,
                        const PublicKey& extra, Plans& plans) {
  feed.StartSetup();
  feed.Add(MakeKeyEvent(KeyAction::kAdd, feed.agency(), extra, "synthetic: second issuing office"),
           Signer::kNode);
  for (uint32_t k = 0; k < d.months; ++k) {
    feed.StartMonth(k);
    if (k == d.revoke_feed) EmitRevocation(opts, d, feed, extra, plans);
    EmitStreams(d, feed, k, plans);
    EmitCorrections(d, feed, k, plans);
  }
  if (d.revoke_feed == d.months) {
    feed.StartMonth(d.months);
    EmitRevocation(opts, d, feed, extra, plans);
  }
}

Hash32 ConsentFormHash(const SynthOptions& opts, const HouseholdPlan& h) {
  // Stands for the hash of the scanned, signed 授权书 (no form exists for synthetic people).
  Bytes seed(8);
  for (size_t i = 0; i < 8; ++i) seed[i] = static_cast<uint8_t>(opts.seed >> (8 * i));
  return SuiteHashParts(opts.suite,
                        {AsBytes("hearth/synth/consent-form/v1"), h.household_id.view(), seed});
}

std::vector<size_t> EmitCivilAffairs(const SynthOptions& opts, const District& d, Feed& feed,
                                     Plans& plans) {
  std::vector<size_t> consent_items;
  feed.StartSetup();
  // The shipped rule sets first: a check names the on-chain rule set it used.
  for (const verify::DefaultRuleSet& rs : verify::DefaultRuleSets()) feed.Add(rs.record, Signer::kIssuer);
  for (const HouseholdPlan& h : d.households) {
    HouseholdDeclaration decl;
    decl.household = h.household_id;
    for (const Person& p : h.members) decl.members.push_back(p.subject);
    std::sort(decl.members.begin(), decl.members.end());
    decl.effective_from = h.declared_from;
    feed.Add(decl, Signer::kIssuer);
    Consent consent;
    consent.household = h.household_id;
    consent.form_hash = ConsentFormHash(opts, h);
    consent.valid_from_ms = opts.base_time_ms;
    consent_items.push_back(feed.Add(consent, Signer::kIssuer));
    for (const EnrollmentPlan& e : h.enrollments) {
      if (e.feed != kSetupFeed) continue;
      feed.Add(Enrollment{h.household_id, e.programme, e.first_month, e.last_month},
               Signer::kIssuer);
    }
  }
  for (uint32_t k = 0; k < d.months; ++k) {
    feed.StartMonth(k);
    EmitStreams(d, feed, k, plans);
    for (const HouseholdPlan& h : d.households) {
      for (const EnrollmentPlan& e : h.enrollments) {
        if (e.feed != k) continue;
        feed.Add(Enrollment{h.household_id, e.programme, e.first_month, e.last_month},
                 Signer::kIssuer);
      }
      for (const Person& p : h.members) {
        if (p.death_index == k)
          feed.Attest(p.subject, Category::kDeath, k, k, 0, {}, Signer::kIssuer);
      }
    }
  }
  return consent_items;
}

std::vector<Attribute> DisabilityAttributes(uint8_t grade, const std::string& type) {
  return {{"grade", std::to_string(grade)}, {"type", type}};
}

void EmitDisabilityFederation(const District& d, Feed& feed, Plans& plans) {
  // Certificates first (possibly with a grade corrected later), then monthly subsidies.
  std::map<const Person*, size_t> certificate;
  feed.StartSetup();
  for (const HouseholdPlan& h : d.households) {
    for (const Person& p : h.members) {
      if (!p.disability) continue;
      const DisabilityPlan& dis = *p.disability;
      certificate[&p] = feed.Attest(
          p.subject, Category::kDisabilityStatus, 0, p.death_index.value_or(d.months - 1), 0,
          DisabilityAttributes(dis.wrong_grade.value_or(dis.grade), dis.type), Signer::kIssuer);
    }
  }
  for (uint32_t k = 0; k < d.months; ++k) {
    feed.StartMonth(k);
    EmitStreams(d, feed, k, plans);
    for (const HouseholdPlan& h : d.households) {
      for (const Person& p : h.members) {
        if (!p.disability || !p.disability->wrong_grade || p.disability->correction_feed != k)
          continue;
        feed.Attest(p.subject, Category::kDisabilityStatus, 0, p.death_index.value_or(d.months - 1),
                    0, DisabilityAttributes(p.disability->grade, p.disability->type),
                    Signer::kIssuer, certificate.at(&p));
      }
    }
  }
}

}  // namespace

Emitted Emit(const SynthOptions& opts, const District& d,
             const std::map<Agency, PublicKey>& extra_keys) {
  Plans plans;
  plans.correction_items.resize(d.corrections.size());
  for (size_t i = 0; i < d.corrections.size(); ++i) {
    const CorrectionPlan& c = d.corrections[i];
    plans.correction_of[{c.agency, c.household, c.member, static_cast<uint16_t>(c.category),
                         c.month_index}] = i;
  }
  for (const ForgedPlan& f : d.forged) {
    if (f.supersedes_original) {
      plans.wanted.insert(
          {f.agency, f.household, f.member, static_cast<uint16_t>(f.category), f.month_index});
    }
  }
  Emitted out;
  for (Agency agency : d.agencies) {
    Feed feed(opts, agency, d);
    switch (agency) {
      case Agency::kCivilAffairs:
        out.consent_items = EmitCivilAffairs(opts, d, feed, plans);
        break;
      case Agency::kDisabilityFederation:
        EmitDisabilityFederation(d, feed, plans);
        break;
      default:
        EmitRotatingAgency(opts, d, feed, extra_keys.at(agency), plans);
        break;
    }
    out.items[agency] = std::move(feed.items());
  }
  return out;
}

}  // namespace synth

}  // namespace hearth::node
