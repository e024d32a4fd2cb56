// libFuzzer target: one consensus::Replica (a member of n = 4) driven by arbitrary input.
//
// The first input byte picks which member the replica is; the rest is a program of
// operations, each an opcode byte followed by its argument bytes (missing bytes read as 0):
// raw bytes as a message; a proposal, vote, 2f+1 votes, decided value or catch-up request
// built and *correctly signed* from a few argument bytes (so the fuzzer reaches quorums,
// locks, round skips and decisions, not just the decoder); a pending timer firing; the
// decision applied; a crash and restart from the last persisted state — between two inputs,
// or between two effects of one input (the effects after the cut are never executed); an
// earlier message replayed, possibly with one byte flipped.
//
// Signatures are a fake, cheap scheme: 8 bytes of FNV-1a over (member, context, message),
// which the fake MemberVerifier recomputes. The fuzzer holds the keys of the three other
// members (more than f: every local property below must hold whatever the others do) but
// never signs as the replica under test — it only replays what the replica itself sent.
//
// Asserted (HEARTH_CHECK, i.e. a crash libFuzzer reports) besides the absence of crashes and
// of CHECK failures inside consensus/:
//  - every call returns OK (the Signer never fails here);
//  - every PersistEffect state passes Validate and round-trips through its encoding;
//  - every message sent decodes and re-encodes to the same bytes;
//  - every proposal or vote the replica signed is in the last persisted state (or its polka)
//    when it is sent, and the replica never signs two different messages for one
//    (height, round, type) — across restarts too; sign_refusals stays 0;
//  - a decided value is valid(v) and comes with a certificate that verifies, at the
//    replica's height; after OnDecisionApplied the replica is at the next height.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string_view>
#include <tuple>
#include <variant>
#include <vector>

#include "hearth/base/check.h"
#include "hearth/consensus/certificate.h"
#include "hearth/consensus/messages.h"
#include "hearth/consensus/params.h"
#include "hearth/consensus/replica.h"
#include "hearth/consensus/safety_state.h"

