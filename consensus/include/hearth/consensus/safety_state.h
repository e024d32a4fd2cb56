// safety_state.h: what a replica must remember across a crash so that it never signs two
// conflicting messages for one (height, round, type), and keeps its lock.
//
// The replica hands this state out (PersistEffect) *before* any message that depends on it
// leaves; the node writes it durably (synced) before executing the effects that follow.
// It holds Algorithm 1's per-height variables (h_p, round_p, step_p, lockedValue_p,
// lockedRound_p, validValue_p, validRound_p) plus:
//  - the last proposal, prevote and precommit this replica signed at `height` (re-sent as
//    they are after a restart; never replaced by a different message for the same round);
//  - the 2f+1 prevotes that made `valid_value` valid (a "polka"), so that a restarted
//    proposer can still justify re-proposing it (line 28 needs them at every receiver);
//  - the messages that justify being in `round` (the "round evidence"): the 2f+1 precommits
//    of round-1 that fired line 47, or the messages of f+1 members in `round` that fired
//    line 55. A restarted replica relays them so that peers still behind can follow it —
//    without them, a Byzantine precommit that only this replica had received would be lost
//    with its memory, and the honest replicas left behind could wait forever.
//
// Encoding (local persistence, canonical codec; docs/CONSENSUS.md):
//   u8 0x2F ‖ u8 version(=1) ‖ u64 height ‖ u32 round ‖ u8 step ‖ u32 locked_round
//   ‖ locked_id(32) ‖ u32 valid_round ‖ valid_id(32) ‖ u32 len ‖ valid_value
//   ‖ u32 count ‖ count × (u32 len ‖ prevote message)
//   ‖ 3 × (u8 present ‖ [u32 len ‖ message])          (proposal, prevote, precommit)
//   ‖ u32 count ‖ count × (u32 len ‖ vote message) ‖ u8 present ‖ [u32 len ‖ proposal]
//                                                     (round evidence)
// Rounds use 0xFFFFFFFF for "none" (-1). Decode checks every invariant below.
//
// Invariants (checked by Validate):
//  1. height >= 1; 0 <= round <= kRoundMax.
//  2. -1 <= locked_round <= valid_round <= round; locked_round >= 0 implies
//     locked_id == valid_value.id when locked_round == valid_round.
//  3. valid_round >= 0 iff valid_value is present; valid_polka is empty or holds distinct
//     prevotes for (height, valid_round, valid_value.id).
//  4. last messages are at `height`, at rounds <= round, and of their type.
//  5. round evidence is at `height`, in round-1 or round (a proposal: in round).
// Thread-safety: values and pure functions.
#pragma once

#include <optional>
#include <vector>

#include "hearth/base/bytes.h"
#include "hearth/base/status.h"
#include "hearth/consensus/messages.h"

namespace hearth::consensus {

enum class Step : uint8_t { kPropose = 0, kPrevote = 1, kPrecommit = 2 };
std::string_view StepName(Step step);

inline constexpr uint8_t kSafetyStateTag = 0x2F;
inline constexpr uint8_t kSafetyStateVersion = 1;

struct SafetyState {
  Height height = 1;
  Round round = 0;
  Step step = Step::kPropose;
  Round locked_round = kNoRound;
  Hash32 locked_id;
  Round valid_round = kNoRound;
  Value valid_value;
  std::vector<Vote> valid_polka;
  std::optional<Proposal> last_proposal;
  std::optional<Vote> last_prevote;
  std::optional<Vote> last_precommit;
  std::vector<Vote> round_votes;
  std::optional<Proposal> round_proposal;
  friend bool operator==(const SafetyState&, const SafetyState&) = default;
};

Status Validate(const SafetyState& s);
// REQUIRES: Validate(s).ok().
Bytes EncodeSafetyState(const SafetyState& s);
// Corruption when the bytes do not decode or break an invariant.
Result<SafetyState> DecodeSafetyState(ByteView bytes, size_t value_bytes_max);

}  // namespace hearth::consensus
