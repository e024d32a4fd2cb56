// harness.h: helpers for the consensus unit tests — real Ed25519 members, a scriptable
// application, signed messages from any member, and effect inspection.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "hearth/consensus/messages.h"
#include "hearth/consensus/replica.h"
#include "sim/sim_crypto.h"
#include "sim/toy_chain.h"

namespace hearth::consensus::test {

using sim::KeyRing;
using sim::SigMode;

// The toy chain, plus values the test declares invalid.
class TestApp : public sim::ToyChain {
 public:
  explicit TestApp(uint16_t self) : ToyChain(self) {}
  bool IsValid(Height height, const Value& v) override {
    ++validations;
    return invalid.count(v.id) == 0 && ToyChain::IsValid(height, v);
  }
  std::set<Hash32> invalid;
  int validations = 0;
};

// A value valid on top of an empty chain (or of `prev`) at `height`.
inline Value ToyValueAt(Height height, uint64_t nonce, const Hash32& prev = Hash32{}) {
  return sim::MakeToy(sim::ToyValue{height, prev, 0, nonce, false});
}

inline Timeouts TestTimeouts() {
  Timeouts t;
  t.propose_ticks = 100;
  t.prevote_ticks = 40;
  t.precommit_ticks = 40;
  t.delta_ticks = 10;
  t.max_ticks = 1000;
  t.gossip_ticks = 50;
  return t;
}

// One replica under test (member `self` of n) and the keys of every member.
struct Fixture {
  explicit Fixture(uint32_t n = 4, MemberIndex self = 0, uint64_t seed = 7,
                   PlantedBug bug = PlantedBug::kNone)
      : ring(SigMode::kEd25519, n, seed), app(self), signer(&ring, self) {
    config.self = self;
    config.timeouts = TestTimeouts();
    config.value_bytes_max = sim::kToyValueBytes;
    config.TEST_planted_bug = bug;
    replica = std::make_unique<Replica>(config, &signer, &ring, &app);
  }

  Effects Start(Height h = 1, const std::optional<SafetyState>& s = std::nullopt) {
    Effects out;
    REQUIRE(replica->Start(h, s, &out).ok());
    return out;
  }
  Effects Deliver(const Bytes& message) {
    Effects out;
    REQUIRE(replica->OnMessage(message, &out).ok());
    return out;
  }
  Effects Fire(TimerKind kind, Height h, Round r) {
    Effects out;
    REQUIRE(replica->OnTimer(Timer{kind, h, r}, &out).ok());
    return out;
  }
  // Restarts the replica object from `state` (a crash loses everything else).
  Effects Restart(const std::optional<SafetyState>& state, Height h = 1) {
    replica = std::make_unique<Replica>(config, &signer, &ring, &app);
    return Start(h, state);
  }

  Bytes ProposalBy(MemberIndex m, Height h, Round r, const Value& v, Round vr = kNoRound) const {
    Proposal p;
    p.height = h;
    p.round = r;
    p.valid_round = vr;
    p.proposer = m;
    p.value_id = v.id;
    p.value = v.bytes;
    p.signature = ring.Sign(m, kProposalContext, ProposalSigningMessage(h, r, vr, v.id));
    return Encode(p);
  }
  Vote VoteBy(MemberIndex m, VoteType t, Height h, Round r, std::optional<Hash32> id) const {
    Vote v;
    v.type = t;
    v.height = h;
    v.round = r;
    v.voter = m;
    v.value_id = id;
    v.signature = ring.Sign(m, VoteContext(t), VoteSigningMessage(h, r, id));
    return v;
  }
  Bytes PrevoteBy(MemberIndex m, Height h, Round r, std::optional<Hash32> id) const {
    return Encode(VoteBy(m, VoteType::kPrevote, h, r, id));
  }
  Bytes PrecommitBy(MemberIndex m, Height h, Round r, std::optional<Hash32> id) const {
    return Encode(VoteBy(m, VoteType::kPrecommit, h, r, id));
  }

  KeyRing ring;
  TestApp app;
  sim::RingSigner signer;
  Config config;
  std::unique_ptr<Replica> replica;
};

// --- effect inspection ---------------------------------------------------------------

inline std::vector<Message> Broadcasts(const Effects& effects) {
  std::vector<Message> out;
  for (const Effect& e : effects) {
    if (const auto* b = std::get_if<BroadcastEffect>(&e)) {
      auto m = DecodeMessage(b->message, SIZE_MAX);
      REQUIRE(m.ok());
      out.push_back(std::move(m).value());
    }
  }
  return out;
}

// Votes of type t authored by `self` among the broadcasts.
inline std::vector<Vote> OwnVotes(const Effects& effects, VoteType t, MemberIndex self) {
  std::vector<Vote> out;
  for (const Message& m : Broadcasts(effects)) {
    if (const auto* v = std::get_if<Vote>(&m); v != nullptr && v->type == t && v->voter == self) {
      out.push_back(*v);
    }
  }
  return out;
}

inline std::vector<Proposal> OwnProposals(const Effects& effects, MemberIndex self) {
  std::vector<Proposal> out;
  for (const Message& m : Broadcasts(effects)) {
    if (const auto* p = std::get_if<Proposal>(&m); p != nullptr && p->proposer == self) {
      out.push_back(*p);
    }
  }
  return out;
}

inline std::vector<TimerEffect> Timers(const Effects& effects, TimerKind kind) {
  std::vector<TimerEffect> out;
  for (const Effect& e : effects) {
    if (const auto* t = std::get_if<TimerEffect>(&e); t != nullptr && t->timer.kind == kind) {
      out.push_back(*t);
    }
  }
  return out;
}

inline std::optional<DecideEffect> FindDecide(const Effects& effects) {
  for (const Effect& e : effects) {
    if (const auto* d = std::get_if<DecideEffect>(&e)) return *d;
  }
  return std::nullopt;
}

inline std::optional<SafetyState> LastPersist(const Effects& effects) {
  std::optional<SafetyState> s;
  for (const Effect& e : effects) {
    if (const auto* p = std::get_if<PersistEffect>(&e)) s = p->state;
  }
  return s;
}

// The persistence rule: every own proposal or vote in `effects` is preceded by a
// PersistEffect whose state already records it (or was in `already`, persisted earlier).
inline bool PersistedBeforeSent(const Effects& effects, MemberIndex self,
                                std::optional<SafetyState> already = std::nullopt) {
  std::optional<SafetyState> persisted = std::move(already);
  for (const Effect& e : effects) {
    if (const auto* p = std::get_if<PersistEffect>(&e)) {
      persisted = p->state;
      continue;
    }
    const auto* b = std::get_if<BroadcastEffect>(&e);
    if (b == nullptr) continue;
    auto m = DecodeMessage(b->message, SIZE_MAX);
    if (!m.ok()) return false;
    if (const auto* v = std::get_if<Vote>(&*m); v != nullptr && v->voter == self) {
      if (!persisted) return false;
      const auto& last = v->type == VoteType::kPrevote ? persisted->last_prevote
                                                        : persisted->last_precommit;
      const bool in_polka = std::find(persisted->valid_polka.begin(),
                                      persisted->valid_polka.end(), *v) != persisted->valid_polka.end();
      if ((!last || *last != *v) && !in_polka) return false;
    }
    if (const auto* p = std::get_if<Proposal>(&*m); p != nullptr && p->proposer == self) {
      if (!persisted || persisted->last_proposal != *p) return false;
    }
  }
  return true;
}

}  // namespace hearth::consensus::test
