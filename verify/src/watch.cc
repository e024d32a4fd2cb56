#include "hearth/verify/watch.h"

#include <leveldb/write_batch.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <utility>

#include <nlohmann/json.hpp>

#include "hearth/ledger/block.h"
#include "hearth/ledger/transaction.h"
#include "hearth/verify/store_evidence.h"

namespace hearth::verify {
namespace {

// Watch database keys.
constexpr char kHeightKey[] = "h";      // -> u64 LE processed height
constexpr char kWatchedTag = 'w';       // 'w' ‖ household ‖ u8 programme -> WatchState JSON
constexpr char kSubjectTag = 's';       // 's' ‖ subject ‖ household -> ""
constexpr char kAlertTag = 'a';         // 'a' ‖ u64 BE height ‖ u32 BE n -> Alert JSON
constexpr char kHouseholdAlertTag = 'A';  // 'A' ‖ household ‖ u64 BE height ‖ u32 BE n -> ""

void PutBE(std::string* s, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) s->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint64_t GetBE(std::string_view s, size_t off, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<uint8_t>(s[off + static_cast<size_t>(i)]);
  return v;
}
std::string Raw(const Hash32& h) { return std::string(AsChars(h.view())); }
Hash32 HashAt(std::string_view s, size_t off) { return Hash32::FromBytes(AsBytes(s.substr(off, Hash32::kSize))); }

std::string WatchedKey(const Hash32& household, Programme p) {
  std::string k(1, kWatchedTag);
  k += Raw(household);
  k.push_back(static_cast<char>(p));
  return k;
}
std::string SubjectKey(const Hash32& subject, const Hash32& household) {
  std::string k(1, kSubjectTag);
  k += Raw(subject);
  k += Raw(household);
  return k;
}
std::string AlertKey(uint64_t height, uint32_t n) {
  std::string k(1, kAlertTag);
  PutBE(&k, height, 8);
  PutBE(&k, n, 4);
  return k;
}
std::string HouseholdAlertKey(const Hash32& household, uint64_t height, uint32_t n) {
  std::string k(1, kHouseholdAlertTag);
  k += Raw(household);
  PutBE(&k, height, 8);
  PutBE(&k, n, 4);
  return k;
}
std::string PrefixEnd(std::string prefix) {
  // The smallest key greater than every key starting with `prefix` (prefix is never all 0xff).
  while (!prefix.empty() && static_cast<uint8_t>(prefix.back()) == 0xff) prefix.pop_back();
  if (!prefix.empty()) prefix.back() = static_cast<char>(static_cast<uint8_t>(prefix.back()) + 1);
  return prefix;
}

Result<Decision> ParseDecision(std::string_view s) {
  for (Decision d : {Decision::kEligible, Decision::kIneligible, Decision::kInsufficientEvidence}) {
    if (DecisionCode(d) == s) return d;
  }
  return Status::Corruption("watch: unknown decision '" + std::string(s) + "'");
}

// What the watch remembers about one (household, programme).
struct WatchState {
  std::optional<Decision> decision;  // nullopt: never evaluable so far (e.g. no rule set)
  std::optional<int64_t> per_capita;
  uint64_t since_height = 0;
};

std::string EncodeState(const WatchState& s) {
  nlohmann::json j = nlohmann::json::object();
  if (s.decision) j["decision"] = std::string(DecisionCode(*s.decision));
  if (s.per_capita) j["per_capita_monthly_fen"] = *s.per_capita;
  j["since_height"] = s.since_height;
  return j.dump();
}
Result<WatchState> DecodeState(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::Corruption("watch: malformed state");
  WatchState s;
  if (j.contains("decision")) {
    if (!j["decision"].is_string()) return Status::Corruption("watch: malformed state decision");
    HEARTH_ASSIGN_OR_RETURN(s.decision, ParseDecision(j["decision"].get<std::string>()));
  }
  if (j.contains("per_capita_monthly_fen")) {
    if (!j["per_capita_monthly_fen"].is_number_integer()) return Status::Corruption("watch: malformed state figure");
    s.per_capita = j["per_capita_monthly_fen"].get<int64_t>();
  }
  if (!j.contains("since_height") || !j["since_height"].is_number_unsigned()) {
    return Status::Corruption("watch: malformed state height");
  }
  s.since_height = j["since_height"].get<uint64_t>();
  return s;
}

std::string EncodeAlert(const Alert& a) {
  nlohmann::json j;
  j["height"] = a.height;
  j["n"] = a.n;
  j["household"] = a.household.Hex();
  j["programme"] = std::string(ProgrammeCode(a.programme));
  j["as_of"] = a.as_of;
  j["old_decision"] = std::string(DecisionCode(a.old_decision));
  j["new_decision"] = std::string(DecisionCode(a.new_decision));
  if (a.old_per_capita_fen) j["old_per_capita_monthly_fen"] = *a.old_per_capita_fen;
  if (a.new_per_capita_fen) j["new_per_capita_monthly_fen"] = *a.new_per_capita_fen;
  nlohmann::json causes = nlohmann::json::array();
  for (const Hash32& c : a.causes) causes.push_back(c.Hex());
  j["causes"] = causes;
  return j.dump();
}

Result<Hash32> HashFromHex(const nlohmann::json& v) {
  if (!v.is_string()) return Status::Corruption("watch: malformed alert id");
  Result<Hash32> h = Hash32::FromHex(v.get<std::string>());
  if (!h.ok()) return Status::Corruption("watch: malformed alert id");
  return *h;
}

Result<Alert> DecodeAlert(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::Corruption("watch: malformed alert");
  try {
    Alert a;
    a.height = j.at("height").get<uint64_t>();
    a.n = j.at("n").get<uint32_t>();
    HEARTH_ASSIGN_OR_RETURN(a.household, HashFromHex(j.at("household")));
    HEARTH_ASSIGN_OR_RETURN(a.programme, ParseProgramme(j.at("programme").get<std::string>()));
    a.as_of = j.at("as_of").get<uint32_t>();
    HEARTH_ASSIGN_OR_RETURN(a.old_decision, ParseDecision(j.at("old_decision").get<std::string>()));
    HEARTH_ASSIGN_OR_RETURN(a.new_decision, ParseDecision(j.at("new_decision").get<std::string>()));
    if (j.contains("old_per_capita_monthly_fen")) a.old_per_capita_fen = j["old_per_capita_monthly_fen"].get<int64_t>();
    if (j.contains("new_per_capita_monthly_fen")) a.new_per_capita_fen = j["new_per_capita_monthly_fen"].get<int64_t>();
    for (const auto& c : j.at("causes")) {
      HEARTH_ASSIGN_OR_RETURN(Hash32 h, HashFromHex(c));
      a.causes.push_back(h);
    }
    return a;
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(std::string("watch: malformed alert: ") + e.what());
  }
}

StoreEvidence::Limits NoProofs() {
  StoreEvidence::Limits l;
  l.proofs = false;  // the watch decides; it signs no receipt
  return l;
}

// An enrollment that ended before `month`: the household no longer receives the benefit.
bool EndedBefore(const Enrollment& e, uint32_t month) { return e.last_month && *e.last_month < month; }

}  // namespace

uint32_t MonthOfTimeCst(uint64_t time_ms) {
  // Civil-from-days (proleptic Gregorian), on the day number in UTC+8.
  const int64_t days = static_cast<int64_t>((time_ms / 1000 + 8 * 3600) / 86400);
  const int64_t z = days + 719468;
  const int64_t era = z / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return static_cast<uint32_t>(y * 100 + m);
}

struct ChangeWatch::Impl {
  const BlockStore* store = nullptr;
  Trust trust;
  std::unique_ptr<Db> db;
  // Written by CatchUp's thread, read by API threads.
  std::atomic<uint64_t> processed{0};
  std::atomic<uint64_t> watched{0};

