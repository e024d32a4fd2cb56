// Ingress (drops with reasons, bounds), gossip and catch-up.
#include <catch2/catch.hpp>

#include "harness.h"

namespace hearth::consensus::test {
namespace {

TEST_CASE("bad input is dropped with its reason, never an error") {
  Fixture fx(4, 0);
  fx.Start();
  const Value v = ToyValueAt(1, 5);
  const Counters& c = fx.replica->counters();
  SECTION("malformed bytes") {
    fx.Deliver(Bytes{0x21, 0x01, 0x02});
    fx.Deliver(Bytes{});
    CHECK(c.Dropped(Drop::kMalformed) == 2);
  }
  SECTION("a non-member") {
    Vote bad = fx.VoteBy(1, VoteType::kPrevote, 1, 0, v.id);
    bad.voter = 4;
    fx.Deliver(Encode(bad));
    CHECK(c.Dropped(Drop::kNonMember) == 1);
  }
  SECTION("a bad signature, or a vote signed by another member") {
    Vote bad = fx.VoteBy(1, VoteType::kPrevote, 1, 0, v.id);
    bad.signature[0] ^= 1;
    fx.Deliver(Encode(bad));
    Vote other = fx.VoteBy(2, VoteType::kPrevote, 1, 0, v.id);
    other.voter = 1;
    fx.Deliver(Encode(other));
    CHECK(c.Dropped(Drop::kBadSignature) == 2);
    CHECK(c.accepted == 0);
  }
  SECTION("an old or a far-future height") {
    fx.Deliver(fx.PrevoteBy(1, 9, 0, v.id));
    CHECK(c.Dropped(Drop::kFutureHeight) == 1);
  }
  SECTION("duplicates cost no signature check") {
    fx.Deliver(fx.PrevoteBy(1, 1, 0, v.id));
    const uint64_t verified = c.verifications;
    for (int i = 0; i < 5; ++i) fx.Deliver(fx.PrevoteBy(1, 1, 0, v.id));
    CHECK(c.Dropped(Drop::kDuplicate) == 5);
    CHECK(c.verifications == verified);
  }
  SECTION("a proposal whose value does not match its id") {
    Proposal p = std::get<Proposal>(DecodeMessage(fx.ProposalBy(1, 1, 0, v), SIZE_MAX).value());
    p.value = ToyValueAt(1, 6).bytes;  // signature still covers v's id
    fx.Deliver(Encode(p));
    CHECK(c.Dropped(Drop::kBadValueId) == 1);
  }
  SECTION("a second proposal of the round without support") {
    fx.Deliver(fx.ProposalBy(1, 1, 0, v));
    fx.Deliver(fx.ProposalBy(1, 1, 0, ToyValueAt(1, 6)));
    CHECK(c.Dropped(Drop::kProposalConflict) == 1);
  }
}

TEST_CASE("an equivocator's votes are bounded per round and type") {
  Fixture fx(4, 0);
  fx.Start();
  for (uint64_t k = 0; k < 10; ++k) fx.Deliver(fx.PrevoteBy(3, 1, 0, ToyValueAt(1, k).id));
  CHECK(fx.replica->counters().equivocations == kVotesPerMemberMax - 1);
  CHECK(fx.replica->counters().Dropped(Drop::kEquivocation) == 10 - kVotesPerMemberMax);
}

TEST_CASE("an equivocator's vote for a value others support displaces its junk") {
  Fixture fx(4, 0);
  fx.Start();
  const Value v = ToyValueAt(1, 100);
  for (uint64_t k = 0; k < kVotesPerMemberMax; ++k) {
    fx.Deliver(fx.PrevoteBy(3, 1, 0, ToyValueAt(1, k).id));  // junk fills member 3's slots
  }
  fx.Deliver(fx.ProposalBy(1, 1, 0, v));  // prevote v (member 0)
  fx.Deliver(fx.PrevoteBy(1, 1, 0, v.id));
  // Member 3's prevote for v now has support 2 > 1: it replaces junk and completes the polka.
  const auto pc = OwnVotes(fx.Deliver(fx.PrevoteBy(3, 1, 0, v.id)), VoteType::kPrecommit, 0);
  REQUIRE(pc.size() == 1);
  CHECK(pc[0].value_id == v.id);
}

TEST_CASE("messages for the next height wait in a bounded buffer") {
  Fixture fx(4, 0);
  fx.Start();
  const Value v1 = ToyValueAt(1, 5);
  const Value v2 = sim::MakeToy(sim::ToyValue{2, v1.id, 2, 1, false});
  fx.Deliver(fx.ProposalBy(2, 2, 0, v2));  // proposer(2, 0) = 2, early
  for (Round r = 0; r < 12; ++r) fx.Deliver(fx.PrevoteBy(3, 2, r, std::nullopt));
  CHECK(fx.replica->counters().Dropped(Drop::kBufferFull) == 12 - kNextHeightBufferMax);
  fx.Deliver(fx.ProposalBy(1, 1, 0, v1));
  fx.Deliver(fx.PrecommitBy(1, 1, 0, v1.id));
  fx.Deliver(fx.PrecommitBy(2, 1, 0, v1.id));
  const auto d = FindDecide(fx.Deliver(fx.PrecommitBy(3, 1, 0, v1.id)));
  REQUIRE(d);
  // Until the decision is applied, the decided height's messages are old.
  fx.Deliver(fx.PrevoteBy(2, 1, 1, std::nullopt));
  CHECK(fx.replica->counters().Dropped(Drop::kOldHeight) == 1);
  fx.app.Apply(*d);
  Effects e;
  REQUIRE(fx.replica->OnDecisionApplied(&e).ok());
  const auto pv = OwnVotes(e, VoteType::kPrevote, 0);  // the early proposal, replayed
  REQUIRE(pv.size() == 1);
  CHECK(pv[0].height == 2);
  CHECK(pv[0].value_id == v2.id);
}

// A replica that decided height 1 (member 1 of the fixture's ring).
Decided DecidedAt1(const Fixture& fx, const Value& v, std::vector<MemberIndex> voters) {
  Decided d;
  d.value = v.bytes;
  d.certificate.height = 1;
  d.certificate.round = 0;
  d.certificate.value_id = v.id;
  for (MemberIndex m : voters) {
    d.certificate.votes.push_back({m, fx.VoteBy(m, VoteType::kPrecommit, 1, 0, v.id).signature});
  }
  return d;
}

TEST_CASE("catch-up: a decided value with a valid certificate is decided") {
  Fixture fx(4, 0);
  fx.Start();
  const Value v = ToyValueAt(1, 5);
  SECTION("valid") {
    const auto d = FindDecide(fx.Deliver(Encode(DecidedAt1(fx, v, {1, 2, 3}))));
    REQUIRE(d);
    CHECK(d->value == v);
    CHECK(d->certificate == DecidedAt1(fx, v, {1, 2, 3}).certificate);
  }
  SECTION("2f votes") {
    CHECK_FALSE(FindDecide(fx.Deliver(Encode(DecidedAt1(fx, v, {1, 2})))));
    CHECK(fx.replica->counters().Dropped(Drop::kBadCertificate) == 1);
  }
  SECTION("another value under the certificate") {
    Decided d = DecidedAt1(fx, v, {1, 2, 3});
    d.value = ToyValueAt(1, 6).bytes;
    CHECK_FALSE(FindDecide(fx.Deliver(Encode(d))));
    CHECK(fx.replica->counters().Dropped(Drop::kBadValueId) == 1);
  }
  SECTION("a certified value that fails valid(v)") {
    fx.app.invalid.insert(v.id);
    CHECK_FALSE(FindDecide(fx.Deliver(Encode(DecidedAt1(fx, v, {1, 2, 3})))));
    CHECK(fx.replica->counters().Dropped(Drop::kInvalidValue) == 1);
  }
}

TEST_CASE("catch-up: requests are answered from the decided values, and sent when behind") {
  Fixture fx(4, 0);
  fx.Start();
  const Value v = ToyValueAt(1, 5);
  const auto d = FindDecide(fx.Deliver(Encode(DecidedAt1(fx, v, {1, 2, 3}))));
  REQUIRE(d);
  fx.app.Apply(*d);
  Effects e;
  REQUIRE(fx.replica->OnDecisionApplied(&e).ok());
  const Effects answer = fx.Deliver(Encode(CatchUpRequest{1, 2}));
  REQUIRE(answer.size() == 1);
  const auto* send = std::get_if<SendEffect>(&answer[0]);
  REQUIRE(send != nullptr);
  CHECK(send->to == 2);
  auto m = DecodeMessage(send->message, SIZE_MAX);
  REQUIRE(m.ok());
  CHECK(std::get<Decided>(*m).certificate.height == 1);
  CHECK(fx.Deliver(Encode(CatchUpRequest{2, 2})).empty());  // nothing decided at 2 yet

  // Seeing member 3 at height 3, the next gossip asks it for decided values.
  fx.Deliver(fx.PrevoteBy(3, 3, 0, std::nullopt));
  bool asked = false;
  for (const Effect& g : fx.Fire(TimerKind::kGossip, 0, 0)) {
    if (const auto* s = std::get_if<SendEffect>(&g)) {
      auto req = DecodeMessage(s->message, SIZE_MAX);
      asked |= s->to == 3 && req.ok() && std::get<CatchUpRequest>(*req).height == 2;
    }
  }
  CHECK(asked);
}

TEST_CASE("gossip re-sends the latest own messages, and relays when stalled") {
  Fixture fx(4, 0);
  fx.Start();
  const Value v = ToyValueAt(1, 5);
  fx.Deliver(fx.ProposalBy(1, 1, 0, v));
  fx.Deliver(fx.PrevoteBy(2, 1, 0, std::nullopt));
  const Effects first = fx.Fire(TimerKind::kGossip, 0, 0);
  CHECK(Timers(first, TimerKind::kGossip).size() == 1);
  CHECK(OwnVotes(first, VoteType::kPrevote, 0).size() == 1);
  CHECK(Broadcasts(first).size() == 1);  // progress since start: own messages only
  const Effects second = fx.Fire(TimerKind::kGossip, 0, 0);
  // Stalled: the proposal and member 2's prevote are relayed too.
  CHECK(Broadcasts(second).size() == 3);
}

}  // namespace
}  // namespace hearth::consensus::test
