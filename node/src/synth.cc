// Synthesize (synth.h): checks the options, runs the planning stages (synth_internal.h),
// derives the extra issuer keys, and signs every agency's bodies on a few worker threads.
#include "hearth/node/synth.h"

#include <openssl/evp.h>

#include <algorithm>
#include <thread>

#include "hearth/ledger/national_id.h"
#include "synth_internal.h"

namespace hearth::node {

namespace {

using synth::District;
using synth::Item;
using synth::Signer;

constexpr uint32_t kFirstMonthMin = 200001;  // IDs and issued-at times assume 2000 or later
constexpr size_t kSignThreadsMax = 4;
constexpr size_t kItemsPerThreadMin = 512;
constexpr int kExtraKeyAttemptsMax = 8;

bool IsLeap(uint32_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

Status CheckOptions(const SynthOptions& o) {
  HEARTH_RETURN_IF_ERROR(ValidateChainId(o.chain_id).Annotate("synth: chain id"));
  if (!SuiteFromByte(static_cast<uint8_t>(o.suite)).ok()) {
    return Status::InvalidArgument("synth: unknown suite");
  }
  if (o.pseudonym_key.size() != kPseudonymKeyBytes) {
    return Status::InvalidArgument("synth: pseudonym key is " +
                                   std::to_string(o.pseudonym_key.size()) + " bytes, expected " +
                                   std::to_string(kPseudonymKeyBytes));
  }
  if (o.households == 0 || o.households > kSynthHouseholdsMax) {
    return Status::InvalidArgument("synth: households " + std::to_string(o.households) +
                                   " outside 1.." + std::to_string(kSynthHouseholdsMax));
  }
  const uint64_t span_ms = (uint64_t{o.months} + 2) * synth::kFeedSpacingMs;
  if (o.base_time_ms < kTimeMsMin || o.base_time_ms >= kTimeMsMax - span_ms) {
    return Status::InvalidArgument("synth: base time " + std::to_string(o.base_time_ms) +
                                   " ms leaves the issued-at times outside 2000..2200");
  }
  return Status::Ok();
}

// The agencies' keys by agency, checked against the options.
Result<std::map<Agency, const SynthAgencyKeys*>> IndexKeys(
    const SynthOptions& o, const std::vector<SynthAgencyKeys>& keys) {
  std::map<Agency, const SynthAgencyKeys*> by;
  for (const SynthAgencyKeys& k : keys) {
    const std::string name = "synth: keys of agency " + std::to_string(static_cast<int>(k.agency));
    if (!AgencyFromWire(static_cast<uint8_t>(k.agency)).ok()) {
      return Status::InvalidArgument(name + ": unknown agency");
    }
    if (!by.emplace(k.agency, &k).second) return Status::InvalidArgument(name + ": listed twice");
    if (k.issuer.suite() != o.suite || k.node_key.suite() != o.suite ||
        k.issuer.public_key().raw().empty() || k.node_key.public_key().raw().empty()) {
      return Status::InvalidArgument(name + ": issuer and node keys must be " +
                                     std::string(SuiteName(o.suite)) + " keys");
    }
  }
  if (by.count(Agency::kCivilAffairs) == 0) {
    return Status::InvalidArgument(
        "synth: civil_affairs keys are required (declarations, "
        "consents)");
  }
  return by;
}

// PKCS#8 PEM of an SM2 private scalar (the public key is left out; OpenSSL derives it).
std::string Sm2Pem(const Hash32& scalar) {
  static constexpr uint8_t kPrefix[] = {
      0x30, 0x41, 0x02, 0x01, 0x00,                                      // PKCS#8, version 0
      0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,  // id-ecPublicKey
      0x06, 0x08, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x82, 0x2d,        // curve SM2
      0x04, 0x27, 0x30, 0x25, 0x02, 0x01, 0x01, 0x04, 0x20};             // ECPrivateKey
  Bytes der(std::begin(kPrefix), std::end(kPrefix));
  der.insert(der.end(), scalar.bytes.begin(), scalar.bytes.end());
  std::string b64(4 * ((der.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()), der.data(),
                                static_cast<int>(der.size()));
  b64.resize(static_cast<size_t>(n));
  return "-----BEGIN PRIVATE KEY-----\n" + b64 + "\n-----END PRIVATE KEY-----\n";
}

// The second issuer key of an agency, derived from the seed so the output repeats.
Result<PrivateKey> ExtraIssuerKey(const SynthOptions& o, Agency agency) {
  Bytes seed(8);
  for (size_t i = 0; i < 8; ++i) seed[i] = static_cast<uint8_t>(o.seed >> (8 * i));
  for (int attempt = 0; attempt < kExtraKeyAttemptsMax; ++attempt) {
    const uint8_t tail[2] = {static_cast<uint8_t>(agency), static_cast<uint8_t>(attempt)};
    const Hash32 h = SuiteHashParts(o.suite, {AsBytes("hearth/synth/extra-issuer/v1"),
                                              AsBytes(o.chain_id), seed, ByteView(tail, 2)});
    if (o.suite == Suite::kEd25519Sha256) return PrivateKey::Ed25519FromSeed(h.view());
    // SM2: a scalar of 0 or >= the group order fails the key check; draw again.
    Result<PrivateKey> k = PrivateKey::FromPem(o.suite, Sm2Pem(h));
    if (k.ok()) return k;
  }
  return Status::Internal("synth: no valid extra issuer key after " +
                          std::to_string(kExtraKeyAttemptsMax) + " attempts");
}

struct AgencySigners {
  const PrivateKey* issuer = nullptr;
  const PrivateKey* node = nullptr;
  const PrivateKey* extra = nullptr;
  const PrivateKey& Of(Signer s) const {
    const PrivateKey* k = s == Signer::kIssuer ? issuer : s == Signer::kNode ? node : extra;
    HEARTH_CHECK(k != nullptr);
    return *k;
  }
};

// Fills in signer ids and supersedes ids (in order: a correction's target is earlier).
Status Link(Suite suite, std::vector<Item>& items, const AgencySigners& signers) {
  std::vector<bool> referenced(items.size(), false);
  for (const Item& it : items) {
    if (it.supersedes) referenced[*it.supersedes] = true;
  }
  std::vector<Hash32> ids(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    Item& it = items[i];
    it.body.signer = signers.Of(it.signer).public_key().Id();
    if (it.supersedes) {
      HEARTH_CHECK(*it.supersedes < i && referenced[*it.supersedes]);
      std::get<Attestation>(it.body.payload).supersedes = ids[*it.supersedes];
    }
    if (!referenced[i]) continue;
    Status s = Validate(it.body);
    if (!s.ok()) return Status::Internal("synth: generated an invalid record: " + s.message());
    ids[i] = SuiteHash(suite, EncodeTxBody(it.body));
  }
  return Status::Ok();
}

Result<std::vector<Transaction>> SignAll(std::vector<Item> items, const AgencySigners& signers) {
  const size_t n = items.size();
  const size_t hw = std::max<size_t>(1, std::thread::hardware_concurrency());
  const size_t threads =
      std::clamp<size_t>(n / kItemsPerThreadMin, 1, std::min(hw, kSignThreadsMax));
  std::vector<std::optional<Transaction>> signed_txs(n);
  std::vector<Status> errors(threads);
  auto work = [&](size_t t) {
    for (size_t i = t * n / threads; i < (t + 1) * n / threads; ++i) {
      Result<Transaction> tx =
          Transaction::Sign(std::move(items[i].body), signers.Of(items[i].signer));
      if (!tx.ok()) {
        errors[t] = Status::Internal("synth: signing record " + std::to_string(i) + ": " +
                                     tx.status().message());
        return;
      }
      signed_txs[i].emplace(std::move(tx).value());
    }
  };
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(work, t);
  work(0);
  for (std::thread& th : pool) th.join();
  for (const Status& s : errors) HEARTH_RETURN_IF_ERROR(s);
  std::vector<Transaction> out;
  out.reserve(n);
  for (auto& tx : signed_txs) out.push_back(std::move(*tx));
  return out;
}

District PlanDistrict(const SynthOptions& o, uint32_t first_month,
                      const std::map<Agency, const SynthAgencyKeys*>& keys) {
  District d;
  d.first_month = first_month;
  d.last_month = o.last_month;
  d.months = o.months;
  d.lookback = std::min(kSynthLookbackMonths, o.months);
  d.revoke_feed = std::clamp<uint32_t>(o.months * 2 / 3, 1, o.months);
  for (Agency a : {Agency::kCivilAffairs, Agency::kTax, Agency::kSocialSecurity,
                   Agency::kDisabilityFederation}) {
    if (keys.count(a) != 0) d.agencies.insert(a);
  }
  const PseudonymKey key = PseudonymKey::FromBytes(o.pseudonym_key);
  std::set<std::string> used_ids;
  d.households.reserve(o.households);
  for (size_t i = 0; i < o.households; ++i) {
    d.households.push_back(synth::MakeHousehold(o, d, i, key, used_ids));
    synth::PlanIncome(o, d, i, d.households.back());
  }
  synth::PlanScenarios(o, d);
  return d;
}

}  // namespace

Result<uint32_t> SynthFirstMonth(uint32_t last_month, uint32_t months) {
  HEARTH_RETURN_IF_ERROR(CheckMonth("synth: last month", last_month));
  if (months == 0 || months > kSynthMonthsMax) {
    return Status::InvalidArgument("synth: months " + std::to_string(months) + " outside 1.." +
                                   std::to_string(kSynthMonthsMax));
  }
  const int64_t last_index = int64_t{last_month / 100} * 12 + (last_month % 100 - 1);
  const int64_t first_index = last_index - (months - 1);
  if (first_index < int64_t{kFirstMonthMin / 100} * 12) {
    return Status::InvalidArgument("synth: the window of " + std::to_string(months) +
                                   " months ending " + std::to_string(last_month) +
                                   " starts before " + std::to_string(kFirstMonthMin));
  }
  return static_cast<uint32_t>((first_index / 12) * 100 + first_index % 12 + 1);
}

uint64_t SynthDefaultBaseTimeMs(uint32_t first_month) {
  HEARTH_CHECK(IsValidMonth(first_month) && first_month >= kFirstMonthMin);
  static constexpr uint32_t kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const uint32_t year = first_month / 100;
  const uint32_t month = first_month % 100;
  uint64_t days = 0;
  for (uint32_t y = 1970; y < year; ++y) days += IsLeap(y) ? 366 : 365;
  for (uint32_t m = 1; m < month; ++m) days += kDays[m - 1] + (m == 2 && IsLeap(year) ? 1 : 0);
  return days * 86'400'000ULL - 8ULL * 3'600'000ULL;  // midnight in UTC+8
}

Result<SynthOutput> Synthesize(const SynthOptions& opts, const std::vector<SynthAgencyKeys>& keys) {
  HEARTH_RETURN_IF_ERROR(CheckOptions(opts));
  HEARTH_ASSIGN_OR_RETURN(uint32_t first_month, SynthFirstMonth(opts.last_month, opts.months));
  HEARTH_ASSIGN_OR_RETURN(auto by_agency, IndexKeys(opts, keys));
  const District d = PlanDistrict(opts, first_month, by_agency);

  std::map<Agency, PrivateKey> extra;
  std::map<Agency, PublicKey> extra_public;
  for (Agency a : {Agency::kTax, Agency::kSocialSecurity}) {
    if (!d.Has(a)) continue;
    HEARTH_ASSIGN_OR_RETURN(PrivateKey k, ExtraIssuerKey(opts, a));
    extra_public.emplace(a, k.public_key());
    extra.emplace(a, std::move(k));
  }
  synth::Emitted emitted = synth::Emit(opts, d, extra_public);

  SynthOutput out;
  out.first_month = d.first_month;
  out.last_month = d.last_month;
  for (auto& [agency, items] : emitted.items) {
    AgencySigners signers{&by_agency.at(agency)->issuer, &by_agency.at(agency)->node_key,
                          extra.count(agency) != 0 ? &extra.at(agency) : nullptr};
    HEARTH_RETURN_IF_ERROR(Link(opts.suite, items, signers));
    HEARTH_ASSIGN_OR_RETURN(out.records[agency], SignAll(std::move(items), signers));
  }
  const std::vector<Transaction>& civil = out.records.at(Agency::kCivilAffairs);
  for (size_t i = 0; i < d.households.size(); ++i) {
    const synth::HouseholdPlan& h = d.households[i];
    SynthHousehold sh;
    sh.case_number = h.case_number;
    for (const synth::Person& p : h.members) sh.member_ids.push_back(p.national_id);
    sh.household_id = h.household_id;
    sh.consent_tx = civil[emitted.consent_items[i]].id();
    sh.expected_per_capita_fen = h.expected_per_capita_fen;
    sh.expected_note = synth::NoteOf(d, h);
    out.households.push_back(std::move(sh));
  }
  return out;
}

}  // namespace hearth::node