  Result<std::optional<WatchState>> LoadState(const Hash32& household, Programme p) const {
    std::string v;
    Status st = db->Get(WatchedKey(household, p), &v);
    if (st.code() == Code::kNotFound) return std::optional<WatchState>();
    HEARTH_RETURN_IF_ERROR(st);
    HEARTH_ASSIGN_OR_RETURN(WatchState s, DecodeState(v));
    return std::optional<WatchState>(s);
  }

  // Programmes watched for a household.
  Result<std::vector<Programme>> WatchedProgrammes(const Hash32& household) const {
    std::string begin(1, kWatchedTag);
    begin += Raw(household);
    std::vector<Programme> out;
    Status inner;
    HEARTH_RETURN_IF_ERROR(db->Scan(begin, PrefixEnd(begin), 64, [&](std::string_view k, std::string_view) {
      Result<Programme> p = ProgrammeFromWire(static_cast<uint8_t>(k.back()));
      if (!p.ok()) {
        inner = Status::Corruption("watch: bad programme in key");
        return false;
      }
      out.push_back(*p);
      return true;
    }));
    HEARTH_RETURN_IF_ERROR(inner);
    return out;
  }

  Result<std::vector<Hash32>> HouseholdsOf(const Hash32& subject) const {
    std::string begin(1, kSubjectTag);
    begin += Raw(subject);
    std::vector<Hash32> out;
    HEARTH_RETURN_IF_ERROR(db->Scan(begin, PrefixEnd(begin), 4096, [&](std::string_view k, std::string_view) {
      out.push_back(HashAt(k, 1 + 32));
      return true;
    }));
    return out;
  }

