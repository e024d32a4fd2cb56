// observer.h (private to node/): the follower of a non-voting observer node
// (docs/NODE.md "Observer"). It fetches decided blocks with their certificates from members'
// HTTPS APIs (GET /v1/blocks?from=&to=, at most kBlocksPerRangeMax per call) and hands each
// one, in height order, to the node's apply function, which verifies it exactly as a voter
// verifies a decided block fetched in catch-up before committing it. The follower itself
// trusts nothing it receives: it only moves bytes and picks members.
//
// Contract:
//  - One member at a time, starting with follow[0]. A member that cannot be reached, answers
//    an HTTP error or a malformed answer, serves a block the apply function rejects, or gives
//    no new block for kFollowStallMs while the observer could be behind, is logged (member
//    URL, height, reason), counted in MetricsText by member and reason, and the next member
//    is tried. After every member failed in a row, it waits kFollowRetryMs, doubled for each
//    further such round up to kFollowRetryMaxMs, until a member serves a block again.
//  - The apply function returns OK (committed), an IOError (the node's own environment
//    failed: the follower stops; the node stops itself), or any other error (the block is
//    bad: the member is blamed).
//  - Every HTTP call is bounded by kFollowCallTimeoutMs; Stop() returns within about that.
// Thread-safety: Start/Stop from one thread; MetricsText from any thread. The apply and head
// functions are called on the follower's own thread only.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "hearth/base/bytes.h"
#include "hearth/base/status.h"
#include "hearth/node/http_client.h"
#include "hearth/node/node_config.h"

namespace hearth::node {

inline constexpr uint64_t kFollowPollMs = 200;         // pause when caught up
inline constexpr uint64_t kFollowRetryMs = 1000;       // pause after every member failed,
inline constexpr uint64_t kFollowRetryMaxMs = 10000;   // doubling per such round up to this
inline constexpr uint64_t kFollowStallMs = 5000;       // no new block for this long: next member
inline constexpr uint64_t kFollowCallTimeoutMs = 15000;

class Follower {
 public:
  // Verifies and commits the block at `height` (canonical block and certificate bytes).
  using ApplyFn = std::function<Status(uint64_t height, ByteView block, ByteView certificate)>;
  using HeadFn = std::function<uint64_t()>;

  Follower(std::vector<FollowTarget> targets, HeadFn head, ApplyFn apply);
  ~Follower();
  Follower(const Follower&) = delete;
  Follower& operator=(const Follower&) = delete;

  // Reads every member's certificate and token; starts the thread.
  Status Start();
  void Stop();  // idempotent

  std::string MetricsText() const;

 private:
  struct Member {
    FollowTarget target;
    std::string authorization;  // "Bearer <token>"
    std::unique_ptr<HttpClient> client;
  };
  // One block of an answer.
  struct Fetched {
    uint64_t height = 0;
    Bytes block, certificate;
  };

  void Run();
  // Asks `m` for blocks from `from`; sets *member_head. `reason` names the failure class.
  Result<std::vector<Fetched>> Fetch(Member& m, uint64_t from, uint64_t* member_head,
                                     std::string* reason);
  void Blame(size_t member, const std::string& reason, uint64_t height, const std::string& why);
  bool SleepMs(uint64_t ms);  // false when stopping

  std::vector<Member> members_;
  HeadFn head_;
  ApplyFn apply_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;

  std::atomic<size_t> current_{0};
  std::atomic<uint64_t> applied_{0};
  std::atomic<uint64_t> member_head_{0};
  mutable std::mutex metrics_mu_;
  std::map<std::pair<size_t, std::string>, uint64_t> failures_;  // (member, reason) -> count
};

}  // namespace hearth::node
