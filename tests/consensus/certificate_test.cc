// Commit certificates: the one check against the member set, and byte-identity with the
// ledger's CommitCertificate (a consensus certificate IS the ledger's certificate).
#include <catch2/catch.hpp>

#include "harness.h"
#include "hearth/consensus/certificate.h"
#include "hearth/ledger/block.h"

namespace hearth::consensus::test {
namespace {

Certificate Make(const KeyRing& ring, Height h, uint32_t r, const Hash32& id,
                 std::vector<MemberIndex> members) {
  Certificate c;
  c.height = h;
  c.round = r;
  c.value_id = id;
  for (MemberIndex m : members) {
    c.votes.push_back({m, ring.Sign(m, kPrecommitContext, VoteSigningMessage(h, r, id))});
  }
  return c;
}

TEST_CASE("2f+1 precommits verify, 2f do not (n = 4 and n = 7)") {
  for (uint32_t n : {4u, 7u}) {
    KeyRing ring(SigMode::kEd25519, n, n);
    const Hash32 id = ToyValueAt(5, 1).id;
    const uint32_t f = FaultsTolerated(n);
    std::vector<MemberIndex> quorum;
    for (MemberIndex m = 0; m < 2 * f + 1; ++m) quorum.push_back(static_cast<MemberIndex>(n - 1 - m));
    std::sort(quorum.begin(), quorum.end());
    INFO("n=" << n);
    CHECK(VerifyCertificate(Make(ring, 5, 2, id, quorum), ring).ok());
    quorum.pop_back();
    Status s = VerifyCertificate(Make(ring, 5, 2, id, quorum), ring);
    CHECK(s.code() == Code::kVerifyFailed);
    CHECK(s.message().find("quorum") != std::string::npos);
    std::vector<MemberIndex> all;
    for (MemberIndex m = 0; m < n; ++m) all.push_back(m);
    CHECK(VerifyCertificate(Make(ring, 5, 2, id, all), ring).ok());
  }
}

TEST_CASE("a certificate for another height, round or value does not verify") {
  KeyRing ring(SigMode::kEd25519, 4, 1);
  const Hash32 id = ToyValueAt(5, 1).id;
  const Certificate good = Make(ring, 5, 2, id, {0, 1, 3});
  REQUIRE(VerifyCertificate(good, ring).ok());
  Certificate c = good;
  c.height = 6;
  CHECK(VerifyCertificate(c, ring).code() == Code::kVerifyFailed);
  c = good;
  c.round = 3;
  CHECK(VerifyCertificate(c, ring).code() == Code::kVerifyFailed);
  c = good;
  c.value_id = ToyValueAt(5, 2).id;
  CHECK(VerifyCertificate(c, ring).code() == Code::kVerifyFailed);
}

TEST_CASE("duplicates, non-members, bad signatures and bad member sets are rejected") {
  KeyRing ring(SigMode::kEd25519, 4, 2);
  const Hash32 id = ToyValueAt(1, 1).id;
  SECTION("the same member twice cannot make a quorum") {
    Certificate c = Make(ring, 1, 0, id, {0, 1, 1});
    CHECK(VerifyCertificate(c, ring).code() == Code::kInvalidArgument);
    CHECK_FALSE(DecodeCertificate(Bytes{}).ok());
  }
  SECTION("unsorted votes are not canonical") {
    Certificate c = Make(ring, 1, 0, id, {1, 0, 2});
    CHECK(ValidateShape(c).code() == Code::kInvalidArgument);
  }
  SECTION("a vote from a member index beyond n") {
    Certificate c = Make(ring, 1, 0, id, {0, 1, 2});
    c.votes.push_back({4, c.votes[0].signature});
    Status s = VerifyCertificate(c, ring);
    CHECK(s.code() == Code::kVerifyFailed);
    CHECK(s.message().find("member 4") != std::string::npos);
  }
  SECTION("one bad signature rejects the whole certificate") {
    Certificate c = Make(ring, 1, 0, id, {0, 1, 2, 3});
    c.votes[3].signature[10] ^= 1;
    CHECK(VerifyCertificate(c, ring).code() == Code::kVerifyFailed);
  }
  SECTION("a signature by another member under a member's index") {
    Certificate c = Make(ring, 1, 0, id, {0, 1, 2});
    c.votes[2].signature = Make(ring, 1, 0, id, {3}).votes[0].signature;
    CHECK(VerifyCertificate(c, ring).code() == Code::kVerifyFailed);
  }
  SECTION("a prevote signature is no precommit") {
    Certificate c = Make(ring, 1, 0, id, {0, 1, 2});
    c.votes[0].signature = ring.Sign(0, kPrevoteContext, VoteSigningMessage(1, 0, id));
    CHECK(VerifyCertificate(c, ring).code() == Code::kVerifyFailed);
  }
  SECTION("member sets that are not 3f+1") {
    KeyRing five(SigMode::kEd25519, 5, 3);
    Certificate c = Make(five, 1, 0, id, {0, 1, 2, 3});
    CHECK(VerifyCertificate(c, five).code() == Code::kInvalidArgument);
  }
}

TEST_CASE("the encoding is byte for byte the ledger's CommitCertificate") {
  KeyRing ring(SigMode::kEd25519, 7, 4);
  const Hash32 id = ToyValueAt(9, 1).id;
  const Certificate c = Make(ring, 9, 4, id, {0, 2, 3, 5, 6});
  const Bytes mine = EncodeCertificate(c);

  CommitCertificate lc;
  lc.height = c.height;
  lc.round = c.round;
  lc.block_hash = c.value_id;
  for (const CertificateVote& v : c.votes) lc.votes.push_back({v.member, v.signature});
  CHECK(hearth::EncodeCertificate(lc) == mine);

  auto decoded = hearth::DecodeCertificate(mine);
  REQUIRE(decoded.ok());
  CHECK(*decoded == lc);
  CHECK(hearth::VerifyCertificate(*decoded, sim::kSimChainId, ring.public_keys(), 2).ok());

  auto back = DecodeCertificate(mine);
  REQUIRE(back.ok());
  CHECK(*back == c);
  for (size_t len = 0; len < mine.size(); ++len) {
    CHECK_FALSE(DecodeCertificate(ByteView(mine.data(), len)).ok());
  }
}

}  // namespace
}  // namespace hearth::consensus::test
