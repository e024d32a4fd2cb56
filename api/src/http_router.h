// http_router.h (internal): request-target parsing, route matching, authorization and the
// request metrics of the HTTP server. No sockets here: everything is a pure function or a
// mutex-guarded table, so it is tested through the server and reasoned about alone.
// Thread-safety: Router is immutable once the server started (Find/List from any thread);
// Metrics methods are thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "hearth/api/http_server.h"
#include "hearth/api/tokens.h"

namespace hearth::api::internal {

struct Target {
  std::string path;                   // as sent, without the query
  std::vector<std::string> segments;  // percent-decoded path segments
  std::map<std::string, std::string> query;
};
// origin-form only ("/path?query"); InvalidArgument for anything else, bad percent escapes
// or a repeated query parameter.
Result<Target> ParseTarget(std::string_view target);

class Router {
 public:
  void Add(Route route);  // CHECKs the REQUIRES of HttpServer::AddRoute

  struct Match {
    const std::string* pattern = nullptr;  // set when some pattern matches the path
    const Route* route = nullptr;          // set when the method matches too
    std::string allowed;                   // "GET, POST": methods of the pattern (for 405)
    std::map<std::string, std::string> params;
  };
  // The most specific pattern (literal segments beat parameters, left to right).
  Match Find(std::string_view method, const std::vector<std::string>& segments) const;
  std::vector<std::pair<std::string, std::string>> List() const;

 private:
  struct Pattern {
    std::string text;
    std::vector<std::string> parts;  // literal text, or the parameter name
    std::vector<bool> is_param;
    std::vector<Route> routes;       // one per method
  };
  std::vector<Pattern> patterns_;
  std::vector<std::pair<std::string, std::string>> list_;
};

struct Refusal {
  unsigned status = 400;
  std::string code;    // the JSON "error" code
  std::string reason;  // the metrics reason
  std::string message;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Decides whether a request with this Authorization header (empty when absent) may use a
// route with `roles`. Sets *principal when a valid token was presented (also on open
// routes, which never refuse).
std::optional<Refusal> Authorize(const std::vector<Role>& roles, std::string_view authorization,
                                 const TokenStore* tokens, uint64_t now_ms,
                                 std::optional<Principal>* principal);

class Metrics {
 public:
  void Response(std::string_view route, std::string_view method, unsigned status);
  void Refusal(std::string_view route, std::string_view reason);
  void Count(std::string_view counter);  // connections_refused, handler_exceptions, ...
  void AddOpen(int64_t delta);
  std::string Text() const;

 private:
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, unsigned>, uint64_t> responses_;
  std::map<std::pair<std::string, std::string>, uint64_t> refusals_;
  std::map<std::string, uint64_t> counters_;
  int64_t open_ = 0;
};

}  // namespace hearth::api::internal
