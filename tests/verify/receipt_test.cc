// Receipts (verify/receipt.h): built from a real chain (real blocks, signatures and
// certificates in a BlockStore), verified offline against the genesis trust alone, and
// rejected after any single change — also when the changed receipt is re-signed with a
// genesis node key.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hearth/ledger/auth_index.h"
#include "hearth/ledger/index_keys.h"
#include "hearth/verify/evidence.h"
#include "hearth/verify/receipt.h"
#include "hearth/verify/store_evidence.h"
#include "verify/receipt_chain.h"

namespace hearth::verify {
namespace {

using json = nlohmann::json;
using testing::ReceiptChain;

json Parse(const std::string& text) { return json::parse(text); }

std::string Resign(json receipt, const PrivateKey& key, const std::string& chain_id) {
  Result<Hash32> signed_hash = SignReceiptJson(receipt, key, chain_id);
  REQUIRE(signed_hash.ok());
  return receipt.dump(-1, ' ', false);
}

// Fails the test unless `text` is rejected with VerifyFailed naming a field of the receipt.
std::string ExpectRejected(const std::string& text, const Trust& trust) {
  Status s = VerifyReceipt(text, trust);
  INFO(s.ToString());
  REQUIRE(s.code() == Code::kVerifyFailed);
  REQUIRE(s.message().rfind("receipt", 0) == 0);
  return s.message();
}

CheckOutcome Run(ReceiptChain& chain, uint64_t height, uint16_t member = 0) {
  auto out = RunCheck(chain.store(), height, chain.trust(), chain.Request(),
                      chain.node_key(member), member);
  INFO(out.status().ToString());
  REQUIRE(out.ok());
  return std::move(*out);
}

TEST_CASE("canonical JSON: sorted keys, no whitespace, no floats, UTF-8 as is") {
  json v = json::parse(R"({"b": [1, -2, {"z": true, "a": null}], "a": "中文\n\"q\"\u0001"})");
  auto c = CanonicalJson(v);
  REQUIRE(c.ok());
  CHECK(*c == "{\"a\":\"中文\\n\\\"q\\\"\\u0001\",\"b\":[1,-2,{\"a\":null,\"z\":true}]}");
  // The same bytes as nlohmann's dump(-1, ensure_ascii = false), escapes included.
  std::string all;
  for (int ch = 1; ch < 0x80; ++ch) all += static_cast<char>(ch);
  json tricky = {{"s", all + "é中😀"}, {"n", -9223372036854775807LL - 1}, {"u", 18446744073709551615ULL}};
  auto tc = CanonicalJson(tricky);
  REQUIRE(tc.ok());
  CHECK(*tc == tricky.dump(-1, ' ', false));
  json invalid = {{"k", std::string("a\xC0\xAF")}};  // overlong '/'
  CHECK(CanonicalJson(invalid).status().message() == "receipt.k: invalid UTF-8");
  json f = json::parse(R"({"x": {"y": [0, 1.5]}})");
  auto bad = CanonicalJson(f);
  REQUIRE(bad.status().code() == Code::kInvalidArgument);
  CHECK(bad.status().message() == "receipt.x.y[1]: floating-point number");
}

void CheckVerifies(Suite suite) {
  ReceiptChain chain(suite);
  chain.Build();
  const CheckOutcome out = Run(chain, chain.height());
  if (getenv("HEARTH_RECEIPT_TEST_VERBOSE") != nullptr) std::cerr << out.receipt;
  auto verified = VerifyReceiptDetailed(out.receipt, chain.trust());
  INFO(verified.status().ToString());
  REQUIRE(verified.ok());
  CHECK(verified->result == out.result);
  CHECK(verified->checkpoint.height == chain.height());
  CHECK(verified->signer == 0);
  const json r = Parse(out.receipt);
  // The node writes the canonical text itself; the receipt hash is the hash of its body (the
  // text without "signature"), the same as RunCheck reports.
  REQUIRE(!out.receipt.empty());
  CHECK(out.receipt.back() == '\n');
  CHECK(out.receipt.substr(0, out.receipt.size() - 1) == r.dump(-1, ' ', false));
  json unsigned_body = r;
  unsigned_body.erase("signature");
  const Hash32 body_hash = SuiteHash(suite, AsBytes(unsigned_body.dump(-1, ' ', false)));
  CHECK(*ReceiptHash(suite, out.receipt) == body_hash);
  CHECK(out.receipt_hash == body_hash);
  for (const char* key : {"decision", "per_capita_monthly_fen", "threshold_fen", "evidence",
                          "checkpoint", "signature", "index", "request", "rule_set"}) {
    CHECK(r.contains(key));
  }
  CHECK(r["decision"] == std::string(DecisionCode(out.result.decision)));
  // The same receipt, pretty-printed, verifies and hashes the same.
  const std::string compact = r.dump(2);
  CHECK(VerifyReceipt(compact, chain.trust()).ok());
  auto h1 = ReceiptHash(suite, out.receipt);
  auto h2 = ReceiptHash(suite, compact);
  REQUIRE(h1.ok());
  REQUIRE(h2.ok());
  CHECK(*h1 == *h2);
  // Another genesis member may answer: its own signature verifies.
  json signer2 = r;
  signer2["signer"] = 2;
  const std::string by2 = Resign(signer2, chain.node_key(2), chain.trust().chain_id);
  CHECK(VerifyReceipt(by2, chain.trust()).ok());
  // Signed by member 2's key but naming member 0: rejected.
  const std::string wrong = Resign(r, chain.node_key(2), chain.trust().chain_id);
  CHECK(ExpectRejected(wrong, chain.trust()).rfind("receipt.signature:", 0) == 0);
}

TEST_CASE("a check's receipt verifies offline (ed25519-sha256)") { CheckVerifies(Suite::kEd25519Sha256); }
TEST_CASE("a check's receipt verifies offline (sm2-sm3)") { CheckVerifies(Suite::kSm2Sm3); }

// docs/RECEIPT.md section 3, checked from the outside: the node signs the suite hash of the
// canonical body under "hearth/receipt/v2", not the body; formats 1 and 2 are refused by name.
void CheckSignedBytes(Suite suite) {
  ReceiptChain chain(suite);
  chain.Build();
  const CheckOutcome out = Run(chain, chain.height());
  json r = Parse(out.receipt);
  CHECK(r["format"] == 3);
  auto signature = FromHex(r["signature"].get<std::string>());
  REQUIRE(signature.ok());
  json body = r;
  body.erase("signature");
  const std::string canonical = body.dump(-1, ' ', false);
  const PublicKey& key = chain.trust().members[0].node_key;
  const std::string& chain_id = chain.trust().chain_id;
  const Hash32 digest = SuiteHash(suite, AsBytes(canonical));
  CHECK(digest == out.receipt_hash);  // the node signs the receipt hash
  CHECK(key.Verify("hearth/receipt/v2", chain_id, digest.bytes, *signature).ok());
  // Neither the whole body nor the old context verifies.
  CHECK(!key.Verify("hearth/receipt/v2", chain_id, AsBytes(canonical), *signature).ok());
  CHECK(!key.Verify("hearth/receipt/v1", chain_id, digest.bytes, *signature).ok());
  // A format-1 receipt, signed the old way (the whole body under v1) by the same node key.
  json old = r;
  old.erase("signature");
  old["format"] = 1;
  const std::string old_body = old.dump(-1, ' ', false);
  auto old_sig = chain.node_key(0).Sign("hearth/receipt/v1", chain_id, AsBytes(old_body));
  REQUIRE(old_sig.ok());
  old["signature"] = ToHex(*old_sig);
  const std::string m = ExpectRejected(old.dump(-1, ' ', false), chain.trust());
  CHECK(m.rfind("receipt.format: 1 is not 3", 0) == 0);
  CHECK(m.find("format 1 receipts") != std::string::npos);
  // Format 2 (every proof's hashes written out), signed as format 3 is: refused by name.
  json two = r;
  two["format"] = 2;
  for (json& e : two["evidence"]) {
    json hashes = json::array();
    for (const json& at : e["inclusion_proof"]) hashes.push_back(r["proof_nodes"][at.get<size_t>()]);
    e["inclusion_proof"] = hashes;
  }
  two.erase("proof_nodes");
  const std::string m2 = ExpectRejected(Resign(two, chain.node_key(0), chain_id), chain.trust());
  CHECK(m2.rfind("receipt.format: 2 is not 3", 0) == 0);
  CHECK(m2.find("format 2 receipts") != std::string::npos);
  // Format 2 with a signature over the whole body (the old signed bytes): rejected.
  json whole = r;
  whole.erase("signature");
  auto whole_sig = chain.node_key(0).Sign("hearth/receipt/v2", chain_id, AsBytes(canonical));
  REQUIRE(whole_sig.ok());
  whole["signature"] = ToHex(*whole_sig);
  CHECK(ExpectRejected(whole.dump(-1, ' ', false), chain.trust()).rfind("receipt.signature:", 0) ==
        0);
}

TEST_CASE("the receipt signature covers the hash of the canonical body (ed25519-sha256)") {
  CheckSignedBytes(Suite::kEd25519Sha256);
}
TEST_CASE("the receipt signature covers the hash of the canonical body (sm2-sm3)") {
  CheckSignedBytes(Suite::kSm2Sm3);
}

// Every scalar leaf (as a JSON pointer) and every list element (array pointer, index).
void Walk(const json& v, const json::json_pointer& at, std::vector<json::json_pointer>& leaves,
          std::vector<std::pair<json::json_pointer, size_t>>& elements) {
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) Walk(it.value(), at / it.key(), leaves, elements);
  } else if (v.is_array()) {
    for (size_t i = 0; i < v.size(); ++i) {
      elements.emplace_back(at, i);
      Walk(v[i], at / i, leaves, elements);
    }
  } else {
    leaves.push_back(at);
  }
}

