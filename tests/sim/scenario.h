// scenario.h: the command-line options of hearth-sim and the faults one seed draws.
//
// Everything a run does follows from (options, seed): the scenario is drawn from the seed
// first, then the run uses its own forked streams. Before `heal_ticks` the network drops,
// duplicates, delays and reorders messages, partitions happen and honest replicas crash and
// restart; from `heal_ticks` on no message is dropped or partitioned, delays are at most
// `post_heal_delay_max_ticks` and every crashed replica is back. Byzantine replicas keep
// misbehaving throughout.
// Thread-safety: values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hearth/consensus/replica.h"
#include "sim_crypto.h"
#include "sim_rng.h"

namespace hearth::sim {

enum class SimBug { kNone, kLock, kQuorum2f, kNoPersist };
std::string_view SimBugName(SimBug bug);

enum class SigChoice { kEd25519, kFake, kMixed };
std::string_view SigChoiceName(SigChoice c);
// In mixed mode, every kMixedRealEvery-th seed runs with real Ed25519 signatures.
inline constexpr uint64_t kMixedRealEvery = 4;

struct SimOptions {
  uint64_t seeds = 1;
  uint64_t first_seed = 1;
  uint32_t nodes = 4;
  int32_t byzantine = -1;      // -1: f
  uint64_t steps = 3'000'000;  // events per seed at most
  SimBug bug = SimBug::kNone;
  SigChoice signatures = SigChoice::kEd25519;
  bool trace = false;
  bool quiet = false;          // no per-seed line for passing seeds
  bool stop_on_failure = false;  // end after the first failing seed (seeds= counts those run)
  // Only agreement, validity and order of decisions count as violations (for measuring
  // how often a planted bug breaks agreement itself; the default checks everything).
  bool decisions_only = false;
};

// Byzantine behaviours (bit flags); each Byzantine replica draws a set per seed.
enum ByzBehaviour : uint32_t {
  kByzSilent = 1u << 0,         // sends nothing at all
  kByzEquivocate = 1u << 1,     // as proposer: different values to different members
  kByzDoubleVote = 1u << 2,     // conflicting prevotes/precommits to different members
  kByzReplay = 1u << 3,         // re-sends old messages it saw (any author)
  kByzBadSignature = 1u << 4,   // corrupts signatures
  kByzGarbage = 1u << 5,        // random, truncated and bit-flipped bytes
  kByzHighRound = 1u << 6,      // signed votes for far-future rounds and heights
  kByzPoison = 1u << 7,         // proposes values that fail valid(v)
  kByzForgeDecided = 1u << 8,   // tampers with catch-up answers
  kByzAmnesia = 1u << 9,        // as proposer: a fresh value with vr = -1, ignoring any polka
  kByzAll = (1u << 10) - 1,
};
std::string ByzBehaviourNames(uint32_t set);

struct Partition {
  uint64_t start_ticks = 0;
  uint64_t end_ticks = 0;
  uint32_t side_mask = 0;  // members with their bit set are cut off from the others
};

struct CrashPlan {
  uint64_t at_ticks = 0;
  uint16_t node = 0;
  uint64_t down_ticks = 0;
};

struct Scenario {
  uint64_t seed = 0;
  uint32_t n = 4;
  SigMode sig_mode = SigMode::kEd25519;
  std::vector<bool> byzantine;          // per member
  std::vector<uint32_t> behaviours;     // per member (0 for honest ones)
  std::vector<int32_t> skew_percent;    // timer rate error per member
  uint64_t heal_ticks = 0;
  uint32_t drop_per_mille = 0;
  uint32_t dup_per_mille = 0;
  uint32_t long_delay_per_mille = 0;    // a message delayed up to long_delay_max_ticks
  uint64_t delay_max_ticks = 0;
  uint64_t long_delay_max_ticks = 0;
  uint64_t post_heal_delay_max_ticks = 0;
  uint32_t mid_effects_crash_per_mille = 0;  // crash between two effects of one input
  std::vector<Partition> partitions;
  std::vector<CrashPlan> crashes;
  consensus::Timeouts timeouts;
  // Liveness: after heal every honest replica decides this many heights beyond the highest
  // decided at heal, and never waits longer than liveness_bound_ticks for its next decision.
  uint64_t decisions_after_heal = 3;
  uint64_t liveness_bound_ticks = 0;
};

Scenario DrawScenario(const SimOptions& options, uint64_t seed);
std::string DescribeScenario(const Scenario& s);

}  // namespace hearth::sim
