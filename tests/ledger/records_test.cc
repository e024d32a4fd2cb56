// Records and transactions: round trips of every kind, rejection of truncated, trailing,
// unknown, over-limit and non-canonical bytes, validation of months, amounts and times,
// signatures and ids. Blocks, certificates and index keys: block_test.cc.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "hearth/base/codec.h"
#include "hearth/ledger/records.h"
#include "hearth/ledger/transaction.h"
#include "ledger/record_samples.h"

using namespace hearth;
using namespace hearth::samples;

namespace {

Bytes WrapTx(ByteView body, ByteView sig) {
  Writer w;
  w.Blob(body);
  w.Blob(sig);
  return w.Take();
}

// The envelope of a body written by hand (independent of EncodeTxBody), then `payload`.
Bytes HandBody(TxKind kind, ByteView payload, uint8_t version = 1, uint8_t suite = 1,
               std::string_view chain = kChainId) {
  Writer w;
  w.U8(static_cast<uint8_t>(kind));
  w.U8(version);
  w.U8(suite);
  w.Str(chain);
  w.Hash(Label("signer"));
  w.U64(kTimeMs);
  w.U64(7);
  w.Raw(payload);
  return w.Take();
}

// An attestation payload written by hand, field by field as FORMAT.md lists them.
Bytes HandAttestation(uint16_t category, uint32_t first, uint32_t last, int64_t amount,
                      const std::vector<std::pair<std::string, std::string>>& attrs,
                      size_t attr_count_override = SIZE_MAX) {
  Writer w;
  w.Hash(Label("subject"));
  w.U16(category);
  w.U32(first);
  w.U32(last);
  w.I64(amount);
  w.Count(attr_count_override == SIZE_MAX ? attrs.size() : attr_count_override);
  for (const auto& [k, v] : attrs) {
    w.Str(k);
    w.Str(v);
  }
  w.U8(0);
  return w.Take();
}

Status DecodeBodyStatus(ByteView body) { return DecodeTxBody(body).status(); }

bool Mentions(const Status& s, std::string_view what) {
  return s.message().find(what) != std::string::npos;
}

}  // namespace

TEST_CASE("every record kind round-trips through the transaction encoding") {
  for (const TxPayload& p : AllSamplePayloads()) {
    Transaction tx = SignedTx(p);
    INFO("kind " << TxKindName(tx.kind()));
    Bytes enc = tx.Encode();
    CHECK(enc.size() == tx.EncodedSize());
    Result<Transaction> back = Transaction::Decode(enc);
    REQUIRE(back.ok());
    CHECK(back->body() == tx.body());
    CHECK(back->id() == tx.id());
    CHECK(back->Encode() == enc);
    CHECK(back->id() == SuiteHash(Suite::kEd25519Sha256, tx.body_bytes()));
    Result<TxBody> body = DecodeTxBody(tx.body_bytes());
    REQUIRE(body.ok());
    CHECK(EncodeTxBody(*body) == tx.body_bytes());
  }
}

TEST_CASE("optional fields and limits at their maximum round-trip") {
  Attestation a = SampleAttestation();
  a.supersedes = Label("earlier attestation");
  a.attributes.clear();
  for (size_t i = 0; i < kAttributesMax; ++i) {
    std::string key = "k" + std::string(kAttributeKeyBytesMax - 3, 'x') + (i < 10 ? "0" : "") +
                      std::to_string(i);
    a.attributes.push_back({key, std::string(kAttributeValueBytesMax, 'v')});
  }
  a.first_month = 201501;
  a.last_month = 202412;  // exactly kAttestationMonthsMax months
  REQUIRE(MonthsBetweenInclusive(a.first_month, a.last_month) == kAttestationMonthsMax);
  Consent c = SampleConsent();
  c.valid_until_ms.reset();
  Enrollment e = SampleEnrollment();
  e.last_month = 202412;
  RuleSet rs = SampleRuleSet();
  rs.rules_json = std::string(kRuleSetJsonBytesMax, ' ');
  HouseholdDeclaration h = SampleHousehold();
  h.members.clear();
  for (size_t i = 0; i < kMembersMax; ++i) h.members.push_back(Label("m" + std::to_string(i)));
  std::sort(h.members.begin(), h.members.end());
  for (const TxPayload& p : std::vector<TxPayload>{a, c, e, rs, h}) {
    Transaction tx = SignedTx(p);
    Result<Transaction> back = Transaction::Decode(tx.Encode());
    REQUIRE(back.ok());
    CHECK(back->body() == tx.body());
  }
}

