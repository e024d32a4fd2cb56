// Ingress of the replica: decode, membership, height and round windows, duplicates,
// equivocation, signatures — before any upon-rule of Algorithm 1 sees a message
// (libhotstuff's lesson: the core acts on verified messages only).
//
// Messages signed by this replica itself are accepted like any other: after a restart its
// log is empty, and a polka that includes its own pre-crash prevote, relayed back by a peer,
// must count (line 28).
//
// Order of checks, cheapest first: decode; author is a member; height; proposer
// of the round; round window (old rounds only, side-effect free); duplicate or conflict in
// the table; signature; application id(v); then admission, which for a future round may
// evict that same author's lowest future round. Verification precedes eviction so that a
// forged message can never push an honest author's messages out.
#include <string>

#include "hearth/base/check.h"
#include "hearth/consensus/replica.h"
#include "message_log.h"

namespace hearth::consensus {

std::string_view DropName(Drop reason) {
  switch (reason) {
    case Drop::kMalformed: return "malformed";
    case Drop::kNonMember: return "non_member";
    case Drop::kOwnMessage: return "own_message";
    case Drop::kOldHeight: return "old_height";
    case Drop::kFutureHeight: return "future_height";
    case Drop::kBufferFull: return "buffer_full";
    case Drop::kOldRound: return "old_round";
    case Drop::kRoundWindow: return "round_window";
    case Drop::kDuplicate: return "duplicate";
    case Drop::kEquivocation: return "equivocation";
    case Drop::kBadSignature: return "bad_signature";
    case Drop::kNotProposer: return "not_proposer";
    case Drop::kProposalConflict: return "proposal_conflict";
    case Drop::kBadValueId: return "bad_value_id";
    case Drop::kBadCertificate: return "bad_certificate";
    case Drop::kInvalidValue: return "invalid_value";
    case Drop::kCount: break;
  }
  return "?";
}

Status Replica::OnMessage(ByteView bytes, Effects* out) {
  HEARTH_CHECK(started_);
  auto m = DecodeMessage(bytes, config_.value_bytes_max);
  if (!m.ok()) {
    Count(Drop::kMalformed);
    return Status::Ok();
  }
  HEARTH_RETURN_IF_ERROR(HandleMessage(std::move(m).value(), out));
  return Evaluate(out);
}

Status Replica::HandleMessage(Message m, Effects* out) {
  if (auto* p = std::get_if<Proposal>(&m)) {
    HandleProposal(std::move(*p));
  } else if (auto* v = std::get_if<Vote>(&m)) {
    HandleVote(std::move(*v));
  } else if (auto* c = std::get_if<CatchUpRequest>(&m)) {
    HandleCatchUp(*c, out);
  } else {
    HandleDecided(std::get<Decided>(std::move(m)), out);
  }
  return Status::Ok();
}

Replica::HeightCheck Replica::CheckHeight(Height h, MemberIndex author) {
  if (!awaiting_apply_ && h == height_) return HeightCheck::kCurrent;
  if (h <= height_) {
    Count(Drop::kOldHeight);
    return HeightCheck::kDropped;
  }
  if (author != config_.self) ahead_members_[author] = true;  // it is ahead of us: ask it for decided values at the next gossip
  if (h != height_ + 1) {
    Count(Drop::kFutureHeight);
    return HeightCheck::kDropped;
  }
  return HeightCheck::kNextHeight;
}

void Replica::BufferNextHeight(MemberIndex author, Message m) {
  // Peers that decided first may already be at the next height. Keep a few messages per
  // author (unverified; verified like any other when replayed at that height).
  std::vector<Message>& buf = next_height_[author];
  for (const Message& b : buf) {
    if (b == m) return Count(Drop::kDuplicate);
  }
  if (buf.size() >= kNextHeightBufferMax) {
    buf.erase(buf.begin());
    Count(Drop::kBufferFull);
  }
  buf.push_back(std::move(m));
}

bool Replica::VerifySignature(MemberIndex author, std::string_view context, ByteView message,
                              ByteView signature) {
  ++counters_.verifications;
  return members_->Verify(author, context, message, signature).ok();
}

bool Replica::AdmitRound(Round r, MemberIndex author) {
  // Past rounds kept however old: the lock, the valid value, and the valid rounds that
  // proposals of the current round refer to (line 28 needs 2f+1 prevotes there).
  std::set<Round> keep = {locked_round_, valid_round_};
  if (const RoundMessages* cur = log_->Find(round_)) {
    for (const Proposal& p : cur->proposals) keep.insert(p.valid_round);
  }
  if (log_->Admit(r, author, round_, keep)) return true;
  Count(r <= round_ ? Drop::kOldRound : Drop::kRoundWindow);
  return false;
}

void Replica::HandleProposal(Proposal p) {
  if (p.proposer >= n_) return Count(Drop::kNonMember);
  switch (CheckHeight(p.height, p.proposer)) {
    case HeightCheck::kCurrent: break;
    case HeightCheck::kNextHeight: return BufferNextHeight(p.proposer, Message(std::move(p)));
    case HeightCheck::kDropped: return;
  }
  // Lines 22, 28, 36 and 49 read proposals "from proposer(h_p, r)" only.
  if (p.proposer != Proposer(height_, p.round, n_)) return Count(Drop::kNotProposer);
  if (p.round <= round_ && !AdmitRound(p.round, p.proposer)) return;
  if (const RoundMessages* rm = log_->Find(p.round); rm != nullptr && !rm->proposals.empty()) {
    for (const Proposal& q : rm->proposals) {
      if (q == p) return Count(Drop::kDuplicate);
    }
    // An equivocating proposer: keep a second value only once f+1 members (so at least one
    // honest one) voted for it in this round — then line 36 or 49 may need exactly it.
    const uint32_t support = std::max(rm->CountFor(VoteType::kPrevote, p.value_id),
                                      rm->CountFor(VoteType::kPrecommit, p.value_id));
    if (support < f_ + 1 || rm->proposals.size() >= kProposalsPerRoundMax ||
        rm->FindProposal(p.value_id) != nullptr) {
      return Count(Drop::kProposalConflict);
    }
  }
  if (!VerifySignature(p.proposer, kProposalContext,
                       ProposalSigningMessage(p.height, p.round, p.valid_round, p.value_id),
                       p.signature)) {
    return Count(Drop::kBadSignature);
  }
  auto id = app_->ValueId(height_, p.value);
  if (!id.ok() || *id != p.value_id) return Count(Drop::kBadValueId);
  if (!AdmitRound(p.round, p.proposer)) return;
  RoundMessages& rm = log_->Get(p.round);
  rm.MarkSeen(p.proposer);
  rm.proposals.push_back(std::move(p));
  ++counters_.accepted;
}

void Replica::HandleVote(Vote v) {
  if (v.voter >= n_) return Count(Drop::kNonMember);
  switch (CheckHeight(v.height, v.voter)) {
    case HeightCheck::kCurrent: break;
    case HeightCheck::kNextHeight: return BufferNextHeight(v.voter, Message(std::move(v)));
    case HeightCheck::kDropped: return;
  }
  if (v.round <= round_ && !AdmitRound(v.round, v.voter)) return;
  const Bytes signed_bytes = VoteSigningMessage(v.height, v.round, v.value_id);
  bool equivocation = false;
  if (const RoundMessages* rm = log_->Find(v.round)) {
    // Signatures are deterministic per (member, message) for our suites, and either way a
    // second signature on the same vote adds nothing.
    if (rm->FindVote(v.type, v.voter, v.value_id) != nullptr) return Count(Drop::kDuplicate);
    const auto room = rm->CanAdd(v);
    if (room == RoundMessages::AddResult::kNoRoom) return Count(Drop::kEquivocation);
    equivocation = room == RoundMessages::AddResult::kAddedEquivocation;
  }
  if (!VerifySignature(v.voter, VoteContext(v.type), signed_bytes, v.signature)) {
    return Count(Drop::kBadSignature);
  }
  if (!AdmitRound(v.round, v.voter)) return;
  // Admission may have evicted this voter's lowest future round: ask again.
  RoundMessages& rm = log_->Get(v.round);
  if (rm.CanAdd(v) == RoundMessages::AddResult::kNoRoom) return Count(Drop::kEquivocation);
  if (rm.Add(std::move(v)) == RoundMessages::AddResult::kAddedEquivocation || equivocation) {
    ++counters_.equivocations;
  }
  ++counters_.accepted;
}

void Replica::HandleCatchUp(const CatchUpRequest& req, Effects* out) {
  if (req.requester >= n_) return Count(Drop::kNonMember);
  if (req.requester == config_.self) return Count(Drop::kOwnMessage);
  ++counters_.accepted;
  // Values below height_ are decided and applied here; at most kCatchUpBatchMax per request.
  size_t sent = 0;
  for (Height h = req.height; h < height_ && sent < kCatchUpBatchMax; ++h, ++sent) {
    std::optional<Decided> d = app_->GetDecided(h);
    if (!d) break;
    out->push_back(SendEffect{req.requester, Encode(*d)});
  }
}

// Catch-up: a decided value with its certificate. Deciding from it is line 49 with the
// certificate's 2f+1 precommits standing for the ones this replica missed, and the value
// standing for the proposal (its id is checked against the certificate).
void Replica::HandleDecided(Decided d, Effects* out) {
  const Height h = d.certificate.height;
  if (h == height_ + 1) {
    next_decided_ = std::move(d);
    return;
  }
  if (awaiting_apply_ || h < height_) return Count(Drop::kOldHeight);
  if (h > height_) return Count(Drop::kFutureHeight);
  auto id = app_->ValueId(h, d.value);
  if (!id.ok() || *id != d.certificate.value_id) return Count(Drop::kBadValueId);
  counters_.verifications += d.certificate.votes.size();
  if (!VerifyCertificate(d.certificate, *members_).ok()) return Count(Drop::kBadCertificate);
  Value v{std::move(d.value), d.certificate.value_id};
  if (!Valid(v)) return Count(Drop::kInvalidValue);  // line 50
  ++counters_.accepted;
  Decide(std::move(v), std::move(d.certificate), out);  // line 51
}

}  // namespace hearth::consensus
