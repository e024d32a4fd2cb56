// Persisted safety state: encoding and invariants (safety_state.h).
#include "hearth/consensus/safety_state.h"

#include <string>

#include "hearth/base/codec.h"
#include "hearth/consensus/params.h"

namespace hearth::consensus {
namespace {

// Bound of one encoded proposal / vote inside the state (value excluded for votes).
constexpr size_t kVoteBytesMax = 256;

uint32_t RoundWire(Round r) { return r == kNoRound ? kNoRoundWire : static_cast<uint32_t>(r); }

Status ReadOptRound(Reader* r, std::string_view field, Round* out) {
  uint32_t v = 0;
  HEARTH_RETURN_IF_ERROR(r->U32(field, &v));
  if (v == kNoRoundWire) {
    *out = kNoRound;
  } else if (v > kRoundMax) {
    return r->Error(field, "round exceeds maximum");
  } else {
    *out = v;
  }
  return Status::Ok();
}

Status CheckLast(const SafetyState& s, Height h, Round r, std::string_view what) {
  if (h != s.height || r > s.round) {
    return Status::InvalidArgument(std::string("safety_state.") + std::string(what) +
                                   ": not at this height or beyond the current round");
  }
  return Status::Ok();
}

template <typename T>
Status ReadEmbedded(Reader* r, std::string_view field, size_t bytes_max, size_t value_bytes_max,
                    T* out) {
  Bytes b;
  HEARTH_RETURN_IF_ERROR(r->Blob(field, bytes_max, &b));
  auto m = DecodeMessage(b, value_bytes_max);
  if (!m.ok()) return m.status().Annotate(field);
  if (!std::holds_alternative<T>(*m)) return r->Error(field, "wrong message type");
  *out = std::get<T>(std::move(m).value());
  return Status::Ok();
}

template <typename T>
Status ReadOptional(Reader* r, std::string_view field, size_t bytes_max, size_t value_bytes_max,
                    std::optional<T>* out) {
  bool present = false;
  HEARTH_RETURN_IF_ERROR(r->Bool(field, &present));
  if (!present) return Status::Ok();
  T m;
  HEARTH_RETURN_IF_ERROR(ReadEmbedded(r, field, bytes_max, value_bytes_max, &m));
  *out = std::move(m);
  return Status::Ok();
}

Status CheckPolka(const SafetyState& s) {
  if (s.valid_polka.size() > kMembersMax) {
    return Status::InvalidArgument("safety_state.valid_polka: too many votes");
  }
  for (size_t i = 0; i < s.valid_polka.size(); ++i) {
    const Vote& v = s.valid_polka[i];
    if (v.type != VoteType::kPrevote || v.height != s.height || v.round != s.valid_round ||
        v.value_id != s.valid_value.id) {
      return Status::InvalidArgument("safety_state.valid_polka: vote " + std::to_string(i) +
                                     " is not a prevote for the valid value and round");
    }
    if (i > 0 && s.valid_polka[i - 1].voter >= v.voter) {
      return Status::InvalidArgument("safety_state.valid_polka: voters not sorted and unique");
    }
  }
  return Status::Ok();
}

Status CheckEvidence(const SafetyState& s) {
  if (s.round_votes.size() > 2 * kMembersMax) {
    return Status::InvalidArgument("safety_state.round_votes: too many votes");
  }
  for (const Vote& v : s.round_votes) {
    if (v.height != s.height || (v.round != s.round && v.round + 1 != s.round)) {
      return Status::InvalidArgument("safety_state.round_votes: a vote outside round-1..round");
    }
  }
  if (s.round_proposal && (s.round_proposal->height != s.height ||
                           s.round_proposal->round != s.round)) {
    return Status::InvalidArgument("safety_state.round_proposal: not in this round");
  }
  return Status::Ok();
}

}  // namespace

std::string_view StepName(Step step) {
  switch (step) {
    case Step::kPropose:
      return "propose";
    case Step::kPrevote:
      return "prevote";
    case Step::kPrecommit:
      return "precommit";
  }
  return "?";
}

Status Validate(const SafetyState& s) {
  if (s.height == 0) return Status::InvalidArgument("safety_state.height: heights start at 1");
  if (s.round < 0 || s.round > kRoundMax) {
    return Status::InvalidArgument("safety_state.round: out of range");
  }
  if (s.step > Step::kPrecommit) return Status::InvalidArgument("safety_state.step: unknown");
  if (s.locked_round < kNoRound || s.locked_round > s.valid_round || s.valid_round > s.round) {
    return Status::InvalidArgument(
        "safety_state: need -1 <= locked_round <= valid_round <= round");
  }
  if (s.locked_round >= 0 && s.locked_round == s.valid_round && s.locked_id != s.valid_value.id) {
    return Status::InvalidArgument("safety_state: locked and valid value differ in one round");
  }
  if (s.valid_round == kNoRound && (!s.valid_value.bytes.empty() || !s.valid_polka.empty())) {
    return Status::InvalidArgument("safety_state: a valid value without a valid round");
  }
  HEARTH_RETURN_IF_ERROR(CheckPolka(s));
  if (s.last_proposal) {
    HEARTH_RETURN_IF_ERROR(CheckLast(s, s.last_proposal->height, s.last_proposal->round, "proposal"));
  }
  if (s.last_prevote) {
    HEARTH_RETURN_IF_ERROR(CheckLast(s, s.last_prevote->height, s.last_prevote->round, "prevote"));
    if (s.last_prevote->type != VoteType::kPrevote) {
      return Status::InvalidArgument("safety_state.last_prevote: not a prevote");
    }
  }
  if (s.last_precommit) {
    HEARTH_RETURN_IF_ERROR(
        CheckLast(s, s.last_precommit->height, s.last_precommit->round, "precommit"));
    if (s.last_precommit->type != VoteType::kPrecommit) {
      return Status::InvalidArgument("safety_state.last_precommit: not a precommit");
    }
  }
  return CheckEvidence(s);
}

Bytes EncodeSafetyState(const SafetyState& s) {
  const Status valid = Validate(s);
  HEARTH_CHECK_MSG(valid.ok(), valid.message().c_str());
  Writer w(256 + s.valid_value.bytes.size());
  w.U8(kSafetyStateTag);
  w.U8(kSafetyStateVersion);
  w.U64(s.height);
  w.U32(RoundWire(s.round));
  w.U8(static_cast<uint8_t>(s.step));
  w.U32(RoundWire(s.locked_round));
  w.Hash(s.locked_id);
  w.U32(RoundWire(s.valid_round));
  w.Hash(s.valid_value.id);
  w.Blob(s.valid_value.bytes);
  w.Count(s.valid_polka.size());
  for (const Vote& v : s.valid_polka) w.Blob(Encode(v));
  w.Bool(s.last_proposal.has_value());
  if (s.last_proposal) w.Blob(Encode(*s.last_proposal));
  w.Bool(s.last_prevote.has_value());
  if (s.last_prevote) w.Blob(Encode(*s.last_prevote));
  w.Bool(s.last_precommit.has_value());
  if (s.last_precommit) w.Blob(Encode(*s.last_precommit));
  w.Count(s.round_votes.size());
  for (const Vote& v : s.round_votes) w.Blob(Encode(v));
  w.Bool(s.round_proposal.has_value());
  if (s.round_proposal) w.Blob(Encode(*s.round_proposal));
  return w.Take();
}

Result<SafetyState> DecodeSafetyState(ByteView bytes, size_t value_bytes_max) {
  Reader r(bytes, "safety_state");
  uint8_t tag = 0;
  uint8_t version = 0;
  uint8_t step = 0;
  SafetyState s;
  auto corrupt = [](const Status& st) { return Status::Corruption(st.message()); };
  Status st = [&]() -> Status {
    HEARTH_RETURN_IF_ERROR(r.U8("tag", &tag));
    if (tag != kSafetyStateTag) return r.Error("tag", "not a safety state");
    HEARTH_RETURN_IF_ERROR(r.U8("version", &version));
    if (version != kSafetyStateVersion) return r.Error("version", "unknown version");
    HEARTH_RETURN_IF_ERROR(r.U64("height", &s.height));
    HEARTH_RETURN_IF_ERROR(ReadOptRound(&r, "round", &s.round));
    HEARTH_RETURN_IF_ERROR(r.U8("step", &step));
    if (step > static_cast<uint8_t>(Step::kPrecommit)) return r.Error("step", "unknown step");
    s.step = static_cast<Step>(step);
    HEARTH_RETURN_IF_ERROR(ReadOptRound(&r, "locked_round", &s.locked_round));
    HEARTH_RETURN_IF_ERROR(r.Hash("locked_id", &s.locked_id));
    HEARTH_RETURN_IF_ERROR(ReadOptRound(&r, "valid_round", &s.valid_round));
    HEARTH_RETURN_IF_ERROR(r.Hash("valid_id", &s.valid_value.id));
    HEARTH_RETURN_IF_ERROR(r.Blob("valid_value", value_bytes_max, &s.valid_value.bytes));
    size_t n = 0;
    HEARTH_RETURN_IF_ERROR(r.Count("valid_polka", kMembersMax, 4, &n));
    s.valid_polka.resize(n);
    for (Vote& v : s.valid_polka) {
      HEARTH_RETURN_IF_ERROR(ReadEmbedded(&r, "valid_polka", kVoteBytesMax, 0, &v));
    }
    HEARTH_RETURN_IF_ERROR(
        ReadOptional(&r, "last_proposal", value_bytes_max + kVoteBytesMax, value_bytes_max,
                     &s.last_proposal));
    HEARTH_RETURN_IF_ERROR(ReadOptional(&r, "last_prevote", kVoteBytesMax, 0, &s.last_prevote));
    HEARTH_RETURN_IF_ERROR(
        ReadOptional(&r, "last_precommit", kVoteBytesMax, 0, &s.last_precommit));
    HEARTH_RETURN_IF_ERROR(r.Count("round_votes", 2 * kMembersMax, 4, &n));
    s.round_votes.resize(n);
    for (Vote& v : s.round_votes) {
      HEARTH_RETURN_IF_ERROR(ReadEmbedded(&r, "round_votes", kVoteBytesMax, 0, &v));
    }
    HEARTH_RETURN_IF_ERROR(ReadOptional(&r, "round_proposal", value_bytes_max + kVoteBytesMax,
                                        value_bytes_max, &s.round_proposal));
    HEARTH_RETURN_IF_ERROR(r.Finish());
    return Validate(s);
  }();
  if (!st.ok()) return corrupt(st);
  return s;
}

}  // namespace hearth::consensus
