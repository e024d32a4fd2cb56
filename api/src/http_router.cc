// Targets, routes, authorization and metrics of the HTTP server (http_router.h).
#include "http_router.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "hearth/base/bytes.h"

namespace hearth::api {

HttpResponse JsonError(unsigned status, std::string_view code, std::string_view message) {
  HttpResponse r;
  r.status = status;
  nlohmann::json j = {{"error", code}, {"message", message}};
  // Messages may quote client input; replace invalid UTF-8 rather than throw.
  r.body = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

namespace internal {

namespace {

Status PercentDecode(std::string_view in, bool plus_is_space, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) {
        return Status::InvalidArgument("target: truncated percent escape");
      }
      int hi = HexDigitValue(in[i + 1]), lo = HexDigitValue(in[i + 2]);
      if (hi < 0 || lo < 0) return Status::InvalidArgument("target: bad percent escape");
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out->push_back(' ');
    } else {
      out->push_back(c);
    }
  }
  return Status::Ok();
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (;;) {
    size_t end = s.find(sep, start);
    parts.push_back(s.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return parts;
}

bool IsParam(std::string_view part) {
  return part.size() >= 3 && part.front() == '{' && part.back() == '}';
}

}  // namespace

Result<Target> ParseTarget(std::string_view target) {
  if (target.empty() || target.front() != '/') {
    return Status::InvalidArgument("target: expected an absolute path (origin-form)");
  }
  Target t;
  size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  t.path = std::string(path);
  for (std::string_view seg : Split(path.substr(1), '/')) {
    std::string decoded;
    HEARTH_RETURN_IF_ERROR(PercentDecode(seg, false, &decoded));
    t.segments.push_back(std::move(decoded));
  }
  if (q == std::string_view::npos) return t;
  for (std::string_view item : Split(target.substr(q + 1), '&')) {
    if (item.empty()) continue;
    size_t eq = item.find('=');
    std::string key, value;
    HEARTH_RETURN_IF_ERROR(PercentDecode(item.substr(0, eq), true, &key));
    if (eq != std::string_view::npos) {
      HEARTH_RETURN_IF_ERROR(PercentDecode(item.substr(eq + 1), true, &value));
    }
    if (t.query.count(key) != 0) {
      return Status::InvalidArgument("target: query parameter '" + key + "' repeated");
    }
    t.query.emplace(std::move(key), std::move(value));
  }
  return t;
}

void Router::Add(Route route) {
  HEARTH_CHECK_MSG(!route.method.empty() && route.handler, "route needs a method and a handler");
  HEARTH_CHECK_MSG(!route.pattern.empty() && route.pattern.front() == '/',
                   "route pattern must start with '/'");
  Pattern p;
  p.text = route.pattern;
  for (std::string_view part : Split(std::string_view(route.pattern).substr(1), '/')) {
    const bool param = IsParam(part);
    HEARTH_CHECK_MSG(param || (part.find('{') == std::string_view::npos &&
                               part.find('}') == std::string_view::npos),
                     "route pattern segment must be a literal or a whole {name}");
    p.parts.emplace_back(param ? part.substr(1, part.size() - 2) : part);
    p.is_param.push_back(param);
  }
  list_.emplace_back(route.method, route.pattern);
  for (Pattern& existing : patterns_) {
    if (existing.text != p.text) continue;
    for (const Route& r : existing.routes) {
      HEARTH_CHECK_MSG(r.method != route.method, "duplicate route (method, pattern)");
    }
    existing.routes.push_back(std::move(route));
    return;
  }
  p.routes.push_back(std::move(route));
  patterns_.push_back(std::move(p));
}

Router::Match Router::Find(std::string_view method,
                           const std::vector<std::string>& segments) const {
  const Pattern* best = nullptr;
  for (const Pattern& p : patterns_) {
    if (p.parts.size() != segments.size()) continue;
    bool ok = true;
    for (size_t i = 0; i < segments.size() && ok; ++i) {
      ok = p.is_param[i] ? !segments[i].empty() : p.parts[i] == segments[i];
    }
    if (!ok) continue;
    // More specific: at the first segment where the two differ in kind, a literal wins.
    if (best == nullptr ||
        std::lexicographical_compare(p.is_param.begin(), p.is_param.end(),
                                     best->is_param.begin(), best->is_param.end())) {
      best = &p;
    }
  }
  Match m;
  if (best == nullptr) return m;
  m.pattern = &best->text;
  for (const Route& r : best->routes) {
    if (!m.allowed.empty()) m.allowed += ", ";
    m.allowed += r.method;
    if (r.method == method) m.route = &r;
  }
  if (m.route != nullptr) {
    for (size_t i = 0; i < segments.size(); ++i) {
      if (best->is_param[i]) m.params[best->parts[i]] = segments[i];
    }
  }
  return m;
}

std::vector<std::pair<std::string, std::string>> Router::List() const { return list_; }

namespace {

Refusal Unauthenticated(std::string message, bool expired) {
  Refusal r;
  r.status = 401;
  r.code = expired ? "token_expired" : "unauthenticated";
  r.reason = expired ? "expired" : "unauthenticated";
  r.message = std::move(message);
  std::string challenge = "Bearer realm=\"hearth\"";
  if (expired) challenge += ", error=\"invalid_token\", error_description=\"token expired\"";
  r.headers.emplace_back("WWW-Authenticate", std::move(challenge));
  return r;
}

// The token of "Bearer <token>" (scheme case-insensitive), or empty.
std::string_view BearerToken(std::string_view h) {
  constexpr std::string_view kScheme = "bearer";
  if (h.size() <= kScheme.size() || h[kScheme.size()] != ' ') return {};
  for (size_t i = 0; i < kScheme.size(); ++i) {
    char c = h[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kScheme[i]) return {};
  }
  std::string_view t = h.substr(kScheme.size());
  while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
  while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
  return t;
}

}  // namespace

std::optional<Refusal> Authorize(const std::vector<Role>& roles, std::string_view authorization,
                                 const TokenStore* tokens, uint64_t now_ms,
                                 std::optional<Principal>* principal) {
  principal->reset();
  std::string_view token = BearerToken(authorization);
  Result<Principal> p = Status::VerifyFailed("no token");
  if (!token.empty() && tokens != nullptr) p = tokens->Authenticate(token, now_ms);
  if (p.ok()) *principal = *p;
  if (roles.empty()) return std::nullopt;
  if (authorization.empty()) return Unauthenticated("this endpoint needs a bearer token", false);
  if (token.empty()) return Unauthenticated("expected \"Authorization: Bearer <token>\"", false);
  if (!p.ok()) {
    const bool expired = p.status().code() == Code::kFailedPrecondition;
    return Unauthenticated(expired ? "the token has expired" : "unknown token", expired);
  }
  if (std::find(roles.begin(), roles.end(), p->role) == roles.end()) {
    Refusal r;
    r.status = 403;
    r.code = "forbidden";
    r.reason = "forbidden";
    r.message = "role " + std::string(RoleName(p->role)) + " may not use this endpoint";
    return r;
  }
  return std::nullopt;
}

// ---- Metrics ----

namespace {

std::string Label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

void Metrics::Response(std::string_view route, std::string_view method, unsigned status) {
  std::lock_guard<std::mutex> lock(mu_);
  ++responses_[{std::string(route), std::string(method), status}];
}

void Metrics::Refusal(std::string_view route, std::string_view reason) {
  std::lock_guard<std::mutex> lock(mu_);
  ++refusals_[{std::string(route), std::string(reason)}];
}

void Metrics::Count(std::string_view counter) {
  std::lock_guard<std::mutex> lock(mu_);
  ++counters_[std::string(counter)];
}

void Metrics::AddOpen(int64_t delta) {
  std::lock_guard<std::mutex> lock(mu_);
  open_ += delta;
}

std::string Metrics::Text() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string t;
  t += "# HELP hearth_api_requests_total HTTP responses by route pattern, method and status.\n";
  t += "# TYPE hearth_api_requests_total counter\n";
  for (const auto& [key, n] : responses_) {
    const auto& [route, method, status] = key;
    t += "hearth_api_requests_total{route=\"" + Label(route) + "\",method=\"" + Label(method) +
         "\",status=\"" + std::to_string(status) + "\"} " + std::to_string(n) + "\n";
  }
  t += "# HELP hearth_api_refusals_total Requests refused before their handler, by reason.\n";
  t += "# TYPE hearth_api_refusals_total counter\n";
  for (const auto& [key, n] : refusals_) {
    t += "hearth_api_refusals_total{route=\"" + Label(key.first) + "\",reason=\"" +
         Label(key.second) + "\"} " + std::to_string(n) + "\n";
  }
  t += "# HELP hearth_api_connections_open Open client connections.\n";
  t += "# TYPE hearth_api_connections_open gauge\n";
  t += "hearth_api_connections_open " + std::to_string(open_) + "\n";
  for (const char* name : {"connections_refused", "handler_exceptions", "tls_handshake_failures"}) {
    auto it = counters_.find(name);
    const uint64_t n = it == counters_.end() ? 0 : it->second;
    t += std::string("# TYPE hearth_api_") + name + "_total counter\n";
    t += std::string("hearth_api_") + name + "_total " + std::to_string(n) + "\n";
  }
  return t;
}

}  // namespace internal
}  // namespace hearth::api
