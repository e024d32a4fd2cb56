// http_test_util.h: a self-signed P-256 certificate made in memory, and a small blocking
// HTTP(S) client over Beast for the server tests. Every client operation has a deadline
// (a bound against hangs, not a timing assertion).
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <optional>
#include <string>

namespace hearth::api::testing {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

struct TestCert {
  std::string cert_pem;
  std::string key_pem;
};

inline std::string BioText(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

// A P-256 key and a self-signed certificate for IP 127.0.0.1, valid for a day.
inline TestCert MakeSelfSignedCert() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  REQUIRE(key != nullptr);
  X509* x = X509_new();
  REQUIRE(x != nullptr);
  REQUIRE(X509_set_version(x, 2) == 1);
  REQUIRE(ASN1_INTEGER_set(X509_get_serialNumber(x), 1) == 1);
  REQUIRE(X509_gmtime_adj(X509_getm_notBefore(x), -3600) != nullptr);
  REQUIRE(X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600) != nullptr);
  REQUIRE(X509_set_pubkey(x, key) == 1);
  X509_NAME* name = X509_get_subject_name(x);
  REQUIRE(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                     reinterpret_cast<const unsigned char*>("hearth test"), -1,
                                     -1, 0) == 1);
  REQUIRE(X509_set_issuer_name(x, name) == 1);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  X509_EXTENSION* san = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, "IP:127.0.0.1");
  REQUIRE(san != nullptr);
  REQUIRE(X509_add_ext(x, san, -1) == 1);
  X509_EXTENSION_free(san);
  REQUIRE(X509_sign(x, key, EVP_sha256()) > 0);

  TestCert out;
  BIO* cert_bio = BIO_new(BIO_s_mem());
  REQUIRE(PEM_write_bio_X509(cert_bio, x) == 1);
  out.cert_pem = BioText(cert_bio);
  BIO_free(cert_bio);
  BIO* key_bio = BIO_new(BIO_s_mem());
  REQUIRE(PEM_write_bio_PrivateKey(key_bio, key, nullptr, nullptr, 0, nullptr, nullptr) == 1);
  out.key_pem = BioText(key_bio);
  BIO_free(key_bio);
  X509_free(x);
  EVP_PKEY_free(key);
  return out;
}

struct Reply {
  bool ok = false;           // a response was read
  std::string error;         // else why not
  unsigned status = 0;
  std::string body;
  http::response<http::string_body> message;
};

// One connection to 127.0.0.1:port, plain or TLS (trusting exactly `ca_pem`).
class TestClient {
 public:
  static constexpr std::chrono::seconds kDeadline{60};

  TestClient(uint16_t port, const std::string* ca_pem) : port_(port) {
    if (ca_pem != nullptr) {
      ctx_.emplace(net::ssl::context::tls_client);
      ctx_->add_certificate_authority(net::buffer(*ca_pem));
      ctx_->set_verify_mode(net::ssl::verify_peer);
      tls_.emplace(ioc_, *ctx_);
      // The certificate must name the address we connect to.
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(tls_->native_handle()), "127.0.0.1");
    } else {
      plain_.emplace(ioc_);
    }
  }

  // Calls f with the stream (TLS or plain); both calls must return the same type.
  template <class F>
  auto WithStream(F f) {
    if (tls_) return f(*tls_);
    return f(*plain_);
  }

  beast::tcp_stream& Tcp() { return tls_ ? beast::get_lowest_layer(*tls_) : *plain_; }

  // Connects (and handshakes); returns "" or the error.
  std::string Connect() {
    Tcp().expires_after(kDeadline);
    beast::error_code ec = Await([&](auto h) {
      Tcp().async_connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_), h);
    });
    if (ec) return "connect: " + ec.message();
    if (tls_) {
      Tcp().expires_after(kDeadline);
      ec = Await([&](auto h) { tls_->async_handshake(net::ssl::stream_base::client, h); });
      if (ec) return "handshake: " + ec.message();
    }
    return "";
  }

  template <class Body>
  std::string Write(http::request<Body>& req) {
    req.prepare_payload();
    Tcp().expires_after(kDeadline);
    return Msg(WithStream([&](auto& s) {
      return Await([&](auto h) { http::async_write(s, req, h); });
    }));
  }

  std::string WriteRaw(const std::string& bytes) {
    Tcp().expires_after(kDeadline);
    return Msg(WithStream(
        [&](auto& s) { return Await([&](auto h) { net::async_write(s, net::buffer(bytes), h); }); }));
  }

  Reply Read() {
    Reply r;
    Tcp().expires_after(kDeadline);
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 << 20);
    beast::error_code ec = WithStream([&](auto& s) {
      return Await([&](auto h) { http::async_read(s, buffer_, parser, h); });
    });
    if (ec) {
      r.error = ec.message();
      return r;
    }
    r.message = parser.release();
    r.ok = true;
    r.status = r.message.result_int();
    r.body = r.message.body();
    return r;
  }

  Reply Send(http::request<http::string_body> req) {
    std::string e = Write(req);
    if (!e.empty()) return Reply{false, e, 0, {}, {}};
    return Read();
  }

  Reply Get(const std::string& target, const std::string& token = "") {
    return Send(MakeRequest(http::verb::get, target, "", token));
  }

  static http::request<http::string_body> MakeRequest(http::verb v, const std::string& target,
                                                      std::string body,
                                                      const std::string& token = "") {
    http::request<http::string_body> req(v, target, 11);
    req.set(http::field::host, "127.0.0.1");
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    req.body() = std::move(body);
    return req;
  }

  // True when the server has closed the connection (a read ends without a response).
  bool ClosedByServer() { return !Read().ok; }

 private:
  template <class Op>
  beast::error_code Await(Op op) {
    beast::error_code result = net::error::timed_out;
    ioc_.restart();
    op([&result](beast::error_code ec, auto...) { result = ec; });
    ioc_.run();
    return result;
  }
  static std::string Msg(beast::error_code ec) { return ec ? ec.message() : ""; }

  uint16_t port_;
  net::io_context ioc_;
  std::optional<net::ssl::context> ctx_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
  std::optional<beast::tcp_stream> plain_;
  beast::flat_buffer buffer_;
};

}  // namespace hearth::api::testing