namespace {

using namespace hearth;             // NOLINT: a fuzz target, not library code
using namespace hearth::consensus;  // NOLINT

constexpr uint32_t kMembers = 4;
constexpr size_t kValueBytesMax = 64;
constexpr size_t kHistoryMax = 64;
constexpr size_t kTimersMax = 64;
constexpr size_t kFakeSignatureBytes = 8;

uint64_t Fnv(uint64_t h, ByteView b) {
  for (uint8_t c : b) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

Bytes FakeSignature(MemberIndex member, std::string_view context, ByteView message) {
  const uint8_t prefix[3] = {static_cast<uint8_t>(member), static_cast<uint8_t>(member >> 8), 0};
  uint64_t h = Fnv(14695981039346656037ull, ByteView(prefix, 2));
  h = Fnv(h, AsBytes(context));
  h = Fnv(h, ByteView(prefix + 2, 1));
  h = Fnv(h, message);
  Bytes out(kFakeSignatureBytes);
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<uint8_t>(h >> (8 * i));
  return out;
}

class FakeMembers : public MemberVerifier {
 public:
  uint32_t member_count() const override { return kMembers; }
  Status Verify(MemberIndex member, std::string_view context, ByteView message,
                ByteView signature) const override {
    HEARTH_CHECK(member < kMembers);  // the interface's REQUIRES
    const Bytes want = FakeSignature(member, context, message);
    if (!std::equal(want.begin(), want.end(), signature.begin(), signature.end())) {
      return Status::VerifyFailed("fake signature does not verify");
    }
    return Status::Ok();
  }
};

class FakeSigner : public Signer {
 public:
  explicit FakeSigner(MemberIndex self) : self_(self) {}
  Result<Bytes> Sign(std::string_view context, ByteView message) override {
    return FakeSignature(self_, context, message);
  }

 private:
  MemberIndex self_;
};

// Values: 'V' ‖ u8 k ‖ u64 height (10 bytes); valid at `height` iff it names that height
// and k != 3. id(v): four FNV-1a passes with different offsets (any non-empty bytes up to
// kValueBytesMax have an id; only the 'V' form can be valid).
class FuzzApp : public Application {
 public:
  static Hash32 IdOf(ByteView bytes) {
    Hash32 id;
    for (size_t part = 0; part < 4; ++part) {
      const uint64_t h = Fnv(14695981039346656037ull + 0x9E3779B97F4A7C15ull * part, bytes);
      for (size_t i = 0; i < 8; ++i) id.bytes[part * 8 + i] = static_cast<uint8_t>(h >> (8 * i));
    }
    return id;
  }
  static Value Make(Height height, uint8_t k) {
    Bytes b = {'V', k};
    for (int i = 0; i < 8; ++i) b.push_back(static_cast<uint8_t>(height >> (8 * i)));
    Hash32 id = IdOf(b);
    return Value{std::move(b), id};
  }

  Value ProposeValue(Height height) override {
    return Make(height, static_cast<uint8_t>(proposed_++ % 3));
  }
  Result<Hash32> ValueId(Height, ByteView value) override {
    if (value.empty() || value.size() > kValueBytesMax) {
      return Status::InvalidArgument("fuzz value: empty or too long");
    }
    return IdOf(value);
  }
  bool IsValid(Height height, const Value& v) override {
    return v.bytes.size() == 10 && v.bytes[0] == 'V' && v.bytes[1] != 3 &&
           Make(height, v.bytes[1]) == v;
  }
  std::optional<Decided> GetDecided(Height height) override {
    if (height == 0 || height > decided_.size()) return std::nullopt;
    return decided_[height - 1];
  }
  void Apply(const DecideEffect& d) {
    HEARTH_CHECK(d.certificate.height == decided_.size() + 1);
    decided_.push_back(Decided{d.certificate, d.value.bytes});
  }
  Height DecidedHeight() const { return decided_.size(); }

 private:
  uint64_t proposed_ = 0;
  std::vector<Decided> decided_;
};

class Input {
 public:
  Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool done() const { return pos_ >= size_; }
  uint8_t Byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  ByteView Take(size_t n) {
    n = std::min(n, size_ - pos_);
    ByteView out(data_ + pos_, n);
    pos_ += n;
    return out;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

class Harness {
 public:
  explicit Harness(MemberIndex self) : self_(self), signer_(self) {
    config_.self = self_;
    config_.value_bytes_max = kValueBytesMax;
    config_.timeouts.max_ticks = 1000;
    Restart(std::nullopt);
  }

  void Run(Input* in) {
    while (!in->done()) RunOne(in);
  }

 private:
  void RunOne(Input* in) {
    switch (in->Byte() % 11) {
      case 0: {  // raw bytes as a message
        const size_t len = in->Byte() | (static_cast<size_t>(in->Byte()) << 8);
        const ByteView b = in->Take(len);
        Deliver(Bytes(b.begin(), b.end()));
        break;
      }
      case 1:
        SendProposal(in);
        break;
      case 2:
        SendVote(in, VoteType::kPrevote);
        break;
      case 3:
        SendVote(in, VoteType::kPrecommit);
        break;
      case 4:
        SendQuorum(in);
        break;
      case 5:
        FireTimer(in);
        break;
      case 6:
        Apply();
        break;
      case 7:
        Crash(in);
        break;
      case 8:
        Replay(in);
        break;
      case 9:
        SendDecided(in);
        break;
      default:
        SendCatchUp(in);
        break;
    }
  }

  // The three members whose keys the fuzzer holds: 0..2 name them in member order.
  MemberIndex Other(uint8_t b) const {
    const auto i = static_cast<MemberIndex>(b % (kMembers - 1));
    return i < self_ ? i : static_cast<MemberIndex>(i + 1);
  }

  Height PickHeight(uint8_t b) const {
    const Height cur = replica_->height();
    switch (b % 8) {
      case 0: return cur > 1 ? cur - 1 : 1;
      case 5: return cur + 1;
      case 6: return cur + 2;
      case 7: return cur + 1 + (b >> 3);
      default: return cur;
    }
  }
  Round PickRound(uint8_t b) const {
    const Round cur = replica_->round();
    Round r = 0;
    if (b < 0xE0) {
      r = std::max<Round>(0, cur + (b % 7) - 2);
    } else if (b < 0xF8) {
      r = b - 0xE0;
    } else {
      r = kRoundMax - (b - 0xF8);
    }
    return std::min(r, kRoundMax);
  }
  static Bytes Corrupt(Bytes sig) {
    sig.back() ^= 0x01;
    return sig;
  }

  void SendProposal(Input* in) {
    const Height h = PickHeight(in->Byte());
    const Round r = PickRound(in->Byte());
    const uint8_t k = in->Byte() % 4;
    const uint8_t vrb = in->Byte();
    const uint8_t flags = in->Byte();
    Proposal p;
    p.height = h;
    p.round = r;
    p.valid_round = (vrb & 3) == 0 ? kNoRound : std::max<Round>(kNoRound, r - 1 - (vrb >> 2) % 12);
    p.proposer = (flags & 1) != 0 ? static_cast<MemberIndex>((flags >> 1) % kMembers)
                                  : Replica::Proposer(h, r, kMembers);
    const Value v = FuzzApp::Make((flags & 0x40) != 0 ? h + 1 : h, k);
    p.value = v.bytes;
    p.value_id = (flags & 0x20) != 0 ? FuzzApp::Make(h, static_cast<uint8_t>((k + 1) % 4)).id : v.id;
    p.signature = FakeSignature(p.proposer, kProposalContext,
                                ProposalSigningMessage(h, r, p.valid_round, p.value_id));
    if (p.proposer == self_ || (flags & 0x80) != 0) p.signature = Corrupt(p.signature);
    Deliver(Encode(p));
  }

  Vote MakeVote(VoteType t, MemberIndex voter, Height h, Round r, uint8_t k, bool bad) const {
    Vote v;
    v.type = t;
    v.height = h;
    v.round = r;
    v.voter = voter;
    if (k < 4) v.value_id = FuzzApp::Make(h, k).id;
    v.signature = FakeSignature(voter, VoteContext(t), VoteSigningMessage(h, r, v.value_id));
    if (bad) v.signature = Corrupt(v.signature);
    return v;
  }

  void SendVote(Input* in, VoteType t) {
    const MemberIndex voter = Other(in->Byte());
    const Height h = PickHeight(in->Byte());
    const Round r = PickRound(in->Byte());
    const uint8_t kb = in->Byte();
    Deliver(Encode(MakeVote(t, voter, h, r, kb % 6, (kb & 0x80) != 0)));
  }

  // Votes of one type for one value from the other members in `mask` (default: all three).
  void SendQuorum(Input* in) {
    const uint8_t tb = in->Byte();
    const VoteType t = (tb & 1) != 0 ? VoteType::kPrecommit : VoteType::kPrevote;
    const Height h = PickHeight(in->Byte());
    const Round r = PickRound(in->Byte());
    const uint8_t k = in->Byte() % 5;
    const uint8_t mask = (tb >> 1) == 0 ? 0x7 : static_cast<uint8_t>(tb >> 1);
    for (uint8_t i = 0; i + 1u < kMembers; ++i) {
      if ((mask & (1u << i)) != 0) Deliver(Encode(MakeVote(t, Other(i), h, r, k, false)));
    }
  }

  void SendDecided(Input* in) {
    const Height h = PickHeight(in->Byte());
    const auto r = static_cast<uint32_t>(in->Byte() % 8);
    const uint8_t k = in->Byte() % 4;
    const uint8_t flags = in->Byte();
    const Value v = FuzzApp::Make(h, k);
    Decided d;
    d.certificate.height = h;
    d.certificate.round = r;
    d.certificate.value_id = v.id;
    for (uint8_t i = 0; i + 1u < kMembers; ++i) {  // Other(i) grows with i: sorted, unique
      if ((flags & (1u << i)) == 0 && (flags & 0x7) != 0) continue;
      const MemberIndex m = Other(i);
      Bytes sig = FakeSignature(m, kPrecommitContext, VoteSigningMessage(h, r, v.id));
      if ((flags & 0x10) != 0 && i == 0) sig = Corrupt(sig);
      d.certificate.votes.push_back({m, std::move(sig)});
    }
    d.value = (flags & 0x20) != 0 ? FuzzApp::Make(h, static_cast<uint8_t>((k + 1) % 4)).bytes : v.bytes;
    Deliver(Encode(d));
  }

  void SendCatchUp(Input* in) {
    const auto requester = static_cast<MemberIndex>(in->Byte() % (kMembers + 1));
    const uint8_t hb = in->Byte();
    const Height h = (hb & 0x80) != 0 ? Height{1} + (hb & 0x7F) : PickHeight(hb);
    Deliver(Encode(CatchUpRequest{h, requester}));
  }

  void FireTimer(Input* in) {
    const uint8_t b = in->Byte();
    if (timers_.empty() || dead_) return;
    const size_t i = b % timers_.size();
    const Timer t = timers_[i];
    timers_.erase(timers_.begin() + static_cast<std::ptrdiff_t>(i));
    Effects out;
    HEARTH_CHECK(replica_->OnTimer(t, &out).ok());
    Absorb(out);
  }

  void Apply() {
    if (!pending_ || dead_) return;
    HEARTH_CHECK(replica_->awaiting_decision_applied());
    app_.Apply(*pending_);
    pending_.reset();
    Effects out;
    HEARTH_CHECK(replica_->OnDecisionApplied(&out).ok());
    HEARTH_CHECK(replica_->height() >= app_.DecidedHeight() + 1);
    Absorb(out);
  }

  // A crash: everything but the chain and the last persisted state is lost. A decision
  // not yet reported applied may or may not have reached the chain. With bit 1 set, the
  // crash hits during the next operation: its first call's effects run only up to a cut
  // (so a PersistEffect may be written and the message after it never sent).
  void Crash(Input* in) {
    const uint8_t b = in->Byte();
    if ((b & 2) != 0 && !cut_) {
      cut_ = in->Byte();
      RunOne(in);
      cut_.reset();
      dead_ = false;
    }
    if (pending_ && (b & 1) != 0) app_.Apply(*pending_);
    pending_.reset();
    Restart(persisted_);
  }

  void Restart(const std::optional<SafetyState>& state) {
    timers_.clear();
    replica_ = std::make_unique<Replica>(config_, &signer_, &members_, &app_);
    Effects out;
    const Status s = replica_->Start(app_.DecidedHeight() + 1, state, &out);
    HEARTH_CHECK_MSG(s.ok(), "restart from the replica's own persisted state failed");
    Absorb(out);
  }

  void Replay(Input* in) {
    const uint8_t i = in->Byte();
    const uint8_t flip = in->Byte();
    const uint8_t at = in->Byte();
    if (history_.empty()) return;
    Bytes b = history_[i % history_.size()];
    if (flip != 0 && !b.empty()) b[at % b.size()] ^= flip;
    Deliver(b);
  }

  void Remember(const Bytes& b) {
    if (history_.size() < kHistoryMax) {
      history_.push_back(b);
    } else {
      history_[remembered_ % kHistoryMax] = b;
    }
    ++remembered_;
  }

  void Deliver(const Bytes& b) {
    if (dead_) return;
    Remember(b);
    Effects out;
    HEARTH_CHECK(replica_->OnMessage(b, &out).ok());
    Absorb(out);
  }

  // A message the replica signed: in the persisted state, and never a conflicting one.
  void CheckOwn(const Message& m) {
    int kind = 0;
    Height h = 0;
    Round r = 0;
    Bytes signed_bytes;
    if (const auto* p = std::get_if<Proposal>(&m)) {
      if (p->proposer != self_) return;
      HEARTH_CHECK_MSG(persisted_ && persisted_->last_proposal == *p,
                       "own proposal sent before it was persisted");
      h = p->height;
      r = p->round;
      signed_bytes = ProposalSigningMessage(p->height, p->round, p->valid_round, p->value_id);
    } else if (const auto* v = std::get_if<Vote>(&m)) {
      if (v->voter != self_) return;
      HEARTH_CHECK(persisted_.has_value());
      const auto& last =
          v->type == VoteType::kPrevote ? persisted_->last_prevote : persisted_->last_precommit;
      const auto& polka = persisted_->valid_polka;
      HEARTH_CHECK_MSG((last && *last == *v) || std::find(polka.begin(), polka.end(), *v) !=
                                                    polka.end(),
                       "own vote sent before it was persisted");
      kind = v->type == VoteType::kPrevote ? 1 : 2;
      h = v->height;
      r = v->round;
      signed_bytes = VoteSigningMessage(v->height, v->round, v->value_id);
    } else {
      return;
    }
    auto [it, inserted] = signed_.try_emplace(std::make_tuple(h, r, kind), signed_bytes);
    HEARTH_CHECK_MSG(inserted || it->second == signed_bytes,
                     "the replica signed two different messages for one (height, round, type)");
  }

  void CheckSent(const Bytes& b) {
    auto m = DecodeMessage(b, kValueBytesMax);
    HEARTH_CHECK_MSG(m.ok(), "the replica sent a message that does not decode");
    HEARTH_CHECK(EncodeMessage(*m) == b);
    CheckOwn(*m);
    Remember(b);
  }

  void Absorb(const Effects& effects) {
    size_t end = effects.size();
    if (cut_) {
      end = std::min<size_t>(end, *cut_);
      dead_ = true;  // what follows the cut never happens; Crash() restarts the replica
    }
    for (size_t i = 0; i < end; ++i) {
      const Effect& e = effects[i];
      if (const auto* p = std::get_if<PersistEffect>(&e)) {
        HEARTH_CHECK_MSG(Validate(p->state).ok(), "persisted safety state breaks its invariants");
        auto back = DecodeSafetyState(EncodeSafetyState(p->state), kValueBytesMax);
        HEARTH_CHECK(back.ok() && *back == p->state);
        persisted_ = p->state;
      } else if (const auto* b = std::get_if<BroadcastEffect>(&e)) {
        CheckSent(b->message);
      } else if (const auto* s = std::get_if<SendEffect>(&e)) {
        HEARTH_CHECK(s->to < kMembers && s->to != self_);
        CheckSent(s->message);
      } else if (const auto* t = std::get_if<TimerEffect>(&e)) {
        HEARTH_CHECK(t->delay_ticks <= std::max(config_.timeouts.max_ticks,
                                                config_.timeouts.gossip_ticks));
        if (timers_.size() >= kTimersMax) timers_.erase(timers_.begin());
        timers_.push_back(t->timer);
      } else if (const auto* d = std::get_if<DecideEffect>(&e)) {
        HEARTH_CHECK_MSG(!pending_, "two decisions without OnDecisionApplied");
        HEARTH_CHECK(replica_->awaiting_decision_applied());
        HEARTH_CHECK(d->certificate.height == replica_->height());
        HEARTH_CHECK(d->certificate.height == app_.DecidedHeight() + 1);
        HEARTH_CHECK(d->certificate.value_id == d->value.id);
        HEARTH_CHECK_MSG(app_.IsValid(d->certificate.height, d->value),
                         "decided a value that is not valid(v)");
        HEARTH_CHECK_MSG(VerifyCertificate(d->certificate, members_).ok(),
                         "decided with a certificate that does not verify");
        pending_ = *d;
      }
    }
    HEARTH_CHECK_MSG(replica_->counters().sign_refusals == 0,
                     "the replica was asked to sign a conflicting message");
  }

  MemberIndex self_;
  Config config_;
  FakeSigner signer_;
  FakeMembers members_;
  FuzzApp app_;
  std::unique_ptr<Replica> replica_;
  std::optional<SafetyState> persisted_;
  std::optional<DecideEffect> pending_;
  std::vector<Timer> timers_;
  std::vector<Bytes> history_;
  size_t remembered_ = 0;
  std::map<std::tuple<Height, Round, int>, Bytes> signed_;
  std::optional<uint8_t> cut_;  // crashing during the current operation, after this many effects
  bool dead_ = false;           // crashed by a cut; inputs are lost until the restart
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(data, size);
  Harness h(static_cast<MemberIndex>(in.Byte() % kMembers));
  h.Run(&in);
  return 0;
}