json Mutated(const json& v) {
  if (v.is_boolean()) return !v.get<bool>();
  if (v.is_null()) return 1;
  if (v.is_number_unsigned()) return v.get<uint64_t>() + 1;
  if (v.is_number_integer()) return v.get<int64_t>() + 1;
  std::string s = v.get<std::string>();
  const bool hex = !s.empty() && s.find_first_not_of("0123456789abcdef") == std::string::npos;
  if (hex) {
    s.back() = s.back() == '0' ? '1' : '0';
  } else {
    s += "x";
  }
  return s;
}

// Both forms of a changed receipt fail: as is (signature broken) and re-signed by the
// signer's genesis node key (then the failure must name a field other than the signature).
void ExpectBothRejected(const json& changed, const std::string& what, const ReceiptChain& chain) {
  INFO(what);
  ExpectRejected(changed.dump(), chain.trust());
  if (what.rfind("/signature", 0) == 0) return;  // re-signing would undo the change
  const std::string resigned = Resign(changed, chain.node_key(0), chain.trust().chain_id);
  const std::string m = ExpectRejected(resigned, chain.trust());
  if (what != "/signer") {
    INFO(m);
    CHECK(m.rfind("receipt.signature", 0) != 0);
  }
  if (getenv("HEARTH_RECEIPT_TEST_VERBOSE") != nullptr) std::cerr << what << " -> " << m << "\n";
}

