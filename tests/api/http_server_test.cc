// The HTTP server (api/http_server.h) over real sockets on 127.0.0.1: HTTPS with a
// self-signed certificate and plain HTTP on loopback; statuses 200/400/401/403/404/405/
// 413/431/500, keep-alive, 100-continue, handler threads, metrics, stop and thread hygiene.
#include "hearth/api/http_server.h"

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include "api/http_test_util.h"

namespace hearth::api {
namespace {

using testing::Reply;
using testing::TestCert;
using testing::TestClient;
namespace http = testing::http;
using json = nlohmann::json;

constexpr uint64_t kNow = 1'750'000'000'000ULL;
constexpr std::chrono::seconds kWaitBound{60};  // a bound against hangs, not a timing check

const TestCert& Cert() {
  static const TestCert cert = testing::MakeSelfSignedCert();
  return cert;
}

size_t ThreadCount() {
  size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/task")) {
    (void)e;
    ++n;
  }
  return n;
}

HttpResponse Text(std::string body) {
  HttpResponse r;
  r.body = std::move(body);
  return r;
}

// A server with a few routes, tokens for three principals, and a settable clock.
struct Fixture {
  MintedToken tax = *MintToken();
  MintedToken auditor = *MintToken();
  MintedToken old = *MintToken();
  TokenStore tokens;
  std::atomic<uint64_t> now{kNow};
  std::mutex log_mu;
  std::vector<std::string> log;
  std::unique_ptr<HttpServer> server;

  explicit Fixture(bool tls, size_t body_bytes_max = 1024, size_t io_threads = 2,
                   size_t handler_threads = 4, size_t bodies_bytes_max = 256 << 20) {
    json t = {
        {"tax-system", TokenEntryJson(tax.token_sha256, Role::kAgency, Agency::kTax, kNow + 1)},
        {"auditor", TokenEntryJson(auditor.token_sha256, Role::kAuditor, std::nullopt, kNow + 1)},
        {"old", TokenEntryJson(old.token_sha256, Role::kAgency, Agency::kTax, kNow)},
    };
    tokens = std::move(TokenStore::FromJson(t)).value();
    HttpServerConfig c;
    c.tls = tls;
    c.cert_pem = Cert().cert_pem;
    c.key_pem = Cert().key_pem;
    c.body_bytes_max = body_bytes_max;
    c.bodies_bytes_max = bodies_bytes_max;
    c.threads = io_threads;
    c.handler_threads = handler_threads;
    c.log = [this](std::string_view m) {
      std::lock_guard<std::mutex> lock(log_mu);
      log.emplace_back(m);
    };
    server = std::make_unique<HttpServer>(c, &tokens, [this] { return now.load(); });
    server->AddRoute({"GET", "/healthz", {}, [](const HttpRequest&) { return Text("{\"ok\":true}"); }});
    server->AddRoute({"POST", "/v1/records", {Role::kAgency},
                      [](const HttpRequest& r) {
                        json j = {{"bytes", r.body.size()},
                                  {"principal", r.principal ? r.principal->name : ""},
                                  {"content_type", r.content_type}};
                        return Text(j.dump());
                      }});
    server->AddRoute({"GET", "/v1/tx/{id}", {Role::kAgency, Role::kAuditor},
                      [](const HttpRequest& r) {
                        json j = {{"id", r.path_params.at("id")}, {"query", r.query},
                                  {"path", r.path}};
                        return Text(j.dump());
                      }});
    server->AddRoute({"GET", "/v1/tx/latest", {}, [](const HttpRequest&) { return Text("\"latest\""); }});
    server->AddRoute({"GET", "/v1/boom", {},
                      [](const HttpRequest&) -> HttpResponse { throw std::runtime_error("kaput"); }});
    server->AddRoute({"GET", "/whoami", {}, [](const HttpRequest& r) {
                        return Text(r.principal ? r.principal->name : "nobody");
                      }});
  }

