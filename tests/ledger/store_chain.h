// store_chain.h: builds chains of real signed blocks for the block store tests, and keeps
// the tests' own model of what was committed (to check the store against).
//
// Everything derives from one seed (printed by the tests): the random subjects, months
// and amounts. Keys are generated per TestChain (signatures differ between runs, ids do
// not depend on them). Thread-safety: none; one test thread.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "hearth/ledger/auth_index.h"
#include "hearth/ledger/block.h"
#include "hearth/ledger/crypto.h"
#include "hearth/ledger/index_keys.h"
#include "hearth/ledger/merkle.h"
#include "hearth/ledger/records.h"
#include "hearth/ledger/store.h"
#include "hearth/ledger/transaction.h"

namespace hearth::testing {

inline constexpr uint64_t kChainTimeMs = 1'709'280'000'000ULL;  // 2024-03-01T08:00:00Z
inline constexpr size_t kChainMembers = 4;                     // n = 3f+1, f = 1
inline constexpr size_t kChainVotes = 3;                       // 2f+1

class TestChain {
 public:
  explicit TestChain(uint64_t seed, std::string chain_id = "store-test")
      : chain_id_(std::move(chain_id)), rng_(seed) {
    genesis_ = SuiteHash(suite_, AsBytes("genesis of " + chain_id_ + " " + std::to_string(seed)));
    for (int i = 0; i < 2; ++i) issuers_.push_back(Generate());
    for (size_t i = 0; i < kChainMembers; ++i) members_.push_back(Generate());
    // A small subject pool, so later blocks file under keys earlier blocks used.
    for (int i = 0; i < 6; ++i) {
      subjects_.push_back(SuiteHash(suite_, AsBytes("subject " + std::to_string(seed) + "/" + std::to_string(i))));
    }
  }

  Suite suite() const { return suite_; }
  const std::string& chain_id() const { return chain_id_; }
  const Hash32& genesis() const { return genesis_; }

  Transaction Attestation() {
    hearth::Attestation a;
    a.subject = subjects_[Uniform(subjects_.size())];
    a.category = Category::kWage;
    a.first_month = 202301 + static_cast<uint32_t>(Uniform(12));
    a.last_month = a.first_month + static_cast<uint32_t>(Uniform(3));  // stays within 2023
    if (a.last_month > 202312) a.last_month = 202312;
    a.amount_fen = static_cast<int64_t>(Uniform(1'000'000));
    return Sign(a, issuers_[Uniform(issuers_.size())]);
  }

  Transaction Household() {
    HouseholdDeclaration h;
    h.household = SuiteHash(suite_, AsBytes("household " + std::to_string(Uniform(3))));
    h.members = {subjects_[0], subjects_[1]};
    std::sort(h.members.begin(), h.members.end());
    h.effective_from = 202301;
    return Sign(h, issuers_[0]);
  }

  // n transactions, mostly attestations (each filed under 1-3 subject-month keys).
  std::vector<Transaction> Txs(size_t n) {
    std::vector<Transaction> txs;
    for (size_t i = 0; i < n; ++i) txs.push_back(Uniform(5) == 0 ? Household() : Attestation());
    return txs;
  }

  Block MakeBlock(const BlockRoots& roots, std::vector<Transaction> txs) {
    Block b;
    b.header = HeaderFromRoots(roots, suite_, chain_id_, kChainTimeMs + roots.height * 1000,
                               static_cast<uint16_t>(roots.height % kChainMembers),
                               static_cast<uint32_t>(txs.size()));
    b.txs = std::move(txs);
    return b;
  }

  // A certificate with real precommit signatures of the first 2f+1 members.
  CommitCertificate Certify(const BlockHeader& h) {
    CommitCertificate c;
    c.height = h.height;
    c.round = 0;
    c.block_hash = BlockHash(h);
    for (size_t m = 0; m < kChainVotes; ++m) {
      auto sig = SignPrecommit(members_[m], chain_id_, h.height, c.round, c.block_hash);
      REQUIRE(sig.ok());
      c.votes.push_back({static_cast<uint16_t>(m), *sig});
    }
    return c;
  }