  Status ProcessHeight(uint64_t h);
};

Status ChangeWatch::Impl::ProcessHeight(uint64_t h) {
  HEARTH_ASSIGN_OR_RETURN(Block block, store->GetBlock(h));
  const uint32_t as_of = MonthOfTimeCst(block.header.time_ms);
  leveldb::WriteBatch batch;

  // (household, programme) -> causes, in log order; new pairs watched from this height.
  std::map<std::pair<Hash32, Programme>, std::vector<Hash32>> triggers;
  std::set<std::pair<Hash32, Programme>> newly_watched;
  std::set<std::pair<Hash32, Programme>> unwatched;  // watched before this block, ended in it
  std::set<Hash32> households_with_new_declaration;
  std::map<Hash32, std::set<Programme>> watched_cache;
  auto programmes_of = [&](const Hash32& household) -> Result<std::set<Programme>> {
    auto it = watched_cache.find(household);
    if (it != watched_cache.end()) return it->second;
    HEARTH_ASSIGN_OR_RETURN(std::vector<Programme> ps, WatchedProgrammes(household));
    std::set<Programme> s(ps.begin(), ps.end());
    watched_cache[household] = s;
    return s;
  };

  for (const Transaction& tx : block.txs) {
    const TxPayload& payload = tx.body().payload;
    if (const auto* e = std::get_if<Enrollment>(&payload)) {
      HEARTH_ASSIGN_OR_RETURN(std::set<Programme> ps, programmes_of(e->household));
      const std::pair<Hash32, Programme> pair{e->household, e->programme};
      if (EndedBefore(*e, as_of)) {
        // The latest enrollment of the pair has ended: stop watching it (no alert).
        if (ps.count(e->programme)) {
          watched_cache[e->household].erase(e->programme);
          triggers.erase(pair);
          if (newly_watched.erase(pair) == 0) unwatched.insert(pair);
        }
        continue;
      }
      if (!ps.count(e->programme)) {
        if (unwatched.erase(pair) == 0) newly_watched.insert(pair);
        watched_cache[e->household].insert(e->programme);
      }
      triggers[pair].push_back(tx.id());
    } else if (const auto* d = std::get_if<HouseholdDeclaration>(&payload)) {
      HEARTH_ASSIGN_OR_RETURN(std::set<Programme> ps, programmes_of(d->household));
      if (ps.empty()) continue;
      households_with_new_declaration.insert(d->household);
      for (const Hash32& m : d->members) batch.Put(SubjectKey(m, d->household), "");
      for (Programme p : ps) triggers[{d->household, p}].push_back(tx.id());
    } else if (const auto* a = std::get_if<Attestation>(&payload)) {
      HEARTH_ASSIGN_OR_RETURN(std::vector<Hash32> households, HouseholdsOf(a->subject));
      for (const Hash32& hh : households) {
        HEARTH_ASSIGN_OR_RETURN(std::set<Programme> ps, programmes_of(hh));
        for (Programme p : ps) triggers[{hh, p}].push_back(tx.id());
      }
    }
  }

  // A household newly watched: file its members (every declaration so far) under their
  // subjects, so later attestations about them find it.
  for (const auto& [household, programme] : newly_watched) {
    (void)programme;
    HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<StoreEvidence> ev, StoreEvidence::Open(*store, h, NoProofs()));
    HEARTH_ASSIGN_OR_RETURN(std::vector<const LoggedTx*> filed, ev->Filed(IndexKey::Household(household)));
    for (const LoggedTx* lt : filed) {
      if (const auto* d = std::get_if<HouseholdDeclaration>(&lt->tx.body().payload)) {
        for (const Hash32& m : d->members) batch.Put(SubjectKey(m, household), "");
      }
    }
  }

