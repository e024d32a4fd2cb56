#include "hearth/node/node.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <latch>
#include <sstream>

#include "hearth/base/codec.h"
#include "hearth/consensus/messages.h"
#include "hearth/consensus/safety_state.h"
#include "hearth/ledger/db.h"
#include "hearth/api/console.h"
#include "hearth/api/tokens.h"
#include "hearth/api/thread_name.h"
#include "hearth/node/files.h"
#include "hearth/node/log.h"
#include "hearth/node/node_api.h"
#include "hearth/node/tls.h"
#include "node_internal.h"
#include "hearth/node/check_api.h"
#include "hearth/node/household_api.h"

namespace hearth::node {

namespace {

constexpr size_t kKeyFileBytesMax = 1 << 20;
// A safety state holds up to two values (valid value, proposal) of kBlockBytesMax each.
constexpr size_t kSafetyStateBytesMax = 4 * kBlockBytesMax;

Result<std::string> ReadFile(const std::string& path, std::string_view what) {
  auto text = ReadSmallFile(path, kKeyFileBytesMax);
  if (!text.ok()) return text.status().Annotate(std::string(what));
  return text;
}

}  // namespace

Status Node::Impl::ReplayKeyEvents() {
  const ChainHead head = store.head();
  for (uint64_t h = 1; h <= head.height; ++h) {
    HEARTH_ASSIGN_OR_RETURN(Block b, store.GetBlock(h));
    const uint64_t first = b.header.log_size - b.txs.size();
    for (size_t i = 0; i < b.txs.size(); ++i) {
      if (b.txs[i].kind() == TxKind::kKeyEvent) committed_reg.Apply(b.txs[i], first + i);
    }
  }
  admission_reg = committed_reg;
  return Status::Ok();
}

consensus::Value Node::Impl::ProposeValue(consensus::Height height) {
  const ChainHead head = store.head();
  HEARTH_CHECK(head.height + 1 == height);
  std::vector<Transaction> candidates = mempool.Peek(config.block_txs_max, kBlockTxBytesBudget);
  std::vector<Transaction> txs;
  KeyRegistry reg = CommittedRegistry();
  for (auto& tx : candidates) {
    if (store.LocateTx(tx.id()).ok()) {
      Hash32 id = tx.id();
      mempool.RemoveCommitted(std::span<const Hash32>(&id, 1));
      continue;
    }
    RuleCheck rc = reg.Check(tx);
    if (!rc.status.ok()) {
      Log(LogLevel::kWarn, "mempool drop id=" + tx.id().Hex() + " reason=" + rc.status.ToString());
      mempool.Drop(tx.id(), rc.status.ToString());
      continue;
    }
    reg.Apply(tx, head.log_size + txs.size());
    txs.push_back(std::move(tx));
  }
  auto roots = store.PreviewRoots(txs);
  if (!roots.ok()) {
    Log(LogLevel::kError, "propose height=" + std::to_string(height) +
                              " cannot build on these transactions: " + roots.status().ToString() +
                              "; proposing an empty block");
    txs.clear();
    roots = store.PreviewRoots(txs);
    HEARTH_CHECK(roots.ok());
  }
  uint64_t parent_time = genesis.genesis_time_ms;
  if (head.height > 0) {
    auto ph = store.Header(head.height);
    HEARTH_CHECK(ph.ok());
    parent_time = ph->time_ms;
  }
  HEARTH_CHECK(roots->height == height);
  Block b;
  b.header = HeaderFromRoots(*roots, genesis.suite, genesis.chain_id, std::max(NowMs(), parent_time),
                             *self, static_cast<uint32_t>(txs.size()));
  b.txs = std::move(txs);
  HEARTH_CHECK(Validate(b).ok());
  consensus::Value v{EncodeBlock(b), BlockHash(b.header)};
  CacheBlock(height, v.id, std::make_shared<const Block>(std::move(b)));
  return v;
}

void Node::Impl::CacheBlock(uint64_t height, const Hash32& id, std::shared_ptr<const Block> b) {
  if (block_cache_height != height) {
    block_cache.clear();
    block_cache_height = height;
  }
  if (block_cache.size() > 16) block_cache.clear();
  block_cache[id] = std::move(b);
}

std::shared_ptr<const Block> Node::Impl::CachedBlock(uint64_t height, const Hash32& id) {
  if (block_cache_height != height) return nullptr;
  auto it = block_cache.find(id);
  return it == block_cache.end() ? nullptr : it->second;
}

Result<Hash32> Node::Impl::ValueId(consensus::Height height, ByteView value) {
  HEARTH_ASSIGN_OR_RETURN(Block b, DecodeBlock(value));
  Hash32 id = BlockHash(b.header);
  CacheBlock(height, id, std::make_shared<const Block>(std::move(b)));
  return id;
}

KeyRegistry Node::Impl::CommittedRegistry() const {
  std::lock_guard lock(reg_mu);
  return committed_reg;
}

Status Node::Impl::CheckBlock(consensus::Height height, const Block& b) {
  const ChainHead head = store.head();
  if (head.height + 1 != height) {
    return Status::FailedPrecondition("store head " + std::to_string(head.height) +
                                      " is not below height " + std::to_string(height));
  }
  HEARTH_RETURN_IF_ERROR(Validate(b));
  const BlockHeader& h = b.header;
  if (h.height != height) return Status::InvalidArgument("header height differs");
  if (h.suite != genesis.suite || h.chain_id != genesis.chain_id) {
    return Status::InvalidArgument("block of another chain");
  }
  if (h.prev_hash != head.block_hash) return Status::InvalidArgument("prev_hash is not the head");
  if (h.proposer >= genesis.members.size()) return Status::InvalidArgument("unknown proposer");
  uint64_t parent_time = genesis.genesis_time_ms;
  if (head.height > 0) {
    HEARTH_ASSIGN_OR_RETURN(BlockHeader ph, store.Header(head.height));
    parent_time = ph.time_ms;
  }
  if (h.time_ms < parent_time) return Status::InvalidArgument("block time before its parent's");
  // Chain rules in order, then the signatures not verified on admission, in parallel.
  KeyRegistry reg = CommittedRegistry();
  std::vector<size_t> to_verify;
  std::vector<const KeyEntry*> signer_of(b.txs.size(), nullptr);
  std::vector<PublicKey> keys(b.txs.size());
  for (size_t i = 0; i < b.txs.size(); ++i) {
    const Transaction& tx = b.txs[i];
    RuleCheck rc = reg.Check(tx);
    if (!rc.status.ok()) {
      return Status::InvalidArgument("block.txs[" + std::to_string(i) + "]: " + rc.status.ToString());
    }
    if (!mempool.IsVerified(tx) && !verified_outside_pool.Contains(tx)) {
      keys[i] = reg.Find(tx.body().signer)->key;
      to_verify.push_back(i);
    }
    reg.Apply(tx, head.log_size + i);
  }
  std::vector<const Transaction*> txs;
  std::vector<const PublicKey*> tx_keys;
  for (size_t i : to_verify) {
    txs.push_back(&b.txs[i]);
    tx_keys.push_back(&keys[i]);
  }
  const std::vector<Status> results = VerifyInBatches(verify_pool, workers, txs, tx_keys);
  for (size_t k = 0; k < results.size(); ++k) {
    if (!results[k].ok()) {
      return Status::VerifyFailed("block.txs[" + std::to_string(to_verify[k]) +
                                  "]: " + results[k].ToString());
    }
  }
  for (size_t i : to_verify) verified_outside_pool.Add(b.txs[i]);
  HEARTH_ASSIGN_OR_RETURN(BlockRoots roots, store.PreviewRoots(b.txs));
  if (roots.log_size != h.log_size || roots.log_root != h.log_root ||
      roots.index_root != h.index_root || roots.tx_root != h.tx_root) {
    return Status::InvalidArgument("header roots differ from the roots of its transactions");
  }
  return Status::Ok();
}

bool Node::Impl::IsValid(consensus::Height height, const consensus::Value& value) {
  std::shared_ptr<const Block> b = CachedBlock(height, value.id);
  if (!b) {
    auto decoded = DecodeBlock(value.bytes);
    if (!decoded.ok()) return false;
    b = std::make_shared<const Block>(std::move(decoded).value());
    CacheBlock(height, value.id, b);
  }
  Status st = CheckBlock(height, *b);
  if (!st.ok()) {
    Log(LogLevel::kWarn, "invalid block height=" + std::to_string(height) +
                             " proposer=" + std::to_string(b->header.proposer) +
                             " reason=" + st.ToString());
    return false;
  }
  return true;
}

std::optional<consensus::Decided> Node::Impl::GetDecided(consensus::Height height) {
  auto block = store.GetBlock(height);
  auto cert = store.CertificateBytes(height);
  if (!block.ok() || !cert.ok()) return std::nullopt;
  auto c = consensus::DecodeCertificate(*cert);
  if (!c.ok()) return std::nullopt;
  return consensus::Decided{std::move(c).value(), EncodeBlock(*block)};
}

void Node::Impl::Fail(const Status& st) {
  Log(LogLevel::kError, "node stopping: " + st.ToString());
  std::lock_guard lock(stop_mu);
  if (!stopped) {
    stopped = true;
    stop_status = st;
  }
  stop_cv.notify_all();
}

void Node::Impl::Run(consensus::Effects effects) {
  for (size_t i = 0; i < effects.size(); ++i) {
    Status st = RunOne(effects[i]);
    if (!st.ok()) {
      Fail(st);
      return;
    }
  }
}

Status Node::Impl::RunOne(consensus::Effect& e) {
  if (auto* p = std::get_if<consensus::PersistEffect>(&e)) {
    const Bytes state = consensus::EncodeSafetyState(p->state);
    return ReplaceFile(safety_path, AsChars(ByteView(state)), 0600);
  }
  if (auto* b = std::get_if<consensus::BroadcastEffect>(&e)) {
    transport->Broadcast(kChannelConsensus, b->message);
    return Status::Ok();
  }
  if (auto* s = std::get_if<consensus::SendEffect>(&e)) {
    transport->Send(s->to, kChannelConsensus, std::move(s->message));
    return Status::Ok();
  }
  if (auto* t = std::get_if<consensus::TimerEffect>(&e)) {
    auto timer = std::make_shared<asio::steady_timer>(core_io);
    timer->expires_after(std::chrono::milliseconds(t->delay_ticks));
    consensus::Timer which = t->timer;
    timer->async_wait([this, timer, which](const boost::system::error_code& ec) {
      if (ec) return;
      consensus::Effects out;
      Status st = replica->OnTimer(which, &out);
      if (!st.ok()) return Fail(st);
      Run(std::move(out));
    });
    return Status::Ok();
  }
  auto& d = std::get<consensus::DecideEffect>(e);
  return Commit(d.value, d.certificate);
}

Status Node::Impl::Commit(const consensus::Value& value, const consensus::Certificate& cert) {
  const uint64_t height = cert.height;
  std::shared_ptr<const Block> b = CachedBlock(height, value.id);
  if (!b) {
    HEARTH_ASSIGN_OR_RETURN(Block decoded, DecodeBlock(value.bytes));
    b = std::make_shared<const Block>(std::move(decoded));
  }
  HEARTH_ASSIGN_OR_RETURN(CommitCertificate lc, DecodeCertificate(consensus::EncodeCertificate(cert)));
  Status st = CommitVerified(*b, lc);
  if (!st.ok()) {
    if (st.code() == Code::kIOError || st.code() == Code::kFailedPrecondition) {
      return st;  // environment failure: stop; a restart reopens the store
    }
    HEARTH_CHECK_MSG(false, ("a decided block failed to commit: " + st.ToString()).c_str());
  }
  // Let the proposer of the next height fill its block: wait block_interval_ms, longer
  // while nothing is pending, unless this block is old (catching up).
  const uint64_t now = NowMs();
  const bool catching_up = now > b->header.time_ms + 5000;
  ScheduleNextHeight(catching_up ? 0 : config.block_interval_ms, now);
  return Status::Ok();
}

Status Node::Impl::CommitVerified(const Block& b, const CommitCertificate& lc) {
  failpoints.Hit("commit.before_batch");
  HEARTH_RETURN_IF_ERROR(store.CommitBlock(b, lc));
  failpoints.Hit("commit.after_batch");
  AfterCommit(b);
  failpoints.Hit("commit.after_apply");
  if (checks) checks->OnCommitted();
  return Status::Ok();
}

Status Node::Impl::ApplyFollowed(uint64_t height, ByteView block_bytes, ByteView cert_bytes) {
  Status st = VerifyAndCommitFollowed(height, block_bytes, cert_bytes);
  if (st.code() == Code::kIOError) Fail(st);
  return st;
}

Status Node::Impl::VerifyAndCommitFollowed(uint64_t height, ByteView block_bytes, ByteView cert_bytes) {
  auto decoded = DecodeBlock(block_bytes);
  if (!decoded.ok()) return decoded.status().Annotate("block");
  const Block& b = *decoded;
  auto cert = consensus::DecodeCertificate(cert_bytes);
  if (!cert.ok()) return cert.status().Annotate("certificate");
  if (cert->height != height) {
    return Status::InvalidArgument("certificate of height " + std::to_string(cert->height) +
                                   " served for height " + std::to_string(height));
  }
  const Hash32 id = BlockHash(b.header);
  if (id != cert->value_id) {
    return Status::VerifyFailed("certificate is for block " + cert->value_id.Hex() +
                                ", not for the block served (" + id.Hex() + ")");
  }
  HEARTH_RETURN_IF_ERROR(consensus::VerifyCertificate(*cert, verifier));
  HEARTH_RETURN_IF_ERROR(CheckBlock(height, b));
  auto lc = DecodeCertificate(cert_bytes);
  if (!lc.ok()) return lc.status().Annotate("certificate");
  Status st = CommitVerified(b, *lc);
  if (st.code() == Code::kFailedPrecondition) return Status::IOError(st.message());
  return st;
}

void Node::Impl::ScheduleNextHeight(uint64_t delay_ms, uint64_t decided_at) {
  auto timer = std::make_shared<asio::steady_timer>(core_io);
  timer->expires_after(std::chrono::milliseconds(delay_ms));
  timer->async_wait([this, timer, decided_at](const boost::system::error_code& ec) {
    if (ec) return;
    constexpr uint64_t kEmptyBlockIntervalMs = 1000;
    if (mempool.size() == 0 && NowMs() < decided_at + kEmptyBlockIntervalMs) {
      return ScheduleNextHeight(20, decided_at);
    }
    consensus::Effects out;
    Status st = replica->OnDecisionApplied(&out);
    if (!st.ok()) return Fail(st);
    Run(std::move(out));
  });
}

void Node::Impl::AfterCommit(const Block& b) {
  std::vector<Hash32> ids;
  ids.reserve(b.txs.size());
  bool key_events = false;
  const uint64_t first = b.header.log_size - b.txs.size();
  {
    std::lock_guard lock(reg_mu);
    for (size_t i = 0; i < b.txs.size(); ++i) {
      ids.push_back(b.txs[i].id());
      if (b.txs[i].kind() == TxKind::kKeyEvent) {
        committed_reg.Apply(b.txs[i], first + i);
        key_events = true;
      }
    }
    if (key_events) {
      admission_reg = committed_reg;
      std::vector<Transaction> still;
      for (auto& tx : pending_key_events) {
        if (store.LocateTx(tx.id()).ok()) continue;
        if (admission_reg.Check(tx).status.ok()) {
          admission_reg.Apply(tx, kPendingLogIndex);
          still.push_back(tx);
        }
      }
      pending_key_events = std::move(still);
    }
  }
  const uint64_t now = NowMs();
  for (uint64_t t : mempool.RemoveCommitted(ids)) commit_latency.Observe(now > t ? now - t : 0);
  txs_committed += b.txs.size();
  ++blocks_committed;
  Log(b.txs.empty() ? LogLevel::kDebug : LogLevel::kInfo,
      "commit height=" + std::to_string(b.header.height) + " txs=" + std::to_string(b.txs.size()) +
          " log_size=" + std::to_string(b.header.log_size) +
          " mempool=" + std::to_string(mempool.size()));
}

void Node::Impl::OnFrame(uint16_t from, uint8_t channel, Bytes payload) {
  if (channel == kChannelConsensus) {
    asio::post(core_io, [this, p = std::move(payload)] {
      consensus::Effects out;
      Status st = replica->OnMessage(p, &out);
      if (!st.ok()) return Fail(st);
      Run(std::move(out));
    });
    return;
  }
  if (channel == kChannelTxGossip) {
    asio::post(gossip_pool, [this, from, p = std::move(payload)] {
      Reader r(p, "gossip");
      size_t count = 0;
      std::vector<Result<Transaction>> lines;
      if (!r.Count("txs", kGossipBatchMax, 8, &count).ok()) {
        Log(LogLevel::kWarn, "gossip peer=" + std::to_string(from) + " reason=malformed batch");
        return;
      }
      for (size_t i = 0; i < count; ++i) {
        Bytes tx;
        if (!r.Blob("tx", kTransactionBytesMax, &tx).ok()) {
          Log(LogLevel::kWarn, "gossip peer=" + std::to_string(from) + " reason=truncated batch");
          return;
        }
        lines.push_back(Transaction::Decode(tx));
      }
      peer_txs_in += count;
      Admit(std::move(lines), std::nullopt, /*gossip=*/false);
    });
    return;
  }
  Log(LogLevel::kWarn, "frame peer=" + std::to_string(from) + " reason=unknown channel " +
                           std::to_string(channel));
}

Node::Node(NodeConfig config, Genesis genesis)
    : config_(std::move(config)), genesis_(std::move(genesis)) {}

Node::~Node() { Stop(); }

Result<std::unique_ptr<Node>> Node::Create(NodeConfig config, Genesis genesis) {
  HEARTH_RETURN_IF_ERROR(ValidateNodeConfigAgainstGenesis(config, genesis));
  std::unique_ptr<Node> node(new Node(std::move(config), std::move(genesis)));
  const NodeConfig& c = node->config_;
  std::error_code ec;
  std::filesystem::create_directories(c.data_dir, ec);
  if (ec) return Status::IOError("data_dir " + c.data_dir + ": " + ec.message());
  BlockStore::Options opts;
  HEARTH_ASSIGN_OR_RETURN(node->store_, BlockStore::Open(c.data_dir + "/chain", node->genesis_.suite,
                                                        node->genesis_.chain_id,
                                                        node->genesis_.hash, opts));
  node->impl_ = std::make_unique<Impl>(node.get());
  Impl& impl = *node->impl_;
  impl.safety_path = c.data_dir + "/consensus.state";
  HEARTH_RETURN_IF_ERROR(impl.ReplayKeyEvents());
  if (c.is_voter()) {
    auto idx = MemberIndexByName(node->genesis_, c.member_name);
    if (!idx) return Status::InvalidArgument("node.json member_name: no genesis member " + c.member_name);
    impl.self = static_cast<uint16_t>(*idx);
    HEARTH_ASSIGN_OR_RETURN(PrivateKey key, PrivateKey::LoadPemFile(node->genesis_.suite, c.node_key_path));
    impl.signer = std::make_unique<NodeSigner>(std::move(key), node->genesis_.chain_id);
  }
  HEARTH_ASSIGN_OR_RETURN(impl.checks, CheckService::Open(c, node->genesis_, *node->store_, impl.self));
  return node;
}

Status Node::Start() {
  Impl& impl = *impl_;
  if (impl.started.exchange(true)) return Status::FailedPrecondition("node already started");
  api::NameThreads(impl.workers, "verify", [&impl](std::function<void()> f) { asio::post(impl.verify_pool, std::move(f)); });
  api::NameThreads(Impl::kGossipThreads, "gossip-in", [&impl](std::function<void()> f) { asio::post(impl.gossip_pool, std::move(f)); });
  if (config_.is_voter()) {
    TransportConfig tc;
    tc.self = *impl.self;
    HEARTH_ASSIGN_OR_RETURN(HostPort listen, ParseHostPort(config_.p2p_listen, true));
    tc.listen_host = listen.host == "localhost" ? "127.0.0.1" : listen.host;
    tc.listen_port = listen.port;
    HEARTH_ASSIGN_OR_RETURN(tc.key_pem, ReadFile(config_.transport_key_path, "transport key"));
    HEARTH_ASSIGN_OR_RETURN(tc.cert_pem, ReadFile(config_.transport_cert_path, "transport certificate"));
    for (size_t i = 0; i < genesis_.members.size(); ++i) {
      const auto& m = genesis_.members[i];
      HEARTH_ASSIGN_OR_RETURN(HostPort hp, ParseHostPort(m.p2p, true));
      tc.peers.push_back(PeerAddress{static_cast<uint16_t>(i),
                                     hp.host == "localhost" ? "127.0.0.1" : hp.host, hp.port,
                                     m.transport_key});
    }
    impl.transport = std::make_unique<Transport>(
        std::move(tc),
        [&impl](uint16_t from, uint8_t channel, Bytes payload) {
          impl.OnFrame(from, channel, std::move(payload));
        },
        [](uint16_t peer, bool up) {
          Log(LogLevel::kInfo, std::string("peer ") + (up ? "up" : "down") + " peer=" + std::to_string(peer));
        });
    HEARTH_RETURN_IF_ERROR(impl.transport->Start());

    consensus::Config cc;
    cc.self = *impl.self;
    cc.timeouts.propose_ticks = 1000;
    cc.timeouts.prevote_ticks = 500;
    cc.timeouts.precommit_ticks = 500;
    cc.timeouts.delta_ticks = 250;
    cc.timeouts.gossip_ticks = 500;
    cc.value_bytes_max = kBlockBytesMax;
    impl.replica = std::make_unique<consensus::Replica>(cc, impl.signer.get(), &impl.verifier, &impl);
    std::optional<consensus::SafetyState> persisted;
    if (std::filesystem::exists(impl.safety_path)) {
      HEARTH_ASSIGN_OR_RETURN(std::string bytes, ReadSmallFile(impl.safety_path, kSafetyStateBytesMax));
      auto s = consensus::DecodeSafetyState(AsBytes(bytes), kBlockBytesMax);
      if (!s.ok()) return Status::Corruption(impl.safety_path + ": " + s.status().ToString());
      persisted = std::move(s).value();
    }
    const uint64_t next = store_->head().height + 1;
    impl.core_work.emplace(impl.core_io.get_executor());
    impl.core_thread = std::thread([&impl] { impl.core_io.run(); });
    api::SetThreadName(impl.core_thread, "core");
    std::promise<Status> started;
    auto fut = started.get_future();
    asio::post(impl.core_io, [&impl, &started, next, persisted] {
      consensus::Effects out;
      Status st = impl.replica->Start(next, persisted, &out);
      if (st.ok()) impl.Run(std::move(out));
      started.set_value(st);
    });
    HEARTH_RETURN_IF_ERROR(fut.get());
  }
  // Before the API: a check served at once must find the submit path in place.
  impl.checks->Start([&impl](std::vector<Transaction> txs, bool signed_here) {
    std::vector<Result<Transaction>> lines;
    for (const Transaction& tx : txs) {
      if (signed_here) impl.verified_outside_pool.Add(tx);  // signed by this process's node key
      lines.emplace_back(tx);
    }
    // Fresh records are gossiped in batches (QueueAccessGossip); ones resubmitted from the
    // outbox at once, as Admit does for everything else.
    const std::vector<SubmitOutcome> out = impl.Admit(std::move(lines), std::nullopt, /*gossip=*/!signed_here);
    std::vector<Transaction> accepted;
    for (size_t i = 0; i < out.size(); ++i) {
      const SubmitOutcome& o = out[i];
      if (o.kind == SubmitOutcome::Kind::kRejected) Log(LogLevel::kWarn, "outbox: access record rejected: " + o.reason);
      if (signed_here && o.kind == SubmitOutcome::Kind::kAccepted) accepted.push_back(std::move(txs[i]));
    }
    impl.QueueAccessGossip(std::move(accepted));
  });
  {
    HEARTH_ASSIGN_OR_RETURN(impl.tokens,
                            TokenAdmin::Open(config_.tokens, (std::filesystem::path(config_.data_dir) / "tokens-issued.json").string()));
    api::HttpServerConfig hc;
    HEARTH_ASSIGN_OR_RETURN(HostPort listen, ParseHostPort(config_.api_listen, true));
    hc.host = listen.host;
    hc.port = listen.port;
    hc.tls = config_.api_tls;
    if (hc.tls) {
      HEARTH_ASSIGN_OR_RETURN(hc.cert_pem, ReadFile(config_.api_cert_path, "api certificate"));
      HEARTH_ASSIGN_OR_RETURN(hc.key_pem, ReadFile(config_.api_key_path, "api key"));
    }
    // One body up to 128 MiB (a bulk of records), at most 256 MiB of bodies held at once
    // across connections (api.bodies_bytes_max); connections are not the memory bound.
    hc.body_bytes_max = 128u << 20;
    hc.bodies_bytes_max = 256u << 20;
    hc.connections_max = 512;
    hc.log = [](std::string_view line) { Log(LogLevel::kWarn, "api " + std::string(line)); };
    impl.http = std::make_unique<api::HttpServer>(std::move(hc), impl.tokens->store(), nullptr);
    RegisterNodeRoutes(*impl.http, *this);
    RegisterCheckRoutes(*impl.http, *this);
    api::RegisterConsoleRoutes(*impl.http);
    RegisterHouseholdRoutes(*impl.http, *this);
    HEARTH_RETURN_IF_ERROR(impl.http->Start());
  }
  if (!config_.is_voter()) {
    // No P2P listener, no replica, no signer: blocks come from members' APIs and are
    // verified here before they are committed.
    impl.follower = std::make_unique<Follower>(
        config_.follow, [this] { return store_->head().height; },
        [&impl](uint64_t height, ByteView block, ByteView cert) {
          return impl.ApplyFollowed(height, block, cert);
        });
    HEARTH_RETURN_IF_ERROR(impl.follower->Start());
  }
  Log(LogLevel::kInfo, "node started chain=" + genesis_.chain_id + " height=" +
                           std::to_string(store_->head().height) +
                           (impl.self ? " member=" + std::to_string(*impl.self) : std::string(" observer")) +
                           " p2p_port=" + std::to_string(p2p_port()) +
                           " api_port=" + std::to_string(api_port()));
  return Status::Ok();
}

void Node::Stop() {
  if (!impl_) return;
  Impl& impl = *impl_;
  // One caller stops everything; a concurrent caller waits until it is done.
  std::lock_guard stopping(impl.stop_call_mu);
  if (impl.stop_done) return;
  {
    std::lock_guard lock(impl.stop_mu);
    impl.stopped = true;
    impl.stop_cv.notify_all();
  }
  if (impl.follower) impl.follower->Stop();
  if (impl.http) impl.http->Stop();
  if (impl.checks) impl.checks->Stop();
  if (impl.transport) impl.transport->Stop();
  if (impl.core_work) {
    impl.core_work.reset();
    impl.core_io.stop();
  }
  if (impl.core_thread.joinable()) impl.core_thread.join();
  impl.gossip_pool.join();
  impl.verify_pool.join();
  impl.stop_done = true;
}

Status Node::Wait() {
  Impl& impl = *impl_;
  std::unique_lock lock(impl.stop_mu);
  impl.stop_cv.wait(lock, [&] { return impl.stopped; });
  return impl.stop_status;
}

std::optional<uint16_t> Node::member_index() const { return impl_->self; }
Agency Node::agency() const {
  return impl_->self ? genesis_.members[*impl_->self].agency : Agency::kCivilAffairs;
}
const verify::Trust& Node::trust() const { return impl_->checks->trust(); }
const PseudonymKey* Node::pseudonym_key() const { return impl_->checks->pseudonym_key(); }
const PrivateKey* Node::node_signing_key() const { return impl_->checks->node_key(); }
Result<Hash32> Node::RecordAccess(const AccessRecord& record) {
  if (!config_.is_voter()) return Status::FailedPrecondition("an observer signs no access records");
  return impl_->checks->RecordAccess(record);
}
void Node::CountCheckCpu(const CheckCpuSample& sample) {
  const std::array<uint64_t, kCheckCpuPhases.size()> ns = {sample.check.evidence_ns, sample.check.proofs_ns,
                                      sample.check.text_ns,     sample.check.signature_ns,
                                      sample.access_ns,         sample.other_ns};
  for (size_t i = 0; i < ns.size(); ++i) impl_->check_cpu_ns[i].fetch_add(ns[i], std::memory_order_relaxed);
  impl_->check_cpu_checks.fetch_add(1, std::memory_order_relaxed);
}

verify::ChangeWatch* Node::change_watch() { return impl_->checks->watch(); }
TokenAdmin* Node::token_admin() { return impl_->tokens.get(); }

std::optional<Agency> Node::AuthorityAt(const Hash32& signer, uint64_t log_index) const {
  std::lock_guard lock(impl_->reg_mu);
  const KeyEntry* e = impl_->committed_reg.Find(signer);
  if (e == nullptr || (e->revoked_at && log_index > *e->revoked_at)) return std::nullopt;
  return e->agency;
}

uint16_t Node::p2p_port() const { return impl_->transport ? impl_->transport->listen_port() : 0; }
uint16_t Node::api_port() const { return impl_->http ? impl_->http->port() : 0; }
std::vector<std::pair<std::string, std::string>> Node::ApiRoutes() const {
  return impl_->http ? impl_->http->Routes() : std::vector<std::pair<std::string, std::string>>{};
}

std::vector<SubmitOutcome> Node::Submit(std::vector<Result<Transaction>> lines,
                                        std::optional<Agency> only_agency) {
  if (!config_.is_voter()) {
    std::vector<SubmitOutcome> refused(lines.size());
    for (SubmitOutcome& o : refused) o.reason = std::string(kObserverSubmitRefusal);
    return refused;
  }
  return impl_->Admit(std::move(lines), only_agency, /*gossip=*/true);
}

TxStatus Node::GetTxStatus(const Hash32& id) const {
  TxStatus s;
  auto c = store_->GetTx(id);
  if (c.ok()) {
    s.state = TxStatus::State::kCommitted;
    s.committed = std::move(c).value();
    return s;
  }
  if (impl_->mempool.Contains(id)) {
    s.state = TxStatus::State::kPending;
    return s;
  }
  if (auto r = impl_->mempool.DropReason(id)) {
    s.state = TxStatus::State::kDropped;
    s.dropped_reason = *r;
  }
  return s;
}

size_t Node::mempool_size() const { return impl_->mempool.size(); }

uint64_t Node::CommitLatencyQuantileMs(double q) const { return impl_->commit_latency.Quantile(q); }

std::string Node::MetricsText() const {
  const Impl& impl = *impl_;
  const ChainHead head = store_->head();
  std::ostringstream o;
  auto header = [&](std::string_view name, std::string_view help, std::string_view type) {
    o << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
  };
  auto gauge = [&](std::string_view name, std::string_view help, auto v) {
    header(name, help, "gauge");
    o << name << " " << v << "\n";
  };
  auto counter = [&](std::string_view name, std::string_view help, uint64_t v) {
    header(name, help, "counter");
    o << name << " " << v << "\n";
  };
  gauge("hearth_height", "Height of the last committed block.", head.height);
  gauge("hearth_log_size", "Transactions in the global Merkle log.", head.log_size);
  gauge("hearth_mempool_depth", "Transactions admitted and not yet committed.", impl.mempool.size());
  gauge("hearth_txs_committed_total", "Transactions committed since start.", impl.txs_committed.load());
  gauge("hearth_records_accepted_total", "Records accepted by admission since start.", impl.accepted_total.load());
  gauge("hearth_records_duplicate_total", "Records answered as duplicates since start.", impl.duplicate_total.load());
  gauge("hearth_records_retry_later_total", "Records answered retry-later since start.", impl.retry_total.load());
  gauge("hearth_access_gossip_batches_total", "Gossip batches of access records signed here.",
        impl.access_gossip_batches.load());
  gauge("hearth_access_gossip_records_total", "Access records signed here and gossiped in those batches.",
        impl.access_gossip_records.load());
  gauge("hearth_mempool_dropped_total", "Admitted records that could no longer be committed.", impl.mempool.dropped_total());
  if (impl.transport) {
    auto c = impl.transport->counters();
    gauge("hearth_peers_connected", "Peers with an outgoing connection up.", c.peers_connected);
    gauge("hearth_p2p_bad_frames_total", "Garbage frames received.", c.bad_frames);
    gauge("hearth_p2p_oversized_frames_total", "Oversized frames received.", c.oversized_frames);
    gauge("hearth_p2p_handshake_failures_total", "Failed TLS handshakes.", c.handshake_failures);
  }
  o << "# HELP hearth_records_rejected_total Records rejected by admission, by reason.\n"
       "# TYPE hearth_records_rejected_total counter\n";
  {
    std::lock_guard lock(impl.reject_mu);
    for (const auto& [reason, n] : impl.rejected_by_reason) {
      std::string r;
      for (char ch : reason) r += (ch == '"' || ch == '\\' || ch == '\n') ? '_' : ch;
      o << "hearth_records_rejected_total{reason=\"" << r << "\"} " << n << "\n";
    }
  }
  if (impl.follower) o << impl.follower->MetricsText();
  {
    // Where reads are served from: the index's page cache by page level, then LevelDB's
    // table files (a block cache miss each, or a compaction's read).
    const IndexStats ix = store_->index_stats();
    auto by_level = [&](std::string_view name, std::string_view help, const std::vector<uint64_t>& v) {
      header(name, help, "counter");
      for (size_t level = 0; level < v.size(); ++level) {
        o << name << "{level=\"" << level << "\"} " << v[level] << "\n";
      }
    };
    by_level("hearth_index_page_cache_hits_total",
             "Index pages found in the page cache, by page level (depth / 4).", ix.cache_hits_by_level);
    by_level("hearth_index_page_reads_total",
             "Index pages read from the database (page cache misses), by page level.",
             ix.page_reads_by_level);
    const TableReadStats tr = TableReads();
    counter("hearth_db_table_reads_total",
            "Reads of LevelDB table files by this process: block cache misses and compaction reads.",
            tr.reads);
    counter("hearth_db_table_read_bytes_total", "Bytes of those reads.", tr.bytes);
  }
  {
    // Where an answered check's handler time goes, measured on its own thread (CPU time, so
    // the other processes sharing the cores do not count): divide by the checks counted.
    counter("hearth_check_cpu_checks_total", "Checks answered whose CPU time is in hearth_check_cpu_seconds_total.",
            impl.check_cpu_checks.load(std::memory_order_relaxed));
    header("hearth_check_cpu_seconds_total",
           "CPU time of the handler threads of answered checks, by phase: evidence (index walks and proofs, "
           "lists, transactions, the engine), inclusion_proofs, receipt_text, receipt_signature (hash and "
           "signature), access_record (signed, made durable, submitted), other (body, pseudonyms, checkpoint).",
           "counter");
    for (size_t i = 0; i < kCheckCpuPhases.size(); ++i) {
      const uint64_t ns = impl.check_cpu_ns[i].load(std::memory_order_relaxed);
      char seconds[32];
      std::snprintf(seconds, sizeof seconds, "%llu.%09llu", static_cast<unsigned long long>(ns / 1'000'000'000u),
                    static_cast<unsigned long long>(ns % 1'000'000'000u));
      o << "hearth_check_cpu_seconds_total{phase=\"" << kCheckCpuPhases[i] << "\"} " << seconds << "\n";
    }
  }
  o << impl.commit_latency.Text("hearth_commit_latency_seconds",
                                "Time from admission to commit of each transaction.");
  return o.str();
}

}  // namespace hearth::node
