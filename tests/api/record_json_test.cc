// The JSON form of records (api/record_json.h): exact round trips for every kind and both
// suites, and strict rejection of everything else.
#include "hearth/api/record_json.h"

#include <catch2/catch.hpp>
#include <string>

#include "hearth/json/json_fields.h"
#include "ledger/record_samples.h"

namespace hearth::api {
namespace {

using json = nlohmann::json;

std::vector<Transaction> AllSampleTxs() {
  std::vector<Transaction> txs;
  for (TxPayload& p : samples::AllSamplePayloads()) txs.push_back(samples::SignedTx(std::move(p)));
  // Optional fields in their other state.
  Attestation a = samples::SampleAttestation();
  a.supersedes = samples::Label("corrected attestation");
  a.category = Category::kBusiness;
  a.amount_fen = -12'345;
  a.attributes.clear();
  txs.push_back(samples::SignedTx(a, 7));
  Consent c = samples::SampleConsent();
  c.valid_until_ms.reset();
  txs.push_back(samples::SignedTx(c));
  Enrollment e = samples::SampleEnrollment();
  e.last_month = 202512;
  txs.push_back(samples::SignedTx(e, UINT64_MAX));  // a nonce > 2^53 stays exact
  return txs;
}

// A valid record's JSON of the given kind.
json SampleJson(TxKind kind) {
  for (const Transaction& tx : AllSampleTxs()) {
    if (tx.kind() == kind) return TransactionToJson(tx);
  }
  FAIL("no sample of kind " << TxKindName(kind));
  return {};
}

// The error message of converting `j`, or "" when it converts.
std::string ErrorOf(const json& j) {
  Result<Transaction> tx = TransactionFromJson(j);
  if (tx.ok()) return "";
  CHECK(tx.status().code() == Code::kInvalidArgument);
  return tx.status().message();
}

TEST_CASE("every kind round-trips exactly through JSON and JSON text") {
  std::vector<Transaction> txs = AllSampleTxs();
  REQUIRE(txs.size() == 10);
  for (const Transaction& tx : txs) {
    INFO(TxKindName(tx.kind()));
    json j = TransactionToJson(tx);
    Result<Transaction> back = TransactionFromJson(j);
    REQUIRE(back.ok());
    CHECK(back->Encode() == tx.Encode());
    CHECK(back->id() == tx.id());
    CHECK(back->VerifySignature(samples::SignerFor(tx.kind()).public_key()).ok());

    std::string line = TransactionToJsonText(tx);
    CHECK(line.find('\n') == std::string::npos);
    Result<Transaction> from_text = ParseRecordLine(line);
    REQUIRE(from_text.ok());
    CHECK(from_text->Encode() == tx.Encode());

    Result<Transaction> from_hex = ParseRecordLine(TransactionToHexJson(tx).dump());
    REQUIRE(from_hex.ok());
    CHECK(from_hex->Encode() == tx.Encode());
  }
}

TEST_CASE("the JSON text keeps the documented field order and value forms") {
  Transaction tx = samples::SignedTx(samples::SampleAttestation());
  std::string line = TransactionToJsonText(tx);
  const std::string expected_prefix =
      "{\"kind\":\"attestation\",\"suite\":\"ed25519-sha256\",\"chain_id\":\"hearth-example\","
      "\"signer\":\"" + tx.body().signer.Hex() + "\",\"issued_at_ms\":1709280000000,\"nonce\":1,"
      "\"subject\":\"" + samples::Label("subject: example person 1").Hex() + "\","
      "\"category\":\"wage\",\"first_month\":202401,\"last_month\":202403,\"amount_fen\":456700,"
      "\"attributes\":{\"employer_kind\":\"private\",\"source\":\"monthly_feed\"},"
      "\"signature\":\"";
  CHECK(line.substr(0, expected_prefix.size()) == expected_prefix);
  CHECK(line.find("supersedes") == std::string::npos);  // absent optional fields are omitted

  json k = TransactionToJson(samples::SignedTx(samples::SampleKeyEvent()));
  CHECK(k["action"] == "add");
  CHECK(k["agency"] == "tax");
  CHECK(k["key_suite"] == "ed25519-sha256");
  json acc = TransactionToJson(samples::SignedTx(samples::SampleAccess()));
  CHECK(acc["purpose"] == "eligibility_check");
  CHECK(acc["programme"] == "dibao");
}

TEST_CASE("an SM2 key event round-trips") {
  Result<PrivateKey> node = PrivateKey::Generate(Suite::kSm2Sm3);
  Result<PrivateKey> issuer = PrivateKey::Generate(Suite::kSm2Sm3);
  REQUIRE(node.ok());
  REQUIRE(issuer.ok());
  KeyEvent ke = samples::SampleKeyEvent();
  ke.key_suite = Suite::kSm2Sm3;
  ke.key_raw = issuer->public_key().raw();
  ke.action = KeyAction::kRevoke;
  TxBody body = samples::BodyOf(ke);
  body.suite = Suite::kSm2Sm3;
  Result<Transaction> tx = Transaction::Sign(body, *node);
  REQUIRE(tx.ok());
  json j = TransactionToJson(*tx);
  CHECK(j["suite"] == "sm2-sm3");
  Result<Transaction> back = TransactionFromJson(j);
  REQUIRE(back.ok());
  CHECK(back->Encode() == tx->Encode());
  CHECK(back->VerifySignature(node->public_key()).ok());
}

TEST_CASE("every required field is required, optional ones are not") {
  const std::vector<std::string> optional = {"supersedes", "valid_until_ms", "last_month"};
  for (const Transaction& tx : AllSampleTxs()) {
    const json full = TransactionToJson(tx);
    for (auto it = full.begin(); it != full.end(); ++it) {
      json j = full;
      j.erase(it.key());
      const bool is_optional =
          std::find(optional.begin(), optional.end(), it.key()) != optional.end() &&
          !(tx.kind() == TxKind::kAttestation && it.key() == "last_month");
      INFO(TxKindName(tx.kind()) << " without " << it.key());
      std::string err = ErrorOf(j);
      if (is_optional) {
        CHECK(err.empty());
      } else {
        CHECK(err.find(it.key() + ": missing") != std::string::npos);
      }
    }
  }
}

TEST_CASE("unknown fields are rejected, naming the field") {
  json j = SampleJson(TxKind::kAttestation);
  j["amount_yuan"] = 4567;
  CHECK(ErrorOf(j) == "attestation.amount_yuan: unknown field");
  // A field of another kind is unknown here too.
  j = SampleJson(TxKind::kConsent);
  j["programme"] = "dibao";
  CHECK(ErrorOf(j) == "consent.programme: unknown field");
  // The hex form takes "tx" alone.
  json h = TransactionToHexJson(samples::SignedTx(samples::SampleConsent()));
  h["kind"] = "consent";
  CHECK(ErrorOf(h) == "record.kind: unknown field");
}

TEST_CASE("wrong JSON types are rejected, naming the field") {
  json base = SampleJson(TxKind::kAttestation);
  auto with = [&](const std::string& key, json v) {
    json j = base;
    j[key] = std::move(v);
    return ErrorOf(j);
  };
  CHECK(with("amount_fen", 4567.5) == "attestation.amount_fen: expected an integer, got a float");
  CHECK(with("amount_fen", 4567.0) == "attestation.amount_fen: expected an integer, got a float");
  CHECK(with("amount_fen", "456700") == "attestation.amount_fen: expected an integer, got a string");
  CHECK(with("amount_fen", nullptr) == "attestation.amount_fen: expected an integer, got null");
  CHECK(with("first_month", true) == "attestation.first_month: expected an integer, got a boolean");
  CHECK(with("nonce", -1) == "transaction.nonce: -1 is negative; expected 0..18446744073709551615");
  CHECK(with("first_month", 4294967296ULL).find("attestation.first_month: 4294967296 exceeds") == 0);
  CHECK(with("amount_fen", 9223372036854775808ULL).find("attestation.amount_fen:") == 0);
  CHECK(with("subject", 5) == "attestation.subject: expected a string, got an integer");
  CHECK(with("attributes", json::array()) == "attestation.attributes: expected an object, got an array");
  CHECK(with("attributes", json{{"grade", 1}}) == "attestation.attributes.grade: expected a string value");
  CHECK(with("supersedes", nullptr) == "attestation.supersedes: expected a string, got null");
  CHECK(with("category", "salary") == "attestation.category: unknown category code 'salary'");
  CHECK(with("kind", "invoice") == "transaction.kind: unknown transaction kind 'invoice'");
  CHECK(with("suite", "rsa").find("transaction.suite:") == 0);
  CHECK(ErrorOf(json::array()) == "record: expected a JSON object");

  json h = SampleJson(TxKind::kHouseholdDeclaration);
  h["members"] = json::array({1});
  CHECK(ErrorOf(h) == "household.members[0]: expected a hex string");
  json a = SampleJson(TxKind::kAccessRecord);
  a["purpose"] = "curiosity";
  CHECK(ErrorOf(a).find("access.purpose: unknown access purpose 'curiosity'") == 0);
  json k = SampleJson(TxKind::kKeyEvent);
  k["action"] = "rotate";
  CHECK(ErrorOf(k).find("keyevent.action: unknown key action 'rotate'") == 0);
}

TEST_CASE("bad hex is rejected, naming the field") {
  json base = SampleJson(TxKind::kAttestation);
  auto with = [&](const std::string& key, const std::string& v) {
    json j = base;
    j[key] = v;
    return ErrorOf(j);
  };
  const std::string h = base["subject"];
  CHECK(with("subject", h.substr(1)) == "attestation.subject: expected 64 hex digits, got 63");
  CHECK(with("subject", "zz" + h.substr(2)) ==
        "attestation.subject: expected 64 hex digits, got a non-hex character");
  CHECK(with("signer", "") == "transaction.signer: expected 64 hex digits, got 0");
  CHECK(with("signature", "").find("transaction.signature: expected 2..160 hex digits") == 0);
  CHECK(with("signature", std::string(162, 'a')).find("transaction.signature:") == 0);
  CHECK(with("subject", std::string(64, '0')) == "attestation.subject: all-zero id");
  // Upper case hex is the same bytes and accepted.
  std::string upper = h;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  CHECK(with("subject", upper).empty());
  json hx = TransactionToHexJson(samples::SignedTx(samples::SampleConsent()));
  CHECK(ErrorOf(json{{"tx", "abc"}}).find("record.tx: expected") == 0);
  std::string tampered = hx["tx"];
  tampered[8] = tampered[8] == '1' ? '2' : '1';  // first body byte: the kind
  CHECK(ErrorOf(json{{"tx", tampered}}).find("record.tx: ") == 0);
}

TEST_CASE("ledger validation applies: chain id, months, amounts, order") {
  json base = SampleJson(TxKind::kAttestation);
  auto with = [&](const std::string& key, json v) {
    json j = base;
    j[key] = std::move(v);
    return ErrorOf(j);
  };
  CHECK(with("chain_id", "bad chain!").find("chain_id: characters must be") != std::string::npos);
  CHECK(with("chain_id", "").find("chain_id: length 0") != std::string::npos);
  CHECK(with("first_month", 202413).find("attestation.first_month: month 202413") == 0);
  CHECK(with("amount_fen", -1).find("attestation.amount_fen: -1 is negative") == 0);
  CHECK(with("issued_at_ms", 5).find("transaction.issued_at_ms:") == 0);
  CHECK(with("attributes", json{{"Bad-Key", "x"}}).find("attestation.attributes[0].key") == 0);
  json h = SampleJson(TxKind::kHouseholdDeclaration);
  json members = h["members"];
  h["members"] = json::array({members[1], members[0]});  // not ascending
  CHECK(ErrorOf(h).find("household.members[1]:") == 0);
  json r = SampleJson(TxKind::kRuleSet);
  r["rules_json"] = std::string(kRuleSetJsonBytesMax + 1, 'x');
  CHECK(ErrorOf(r).find("ruleset.rules_json:") == 0);
}

TEST_CASE("the signature is carried but not checked") {
  json j = SampleJson(TxKind::kAttestation);
  j["amount_fen"] = 1;  // a different body under the old signature
  Result<Transaction> tx = TransactionFromJson(j);
  REQUIRE(tx.ok());
  CHECK(tx->VerifySignature(samples::IssuerKey().public_key()).code() == Code::kVerifyFailed);
}

TEST_CASE("record text: malformed, duplicate keys, deep, oversize") {
  std::string line = TransactionToJsonText(samples::SignedTx(samples::SampleAttestation()));
  Result<Transaction> r = ParseRecordLine(line.substr(0, line.size() - 1));
  REQUIRE(!r.ok());
  CHECK(r.status().message().find("record: malformed JSON at byte") == 0);
  r = ParseRecordLine("{\"kind\": \"attestation\", \"kind\": \"consent\"}");
  REQUIRE(!r.ok());
  CHECK(r.status().message().find("duplicate key \"kind\"") != std::string::npos);
  // Duplicate attribute keys would silently lose one value: refused.
  std::string dup = line;
  dup.replace(dup.find("\"source\""), 8, "\"employer_kind\"");
  r = ParseRecordLine(dup);
  REQUIRE(!r.ok());
  CHECK(r.status().message().find("duplicate key \"employer_kind\"") != std::string::npos);
  r = ParseRecordLine(std::string(100, '[') + std::string(100, ']'));
  REQUIRE(!r.ok());
  CHECK(r.status().message().find("nesting deeper than") != std::string::npos);
  std::string big(kRecordJsonBytesMax + 1, ' ');
  r = ParseRecordLine(big);
  REQUIRE(!r.ok());
  CHECK(r.status().message().find("exceeds the maximum") != std::string::npos);
  r = ParseRecordLine("{\"kind\":\"attestation\"} trailing");
  CHECK(!r.ok());
  r = ParseRecordLine("{\"kind\":\"attestation\",\"x\":\"\xff\"}");  // invalid UTF-8
  CHECK(!r.ok());
  r = ParseRecordLine("");
  CHECK(!r.ok());
  // Whitespace around a record (an NDJSON line with "\r") is fine.
  CHECK(ParseRecordLine("  " + line + "\r").ok());
}

TEST_CASE("ParseJsonStrict and JsonFields on their own") {
  Result<json> j = ParseJsonStrict("{\"a\": 1, \"b\": {\"c\": [1, 2]}}", "t", 100, 3);
  REQUIRE(j.ok());
  CHECK((*j)["b"]["c"][1] == 2);
  CHECK(!ParseJsonStrict("{\"a\": {\"b\": {\"c\": 1}}}", "t", 100, 2).ok());
  CHECK(!ParseJsonStrict("1", "t", 0, 2).ok());
  JsonFields f(*j, "t");
  uint64_t a = 0;
  CHECK(f.Uint("a", 0, &a).message() == "t.a: 1 exceeds the maximum 0");
  CHECK(f.Finish().message() == "t.b: unknown field");
}

}  // namespace
}  // namespace hearth::api
