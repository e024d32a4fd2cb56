// hearth-sim: the deterministic cluster simulator of Hearth's consensus.
//
//   hearth-sim --seeds N [--first-seed S] [--nodes n] [--byzantine b] [--steps K]
//              [--plant-bug lock|quorum2f|no-persist] [--signatures ed25519|fake|mixed]
//              [--trace] [--quiet] [--stats] [--stop-on-failure] [--oracle full|decisions]
//
// Runs seeds S..S+N-1; each seed draws its faults (scenario.h) and runs until every honest
// replica has decided a few heights after heal (done), an invariant breaks (violation), or
// liveness fails. A failing seed prints the command that replays it with a trace. The last
// line is always
//   seeds=N violations=V liveness_failures=L decided=D
// (D: heights decided, summed over seeds) and the exit status is 0 only when V = L = 0.
// Exit status 2: bad command line.
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>

#include "scenario.h"
#include "simulation.h"

namespace hearth::sim {
namespace {

constexpr std::string_view kUsage =
    "usage: hearth-sim --seeds N [--first-seed S] [--nodes n] [--byzantine b] [--steps K]\n"
    "                  [--plant-bug lock|quorum2f|no-persist] [--signatures ed25519|fake|mixed]\n"
    "                  [--trace] [--quiet] [--stats] [--stop-on-failure]\n"
    "                  [--oracle full|decisions]\n";

bool ParseU64(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 19) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

struct Cli {
  SimOptions options;
  bool stats = false;
};

bool ParseFlag(std::string_view flag, std::string_view value, Cli* cli) {
  SimOptions& o = cli->options;
  uint64_t v = 0;
  if (flag == "--seeds") return ParseU64(value, &o.seeds) && o.seeds > 0;
  if (flag == "--first-seed") return ParseU64(value, &o.first_seed);
  if (flag == "--steps") return ParseU64(value, &o.steps) && o.steps > 0;
  if (flag == "--nodes") {
    if (!ParseU64(value, &v) || v > consensus::kMembersMax) return false;
    o.nodes = static_cast<uint32_t>(v);
    return consensus::CheckMemberCount(o.nodes).ok();
  }
  if (flag == "--byzantine") {
    if (!ParseU64(value, &v) || v > consensus::kMembersMax) return false;
    o.byzantine = static_cast<int32_t>(v);
    return true;
  }
  if (flag == "--plant-bug") {
    for (SimBug b : {SimBug::kLock, SimBug::kQuorum2f, SimBug::kNoPersist}) {
      if (value == SimBugName(b)) {
        o.bug = b;
        return true;
      }
    }
    return false;
  }
  if (flag == "--oracle") {
    o.decisions_only = value == "decisions";
    return value == "decisions" || value == "full";
  }
  if (flag == "--signatures") {
    for (SigChoice c : {SigChoice::kEd25519, SigChoice::kFake, SigChoice::kMixed}) {
      if (value == SigChoiceName(c)) {
        o.signatures = c;
        return true;
      }
    }
    return false;
  }
  return false;
}

bool Parse(int argc, char** argv, Cli* cli) {
  bool have_seeds = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--trace") {
      cli->options.trace = true;
    } else if (a == "--quiet") {
      cli->options.quiet = true;
    } else if (a == "--stats") {
      cli->stats = true;
    } else if (a == "--stop-on-failure") {
      cli->options.stop_on_failure = true;
    } else if (i + 1 < argc && ParseFlag(a, argv[i + 1], cli)) {
      have_seeds |= a == "--seeds";
      ++i;
    } else {
      std::fprintf(stderr, "hearth-sim: bad argument '%s'\n", argv[i]);
      return false;
    }
  }
  const uint32_t f = consensus::FaultsTolerated(cli->options.nodes);
  if (cli->options.byzantine > static_cast<int32_t>(f)) {
    std::fprintf(stderr, "hearth-sim: --byzantine %d exceeds f=%u for %u nodes\n",
                 cli->options.byzantine, f, cli->options.nodes);
    return false;
  }
  if (!have_seeds) std::fprintf(stderr, "hearth-sim: --seeds is required\n");
  return have_seeds;
}

std::string ReplayCommand(const SimOptions& o, uint64_t seed) {
  std::string c = "hearth-sim --seeds 1 --first-seed " + std::to_string(seed) + " --nodes " +
                  std::to_string(o.nodes);
  if (o.byzantine >= 0) c += " --byzantine " + std::to_string(o.byzantine);
  if (o.steps != SimOptions{}.steps) c += " --steps " + std::to_string(o.steps);
  if (o.bug != SimBug::kNone) c += " --plant-bug " + std::string(SimBugName(o.bug));
  if (o.signatures != SigChoice::kEd25519) {
    c += " --signatures " + std::string(SigChoiceName(o.signatures));
  }
  if (o.decisions_only) c += " --oracle decisions";
  return c + " --trace";
}

