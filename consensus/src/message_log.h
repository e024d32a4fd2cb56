// message_log.h (private): the verified messages of one height, by round — the "message log"
// Algorithm 1's upon-rules read (and line 53 empties at a new height).
//
// Invariants:
//  1. Per round and type, at most kVotesPerMemberMax votes per member, for distinct value ids
//     (nil included). An honest member sends one; a Byzantine one may send several, and the
//     paper counts messages from distinct senders, so its vote counts for each value it
//     signed. At most kProposalsPerRoundMax proposals, all from proposer(h, r).
//  2. `seen` marks the authors of any message stored in the round (line 55 counts them).
//  3. Each author occupies at most kFutureRoundsPerMemberMax rounds above the current round;
//     a higher round evicts that author's lowest future round.
// Thread-safety: not thread-safe (owned by one Replica).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <vector>

#include "hearth/consensus/messages.h"
#include "hearth/consensus/replica.h"

namespace hearth::consensus {

struct RoundMessages {
  explicit RoundMessages(uint32_t n) : prevotes(n), precommits(n), seen(n, false) {}

  std::vector<Proposal> proposals;
  std::vector<std::vector<Vote>> prevotes;    // by member
  std::vector<std::vector<Vote>> precommits;  // by member
  std::vector<bool> seen;
  uint32_t seen_count = 0;
  // "for the first time" of lines 34, 36 and 47, per round.
  bool prevote_timer_set = false;  // line 34
  bool polka_handled = false;      // line 36
  bool precommit_timer_set = false;  // line 47

  std::vector<std::vector<Vote>>& Votes(VoteType t) {
    return t == VoteType::kPrevote ? prevotes : precommits;
  }
  const std::vector<std::vector<Vote>>& Votes(VoteType t) const {
    return t == VoteType::kPrevote ? prevotes : precommits;
  }
  // Members with a vote of type t for exactly `id` (nullopt = nil).
  uint32_t CountFor(VoteType t, const std::optional<Hash32>& id) const;
  // Members with a vote of type t for anything (the paper's ∗).
  uint32_t CountAny(VoteType t) const;
  // Every id (or nil) holding votes of type t from at least `quorum` members, in member order.
  std::vector<std::optional<Hash32>> QuorumValues(VoteType t, uint32_t quorum) const;
  // The vote of type t by `member` for `id`, if stored.
  const Vote* FindVote(VoteType t, MemberIndex member, const std::optional<Hash32>& id) const;
  // The votes of type t for `id`, one per member, in member order (a certificate or polka).
  std::vector<Vote> VotesFor(VoteType t, const Hash32& id) const;
  enum class AddResult { kAdded, kAddedEquivocation, kNoRoom };
  // Where a new vote (id not yet stored for that member) would go: kNoRoom when the member's
  // slots are full with votes at least as well supported as this one would be.
  AddResult CanAdd(const Vote& v) const;
  // REQUIRES: CanAdd(v) != kNoRoom. Replaces the least supported vote when full.
  AddResult Add(Vote v);
  const Proposal* FindProposal(const Hash32& id) const;
  void MarkSeen(MemberIndex author);
};

class MessageLog {
 public:
  explicit MessageLog(uint32_t n) : n_(n), future_(n) {}

  void Clear();
  RoundMessages* Find(Round r);
  const RoundMessages* Find(Round r) const;
  RoundMessages& Get(Round r);
  const std::map<Round, RoundMessages>& rounds() const { return rounds_; }

  // May `author` add a message at round r while the replica is at `current`? For a future
  // round this may evict the author's lowest future round (invariant 3). `keep` are past
  // rounds kept however old (locked, valid, and referenced valid rounds).
  bool Admit(Round r, MemberIndex author, Round current, const std::set<Round>& keep);
  // The replica moved to `current`: forget rounds below current - kRoundsBehindMax that are
  // not in `keep`; rounds <= current stop counting as anyone's future rounds.
  void OnRound(Round current, const std::set<Round>& keep);

 private:
  void EvictAuthor(Round r, MemberIndex author);

  uint32_t n_;
  std::map<Round, RoundMessages> rounds_;
  std::vector<std::set<Round>> future_;  // per author: its rounds above the current round
};

}  // namespace hearth::consensus
