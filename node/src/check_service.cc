#include "check_service.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <random>

#include "hearth/api/thread_name.h"
#include "hearth/node/log.h"
#include "hearth/node/trust.h"

namespace hearth::node {
namespace {

constexpr auto kWatchPeriod = std::chrono::seconds(1);
constexpr auto kOutboxPeriod = std::chrono::seconds(3);
constexpr uint64_t kWatchHeightsPerStep = 64;
// The watch is background work: catching up after a large ingest (hundreds of blocks) must
// not take cores from checks, admission and consensus. Its thread runs at this nice value
// (Linux schedules threads individually), so it uses what they leave.
constexpr int kWatchNice = 10;

}  // namespace

Result<std::unique_ptr<CheckService>> CheckService::Open(const NodeConfig& config, const Genesis& genesis,
                                                         const BlockStore& store, std::optional<uint16_t> self) {
  std::unique_ptr<CheckService> s(new CheckService(genesis, store));
  s->trust_ = TrustFromGenesis(genesis);
  if (!config.pseudonym_key_path.empty()) {
    Result<PseudonymKey> k = PseudonymKey::LoadFile(config.pseudonym_key_path);
    if (!k.ok()) return k.status().Annotate("node.json pseudonym_key_path");
    s->pseudonym_ = *k;
  }
  if (self) {
    HEARTH_ASSIGN_OR_RETURN(PrivateKey key, PrivateKey::LoadPemFile(genesis.suite, config.node_key_path));
    s->node_key_ = std::move(key);
    HEARTH_ASSIGN_OR_RETURN(s->outbox_, Outbox::Open(config.data_dir + "/outbox.bin"));
  }
  HEARTH_ASSIGN_OR_RETURN(s->watch_, verify::ChangeWatch::Open(config.data_dir + "/watch", store, s->trust_));
  std::random_device rd;
  s->nonce_ = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  return s;
}

CheckService::~CheckService() { Stop(); }

void CheckService::Start(SubmitFn submit) {
  submit_ = std::move(submit);
  if (outbox_ && outbox_->size() > 0) {
    Log(LogLevel::kInfo, "outbox: resubmitting " + std::to_string(outbox_->size()) + " access records");
  }
  thread_ = std::thread([this] { Loop(); });
  api::SetThreadName(thread_, "watch");
}

void CheckService::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void CheckService::OnCommitted() {
  std::lock_guard lock(mu_);
  kicked_ = true;
  cv_.notify_all();
}

Result<Hash32> CheckService::RecordAccess(const AccessRecord& record) {
  if (!node_key_ || !outbox_) return Status::FailedPrecondition("an observer signs no access records");
  HEARTH_RETURN_IF_ERROR(Validate(record));
  TxBody body;
  body.suite = genesis_.suite;
  body.chain_id = genesis_.chain_id;
  body.issued_at_ms = record.access_time_ms;
  body.nonce = nonce_.fetch_add(1);
  body.payload = record;
  HEARTH_ASSIGN_OR_RETURN(Transaction tx, Transaction::Sign(std::move(body), *node_key_));
  if (!key_checked_.load(std::memory_order_acquire)) {
    // Once per process: the key's signatures verify, so the ones that follow need not be
    // verified again on admission (every other node still verifies each of them).
    Status st = tx.VerifySignature(node_key_->public_key());
    if (!st.ok()) return Status::Internal("node key: its own signature does not verify: " + st.ToString());
    key_checked_.store(true, std::memory_order_release);
  }
  HEARTH_RETURN_IF_ERROR(outbox_->Append(tx));
  const Hash32 id = tx.id();
  if (submit_) submit_({std::move(tx)}, /*signed_here=*/true);
  return id;
}

void CheckService::Loop() {
  const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
  if (::setpriority(PRIO_PROCESS, tid, kWatchNice) != 0) {
    Log(LogLevel::kWarn, std::string("watch: could not lower the thread's priority: ") + std::strerror(errno));
  }
  auto next_outbox = std::chrono::steady_clock::now();
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, kWatchPeriod, [&] { return stop_ || kicked_; });
      if (stop_) return;
      kicked_ = false;
    }
    Status st = watch_->CatchUp(kWatchHeightsPerStep);
    if (!st.ok()) {
      Log(LogLevel::kWarn, "watch: " + st.ToString() + " (retried in a second)");
    } else if (watch_->processed_height() < store_.head().height) {
      OnCommitted();  // more to do at once; after a failure, wait for the period instead
    }
    if (outbox_ && std::chrono::steady_clock::now() >= next_outbox) {
      Maintain();
      next_outbox = std::chrono::steady_clock::now() + kOutboxPeriod;
    }
  }
}

void CheckService::Maintain() {
  std::vector<Transaction> pending;
  bool any_committed = false;
  for (Transaction& tx : outbox_->Entries()) {
    if (store_.LocateTx(tx.id()).ok()) {
      any_committed = true;
    } else {
      pending.push_back(std::move(tx));
    }
  }
  if (!pending.empty() && submit_) submit_(std::move(pending), /*signed_here=*/false);
  if (any_committed) {
    Status st = outbox_->Compact([this](const Hash32& id) { return store_.LocateTx(id).ok(); });
    if (!st.ok()) Log(LogLevel::kWarn, "outbox: " + st.ToString());
  }
}

}  // namespace hearth::node
