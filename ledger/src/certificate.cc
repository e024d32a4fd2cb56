// Commit certificates and precommit signatures (block.h; docs/FORMAT.md "Certificates").
#include <string>

#include "hearth/ledger/block.h"

namespace hearth {

Status Validate(const CommitCertificate& c) {
  if (c.height == 0) return Status::InvalidArgument("certificate.height: heights start at 1");
  if (c.votes.empty() || c.votes.size() > kCertificateVotesMax) {
    return Status::InvalidArgument("certificate.votes: count " + std::to_string(c.votes.size()) +
                                   " outside 1.." + std::to_string(kCertificateVotesMax));
  }
  for (size_t i = 0; i < c.votes.size(); ++i) {
    const Vote& v = c.votes[i];
    const std::string where = "certificate.votes[" + std::to_string(i) + "]";
    if (v.signature.empty() || v.signature.size() > kSignatureBytesMax) {
      return Status::InvalidArgument(where + ".signature: length " +
                                     std::to_string(v.signature.size()) + " outside 1.." +
                                     std::to_string(kSignatureBytesMax));
    }
    if (i > 0 && c.votes[i - 1].member >= v.member) {
      return Status::InvalidArgument(where + ".member: " + std::to_string(v.member) +
                                     " not after " + std::to_string(c.votes[i - 1].member) +
                                     " (votes sorted by member, unique)");
    }
  }
  return Status::Ok();
}

Bytes EncodeCertificate(const CommitCertificate& c) {
  HEARTH_CHECK(Validate(c).ok());
  Writer w(64 + c.votes.size() * (2 + 4 + 72));
  w.U8(kCertificateTag);
  w.U8(kCertificateVersion);
  w.U64(c.height);
  w.U32(c.round);
  w.Hash(c.block_hash);
  w.Count(c.votes.size());
  for (const Vote& v : c.votes) {
    w.U16(v.member);
    w.Blob(v.signature);
  }
  return w.Take();
}

Result<CommitCertificate> DecodeCertificate(ByteView bytes) {
  if (bytes.size() > kCertificateBytesMax) {
    return Status::InvalidArgument("certificate: " + std::to_string(bytes.size()) +
                                   " bytes exceeds maximum " +
                                   std::to_string(kCertificateBytesMax));
  }
  Reader r(bytes, "certificate");
  uint8_t tag = 0, version = 0;
  HEARTH_RETURN_IF_ERROR(r.U8("tag", &tag));
  if (tag != kCertificateTag) {
    return r.Error("tag", "not a certificate tag: " + std::to_string(tag));
  }
  HEARTH_RETURN_IF_ERROR(r.U8("version", &version));
  if (version != kCertificateVersion) {
    return r.Error("version", "unknown version " + std::to_string(version));
  }
  CommitCertificate c;
  HEARTH_RETURN_IF_ERROR(r.U64("height", &c.height));
  HEARTH_RETURN_IF_ERROR(r.U32("round", &c.round));
  HEARTH_RETURN_IF_ERROR(r.Hash("block_hash", &c.block_hash));
  size_t n = 0;
  // A vote is at least u16 member + u32 length + 1 signature byte.
  HEARTH_RETURN_IF_ERROR(r.Count("votes", kCertificateVotesMax, 7, &n));
  c.votes.assign(n, Vote{});
  for (Vote& v : c.votes) {
    HEARTH_RETURN_IF_ERROR(r.U16("vote.member", &v.member));
    HEARTH_RETURN_IF_ERROR(r.Blob("vote.signature", kSignatureBytesMax, &v.signature));
  }
  HEARTH_RETURN_IF_ERROR(r.Finish());
  HEARTH_RETURN_IF_ERROR(Validate(c));
  return c;
}

Bytes PrecommitSigningMessage(uint64_t height, uint32_t round, const Hash32& block_hash) {
  Writer w(8 + 4 + Hash32::kSize);
  w.U64(height);
  w.U32(round);
  w.Hash(block_hash);
  return w.Take();
}

Result<Bytes> SignPrecommit(const PrivateKey& key, std::string_view chain_id, uint64_t height,
                            uint32_t round, const Hash32& block_hash) {
  HEARTH_RETURN_IF_ERROR(ValidateChainId(chain_id));
  return key.Sign(kPrecommitContext, chain_id, PrecommitSigningMessage(height, round, block_hash));
}

Status VerifyPrecommit(const PublicKey& key, std::string_view chain_id, uint64_t height,
                       uint32_t round, const Hash32& block_hash, ByteView signature) {
  HEARTH_RETURN_IF_ERROR(ValidateChainId(chain_id));
  return key.Verify(kPrecommitContext, chain_id,
                    PrecommitSigningMessage(height, round, block_hash), signature);
}

Status VerifyCertificate(const CommitCertificate& cert, std::string_view chain_id,
                         std::span<const PublicKey> members, uint32_t f) {
  HEARTH_RETURN_IF_ERROR(Validate(cert));
  HEARTH_RETURN_IF_ERROR(ValidateChainId(chain_id));
  const uint64_t n_min = 3 * static_cast<uint64_t>(f) + 1;
  if (members.size() < n_min) {
    return Status::InvalidArgument("certificate: " + std::to_string(members.size()) +
                                   " members cannot tolerate f=" + std::to_string(f) +
                                   " (need 3f+1)");
  }
  const uint64_t quorum = 2 * static_cast<uint64_t>(f) + 1;
  if (cert.votes.size() < quorum) {
    return Status::VerifyFailed("certificate: " + std::to_string(cert.votes.size()) +
                                " votes, quorum is " + std::to_string(quorum));
  }
  // Votes are sorted and unique (Validate), so every counted vote is a distinct member.
  const Bytes message = PrecommitSigningMessage(cert.height, cert.round, cert.block_hash);
  for (const Vote& v : cert.votes) {
    if (v.member >= members.size()) {
      return Status::VerifyFailed("certificate: vote from member " + std::to_string(v.member) +
                                  ", but there are only " + std::to_string(members.size()));
    }
    Status s = members[v.member].Verify(kPrecommitContext, chain_id, message, v.signature);
    if (!s.ok()) {
      return Status::VerifyFailed("certificate: the vote of member " + std::to_string(v.member) +
                                  " does not verify: " + s.message());
    }
  }
  return Status::Ok();
}

Status VerifyCommit(const BlockHeader& header, const CommitCertificate& cert,
                    std::span<const PublicKey> members, uint32_t f) {
  HEARTH_RETURN_IF_ERROR(Validate(header));
  if (cert.height != header.height) {
    return Status::VerifyFailed("certificate: height " + std::to_string(cert.height) +
                                " is not the block's " + std::to_string(header.height));
  }
  if (cert.block_hash != BlockHash(header)) {
    return Status::VerifyFailed("certificate: block hash is not the block's");
  }
  return VerifyCertificate(cert, header.chain_id, members, f);
}

}  // namespace hearth