TEST_CASE("decode rejects every truncation and every appended byte") {
  for (const TxPayload& p : AllSamplePayloads()) {
    Transaction tx = SignedTx(p);
    INFO("kind " << TxKindName(tx.kind()));
    const Bytes enc = tx.Encode();
    for (size_t n = 0; n < enc.size(); ++n) {
      INFO("prefix " << n);
      CHECK_FALSE(Transaction::Decode(ByteView(enc.data(), n)).ok());
    }
    const Bytes& body = tx.body_bytes();
    for (size_t n = 0; n < body.size(); ++n) {
      INFO("body prefix " << n);
      CHECK_FALSE(DecodeTxBody(ByteView(body.data(), n)).ok());
    }
    for (int b : {0x00, 0x01, 0xff}) {
      Bytes longer = enc;
      longer.push_back(static_cast<uint8_t>(b));
      Status s = Transaction::Decode(longer).status();
      CHECK(Mentions(s, "trailing"));
      Bytes body_longer = body;
      body_longer.push_back(static_cast<uint8_t>(b));
      CHECK(Mentions(DecodeBodyStatus(body_longer), "trailing"));
      CHECK_FALSE(Transaction::Decode(WrapTx(body_longer, tx.signature())).ok());
    }
  }
}

TEST_CASE("decode rejects unknown kind, version and suite bytes") {
  Transaction tx = SignedTx(SampleAttestation());
  Bytes body = tx.body_bytes();
  for (int kind : {0x00, 0x01, 0x10, 0x18, 0xff}) {
    body[0] = static_cast<uint8_t>(kind);
    CHECK(Mentions(DecodeBodyStatus(body), "kind"));
  }
  body = tx.body_bytes();
  for (int version : {0, 2, 255}) {
    body[1] = static_cast<uint8_t>(version);
    CHECK(Mentions(DecodeBodyStatus(body), "version"));
  }
  body = tx.body_bytes();
  for (int suite : {0, 3, 255}) {
    body[2] = static_cast<uint8_t>(suite);
    CHECK(Mentions(DecodeBodyStatus(body), "suite"));
  }
  // A kind byte naming another kind makes the payload fail to parse as that kind.
  body = tx.body_bytes();
  body[0] = static_cast<uint8_t>(TxKind::kConsent);
  CHECK_FALSE(DecodeTxBody(body).ok());
}