  std::vector<PublicKey> MemberKeys() const {
    std::vector<PublicKey> keys;
    for (const auto& k : members_) keys.push_back(k.public_key());
    return keys;
  }

 private:
  PrivateKey Generate() {
    auto k = PrivateKey::Generate(suite_);
    REQUIRE(k.ok());
    return *k;
  }
  uint64_t Uniform(uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng_); }
  template <typename Payload>
  Transaction Sign(const Payload& payload, const PrivateKey& key) {
    TxBody body;
    body.suite = suite_;
    body.chain_id = chain_id_;
    body.issued_at_ms = kChainTimeMs;
    body.nonce = next_nonce_++;
    body.payload = payload;
    auto tx = Transaction::Sign(std::move(body), key);
    INFO(tx.status().ToString());
    REQUIRE(tx.ok());
    return *tx;
  }

  Suite suite_ = Suite::kEd25519Sha256;
  std::string chain_id_;
  std::mt19937_64 rng_;
  Hash32 genesis_;
  std::vector<PrivateKey> issuers_;
  std::vector<PrivateKey> members_;
  std::vector<Hash32> subjects_;
  uint64_t next_nonce_ = 0;
};

// The tests' own record of the committed chain.
struct ChainModel {
  std::vector<Block> blocks;  // blocks[h - 1] is height h
  std::vector<CommitCertificate> certs;
  std::vector<Hash32> leaf_hashes;  // the log, RFC 9162 leaf hashes of tx ids

  uint64_t height() const { return blocks.size(); }
  void Add(Suite suite, const Block& b, const CommitCertificate& c) {
    blocks.push_back(b);
    certs.push_back(c);
    for (const auto& tx : b.txs) leaf_hashes.push_back(merkle::LeafHash(suite, tx.id().view()));
  }
  // Every index key hash used up to `height`, with its list of ids in log order.
  std::map<Hash32, std::vector<Hash32>> ListsAt(Suite suite, uint64_t height) const {
    std::map<Hash32, std::vector<Hash32>> lists;
    for (uint64_t h = 0; h < height; ++h) {
      for (const auto& tx : blocks[h].txs) {
        for (const Hash32& key : IndexKeysOf(suite, tx)) lists[key].push_back(tx.id());
      }
    }
    return lists;
  }
};

// Builds the next block over `store`'s head with `n` fresh transactions and commits it.
// Returns the commit status; on OK the block is added to `model`.
inline Status CommitNext(BlockStore& store, TestChain& chain, ChainModel& model, size_t n) {
  std::vector<Transaction> txs = chain.Txs(n);
  auto roots = store.PreviewRoots(txs);
  if (!roots.ok()) return roots.status();
  Block block = chain.MakeBlock(*roots, std::move(txs));
  CommitCertificate cert = chain.Certify(block.header);
  Status s = store.CommitBlock(block, cert);
  if (s.ok()) model.Add(chain.suite(), block, cert);
  return s;
}

// ---- Checks of a store against the model (every read, every proof) ----

inline void CheckHead(const BlockStore& store, const TestChain& chain, const ChainModel& model) {
  const ChainHead head = store.head();
  REQUIRE(head.height == model.height());
  CHECK(head.log_size == model.leaf_hashes.size());
  CHECK(head.log_root == merkle::RootOf(chain.suite(), model.leaf_hashes));  // independent
  if (model.height() == 0) {
    CHECK(head.block_hash == chain.genesis());
    return;
  }
  const BlockHeader& last = model.blocks.back().header;
  CHECK(head.block_hash == BlockHash(last));
  CHECK(head.log_root == last.log_root);
  CHECK(head.index_root == last.index_root);
}

