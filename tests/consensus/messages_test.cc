// Consensus messages: canonical round trips and strict decoding of every message type.
#include <catch2/catch.hpp>

#include "harness.h"
#include "hearth/base/codec.h"
#include "hearth/consensus/messages.h"
#include "hearth/ledger/block.h"

namespace hearth::consensus::test {
namespace {

constexpr size_t kValueMax = 1024;

std::vector<Message> Samples(const Fixture& fx) {
  const Value v = ToyValueAt(3, 9);
  Proposal p = std::get<Proposal>(DecodeMessage(fx.ProposalBy(2, 3, 5, v, 4), kValueMax).value());
  Proposal p_nil_vr =
      std::get<Proposal>(DecodeMessage(fx.ProposalBy(3, 3, 0, v), kValueMax).value());
  Certificate cert;
  cert.height = 3;
  cert.round = 1;
  cert.value_id = v.id;
  for (MemberIndex m = 0; m < 3; ++m) {
    cert.votes.push_back({m, fx.VoteBy(m, VoteType::kPrecommit, 3, 1, v.id).signature});
  }
  return {p,
          p_nil_vr,
          fx.VoteBy(1, VoteType::kPrevote, 3, 2, v.id),
          fx.VoteBy(1, VoteType::kPrevote, 3, 2, std::nullopt),
          fx.VoteBy(0, VoteType::kPrecommit, 3, 0, v.id),
          fx.VoteBy(0, VoteType::kPrecommit, 3, kRoundMax, std::nullopt),
          CatchUpRequest{7, 2},
          Decided{cert, v.bytes}};
}

TEST_CASE("every message round-trips through its canonical encoding") {
  Fixture fx;
  for (const Message& m : Samples(fx)) {
    const Bytes b = EncodeMessage(m);
    auto back = DecodeMessage(b, kValueMax);
    REQUIRE(back.ok());
    CHECK(*back == m);
    CHECK(EncodeMessage(*back) == b);  // one byte form
  }
}

TEST_CASE("decoding rejects every truncation and any trailing byte") {
  Fixture fx;
  for (const Message& m : Samples(fx)) {
    const Bytes b = EncodeMessage(m);
    for (size_t len = 0; len < b.size(); ++len) {
      INFO("message type " << int(b[0]) << " truncated to " << len);
      CHECK_FALSE(DecodeMessage(ByteView(b.data(), len), kValueMax).ok());
    }
    Bytes longer = b;
    longer.push_back(0);
    auto r = DecodeMessage(longer, kValueMax);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("trailing") != std::string::npos);
  }
}

TEST_CASE("decoding rejects unknown types and versions") {
  Fixture fx;
  Bytes b = fx.PrevoteBy(1, 1, 0, std::nullopt);
  Bytes bad_type = b;
  bad_type[0] = 0x25;
  CHECK_FALSE(DecodeMessage(bad_type, kValueMax).ok());
  bad_type[0] = 0x03;  // a certificate tag is not a message
  CHECK_FALSE(DecodeMessage(bad_type, kValueMax).ok());
  Bytes bad_version = b;
  bad_version[1] = 2;
  auto r = DecodeMessage(bad_version, kValueMax);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("version") != std::string::npos);
}

// Field offsets: type(1) version(1) height(8) round(4) ...
TEST_CASE("decoding rejects out-of-range fields") {
  Fixture fx;
  const Value v = ToyValueAt(1, 1);
  SECTION("height 0") {
    Bytes b = fx.PrevoteBy(1, 1, 0, v.id);
    b[2] = 0;
    CHECK_FALSE(DecodeMessage(b, kValueMax).ok());
  }
  SECTION("round beyond kRoundMax") {
    Bytes b = fx.PrevoteBy(1, 1, 0, v.id);
    b[13] = 0x7F;  // top byte of the u32 round
    auto r = DecodeMessage(b, kValueMax);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("round") != std::string::npos);
  }
  SECTION("non-canonical boolean") {
    Bytes b = fx.PrevoteBy(1, 1, 0, std::nullopt);
    b[16] = 2;  // has_value after height, round, voter
    CHECK_FALSE(DecodeMessage(b, kValueMax).ok());
  }
  SECTION("valid round not below the round") {
    Bytes b = fx.ProposalBy(1, 1, 2, v, 1);
    Writer w;
    w.U32(2);
    std::copy(w.bytes().begin(), w.bytes().end(), b.begin() + 14);  // valid_round := round
    auto r = DecodeMessage(b, kValueMax);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("valid_round") != std::string::npos);
  }
  SECTION("value over the limit") {
    CHECK(DecodeMessage(fx.ProposalBy(1, 1, 0, v), v.bytes.size()).ok());
    CHECK_FALSE(DecodeMessage(fx.ProposalBy(1, 1, 0, v), v.bytes.size() - 1).ok());
  }
  SECTION("empty or over-long signature") {
    Vote vote = fx.VoteBy(1, VoteType::kPrevote, 1, 0, v.id);
    vote.signature.clear();
    CHECK_FALSE(DecodeMessage(Encode(vote), kValueMax).ok());
    vote.signature.assign(kSignatureBytesMax + 1, 1);
    CHECK_FALSE(DecodeMessage(Encode(vote), kValueMax).ok());
  }
  SECTION("decided with a malformed certificate") {
    // Votes out of member order: the certificate's own canonical-form rule.
    Writer cert;
    cert.U8(kCertificateTag);
    cert.U8(kCertificateVersion);
    cert.U64(1);
    cert.U32(0);
    cert.Hash(v.id);
    cert.Count(2);
    for (MemberIndex m : {MemberIndex{1}, MemberIndex{0}}) {
      cert.U16(m);
      cert.Blob(fx.VoteBy(m, VoteType::kPrecommit, 1, 0, v.id).signature);
    }
    Writer w;
    w.U8(static_cast<uint8_t>(MessageType::kDecided));
    w.U8(kMessageVersion);
    w.Blob(cert.bytes());
    w.Blob(v.bytes);
    auto r = DecodeMessage(w.bytes(), kValueMax);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("sorted") != std::string::npos);
  }
}

TEST_CASE("signed bytes: a precommit signs exactly the ledger's precommit message") {
  const Hash32 id = ToyValueAt(1, 1).id;
  CHECK(VoteSigningMessage(12, 3, id) == PrecommitSigningMessage(12, 3, id));
  CHECK(VoteSigningMessage(12, 3, id).size() == 44);
  CHECK(VoteSigningMessage(12, 3, std::nullopt).size() == 12);  // nil: never a value's bytes
  CHECK(ProposalSigningMessage(12, 3, kNoRound, id).size() == 48);
  CHECK(ProposalSigningMessage(12, 3, kNoRound, id) != ProposalSigningMessage(12, 3, 0, id));
  CHECK(kPrecommitContext == hearth::kPrecommitContext);
}

TEST_CASE("a vote signed in one context never verifies in another") {
  Fixture fx;
  const Hash32 id = ToyValueAt(1, 1).id;
  const Vote pv = fx.VoteBy(2, VoteType::kPrevote, 1, 0, id);
  const Bytes msg = VoteSigningMessage(1, 0, id);
  CHECK(fx.ring.Verify(2, kPrevoteContext, msg, pv.signature).ok());
  CHECK_FALSE(fx.ring.Verify(2, kPrecommitContext, msg, pv.signature).ok());
  CHECK_FALSE(fx.ring.Verify(1, kPrevoteContext, msg, pv.signature).ok());
}

}  // namespace
}  // namespace hearth::consensus::test
