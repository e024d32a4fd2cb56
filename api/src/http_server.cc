// HttpServer: configuration checks, TLS context, listener, IO threads, handler pool and an
// orderly stop (http_server.h). Connections are http_session.cc.
#include "hearth/api/http_server.h"

#include <openssl/ssl.h>

#include <chrono>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include "hearth/api/thread_name.h"
#include "http_core.h"

namespace hearth::api {

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

constexpr size_t kIoThreadsMax = 64;
constexpr size_t kHandlerThreadsMax = 1024;
constexpr int kAcceptRetryMs = 50;  // after an accept error such as EMFILE

uint64_t SystemNowMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

Status CheckConfig(const HttpServerConfig& c) {
  auto bad = [](std::string m) { return Status::InvalidArgument("api." + m); };
  if (c.threads == 0 || c.threads > kIoThreadsMax) {
    return bad("threads: must be 1.." + std::to_string(kIoThreadsMax));
  }
  if (c.handler_threads == 0 || c.handler_threads > kHandlerThreadsMax) {
    return bad("handler_threads: must be 1.." + std::to_string(kHandlerThreadsMax));
  }
  if (c.body_bytes_max == 0) return bad("body_bytes_max: must be at least 1");
  if (c.bodies_bytes_max < c.body_bytes_max) {
    return bad("bodies_bytes_max: must be at least body_bytes_max (" +
               std::to_string(c.body_bytes_max) + ")");
  }
  if (c.connections_max == 0) return bad("connections_max: must be at least 1");
  if (c.header_timeout_ms == 0 || c.body_timeout_ms == 0 || c.write_timeout_ms == 0) {
    return bad("*_timeout_ms: must be at least 1");
  }
  return Status::Ok();
}

Result<net::ip::address> ResolveHost(const std::string& host) {
  if (host == "localhost") return net::ip::make_address("127.0.0.1");
  boost::system::error_code ec;
  net::ip::address a = net::ip::make_address(host, ec);
  if (ec) return Status::InvalidArgument("api.host: '" + host + "' is not an IP address");
  return a;
}

Status MakeTlsContext(const HttpServerConfig& c, std::optional<net::ssl::context>* out) {
  if (c.cert_pem.empty() || c.key_pem.empty()) {
    return Status::InvalidArgument("api: TLS needs a certificate and a private key (PEM)");
  }
  out->emplace(net::ssl::context::tls_server);
  net::ssl::context& ctx = **out;
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
  ctx.set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                  net::ssl::context::no_sslv3 | net::ssl::context::single_dh_use);
  boost::system::error_code ec;
  ctx.use_certificate_chain(net::buffer(c.cert_pem), ec);
  if (ec) return Status::InvalidArgument("api.cert_pem: " + ec.message());
  ctx.use_private_key(net::buffer(c.key_pem), net::ssl::context::pem, ec);
  if (ec) return Status::InvalidArgument("api.key_pem: " + ec.message());
  if (SSL_CTX_check_private_key(ctx.native_handle()) != 1) {
    return Status::InvalidArgument("api.key_pem: the private key does not match the certificate");
  }
  return Status::Ok();
}

}  // namespace

struct HttpServer::Impl {
  // Declaration order matters: destroyed bottom-up, the io_context (and the sessions its
  // queued handlers hold) goes before the TLS context and the core they use.
  internal::ServerCore core;
  std::optional<net::ssl::context> tls;
  std::optional<net::thread_pool> handlers;
  net::io_context ioc;
  tcp::acceptor acceptor{net::make_strand(ioc)};
  net::steady_timer retry_timer{acceptor.get_executor()};
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::vector<std::thread> io_threads;
  uint16_t port = 0;
  bool started = false;
  bool stopped = false;

  Status Listen(const net::ip::address& address);
  void Accept();
  void RunIo();
};

Status HttpServer::Impl::Listen(const net::ip::address& address) {
  const tcp::endpoint ep(address, core.config.port);
  const std::string where = "api: " + core.config.host + ":" + std::to_string(core.config.port);
  boost::system::error_code ec;
  acceptor.open(ep.protocol(), ec);
  if (ec) return Status::IOError(where + ": open: " + ec.message());
  acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (ec) return Status::IOError(where + ": SO_REUSEADDR: " + ec.message());
  acceptor.bind(ep, ec);
  if (ec) return Status::IOError(where + ": bind: " + ec.message());
  acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return Status::IOError(where + ": listen: " + ec.message());
  port = acceptor.local_endpoint(ec).port();
  if (ec) return Status::IOError(where + ": local_endpoint: " + ec.message());
  return Status::Ok();
}

