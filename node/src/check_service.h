// check_service.h (private to node/): what the check routes need beyond the chain — the
// node's signing key for receipts and access records, the pseudonym key, the trust roots,
// the access-record outbox, and the change watch with the thread that keeps it current.
//
// Contract:
//  - RecordAccess signs the AccessRecord with the node key, appends it to the synced outbox
//    (durable on return) and submits it. The maintenance thread resubmits every outbox entry
//    not yet committed (after a restart too) and compacts committed ones away, so an access
//    record acknowledged to a caseworker is never lost, and is committed once (duplicates
//    are idempotent).
//  - The watch thread runs ChangeWatch::CatchUp after each commit (OnCommitted) and at least
//    once a second; a watch error is logged and retried, never fatal to the node.
//  - Observers have no node key and no outbox: RecordAccess is FailedPrecondition; the
//    watch runs on every node.
// Thread-safety: RecordAccess, OnCommitted and the accessors from any thread; Start/Stop
// from the node's start/stop path.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "hearth/ledger/national_id.h"
#include "hearth/ledger/store.h"
#include "hearth/node/genesis.h"
#include "hearth/node/node_config.h"
#include "hearth/node/outbox.h"
#include "hearth/verify/engine.h"
#include "hearth/verify/watch.h"

namespace hearth::node {

class CheckService {
 public:
  // Submits transactions the node signed itself (access records) to its own mempool.
  // `signed_here`: signed by this process just now with the node key, whose signatures
  // this process has checked once (the first access record it signed), so admission need
  // not verify them again; false for records read back from the outbox file.
  using SubmitFn = std::function<void(std::vector<Transaction>, bool signed_here)>;

  static Result<std::unique_ptr<CheckService>> Open(const NodeConfig& config, const Genesis& genesis,
                                                    const BlockStore& store, std::optional<uint16_t> self);
  ~CheckService();
  CheckService(const CheckService&) = delete;
  CheckService& operator=(const CheckService&) = delete;

  void Start(SubmitFn submit);
  void Stop();
  void OnCommitted();

  Result<Hash32> RecordAccess(const AccessRecord& record);

  const verify::Trust& trust() const { return trust_; }
  const PseudonymKey* pseudonym_key() const { return pseudonym_ ? &*pseudonym_ : nullptr; }
  const PrivateKey* node_key() const { return node_key_ ? &*node_key_ : nullptr; }
  verify::ChangeWatch* watch() { return watch_.get(); }
  size_t outbox_size() const { return outbox_ ? outbox_->size() : 0; }

 private:
  CheckService(const Genesis& genesis, const BlockStore& store) : genesis_(genesis), store_(store) {}
  void Loop();
  void Maintain();

  const Genesis& genesis_;
  const BlockStore& store_;
  verify::Trust trust_;
  std::optional<PseudonymKey> pseudonym_;
  std::optional<PrivateKey> node_key_;
  std::unique_ptr<Outbox> outbox_;
  std::unique_ptr<verify::ChangeWatch> watch_;
  SubmitFn submit_;
  std::atomic<uint64_t> nonce_{0};
  std::atomic<bool> key_checked_{false};  // one signature of node_key_ verified

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool kicked_ = false;
  std::thread thread_;
};

}  // namespace hearth::node
