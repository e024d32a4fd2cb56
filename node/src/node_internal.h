// node_internal.h: Node::Impl, the node's runtime state, and the constants and helpers its
// parts share. node.cc holds startup, consensus and commit; node_admission.cc the admission
// pipeline and gossip; node_support.cc the stateless helpers.
#pragma once

#include <boost/asio.hpp>

#include <array>
#include <string_view>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "hearth/api/http_server.h"
#include "hearth/consensus/replica.h"
#include "hearth/node/chain_rules.h"
#include "hearth/node/mempool.h"
#include "hearth/node/node.h"
#include "hearth/node/transport.h"
#include "hearth/node/verified_sigs.h"
#include "check_service.h"
#include "observer.h"
#include "token_admin.h"

namespace hearth::node {

namespace asio = boost::asio;

inline constexpr uint8_t kChannelConsensus = 1;
inline constexpr uint8_t kChannelTxGossip = 2;
// Transactions per gossip frame.
inline constexpr size_t kGossipBatchMax = 2048;
// Access records signed here are gossiped together after at most this delay, or at once when
// this many are waiting (node.cc QueueAccessGossip).
inline constexpr std::chrono::milliseconds kAccessGossipDelay{20};
inline constexpr size_t kAccessGossipBatch = 256;
// A block leaves room below kBlockBytesMax for its header and length prefixes.
inline constexpr size_t kBlockTxBytesBudget = kBlockBytesMax - 64 * 1024;

uint64_t NowMs();

// HEARTH_FAILPOINT=name[@n] (crash tests): the n-th (default first) time Hit(name) is
// reached, the process kills itself with SIGKILL. Read once, at construction.
class Failpoints {
 public:
  Failpoints();
  void Hit(std::string_view name);

 private:
  std::string name_;
  uint64_t remaining_ = 1;
};

// Runs fn(i) for i in [0, n) on `pool`, waiting for all.
void ParallelFor(boost::asio::thread_pool& pool, size_t workers, size_t n,
                 const std::function<void(size_t)>& fn);

// Transaction::VerifySignatures on `pool`: txs split into batches of at most
// kSignatureBatchMax (crypto.h), at least one per worker when there are enough. The result i is for txs[i].
std::vector<Status> VerifyInBatches(boost::asio::thread_pool& pool, size_t workers,
                                    std::span<const Transaction* const> txs,
                                    std::span<const PublicKey* const> keys);

// Histogram with fixed millisecond buckets, Prometheus text.
class LatencyHistogram {
 public:
  void Observe(uint64_t ms);
  std::string Text(std::string_view name, std::string_view help) const;
  // Quantile estimate (upper bucket bound) for q in (0, 1].
  uint64_t Quantile(double q) const;

 private:
  static constexpr uint64_t kBounds[] = {10, 25, 50, 100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600};
  mutable std::mutex mu_;
  std::array<uint64_t, std::size(kBounds) + 1> counts_{};
  uint64_t sum_ = 0;
  uint64_t total_ = 0;
};

// Signs consensus messages with the node key, under the chain id.
class NodeSigner : public consensus::Signer {
 public:
  NodeSigner(PrivateKey key, std::string chain_id) : key_(std::move(key)), chain_id_(std::move(chain_id)) {}
  Result<Bytes> Sign(std::string_view context, ByteView message) override {
    return key_.Sign(context, chain_id_, message);
  }

 private:
  PrivateKey key_;
  std::string chain_id_;
};

// Verifies consensus signatures against the genesis members' node keys.
class GenesisVerifier : public consensus::MemberVerifier {
 public:
  explicit GenesisVerifier(const Genesis& g) : chain_id_(g.chain_id) {
    for (const auto& m : g.members) keys_.push_back(m.node_key);
  }
  uint32_t member_count() const override { return static_cast<uint32_t>(keys_.size()); }
  Status Verify(consensus::MemberIndex member, std::string_view context, ByteView message,
                ByteView signature) const override {
    HEARTH_CHECK(member < keys_.size());
    return keys_[member].Verify(context, chain_id_, message, signature);
  }

 private:
  std::string chain_id_;
  std::vector<PublicKey> keys_;
};

// The phases of hearth_check_cpu_seconds_total (Node::CountCheckCpu), in the order of
// Impl::check_cpu_ns.
inline constexpr std::array<std::string_view, 6> kCheckCpuPhases = {
    "evidence", "inclusion_proofs", "receipt_text", "receipt_signature", "access_record", "other"};

struct Node::Impl : public consensus::Application {
  Node* node;
  NodeConfig& config;
  Genesis& genesis;
  BlockStore& store;
  const size_t workers = std::max(1u, std::thread::hardware_concurrency());

  std::optional<uint16_t> self;  // voters: member index
  std::unique_ptr<NodeSigner> signer;
  GenesisVerifier verifier;
  std::unique_ptr<consensus::Replica> replica;
  std::unique_ptr<Transport> transport;
  std::unique_ptr<Follower> follower;  // observers: fetches decided blocks from members
  std::unique_ptr<CheckService> checks;  // keys, outbox and change watch of the check routes
  std::unique_ptr<TokenAdmin> tokens;  // node.json's principals and those admins issued
  std::unique_ptr<api::HttpServer> http;
  std::string safety_path;
  Failpoints failpoints;

  // Keys: committed state, and committed + pending key events (admission).
  mutable std::mutex reg_mu;
  KeyRegistry committed_reg;
  KeyRegistry admission_reg;
  std::vector<Transaction> pending_key_events;

