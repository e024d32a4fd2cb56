// The faulty virtual network (network.h).
#include "network.h"

namespace hearth::sim {

bool Network::Partitioned(uint64_t now, uint16_t a, uint16_t b) const {
  for (const Partition& p : scenario_->partitions) {
    if (now < p.start_ticks || now >= p.end_ticks) continue;
    const bool side_a = (p.side_mask >> a) & 1u;
    const bool side_b = (p.side_mask >> b) & 1u;
    if (side_a != side_b) return true;
  }
  return false;
}

uint64_t Network::Delay(uint64_t now) {
  if (Healed(now)) return rng_.Range(1, scenario_->post_heal_delay_max_ticks);
  if (rng_.Chance(scenario_->long_delay_per_mille)) {
    return rng_.Range(1, scenario_->long_delay_max_ticks);
  }
  return rng_.Range(1, scenario_->delay_max_ticks);
}

void Network::Send(uint64_t now, uint16_t from, uint16_t to, const Bytes& bytes) {
  HEARTH_CHECK(from != to && to < scenario_->n);
  ++stats_.sent;
  if (!Healed(now)) {
    if (Partitioned(now, from, to)) {
      ++stats_.partitioned;
      return;
    }
    if (rng_.Chance(scenario_->drop_per_mille)) {
      ++stats_.dropped;
      return;
    }
  }
  const int copies = rng_.Chance(scenario_->dup_per_mille) ? 2 : 1;
  stats_.duplicated += static_cast<uint64_t>(copies - 1);
  for (int c = 0; c < copies; ++c) {
    Event e;
    e.time = now + Delay(now);
    e.kind = EventKind::kDeliver;
    e.node = to;
    e.from = from;
    e.bytes = bytes;
    queue_->Push(std::move(e));
  }
}

}  // namespace hearth::sim
