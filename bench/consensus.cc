// bench_consensus: decisions per second of the consensus core — n = 4 replicas in one
// process, zero network delay, real Ed25519 signatures (ledger/crypto.h) — against the limit
// that signing and verifying alone would allow, measured in the same run.
//
//   bench_consensus [decisions]        (default 1000; env HEARTH_BENCH_DECISIONS also works)
//
// What is measured: every replica runs the full protocol (decode, checks, Ed25519 verify of
// every message it accepts, signing, building certificates, encoding the safety state it
// would persist); messages are delivered in FIFO order with no delay; virtual time advances
// only when no message is in flight (so timeouts never fire while progress is possible).
// Not measured: disk writes (the node's LevelDB) and sockets.
//
// Printed: decisions/s (a decision = one height decided by all 4 replicas); verifications
// and signatures per decision; the crypto-only limit 1 / (verifies/decision / raw verify/s
// + signs/decision / raw sign/s) with raw rates from loops just before and just after the
// protocol run (their mean); and the ratio of the two.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "../tests/sim/sim_crypto.h"
#include "../tests/sim/toy_chain.h"
#include "hearth/consensus/replica.h"
#include "hearth/consensus/safety_state.h"

namespace hearth {
namespace {

using Clock = std::chrono::steady_clock;
using consensus::Effects;

constexpr uint32_t kNodes = 4;
constexpr uint64_t kDefaultDecisions = 1000;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

struct Node {
  std::unique_ptr<sim::ToyChain> chain;
  std::unique_ptr<sim::RingSigner> signer;
  std::unique_ptr<consensus::Replica> replica;
};

class Cluster {
 public:
  explicit Cluster(const sim::KeyRing* ring) : ring_(ring), nodes_(kNodes) {
    for (uint16_t i = 0; i < kNodes; ++i) {
      consensus::Config c;
      c.self = i;
      c.value_bytes_max = sim::kToyValueBytes;
      nodes_[i].chain = std::make_unique<sim::ToyChain>(i);
      nodes_[i].signer = std::make_unique<sim::RingSigner>(ring_, i);
      nodes_[i].replica = std::make_unique<consensus::Replica>(c, nodes_[i].signer.get(), ring_,
                                                               nodes_[i].chain.get());
    }
  }

  // Runs until every replica decided `heights` heights.
  void Run(uint64_t heights) {
    for (uint16_t i = 0; i < kNodes; ++i) {
      Effects out;
      HEARTH_CHECK(nodes_[i].replica->Start(1, std::nullopt, &out).ok());
      Execute(i, std::move(out));
    }
    while (MinHeight() < heights) {
      if (!inbox_.empty()) {
        auto [to, bytes] = std::move(inbox_.front());
        inbox_.pop_front();
        Effects out;
        HEARTH_CHECK(nodes_[to].replica->OnMessage(bytes, &out).ok());
        Execute(to, std::move(out));
        continue;
      }
      HEARTH_CHECK(!timers_.empty());  // some timer always exists (gossip)
      auto it = timers_.begin();
      now_ = it->first.first;
      auto [node, timer] = it->second;
      timers_.erase(it);
      Effects out;
      HEARTH_CHECK(nodes_[node].replica->OnTimer(timer, &out).ok());
      Execute(node, std::move(out));
    }
  }

  consensus::Counters Totals() const {
    consensus::Counters t;
    for (const Node& n : nodes_) {
      t.verifications += n.replica->counters().verifications;
      t.signatures += n.replica->counters().signatures;
      t.accepted += n.replica->counters().accepted;
    }
    return t;
  }
  uint64_t persisted_bytes() const { return persisted_bytes_; }

 private:
  uint64_t MinHeight() const {
    uint64_t h = UINT64_MAX;
    for (const Node& n : nodes_) h = std::min<uint64_t>(h, n.chain->DecidedHeight());
    return h;
  }

  void Execute(uint16_t i, Effects effects) {
    for (size_t k = 0; k < effects.size(); ++k) {
      Effects more;
      if (auto* p = std::get_if<consensus::PersistEffect>(&effects[k])) {
        persisted_bytes_ += consensus::EncodeSafetyState(p->state).size();
      } else if (auto* b = std::get_if<consensus::BroadcastEffect>(&effects[k])) {
        for (uint16_t d = 0; d < kNodes; ++d) {
          if (d != i) inbox_.emplace_back(d, b->message);
        }
      } else if (auto* s = std::get_if<consensus::SendEffect>(&effects[k])) {
        inbox_.emplace_back(s->to, s->message);
      } else if (auto* t = std::get_if<consensus::TimerEffect>(&effects[k])) {
        timers_.emplace(std::make_pair(now_ + t->delay_ticks, seq_++), std::make_pair(i, t->timer));
      } else {
        nodes_[i].chain->Apply(std::get<consensus::DecideEffect>(effects[k]));
        HEARTH_CHECK(nodes_[i].replica->OnDecisionApplied(&more).ok());
      }
      for (auto& m : more) effects.push_back(std::move(m));
    }
  }

