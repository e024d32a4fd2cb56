// bench_store: block commit throughput of the LevelDB block store (synced, one write batch
// per block), against the raw synced LevelDB write of batches of the same size in the same
// run: "store/raw" is what validation, the Merkle log, the authenticated index and the
// extra records cost on top of the physical limit (an fsync per block).
//
// Blocks hold signed attestations built before any clock starts (signing is not measured).
// Phase 1 (timed as "preview"): PreviewRoots + header + certificate for each block into a
// scratch store, as a proposer does. Phase 2 (timed as "commit"): CommitBlock of the same
// blocks into a fresh store. Phase 3 (timed as "raw"): one synced WriteBatch per block into
// a fresh LevelDB, holding each transaction's bytes under its id plus filler so that each
// batch puts as many bytes into LevelDB's log as the store's batch did (counted by an Env
// wrapper). All three in the same directory (default /tmp).
//
// Usage: bench_store [--blocks=N] [--txs=N] [--dir=PATH]
//   --blocks  blocks committed (default 30)
//   --txs     attestations per block (default 1000)
//   --dir     parent directory of the scratch databases (default /tmp)
// Default run: ~30k signatures to prepare, then ~90 synced writes; about 5-15 s.
#include <leveldb/db.h>
#include <leveldb/env.h>
#include <leveldb/write_batch.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hearth/ledger/block.h"
#include "hearth/ledger/crypto.h"
#include "hearth/ledger/records.h"
#include "hearth/ledger/store.h"
#include "hearth/ledger/transaction.h"

using namespace hearth;

namespace {

constexpr std::string_view kChain = "bench-chain";
constexpr uint64_t kTimeMs = 1'709'280'000'000ULL;
constexpr size_t kMembers = 4;  // n = 3f+1, f = 1
constexpr size_t kVotes = 3;
constexpr uint64_t kBlocksMax = 100'000;
constexpr size_t kSubjects = 5000;

struct Options {
  uint64_t blocks = 30;
  size_t txs = 1000;
  std::string dir = "/tmp";
};

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "bench_store: %s\n", why.c_str());
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
    if (const char* v = value("--blocks=")) {
      o.blocks = std::strtoull(v, nullptr, 10);
    } else if (const char* t = value("--txs=")) {
      o.txs = std::strtoull(t, nullptr, 10);
    } else if (const char* d = value("--dir=")) {
      o.dir = d;
    } else {
      Die("unknown argument " + std::string(a) + " (see the header of bench/store.cc)");
    }
  }
  if (o.blocks == 0 || o.blocks > kBlocksMax) Die("--blocks must be in 1.." + std::to_string(kBlocksMax));
  if (o.txs > kBlockTxsMax) Die("--txs must be at most " + std::to_string(kBlockTxsMax));
  return o;
}

// Counts bytes appended to LevelDB's write-ahead logs (what each synced batch costs).
class CountingEnv final : public leveldb::EnvWrapper {
 public:
  CountingEnv() : EnvWrapper(leveldb::Env::Default()) {}
  leveldb::Status NewWritableFile(const std::string& f, leveldb::WritableFile** r) override {
    leveldb::Status s = target()->NewWritableFile(f, r);
    if (s.ok() && f.ends_with(".log")) *r = new Counted(*r, &log_bytes_);
    return s;
  }
  uint64_t log_bytes() const { return log_bytes_.load(); }

 private:
  class Counted final : public leveldb::WritableFile {
   public:
    Counted(leveldb::WritableFile* t, std::atomic<uint64_t>* n) : t_(t), n_(n) {}
    leveldb::Status Append(const leveldb::Slice& d) override {
      *n_ += d.size();
      return t_->Append(d);
    }
    leveldb::Status Close() override { return t_->Close(); }
    leveldb::Status Flush() override { return t_->Flush(); }
    leveldb::Status Sync() override { return t_->Sync(); }

