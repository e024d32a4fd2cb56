// bench_http_load: a bounded HTTPS load generator for a node's API (issue 6, "Benchmark":
// `POST /v1/checks` under concurrent load against `GET /healthz` on the same server in the
// same run; target p99 <= 30 ms at 16 connections).
//
// Closed loop: for each connection count N of --connections, N keep-alive TLS connections
// are opened (not timed), spread over --threads client threads, each with exactly one
// request in flight. First the reference workload runs on them (--ref-method --ref-path,
// default GET /healthz), then the main one (--method --path, default POST /v1/checks, the
// bodies of --body-file in rotation), each for --warmup seconds untimed and then --seconds
// (or --requests answers) timed; then the connections are closed. Latency is from the first
// byte written to the last byte of the answer read.
//
// Printed per step: requests, errors, req/s, latency p50 / p90 / p99 / max, mean answer size,
// client CPU per request and (with --pids) the node's CPU per request: the first pid is the
// node under load, the sum over all pids covers the other nodes' work too (they commit the
// access records checks make); node-wait is the time per request the first pid's threads
// were runnable but had no CPU (run-queue wait from schedstat: the machine's contention). Then, per connection count, the ratios: main p99 / --target-p99-ms,
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
//          [--seconds 10] [--requests N] [--warmup 2] [--threads 2] [--timeout-ms 30000]
//          [--expect-header NAME (main workload)] [--target-p99-ms 30] [--target-connections 16] [--pids P,Q,..]
// Options also take the form --name=value. --requests N ends a step after N timed answers
// (then --seconds, default 300, is only a bound). Steps always end: by time, count, or
// per-request timeouts; a connection that fails 10 times stops.
// Exit: 0 every answer (warm-up included) 2xx; 1 some request failed; 2 bad arguments, an
// unreadable file, or a connection that could not be opened.
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <sys/resource.h>
#include <unistd.h>

#include <utility>  // first: Boost 1.74's asio/awaitable.hpp uses std::exchange without it

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
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
#include <thread>
#include <vector>

#include "hearth/node/genesis.h"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using Stream = beast::ssl_stream<beast::tcp_stream>;

constexpr size_t kBodyBytesMax = 1 << 20;          // one request body (a check body is ~300 B)
constexpr size_t kBodiesMax = 1'000'000;           // lines read from --body-file
constexpr uint64_t kAnswerBytesMax = 64ull << 20;  // one answer (a receipt is ~250 KB)
constexpr size_t kConnectionsMax = 1024;
constexpr size_t kThreadsMax = 64;
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
  size_t threads = 2;
  uint64_t timeout_ms = 30'000;
  std::string method = "POST", path = "/v1/checks";
  std::string ref_method = "GET", ref_path = "/healthz";
  bool ref = true;
  std::vector<std::string> bodies;
  std::string expect_header;
  double target_p99_ms = 30;
  size_t target_connections = 16;
  std::vector<int> pids;
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
    else if (a == "--threads") o.threads = static_cast<size_t>(Number(a, v, 1, kThreadsMax));
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
  std::vector<http::request<http::string_body>> requests;  // rotated; read-only while running
};

struct Conn {
  asio::io_context* ioc = nullptr;
  std::unique_ptr<Stream> stream;
  beast::flat_buffer buffer;
  std::string open_error;
  // This step's tallies (reset by Reset()).
  std::vector<double> latency_ms;
  std::map<std::string, uint64_t> errors;  // "503", "transport", "missing <header>"
  std::string first_error;
  uint64_t ok = 0, answer_bytes = 0, warm = 0, warm_errors = 0, failures = 0;
  Clock::time_point last_done{};
  void Reset() {
    latency_ms.clear();
    errors.clear();
    first_error.clear();
    ok = answer_bytes = warm = warm_errors = failures = 0;
    last_done = {};
  }
};

struct Shared {
  const Options* o = nullptr;
  ssl::context* ctx = nullptr;
  tcp::endpoint endpoint;
  std::string host;
  const Workload* workload = nullptr;
  Clock::time_point warmup_end, deadline;
  std::atomic<uint64_t> next{0}, issued{0};
};

