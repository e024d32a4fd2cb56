// bench_codec: the cost of Hearth's canonical codec per record, against the physical limit
// measured in the same run.
//
//   encode+id     EncodeTxBody + SuiteHash of a realistic attestation   vs raw SHA-256 (EVP)
//                 of the same bytes: "ours/raw" near 1 means encoding costs little next to
//                 hashing.
//   decode        Transaction::Decode (parse, validate, id hash)       vs the same raw SHA-256
//   sign          Transaction::Sign                                     vs raw EVP Ed25519 sign
//   verify        Transaction::VerifySignature                         vs raw EVP Ed25519
//                 verify of the same byte count (the bench_crypto notion of the limit)
//   block decode  DecodeBlock of kBlockTxs attestations, per transaction vs raw SHA-256
//
// Usage: bench_codec [--seconds=S] [--reps=R] [--block-txs=N]
//   defaults 0.3 s per repetition, 3 repetitions (median printed), 1000-tx blocks; ~15 s.
#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hearth/ledger/block.h"
#include "hearth/ledger/crypto.h"
#include "hearth/ledger/transaction.h"

using namespace hearth;

namespace {

constexpr std::string_view kChain = "bench-chain";
constexpr int kBatch = 16;  // operations between clock reads

struct Options {
  double seconds = 0.3;
  int reps = 3;
  int block_txs = 1000;
};

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "bench_codec: %s\n", why.c_str());
  std::exit(1);
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&](std::string_view flag) -> const char* {
      return a.substr(0, flag.size()) == flag ? argv[i] + flag.size() : nullptr;
    };
    if (const char* v = value("--seconds=")) {
      o.seconds = std::atof(v);
    } else if (const char* r = value("--reps=")) {
      o.reps = std::atoi(r);
    } else if (const char* b = value("--block-txs=")) {
      o.block_txs = std::atoi(b);
    } else {
      Die("unknown argument " + std::string(a) +
          " (usage: bench_codec [--seconds=S] [--reps=R] [--block-txs=N])");
    }
  }
  if (o.seconds <= 0 || o.reps < 1 || o.block_txs < 1 ||
      o.block_txs > static_cast<int>(kBlockTxsMax)) {
    Die("bad arguments");
  }
  return o;
}

// Operations per second of `op`, the median of `reps` runs of `seconds` each.
double Rate(const Options& o, const std::function<void()>& op) {
  std::vector<double> rates;
  for (int r = 0; r < o.reps; ++r) {
    const auto start = std::chrono::steady_clock::now();
    const auto until = start + std::chrono::duration<double>(o.seconds);
    uint64_t n = 0;
    auto now = start;
    while (now < until) {
      for (int i = 0; i < kBatch; ++i) op();
      n += kBatch;
      now = std::chrono::steady_clock::now();
    }
    rates.push_back(static_cast<double>(n) / std::chrono::duration<double>(now - start).count());
  }
  std::sort(rates.begin(), rates.end());
  return rates[rates.size() / 2];
}

void Row(const char* what, double ours, double raw, const char* limit) {
  std::printf("%-34s %12.0f /s   %-30s %12.0f /s   ours/raw %.2f\n", what, ours, limit, raw,
              ours / raw);
}

Attestation Realistic(int i) {
  Attestation a;
  a.subject = SuiteHash(Suite::kEd25519Sha256, AsBytes("subject " + std::to_string(i)));
  a.category = Category::kWage;
  a.first_month = 202401;
  a.last_month = 202401;
  a.amount_fen = 512'300 + i;
  a.attributes = {{"employer_kind", "private"}, {"source", "monthly_feed"}};
  return a;
}

TxBody BodyOf(int i, const PrivateKey& key) {
  TxBody b;
  b.chain_id = std::string(kChain);
  b.signer = key.public_key().Id();
  b.issued_at_ms = 1'709'280'000'000ULL;
  b.nonce = static_cast<uint64_t>(i);
  b.payload = Realistic(i);
  return b;
}

struct EvpMdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct EvpPkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};

}  // namespace

