// The per-height message log (message_log.h).
#include "message_log.h"

#include <algorithm>
#include <cstdint>

#include "hearth/base/check.h"

namespace hearth::consensus {

// "2f+1 ⟨PREVOTE, h_p, r, id(v)⟩" (lines 28, 36), "... nil⟩" (line 44), "2f+1 ⟨PRECOMMIT,
// h_p, r, id(v)⟩" (line 49): messages from distinct members, so a member counts once per id.
uint32_t RoundMessages::CountFor(VoteType t, const std::optional<Hash32>& id) const {
  uint32_t c = 0;
  for (const auto& mine : Votes(t)) {
    for (const Vote& v : mine) {
      if (v.value_id == id) {
        ++c;
        break;
      }
    }
  }
  return c;
}

// The ∗ of lines 34 and 47: members with any vote of type t in the round, once each.
uint32_t RoundMessages::CountAny(VoteType t) const {
  uint32_t c = 0;
  for (const auto& mine : Votes(t)) c += mine.empty() ? 0 : 1;
  return c;
}

std::vector<std::optional<Hash32>> RoundMessages::QuorumValues(VoteType t,
                                                               uint32_t quorum) const {
  std::vector<std::optional<Hash32>> out;
  if (CountAny(t) < quorum) return out;
  for (const auto& mine : Votes(t)) {
    for (const Vote& v : mine) {
      if (std::find(out.begin(), out.end(), v.value_id) != out.end()) continue;
      if (CountFor(t, v.value_id) >= quorum) out.push_back(v.value_id);
    }
  }
  return out;
}

const Vote* RoundMessages::FindVote(VoteType t, MemberIndex member,
                                    const std::optional<Hash32>& id) const {
  HEARTH_CHECK(member < Votes(t).size());
  for (const Vote& v : Votes(t)[member]) {
    if (v.value_id == id) return &v;
  }
  return nullptr;
}

std::vector<Vote> RoundMessages::VotesFor(VoteType t, const Hash32& id) const {
  std::vector<Vote> out;
  for (MemberIndex m = 0; m < Votes(t).size(); ++m) {
    if (const Vote* v = FindVote(t, m, id)) out.push_back(*v);
  }
  return out;
}

namespace {

// The slot of `mine` whose value has the fewest votes (the first such).
size_t WeakestSlot(const RoundMessages& rm, VoteType t, const std::vector<Vote>& mine,
                   uint32_t* count) {
  size_t weakest = 0;
  *count = UINT32_MAX;
  for (size_t i = 0; i < mine.size(); ++i) {
    const uint32_t c = rm.CountFor(t, mine[i].value_id);
    if (c < *count) {
      *count = c;
      weakest = i;
    }
  }
  return weakest;
}

}  // namespace

RoundMessages::AddResult RoundMessages::CanAdd(const Vote& v) const {
  const auto& mine = Votes(v.type)[v.voter];
  HEARTH_CHECK(FindVote(v.type, v.voter, v.value_id) == nullptr);
  if (mine.empty()) return AddResult::kAdded;
  if (mine.size() < kVotesPerMemberMax) return AddResult::kAddedEquivocation;
  // Full: an equivocator's extra votes only matter for values others voted for too, so a
  // value with more support displaces the least supported one (junk values have 1).
  uint32_t weakest_count = 0;
  WeakestSlot(*this, v.type, mine, &weakest_count);
  return CountFor(v.type, v.value_id) + 1 > weakest_count ? AddResult::kAddedEquivocation
                                                          : AddResult::kNoRoom;
}

RoundMessages::AddResult RoundMessages::Add(Vote v) {
  const AddResult r = CanAdd(v);
  HEARTH_CHECK(r != AddResult::kNoRoom);
  MarkSeen(v.voter);
  auto& mine = Votes(v.type)[v.voter];
  if (mine.size() < kVotesPerMemberMax) {
    mine.push_back(std::move(v));
  } else {
    uint32_t weakest_count = 0;
    mine[WeakestSlot(*this, v.type, mine, &weakest_count)] = std::move(v);
  }
  HEARTH_CHECK(mine.size() <= kVotesPerMemberMax);
  return r;
}

const Proposal* RoundMessages::FindProposal(const Hash32& id) const {
  for (const Proposal& p : proposals) {
    if (p.value_id == id) return &p;
  }
  return nullptr;
}

// Line 55 counts f+1 distinct authors of messages of any kind in a round.
void RoundMessages::MarkSeen(MemberIndex author) {
  HEARTH_CHECK(author < seen.size());
  if (!seen[author]) {
    seen[author] = true;
    ++seen_count;
  }
}

void MessageLog::Clear() {
  rounds_.clear();
  for (auto& f : future_) f.clear();
}

RoundMessages* MessageLog::Find(Round r) {
  auto it = rounds_.find(r);
  return it == rounds_.end() ? nullptr : &it->second;
}

const RoundMessages* MessageLog::Find(Round r) const {
  auto it = rounds_.find(r);
  return it == rounds_.end() ? nullptr : &it->second;
}

RoundMessages& MessageLog::Get(Round r) {
  HEARTH_CHECK(r >= 0 && r <= kRoundMax);
  auto it = rounds_.find(r);
  if (it == rounds_.end()) it = rounds_.emplace(r, RoundMessages(n_)).first;
  return it->second;
}

bool MessageLog::Admit(Round r, MemberIndex author, Round current, const std::set<Round>& keep) {
  HEARTH_CHECK(author < n_);
  if (r <= current) return r + kRoundsBehindMax >= current || keep.count(r) > 0;
  std::set<Round>& mine = future_[author];
  if (mine.count(r) > 0) return true;
  if (mine.size() >= kFutureRoundsPerMemberMax) {
    const Round lowest = *mine.begin();
    if (r < lowest) return false;
    EvictAuthor(lowest, author);
    mine.erase(mine.begin());
  }
  mine.insert(r);
  HEARTH_CHECK(mine.size() <= kFutureRoundsPerMemberMax);
  return true;
}

void MessageLog::EvictAuthor(Round r, MemberIndex author) {
  RoundMessages* rm = Find(r);
  if (rm == nullptr) return;
  rm->prevotes[author].clear();
  rm->precommits[author].clear();
  std::erase_if(rm->proposals, [&](const Proposal& p) { return p.proposer == author; });
  if (rm->seen[author]) {
    rm->seen[author] = false;
    --rm->seen_count;
  }
  if (rm->seen_count == 0) rounds_.erase(r);
}

void MessageLog::OnRound(Round current, const std::set<Round>& keep) {
  for (auto& mine : future_) {
    while (!mine.empty() && *mine.begin() <= current) mine.erase(mine.begin());
  }
  for (auto it = rounds_.begin(); it != rounds_.end();) {
    const Round r = it->first;
    if (r + kRoundsBehindMax < current && keep.count(r) == 0) {
      it = rounds_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace hearth::consensus
