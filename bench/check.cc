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
//   point     the limit in the same run: bare LevelDB point reads (BlockStore::GetTx of a
//             random committed id), one per read a decision makes, so "decision / reads" is
//             what the engine costs on top of the storage it needs.
// The store is reopened before the timed phases; --warmup other households are checked
// untimed first; then each phase runs once over the same (timed) households.
//
// Usage: bench_check [--households=N] [--checks=N] [--warmup=N] [--block-txs=N] [--dir=PATH]
//                    [--seed=S]
//   --warmup      households checked untimed first, none of them timed later (default 1000)
//   --households  synthetic households (default 14000: about 10^6 records over 12 months)
//   --checks      checks timed (default 2000)
//   --block-txs   transactions per committed block (default 5000)
//   --dir         parent directory of the scratch store (default /tmp)
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "hearth/ledger/block.h"
#include "hearth/ledger/crypto.h"
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

struct Options {
  size_t households = 14000;
  size_t checks = 2000;
  size_t warmup = 1000;
  size_t block_txs = 5000;
  std::string dir = "/tmp";
  uint64_t seed = 7;
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

}  // namespace

int main(int argc, char** argv) {
  const Options o = ParseArgs(argc, argv);
  const Suite suite = Suite::kEd25519Sha256;
  const fs::path dir = fs::path(o.dir) / ("hearth-bench-check-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);

  // Genesis, in the form verify trusts.
  const std::vector<Agency> agencies = {Agency::kCivilAffairs, Agency::kTax, Agency::kSocialSecurity,
                                        Agency::kDisabilityFederation};
  std::vector<node::SynthAgencyKeys> keys;
  std::vector<PrivateKey> node_keys;
  verify::Trust trust;
  trust.chain_id = std::string(kChain);
  trust.suite = suite;
  trust.f = 1;
  trust.genesis_hash = SuiteHash(suite, AsBytes("bench-check genesis"));
  for (Agency a : agencies) {
    node::SynthAgencyKeys k{a, Must(PrivateKey::Generate(suite), "key"), Must(PrivateKey::Generate(suite), "key")};
    verify::TrustMember m;
    m.agency = a;
    m.node_key = k.node_key.public_key();
    m.issuer_keys.push_back(k.issuer.public_key());
    trust.members.push_back(m);
    node_keys.push_back(k.node_key);
    keys.push_back(std::move(k));
  }
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
  node::SynthOutput district = Must(node::Synthesize(so, keys), "synthesize");

  // Log order: civil affairs first (rule sets, declarations, consents), then the others.
  std::vector<Transaction> all;
  for (Agency a : agencies) {
    auto it = district.records.find(a);
    if (it == district.records.end()) continue;
    for (Transaction& tx : it->second) all.push_back(std::move(tx));
  }
  size_t attestations = 0;
  for (const Transaction& tx : all) attestations += tx.kind() == TxKind::kAttestation ? 1 : 0;
  std::printf("bench_check: committing %zu transactions (%zu attestations) in blocks of %zu ...\n", all.size(),
              attestations, o.block_txs);
  std::fflush(stdout);

  const std::string store_path = (dir / "store").string();
  uint64_t last_time_ms = 0;
  {
    auto store = Must(BlockStore::Open(store_path, suite, std::string(kChain), trust.genesis_hash, {}), "open store");
    for (size_t off = 0; off < all.size(); off += o.block_txs) {
      const size_t n = std::min(o.block_txs, all.size() - off);
      std::vector<Transaction> txs(all.begin() + static_cast<ptrdiff_t>(off),
                                   all.begin() + static_cast<ptrdiff_t>(off + n));
      const BlockRoots r = Must(store->PreviewRoots(txs), "preview roots");
      Block b;
      // Block times after the whole window, so every consent is valid at the checkpoint.
      last_time_ms = so.base_time_ms + 400ull * 24 * 3600 * 1000 + r.height * 1000;
      b.header = {suite, std::string(kChain), r.height, r.prev_hash, last_time_ms,
                  static_cast<uint16_t>(r.height % 4), static_cast<uint32_t>(n), r.tx_root,
                  r.log_size, r.log_root, r.index_root};
      b.txs = std::move(txs);
      CommitCertificate c;
      c.height = b.header.height;
      c.block_hash = BlockHash(b.header);
      for (uint16_t m = 0; m < 3; ++m) {
        c.votes.push_back({m, Must(SignPrecommit(node_keys[m], kChain, c.height, 0, c.block_hash), "precommit")});
      }
      Must(store->CommitBlock(b, c), "commit");
    }
  }
  std::vector<Hash32> all_ids;
  all_ids.reserve(all.size());
  for (const Transaction& tx : all) all_ids.push_back(tx.id());
  all.clear();
  all.shrink_to_fit();

  // Cold reopen, then the timed phases over the same households.
  auto store = Must(BlockStore::Open(store_path, suite, std::string(kChain), trust.genesis_hash, {}), "reopen");
  const uint64_t height = store->head().height;
  const BlockHeader head = Must(store->Header(height), "head header");
  // A caseworker's dibao check of household h for the month after the window.
  auto RequestFor = [&](const node::SynthHousehold& h) {
    verify::CheckRequest req;
    req.household = h.household_id;
    for (const std::string& id : h.member_ids) req.members.push_back(Must(SubjectId(suite, pkey, id), "subject"));
    std::sort(req.members.begin(), req.members.end());
    req.programme = Programme::kDibao;
    req.as_of = NextMonth(kLastMonth);
    req.consent = h.consent_tx;
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

  Stats decision, engine_only, receipt, verify_stats, point;
  std::map<verify::Decision, size_t> decisions;
  size_t reads = 0, failures = 0;
  std::vector<std::string> receipts;
  std::printf("bench_check: timing decisions ...\n");
  std::fflush(stdout);
  for (const verify::CheckRequest& req : requests) {
    const auto t0 = Clock::now();
    verify::StoreEvidence::Limits no_proofs;
    no_proofs.proofs = false;  // a decision alone; the receipt phase below makes every proof
    auto ev = Must(verify::StoreEvidence::Open(*store, height, no_proofs), "evidence");
    Result<verify::CheckResult> r = verify::Evaluate(trust, req, *ev);
    decision.ms.push_back(Ms(Clock::now() - t0));
    if (!r.ok()) {
      if (++failures <= 3) std::fprintf(stderr, "check failed: %s\n", r.status().ToString().c_str());
      continue;
    }
    ++decisions[r->decision];
    reads += ev->keys().size() + ev->TxsInLogOrder().size();
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
    const auto t0 = Clock::now();
    Result<verify::CheckOutcome> out = verify::RunCheck(*store, height, trust, req, keys[0].node_key, 0);
    receipt.ms.push_back(Ms(Clock::now() - t0));
    if (out.ok() && receipts.size() < 200) receipts.push_back(std::move(out->receipt));
  }
  size_t receipt_bytes = 0;
  for (const std::string& text : receipts) {
    receipt_bytes += text.size();
    const auto t0 = Clock::now();
    Status st = verify::VerifyReceipt(text, trust);
    verify_stats.ms.push_back(Ms(Clock::now() - t0));
    if (!st.ok()) Die("a receipt did not verify: " + st.ToString());
  }
  // Point reads: as many random committed ids as the decisions read keys and transactions.
  {
    std::mt19937_64 pick(o.seed + 1);
    const size_t per = std::max<size_t>(1, reads / std::max<size_t>(1, requests.size()));
    for (size_t i = 0; i < requests.size(); ++i) {
      (void)i;
      const auto t0 = Clock::now();
      for (size_t k = 0; k < per; ++k) Must(store->GetTx(all_ids[pick() % all_ids.size()]), "point read");
      point.ms.push_back(Ms(Clock::now() - t0));
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
  std::printf("  verify     p50 %.3f ms  p99 %.3f ms  -> %.0f receipts/s on one core\n", verify_stats.Quantile(0.5),
              verify_stats.Quantile(0.99), verify_stats.Mean() > 0 ? 1000.0 / verify_stats.Mean() : 0.0);
  std::printf("  point reads for the same number of reads: p50 %.3f ms  p99 %.3f ms\n", point.Quantile(0.5),
              point.Quantile(0.99));
  std::printf("  ratio decision p50 / point-read p50: %.2f\n",
              point.Quantile(0.5) > 0 ? decision.Quantile(0.5) / point.Quantile(0.5) : 0.0);
  store.reset();
  fs::remove_all(dir);
  return failures == 0 ? 0 : 1;
}
