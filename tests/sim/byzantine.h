// byzantine.h: what a Byzantine replica does to the messages its (otherwise honest) core
// produces, and what it sends on its own schedule. It signs only with its own genesis key
// (the KeyRing hands it nothing else), as a real attacker member would.
//
// Behaviours (scenario.h ByzBehaviour): silence; equivocating proposals (a second value to
// part of the members); double votes; replays of messages it saw from anyone; corrupted
// signatures; garbage, truncated and bit-flipped bytes; signed votes for far-future rounds
// and heights (the FISCO BCOS #2211 attack: one member must never drag the others into a
// huge round); values that fail valid(v); tampered catch-up answers.
// Thread-safety: one thread.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "hearth/consensus/messages.h"
#include "scenario.h"
#include "sim_crypto.h"
#include "sim_rng.h"

namespace hearth::sim {

using Sends = std::vector<std::pair<uint16_t, Bytes>>;

// Messages a Byzantine replica remembers for replays.
inline constexpr size_t kReplayRingMax = 128;
// Period of its own schedule (virtual ticks).
inline constexpr uint64_t kByzantineTickPeriod = 37;

class ByzantineActor {
 public:
  ByzantineActor(uint16_t self, uint32_t behaviours, const Scenario* scenario,
                 const KeyRing* ring, Rng rng);

  // A message its core hands to the network: to everyone (`to` empty) or to one member.
  void Outgoing(std::optional<uint16_t> to, const Bytes& message, Sends* sends);
  // A message it received (material for replays).
  void Observe(const Bytes& message);
  // Its own schedule; `height`/`round` are where its core is.
  void Tick(consensus::Height height, consensus::Round round, Sends* sends);
  bool silent() const { return (behaviours_ & kByzSilent) != 0; }

 private:
  bool Has(uint32_t b) const { return (behaviours_ & b) != 0; }
  std::vector<uint16_t> Others() const;
  Bytes SignProposal(consensus::Proposal p);
  Bytes SignVote(consensus::Vote v);
  void OnProposal(const consensus::Proposal& p, const std::vector<uint16_t>& dests, Sends* sends);
  void OnVote(const consensus::Vote& v, const std::vector<uint16_t>& dests, Sends* sends);
  Bytes TamperDecided(const consensus::Decided& d);
  Bytes MaybeCorruptSignature(Bytes message);
  Bytes Garbage();

  uint16_t self_;
  uint32_t behaviours_;
  const Scenario* scenario_;
  const KeyRing* ring_;
  Rng rng_;
  std::deque<Bytes> seen_;
  // Alternative value ids it equivocated with, per (height, round), for its double votes.
  std::map<std::pair<consensus::Height, consensus::Round>, Hash32> alternatives_;
  // Amnesia: the member its proposal of (height, round) was withheld from.
  std::map<std::pair<consensus::Height, consensus::Round>, uint16_t> withheld_;
};

}  // namespace hearth::sim