void CheckEveryChangeRejected(Suite suite, size_t stride) {
  ReceiptChain chain(suite);
  chain.Build();
  const json r = Parse(Run(chain, chain.height()).receipt);
  std::vector<json::json_pointer> leaves;
  std::vector<std::pair<json::json_pointer, size_t>> elements;
  Walk(r, json::json_pointer(), leaves, elements);
  REQUIRE(leaves.size() > 100);
  for (size_t i = 0; i < leaves.size(); i += stride) {
    json changed = r;
    changed[leaves[i]] = Mutated(changed[leaves[i]]);
    ExpectBothRejected(changed, leaves[i].to_string(), chain);
  }
  for (size_t i = 0; i < elements.size(); i += stride) {
    json changed = r;
    changed[elements[i].first].erase(elements[i].second);
    ExpectBothRejected(changed, elements[i].first.to_string() + "/" + std::to_string(elements[i].second) +
                                    " removed", chain);
  }
  for (const char* key : {"decision", "evidence", "index", "signer", "checkpoint"}) {
    json changed = r;
    changed.erase(key);
    CHECK(ExpectRejected(Resign(changed, chain.node_key(0), chain.trust().chain_id), chain.trust())
              .find(key) != std::string::npos);
  }
  json extra = r;
  extra["comment"] = "added";
  CHECK(ExpectRejected(Resign(extra, chain.node_key(0), chain.trust().chain_id), chain.trust()) ==
        "receipt.comment: unknown field");
}

TEST_CASE("changing any single field of a receipt is rejected, also when re-signed") {
  CheckEveryChangeRejected(Suite::kEd25519Sha256, 1);
}
TEST_CASE("changed receipts are rejected (sm2-sm3, a sample of the fields)") {
  CheckEveryChangeRejected(Suite::kSm2Sm3, 11);
}

