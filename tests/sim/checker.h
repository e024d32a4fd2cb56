// checker.h: the invariants hearth-sim checks at every step.
//
// Safety (a violation fails the seed):
//  1. Agreement: no two honest replicas decide different values at one height.
//  2. Decisions only extend: an honest replica decides heights 1, 2, 3, ... in order, each
//     value valid on top of the previous one (its prev id is the previous decided id, it is
//     not poisoned) — so a value failing valid(v) is never decided.
//  3. Every decided value has a certificate that verifies against the member set alone
//     (consensus::VerifyCertificate with the true 2f+1 quorum) for exactly that height and
//     value; with real signatures the encoded certificate must also decode and verify with
//     the ledger's own DecodeCertificate / VerifyCertificate.
//  4. No honest replica signs two different proposals, prevotes or precommits for one
//     (height, round), across crashes and restarts.
//  5. No honest replica's double-signing guard ever refuses (Algorithm 1 never asks).
//  6. No amnesia (Tendermint's fork-accountability rule): an honest replica that precommitted
//     v in round lr and later prevotes v' != v in round r' had a polka for v' — prevotes for
//     v' from 2f+1 members, all sent earlier with valid signatures — in some round vr with
//     lr <= vr < r' (line 29: lockedRound_p <= vr). This is the lock discipline seen from
//     outside; it catches a replica that ignores its lock even in runs where agreement
//     happens to survive.
// Liveness: from heal on, each honest replica's wait for its next decision stays below the
// scenario's bound, and each decides decisions_after_heal heights beyond the highest height
// any honest replica had decided at heal.
// Thread-safety: one thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "hearth/consensus/replica.h"
#include "scenario.h"
#include "sim_crypto.h"
#include "toy_chain.h"

namespace hearth::sim {

class Checker {
 public:
  Checker(const Scenario* scenario, const KeyRing* ring, bool decisions_only = false);

  // Before `chain` applies `d` (chain is the replica's durable decided chain).
  void OnDecide(uint64_t now, uint16_t node, const ToyChain& chain,
                const consensus::DecideEffect& d);
  // Every message an honest replica hands to the network.
  void OnHonestSend(uint16_t node, const Bytes& message);
  // Every message a Byzantine replica sends (its prevotes may complete a polka).
  void OnByzantineSend(const Bytes& message);
  void OnSignRefusals(uint16_t node, uint64_t refusals);
  // Called at every step with the current time and each honest replica's chain height.
  void OnStep(uint64_t now, const std::vector<uint64_t>& heights);

  bool violated() const { return !violations_.empty(); }
  bool liveness_failed() const { return liveness_failed_; }
  bool done() const { return done_; }
  void FailLiveness(const std::string& why);
  const std::vector<std::string>& violations() const { return violations_; }
  // Kind of the first violation ("agreement", "validity", "certificate", "double-sign",
  // "guard", "amnesia", "order"), empty if none.
  const std::string& first_kind() const { return first_kind_; }
  const std::string& liveness_reason() const { return liveness_reason_; }
  uint64_t heights_decided() const { return decided_.size(); }

 private:
  void Violation(std::string kind, std::string what);
  void NotePrevote(const consensus::Vote& v);
  void CheckAmnesia(uint16_t node, const consensus::Vote& prevote);

  const Scenario* scenario_;
  const KeyRing* ring_;
  bool decisions_only_;
  std::vector<std::string> violations_;
  std::string first_kind_;
  // (height, round, value id) -> members whose valid prevote for it was sent.
  std::map<std::tuple<uint64_t, int64_t, Hash32>, std::vector<bool>> prevotes_;
  // The checker's own signature checks, memoised by the bytes checked (replicas verify
  // everything themselves; this only keeps the oracle from re-verifying copies).
  std::map<Bytes, bool> prevote_ok_;
  std::map<Bytes, Status> certificate_ok_;
  // (node, height) -> round and value of its latest precommit for a value.
  std::map<std::pair<uint16_t, uint64_t>, std::pair<int64_t, Hash32>> locks_;
  std::map<uint64_t, Hash32> decided_;  // height -> first honest decision
  // (node, height, round, type) -> what was signed (value id, or a marker for nil).
  std::map<std::tuple<uint16_t, uint64_t, int64_t, uint8_t>, Hash32> signed_;
  bool healed_ = false;
  uint64_t target_height_ = 0;
  std::vector<uint64_t> last_progress_ticks_;
  std::vector<uint64_t> last_height_;
  bool liveness_failed_ = false;
  std::string liveness_reason_;
  bool done_ = false;
};

}  // namespace hearth::sim
