// node_api.h: the node's part of the HTTPS API (DESIGN.md "API"; docs/API.md):
//   POST /v1/records            agency        one JSON record, or NDJSON bulk (<= 10^5 lines);
//                                             an observer answers 409 "observer" to anyone
//   GET  /v1/tx/{id}            any role      pending / committed with inclusion proof
//   GET  /v1/blocks/{height}    any role      header, certificate, transaction ids
//   GET  /v1/blocks?from=&to=   any role      <= kBlocksPerRangeMax blocks as canonical hex
//   GET  /v1/checkpoint         any role      the head header with its certificate
//   GET  /v1/proof/inclusion    any role      ?id=<tx id> or ?index=&size=
//   GET  /v1/proof/consistency  any role      ?from=&to=
//   GET  /healthz               public        height, log size and roots
//   GET  /metrics               public        Prometheus text
// Thread-safety: handlers run on the server's handler threads and use only Node's
// thread-safe methods.
#pragma once

#include <memory>

#include "hearth/api/http_server.h"
#include "hearth/api/tokens.h"
#include "hearth/node/node.h"

namespace hearth::node {

inline constexpr size_t kBulkLinesMax = 100'000;
inline constexpr uint64_t kBlocksPerRangeMax = 64;

// Registers the routes above on `server`. `node` must outlive the server.
void RegisterNodeRoutes(api::HttpServer& server, Node& node);

}  // namespace hearth::node
