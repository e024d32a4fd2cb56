// record_samples.h: deterministic sample records, transactions, blocks and certificates for
// records_test.cc and format_doc_test.cc (the FORMAT.md worked examples).
//
// Keys come from fixed Ed25519 seeds (SHA-256 of a label), so every id, signature and hash
// is the same in every run. Nothing here is random.
#pragma once

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "hearth/base/bytes.h"
#include "hearth/ledger/block.h"
#include "hearth/ledger/crypto.h"
#include "hearth/ledger/records.h"
#include "hearth/ledger/transaction.h"

namespace hearth::samples {

inline constexpr std::string_view kChainId = "hearth-example";
// 2024-03-01T08:00:00Z in unix milliseconds.
inline constexpr uint64_t kTimeMs = 1'709'280'000'000ULL;

// A fixed 32-byte value derived from a label (SHA-256 of the label).
inline Hash32 Label(std::string_view label) {
  return SuiteHash(Suite::kEd25519Sha256, AsBytes(label));
}

// The Ed25519 key whose RFC 8032 seed is SHA-256(label).
inline PrivateKey SeedKey(std::string_view label) {
  Result<PrivateKey> k = PrivateKey::Ed25519FromSeed(Label(label).view());
  REQUIRE(k.ok());
  return *k;
}

inline PrivateKey IssuerKey() { return SeedKey("hearth example issuer key: tax"); }
inline PrivateKey CivilAffairsKey() { return SeedKey("hearth example issuer key: civil_affairs"); }
inline PrivateKey NodeKey(int member) {
  return SeedKey("hearth example node key " + std::to_string(member));
}

inline Attestation SampleAttestation() {
  Attestation a;
  a.subject = Label("subject: example person 1");
  a.category = Category::kWage;
  a.first_month = 202401;
  a.last_month = 202403;
  a.amount_fen = 456'700;  // 4567.00 yuan per month
  a.attributes = {{"employer_kind", "private"}, {"source", "monthly_feed"}};
  return a;
}

inline HouseholdDeclaration SampleHousehold() {
  HouseholdDeclaration h;
  h.household = Label("household: example case 1");
  h.members = {Label("subject: example person 1"), Label("subject: example person 2")};
  std::sort(h.members.begin(), h.members.end());
  h.effective_from = 202401;
  return h;
}

inline Consent SampleConsent() {
  Consent c;
  c.household = Label("household: example case 1");
  c.form_hash = Label("scanned authorisation form");
  c.valid_from_ms = kTimeMs;
  c.valid_until_ms = kTimeMs + 365ULL * 24 * 3600 * 1000;
  return c;
}

inline Enrollment SampleEnrollment() {
  Enrollment e;
  e.household = Label("household: example case 1");
  e.programme = Programme::kDibao;
  e.first_month = 202404;
  return e;  // open-ended
}

inline AccessRecord SampleAccess() {
  AccessRecord r;
  r.caseworker = "cw-0042@tongzhou";
  r.agency = Agency::kCivilAffairs;
  r.household = Label("household: example case 1");
  r.programme = Programme::kDibao;
  r.purpose = AccessPurpose::kEligibilityCheck;
  r.consent_tx = Label("consent tx id");
  r.receipt_hash = Label("receipt");
  r.access_time_ms = kTimeMs + 60'000;
  return r;
}

inline RuleSet SampleRuleSet() {
  RuleSet r;
  r.programme = Programme::kDibao;
  r.version = 1;
  r.effective_from = 202407;
  r.rules_json = R"({"threshold_fen":145000})";
  return r;
}

inline KeyEvent SampleKeyEvent() {
  KeyEvent k;
  k.action = KeyAction::kAdd;
  k.agency = Agency::kTax;
  k.key_suite = Suite::kEd25519Sha256;
  k.key_raw = IssuerKey().public_key().raw();
  k.reason = "annual rotation";
  return k;
}

inline std::vector<TxPayload> AllSamplePayloads() {
  return {SampleAttestation(), SampleHousehold(), SampleConsent(), SampleEnrollment(),
          SampleAccess(),      SampleRuleSet(),   SampleKeyEvent()};
}

inline TxBody BodyOf(TxPayload payload, uint64_t nonce = 1) {
  TxBody b;
  b.suite = Suite::kEd25519Sha256;
  b.chain_id = std::string(kChainId);
  b.issued_at_ms = kTimeMs;
  b.nonce = nonce;
  b.payload = std::move(payload);
  // A body not signed yet names a fixed test id as its signer; Transaction::Sign sets the
  // signing key's id.
  b.signer = Label("sample signer");
  return b;
}

// The key that signs a kind in the examples: the tax issuer for attestations, the
// node key of member 1 (tax) for key events, civil affairs for the rest.
inline PrivateKey SignerFor(TxKind kind) {
  if (kind == TxKind::kAttestation) return IssuerKey();
  if (kind == TxKind::kKeyEvent) return NodeKey(1);
  return CivilAffairsKey();
}

inline Transaction SignedTx(TxPayload payload, uint64_t nonce = 1) {
  TxBody body = BodyOf(std::move(payload), nonce);
  PrivateKey key = SignerFor(body.kind());
  Result<Transaction> tx = Transaction::Sign(std::move(body), key);
  REQUIRE(tx.ok());
  return *tx;
}

inline Block SampleBlock(std::vector<Transaction> txs, uint64_t height = 1) {
  Block b;
  b.header.suite = Suite::kEd25519Sha256;
  b.header.chain_id = std::string(kChainId);
  b.header.height = height;
  b.header.prev_hash = Label("genesis");
  b.header.time_ms = kTimeMs + 1000 * height;
  b.header.proposer = 0;
  b.header.tx_count = static_cast<uint32_t>(txs.size());
  b.header.tx_root = TxRoot(Suite::kEd25519Sha256, std::span<const Transaction>(txs));
  b.header.log_size = txs.size();
  b.header.log_root = Label("log root after the block");
  b.header.index_root = Label("index root after the block");
  b.txs = std::move(txs);
  return b;
}

inline std::vector<PublicKey> MemberKeys(int n) {
  std::vector<PublicKey> keys;
  for (int i = 0; i < n; ++i) keys.push_back(NodeKey(i).public_key());
  return keys;
}

// A certificate with votes from `members` (sorted, as given) for (height, round, hash).
inline CommitCertificate SampleCertificate(uint64_t height, uint32_t round, const Hash32& hash,
                                           const std::vector<uint16_t>& members) {
  CommitCertificate c;
  c.height = height;
  c.round = round;
  c.block_hash = hash;
  for (uint16_t m : members) {
    Result<Bytes> sig = SignPrecommit(NodeKey(m), kChainId, height, round, hash);
    REQUIRE(sig.ok());
    c.votes.push_back(Vote{m, *sig});
  }
  return c;
}

}  // namespace hearth::samples
