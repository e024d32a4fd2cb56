// bench_http_load: a bounded HTTPS load generator for a node's API (issue 6, "Benchmark":
// `POST /v1/checks` under concurrent load against `GET /healthz` on the same server in the
// same run; target p99 <= 30 ms at 16 connections).
//
// Closed loop: for each connection count N of --connections, N keep-alive TLS connections
// are opened (not timed), each driven by a client thread of its own (blocking TLS reads,
// see Conn) with exactly one request in flight. First the reference workload runs on them (--ref-method --ref-path,
// default GET /healthz), then the main one (--method --path, default POST /v1/checks, the
// bodies of --body-file in rotation), each for --warmup seconds untimed and then --seconds
// (or --requests answers) timed; then the connections are closed. Latency is from the first
// byte written to the last byte of the answer read.
//
// Printed per step: requests, errors, req/s, latency p50 / p90 / p99 / max, mean answer size,
// client CPU per request and (with --pids) the node's CPU per request: the first pid is the
// node under load, the sum over all pids covers the other nodes' work too (they commit the
// access records checks make); node-wait is the time per request the first pid's threads
// were runnable but had no CPU (run-queue wait from schedstat: the machine's contention).
// When the node exports hearth_check_cpu_seconds_total (its /metrics, read on a connection of
// its own at the end of the warm-up and of the step), a `phases` line: the handler's CPU per
// check by phase (docs/NODE.md "Checks"). Then, per connection count, the ratios: main p99 / --target-p99-ms,
// main req/s / reference req/s; with --pids, the closed loop's floor (Little's law: the mean
// latency at N connections is at least N x CPU per request of every process / cores, all
// processes sharing this machine's cores) and the CPU per request a mean latency of
// --target-p99-ms would allow; at the end the target line (p99 at --target-connections).
// Every answer that is not 2xx (or lacks --expect-header) and every transport failure is an
// error, counted by status and printed with the first error body.
//
// Usage: bench_http_load --url https://127.0.0.1:PORT (--ca PEM | --insecure)
//          [--token T | --token-file F] [--body-file F.ndjson] [--method POST] [--path /v1/checks]
//          [--ref-method GET] [--ref-path /healthz | --no-ref] [--connections 1,16,64]
//          [--seconds 10] [--requests N] [--warmup 2] [--timeout-ms 30000]
//          [--expect-header NAME (main workload)] [--target-p99-ms 30] [--target-connections 16] [--pids P,Q,..]
//          [--trace FILE]
// --trace FILE writes one line per timed answer of the main workload, "connections start_ms
// latency_ms body" (start after the warm-up; body: 0-based line of --body-file), to see whether
// slow answers come in bursts (something else took the cores) or with certain bodies.
// Options also take the form --name=value. --requests N ends a step after N timed answers
// (then --seconds, default 300, is only a bound). Steps always end: by time, count, or
// per-request timeouts (a request fails once --timeout-ms has passed, checked after each
// receive, and no receive waits longer than that); a connection that fails 10 times stops.
// A failed request counts as an error, not in the latency figures (the run exits 1).
// Exit: 0 every answer (warm-up included) 2xx; 1 some request failed; 2 bad arguments, an
// unreadable file, or a connection that could not be opened.
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "hearth/node/genesis.h"

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using Clock = std::chrono::steady_clock;

constexpr size_t kBodyBytesMax = 1 << 20;          // one request body (a check body is ~300 B)
constexpr size_t kBodiesMax = 1'000'000;           // lines read from --body-file
constexpr uint64_t kAnswerBytesMax = 64ull << 20;  // one answer (a receipt is ~250 KB)
constexpr size_t kConnectionsMax = 1024;
constexpr uint64_t kRequestsPerStepMax = 100'000'000;
constexpr int kConnectAttempts = 50;  // 100 ms apart: a full server closes new connections at once
constexpr uint64_t kFailuresPerConnectionMax = 10;

struct Options {
  std::string url, token, ca_pem;
  bool insecure = false;
  std::vector<size_t> connections = {1, 16, 64};
  double seconds = 10, warmup_s = 2;
  bool seconds_given = false;
  uint64_t requests = 0;
  uint64_t timeout_ms = 30'000;
  std::string method = "POST", path = "/v1/checks";
  std::string ref_method = "GET", ref_path = "/healthz";
  bool ref = true;
  std::vector<std::string> bodies;
  std::string expect_header;
  double target_p99_ms = 30;
  size_t target_connections = 16;
  std::vector<int> pids;
  std::string trace_path;  // --trace: one line per timed request of the main workload
};

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "bench_http_load: %s\n", why.c_str());
  std::exit(2);
}

std::string ReadFileOrDie(const std::string& path, size_t max_bytes, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Die(std::string(what) + " " + path + ": cannot be read");
  std::ostringstream s;
  s << in.rdbuf();
  std::string text = s.str();
  if (text.size() > max_bytes) Die(std::string(what) + " " + path + ": over " + std::to_string(max_bytes) + " bytes");
  return text;
}

std::string Trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

