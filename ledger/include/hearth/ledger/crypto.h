// crypto.h: the two crypto suites of Hearth, through OpenSSL 3 EVP.
//
//   suite            hash     signature
//   ed25519-sha256   SHA-256  Ed25519 (pure, RFC 8032)
//   sm2-sm3          SM3      SM2 with SM3, user id "1234567812345678" set explicitly (GM/T 0009)
//
// Domain separation: every signature covers
//   u8 len(context) ‖ context ‖ u8 len(chain_id) ‖ chain_id ‖ message
// (SigningBytes below), so a signature made for one context or chain never verifies in
// another. Context strings look like "hearth/attestation/v1".
//
// Thread-safety: all functions and const methods may be called from any thread; message
// digests are fetched once per process and shared read-only.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hearth/base/bytes.h"
#include "hearth/base/status.h"

namespace hearth {

enum class Suite : uint8_t {
  kEd25519Sha256 = 1,
  kSm2Sm3 = 2,
};

std::string_view SuiteName(Suite suite);          // "ed25519-sha256" / "sm2-sm3"
Result<Suite> ParseSuite(std::string_view name);  // inverse of SuiteName
// Suite from its wire byte; InvalidArgument for an unknown value.
Result<Suite> SuiteFromByte(uint8_t b);

// The SM2 user id (GM/T 0009 default), set explicitly on every SM2 sign and verify.
inline constexpr std::string_view kSm2UserId = "1234567812345678";
// Maximum lengths accepted for a context string and a chain id.
inline constexpr size_t kContextBytesMax = 64;
inline constexpr size_t kChainIdBytesMax = 64;
// Maximum encoded signature length of any suite (SM2 DER is at most 72 bytes).
inline constexpr size_t kSignatureBytesMax = 80;
// Maximum raw public key length of any suite (SM2 uncompressed point is 65 bytes).
inline constexpr size_t kPublicKeyBytesMax = 65;

// The suite hash (SHA-256 or SM3) of `data`.
Hash32 SuiteHash(Suite suite, ByteView data);
// The suite hash of the concatenation of `parts`, without copying them.
Hash32 SuiteHashParts(Suite suite, std::initializer_list<ByteView> parts);
// HMAC with the suite hash.
Hash32 SuiteHmac(Suite suite, ByteView key, ByteView data);

// Bytes a signature covers. REQUIRES: context and chain_id no longer than their maxima.
Bytes SigningBytes(std::string_view context, std::string_view chain_id, ByteView message);

class PublicKey;

// One signature to check with VerifyBatch: what PublicKey::Verify takes, by reference.
struct SignatureCheck {
  const PublicKey* key = nullptr;
  std::string_view context;
  std::string_view chain_id;
  ByteView message;
  ByteView signature;
};

// Signatures per batch equation: a batch of 128 is 7.4x faster per signature than one by one,
// of 256 only 7.5x (bench_crypto), and a failing batch costs its signatures one by one. Callers
// that split work (the node's verify pool, the audit's jobs, receipts) split by this too.
inline constexpr size_t kSignatureBatchMax = 128;

// results[i] is exactly what checks[i].key->Verify(context, chain_id, message, signature)
// returns. ed25519-sha256 signatures are first checked together, kSignatureBatchMax at a time,
// with one random linear combination of their equations (ledger/src/ed25519.h); only a batch
// that fails has each of its signatures checked alone, so an invalid signature costs its
// batch and then its own check. SM2 signatures are always checked one by one.
std::vector<Status> VerifyBatch(std::span<const SignatureCheck> checks);

// A public key of one suite, held as its raw encoding:
//  - ed25519-sha256: the 32-byte RFC 8032 public key;
//  - sm2-sm3: the 65-byte uncompressed SM2 point 0x04 ‖ X ‖ Y.
class PublicKey {
 public:
  // Validates length and, for SM2, that the point is on the curve.
  static Result<PublicKey> FromRaw(Suite suite, ByteView raw);
  static Result<PublicKey> FromPem(Suite suite, std::string_view pem);

  Suite suite() const { return suite_; }
  const Bytes& raw() const { return raw_; }
  Result<std::string> ToPem() const;
  // The key id: suite hash of the raw key.
  Hash32 Id() const;

  // OK, or VerifyFailed (wrong signature / tampered bytes / other context), or
  // InvalidArgument for a malformed signature. ed25519-sha256: RFC 8032 §5.1.7's cofactored
  // equation with canonical encodings of A and R (ledger/src/ed25519.h); OpenSSL checks the
  // cofactorless one first, and only a signature it refuses is checked again with the
  // cofactor, so honest signatures cost what OpenSSL costs.
  Status Verify(std::string_view context, std::string_view chain_id, ByteView message,
                ByteView signature) const;

  friend bool operator==(const PublicKey& a, const PublicKey& b) {
    return a.suite_ == b.suite_ && a.raw_ == b.raw_;
  }
  friend Status TEST_VerifyRaw(const PublicKey& key, ByteView message, ByteView signature);
  friend std::vector<Status> VerifyBatch(std::span<const SignatureCheck> checks);

 private:
  struct Impl;
  // Verify after the domain checks: `tbs` is the whole signed byte string.
  Status VerifySigned(ByteView tbs, ByteView signature) const;
  Suite suite_ = Suite::kEd25519Sha256;
  Bytes raw_;
  std::shared_ptr<const Impl> impl_;  // parsed EVP_PKEY, shared read-only
};

class PrivateKey {
 public:
  static Result<PrivateKey> Generate(Suite suite);
  // PKCS#8 PEM, unencrypted; the suite must match the key type.
  static Result<PrivateKey> FromPem(Suite suite, std::string_view pem);
  static Result<PrivateKey> LoadPemFile(Suite suite, const std::string& path);
  // Ed25519 only: the key from its 32-byte RFC 8032 seed (used by test vectors).
  static Result<PrivateKey> Ed25519FromSeed(ByteView seed32);

  Suite suite() const { return suite_; }
  const PublicKey& public_key() const { return public_; }
  Result<std::string> ToPem() const;
  // Writes the PEM with mode 0600 (created so; never world-readable even briefly).
  // Never overwrites: AlreadyExists when `path` exists (losing a key is not undoable).
  Status SavePemFile(const std::string& path) const;

  Result<Bytes> Sign(std::string_view context, std::string_view chain_id, ByteView message) const;
  friend Result<Bytes> TEST_SignRaw(const PrivateKey& key, ByteView message);

 private:
  struct Impl;
  // Builds the key (and its public half) from a parsed Impl of `suite`.
  static Result<PrivateKey> FromImpl(Suite suite, std::shared_ptr<const Impl> impl);
  Suite suite_ = Suite::kEd25519Sha256;
  PublicKey public_;
  std::shared_ptr<const Impl> impl_;
};

// Test hooks for published vectors (RFC 8032): sign / verify `message` exactly as given,
// WITHOUT SigningBytes. Such signatures are not domain-separated: never use outside tests.
Result<Bytes> TEST_SignRaw(const PrivateKey& key, ByteView message);
Status TEST_VerifyRaw(const PublicKey& key, ByteView message, ByteView signature);

}  // namespace hearth
