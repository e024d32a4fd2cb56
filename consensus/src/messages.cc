// Consensus messages: canonical encoding and strict decoding (messages.h).
#include "hearth/consensus/messages.h"

#include <string>

#include "hearth/base/codec.h"

namespace hearth::consensus {
namespace {

uint32_t RoundToWire(Round r) {
  HEARTH_CHECK(r >= 0 && r <= static_cast<Round>(0xFFFFFFFEu));
  return static_cast<uint32_t>(r);
}

uint32_t ValidRoundToWire(Round vr) { return vr == kNoRound ? kNoRoundWire : RoundToWire(vr); }

void Header(Writer* w, MessageType type) {
  w->U8(static_cast<uint8_t>(type));
  w->U8(kMessageVersion);
}

// Decoded rounds: 0..kRoundMax.
Status ReadRound(Reader* r, std::string_view field, Round* out) {
  uint32_t v = 0;
  HEARTH_RETURN_IF_ERROR(r->U32(field, &v));
  if (v > kRoundMax) return r->Error(field, "round " + std::to_string(v) + " exceeds maximum");
  *out = v;
  return Status::Ok();
}

Status ReadHeight(Reader* r, Height* out) {
  HEARTH_RETURN_IF_ERROR(r->U64("height", out));
  if (*out == 0) return r->Error("height", "heights start at 1");
  return Status::Ok();
}

Status ReadSignature(Reader* r, Bytes* out) {
  HEARTH_RETURN_IF_ERROR(r->Blob("signature", kSignatureBytesMax, out));
  if (out->empty()) return r->Error("signature", "empty");
  return Status::Ok();
}

Result<Message> DecodeProposal(Reader* r, size_t value_bytes_max) {
  Proposal p;
  HEARTH_RETURN_IF_ERROR(ReadHeight(r, &p.height));
  HEARTH_RETURN_IF_ERROR(ReadRound(r, "round", &p.round));
  uint32_t vr = 0;
  HEARTH_RETURN_IF_ERROR(r->U32("valid_round", &vr));
  if (vr != kNoRoundWire) {
    // Algorithm 1, line 28: a valid round is below the proposal's round.
    if (vr >= p.round) {
      return r->Error("valid_round", std::to_string(vr) + " not below round " +
                                         std::to_string(p.round));
    }
    p.valid_round = vr;
  }
  HEARTH_RETURN_IF_ERROR(r->U16("proposer", &p.proposer));
  HEARTH_RETURN_IF_ERROR(r->Hash("value_id", &p.value_id));
  HEARTH_RETURN_IF_ERROR(r->Blob("value", value_bytes_max, &p.value));
  HEARTH_RETURN_IF_ERROR(ReadSignature(r, &p.signature));
  return Message(std::move(p));
}

Result<Message> DecodeVote(Reader* r, VoteType type) {
  Vote v;
  v.type = type;
  HEARTH_RETURN_IF_ERROR(ReadHeight(r, &v.height));
  HEARTH_RETURN_IF_ERROR(ReadRound(r, "round", &v.round));
  HEARTH_RETURN_IF_ERROR(r->U16("voter", &v.voter));
  bool has_value = false;
  HEARTH_RETURN_IF_ERROR(r->Bool("has_value", &has_value));
  if (has_value) {
    Hash32 id;
    HEARTH_RETURN_IF_ERROR(r->Hash("value_id", &id));
    v.value_id = id;
  }
  HEARTH_RETURN_IF_ERROR(ReadSignature(r, &v.signature));
  return Message(std::move(v));
}

Result<Message> DecodeDecided(Reader* r, size_t value_bytes_max) {
  Decided d;
  Bytes cert;
  HEARTH_RETURN_IF_ERROR(r->Blob("certificate", kCertificateBytesMax, &cert));
  auto c = DecodeCertificate(cert);
  if (!c.ok()) return c.status().Annotate("decided");
  d.certificate = std::move(c).value();
  HEARTH_RETURN_IF_ERROR(r->Blob("value", value_bytes_max, &d.value));
  return Message(std::move(d));
}

}  // namespace

std::string_view VoteContext(VoteType type) {
  return type == VoteType::kPrevote ? kPrevoteContext : kPrecommitContext;
}

MessageType VoteMessageType(VoteType type) {
  return type == VoteType::kPrevote ? MessageType::kPrevote : MessageType::kPrecommit;
}

Bytes ProposalSigningMessage(Height height, Round round, Round valid_round, const Hash32& id) {
  HEARTH_CHECK(round >= 0 && round <= kRoundMax);
  HEARTH_CHECK(valid_round >= kNoRound && valid_round < round);
  Writer w(8 + 4 + 4 + Hash32::kSize);
  w.U64(height);
  w.U32(RoundToWire(round));
  w.U32(ValidRoundToWire(valid_round));
  w.Hash(id);
  return w.Take();
}

Bytes VoteSigningMessage(Height height, Round round, const std::optional<Hash32>& value_id) {
  Writer w(8 + 4 + Hash32::kSize);
  w.U64(height);
  w.U32(RoundToWire(round));
  if (value_id) w.Hash(*value_id);
  return w.Take();
}

Bytes Encode(const Proposal& m) {
  Writer w(64 + m.value.size() + m.signature.size());
  Header(&w, MessageType::kProposal);
  w.U64(m.height);
  w.U32(RoundToWire(m.round));
  w.U32(ValidRoundToWire(m.valid_round));
  w.U16(m.proposer);
  w.Hash(m.value_id);
  w.Blob(m.value);
  w.Blob(m.signature);
  return w.Take();
}

Bytes Encode(const Vote& m) {
  Writer w(64 + m.signature.size());
  Header(&w, VoteMessageType(m.type));
  w.U64(m.height);
  w.U32(RoundToWire(m.round));
  w.U16(m.voter);
  w.Bool(m.value_id.has_value());
  if (m.value_id) w.Hash(*m.value_id);
  w.Blob(m.signature);
  return w.Take();
}

Bytes Encode(const CatchUpRequest& m) {
  Writer w(12);
  Header(&w, MessageType::kCatchUpRequest);
  w.U64(m.height);
  w.U16(m.requester);
  return w.Take();
}

Bytes Encode(const Decided& m) {
  const Bytes cert = EncodeCertificate(m.certificate);
  Writer w(16 + cert.size() + m.value.size());
  Header(&w, MessageType::kDecided);
  w.Blob(cert);
  w.Blob(m.value);
  return w.Take();
}

Bytes EncodeMessage(const Message& m) {
  return std::visit([](const auto& x) { return Encode(x); }, m);
}

Result<Message> DecodeMessage(ByteView bytes, size_t value_bytes_max) {
  Reader r(bytes, "consensus_message");
  uint8_t type = 0;
  uint8_t version = 0;
  HEARTH_RETURN_IF_ERROR(r.U8("type", &type));
  if (type < static_cast<uint8_t>(MessageType::kProposal) ||
      type > static_cast<uint8_t>(MessageType::kDecided)) {
    return r.Error("type", "unknown message type " + std::to_string(type));
  }
  HEARTH_RETURN_IF_ERROR(r.U8("version", &version));
  if (version != kMessageVersion) {
    return r.Error("version", "unknown version " + std::to_string(version));
  }
  Result<Message> m = Status::InvalidArgument("unset");
  switch (static_cast<MessageType>(type)) {
    case MessageType::kProposal:
      m = DecodeProposal(&r, value_bytes_max);
      break;
    case MessageType::kPrevote:
      m = DecodeVote(&r, VoteType::kPrevote);
      break;
    case MessageType::kPrecommit:
      m = DecodeVote(&r, VoteType::kPrecommit);
      break;
    case MessageType::kCatchUpRequest: {
      CatchUpRequest c;
      HEARTH_RETURN_IF_ERROR(ReadHeight(&r, &c.height));
      HEARTH_RETURN_IF_ERROR(r.U16("requester", &c.requester));
      m = Message(c);
      break;
    }
    case MessageType::kDecided:
      m = DecodeDecided(&r, value_bytes_max);
      break;
  }
  if (!m.ok()) return m;
  HEARTH_RETURN_IF_ERROR(r.Finish());
  return m;
}

}  // namespace hearth::consensus