   private:
    std::unique_ptr<leveldb::WritableFile> t_;
    std::atomic<uint64_t>* n_;
  };
  std::atomic<uint64_t> log_bytes_{0};
};

std::vector<std::vector<Transaction>> MakeTxs(const Options& o, const PrivateKey& issuer) {
  std::vector<std::vector<Transaction>> blocks(o.blocks);
  uint64_t nonce = 0;
  for (auto& txs : blocks) {
    txs.reserve(o.txs);
    for (size_t i = 0; i < o.txs; ++i, ++nonce) {
      Attestation a;
      a.subject = SuiteHash(Suite::kEd25519Sha256, AsBytes("subject " + std::to_string(nonce % kSubjects)));
      a.category = Category::kWage;
      a.first_month = 202401 + static_cast<uint32_t>(nonce % 12);
      a.last_month = a.first_month;
      a.amount_fen = static_cast<int64_t>(300'000 + nonce % 100'000);
      TxBody body;
      body.chain_id = std::string(kChain);
      body.issued_at_ms = kTimeMs;
      body.nonce = nonce;
      body.payload = a;
      txs.push_back(Must(Transaction::Sign(std::move(body), issuer), "sign attestation"));
    }
  }
  return blocks;
}

CommitCertificate Certify(const BlockHeader& h, const std::vector<PrivateKey>& members) {
  CommitCertificate c;
  c.height = h.height;
  c.block_hash = BlockHash(h);
  for (size_t m = 0; m < kVotes; ++m) {
    c.votes.push_back({static_cast<uint16_t>(m),
                       Must(SignPrecommit(members[m], kChain, h.height, 0, c.block_hash), "sign precommit")});
  }
  return c;
}

double Seconds(std::chrono::steady_clock::duration d) { return std::chrono::duration<double>(d).count(); }

struct Timing {
  double total_s = 0;
  std::vector<double> per_block_ms;
  void Add(std::chrono::steady_clock::duration d) {
    total_s += Seconds(d);
    per_block_ms.push_back(Seconds(d) * 1e3);
  }
  double MedianMs() {
    std::sort(per_block_ms.begin(), per_block_ms.end());
    return per_block_ms.empty() ? 0 : per_block_ms[per_block_ms.size() / 2];
  }
};

std::unique_ptr<BlockStore> OpenStore(const std::string& path, const Hash32& genesis, leveldb::Env* env) {
  BlockStore::Options so;
  so.env = env;
  return Must(BlockStore::Open(path, Suite::kEd25519Sha256, std::string(kChain), genesis, so), "open store");
}

// Phase 1: headers and certificates, as a proposer builds them.
std::vector<Block> BuildBlocks(const std::string& path, const Hash32& genesis,
                               std::vector<std::vector<Transaction>> txs,
                               const std::vector<PrivateKey>& members, Timing* preview,
                               std::vector<CommitCertificate>* certs) {
  auto scratch = OpenStore(path, genesis, nullptr);
  std::vector<Block> blocks;
  for (auto& block_txs : txs) {
    const auto t0 = std::chrono::steady_clock::now();
    const BlockRoots r = Must(scratch->PreviewRoots(block_txs), "preview roots");
    preview->Add(std::chrono::steady_clock::now() - t0);
    Block b;
    b.header = HeaderFromRoots(r, Suite::kEd25519Sha256, std::string(kChain), kTimeMs + r.height * 1000,
                               static_cast<uint16_t>(r.height % kMembers),
                               static_cast<uint32_t>(block_txs.size()));
    b.txs = std::move(block_txs);
    certs->push_back(Certify(b.header, members));
    Must(scratch->CommitBlock(b, certs->back()), "scratch commit");  // advance the scratch head
    blocks.push_back(std::move(b));
  }
  return blocks;
}

