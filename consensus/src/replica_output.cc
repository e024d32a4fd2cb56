// Output of the replica: signing under the double-signing guard, the persistence rule,
// timers, gossip for liveness and catch-up requests.
//
// Persistence rule: a signed message enters the effect list only after a PersistEffect whose
// state already records it (last_proposal_/last_prevote_/last_precommit_) and every state
// change it depends on (step, lock, valid value). The guard: at one height, a proposal or
// vote of a type is signed at most once per round; asked again for the same round, the
// replica re-sends the identical message if the content agrees, and refuses (counting
// sign_refusals) if it does not — which Algorithm 1 itself never asks for.
#include <algorithm>

#include "hearth/base/check.h"
#include "hearth/consensus/replica.h"
#include "message_log.h"

namespace hearth::consensus {

SafetyState Replica::safety_state() const {
  SafetyState s;
  s.height = height_;
  s.round = round_;
  s.step = step_;
  s.locked_round = locked_round_;
  s.locked_id = locked_id_;
  s.valid_round = valid_round_;
  s.valid_value = valid_value_;
  s.valid_polka = valid_polka_;
  s.last_proposal = last_proposal_;
  s.last_prevote = last_prevote_;
  s.last_precommit = last_precommit_;
  s.round_votes = round_votes_;
  s.round_proposal = round_proposal_;
  return s;
}

void Replica::Persist(Effects* out) { out->push_back(PersistEffect{safety_state()}); }

void Replica::Schedule(TimerKind kind, uint64_t delay_ticks, Effects* out) {
  out->push_back(TimerEffect{Timer{kind, height_, round_}, delay_ticks});
}

// Line 19: broadcast ⟨PROPOSAL, h_p, round_p, proposal, validRound_p⟩.
Status Replica::SendProposal(const Value& value, Effects* out) {
  HEARTH_CHECK(Proposer(height_, round_, n_) == config_.self);  // line 14
  HEARTH_CHECK(!last_proposal_ || last_proposal_->round < round_);
  Proposal p;
  p.height = height_;
  p.round = round_;
  p.valid_round = valid_round_;
  p.proposer = config_.self;
  p.value_id = value.id;
  p.value = value.bytes;
  ++counters_.signatures;
  HEARTH_ASSIGN_OR_RETURN(
      p.signature,
      signer_->Sign(kProposalContext, ProposalSigningMessage(height_, round_, valid_round_,
                                                             value.id)));
  last_proposal_ = p;
  Persist(out);
  out->push_back(BroadcastEffect{Encode(p)});
  // Receivers accept a proposal with vr >= 0 only with 2f+1 prevotes for it at vr (line 28);
  // the proposer holds them (they made the value valid here): send them along.
  if (valid_round_ != kNoRound) {
    for (const Vote& v : valid_polka_) out->push_back(BroadcastEffect{Encode(v)});
  }
  // The paper's broadcast includes the sender itself.
  RoundMessages& rm = log_->Get(round_);
  rm.MarkSeen(config_.self);
  if (std::find(rm.proposals.begin(), rm.proposals.end(), p) == rm.proposals.end() &&
      rm.proposals.size() < kProposalsPerRoundMax) {
    rm.proposals.push_back(std::move(p));
  }
  return Status::Ok();
}

// The broadcasts of ⟨PREVOTE, h_p, round_p, id(v) or nil⟩ (lines 24, 26, 30, 32, 59) and
// ⟨PRECOMMIT, h_p, round_p, id(v) or nil⟩ (lines 40, 45, 63), under the guard above.
Status Replica::SendVote(VoteType type, const std::optional<Hash32>& id, Effects* out) {
  std::optional<Vote>& last = type == VoteType::kPrevote ? last_prevote_ : last_precommit_;
  if (last && last->round >= round_) {
    HEARTH_CHECK(last->height == height_);
    if (last->round == round_ && last->value_id == id) {
      out->push_back(BroadcastEffect{Encode(*last)});  // the same vote, re-sent
    } else {
      ++counters_.sign_refusals;
    }
    return Status::Ok();
  }
  Vote v;
  v.type = type;
  v.height = height_;
  v.round = round_;
  v.voter = config_.self;
  v.value_id = id;
  ++counters_.signatures;
  HEARTH_ASSIGN_OR_RETURN(v.signature,
                          signer_->Sign(VoteContext(type), VoteSigningMessage(height_, round_, id)));
  last = v;
  Persist(out);
  out->push_back(BroadcastEffect{Encode(v)});
  AddTrustedVote(std::move(v));
  return Status::Ok();
}

// Gossip. The paper's liveness assumes that a message received by one correct process is
// eventually received by all. So every period a replica re-sends its own latest proposal
// and votes at this height (and the prevotes justifying its proposal's valid round); if it
// made no progress (same height, round and step) over a whole period, it also relays every
// message it holds for the current and the previous round — e.g. a Byzantine member's
// precommit that only it received, which others need to complete a quorum. Members seen at
// a higher height are asked for decided values.
void Replica::OnGossip(Effects* out) {
  Schedule(TimerKind::kGossip, config_.timeouts.gossip_ticks, out);
  if (awaiting_apply_) return;
  if (last_proposal_ && last_proposal_->round == round_) {
    out->push_back(BroadcastEffect{Encode(*last_proposal_)});
    if (last_proposal_->valid_round != kNoRound &&
        last_proposal_->valid_round == valid_round_) {
      for (const Vote& v : valid_polka_) out->push_back(BroadcastEffect{Encode(v)});
    }
  }
  if (last_prevote_) out->push_back(BroadcastEffect{Encode(*last_prevote_)});
  if (last_precommit_) out->push_back(BroadcastEffect{Encode(*last_precommit_)});
  const GossipPosition here{height_, round_, step_};
  if (here == last_gossip_position_) Relay(out);
  last_gossip_position_ = here;
  for (MemberIndex m = 0; m < n_; ++m) {
    if (ahead_members_[m]) {
      out->push_back(SendEffect{m, Encode(CatchUpRequest{height_, config_.self})});
    }
  }
  std::fill(ahead_members_.begin(), ahead_members_.end(), false);
}

// At most 2 rounds x (kProposalsPerRoundMax + 2 x n x kVotesPerMemberMax) messages.
void Replica::Relay(Effects* out) {
  for (Round r = std::max<Round>(0, round_ - 1); r <= round_; ++r) {
    const RoundMessages* rm = log_->Find(r);
    if (rm == nullptr) continue;
    for (const Proposal& p : rm->proposals) {
      if (p.proposer != config_.self) out->push_back(BroadcastEffect{Encode(p)});
    }
    for (VoteType t : {VoteType::kPrevote, VoteType::kPrecommit}) {
      for (MemberIndex m = 0; m < n_; ++m) {
        if (m == config_.self) continue;
        for (const Vote& v : rm->Votes(t)[m]) out->push_back(BroadcastEffect{Encode(v)});
      }
    }
  }
}

// Into the log without verification: signed here, or verified before it was persisted.
void Replica::AddTrustedVote(Vote v) {
  RoundMessages& rm = log_->Get(v.round);
  if (rm.FindVote(v.type, v.voter, v.value_id) != nullptr) return;
  if (rm.CanAdd(v) == RoundMessages::AddResult::kNoRoom) return;
  rm.Add(std::move(v));
}

void Replica::Restore(const SafetyState& s) {
  HEARTH_CHECK(s.height == height_);
  round_ = s.round;
  step_ = s.step;
  locked_round_ = s.locked_round;
  locked_id_ = s.locked_id;
  valid_round_ = s.valid_round;
  valid_value_ = s.valid_value;
  valid_polka_ = s.valid_polka;
  last_proposal_ = s.last_proposal;
  last_prevote_ = s.last_prevote;
  last_precommit_ = s.last_precommit;
  round_votes_ = s.round_votes;
  round_proposal_ = s.round_proposal;
  // What this replica signed, and the polka and round evidence it verified before, are in
  // its log again.
  for (const std::optional<Vote>* v : {&last_prevote_, &last_precommit_}) {
    if (*v) AddTrustedVote(**v);
  }
  for (const Vote& v : valid_polka_) AddTrustedVote(v);
  for (const Vote& v : round_votes_) AddTrustedVote(v);
  // Line 36 fires "for the first time" in a round: valid_round = round means it already did
  // in this round before the crash (only line 43 sets validRound, to round_p). Without this,
  // more than f equivocators could make a second polka fire it again.
  if (valid_round_ == round_) log_->Get(round_).polka_handled = true;
  for (const std::optional<Proposal>* p : {&last_proposal_, &round_proposal_}) {
    if (!*p) continue;
    RoundMessages& rm = log_->Get((*p)->round);
    rm.MarkSeen((*p)->proposer);
    if (rm.proposals.empty()) rm.proposals.push_back(**p);  // at most one per round here
  }
}

}  // namespace hearth::consensus