TEST_CASE("a length that points past the buffer is rejected before allocating") {
  Transaction tx = SignedTx(SampleAttestation());
  Bytes enc = tx.Encode();
  // The outer body length: claims more than there is.
  Bytes e1 = enc;
  e1[0] = 0xff;
  e1[1] = 0xff;
  Status s = Transaction::Decode(e1).status();
  CHECK((Mentions(s, "past the end") || Mentions(s, "exceeds maximum")));
  // The chain id length inside the body (offset 3).
  Bytes body = tx.body_bytes();
  body[3] = 60;  // <= kChainIdBytesMax, but the body is shorter than that after the field
  body.resize(3 + 4 + 20);
  CHECK(Mentions(DecodeBodyStatus(body), "past the end"));
  body = tx.body_bytes();
  body[3] = 65;  // over kChainIdBytesMax
  CHECK(Mentions(DecodeBodyStatus(body), "exceeds maximum"));
  // A lying attribute count cannot drive an allocation.
  Bytes payload = HandAttestation(1, 202401, 202401, 0, {}, 1'000'000'000);
  Status cs = DecodeBodyStatus(HandBody(TxKind::kAttestation, payload));
  CHECK(Mentions(cs, "exceeds maximum"));
}

TEST_CASE("over-limit counts and sizes are rejected with the field named") {
  std::vector<std::pair<std::string, std::string>> attrs;
  for (size_t i = 0; i <= kAttributesMax; ++i) attrs.push_back({"k" + std::to_string(100 + i), "v"});
  Status s = DecodeBodyStatus(HandBody(TxKind::kAttestation, HandAttestation(1, 202401, 202401, 0, attrs)));
  CHECK(Mentions(s, "attestation.attributes"));
  CHECK(Mentions(s, "exceeds maximum"));

  Writer hw;
  hw.Hash(Label("household"));
  hw.U32(202401);
  hw.Count(kMembersMax + 1);
  for (size_t i = 0; i <= kMembersMax; ++i) hw.Hash(Label("m" + std::to_string(i)));
  CHECK(Mentions(DecodeBodyStatus(HandBody(TxKind::kHouseholdDeclaration, hw.bytes())),
                 "household.members"));

  RuleSet rs = SampleRuleSet();
  rs.rules_json = std::string(kRuleSetJsonBytesMax + 1, ' ');
  CHECK(Mentions(Validate(rs), "ruleset.rules_json"));
  Bytes big(kTransactionBytesMax + 1, 0);
  CHECK(Mentions(Transaction::Decode(big).status(), "exceeds maximum"));
}

TEST_CASE("non-canonical ordering is rejected") {
  Status unsorted = DecodeBodyStatus(HandBody(
      TxKind::kAttestation, HandAttestation(1, 202401, 202401, 0, {{"b", "1"}, {"a", "2"}})));
  CHECK(Mentions(unsorted, "sorted"));
  Status dup = DecodeBodyStatus(HandBody(
      TxKind::kAttestation, HandAttestation(1, 202401, 202401, 0, {{"a", "1"}, {"a", "2"}})));
  CHECK(Mentions(dup, "sorted"));
  // The hand-written sorted form is accepted, so the layout above matches FORMAT.md.
  CHECK(DecodeTxBody(HandBody(TxKind::kAttestation,
                              HandAttestation(1, 202401, 202401, 0, {{"a", "1"}, {"b", "2"}})))
            .ok());

  HouseholdDeclaration h = SampleHousehold();
  std::swap(h.members[0], h.members[1]);
  CHECK(Mentions(Validate(h), "sorted"));
  h = SampleHousehold();
  h.members.push_back(h.members.back());
  CHECK(Mentions(Validate(h), "unique"));
  // Booleans other than 0/1 (the presence byte of `supersedes`).
  Bytes payload = HandAttestation(1, 202401, 202401, 0, {});
  payload.back() = 2;
  CHECK(Mentions(DecodeBodyStatus(HandBody(TxKind::kAttestation, payload)), "supersedes"));
}

TEST_CASE("months, amounts and times are validated") {
  Attestation a = SampleAttestation();
  for (uint32_t bad : {0u, 202400u, 202413u, 189912u, 220101u, 2024u, 20240101u}) {
    a = SampleAttestation();
    a.first_month = bad;
    INFO("month " << bad);
    CHECK(Mentions(Validate(a), "attestation.first_month"));
  }
  CHECK(IsValidMonth(190001));
  CHECK(IsValidMonth(220012));
  a = SampleAttestation();
  a.first_month = 202405;
  a.last_month = 202404;
  CHECK(Mentions(Validate(a), "before first month"));
  a = SampleAttestation();
  a.first_month = 201501;
  a.last_month = 202501;  // 121 months
  CHECK(Mentions(Validate(a), "maximum 120"));

  a = SampleAttestation();
  a.amount_fen = -1;
  CHECK(Mentions(Validate(a), "negative"));
  a.amount_fen = kAmountFenAbsMax + 1;
  CHECK(Mentions(Validate(a), "exceeds the bound"));
  a.category = Category::kBusiness;  // net business income may be a loss
  a.amount_fen = -kAmountFenAbsMax;
  CHECK(Validate(a).ok());
  a.amount_fen = -kAmountFenAbsMax - 1;
  CHECK_FALSE(Validate(a).ok());
  a.category = Category::kDisabilityStatus;
  a.amount_fen = 1;
  CHECK(Mentions(Validate(a), "must be 0"));
  a.category = Category::kDeposits;
  a.amount_fen = kAssetFenMax;
  CHECK(Validate(a).ok());
  a.category = static_cast<Category>(999);
  CHECK(Mentions(Validate(a), "attestation.category"));
  Status cat = DecodeBodyStatus(HandBody(TxKind::kAttestation, HandAttestation(999, 202401, 202401, 0, {})));
  CHECK(Mentions(cat, "unknown category"));

  TxBody body = BodyOf(SampleAttestation());
  body.issued_at_ms = kTimeMsMin - 1;
  CHECK(Mentions(Validate(body), "issued_at_ms"));
  body.issued_at_ms = kTimeMsMax;
  CHECK(Mentions(Validate(body), "issued_at_ms"));
  body.issued_at_ms = kTimeMsMin;
  CHECK(Validate(body).ok());
  Consent c = SampleConsent();
  c.valid_until_ms = c.valid_from_ms;
  CHECK(Mentions(Validate(c), "valid_until_ms"));
  AccessRecord ar = SampleAccess();
  ar.caseworker = "bad name";
  CHECK(Mentions(Validate(ar), "access.caseworker"));
  ar = SampleAccess();
  ar.purpose = static_cast<AccessPurpose>(9);
  CHECK(Mentions(Validate(ar), "access.purpose"));
  KeyEvent ke = SampleKeyEvent();
  ke.key_raw.pop_back();
  CHECK(Mentions(Validate(ke), "keyevent.key_raw"));
  ke = SampleKeyEvent();
  ke.action = static_cast<KeyAction>(3);
  CHECK(Mentions(Validate(ke), "keyevent.action"));
  body = BodyOf(SampleAttestation());
  body.chain_id = "bad chain id";
  CHECK(Mentions(Validate(body), "chain_id"));
  body.chain_id = std::string(kChainIdBytesMax + 1, 'c');
  CHECK(Mentions(Validate(body), "chain_id"));
}

TEST_CASE("signatures: the right key verifies, nothing else does") {
  for (const TxPayload& p : AllSamplePayloads()) {
    Transaction tx = SignedTx(p);
    INFO("kind " << TxKindName(tx.kind()));
    const PrivateKey key = SignerFor(tx.kind());
    CHECK(tx.body().signer == key.public_key().Id());
    CHECK(tx.VerifySignature(key.public_key()).ok());
    // The id is stable: signing again gives the same id and (Ed25519) the same bytes.
    Transaction again = SignedTx(p);
    CHECK(again.id() == tx.id());
    CHECK(again.Encode() == tx.Encode());
    // Another key.
    CHECK(tx.VerifySignature(SeedKey("another key").public_key()).code() == Code::kVerifyFailed);
    // Another chain id: same signature over a body naming another chain.
    TxBody other = tx.body();
    other.chain_id = "another-chain";
    Result<Transaction> moved = Transaction::FromParts(other, tx.signature());
    REQUIRE(moved.ok());
    CHECK(moved->id() != tx.id());
    CHECK(moved->VerifySignature(key.public_key()).code() == Code::kVerifyFailed);
    // Another kind's context: the same body bytes signed under one context never verify
    // under another.
    for (TxKind k : {TxKind::kAttestation, TxKind::kConsent, TxKind::kKeyEvent}) {
      if (k == tx.kind()) continue;
      CHECK_FALSE(key.public_key()
                      .Verify(SigningContext(k), tx.body().chain_id, tx.body_bytes(), tx.signature())
                      .ok());
    }
  }
}

TEST_CASE("a tampered body changes the id and fails verification") {
  Transaction tx = SignedTx(SampleAttestation());
  const PublicKey pub = IssuerKey().public_key();
  TxBody changed = tx.body();
  std::get<Attestation>(changed.payload).amount_fen += 1;
  Result<Transaction> t2 = Transaction::FromParts(changed, tx.signature());
  REQUIRE(t2.ok());
  CHECK(t2->id() != tx.id());
  CHECK(t2->VerifySignature(pub).code() == Code::kVerifyFailed);
  // Every single-byte change of the encoded body either fails to decode or fails to verify.
  const Bytes body = tx.body_bytes();
  for (size_t i = 0; i < body.size(); ++i) {
    Bytes b = body;
    b[i] ^= 0x01;
    Result<Transaction> t = Transaction::Decode(WrapTx(b, tx.signature()));
    if (!t.ok()) continue;
    INFO("byte " << i);
    CHECK(t->id() != tx.id());
    CHECK_FALSE(t->VerifySignature(pub).ok());
  }
}

TEST_CASE("signing checks the suite and records the signer id") {
  Result<PrivateKey> sm2 = PrivateKey::Generate(Suite::kSm2Sm3);
  REQUIRE(sm2.ok());
  TxBody body = BodyOf(SampleAttestation());
  CHECK(Mentions(Transaction::Sign(body, *sm2).status(), "suite"));
  body.suite = Suite::kSm2Sm3;
  Result<Transaction> tx = Transaction::Sign(body, *sm2);
  REQUIRE(tx.ok());
  CHECK(tx->body().signer == sm2->public_key().Id());
  CHECK(tx->id() == SuiteHash(Suite::kSm2Sm3, tx->body_bytes()));
  CHECK(tx->VerifySignature(sm2->public_key()).ok());
  Result<Transaction> back = Transaction::Decode(tx->Encode());
  REQUIRE(back.ok());
  CHECK(back->VerifySignature(sm2->public_key()).ok());
  CHECK(tx->VerifySignature(IssuerKey().public_key()).code() == Code::kInvalidArgument);
  // A key event must announce a key of the chain's suite.
  TxBody ke = BodyOf(SampleKeyEvent());
  ke.suite = Suite::kSm2Sm3;
  CHECK(Mentions(Validate(ke), "key_suite"));
}

TEST_CASE("an empty or over-long signature is rejected") {
  Transaction tx = SignedTx(SampleConsent());
  CHECK(Mentions(Transaction::Decode(WrapTx(tx.body_bytes(), Bytes{})).status(), "signature"));
  CHECK(Mentions(Transaction::Decode(WrapTx(tx.body_bytes(), Bytes(kSignatureBytesMax + 1, 1)))
                     .status(),
                 "signature"));
  CHECK(Transaction::FromParts(tx.body(), Bytes{}).status().code() == Code::kInvalidArgument);
}

TEST_CASE("kind names, contexts and wire values are stable") {
  CHECK(SigningContext(TxKind::kAttestation) == "hearth/attestation/v1");
  CHECK(SigningContext(TxKind::kHouseholdDeclaration) == "hearth/household/v1");
  CHECK(SigningContext(TxKind::kConsent) == "hearth/consent/v1");
  CHECK(SigningContext(TxKind::kEnrollment) == "hearth/enrollment/v1");
  CHECK(SigningContext(TxKind::kAccessRecord) == "hearth/access/v1");
  CHECK(SigningContext(TxKind::kRuleSet) == "hearth/ruleset/v1");
  CHECK(SigningContext(TxKind::kKeyEvent) == "hearth/keyevent/v1");
  for (uint8_t v = 0x11; v <= 0x17; ++v) {
    Result<TxKind> k = TxKindFromWire(v);
    REQUIRE(k.ok());
    Result<TxKind> byname = ParseTxKind(TxKindName(*k));
    REQUIRE(byname.ok());
    CHECK(*byname == *k);
  }
  for (const CategoryInfo& info : AllCategories()) {
    Result<Category> c = ParseCategory(info.code);
    REQUIRE(c.ok());
    CHECK(*c == info.category);
    CHECK(CategoryFromWire(static_cast<uint16_t>(info.category)).ok());
  }
  CHECK(static_cast<uint16_t>(*ParseCategory("wage")) == 1);
  CHECK(static_cast<uint16_t>(*ParseCategory("real_estate")) == 62);
  CHECK(*ParseProgramme("heating") == Programme::kHeating);
  CHECK(*ParseAgency("disability_federation") == Agency::kDisabilityFederation);
  CHECK_FALSE(ParseCategory("salary").ok());
  CHECK_FALSE(CategoryFromWire(8).ok());
}
