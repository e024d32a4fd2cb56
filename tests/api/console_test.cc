// The web console's routes (api/console.h) over a real plain-HTTP server on 127.0.0.1: every
// embedded file is served with its Content-Type and the Content-Security-Policy, byte for byte
// equal to the file in api/web/; unknown files are JSON 404s; the page is Chinese by default and
// no file loads anything from another host or runs inline script.
#include "hearth/api/console.h"

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "api/http_test_util.h"

namespace hearth::api {
namespace {

using testing::Reply;
using testing::TestClient;
using json = nlohmann::json;

struct ConsoleServer {
  std::unique_ptr<HttpServer> server;
  ConsoleServer() {
    HttpServerConfig c;
    c.tls = false;
    c.port = 0;
    server = std::make_unique<HttpServer>(c, nullptr, nullptr);
    RegisterConsoleRoutes(*server);
    // A route with roles next to the open console routes: the console does not open it.
    server->AddRoute({"GET", "/v1/secret", {Role::kAuditor}, [](const HttpRequest&) { return HttpResponse{}; }});
    REQUIRE(server->Start().ok());
  }
  Reply Get(const std::string& target) {
    TestClient client(server->port(), nullptr);
    REQUIRE(client.Connect().empty());
    Reply r = client.Get(target);
    REQUIRE(r.ok);
    return r;
  }
};

std::string Header(const Reply& r, const std::string& name) {
  auto it = r.message.find(name);
  return it == r.message.end() ? std::string() : std::string(it->value());
}

std::string ReadSourceFile(const std::string& name) {
  std::ifstream in(std::string(HEARTH_SOURCE_DIR) + "/api/web/" + name, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void RequireSecurityHeaders(const Reply& r) {
  CHECK(Header(r, "Content-Security-Policy") == std::string(kConsoleCsp));
  CHECK(Header(r, "X-Frame-Options") == "DENY");
  CHECK(Header(r, "Referrer-Policy") == "no-referrer");
  CHECK(Header(r, "X-Content-Type-Options") == "nosniff");
}

TEST_CASE("the CSP allows only this origin, no inline script, no framing") {
  const std::string csp(kConsoleCsp);
  CHECK(csp.find("default-src 'self'") != std::string::npos);
  CHECK(csp.find("script-src 'self'") != std::string::npos);
  CHECK(csp.find("frame-ancestors 'none'") != std::string::npos);
  CHECK(csp.find("unsafe-inline") == std::string::npos);
  CHECK(csp.find("unsafe-eval") == std::string::npos);
  CHECK(csp.find("http") == std::string::npos);
  CHECK(csp.find('*') == std::string::npos);
}

TEST_CASE("every file of api/web is embedded, and nothing else") {
  std::set<std::string> on_disk;
  for (const auto& e : std::filesystem::directory_iterator(std::string(HEARTH_SOURCE_DIR) + "/api/web")) {
    const std::string ext = e.path().extension().string();
    if (ext == ".html" || ext == ".js" || ext == ".css" || ext == ".svg") on_disk.insert(e.path().filename().string());
  }
  std::set<std::string> embedded;
  for (const auto& [name, bytes] : ConsoleFiles()) {
    embedded.insert(std::string(name));
    CHECK(bytes == ReadSourceFile(std::string(name)));
  }
  CHECK(embedded == on_disk);
  for (const char* f : {"index.html", "app.js", "core.js", "check.js", "ledger.js", "strings.js", "style.css",
                        "favicon.svg"}) {
    CHECK(embedded.count(f) == 1);
  }
}

TEST_CASE("content types by extension") {
  CHECK(ConsoleContentType("index.html") == "text/html; charset=utf-8");
  CHECK(ConsoleContentType("app.js") == "text/javascript; charset=utf-8");
  CHECK(ConsoleContentType("style.css") == "text/css; charset=utf-8");
  CHECK(ConsoleContentType("favicon.svg") == "image/svg+xml");
  CHECK(ConsoleContentType("notes.txt") == "application/octet-stream");
  CHECK(ConsoleContentType("js") == "application/octet-stream");
}

TEST_CASE("GET / and GET /console/{file} serve every file with its type and the CSP, no token needed") {
  ConsoleServer s;
  Reply root = s.Get("/");
  CHECK(root.status == 200);
  CHECK(Header(root, "Content-Type") == "text/html; charset=utf-8");
  CHECK(root.body == ReadSourceFile("index.html"));
  RequireSecurityHeaders(root);
  for (const auto& [name, bytes] : ConsoleFiles()) {
    INFO(name);
    Reply r = s.Get("/console/" + std::string(name));
    CHECK(r.status == 200);
    CHECK(Header(r, "Content-Type") == std::string(ConsoleContentType(name)));
    CHECK(r.body == bytes);
    RequireSecurityHeaders(r);
  }
  // The query string does not matter (cache-busting links).
  CHECK(s.Get("/console/app.js?v=2").status == 200);
  // Routes with roles stay closed.
  CHECK(s.Get("/v1/secret").status == 401);
}

TEST_CASE("unknown console files and paths are JSON 404s with the CSP") {
  ConsoleServer s;
  for (const std::string target :
       {"/console/nothing.js", "/console/INDEX.HTML", "/console/..%2fCMakeLists.txt", "/console/%2e%2e",
        "/console/app.js.map", "/console/index.html%00"}) {
    INFO(target);
    Reply r = s.Get(target);
    CHECK(r.status == 404);
    CHECK(Header(r, "Content-Type") == "application/json");
    json j = json::parse(r.body);
    CHECK(j.at("error") == "not_found");
    RequireSecurityHeaders(r);
  }
  // Paths the router does not match: a trailing slash, a deeper path, the bare folder.
  for (const std::string target : {"/console/", "/console/a/b.js", "/console", "/index.html"}) {
    INFO(target);
    Reply r = s.Get(target);
    CHECK(r.status == 404);
    CHECK(json::parse(r.body).at("error") == "not_found");
  }
  // A long unknown name is not echoed whole.
  Reply r = s.Get("/console/" + std::string(500, 'a') + ".js");
  CHECK(r.status == 404);
  CHECK(json::parse(r.body).at("message").get<std::string>().size() < 200);
}

TEST_CASE("only GET is served") {
  ConsoleServer s;
  TestClient client(s.server->port(), nullptr);
  REQUIRE(client.Connect().empty());
  Reply r = client.Send(TestClient::MakeRequest(testing::http::verb::post, "/console/app.js", "x"));
  REQUIRE(r.ok);
  CHECK(r.status == 405);
  CHECK(Header(r, "Allow") == "GET");
}

TEST_CASE("the page: Chinese by default, scripts and styles from this origin only, no inline script") {
  const std::string html = ReadSourceFile("index.html");
  CHECK(html.find("<html lang=\"zh-CN\">") != std::string::npos);
  CHECK(html.find("<meta charset=\"utf-8\">") != std::string::npos);
  CHECK(html.find("<script type=\"module\" src=\"/console/app.js\"></script>") != std::string::npos);
  CHECK(html.find("href=\"/console/style.css\"") != std::string::npos);
  // Every <script> has a src and no body; no inline event handlers or style attributes.
  const std::regex script(R"re(<script\b([^>]*)>([\s\S]*?)</script>)re", std::regex::icase);
  size_t scripts = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), script); it != std::sregex_iterator(); ++it) {
    ++scripts;
    CHECK((*it)[1].str().find("src=\"/console/") != std::string::npos);
    CHECK((*it)[2].str().empty());
  }
  CHECK(scripts == 1);
  CHECK_FALSE(std::regex_search(html, std::regex(R"re(\son[a-z]+\s*=)re", std::regex::icase)));
  CHECK_FALSE(std::regex_search(html, std::regex(R"re(\sstyle\s*=)re", std::regex::icase)));
  CHECK(html.find("<style") == std::string::npos);
  CHECK(html.find("javascript:") == std::string::npos);
}

TEST_CASE("no file refers to another host") {
  // Any absolute URL must be this host's; the one exception is the SVG namespace name, an
  // identifier that no browser fetches.
  const std::regex url(R"re((https?:)?//([A-Za-z0-9.-]+))re", std::regex::icase);
  for (const auto& [name, bytes] : ConsoleFiles()) {
    INFO(name);
    const std::string text(bytes);
    for (auto it = std::sregex_iterator(text.begin(), text.end(), url); it != std::sregex_iterator(); ++it) {
      const std::string whole = (*it)[0].str();
      const std::string host = (*it)[2].str();
      if ((*it)[1].matched) {
        INFO(whole);
        const size_t at = static_cast<size_t>(it->position(0));
        const bool svg_namespace = text.compare(at, 26, "http://www.w3.org/2000/svg") == 0;
        CHECK((svg_namespace || host == "127.0.0.1" || host == "localhost"));
      }
    }
    // Protocol-relative URLs ("//host/x") in attributes, strings or CSS.
    for (const char* rel : {"\"//", "'//", "url(//", "`//"}) CHECK(text.find(rel) == std::string::npos);
    CHECK(text.find("@import") == std::string::npos);
    CHECK(text.find("eval(") == std::string::npos);
    CHECK(text.find("new Function") == std::string::npos);
    CHECK(text.find("innerHTML") == std::string::npos);
    CHECK(text.find("document.write") == std::string::npos);
  }
}

TEST_CASE("the strings tables have the same keys in both languages, and every key used exists") {
  const std::string js = ReadSourceFile("strings.js");
  const size_t zh = js.find("'zh-CN': {");
  const size_t en = js.find("'en': {");
  const size_t end = js.find("\n};", en);
  REQUIRE(zh != std::string::npos);
  REQUIRE(en != std::string::npos);
  REQUIRE(end != std::string::npos);
  const std::regex key(R"re(\n    '([a-z_.-]+)': )re");
  auto keys = [&](size_t from, size_t to) {
    std::set<std::string> out;
    const std::string part = js.substr(from, to - from);
    for (auto it = std::sregex_iterator(part.begin(), part.end(), key); it != std::sregex_iterator(); ++it) {
      out.insert((*it)[1].str());
    }
    return out;
  };
  const std::set<std::string> zh_keys = keys(zh, en);
  const std::set<std::string> en_keys = keys(en, end);
  CHECK(zh_keys.size() > 100);
  CHECK(zh_keys == en_keys);
  // Every key the code asks for with t('...') exists.
  const std::regex use(R"re(\bt\('([a-z_.-]*[a-z_-])'\s*[,)])re");
  size_t uses = 0;
  for (const auto& [name, bytes] : ConsoleFiles()) {
    if (name.size() < 3 || name.substr(name.size() - 3) != ".js") continue;
    const std::string code(bytes);
    for (auto it = std::sregex_iterator(code.begin(), code.end(), use); it != std::sregex_iterator(); ++it) {
      INFO(std::string(name) + ": " + (*it)[1].str());
      ++uses;
      CHECK(zh_keys.count((*it)[1].str()) == 1);
    }
  }
  CHECK(uses > 100);
  // Every data-i18n key of the page exists.
  const std::string html = ReadSourceFile("index.html");
  const std::regex attr(R"re(data-i18n(?:-aria)?="([a-z_.-]+)")re");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), attr); it != std::sregex_iterator(); ++it) {
    INFO((*it)[1].str());
    CHECK(zh_keys.count((*it)[1].str()) == 1);
  }
}

TEST_CASE("every input, select and textarea of the page has a label") {
  const std::string html = ReadSourceFile("index.html");
  const std::regex control(R"re(<(input|select|textarea)\b[^>]*\bid="([^"]+)")re");
  size_t n = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), control); it != std::sregex_iterator(); ++it) {
    ++n;
    const std::string id = (*it)[2].str();
    INFO(id);
    CHECK(html.find("<label for=\"" + id + "\"") != std::string::npos);
  }
  CHECK(n >= 14);
}

}  // namespace
}  // namespace hearth::api
