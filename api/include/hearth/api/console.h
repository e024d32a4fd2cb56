// console.h: the web console (api/web/*: index.html, app.js, style.css, favicon.svg), compiled
// into hearth_api and served by every node; docs/CONSOLE.md describes what it does.
//
// Contract:
//  - RegisterConsoleRoutes adds two open routes (no token: the page asks for one and sends it
//    with each API call it makes):
//      GET /                -> index.html
//      GET /console/{file}  -> the embedded file of that name
//    An unknown file is 404 {"error": "not_found", ...}.
//  - Content-Type by extension: .html text/html, .js text/javascript, .css text/css (each with
//    "; charset=utf-8"), .svg image/svg+xml, anything else application/octet-stream.
//  - Every console answer (files and the 404) carries kConsoleCsp as Content-Security-Policy
//    (same-origin scripts, styles, images and connections only; no inline script or style;
//    no framing), plus Referrer-Policy: no-referrer and X-Frame-Options: DENY. The server
//    itself adds Cache-Control: no-store and X-Content-Type-Options: nosniff.
//  - ConsoleFiles lists the embedded files (name, bytes) in name order; the bytes are the
//    source files' bytes, verbatim (generated at configure time by CMakeLists.txt).
// Thread-safety: RegisterConsoleRoutes follows HttpServer::AddRoute (before Start, one
// thread). The handlers and ConsoleFiles read constant data only.
#pragma once

#include <string_view>
#include <utility>
#include <vector>

#include "hearth/api/http_server.h"

namespace hearth::api {

inline constexpr std::string_view kConsoleCsp =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

// REQUIRES: server not started; no other route for GET / or GET /console/{file}.
void RegisterConsoleRoutes(HttpServer& server);

// (file name, bytes) of every embedded console file, in name order.
std::vector<std::pair<std::string_view, std::string_view>> ConsoleFiles();

// The Content-Type the console serves a file name with.
std::string_view ConsoleContentType(std::string_view file);

}  // namespace hearth::api
