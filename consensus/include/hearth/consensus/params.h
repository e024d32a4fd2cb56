// params.h: membership arithmetic and tunables of the BFT protocol (n = 3f+1 members).
//
// Time in consensus is counted in abstract *ticks*: the core never reads a clock. The node
// maps one tick to one millisecond; the simulator runs a virtual clock.
// Thread-safety: values and pure functions.
#pragma once

#include <cstddef>
#include <cstdint>

#include "hearth/base/status.h"

namespace hearth::consensus {

// Maximum voting members supported by a certificate (member index is u16; 256 keeps
// certificates and per-round vote tables small and bounded).
inline constexpr uint32_t kMembersMax = 256;

// f for n members: the largest f with 3f+1 <= n.
uint32_t FaultsTolerated(uint32_t n);
// 2f+1: votes from distinct members needed for a quorum.
uint32_t QuorumSize(uint32_t n);
// OK when 1 <= n <= kMembersMax and n = 3f+1 exactly: with any other n, 2f+1 votes are
// not a Byzantine quorum (two sets of 2f+1 need not share an honest member).
Status CheckMemberCount(uint32_t n);

// Round timeouts of Algorithm 1 (timeoutPropose/Prevote/Precommit): each grows linearly with
// the round, as the paper's liveness argument needs, up to `max_ticks`; they reset with
// the round at every new height.
struct Timeouts {
  uint64_t propose_ticks = 300;
  uint64_t prevote_ticks = 100;
  uint64_t precommit_ticks = 100;
  uint64_t delta_ticks = 50;      // added per round to each of the three
  uint64_t max_ticks = 10'000;    // cap of each timeout
  uint64_t gossip_ticks = 100;    // period of re-sending latest messages (liveness)

  // Base + round * delta, capped. REQUIRES: round >= 0.
  uint64_t Propose(int64_t round) const { return Grow(propose_ticks, round); }
  uint64_t Prevote(int64_t round) const { return Grow(prevote_ticks, round); }
  uint64_t Precommit(int64_t round) const { return Grow(precommit_ticks, round); }

 private:
  uint64_t Grow(uint64_t base, int64_t round) const;
};

}  // namespace hearth::consensus
