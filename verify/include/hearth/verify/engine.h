// engine.h: the eligibility check (DESIGN.md "Verify"; docs/VERIFY.md).
//
// Evaluate decides one household for one programme and as-of month from what the chain
// holds at one checkpoint. It reads the chain only through an EvidenceSource: "every
// transaction filed under this authenticated-index key at the checkpoint, in log order".
// The node backs the source with its store (and records each key's index proof for the
// receipt); the receipt verifier backs it with the receipt's evidence and fails on a key the
// receipt lacks. Both run this same function, so a receipt is complete exactly when the
// verifier can re-run the check from it and get the same result.
//
// What is read, in order (docs/VERIFY.md "Evaluation order"):
//   1. programme key: the RuleSet in force at as_of (largest effective_from <= as_of, then
//      largest version, then last in the log; signed by a civil affairs issuer key);
//   2. household key: HouseholdDeclarations (the one in force in each month: largest
//      effective_from <= month, then last in the log), the Consent named by the request
//      (must be filed there, and valid at the checkpoint's block time), Enrollments;
//   3. subject-month keys: for every member of any declaration in force in the window or at
//      as_of (subject ascending), every month of the window and the as-of month (ascending);
//   4. issuer-key keys: for every key that signed a RuleSet, declaration, consent, enrollment
//      or attestation read above (the KeyEvents that add / revoke it), read when first
//      needed, i.e. right after the key whose transaction it signed.
// keys_read lists exactly these keys in that first-read order. Every list the source returns
// must be in strictly increasing log order (else Corruption).
// Rules of evidence:
//   - Evaluate does NOT verify signature bytes (the node verified each at admission; a
//     receipt verifier checks every evidence signature itself). It judges authority: who the
//     signer id is, and whether that key was active at the transaction's log position.
//     Issuer keys are the genesis members' issuer keys plus keys added by KeyEvents signed by
//     the owning agency's genesis node key. A transaction of another chain id or suite is
//     ignored. RuleSets, declarations, consents and enrollments count only from civil affairs;
//   - a transaction signed by a key revoked by a KeyEvent EARLIER IN THE LOG (smaller log
//     index) than the transaction is ignored, and so is one signed by a key not yet added
//     at its log position; the signer's issued-at time is never used for this;
//   - a correction (`supersedes` = id of an earlier attestation by the same agency, not
//     itself ignored) replaces the corrected record in every month the corrected one
//     covered; a correction naming a record of another agency (or subject) is ignored; of
//     several corrections of one record the last in the log wins; a correction whose target
//     is not among the transactions read simply counts as a record;
//   - an attestation counts only when its issuer is accepted for its category (Rules);
//   - a `death` attestation of a member (read under a window or as-of month) ends the
//     membership from its first_month on;
//   - request.members, when non-empty, must equal the members of the declaration in force at
//     as_of; otherwise the decision is insufficient_evidence (reason members_mismatch);
//   - an explicit zero is a zero; a month without any report from a required agency is
//     missing (Rules::missing decides what that means).
// Figures (integer fen; docs/VERIFY.md "Figures and rounding"): per member-month, counted = sum of
// counted categories - sum of deducted categories; the household's per-capita monthly income
// = floor(sum of counted over member-months of counted members / number of such
// member-months) (floor toward minus infinity; 0 member-months -> insufficient evidence).
//
// Decision: any condition failed -> ineligible; else any unknown (or members_mismatch) ->
// insufficient_evidence; else eligible. not_checked (an asset condition no genesis member's
// agency can issue) never blocks, and its reason tells the caseworker to check by hand.
//
// Errors (non-OK Result) are for requests that cannot be evaluated at all: a malformed
// request (InvalidArgument: as_of not YYYYMM, members unsorted, window before 1900), no rule
// set for the programme at the checkpoint or one that does not parse (FailedPrecondition),
// no declaration in force at as_of (NotFound "unknown household ..."), a consent not filed
// under the household or not valid at the checkpoint (FailedPrecondition), a broken
// EvidenceSource (its Status). Anything about
// the household's data is a decision with reasons, never an error.
// Thread-safety: a pure function of its inputs; an EvidenceSource is used by one thread.
// Concurrent Evaluates share only the memo of parsed rule sets (ParseRulesCached, rules.h),
// which is thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hearth/base/bytes.h"
#include "hearth/base/status.h"
#include "hearth/ledger/categories.h"
#include "hearth/ledger/crypto.h"
#include "hearth/ledger/index_keys.h"
#include "hearth/ledger/transaction.h"
#include "hearth/verify/rules.h"

