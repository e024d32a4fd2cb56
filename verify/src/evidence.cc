// TxSetEvidence: an in-memory authenticated-index view over a set of transactions
// (evidence.h).
#include "hearth/verify/evidence.h"

#include <algorithm>
#include <string>
#include <utility>

namespace hearth::verify {

Status TxSetEvidence::Add(LoggedTx tx) {
  const Hash32 id = tx.tx.id();
  if (auto it = index_of_.find(id); it != index_of_.end()) {
    if (it->second == tx.log_index) return Status::Ok();
    return Status::InvalidArgument("evidence: transaction " + id.Hex() + " at log indices " +
                                   std::to_string(it->second) + " and " +
                                   std::to_string(tx.log_index));
  }
  if (by_index_.count(tx.log_index) != 0) {
    return Status::InvalidArgument("evidence: two transactions at log index " +
                                   std::to_string(tx.log_index));
  }
  auto owned = std::make_unique<LoggedTx>(std::move(tx));
  const LoggedTx* p = owned.get();
  for (const IndexKey& key : IndexKeysOf(p->tx)) {
    std::vector<const LoggedTx*>& list = filed_[EncodeIndexKey(key)];
    auto pos = std::upper_bound(list.begin(), list.end(), p->log_index,
                                [](uint64_t i, const LoggedTx* t) { return i < t->log_index; });
    list.insert(pos, p);
  }
  index_of_.emplace(id, p->log_index);
  by_index_.emplace(p->log_index, std::move(owned));
  return Status::Ok();
}

void TxSetEvidence::RestrictTo(const std::vector<IndexKey>& keys) {
  std::vector<Bytes> allowed;
  allowed.reserve(keys.size());
  for (const IndexKey& k : keys) allowed.push_back(EncodeIndexKey(k));
  std::sort(allowed.begin(), allowed.end());
  allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
  allowed_ = std::move(allowed);
}

Result<std::vector<const LoggedTx*>> TxSetEvidence::Filed(const IndexKey& key) {
  const Bytes encoded = EncodeIndexKey(key);
  if (allowed_.has_value() && !std::binary_search(allowed_->begin(), allowed_->end(), encoded)) {
    return Status::NotFound("evidence lacks index key " + key.ToString());
  }
  auto it = filed_.find(encoded);
  if (it == filed_.end()) return std::vector<const LoggedTx*>{};
  return it->second;
}

Status TxSetEvidence::VerifySignatures(const Trust& trust) const {
  std::map<Hash32, PublicKey> keys;
  for (const TrustMember& m : trust.members) {
    keys.emplace(m.node_key.Id(), m.node_key);
    for (const PublicKey& k : m.issuer_keys) keys.emplace(k.Id(), k);
  }
  for (const auto& [index, lt] : by_index_) {
    if (lt->tx.kind() != TxKind::kKeyEvent) continue;
    const KeyEvent& ke = PayloadAs<KeyEvent>(lt->tx);
    if (ke.action != KeyAction::kAdd || keys.count(ke.KeyId()) != 0) continue;
    Result<PublicKey> k = PublicKey::FromRaw(ke.key_suite, ke.key_raw);
    if (k.ok()) keys.emplace(ke.KeyId(), *k);  // a key that does not parse signs nothing
  }
  for (const auto& [index, lt] : by_index_) {
    auto it = keys.find(lt->tx.body().signer);
    if (it == keys.end()) continue;
    Status s = lt->tx.VerifySignature(it->second);
    if (!s.ok()) {
      return Status::VerifyFailed("evidence: transaction " + lt->tx.id().Hex() +
                                  " at log index " + std::to_string(index) + ": " + s.message());
    }
  }
  return Status::Ok();
}

const LoggedTx* TxSetEvidence::Find(const Hash32& id) const {
  auto it = index_of_.find(id);
  if (it == index_of_.end()) return nullptr;
  return by_index_.at(it->second).get();
}

}  // namespace hearth::verify
