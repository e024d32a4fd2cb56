// bench_crypto: sign/s, verify/s and hash/s of both suites through Hearth's API, each against
// a raw OpenSSL EVP loop on the same key and bytes, measured in the same run.
//
// The raw loops are what a careful caller would write by hand: a fresh EVP_MD_CTX per
// signature (as ours does), SM3 fetched once, the SM2 user id set. "ours/raw" near 1.0 means
// the API adds nothing; the N-thread verify rate is the "verifies/s x cores" bound that the
// ingest benchmarks compare against.
//
// Usage: bench_crypto [--seconds=S] [--reps=R] [--threads=N] [--bytes=B]
//   --seconds  time per repetition of one measurement (default 0.4)
//   --reps     repetitions; the median is printed (default 3)
//   --threads  threads for the parallel verify rows (default hardware_concurrency)
//   --bytes    message size (default 300)
// Default run: 28 measurements x 3 reps x 0.4 s, about 34 s.
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "hearth/ledger/crypto.h"

using namespace hearth;

namespace {

constexpr std::string_view kCtx = "hearth/attestation/v1";
constexpr std::string_view kChain = "bench-chain";
constexpr int kBatch = 16;  // operations between clock reads
constexpr int kThreadsMax = 256;

struct Options {
  double seconds = 0.4;
  int reps = 3;
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  size_t bytes = 300;
};

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "bench_crypto: %s\n", why.c_str());
  std::exit(1);
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&](std::string_view flag) -> const char* {
      return a.substr(0, flag.size()) == flag ? argv[i] + flag.size() : nullptr;
    };
    if (const char* v = value("--seconds=")) o.seconds = std::atof(v);
    else if (const char* r = value("--reps=")) o.reps = std::atoi(r);
    else if (const char* t = value("--threads=")) o.threads = std::atoi(t);
    else if (const char* b = value("--bytes=")) o.bytes = static_cast<size_t>(std::atol(b));
    else Die("unknown argument " + std::string(a) + " (see the header of bench/crypto.cc)");
  }
  if (o.seconds <= 0 || o.reps < 1 || o.threads < 1 || o.threads > kThreadsMax) {
    Die("bad --seconds, --reps or --threads");
  }
  return o;
}

// Runs `op` in batches on `threads` threads for `seconds`; returns operations per second.
double RatePerSecond(const std::function<void()>& op, int threads, double seconds) {
  using Clock = std::chrono::steady_clock;
  std::atomic<long> total{0};
  auto worker = [&] {
    long n = 0;
    auto start = Clock::now();
    auto end = start + std::chrono::duration<double>(seconds);
    while (Clock::now() < end) {
      for (int i = 0; i < kBatch; ++i) op();
      n += kBatch;
    }
    total += n;
  };
  auto start = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  return static_cast<double>(total.load()) / elapsed;
}

// Median of `reps` runs of each, interleaved so drift (turbo, noisy neighbours) hits both.
std::pair<double, double> MedianPair(const Options& o, int threads, const std::function<void()>& a,
                                     const std::function<void()>& b) {
  std::vector<double> ra, rb;
  for (int r = 0; r < o.reps; ++r) {
    ra.push_back(RatePerSecond(a, threads, o.seconds));
    rb.push_back(RatePerSecond(b, threads, o.seconds));
  }
  std::sort(ra.begin(), ra.end());
  std::sort(rb.begin(), rb.end());
  return {ra[ra.size() / 2], rb[rb.size() / 2]};
}

void Row(const char* what, Suite suite, int threads, std::pair<double, double> rates) {
  std::printf("%-26s %-15s %7d %14.0f %14.0f %9.2f\n", what, std::string(SuiteName(suite)).c_str(),
              threads, rates.first, rates.second, rates.first / rates.second);
  std::fflush(stdout);
}

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

PkeyPtr LoadRaw(const std::string& pem, bool is_private) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* k = is_private ? PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr)
                           : PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (k == nullptr) Die("raw PEM load failed");
  return PkeyPtr(k);
}