std::vector<std::string> ReadBodies(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Die("--body-file " + path + ": cannot be read");
  std::vector<std::string> out;
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    line = Trim(line);
    if (line.empty()) continue;
    if (line.size() > kBodyBytesMax) Die("--body-file line " + std::to_string(n) + ": over 1 MiB");
    if (out.size() == kBodiesMax) Die("--body-file: more than " + std::to_string(kBodiesMax) + " lines");
    out.push_back(line);
  }
  if (out.empty()) Die("--body-file " + path + ": no body in it");
  return out;
}

double Number(const std::string& flag, const std::string& v, double lo, double hi) {
  char* end = nullptr;
  const double d = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0' || !(d >= lo && d <= hi)) {
    Die(flag + " " + v + ": expected a number in " + std::to_string(lo) + ".." + std::to_string(hi));
  }
  return d;
}

template <typename T>
std::vector<T> NumberList(const std::string& flag, const std::string& v, double lo, double hi) {
  std::vector<T> out;
  std::stringstream s(v);
  std::string item;
  while (std::getline(s, item, ',')) out.push_back(static_cast<T>(Number(flag, item, lo, hi)));
  if (out.empty()) Die(flag + ": empty list");
  return out;
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  std::string token_file, ca_file, body_file;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i], v;
    const size_t eq = a.find('=');
    const bool flags_only = a == "--insecure" || a == "--no-ref";
    if (eq != std::string::npos) {
      v = a.substr(eq + 1);
      a = a.substr(0, eq);
    } else if (!flags_only) {
      if (i + 1 >= argc) Die(a + ": needs a value");
      v = argv[++i];
    }
    if (a == "--url") o.url = v;
    else if (a == "--token") o.token = v;
    else if (a == "--token-file") token_file = v;
    else if (a == "--ca") ca_file = v;
    else if (a == "--insecure") o.insecure = true;
    else if (a == "--connections") o.connections = NumberList<size_t>(a, v, 1, kConnectionsMax);
    else if (a == "--seconds") {
      o.seconds = Number(a, v, 0.1, 86400);
      o.seconds_given = true;
    }
    else if (a == "--requests") o.requests = static_cast<uint64_t>(Number(a, v, 1, kRequestsPerStepMax));
    else if (a == "--warmup") o.warmup_s = Number(a, v, 0, 3600);
    else if (a == "--timeout-ms") o.timeout_ms = static_cast<uint64_t>(Number(a, v, 1, 3.6e6));
    else if (a == "--method") o.method = v;
    else if (a == "--path") o.path = v;
    else if (a == "--ref-method") o.ref_method = v;
    else if (a == "--ref-path") o.ref_path = v;
    else if (a == "--no-ref") o.ref = false;
    else if (a == "--body-file") body_file = v;
    else if (a == "--expect-header") o.expect_header = v;
    else if (a == "--target-p99-ms") o.target_p99_ms = Number(a, v, 0.001, 1e6);
    else if (a == "--target-connections") o.target_connections = static_cast<size_t>(Number(a, v, 1, kConnectionsMax));
    else if (a == "--pids") o.pids = NumberList<int>(a, v, 1, 4194304);
    else if (a == "--trace") o.trace_path = v;
    else Die("unknown argument " + a + " (see the header of bench/http_load.cc)");
  }
  if (o.url.empty()) Die("--url is required");
  if (ca_file.empty() == !o.insecure) Die("give exactly one of --ca PEM and --insecure");
  if (!ca_file.empty()) o.ca_pem = ReadFileOrDie(ca_file, 1 << 20, "--ca");
  if (!token_file.empty()) {
    if (!o.token.empty()) Die("give at most one of --token and --token-file");
    o.token = Trim(ReadFileOrDie(token_file, 4096, "--token-file"));
    if (o.token.empty()) Die("--token-file " + token_file + ": empty");
  }
  if (!body_file.empty()) o.bodies = ReadBodies(body_file);
  if (o.requests > 0 && !o.seconds_given) o.seconds = 300;
  for (const std::string* p : {&o.path, &o.ref_path}) {
    if (p->empty() || (*p)[0] != '/') Die("path " + *p + ": must start with /");
  }
  return o;
}

// ---- TLS ----

void TrustOnly(ssl::context& ctx, const std::string& pem) {
  X509_STORE* store = X509_STORE_new();
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (store == nullptr || bio == nullptr) Die("out of memory building the trust store");
  size_t count = 0;
  while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    if (X509_STORE_add_cert(store, cert) != 1) Die("--ca: cannot add a certificate");
    X509_free(cert);
    ++count;
  }
  BIO_free(bio);
  ERR_clear_error();
  if (count == 0) Die("--ca: no PEM certificate in it");
  X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN);  // the anchor is the server's own cert
  SSL_CTX_set_cert_store(ctx.native_handle(), store);
  ctx.set_verify_mode(ssl::verify_peer);
}

// ---- one step: a workload on N connections ----

struct Workload {
  std::string name, method, path;
  std::string expect_header;  // required in every 2xx answer; empty: none
  std::vector<std::string> requests;  // whole requests as sent, rotated; read-only while running
};

