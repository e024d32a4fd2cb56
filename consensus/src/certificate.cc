// Commit certificates (certificate.h). The encoding mirrors ledger/src/certificate.cc byte
// for byte; tests/consensus/certificate_test.cc checks one against the other.
#include "hearth/consensus/certificate.h"

#include <string>

#include "hearth/base/codec.h"
#include "hearth/consensus/messages.h"
#include "hearth/consensus/params.h"

namespace hearth::consensus {

Status ValidateShape(const Certificate& c) {
  if (c.height == 0) return Status::InvalidArgument("certificate.height: heights start at 1");
  if (c.votes.empty() || c.votes.size() > kCertificateVotesMax) {
    return Status::InvalidArgument("certificate.votes: count " + std::to_string(c.votes.size()) +
                                   " outside 1.." + std::to_string(kCertificateVotesMax));
  }
  for (size_t i = 0; i < c.votes.size(); ++i) {
    const CertificateVote& v = c.votes[i];
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

Bytes EncodeCertificate(const Certificate& c) {
  HEARTH_CHECK(ValidateShape(c).ok());
  Writer w(48 + c.votes.size() * (2 + 4 + 64));
  w.U8(kCertificateTag);
  w.U8(kCertificateVersion);
  w.U64(c.height);
  w.U32(c.round);
  w.Hash(c.value_id);
  w.Count(c.votes.size());
  for (const CertificateVote& v : c.votes) {
    w.U16(v.member);
    w.Blob(v.signature);
  }
  return w.Take();
}

Result<Certificate> DecodeCertificate(ByteView bytes) {
  if (bytes.size() > kCertificateBytesMax) {
    return Status::InvalidArgument("certificate: " + std::to_string(bytes.size()) +
                                   " bytes exceeds maximum " +
                                   std::to_string(kCertificateBytesMax));
  }
  Reader r(bytes, "certificate");
  uint8_t tag = 0;
  uint8_t version = 0;
  HEARTH_RETURN_IF_ERROR(r.U8("tag", &tag));
  if (tag != kCertificateTag) return r.Error("tag", "not a certificate: " + std::to_string(tag));
  HEARTH_RETURN_IF_ERROR(r.U8("version", &version));
  if (version != kCertificateVersion) {
    return r.Error("version", "unknown version " + std::to_string(version));
  }
  Certificate c;
  HEARTH_RETURN_IF_ERROR(r.U64("height", &c.height));
  HEARTH_RETURN_IF_ERROR(r.U32("round", &c.round));
  HEARTH_RETURN_IF_ERROR(r.Hash("value_id", &c.value_id));
  size_t n = 0;
  // A vote is at least u16 member + u32 length + 1 signature byte.
  HEARTH_RETURN_IF_ERROR(r.Count("votes", kCertificateVotesMax, 7, &n));
  c.votes.assign(n, CertificateVote{});
  for (CertificateVote& v : c.votes) {
    HEARTH_RETURN_IF_ERROR(r.U16("vote.member", &v.member));
    HEARTH_RETURN_IF_ERROR(r.Blob("vote.signature", kSignatureBytesMax, &v.signature));
  }
  HEARTH_RETURN_IF_ERROR(r.Finish());
  HEARTH_RETURN_IF_ERROR(ValidateShape(c));
  return c;
}

Status VerifyCertificate(const Certificate& c, const MemberVerifier& members) {
  HEARTH_RETURN_IF_ERROR(ValidateShape(c));
  const uint32_t n = members.member_count();
  HEARTH_RETURN_IF_ERROR(CheckMemberCount(n).Annotate("certificate"));
  // Algorithm 1, line 49: 2f+1 ⟨PRECOMMIT, h, r, id(v)⟩ from distinct members.
  const uint32_t quorum = QuorumSize(n);
  if (c.votes.size() < quorum) {
    return Status::VerifyFailed("certificate: " + std::to_string(c.votes.size()) +
                                " votes, quorum is " + std::to_string(quorum));
  }
  // Votes are sorted and unique (ValidateShape), so every counted vote is a distinct member.
  const Bytes message = VoteSigningMessage(c.height, c.round, c.value_id);
  for (const CertificateVote& v : c.votes) {
    if (v.member >= n) {
      return Status::VerifyFailed("certificate: vote from member " + std::to_string(v.member) +
                                  ", but there are only " + std::to_string(n));
    }
    Status s = members.Verify(v.member, kPrecommitContext, message, v.signature);
    if (!s.ok()) {
      return Status::VerifyFailed("certificate: the vote of member " + std::to_string(v.member) +
                                  " does not verify: " + s.message());
    }
  }
  return Status::Ok();
}

}  // namespace hearth::consensus