// One raw EVP sign or verify with a fresh context, as a hand-written caller would do it.
bool RawSignOrVerify(Suite suite, const EVP_MD* sm3, EVP_PKEY* pkey, bool sign, const Bytes& tbs,
                     Bytes* sig) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  const EVP_MD* md = suite == Suite::kSm2Sm3 ? sm3 : nullptr;
  bool ok = (sign ? EVP_DigestSignInit(ctx, &pctx, md, nullptr, pkey)
                  : EVP_DigestVerifyInit(ctx, &pctx, md, nullptr, pkey)) == 1;
  if (ok && suite == Suite::kSm2Sm3) {
    ok = EVP_PKEY_CTX_set1_id(pctx, kSm2UserId.data(), static_cast<int>(kSm2UserId.size())) == 1;
  }
  if (ok && sign) {
    size_t len = sig->size();
    ok = EVP_DigestSign(ctx, sig->data(), &len, tbs.data(), tbs.size()) == 1;
  } else if (ok) {
    ok = EVP_DigestVerify(ctx, sig->data(), sig->size(), tbs.data(), tbs.size()) == 1;
  }
  EVP_MD_CTX_free(ctx);
  return ok;
}

void BenchSuite(const Options& o, Suite suite, const EVP_MD* sm3) {
  Result<PrivateKey> key = PrivateKey::Generate(suite);
  if (!key.ok()) Die(key.status().ToString());
  const PublicKey& pub = key->public_key();
  Bytes msg(o.bytes);
  for (size_t i = 0; i < msg.size(); ++i) msg[i] = static_cast<uint8_t>(i * 131 + 7);
  Bytes tbs = SigningBytes(kCtx, kChain, msg);
  Result<std::string> priv_pem = key->ToPem();
  Result<std::string> pub_pem = pub.ToPem();
  if (!priv_pem.ok() || !pub_pem.ok()) Die("PEM encoding failed");
  PkeyPtr raw_priv = LoadRaw(*priv_pem, true);
  PkeyPtr raw_pub = LoadRaw(*pub_pem, false);
  Result<Bytes> sig = key->Sign(kCtx, kChain, msg);
  if (!sig.ok()) Die(sig.status().ToString());

  std::atomic<long> failures{0};
  auto ours_sign = [&] {
    if (!key->Sign(kCtx, kChain, msg).ok()) ++failures;
  };
  auto raw_sign = [&] {
    Bytes out(kSignatureBytesMax);
    if (!RawSignOrVerify(suite, sm3, raw_priv.get(), true, tbs, &out)) ++failures;
  };
  auto ours_verify = [&] {
    if (!pub.Verify(kCtx, kChain, msg, *sig).ok()) ++failures;
  };
  auto raw_verify = [&] {
    Bytes s = *sig;
    if (!RawSignOrVerify(suite, sm3, raw_pub.get(), false, tbs, &s)) ++failures;
  };
  Row("sign", suite, 1, MedianPair(o, 1, ours_sign, raw_sign));
  Row("verify", suite, 1, MedianPair(o, 1, ours_verify, raw_verify));
  Row("verify (all threads)", suite, o.threads, MedianPair(o, o.threads, ours_verify, raw_verify));
  if (failures.load() != 0) Die("a sign or verify failed during the benchmark");
}

// Ed25519 signatures verified together (crypto.h VerifyBatch): signatures per second for
// batches of N distinct messages signed by four keys (the four agencies), against OpenSSL's
// one-by-one verify of one of them.
void BenchBatch(const Options& o) {
  constexpr Suite kSuite = Suite::kEd25519Sha256;
  std::vector<PrivateKey> keys;
  for (int i = 0; i < 4; ++i) {
    Result<PrivateKey> k = PrivateKey::Generate(kSuite);
    if (!k.ok()) Die(k.status().ToString());
    keys.push_back(*k);
  }
  constexpr size_t kMaxN = 256;
  std::vector<Bytes> msgs(kMaxN), sigs(kMaxN);
  for (size_t i = 0; i < kMaxN; ++i) {
    msgs[i].resize(o.bytes);
    for (size_t j = 0; j < o.bytes; ++j) msgs[i][j] = static_cast<uint8_t>(i * 31 + j * 131 + 7);
    Result<Bytes> sig = keys[i % keys.size()].Sign(kCtx, kChain, msgs[i]);
    if (!sig.ok()) Die(sig.status().ToString());
    sigs[i] = *sig;
  }
  Result<std::string> pub_pem = keys[0].public_key().ToPem();
  if (!pub_pem.ok()) Die("PEM encoding failed");
  PkeyPtr raw_pub = LoadRaw(*pub_pem, false);
  const Bytes tbs = SigningBytes(kCtx, kChain, msgs[0]);
  std::atomic<long> failures{0};
  auto raw_verify = [&] {
    Bytes s = sigs[0];
    if (!RawSignOrVerify(kSuite, nullptr, raw_pub.get(), false, tbs, &s)) ++failures;
  };
  for (auto [n, threads] : {std::pair<size_t, int>{16, 1}, {64, 1}, {128, 1}, {256, 1},
                            {128, o.threads}}) {
    std::vector<SignatureCheck> checks;
    for (size_t i = 0; i < n; ++i) {
      checks.push_back(SignatureCheck{&keys[i % keys.size()].public_key(), kCtx, kChain, msgs[i],
                                      sigs[i]});
    }
    auto batch = [&] {
      for (const Status& st : VerifyBatch(checks)) {
        if (!st.ok()) ++failures;
      }
    };
    std::pair<double, double> r = MedianPair(o, threads, batch, raw_verify);
    r.first *= static_cast<double>(n);
    const std::string what = "verify batch of " + std::to_string(n);
    Row(what.c_str(), kSuite, threads, r);
  }
  if (failures.load() != 0) Die("a batch verify failed during the benchmark");
}

