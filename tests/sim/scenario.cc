// Drawing one seed's faults (scenario.h).
#include "scenario.h"

#include <sstream>

namespace hearth::sim {

std::string_view SimBugName(SimBug bug) {
  switch (bug) {
    case SimBug::kNone: return "none";
    case SimBug::kLock: return "lock";
    case SimBug::kQuorum2f: return "quorum2f";
    case SimBug::kNoPersist: return "no-persist";
  }
  return "?";
}

std::string_view SigChoiceName(SigChoice c) {
  switch (c) {
    case SigChoice::kEd25519: return "ed25519";
    case SigChoice::kFake: return "fake";
    case SigChoice::kMixed: return "mixed";
  }
  return "?";
}

std::string ByzBehaviourNames(uint32_t set) {
  static constexpr std::string_view kNames[] = {"silent", "equivocate", "double-vote",
                                                "replay", "bad-signature", "garbage",
                                                "high-round", "poison", "forge-decided",
                                                "amnesia"};
  std::string out;
  for (size_t i = 0; i < std::size(kNames); ++i) {
    if ((set & (1u << i)) == 0) continue;
    if (!out.empty()) out += ',';
    out += kNames[i];
  }
  return out.empty() ? "none" : out;
}

namespace {

// Timeouts of the simulated cluster (ticks = virtual milliseconds).
consensus::Timeouts SimTimeouts() {
  consensus::Timeouts t;
  t.propose_ticks = 150;
  t.prevote_ticks = 60;
  t.precommit_ticks = 60;
  t.delta_ticks = 30;
  t.max_ticks = 1500;
  t.gossip_ticks = 60;
  return t;
}

uint32_t DrawBehaviours(Rng* rng) {
  // One in six Byzantine replicas is simply silent; the others mix active attacks.
  if (rng->Chance(166)) return kByzSilent;
  uint32_t set = 0;
  for (uint32_t bit = 1; bit < kByzAll; bit <<= 1) {
    if (bit != kByzSilent && rng->Chance(500)) set |= bit;
  }
  return set == 0 ? kByzEquivocate | kByzDoubleVote : set;
}

void DrawFaults(Scenario* s, Rng* rng) {
  s->heal_ticks = rng->Range(1'000, 8'000);
  s->drop_per_mille = static_cast<uint32_t>(rng->Range(0, 300));
  s->dup_per_mille = static_cast<uint32_t>(rng->Range(0, 100));
  s->long_delay_per_mille = static_cast<uint32_t>(rng->Range(0, 80));
  s->delay_max_ticks = rng->Range(1, 50);
  s->long_delay_max_ticks = rng->Range(100, 800);
  s->post_heal_delay_max_ticks = rng->Range(1, 25);
  s->mid_effects_crash_per_mille = static_cast<uint32_t>(rng->Range(0, 15));
  const uint64_t partitions = rng->Below(4);
  for (uint64_t i = 0; i < partitions; ++i) {
    Partition p;
    p.start_ticks = rng->Below(s->heal_ticks);
    p.end_ticks = std::min(s->heal_ticks, p.start_ticks + rng->Range(100, 4'000));
    p.side_mask = static_cast<uint32_t>(rng->Range(1, (1u << s->n) - 2));
    s->partitions.push_back(p);
  }
  const uint64_t crashes = rng->Below(4);
  for (uint64_t i = 0; i < crashes; ++i) {
    CrashPlan c;
    c.at_ticks = rng->Below(s->heal_ticks);
    c.node = static_cast<uint16_t>(rng->Below(s->n));
    c.down_ticks = rng->Range(50, 3'000);
    s->crashes.push_back(c);
  }
}

}  // namespace

Scenario DrawScenario(const SimOptions& options, uint64_t seed) {
  Rng rng(seed * 0x9E3779B97F4A7C15ull + 0x5CE7A210ull);
  Scenario s;
  s.seed = seed;
  s.n = options.nodes;
  switch (options.signatures) {
    case SigChoice::kEd25519: s.sig_mode = SigMode::kEd25519; break;
    case SigChoice::kFake: s.sig_mode = SigMode::kFake; break;
    case SigChoice::kMixed:
      s.sig_mode = seed % kMixedRealEvery == 0 ? SigMode::kEd25519 : SigMode::kFake;
      break;
  }
  const uint32_t f = consensus::FaultsTolerated(s.n);
  const uint32_t b = options.byzantine < 0 ? f : static_cast<uint32_t>(options.byzantine);
  s.byzantine.assign(s.n, false);
  s.behaviours.assign(s.n, 0);
  for (uint32_t placed = 0; placed < b;) {
    const auto i = static_cast<uint16_t>(rng.Below(s.n));
    if (s.byzantine[i]) continue;
    s.byzantine[i] = true;
    s.behaviours[i] = DrawBehaviours(&rng);
    ++placed;
  }
  for (uint32_t i = 0; i < s.n; ++i) {
    s.skew_percent.push_back(static_cast<int32_t>(rng.Range(0, 40)) - 20);
  }
  s.timeouts = SimTimeouts();
  DrawFaults(&s, &rng);
  // After heal a height needs at most f+3 rounds (f rounds of Byzantine proposers, one to
  // re-synchronise rounds, one to pass a stale lock, one to decide), each at most the three
  // capped timeouts plus a few message delays and a gossip period. Observed worst waits are
  // far below (docs/CONSENSUS.md).
  const uint64_t round_ticks_max =
      3 * s.timeouts.max_ticks + 4 * s.post_heal_delay_max_ticks + s.timeouts.gossip_ticks;
  s.liveness_bound_ticks = (f + 3) * round_ticks_max;
  return s;
}

std::string DescribeScenario(const Scenario& s) {
  std::ostringstream o;
  o << "n=" << s.n << " sig=" << (s.sig_mode == SigMode::kEd25519 ? "ed25519" : "fake")
    << " heal=" << s.heal_ticks << " drop=" << s.drop_per_mille << "‰ dup=" << s.dup_per_mille
    << "‰ delay<=" << s.delay_max_ticks << " long=" << s.long_delay_per_mille << "‰<="
    << s.long_delay_max_ticks << " midcrash=" << s.mid_effects_crash_per_mille
    << "‰ partitions=" << s.partitions.size() << " crashes=" << s.crashes.size() << " byz=[";
  bool first = true;
  for (uint32_t i = 0; i < s.n; ++i) {
    if (!s.byzantine[i]) continue;
    o << (first ? "" : " ") << i << ":" << ByzBehaviourNames(s.behaviours[i]);
    first = false;
  }
  o << "] skew=[";
  for (uint32_t i = 0; i < s.n; ++i) o << (i ? "," : "") << s.skew_percent[i];
  o << "]";
  return o.str();
}

}  // namespace hearth::sim
