// One client connection of the HTTP server: TLS handshake, request header, checks (route,
// token, role, size), body, handler on the pool, response, keep-alive (http_server.h).
//
// All of a session's socket work runs on its strand (the executor of the accepted socket);
// the handler runs on the handler pool while the session has no operation pending, and
// its response is posted back to the strand. A session lives as long as a pending
// operation or queued callback holds its shared_ptr.
#include <algorithm>
#include <array>
#include <chrono>
#include <limits>
#include <utility>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "http_core.h"

namespace hearth::api::internal {

namespace {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// After a refusal that leaves an unread body, read and drop at most this much (or for
// kLingerMs) after our response so the client reads the response instead of a reset.
constexpr size_t kLingerBytesMax = 1 << 20;
// A refused request whose declared body is at most this is read to its end (and dropped),
// so the connection can carry the next request.
constexpr uint64_t kDiscardBytesMax = 64 * 1024;
constexpr uint64_t kLingerMs = 2'000;
constexpr uint64_t kShutdownMs = 5'000;

enum class After { kKeepAlive, kClose, kLinger };

bool IsHttpParseError(const beast::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_target).category() &&
         ec != http::error::partial_message && ec != http::error::end_of_stream;
}

bool HasBadHeaderChar(std::string_view s) {
  return s.find_first_of("\r\n") != std::string_view::npos;
}

template <class Stream>
class Session final : public SessionBase {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  template <class... Args>
  Session(ServerCore& core, Args&&... args) : core_(core), stream_(std::forward<Args>(args)...) {
    core_.metrics.AddOpen(1);
  }
  ~Session() override {
    ReleaseBody();
    core_.Unregister(*this);
    core_.metrics.AddOpen(-1);
  }

  void Run() override {
    net::dispatch(stream_.get_executor(), [self = Self()] { self->Begin(); });
  }

  void Close() override {
    net::post(stream_.get_executor(), [self = Self()] { self->CloseNow(); });
  }

 private:
  std::shared_ptr<Session> Self() {
    return std::static_pointer_cast<Session>(shared_from_this());
  }
  beast::tcp_stream& Tcp() { return beast::get_lowest_layer(stream_); }
  void Expire(uint64_t ms) { Tcp().expires_after(std::chrono::milliseconds(ms)); }

  void Begin() {
    if constexpr (kTls) {
      Expire(core_.config.header_timeout_ms);
      stream_.async_handshake(net::ssl::stream_base::server,
                              [self = Self()](beast::error_code ec) {
                                if (ec) {
                                  self->core_.metrics.Count("tls_handshake_failures");
                                  return self->CloseNow();
                                }
                                self->ReadHeader();
                              });
    } else {
      ReadHeader();
    }
  }

  void ReadHeader() {
    if (core_.stopping) return CloseNow();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(kHeaderBytesMax));
    // No limit yet: OnHeader judges Content-Length itself (after routing and authentication)
    // and ReadBody sets the real limit. Not boost::none: Beast 1.74 compares
    // `content_length > body_limit` with an empty optional as true and refuses every body.
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    route_label_ = "unmatched";
    method_label_ = "-";
    route_ = nullptr;
    pending_refusal_.reset();
    keep_alive_ = false;
    version_ = 11;
    Expire(core_.config.header_timeout_ms);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = Self()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    if (ec == http::error::end_of_stream) return Shutdown();
    if (ec == http::error::header_limit) {
      return Refuse({431, "header_too_large", "bad_request", "the request header exceeds " +
                                                                 std::to_string(kHeaderBytesMax) +
                                                                 " bytes", {}},
                    After::kLinger);
    }
    if (ec && IsHttpParseError(ec)) {
      return Refuse({400, "bad_request", "bad_request", "malformed request: " + ec.message(), {}},
                    After::kLinger);
    }
    if (ec) return CloseNow();  // reset, timeout, truncated TLS, stopped
    const auto& h = parser_->get();
    keep_alive_ = h.keep_alive();
    version_ = h.version();
    const bool body_pending = !parser_->is_done();

