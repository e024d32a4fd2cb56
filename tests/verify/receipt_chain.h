// receipt_chain.h: a small real chain for the receipt tests — a BlockStore in a temporary
// folder, blocks with real signed transactions and real commit certificates of a 4-member
// genesis (f = 1), and the verify::Trust of that genesis.
//
// The household: two members, a dibao rule set, a declaration, a consent; tax wage and
// social-security pension (explicit zero) attestations over the look-back window of
// as_of = 202407; a KeyEvent adding a second tax issuer key and an attestation signed by it.
// Correct() commits a correction of member A's wage (a later block), so a check at the old
// checkpoint must still give the old figures.
// Thread-safety: none; one test thread.
#pragma once

#include <catch2/catch.hpp>

#include <stdlib.h>  // mkdtemp

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "hearth/ledger/block.h"
#include "hearth/ledger/crypto.h"
#include "hearth/ledger/records.h"
#include "hearth/ledger/store.h"
#include "hearth/ledger/transaction.h"
#include "hearth/verify/engine.h"
#include "hearth/verify/rules.h"
#include "verify/commit_block.h"
#include "temp_dir.h"

namespace hearth::testing {

inline constexpr uint64_t kReceiptChainTimeMs = 1'722'470'400'000ULL;  // 2024-08-01T00:00Z
inline constexpr uint32_t kAsOf = 202407;
inline constexpr int64_t kWageA = 90'000;   // fen per month
inline constexpr int64_t kWageB = 60'000;
inline constexpr int64_t kWageACorrected = 250'000;

class ReceiptChain {
 public:
  // Fresh keys; the genesis hash is derived from the chain id.
  explicit ReceiptChain(Suite suite, std::string chain_id = "receipt-test")
      : suite_(suite), chain_id_(std::move(chain_id)) {
    std::vector<PrivateKey> node_keys, issuer_keys;
    for (size_t i = 0; i < 4; ++i) {
      node_keys.push_back(Generate());
      issuer_keys.push_back(Generate());
    }
    Init(std::move(node_keys), std::move(issuer_keys),
         SuiteHash(suite_, AsBytes("genesis of " + chain_id_)));
  }
  // Given keys (4 each, members civil affairs, tax, social security, disability federation)
  // and genesis hash, e.g. those of a real genesis file.
  ReceiptChain(Suite suite, std::string chain_id, std::vector<PrivateKey> node_keys,
               std::vector<PrivateKey> issuer_keys, const Hash32& genesis_hash)
      : suite_(suite), chain_id_(std::move(chain_id)) {
    Init(std::move(node_keys), std::move(issuer_keys), genesis_hash);
  }

 private:
  void Init(std::vector<PrivateKey> node_keys, std::vector<PrivateKey> issuer_keys,
            const Hash32& genesis_hash) {
    REQUIRE(node_keys.size() == 4);
    REQUIRE(issuer_keys.size() == 4);
    const Agency agencies[4] = {Agency::kCivilAffairs, Agency::kTax, Agency::kSocialSecurity,
                                Agency::kDisabilityFederation};
    trust_.chain_id = chain_id_;
    trust_.suite = suite_;
    trust_.f = 1;
    trust_.genesis_hash = genesis_hash;
    node_keys_ = std::move(node_keys);
    issuer_keys_ = std::move(issuer_keys);
    for (size_t i = 0; i < 4; ++i) {
      trust_.members.push_back(verify::TrustMember{agencies[i], node_keys_[i].public_key(),
                                                   {issuer_keys_[i].public_key()}});
    }
    extra_tax_key_ = std::make_unique<PrivateKey>(Generate());
    household_ = SuiteHash(suite_, AsBytes("household 1"));
    a_ = SuiteHash(suite_, AsBytes("subject A"));
    b_ = SuiteHash(suite_, AsBytes("subject B"));
    if (b_ < a_) std::swap(a_, b_);
    BlockStore::Options options;
    auto store = BlockStore::Open(dir_.path() + "/store", suite_, chain_id_, trust_.genesis_hash,
                                  options);
    INFO(store.status().ToString());
    REQUIRE(store.ok());
    store_ = std::move(*store);
  }

 public:
  Suite suite() const { return suite_; }
  const verify::Trust& trust() const { return trust_; }
  const BlockStore& store() const { return *store_; }
  BlockStore& store() { return *store_; }
  const PrivateKey& node_key(size_t member) const { return node_keys_[member]; }
  const Hash32& a() const { return a_; }
  const Hash32& b() const { return b_; }

