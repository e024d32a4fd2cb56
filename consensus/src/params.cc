#include "hearth/consensus/params.h"

#include <string>

#include "hearth/base/check.h"

namespace hearth::consensus {

uint32_t FaultsTolerated(uint32_t n) {
  HEARTH_CHECK(n >= 1 && n <= kMembersMax);
  return (n - 1) / 3;
}

uint32_t QuorumSize(uint32_t n) { return 2 * FaultsTolerated(n) + 1; }

Status CheckMemberCount(uint32_t n) {
  if (n < 1 || n > kMembersMax) {
    return Status::InvalidArgument("members: " + std::to_string(n) + " not in 1.." +
                                   std::to_string(kMembersMax));
  }
  if (n != 3 * FaultsTolerated(n) + 1) {
    return Status::InvalidArgument("members: " + std::to_string(n) +
                                   " is not 3f+1 for any f (2f+1 would not be a quorum)");
  }
  return Status::Ok();
}

// timeoutPropose(round_p), timeoutPrevote(round_p) and timeoutPrecommit(round_p) of
// Algorithm 1, lines 21, 35 and 48.
uint64_t Timeouts::Grow(uint64_t base, int64_t round) const {
  HEARTH_CHECK(round >= 0);
  const auto r = static_cast<uint64_t>(round);
  // Saturating: base + r * delta may not wrap for huge r.
  if (delta_ticks != 0 && r > (max_ticks / delta_ticks) + 1) return max_ticks;
  const uint64_t t = base + r * delta_ticks;
  return t < max_ticks ? t : max_ticks;
}

}  // namespace hearth::consensus