TEST_CASE("a receipt with one evidence item removed and re-signed by a genesis node is rejected") {
  ReceiptChain chain(Suite::kEd25519Sha256);
  chain.Build();
  const json r = Parse(Run(chain, chain.height()).receipt);
  const std::string& chain_id = chain.trust().chain_id;
  REQUIRE(r["evidence"].size() >= 5);
  for (size_t k = 0; k < r["evidence"].size(); ++k) {
    INFO("evidence item " << k);
    const std::string id = r["evidence"][k]["id"];
    // Removed from the evidence only: the proven list still names it.
    json removed = r;
    removed["evidence"].erase(k);
    CHECK(ExpectRejected(Resign(removed, chain.node_key(0), chain_id), chain.trust())
              .find("is not in receipt.evidence") != std::string::npos);
    // Removed from the evidence and from every list (and used_txs): the index proofs fail.
    for (json& entry : removed["index"]) {
      json ids = json::array();
      for (const json& x : entry["ids"]) {
        if (x != id) ids.push_back(x);
      }
      entry["ids"] = ids;
    }
    json used = json::array();
    for (const json& x : removed["used_txs"]) {
      if (x != id) used.push_back(x);
    }
    removed["used_txs"] = used;
    const std::string m = ExpectRejected(Resign(removed, chain.node_key(0), chain_id), chain.trust());
    CHECK(m.rfind("receipt.index[", 0) == 0);
    CHECK(m.find(".proof: ") != std::string::npos);
  }
}

TEST_CASE("a receipt is rejected against another genesis") {
  ReceiptChain chain(Suite::kEd25519Sha256);
  chain.Build();
  const std::string receipt = Run(chain, chain.height()).receipt;
  ReceiptChain same_id(Suite::kEd25519Sha256);  // same chain id and genesis hash, other keys
  CHECK(ExpectRejected(receipt, same_id.trust()).rfind("receipt.checkpoint.certificate:", 0) == 0);
  ReceiptChain other(Suite::kEd25519Sha256, "another-chain");
  CHECK(ExpectRejected(receipt, other.trust()).rfind("receipt.chain_id:", 0) == 0);
  Trust other_hash = chain.trust();
  other_hash.genesis_hash = SuiteHash(Suite::kEd25519Sha256, AsBytes("another genesis"));
  CHECK(ExpectRejected(receipt, other_hash).rfind("receipt.genesis_hash:", 0) == 0);
  ReceiptChain sm2(Suite::kSm2Sm3);
  CHECK(ExpectRejected(receipt, sm2.trust()).rfind("receipt.suite:", 0) == 0);
}

