// bench_index: the authenticated index (AuthIndex) in real LevelDB.
//
// Measures, in one run: building the map with blocks of --batch new keys (ApplyBlock, then
// FlushTo + one batch write per block), updates of existing keys (one new id each), proof
// generation for present keys, absent keys and keys at old versions (mean, p50, p99 against
// the 100 µs target; node reads per proof), verification, and on-disk bytes per key.
// The limit an update is compared against is the raw suite hash of the node bytes (65-byte
// internal node preimage, 73-byte leaf preimage) times the hashes the update must do,
// measured in the same run: "ours/raw" near 1 means the index adds little beyond hashing.
//
// LevelDB options as the store's db.h: 8 MiB write buffer, 32 MiB block cache, 10-bit
// Bloom filter. Writes are unsynced unless --sync (the store syncs once per block).
//
// Usage: bench_index [--keys N] [--proofs P] [--batch B] [--update-blocks U] [--suite S]
//                    [--cache PAGES] [--sync]
//   defaults: N = 10^6 (or $HEARTH_BENCH_INDEX_KEYS), P = 5000 per kind, B = 1000, U = 50,
//   ed25519-sha256, the AuthIndex default cache; about a minute on an idle 2-core machine.
//   10^7: bench_index --keys 10000000 (about an hour and 15 GB of disk on such a machine)
#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/filter_policy.h>
#include <leveldb/write_batch.h>
#include <stdlib.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "hearth/ledger/auth_index.h"
#include "hearth/ledger/crypto.h"
#include "hearth/ledger/kv.h"

namespace {

using hearth::AuthIndex;
using hearth::Hash32;
using hearth::IndexUpdate;
using Clock = std::chrono::steady_clock;

constexpr double kProofTargetUs = 100.0;

double Us(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

// CPU time of this thread: on a shared machine it shows the work apart from waiting for a
// core. LevelDB's background compaction runs on another thread and is not in it.
double ThreadCpuUs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

struct Args {
  uint64_t keys = 1000000;
  uint64_t proofs = 5000;
  uint64_t batch = 1000;
  uint64_t update_blocks = 50;
  hearth::Suite suite = hearth::Suite::kEd25519Sha256;
  size_t cache_pages = AuthIndex::Options().cache_pages_max;
  bool sync = false;
};

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "bench_index: %s\n", why.c_str());
  std::exit(1);
}

Args ParseArgs(int argc, char** argv) {
  Args a;
  if (const char* env = std::getenv("HEARTH_BENCH_INDEX_KEYS")) {
    a.keys = std::strtoull(env, nullptr, 10);
  }
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) Die("missing value after " + flag);
      return argv[++i];
    };
    if (flag == "--keys") {
      a.keys = std::stoull(next());
    } else if (flag == "--proofs") {
      a.proofs = std::stoull(next());
    } else if (flag == "--batch") {
      a.batch = std::stoull(next());
    } else if (flag == "--update-blocks") {
      a.update_blocks = std::stoull(next());
    } else if (flag == "--cache") {
      a.cache_pages = std::stoull(next());
    } else if (flag == "--suite") {
      auto s = hearth::ParseSuite(next());
      if (!s.ok()) Die(s.status().message());
      a.suite = *s;
    } else if (flag == "--sync") {
      a.sync = true;
    } else {
      Die("unknown flag " + flag);
    }
  }
  if (a.keys == 0 || a.batch == 0 || a.proofs == 0) Die("--keys, --batch, --proofs must be > 0");
  return a;
}

// Key i of the map: the suite hash of i, as callers file suite hashes of index keys.
Hash32 KeyFor(hearth::Suite suite, uint64_t i) {
  uint8_t data[9] = {'k'};
  for (int b = 0; b < 8; ++b) data[b + 1] = static_cast<uint8_t>(i >> (8 * b));
  return hearth::SuiteHash(suite, hearth::ByteView(data, sizeof(data)));
}

Hash32 IdFor(uint64_t i) {
  Hash32 h;
  for (int b = 0; b < 8; ++b) h.bytes[b] = static_cast<uint8_t>(i >> (8 * b));
  h.bytes[31] = 0x1d;
  return h;
}

struct Bench {
  Args args;
  std::string dir;
  std::unique_ptr<leveldb::Cache> cache;
  std::unique_ptr<const leveldb::FilterPolicy> filter;
  std::unique_ptr<leveldb::DB> db;
  std::unique_ptr<hearth::LevelDbReader> reader;
  std::unique_ptr<AuthIndex> index;
  uint64_t version = 0;
  uint64_t ids_filed = 0;

