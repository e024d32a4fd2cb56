// VerifyInBatches (node/src/node_internal.h): the signatures of admission and of proposals,
// checked in batches over the verify pool, answer per transaction exactly what
// Transaction::VerifySignature answers, wherever the bad ones fall among the batches.
#include <boost/asio/thread_pool.hpp>
#include <catch2/catch.hpp>
#include <set>
#include <vector>

#include "../ledger/record_samples.h"
#include "../node/src/node_internal.h"

using namespace hearth;
using namespace hearth::samples;

TEST_CASE("VerifyInBatches: bad signatures and wrong keys anywhere among the batches, and only "
          "they, fail, with VerifySignature's own status") {
  const PrivateKey tax = IssuerKey();
  const PrivateKey civil = CivilAffairsKey();
  std::vector<Transaction> txs;
  std::vector<PublicKey> keys;
  for (uint64_t i = 0; i < 700; ++i) {
    if (i % 3 == 0) {
      txs.push_back(SignedTx(SampleConsent(), i + 1));
      keys.push_back(civil.public_key());
    } else {
      txs.push_back(SignedTx(SampleAttestation(), i + 1));
      keys.push_back(tax.public_key());
    }
  }
  // Tampered signatures on batch edges (128 per batch) and in the middle, and a wrong key.
  const std::set<size_t> bad = {0, 127, 128, 300, 301, 699};
  for (size_t i : bad) {
    if (i == 301) {
      keys[i] = keys[i].raw() == tax.public_key().raw() ? civil.public_key() : tax.public_key();
      continue;
    }
    Bytes sig = txs[i].signature();
    sig[static_cast<size_t>(i) % sig.size()] ^= 0x10;
    Result<Transaction> t = Transaction::FromParts(txs[i].body(), sig);
    REQUIRE(t.ok());
    txs[i] = *t;
  }
  std::vector<const Transaction*> tx_ptrs;
  std::vector<const PublicKey*> key_ptrs;
  for (size_t i = 0; i < txs.size(); ++i) {
    tx_ptrs.push_back(&txs[i]);
    key_ptrs.push_back(&keys[i]);
  }
  boost::asio::thread_pool pool(2);
  for (size_t workers : {size_t{1}, size_t{2}, size_t{8}}) {
    for (size_t n : {size_t{1}, size_t{7}, size_t{129}, txs.size()}) {
      CAPTURE(workers, n);
      std::vector<Status> got = node::VerifyInBatches(
          pool, workers, std::span<const Transaction* const>(tx_ptrs).first(n),
          std::span<const PublicKey* const>(key_ptrs).first(n));
      REQUIRE(got.size() == n);
      for (size_t i = 0; i < n; ++i) {
        CAPTURE(i);
        CHECK(got[i].ok() == (bad.count(i) == 0));
        CHECK(got[i].ToString() == txs[i].VerifySignature(keys[i]).ToString());
      }
    }
  }
  pool.join();
}
