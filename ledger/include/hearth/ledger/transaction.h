// transaction.h: the signed transaction envelope around one record payload (records.h).
//
// Wire form (docs/FORMAT.md "Transactions"):
//   body        = u8 kind ‖ u8 version(=1) ‖ u8 suite ‖ text chain_id ‖ signer key id (32)
//                 ‖ u64 issued_at_ms ‖ u64 nonce ‖ payload of `kind`
//   transaction = u32 len ‖ body ‖ u32 len ‖ signature
//   tx id       = SuiteHash(suite, body)                      (signature excluded)
//   signed      = SigningBytes("hearth/<kind>/v1", chain_id, body)
//
// Contract:
//  - A Transaction value always holds a valid body, its exact canonical bytes and its id
//    (computed once). Decode accepts only canonical bytes: decode(encode(x)) == x.
//  - Decode does NOT check the signature: the caller knows which key the signer id names
//    (genesis, key events) and calls VerifySignature. Decode checks the signature's length
//    only (1..kSignatureBytesMax).
//  - Decode does not judge the chain id against the local chain; callers reject records for
//    another chain (DESIGN.md) by comparing body().chain_id.
// Thread-safety: values; const methods may be called from any thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "hearth/base/bytes.h"
#include "hearth/base/status.h"
#include "hearth/ledger/crypto.h"
#include "hearth/ledger/records.h"

namespace hearth {

// Version of the transaction format (envelope and all payloads); "v1" in contexts.
inline constexpr uint8_t kTxVersion = 1;
// Largest encoded transaction (a RuleSet with kRuleSetJsonBytesMax of JSON fits).
inline constexpr size_t kTransactionBytesMax = 72 * 1024;
// Chain id: 1..kChainIdBytesMax (crypto.h, 64) characters of [A-Za-z0-9._-].
Status ValidateChainId(std::string_view chain_id);

// Kind byte, the first byte of every transaction body. Distinct from the tags of blocks,
// headers and certificates (block.h), so no byte string is two kinds of object.
enum class TxKind : uint8_t {
  kAttestation = 0x11,
  kHouseholdDeclaration = 0x12,
  kConsent = 0x13,
  kEnrollment = 0x14,
  kAccessRecord = 0x15,
  kRuleSet = 0x16,
  kKeyEvent = 0x17,
};

// "attestation", "household", "consent", "enrollment", "access", "ruleset", "keyevent".
std::string_view TxKindName(TxKind kind);
Result<TxKind> ParseTxKind(std::string_view name);
Result<TxKind> TxKindFromWire(uint8_t v);
// The signing context "hearth/<name>/v1" of a kind.
std::string_view SigningContext(TxKind kind);

using TxPayload = std::variant<Attestation, HouseholdDeclaration, Consent, Enrollment,
                               AccessRecord, RuleSet, KeyEvent>;
TxKind KindOf(const TxPayload& payload);

struct TxBody {
  Suite suite = Suite::kEd25519Sha256;
  std::string chain_id;
  Hash32 signer;              // PublicKey::Id() of the signing key
  uint64_t issued_at_ms = 0;  // unix ms in [kTimeMsMin, kTimeMsMax)
  uint64_t nonce = 0;         // any value; lets an author sign identical content twice
  TxPayload payload;

  TxKind kind() const { return KindOf(payload); }
  friend bool operator==(const TxBody&, const TxBody&) = default;
};

// Envelope fields and payload. For KeyEvent, also key_suite == suite.
Status Validate(const TxBody& body);
// REQUIRES: Validate(body).ok().
Bytes EncodeTxBody(const TxBody& body);
// Canonical decode of a body (no trailing bytes), validated.
Result<TxBody> DecodeTxBody(ByteView bytes);

class Transaction {
 public:
  // Signs `body` with `key`. Sets body.signer to key.public_key().Id() (the signer id is
  // always the signing key's). InvalidArgument when the body is invalid, when the key's
  // suite differs from body.suite, or when the encoding exceeds kTransactionBytesMax.
  static Result<Transaction> Sign(TxBody body, const PrivateKey& key);
  // A transaction from a body and a signature made elsewhere (e.g. an HSM); the signature
  // is not checked here.
  static Result<Transaction> FromParts(TxBody body, Bytes signature);
  // Canonical decode of an encoded transaction (<= kTransactionBytesMax).
  static Result<Transaction> Decode(ByteView encoded);

  Bytes Encode() const;
  size_t EncodedSize() const { return 8 + body_bytes_.size() + signature_.size(); }

  const TxBody& body() const { return body_; }
  TxKind kind() const { return body_.kind(); }
  Suite suite() const { return body_.suite; }
  const Bytes& body_bytes() const { return body_bytes_; }
  const Bytes& signature() const { return signature_; }
  const Hash32& id() const { return id_; }

  // OK when `key` is the signer (its Id equals body().signer) and the signature verifies
  // over SigningBytes(SigningContext(kind), chain_id, body). VerifyFailed otherwise
  // (wrong key, tampered bytes, other chain or context), InvalidArgument for a key of
  // another suite.
  Status VerifySignature(const PublicKey& key) const;
  // VerifySignature of many: the result i is txs[i]->VerifySignature(*keys[i]). The
  // ed25519-sha256 signatures are checked together (crypto.h VerifyBatch), so a batch of
  // honest ones costs a fraction of checking them one by one.
  static std::vector<Status> VerifySignatures(std::span<const Transaction* const> txs,
                                              std::span<const PublicKey* const> keys);

  friend bool operator==(const Transaction& a, const Transaction& b) {
    return a.id_ == b.id_ && a.signature_ == b.signature_;
  }

 private:
  Transaction() = default;
  static Result<Transaction> Make(TxBody body, Bytes body_bytes, Bytes signature);
  // VerifySignature's checks of the key before the signature: its suite, and that it signed.
  Status CheckSigner(const PublicKey& key) const;

  TxBody body_;
  Bytes body_bytes_;
  Bytes signature_;
  Hash32 id_;
};

// The payload of a given kind. REQUIRES: tx.kind() matches T.
template <typename T>
const T& PayloadAs(const Transaction& tx) {
  const T* p = std::get_if<T>(&tx.body().payload);
  HEARTH_CHECK_MSG(p != nullptr, "PayloadAs: wrong transaction kind");
  return *p;
}

}  // namespace hearth
