#include "hearth/node/chain_rules.h"

#include <variant>

namespace hearth::node {

KeyRegistry::KeyRegistry(const Genesis& genesis)
    : suite_(genesis.suite), chain_id_(genesis.chain_id) {
  for (size_t i = 0; i < genesis.members.size(); ++i) {
    const GenesisMember& m = genesis.members[i];
    KeyEntry node{m.node_key, m.agency, KeyRole::kNode, static_cast<uint16_t>(i), std::nullopt};
    keys_.emplace(m.node_key.Id(), std::move(node));
    for (const PublicKey& k : m.issuer_keys) {
      keys_.emplace(k.Id(), KeyEntry{k, m.agency, KeyRole::kIssuer, std::nullopt, std::nullopt});
    }
  }
}

const KeyEntry* KeyRegistry::Find(const Hash32& key_id) const {
  auto it = keys_.find(key_id);
  return it == keys_.end() ? nullptr : &it->second;
}

Status KeyRegistry::VerifySigner(const Transaction& tx) const {
  const KeyEntry* e = Find(tx.body().signer);
  if (e == nullptr) {
    return Status::VerifyFailed("unknown signer key " + tx.body().signer.Hex());
  }
  return tx.VerifySignature(e->key);
}

RuleCheck KeyRegistry::Check(const Transaction& tx) const {
  RuleCheck out;
  const TxBody& body = tx.body();
  if (body.suite != suite_) {
    out.status = Status::InvalidArgument("suite " + std::string(SuiteName(body.suite)) +
                                         " is not the chain's (" +
                                         std::string(SuiteName(suite_)) + ")");
    return out;
  }
  if (body.chain_id != chain_id_) {
    out.status = Status::InvalidArgument("chain id \"" + body.chain_id +
                                         "\" is not this chain's (\"" + chain_id_ + "\")");
    return out;
  }
  const KeyEntry* signer = Find(body.signer);
  if (signer == nullptr) {
    out.status = Status::VerifyFailed("unknown signer key " + body.signer.Hex());
    return out;
  }
  out.signer_agency = signer->agency;
  const std::string kind(TxKindName(tx.kind()));
  auto need_issuer = [&](std::optional<Agency> agency) -> Status {
    if (signer->role != KeyRole::kIssuer) {
      return Status::FailedPrecondition(kind + " must be signed by an issuer key, not a node key");
    }
    if (agency && signer->agency != *agency) {
      return Status::FailedPrecondition(kind + " may only be signed by " +
                                        std::string(AgencyCode(*agency)) + ", not by " +
                                        std::string(AgencyCode(signer->agency)));
    }
    if (signer->revoked_at) {
      out.warning = "signer key " + body.signer.Hex() +
                    (*signer->revoked_at == kPendingLogIndex
                         ? std::string(" is revoked by a pending key event")
                         : " was revoked at log index " + std::to_string(*signer->revoked_at)) +
                    ": verifiers ignore this record";
    }
    return Status::Ok();
  };
  switch (tx.kind()) {
    case TxKind::kAttestation:
      out.status = need_issuer(std::nullopt);
      break;
    case TxKind::kHouseholdDeclaration:
    case TxKind::kConsent:
    case TxKind::kEnrollment:
    case TxKind::kRuleSet:
      out.status = need_issuer(Agency::kCivilAffairs);
      break;
    case TxKind::kAccessRecord:
      if (signer->role != KeyRole::kNode) {
        out.status = Status::FailedPrecondition("access must be signed by a member's node key");
      }
      break;
    case TxKind::kKeyEvent: {
      const KeyEvent& ev = PayloadAs<KeyEvent>(tx);
      if (signer->role != KeyRole::kNode) {
        out.status = Status::FailedPrecondition("keyevent must be signed by a node key");
        break;
      }
      if (signer->agency != ev.agency) {
        out.status = Status::FailedPrecondition(
            "keyevent for " + std::string(AgencyCode(ev.agency)) + " signed by the node key of " +
            std::string(AgencyCode(signer->agency)));
        break;
      }
      const Hash32 id = ev.KeyId();
      const KeyEntry* target = Find(id);
      if (ev.action == KeyAction::kAdd) {
        if (target != nullptr) {
          out.status = Status::AlreadyExists("keyevent add: key " + id.Hex() + " is already known");
        } else if (!PublicKey::FromRaw(ev.key_suite, ev.key_raw).ok()) {
          out.status = Status::InvalidArgument("keyevent add: not a valid public key");
        }
      } else {
        if (target == nullptr || target->role != KeyRole::kIssuer) {
          out.status = Status::NotFound("keyevent revoke: no issuer key " + id.Hex());
        } else if (target->agency != ev.agency) {
          out.status = Status::FailedPrecondition("keyevent revoke: key " + id.Hex() +
                                                  " belongs to another agency");
        } else if (target->revoked_at) {
          out.status = Status::AlreadyExists("keyevent revoke: key " + id.Hex() +
                                             " already revoked at log index " +
                                             std::to_string(*target->revoked_at));
        }
      }
      break;
    }
  }
  return out;
}

void KeyRegistry::Apply(const Transaction& tx, uint64_t log_index) {
  if (tx.kind() != TxKind::kKeyEvent) return;
  const KeyEvent& ev = PayloadAs<KeyEvent>(tx);
  const Hash32 id = ev.KeyId();
  if (ev.action == KeyAction::kAdd) {
    auto key = PublicKey::FromRaw(ev.key_suite, ev.key_raw);
    HEARTH_CHECK(key.ok());
    keys_.emplace(id, KeyEntry{std::move(key).value(), ev.agency, KeyRole::kIssuer,
                               std::nullopt, std::nullopt});
  } else {
    auto it = keys_.find(id);
    HEARTH_CHECK(it != keys_.end());
    it->second.revoked_at = log_index;
  }
}

}  // namespace hearth::node
