// chain_rules.h: who may sign what on a chain, and the key state that decides it.
//
// Keys (DESIGN.md "On-chain records"): every member in genesis has a node key (signs votes,
// key events and access records) and issuer keys (sign its agency's records). A KeyEvent,
// signed by an agency's node key, adds or revokes one of that agency's issuer keys.
//
// Rules a committed transaction obeys (checked on admission and again, deterministically,
// for every transaction of a proposed block against the state before it):
//   - its suite and chain id are the chain's;
//   - its signer is a key known at that log position: a node key, a genesis issuer key, or
//     an issuer key added by an earlier KeyEvent; the signature verifies with it;
//   - attestation: an issuer key (any agency: which issuers a check accepts is a property of
//     the rule set, categories.h); household, consent, enrollment, ruleset: an issuer key
//     of civil_affairs; access: a member's node key; keyevent: the node key of the member
//     whose agency the event names; an add names a key not known yet, a revoke an issuer
//     key of that agency that is not revoked yet.
// A record signed with an issuer key revoked earlier in the log is still admitted (the log
// keeps what was submitted) but verifiers ignore it: revocation is judged by log position,
// never by the signer's issued-at time. Admission answers such a record with a warning.
//
// Thread-safety: KeyRegistry is a value; const methods may be called from any thread when
// no thread mutates it. The node guards it with a lock.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "hearth/base/bytes.h"
#include "hearth/base/status.h"
#include "hearth/ledger/categories.h"
#include "hearth/ledger/crypto.h"
#include "hearth/ledger/transaction.h"
#include "hearth/node/genesis.h"

namespace hearth::node {

// Log index given to Apply for a key event admitted but not yet committed.
inline constexpr uint64_t kPendingLogIndex = UINT64_MAX;

enum class KeyRole : uint8_t { kNode = 1, kIssuer = 2 };

struct KeyEntry {
  PublicKey key;
  Agency agency = Agency::kCivilAffairs;
  KeyRole role = KeyRole::kIssuer;
  std::optional<uint16_t> member;           // node keys: the member index
  std::optional<uint64_t> revoked_at;       // log index of the revoking KeyEvent
};

// What admission of one transaction found.
struct RuleCheck {
  Status status;          // OK, or why the transaction may not be committed
  std::string warning;    // non-empty: accepted, but verifiers will ignore it (revoked key)
  std::optional<Agency> signer_agency;
};

class KeyRegistry {
 public:
  explicit KeyRegistry(const Genesis& genesis);

  const KeyEntry* Find(const Hash32& key_id) const;
  // Checks the rules above for `tx`, without the signature (see VerifySigner).
  RuleCheck Check(const Transaction& tx) const;
  // The signature check alone: OK when the signer is known and the signature verifies.
  Status VerifySigner(const Transaction& tx) const;
  // Applies a committed (or, in a block being checked, an earlier) transaction at log
  // position `log_index`. REQUIRES: Check(tx).status.ok().
  void Apply(const Transaction& tx, uint64_t log_index);

  Suite suite() const { return suite_; }
  const std::string& chain_id() const { return chain_id_; }

 private:
  Suite suite_;
  std::string chain_id_;
  std::map<Hash32, KeyEntry> keys_;
};

}  // namespace hearth::node
