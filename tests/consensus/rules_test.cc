// Each rule of Algorithm 1 (Buchman, Kwon, Milosevic 2018) in isolation, n = 4, real
// Ed25519 signatures. proposer(h, r) = (h + r) mod 4: at height 1, rounds 0..3 are proposed
// by members 1, 2, 3, 0.
#include <catch2/catch.hpp>

#include "harness.h"
#include "hearth/ledger/block.h"

namespace hearth::consensus::test {
namespace {

// Member 0 locked on `x` at round 0 of height 1 (what lines 36-43 leave behind), now in
// round `round`, step propose.
SafetyState LockedState(const Fixture& fx, const Value& x, Round round, Round locked = 0) {
  SafetyState s;
  s.height = 1;
  s.round = round;
  s.step = Step::kPropose;
  s.locked_round = locked;
  s.locked_id = x.id;
  s.valid_round = locked;
  s.valid_value = x;
  for (MemberIndex m = 1; m <= 3; ++m) {
    s.valid_polka.push_back(fx.VoteBy(m, VoteType::kPrevote, 1, locked, x.id));
  }
  return s;
}

TEST_CASE("lines 11-21: StartRound proposes, or sets the propose timer") {
  SECTION("the proposer broadcasts getValue(), persisted first, and sets no propose timer") {
    Fixture fx(4, 1);
    const Effects e = fx.Start();
    const auto props = OwnProposals(e, 1);
    REQUIRE(props.size() == 1);
    CHECK(props[0].height == 1);
    CHECK(props[0].round == 0);
    CHECK(props[0].valid_round == kNoRound);
    CHECK(PersistedBeforeSent(e, 1));
    CHECK(Timers(e, TimerKind::kPropose).empty());
    CHECK(Timers(e, TimerKind::kGossip).size() == 1);
  }
  SECTION("another member waits timeoutPropose(0)") {
    Fixture fx(4, 0);
    const Effects e = fx.Start();
    CHECK(OwnProposals(e, 0).empty());
    const auto t = Timers(e, TimerKind::kPropose);
    REQUIRE(t.size() == 1);
    CHECK(t[0].delay_ticks == TestTimeouts().Propose(0));
    CHECK(t[0].timer == Timer{TimerKind::kPropose, 1, 0});
  }
  SECTION("lines 15-16: a proposer with a valid value proposes it, with vr and its polka") {
    Fixture fx(4, 0);
    const Value x = ToyValueAt(1, 77);
    const Effects e = fx.Start(1, LockedState(fx, x, 3));  // proposer(1, 3) = 0
    const auto props = OwnProposals(e, 0);
    REQUIRE(props.size() == 1);
    CHECK(props[0].value_id == x.id);
    CHECK(props[0].valid_round == 0);
    size_t polka = 0;
    for (const Message& m : Broadcasts(e)) {
      const auto* v = std::get_if<Vote>(&m);
      if (v != nullptr && v->round == 0 && v->value_id == x.id) ++polka;
    }
    CHECK(polka == 3);
  }
}

TEST_CASE("lines 22-27: prevote on a proposal with vr = -1") {
  Fixture fx(4, 0);
  fx.Start();
  const Value v = ToyValueAt(1, 5);
  SECTION("valid and unlocked: prevote id(v)") {
    const Effects e = fx.Deliver(fx.ProposalBy(1, 1, 0, v));
    const auto pv = OwnVotes(e, VoteType::kPrevote, 0);
    REQUIRE(pv.size() == 1);
    CHECK(pv[0].value_id == v.id);
    CHECK(fx.replica->step() == Step::kPrevote);
    CHECK(PersistedBeforeSent(e, 0));
  }
  SECTION("invalid: prevote nil (a value failing valid(v) is never voted for)") {
    fx.app.invalid.insert(v.id);
    const auto pv = OwnVotes(fx.Deliver(fx.ProposalBy(1, 1, 0, v)), VoteType::kPrevote, 0);
    REQUIRE(pv.size() == 1);
    CHECK_FALSE(pv[0].value_id.has_value());
  }
  SECTION("a proposal from a member that is not the proposer is dropped") {
    const Effects e = fx.Deliver(fx.ProposalBy(2, 1, 0, v));
    CHECK(OwnVotes(e, VoteType::kPrevote, 0).empty());
    CHECK(fx.replica->counters().Dropped(Drop::kNotProposer) == 1);
  }
}

TEST_CASE("line 23: a locked replica prevotes nil for another value, its own value otherwise") {
  const Value x = ToyValueAt(1, 1);
  const Value y = ToyValueAt(1, 2);
  SECTION("another value: nil") {
    Fixture fx(4, 0);
    fx.Start(1, LockedState(fx, x, 1));
    const auto pv = OwnVotes(fx.Deliver(fx.ProposalBy(2, 1, 1, y)), VoteType::kPrevote, 0);
    REQUIRE(pv.size() == 1);
    CHECK_FALSE(pv[0].value_id.has_value());
  }
  SECTION("the locked value: id(v)") {
    Fixture fx(4, 0);
    fx.Start(1, LockedState(fx, x, 1));
    const auto pv = OwnVotes(fx.Deliver(fx.ProposalBy(2, 1, 1, x)), VoteType::kPrevote, 0);
    REQUIRE(pv.size() == 1);
    CHECK(pv[0].value_id == x.id);
  }
  SECTION("--plant-bug lock ignores the lock") {
    Fixture fx(4, 0, 7, PlantedBug::kLock);
    fx.Start(1, LockedState(fx, x, 1));
    const auto pv = OwnVotes(fx.Deliver(fx.ProposalBy(2, 1, 1, y)), VoteType::kPrevote, 0);
    REQUIRE(pv.size() == 1);
    CHECK(pv[0].value_id == y.id);
  }
}

TEST_CASE("lines 28-33: a proposal with a valid round needs 2f+1 prevotes at vr") {
  const Value x = ToyValueAt(1, 1);
  const Value y = ToyValueAt(1, 2);
  // Member 0 locked on x at round 0, now at round 2 (proposer 3), y has a polka at round 1.
  SECTION("polka first, then the proposal: lockedRound <= vr, prevote id(y) (unlock)") {
    Fixture fx(4, 0);
    fx.Start(1, LockedState(fx, x, 2));
    for (MemberIndex m = 1; m <= 3; ++m) fx.Deliver(fx.PrevoteBy(m, 1, 1, y.id));
    const auto pv = OwnVotes(fx.Deliver(fx.ProposalBy(3, 1, 2, y, 1)), VoteType::kPrevote, 0);
    REQUIRE(pv.size() == 1);
    CHECK(pv[0].value_id == y.id);
  }
  SECTION("proposal first: nothing until the polka completes") {
    Fixture fx(4, 0);
    fx.Start(1, LockedState(fx, x, 2));
    CHECK(OwnVotes(fx.Deliver(fx.ProposalBy(3, 1, 2, y, 1)), VoteType::kPrevote, 0).empty());
    fx.Deliver(fx.PrevoteBy(1, 1, 1, y.id));
    CHECK(OwnVotes(fx.Deliver(fx.PrevoteBy(2, 1, 1, y.id)), VoteType::kPrevote, 0).empty());
    const auto pv = OwnVotes(fx.Deliver(fx.PrevoteBy(3, 1, 1, y.id)), VoteType::kPrevote, 0);
    REQUIRE(pv.size() == 1);
    CHECK(pv[0].value_id == y.id);
  }
  SECTION("locked in a round above vr on another value: prevote nil") {
    Fixture fx(4, 0);
    fx.Start(1, LockedState(fx, x, 2, /*locked=*/1));
    for (MemberIndex m = 1; m <= 3; ++m) fx.Deliver(fx.PrevoteBy(m, 1, 0, y.id));
    const auto pv = OwnVotes(fx.Deliver(fx.ProposalBy(3, 1, 2, y, 0)), VoteType::kPrevote, 0);
    REQUIRE(pv.size() == 1);
    CHECK_FALSE(pv[0].value_id.has_value());
  }
}

TEST_CASE("line 34: 2f+1 prevotes of any kind set timeoutPrevote once") {
  Fixture fx(4, 0);
  fx.Start();
  const Value v = ToyValueAt(1, 5);
  fx.Deliver(fx.ProposalBy(1, 1, 0, v));  // prevote v
  CHECK(Timers(fx.Deliver(fx.PrevoteBy(1, 1, 0, v.id)), TimerKind::kPrevote).empty());
  const auto t = Timers(fx.Deliver(fx.PrevoteBy(2, 1, 0, std::nullopt)), TimerKind::kPrevote);
  REQUIRE(t.size() == 1);
  CHECK(t[0].delay_ticks == TestTimeouts().Prevote(0));
  CHECK(Timers(fx.Deliver(fx.PrevoteBy(3, 1, 0, ToyValueAt(1, 9).id)), TimerKind::kPrevote).empty());
}

TEST_CASE("lines 36-43: a polka locks, precommits, and sets the valid value") {
  Fixture fx(4, 0);
  fx.Start();
  const Value v = ToyValueAt(1, 5);
  fx.Deliver(fx.ProposalBy(1, 1, 0, v));
  fx.Deliver(fx.PrevoteBy(1, 1, 0, v.id));
  const Effects e = fx.Deliver(fx.PrevoteBy(2, 1, 0, v.id));
  const auto pc = OwnVotes(e, VoteType::kPrecommit, 0);
  REQUIRE(pc.size() == 1);
  CHECK(pc[0].value_id == v.id);
  CHECK(PersistedBeforeSent(e, 0));
  const auto s = LastPersist(e);
  REQUIRE(s);
  CHECK(s->locked_round == 0);
  CHECK(s->locked_id == v.id);
  CHECK(s->valid_round == 0);
  CHECK(s->valid_value == v);
  CHECK(s->valid_polka.size() == 3);
  CHECK(fx.replica->step() == Step::kPrecommit);
}

TEST_CASE("line 36 in step precommit updates the valid value but neither locks nor votes") {
  Fixture fx(4, 0);
  fx.Start();
  const Value v = ToyValueAt(1, 5);
  fx.Fire(TimerKind::kPropose, 1, 0);  // prevote nil
  for (MemberIndex m = 1; m <= 2; ++m) fx.Deliver(fx.PrevoteBy(m, 1, 0, std::nullopt));
  REQUIRE(fx.replica->step() == Step::kPrecommit);  // line 44
  fx.Deliver(fx.ProposalBy(1, 1, 0, v));
  fx.Deliver(fx.PrevoteBy(3, 1, 0, v.id));
  fx.Deliver(fx.PrevoteBy(1, 1, 0, v.id));  // member 1 equivocates: counts for both
  const Effects e = fx.Deliver(fx.PrevoteBy(2, 1, 0, v.id));
  CHECK(OwnVotes(e, VoteType::kPrecommit, 0).empty());
  const SafetyState s = fx.replica->safety_state();
  CHECK(s.valid_round == 0);
  CHECK(s.valid_value.id == v.id);
  CHECK(s.locked_round == kNoRound);
  CHECK(fx.replica->counters().equivocations == 2);
}

TEST_CASE("line 44: 2f+1 nil prevotes make a nil precommit") {
  Fixture fx(4, 0);
  fx.Start();
  fx.Fire(TimerKind::kPropose, 1, 0);
  fx.Deliver(fx.PrevoteBy(1, 1, 0, std::nullopt));
  const auto pc = OwnVotes(fx.Deliver(fx.PrevoteBy(3, 1, 0, std::nullopt)), VoteType::kPrecommit, 0);
  REQUIRE(pc.size() == 1);
  CHECK_FALSE(pc[0].value_id.has_value());
}

TEST_CASE("line 47: 2f+1 precommits of any kind set timeoutPrecommit once") {
  Fixture fx(4, 0);
  fx.Start();
  fx.Deliver(fx.PrecommitBy(1, 1, 0, std::nullopt));
  CHECK(Timers(fx.Deliver(fx.PrecommitBy(2, 1, 0, ToyValueAt(1, 1).id)), TimerKind::kPrecommit).empty());
  const auto t = Timers(fx.Deliver(fx.PrecommitBy(3, 1, 0, std::nullopt)), TimerKind::kPrecommit);
  REQUIRE(t.size() == 1);
  CHECK(t[0].delay_ticks == TestTimeouts().Precommit(0));
}

TEST_CASE("line 49: a proposal and 2f+1 precommits decide, with a certificate") {
  Fixture fx(4, 0);
  fx.Start();
  const Value v = ToyValueAt(1, 5);
  fx.Deliver(fx.ProposalBy(1, 1, 0, v));
  fx.Deliver(fx.PrecommitBy(1, 1, 0, v.id));
  CHECK_FALSE(FindDecide(fx.Deliver(fx.PrecommitBy(2, 1, 0, v.id))));
  const auto d = FindDecide(fx.Deliver(fx.PrecommitBy(3, 1, 0, v.id)));
  REQUIRE(d);
  CHECK(d->value == v);
  CHECK(d->certificate.height == 1);
  CHECK(d->certificate.round == 0);
  CHECK(d->certificate.votes.size() == 3);
  CHECK(VerifyCertificate(d->certificate, fx.ring).ok());
  auto ledger = hearth::DecodeCertificate(EncodeCertificate(d->certificate));
  REQUIRE(ledger.ok());
  CHECK(hearth::VerifyCertificate(*ledger, sim::kSimChainId, fx.ring.public_keys(), 1).ok());
  CHECK(fx.replica->awaiting_decision_applied());

  // Lines 52-54: the next height starts at round 0 with timeouts reset.
  fx.app.Apply(*d);
  Effects next;
  REQUIRE(fx.replica->OnDecisionApplied(&next).ok());
  CHECK(fx.replica->height() == 2);
  CHECK(fx.replica->round() == 0);
  CHECK(fx.replica->safety_state().locked_round == kNoRound);
  const auto t = Timers(next, TimerKind::kPropose);  // proposer(2, 0) = 2
  REQUIRE(t.size() == 1);
  CHECK(t[0].delay_ticks == TestTimeouts().Propose(0));
}

TEST_CASE("line 49 decides in an earlier round too, and only valid values") {
  const Value v = ToyValueAt(1, 5);
  SECTION("round 0 decided while in round 2") {
    Fixture fx(4, 0);
    fx.Start(1, LockedState(fx, ToyValueAt(1, 1), 2));
    fx.Deliver(fx.ProposalBy(1, 1, 0, v));
    for (MemberIndex m = 1; m <= 2; ++m) fx.Deliver(fx.PrecommitBy(m, 1, 0, v.id));
    const auto d = FindDecide(fx.Deliver(fx.PrecommitBy(3, 1, 0, v.id)));
    REQUIRE(d);
    CHECK(d->certificate.round == 0);
  }
  SECTION("an invalid value is not decided (line 50)") {
    Fixture fx(4, 0);
    fx.Start();
    fx.app.invalid.insert(v.id);
    fx.Deliver(fx.ProposalBy(1, 1, 0, v));
    for (MemberIndex m = 1; m <= 2; ++m) fx.Deliver(fx.PrecommitBy(m, 1, 0, v.id));
    CHECK_FALSE(FindDecide(fx.Deliver(fx.PrecommitBy(3, 1, 0, v.id))));
  }
  SECTION("--plant-bug quorum2f decides on 2f precommits") {
    Fixture fx(4, 0, 7, PlantedBug::kQuorum2f);
    fx.Start();
    fx.Deliver(fx.ProposalBy(1, 1, 0, v));
    fx.Deliver(fx.PrecommitBy(1, 1, 0, v.id));
    const auto d = FindDecide(fx.Deliver(fx.PrecommitBy(2, 1, 0, v.id)));
    REQUIRE(d);
    CHECK_FALSE(VerifyCertificate(d->certificate, fx.ring).ok());
  }
}

TEST_CASE("line 55: f+1 members in a higher round pull the replica there") {
  Fixture fx(4, 0);
  fx.Start();
  fx.Deliver(fx.PrevoteBy(2, 1, 3, std::nullopt));
  CHECK(fx.replica->round() == 0);
  const Effects e = fx.Deliver(fx.PrecommitBy(3, 1, 3, std::nullopt));
  CHECK(fx.replica->round() == 3);  // proposer(1, 3) = 0: it proposes
  REQUIRE(OwnProposals(e, 0).size() == 1);
  CHECK(OwnProposals(e, 0)[0].round == 3);
}

TEST_CASE("line 55: one member's messages for huge rounds never move the replica") {
  Fixture fx(4, 0);
  fx.Start();
  for (Round r = 1; r <= 200; ++r) {
    fx.Deliver(fx.PrevoteBy(3, 1, r * 1000, std::nullopt));
    fx.Deliver(fx.PrecommitBy(3, 1, r * 1000, std::nullopt));
  }
  CHECK(fx.replica->round() == 0);
  // Memory per author stays bounded: only its kFutureRoundsPerMemberMax highest rounds.
  CHECK(fx.replica->counters().Dropped(Drop::kRoundWindow) == 0);  // each was higher
  fx.Deliver(fx.PrevoteBy(3, 1, 5, std::nullopt));                   // lower than those kept
  CHECK(fx.replica->counters().Dropped(Drop::kRoundWindow) == 1);
  fx.Deliver(fx.PrevoteBy(1, 1, 200'000, std::nullopt));  // a second member joins the highest
  CHECK(fx.replica->round() == 200'000);
}

TEST_CASE("lines 57-67: timeouts act only in their height, round and step") {
  Fixture fx(4, 0);
  fx.Start();
  CHECK(OwnVotes(fx.Fire(TimerKind::kPropose, 1, 1), VoteType::kPrevote, 0).empty());  // stale
  const auto pv = OwnVotes(fx.Fire(TimerKind::kPropose, 1, 0), VoteType::kPrevote, 0);
  REQUIRE(pv.size() == 1);
  CHECK_FALSE(pv[0].value_id.has_value());  // line 59
  CHECK(OwnVotes(fx.Fire(TimerKind::kPropose, 1, 0), VoteType::kPrevote, 0).empty());  // step
  const auto pc = OwnVotes(fx.Fire(TimerKind::kPrevote, 1, 0), VoteType::kPrecommit, 0);
  REQUIRE(pc.size() == 1);
  CHECK_FALSE(pc[0].value_id.has_value());  // line 63
  fx.Fire(TimerKind::kPrecommit, 2, 0);  // another height: nothing
  CHECK(fx.replica->round() == 0);
  const Effects e = fx.Fire(TimerKind::kPrecommit, 1, 0);  // line 67
  CHECK(fx.replica->round() == 1);
  const auto t = Timers(e, TimerKind::kPropose);  // proposer(1, 1) = 2
  REQUIRE(t.size() == 1);
  CHECK(t[0].delay_ticks == TestTimeouts().Propose(1));
}

TEST_CASE("timeouts grow with the round up to their cap") {
  const Timeouts t = TestTimeouts();
  CHECK(t.Propose(0) == 100);
  CHECK(t.Propose(1) == 110);
  CHECK(t.Prevote(5) == 90);
  CHECK(t.Precommit(1000) == t.max_ticks);
  CHECK(t.Propose(kRoundMax) == t.max_ticks);
  for (Round r = 0; r < 200; ++r) CHECK(t.Propose(r + 1) >= t.Propose(r));
}

}  // namespace
}  // namespace hearth::consensus::test
