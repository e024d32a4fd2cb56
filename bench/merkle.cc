// bench_merkle: the persistent RFC 9162 log (MerkleLog) in real LevelDB.
//
// Measures, in one run (LevelDB opened with the store's options, see OpenDb): append per leaf (in memory, then FlushTo + batch write every
// --batch leaves, like blocks), inclusion and consistency proof generation at random
// indices (mean and p99 against the 100 µs target, KV reads per proof), verification,
// reopen time, and on-disk bytes per leaf. The limit it compares append against is the raw
// suite hash of 65 bytes (a node hash input) times the node hashes an append must do,
// measured in the same run.
//
// Usage: bench_merkle [--leaves N] [--proofs P] [--batch B] [--suite S] [--sync]
//   defaults: N = 10^6 (or $HEARTH_BENCH_MERKLE_LEAVES), P = 10000, B = 1000, ed25519-sha256.
//   10^7: bench_merkle --leaves 10000000
#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/filter_policy.h>
#include <leveldb/write_batch.h>
#include <stdlib.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "hearth/ledger/crypto.h"
#include "hearth/ledger/kv.h"
#include "hearth/ledger/merkle.h"
#include "hearth/ledger/merkle_log.h"

namespace {

using hearth::Hash32;
using hearth::MerkleLog;
using Clock = std::chrono::steady_clock;

constexpr double kProofTargetUs = 100.0;

double Us(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

struct Args {
  uint64_t leaves = 1000000;
  uint64_t proofs = 10000;
  uint64_t batch = 1000;
  hearth::Suite suite = hearth::Suite::kEd25519Sha256;
  bool sync = false;
};

[[noreturn]] void Usage() {
  std::fprintf(stderr,
               "usage: bench_merkle [--leaves N] [--proofs P] [--batch B] [--suite S] [--sync]\n");
  std::exit(2);
}

uint64_t ParseU64(const char* s) {
  char* end = nullptr;
  unsigned long long v = std::strtoull(s, &end, 10);
  if (end == s || *end != '\0' || v == 0) Usage();
  return v;
}

Args ParseArgs(int argc, char** argv) {
  Args a;
  if (const char* env = std::getenv("HEARTH_BENCH_MERKLE_LEAVES")) a.leaves = ParseU64(env);
  for (int i = 1; i < argc; ++i) {
    std::string f = argv[i];
    bool has_value = i + 1 < argc;
    if (f == "--leaves" && has_value) a.leaves = ParseU64(argv[++i]);
    else if (f == "--proofs" && has_value) a.proofs = ParseU64(argv[++i]);
    else if (f == "--batch" && has_value) a.batch = ParseU64(argv[++i]);
    else if (f == "--suite" && has_value) {
      auto s = hearth::ParseSuite(argv[++i]);
      if (!s.ok()) Usage();
      a.suite = *s;
    } else if (f == "--sync") a.sync = true;
    else Usage();
  }
  if (a.leaves < 2) Usage();  // consistency proofs need 1 <= m < n
  return a;
}

void Die(const hearth::Status& s, const char* what) {
  std::fprintf(stderr, "bench_merkle: %s: %s\n", what, s.ToString().c_str());
  std::exit(1);
}

class CountingReader final : public hearth::KvReader {
 public:
  explicit CountingReader(const hearth::KvReader* inner) : inner_(inner) {}
  hearth::Status Get(std::string_view key, std::string* value) const override {
    ++reads;
    return inner_->Get(key, value);
  }
  hearth::Status Scan(std::string_view begin, std::string_view end, size_t entries_max,
              const ScanFn& fn) const override {
    ++reads;
    return inner_->Scan(begin, end, entries_max, fn);
  }
  mutable uint64_t reads = 0;

 private:
  const hearth::KvReader* inner_;
};

// The options the node's store uses (hearth::DbOptions defaults in db.h: 8 MiB write
// buffer, 32 MiB block cache, 10-bit Bloom filter, paranoid checks), set here directly so the
// benchmark measures the log in the database it will live in.
struct DbResources {
  std::unique_ptr<leveldb::Cache> cache{leveldb::NewLRUCache(size_t{32} << 20)};
  std::unique_ptr<const leveldb::FilterPolicy> filter{leveldb::NewBloomFilterPolicy(10)};
};

std::unique_ptr<leveldb::DB> OpenDb(const std::string& path) {
  static DbResources resources;
  leveldb::Options options;
  options.create_if_missing = true;
  options.paranoid_checks = true;
  options.write_buffer_size = size_t{8} << 20;
  options.block_cache = resources.cache.get();
  options.filter_policy = resources.filter.get();
  leveldb::DB* db = nullptr;
  leveldb::Status s = leveldb::DB::Open(options, path, &db);
  if (!s.ok()) {
    std::fprintf(stderr, "bench_merkle: leveldb open: %s\n", s.ToString().c_str());
    std::exit(1);
  }
  return std::unique_ptr<leveldb::DB>(db);
}

Hash32 LeafFor(hearth::Suite suite, uint64_t i) {
  uint8_t data[8];
  for (int b = 0; b < 8; ++b) data[b] = static_cast<uint8_t>(i >> (8 * b));
  return hearth::merkle::LeafHash(suite, hearth::ByteView(data, sizeof(data)));
}

// Raw suite hash of a 65-byte buffer (0x01 ‖ left ‖ right), µs per hash.
double RawHashUs(hearth::Suite suite) {
  uint8_t buf[65] = {1};
  const int n = 1000000;
  auto t0 = Clock::now();
  for (int i = 0; i < n; ++i) {
    Hash32 h = hearth::SuiteHash(suite, hearth::ByteView(buf, sizeof(buf)));
    std::memcpy(buf + 1 + (i & 31), h.bytes.data(), 1);  // chain, so nothing is hoisted
  }
  return Us(Clock::now() - t0) / n;
}

struct Stats {
  double mean_us, p50_us, p99_us;
};

Stats Summarise(std::vector<double>& us) {
  std::sort(us.begin(), us.end());
  double sum = 0;
  for (double v : us) sum += v;
  size_t p99 = std::min(us.size() - 1, static_cast<size_t>(0.99 * static_cast<double>(us.size())));
  return {sum / static_cast<double>(us.size()), us[us.size() / 2], us[p99]};
}

uint64_t DirBytes(const std::string& path) {
  uint64_t total = 0;
  for (const auto& e : std::filesystem::directory_iterator(path)) {
    if (e.is_regular_file()) total += e.file_size();
  }
  return total;
}

// Appends args.leaves leaves, flushing every args.batch into a LevelDB batch; prints rates.
void BuildPhase(const Args& args, leveldb::DB* db, MerkleLog& log, CountingReader& reader,
                double raw_us) {
  std::vector<Hash32> batch_leaves;  // computed outside the timed region
  Clock::duration append_time{}, flush_time{};
  leveldb::WriteOptions wo;
  wo.sync = args.sync;
  for (uint64_t done = 0; done < args.leaves;) {
    uint64_t n = std::min(args.batch, args.leaves - done);
    batch_leaves.clear();
    for (uint64_t i = 0; i < n; ++i) batch_leaves.push_back(LeafFor(args.suite, done + i));
    auto t0 = Clock::now();
    for (const Hash32& h : batch_leaves) {
      if (auto r = log.Append(h); !r.ok()) Die(r.status(), "append");
    }
    auto t1 = Clock::now();
    leveldb::WriteBatch batch;
    hearth::LevelDbBatchWriter writer(&batch);
    if (auto s = log.FlushTo(&writer); !s.ok()) Die(s, "flush");
    if (!db->Write(wo, &batch).ok()) Die(hearth::Status::IOError("write"), "write");
    log.MarkFlushed();
    auto t2 = Clock::now();
    append_time += t1 - t0;
    flush_time += t2 - t1;
    done += n;
  }
  const double leaves_d = static_cast<double>(args.leaves);
  const double append_us = Us(append_time) / leaves_d;
  const double flush_us = Us(flush_time) / leaves_d;
  // Node hashes the whole log needs: one per internal node, N - popcount(N).
  const double node_hashes = (leaves_d - std::popcount(args.leaves)) / leaves_d;
  const double limit_us = raw_us * node_hashes;
  std::printf("append (in memory):        %.3f us/leaf; %.3f node hashes/leaf; %.2f x the raw "
              "hash cost (%.3f us)\n",
              append_us, node_hashes, append_us / limit_us, limit_us);
  std::printf("flush (FlushTo + Write):   %.3f us/leaf (%llu reads for %llu flushes)\n", flush_us,
              static_cast<unsigned long long>(reader.reads),
              static_cast<unsigned long long>((args.leaves + args.batch - 1) / args.batch));
  std::printf("append + flush:            %.3f us/leaf = %.0f k leaves/s; %.2f x the raw hash "
              "cost\n",
              append_us + flush_us, 1e3 / (append_us + flush_us),
              (append_us + flush_us) / limit_us);
}

struct ProofRun {
  std::vector<double> gen_us, verify_us;
  uint64_t reads = 0;
};

void PrintProofRun(const char* what, ProofRun& run, double raw_us) {
  Stats g = Summarise(run.gen_us), v = Summarise(run.verify_us);
  std::printf("%s proof: mean %.1f us, p50 %.1f, p99 %.1f us (%.2f x / %.2f x the %.0f us "
              "target; p50 = %.0f raw hashes), %.1f reads/proof\n",
              what, g.mean_us, g.p50_us, g.p99_us, g.mean_us / kProofTargetUs,
              g.p99_us / kProofTargetUs, kProofTargetUs, g.p50_us / raw_us,
              static_cast<double>(run.reads) / static_cast<double>(run.gen_us.size()));
  std::printf("%s verify: mean %.2f us, p50 %.2f, p99 %.2f us (p50 = %.1f raw hashes)\n", what,
              v.mean_us, v.p50_us, v.p99_us, v.p50_us / raw_us);
}

// Random-index inclusion proofs and random-size1 consistency proofs against the full size.
void ProofPhase(const Args& args, const MerkleLog& log, CountingReader& reader, double raw_us) {
  const Hash32 root = log.Root();
  const uint64_t size = log.size();
  std::mt19937_64 rng(42);
  ProofRun incl, cons;
  for (uint64_t p = 0; p < args.proofs; ++p) {
    uint64_t index = rng() % size;
    reader.reads = 0;
    auto t0 = Clock::now();
    auto proof = log.InclusionProof(index, size);
    incl.gen_us.push_back(Us(Clock::now() - t0));
    if (!proof.ok()) Die(proof.status(), "inclusion proof");
    incl.reads += reader.reads;
    Hash32 leaf = LeafFor(args.suite, index);
    t0 = Clock::now();
    hearth::Status v = hearth::merkle::VerifyInclusion(args.suite, leaf, index, size, root, *proof);
    incl.verify_us.push_back(Us(Clock::now() - t0));
    if (!v.ok()) Die(v, "verify inclusion");
  }
  for (uint64_t p = 0; p < args.proofs; ++p) {
    uint64_t m = 1 + rng() % (size - 1);
    reader.reads = 0;
    auto t0 = Clock::now();
    auto proof = log.ConsistencyProof(m, size);
    cons.gen_us.push_back(Us(Clock::now() - t0));
    if (!proof.ok()) Die(proof.status(), "consistency proof");
    cons.reads += reader.reads;
    auto root_m = log.RootAt(m);  // not timed: the verifier already holds it
    if (!root_m.ok()) Die(root_m.status(), "root at");
    t0 = Clock::now();
    hearth::Status v = hearth::merkle::VerifyConsistency(args.suite, m, *root_m, size, root, *proof);
    cons.verify_us.push_back(Us(Clock::now() - t0));
    if (!v.ok()) Die(v, "verify consistency");
  }
  PrintProofRun("inclusion  ", incl, raw_us);
  PrintProofRun("consistency", cons, raw_us);
}

// Reopens the database and the log (no rebuild), reports the on-disk size, and measures
// proofs again once compaction has settled (no background compaction competing).
void RestartPhase(const Args& args, const std::string& dir, std::unique_ptr<leveldb::DB> db,
                  const Hash32& root, double raw_us) {
  db.reset();
  const uint64_t written_bytes = DirBytes(dir);
  auto t0 = Clock::now();
  db = OpenDb(dir);
  hearth::LevelDbReader leveldb_reader(db.get());
  CountingReader reader(&leveldb_reader);
  MerkleLog reopened(args.suite, &reader, "L");
  if (auto s = reopened.Open(); !s.ok()) Die(s, "reopen");
  double reopen_ms = Us(Clock::now() - t0) / 1e3;
  if (reopened.Root() != root) Die(hearth::Status::Corruption("root differs after reopen"), "reopen");
  std::printf("reopen (DB open + Open):   %.1f ms, %llu reads, root equal\n", reopen_ms,
              static_cast<unsigned long long>(reader.reads));
  db->CompactRange(nullptr, nullptr);
  const double leaves_d = static_cast<double>(args.leaves);
  std::printf("on disk:                   %.1f bytes/leaf as written, %.1f after full compaction "
              "(the node hashes alone: %.1f)\n",
              static_cast<double>(written_bytes) / leaves_d,
              static_cast<double>(DirBytes(dir)) / leaves_d,
              32.0 * (2.0 * leaves_d - std::popcount(args.leaves)) / leaves_d);
  std::printf("after reopen + full compaction:\n");
  ProofPhase(args, reopened, reader, raw_us);
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = ParseArgs(argc, argv);
  char tmpl[] = "/tmp/hearth-bench-merkle-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return 1;
  const std::string dir = tmpl;
  std::printf("bench_merkle: suite %s, %llu leaves, flush every %llu leaves (%s writes), "
              "LevelDB in %s\n",
              std::string(hearth::SuiteName(args.suite)).c_str(),
              static_cast<unsigned long long>(args.leaves),
              static_cast<unsigned long long>(args.batch), args.sync ? "synced" : "unsynced",
              dir.c_str());
  const double raw_us = RawHashUs(args.suite);
  std::printf("raw SuiteHash of 65 bytes: %.3f us (%.2f M/s)\n", raw_us, 1.0 / raw_us);
  Hash32 root;
  {
    auto db = OpenDb(dir);
    hearth::LevelDbReader leveldb_reader(db.get());
    CountingReader reader(&leveldb_reader);
    MerkleLog log(args.suite, &reader, "L");
    if (auto s = log.Open(); !s.ok()) Die(s, "open");
    BuildPhase(args, db.get(), log, reader, raw_us);
    std::printf("right after the appends (LevelDB may still be compacting):\n");
    ProofPhase(args, log, reader, raw_us);
    root = log.Root();
    RestartPhase(args, dir, std::move(db), root, raw_us);
  }
  std::filesystem::remove_all(dir);
  return 0;
}
