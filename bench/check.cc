// bench_check: eligibility decisions and receipts with a synthetic district in the ledger
// (DESIGN.md "Targets": decision p99 <= 2 ms in process, full receipt with proofs and
// signature p99 <= 20 ms, with 10^6 attestations in the ledger).
//
// Setup (not timed): `hearth synth`'s generator makes a district (households x 12 months,
// about 6 records per household-month from the four founding agencies, the shipped rule
// sets first), signed with fresh keys; the records are committed into a fresh BlockStore
// in blocks of --block-txs with real commit certificates.
// Timed, for --checks households drawn at random (with a fixed seed) from the district:
//   decision  Evaluate over a StoreEvidence at the head (what a check reads and decides);
//   receipt   RunCheck: decision + inclusion proofs + index proofs + JSON + node signature;
//   verify    VerifyReceipt of each receipt (offline, from genesis alone);
//   point     the limit in the same run: bare LevelDB point reads (BlockStore::GetTxAt of a
//             random committed transaction at its known location: one read each), one per
//             index key and transaction a decision reads, so "decision / point" is what the
//             engine and the index lists cost on top of one read per item.
//   receipt parts: the same receipt in its three steps (decision with index proofs, then
//             BuildReceipt's inclusion proofs, JSON text and signature), to see where it goes.
// The store is reopened before the timed phases; --warmup other households are checked
// untimed first; then each phase runs once over the same (timed) households.
//
// Usage: bench_check [--households=N] [--checks=N] [--warmup=N] [--block-txs=N] [--dir=PATH]
//                    [--seed=S] [--reuse] [--only=decision|receipt] [--cache-mb=N] [--block-bytes=N]
//                    [--leveldb-options] [--split] [--count-reads]
//   --warmup      households checked untimed first, none of them timed later (default 1000)
//   --households  synthetic households (default 14000: about 10^6 records over 12 months)
//   --checks      checks timed (default 2000)
//   --block-txs   transactions per committed block (default 5000)
//   --dir         parent directory of the scratch store (default /tmp)
//   --reuse       keys derived from --seed (not fresh), and the store kept in
//                 <dir>/hearth-bench-check-h<households>-b<block-txs>-s<seed> with a small
//                 file of what the timed phases need: a later run with the same flags skips
//                 synthesis and commits (for repeated measurements; delete the folder when done)
//   --only        time only the decision phase or only the receipt phase (for profiles)
//   --cache-mb    LevelDB block cache of the reopened store (default: the store's, 128 MiB)
//   --block-bytes LevelDB data block size of the store, written and reopened (default: the
//                 store's; a --reuse folder name then ends in -k<N>)
//   --leveldb-options  after the phases, time raw LevelDB point reads of random tx-index
//                 keys and transaction bodies with the ReadOptions the store uses (checksums
//                 verified, blocks cached) against checksums off and no caching
//   --split       after the phases, for --checks other households (none read before), the
//                 reads a decision makes done one kind at a time and timed: the index lists
//                 of its keys with their locations (BlockStore::IndexList), reading and
//                 decoding each body (a raw LevelDB read of the listed location, as GetTxAt
//                 does); and, timed apart, the tx-index reads (LocateTx) that the locations
//                 in the list entries save
//   --count-reads the reopened store reads through a leveldb::Env wrapping
//                 the store's default Env (DefaultDbEnv) that counts reads from table files (block-cache
//                 misses), printed per check; without it the store uses its own default Env
#include <time.h>
#include <unistd.h>

#include <leveldb/db.h>
#include <leveldb/env.h>
#include <leveldb/options.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hearth/ledger/block.h"
#include "hearth/ledger/crypto.h"
#include "hearth/ledger/db.h"
#include "hearth/ledger/national_id.h"
#include "hearth/ledger/store.h"
#include "hearth/node/synth.h"
#include "hearth/verify/engine.h"
#include "hearth/verify/evidence.h"
#include "hearth/verify/receipt.h"
#include "hearth/verify/store_evidence.h"

using namespace hearth;
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kChain = "bench-check";
constexpr uint32_t kLastMonth = 202510;

