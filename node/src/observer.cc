// observer.cc: see observer.h.
#include "observer.h"

#include <algorithm>
#include <chrono>
#include <sstream>

#include <nlohmann/json.hpp>

#include "hearth/api/thread_name.h"
#include "hearth/node/genesis.h"
#include "hearth/node/log.h"
#include "hearth/node/node_api.h"

namespace hearth::node {

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

constexpr size_t kCertificatePemBytesMax = 64 * 1024;

std::string Escape(std::string_view s) {
  std::string out;
  for (char ch : s) out += (ch == '"' || ch == '\\' || ch == '\n') ? '_' : ch;
  return out;
}

// The first line of an error body, shortened, for logs.
std::string Snippet(std::string_view body) {
  std::string s(body.substr(0, std::min<size_t>(body.size(), 200)));
  for (char& ch : s) {
    if (ch == '\n' || ch == '\r') ch = ' ';
  }
  return s;
}

}  // namespace

Follower::Follower(std::vector<FollowTarget> targets, HeadFn head, ApplyFn apply)
    : head_(std::move(head)), apply_(std::move(apply)) {
  for (FollowTarget& t : targets) members_.push_back(Member{std::move(t), "", nullptr});
}

Follower::~Follower() { Stop(); }

Status Follower::Start() {
  HEARTH_CHECK(!members_.empty());
  for (size_t i = 0; i < members_.size(); ++i) {
    Member& m = members_[i];
    const std::string field = "follow[" + std::to_string(i) + "]";
    std::string pem;
    if (!m.target.api_cert_path.empty()) {
      auto r = ReadSmallFile(m.target.api_cert_path, kCertificatePemBytesMax);
      if (!r.ok()) return r.status().Annotate(field + ".api_cert_path");
      pem = std::move(r).value();
    }
    auto client = HttpClient::Create(m.target.url, pem);
    if (!client.ok()) return client.status().Annotate(field + ".api_cert_path");
    m.client = std::move(client).value();
    auto token = ReadFollowToken(m.target.token_path);
    if (!token.ok()) return token.status().Annotate(field + ".token_path");
    m.authorization = "Bearer " + *token;
  }
  thread_ = std::thread([this] { Run(); });
  api::SetThreadName(thread_, "follower");
  return Status::Ok();
}

void Follower::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool Follower::SleepMs(uint64_t ms) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stopping_; });
  return !stopping_;
}

void Follower::Blame(size_t member, const std::string& reason, uint64_t height,
                     const std::string& why) {
  {
    std::lock_guard lock(metrics_mu_);
    ++failures_[{member, reason}];
  }
  const size_t next = (member + 1) % members_.size();
  Log(LogLevel::kWarn, "observer member=" + members_[member].target.url +
                           " height=" + std::to_string(height) + " reason=" + reason + ": " + why +
                           (next == member ? std::string("; retrying it")
                                           : "; trying member=" + members_[next].target.url));
}

Result<std::vector<Follower::Fetched>> Follower::Fetch(Member& m, uint64_t from,
                                                       uint64_t* member_head,
                                                       std::string* reason) {
  const std::string target = "/v1/blocks?from=" + std::to_string(from) +
                             "&to=" + std::to_string(from + kBlocksPerRangeMax - 1);
  *reason = "unreachable";
  HEARTH_ASSIGN_OR_RETURN(
      HttpReply reply,
      m.client->Call("GET", target, "", {{"Authorization", m.authorization}}, kFollowCallTimeoutMs));
  if (reply.status != 200) {
    *reason = "http_error";
    return Status::FailedPrecondition("GET " + target + " answered HTTP " +
                                      std::to_string(reply.status) + ": " + Snippet(reply.body));
  }
  *reason = "malformed";
  HEARTH_ASSIGN_OR_RETURN(json doc, ParseJsonStrict(reply.body, "blocks answer", kHttpReplyBytesMax));
  HEARTH_ASSIGN_OR_RETURN(JsonFields o, JsonFields::Of(doc, "blocks answer"));
  HEARTH_ASSIGN_OR_RETURN(*member_head, o.Unsigned("head"));
  HEARTH_ASSIGN_OR_RETURN(const json* blocks, o.Array("blocks"));
  if (blocks->size() > kBlocksPerRangeMax) {
    return Status::InvalidArgument("blocks answer: " + std::to_string(blocks->size()) +
                                   " blocks, asked for at most " +
                                   std::to_string(kBlocksPerRangeMax));
  }
  std::vector<Fetched> out;
  for (size_t i = 0; i < blocks->size(); ++i) {
    HEARTH_ASSIGN_OR_RETURN(JsonFields b,
                            JsonFields::Of((*blocks)[i], "blocks answer.blocks[" + std::to_string(i) + "]"));
    Fetched f;
    HEARTH_ASSIGN_OR_RETURN(f.height, b.Unsigned("height"));
    if (f.height != from + i) {
      return Status::InvalidArgument(b.PathOf("height") + ": " + std::to_string(f.height) +
                                     ", expected " + std::to_string(from + i));
    }
    HEARTH_ASSIGN_OR_RETURN(std::string block_hex, b.String("block"));
    HEARTH_ASSIGN_OR_RETURN(std::string cert_hex, b.String("certificate"));
    auto block = FromHex(block_hex);
    if (!block.ok()) return block.status().Annotate(b.PathOf("block"));
    auto cert = FromHex(cert_hex);
    if (!cert.ok()) return cert.status().Annotate(b.PathOf("certificate"));
    f.block = std::move(block).value();
    f.certificate = std::move(cert).value();
    out.push_back(std::move(f));
  }
  if (out.empty() && *member_head >= from) {
    return Status::InvalidArgument("blocks answer: no blocks, though its head " +
                                   std::to_string(*member_head) + " is at or above " +
                                   std::to_string(from));
  }
  return out;
}

