// watch.h: the change watch (应退尽退 / 应保尽保, DESIGN.md "Verify"; docs/VERIFY.md
// "Change watch").
//
// Households with an open Enrollment are re-evaluated when a committed block brings
// something that can change their decision: an attestation about one of their members, a
// new household declaration, or the enrollment itself. A decision that differs from the
// household's previous one for that programme becomes an Alert naming the old and new
// decision and the transactions of that block that caused the re-evaluation.
//
// Derived from the chain only: the evaluation of height h is Evaluate at checkpoint h with
// as_of = the month of block h's time in China Standard Time (UTC+8), the declared members,
// and no consent (a watch is not a caseworker's look; it reads nothing a check could not).
// So every node derives the same alerts, and reprocessing a height gives the same result.
//
// State (its own LevelDB, e.g. data_dir/watch; deleting it only costs a rebuild from height
// 1): the last processed height; the watched (household, programme) pairs with their last
// decision; subject -> households (members of watched households' declarations); alerts
// keyed by (height, n). All writes of one height go in one batch with the processed
// height, so after a crash a height is either wholly processed or processed again with the
// same keys: an alert is never raised twice.
//
// Thread-safety: CatchUp by one thread at a time; Alerts and processed_height from any
// thread (LevelDB reads).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hearth/base/bytes.h"
#include "hearth/base/status.h"
#include "hearth/ledger/categories.h"
#include "hearth/ledger/db.h"
#include "hearth/ledger/store.h"
#include "hearth/verify/engine.h"

namespace hearth::verify {

// Month (YYYYMM) of a unix-ms time in China Standard Time (UTC+8, no daylight saving).
uint32_t MonthOfTimeCst(uint64_t time_ms);

struct Alert {
  uint64_t height = 0;  // block whose commit changed the decision
  uint32_t n = 0;       // position among the alerts of that height
  Hash32 household;
  Programme programme = Programme::kDibao;
  uint32_t as_of = 0;
  Decision old_decision = Decision::kInsufficientEvidence;
  Decision new_decision = Decision::kInsufficientEvidence;
  std::optional<int64_t> old_per_capita_fen;
  std::optional<int64_t> new_per_capita_fen;
  std::vector<Hash32> causes;  // transactions of block `height` that triggered it, log order
  friend bool operator==(const Alert&, const Alert&) = default;
};

class ChangeWatch {
 public:
  // Opens (creates) the watch database at `path`. `store` must outlive the watch.
  static Result<std::unique_ptr<ChangeWatch>> Open(const std::string& path, const BlockStore& store,
                                                   Trust trust);
  ~ChangeWatch();
  ChangeWatch(const ChangeWatch&) = delete;
  ChangeWatch& operator=(const ChangeWatch&) = delete;

  // Processes every committed height after processed_height() up to the store's head (at
  // most `heights_max` of them per call, so a caller can interleave other work).
  Status CatchUp(uint64_t heights_max = UINT64_MAX);
  uint64_t processed_height() const;

  // Alerts in (height, n) order, optionally for one household only, from `from_height`
  // on, at most `limit`.
  Result<std::vector<Alert>> Alerts(std::optional<Hash32> household, uint64_t from_height,
                                    size_t limit) const;
  // Number of (household, programme) pairs watched.
  uint64_t watched() const;

 private:
  struct Impl;
  explicit ChangeWatch(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hearth::verify
