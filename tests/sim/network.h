// network.h: the virtual clock, the event queue and the faulty network of the simulator.
//
// Events are ordered by (time, sequence number): equal times keep the order they were
// scheduled in, so a run is a pure function of its seed. The network applies the seed's
// faults to every message when it is sent (drop, partition, duplication, random delay with
// occasional long delays that reorder), and none of drop/partition after heal.
// Thread-safety: one thread.
#pragma once

#include <cstdint>
#include <queue>
#include <vector>

#include "hearth/base/bytes.h"
#include "hearth/consensus/replica.h"
#include "scenario.h"
#include "sim_rng.h"

namespace hearth::sim {

enum class EventKind : uint8_t {
  kDeliver,    // bytes from `from` arrive at `node`
  kTimer,      // a replica's timer fires (ignored if the replica restarted since: epoch)
  kCrash,      // `node` crashes
  kRestart,    // `node` restarts from its persisted state
  kByzantine,  // a Byzantine replica's own schedule (replays, garbage, spam)
  kHeal,       // the network heals
};

struct Event {
  uint64_t time = 0;
  uint64_t seq = 0;
  EventKind kind = EventKind::kDeliver;
  uint16_t node = 0;
  uint16_t from = 0;
  uint64_t epoch = 0;
  consensus::Timer timer;
  Bytes bytes;
};

class EventQueue {
 public:
  void Push(Event e) {
    e.seq = next_seq_++;
    q_.push(std::move(e));
  }
  bool Empty() const { return q_.empty(); }
  Event Pop() {
    Event e = q_.top();
    q_.pop();
    return e;
  }
  size_t size() const { return q_.size(); }

 private:
  struct Later {
    bool operator()(const Event& a, const Event& b) const {
      return a.time != b.time ? a.time > b.time : a.seq > b.seq;
    }
  };
  std::priority_queue<Event, std::vector<Event>, Later> q_;
  uint64_t next_seq_ = 0;
};

struct NetworkStats {
  uint64_t sent = 0;
  uint64_t dropped = 0;
  uint64_t partitioned = 0;
  uint64_t duplicated = 0;
};

class Network {
 public:
  Network(const Scenario* scenario, Rng rng, EventQueue* queue)
      : scenario_(scenario), rng_(rng), queue_(queue) {}

  // Sends `bytes` from `from` to `to` at virtual time `now`, subject to the faults.
  void Send(uint64_t now, uint16_t from, uint16_t to, const Bytes& bytes);
  bool Healed(uint64_t now) const { return now >= scenario_->heal_ticks; }
  const NetworkStats& stats() const { return stats_; }

 private:
  bool Partitioned(uint64_t now, uint16_t a, uint16_t b) const;
  uint64_t Delay(uint64_t now);

  const Scenario* scenario_;
  Rng rng_;
  EventQueue* queue_;
  NetworkStats stats_;
};

}  // namespace hearth::sim
