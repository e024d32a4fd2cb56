// The persisted safety state: round trip, invariants, corruption.
#include <catch2/catch.hpp>

#include "harness.h"
#include "hearth/consensus/safety_state.h"

namespace hearth::consensus::test {
namespace {

SafetyState Sample(const Fixture& fx) {
  const Value v = ToyValueAt(4, 1);
  SafetyState s;
  s.height = 4;
  s.round = 3;
  s.step = Step::kPrecommit;
  s.locked_round = 2;
  s.locked_id = v.id;
  s.valid_round = 2;
  s.valid_value = v;
  for (MemberIndex m : {MemberIndex{0}, MemberIndex{2}, MemberIndex{3}}) {
    s.valid_polka.push_back(fx.VoteBy(m, VoteType::kPrevote, 4, 2, v.id));
  }
  s.last_proposal = std::get<Proposal>(
      DecodeMessage(fx.ProposalBy(fx.config.self, 4, 3, v, 2), SIZE_MAX).value());
  s.last_prevote = fx.VoteBy(fx.config.self, VoteType::kPrevote, 4, 3, v.id);
  s.last_precommit = fx.VoteBy(fx.config.self, VoteType::kPrecommit, 4, 2, v.id);
  return s;
}

TEST_CASE("safety state round-trips and decodes strictly") {
  Fixture fx(4, 3);
  const SafetyState s = Sample(fx);
  REQUIRE(Validate(s).ok());
  const Bytes b = EncodeSafetyState(s);
  auto back = DecodeSafetyState(b, sim::kToyValueBytes);
  REQUIRE(back.ok());
  CHECK(*back == s);
  CHECK(EncodeSafetyState(*back) == b);
  for (size_t len = 0; len < b.size(); ++len) {
    auto r = DecodeSafetyState(ByteView(b.data(), len), sim::kToyValueBytes);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Code::kCorruption);
  }
  Bytes longer = b;
  longer.push_back(0);
  CHECK(DecodeSafetyState(longer, sim::kToyValueBytes).status().code() == Code::kCorruption);
  const SafetyState fresh;
  auto f = DecodeSafetyState(EncodeSafetyState(fresh), 0);
  REQUIRE(f.ok());
  CHECK(*f == fresh);
}

TEST_CASE("safety state invariants are enforced") {
  Fixture fx(4, 3);
  SafetyState s = Sample(fx);
  SECTION("locked round above valid round") {
    s.locked_round = 3;
    CHECK_FALSE(Validate(s).ok());
  }
  SECTION("valid round above the round") {
    s.round = 1;
    s.last_proposal.reset();
    s.last_prevote.reset();
    s.last_precommit.reset();
    CHECK_FALSE(Validate(s).ok());
  }
  SECTION("locked and valid value differ in one round") {
    s.locked_id = ToyValueAt(4, 2).id;
    CHECK_FALSE(Validate(s).ok());
  }
  SECTION("a polka vote for another value") {
    s.valid_polka[1] = fx.VoteBy(2, VoteType::kPrevote, 4, 2, ToyValueAt(4, 2).id);
    CHECK_FALSE(Validate(s).ok());
  }
  SECTION("a last vote from a later round") {
    s.last_prevote = fx.VoteBy(3, VoteType::kPrevote, 4, 4, std::nullopt);
    CHECK_FALSE(Validate(s).ok());
  }
  SECTION("a last vote from another height") {
    s.last_precommit = fx.VoteBy(3, VoteType::kPrecommit, 3, 0, std::nullopt);
    CHECK_FALSE(Validate(s).ok());
  }
}

}  // namespace
}  // namespace hearth::consensus::test
