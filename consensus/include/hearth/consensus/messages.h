// messages.h: the consensus messages of Tendermint (Buchman, Kwon, Milosevic 2018, "The
// latest gossip on BFT consensus", Algorithm 1) and their canonical wire form.
//
// Wire forms (base/codec.h rules: fixed-width little-endian, u32 length prefixes; every
// message is  u8 type ‖ u8 version(=1) ‖ body, and decoding consumes the input exactly):
//   proposal   0x20  u64 height ‖ u32 round ‖ u32 valid_round ‖ u16 proposer ‖ value_id(32)
//                    ‖ u32 len ‖ value ‖ u32 len ‖ signature
//   prevote    0x21  u64 height ‖ u32 round ‖ u16 voter ‖ u8 has_value ‖ [value_id(32)]
//                    ‖ u32 len ‖ signature
//   precommit  0x22  same as prevote
//   catch-up   0x23  u64 height ‖ u16 requester            (unsigned: asks for public data)
//   decided    0x24  u32 len ‖ certificate ‖ u32 len ‖ value (certificate.h encoding)
// valid_round 0xFFFFFFFF stands for the paper's -1 (no valid round). Rounds are at most
// kRoundMax; a proposal's valid_round is below its round (Algorithm 1, line 28: vr < round).
//
// Signed bytes (the signer prefixes context and chain id, see SigningBytes in
// ledger/crypto.h):
//   proposal  "hearth/proposal/v1"  : u64 height ‖ u32 round ‖ u32 valid_round ‖ value_id
//   prevote   "hearth/prevote/v1"   : u64 height ‖ u32 round ‖ value_id   (44 bytes)
//   precommit "hearth/precommit/v1" : u64 height ‖ u32 round ‖ value_id   (44 bytes)
//   a nil vote signs u64 height ‖ u32 round only (12 bytes), so it can never be mistaken
//   for a vote on any value. A precommit's 44 bytes are exactly the ledger's
//   PrecommitSigningMessage (block.h), so 2f+1 of them form a ledger CommitCertificate.
// Thread-safety: values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>

#include "hearth/base/bytes.h"
#include "hearth/base/status.h"
#include "hearth/consensus/certificate.h"

namespace hearth::consensus {

// Round numbers: the paper's integers >= 0, and -1 (kNoRound) for "no round".
using Round = int64_t;
inline constexpr Round kNoRound = -1;
// Largest round accepted from the wire. Honest rounds grow only by timeouts (which grow
// with the round), so 10^6 rounds at one height is far beyond any real stall.
inline constexpr Round kRoundMax = 1'000'000;
inline constexpr uint32_t kNoRoundWire = 0xFFFFFFFFu;

enum class MessageType : uint8_t {
  kProposal = 0x20,
  kPrevote = 0x21,
  kPrecommit = 0x22,
  kCatchUpRequest = 0x23,
  kDecided = 0x24,
};
inline constexpr uint8_t kMessageVersion = 1;

inline constexpr std::string_view kProposalContext = "hearth/proposal/v1";
inline constexpr std::string_view kPrevoteContext = "hearth/prevote/v1";
// Same context string as the ledger's precommit (block.h kPrecommitContext).
inline constexpr std::string_view kPrecommitContext = "hearth/precommit/v1";

enum class VoteType : uint8_t { kPrevote = 1, kPrecommit = 2 };

// A value to agree on (a block, opaque to consensus) with its id: id(v) of the paper, computed
// by the application (for a block, the block hash).
struct Value {
  Bytes bytes;
  Hash32 id;
  friend bool operator==(const Value&, const Value&) = default;
};

// ⟨PROPOSAL, h, round, v, vr⟩ signed by proposer(h, round).
struct Proposal {
  Height height = 0;
  Round round = 0;
  Round valid_round = kNoRound;
  MemberIndex proposer = 0;
  Hash32 value_id;
  Bytes value;
  Bytes signature;
  friend bool operator==(const Proposal&, const Proposal&) = default;
};

// ⟨PREVOTE, h, round, id(v) or nil⟩ / ⟨PRECOMMIT, ...⟩ signed by `voter`.
struct Vote {
  VoteType type = VoteType::kPrevote;
  Height height = 0;
  Round round = 0;
  MemberIndex voter = 0;
  std::optional<Hash32> value_id;  // nullopt = nil
  Bytes signature;
  friend bool operator==(const Vote&, const Vote&) = default;
};

// "Send me the decided values from `height` on" (catch-up of a replica that fell behind).
struct CatchUpRequest {
  Height height = 0;
  MemberIndex requester = 0;
  friend bool operator==(const CatchUpRequest&, const CatchUpRequest&) = default;
};

// A decided value with its commit certificate (the answer to a CatchUpRequest).
struct Decided {
  Certificate certificate;
  Bytes value;
  friend bool operator==(const Decided&, const Decided&) = default;
};

using Message = std::variant<Proposal, Vote, CatchUpRequest, Decided>;

std::string_view VoteContext(VoteType type);
MessageType VoteMessageType(VoteType type);

// The bytes a proposal's signature covers (before context and chain id).
// REQUIRES: 0 <= round <= kRoundMax, kNoRound <= valid_round < round.
Bytes ProposalSigningMessage(Height height, Round round, Round valid_round, const Hash32& id);
// The bytes a vote's signature covers: 44 bytes for a value, 12 for nil.
Bytes VoteSigningMessage(Height height, Round round, const std::optional<Hash32>& value_id);

// REQUIRES: the message satisfies the limits that Decode checks.
Bytes Encode(const Proposal& m);
Bytes Encode(const Vote& m);
Bytes Encode(const CatchUpRequest& m);
Bytes Encode(const Decided& m);
Bytes EncodeMessage(const Message& m);

// Strict decode of one message: rejects unknown types or versions, truncation, trailing
// bytes, heights of 0, rounds over kRoundMax, valid_round >= round, non-canonical booleans,
// values over `value_bytes_max`, empty or over-long signatures, malformed certificates.
Result<Message> DecodeMessage(ByteView bytes, size_t value_bytes_max);

}  // namespace hearth::consensus