// Bytes of a receipt's text by part (each part's canonical text), summed over receipts:
// what a change of the receipt format would save.
struct ReceiptShares {
  size_t receipts = 0, total = 0, evidence_tx = 0, inclusion = 0, index_proof = 0, index_ids = 0,
         member_months = 0;
  void Add(const std::string& text) {
    const nlohmann::json r = nlohmann::json::parse(text);
    const auto len = [](const nlohmann::json& v) { return v.dump().size(); };
    ++receipts;
    total += text.size();
    for (const auto& e : r.at("evidence")) {
      evidence_tx += len(e.at("tx"));
      inclusion += len(e.at("inclusion_proof"));
    }
    for (const auto& i : r.at("index")) {
      index_proof += len(i.at("proof"));
      index_ids += len(i.at("ids"));
    }
    member_months += len(r.at("member_months"));
    inclusion += len(r.at("proof_nodes"));  // format 3: the proofs' node table and positions
  }
  void Print() const {
    if (receipts == 0) return;
    const auto pct = [&](size_t n) { return 100.0 * static_cast<double>(n) / static_cast<double>(total); };
    std::printf("    receipt bytes by part: evidence tx %.0f%%, inclusion proofs %.0f%%, index proofs %.0f%%, "
                "index id lists %.0f%%, member-months %.0f%%, the rest %.0f%%\n",
                pct(evidence_tx), pct(inclusion), pct(index_proof), pct(index_ids), pct(member_months),
                pct(total - evidence_tx - inclusion - index_proof - index_ids - member_months));
  }
};

struct Options {
  size_t households = 14000;
  size_t checks = 2000;
  size_t warmup = 1000;
  size_t block_txs = 5000;
  std::string dir = "/tmp";
  uint64_t seed = 7;
  bool reuse = false;
  std::string only;  // empty: every phase
  size_t cache_mb = 0;  // 0: the store's default
  size_t block_bytes = 0;  // 0: the store's default
  bool leveldb_options = false;
  bool split = false;
  bool count_reads = false;
};

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "bench_check: %s\n", why.c_str());
  std::exit(1);
}
template <typename T>
T Must(Result<T> r, std::string_view what) {
  if (!r.ok()) Die(std::string(what) + ": " + r.status().ToString());
  return std::move(r).value();
}
void Must(const Status& s, std::string_view what) {
  if (!s.ok()) Die(std::string(what) + ": " + s.ToString());
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    auto value = [&](std::string_view flag) -> const char* {
      return a.substr(0, flag.size()) == flag ? argv[i] + flag.size() : nullptr;
    };
    if (const char* v = value("--households=")) {
      o.households = std::strtoull(v, nullptr, 10);
    } else if (const char* c = value("--checks=")) {
      o.checks = std::strtoull(c, nullptr, 10);
    } else if (const char* w = value("--warmup=")) {
      o.warmup = std::strtoull(w, nullptr, 10);
    } else if (const char* b = value("--block-txs=")) {
      o.block_txs = std::strtoull(b, nullptr, 10);
    } else if (const char* d = value("--dir=")) {
      o.dir = d;
    } else if (const char* s = value("--seed=")) {
      o.seed = std::strtoull(s, nullptr, 10);
    } else if (a == "--reuse") {
      o.reuse = true;
    } else if (const char* m = value("--cache-mb=")) {
      o.cache_mb = std::strtoull(m, nullptr, 10);
    } else if (const char* k = value("--block-bytes=")) {
      o.block_bytes = std::strtoull(k, nullptr, 10);
      if (o.block_bytes < 256) Die("--block-bytes: at least 256");
    } else if (a == "--leveldb-options") {
      o.leveldb_options = true;
    } else if (a == "--split") {
      o.split = true;
    } else if (a == "--count-reads") {
      o.count_reads = true;
    } else if (const char* p = value("--only=")) {
      o.only = p;
      if (o.only != "decision" && o.only != "receipt") Die("--only= takes decision or receipt");
    } else {
      Die("unknown argument " + std::string(a) + " (see the header of bench/check.cc)");
    }
  }
  if (o.households == 0 || o.households > node::kSynthHouseholdsMax) Die("--households out of range");
  if (o.checks == 0) Die("--checks must be positive");
  if (o.block_txs == 0 || o.block_txs > kBlockTxsMax) Die("--block-txs out of range");
  return o;
}

using Clock = std::chrono::steady_clock;
double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }
// CPU time of this thread: on a shared machine the wall time of a check includes the
// milliseconds it waits for a core (p99 under load), its CPU time does not.
double CpuMs() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

struct Stats {
  std::vector<double> ms;
  double Quantile(double q) {
    std::sort(ms.begin(), ms.end());
    if (ms.empty()) return 0;
    size_t i = static_cast<size_t>(q * static_cast<double>(ms.size() - 1) + 0.5);
    return ms[std::min(i, ms.size() - 1)];
  }
  double Mean() const {
    double s = 0;
    for (double x : ms) s += x;
    return ms.empty() ? 0 : s / static_cast<double>(ms.size());
  }
};