  // Blocks 1-3: rule set, household, consent; the window's attestations; a key event and
  // an attestation signed by the key it adds.
  void Build() {
    const verify::DefaultRuleSet& dibao = verify::DefaultRuleSets().front();
    REQUIRE(dibao.record.programme == Programme::kDibao);
    HouseholdDeclaration decl;
    decl.household = household_;
    decl.members = {a_, b_};
    decl.effective_from = 202001;
    Consent consent;
    consent.household = household_;
    consent.form_hash = SuiteHash(suite_, AsBytes("scanned form"));
    consent.valid_from_ms = kReceiptChainTimeMs - 86'400'000;
    Transaction consent_tx = Sign(consent, issuer_keys_[0]);
    consent_ = consent_tx.id();
    Commit({Sign(dibao.record, issuer_keys_[0]), Sign(decl, issuer_keys_[0]), consent_tx});

    std::vector<Transaction> txs;
    wage_a_ = Wage(a_, kWageA, issuer_keys_[1], std::nullopt);
    txs.push_back(*wage_a_);
    txs.push_back(Wage(b_, kWageB, issuer_keys_[1], std::nullopt));
    for (const Hash32& s : {a_, b_}) txs.push_back(Zero(s, Category::kPension, issuer_keys_[2]));
    Commit(std::move(txs));

    KeyEvent add;
    add.action = KeyAction::kAdd;
    add.agency = Agency::kTax;
    add.key_suite = suite_;
    add.key_raw = extra_tax_key_->public_key().raw();
    add.reason = "second issuer key";
    Commit({Sign(add, node_keys_[1])});
    Attestation property;
    property.subject = b_;
    property.category = Category::kProperty;
    property.first_month = 202403;
    property.last_month = 202403;
    property.amount_fen = 12'000;
    Commit({Sign(property, *extra_tax_key_)});
  }

  // A later block correcting member A's wage.
  void Correct() {
    REQUIRE(wage_a_.has_value());
    Commit({Wage(a_, kWageACorrected, issuer_keys_[1], wage_a_->id())});
  }

  verify::CheckRequest Request() const {
    verify::CheckRequest r;
    r.household = household_;
    r.members = {a_, b_};
    r.programme = Programme::kDibao;
    r.as_of = kAsOf;
    r.consent = consent_;
    return r;
  }

  uint64_t height() const { return store_->head().height; }

 private:
  PrivateKey Generate() {
    auto k = PrivateKey::Generate(suite_);
    REQUIRE(k.ok());
    return *k;
  }

  template <typename Payload>
  Transaction Sign(const Payload& payload, const PrivateKey& key) {
    TxBody body;
    body.suite = suite_;
    body.chain_id = chain_id_;
    body.issued_at_ms = kReceiptChainTimeMs;
    body.nonce = next_nonce_++;
    body.payload = payload;
    auto tx = Transaction::Sign(std::move(body), key);
    INFO(tx.status().ToString());
    REQUIRE(tx.ok());
    return *tx;
  }

  Transaction Wage(const Hash32& subject, int64_t fen, const PrivateKey& key,
            std::optional<Hash32> supersedes) {
    Attestation a;
    a.subject = subject;
    a.category = Category::kWage;
    a.first_month = 202307;
    a.last_month = 202406;
    a.amount_fen = fen;
    a.supersedes = supersedes;
    return Sign(a, key);
  }

  Transaction Zero(const Hash32& subject, Category category, const PrivateKey& key) {
    Attestation a;
    a.subject = subject;
    a.category = category;
    a.first_month = 202307;
    a.last_month = 202406;
    a.amount_fen = 0;
    return Sign(a, key);
  }

  void Commit(std::vector<Transaction> txs) {
    CommitBlockWithQuorum(*store_, suite_, chain_id_, node_keys_, kReceiptChainTimeMs, std::move(txs));
  }


  Suite suite_;
  std::string chain_id_;
  TempDir dir_{"receipt"};
  verify::Trust trust_;
  std::vector<PrivateKey> node_keys_;
  std::vector<PrivateKey> issuer_keys_;
  std::unique_ptr<PrivateKey> extra_tax_key_;
  Hash32 household_, a_, b_, consent_;
  std::optional<Transaction> wage_a_;
  uint64_t next_nonce_ = 0;
  std::unique_ptr<BlockStore> store_;
};

}  // namespace hearth::testing