// One connection: a blocking TCP socket with its own TLS session, driven by a thread of its
// own. Blocking reads with OpenSSL's read-ahead into a large buffer take an answer in a few
// receives (a 175 KB receipt is 11 TLS records), where an event loop pays a wake-up, a poll
// and a handler per record: the generator shares the cores with the nodes it measures, so
// what it spends is taken from them.
struct Conn {
  Conn() = default;
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;
  ~Conn() { Close(); }
  void Close() {
    if (ssl != nullptr) SSL_free(ssl);
    ssl = nullptr;
    if (fd >= 0) ::close(fd);
    fd = -1;
    len = 0;
  }
  bool open() const { return ssl != nullptr; }

  int fd = -1;
  SSL* ssl = nullptr;
  std::vector<char> buf;  // answer bytes read, [0, len); grown, never shrunk
  size_t len = 0;
  std::string open_error;
  // This step's tallies (reset by Reset()).
  std::vector<double> latency_ms;
  // With --trace: per timed answer, its start (ms after the warm-up), latency and body.
  struct Traced {
    double start_ms, latency_ms;
    size_t body;
  };
  std::vector<Traced> trace;
  std::map<std::string, uint64_t> errors;  // "503", "transport", "missing <header>"
  std::string first_error;
  uint64_t ok = 0, answer_bytes = 0, warm = 0, warm_errors = 0, failures = 0;
  Clock::time_point last_done{};
  void Reset() {
    latency_ms.clear();
    trace.clear();
    errors.clear();
    first_error.clear();
    ok = answer_bytes = warm = warm_errors = failures = 0;
    last_done = {};
  }
};

struct Shared {
  const Options* o = nullptr;
  SSL_CTX* ctx = nullptr;
  asio::ip::address address;
  uint16_t port = 0;
  std::string host;
  const Workload* workload = nullptr;
  Clock::time_point warmup_end, deadline;
  std::atomic<uint64_t> next{0}, issued{0};
  bool trace = false;  // record Conn::trace in this step
  std::string metrics_request;  // GET /metrics, on a connection of its own
};

// Why an SSL call returned rc <= 0. Callers zero errno before the call.
std::string SslError(SSL* ssl, int rc) {
  const int err_no = errno;
  const int e = SSL_get_error(ssl, rc);
  const unsigned long q = ERR_get_error();
  ERR_clear_error();
  if (q != 0) {
    char text[256];
    ERR_error_string_n(q, text, sizeof text);
    return text;
  }
  if (e == SSL_ERROR_ZERO_RETURN) return "closed by the server";
  // A blocking socket's receive or send timeout (SO_RCVTIMEO / SO_SNDTIMEO) shows as
  // "want read / write", or as a syscall error with EAGAIN.
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return "timed out";
  if (e == SSL_ERROR_SYSCALL) {
    if (err_no == EAGAIN || err_no == EWOULDBLOCK) return "timed out";
    return err_no != 0 ? std::strerror(err_no) : "connection closed";
  }
  return "TLS error " + std::to_string(e);
}

bool OpenOnce(Conn& c, const Shared& s) {
  const Options& o = *s.o;
  const asio::ip::tcp::endpoint endpoint(s.address, s.port);  // the sockaddr, v4 or v6
  c.fd = ::socket(endpoint.data()->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (c.fd < 0) {
    c.open_error = std::string("socket: ") + std::strerror(errno);
    return false;
  }
  // Every send and receive (the connect too) gives up after --timeout-ms.
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(o.timeout_ms / 1000);
  tv.tv_usec = static_cast<suseconds_t>((o.timeout_ms % 1000) * 1000);
  ::setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(c.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (::connect(c.fd, endpoint.data(), static_cast<socklen_t>(endpoint.size())) != 0) {
    c.open_error = std::string("connect: ") + std::strerror(errno);
    c.Close();
    return false;
  }
  const int one = 1;  // as the server does
  ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  c.ssl = SSL_new(s.ctx);
  if (c.ssl == nullptr) Die("out of memory for a TLS session");
  if (!o.insecure) X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c.ssl), s.host.c_str());
  SSL_set_fd(c.ssl, c.fd);
  errno = 0;
  const int rc = SSL_connect(c.ssl);
  if (rc != 1) {
    c.open_error = "TLS handshake: " + SslError(c.ssl, rc);
    c.Close();
    return false;
  }
  c.open_error.clear();
  return true;
}

