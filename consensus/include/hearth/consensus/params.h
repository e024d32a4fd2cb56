// params.h: membership arithmetic of the BFT protocol (n = 3f+1 voting members).
// Pure values; thread-safe.
#pragma once

#include <cstdint>

namespace hearth::consensus {

// Maximum voting members supported by a certificate (member index is u16; 256 keeps
// certificates and per-round vote tables small and bounded).
inline constexpr uint32_t kMembersMax = 256;

// f for n members: the largest f with 3f+1 <= n.
uint32_t FaultsTolerated(uint32_t n);
// 2f+1: votes from distinct members needed for a quorum.
uint32_t QuorumSize(uint32_t n);

}  // namespace hearth::consensus
