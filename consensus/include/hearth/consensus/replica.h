// replica.h: one voting member running Tendermint — Buchman, Kwon, Milosevic, "The latest
// gossip on BFT consensus" (2018), Algorithm 1 — as a pure state machine.
//
// Inputs: a message (bytes from any peer), a timer firing, the driver's word that a decided
// value was applied. Outputs: a list of Effects, to be executed *in order*:
//   PersistEffect   write the safety state durably (synced) before executing the next effect;
//   BroadcastEffect send to every other member;      SendEffect   send to one member;
//   TimerEffect     call OnTimer(timer) after delay_ticks (virtual time, see params.h);
//   DecideEffect    the value at this height is decided, with its commit certificate: apply
//                   it durably, then call OnDecisionApplied() to start the next height.
// The replica never performs I/O, reads a clock, draws randomness or starts a thread. It
// signs through the injected Signer and checks signatures through the MemberVerifier; the
// Application proposes, identifies and validates values (blocks are opaque here).
//
// Guarantees:
//  1. Every message this replica signs is preceded, in the effect list, by a PersistEffect
//     holding it, so after a crash at any point the restarted replica (Start with the last
//     persisted state) re-sends the same message and never signs a different one for the
//     same (height, round, type).
//  2. A value that fails Application::IsValid is never prevoted (prevote nil, lines 23/29)
//     and never decided (line 50).
//  3. Memory is bounded. Per height: kRoundsBehindMax + 1 rounds up to the current one plus
//     at most 6 older ones (locked, valid, and the valid rounds of up to 4 proposals), and
//     kFutureRoundsPerMemberMax rounds above the current one per author. Per round:
//     kVotesPerMemberMax votes per (author, type), kProposalsPerRoundMax proposals. Per
//     author: kNextHeightBufferMax messages for the next height. Everything else is dropped
//     and counted by reason.
// Thread-safety: not thread-safe; one thread drives a replica.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string_view>
#include <variant>
#include <vector>

#include "hearth/base/bytes.h"
#include "hearth/base/status.h"
#include "hearth/consensus/certificate.h"
#include "hearth/consensus/messages.h"
#include "hearth/consensus/params.h"
#include "hearth/consensus/safety_state.h"