void BenchHash(const Options& o, Suite suite) {
  const EVP_MD* md = EVP_MD_fetch(nullptr, suite == Suite::kSm2Sm3 ? "SM3" : "SHA256", nullptr);
  if (md == nullptr) Die("digest fetch failed");
  Bytes data(o.bytes, 0x5a);
  std::atomic<unsigned> sink{0};
  auto ours = [&] { sink += SuiteHash(suite, data).bytes[0]; };
  auto raw_oneshot = [&] {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), out, &len, md, nullptr) != 1) Die("EVP_Digest");
    sink += out[0];
  };
  EVP_MD_CTX* reused = EVP_MD_CTX_new();  // one thread: the hash rows run single-threaded
  if (reused == nullptr) Die("EVP_MD_CTX_new");
  auto raw_reused = [&] {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_DigestInit_ex2(reused, md, nullptr) != 1 ||
        EVP_DigestUpdate(reused, data.data(), data.size()) != 1 ||
        EVP_DigestFinal_ex(reused, out, &len) != 1) {
      Die("EVP digest");
    }
    sink += out[0];
  };
  std::string what = "hash " + std::to_string(o.bytes) + " B vs EVP_Digest";
  Row(what.c_str(), suite, 1, MedianPair(o, 1, ours, raw_oneshot));
  what = "hash " + std::to_string(o.bytes) + " B vs reused ctx";
  Row(what.c_str(), suite, 1, MedianPair(o, 1, ours, raw_reused));
  EVP_MD_CTX_free(reused);
  EVP_MD_free(const_cast<EVP_MD*>(md));
}

}  // namespace

int main(int argc, char** argv) {
  Options o = ParseArgs(argc, argv);
  const EVP_MD* sm3 = EVP_MD_fetch(nullptr, "SM3", nullptr);
  if (sm3 == nullptr) Die("SM3 unavailable");
  std::printf("bench_crypto: message %zu bytes, %d reps x %.2f s per measurement (median), "
              "%d threads for parallel rows, %s\n\n",
              o.bytes, o.reps, o.seconds, o.threads, OpenSSL_version(OPENSSL_VERSION));
  std::printf("%-26s %-15s %7s %14s %14s %9s\n", "operation", "suite", "threads", "ours/s",
              "raw EVP/s", "ours/raw");
  std::printf("%s\n", std::string(90, '-').c_str());
  for (Suite suite : {Suite::kEd25519Sha256, Suite::kSm2Sm3}) BenchSuite(o, suite, sm3);
  BenchBatch(o);
  for (Suite suite : {Suite::kEd25519Sha256, Suite::kSm2Sm3}) BenchHash(o, suite);
  std::printf("\n\"verify (all threads)\" ours/s is the verifies/s x cores bound for this machine.\n"
              "\"verify batch of N\": signatures/s of crypto.h VerifyBatch against OpenSSL's "
              "one-by-one verify.\n");
  EVP_MD_free(const_cast<EVP_MD*>(sm3));
  return 0;
}