void Open(Conn& c, const Shared& s) {
  for (int attempt = 0; attempt < kConnectAttempts; ++attempt) {
    if (OpenOnce(c, s)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

void CountError(Conn& c, bool measured, const std::string& key, const std::string& detail) {
  if (measured) {
    ++c.errors[key];
  } else {
    ++c.warm_errors;
  }
  if (c.first_error.empty()) c.first_error = (measured ? "" : "(warm-up) ") + key + ": " + detail.substr(0, 300);
}

// What one answer said (the body itself is only counted, and kept in part for errors).
struct Answer {
  unsigned status = 0;
  bool keep_alive = true;
  bool has_expected = false;
  uint64_t body_bytes = 0;
  std::string body_head;  // the first 300 bytes
};

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// Reads more bytes into c.buf; false with *err on failure, or once `deadline` has passed
// (checked after each read: one read waits at most --timeout-ms, the socket's timeout, so
// an answer that trickles in fails within twice that).
bool ReadMore(Conn& c, Clock::time_point deadline, std::string* err) {
  constexpr size_t kChunk = 256 * 1024;
  if (c.buf.size() < c.len + kChunk) c.buf.resize(std::max(c.buf.size() * 2, c.len + kChunk));
  errno = 0;
  const int n = SSL_read(c.ssl, c.buf.data() + c.len, static_cast<int>(kChunk));
  if (n <= 0) {
    *err = SslError(c.ssl, n);
    return false;
  }
  c.len += static_cast<size_t>(n);
  if (Clock::now() > deadline) {
    *err = "timed out (the answer was still arriving)";
    return false;
  }
  return true;
}

std::string_view TrimSpace(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

// True when the comma-separated token list `v` holds `token` (case-insensitive).
bool HasToken(std::string_view v, std::string_view token) {
  while (!v.empty()) {
    const size_t comma = v.find(',');
    if (EqualsNoCase(TrimSpace(v.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    v.remove_prefix(comma + 1);
  }
  return false;
}

// Parses the header block `head` (status line and fields, without the blank line) into *a.
bool ParseHead(std::string_view head, const std::string& expect_header, Answer* a, std::string* err) {
  size_t line_end = head.find("\r\n");
  const std::string_view status_line = head.substr(0, line_end);
  // "HTTP/1.x DDD reason"
  if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." || status_line[8] != ' ' ||
      !std::isdigit(static_cast<unsigned char>(status_line[9])) ||
      !std::isdigit(static_cast<unsigned char>(status_line[10])) ||
      !std::isdigit(static_cast<unsigned char>(status_line[11])) ||
      (status_line.size() > 12 && status_line[12] != ' ')) {
    *err = "malformed status line: " + std::string(status_line.substr(0, 80));
    return false;
  }
  a->status = static_cast<unsigned>((status_line[9] - '0') * 100 + (status_line[10] - '0') * 10 +
                                    (status_line[11] - '0'));
  a->keep_alive = status_line[7] == '1';  // HTTP/1.1 keeps the connection unless told
  a->has_expected = false;
  bool has_length = false;
  a->body_bytes = 0;
  while (line_end != std::string_view::npos) {
    const size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    const std::string_view line =
        head.substr(start, line_end == std::string_view::npos ? std::string_view::npos : line_end - start);
    if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
      *err = "folded header line (obsolete line folding is not read here)";
      return false;
    }
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      *err = "malformed header line: " + std::string(line.substr(0, 80));
      return false;
    }
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = TrimSpace(line.substr(colon + 1));
    if (EqualsNoCase(name, "content-length")) {
      uint64_t n = 0;
      const bool digits = !value.empty() && value.size() <= 19 &&
                          std::all_of(value.begin(), value.end(),
                                      [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)); });
      if (digits) n = std::strtoull(std::string(value).c_str(), nullptr, 10);
      if (!digits || (has_length && n != a->body_bytes)) {
        *err = "bad Content-Length: " + std::string(value.substr(0, 40));
        return false;
      }
      a->body_bytes = n;
      has_length = true;
    } else if (EqualsNoCase(name, "connection")) {
      if (HasToken(value, "close")) {
        a->keep_alive = false;  // close wins over anything else listed
      } else if (HasToken(value, "keep-alive")) {
        a->keep_alive = true;
      }
    } else if (EqualsNoCase(name, "transfer-encoding")) {
      *err = "chunked answers are not read here";
      return false;
    }
    if (!expect_header.empty() && EqualsNoCase(name, expect_header)) a->has_expected = true;
  }
  // 1xx, 204 and 304 answers have no body whatever they declare.
  const bool bodiless = a->status < 200 || a->status == 204 || a->status == 304;
  if (bodiless) {
    a->body_bytes = 0;
  } else if (!has_length) {
    *err = "answer without Content-Length";
    return false;
  }
  if (a->body_bytes > kAnswerBytesMax) {
    *err = "answer body over " + std::to_string(kAnswerBytesMax) + " bytes";
    return false;
  }
  return true;
}

// One final HTTP/1.1 answer (interim 1xx answers before it are read and skipped). The node
// always sends Content-Length; chunked answers are refused.
bool ReadAnswer(Conn& c, const std::string& expect_header, Clock::time_point deadline, Answer* a,
                std::string* err, std::string* body = nullptr) {
  constexpr std::string_view kEnd = "\r\n\r\n";
  constexpr size_t kHeaderBytesMax = 64 * 1024;
  for (;;) {
    size_t header_end = std::string_view::npos;
    for (;;) {
      header_end = std::string_view(c.buf.data(), c.len).find(kEnd);
      if (header_end != std::string_view::npos) break;
      if (c.len > kHeaderBytesMax) {
        *err = "answer header over 64 KiB";
        return false;
      }
      if (!ReadMore(c, deadline, err)) return false;
    }
    if (!ParseHead(std::string_view(c.buf.data(), header_end), expect_header, a, err)) return false;
    const size_t total = header_end + kEnd.size() + static_cast<size_t>(a->body_bytes);
    while (c.len < total) {
      if (!ReadMore(c, deadline, err)) return false;
    }
    a->body_head.assign(c.buf.data() + header_end + kEnd.size(),
                        static_cast<size_t>(std::min<uint64_t>(a->body_bytes, 300)));
    if (body != nullptr) body->assign(c.buf.data() + header_end + kEnd.size(), static_cast<size_t>(a->body_bytes));
    // One request in flight: nothing should follow, but keep whatever did.
    std::memmove(c.buf.data(), c.buf.data() + total, c.len - total);
    c.len -= total;
    if (a->status >= 200) return true;
  }
}

void Drive(Conn& c, Shared& s) {
  const Options& o = *s.o;
  const auto& reqs = s.workload->requests;
  while (c.failures < kFailuresPerConnectionMax && Clock::now() < s.deadline) {
    if (!c.open()) {  // closed by the server or after a failure: reopen (not timed)
      Open(c, s);
      if (!c.open()) {
        ++c.failures;
        CountError(c, Clock::now() >= s.warmup_end, "connect", c.open_error);
        break;
      }
    }
    const Clock::time_point t0 = Clock::now();
    if (t0 >= s.deadline) break;
    const bool measured = t0 >= s.warmup_end;
    if (measured && s.issued.fetch_add(1) >= (o.requests > 0 ? o.requests : kRequestsPerStepMax)) break;
    const size_t body = s.next.fetch_add(1) % reqs.size();
    const std::string& req = reqs[body];
    std::string err;
    Answer a;
    errno = 0;
    const int w = SSL_write(c.ssl, req.data(), static_cast<int>(req.size()));
    const Clock::time_point deadline = t0 + std::chrono::milliseconds(o.timeout_ms);
    const bool ok = w == static_cast<int>(req.size())
                        ? ReadAnswer(c, s.workload->expect_header, deadline, &a, &err)
                        : (err = SslError(c.ssl, w), false);
    const Clock::time_point t1 = Clock::now();
    if (!ok) {
      ++c.failures;
      CountError(c, measured, "transport", err);
      c.Close();
      continue;
    }
    c.answer_bytes += a.body_bytes;
    if (a.status < 200 || a.status >= 300) {
      CountError(c, measured, std::to_string(a.status), a.body_head);
    } else if (!s.workload->expect_header.empty() && !a.has_expected) {
      CountError(c, measured, "missing " + s.workload->expect_header, "a " + std::to_string(a.status) + " answer");
    } else if (measured) {
      ++c.ok;
    }
    if (measured) {
      const double latency = std::chrono::duration<double, std::milli>(t1 - t0).count();
      c.latency_ms.push_back(latency);
      if (s.trace) c.trace.push_back({std::chrono::duration<double, std::milli>(t0 - s.warmup_end).count(), latency, body});
      c.last_done = t1;
    } else {
      ++c.warm;
    }
    if (!a.keep_alive) c.Close();
  }
}

// CPU seconds used so far by this process and by each of `pids` (utime + stime).
struct CpuSample {
  double self_s = 0;
  std::vector<double> pid_s;
  double first_wait_s = 0;  // time the first pid's threads were runnable but not running
};

// Sum over the threads of `pid` of the run-queue wait of /proc/<pid>/task/<tid>/schedstat
// (its second field, nanoseconds): how long they were ready to run and got no CPU.
double RunQueueWaitSeconds(int pid) {
  std::error_code ec;
  double ns = 0;
  for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::ifstream in(task.path() / "schedstat");
    double run = 0, wait = 0;
    if (in >> run >> wait) ns += wait;
  }
  return ns / 1e9;
}

double ProcCpuSeconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return std::nan("");
  std::istringstream rest(text.substr(close + 2));  // fields from 3 (state) on
  std::string field;
  double utime = 0, stime = 0;
  for (int f = 3; f <= 15 && rest >> field; ++f) {
    if (f == 14) utime = std::strtod(field.c_str(), nullptr);
    if (f == 15) stime = std::strtod(field.c_str(), nullptr);
  }
  return (utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

CpuSample SampleCpu(const std::vector<int>& pids) {
  CpuSample s;
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  s.self_s = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
             static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  for (int p : pids) s.pid_s.push_back(ProcCpuSeconds(p));
  if (!pids.empty()) s.first_wait_s = RunQueueWaitSeconds(pids[0]);
  return s;
}

// The node's handler CPU per check by phase, from its /metrics
// (hearth_check_cpu_seconds_total{phase=...} and hearth_check_cpu_checks_total; a node that
// does not export them, or a GET that fails, gives an empty sample).
struct PhaseSample {
  double checks = -1;
  std::vector<std::pair<std::string, double>> seconds;  // by phase, in the order exported
};

PhaseSample SamplePhases(const Shared& s) {
  PhaseSample out;
  Conn c;
  Open(c, s);
  if (!c.open()) return out;
  const int w = SSL_write(c.ssl, s.metrics_request.data(), static_cast<int>(s.metrics_request.size()));
  if (w != static_cast<int>(s.metrics_request.size())) return out;
  Answer a;
  std::string err, text;
  if (!ReadAnswer(c, "", Clock::now() + std::chrono::milliseconds(s.o->timeout_ms), &a, &err, &text) ||
      a.status != 200) {
    return out;
  }
  static constexpr std::string_view kChecks = "hearth_check_cpu_checks_total ";
  static constexpr std::string_view kPhase = "hearth_check_cpu_seconds_total{phase=\"";
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(kChecks, 0) == 0) {
      out.checks = std::strtod(line.c_str() + kChecks.size(), nullptr);
    } else if (line.rfind(kPhase, 0) == 0) {
      const size_t end = line.find("\"} ", kPhase.size());
      if (end == std::string::npos) continue;
      out.seconds.emplace_back(line.substr(kPhase.size(), end - kPhase.size()), std::strtod(line.c_str() + end + 3, nullptr));
    }
  }
  return out;
}