// A leveldb::Env that counts reads from table files: every block LevelDB does not find in
// its block cache.
class CountingEnv : public leveldb::EnvWrapper {
 public:
  CountingEnv() : leveldb::EnvWrapper(DefaultDbEnv()) {}
  leveldb::Status NewRandomAccessFile(const std::string& f, leveldb::RandomAccessFile** r) override {
    leveldb::RandomAccessFile* base = nullptr;
    leveldb::Status s = target()->NewRandomAccessFile(f, &base);
    if (s.ok()) *r = new CountingFile(base, this);
    return s;
  }
  uint64_t reads() const { return reads_.load(std::memory_order_relaxed); }

 private:
  class CountingFile : public leveldb::RandomAccessFile {
   public:
    CountingFile(leveldb::RandomAccessFile* base, CountingEnv* env) : base_(base), env_(env) {}
    ~CountingFile() override { delete base_; }
    leveldb::Status Read(uint64_t offset, size_t n, leveldb::Slice* result, char* scratch) const override {
      env_->reads_.fetch_add(1, std::memory_order_relaxed);
      return base_->Read(offset, n, result, scratch);
    }

   private:
    leveldb::RandomAccessFile* base_;
    CountingEnv* env_;
  };
  std::atomic<uint64_t> reads_{0};
};

// Raw LevelDB point reads with the store's ReadOptions and two alternatives, interleaved in
// rounds so that load changes hit all three alike: random tx-index keys (id -> location, the
// first read of GetTx) and random transaction bodies (the second).
void LevelDbOptions(BlockStore& store, const std::vector<Hash32>& ids, uint64_t seed, const CountingEnv& env) {
  struct Variant {
    const char* name;
    bool verify_checksums;
    bool fill_cache;
    double ms[2] = {0, 0};
    uint64_t file_reads[2] = {0, 0};
  };
  Variant variants[] = {{"checksums verified, blocks cached (the store's)", true, true},
                        {"checksums not verified, blocks cached", false, true},
                        {"checksums verified, blocks not cached", true, false}};
  constexpr size_t kRounds = 10, kPerRound = 1000;
  std::mt19937_64 pick(seed + 2);
  std::vector<std::string> index_keys, body_keys;
  for (size_t i = 0; i < kRounds * kPerRound * 3; ++i) {
    const Hash32& id = ids[pick() % ids.size()];
    index_keys.push_back(BlockStore::TxIndexKey(id));
    const Hash32& other = ids[pick() % ids.size()];
    const TxLocation at = Must(store.LocateTx(other), "locate");
    body_keys.push_back(BlockStore::TxKey(at.height, at.position));
  }
  leveldb::DB* db = store.TEST_db()->TEST_raw();
  std::string value;
  size_t next = 0;
  for (size_t round = 0; round < kRounds; ++round) {
    for (Variant& v : variants) {
      leveldb::ReadOptions ro;
      ro.verify_checksums = v.verify_checksums;
      ro.fill_cache = v.fill_cache;
      for (int kind = 0; kind < 2; ++kind) {
        const std::vector<std::string>& keys = kind == 0 ? index_keys : body_keys;
        const uint64_t f0 = env.reads();
        const auto t0 = Clock::now();
        for (size_t i = 0; i < kPerRound; ++i) {
          if (!db->Get(ro, keys[next + i], &value).ok()) Die("raw read failed");
        }
        v.ms[kind] += Ms(Clock::now() - t0);
        v.file_reads[kind] += env.reads() - f0;
      }
      next += kPerRound;
    }
  }
  std::printf("  raw LevelDB point reads, random keys (%zu per cell): tx-index key | tx body\n",
              kRounds * kPerRound);
  const double n = static_cast<double>(kRounds * kPerRound);
  for (const Variant& v : variants) {
    std::printf("    %-48s %6.2f us (%.2f file reads) | %6.2f us (%.2f file reads)\n", v.name,
                1000.0 * v.ms[0] / n, static_cast<double>(v.file_reads[0]) / n, 1000.0 * v.ms[1] / n,
                static_cast<double>(v.file_reads[1]) / n);  // file reads: with --count-reads only
  }
}

// What the timed phases need of the district: per household its id, its members' subject
// ids (sorted) and its consent; every committed id (for the point reads).
struct BenchHousehold {
  Hash32 id;
  std::vector<Hash32> members;
  Hash32 consent;
};
struct BenchDistrict {
  std::vector<BenchHousehold> households;
  std::vector<Hash32> ids;
  size_t attestations = 0;
};

constexpr std::string_view kMetaMagic = "hearth-bench-check-meta-v1\n";

void PutU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}
void PutHash(std::string& out, const Hash32& h) { out.append(AsChars(h.view())); }