TEST_CASE("an older checkpoint gives the old figures after a correction commits") {
  for (Suite suite : {Suite::kEd25519Sha256, Suite::kSm2Sm3}) {
    INFO(SuiteName(suite));
    ReceiptChain chain(suite);
    chain.Build();
    const uint64_t old_height = chain.height();
    chain.Correct();
    const CheckOutcome before = Run(chain, old_height);
    const CheckOutcome after = Run(chain, chain.height());
    // 24 member-months: A 12 x wage, B 12 x wage + one month of property income.
    REQUIRE(before.result.per_capita_monthly_fen.has_value());
    REQUIRE(after.result.per_capita_monthly_fen.has_value());
    CHECK(*before.result.per_capita_monthly_fen ==
          (12 * testing::kWageA + 12 * testing::kWageB + 12'000) / 24);
    CHECK(*after.result.per_capita_monthly_fen ==
          (12 * testing::kWageACorrected + 12 * testing::kWageB + 12'000) / 24);
    CHECK(VerifyReceipt(before.receipt, chain.trust()).ok());
    CHECK(VerifyReceipt(after.receipt, chain.trust()).ok());
    CHECK(Parse(before.receipt)["checkpoint"]["height"] == old_height);
    // The old receipt's evidence holds nothing committed after its checkpoint.
    const json old_receipt = Parse(before.receipt);
    for (const json& e : old_receipt["evidence"]) {
      CHECK(e["log_index"].get<uint64_t>() < old_receipt["checkpoint"]["log_size"].get<uint64_t>());
    }
    // A decision without proofs reads each list from its entries alone (heights at most the
    // checkpoint's): at both checkpoints it decides exactly as the proven receipt did.
    for (const CheckOutcome* with : {&before, &after}) {
      const uint64_t h = with == &before ? old_height : chain.height();
      StoreEvidence::Limits no_proofs;
      no_proofs.proofs = false;
      auto src = StoreEvidence::Open(chain.store(), h, no_proofs);
      REQUIRE(src.ok());
      CheckRequest request = chain.Request();
      request.checkpoint_time_ms = (*src)->header().time_ms;
      auto result = Evaluate(chain.trust(), request, **src);
      REQUIRE(result.ok());
      CHECK(result->decision == with->result.decision);
      CHECK(result->per_capita_monthly_fen == with->result.per_capita_monthly_fen);
      CHECK((*src)->TxsInLogOrder().size() == Parse(with->receipt)["evidence"].size());
    }
  }
}

TEST_CASE("StoreEvidence reads the list at the checkpoint and refuses past its limits") {
  ReceiptChain chain(Suite::kEd25519Sha256);
  chain.Build();
  const uint64_t old_height = chain.height();
  chain.Correct();
  const IndexKey key = IndexKey::SubjectMonth(chain.a(), 202401);
  auto old_src = StoreEvidence::Open(chain.store(), old_height);
  auto new_src = StoreEvidence::Open(chain.store(), chain.height());
  REQUIRE(old_src.ok());
  REQUIRE(new_src.ok());
  auto old_list = (*old_src)->Filed(key);
  auto new_list = (*new_src)->Filed(key);
  REQUIRE(old_list.ok());
  REQUIRE(new_list.ok());
  CHECK(old_list->size() == 2);  // wage + pension zero
  CHECK(new_list->size() == 3);  // + the correction
  StoreEvidence::Limits no_proofs;
  no_proofs.proofs = false;
  for (const auto& [h, want] : {std::pair<uint64_t, size_t>{old_height, 2}, {chain.height(), 3}}) {
    auto lists_only = StoreEvidence::Open(chain.store(), h, no_proofs);
    REQUIRE(lists_only.ok());
    auto listed = (*lists_only)->Filed(key);
    REQUIRE(listed.ok());
    CHECK(listed->size() == want);
    const auto& reference = h == old_height ? *old_list : *new_list;
    for (size_t i = 0; i < listed->size() && i < reference.size(); ++i) {
      CHECK((*listed)[i]->log_index == reference[i]->log_index);
      CHECK((*listed)[i]->tx.id() == reference[i]->tx.id());
    }
  }
  REQUIRE((*old_src)->keys().size() == 1);
  const IndexEntry& entry = (*old_src)->keys()[0].entry;
  CHECK(VerifyIndexEntry(chain.suite(), (*old_src)->header().index_root,
                         IndexKeyHash(chain.suite(), key), entry.ids, entry.proof)
            .ok());
  auto again = (*old_src)->Filed(key);  // a key read twice is recorded once
  REQUIRE(again.ok());
  CHECK((*old_src)->keys().size() == 1);
  CHECK(StoreEvidence::Open(chain.store(), chain.height() + 1).status().code() == Code::kNotFound);

  StoreEvidence::Limits few_keys;
  few_keys.keys_max = 3;
  auto limited = StoreEvidence::Open(chain.store(), chain.height(), few_keys);
  REQUIRE(limited.ok());
  CheckRequest request = chain.Request();
  request.checkpoint_time_ms = (*limited)->header().time_ms;
  auto result = Evaluate(chain.trust(), request, **limited);
  CHECK(result.status().code() == Code::kOutOfRange);
  StoreEvidence::Limits few_txs;
  few_txs.txs_max = 1;
  auto limited_txs = StoreEvidence::Open(chain.store(), chain.height(), few_txs);
  REQUIRE(limited_txs.ok());
  CHECK((*limited_txs)->Filed(key).status().code() == Code::kOutOfRange);
}

// docs/RECEIPT.md "proof_nodes": the table holds each distinct proof hash once, in order of
// first use; every proof is positions in it; any other table is rejected even when every
// proof it gives still verifies and the receipt is re-signed.
TEST_CASE("inclusion proofs are positions in one table of distinct proof nodes") {
  ReceiptChain chain(Suite::kEd25519Sha256);
  chain.Build();
  const json r = Parse(Run(chain, chain.height()).receipt);
  const json& nodes = r["proof_nodes"];
  REQUIRE(r["evidence"].size() >= 5);
  size_t refs = 0, next_new = 0;
  std::set<std::string> distinct;
  for (const json& e : r["evidence"]) {
    for (const json& at : e["inclusion_proof"]) {
      const size_t k = at.get<size_t>();
      REQUIRE(k < nodes.size());
      CHECK(k <= next_new);  // first use in table order
      if (k == next_new) ++next_new;
      ++refs;
    }
  }
  for (const json& n : nodes) distinct.insert(n.get<std::string>());
  CHECK(next_new == nodes.size());          // every node used
  CHECK(distinct.size() == nodes.size());   // each once
  CHECK(refs > nodes.size());               // the proofs share nodes
  const std::string& chain_id = chain.trust().chain_id;
  // The same nodes in another order, every position remapped: each proof still gives the
  // same hashes, but the table is not canonical.
  json swapped = r;
  std::swap(swapped["proof_nodes"][0], swapped["proof_nodes"][1]);
  for (json& e : swapped["evidence"]) {
    for (json& at : e["inclusion_proof"]) {
      if (at == 0) at = 1; else if (at == 1) at = 0;
    }
  }
  CHECK(ExpectRejected(Resign(swapped, chain.node_key(0), chain_id), chain.trust())
            .rfind("receipt.", 0) == 0);
  CHECK(ExpectRejected(Resign(swapped, chain.node_key(0), chain_id), chain.trust())
            .rfind("receipt.signature", 0) != 0);
  // An unused node appended, or a node repeated and used by one proof: rejected.
  json unused = r;
  unused["proof_nodes"].push_back(std::string(64, 'a'));
  CHECK(ExpectRejected(Resign(unused, chain.node_key(0), chain_id), chain.trust())
            .rfind("receipt.proof_nodes", 0) == 0);
  json repeated = r;
  const size_t first = repeated["evidence"][0]["inclusion_proof"][0].get<size_t>();
  repeated["proof_nodes"].push_back(repeated["proof_nodes"][first]);
  repeated["evidence"][0]["inclusion_proof"][0] = repeated["proof_nodes"].size() - 1;
  CHECK(ExpectRejected(Resign(repeated, chain.node_key(0), chain_id), chain.trust())
            .rfind("receipt.", 0) == 0);
}

TEST_CASE("malformed receipts are rejected naming what is wrong") {
  ReceiptChain chain(Suite::kEd25519Sha256);
  chain.Build();
  const std::string receipt = Run(chain, chain.height()).receipt;
  const Trust& trust = chain.trust();
  CHECK(ExpectRejected(receipt.substr(0, receipt.size() / 2), trust).find("malformed JSON") !=
        std::string::npos);
  CHECK(ExpectRejected("[]", trust) == "receipt: not a JSON object");
  json r = Parse(receipt);
  r["income_total_fen"] = 1.5;
  CHECK(ExpectRejected(r.dump(), trust) == "receipt.income_total_fen: floating-point number");
  r = Parse(receipt);
  r["evidence"][0]["tx"] = "zz";
  CHECK(ExpectRejected(r.dump(), trust).rfind("receipt.evidence[0].tx", 0) == 0);
  r = Parse(receipt);
  r["evidence"][1]["inclusion_proof"].push_back(std::string(64, '0'));
  CHECK(ExpectRejected(r.dump(), trust).rfind("receipt.evidence[1].inclusion_proof[", 0) == 0);
  r = Parse(receipt);
  r["evidence"][1]["inclusion_proof"].push_back(0);  // a valid position, one hash too many
  CHECK(ExpectRejected(r.dump(), trust).rfind("receipt.evidence[1].inclusion_proof: ", 0) == 0);
  r = Parse(receipt);
  r["evidence"][1]["inclusion_proof"][0] = r["proof_nodes"].size();
  CHECK(ExpectRejected(r.dump(), trust).find("is not below the") != std::string::npos);
  r = Parse(receipt);
  r["evidence"][1]["inclusion_proof"][0] = -1;
  CHECK(ExpectRejected(r.dump(), trust).rfind("receipt.evidence[1].inclusion_proof[0]: expected a position", 0) ==
        0);
  r = Parse(receipt);
  r["proof_nodes"] = "00";
  CHECK(ExpectRejected(r.dump(), trust) == "receipt.proof_nodes: expected an array, got a string");
  r = Parse(receipt);
  r.erase("proof_nodes");
  CHECK(ExpectRejected(r.dump(), trust) == "receipt.proof_nodes: missing");
  r = Parse(receipt);
  r["index"][0]["extra"] = 1;
  CHECK(ExpectRejected(r.dump(), trust) == "receipt.index[0].extra: unknown field");
  r = Parse(receipt);
  r["request"].erase("consent");
  CHECK(ExpectRejected(r.dump(), trust) == "receipt.request.consent: missing");
  r = Parse(receipt);
  r["signer"] = 4;
  CHECK(ExpectRejected(r.dump(), trust).rfind("receipt.signer", 0) == 0);
  CHECK(ExpectRejected(std::string(kReceiptBytesMax + 1, ' '), trust).find("exceeds") !=
        std::string::npos);
}

}  // namespace
}  // namespace hearth::verify
