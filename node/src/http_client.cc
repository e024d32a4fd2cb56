// http_client.cc: see http_client.h. Every operation is asynchronous on a private
// io_context and run to completion, so beast::tcp_stream's deadline bounds the whole call.
#include "hearth/node/http_client.h"

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <chrono>
#include <optional>

#include "hearth/node/genesis.h"

namespace hearth::node {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;

namespace {

// Runs one asynchronous operation started by `start` (given a completion handler) to
// its end and returns its error code.
template <typename Start>
beast::error_code RunOp(asio::io_context& ioc, Start start) {
  beast::error_code result = asio::error::would_block;
  start([&result](beast::error_code ec, auto&&...) { result = ec; });
  ioc.restart();
  ioc.run();
  return result;
}

// A fresh X509 store holding exactly the certificates of `pem`.
Result<X509_STORE*> TrustStoreOf(const std::string& pem) {
  X509_STORE* store = X509_STORE_new();
  if (store == nullptr) return Status::Internal("X509_STORE_new failed");
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) {
    X509_STORE_free(store);
    return Status::Internal("BIO_new_mem_buf failed");
  }
  size_t count = 0;
  while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    const int ok = X509_STORE_add_cert(store, cert);
    X509_free(cert);
    if (ok != 1) {
      BIO_free(bio);
      X509_STORE_free(store);
      return Status::InvalidArgument("CA certificate: cannot add certificate " +
                                     std::to_string(count + 1) + " to the trust store");
    }
    ++count;
  }
  BIO_free(bio);
  ERR_clear_error();  // the loop ends on a "no start line" error
  if (count == 0) {
    X509_STORE_free(store);
    return Status::InvalidArgument("CA certificate: no PEM certificate found");
  }
  // The anchor is the server's own (self-signed, CA:FALSE) certificate.
  X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN);
  return store;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

struct HttpClient::Impl {
  ApiUrl url;
  std::string host_header;
  bool host_is_ip = false;
  asio::io_context ioc;
  std::optional<ssl::context> ctx;  // https only
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
  bool connected = false;

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }

  void Close() {
    if (tls || plain) {
      beast::error_code ignored;
      lowest().socket().close(ignored);
    }
    tls.reset();
    plain.reset();
    buffer.clear();
    connected = false;
  }

  Status Connect(std::chrono::steady_clock::time_point deadline, const std::string& where);
  // Sends and reads one exchange. *answer_started tells whether any answer byte arrived.
  Result<HttpReply> Exchange(http::request<http::string_body>& req,
                             std::chrono::steady_clock::time_point deadline,
                             const std::string& where, bool* answer_started);
};

Status HttpClient::Impl::Connect(std::chrono::steady_clock::time_point deadline,
                                 const std::string& where) {
  Close();
  std::vector<tcp::endpoint> endpoints;
  if (host_is_ip) {
    endpoints.emplace_back(asio::ip::make_address(url.host), url.port);
  } else {
    tcp::resolver resolver(ioc);
    beast::error_code ec;
    auto results = resolver.resolve(url.host, std::to_string(url.port), ec);
    if (ec) return Status::Unavailable(where + ": resolve " + url.host + ": " + ec.message());
    for (const auto& r : results) endpoints.push_back(r.endpoint());
  }
  if (ctx) {
    tls.emplace(ioc, *ctx);
    SSL* ssl_handle = tls->native_handle();
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl_handle);
    const int named = host_is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, url.host.c_str())
                                 : X509_VERIFY_PARAM_set1_host(param, url.host.c_str(), 0);
    if (named != 1) return Status::Internal(where + ": cannot set the expected host name");
    if (!host_is_ip) SSL_set_tlsext_host_name(ssl_handle, url.host.c_str());
  } else {
    plain.emplace(ioc);
  }
  lowest().expires_at(deadline);
  beast::error_code ec = RunOp(ioc, [&](auto handler) {
    lowest().async_connect(endpoints, std::move(handler));
  });
  if (ec) {
    Close();
    return Status::Unavailable(where + ": connect: " + ec.message());
  }
  beast::error_code nodelay_ec;  // best effort: without it a request may wait for a delayed ACK
  lowest().socket().set_option(tcp::no_delay(true), nodelay_ec);
  if (tls) {
    ec = RunOp(ioc, [&](auto handler) { tls->async_handshake(ssl::stream_base::client, std::move(handler)); });
    if (ec) {
      Close();
      return Status::Unavailable(where + ": TLS handshake: " + ec.message());
    }
  }
  connected = true;
  return Status::Ok();
}