  const sim::KeyRing* ring_;
  std::vector<Node> nodes_;
  std::deque<std::pair<uint16_t, Bytes>> inbox_;
  std::map<std::pair<uint64_t, uint64_t>, std::pair<uint16_t, consensus::Timer>> timers_;
  uint64_t now_ = 0;
  uint64_t seq_ = 0;
  uint64_t persisted_bytes_ = 0;
};

// Raw Ed25519 rates on the same 44-byte message a precommit signs.
void RawRates(const sim::KeyRing& ring, uint64_t ops, double* verify_per_s, double* sign_per_s) {
  const Bytes msg = consensus::VoteSigningMessage(12, 0, Hash32{});
  const Bytes sig = ring.Sign(0, consensus::kPrecommitContext, msg);
  auto t0 = Clock::now();
  for (uint64_t k = 0; k < ops; ++k) {
    HEARTH_CHECK(ring.Verify(0, consensus::kPrecommitContext, msg, sig).ok());
  }
  auto t1 = Clock::now();
  for (uint64_t k = 0; k < ops; ++k) (void)ring.Sign(0, consensus::kPrecommitContext, msg);
  auto t2 = Clock::now();
  *verify_per_s = static_cast<double>(ops) / Seconds(t0, t1);
  *sign_per_s = static_cast<double>(ops) / Seconds(t1, t2);
}

int Main(int argc, char** argv) {
  uint64_t decisions = kDefaultDecisions;
  if (const char* env = std::getenv("HEARTH_BENCH_DECISIONS")) decisions = std::strtoull(env, nullptr, 10);
  if (argc > 1) decisions = std::strtoull(argv[1], nullptr, 10);
  if (decisions == 0) {
    std::fprintf(stderr, "usage: bench_consensus [decisions > 0]\n");
    return 2;
  }
  sim::KeyRing ring(sim::SigMode::kEd25519, kNodes, 42);
  // Raw rates before and after the protocol run, averaged: the machines are shared and a
  // single measurement can land in a busier moment than the run it is compared with.
  double v_before = 0, s_before = 0, v_after = 0, s_after = 0;
  RawRates(ring, 2000, &v_before, &s_before);
  Cluster cluster(&ring);
  auto t0 = Clock::now();
  cluster.Run(decisions);
  auto t1 = Clock::now();
  RawRates(ring, 2000, &v_after, &s_after);
  const double raw_verify = (v_before + v_after) / 2;
  const double raw_sign = (s_before + s_after) / 2;
  const consensus::Counters c = cluster.Totals();
  const double secs = Seconds(t0, t1);
  const double rate = static_cast<double>(decisions) / secs;
  const double v_per = static_cast<double>(c.verifications) / static_cast<double>(decisions);
  const double s_per = static_cast<double>(c.signatures) / static_cast<double>(decisions);
  const double limit = 1.0 / (v_per / raw_verify + s_per / raw_sign);

  std::printf("bench_consensus: n=%u, zero network delay, real Ed25519, %llu decisions\n", kNodes,
              static_cast<unsigned long long>(decisions));
  std::printf("  decisions/s                 %10.1f   (%.3f ms per decision, %.2f s total)\n", rate,
              1e3 / rate, secs);
  std::printf("  verifications per decision  %10.1f   signatures per decision %.1f\n", v_per, s_per);
  std::printf("  raw Ed25519 verify/s        %10.1f   raw sign/s %.1f (same run, one thread, "
              "mean of before %.0f / after %.0f verify/s)\n",
              raw_verify, raw_sign, v_before, v_after);
  std::printf("  crypto-only limit           %10.1f decisions/s\n", limit);
  std::printf("  ratio measured / limit      %10.3f   (1.0 = all time in signatures)\n", rate / limit);
  std::printf("  decisions/s x verifies/decision / raw verify/s = %.3f\n", rate * v_per / raw_verify);
  std::printf("  safety state encoded per decision: %.0f bytes\n",
              static_cast<double>(cluster.persisted_bytes()) / static_cast<double>(decisions));
  return 0;
}

}  // namespace
}  // namespace hearth

int main(int argc, char** argv) { return hearth::Main(argc, argv); }
