// http_client.h: a small blocking HTTP/1.1 client (Boost.Beast + OpenSSL) for the CLI's talks
// with a node's API: `hearth devnet status`, `hearth submit`, scripts and tests.
//
// Contract:
//  - base_url is "https://host:port" or "http://host:port" (genesis.h ParseApiUrl).
//  - HTTPS trusts exactly the certificate(s) in `ca_cert_pem` (a node's self-signed API
//    certificate): they are the only trust anchors, the system store is never read. The
//    server certificate must also name the host (SAN IP for an IP literal, DNS otherwise).
//    An empty ca_cert_pem with https is InvalidArgument (never "trust anything").
//  - `timeout_ms` bounds one call as a whole (resolve, connect, handshake, write, read).
//  - A connection failure, TLS failure or timeout is Unavailable naming the URL; any HTTP
//    answer (also 4xx/5xx) is an HttpReply. A body over body_bytes_max is OutOfRange.
// Thread-safety: HttpCall is thread-safe (each call has its own state). An HttpClient is
// used by one thread at a time.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "hearth/base/status.h"

namespace hearth::node {

// Largest response body accepted (a bulk answer of 10^5 lines is ~20 MB).
inline constexpr uint64_t kHttpReplyBytesMax = 256ull << 20;

struct HttpReply {
  unsigned status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // names lower-cased; a repeated name: last
};

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// A keep-alive connection to one server, reopened when the server closed it. A call on a
// reused connection that fails before any answer is retried once on a fresh connection, so
// use it for idempotent requests (GETs; record submissions, which the node deduplicates).
class HttpClient {
 public:
  // Checks the URL and loads the certificate; errors name what is wrong.
  static Result<std::unique_ptr<HttpClient>> Create(const std::string& base_url,
                                                    const std::string& ca_cert_pem);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // `target` is the path with its query ("/healthz"). Adds Host, User-Agent, and
  // Content-Length when there is a body; `headers` may add or replace any of them.
  Result<HttpReply> Call(const std::string& method, const std::string& target,
                         const std::string& body, const HttpHeaders& headers,
                         uint64_t timeout_ms);

  const std::string& base_url() const { return base_url_; }

 private:
  struct Impl;
  HttpClient(std::string base_url, std::unique_ptr<Impl> impl);
  std::string base_url_;
  std::unique_ptr<Impl> impl_;
};

// One request on a connection of its own (closed afterwards).
Result<HttpReply> HttpCall(const std::string& base_url, std::string method, std::string target,
                           std::string body, HttpHeaders headers, const std::string& ca_cert_pem,
                           uint64_t timeout_ms);

}  // namespace hearth::node