void SaveMeta(const fs::path& path, const BenchDistrict& d) {
  std::string out(kMetaMagic);
  PutU64(out, d.attestations);
  PutU64(out, d.households.size());
  for (const BenchHousehold& h : d.households) {
    PutHash(out, h.id);
    PutHash(out, h.consent);
    PutU64(out, h.members.size());
    for (const Hash32& m : h.members) PutHash(out, m);
  }
  PutU64(out, d.ids.size());
  for (const Hash32& id : d.ids) PutHash(out, id);
  const fs::path tmp = path.string() + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr || std::fwrite(out.data(), 1, out.size(), f) != out.size() || std::fclose(f) != 0) {
    Die("cannot write " + tmp.string());
  }
  fs::rename(tmp, path);
}

// False when the file is missing; dies when it is there but malformed.
bool LoadMeta(const fs::path& path, BenchDistrict* d) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  std::string in;
  char buf[1 << 16];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) in.append(buf, n);
  std::fclose(f);
  size_t pos = 0;
  auto need = [&](size_t n) {
    if (in.size() - pos < n) Die(path.string() + ": truncated (delete the folder and run again)");
  };
  auto u64 = [&] {
    need(8);
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= uint64_t{static_cast<uint8_t>(in[pos + static_cast<size_t>(i)])} << (8 * i);
    pos += 8;
    return v;
  };
  auto hash = [&] {
    need(Hash32::kSize);
    Hash32 h = Hash32::FromBytes(AsBytes(std::string_view(in).substr(pos, Hash32::kSize)));
    pos += Hash32::kSize;
    return h;
  };
  if (in.compare(0, kMetaMagic.size(), kMetaMagic) != 0) Die(path.string() + ": not a bench_check file");
  pos = kMetaMagic.size();
  d->attestations = u64();
  d->households.resize(u64());
  for (BenchHousehold& h : d->households) {
    h.id = hash();
    h.consent = hash();
    h.members.resize(u64());
    for (Hash32& m : h.members) m = hash();
  }
  d->ids.resize(u64());
  for (Hash32& id : d->ids) id = hash();
  if (pos != in.size()) Die(path.string() + ": trailing bytes");
  return true;
}