struct StepResult {
  std::string name;
  size_t connections = 0;
  uint64_t requests = 0, ok = 0, warm = 0, warm_errors = 0;
  std::map<std::string, uint64_t> errors;
  std::string first_error;
  double seconds = 0, rps = 0, mean = 0, p50 = 0, p90 = 0, p99 = 0, max = 0, answer_kb = 0;
  double client_cpu_ms = 0, node_cpu_ms = NAN, all_cpu_ms = NAN, node_wait_ms = NAN;  // per timed request
  // The node's handler CPU per check by phase over the step (its /metrics), when it has them.
  double phase_checks = 0;
  std::vector<std::pair<std::string, double>> phase_ms;
  uint64_t error_count() const {
    uint64_t n = warm_errors;
    for (const auto& [k, v] : errors) n += v;
    return n;
  }
};

double Quantile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  const size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::min(sorted.size(), std::max<size_t>(rank, 1)) - 1];
}

// Runs fn(c) for every connection, each on a thread of its own, and waits for all.
template <typename Fn>
void RunAll(std::vector<Conn>& conns, Fn fn) {
  std::vector<std::thread> threads;
  threads.reserve(conns.size());
  for (Conn& c : conns) threads.emplace_back([&c, &fn] { fn(c); });
  for (std::thread& t : threads) t.join();
}

