// The signed transaction envelope (transaction.h; docs/FORMAT.md "Transactions").
#include "hearth/ledger/transaction.h"

#include <array>
#include <string>

#include "hearth/base/check.h"

namespace hearth {

namespace {

struct KindRow {
  TxKind kind;
  std::string_view name;
  std::string_view context;
};
constexpr std::array<KindRow, 7> kKinds = {{
    {TxKind::kAttestation, "attestation", "hearth/attestation/v1"},
    {TxKind::kHouseholdDeclaration, "household", "hearth/household/v1"},
    {TxKind::kConsent, "consent", "hearth/consent/v1"},
    {TxKind::kEnrollment, "enrollment", "hearth/enrollment/v1"},
    {TxKind::kAccessRecord, "access", "hearth/access/v1"},
    {TxKind::kRuleSet, "ruleset", "hearth/ruleset/v1"},
    {TxKind::kKeyEvent, "keyevent", "hearth/keyevent/v1"},
}};

const KindRow& RowOf(TxKind kind) {
  for (const KindRow& row : kKinds) {
    if (row.kind == kind) return row;
  }
  HEARTH_CHECK_MSG(false, "unknown TxKind");
  return kKinds[0];
}

// A payload of `kind` decoded into the variant.
Status DecodePayloadOfKind(Reader& r, TxKind kind, TxPayload* out) {
  switch (kind) {
    case TxKind::kAttestation: return DecodePayload(r, &out->emplace<Attestation>());
    case TxKind::kHouseholdDeclaration:
      return DecodePayload(r, &out->emplace<HouseholdDeclaration>());
    case TxKind::kConsent: return DecodePayload(r, &out->emplace<Consent>());
    case TxKind::kEnrollment: return DecodePayload(r, &out->emplace<Enrollment>());
    case TxKind::kAccessRecord: return DecodePayload(r, &out->emplace<AccessRecord>());
    case TxKind::kRuleSet: return DecodePayload(r, &out->emplace<RuleSet>());
    case TxKind::kKeyEvent: return DecodePayload(r, &out->emplace<KeyEvent>());
  }
  HEARTH_CHECK_MSG(false, "unknown TxKind");
  return Status::Internal("unreachable");
}

}  // namespace

Status ValidateChainId(std::string_view chain_id) {
  if (chain_id.empty() || chain_id.size() > kChainIdBytesMax) {
    return Status::InvalidArgument("chain_id: length " + std::to_string(chain_id.size()) +
                                   " outside 1.." + std::to_string(kChainIdBytesMax));
  }
  for (char c : chain_id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return Status::InvalidArgument("chain_id: characters must be [A-Za-z0-9._-]");
  }
  return Status::Ok();
}

std::string_view TxKindName(TxKind kind) { return RowOf(kind).name; }
std::string_view SigningContext(TxKind kind) { return RowOf(kind).context; }

Result<TxKind> ParseTxKind(std::string_view name) {
  for (const KindRow& row : kKinds) {
    if (row.name == name) return row.kind;
  }
  return Status::InvalidArgument("unknown transaction kind '" + std::string(name) + "'");
}

Result<TxKind> TxKindFromWire(uint8_t v) {
  for (const KindRow& row : kKinds) {
    if (static_cast<uint8_t>(row.kind) == v) return row.kind;
  }
  return Status::InvalidArgument("unknown transaction kind byte " + std::to_string(v));
}

TxKind KindOf(const TxPayload& payload) {
  static constexpr std::array<TxKind, 7> kByIndex = {
      TxKind::kAttestation, TxKind::kHouseholdDeclaration, TxKind::kConsent,
      TxKind::kEnrollment,  TxKind::kAccessRecord,         TxKind::kRuleSet,
      TxKind::kKeyEvent};
  static_assert(std::variant_size_v<TxPayload> == kByIndex.size());
  return kByIndex[payload.index()];
}

// Everything but the payload's own rules (which DecodePayload has already checked).
static Status ValidateEnvelope(const TxBody& body) {
  if (!SuiteFromByte(static_cast<uint8_t>(body.suite)).ok()) {
    return Status::InvalidArgument("transaction.suite: unknown suite value " +
                                   std::to_string(static_cast<uint8_t>(body.suite)));
  }
  HEARTH_RETURN_IF_ERROR(ValidateChainId(body.chain_id).Annotate("transaction"));
  if (body.signer.IsZero()) return Status::InvalidArgument("transaction.signer: all-zero id");
  HEARTH_RETURN_IF_ERROR(CheckTimeMs("transaction.issued_at_ms", body.issued_at_ms));
  if (const auto* ke = std::get_if<KeyEvent>(&body.payload)) {
    if (ke->key_suite != body.suite) {
      return Status::InvalidArgument("keyevent.key_suite: differs from the transaction suite");
    }
  }
  return Status::Ok();
}

Status Validate(const TxBody& body) {
  HEARTH_RETURN_IF_ERROR(std::visit([](const auto& p) { return Validate(p); }, body.payload));
  return ValidateEnvelope(body);
}

// REQUIRES: Validate(body).ok() (checked by the callers below, once).
static Bytes EncodeValidTxBody(const TxBody& body) {
  Writer w(256);
  w.U8(static_cast<uint8_t>(body.kind()));
  w.U8(kTxVersion);
  w.U8(static_cast<uint8_t>(body.suite));
  w.Str(body.chain_id);
  w.Hash(body.signer);
  w.U64(body.issued_at_ms);
  w.U64(body.nonce);
  std::visit([&w](const auto& p) { EncodePayload(p, w); }, body.payload);
  return w.Take();
}

Bytes EncodeTxBody(const TxBody& body) {
  HEARTH_CHECK(Validate(body).ok());
  return EncodeValidTxBody(body);
}

Result<TxBody> DecodeTxBody(ByteView bytes) {
  Reader r(bytes, "transaction");
  uint8_t kind_byte = 0, version = 0, suite_byte = 0;
  HEARTH_RETURN_IF_ERROR(r.U8("kind", &kind_byte));
  auto kind = TxKindFromWire(kind_byte);
  if (!kind.ok()) return r.Error("kind", kind.status().message());
  HEARTH_RETURN_IF_ERROR(r.U8("version", &version));
  if (version != kTxVersion) {
    return r.Error("version", "unknown version " + std::to_string(version) + " (expected " +
                                  std::to_string(kTxVersion) + ")");
  }
  HEARTH_RETURN_IF_ERROR(r.U8("suite", &suite_byte));
  auto suite = SuiteFromByte(suite_byte);
  if (!suite.ok()) return r.Error("suite", suite.status().message());
  TxBody body;
  body.suite = *suite;
  HEARTH_RETURN_IF_ERROR(r.Str("chain_id", kChainIdBytesMax, &body.chain_id));
  HEARTH_RETURN_IF_ERROR(r.Hash("signer", &body.signer));
  HEARTH_RETURN_IF_ERROR(r.U64("issued_at_ms", &body.issued_at_ms));
  HEARTH_RETURN_IF_ERROR(r.U64("nonce", &body.nonce));
  HEARTH_RETURN_IF_ERROR(DecodePayloadOfKind(r, *kind, &body.payload));
  HEARTH_RETURN_IF_ERROR(r.Finish());
  HEARTH_RETURN_IF_ERROR(ValidateEnvelope(body));
  return body;
}

Result<Transaction> Transaction::Make(TxBody body, Bytes body_bytes, Bytes signature) {
  if (signature.empty() || signature.size() > kSignatureBytesMax) {
    return Status::InvalidArgument("transaction.signature: length " +
                                   std::to_string(signature.size()) + " outside 1.." +
                                   std::to_string(kSignatureBytesMax));
  }
  Transaction tx;
  tx.body_ = std::move(body);
  tx.body_bytes_ = std::move(body_bytes);
  tx.signature_ = std::move(signature);
  if (tx.EncodedSize() > kTransactionBytesMax) {
    return Status::InvalidArgument("transaction: encoded size " +
                                   std::to_string(tx.EncodedSize()) + " exceeds maximum " +
                                   std::to_string(kTransactionBytesMax));
  }
  tx.id_ = SuiteHash(tx.body_.suite, tx.body_bytes_);
  return tx;
}

Result<Transaction> Transaction::Sign(TxBody body, const PrivateKey& key) {
  if (key.suite() != body.suite) {
    return Status::InvalidArgument("transaction.suite: the signing key is of suite " +
                                   std::string(SuiteName(key.suite())) + ", the body of " +
                                   std::string(SuiteName(body.suite)));
  }
  body.signer = key.public_key().Id();
  HEARTH_RETURN_IF_ERROR(Validate(body));
  Bytes body_bytes = EncodeValidTxBody(body);
  HEARTH_ASSIGN_OR_RETURN(Bytes sig,
                          key.Sign(SigningContext(body.kind()), body.chain_id, body_bytes));
  return Make(std::move(body), std::move(body_bytes), std::move(sig));
}

Result<Transaction> Transaction::FromParts(TxBody body, Bytes signature) {
  HEARTH_RETURN_IF_ERROR(Validate(body));
  Bytes body_bytes = EncodeValidTxBody(body);
  return Make(std::move(body), std::move(body_bytes), std::move(signature));
}

Result<Transaction> Transaction::Decode(ByteView encoded) {
  if (encoded.size() > kTransactionBytesMax) {
    return Status::InvalidArgument("transaction: encoded size " + std::to_string(encoded.size()) +
                                   " exceeds maximum " + std::to_string(kTransactionBytesMax));
  }
  Reader r(encoded, "transaction");
  Bytes body_bytes, sig;
  HEARTH_RETURN_IF_ERROR(r.Blob("body", kTransactionBytesMax, &body_bytes));
  HEARTH_RETURN_IF_ERROR(r.Blob("signature", kSignatureBytesMax, &sig));
  HEARTH_RETURN_IF_ERROR(r.Finish());
  if (sig.empty()) return r.Error("signature", "empty signature");
  auto body = DecodeTxBody(body_bytes);
  if (!body.ok()) {
    return Status::InvalidArgument(body.status().message() + " (body starts at offset 4)");
  }
  return Make(std::move(body).value(), std::move(body_bytes), std::move(sig));
}

Bytes Transaction::Encode() const {
  Writer w(EncodedSize());
  w.Blob(body_bytes_);
  w.Blob(signature_);
  return w.Take();
}

// The checks VerifySignature makes before the signature itself.
Status Transaction::CheckSigner(const PublicKey& key) const {
  if (key.suite() != body_.suite) {
    return Status::InvalidArgument("transaction: verifying key is of suite " +
                                   std::string(SuiteName(key.suite())) + ", transaction of " +
                                   std::string(SuiteName(body_.suite)));
  }
  if (key.Id() != body_.signer) {
    return Status::VerifyFailed("transaction: key " + key.Id().Hex() +
                                " is not the signer " + body_.signer.Hex());
  }
  return Status::Ok();
}

Status Transaction::VerifySignature(const PublicKey& key) const {
  HEARTH_RETURN_IF_ERROR(CheckSigner(key));
  return key.Verify(SigningContext(kind()), body_.chain_id, body_bytes_, signature_);
}

std::vector<Status> Transaction::VerifySignatures(std::span<const Transaction* const> txs,
                                                  std::span<const PublicKey* const> keys) {
  HEARTH_CHECK(txs.size() == keys.size());
  std::vector<Status> out(txs.size());
  std::vector<SignatureCheck> checks;
  std::vector<size_t> at;
  checks.reserve(txs.size());
  at.reserve(txs.size());
  for (size_t i = 0; i < txs.size(); ++i) {
    const Transaction& tx = *txs[i];
    out[i] = tx.CheckSigner(*keys[i]);
    if (!out[i].ok()) continue;
    checks.push_back(SignatureCheck{keys[i], SigningContext(tx.kind()), tx.body_.chain_id,
                                    tx.body_bytes_, tx.signature_});
    at.push_back(i);
  }
  std::vector<Status> verified = VerifyBatch(checks);
  for (size_t k = 0; k < at.size(); ++k) out[at[k]] = std::move(verified[k]);
  return out;
}

}  // namespace hearth