void HttpServer::Impl::Accept() {
  acceptor.async_accept(net::make_strand(ioc), [this](boost::system::error_code ec,
                                                      tcp::socket socket) {
    if (core.stopping || ec == net::error::operation_aborted) return;
    if (ec) {
      core.Log("api: accept failed: " + ec.message());
      retry_timer.expires_after(std::chrono::milliseconds(kAcceptRetryMs));
      retry_timer.async_wait([this](boost::system::error_code wait_ec) {
        if (!wait_ec && !core.stopping) Accept();
      });
      return;
    }
    // Answers are written in many TLS records (a receipt is ~240 KB): with Nagle's algorithm
    // the last short segment waits for the client's delayed ACK, up to 40 ms per answer.
    boost::system::error_code nodelay_ec;
    socket.set_option(tcp::no_delay(true), nodelay_ec);  // best effort: a failure costs latency only
    internal::StartSession(core, std::move(socket), tls ? &*tls : nullptr);
    Accept();
  });
}

void HttpServer::Impl::RunIo() {
  for (;;) {
    try {
      ioc.run();
      return;
    } catch (const std::exception& e) {  // handlers catch their own errors; belt and braces
      core.Log(std::string("api: IO thread caught: ") + e.what());
    }
  }
}

HttpServer::HttpServer(HttpServerConfig config, const TokenStore* tokens,
                       std::function<uint64_t()> now_ms)
    : impl_(std::make_unique<Impl>()) {
  impl_->core.config = std::move(config);
  impl_->core.tokens = tokens;
  impl_->core.now_ms = now_ms ? std::move(now_ms) : std::function<uint64_t()>(SystemNowMs);
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::AddRoute(Route route) {
  HEARTH_CHECK_MSG(!impl_->started, "AddRoute after Start");
  impl_->core.router.Add(std::move(route));
}

Status HttpServer::Start() {
  Impl& s = *impl_;
  if (s.started) return Status::FailedPrecondition("api: the server was already started");
  const HttpServerConfig& c = s.core.config;
  HEARTH_RETURN_IF_ERROR(CheckConfig(c));
  HEARTH_ASSIGN_OR_RETURN(net::ip::address address, ResolveHost(c.host));
  if (!c.tls && !address.is_loopback()) {
    return Status::FailedPrecondition("api: plain HTTP (tls: false) is allowed only on a "
                                      "loopback host such as 127.0.0.1; host is " + c.host);
  }
  if (c.tls) HEARTH_RETURN_IF_ERROR(MakeTlsContext(c, &s.tls));
  HEARTH_RETURN_IF_ERROR(s.Listen(address));
  s.started = true;
  s.handlers.emplace(c.handler_threads);
  NameThreads(c.handler_threads, "api-handler", [&s](std::function<void()> f) { net::post(*s.handlers, std::move(f)); });
  s.core.handlers = &*s.handlers;
  s.work.emplace(s.ioc.get_executor());
  net::post(s.acceptor.get_executor(), [&s] { s.Accept(); });
  for (size_t i = 0; i < c.threads; ++i) {
    s.io_threads.emplace_back([&s] { s.RunIo(); });
    SetThreadName(s.io_threads.back(), "api-io");
  }
  return Status::Ok();
}

uint16_t HttpServer::port() const { return impl_->started ? impl_->port : 0; }

void HttpServer::Stop() {
  Impl& s = *impl_;
  if (!s.started || s.stopped) return;
  s.stopped = true;
  s.core.stopping = true;
  net::post(s.acceptor.get_executor(), [&s] {
    boost::system::error_code ignored;
    s.acceptor.close(ignored);
    s.retry_timer.cancel();
  });
  std::vector<std::shared_ptr<internal::SessionBase>> live;
  {
    std::lock_guard<std::mutex> lock(s.core.mu);
    for (const auto& w : s.core.sessions) {
      if (auto p = w.lock()) live.push_back(std::move(p));
    }
  }
  for (const auto& p : live) p->Close();
  live.clear();
  s.handlers->join();  // running handlers return; queued ones answer 503 without running
  s.work.reset();      // IO threads return once every connection has closed
  for (std::thread& t : s.io_threads) t.join();
  s.io_threads.clear();
}

std::vector<std::pair<std::string, std::string>> HttpServer::Routes() const {
  return impl_->core.router.List();
}

std::string HttpServer::MetricsText() const { return impl_->core.metrics.Text(); }

}  // namespace hearth::api
