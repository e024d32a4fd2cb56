// Node support pieces apart from the node's state: the wall clock in milliseconds, crash-test
// failpoints, the parallel loop that admission uses for signatures, the commit-latency
// histogram and the names of submission outcomes (node_internal.h, node.h).
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>

#include "hearth/node/log.h"
#include "hearth/node/node.h"
#include "node_internal.h"

namespace hearth::node {

Failpoints::Failpoints() {
  const char* env = std::getenv("HEARTH_FAILPOINT");
  if (env == nullptr) return;
  std::string s(env);
  auto at = s.find('@');
  name_ = s.substr(0, at);
  if (at != std::string::npos) remaining_ = std::strtoull(s.c_str() + at + 1, nullptr, 10);
  if (remaining_ == 0) remaining_ = 1;
}

void Failpoints::Hit(std::string_view name) {
  if (name_.empty() || name != name_) return;
  if (--remaining_ == 0) {
    Log(LogLevel::kWarn, "failpoint " + name_ + ": killing the process");
    ::kill(::getpid(), SIGKILL);
  }
}

uint64_t NowMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

std::vector<Status> VerifyInBatches(asio::thread_pool& pool, size_t workers,
                                    std::span<const Transaction* const> txs,
                                    std::span<const PublicKey* const> keys) {
  HEARTH_CHECK(txs.size() == keys.size());
  const size_t n = txs.size();
  std::vector<Status> out(n);
  if (n == 0) return out;
  const size_t threads = std::max<size_t>(workers, 1);
  const size_t batch = std::clamp<size_t>((n + threads - 1) / threads, 1, kSignatureBatchMax);
  const size_t batches = (n + batch - 1) / batch;
  ParallelFor(pool, workers, batches, [&](size_t b) {
    const size_t begin = b * batch;
    const size_t len = std::min(batch, n - begin);
    std::vector<Status> got = Transaction::VerifySignatures(txs.subspan(begin, len),
                                                            keys.subspan(begin, len));
    for (size_t k = 0; k < len; ++k) out[begin + k] = std::move(got[k]);
  });
  return out;
}

void ParallelFor(asio::thread_pool& pool, size_t workers, size_t n,
                 const std::function<void(size_t)>& fn) {
  if (n == 0) return;
  if (n < 8 || workers <= 1) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  // The caller works too, and waits for items, not for tasks: a task that starts late (the
  // pool busy with other batches) finds nothing left and touches only the shared state, so
  // nested or concurrent calls on one pool cannot deadlock.
  struct State {
    std::atomic<size_t> next{0};
    size_t n = 0;
    const std::function<void(size_t)>* fn = nullptr;
    std::mutex mu;
    std::condition_variable cv;
    size_t done = 0;
  };
  auto st = std::make_shared<State>();
  st->n = n;
  st->fn = &fn;
  auto work = [](const std::shared_ptr<State>& s) {
    size_t did = 0;
    for (size_t i = s->next.fetch_add(1); i < s->n; i = s->next.fetch_add(1)) {
      (*s->fn)(i);
      ++did;
    }
    if (did == 0) return;
    std::lock_guard lock(s->mu);
    s->done += did;
    if (s->done == s->n) s->cv.notify_all();
  };
  for (size_t p = 1; p < std::min(workers, n); ++p) asio::post(pool, [st, work] { work(st); });
  work(st);
  std::unique_lock lock(st->mu);
  st->cv.wait(lock, [&] { return st->done == st->n; });
}

void LatencyHistogram::Observe(uint64_t ms) {
  std::lock_guard lock(mu_);
  size_t i = 0;
  while (i < std::size(kBounds) && ms > kBounds[i]) ++i;
  ++counts_[i];
  sum_ += ms;
  ++total_;
}

std::string LatencyHistogram::Text(std::string_view name, std::string_view help) const {
  std::lock_guard lock(mu_);
  std::ostringstream o;
  o << "# HELP " << name << " " << help << "\n# TYPE " << name << " histogram\n";
  uint64_t cum = 0;
  for (size_t i = 0; i < std::size(kBounds); ++i) {
    cum += counts_[i];
    o << name << "_bucket{le=\"" << static_cast<double>(kBounds[i]) / 1000.0 << "\"} " << cum << "\n";
  }
  cum += counts_[std::size(kBounds)];
  o << name << "_bucket{le=\"+Inf\"} " << cum << "\n";
  o << name << "_sum " << static_cast<double>(sum_) / 1000.0 << "\n";
  o << name << "_count " << total_ << "\n";
  return o.str();
}

uint64_t LatencyHistogram::Quantile(double q) const {
  std::lock_guard lock(mu_);
  if (total_ == 0) return 0;
  const double want = q * static_cast<double>(total_);
  uint64_t cum = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    cum += counts_[i];
    if (static_cast<double>(cum) >= want) return i < std::size(kBounds) ? kBounds[i] : UINT64_MAX;
  }
  return UINT64_MAX;
}

std::string_view SubmitKindName(SubmitOutcome::Kind k) {
  switch (k) {
    case SubmitOutcome::Kind::kAccepted: return "accepted";
    case SubmitOutcome::Kind::kDuplicate: return "duplicate";
    case SubmitOutcome::Kind::kRejected: return "rejected";
    case SubmitOutcome::Kind::kRetryLater: return "retry_later";
  }
  return "?";
}

}  // namespace hearth::node
