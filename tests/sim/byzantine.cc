// Byzantine behaviours (byzantine.h).
#include "byzantine.h"

#include "toy_chain.h"

namespace hearth::sim {

using consensus::Decided;
using consensus::Proposal;
using consensus::Vote;

ByzantineActor::ByzantineActor(uint16_t self, uint32_t behaviours, const Scenario* scenario,
                               const KeyRing* ring, Rng rng)
    : self_(self), behaviours_(behaviours), scenario_(scenario), ring_(ring), rng_(rng) {}

std::vector<uint16_t> ByzantineActor::Others() const {
  std::vector<uint16_t> out;
  for (uint16_t i = 0; i < scenario_->n; ++i) {
    if (i != self_) out.push_back(i);
  }
  return out;
}

Bytes ByzantineActor::SignProposal(Proposal p) {
  p.proposer = self_;
  p.signature = ring_->Sign(self_, consensus::kProposalContext,
                            consensus::ProposalSigningMessage(p.height, p.round, p.valid_round,
                                                              p.value_id));
  return consensus::Encode(p);
}

Bytes ByzantineActor::SignVote(Vote v) {
  v.voter = self_;
  v.signature = ring_->Sign(self_, consensus::VoteContext(v.type),
                            consensus::VoteSigningMessage(v.height, v.round, v.value_id));
  return consensus::Encode(v);
}

void ByzantineActor::Observe(const Bytes& message) {
  if (!Has(kByzReplay) && !Has(kByzGarbage)) return;
  if (seen_.size() >= kReplayRingMax) seen_.pop_front();
  seen_.push_back(message);
}

Bytes ByzantineActor::MaybeCorruptSignature(Bytes message) {
  if (Has(kByzBadSignature) && !message.empty() && rng_.Chance(300)) {
    // Proposals and votes end with their signature: flip one of its last bytes.
    message[message.size() - 1 - rng_.Below(std::min<size_t>(16, message.size()))] ^= 0x5A;
  }
  return message;
}

void ByzantineActor::OnProposal(const Proposal& p, const std::vector<uint16_t>& dests,
                                Sends* sends) {
  auto toy = DecodeToy(p.value);
  Proposal main = p;
  if (Has(kByzAmnesia) && toy.ok()) {
    // Forget the valid value: a fresh value, as if no polka had ever formed. Only replicas
    // that ignore their lock (--plant-bug lock) can be talked into it.
    ToyValue fresh = *toy;
    fresh.nonce = rng_.Next();
    consensus::Value v = MakeToy(fresh);
    main.value = v.bytes;
    main.value_id = v.id;
    main.valid_round = consensus::kNoRound;
    alternatives_[{p.height, p.round}] = v.id;
  }
  if (Has(kByzPoison) && toy.ok() && rng_.Chance(500)) {
    ToyValue bad = *toy;
    if (rng_.Chance(500)) {
      bad.poison = true;
    } else {
      bad.prev.bytes[0] ^= 1;  // does not extend the chain
    }
    consensus::Value v = MakeToy(bad);
    main.value = v.bytes;
    main.value_id = v.id;
  }
  const Bytes main_bytes = SignProposal(main);
  Bytes alt_bytes = main_bytes;
  if (Has(kByzEquivocate) && toy.ok()) {
    ToyValue alt = *toy;
    alt.nonce = rng_.Next();
    consensus::Value v = MakeToy(alt);
    Proposal q = p;
    q.value = v.bytes;
    q.value_id = v.id;
    if (rng_.Chance(300)) q.valid_round = consensus::kNoRound;
    alternatives_[{p.height, p.round}] = v.id;
    alt_bytes = SignProposal(q);
  }
  // Amnesia: withhold the proposal from one member, so that it misses the polka the others
  // see (it prevotes nil and is not locked) — the set-up in which ignoring a lock forks.
  std::optional<uint16_t> withheld;
  if (Has(kByzAmnesia) && dests.size() > 1) {
    withheld = dests[rng_.Below(dests.size())];
    withheld_[{p.height, p.round}] = *withheld;
  }
  for (uint16_t d : dests) {
    if (d == withheld) continue;
    sends->push_back({d, MaybeCorruptSignature(rng_.Chance(500) ? main_bytes : alt_bytes)});
  }
}

void ByzantineActor::OnVote(const Vote& v, const std::vector<uint16_t>& dests, Sends* sends) {
  Vote main = v;
  auto alt_it = alternatives_.find({v.height, v.round});
  if (Has(kByzAmnesia) && alt_it != alternatives_.end() && v.type == consensus::VoteType::kPrevote) {
    main.value_id = alt_it->second;  // back its own fresh proposal
  }
  const Bytes main_bytes = SignVote(main);
  auto withheld = withheld_.find({v.height, v.round});
  if (Has(kByzAmnesia) && v.type == consensus::VoteType::kPrevote && withheld != withheld_.end()) {
    Vote nil = main;
    nil.value_id.reset();
    const Bytes nil_bytes = SignVote(nil);
    for (uint16_t d : dests) sends->push_back({d, d == withheld->second ? nil_bytes : main_bytes});
    return;
  }
  if (Has(kByzAmnesia) && v.type == consensus::VoteType::kPrecommit && v.value_id) {
    // Let one member complete a quorum (and decide) while the others see a nil precommit
    // and move on to the next round, still locked — the setting the lock exists for.
    Vote nil = v;
    nil.value_id.reset();
    const Bytes nil_bytes = SignVote(nil);
    const uint16_t lucky = dests[rng_.Below(dests.size())];
    for (uint16_t d : dests) sends->push_back({d, d == lucky ? main_bytes : nil_bytes});
    return;
  }
  Bytes alt_bytes = main_bytes;
  if (Has(kByzDoubleVote)) {
    Vote alt = v;
    if (alt_it != alternatives_.end() && alt_it->second != main.value_id) {
      alt.value_id = alt_it->second;
    } else if (v.value_id && rng_.Chance(500)) {
      alt.value_id.reset();
    } else {
      Hash32 random;
      for (auto& b : random.bytes) b = static_cast<uint8_t>(rng_.Next());
      alt.value_id = random;
    }
    alt_bytes = SignVote(alt);
  }
  for (uint16_t d : dests) {
    sends->push_back({d, MaybeCorruptSignature(rng_.Chance(500) ? main_bytes : alt_bytes)});
  }
}

Bytes ByzantineActor::TamperDecided(const Decided& d) {
  Decided t = d;
  switch (rng_.Below(3)) {
    case 0: {  // another value under the same certificate
      auto toy = DecodeToy(t.value);
      if (toy.ok()) {
        toy->nonce ^= 1;
        t.value = EncodeToy(*toy);
      }
      break;
    }
    case 1:  // a certificate short of a quorum
      if (t.certificate.votes.size() > 1) t.certificate.votes.pop_back();
      break;
    default:  // a corrupted vote signature
      t.certificate.votes[0].signature[0] ^= 0x01;
      break;
  }
  return consensus::Encode(t);
}

void ByzantineActor::Outgoing(std::optional<uint16_t> to, const Bytes& message, Sends* sends) {
  if (silent()) return;
  const std::vector<uint16_t> dests = to ? std::vector<uint16_t>{*to} : Others();
  auto m = consensus::DecodeMessage(message, SIZE_MAX);
  HEARTH_CHECK(m.ok());  // its own core's output
  if (const auto* p = std::get_if<Proposal>(&*m)) return OnProposal(*p, dests, sends);
  if (const auto* v = std::get_if<Vote>(&*m)) return OnVote(*v, dests, sends);
  if (const auto* d = std::get_if<Decided>(&*m); d != nullptr && Has(kByzForgeDecided)) {
    for (uint16_t dst : dests) sends->push_back({dst, TamperDecided(*d)});
    return;
  }
  for (uint16_t d : dests) sends->push_back({d, message});
}

Bytes ByzantineActor::Garbage() {
  const uint64_t kind = rng_.Below(3);
  if (kind == 0 || seen_.empty()) {
    Bytes b(rng_.Below(120));
    for (auto& x : b) x = static_cast<uint8_t>(rng_.Next());
    if (!b.empty() && rng_.Chance(500)) b[0] = static_cast<uint8_t>(0x20 + rng_.Below(5));
    if (b.size() > 1 && rng_.Chance(500)) b[1] = consensus::kMessageVersion;
    return b;
  }
  Bytes b = seen_[rng_.Below(seen_.size())];
  if (kind == 1) {
    b.resize(rng_.Below(b.size() + 1));  // truncated
  } else if (!b.empty()) {
    b[rng_.Below(b.size())] ^= static_cast<uint8_t>(1u << rng_.Below(8));  // one bit flipped
  }
  return b;
}

void ByzantineActor::Tick(consensus::Height height, consensus::Round round, Sends* sends) {
  if (silent()) return;
  const std::vector<uint16_t> others = Others();
  auto pick = [&] { return others[rng_.Below(others.size())]; };
  if (Has(kByzReplay) && !seen_.empty() && rng_.Chance(600)) {
    sends->push_back({pick(), seen_[rng_.Below(seen_.size())]});
  }
  if (Has(kByzGarbage) && rng_.Chance(600)) sends->push_back({pick(), Garbage()});
  if (Has(kByzHighRound) && rng_.Chance(400)) {
    Vote v;
    v.type = rng_.Chance(500) ? consensus::VoteType::kPrevote : consensus::VoteType::kPrecommit;
    v.height = height + (rng_.Chance(200) ? rng_.Range(1, 3) : 0);
    v.round = std::min<consensus::Round>(consensus::kRoundMax,
                                         round + static_cast<consensus::Round>(rng_.Range(1, 5000)));
    if (rng_.Chance(500)) {
      Hash32 random;
      for (auto& b : random.bytes) b = static_cast<uint8_t>(rng_.Next());
      v.value_id = random;
    }
    const Bytes bytes = SignVote(v);
    for (uint16_t d : others) sends->push_back({d, bytes});
  }
}

}  // namespace hearth::sim