void PrintStats(const consensus::Counters& c, const NetworkStats& net) {
  std::printf("stats: accepted=%llu verifications=%llu signatures=%llu sign_refusals=%llu\n",
              static_cast<unsigned long long>(c.accepted),
              static_cast<unsigned long long>(c.verifications),
              static_cast<unsigned long long>(c.signatures),
              static_cast<unsigned long long>(c.sign_refusals));
  std::printf("stats: dropped by reason:");
  for (size_t k = 0; k < c.drops.size(); ++k) {
    std::printf(" %s=%llu", std::string(consensus::DropName(static_cast<consensus::Drop>(k))).c_str(),
                static_cast<unsigned long long>(c.drops[k]));
  }
  std::printf("\nstats: network sent=%llu dropped=%llu partitioned=%llu duplicated=%llu\n",
              static_cast<unsigned long long>(net.sent),
              static_cast<unsigned long long>(net.dropped),
              static_cast<unsigned long long>(net.partitioned),
              static_cast<unsigned long long>(net.duplicated));
}

int Main(int argc, char** argv) {
  Cli cli;
  if (!Parse(argc, argv, &cli)) {
    std::fputs(kUsage.data(), stderr);
    return 2;
  }
  const SimOptions& o = cli.options;
  // A trace is for a failing seed: keep every line even if the run stops at a CHECK.
  if (o.trace) std::setvbuf(stdout, nullptr, _IOLBF, 0);
  uint64_t violations = 0, liveness = 0, decided = 0, max_wait = 0;
  consensus::Counters totals;
  NetworkStats net;
  std::map<std::string, uint64_t> kinds;  // first violation kind -> seeds
  uint64_t run = 0;
  for (uint64_t k = 0; k < o.seeds; ++k) {
    ++run;
    const uint64_t seed = o.first_seed + k;
    const Scenario scenario = DrawScenario(o, seed);
    if (o.trace) std::printf("seed %llu: %s\n", static_cast<unsigned long long>(seed),
                             DescribeScenario(scenario).c_str());
    Simulation sim(o, scenario);
    const SeedResult r = sim.Run();
    decided += r.heights;
    max_wait = std::max(max_wait, r.max_wait_after_heal_ticks);
    for (size_t d = 0; d < totals.drops.size(); ++d) totals.drops[d] += r.honest_counters.drops[d];
    totals.accepted += r.honest_counters.accepted;
    totals.verifications += r.honest_counters.verifications;
    totals.signatures += r.honest_counters.signatures;
    totals.sign_refusals += r.honest_counters.sign_refusals;
    net.sent += r.network.sent;
    net.dropped += r.network.dropped;
    net.partitioned += r.network.partitioned;
    net.duplicated += r.network.duplicated;
    if (r.violation || r.liveness_failure) {
      violations += r.violation ? 1 : 0;
      if (r.violation) ++kinds[r.violation_kind];
      liveness += r.liveness_failure ? 1 : 0;
      std::printf("seed %llu FAILED (%s): %s\n", static_cast<unsigned long long>(seed),
                  DescribeScenario(scenario).c_str(),
                  r.violation ? r.violations.front().c_str() : r.liveness_reason.c_str());
      std::printf("  replay: %s\n", ReplayCommand(o, seed).c_str());
      if (o.stop_on_failure) break;
    } else if (!o.quiet) {
      std::printf("seed %llu ok: heights=%llu steps=%llu t=%llu\n",
                  static_cast<unsigned long long>(seed), static_cast<unsigned long long>(r.heights),
                  static_cast<unsigned long long>(r.steps),
                  static_cast<unsigned long long>(r.end_ticks));
    }
  }
  if (cli.stats) {
    PrintStats(totals, net);
    std::printf("stats: longest wait for a decision after heal: %llu ticks\n",
                static_cast<unsigned long long>(max_wait));
    std::printf("stats: violations by first kind:");
    for (const auto& [kind, count] : kinds) {
      std::printf(" %s=%llu", kind.c_str(), static_cast<unsigned long long>(count));
    }
    std::printf("\n");
  }
  std::printf("seeds=%llu violations=%llu liveness_failures=%llu decided=%llu\n",
              static_cast<unsigned long long>(run), static_cast<unsigned long long>(violations),
              static_cast<unsigned long long>(liveness), static_cast<unsigned long long>(decided));
  return violations == 0 && liveness == 0 ? 0 : 1;
}

}  // namespace
}  // namespace hearth::sim

int main(int argc, char** argv) { return hearth::sim::Main(argc, argv); }