    Result<Target> target = ParseTarget(std::string_view(h.target().data(), h.target().size()));
    if (!target.ok()) {
      return RefuseBeforeBody({400, "bad_request", "bad_request", target.status().message(), {}});
    }
    request_ = HttpRequest{};
    request_.method = std::string(h.method_string());
    request_.content_type = std::string(h[http::field::content_type]);
    request_.path = std::move(target->path);
    request_.query = std::move(target->query);
    Router::Match m = core_.router.Find(request_.method, target->segments);
    if (m.pattern == nullptr) {
      return RefuseBeforeBody({404, "not_found", "not_found", "no endpoint " + request_.path, {}});
    }
    route_label_ = *m.pattern;
    if (m.route == nullptr) {
      return RefuseBeforeBody({405, "method_not_allowed", "method_not_allowed",
                               request_.method + " is not allowed here; allowed: " + m.allowed,
                               {{"Allow", m.allowed}}});
    }
    route_ = m.route;
    method_label_ = route_->method;
    request_.path_params = std::move(m.params);
    const uint64_t now = core_.now_ms();
    auto auth = h[http::field::authorization];
    if (auto refusal = Authorize(route_->roles, std::string_view(auth.data(), auth.size()),
                                 core_.tokens, now, &request_.principal)) {
      return RefuseBeforeBody(std::move(*refusal));
    }
    if (auto len = parser_->content_length(); len && *len > core_.config.body_bytes_max) {
      return TooLarge();
    }
    if (!body_pending) return Dispatch();
    // The body's bytes come out of the server-wide budget before any is read.
    const uint64_t want = parser_->content_length().value_or(core_.config.body_bytes_max);
    if (!core_.ReserveBody(want)) {
      return RefuseBeforeBody({503, "busy", "busy",
                               "the server is reading too many request bodies at once; retry later",
                               {{"Retry-After", "1"}}});
    }
    body_reserved_ = want;
    if (beast::iequals(h[http::field::expect], "100-continue")) return Continue();
    ReadBody();
  }

  // A refusal decided from the header. A small declared body is read and dropped so the
  // connection stays usable; any other body closes the connection after the response.
  void RefuseBeforeBody(Refusal r) {
    if (parser_->is_done()) return Refuse(std::move(r), After::kKeepAlive);
    const auto len = parser_->content_length();
    const bool expect = beast::iequals(parser_->get()[http::field::expect], "100-continue");
    if (len && *len <= std::min<uint64_t>(kDiscardBytesMax, core_.config.body_bytes_max) &&
        !expect) {
      pending_refusal_ = std::move(r);
      return ReadBody();
    }
    Refuse(std::move(r), After::kLinger);
  }

  void Continue() {
    auto res = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
    Expire(core_.config.write_timeout_ms);
    http::async_write(stream_, *res, [self = Self(), res](beast::error_code ec, size_t) {
      if (ec) return self->CloseNow();
      self->ReadBody();
    });
  }

  void ReadBody() {
    parser_->body_limit(static_cast<std::uint64_t>(core_.config.body_bytes_max));
    Expire(core_.config.body_timeout_ms);
    http::async_read(stream_, buffer_, *parser_,
                     [self = Self()](beast::error_code ec, size_t) { self->OnBody(ec); });
  }

  void OnBody(beast::error_code ec) {
    if (ec) pending_refusal_.reset();  // the body's own failure is what the client hears
    if (ec == http::error::body_limit) return TooLarge();
    if (ec && IsHttpParseError(ec)) {
      return Refuse({400, "bad_request", "bad_request", "malformed body: " + ec.message(), {}},
                    After::kLinger);
    }
    if (ec) return CloseNow();
    if (pending_refusal_) {
      return Refuse(*std::exchange(pending_refusal_, std::nullopt), After::kKeepAlive);
    }
    Dispatch();
  }

  void TooLarge() {
    Refuse({413, "body_too_large", "body_too_large",
            "the body exceeds " + std::to_string(core_.config.body_bytes_max) + " bytes", {}},
           After::kLinger);
  }

  void Dispatch() {
    request_.body = std::move(parser_->release().body());
    net::post(*core_.handlers, [self = Self()] {
      HttpResponse res = self->core_.stopping
                             ? JsonError(503, "unavailable", "the server is stopping")
                             : self->Invoke();
      self->request_.body = std::string();  // freed before its reservation is returned
      self->ReleaseBody();
      net::post(self->stream_.get_executor(), [self, res = std::move(res)]() mutable {
        self->Write(std::move(res), self->keep_alive_ ? After::kKeepAlive : After::kClose);
      });
    });
  }