namespace hearth::verify {

// A committed transaction with its position in the global log.
struct LoggedTx {
  Transaction tx;
  uint64_t log_index = 0;
};

class EvidenceSource {
 public:
  virtual ~EvidenceSource() = default;
  // Every transaction filed under `key` at the checkpoint, in log order (empty when none).
  // The pointers stay valid for the source's lifetime.
  virtual Result<std::vector<const LoggedTx*>> Filed(const IndexKey& key) = 0;
};

// What genesis says, in the form verify needs (the node and the CLI build it from their
// Genesis; verify does not parse genesis files).
struct TrustMember {
  Agency agency = Agency::kCivilAffairs;
  PublicKey node_key;
  std::vector<PublicKey> issuer_keys;
};
struct Trust {
  std::string chain_id;
  Suite suite = Suite::kEd25519Sha256;
  uint32_t f = 0;
  Hash32 genesis_hash;
  std::vector<TrustMember> members;  // genesis order (member index = position)
};

struct CheckRequest {
  Hash32 household;
  // Subject ids the caseworker gave, sorted ascending, unique; empty = the declared members
  // (the change watch).
  std::vector<Hash32> members;
  Programme programme = Programme::kDibao;
  uint32_t as_of = 0;  // YYYYMM
  Hash32 consent;      // tx id of the Consent relied on
  // false only for the change watch (watch.h), which is not a caseworker's look and has no
  // consent to name; every check and every receipt requires one.
  bool consent_required = true;
  uint64_t checkpoint_time_ms = 0;  // block time of the checkpoint
};

enum class Decision : uint8_t { kEligible = 1, kIneligible = 2, kInsufficientEvidence = 3 };
std::string_view DecisionCode(Decision d);  // eligible | ineligible | insufficient_evidence

// A reason a caseworker can read; `code` is stable (tests and the console key on it).
struct Reason {
  std::string code;  // e.g. "income_below_threshold", "missing_report"
  std::string zh;
  std::string en;
  friend bool operator==(const Reason&, const Reason&) = default;
};

// One counted-or-shown amount: an attestation's per-month amount in one month.
struct MonthAmount {
  Category category = Category::kWage;
  Agency agency = Agency::kTax;
  int64_t fen = 0;
  Hash32 tx;  // the attestation (after corrections)
  friend bool operator==(const MonthAmount&, const MonthAmount&) = default;
};

struct MemberMonth {
  Hash32 subject;
  uint32_t month = 0;
  bool member = true;    // a counted member this month (declared and alive)
  std::vector<MonthAmount> amounts;     // counted, deducted and excluded, in log order
  int64_t counted_fen = 0;              // counted - deducted
  std::vector<Agency> missing_reporters;  // required agencies with no report this month
  friend bool operator==(const MemberMonth&, const MemberMonth&) = default;
};

enum class ConditionStatus : uint8_t { kPassed = 1, kFailed = 2, kNotChecked = 3, kUnknown = 4 };
std::string_view ConditionStatusCode(ConditionStatus s);  // passed|failed|not_checked|unknown

struct ConditionResult {
  // household | income | member_disability | enrolled_in | deposits | vehicle | real_estate
  std::string name;
  ConditionStatus status = ConditionStatus::kUnknown;
  std::string detail;  // English, one line
  friend bool operator==(const ConditionResult&, const ConditionResult&) = default;
};

struct CheckResult {
  Decision decision = Decision::kInsufficientEvidence;
  std::vector<Reason> reasons;
  Hash32 rule_set_tx;
  Rules rules;
  Hash32 declaration_tx;       // the declaration in force at as_of
  std::vector<Hash32> declared_members;  // its members
  uint32_t window_first = 0;   // YYYYMM
  uint32_t window_last = 0;    // YYYYMM (the month before as_of)
  // Every subject of any declaration in force in the window or at as_of, every window month
  // (not the as-of month): subject ascending, then month ascending.
  std::vector<MemberMonth> member_months;
  uint64_t member_months_counted = 0;
  int64_t income_total_fen = 0;
  // Set when the income test could compute it (member-months > 0, no blocking missing data).
  std::optional<int64_t> per_capita_monthly_fen;
  std::optional<int64_t> threshold_fen;  // the threshold in force at as_of, if any
  std::vector<ConditionResult> conditions;
  std::vector<Hash32> used_txs;    // every transaction the result relied on, log order
  std::vector<IndexKey> keys_read;  // every index key read, in first-read order, once each
  friend bool operator==(const CheckResult&, const CheckResult&) = default;
};

Result<CheckResult> Evaluate(const Trust& trust, const CheckRequest& request,
                             EvidenceSource& source);

}  // namespace hearth::verify
