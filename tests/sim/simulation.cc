// One seed's run (simulation.h).
#include "simulation.h"

#include <cstdio>
#include <sstream>

#include "hearth/consensus/safety_state.h"

namespace hearth::sim {

using consensus::Effects;

namespace {

std::string Short(const Hash32& h) { return h.Hex().substr(0, 8); }

void AddCounters(const consensus::Counters& c, consensus::Counters* total) {
  for (size_t k = 0; k < c.drops.size(); ++k) total->drops[k] += c.drops[k];
  total->accepted += c.accepted;
  total->verifications += c.verifications;
  total->signatures += c.signatures;
  total->sign_refusals += c.sign_refusals;
}

}  // namespace

std::string DescribeMessage(const Bytes& message) {
  auto m = consensus::DecodeMessage(message, SIZE_MAX);
  if (!m.ok()) return "garbage(" + std::to_string(message.size()) + " bytes)";
  std::ostringstream o;
  if (const auto* p = std::get_if<consensus::Proposal>(&*m)) {
    o << "proposal h=" << p->height << " r=" << p->round << " vr=" << p->valid_round
      << " by=" << p->proposer << " id=" << Short(p->value_id);
  } else if (const auto* v = std::get_if<consensus::Vote>(&*m)) {
    o << (v->type == consensus::VoteType::kPrevote ? "prevote" : "precommit") << " h=" << v->height
      << " r=" << v->round << " by=" << v->voter << " id="
      << (v->value_id ? Short(*v->value_id) : "nil");
  } else if (const auto* c = std::get_if<consensus::CatchUpRequest>(&*m)) {
    o << "catch-up-request from h=" << c->height << " by=" << c->requester;
  } else {
    const auto& d = std::get<consensus::Decided>(*m);
    o << "decided h=" << d.certificate.height << " r=" << d.certificate.round
      << " id=" << Short(d.certificate.value_id) << " votes=" << d.certificate.votes.size();
  }
  return o.str();
}

Simulation::Simulation(const SimOptions& options, const Scenario& scenario)
    : options_(options),
      scenario_(scenario),
      ring_(scenario.sig_mode, scenario.n, scenario.seed),
      rng_(scenario.seed ^ 0xA5A5F00Dull),
      network_(&scenario_, rng_.Fork(), &queue_),
      checker_(&scenario_, &ring_, options.decisions_only),
      hosts_(scenario.n) {
  for (uint16_t i = 0; i < scenario_.n; ++i) {
    Host& h = hosts_[i];
    h.byzantine = scenario_.byzantine[i];
    h.chain = std::make_unique<ToyChain>(i);
    h.signer = std::make_unique<RingSigner>(&ring_, i);
    if (h.byzantine) {
      h.byz = std::make_unique<ByzantineActor>(i, scenario_.behaviours[i], &scenario_, &ring_,
                                               rng_.Fork());
    }
  }
}

Simulation::~Simulation() = default;

consensus::Config Simulation::ReplicaConfig(uint16_t i) const {
  consensus::Config c;
  c.self = i;
  c.timeouts = scenario_.timeouts;
  c.value_bytes_max = kToyValueBytes;
  if (!hosts_[i].byzantine) {
    if (options_.bug == SimBug::kLock) c.TEST_planted_bug = consensus::PlantedBug::kLock;
    if (options_.bug == SimBug::kQuorum2f) c.TEST_planted_bug = consensus::PlantedBug::kQuorum2f;
  }
  return c;
}

uint64_t Simulation::Skewed(uint16_t i, uint64_t delay_ticks) const {
  const auto pct = static_cast<uint64_t>(100 + scenario_.skew_percent[i]);
  return std::max<uint64_t>(1, delay_ticks * pct / 100);
}

void Simulation::Trace(uint64_t now, const std::string& line) const {
  if (options_.trace) std::printf("t=%llu %s\n", static_cast<unsigned long long>(now), line.c_str());
}

void Simulation::Retire(Host* h) {
  if (h->replica && !h->byzantine) AddCounters(h->replica->counters(), &totals_);
  h->replica.reset();
}

void Simulation::Boot(uint16_t i, uint64_t now) {
  Host& h = hosts_[i];
  HEARTH_CHECK(!h.up);
  h.up = true;
  ++h.epoch;
  h.refusals_seen = 0;
  h.replica = std::make_unique<consensus::Replica>(ReplicaConfig(i), h.signer.get(), &ring_,
                                                   h.chain.get());
  std::optional<consensus::SafetyState> state;
  const bool forget = options_.bug == SimBug::kNoPersist && !h.byzantine;
  if (h.persisted && !forget) {
    auto s = consensus::DecodeSafetyState(*h.persisted, kToyValueBytes);
    HEARTH_CHECK_MSG(s.ok(), "persisted safety state does not decode");
    state = std::move(s).value();
  }
  Trace(now, "boot " + std::to_string(i) + " at height " + std::to_string(h.chain->DecidedHeight() + 1) +
                 (state ? " with persisted state round " + std::to_string(state->round) +
                              " step " + std::string(consensus::StepName(state->step))
                        : " fresh"));
  Effects out;
  Status s = h.replica->Start(h.chain->DecidedHeight() + 1, state, &out);
  HEARTH_CHECK_MSG(s.ok(), "replica failed to start");
  Execute(i, std::move(out), now);
  if (h.byz && h.up) {
    Event e;
    e.time = now + kByzantineTickPeriod;
    e.kind = EventKind::kByzantine;
    e.node = i;
    e.epoch = h.epoch;
    queue_.Push(std::move(e));
  }
}

void Simulation::Crash(uint16_t i, uint64_t now, uint64_t restart_at) {
  Host& h = hosts_[i];
  if (!h.up) return;
  Trace(now, "crash " + std::to_string(i) + ", restart at " + std::to_string(restart_at));
  Retire(&h);
  h.up = false;
  ++h.epoch;  // its pending timers die with it
  Event e;
  e.time = std::max(restart_at, now + 1);
  e.kind = EventKind::kRestart;
  e.node = i;
  queue_.Push(std::move(e));
}

void Simulation::Emit(uint16_t i, std::optional<uint16_t> to, const Bytes& message,
                      uint64_t now) {
  Host& h = hosts_[i];
  if (options_.trace) {
    Trace(now, "  " + std::to_string(i) + " sends " + (to ? "to " + std::to_string(*to) : "all") +
                   ": " + DescribeMessage(message));
  }
  if (h.byzantine) {
    Sends sends;
    h.byz->Outgoing(to, message, &sends);
    for (auto& [d, b] : sends) {
      checker_.OnByzantineSend(b);
      network_.Send(now, i, d, b);
    }
    return;
  }
  checker_.OnHonestSend(i, message);
  if (to) {
    network_.Send(now, i, *to, message);
    return;
  }
  for (uint16_t d = 0; d < scenario_.n; ++d) {
    if (d != i) network_.Send(now, i, d, message);
  }
}

void Simulation::Decide(uint16_t i, const consensus::DecideEffect& d, uint64_t now,
                        Effects* more) {
  Host& h = hosts_[i];
  Trace(now, "  " + std::to_string(i) + " DECIDES h=" + std::to_string(d.certificate.height) +
                 " r=" + std::to_string(d.certificate.round) + " id=" + Short(d.value.id));
  checker_.OnDecide(now, i, *h.chain, d);
  h.chain->Apply(d);
  if (!h.byzantine && now >= scenario_.heal_ticks) {
    const uint64_t since = std::max(h.last_decide_ticks, scenario_.heal_ticks);
    max_wait_after_heal_ticks_ = std::max(max_wait_after_heal_ticks_, now - since);
  }
  h.last_decide_ticks = now;
  Status s = h.replica->OnDecisionApplied(more);
  HEARTH_CHECK_MSG(s.ok(), "OnDecisionApplied failed");
}

void Simulation::Execute(uint16_t i, Effects effects, uint64_t now) {
  Host& h = hosts_[i];
  // A crash between two effects of this input (never after heal: crashed replicas are back).
  size_t cut = SIZE_MAX;
  if (now < scenario_.heal_ticks && rng_.Chance(scenario_.mid_effects_crash_per_mille)) {
    cut = rng_.Below(effects.size() + 1);
  }
  for (size_t k = 0; k < effects.size(); ++k) {
    if (k == cut) {
      Crash(i, now, std::min(scenario_.heal_ticks, now + rng_.Range(20, 1'500)));
      return;
    }
    Effects more;
    if (auto* p = std::get_if<consensus::PersistEffect>(&effects[k])) {
      h.persisted = consensus::EncodeSafetyState(p->state);
    } else if (auto* b = std::get_if<consensus::BroadcastEffect>(&effects[k])) {
      Emit(i, std::nullopt, b->message, now);
    } else if (auto* s = std::get_if<consensus::SendEffect>(&effects[k])) {
      Emit(i, s->to, s->message, now);
    } else if (auto* t = std::get_if<consensus::TimerEffect>(&effects[k])) {
      Event e;
      e.time = now + Skewed(i, t->delay_ticks);
      e.kind = EventKind::kTimer;
      e.node = i;
      e.epoch = h.epoch;
      e.timer = t->timer;
      queue_.Push(std::move(e));
    } else {
      Decide(i, std::get<consensus::DecideEffect>(effects[k]), now, &more);
    }
    for (auto& m : more) effects.push_back(std::move(m));
  }
  const uint64_t refusals = h.replica->counters().sign_refusals;
  if (refusals > h.refusals_seen) {
    checker_.OnSignRefusals(i, refusals - h.refusals_seen);
    h.refusals_seen = refusals;
  }
}

void Simulation::Dispatch(const Event& e) {
  Host& h = hosts_[e.node];
  Effects out;
  switch (e.kind) {
    case EventKind::kDeliver:
      if (!h.up) return;
      if (options_.trace) {
        Trace(e.time, std::to_string(e.from) + "->" + std::to_string(e.node) + " " +
                          DescribeMessage(e.bytes));
      }
      if (h.byz) h.byz->Observe(e.bytes);
      HEARTH_CHECK(h.replica->OnMessage(e.bytes, &out).ok());
      break;
    case EventKind::kTimer:
      if (!h.up || e.epoch != h.epoch) return;
      Trace(e.time, "timer " + std::string(consensus::TimerName(e.timer.kind)) + " at " +
                        std::to_string(e.node) + " h=" + std::to_string(e.timer.height) +
                        " r=" + std::to_string(e.timer.round));
      HEARTH_CHECK(h.replica->OnTimer(e.timer, &out).ok());
      break;
    case EventKind::kCrash:
      Crash(e.node, e.time, e.epoch);  // epoch field carries the restart time
      return;
    case EventKind::kRestart:
      if (!h.up) Boot(e.node, e.time);
      return;
    case EventKind::kByzantine: {
      if (!h.up || e.epoch != h.epoch) return;
      Sends sends;
      h.byz->Tick(h.replica->height(), h.replica->round(), &sends);
      for (auto& [d, b] : sends) {
        checker_.OnByzantineSend(b);
        network_.Send(e.time, e.node, d, b);
      }
      Event next = e;
      next.time = e.time + kByzantineTickPeriod;
      queue_.Push(std::move(next));
      return;
    }
    case EventKind::kHeal:
      Trace(e.time, "network heals");
      return;
  }
  Execute(e.node, std::move(out), e.time);
}

SeedResult Simulation::Run() {
  for (const CrashPlan& c : scenario_.crashes) {
    Event e;
    e.time = c.at_ticks;
    e.kind = EventKind::kCrash;
    e.node = c.node;
    e.epoch = std::min(scenario_.heal_ticks, c.at_ticks + c.down_ticks);
    queue_.Push(std::move(e));
  }
  Event heal;
  heal.time = scenario_.heal_ticks;
  heal.kind = EventKind::kHeal;
  queue_.Push(std::move(heal));
  for (uint16_t i = 0; i < scenario_.n; ++i) Boot(i, 0);

  SeedResult r;
  std::vector<uint64_t> heights(scenario_.n);
  uint64_t now = 0;
  while (!queue_.Empty() && r.steps < options_.steps) {
    Event e = queue_.Pop();
    now = e.time;
    ++r.steps;
    Dispatch(e);
    for (uint16_t i = 0; i < scenario_.n; ++i) heights[i] = hosts_[i].chain->DecidedHeight();
    checker_.OnStep(now, heights);
    if (checker_.violated() || checker_.liveness_failed() || checker_.done()) break;
  }
  if (!checker_.violated() && !checker_.done() && !checker_.liveness_failed()) {
    checker_.FailLiveness("step budget of " + std::to_string(options_.steps) +
                          " exhausted at t=" + std::to_string(now) + " before the liveness target");
  }
  for (Host& h : hosts_) Retire(&h);
  r.violation = checker_.violated();
  r.violations = checker_.violations();
  r.violation_kind = checker_.first_kind();
  r.liveness_failure = checker_.liveness_failed();
  r.liveness_reason = checker_.liveness_reason();
  r.heights = checker_.heights_decided();
  r.end_ticks = now;
  r.max_wait_after_heal_ticks = max_wait_after_heal_ticks_;
  r.network = network_.stats();
  r.honest_counters = totals_;
  return r;
}

}  // namespace hearth::sim
