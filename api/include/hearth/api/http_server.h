// http_server.h: the node's HTTPS/JSON server (Boost.Beast): routing, bearer-token
// authentication and roles, limits, JSON errors and request metrics. The node registers
// routes and handlers; docs/API.md describes the behaviour seen by clients.
//
// Contract:
//  - TLS (1.2 or later) unless config.tls is false, which Start() allows only when the host is
//    a loopback address ("127.0.0.1", "::1", "localhost"). HTTP/1.1 with keep-alive.
//  - Per request, in this order: a malformed request or target -> 400 (431 for a header over
//    kHeaderBytesMax); no route pattern matches the path -> 404; the pattern matches but not
//    the method -> 405 with Allow; the route has roles and the bearer token is missing,
//    unknown or expired -> 401 (with WWW-Authenticate); the principal's role is not in the
//    route's roles -> 403; the body exceeds body_bytes_max -> 413 (a declared Content-Length
//    is judged before any body byte is read; a chunked body when the limit is crossed).
//    Refusals never reach the handler. "Expect: 100-continue" is answered after these checks.
//  - When a refusal leaves an unread body, the response carries "Connection: close" and the
//    server stops reading that connection (after draining a bounded amount, so the client
//    sees the response rather than a reset).
//  - Every error body is JSON {"error": code, "message": text} (JsonError). A handler that
//    throws gets a 500 "internal" answer; the server keeps running.
//  - Handlers run on a pool of handler_threads, never on the IO threads, so a handler may
//    block (e.g. a bulk submit waiting for verification) without stalling other connections.
//    Each connection has at most one request in a handler at a time.
//  - Stop() (also run by the destructor) closes the listener and every connection, waits for
//    running handlers to return, and joins every thread it started. A server starts once.
// Thread-safety: AddRoute before Start() only, from one thread. Start/Stop from one thread.
// port(), Routes() and MetricsText() may be called from any thread once Start() returned.
// Handlers are called concurrently from several pool threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hearth/api/tokens.h"
#include "hearth/base/status.h"

namespace hearth::api {

inline constexpr size_t kHeaderBytesMax = 16 * 1024;

struct HttpRequest {
  std::string method;  // as sent: "GET", "POST", ...
  std::string path;    // the target's path as sent (still percent-encoded), without query
  std::map<std::string, std::string> query;        // percent-decoded ('+' is a space)
  std::map<std::string, std::string> path_params;  // "{id}" -> percent-decoded segment
  std::string body;
  std::optional<Principal> principal;  // set when a valid token was presented
  std::string content_type;            // the Content-Type header, as sent
};

struct HttpResponse {
  unsigned status = 200;  // 100..599; anything else is answered as 500
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers, e.g. Retry-After
};

// {"error": code, "message": message} with the given status.
HttpResponse JsonError(unsigned status, std::string_view code, std::string_view message);

struct Route {
  std::string method;   // exact, e.g. "GET"
  std::string pattern;  // "/v1/tx/{id}": literal segments and whole-segment {name} parameters
  std::vector<Role> roles;  // who may call it; empty = no authentication needed
  std::function<HttpResponse(const HttpRequest&)> handler;
};

struct HttpServerConfig {
  std::string host = "127.0.0.1";  // an IP address, or "localhost"
  uint16_t port = 0;               // 0: any free port (see HttpServer::port())
  bool tls = true;
  std::string cert_pem, key_pem;   // PEM certificate (chain) and private key, when tls
  size_t body_bytes_max = 64 << 20;
  // Request bodies held at once across all connections: a body is reserved at its
  // Content-Length (body_bytes_max when chunked) before it is read and released when its
  // handler returns; beyond the budget a request is answered 503 "busy" with Retry-After
  // (its body unread). So memory for bodies is bounded by this, not by connections_max x
  // body_bytes_max. REQUIRES: >= body_bytes_max.
  size_t bodies_bytes_max = 256 << 20;
  size_t threads = 2;              // IO threads (accept, TLS, parsing, writing)
  size_t handler_threads = 8;      // threads that run handlers
  size_t connections_max = 512;    // further connections are closed at once
  uint64_t header_timeout_ms = 30'000;   // TLS handshake, request header, keep-alive idle
  uint64_t body_timeout_ms = 300'000;    // reading one request body
  uint64_t write_timeout_ms = 60'000;    // writing one response
  // Called (from any server thread) for handler exceptions and accept failures; may be empty.
  std::function<void(std::string_view)> log;
};

class HttpServer {
 public:
  // `tokens` may be null (then every route with roles answers 401) and must outlive the
  // server. `now_ms` gives unix milliseconds for token expiry; empty = the system clock.
  HttpServer(HttpServerConfig config, const TokenStore* tokens, std::function<uint64_t()> now_ms);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // REQUIRES: not started; the pattern is well formed ("/"-separated, each segment a
  // literal or "{name}"); no other route has the same method and pattern; handler set.
  void AddRoute(Route route);

  // Binds and starts serving. FailedPrecondition for plain HTTP on a non-loopback host or a
  // second Start; InvalidArgument for a bad host, certificate, key or limit; IOError when
  // the address cannot be bound.
  Status Start();
  uint16_t port() const;  // the bound port (after Start), else 0
  void Stop();

  // (method, pattern) of every route, in registration order.
  std::vector<std::pair<std::string, std::string>> Routes() const;
  // Prometheus text: hearth_api_requests_total{route,method,status},
  // hearth_api_refusals_total{route,reason} (reasons: bad_request, not_found,
  // method_not_allowed, unauthenticated, expired, forbidden, body_too_large, busy), open and
  // refused connections, handler exceptions. Unmatched paths count as route="unmatched".
  std::string MetricsText() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hearth::api
