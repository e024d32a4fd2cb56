// tx_location.h: where a committed transaction is stored (block height, position in the
// block, index in the global log). Shared by the store and the authenticated index, which
// keeps it beside each id in a key's list so a reader finds the body in one read.
#pragma once

#include <cstdint>

namespace hearth {

struct TxLocation {
  uint64_t height = 0;    // 0: unknown (never a committed height)
  uint32_t position = 0;  // 0-based in the block
  uint64_t log_index = 0;
  friend bool operator==(const TxLocation&, const TxLocation&) = default;
};

}  // namespace hearth
