// http_core.h (internal): state shared by the HTTP server and its connection sessions.
//
// Lifetime: the ServerCore outlives every session (HttpServer::Impl destroys its
// io_context, and with it any queued session handler, before the core).
// Thread-safety: config, router, tokens and now_ms are read-only while serving; metrics is
// thread-safe; `sessions` is GUARDED_BY(mu); `stopping` and `body_bytes_held` are atomic.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>

#include "hearth/api/http_server.h"
#include "http_router.h"

namespace hearth::api::internal {

class SessionBase : public std::enable_shared_from_this<SessionBase> {
 public:
  virtual ~SessionBase() = default;
  // Closes the connection from any thread (posted to the session's strand).
  virtual void Close() = 0;
  virtual void Run() = 0;

  std::optional<std::list<std::weak_ptr<SessionBase>>::iterator> registry_pos;
};

struct ServerCore {
  HttpServerConfig config;
  Router router;
  const TokenStore* tokens = nullptr;
  std::function<uint64_t()> now_ms;
  Metrics metrics;
  boost::asio::thread_pool* handlers = nullptr;  // set by Start(), joined by Stop()
  std::atomic<bool> stopping{false};

  std::mutex mu;
  std::list<std::weak_ptr<SessionBase>> sessions;  // GUARDED_BY(mu)
  // Bytes of request bodies reserved by sessions (config.bodies_bytes_max bounds it).
  std::atomic<uint64_t> body_bytes_held{0};

  // Reserves `n` bytes of the body budget; false (nothing reserved) when they do not fit.
  bool ReserveBody(uint64_t n) {
    uint64_t held = body_bytes_held.load(std::memory_order_relaxed);
    do {
      if (n > config.bodies_bytes_max || held > config.bodies_bytes_max - n) return false;
    } while (!body_bytes_held.compare_exchange_weak(held, held + n, std::memory_order_relaxed));
    return true;
  }
  void ReleaseBody(uint64_t n) { body_bytes_held.fetch_sub(n, std::memory_order_relaxed); }

  void Log(std::string_view message) const {
    if (config.log) config.log(message);
  }
  // Removes a session from the registry (its destructor calls this).
  void Unregister(SessionBase& s);
};

// Creates, registers and runs a session for an accepted connection; `tls` null means plain
// HTTP. Closes the socket instead when the server is stopping or at connections_max.
void StartSession(ServerCore& core, boost::asio::ip::tcp::socket socket,
                  boost::asio::ssl::context* tls);

}  // namespace hearth::api::internal