// Phase 3: the same number of log bytes per block, raw.
Timing RawWrites(const std::string& path, const std::vector<Block>& blocks, uint64_t log_bytes_per_block,
                 CountingEnv* env) {
  leveldb::Options lo;
  lo.create_if_missing = true;
  lo.env = env;
  lo.write_buffer_size = DbOptions{}.write_buffer_bytes;  // as the store's
  leveldb::DB* raw = nullptr;
  if (!leveldb::DB::Open(lo, path, &raw).ok()) Die("open raw leveldb at " + path);
  std::unique_ptr<leveldb::DB> db(raw);
  leveldb::WriteOptions wo;
  wo.sync = true;
  Timing t;
  for (const Block& b : blocks) {
    leveldb::WriteBatch batch;
    for (const Transaction& tx : b.txs) {
      const Bytes bytes = tx.Encode();
      batch.Put(leveldb::Slice(reinterpret_cast<const char*>(tx.id().bytes.data()), 32),
                leveldb::Slice(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    }
    const size_t have = batch.ApproximateSize();
    if (have < log_bytes_per_block) batch.Put("filler " + std::to_string(b.header.height), std::string(log_bytes_per_block - have, 'f'));
    const auto t0 = std::chrono::steady_clock::now();
    if (!db->Write(wo, &batch).ok()) Die("raw write");
    t.Add(std::chrono::steady_clock::now() - t0);
  }
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = ParseArgs(argc, argv);
  const std::string base = o.dir + "/hearth-bench-store-" + std::to_string(::getpid());
  std::filesystem::create_directories(base);
  const PrivateKey issuer = Must(PrivateKey::Generate(Suite::kEd25519Sha256), "keygen");
  std::vector<PrivateKey> members;
  for (size_t i = 0; i < kMembers; ++i) members.push_back(Must(PrivateKey::Generate(Suite::kEd25519Sha256), "keygen"));
  const Hash32 genesis = SuiteHash(Suite::kEd25519Sha256, AsBytes("bench genesis"));

  std::printf("bench_store: %llu blocks x %zu signed attestations, synced, in %s\n",
              static_cast<unsigned long long>(o.blocks), o.txs, base.c_str());
  Timing preview;
  std::vector<CommitCertificate> certs;
  const std::vector<Block> blocks =
      BuildBlocks(base + "/scratch", genesis, MakeTxs(o, issuer), members, &preview, &certs);

  CountingEnv store_env;
  Timing commit;
  {
    auto store = OpenStore(base + "/store", genesis, &store_env);
    const uint64_t bytes_before = store_env.log_bytes();
    for (size_t i = 0; i < blocks.size(); ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      Must(store->CommitBlock(blocks[i], certs[i]), "commit");
      commit.Add(std::chrono::steady_clock::now() - t0);
    }
    const uint64_t per_block = (store_env.log_bytes() - bytes_before) / blocks.size();
    CountingEnv raw_env;
    Timing raw = RawWrites(base + "/raw", blocks, per_block, &raw_env);
    const double attestations = static_cast<double>(o.blocks * o.txs);
    const double n = static_cast<double>(o.blocks);
    std::printf("  store batch            %10.1f KiB per block in LevelDB's log (raw: %.1f KiB)\n",
                static_cast<double>(per_block) / 1024, static_cast<double>(raw_env.log_bytes()) / n / 1024);
    std::printf("  preview roots          %10.2f ms per block (median %.2f)\n", preview.total_s * 1e3 / n, preview.MedianMs());
    std::printf("  commit (store)         %10.1f blocks/s %12.0f attestations/s  median %.2f ms/block\n",
                n / commit.total_s, attestations / commit.total_s, commit.MedianMs());
    std::printf("  raw synced write       %10.1f blocks/s %12.0f attestations/s  median %.2f ms/block\n",
                n / raw.total_s, attestations / raw.total_s, raw.MedianMs());
    std::printf("  store/raw throughput   %10.2f\n", raw.total_s / commit.total_s);
  }
  std::error_code ec;
  std::filesystem::remove_all(base, ec);
  return 0;
}
