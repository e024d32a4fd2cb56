// certificate.h: commit certificates and the signer / verifier interfaces of consensus.
//
// A commit certificate is 2f+1 precommits from distinct members in one round for one value
// (Algorithm 1, line 49: "2f+1 ⟨PRECOMMIT, h_p, r, id(v)⟩"). Its encoding is byte for byte
// the ledger's CommitCertificate (ledger/block.h, docs/FORMAT.md):
//   u8 0x03 ‖ u8 version(=1) ‖ u64 height ‖ u32 round ‖ value_id(32)
//   ‖ u32 count ‖ count × (u16 member ‖ u32 len ‖ signature)
// with votes sorted by member index, unique, 1..kCertificateVotesMax. consensus/ cannot link
// the ledger (it must not link OpenSSL), so the format is defined twice and a test
// (tests/consensus/certificate_test.cc) decodes and verifies one with the ledger's code.
//
// The core never sees a key: signing and verification go through the abstract Signer and
// MemberVerifier below; the node and the simulator inject Ed25519 (or SM2) from
// ledger/crypto.h. The chain id lives in those adapters (they compute SigningBytes).
// Thread-safety: values and pure functions; implementations of the interfaces say theirs.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "hearth/base/bytes.h"
#include "hearth/base/status.h"

namespace hearth::consensus {

using Height = uint64_t;        // heights start at 1 (the ledger's first block)
using MemberIndex = uint16_t;   // index in the genesis member list

inline constexpr uint8_t kCertificateTag = 0x03;
inline constexpr uint8_t kCertificateVersion = 1;
inline constexpr size_t kCertificateVotesMax = 256;
inline constexpr size_t kCertificateBytesMax = 64 * 1024;
// Longest signature of any suite (SM2 DER <= 72); the ledger's kSignatureBytesMax.
inline constexpr size_t kSignatureBytesMax = 80;

struct CertificateVote {
  MemberIndex member = 0;
  Bytes signature;
  friend bool operator==(const CertificateVote&, const CertificateVote&) = default;
};

struct Certificate {
  Height height = 0;
  uint32_t round = 0;
  Hash32 value_id;
  std::vector<CertificateVote> votes;  // sorted by member, unique
  friend bool operator==(const Certificate&, const Certificate&) = default;
};

// Produces signatures with this replica's key over SigningBytes(context, chain id, message).
// An error (e.g. an HSM failing) is an environment failure the node must handle.
class Signer {
 public:
  virtual ~Signer() = default;
  virtual Result<Bytes> Sign(std::string_view context, ByteView message) = 0;
};

// The member set of the chain: n public keys, indexed 0..n-1, and one chain id.
class MemberVerifier {
 public:
  virtual ~MemberVerifier() = default;
  virtual uint32_t member_count() const = 0;
  // OK when `signature` by `member` covers SigningBytes(context, chain id, message);
  // VerifyFailed or InvalidArgument otherwise. REQUIRES: member < member_count().
  virtual Status Verify(MemberIndex member, std::string_view context, ByteView message,
                        ByteView signature) const = 0;
};

// Structural checks, the same as the ledger's: height >= 1, 1..kCertificateVotesMax votes
// sorted by member and unique, every signature 1..kSignatureBytesMax bytes.
Status ValidateShape(const Certificate& c);
// REQUIRES: ValidateShape(c).ok().
Bytes EncodeCertificate(const Certificate& c);
Result<Certificate> DecodeCertificate(ByteView bytes);

// The one certificate check, against the member set alone: shape valid, n = 3f+1, at least
// 2f+1 votes, every member index < n, every signature a valid precommit for
// (height, round, value_id) — a certificate carrying one bad vote is rejected as a whole.
// InvalidArgument for a malformed certificate, VerifyFailed for too few votes, an unknown
// member or a bad signature.
Status VerifyCertificate(const Certificate& c, const MemberVerifier& members);

}  // namespace hearth::consensus