namespace hearth::consensus {

class MessageLog;

// Past rounds kept beyond the locked, valid and referenced ones (line 28 looks back to vr).
inline constexpr Round kRoundsBehindMax = 8;
// Distinct rounds above the current one an author may occupy (line 55 needs f+1 authors in
// one higher round; honest authors only move up, so their latest rounds are the ones kept).
inline constexpr size_t kFutureRoundsPerMemberMax = 2;
// Votes kept per (member, round, type) for distinct values: an honest member sends one; an
// equivocating one's votes all count (the paper counts messages from distinct senders).
inline constexpr size_t kVotesPerMemberMax = 3;
// Proposals kept per round: the first, plus any whose value has f+1 votes in that round.
inline constexpr size_t kProposalsPerRoundMax = 4;
// Messages buffered per author for the height after the current one.
inline constexpr size_t kNextHeightBufferMax = 8;
// Decided values sent in answer to one catch-up request.
inline constexpr size_t kCatchUpBatchMax = 16;

// Deliberate mistakes for the simulator's self-test (--plant-bug); never set in a node.
enum class PlantedBug : uint8_t {
  kNone = 0,
  kLock,      // ignore lockedValue/lockedRound when prevoting (lines 23, 29)
  kQuorum2f,  // accept 2f votes as a quorum
};

struct Config {
  MemberIndex self = 0;
  Timeouts timeouts;
  size_t value_bytes_max = 8 * 1024 * 1024;
  PlantedBug TEST_planted_bug = PlantedBug::kNone;
};

// The application (the node's block builder and validator, or the simulator's toy chain).
class Application {
 public:
  virtual ~Application() = default;
  // getValue() of line 18: a new value to propose at `height`.
  virtual Value ProposeValue(Height height) = 0;
  // id(v): the value's id, or an error when the bytes are no value at all.
  virtual Result<Hash32> ValueId(Height height, ByteView value) = 0;
  // valid(v) of lines 23, 29, 36 and 50: deterministic given the decided values below height.
  virtual bool IsValid(Height height, const Value& value) = 0;
  // A value decided here earlier, with its certificate, to answer catch-up requests.
  virtual std::optional<Decided> GetDecided(Height height) = 0;
};

enum class TimerKind : uint8_t { kPropose, kPrevote, kPrecommit, kGossip };
std::string_view TimerName(TimerKind kind);

struct Timer {
  TimerKind kind = TimerKind::kGossip;
  Height height = 0;
  Round round = 0;
  friend bool operator==(const Timer&, const Timer&) = default;
};

struct PersistEffect {
  SafetyState state;
};
struct BroadcastEffect {
  Bytes message;
};
struct SendEffect {
  MemberIndex to = 0;
  Bytes message;
};
struct TimerEffect {
  Timer timer;
  uint64_t delay_ticks = 0;
};
struct DecideEffect {
  Value value;
  Certificate certificate;
};
using Effect = std::variant<PersistEffect, BroadcastEffect, SendEffect, TimerEffect, DecideEffect>;
using Effects = std::vector<Effect>;

// Why an input was dropped.
enum class Drop : uint8_t {
  kMalformed = 0,     // bytes do not decode
  kNonMember,         // author index >= n
  kOwnMessage,        // a catch-up request from this replica itself
  kOldHeight,         // height already decided here
  kFutureHeight,      // height beyond the next one (catch-up is requested instead)
  kBufferFull,        // next-height buffer of that author full (oldest dropped)
  kOldRound,          // round too far behind and not referenced
  kRoundWindow,       // author already occupies its future rounds with higher ones
  kDuplicate,         // already have exactly this message
  kEquivocation,      // yet another vote of an equivocating author, with no room to keep it
  kBadSignature,      // signature does not verify
  kNotProposer,       // proposal from a member that is not proposer(h, r)
  kProposalConflict,  // another proposal of this round without f+1 votes, or slots full
  kBadValueId,        // application's id(v) differs from the claimed id, or v is malformed
  kBadCertificate,    // decided value with a certificate that does not verify
  kInvalidValue,      // decided value that fails valid(v)
  kCount,
};
std::string_view DropName(Drop reason);

struct Counters {
  std::array<uint64_t, static_cast<size_t>(Drop::kCount)> drops{};
  uint64_t accepted = 0;        // messages stored or acted on
  uint64_t verifications = 0;   // signature checks asked of the MemberVerifier
  uint64_t signatures = 0;      // signatures asked of the Signer
  uint64_t sign_refusals = 0;   // a conflicting signature refused (a bug if ever non-zero)
  uint64_t equivocations = 0;   // second votes of one author, type and round (kept as evidence)
  uint64_t Dropped(Drop d) const { return drops[static_cast<size_t>(d)]; }
};

class Replica {
 public:
  // REQUIRES: CheckMemberCount(members->member_count()).ok(); config.self < n; the pointed-to
  // objects outlive the replica.
  Replica(const Config& config, Signer* signer, const MemberVerifier* members, Application* app);
  ~Replica();
  Replica(const Replica&) = delete;
  Replica& operator=(const Replica&) = delete;

  // Begins at `height`, the first height not decided here (line 10). `persisted` is the last
  // PersistEffect state written, if any: resumed when it is for `height`, ignored when older;
  // FailedPrecondition when it is for a later height (the chain lost decided values).
  Status Start(Height height, const std::optional<SafetyState>& persisted, Effects* out);
  // One message from any peer. Bad input is dropped and counted, never an error; non-OK
  // only when the Signer fails (an environment failure: the node should stop).
  Status OnMessage(ByteView bytes, Effects* out);
  // A timer set by a TimerEffect fired. Stale timers (other height or round) do nothing.
  Status OnTimer(const Timer& timer, Effects* out);
  // The last DecideEffect is durably applied: go to the next height (lines 52-54).
  Status OnDecisionApplied(Effects* out);

  // proposer(h, r) of the paper: round-robin, (h + r) mod n.
  static MemberIndex Proposer(Height height, Round round, uint32_t n);