  // Runs on a handler thread.
  HttpResponse Invoke() {
    try {
      HttpResponse res = route_->handler(request_);
      if (res.status < 100 || res.status > 599) {
        core_.Log("api: handler for " + route_label_ + " returned status " +
                  std::to_string(res.status));
        return JsonError(500, "internal", "the handler returned an invalid status");
      }
      return res;
    } catch (const std::exception& e) {
      core_.metrics.Count("handler_exceptions");
      core_.Log("api: handler for " + route_->method + " " + route_label_ + " threw: " + e.what());
    } catch (...) {
      core_.metrics.Count("handler_exceptions");
      core_.Log("api: handler for " + route_->method + " " + route_label_ + " threw");
    }
    return JsonError(500, "internal", "internal error while handling the request");
  }

  void Refuse(Refusal r, After after) {
    ReleaseBody();  // a refused body is not kept (a lingering read drops what arrives)
    core_.metrics.Refusal(route_label_, r.reason);
    HttpResponse res = JsonError(r.status, r.code, r.message);
    res.headers = std::move(r.headers);
    Write(std::move(res), after);
  }

  void Write(HttpResponse r, After after) {
    if (after == After::kKeepAlive && (!keep_alive_ || core_.stopping)) after = After::kClose;
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(version_ == 10 ? 10 : 11);
    res->result(r.status);
    res->set(http::field::server, "hearth");
    res->set(http::field::content_type, r.content_type);
    res->set(http::field::cache_control, "no-store");
    res->set("X-Content-Type-Options", "nosniff");
    for (const auto& [name, value] : r.headers) {
      if (name.empty() || HasBadHeaderChar(name) || HasBadHeaderChar(value)) continue;
      res->set(name, value);
    }
    res->body() = std::move(r.body);
    res->keep_alive(after == After::kKeepAlive);
    res->prepare_payload();
    core_.metrics.Response(route_label_, method_label_, r.status);
    Expire(core_.config.write_timeout_ms);
    http::async_write(stream_, *res, [self = Self(), res, after](beast::error_code ec, size_t) {
      if (ec) return self->CloseNow();
      if (after == After::kKeepAlive) return self->ReadHeader();
      if (after == After::kLinger) return self->Linger();
      self->Shutdown();
    });
  }

  // Stops sending and drains what the client still sends, bounded, then closes.
  void Linger() {
    beast::error_code ignored;
    Tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
    Expire(kLingerMs);
    Drain();
  }

  void Drain() {
    Tcp().async_read_some(net::buffer(drain_), [self = Self()](beast::error_code ec, size_t n) {
      self->drained_ += n;
      if (ec || self->drained_ > kLingerBytesMax) return self->CloseNow();
      self->Drain();
    });
  }

  void Shutdown() {
    if constexpr (kTls) {
      Expire(kShutdownMs);
      stream_.async_shutdown([self = Self()](beast::error_code) { self->CloseNow(); });
    } else {
      beast::error_code ignored;
      Tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
      CloseNow();
    }
  }

  void CloseNow() { Tcp().close(); }
  void ReleaseBody() {
    if (body_reserved_ == 0) return;
    core_.ReleaseBody(std::exchange(body_reserved_, 0));
  }

  ServerCore& core_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  // The request being served; touched by the handler thread only while no socket
  // operation of this session is pending.
  HttpRequest request_;
  const Route* route_ = nullptr;
  std::optional<Refusal> pending_refusal_;  // sent once the small body has been dropped
  uint64_t body_reserved_ = 0;  // bytes of core_.body_bytes_held this request holds
  std::string route_label_ = "unmatched";
  std::string method_label_ = "-";
  bool keep_alive_ = false;
  unsigned version_ = 11;
  std::array<char, 4096> drain_{};
  size_t drained_ = 0;
};

}  // namespace

void ServerCore::Unregister(SessionBase& s) {
  std::lock_guard<std::mutex> lock(mu);
  if (s.registry_pos) sessions.erase(*s.registry_pos);
  s.registry_pos.reset();
}

void StartSession(ServerCore& core, tcp::socket socket, net::ssl::context* tls) {
  std::shared_ptr<SessionBase> s;
  if (tls != nullptr) {
    s = std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(core, std::move(socket),
                                                                         *tls);
  } else {
    s = std::make_shared<Session<beast::tcp_stream>>(core, std::move(socket));
  }
  {
    std::lock_guard<std::mutex> lock(core.mu);
    if (core.stopping) return;  // the session closes its socket as it is destroyed
    if (core.sessions.size() >= core.config.connections_max) {
      core.metrics.Count("connections_refused");
      return;
    }
    s->registry_pos = core.sessions.insert(core.sessions.end(), s);
  }
  s->Run();
}

}  // namespace hearth::api::internal
