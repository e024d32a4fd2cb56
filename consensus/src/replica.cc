// Tendermint's upon-rules: Buchman, Kwon, Milosevic, "The latest gossip on BFT consensus"
// (2018), Algorithm 1. Comments "line N" cite that algorithm. Ingress (decoding, checks,
// signature verification) is in replica_ingress.cc; signing, persistence, timers, gossip
// and catch-up in replica_output.cc.
//
// The paper's rules are guarded commands executed atomically. After every input, Evaluate()
// fires enabled rules one at a time until none is enabled. Every firing either changes
// (height, round, step), sets a "first time" flag, or sets awaiting_apply_, all of which
// only move forward, so the loop ends; kRuleFiringsMax turns a bug into a CHECK.
#include "hearth/consensus/replica.h"

#include <algorithm>
#include <string>

#include "hearth/base/check.h"
#include "message_log.h"

namespace hearth::consensus {
namespace {

// More than enough for one input: a round skip, a prevote, a lock, a timer each, a decision.
constexpr int kRuleFiringsMax = 64;
// Entries of the valid(v) cache.
constexpr size_t kValidityCacheMax = 64;

}  // namespace

std::string_view TimerName(TimerKind kind) {
  switch (kind) {
    case TimerKind::kPropose:
      return "propose";
    case TimerKind::kPrevote:
      return "prevote";
    case TimerKind::kPrecommit:
      return "precommit";
    case TimerKind::kGossip:
      return "gossip";
  }
  return "?";
}

Replica::Replica(const Config& config, Signer* signer, const MemberVerifier* members,
                 Application* app)
    : config_(config), signer_(signer), members_(members), app_(app) {
  HEARTH_CHECK(signer_ != nullptr && members_ != nullptr && app_ != nullptr);
  n_ = members_->member_count();
  HEARTH_CHECK(CheckMemberCount(n_).ok());
  HEARTH_CHECK(config_.self < n_);
  f_ = FaultsTolerated(n_);
  quorum_ = config_.TEST_planted_bug == PlantedBug::kQuorum2f ? 2 * f_ : QuorumSize(n_);
  log_ = std::make_unique<MessageLog>(n_);
  next_height_.resize(n_);
  ahead_members_.assign(n_, false);
}

Replica::~Replica() = default;

MemberIndex Replica::Proposer(Height height, Round round, uint32_t n) {
  HEARTH_CHECK(n >= 1 && round >= 0);
  return static_cast<MemberIndex>((height + static_cast<uint64_t>(round)) % n);
}

Status Replica::Start(Height height, const std::optional<SafetyState>& persisted,
                      Effects* out) {
  HEARTH_CHECK(!started_ && height >= 1);
  started_ = true;
  height_ = height;
  Schedule(TimerKind::kGossip, config_.timeouts.gossip_ticks, out);
  if (persisted && persisted->height > height) {
    return Status::FailedPrecondition(
        "consensus: persisted safety state is for height " + std::to_string(persisted->height) +
        " but the chain resumes at " + std::to_string(height) + " (decided values are missing)");
  }
  if (persisted && persisted->height == height) {
    HEARTH_RETURN_IF_ERROR(CheckRestorable(*persisted));
    Restore(*persisted);
    // Resume round_p where it was. In step propose, StartRound re-sends the proposal this
    // replica already signed in the round (never another) or proposes, or sets the propose
    // timer; past it, the replica re-sends its votes and waits for the quorums of lines 34,
    // 44 and 47, which peers' gossip delivers again.
    if (step_ == Step::kPropose) {
      HEARTH_RETURN_IF_ERROR(StartRound(round_, out));
    } else if (last_proposal_ && last_proposal_->round == round_) {
      out->push_back(BroadcastEffect{Encode(*last_proposal_)});
    }
    if (last_prevote_) out->push_back(BroadcastEffect{Encode(*last_prevote_)});
    if (last_precommit_) out->push_back(BroadcastEffect{Encode(*last_precommit_)});
    return Evaluate(out);
  }
  HEARTH_RETURN_IF_ERROR(StartRound(0, out));  // line 10: upon start do StartRound(0)
  return Evaluate(out);
}

Status Replica::CheckRestorable(const SafetyState& s) const {
  HEARTH_RETURN_IF_ERROR(Validate(s).Annotate("consensus: persisted safety state"));
  auto bad = [](std::string_view what) {
    return Status::Corruption("consensus: persisted safety state: " + std::string(what));
  };
  for (const Vote& v : s.valid_polka) {
    if (v.voter >= n_) return bad("polka vote from a non-member");
  }
  if (s.valid_round != kNoRound && s.valid_polka.size() < quorum_) return bad("polka too small");
  for (const Vote& v : s.round_votes) {
    if (v.voter >= n_) return bad("round evidence from a non-member");
  }
  if (s.round_proposal && s.round_proposal->proposer != Proposer(s.height, s.round, n_)) {
    return bad("round evidence: a proposal not from the round's proposer");
  }
  if (s.last_proposal && (s.last_proposal->proposer != config_.self ||
                          Proposer(s.height, s.last_proposal->round, n_) != config_.self)) {
    return bad("last proposal not ours");
  }
  for (const auto* v : {&s.last_prevote, &s.last_precommit}) {
    if (*v && (*v)->voter != config_.self) return bad("last vote not ours");
  }
  return Status::Ok();
}

Status Replica::OnTimer(const Timer& timer, Effects* out) {
  HEARTH_CHECK(started_);
  switch (timer.kind) {
    case TimerKind::kGossip:
      OnGossip(out);
      return Status::Ok();
    case TimerKind::kPropose:
      HEARTH_RETURN_IF_ERROR(OnTimeoutPropose(timer, out));
      break;
    case TimerKind::kPrevote:
      HEARTH_RETURN_IF_ERROR(OnTimeoutPrevote(timer, out));
      break;
    case TimerKind::kPrecommit:
      HEARTH_RETURN_IF_ERROR(OnTimeoutPrecommit(timer, out));
      break;
  }
  return Evaluate(out);
}

Status Replica::OnDecisionApplied(Effects* out) {
  HEARTH_CHECK(started_ && awaiting_apply_);
  awaiting_apply_ = false;
  ++height_;  // line 52
  // Line 53: reset lockedRound_p, lockedValue_p, validRound_p, validValue_p; empty the log.
  locked_round_ = kNoRound;
  locked_id_ = Hash32{};
  valid_round_ = kNoRound;
  valid_value_ = Value{};
  valid_polka_.clear();
  last_proposal_.reset();
  last_prevote_.reset();
  last_precommit_.reset();
  round_votes_.clear();
  round_proposal_.reset();
  log_->Clear();
  validity_.clear();
  std::fill(ahead_members_.begin(), ahead_members_.end(), false);
  round_ = 0;
  HEARTH_RETURN_IF_ERROR(StartRound(0, out));  // line 54
  // Messages that arrived early for this height, then a decided value for it, if any.
  std::vector<std::vector<Message>> buffered(n_);
  buffered.swap(next_height_);
  for (auto& per_author : buffered) {
    for (Message& m : per_author) HEARTH_RETURN_IF_ERROR(HandleMessage(std::move(m), out));
  }
  if (next_decided_) {
    Decided d = std::move(*next_decided_);
    next_decided_.reset();
    HEARTH_RETURN_IF_ERROR(HandleMessage(Message(std::move(d)), out));
  }
  return Evaluate(out);
}

// Lines 11-21.
Status Replica::StartRound(Round round, Effects* out) {
  HEARTH_CHECK(round >= round_ && round <= kRoundMax);
  round_ = round;                 // line 12
  step_ = Step::kPropose;         // line 13
  // Old rounds the rules may still read: the lock, the valid value, and the valid rounds of
  // proposals already here for this round (line 28).
  std::set<Round> keep = {locked_round_, valid_round_};
  if (const RoundMessages* rm = log_->Find(round_)) {
    for (const Proposal& p : rm->proposals) keep.insert(p.valid_round);
  }
  log_->OnRound(round_, keep);
  if (Proposer(height_, round_, n_) == config_.self) {  // line 14
    if (last_proposal_ && last_proposal_->round == round_) {
      // Restarted after proposing in this round: line 19 already ran, so the same proposal
      // again, never another.
      out->push_back(BroadcastEffect{Encode(*last_proposal_)});
      return Status::Ok();
    }
    // Lines 15-18: proposal <- validValue_p if not nil, else getValue().
    Value proposal = valid_round_ != kNoRound ? valid_value_ : app_->ProposeValue(height_);
    return SendProposal(proposal, out);  // line 19 (persists first)
  }
  Persist(out);  // the new round and its evidence
  Schedule(TimerKind::kPropose, config_.timeouts.Propose(round_), out);  // line 21
  return Status::Ok();
}

// What justifies the next round. Line 67 (`skip` false): the current round's precommits,
// of which line 47 saw 2f+1. Line 56 (`skip` true): the messages of the f+1 or more members
// seen in the new round `source` — one vote per member, preferring precommits, and the
// proposal of a member that sent no vote there.
void Replica::SetRoundEvidence(Round source, bool skip) {
  round_votes_.clear();
  round_proposal_.reset();
  const RoundMessages* rm = log_->Find(source);
  if (rm == nullptr) return;
  for (MemberIndex m = 0; m < n_; ++m) {
    if (!rm->precommits[m].empty()) {
      round_votes_.push_back(rm->precommits[m].front());
    } else if (!skip) {
      continue;
    } else if (!rm->prevotes[m].empty()) {
      round_votes_.push_back(rm->prevotes[m].front());
    } else if (rm->seen[m] && !round_proposal_) {
      for (const Proposal& p : rm->proposals) {
        if (p.proposer == m) round_proposal_ = p;
      }
    }
  }
}

Status Replica::Evaluate(Effects* out) {
  for (int i = 0; i < kRuleFiringsMax; ++i) {
    if (awaiting_apply_) return Status::Ok();
    HEARTH_ASSIGN_OR_RETURN(const bool fired, FireOne(out));
    if (!fired) return Status::Ok();
  }
  HEARTH_CHECK_MSG(false, "Algorithm 1 rules fired without end");
  return Status::Ok();
}

Result<bool> Replica::FireOne(Effects* out) {
  HEARTH_ASSIGN_OR_RETURN(bool fired, TryDecide(out));
  if (fired) return true;
  HEARTH_ASSIGN_OR_RETURN(fired, TryRoundSkip(out));
  if (fired) return true;
  HEARTH_ASSIGN_OR_RETURN(fired, TryPrevoteOnProposal(out));
  if (fired) return true;
  return TryCurrentRoundQuorums(out);
}

bool Replica::Valid(const Value& v) {
  auto it = validity_.find(v.id);
  if (it != validity_.end()) return it->second;
  // valid() is deterministic per (height, value), so caching it is exact. Cleared at each
  // height, and whenever it reaches kValidityCacheMax (a long height with many proposals).
  if (validity_.size() >= kValidityCacheMax) validity_.clear();
  const bool ok = app_->IsValid(height_, v);
  validity_.emplace(v.id, ok);
  return ok;
}

// Line 49: upon ⟨PROPOSAL, h_p, r, v, ∗⟩ from proposer(h_p, r) AND 2f+1 ⟨PRECOMMIT, h_p, r,
// id(v)⟩ while decision_p[h_p] = nil — in any round r.
Result<bool> Replica::TryDecide(Effects* out) {
  for (const auto& [r, rm] : log_->rounds()) {
    for (const std::optional<Hash32>& id : rm.QuorumValues(VoteType::kPrecommit, quorum_)) {
      if (!id) continue;  // line 49 needs 2f+1 for id(v): a nil quorum decides nothing
      // Line 49: ⟨PROPOSAL, h_p, r, v, ∗⟩ from proposer(h_p, r) (ingress admits no other).
      const Proposal* p = rm.FindProposal(*id);
      if (p == nullptr) continue;  // the value itself is still missing (gossip / catch-up)
      Value v{p->value, p->value_id};
      if (!Valid(v)) continue;  // line 50
      // The 2f+1 precommits of line 49 become the commit certificate of decision_p[h_p].
      Certificate cert;
      cert.height = height_;
      cert.round = static_cast<uint32_t>(r);
      cert.value_id = v.id;
      for (const Vote& pc : rm.VotesFor(VoteType::kPrecommit, v.id)) {  // sorted, unique
        cert.votes.push_back({pc.voter, pc.signature});
      }
      Decide(std::move(v), std::move(cert), out);  // line 51
      return true;
    }
  }
  return false;
}

void Replica::Decide(Value value, Certificate certificate, Effects* out) {
  HEARTH_CHECK(!awaiting_apply_ && certificate.height == height_);
  HEARTH_CHECK(certificate.votes.size() >= quorum_);  // line 49: 2f+1 precommits
  awaiting_apply_ = true;  // decision_p[h_p] = v; lines 52-54 run in OnDecisionApplied
  out->push_back(DecideEffect{std::move(value), std::move(certificate)});
}

// Line 55: upon f+1 ⟨∗, h_p, round, ∗, ∗⟩ with round > round_p do StartRound(round).
Result<bool> Replica::TryRoundSkip(Effects* out) {
  const auto& rounds = log_->rounds();
  // Highest round first: line 55 may hold for several rounds at once, and the highest one
  // makes the others stale.
  for (auto it = rounds.rbegin(); it != rounds.rend() && it->first > round_; ++it) {
    if (it->second.seen_count >= f_ + 1) {  // line 55: f+1 distinct authors in `round`
      SetRoundEvidence(it->first, /*skip=*/true);
      HEARTH_RETURN_IF_ERROR(StartRound(it->first, out));  // line 56
      return true;
    }
  }
  return false;
}

// Lines 22-27 and 28-33, in step propose of round_p.
Result<bool> Replica::TryPrevoteOnProposal(Effects* out) {
  if (step_ != Step::kPropose) return false;  // lines 22, 28: while step_p = propose
  RoundMessages* rm = log_->Find(round_);
  if (rm == nullptr) return false;
  const bool ignore_lock = config_.TEST_planted_bug == PlantedBug::kLock;
  // Lines 22, 28: "from proposer(h_p, round_p)" — ingress stores no proposal of round_p
  // from anyone else.
  for (const Proposal& p : rm->proposals) {
    Value v{p.value, p.value_id};
    bool vote_value = false;
    if (p.valid_round == kNoRound) {
      // Line 22: ⟨PROPOSAL, h_p, round_p, v, −1⟩. Line 23: valid(v) ∧ (lockedRound_p = −1 ∨
      // lockedValue_p = v).
      vote_value = Valid(v) && (ignore_lock || locked_round_ == kNoRound || locked_id_ == v.id);
    } else {
      // Line 28: ⟨PROPOSAL, h_p, round_p, v, vr⟩ AND 2f+1 ⟨PREVOTE, h_p, vr, id(v)⟩ with
      // 0 <= vr < round_p (decoding guarantees vr < round).
      const RoundMessages* vr = log_->Find(p.valid_round);
      // Line 28: without 2f+1 prevotes for id(v) at vr the rule is not enabled (yet).
      if (vr == nullptr || vr->CountFor(VoteType::kPrevote, v.id) < quorum_) continue;
      // Line 29: valid(v) ∧ (lockedRound_p <= vr ∨ lockedValue_p = v).
      vote_value = Valid(v) &&
                   (ignore_lock || locked_round_ <= p.valid_round || locked_id_ == v.id);
    }
    // Lines 24/26 and 30/32: prevote id(v) or nil; lines 27/33: step_p <- prevote.
    step_ = Step::kPrevote;
    HEARTH_RETURN_IF_ERROR(
        SendVote(VoteType::kPrevote, vote_value ? std::optional<Hash32>(v.id) : std::nullopt, out));
    return true;
  }
  return false;
}

// Lines 34-35, 36-43, 44-46, 47-48: quorums of round_p.
Result<bool> Replica::TryCurrentRoundQuorums(Effects* out) {
  RoundMessages* rm = log_->Find(round_);
  if (rm == nullptr) return false;
  // Line 36: ⟨PROPOSAL, h_p, round_p, v, ∗⟩ AND 2f+1 ⟨PREVOTE, h_p, round_p, id(v)⟩ while
  // valid(v) ∧ step_p >= prevote, for the first time.
  if (step_ >= Step::kPrevote && !rm->polka_handled) {
    for (const std::optional<Hash32>& id : rm->QuorumValues(VoteType::kPrevote, quorum_)) {
      // Line 36 needs the proposal of v (from proposer(h_p, round_p)) and valid(v); a polka
      // for nil is line 44's.
      const Proposal* p = id ? rm->FindProposal(*id) : nullptr;
      if (p == nullptr || !Valid(Value{p->value, p->value_id})) continue;
      rm->polka_handled = true;  // line 36: "for the first time"
      Value v{p->value, p->value_id};
      valid_polka_ = rm->VotesFor(VoteType::kPrevote, v.id);
      valid_value_ = v;         // line 42
      valid_round_ = round_;    // line 43
      if (step_ == Step::kPrevote) {  // line 37
        locked_id_ = v.id;            // line 38
        locked_round_ = round_;       // line 39
        step_ = Step::kPrecommit;     // line 41
        HEARTH_RETURN_IF_ERROR(SendVote(VoteType::kPrecommit, v.id, out));  // line 40
      } else {
        // Step precommit: lines 37-41 are skipped, only lines 42-43 run. validValue changed:
        // keep it across a crash (liveness).
        Persist(out);
      }
      return true;
    }
  }
  if (step_ == Step::kPrevote) {
    // Line 44: 2f+1 ⟨PREVOTE, h_p, round_p, nil⟩ while step_p = prevote.
    if (rm->CountFor(VoteType::kPrevote, std::nullopt) >= quorum_) {
      step_ = Step::kPrecommit;  // line 46
      HEARTH_RETURN_IF_ERROR(SendVote(VoteType::kPrecommit, std::nullopt, out));  // line 45
      return true;
    }
    // Line 34: 2f+1 ⟨PREVOTE, h_p, round_p, ∗⟩ while step_p = prevote, for the first time.
    if (!rm->prevote_timer_set && rm->CountAny(VoteType::kPrevote) >= quorum_) {
      rm->prevote_timer_set = true;  // line 34: "for the first time"
      Schedule(TimerKind::kPrevote, config_.timeouts.Prevote(round_), out);  // line 35
      return true;
    }
  }
  // Line 47: 2f+1 ⟨PRECOMMIT, h_p, round_p, ∗⟩ for the first time.
  if (!rm->precommit_timer_set && rm->CountAny(VoteType::kPrecommit) >= quorum_) {
    rm->precommit_timer_set = true;  // line 47: "for the first time"
    Schedule(TimerKind::kPrecommit, config_.timeouts.Precommit(round_), out);  // line 48
    return true;
  }
  return false;
}

// Lines 57-60.
Status Replica::OnTimeoutPropose(const Timer& t, Effects* out) {
  // Line 58: height = h_p ∧ round = round_p ∧ step_p = propose (and h_p not yet decided).
  if (awaiting_apply_ || t.height != height_ || t.round != round_ || step_ != Step::kPropose) {
    return Status::Ok();
  }
  step_ = Step::kPrevote;                                   // line 60
  return SendVote(VoteType::kPrevote, std::nullopt, out);  // line 59
}

// Lines 61-64.
Status Replica::OnTimeoutPrevote(const Timer& t, Effects* out) {
  // Line 62: height = h_p ∧ round = round_p ∧ step_p = prevote (and h_p not yet decided).
  if (awaiting_apply_ || t.height != height_ || t.round != round_ || step_ != Step::kPrevote) {
    return Status::Ok();
  }
  step_ = Step::kPrecommit;                                   // line 64
  return SendVote(VoteType::kPrecommit, std::nullopt, out);  // line 63
}

// Lines 65-67.
Status Replica::OnTimeoutPrecommit(const Timer& t, Effects* out) {
  // Line 66: height = h_p ∧ round = round_p (and h_p not yet decided).
  if (awaiting_apply_ || t.height != height_ || t.round != round_) return Status::Ok();
  if (round_ >= kRoundMax) return Status::Ok();  // no round beyond what the wire can carry
  SetRoundEvidence(round_, /*skip=*/false);
  return StartRound(round_ + 1, out);  // line 67
}

}  // namespace hearth::consensus
