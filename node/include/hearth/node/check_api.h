// check_api.h: the check routes of the node's HTTPS API (DESIGN.md "API"; docs/API.md):
//   POST /v1/checks   caseworker   run an eligibility check, answer its signed receipt
//   GET  /v1/alerts   caseworker   change-watch alerts (?household_case=&from_height=&limit=)
//
// POST /v1/checks body (strict JSON, unknown fields refused):
//   {"household_case": "...", "members": ["<18-character ID number>", ...],
//    "program": "dibao", "as_of": YYYYMM, "consent": "<Consent tx id, 64 hex>"}
// "consent" may be omitted: the node then relies on the household's newest Consent valid at
// the checkpoint's block time (409 consent when there is none), and the receipt names it.
// ID numbers and the case number are validated and pseudonymised on the way in and never
// stored or logged. The check runs at the node's head (the checkpoint named in the
// receipt). Before answering, the node signs an AccessRecord (caseworker = the principal's
// name, agency = the principal's agency, purpose eligibility_check, the consent, the
// receipt's hash, the time) with its node key, appends it to its synced outbox (outbox.h)
// and submits it; the answer is the receipt (200, application/json) with the access
// record's id in the `Hearth-Access-Record` header. Errors: 400 bad_request (malformed
// JSON, unknown fields, wrong types, invalid ID or case number, month out of range),
// 404 unknown_household, 409 consent (missing, not this household's, not valid at the
// checkpoint), 409 no_rule_set (none in force on chain, or one that does not parse), 422
// too_much_evidence (the check would read more than the bounds of store_evidence.h), 503
// unavailable (observer, no pseudonym key, empty chain, outbox failure).
// Thread-safety: handlers run on the server's handler threads; they use Node's thread-safe
// methods only.
#pragma once

#include "hearth/api/http_server.h"
#include "hearth/node/node.h"

namespace hearth::node {

inline constexpr size_t kCheckBodyBytesMax = 16 * 1024;
inline constexpr size_t kAlertsPerPageMax = 1000;

// Registers the routes above on `server`. `node` must outlive the server.
void RegisterCheckRoutes(api::HttpServer& server, Node& node);

}  // namespace hearth::node