StepResult RunStep(std::vector<Conn>& conns, Shared& s) {
  const Options& o = *s.o;
  for (Conn& c : conns) c.Reset();
  s.next = 0;
  s.issued = 0;
  const Clock::time_point start = Clock::now();
  s.warmup_end = start + std::chrono::microseconds(static_cast<int64_t>(o.warmup_s * 1e6));
  s.deadline = s.warmup_end + std::chrono::microseconds(static_cast<int64_t>(o.seconds * 1e6));
  CpuSample before;
  PhaseSample phases_before;
  // The CPU sample at the end of the warm-up (and the node's phase counters after it).
  std::thread sampler([&] {
    std::this_thread::sleep_until(s.warmup_end);
    before = SampleCpu(o.pids);
    phases_before = SamplePhases(s);
  });
  RunAll(conns, [&s](Conn& c) { Drive(c, s); });
  sampler.join();
  const CpuSample after = SampleCpu(o.pids);
  const PhaseSample phases_after = SamplePhases(s);

  StepResult r;
  r.name = s.workload->name;
  r.connections = conns.size();
  std::vector<double> all;
  Clock::time_point last = s.warmup_end;
  uint64_t bytes = 0, answers = 0;
  for (Conn& c : conns) {
    all.insert(all.end(), c.latency_ms.begin(), c.latency_ms.end());
    for (const auto& [k, v] : c.errors) r.errors[k] += v;
    if (r.first_error.empty()) r.first_error = c.first_error;
    r.ok += c.ok;
    r.warm += c.warm;
    r.warm_errors += c.warm_errors;
    bytes += c.answer_bytes;
    answers += c.latency_ms.size() + c.warm;
    last = std::max(last, c.last_done);
  }
  std::sort(all.begin(), all.end());
  r.requests = all.size();
  r.seconds = std::chrono::duration<double>(last - s.warmup_end).count();
  r.rps = r.seconds > 0 ? static_cast<double>(r.requests) / r.seconds : 0;
  if (!all.empty()) r.mean = std::accumulate(all.begin(), all.end(), 0.0) / static_cast<double>(all.size());
  r.p50 = Quantile(all, 0.50);
  r.p90 = Quantile(all, 0.90);
  r.p99 = Quantile(all, 0.99);
  r.max = all.empty() ? 0 : all.back();
  r.answer_kb = answers ? static_cast<double>(bytes) / static_cast<double>(answers) / 1024 : 0;
  const double n = static_cast<double>(std::max<uint64_t>(r.requests, 1));
  r.client_cpu_ms = (after.self_s - before.self_s) * 1000 / n;
  if (!o.pids.empty() && before.pid_s.size() == o.pids.size()) {
    r.node_cpu_ms = (after.pid_s[0] - before.pid_s[0]) * 1000 / n;
    double sum = 0;
    for (size_t i = 0; i < o.pids.size(); ++i) sum += after.pid_s[i] - before.pid_s[i];
    r.all_cpu_ms = sum * 1000 / n;
    r.node_wait_ms = (after.first_wait_s - before.first_wait_s) * 1000 / n;
  }
  if (phases_before.checks >= 0 && phases_after.checks > phases_before.checks &&
      phases_before.seconds.size() == phases_after.seconds.size()) {
    r.phase_checks = phases_after.checks - phases_before.checks;
    for (size_t i = 0; i < phases_after.seconds.size(); ++i) {
      r.phase_ms.emplace_back(phases_after.seconds[i].first,
                              (phases_after.seconds[i].second - phases_before.seconds[i].second) * 1000 / r.phase_checks);
    }
  }
  return r;
}