  Height height() const { return height_; }
  Round round() const { return round_; }
  Step step() const { return step_; }
  bool awaiting_decision_applied() const { return awaiting_apply_; }
  const Counters& counters() const { return counters_; }
  // What a PersistEffect would hold now.
  SafetyState safety_state() const;

 private:
  struct Rules;

  // Ingress (replica_ingress.cc).
  enum class HeightCheck { kCurrent, kNextHeight, kDropped };
  HeightCheck CheckHeight(Height h, MemberIndex author);
  void BufferNextHeight(MemberIndex author, Message m);
  Status HandleMessage(Message m, Effects* out);
  void HandleProposal(Proposal p);
  void HandleVote(Vote v);
  void HandleCatchUp(const CatchUpRequest& req, Effects* out);
  void HandleDecided(Decided d, Effects* out);
  bool VerifySignature(MemberIndex author, std::string_view context, ByteView message,
                       ByteView signature);
  bool AdmitRound(Round r, MemberIndex author);
  void Count(Drop reason) { ++counters_.drops[static_cast<size_t>(reason)]; }

  // Rules of Algorithm 1 (replica.cc).
  Status Evaluate(Effects* out);
  Result<bool> FireOne(Effects* out);
  Result<bool> TryDecide(Effects* out);
  Result<bool> TryRoundSkip(Effects* out);
  Result<bool> TryPrevoteOnProposal(Effects* out);
  Result<bool> TryCurrentRoundQuorums(Effects* out);
  Status StartRound(Round round, Effects* out);
  void SetRoundEvidence(Round source, bool skip);
  Status OnTimeoutPropose(const Timer& t, Effects* out);
  Status OnTimeoutPrevote(const Timer& t, Effects* out);
  Status OnTimeoutPrecommit(const Timer& t, Effects* out);
  void Decide(Value value, Certificate certificate, Effects* out);
  bool Valid(const Value& v);

  // Output (replica_output.cc).
  Status SendProposal(const Value& value, Effects* out);
  Status SendVote(VoteType type, const std::optional<Hash32>& id, Effects* out);
  void Persist(Effects* out);
  void Schedule(TimerKind kind, uint64_t delay_ticks, Effects* out);
  void OnGossip(Effects* out);
  void Relay(Effects* out);
  void AddTrustedVote(Vote v);
  Status CheckRestorable(const SafetyState& s) const;
  void Restore(const SafetyState& s);

  uint32_t n() const { return n_; }
  uint32_t quorum() const { return quorum_; }
  uint32_t f() const { return f_; }

  Config config_;
  Signer* signer_;
  const MemberVerifier* members_;
  Application* app_;
  uint32_t n_;
  uint32_t f_;
  uint32_t quorum_;

  // Algorithm 1 state (lines 2-9), for the current height only.
  Height height_ = 1;
  Round round_ = 0;
  Step step_ = Step::kPropose;
  Round locked_round_ = kNoRound;
  Hash32 locked_id_;
  Round valid_round_ = kNoRound;
  Value valid_value_;
  std::vector<Vote> valid_polka_;
  bool awaiting_apply_ = false;  // decision_p[h_p] set; waiting for OnDecisionApplied
  bool started_ = false;

  // Last messages signed at height_ (the double-signing guard; persisted).
  std::optional<Proposal> last_proposal_;
  std::optional<Vote> last_prevote_;
  std::optional<Vote> last_precommit_;
  // Why this replica is in round_ (persisted; relayed after a restart): see safety_state.h.
  std::vector<Vote> round_votes_;
  std::optional<Proposal> round_proposal_;

  std::unique_ptr<MessageLog> log_;
  std::map<Hash32, bool> validity_;  // valid(v) per value id at height_
  // Next-height messages by author, and one decided value for the next height.
  std::vector<std::vector<Message>> next_height_;
  std::optional<Decided> next_decided_;
  // Members seen at a higher height since the last gossip: ask them to help us catch up.
  std::vector<bool> ahead_members_;
  // Where the replica was at the previous gossip (no progress since: relay).
  struct GossipPosition {
    Height height = 0;
    Round round = 0;
    Step step = Step::kPropose;
    friend bool operator==(const GossipPosition&, const GossipPosition&) = default;
  };
  GossipPosition last_gossip_position_;
  Counters counters_;
};

}  // namespace hearth::consensus