  void Start() { REQUIRE(server->Start().ok()); }
  std::unique_ptr<TestClient> Client() {
    auto c = std::make_unique<TestClient>(server->port(), server_tls ? &Cert().cert_pem : nullptr);
    REQUIRE(c->Connect().empty());
    return c;
  }
  bool server_tls = true;
};

std::unique_ptr<Fixture> Started(bool tls, size_t body_bytes_max = 1024) {
  auto f = std::make_unique<Fixture>(tls, body_bytes_max);
  f->server_tls = tls;
  f->Start();
  return f;
}

// The value of the metrics line starting with `prefix` (-1 when absent).
long MetricValue(const std::string& text, const std::string& prefix) {
  size_t at = text.find("\n" + prefix + " ");
  if (at == std::string::npos) return -1;
  at += prefix.size() + 2;
  return std::stol(text.substr(at, text.find('\n', at) - at));
}

std::string ErrorCode(const Reply& r) {
  json j = json::parse(r.body, nullptr, false);
  if (!j.is_object() || !j.contains("error") || !j.contains("message")) return "<not a JSON error>";
  return j["error"];
}

void CheckStatusFlow(bool tls) {
  auto f = Started(tls);
  auto c = f->Client();

  Reply r = c->Get("/healthz");
  REQUIRE(r.ok);
  CHECK(r.status == 200);
  CHECK(r.body == "{\"ok\":true}");
  CHECK(r.message[http::field::content_type] == "application/json");
  CHECK(r.message.keep_alive());

  // Same connection throughout: refusals without a body keep it alive.
  r = c->Get("/v1/tx/abc");
  CHECK(r.status == 401);
  CHECK(ErrorCode(r) == "unauthenticated");
  CHECK(r.message[http::field::www_authenticate].find("Bearer") == 0);
  CHECK(r.message.keep_alive());

  r = c->Get("/v1/tx/abc", "not-a-token");
  CHECK(r.status == 401);
  CHECK(ErrorCode(r) == "unauthenticated");

  r = c->Get("/v1/tx/abc", f->old.token);
  CHECK(r.status == 401);
  CHECK(ErrorCode(r) == "token_expired");

  r = c->Send(TestClient::MakeRequest(http::verb::post, "/v1/records", "{}", f->auditor.token));
  CHECK(r.status == 403);
  CHECK(ErrorCode(r) == "forbidden");

  r = c->Get("/v1/tx/ab%20c?x=1&y=%41+B", f->auditor.token);
  REQUIRE(r.status == 200);
  json j = json::parse(r.body);
  CHECK(j["id"] == "ab c");
  CHECK(j["query"] == json{{"x", "1"}, {"y", "A B"}});
  CHECK(j["path"] == "/v1/tx/ab%20c");

  // An open route: a valid token identifies the caller, an invalid one is ignored.
  CHECK(c->Get("/whoami", f->auditor.token).body == "auditor");
  CHECK(c->Get("/whoami", "bogus").body == "nobody");
  CHECK(c->Get("/whoami").body == "nobody");

  r = c->Get("/v1/tx/latest");  // a literal segment beats {id}
  CHECK(r.status == 200);
  CHECK(r.body == "\"latest\"");

  auto post = TestClient::MakeRequest(http::verb::post, "/v1/records", "{\"a\":1}\n{\"b\":2}\n",
                                      f->tax.token);
  post.set(http::field::content_type, "application/x-ndjson");
  r = c->Send(post);
  REQUIRE(r.status == 200);
  j = json::parse(r.body);
  CHECK(j["bytes"] == 16);
  CHECK(j["principal"] == "tax-system");
  CHECK(j["content_type"] == "application/x-ndjson");

  r = c->Get("/v1/nothing");
  CHECK(r.status == 404);
  CHECK(ErrorCode(r) == "not_found");
  r = c->Get("/v1/tx/");  // an empty {id} matches nothing
  CHECK(r.status == 404);

  r = c->Send(TestClient::MakeRequest(http::verb::delete_, "/v1/tx/abc", ""));
  CHECK(r.status == 405);
  CHECK(ErrorCode(r) == "method_not_allowed");
  CHECK(r.message[http::field::allow] == "GET");

  r = c->Get("/v1/boom");
  CHECK(r.status == 500);
  CHECK(ErrorCode(r) == "internal");
  CHECK(r.body.find("kaput") == std::string::npos);  // no internals leak to clients
  r = c->Get("/healthz");  // still serving, same connection
  CHECK(r.status == 200);
  {
    std::lock_guard<std::mutex> lock(f->log_mu);
    REQUIRE(f->log.size() == 1);
    CHECK(f->log[0].find("kaput") != std::string::npos);
  }

  // A clock past the auditor's expiry.
  f->now = kNow + 1;
  r = c->Get("/v1/tx/abc", f->auditor.token);
  CHECK(r.status == 401);
  CHECK(ErrorCode(r) == "token_expired");

  const std::string m = f->server->MetricsText();
  INFO(m);
  CHECK(MetricValue(m, "hearth_api_refusals_total{route=\"/v1/tx/{id}\",reason=\"unauthenticated\"}") == 2);
  CHECK(MetricValue(m, "hearth_api_refusals_total{route=\"/v1/tx/{id}\",reason=\"expired\"}") == 2);
  CHECK(MetricValue(m, "hearth_api_refusals_total{route=\"/v1/records\",reason=\"forbidden\"}") == 1);
  CHECK(MetricValue(m, "hearth_api_refusals_total{route=\"unmatched\",reason=\"not_found\"}") == 2);
  CHECK(MetricValue(m, "hearth_api_refusals_total{route=\"/v1/tx/{id}\",reason=\"method_not_allowed\"}") == 1);
  CHECK(MetricValue(m, "hearth_api_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"}") == 2);
  CHECK(MetricValue(m, "hearth_api_requests_total{route=\"/v1/boom\",method=\"GET\",status=\"500\"}") == 1);
  CHECK(MetricValue(m, "hearth_api_requests_total{route=\"/v1/records\",method=\"POST\",status=\"200\"}") == 1);
  CHECK(MetricValue(m, "hearth_api_handler_exceptions_total") == 1);
  CHECK(MetricValue(m, "hearth_api_connections_open") == 1);
}

TEST_CASE("HTTPS: statuses, JSON errors, keep-alive and metrics") { CheckStatusFlow(true); }

TEST_CASE("plain HTTP on loopback: the same behaviour") { CheckStatusFlow(false); }

TEST_CASE("plain HTTP is refused on a non-loopback host, TLS needs a matching key") {
  for (const char* host : {"0.0.0.0", "10.1.2.3", "::"}) {
    HttpServerConfig c;
    c.tls = false;
    c.host = host;
    HttpServer s(c, nullptr, nullptr);
    Status st = s.Start();
    INFO(host);
    CHECK(st.code() == Code::kFailedPrecondition);
    CHECK(st.message().find("loopback") != std::string::npos);
    CHECK(s.port() == 0);
  }
  HttpServerConfig c;
  c.host = "not-an-address";
  CHECK(HttpServer(c, nullptr, nullptr).Start().code() == Code::kInvalidArgument);

  c.host = "127.0.0.1";  // TLS by default: a certificate is needed
  CHECK(HttpServer(c, nullptr, nullptr).Start().code() == Code::kInvalidArgument);
  c.cert_pem = "-----BEGIN CERTIFICATE-----\nnonsense\n-----END CERTIFICATE-----\n";
  c.key_pem = Cert().key_pem;
  Status st = HttpServer(c, nullptr, nullptr).Start();
  CHECK(st.code() == Code::kInvalidArgument);
  CHECK(st.message().find("api.cert_pem") == 0);
  c.cert_pem = Cert().cert_pem;
  c.key_pem = testing::MakeSelfSignedCert().key_pem;  // another key
  st = HttpServer(c, nullptr, nullptr).Start();
  CHECK(st.code() == Code::kInvalidArgument);
  CHECK(st.message().find("api.key_pem") == 0);

  c.key_pem = Cert().key_pem;
  c.threads = 0;
  CHECK(HttpServer(c, nullptr, nullptr).Start().code() == Code::kInvalidArgument);

  // A port in use is an IOError; a second Start is refused.
  c.threads = 1;
  HttpServer a(c, nullptr, nullptr);
  REQUIRE(a.Start().ok());
  CHECK(a.Start().code() == Code::kFailedPrecondition);
  c.port = a.port();
  HttpServer b(c, nullptr, nullptr);
  CHECK(b.Start().code() == Code::kIOError);
}

TEST_CASE("an untrusted certificate fails the client's handshake") {
  auto f = Started(true);
  TestCert other = testing::MakeSelfSignedCert();
  TestClient c(f->server->port(), &other.cert_pem);
  CHECK(c.Connect().find("handshake") == 0);
  // A plain HTTP client talking to the TLS port gets nothing usable either.
  TestClient p(f->server->port(), nullptr);
  REQUIRE(p.Connect().empty());
  CHECK(!p.Get("/healthz").ok);
}

void CheckBodyLimits(bool tls) {
  auto f = Started(tls, /*body_bytes_max=*/1024);
  {
    // Exactly at the limit: accepted.
    auto c = f->Client();
    Reply r = c->Send(TestClient::MakeRequest(http::verb::post, "/v1/records",
                                             std::string(1024, 'x'), f->tax.token));
    CHECK(r.status == 200);
  }
  {
    // Declared Content-Length over the limit: 413 before the body is read, then closed.
    auto c = f->Client();
    Reply r = c->Send(TestClient::MakeRequest(http::verb::post, "/v1/records",
                                             std::string(1025, 'x'), f->tax.token));
    REQUIRE(r.ok);
    CHECK(r.status == 413);
    CHECK(ErrorCode(r) == "body_too_large");
    CHECK(!r.message.keep_alive());
    CHECK(c->ClosedByServer());
  }
  {
    // Chunked: the limit is crossed while reading.
    auto c = f->Client();
    auto req = TestClient::MakeRequest(http::verb::post, "/v1/records", std::string(3000, 'y'),
                                       f->tax.token);
    req.chunked(true);
    Reply r = c->Send(req);
    REQUIRE(r.ok);
    CHECK(r.status == 413);
  }
  {
    // A refusal with a larger body pending closes the connection.
    auto c = f->Client();
    Reply r = c->Send(TestClient::MakeRequest(http::verb::post, "/v1/records", "{}", "wrong"));
    CHECK(r.status == 401);
    CHECK(r.message.keep_alive());  // a small refused body is dropped, the connection kept
    r = c->Send(TestClient::MakeRequest(http::verb::post, "/v1/records",
                                        std::string(2000, 'z'), "wrong"));
    CHECK(r.status == 401);
    CHECK(!r.message.keep_alive());
    CHECK(c->ClosedByServer());
  }
  const std::string m = f->server->MetricsText();
  CHECK(MetricValue(m, "hearth_api_refusals_total{route=\"/v1/records\",reason=\"body_too_large\"}") == 2);
}

TEST_CASE("HTTPS: 413 for bodies over the limit") { CheckBodyLimits(true); }
TEST_CASE("plain HTTP: 413 for bodies over the limit") { CheckBodyLimits(false); }

TEST_CASE("bodies held at once are bounded across connections: 503 busy, then accepted") {
  Fixture f(false, /*body_bytes_max=*/1000, 2, 4, /*bodies_bytes_max=*/1500);
  f.server_tls = false;
  f.Start();
  const std::string header = "POST /v1/records HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\n"
                             "Authorization: Bearer " + f.tax.token + "\r\nContent-Length: 1000\r\n\r\n";
  // A: 1000 bytes reserved (the 100 Continue comes after the reservation), body not sent yet.
  auto a = f.Client();
  REQUIRE(a->WriteRaw(header).empty());
  Reply r = a->Read();
  REQUIRE(r.ok);
  REQUIRE(r.status == 100);
  auto post = [&](TestClient& c, size_t n, bool chunked = false) {
    if (!chunked) {
      return c.Send(TestClient::MakeRequest(http::verb::post, "/v1/records", std::string(n, 'b'),
                                            f.tax.token));
    }
    char size[16];
    std::snprintf(size, sizeof size, "%zx", n);
    const std::string raw = "POST /v1/records HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                            f.tax.token + "\r\nTransfer-Encoding: chunked\r\n\r\n" + size + "\r\n" +
                            std::string(n, 'c') + "\r\n0\r\n\r\n";
    const std::string e = c.WriteRaw(raw);
    return e.empty() ? c.Read() : Reply{false, e, 0, {}, {}};
  };
  auto b = f.Client();
  r = post(*b, 600);  // 1000 + 600 > 1500
  REQUIRE(r.ok);
  CHECK(r.status == 503);
  CHECK(ErrorCode(r) == "busy");
  CHECK(r.message["Retry-After"] == "1");
  CHECK(r.message.keep_alive());  // the small body was read and dropped
  {
    auto c = f.Client();
    r = post(*c, 10, /*chunked=*/true);  // chunked: reserves body_bytes_max
    CHECK(r.status == 503);
    CHECK(ErrorCode(r) == "busy");
    CHECK(c->ClosedByServer());  // a body of unknown length is not read: the connection ends
  }
  r = post(*b, 400);  // 1000 + 400 fits
  CHECK(r.status == 200);
  CHECK(json::parse(r.body)["bytes"] == 400);
  // A sends its body: served, and its reservation returned.
  REQUIRE(a->WriteRaw(std::string(1000, 'a')).empty());
  r = a->Read();
  REQUIRE(r.ok);
  CHECK(r.status == 200);
  CHECK(json::parse(r.body)["bytes"] == 1000);
  r = post(*b, 600);
  CHECK(r.status == 200);
  {
    auto c = f.Client();
    r = post(*c, 1000, /*chunked=*/true);
    CHECK(r.status == 200);
    CHECK(json::parse(r.body)["bytes"] == 1000);
  }
  // A connection that goes away mid-body returns its reservation too.
  {
    auto gone = f.Client();
    REQUIRE(gone->WriteRaw(header).empty());
    REQUIRE(gone->Read().status == 100);
    REQUIRE(gone->WriteRaw(std::string(10, 'g')).empty());
  }
  bool accepted = false;  // the server notices the close asynchronously: retry as a client would
  for (int i = 0; i < 600 && !accepted; ++i) {
    r = post(*b, 1000);
    accepted = r.status == 200;
    if (!accepted) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(accepted);
  const std::string m = f.server->MetricsText();
  CHECK(MetricValue(m, "hearth_api_refusals_total{route=\"/v1/records\",reason=\"busy\"}") >= 2);
}

TEST_CASE("bodies_bytes_max below body_bytes_max is refused at Start") {
  HttpServerConfig c;
  c.tls = false;
  c.body_bytes_max = 1000;
  c.bodies_bytes_max = 999;
  HttpServer s(c, nullptr, nullptr);
  Status st = s.Start();
  CHECK(st.code() == Code::kInvalidArgument);
  CHECK(st.message().find("bodies_bytes_max") != std::string::npos);
}

TEST_CASE("Expect: 100-continue is answered after the checks") {
  auto f = Started(false);
  auto header_only = [&](const std::string& token, size_t length) {
    std::string h = "POST /v1/records HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\n"
                    "Content-Length: " + std::to_string(length) + "\r\n";
    if (!token.empty()) h += "Authorization: Bearer " + token + "\r\n";
    return h + "\r\n";
  };
  {
    auto c = f->Client();
    REQUIRE(c->WriteRaw(header_only(f->tax.token, 5)).empty());
    Reply r = c->Read();
    REQUIRE(r.ok);
    CHECK(r.status == 100);
    REQUIRE(c->WriteRaw("hello").empty());
    r = c->Read();
    REQUIRE(r.ok);
    CHECK(r.status == 200);
    CHECK(json::parse(r.body)["bytes"] == 5);
  }
  {
    auto c = f->Client();  // no token: refused without the body being sent
    REQUIRE(c->WriteRaw(header_only("", 5)).empty());
    Reply r = c->Read();
    CHECK(r.status == 401);
  }
  {
    auto c = f->Client();  // too large: refused without the body being sent
    REQUIRE(c->WriteRaw(header_only(f->tax.token, 1 << 30)).empty());
    Reply r = c->Read();
    CHECK(r.status == 413);
  }
}

TEST_CASE("malformed requests get 400 or 431 as JSON") {
  auto f = Started(false);
  for (const std::string& raw :
       {std::string("GARBAGE\r\n\r\n"), std::string("GET http://example.com/healthz HTTP/1.1\r\nHost: x\r\n\r\n"),
        std::string("GET /v1/tx/%zz HTTP/1.1\r\nHost: x\r\n\r\n"),
        std::string("GET /healthz?a=1&a=2 HTTP/1.1\r\nHost: x\r\n\r\n"),
        std::string("POST /v1/records HTTP/1.1\r\nHost: x\r\nContent-Length: 12x\r\n\r\n")}) {
    INFO(raw);
    auto c = f->Client();
    REQUIRE(c->WriteRaw(raw).empty());
    Reply r = c->Read();
    REQUIRE(r.ok);
    CHECK(r.status == 400);
    CHECK(ErrorCode(r) == "bad_request");
  }
  auto c = f->Client();
  REQUIRE(c->WriteRaw("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') +
                     "\r\n\r\n").empty());
  Reply r = c->Read();
  REQUIRE(r.ok);
  CHECK(r.status == 431);
  const std::string m = f->server->MetricsText();
  CHECK(MetricValue(m, "hearth_api_refusals_total{route=\"unmatched\",reason=\"bad_request\"}") == 6);
}

TEST_CASE("a blocking handler does not stall the IO thread") {
  Fixture f(false, 1024, /*io_threads=*/1, /*handler_threads=*/2);
  f.server_tls = false;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> entered;
  f.server->AddRoute({"GET", "/slow", {}, [&](const HttpRequest&) {
                        entered.set_value();
                        if (released.wait_for(kWaitBound) != std::future_status::ready) {
                          return JsonError(500, "test", "never released");
                        }
                        return Text("slow");
                      }});
  f.Start();
  std::thread slow_client([&] {
    auto c = f.Client();
    Reply r = c->Get("/slow");
    CHECK(r.status == 200);
    CHECK(r.body == "slow");
  });
  REQUIRE(entered.get_future().wait_for(kWaitBound) == std::future_status::ready);
  auto c = f.Client();  // served while /slow still blocks its handler thread
  CHECK(c->Get("/healthz").status == 200);
  release.set_value();
  slow_client.join();
}

TEST_CASE("Stop closes idle connections, waits for running handlers, joins its threads") {
  const size_t threads_before = ThreadCount();
  {
    Fixture f(true);
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    std::promise<void> entered;
    f.server->AddRoute({"GET", "/slow", {}, [&](const HttpRequest&) {
                          entered.set_value();
                          (void)released.wait_for(kWaitBound);
                          return Text("slow");
                        }});
    f.Start();
    CHECK(ThreadCount() > threads_before);
    auto idle = f.Client();
    REQUIRE(idle->Get("/healthz").status == 200);
    std::thread slow_client([&] {
      auto c = f.Client();
      (void)c->Get("/slow");  // a response or a closed connection; either is fine
    });
    REQUIRE(entered.get_future().wait_for(kWaitBound) == std::future_status::ready);
    std::thread stopper([&] { f.server->Stop(); });
    release.set_value();
    stopper.join();
    slow_client.join();
    CHECK(idle->ClosedByServer());
    TestClient late(f.server->port(), &Cert().cert_pem);
    CHECK(!late.Connect().empty());  // nobody listens any more
    f.server->Stop();                // idempotent
  }
  CHECK(ThreadCount() == threads_before);
}

TEST_CASE("connections beyond connections_max are closed at once") {
  HttpServerConfig c;
  c.tls = false;
  c.connections_max = 1;
  HttpServer s(c, nullptr, nullptr);
  s.AddRoute({"GET", "/healthz", {}, [](const HttpRequest&) { return Text("ok"); }});
  REQUIRE(s.Start().ok());
  TestClient first(s.port(), nullptr);
  REQUIRE(first.Connect().empty());
  REQUIRE(first.Get("/healthz").status == 200);  // registered before the next accept
  {
    TestClient second(s.port(), nullptr);
    REQUIRE(second.Connect().empty());  // the kernel accepts; the server closes it
    CHECK(!second.Get("/healthz").ok);
  }
  CHECK(first.Get("/healthz").status == 200);
  CHECK(MetricValue(s.MetricsText(), "hearth_api_connections_refused_total") == 1);
}

TEST_CASE("Routes() lists method and pattern in registration order") {
  Fixture f(false);
  std::vector<std::pair<std::string, std::string>> expected = {
      {"GET", "/healthz"}, {"POST", "/v1/records"}, {"GET", "/v1/tx/{id}"},
      {"GET", "/v1/tx/latest"}, {"GET", "/v1/boom"}, {"GET", "/whoami"}};
  CHECK(f.server->Routes() == expected);
  CHECK(f.server->port() == 0);  // not started
}

TEST_CASE("JsonError is the documented shape") {
  HttpResponse r = JsonError(404, "not_found", "no \"x\"");
  CHECK(r.status == 404);
  CHECK(r.content_type == "application/json");
  CHECK(json::parse(r.body) == json{{"error", "not_found"}, {"message", "no \"x\""}});
}

}  // namespace
}  // namespace hearth::api