void PrintHeader(const Options& o) {
  std::printf("%-8s %5s %9s %7s %9s %8s %8s %8s %8s %9s %10s", "workload", "conns", "requests", "errors",
              "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "KB/answer", "client-cpu");
  if (!o.pids.empty()) std::printf(" %10s %10s %10s", "node-cpu", "all-pids", "node-wait");
  std::printf("\n");
}

void PrintRow(const Options& o, const StepResult& r) {
  std::printf("%-8s %5zu %9llu %7llu %9.1f %8.2f %8.2f %8.2f %8.2f %9.1f %7.2f ms", r.name.c_str(), r.connections,
              static_cast<unsigned long long>(r.requests), static_cast<unsigned long long>(r.error_count()), r.rps,
              r.p50, r.p90, r.p99, r.max, r.answer_kb, r.client_cpu_ms);
  if (!o.pids.empty()) std::printf(" %7.2f ms %7.2f ms %7.2f ms", r.node_cpu_ms, r.all_cpu_ms, r.node_wait_ms);
  std::printf("\n");
  if (!r.phase_ms.empty()) {
    double total = 0;
    std::printf("phases   %5zu  handler CPU per check (node's /metrics, %.0f checks):", r.connections, r.phase_checks);
    for (const auto& [phase, ms] : r.phase_ms) {
      std::printf(" %s %.3f", phase.c_str(), ms);
      total += ms;
    }
    std::printf("; all %.3f ms\n", total);
  }
  if (r.error_count() > 0) {
    std::printf("  errors:");
    for (const auto& [k, v] : r.errors) std::printf(" %s x %llu;", k.c_str(), static_cast<unsigned long long>(v));
    if (r.warm_errors) std::printf(" during warm-up x %llu;", static_cast<unsigned long long>(r.warm_errors));
    std::printf(" first: %s\n", r.first_error.c_str());
  }
  std::fflush(stdout);
}

Workload MakeWorkload(const Options& o, const std::string& name, const std::string& method, const std::string& path,
                      const std::vector<std::string>& bodies, const std::string& expect_header,
                      const std::string& host_header) {
  Workload w{name, method, path, expect_header, {}};
  const http::verb verb = http::string_to_verb(method);
  if (verb == http::verb::unknown) Die("HTTP method " + method + ": unknown");
  const std::vector<std::string> none = {""};
  for (const std::string& body : bodies.empty() ? none : bodies) {
    http::request<http::string_body> req{verb, path, 11};
    req.set(http::field::host, host_header);
    req.set(http::field::user_agent, "hearth-bench-http-load");
    if (!o.token.empty()) req.set(http::field::authorization, "Bearer " + o.token);
    if (!body.empty()) req.set(http::field::content_type, "application/json");
    req.keep_alive(true);
    req.body() = body;
    req.prepare_payload();
    std::ostringstream wire;
    wire << req;
    w.requests.push_back(wire.str());
  }
  return w;
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

}  // namespace

int main(int argc, char** argv) {
  // A server that resets a connection while a request is being written must not kill the
  // run: the write then fails with EPIPE and counts as a transport error.
  std::signal(SIGPIPE, SIG_IGN);
  const Options o = ParseArgs(argc, argv);
  hearth::Result<hearth::node::ApiUrl> url = hearth::node::ParseApiUrl(o.url);
  if (!url.ok()) Die("--url " + o.url + ": " + url.status().message());
  if (!url->tls) Die("--url must be https://");
  boost::system::error_code ec;
  const asio::ip::address address = asio::ip::make_address(url->host, ec);
  if (ec) Die("--url: the host must be an IP address (" + url->host + ")");

  ssl::context ctx(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
  // Read ahead into a buffer of many records: one receive takes what the socket holds.
  SSL_CTX_set_read_ahead(ctx.native_handle(), 1);
  SSL_CTX_set_default_read_buffer_len(ctx.native_handle(), 256 * 1024);
  if (o.insecure) {
    ctx.set_verify_mode(ssl::verify_none);
  } else {
    TrustOnly(ctx, o.ca_pem);
  }
  const std::string host_header =
      (address.is_v6() ? "[" + url->host + "]" : url->host) + ":" + std::to_string(url->port);
  // Row names: the last path segment ("checks", "healthz"), at most 8 characters.
  auto name_of = [](const std::string& path) { return path.substr(path.rfind('/') + 1, 8); };
  const std::string main_name = name_of(o.path);
  const Workload main_w = MakeWorkload(o, main_name, o.method, o.path, o.bodies, o.expect_header, host_header);
  const Workload ref_w = MakeWorkload(o, name_of(o.ref_path), o.ref_method, o.ref_path, {}, "", host_header);

  std::printf("bench_http_load: %s; main %s %s (%zu bodies)", o.url.c_str(), o.method.c_str(), o.path.c_str(),
              main_w.requests.size());
  if (!o.expect_header.empty()) std::printf(" with %s in each answer", o.expect_header.c_str());
  if (o.ref) std::printf(", reference %s %s", o.ref_method.c_str(), o.ref_path.c_str());
  std::printf("; a client thread per connection; warm-up %.1f s, then ", o.warmup_s);
  if (o.requests > 0) {
    std::printf("%llu answers (bound %.0f s)", static_cast<unsigned long long>(o.requests), o.seconds);
  } else {
    std::printf("%.1f s", o.seconds);
  }
  std::printf(" per step; %u cores; load average %s\n", std::thread::hardware_concurrency(), LoadAverage().c_str());
  if (!o.pids.empty()) {
    std::printf("per timed request: client-cpu = this process; node-cpu = pid %d; all-pids = CPU of every --pids;"
                " node-wait = time pid %d's threads were runnable but got no CPU (schedstat)\n", o.pids[0], o.pids[0]);
  }
  PrintHeader(o);

  Shared s;
  s.o = &o;
  s.metrics_request = MakeWorkload(o, "metrics", "GET", "/metrics", {}, "", host_header).requests.at(0);
  s.ctx = ctx.native_handle();
  s.address = address;
  s.port = url->port;
  s.host = url->host;
  std::vector<StepResult> main_results;
  std::FILE* trace = nullptr;
  if (!o.trace_path.empty()) {
    trace = std::fopen(o.trace_path.c_str(), "w");
    if (trace == nullptr) Die("--trace " + o.trace_path + ": " + std::strerror(errno));
  }
  std::vector<std::pair<StepResult, StepResult>> pairs;
  for (size_t n : o.connections) {
    std::vector<Conn> conns(n);
    RunAll(conns, [&s](Conn& c) { Open(c, s); });
    for (size_t i = 0; i < n; ++i) {
      if (!conns[i].open()) Die("connection " + std::to_string(i + 1) + " of " + std::to_string(n) + " to " + o.url + ": " + conns[i].open_error);
    }
    StepResult ref;
    if (o.ref) {
      s.workload = &ref_w;
      ref = RunStep(conns, s);
      PrintRow(o, ref);
    }
    s.workload = &main_w;
    s.trace = trace != nullptr;
    StepResult main_r = RunStep(conns, s);
    s.trace = false;
    PrintRow(o, main_r);
    if (trace != nullptr) {
      for (const Conn& c : conns) {
        for (const Conn::Traced& t : c.trace) {
          std::fprintf(trace, "%zu %.3f %.3f %zu\n", n, t.start_ms, t.latency_ms, t.body);
        }
      }
      if (std::fflush(trace) != 0) Die("--trace " + o.trace_path + ": write failed");
    }
    conns.clear();  // closes them
    std::printf("ratio    %5zu  %s p99 / %.0f ms target = %.2f", n, main_name.c_str(), o.target_p99_ms,
                main_r.p99 / o.target_p99_ms);
    if (o.ref && ref.rps > 0) {
      std::printf("; %s/s / %s/s = %.4f (%.1f / %.1f); p50 %s - %s = %.2f ms", main_name.c_str(), ref_w.name.c_str(),
                  main_r.rps / ref.rps, main_r.rps, ref.rps, main_name.c_str(), ref_w.name.c_str(), main_r.p50 - ref.p50);
    }
    std::printf("; load average %s\n", LoadAverage().c_str());
    if (!o.pids.empty() && main_r.requests > 0) {
      // Little's law for a closed loop: mean latency = n / throughput, and on a saturated
      // machine throughput <= cores / (CPU per request, every process counted), so the mean
      // cannot be below n x CPU per request / cores, however the work is scheduled.
      const double cores = std::max(1u, std::thread::hardware_concurrency());
      const double cpu = main_r.all_cpu_ms + main_r.client_cpu_ms;
      std::printf("floor    %5zu  mean latency >= %zu x %.2f ms CPU per request (--pids + client) / %.0f cores = %.2f ms"
                  " (measured mean %.2f ms); a mean of %.0f ms allows at most %.2f ms CPU per request\n",
                  n, n, cpu, cores, static_cast<double>(n) * cpu / cores, main_r.mean, o.target_p99_ms,
                  o.target_p99_ms * cores / static_cast<double>(n));
    }
    std::fflush(stdout);
    main_results.push_back(main_r);
    if (o.ref) pairs.emplace_back(ref, main_r);
  }

  if (trace != nullptr) std::fclose(trace);
  uint64_t failed = 0;
  for (const StepResult& r : main_results) failed += r.error_count();
  for (const auto& [ref, m] : pairs) failed += ref.error_count();
  for (const StepResult& r : main_results) {
    if (r.connections != o.target_connections) continue;
    std::printf("target   %s p99 at %zu connections <= %.0f ms: %s (%.2f ms = %.2f x the target)\n", main_name.c_str(),
                r.connections, o.target_p99_ms, r.p99 <= o.target_p99_ms ? "met" : "NOT met", r.p99,
                r.p99 / o.target_p99_ms);
  }
  if (failed > 0) {
    std::printf("errors   %llu requests failed (counted by status in the rows above)\n", static_cast<unsigned long long>(failed));
    return 1;
  }
  std::printf("errors   none: every answer was 2xx%s\n",
              o.expect_header.empty() ? "" : (" (" + main_name + " with " + o.expect_header + ")").c_str());
  return 0;
}