inline void CheckBlocksAndTxs(const BlockStore& store, const TestChain& chain, const ChainModel& model) {
  const auto members = chain.MemberKeys();
  uint64_t log_index = 0;
  for (uint64_t h = 1; h <= model.height(); ++h) {
    INFO("height " << h);
    const Block& want = model.blocks[h - 1];
    auto header = store.Header(h);
    REQUIRE(header.ok());
    CHECK(*header == want.header);
    auto block = store.GetBlock(h);
    REQUIRE(block.ok());
    CHECK(*block == want);
    auto cert = store.Certificate(h);
    REQUIRE(cert.ok());
    CHECK(*cert == model.certs[h - 1]);
    CHECK(VerifyCommit(*header, *cert, members, 1).ok());
    for (uint32_t pos = 0; pos < want.txs.size(); ++pos, ++log_index) {
      auto stored = store.GetTx(want.txs[pos].id());
      REQUIRE(stored.ok());
      CHECK(stored->tx == want.txs[pos]);
      CHECK(stored->location == TxLocation{h, pos, log_index});
      auto leaf = store.LogLeafHash(log_index);
      REQUIRE(leaf.ok());
      CHECK(*leaf == model.leaf_hashes[log_index]);
    }
  }
  CHECK(store.Header(model.height() + 1).status().code() == Code::kNotFound);
  CHECK(store.Header(0).status().code() == Code::kNotFound);
  CHECK(store.GetTx(SuiteHash(chain.suite(), AsBytes("never committed"))).status().code() == Code::kNotFound);
}

inline void CheckLogProofs(const BlockStore& store, const TestChain& chain, const ChainModel& model) {
  const Suite suite = chain.suite();
  for (const Block& b : model.blocks) {
    const BlockHeader& h = b.header;
    // Every leaf up to this block, against this block's (checkpoint's) log root.
    for (uint64_t i = 0; i < h.log_size; ++i) {
      auto proof = store.InclusionProof(i, h.log_size);
      REQUIRE(proof.ok());
      INFO("leaf " << i << " at size " << h.log_size);
      CHECK(merkle::VerifyInclusion(suite, model.leaf_hashes[i], i, h.log_size, h.log_root, *proof).ok());
    }
    for (const Block& later : model.blocks) {
      const BlockHeader& h2 = later.header;
      if (h.log_size == 0 || h2.height < h.height) continue;
      auto proof = store.ConsistencyProof(h.log_size, h2.log_size);
      REQUIRE(proof.ok());
      CHECK(merkle::VerifyConsistency(suite, h.log_size, h.log_root, h2.log_size, h2.log_root, *proof).ok());
    }
  }
  CHECK(store.InclusionProof(0, model.leaf_hashes.size() + 1).status().code() == Code::kOutOfRange);
}

inline void CheckIndexProofs(const BlockStore& store, const TestChain& chain, const ChainModel& model) {
  const Suite suite = chain.suite();
  const Hash32 absent_key = SuiteHash(suite, AsBytes("a key nothing is filed under"));
  for (uint64_t h = 1; h <= model.height(); ++h) {
    const Hash32& root = model.blocks[h - 1].header.index_root;
    for (const auto& [key, ids] : model.ListsAt(suite, h)) {
      auto entry = store.ProveIndex(key, h);
      REQUIRE(entry.ok());
      INFO("height " << h << " key " << key.Hex());
      CHECK(entry->root == root);
      CHECK(entry->ids == ids);
      CHECK(VerifyIndexEntry(suite, root, key, entry->ids, entry->proof).ok());
      // The same list from the entries alone, each with the location the tx index holds.
      auto listed = store.IndexList(key, h);
      REQUIRE(listed.ok());
      CHECK(listed->ids == ids);
      REQUIRE(listed->locations.size() == ids.size());
      CHECK(entry->locations == listed->locations);
      for (size_t i = 0; i < ids.size(); ++i) {
        CHECK(store.LocateTx(ids[i]).value() == listed->locations[i]);
        auto at = store.GetTxAt(ids[i], listed->locations[i]);
        REQUIRE(at.ok());
        CHECK(at->tx.id() == ids[i]);
      }
    }
    auto absent = store.ProveIndex(absent_key, h);
    REQUIRE(absent.ok());
    CHECK(absent->ids.empty());
    CHECK(store.IndexList(absent_key, h)->ids.empty());
    CHECK(VerifyIndexEntry(suite, root, absent_key, {}, absent->proof).ok());
  }
}

inline void CheckAll(const BlockStore& store, const TestChain& chain, const ChainModel& model) {
  CheckHead(store, chain, model);
  CheckBlocksAndTxs(store, chain, model);
  CheckLogProofs(store, chain, model);
  CheckIndexProofs(store, chain, model);
}

}  // namespace hearth::testing
