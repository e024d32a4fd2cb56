// node_internal.h: constants and helpers of node.cc (runtime, consensus, commit, admission)
// kept apart from it, so that the admission pipeline can move to a file of its own.
#pragma once

#include <boost/asio.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "hearth/consensus/replica.h"
#include "hearth/node/chain_rules.h"
#include "hearth/node/mempool.h"
#include "hearth/node/node.h"
#include "hearth/node/transport.h"

namespace hearth::node {

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

}  // namespace hearth::node
