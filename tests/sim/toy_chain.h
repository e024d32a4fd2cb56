// toy_chain.h: the simulator's application — a hash chain of small values, so that
// "decisions only extend" and valid(v) mean something.
//
// Value bytes: "HSV1" ‖ u64 height ‖ prev_id(32) ‖ u16 proposer ‖ u64 nonce ‖ u8 poison
// (55 bytes); id(v) = SHA-256 of the bytes. valid(v) at height h: the value names height h,
// its prev_id is the id decided at h-1 (zeros at h = 1), and poison is 0. Byzantine
// proposers may propose poisoned or mislinked values; honest replicas must never decide one.
// The decided chain survives crashes (it is the node's block store).
// Thread-safety: one thread.
#pragma once

#include <optional>
#include <vector>

#include "hearth/base/codec.h"
#include "hearth/consensus/replica.h"
#include "hearth/ledger/crypto.h"

namespace hearth::sim {

inline constexpr size_t kToyValueBytes = 4 + 8 + 32 + 2 + 8 + 1;

struct ToyValue {
  uint64_t height = 0;
  Hash32 prev;
  uint16_t proposer = 0;
  uint64_t nonce = 0;
  bool poison = false;
};

inline Bytes EncodeToy(const ToyValue& t) {
  Writer w(kToyValueBytes);
  w.Raw(AsBytes("HSV1"));
  w.U64(t.height);
  w.Hash(t.prev);
  w.U16(t.proposer);
  w.U64(t.nonce);
  w.Bool(t.poison);
  return w.Take();
}

inline Result<ToyValue> DecodeToy(ByteView b) {
  Reader r(b, "toy_value");
  Bytes magic;
  ToyValue t;
  HEARTH_RETURN_IF_ERROR(r.Raw("magic", 4, &magic));
  if (AsChars(magic) != "HSV1") return r.Error("magic", "not a toy value");
  HEARTH_RETURN_IF_ERROR(r.U64("height", &t.height));
  HEARTH_RETURN_IF_ERROR(r.Hash("prev", &t.prev));
  HEARTH_RETURN_IF_ERROR(r.U16("proposer", &t.proposer));
  HEARTH_RETURN_IF_ERROR(r.U64("nonce", &t.nonce));
  HEARTH_RETURN_IF_ERROR(r.Bool("poison", &t.poison));
  HEARTH_RETURN_IF_ERROR(r.Finish());
  return t;
}

inline Hash32 ToyId(ByteView bytes) { return SuiteHash(Suite::kEd25519Sha256, bytes); }

inline consensus::Value MakeToy(const ToyValue& t) {
  Bytes b = EncodeToy(t);
  Hash32 id = ToyId(b);
  return consensus::Value{std::move(b), id};
}

class ToyChain : public consensus::Application {
 public:
  explicit ToyChain(uint16_t self) : self_(self) {}

  consensus::Value ProposeValue(consensus::Height height) override {
    return MakeToy(ToyValue{height, TipId(), self_, ++nonce_, false});
  }
  Result<Hash32> ValueId(consensus::Height, ByteView value) override {
    HEARTH_RETURN_IF_ERROR(DecodeToy(value).status());
    return ToyId(value);
  }
  bool IsValid(consensus::Height height, const consensus::Value& v) override {
    return IsValidAt(height, v, TipId(), decided_.size());
  }
  std::optional<consensus::Decided> GetDecided(consensus::Height height) override {
    if (height == 0 || height > decided_.size()) return std::nullopt;
    return decided_[height - 1];
  }

  // valid(v) for a chain whose tip (at `tip_height`) has id `tip`.
  static bool IsValidAt(consensus::Height height, const consensus::Value& v, const Hash32& tip,
                        size_t tip_height) {
    auto t = DecodeToy(v.bytes);
    return t.ok() && ToyId(v.bytes) == v.id && t->height == height && height == tip_height + 1 &&
           t->prev == tip && !t->poison;
  }

  // Applies a DecideEffect (the durable block store). REQUIRES: it extends the chain.
  void Apply(const consensus::DecideEffect& d) {
    HEARTH_CHECK(d.certificate.height == decided_.size() + 1);
    decided_.push_back(consensus::Decided{d.certificate, d.value.bytes});
  }
  consensus::Height DecidedHeight() const { return decided_.size(); }
  Hash32 TipId() const { return decided_.empty() ? Hash32{} : decided_.back().certificate.value_id; }
  const std::vector<consensus::Decided>& decided() const { return decided_; }

 private:
  uint16_t self_;
  uint64_t nonce_ = 0;
  std::vector<consensus::Decided> decided_;
};

}  // namespace hearth::sim
