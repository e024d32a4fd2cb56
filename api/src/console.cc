// The web console's routes (console.h): embedded files with their types and a strict CSP.
#include "hearth/api/console.h"

#include <algorithm>
#include <string>

#include "console_embedded.h"
#include "hearth/base/check.h"

namespace hearth::api {

namespace {

// Longest file name echoed back in a 404 message.
constexpr size_t kEchoedNameBytesMax = 64;

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

void AddSecurityHeaders(HttpResponse* r) {
  r->headers.emplace_back("Content-Security-Policy", std::string(kConsoleCsp));
  r->headers.emplace_back("Referrer-Policy", "no-referrer");
  r->headers.emplace_back("X-Frame-Options", "DENY");
}

const internal::EmbeddedWebFile* FindFile(std::string_view name) {
  for (size_t i = 0; i < internal::kEmbeddedWebFilesCount; ++i) {
    if (internal::kEmbeddedWebFiles[i].file == name) return &internal::kEmbeddedWebFiles[i];
  }
  return nullptr;
}

HttpResponse Serve(std::string_view name) {
  const internal::EmbeddedWebFile* f = FindFile(name);
  HttpResponse r;
  if (f == nullptr) {
    r = JsonError(404, "not_found",
                  "no console file '" + std::string(name.substr(0, kEchoedNameBytesMax)) + "'");
  } else {
    r.content_type = std::string(ConsoleContentType(f->file));
    r.body = std::string(f->text);
  }
  AddSecurityHeaders(&r);
  return r;
}

}  // namespace

std::string_view ConsoleContentType(std::string_view file) {
  if (EndsWith(file, ".html")) return "text/html; charset=utf-8";
  if (EndsWith(file, ".js")) return "text/javascript; charset=utf-8";
  if (EndsWith(file, ".css")) return "text/css; charset=utf-8";
  if (EndsWith(file, ".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

std::vector<std::pair<std::string_view, std::string_view>> ConsoleFiles() {
  std::vector<std::pair<std::string_view, std::string_view>> out;
  for (size_t i = 0; i < internal::kEmbeddedWebFilesCount; ++i) {
    out.emplace_back(internal::kEmbeddedWebFiles[i].file, internal::kEmbeddedWebFiles[i].text);
  }
  std::sort(out.begin(), out.end());
  return out;
}

void RegisterConsoleRoutes(HttpServer& server) {
  HEARTH_CHECK_MSG(FindFile("index.html") != nullptr, "console: index.html is not embedded");
  server.AddRoute({"GET", "/", {}, [](const HttpRequest&) { return Serve("index.html"); }});
  server.AddRoute({"GET", "/console/{file}", {}, [](const HttpRequest& r) {
                     return Serve(r.path_params.at("file"));
                   }});
}

}  // namespace hearth::api
