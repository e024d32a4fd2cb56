// devnet.h: a local development network — n voting nodes (one per agency) as separate
// hearthd processes on 127.0.0.1 with fresh keys — and bulk submission of NDJSON records
// to a node. Backs `hearth devnet up|down|status` and `hearth submit` (docs/DEVNET.md).
//
// Layout of a devnet folder D (all written by DevnetUp, never overwritten):
//   D/genesis.json                       members named by agency code, fresh chain id
//   D/pseudonym.key                      consortium pseudonym key (0600, outside data dirs)
//   D/tokens.json                        bearer tokens (0600): {"<principal>": {"token",
//                                        "role", "agency"}}; the nodes hold only hashes
//   D/<agency>/{node,transport,issuer,api}.pem, transport-cert.pem, api-cert.pem, public.json
//   D/<agency>/node.json                 hearthd config (paths relative to D/<agency>)
//   D/<agency>/data/                     the node's store; D/<agency>/hearthd.log its output
//   D/nodes.json                         [{"agency","p2p","api","pid","config"}]
//
// Contract:
//  - DevnetUp refuses a folder whose devnet is running, or a non-empty folder that is not a
//    devnet. A stopped devnet (genesis.json present) is started again with its keys and data.
//  - Processes are only signalled when /proc/<pid>/cmdline shows hearthd started with that
//    node's config, so a stale pid reused by another program is never touched.
//  - Every wait has a bound; every network call has a timeout.
// Thread-safety: none of these functions share state; each touches the given folder, runs
// or signals processes and talks to the nodes. Do not run two on one folder at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "hearth/base/status.h"
#include "hearth/ledger/categories.h"
#include "hearth/ledger/crypto.h"

namespace hearth::node {

// Members are named by agency code and agencies are unique in genesis: at most one node per
// defined agency. n must be 3f+1: 1, 4 or 7.
inline constexpr size_t kDevnetNodesMax = 7;
// Lifetime of the minted tokens.
inline constexpr uint64_t kDevnetTokenLifetimeMs = 30ull * 24 * 3600 * 1000;
// Most lines per POST /v1/records that SubmitNdjsonFile sends (node limit: kBulkLinesMax).
inline constexpr size_t kSubmitChunkLinesMax = 100'000;
// Longest NDJSON line SubmitNdjsonFile reads.
inline constexpr size_t kSubmitLineBytesMax = 1 << 20;

struct DevnetUpOptions {
  std::string dir;
  size_t nodes = 4;
  Suite suite = Suite::kEd25519Sha256;
  std::string hearthd_path;  // empty: "hearthd" beside the running program
  uint64_t ready_timeout_ms = 30'000;
};

struct DevnetNode {
  std::string agency;  // agency code = member name
  std::string p2p;     // "127.0.0.1:port"
  std::string api;     // "https://127.0.0.1:port"
  int pid = 0;
  std::string config;  // absolute path of its node.json
};

struct DevnetPrincipal {
  std::string name;
  std::string token;
  std::string role;    // agency | caseworker | auditor | admin
  std::string agency;  // empty for auditor and admin
};

// The agencies of an n-node devnet in member order: the four founders, then
// public_security, property_registry, financial. InvalidArgument unless n is 1, 4 or 7.
Result<std::vector<Agency>> DevnetAgencies(size_t n);

// Creates the devnet (when `dir` holds none), starts every node, writes nodes.json and waits
// until every /healthz answers. Progress lines go to `log`. On failure the nodes it started
// are stopped again and the error names the node and the end of its log.
Result<std::vector<DevnetNode>> DevnetUp(const DevnetUpOptions& o, std::ostream& log);

// SIGTERM to every running node of `dir`, SIGKILL to those still running after grace_ms.
// OK when none is left running (also when none was).
Status DevnetDown(const std::string& dir, uint64_t grace_ms, std::ostream& log);

struct DevnetNodeStatus {
  DevnetNode node;
  bool running = false;  // the pid is that node's hearthd
  bool up = false;       // /healthz answered 200 with the expected JSON
  uint64_t height = 0, log_size = 0, mempool = 0;
  std::string log_root, chain_id;
  std::string error;  // why not up
};

// Asks every node of `dir` for /healthz over HTTPS, trusting D/<agency>/api-cert.pem.
Result<std::vector<DevnetNodeStatus>> DevnetStatus(const std::string& dir, uint64_t timeout_ms);

// D/nodes.json and D/tokens.json.
Result<std::vector<DevnetNode>> LoadDevnetNodes(const std::string& dir);
Result<std::vector<DevnetPrincipal>> LoadDevnetTokens(const std::string& dir);

// How a client reaches one devnet node as one principal: the node's API URL, its API
// certificate to trust, and the principal's bearer token. `principal` empty = the node's own
// agency principal. InvalidArgument naming the option ("--node", "--principal") and the
// choices when the node or the principal is not in the devnet.
struct DevnetTarget {
  std::string base_url;
  std::string ca_cert_pem;
  std::string token;
};
Result<DevnetTarget> ResolveDevnetTarget(const std::string& dir, const std::string& agency,
                                         const std::string& principal);

// True when /proc/<pid>/cmdline is a hearthd started with --config `config_path`.
bool IsDevnetNodeProcess(int pid, const std::string& config_path);

// ---- Bulk submission ----

struct SubmitOptions {
  std::string base_url;     // the node's API, "https://127.0.0.1:port"
  std::string ca_cert_pem;  // the node's API certificate (https)
  std::string token;        // bearer token of an agency principal
  std::string file;         // NDJSON, one record per line; blank lines are skipped
  size_t chunk_lines = 10'000;          // 1..kSubmitChunkLinesMax
  uint64_t request_timeout_ms = 120'000;
  // Lines answered retry_later (or a chunk answered 503 / not answered) are sent again with
  // a growing pause; give up when no line has been settled for this long.
  uint64_t stall_timeout_ms = 120'000;
  size_t rejections_kept = 10;
};

struct SubmitLineReport {
  size_t line = 0;  // 1-based line number in the file
  std::string text;
};

struct SubmitSummary {
  size_t lines = 0;  // records sent (non-blank lines)
  size_t accepted = 0, duplicate = 0, rejected = 0;
  size_t unsettled = 0;  // still retry_later (or unanswered) when the stall bound hit
  size_t warnings = 0;
  std::vector<SubmitLineReport> rejections;  // the first rejections_kept, in file order
  std::vector<SubmitLineReport> first_warnings;
  bool all_settled_ok() const { return rejected == 0 && unsettled == 0; }
};

// Posts `o.file` in chunks. Errors: InvalidArgument / IOError for an unusable file or
// options (nothing or only part sent); VerifyFailed / FailedPrecondition when the node
// refuses the token or the request as a whole (401/403/4xx), naming its answer;
// Corruption when an answer does not match the request. A node that cannot be reached, or
// keeps answering retry_later, for stall_timeout_ms leaves the lines not yet settled (the
// rest of the file included) counted as `unsettled`. Per-line outcomes are in the summary.
Result<SubmitSummary> SubmitNdjsonFile(const SubmitOptions& o, std::ostream& log);

}  // namespace hearth::node