  Mempool mempool;
  // Signatures CheckBlock verified for transactions not pooled (their gossip is then not
  // verified again); 2^16 covers several of the largest blocks.
  VerifiedSignatures verified_outside_pool{size_t{1} << 16};
  std::mutex admission_mu;  // one batch at a time (its signatures in parallel)
  asio::thread_pool verify_pool;  // `workers` threads, named "verify" by Start

  asio::io_context core_io;
  static constexpr size_t kGossipThreads = 1;  // admission of peers' gossip, one batch at a time
  asio::thread_pool gossip_pool{kGossipThreads};  // named "gossip-in" by Start
  // Access records signed here wait up to kAccessGossipDelay to be gossiped together: a check
  // makes one, and sent one by one each cost every peer a frame, a wake-up of its gossip
  // thread and an admission call. They are durable (outbox) and pending in this node's pool
  // as soon as RecordAccess returns; only the moment the peers hear of them moves.
  std::mutex access_gossip_mu;
  std::vector<Transaction> access_gossip;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> core_work;
  std::thread core_thread;

  // Decoded blocks by id (value ids seen in proposals), at the current height only.
  std::map<Hash32, std::shared_ptr<const Block>> block_cache;
  uint64_t block_cache_height = 0;

  std::mutex stop_call_mu;
  bool stop_done = false;
  std::mutex stop_mu;
  std::condition_variable stop_cv;
  bool stopped = false;
  Status stop_status;
  std::atomic<bool> started{false};

  // Metrics.
  LatencyHistogram commit_latency;
  std::atomic<uint64_t> txs_committed{0};
  std::atomic<uint64_t> blocks_committed{0};
  mutable std::mutex reject_mu;
  std::map<std::string, uint64_t> rejected_by_reason;
  std::atomic<uint64_t> accepted_total{0}, duplicate_total{0}, retry_total{0};
  std::atomic<uint64_t> access_gossip_batches{0}, access_gossip_records{0};
  // Node::CountCheckCpu: answered checks, and their handler CPU nanoseconds by phase.
  std::atomic<uint64_t> check_cpu_checks{0};
  std::array<std::atomic<uint64_t>, kCheckCpuPhases.size()> check_cpu_ns{};
  std::atomic<uint64_t> peer_txs_in{0};

  Impl(Node* n)
      : node(n),
        config(n->config_),
        genesis(n->genesis_),
        store(*n->store_),
        verifier(n->genesis_),
        committed_reg(n->genesis_),
        admission_reg(n->genesis_),
        mempool(n->config_.mempool_max, n->config_.mempool_bytes_max),
        verify_pool(workers) {}

  // ---- startup ----
  Status ReplayKeyEvents();

  // ---- consensus::Application ----
  consensus::Value ProposeValue(consensus::Height height) override;
  void CacheBlock(uint64_t height, const Hash32& id, std::shared_ptr<const Block> b);
  std::shared_ptr<const Block> CachedBlock(uint64_t height, const Hash32& id);
  Result<Hash32> ValueId(consensus::Height height, ByteView value) override;
  KeyRegistry CommittedRegistry() const;
  Status CheckBlock(consensus::Height height, const Block& b);
  bool IsValid(consensus::Height height, const consensus::Value& value) override;
  std::optional<consensus::Decided> GetDecided(consensus::Height height) override;

  // ---- the core thread ----
  void Fail(const Status& st);
  void Run(consensus::Effects effects);
  Status RunOne(consensus::Effect& e);
  Status Commit(const consensus::Value& value, const consensus::Certificate& cert);

  // Writes a decided, verified block with its certificate (one synced batch), then updates
  // the key registry and the mempool. Shared by consensus decisions (Commit) and by the
  // observer's follower (ApplyFollowed), with the same failpoints.
  Status CommitVerified(const Block& b, const CommitCertificate& lc);

  // Observer: a decided block with its certificate, fetched from a member's API. Checked
  // exactly as a voter checks a decided value a peer sends in catch-up
  // (Replica::HandleDecided): the certificate names this block, verifies against the genesis
  // node keys with a 2f+1 quorum, and the block passes IsValid's CheckBlock (height, chain,
  // prev hash, time, chain rules, every signature, tx/log/index roots) against our head;
  // then committed as Commit does. Runs on the follower thread, the observer's only writer.
  // An IOError means our own environment failed: the node stops. Any other error blames
  // the member that served the block.
  Status ApplyFollowed(uint64_t height, ByteView block_bytes, ByteView cert_bytes);
  Status VerifyAndCommitFollowed(uint64_t height, ByteView block_bytes, ByteView cert_bytes);
  void ScheduleNextHeight(uint64_t delay_ms, uint64_t decided_at);
  void AfterCommit(const Block& b);
  void OnFrame(uint16_t from, uint8_t channel, Bytes payload);

  // ---- admission ----
  void CountReject(const std::string& reason);
  void QueueAccessGossip(std::vector<Transaction> txs);
  void FlushAccessGossip();

  // Sends `txs` to every peer in gossip frames of at most kGossipBatchMax.
  void BroadcastGossip(const std::vector<Transaction>& txs);
  std::vector<SubmitOutcome> Admit(std::vector<Result<Transaction>> lines,
                                   std::optional<Agency> only_agency, bool gossip);
};

}  // namespace hearth::node