asio::awaitable<void> Open(Conn& c, Shared& s) {
  beast::error_code ec;
  for (int attempt = 0; attempt < kConnectAttempts; ++attempt) {
    c.stream = std::make_unique<Stream>(*c.ioc, *s.ctx);
    if (!s.o->insecure) X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c.stream->native_handle()), s.host.c_str());
    beast::get_lowest_layer(*c.stream).expires_after(std::chrono::milliseconds(s.o->timeout_ms));
    co_await beast::get_lowest_layer(*c.stream).async_connect(s.endpoint, asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) {
      beast::error_code nodelay_ec;  // best effort, as the server does
      beast::get_lowest_layer(*c.stream).socket().set_option(asio::ip::tcp::no_delay(true), nodelay_ec);
      co_await c.stream->async_handshake(ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
    }
    if (!ec) {
      c.buffer.clear();
      c.open_error.clear();
      co_return;
    }
    c.open_error = ec.message();
    c.stream.reset();
    asio::steady_timer pause(*c.ioc, std::chrono::milliseconds(100));
    co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
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

asio::awaitable<void> Drive(Conn& c, Shared& s) {
  const Options& o = *s.o;
  const auto& reqs = s.workload->requests;
  while (c.failures < kFailuresPerConnectionMax && Clock::now() < s.deadline) {
    if (!c.stream) {  // closed by the server or after a failure: reopen (not timed)
      co_await Open(c, s);
      if (!c.stream) {
        ++c.failures;
        CountError(c, Clock::now() >= s.warmup_end, "connect", c.open_error);
        break;
      }
    }
    const Clock::time_point t0 = Clock::now();
    if (t0 >= s.deadline) break;
    const bool measured = t0 >= s.warmup_end;
    if (measured && s.issued.fetch_add(1) >= (o.requests > 0 ? o.requests : kRequestsPerStepMax)) break;
    const auto& req = reqs[s.next.fetch_add(1) % reqs.size()];
    beast::error_code ec;
    beast::get_lowest_layer(*c.stream).expires_after(std::chrono::milliseconds(o.timeout_ms));
    co_await http::async_write(*c.stream, req, asio::redirect_error(asio::use_awaitable, ec));
    http::response_parser<http::string_body> parser;
    parser.body_limit(kAnswerBytesMax);
    if (!ec) co_await http::async_read(*c.stream, c.buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    const Clock::time_point t1 = Clock::now();
    if (ec) {
      ++c.failures;
      CountError(c, measured, "transport", ec.message());
      c.stream.reset();
      continue;
    }
    const auto& res = parser.get();
    const unsigned status = res.result_int();
    c.answer_bytes += res.body().size();
    if (status < 200 || status >= 300) {
      CountError(c, measured, std::to_string(status), res.body());
    } else if (!s.workload->expect_header.empty() && res.find(s.workload->expect_header) == res.end()) {
      CountError(c, measured, "missing " + s.workload->expect_header, "a " + std::to_string(status) + " answer");
    } else if (measured) {
      ++c.ok;
    }
    if (measured) {
      c.latency_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
      c.last_done = t1;
    } else {
      ++c.warm;
    }
    if (!res.keep_alive()) c.stream.reset();
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

struct StepResult {
  std::string name;
  size_t connections = 0;
  uint64_t requests = 0, ok = 0, warm = 0, warm_errors = 0;
  std::map<std::string, uint64_t> errors;
  std::string first_error;
  double seconds = 0, rps = 0, mean = 0, p50 = 0, p90 = 0, p99 = 0, max = 0, answer_kb = 0;
  double client_cpu_ms = 0, node_cpu_ms = NAN, all_cpu_ms = NAN, node_wait_ms = NAN;  // per timed request
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

template <typename Coro>
void RunAll(std::vector<std::unique_ptr<asio::io_context>>& iocs, std::vector<Conn>& conns, Coro coro) {
  for (Conn& c : conns) asio::co_spawn(*c.ioc, coro(c), asio::detached);
  std::vector<std::thread> threads;
  for (auto& ioc : iocs) {
    threads.emplace_back([&ioc] {
      ioc->restart();
      ioc->run();
    });
  }
  for (std::thread& t : threads) t.join();
}

StepResult RunStep(std::vector<std::unique_ptr<asio::io_context>>& iocs, std::vector<Conn>& conns, Shared& s) {
  const Options& o = *s.o;
  for (Conn& c : conns) c.Reset();
  s.next = 0;
  s.issued = 0;
  const Clock::time_point start = Clock::now();
  s.warmup_end = start + std::chrono::microseconds(static_cast<int64_t>(o.warmup_s * 1e6));
  s.deadline = s.warmup_end + std::chrono::microseconds(static_cast<int64_t>(o.seconds * 1e6));
  CpuSample before;
  // The CPU sample at the end of the warm-up, taken on the first client thread.
  asio::co_spawn(*iocs[0], [&]() -> asio::awaitable<void> {
    asio::steady_timer t(*iocs[0], s.warmup_end);
    beast::error_code ec;
    co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    before = SampleCpu(o.pids);
  }, asio::detached);
  RunAll(iocs, conns, [&s](Conn& c) { return Drive(c, s); });
  const CpuSample after = SampleCpu(o.pids);

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
    w.requests.push_back(std::move(req));
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
  const Options o = ParseArgs(argc, argv);
  hearth::Result<hearth::node::ApiUrl> url = hearth::node::ParseApiUrl(o.url);
  if (!url.ok()) Die("--url " + o.url + ": " + url.status().message());
  if (!url->tls) Die("--url must be https://");
  beast::error_code ec;
  const asio::ip::address address = asio::ip::make_address(url->host, ec);
  if (ec) Die("--url: the host must be an IP address (" + url->host + ")");

  ssl::context ctx(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
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
  std::printf("; %zu client threads; warm-up %.1f s, then ", o.threads, o.warmup_s);
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
  s.ctx = &ctx;
  s.endpoint = tcp::endpoint(address, url->port);
  s.host = url->host;
  std::vector<StepResult> main_results;
  std::vector<std::pair<StepResult, StepResult>> pairs;
  for (size_t n : o.connections) {
    const size_t threads = std::min(o.threads, n);
    std::vector<std::unique_ptr<asio::io_context>> iocs;
    for (size_t t = 0; t < threads; ++t) iocs.push_back(std::make_unique<asio::io_context>(1));
    std::vector<Conn> conns(n);
    for (size_t i = 0; i < n; ++i) conns[i].ioc = iocs[i % threads].get();
    RunAll(iocs, conns, [&s](Conn& c) { return Open(c, s); });
    for (size_t i = 0; i < n; ++i) {
      if (!conns[i].stream) Die("connection " + std::to_string(i + 1) + " of " + std::to_string(n) + " to " + o.url + ": " + conns[i].open_error);
    }
    StepResult ref;
    if (o.ref) {
      s.workload = &ref_w;
      ref = RunStep(iocs, conns, s);
      PrintRow(o, ref);
    }
    s.workload = &main_w;
    StepResult main_r = RunStep(iocs, conns, s);
    PrintRow(o, main_r);
    for (Conn& c : conns) {
      if (c.stream) beast::get_lowest_layer(*c.stream).socket().close(ec);
      c.stream.reset();
    }
    conns.clear();
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