void Follower::Run() {
  const size_t n = members_.size();
  size_t failed_in_row = 0;
  unsigned failed_rounds = 0;  // rounds in a row in which every member failed
  auto last_progress = Clock::now();
  auto rotate = [&](size_t from_member) {
    current_ = (from_member + 1) % n;
    last_progress = Clock::now();
    ++failed_in_row;
    if (failed_in_row >= n) {
      failed_in_row = 0;
      const uint64_t wait = std::min(kFollowRetryMs << std::min(failed_rounds, 4u), kFollowRetryMaxMs);
      ++failed_rounds;
      return SleepMs(wait);
    }
    return SleepMs(0);
  };
  Log(LogLevel::kInfo, "observer following member=" + members_[current_].target.url + " from height=" +
                           std::to_string(head_() + 1));
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    const size_t cur = current_;
    Member& m = members_[cur];
    const uint64_t next = head_() + 1;
    uint64_t member_head = 0;
    std::string reason;
    Result<std::vector<Fetched>> got = Fetch(m, next, &member_head, &reason);
    if (!got.ok()) {
      Blame(cur, reason, next, got.status().ToString());
      if (!rotate(cur)) return;
      continue;
    }
    member_head_ = member_head;
    bool bad = false;
    for (const Fetched& f : *got) {
      Status st = apply_(f.height, f.block, f.certificate);
      if (st.code() == Code::kIOError) {
        Log(LogLevel::kError, "observer stops following: " + st.ToString());
        return;
      }
      if (!st.ok()) {
        Blame(cur, "bad_block", f.height, st.ToString());
        bad = true;
        break;
      }
      ++applied_;
    }
    if (bad) {
      if (!rotate(cur)) return;
      continue;
    }
    if (!got->empty()) {
      failed_in_row = 0;
      failed_rounds = 0;
      last_progress = Clock::now();
      continue;  // maybe more: ask again at once
    }
    // Nothing new from this member. An idle chain still makes about one block a second, so
    // a member silent this long is probably behind the others (or cut off from them).
    if (n > 1 && Clock::now() - last_progress > std::chrono::milliseconds(kFollowStallMs)) {
      Blame(cur, "stalled", next,
            "no new block for " + std::to_string(kFollowStallMs) + " ms (its head " +
                std::to_string(member_head) + ")");
      current_ = (cur + 1) % n;
      last_progress = Clock::now();
    }
    if (!SleepMs(kFollowPollMs)) return;
  }
}

std::string Follower::MetricsText() const {
  std::ostringstream o;
  const size_t cur = current_;
  o << "# HELP hearth_observer_blocks_applied_total Blocks fetched from members, verified and "
       "committed since start.\n# TYPE hearth_observer_blocks_applied_total counter\n"
    << "hearth_observer_blocks_applied_total " << applied_.load() << "\n";
  o << "# HELP hearth_observer_member_head Head height the followed member last reported.\n"
       "# TYPE hearth_observer_member_head gauge\nhearth_observer_member_head "
    << member_head_.load() << "\n";
  o << "# HELP hearth_observer_following 1 for the member being followed now.\n"
       "# TYPE hearth_observer_following gauge\n";
  for (size_t i = 0; i < members_.size(); ++i) {
    o << "hearth_observer_following{member=\"" << Escape(members_[i].target.url) << "\"} "
      << (i == cur ? 1 : 0) << "\n";
  }
  o << "# HELP hearth_observer_member_failures_total Failures of followed members, by member "
       "and reason (unreachable, http_error, malformed, bad_block, stalled).\n"
       "# TYPE hearth_observer_member_failures_total counter\n";
  std::lock_guard lock(metrics_mu_);
  for (const auto& [key, count] : failures_) {
    o << "hearth_observer_member_failures_total{member=\"" << Escape(members_[key.first].target.url)
      << "\",reason=\"" << key.second << "\"} " << count << "\n";
  }
  return o.str();
}

}  // namespace hearth::node
