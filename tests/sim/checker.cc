// The simulator's safety and liveness checks (checker.h).
#include "checker.h"

#include <algorithm>

#include "hearth/consensus/certificate.h"
#include "hearth/consensus/messages.h"
#include "hearth/ledger/block.h"

namespace hearth::sim {
namespace {

// Marker for a nil vote in the signed-message table (no value id is all 0xFF in practice).
Hash32 NilMarker() {
  Hash32 h;
  h.bytes.fill(0xFF);
  return h;
}

// The ledger's own reading of a consensus certificate: decode + verify with its keys.
Status LedgerVerify(const consensus::Certificate& cert, const KeyRing& ring) {
  const Bytes encoded = consensus::EncodeCertificate(cert);
  auto ledger_cert = hearth::DecodeCertificate(encoded);
  if (!ledger_cert.ok()) return ledger_cert.status();
  if (hearth::EncodeCertificate(*ledger_cert) != encoded) {
    return Status::Internal("ledger re-encodes the certificate differently");
  }
  return hearth::VerifyCertificate(*ledger_cert, kSimChainId, ring.public_keys(),
                                   consensus::FaultsTolerated(ring.member_count()));
}

}  // namespace

Checker::Checker(const Scenario* scenario, const KeyRing* ring, bool decisions_only)
    : scenario_(scenario), ring_(ring), decisions_only_(decisions_only),
      last_progress_ticks_(scenario->n, 0), last_height_(scenario->n, 0) {}

void Checker::Violation(std::string kind, std::string what) {
  if (decisions_only_ && kind != "agreement" && kind != "validity" && kind != "order") return;
  if (violations_.empty()) first_kind_ = std::move(kind);
  violations_.push_back(std::move(what));
}

void Checker::NotePrevote(const consensus::Vote& v) {
  if (v.type != consensus::VoteType::kPrevote || !v.value_id) return;
  auto& voters = prevotes_[{v.height, v.round, *v.value_id}];
  voters.resize(scenario_->n, false);
  voters[v.voter] = true;
}

void Checker::OnByzantineSend(const Bytes& message) {
  auto m = consensus::DecodeMessage(message, SIZE_MAX);
  if (!m.ok()) return;
  const auto* v = std::get_if<consensus::Vote>(&*m);
  if (v == nullptr || v->type != consensus::VoteType::kPrevote || !v->value_id ||
      v->voter >= scenario_->n) {
    return;
  }
  // Only prevotes an honest replica would accept count towards a polka.
  auto [it, fresh] = prevote_ok_.emplace(message, false);
  if (fresh) {
    it->second = ring_->Verify(v->voter, consensus::kPrevoteContext,
                               consensus::VoteSigningMessage(v->height, v->round, v->value_id),
                               v->signature)
                     .ok();
  }
  if (it->second) NotePrevote(*v);
}

void Checker::CheckAmnesia(uint16_t node, const consensus::Vote& prevote) {
  auto lock = locks_.find({node, prevote.height});
  if (lock == locks_.end() || !prevote.value_id) return;
  const auto [locked_round, locked_id] = lock->second;
  if (*prevote.value_id == locked_id || prevote.round <= locked_round) return;
  const uint32_t quorum = consensus::QuorumSize(scenario_->n);
  for (int64_t vr = locked_round; vr < prevote.round; ++vr) {
    auto it = prevotes_.find({prevote.height, vr, *prevote.value_id});
    if (it != prevotes_.end() &&
        static_cast<uint32_t>(std::count(it->second.begin(), it->second.end(), true)) >= quorum) {
      return;  // justified by a polka at vr >= lockedRound (line 29)
    }
  }
  Violation("amnesia", "replica " + std::to_string(node) + " height " +
                           std::to_string(prevote.height) + ": prevoted " +
                           prevote.value_id->Hex().substr(0, 16) + " in round " +
                           std::to_string(prevote.round) + " against its lock on " +
                           locked_id.Hex().substr(0, 16) + " from round " +
                           std::to_string(locked_round) + ", with no polka in between");
}

void Checker::OnDecide(uint64_t now, uint16_t node, const ToyChain& chain,
                       const consensus::DecideEffect& d) {
  (void)now;
  if (scenario_->byzantine[node]) return;
  const uint64_t h = d.certificate.height;
  const std::string who = "replica " + std::to_string(node) + " height " + std::to_string(h);
  if (h != chain.DecidedHeight() + 1) {
    Violation("order", who + ": decided out of order (chain at " + std::to_string(chain.DecidedHeight()) + ")");
  }
  if (d.value.id != ToyId(d.value.bytes)) Violation("validity", who + ": decided value id is not id(v)");
  if (!ToyChain::IsValidAt(h, d.value, chain.TipId(), chain.DecidedHeight())) {
    Violation("validity", who + ": decided a value that does not extend its chain or fails valid(v)");
  }
  if (d.certificate.value_id != d.value.id) Violation("certificate", who + ": certificate for another value");
  auto [memo, fresh] = certificate_ok_.emplace(consensus::EncodeCertificate(d.certificate), Status());
  if (fresh) memo->second = consensus::VerifyCertificate(d.certificate, *ring_);
  const Status s = memo->second;
  if (!s.ok()) Violation("certificate", who + ": certificate does not verify: " + s.ToString());
  auto [it, inserted] = decided_.emplace(h, d.value.id);
  if (!inserted && it->second != d.value.id) {
    Violation("agreement", who + ": AGREEMENT broken, decided " + d.value.id.Hex().substr(0, 16) +
              " but another honest replica decided " + it->second.Hex().substr(0, 16));
  }
  // Real signatures: the certificate is a ledger CommitCertificate (first decision per height).
  if (inserted && ring_->mode() == SigMode::kEd25519 && s.ok()) {
    Status ls = LedgerVerify(d.certificate, *ring_);
    if (!ls.ok()) Violation("certificate", who + ": ledger rejects the certificate: " + ls.ToString());
  }
}

void Checker::OnHonestSend(uint16_t node, const Bytes& message) {
  auto m = consensus::DecodeMessage(message, SIZE_MAX);
  if (!m.ok()) {
    Violation("encoding", "replica " + std::to_string(node) + " sent undecodable bytes: " +
              m.status().ToString());
    return;
  }
  uint8_t type = 0;
  uint64_t h = 0;
  int64_t r = 0;
  Hash32 what;
  if (const auto* p = std::get_if<consensus::Proposal>(&*m)) {
    if (p->proposer != node) return;  // relayed, not signed by this replica
    type = 0;
    h = p->height;
    r = p->round;
    // A proposal's content is (value id, valid round).
    what = SuiteHashParts(Suite::kEd25519Sha256,
                          {p->value_id.view(), consensus::ProposalSigningMessage(
                                                   p->height, p->round, p->valid_round,
                                                   p->value_id)});
  } else if (const auto* v = std::get_if<consensus::Vote>(&*m)) {
    if (v->voter != node) return;  // a relayed vote (e.g. a proposer's polka)
    type = static_cast<uint8_t>(v->type);
    h = v->height;
    r = v->round;
    what = v->value_id ? *v->value_id : NilMarker();
    if (v->type == consensus::VoteType::kPrevote) {
      CheckAmnesia(node, *v);
      NotePrevote(*v);
    } else if (v->value_id) {
      auto it = locks_.find({node, h});
      if (it == locks_.end() || r >= it->second.first) locks_[{node, h}] = {r, *v->value_id};
    }
  } else {
    return;
  }
  auto [it, inserted] = signed_.emplace(std::make_tuple(node, h, r, type), what);
  if (!inserted && it->second != what) {
    static constexpr std::string_view kTypes[] = {"proposals", "prevotes", "precommits"};
    Violation("double-sign", "replica " + std::to_string(node) + " signed two different " +
              std::string(kTypes[type]) + " at height " + std::to_string(h) + " round " +
              std::to_string(r));
  }
}

void Checker::OnSignRefusals(uint16_t node, uint64_t refusals) {
  if (refusals > 0 && !scenario_->byzantine[node]) {
    Violation("guard", "replica " + std::to_string(node) + ": the double-signing guard refused " +
              std::to_string(refusals) + " time(s) (Algorithm 1 asked to sign a conflict)");
  }
}

void Checker::FailLiveness(const std::string& why) {
  if (liveness_failed_) return;
  liveness_failed_ = true;
  liveness_reason_ = why;
}

void Checker::OnStep(uint64_t now, const std::vector<uint64_t>& heights) {
  if (now < scenario_->heal_ticks || liveness_failed_) return;
  const uint32_t n = scenario_->n;
  if (!healed_) {
    healed_ = true;
    uint64_t top = 0;
    for (uint32_t i = 0; i < n; ++i) {
      if (!scenario_->byzantine[i]) top = std::max(top, heights[i]);
    }
    target_height_ = top + scenario_->decisions_after_heal;
    for (uint32_t i = 0; i < n; ++i) {
      last_progress_ticks_[i] = scenario_->heal_ticks;
      last_height_[i] = heights[i];
    }
  }
  bool all_done = true;
  for (uint32_t i = 0; i < n; ++i) {
    if (scenario_->byzantine[i]) continue;
    if (heights[i] > last_height_[i]) {
      last_height_[i] = heights[i];
      last_progress_ticks_[i] = now;
    }
    if (heights[i] < target_height_) {
      all_done = false;
      if (now - last_progress_ticks_[i] > scenario_->liveness_bound_ticks) {
        FailLiveness("replica " + std::to_string(i) + " decided nothing for " +
                     std::to_string(now - last_progress_ticks_[i]) + " ticks after heal (at height " +
                     std::to_string(heights[i]) + ", target " + std::to_string(target_height_) + ")");
        return;
      }
    }
  }
  done_ = all_done;
}

}  // namespace hearth::sim
