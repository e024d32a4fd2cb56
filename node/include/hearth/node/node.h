// node.h: hearthd's runtime. One Node = one block store, one consensus replica (voters),
// the mempool with its admission pipeline, the peer transport and the HTTPS API.
//
// Threads:
//  - the core thread (one asio::io_context) owns the replica, its timers, block building and
//    commits: the consensus machine is driven from exactly one thread;
//  - the transport's threads hand consensus frames to the core thread and transaction
//    gossip to admission;
//  - admission verifies signatures on a pool of hardware_concurrency() threads, once per
//    node: a block's transactions already admitted here are not verified again;
//  - the API server's threads call Submit and the read methods, which are thread-safe.
//
// Commit (DESIGN.md "Node"): a decided block is committed with its certificate in one
// synced LevelDB batch (BlockStore::CommitBlock) before the replica is told to move on;
// the consensus safety state is written (fsync + rename) before any vote that depends on
// it leaves. Failpoints (HEARTH_FAILPOINT=name[@n], for crash tests) kill the process with
// SIGKILL at: commit.before_batch, commit.after_batch, commit.after_apply.
//
// Observer (config role "observer", docs/NODE.md "Observer"): no replica, no signer, no P2P
// listener. A follower thread fetches decided blocks with their certificates from the
// members named in config.follow over their HTTPS API; each block is checked exactly as a
// voter checks a decided block a peer sent in catch-up (certificate against the genesis node
// keys and f, then the block checks of IsValid) and committed the same way, with the same
// failpoints. Reads are served from the observer's own store; Submit refuses every line.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hearth/base/status.h"
#include "hearth/ledger/store.h"
#include "hearth/ledger/transaction.h"
#include "hearth/node/genesis.h"
#include "hearth/node/node_config.h"
#include "hearth/ledger/national_id.h"
#include "hearth/verify/engine.h"
#include "hearth/verify/receipt.h"
#include "hearth/verify/watch.h"

namespace hearth::node {

class TokenAdmin;  // token_admin.h (private)

// Per-line answer of admission.
struct SubmitOutcome {
  enum class Kind { kAccepted, kDuplicate, kRejected, kRetryLater };
  Kind kind = Kind::kRejected;
  std::optional<Hash32> id;
  std::string reason;   // kRejected / kRetryLater: why
  std::string warning;  // kAccepted: e.g. signed with a revoked key
};
std::string_view SubmitKindName(SubmitOutcome::Kind k);  // accepted, duplicate, rejected, retry_later

// Why an observer refuses records (Submit, and POST /v1/records on an observer).
inline constexpr std::string_view kObserverSubmitRefusal =
    "observer: this node does not accept records; submit records to a member node";

struct TxStatus {
  enum class State { kUnknown, kPending, kCommitted, kDropped };
  State state = State::kUnknown;
  std::optional<StoredTx> committed;
  std::string dropped_reason;
};

class Node {
 public:
  // Opens the store, loads keys and replays key events. Fails with the field or file at
  // fault when the config and genesis do not fit together.
  static Result<std::unique_ptr<Node>> Create(NodeConfig config, Genesis genesis);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Voter: starts the transport, the replica and the API. Observer: the API, then the
  // follower. After OK, api_port() (and for voters p2p_port()) are set.
  Status Start();
  // Stops everything; idempotent.
  void Stop();
  // Blocks until Stop() is called or the node fails; returns why it stopped.
  Status Wait();

  uint16_t api_port() const;
  uint16_t p2p_port() const;
  // (method, pattern) of every API route, in registration order (empty before Start()).
  std::vector<std::pair<std::string, std::string>> ApiRoutes() const;

  // Admission of parsed lines (a parse error stays a rejection with its reason).
  // `only_agency`: the submitting principal's agency; a record signed by another agency's
  // key is rejected. nullopt: no restriction (peer gossip, tests). An observer rejects every
  // line with kObserverSubmitRefusal.
  std::vector<SubmitOutcome> Submit(std::vector<Result<Transaction>> lines,
                                    std::optional<Agency> only_agency);
  TxStatus GetTxStatus(const Hash32& id) const;

  const Genesis& genesis() const { return genesis_; }
  const NodeConfig& config() const { return config_; }
  BlockStore& store() { return *store_; }
  const BlockStore& store() const { return *store_; }
  // ---- Checks (check_api.h) ----
  // The member index of a voting node; nullopt for an observer.
  std::optional<uint16_t> member_index() const;
  // The agency of this node's member (civil_affairs for an observer).
  Agency agency() const;
  // Genesis in the form verify/ trusts.
  const verify::Trust& trust() const;
  // nullptr when node.json names no pseudonym_key_path.
  const PseudonymKey* pseudonym_key() const;
  // The node key that signs receipts and access records; nullptr for an observer.
  const PrivateKey* node_signing_key() const;
  // Signs `record` with the node key, makes it durable in the outbox and submits it;
  // returns its id. FailedPrecondition on an observer, IOError when the outbox failed.
  Result<Hash32> RecordAccess(const AccessRecord& record);
  // Adds one answered check's CPU time (the handler thread's, by phase) to the totals that
  // /metrics exports as hearth_check_cpu_seconds_total (docs/NODE.md "Checks").
  struct CheckCpuSample {
    verify::CheckCpu check;      // RunCheck's parts
    uint64_t access_ns = 0;      // signing the access record and making it durable
    uint64_t other_ns = 0;       // the rest of the handler: body, pseudonyms, checkpoint
  };
  void CountCheckCpu(const CheckCpuSample& sample);
  // The change watch (every node runs one).
  verify::ChangeWatch* change_watch();
  // The API's principals (node.json's and those issued by admins); null before Start().
  TokenAdmin* token_admin();
  // The agency whose key `signer` is, when that key may sign a transaction at `log_index`
  // of the committed log (known, and not revoked by a KeyEvent earlier in the log): the
  // same judgement as verify/engine.h's. nullopt otherwise.
  std::optional<Agency> AuthorityAt(const Hash32& signer, uint64_t log_index) const;

  // Prometheus text of the node's own metrics (the API adds the server's).
  std::string MetricsText() const;
  size_t mempool_size() const;
  // Admission-to-commit latency of transactions admitted here, in ms (bucket upper bound).
  uint64_t CommitLatencyQuantileMs(double q) const;

 private:
  struct Impl;
  explicit Node(NodeConfig config, Genesis genesis);

  NodeConfig config_;
  Genesis genesis_;
  std::unique_ptr<BlockStore> store_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hearth::node