  void Open() {
    index.reset();
    reader.reset();
    db.reset();
    cache.reset(leveldb::NewLRUCache(size_t{32} << 20));
    filter.reset(leveldb::NewBloomFilterPolicy(10));
    leveldb::Options o;
    o.create_if_missing = true;
    o.write_buffer_size = size_t{8} << 20;
    o.block_cache = cache.get();
    o.filter_policy = filter.get();
    leveldb::DB* raw = nullptr;
    leveldb::Status s = leveldb::DB::Open(o, dir, &raw);
    if (!s.ok()) Die("leveldb open: " + s.ToString());
    db.reset(raw);
    reader = std::make_unique<hearth::LevelDbReader>(db.get());
    index = std::make_unique<AuthIndex>(args.suite, reader.get(), "x/",
                                        AuthIndex::Options{args.cache_pages});
    if (hearth::Status st = index->Open(); !st.ok()) Die(st.ToString());
  }

  struct Times {
    double apply_us = 0, apply_cpu_us = 0, write_us = 0;
    void Add(const Times& o) {
      apply_us += o.apply_us;
      apply_cpu_us += o.apply_cpu_us;
      write_us += o.write_us;
    }
  };

  // Applies one block, then FlushTo + one LevelDB batch write.
  Times Block(const std::vector<IndexUpdate>& updates) {
    const auto t0 = Clock::now();
    const double c0 = ThreadCpuUs();
    auto root = index->ApplyBlock(version, updates);
    if (!root.ok()) Die(root.status().ToString());
    const double c1 = ThreadCpuUs();
    const auto t1 = Clock::now();
    leveldb::WriteBatch batch;
    hearth::LevelDbBatchWriter w(&batch);
    if (hearth::Status st = index->FlushTo(&w); !st.ok()) Die(st.ToString());
    leveldb::WriteOptions wo;
    wo.sync = args.sync;
    leveldb::Status s = db->Write(wo, &batch);
    if (!s.ok()) Die("leveldb write: " + s.ToString());
    index->MarkFlushed();
    ++version;
    return {Us(t1 - t0), c1 - c0, Us(Clock::now() - t1)};
  }
};

double RawHashNs(hearth::Suite suite, size_t bytes) {
  std::vector<uint8_t> buf(bytes, 0x5a);
  constexpr int kReps = 400000;
  Hash32 sink;
  const auto t0 = Clock::now();
  for (int i = 0; i < kReps; ++i) {
    buf[1] = static_cast<uint8_t>(i);
    sink = hearth::SuiteHash(suite, buf);
    buf[2] ^= sink.bytes[0];
  }
  return Us(Clock::now() - t0) * 1000.0 / kReps;
}

// Bytes in the directory. LevelDB compacts in the background, so a file may vanish
// between listing and sizing it: such files are skipped, never an error.
uint64_t DirBytes(const std::string& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const uintmax_t size = std::filesystem::file_size(e.path(), ec);
    if (!ec) total += size;
  }
  return total;
}

void ReportPhase(const char* name, uint64_t keys, const Bench::Times& t,
                 const hearth::IndexStats& d, double raw_ns) {
  const double k = static_cast<double>(keys);
  const double hashes = static_cast<double>(d.nodes_hashed) / k;
  const double raw_us = hashes * raw_ns / 1000.0;
  std::printf("%-7s apply %7.2f µs/key (cpu %6.2f) + flush&write %6.2f µs/key | %4.1f hashes, "
              "%4.2f pages written, %4.2f page reads per key | raw hashing %.2f µs/key: "
              "ours/raw %.1f (cpu %.1f)\n",
              name, t.apply_us / k, t.apply_cpu_us / k, t.write_us / k, hashes,
              static_cast<double>(d.pages_written) / k, static_cast<double>(d.page_reads) / k,
              raw_us, t.apply_us / k / raw_us, t.apply_cpu_us / k / raw_us);
}

hearth::IndexStats Delta(const hearth::IndexStats& a, const hearth::IndexStats& b) {
  hearth::IndexStats d;
  d.nodes_hashed = b.nodes_hashed - a.nodes_hashed;
  d.pages_written = b.pages_written - a.pages_written;
  d.page_reads = b.page_reads - a.page_reads;
  d.cache_hits = b.cache_hits - a.cache_hits;
  return d;
}

