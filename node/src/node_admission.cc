// node_admission.cc: the admission pipeline of Node::Impl (rules, pool room, signatures on
// the verify pool, mempool insertion) and the gossip of what it accepted.
#include <unordered_set>

#include "hearth/base/codec.h"
#include "node_internal.h"

namespace hearth::node {

namespace {

Bytes EncodeGossip(const std::vector<Transaction>& txs) {
  Writer w;
  w.Count(txs.size());
  for (const auto& tx : txs) w.Blob(tx.Encode());
  return w.Take();
}

}  // namespace

void Node::Impl::CountReject(const std::string& reason) {
  // Keep the label set small: the reason's first words up to ':' are its class.
  std::string klass = reason.substr(0, reason.find(':'));
  if (klass.size() > 48) klass.resize(48);
  std::lock_guard lock(reject_mu);
  if (rejected_by_reason.size() < 64 || rejected_by_reason.count(klass)) ++rejected_by_reason[klass];
}

void Node::Impl::QueueAccessGossip(std::vector<Transaction> txs) {
  if (txs.empty()) return;
  bool first = false;
  bool full = false;
  {
    std::lock_guard lock(access_gossip_mu);
    first = access_gossip.empty();
    for (Transaction& tx : txs) access_gossip.push_back(std::move(tx));
    full = access_gossip.size() >= kAccessGossipBatch;
  }
  if (full) {
    FlushAccessGossip();
  } else if (first) {
    // On the core thread, whose io_context runs while the node does (members only sign
    // access records). A timer left when the node stops is dropped with it: its records
    // stay in the outbox and the pool.
    auto timer = std::make_shared<asio::steady_timer>(core_io);
    timer->expires_after(kAccessGossipDelay);
    timer->async_wait([this, timer](const boost::system::error_code& ec) {
      if (!ec) FlushAccessGossip();
    });
  }
}

void Node::Impl::FlushAccessGossip() {
  std::vector<Transaction> batch;
  {
    std::lock_guard lock(access_gossip_mu);
    batch.swap(access_gossip);
  }
  if (batch.empty() || !transport) return;
  ++access_gossip_batches;
  access_gossip_records += batch.size();
  BroadcastGossip(batch);
}

void Node::Impl::BroadcastGossip(const std::vector<Transaction>& txs) {
  for (size_t i = 0; i < txs.size(); i += kGossipBatchMax) {
    std::vector<Transaction> part(txs.begin() + static_cast<std::ptrdiff_t>(i),
                                  txs.begin() + static_cast<std::ptrdiff_t>(std::min(txs.size(), i + kGossipBatchMax)));
    transport->Broadcast(kChannelTxGossip, EncodeGossip(part));
  }
}

std::vector<SubmitOutcome> Node::Impl::Admit(std::vector<Result<Transaction>> lines,
                                             std::optional<Agency> only_agency, bool gossip) {
  std::lock_guard admission(admission_mu);
  const size_t n = lines.size();
  std::vector<SubmitOutcome> out(n);
  std::vector<size_t> candidates;
  std::vector<PublicKey> keys(n);
  {
    // Rules against the admission state, with this batch's key events applied in order.
    KeyRegistry reg = [&] {
      std::lock_guard lock(reg_mu);
      return admission_reg;
    }();
    std::unordered_set<Hash32> seen;
    for (size_t i = 0; i < n; ++i) {
      SubmitOutcome& o = out[i];
      if (!lines[i].ok()) {
        o.reason = lines[i].status().ToString();
        continue;
      }
      const Transaction& tx = *lines[i];
      o.id = tx.id();
      if (only_agency) {
        // Before the duplicate check, so a principal learns nothing of other agencies'
        // records.
        const KeyEntry* k = reg.Find(tx.body().signer);
        if (k != nullptr && k->agency != *only_agency) {
          o.reason = "forbidden: a " + std::string(AgencyCode(*only_agency)) +
                     " principal may not submit records signed by " +
                     std::string(AgencyCode(k->agency));
          continue;
        }
      }
      if (!seen.insert(tx.id()).second || mempool.Contains(tx.id()) || store.LocateTx(tx.id()).ok()) {
        o.kind = SubmitOutcome::Kind::kDuplicate;
        continue;
      }
      RuleCheck rc = reg.Check(tx);
      if (!rc.status.ok()) {
        o.reason = rc.status.ToString();
        continue;
      }
      if (only_agency && rc.signer_agency != only_agency) {
        o.reason = "forbidden: a " + std::string(AgencyCode(*only_agency)) +
                   " principal may not submit records signed by " +
                   std::string(AgencyCode(*rc.signer_agency));
        continue;
      }
      o.warning = rc.warning;
      keys[i] = reg.Find(tx.body().signer)->key;
      if (tx.kind() == TxKind::kKeyEvent) reg.Apply(tx, kPendingLogIndex);
      candidates.push_back(i);
    }
  }
  // Lines beyond the pool's room are answered "retry later" before their signatures are
  // checked: under bulk load a full pool would otherwise cost a verification per refused
  // line. Admission is the only inserter (admission_mu), and commits only make room, so
  // Insert below accepts every line HasRoom counted in.
  {
    size_t fit = 0;
    size_t bytes = 0;
    for (; fit < candidates.size(); ++fit) {
      const size_t next = bytes + Mempool::ChargeOf(*lines[candidates[fit]]);
      if (!mempool.HasRoom(fit + 1, next)) break;
      bytes = next;
    }
    for (size_t k = fit; k < candidates.size(); ++k) {
      SubmitOutcome& o = out[candidates[k]];
      o.kind = SubmitOutcome::Kind::kRetryLater;
      o.reason = "mempool full (" + std::to_string(mempool.size()) + " pending): retry later";
      o.warning.clear();
    }
    candidates.resize(fit);
  }
  std::vector<Status> verified(candidates.size());
  {
    std::vector<size_t> to_verify;
    std::vector<const Transaction*> txs;
    std::vector<const PublicKey*> tx_keys;
    for (size_t k = 0; k < candidates.size(); ++k) {
      const size_t i = candidates[k];
      // Verified already in a block we validated (it came in a proposal before its gossip).
      if (verified_outside_pool.Contains(*lines[i])) continue;
      to_verify.push_back(k);
      txs.push_back(&*lines[i]);
      tx_keys.push_back(&keys[i]);
    }
    std::vector<Status> got = VerifyInBatches(verify_pool, workers, txs, tx_keys);
    for (size_t j = 0; j < to_verify.size(); ++j) verified[to_verify[j]] = std::move(got[j]);
  }
  std::vector<Transaction> accepted;
  const uint64_t now = NowMs();
  {
    std::lock_guard lock(reg_mu);
    for (size_t k = 0; k < candidates.size(); ++k) {
      const size_t i = candidates[k];
      SubmitOutcome& o = out[i];
      const Transaction& tx = *lines[i];
      if (!verified[k].ok()) {
        o.reason = "signature: " + verified[k].ToString();
        o.warning.clear();
        continue;
      }
      if (tx.kind() == TxKind::kKeyEvent) {
        RuleCheck rc = admission_reg.Check(tx);
        if (!rc.status.ok()) {
          o.reason = rc.status.ToString();
          continue;
        }
      } else if (admission_reg.Find(tx.body().signer) == nullptr) {
        o.reason = "unknown signer key " + tx.body().signer.Hex() + " (its key event was rejected)";
        continue;
      }
      switch (mempool.Insert(tx, now)) {
        case Mempool::InsertResult::kInserted:
          o.kind = SubmitOutcome::Kind::kAccepted;
          if (tx.kind() == TxKind::kKeyEvent) {
            admission_reg.Apply(tx, kPendingLogIndex);
            pending_key_events.push_back(tx);
          }
          accepted.push_back(tx);
          break;
        case Mempool::InsertResult::kDuplicate:
          o.kind = SubmitOutcome::Kind::kDuplicate;
          o.warning.clear();
          break;
        case Mempool::InsertResult::kFull:
          o.kind = SubmitOutcome::Kind::kRetryLater;
          o.reason = "mempool full (" + std::to_string(mempool.size()) + " pending): retry later";
          o.warning.clear();
          break;
      }
    }
  }
  for (const auto& o : out) {
    switch (o.kind) {
      case SubmitOutcome::Kind::kAccepted: ++accepted_total; break;
      case SubmitOutcome::Kind::kDuplicate: ++duplicate_total; break;
      case SubmitOutcome::Kind::kRetryLater: ++retry_total; break;
      case SubmitOutcome::Kind::kRejected: CountReject(o.reason); break;
    }
  }
  if (gossip && transport && !accepted.empty()) BroadcastGossip(accepted);
  return out;
}

}  // namespace hearth::node