// The reads of a decision, one kind at a time (see --split): the keys are those the engine
// reads for a household whose members do not change (programme, household, 13 months per
// member, the four genesis issuer keys); the transactions are every id their lists name.
void SplitReads(BlockStore& store, uint64_t height, const verify::Trust& trust,
                const std::vector<const BenchHousehold*>& households, uint32_t as_of) {
  Stats lists, locate, bodies, total;
  size_t keys_n = 0, entries_n = 0, txs_n = 0;
  leveldb::DB* db = store.TEST_db()->TEST_raw();
  leveldb::ReadOptions ro;
  ro.verify_checksums = true;  // as the store reads
  std::string value;
  for (const BenchHousehold* h : households) {
    std::vector<IndexKey> keys = {IndexKey::ForProgramme(Programme::kDibao), IndexKey::Household(h->id)};
    for (const Hash32& s : h->members) {
      uint32_t m = as_of;  // as_of and the 12 months before it
      for (int i = 0; i < 13; ++i) {
        keys.push_back(IndexKey::SubjectMonth(s, m));
        m = m % 100 == 1 ? (m / 100 - 1) * 100 + 12 : m - 1;
      }
    }
    for (const verify::TrustMember& m : trust.members) keys.push_back(IndexKey::IssuerKey(m.issuer_keys[0].Id()));
    const auto t0 = Clock::now();
    std::vector<std::pair<Hash32, TxLocation>> listed;
    for (const IndexKey& k : keys) {
      IndexEntry e = Must(store.IndexList(IndexKeyHash(trust.suite, k), height), "index list");
      entries_n += e.ids.size();
      for (size_t i = 0; i < e.ids.size(); ++i) listed.emplace_back(e.ids[i], e.locations[i]);
    }
    const auto t1 = Clock::now();
    std::sort(listed.begin(), listed.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    listed.erase(std::unique(listed.begin(), listed.end(),
                             [](const auto& a, const auto& b) { return a.first == b.first; }),
                 listed.end());
    std::vector<TxLocation> at;
    at.reserve(listed.size());
    // What the list entries save: the tx-index read each transaction needed before them.
    for (const auto& [id, l] : listed) {
      if (Must(store.LocateTx(id), "locate") != l) Die("list entry location differs from the tx index");
      at.push_back(l);
    }
    const auto t2 = Clock::now();
    for (const TxLocation& l : at) {
      if (!db->Get(ro, BlockStore::TxKey(l.height, l.position), &value).ok()) Die("body read failed");
      Must(Transaction::Decode(AsBytes(value)), "decode");
    }
    const auto t3 = Clock::now();
    keys_n += keys.size();
    txs_n += listed.size();
    lists.ms.push_back(Ms(t1 - t0));
    locate.ms.push_back(Ms(t2 - t1));
    bodies.ms.push_back(Ms(t3 - t2));
    total.ms.push_back(Ms(t1 - t0) + Ms(t3 - t2));
  }
  const double n = static_cast<double>(std::max<size_t>(1, households.size()));
  std::printf("  split reads of %zu other households (%.1f keys, %.1f list entries, %.1f transactions each):\n",
              households.size(), static_cast<double>(keys_n) / n, static_cast<double>(entries_n) / n,
              static_cast<double>(txs_n) / n);
  std::printf("    index lists with locations p50 %.3f / mean %.3f ms; (tx-index reads they save p50 %.3f / "
              "mean %.3f ms); bodies p50 %.3f / mean %.3f ms; lists + bodies p50 %.3f / p99 %.3f / mean %.3f ms\n",
              lists.Quantile(0.5), lists.Mean(), locate.Quantile(0.5), locate.Mean(), bodies.Quantile(0.5),
              bodies.Mean(), total.Quantile(0.5), total.Quantile(0.99), total.Mean());
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = ParseArgs(argc, argv);
  const Suite suite = Suite::kEd25519Sha256;
  const fs::path dir =
      fs::path(o.dir) / (o.reuse ? "hearth-bench-check-h" + std::to_string(o.households) + "-b" +
                                       std::to_string(o.block_txs) + "-s" + std::to_string(o.seed) +
                                       (o.block_bytes > 0 ? "-k" + std::to_string(o.block_bytes) : "")
                                 : "hearth-bench-check-" + std::to_string(::getpid()));
  const fs::path meta_path = dir / "bench-meta";
  const std::string store_path = (dir / "store").string();

  // Genesis, in the form verify trusts. With --reuse the keys come from the seed, so a kept
  // store matches them.
  const std::vector<Agency> agencies = {Agency::kCivilAffairs, Agency::kTax, Agency::kSocialSecurity,
                                        Agency::kDisabilityFederation};
  auto NewKey = [&](Agency a, std::string_view role) {
    if (!o.reuse) return Must(PrivateKey::Generate(suite), "key");
    const std::string label = "bench-check " + std::string(AgencyCode(a)) + " " + std::string(role) + " " +
                              std::to_string(o.seed);
    return Must(PrivateKey::Ed25519FromSeed(SuiteHash(suite, AsBytes(label)).view()), "seeded key");
  };
  std::vector<node::SynthAgencyKeys> keys;
  std::vector<PrivateKey> node_keys;
  verify::Trust trust;
  trust.chain_id = std::string(kChain);
  trust.suite = suite;
  trust.f = 1;
  trust.genesis_hash = SuiteHash(suite, AsBytes("bench-check genesis"));
  for (Agency a : agencies) {
    node::SynthAgencyKeys k{a, NewKey(a, "issuer"), NewKey(a, "node")};
    verify::TrustMember m;
    m.agency = a;
    m.node_key = k.node_key.public_key();
    m.issuer_keys.push_back(k.issuer.public_key());
    trust.members.push_back(m);
    node_keys.push_back(k.node_key);
    keys.push_back(std::move(k));
  }

  BenchDistrict district;
  if (o.reuse && LoadMeta(meta_path, &district)) {
    std::printf("bench_check: reusing the store in %s (%zu households)\n", dir.c_str(),
                district.households.size());
  } else {
    fs::remove_all(dir);
    fs::create_directories(dir);
    Bytes pkey_bytes(kPseudonymKeyBytes, 0x5a);
    const PseudonymKey pkey = PseudonymKey::FromBytes(pkey_bytes);
    std::printf("bench_check: synthesising %zu households x 12 months ...\n", o.households);
    std::fflush(stdout);
    node::SynthOptions so;
    so.chain_id = std::string(kChain);
    so.suite = suite;
    so.pseudonym_key = pkey_bytes;
    so.households = o.households;
    so.months = 12;
    so.last_month = kLastMonth;
    so.seed = o.seed;
    so.base_time_ms = node::SynthDefaultBaseTimeMs(Must(node::SynthFirstMonth(kLastMonth, 12), "first month"));
    node::SynthOutput synth = Must(node::Synthesize(so, keys), "synthesize");
    for (const node::SynthHousehold& h : synth.households) {
      BenchHousehold b{h.household_id, {}, h.consent_tx};
      for (const std::string& id : h.member_ids) b.members.push_back(Must(SubjectId(suite, pkey, id), "subject"));
      std::sort(b.members.begin(), b.members.end());
      district.households.push_back(std::move(b));
    }

    // Log order: civil affairs first (rule sets, declarations, consents), then the others.
    std::vector<Transaction> all;
    for (Agency a : agencies) {
      auto it = synth.records.find(a);
      if (it == synth.records.end()) continue;
      for (Transaction& tx : it->second) all.push_back(std::move(tx));
    }
    for (const Transaction& tx : all) district.attestations += tx.kind() == TxKind::kAttestation ? 1 : 0;
    std::printf("bench_check: committing %zu transactions (%zu attestations) in blocks of %zu ...\n", all.size(),
                district.attestations, o.block_txs);
    std::fflush(stdout);

    BlockStore::Options create_options;
    if (o.block_bytes > 0) create_options.db.block_bytes = o.block_bytes;
    auto store = Must(BlockStore::Open(store_path, suite, std::string(kChain), trust.genesis_hash, create_options),
                      "open store");
    for (size_t off = 0; off < all.size(); off += o.block_txs) {
      const size_t n = std::min(o.block_txs, all.size() - off);
      std::vector<Transaction> txs(all.begin() + static_cast<ptrdiff_t>(off),
                                   all.begin() + static_cast<ptrdiff_t>(off + n));
      const BlockRoots r = Must(store->PreviewRoots(txs), "preview roots");
      Block b;
      // Block times after the whole window, so every consent is valid at the checkpoint.
      const uint64_t time_ms = so.base_time_ms + 400ull * 24 * 3600 * 1000 + r.height * 1000;
      b.header = HeaderFromRoots(r, suite, std::string(kChain), time_ms,
                                 static_cast<uint16_t>(r.height % 4), static_cast<uint32_t>(n));
      b.txs = std::move(txs);
      CommitCertificate c;
      c.height = b.header.height;
      c.block_hash = BlockHash(b.header);
      for (uint16_t m = 0; m < 3; ++m) {
        c.votes.push_back({m, Must(SignPrecommit(node_keys[m], kChain, c.height, 0, c.block_hash), "precommit")});
      }
      Must(store->CommitBlock(b, c), "commit");
    }
    district.ids.reserve(all.size());
    for (const Transaction& tx : all) district.ids.push_back(tx.id());
    if (o.reuse) SaveMeta(meta_path, district);
  }
  const std::vector<Hash32>& all_ids = district.ids;
  const size_t attestations = district.attestations;

  // Cold reopen, then the timed phases over the same households.
  CountingEnv counting_env;
  BlockStore::Options reopen_options;
  if (o.count_reads) reopen_options.env = &counting_env;
  if (o.cache_mb > 0) reopen_options.db.block_cache_bytes = o.cache_mb << 20;
  if (o.block_bytes > 0) reopen_options.db.block_bytes = o.block_bytes;
  auto store = Must(BlockStore::Open(store_path, suite, std::string(kChain), trust.genesis_hash, reopen_options),
                    "reopen");
  const uint64_t height = store->head().height;
  const BlockHeader head = Must(store->Header(height), "head header");
  // A caseworker's dibao check of household h for the month after the window.
  auto RequestFor = [&](const BenchHousehold& h) {
    verify::CheckRequest req;
    req.household = h.id;
    req.members = h.members;
    req.programme = Programme::kDibao;
    req.as_of = NextMonth(kLastMonth);
    req.consent = h.consent;
    req.checkpoint_time_ms = head.time_ms;
    return req;
  };
  std::mt19937_64 rng(o.seed);
  // Households in a random order: the first --warmup are checked once untimed (the process
  // and LevelDB settle: caches of the upper index pages, compactions after the bulk load),
  // the next --checks are timed. No household is in both sets.
  std::vector<size_t> order(district.households.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  const size_t warmup = std::min(o.warmup, order.size() / 2);
  {
    std::printf("bench_check: warming up with %zu other households ...\n", warmup);
    std::fflush(stdout);
    for (size_t i = 0; i < warmup; ++i) {
      const verify::CheckRequest req = RequestFor(district.households[order[i]]);
      auto ev = Must(verify::StoreEvidence::Open(*store, height), "evidence");
      (void)verify::Evaluate(trust, req, *ev);
    }
  }
  std::vector<verify::CheckRequest> requests;
  for (size_t i = 0; i < o.checks; ++i) {
    requests.push_back(RequestFor(district.households[order[warmup + i % (order.size() - warmup)]]));
  }

  Stats decision, engine_only, receipt, verify_stats, point, part_decide, part_build;
  Stats decision_cpu, receipt_cpu, point_cpu;
  std::map<verify::Decision, size_t> decisions;
  size_t reads = 0, failures = 0, list_entries = 0;
  uint64_t file_reads_decision = 0, file_reads_receipt = 0, file_reads_point = 0;
  std::vector<std::string> receipts;
  const bool all_phases = o.only.empty();
  std::printf("bench_check: timing decisions ...\n");
  std::fflush(stdout);
  for (const verify::CheckRequest& req : requests) {
    if (!all_phases && o.only != "decision") break;
    const uint64_t f0 = counting_env.reads();
    const auto t0 = Clock::now();
    const double c0 = CpuMs();
    verify::StoreEvidence::Limits no_proofs;
    no_proofs.proofs = false;  // a decision alone; the receipt phase below makes every proof
    auto ev = Must(verify::StoreEvidence::Open(*store, height, no_proofs), "evidence");
    Result<verify::CheckResult> r = verify::Evaluate(trust, req, *ev);
    decision.ms.push_back(Ms(Clock::now() - t0));
    decision_cpu.ms.push_back(CpuMs() - c0);
    file_reads_decision += counting_env.reads() - f0;
    if (!r.ok()) {
      if (++failures <= 3) std::fprintf(stderr, "check failed: %s\n", r.status().ToString().c_str());
      continue;
    }
    ++decisions[r->decision];
    reads += ev->keys().size() + ev->TxsInLogOrder().size();
    for (const verify::StoreEvidence::KeyRead& k : ev->keys()) list_entries += k.entry.ids.size();
    // The same decision from the same transactions held in memory: the engine alone.
    verify::TxSetEvidence mem;
    for (const auto* t : ev->TxsInLogOrder()) Must(mem.Add(t->logged), "evidence");
    const auto t1 = Clock::now();
    Result<verify::CheckResult> again = verify::Evaluate(trust, req, mem);
    engine_only.ms.push_back(Ms(Clock::now() - t1));
    if (!again.ok() || again->decision != r->decision) Die("in-memory evaluation differs");
  }
  std::printf("bench_check: timing receipts ...\n");
  std::fflush(stdout);
  for (const verify::CheckRequest& req : requests) {
    if (!all_phases && o.only != "receipt") break;
    const uint64_t f0 = counting_env.reads();
    const auto t0 = Clock::now();
    const double c0 = CpuMs();
    Result<verify::CheckOutcome> out = verify::RunCheck(*store, height, trust, req, keys[0].node_key, 0);
    receipt.ms.push_back(Ms(Clock::now() - t0));
    receipt_cpu.ms.push_back(CpuMs() - c0);
    file_reads_receipt += counting_env.reads() - f0;
    if (out.ok() && all_phases && receipts.size() < 200) receipts.push_back(std::move(out->receipt));
  }
  // The same receipts again in RunCheck's steps (a second pass: its reads find what the
  // receipt phase left in the caches, so compare the parts with each other).
  for (verify::CheckRequest req : requests) {
    if (!all_phases) break;
    const auto t0 = Clock::now();
    auto ev = Must(verify::StoreEvidence::Open(*store, height), "evidence");
    const CommitCertificate cert = Must(store->Certificate(height), "certificate");
    req.checkpoint_time_ms = ev->header().time_ms;
    Result<verify::CheckResult> r = verify::Evaluate(trust, req, *ev);
    const auto t1 = Clock::now();
    if (!r.ok()) continue;
    Result<std::string> text =
        verify::BuildReceipt(trust, req, *r, *ev, ev->header(), cert, keys[0].node_key, 0);
    const auto t2 = Clock::now();
    if (!text.ok()) Die("BuildReceipt: " + text.status().ToString());
    part_decide.ms.push_back(Ms(t1 - t0));
    part_build.ms.push_back(Ms(t2 - t1));
  }
  // What the node's check route computed after RunCheck for the access record until
  // CheckOutcome carried the hash: parse the receipt again and write its canonical text.
  Stats receipt_hash;
  for (const std::string& text : receipts) {
    const auto t0 = Clock::now();
    Must(verify::ReceiptHash(suite, text), "receipt hash");
    receipt_hash.ms.push_back(Ms(Clock::now() - t0));
  }
  size_t receipt_bytes = 0;
  ReceiptShares shares;
  for (const std::string& text : receipts) {
    receipt_bytes += text.size();
    shares.Add(text);
    const auto t0 = Clock::now();
    Status st = verify::VerifyReceipt(text, trust);
    verify_stats.ms.push_back(Ms(Clock::now() - t0));
    if (!st.ok()) Die("a receipt did not verify: " + st.ToString());
  }
  // Point reads: as many random committed ids as the decisions read keys and transactions.
  {
    std::mt19937_64 pick(o.seed + 1);
    const size_t per = std::max<size_t>(1, reads / std::max<size_t>(1, requests.size()));
    // Each a transaction read at a known location (GetTxAt: one LevelDB read), located
    // before the clock starts.
    std::vector<std::pair<Hash32, TxLocation>> sample;
    for (size_t i = 0; i < requests.size() * per && all_phases; ++i) {
      const Hash32& id = all_ids[pick() % all_ids.size()];
      sample.emplace_back(id, Must(store->LocateTx(id), "locate"));
    }
    size_t next = 0;
    for (size_t i = 0; i < requests.size() && all_phases; ++i) {
      const uint64_t f0 = counting_env.reads();
      const auto t0 = Clock::now();
      const double c0 = CpuMs();
      for (size_t k = 0; k < per; ++k, ++next) {
        Must(store->GetTxAt(sample[next].first, sample[next].second), "point read");
      }
      point.ms.push_back(Ms(Clock::now() - t0));
      point_cpu.ms.push_back(CpuMs() - c0);
      file_reads_point += counting_env.reads() - f0;
    }
  }

  std::printf("bench_check: %zu attestations in the ledger, height %llu; %zu checks (%zu failed)\n", attestations,
              static_cast<unsigned long long>(height), requests.size(), failures);
  std::printf("  decisions: eligible %zu, ineligible %zu, insufficient_evidence %zu; %.1f reads per check\n",
              decisions[verify::Decision::kEligible], decisions[verify::Decision::kIneligible],
              decisions[verify::Decision::kInsufficientEvidence],
              static_cast<double>(reads) / static_cast<double>(std::max<size_t>(1, requests.size() - failures)));
  std::printf("  decision   p50 %.3f ms  p99 %.3f ms  mean %.3f ms   (target p99 <= 2 ms)\n", decision.Quantile(0.5),
              decision.Quantile(0.99), decision.Mean());
  std::printf("  engine alone (evidence in memory) p50 %.3f ms  p99 %.3f ms\n", engine_only.Quantile(0.5),
              engine_only.Quantile(0.99));
  std::printf("  receipt    p50 %.3f ms  p99 %.3f ms  mean %.3f ms   (target p99 <= 20 ms), mean %.0f KB\n",
              receipt.Quantile(0.5), receipt.Quantile(0.99), receipt.Mean(),
              receipts.empty() ? 0.0 : static_cast<double>(receipt_bytes) / static_cast<double>(receipts.size()) / 1024);
  shares.Print();
  std::printf("    parts (second pass): decision with index proofs p50 %.3f / p99 %.3f ms; "
              "BuildReceipt (inclusion proofs, JSON, signature) p50 %.3f / p99 %.3f ms\n",
              part_decide.Quantile(0.5), part_decide.Quantile(0.99), part_build.Quantile(0.5),
              part_build.Quantile(0.99));
  std::printf("    ReceiptHash(receipt text) p50 %.3f / p99 %.3f ms (re-parses the receipt; "
              "CheckOutcome::receipt_hash has it without)\n",
              receipt_hash.Quantile(0.5), receipt_hash.Quantile(0.99));
  std::printf("  verify     p50 %.3f ms  p99 %.3f ms  -> %.0f receipts/s on one core\n", verify_stats.Quantile(0.5),
              verify_stats.Quantile(0.99), verify_stats.Mean() > 0 ? 1000.0 / verify_stats.Mean() : 0.0);
  std::printf("  point reads for the same number of reads: p50 %.3f ms  p99 %.3f ms\n", point.Quantile(0.5),
              point.Quantile(0.99));
  std::printf("  cpu time of the thread (without waits for a core): decision p50 %.3f / p99 %.3f ms; "
              "receipt p50 %.3f / p99 %.3f ms; point reads p50 %.3f / p99 %.3f ms\n",
              decision_cpu.Quantile(0.5), decision_cpu.Quantile(0.99), receipt_cpu.Quantile(0.5),
              receipt_cpu.Quantile(0.99), point_cpu.Quantile(0.5), point_cpu.Quantile(0.99));
  const double n_checks = static_cast<double>(std::max<size_t>(1, requests.size()));
  std::printf("  per check: %.1f index-list entries (one LevelDB read each)\n",
              static_cast<double>(list_entries) / n_checks);
  if (o.count_reads) {
    std::printf("  LevelDB table-file reads (block-cache misses) per check: decision %.1f, receipt %.1f, "
                "point reads %.1f\n",
                static_cast<double>(file_reads_decision) / n_checks,
                static_cast<double>(file_reads_receipt) / n_checks, static_cast<double>(file_reads_point) / n_checks);
  }
  std::printf("  ratio decision p50 / point-read p50: %.2f\n",
              point.Quantile(0.5) > 0 ? decision.Quantile(0.5) / point.Quantile(0.5) : 0.0);
  if (o.split) {
    std::vector<const BenchHousehold*> fresh;
    for (size_t i = warmup + requests.size(); i < order.size() && fresh.size() < o.checks; ++i) {
      fresh.push_back(&district.households[order[i]]);
    }
    SplitReads(*store, height, trust, fresh, NextMonth(kLastMonth));
  }
  if (o.leveldb_options) LevelDbOptions(*store, all_ids, o.seed, counting_env);
  store.reset();
  if (!o.reuse) fs::remove_all(dir);
  return failures == 0 ? 0 : 1;
}