void RunProofs(Bench& b, const char* label, double raw_ns) {
  const Args& a = b.args;
  std::mt19937_64 rng(7);
  const uint64_t last = b.version - 1;
  struct Kind {
    const char* name;
    bool present;
    bool old_version;
  };
  for (const Kind k : {Kind{"present", true, false}, Kind{"absent", false, false},
                       Kind{"old-version", true, true}}) {
    std::vector<double> us;
    us.reserve(a.proofs);
    const hearth::IndexStats s0 = b.index->stats();
    double verify_us = 0, cpu_us = 0;
    for (uint64_t i = 0; i < a.proofs; ++i) {
      const uint64_t version = k.old_version ? rng() % (last + 1) : last;
      const Hash32 key = k.present ? KeyFor(a.suite, rng() % a.keys)
                                   : KeyFor(a.suite, a.keys + rng() % a.keys);
      const double c0 = ThreadCpuUs();
      const auto t0 = Clock::now();
      auto got = b.index->Prove(key, version);
      us.push_back(Us(Clock::now() - t0));
      cpu_us += ThreadCpuUs() - c0;
      if (!got.ok()) Die(got.status().ToString());
      const Hash32 root = *b.index->RootAt(version);
      const auto t1 = Clock::now();
      hearth::Status st =
          hearth::VerifyIndexProof(a.suite, root, key, got->value, got->proof);
      verify_us += Us(Clock::now() - t1);
      if (!st.ok()) Die(st.ToString());
    }
    std::sort(us.begin(), us.end());
    double sum = 0;
    for (double x : us) sum += x;
    const double mean = sum / static_cast<double>(us.size());
    const hearth::IndexStats d = Delta(s0, b.index->stats());
    std::printf("proof %-8s %-11s mean %6.1f µs (cpu %5.1f)  p50 %6.1f  p99 %7.1f  "
                "mean/target %.2f (%.0f µs) | %5.2f page reads/proof | verify %5.1f µs "
                "(= %.0f raw hashes)\n",
                label, k.name, mean, cpu_us / static_cast<double>(a.proofs), us[us.size() / 2],
                us[us.size() * 99 / 100], mean / kProofTargetUs, kProofTargetUs,
                static_cast<double>(d.page_reads) / static_cast<double>(a.proofs),
                verify_us / static_cast<double>(a.proofs),
                verify_us * 1000.0 / static_cast<double>(a.proofs) / raw_ns);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Bench b;
  b.args = ParseArgs(argc, argv);
  const Args& a = b.args;
  char tmpl[] = "/tmp/hearth-bench-index-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) Die("mkdtemp failed");
  b.dir = tmpl;
  b.Open();
  const double raw65 = RawHashNs(a.suite, 65);
  const double raw73 = RawHashNs(a.suite, 73);
  // An update hashes one leaf and internal nodes: weight the raw cost by that mix below.
  const double raw_ns = (raw65 + raw73) / 2.0;
  std::printf("bench_index: %llu keys, blocks of %llu, suite %s, cache %zu pages, %s writes\n",
              static_cast<unsigned long long>(a.keys), static_cast<unsigned long long>(a.batch),
              std::string(hearth::SuiteName(a.suite)).c_str(), a.cache_pages,
              a.sync ? "synced" : "unsynced");
  std::printf("raw suite hash: %.0f ns (65 B node), %.0f ns (73 B leaf)\n", raw65, raw73);

  Bench::Times times;
  hearth::IndexStats s0 = b.index->stats();
  const auto load_start = Clock::now();
  for (uint64_t first = 0; first < a.keys; first += a.batch) {
    std::vector<IndexUpdate> u;
    for (uint64_t i = first; i < std::min(a.keys, first + a.batch); ++i) {
      u.push_back({KeyFor(a.suite, i), IdFor(b.ids_filed++)});
    }
    times.Add(b.Block(u));
  }
  const double load_s = Us(Clock::now() - load_start) / 1e6;
  ReportPhase("insert", a.keys, times, Delta(s0, b.index->stats()), raw_ns);
  const uint64_t bytes_after_load = DirBytes(b.dir);

  std::mt19937_64 rng(42);
  times = Bench::Times();
  s0 = b.index->stats();
  for (uint64_t blk = 0; blk < a.update_blocks; ++blk) {
    std::vector<IndexUpdate> u;
    for (uint64_t i = 0; i < a.batch; ++i) {
      u.push_back({KeyFor(a.suite, rng() % a.keys), IdFor(b.ids_filed++)});
    }
    times.Add(b.Block(u));
  }
  if (a.update_blocks > 0) {
    ReportPhase("update", a.update_blocks * a.batch, times, Delta(s0, b.index->stats()),
                raw_ns);
  }
  std::printf("load: %.1f s for %llu keys (%.0f keys/s incl. key generation)\n", load_s,
              static_cast<unsigned long long>(a.keys), static_cast<double>(a.keys) / load_s);
  RunProofs(b, "warm", raw_ns);
  b.Open();  // a fresh index: empty node cache, LevelDB reopened
  RunProofs(b, "reopened", raw_ns);
  const uint64_t bytes = DirBytes(b.dir);
  std::printf("disk: %.0f bytes/key after inserts, %.0f bytes/key after %llu update blocks "
              "(LevelDB files, uncompacted; all versions kept)\n",
              static_cast<double>(bytes_after_load) / static_cast<double>(a.keys),
              static_cast<double>(bytes) / static_cast<double>(a.keys),
              static_cast<unsigned long long>(a.update_blocks));
  b.index.reset();
  b.reader.reset();
  b.db.reset();
  std::filesystem::remove_all(b.dir);
  return 0;
}