Result<HttpReply> HttpClient::Impl::Exchange(http::request<http::string_body>& req,
                                             std::chrono::steady_clock::time_point deadline,
                                             const std::string& where, bool* answer_started) {
  *answer_started = false;
  lowest().expires_at(deadline);
  beast::error_code ec = RunOp(ioc, [&](auto handler) {
    if (tls) {
      http::async_write(*tls, req, std::move(handler));
    } else {
      http::async_write(*plain, req, std::move(handler));
    }
  });
  if (ec) {
    Close();
    return Status::Unavailable(where + ": send: " + ec.message());
  }
  http::response_parser<http::string_body> parser;
  parser.body_limit(kHttpReplyBytesMax);
  ec = RunOp(ioc, [&](auto handler) {
    if (tls) {
      http::async_read(*tls, buffer, parser, std::move(handler));
    } else {
      http::async_read(*plain, buffer, parser, std::move(handler));
    }
  });
  *answer_started = parser.got_some();
  if (ec == http::error::body_limit) {
    Close();
    return Status::OutOfRange(where + ": answer body over " + std::to_string(kHttpReplyBytesMax) +
                              " bytes");
  }
  if (ec) {
    Close();
    return Status::Unavailable(where + ": receive: " + ec.message());
  }
  http::response<http::string_body> res = parser.release();
  HttpReply reply;
  reply.status = res.result_int();
  for (const auto& field : res.base()) {
    reply.headers[Lower(std::string_view(field.name_string().data(), field.name_string().size()))] =
        std::string(field.value());
  }
  const bool keep = res.keep_alive();
  reply.body = std::move(res.body());
  if (!keep) Close();
  return reply;
}

HttpClient::HttpClient(std::string base_url, std::unique_ptr<Impl> impl)
    : base_url_(std::move(base_url)), impl_(std::move(impl)) {}

HttpClient::~HttpClient() {
  if (impl_) impl_->Close();
}

Result<std::unique_ptr<HttpClient>> HttpClient::Create(const std::string& base_url,
                                                       const std::string& ca_cert_pem) {
  auto impl = std::make_unique<Impl>();
  Result<ApiUrl> url = ParseApiUrl(base_url);
  if (!url.ok()) return url.status().Annotate("URL " + base_url);
  impl->url = *url;
  beast::error_code ec;
  asio::ip::make_address(impl->url.host, ec);
  impl->host_is_ip = !ec;
  const bool v6 = impl->host_is_ip && impl->url.host.find(':') != std::string::npos;
  impl->host_header = (v6 ? "[" + impl->url.host + "]" : impl->url.host) + ":" +
                      std::to_string(impl->url.port);
  if (impl->url.tls) {
    if (ca_cert_pem.empty()) {
      return Status::InvalidArgument(base_url + ": https needs the server's certificate to trust");
    }
    HEARTH_ASSIGN_OR_RETURN(X509_STORE * store, TrustStoreOf(ca_cert_pem));
    impl->ctx.emplace(ssl::context::tls_client);
    SSL_CTX* ctx = impl->ctx->native_handle();
    SSL_CTX_set_cert_store(ctx, store);  // takes ownership
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    impl->ctx->set_verify_mode(ssl::verify_peer);
  }
  return std::unique_ptr<HttpClient>(new HttpClient(base_url, std::move(impl)));
}

Result<HttpReply> HttpClient::Call(const std::string& method, const std::string& target,
                                   const std::string& body, const HttpHeaders& headers,
                                   uint64_t timeout_ms) {
  const http::verb verb = http::string_to_verb(method);
  if (verb == http::verb::unknown) return Status::InvalidArgument("HTTP method " + method + ": unknown");
  if (target.empty() || target[0] != '/') {
    return Status::InvalidArgument("HTTP target \"" + target + "\": must start with /");
  }
  const std::string where = base_url_ + target;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, impl_->host_header);
  req.set(http::field::user_agent, "hearth-cli");
  req.keep_alive(true);
  for (const auto& [name, value] : headers) req.set(name, value);
  req.body() = body;
  req.prepare_payload();
  for (int attempt = 0;; ++attempt) {
    const bool reused = impl_->connected;
    if (!impl_->connected) HEARTH_RETURN_IF_ERROR(impl_->Connect(deadline, where));
    bool answer_started = false;
    Result<HttpReply> reply = impl_->Exchange(req, deadline, where, &answer_started);
    // A kept-alive connection the server closed meanwhile fails before any answer.
    if (!reply.ok() && reused && !answer_started && attempt == 0 &&
        std::chrono::steady_clock::now() < deadline) {
      continue;
    }
    return reply;
  }
}

Result<HttpReply> HttpCall(const std::string& base_url, std::string method, std::string target,
                           std::string body, HttpHeaders headers, const std::string& ca_cert_pem,
                           uint64_t timeout_ms) {
  HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<HttpClient> client,
                          HttpClient::Create(base_url, ca_cert_pem));
  headers.emplace_back("Connection", "close");
  return client->Call(method, target, body, headers, timeout_ms);
}

}  // namespace hearth::node
