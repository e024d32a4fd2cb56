// simulation.h: one seed's run — n replica hosts over the virtual network.
//
// A host is what a node is to the consensus core: it executes the replica's effects in
// order (persist, send, timers, decide), keeps the durable part (the decided chain and the
// last persisted safety state) across crashes, and restarts the replica from them. A crash
// may strike between any two effects of one input — e.g. after a PersistEffect and before
// the vote it guards is sent, or after a decision is applied and before the next height
// starts. With --plant-bug no-persist the host forgets the safety state on restart.
// Thread-safety: one thread.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "byzantine.h"
#include "checker.h"
#include "hearth/consensus/replica.h"
#include "network.h"
#include "scenario.h"
#include "sim_crypto.h"
#include "toy_chain.h"

namespace hearth::sim {

struct SeedResult {
  bool violation = false;
  bool liveness_failure = false;
  std::vector<std::string> violations;
  std::string violation_kind;  // of the first violation
  std::string liveness_reason;
  uint64_t heights = 0;       // heights decided by honest replicas
  uint64_t steps = 0;
  uint64_t end_ticks = 0;
  uint64_t max_wait_after_heal_ticks = 0;
  NetworkStats network;
  consensus::Counters honest_counters;  // summed over honest replicas and incarnations
};

class Simulation {
 public:
  Simulation(const SimOptions& options, const Scenario& scenario);
  ~Simulation();
  SeedResult Run();

 private:
  struct Host {
    bool byzantine = false;
    bool up = false;
    uint64_t epoch = 0;
    std::unique_ptr<ToyChain> chain;           // durable
    std::optional<Bytes> persisted;            // durable: last PersistEffect, encoded
    std::unique_ptr<RingSigner> signer;
    std::unique_ptr<consensus::Replica> replica;  // volatile
    std::unique_ptr<ByzantineActor> byz;
    uint64_t refusals_seen = 0;
    uint64_t last_decide_ticks = 0;
  };

  void Boot(uint16_t i, uint64_t now);
  void Crash(uint16_t i, uint64_t now, uint64_t restart_at);
  void Dispatch(const Event& e);
  void Execute(uint16_t i, consensus::Effects effects, uint64_t now);
  void Emit(uint16_t i, std::optional<uint16_t> to, const Bytes& message, uint64_t now);
  void Decide(uint16_t i, const consensus::DecideEffect& d, uint64_t now,
              consensus::Effects* more);
  void Retire(Host* h);  // adds a replica's counters to the totals before it is dropped
  uint64_t Skewed(uint16_t i, uint64_t delay_ticks) const;
  void Trace(uint64_t now, const std::string& line) const;
  consensus::Config ReplicaConfig(uint16_t i) const;

  SimOptions options_;
  Scenario scenario_;
  KeyRing ring_;
  Rng rng_;
  EventQueue queue_;
  Network network_;
  Checker checker_;
  std::vector<Host> hosts_;
  consensus::Counters totals_;
  uint64_t max_wait_after_heal_ticks_ = 0;
};

// A one-line description of a consensus message, for traces.
std::string DescribeMessage(const Bytes& message);

}  // namespace hearth::sim
