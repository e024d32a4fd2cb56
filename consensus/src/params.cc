#include "hearth/consensus/params.h"

#include "hearth/base/check.h"

namespace hearth::consensus {

uint32_t FaultsTolerated(uint32_t n) {
  HEARTH_CHECK(n >= 1 && n <= kMembersMax);
  return (n - 1) / 3;
}

uint32_t QuorumSize(uint32_t n) { return 2 * FaultsTolerated(n) + 1; }

}  // namespace hearth::consensus