  for (const auto& [household, programme] : unwatched) batch.Delete(WatchedKey(household, programme));

  uint32_t n = 0;
  for (const auto& [pair, causes] : triggers) {
    const auto& [household, programme] = pair;
    HEARTH_ASSIGN_OR_RETURN(std::optional<WatchState> prev, LoadState(household, programme));
    CheckRequest req;
    req.household = household;
    req.programme = programme;
    req.as_of = as_of;
    req.consent_required = false;  // members: empty = the declared ones
    req.checkpoint_time_ms = block.header.time_ms;
    HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<StoreEvidence> ev, StoreEvidence::Open(*store, h, NoProofs()));
    Result<CheckResult> r = Evaluate(trust, req, *ev);
    WatchState next;
    next.since_height = prev ? prev->since_height : h;
    if (r.ok()) {
      next.decision = r->decision;
      next.per_capita = r->per_capita_monthly_fen;
    } else if (r.status().code() == Code::kIOError || r.status().code() == Code::kCorruption) {
      return r.status().Annotate("watch at height " + std::to_string(h));
    }
    // Any other error (no rule set yet, no declaration yet ...) leaves the pair without a
    // decision: the next evaluable change sets the baseline, and no alert is raised.
    if (prev && prev->decision && next.decision && *prev->decision != *next.decision) {
      Alert a;
      a.height = h;
      a.n = n++;
      a.household = household;
      a.programme = programme;
      a.as_of = as_of;
      a.old_decision = *prev->decision;
      a.new_decision = *next.decision;
      a.old_per_capita_fen = prev->per_capita;
      a.new_per_capita_fen = next.per_capita;
      a.causes = causes;
      batch.Put(AlertKey(h, a.n), EncodeAlert(a));
      batch.Put(HouseholdAlertKey(household, h, a.n), "");
    }
    if (prev && !next.decision) next = *prev;  // keep the last decision through a gap
    batch.Put(WatchedKey(household, programme), EncodeState(next));
  }

  std::string height_value;
  for (int i = 0; i < 8; ++i) height_value.push_back(static_cast<char>((h >> (8 * i)) & 0xff));
  batch.Put(kHeightKey, height_value);
  // Buffered, not synced: a height lost at a power cut is processed again with the same keys.
  HEARTH_RETURN_IF_ERROR(db->Write(&batch, Durability::kBuffer));
  processed = h;
  watched += newly_watched.size();
  watched -= unwatched.size();
  return Status::Ok();
}