int main(int argc, char** argv) {
  const Options o = ParseArgs(argc, argv);
  uint8_t seed[32] = {7};
  Result<PrivateKey> key_r = PrivateKey::Ed25519FromSeed(ByteView(seed, 32));
  if (!key_r.ok()) Die(key_r.status().ToString());
  const PrivateKey key = *key_r;
  const TxBody body = BodyOf(1, key);
  Result<Transaction> tx_r = Transaction::Sign(body, key);
  if (!tx_r.ok()) Die(tx_r.status().ToString());
  const Transaction tx = *tx_r;
  const Bytes encoded = tx.Encode();
  const Bytes signing = SigningBytes(SigningContext(tx.kind()), kChain, tx.body_bytes());
  std::printf("bench_codec: attestation body %zu bytes, transaction %zu bytes, signed %zu bytes\n",
              tx.body_bytes().size(), encoded.size(), signing.size());

  // Raw limits: EVP SHA-256 one-shot; EVP Ed25519 sign/verify on the same seed and bytes.
  EVP_MD* sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  std::unique_ptr<EVP_PKEY, EvpPkeyFree> pkey(
      EVP_PKEY_new_raw_private_key_ex(nullptr, "ED25519", nullptr, seed, 32));
  if (sha256 == nullptr || pkey == nullptr) Die("OpenSSL setup failed");
  volatile uint8_t sink = 0;
  auto raw_hash = [&](ByteView b) {
    unsigned char out[32];
    unsigned int len = 0;
    if (EVP_Digest(b.data(), b.size(), out, &len, sha256, nullptr) != 1) Die("EVP_Digest");
    sink = static_cast<uint8_t>(sink ^ out[0]);
  };
  Bytes raw_sig(64);
  auto raw_sign = [&] {
    std::unique_ptr<EVP_MD_CTX, EvpMdCtxFree> ctx(EVP_MD_CTX_new());
    size_t len = raw_sig.size();
    if (EVP_DigestSignInit_ex(ctx.get(), nullptr, nullptr, nullptr, nullptr, pkey.get(), nullptr) != 1 ||
        EVP_DigestSign(ctx.get(), raw_sig.data(), &len, signing.data(), signing.size()) != 1) {
      Die("raw sign");
    }
  };
  raw_sign();
  auto raw_verify = [&] {
    std::unique_ptr<EVP_MD_CTX, EvpMdCtxFree> ctx(EVP_MD_CTX_new());
    if (EVP_DigestVerifyInit_ex(ctx.get(), nullptr, nullptr, nullptr, nullptr, pkey.get(), nullptr) != 1 ||
        EVP_DigestVerify(ctx.get(), raw_sig.data(), raw_sig.size(), signing.data(), signing.size()) != 1) {
      Die("raw verify");
    }
  };

  const double hash_body = Rate(o, [&] { raw_hash(tx.body_bytes()); });
  const double encode_id = Rate(o, [&] {
    const Bytes b = EncodeTxBody(body);
    sink = static_cast<uint8_t>(sink ^ SuiteHash(body.suite, b).bytes[0]);
  });
  Row("encode + id (attestation)", encode_id, hash_body, "raw SHA-256 of the body");
  const double decode = Rate(o, [&] {
    Result<Transaction> t = Transaction::Decode(encoded);
    if (!t.ok()) Die(t.status().ToString());
  });
  Row("decode (parse+validate+id)", decode, hash_body, "raw SHA-256 of the body");
  const double sign = Rate(o, [&] {
    Result<Transaction> t = Transaction::Sign(body, key);
    if (!t.ok()) Die(t.status().ToString());
  });
  Row("sign (encode+id+Ed25519)", sign, Rate(o, raw_sign), "raw EVP Ed25519 sign");
  const PublicKey pub = key.public_key();
  const double verify = Rate(o, [&] {
    if (!tx.VerifySignature(pub).ok()) Die("verify");
  });
  Row("verify (Ed25519)", verify, Rate(o, raw_verify), "raw EVP Ed25519 verify");

  Block block;
  for (int i = 0; i < o.block_txs; ++i) {
    Result<Transaction> t = Transaction::Sign(BodyOf(i, key), key);
    if (!t.ok()) Die(t.status().ToString());
    block.txs.push_back(*t);
  }
  block.header.chain_id = std::string(kChain);
  block.header.height = 1;
  block.header.time_ms = 1'709'280'000'000ULL;
  block.header.tx_count = static_cast<uint32_t>(block.txs.size());
  block.header.tx_root = TxRoot(Suite::kEd25519Sha256, std::span<const Transaction>(block.txs));
  block.header.log_size = block.txs.size();
  const Bytes block_bytes = EncodeBlock(block);
  const double block_rate = Rate(o, [&] {
    Result<Block> b = DecodeBlock(block_bytes);
    if (!b.ok()) Die(b.status().ToString());
  });
  std::printf("block: %d txs, %zu bytes\n", o.block_txs, block_bytes.size());
  Row("block decode, per tx", block_rate * o.block_txs, hash_body, "raw SHA-256 of a body");
  EVP_MD_free(sha256);
  return sink == 255 ? 1 : 0;  // keep `sink` observable; practically always 0
}