ChangeWatch::ChangeWatch(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ChangeWatch::~ChangeWatch() = default;

Result<std::unique_ptr<ChangeWatch>> ChangeWatch::Open(const std::string& path, const BlockStore& store,
                                                       Trust trust) {
  auto impl = std::make_unique<Impl>();
  impl->store = &store;
  impl->trust = std::move(trust);
  HEARTH_ASSIGN_OR_RETURN(impl->db, Db::Open(path, DbOptions{}));
  std::string v;
  Status st = impl->db->Get(kHeightKey, &v);
  if (st.ok()) {
    if (v.size() != 8) return Status::Corruption("watch " + path + ": malformed processed height");
    uint64_t processed = 0;
    for (int i = 7; i >= 0; --i) processed = (processed << 8) | static_cast<uint8_t>(v[static_cast<size_t>(i)]);
    impl->processed = processed;
  } else if (st.code() != Code::kNotFound) {
    return st;
  }
  if (impl->processed > store.head().height) {
    return Status::FailedPrecondition("watch " + path + ": processed height " + std::to_string(impl->processed) +
                                      " is above the store's head " + std::to_string(store.head().height) +
                                      " (a watch database from another chain?)");
  }
  std::string begin(1, kWatchedTag);
  HEARTH_RETURN_IF_ERROR(impl->db->Scan(begin, PrefixEnd(begin), Db::kScanEntriesMax,
                                        [&](std::string_view, std::string_view) {
                                          ++impl->watched;
                                          return true;
                                        }));
  return std::unique_ptr<ChangeWatch>(new ChangeWatch(std::move(impl)));
}

Status ChangeWatch::CatchUp(uint64_t heights_max) {
  const uint64_t head = impl_->store->head().height;
  for (uint64_t done = 0; impl_->processed < head && done < heights_max; ++done) {
    HEARTH_RETURN_IF_ERROR(impl_->ProcessHeight(impl_->processed + 1));
  }
  return Status::Ok();
}

uint64_t ChangeWatch::processed_height() const { return impl_->processed; }
uint64_t ChangeWatch::watched() const { return impl_->watched; }

Result<std::vector<Alert>> ChangeWatch::Alerts(std::optional<Hash32> household, uint64_t from_height,
                                               size_t limit) const {
  std::vector<Alert> out;
  Status inner;
  auto take = [&](std::string_view alert_key) -> bool {
    std::string v;
    Status st = impl_->db->Get(alert_key, &v);
    if (!st.ok()) {
      inner = st;
      return false;
    }
    Result<Alert> a = DecodeAlert(v);
    if (!a.ok()) {
      inner = a.status();
      return false;
    }
    out.push_back(std::move(*a));
    return out.size() < limit;
  };
  if (limit == 0) return out;
  if (household) {
    std::string prefix(1, kHouseholdAlertTag);
    prefix += Raw(*household);
    std::string begin = prefix;
    PutBE(&begin, from_height, 8);
    HEARTH_RETURN_IF_ERROR(impl_->db->Scan(begin, PrefixEnd(prefix), Db::kScanEntriesMax,
                                           [&](std::string_view k, std::string_view) {
                                             return take(AlertKey(GetBE(k, 33, 8), static_cast<uint32_t>(GetBE(k, 41, 4))));
                                           }));
  } else {
    std::string begin = AlertKey(from_height, 0);
    HEARTH_RETURN_IF_ERROR(impl_->db->Scan(begin, std::string(1, static_cast<char>(kAlertTag + 1)),
                                           Db::kScanEntriesMax, [&](std::string_view k, std::string_view v) {
                                             (void)k;
                                             Result<Alert> a = DecodeAlert(v);
                                             if (!a.ok()) {
                                               inner = a.status();
                                               return false;
                                             }
                                             out.push_back(std::move(*a));
                                             return out.size() < limit;
                                           }));
  }
  HEARTH_RETURN_IF_ERROR(inner);
  return out;
}

}  // namespace hearth::verify
