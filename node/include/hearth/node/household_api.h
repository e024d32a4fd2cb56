// household_api.h: the caseworker, auditor, civil-affairs and admin routes of the node's
// HTTPS API beyond checks (issue "Caseworker and auditor API"; docs/API.md section 7):
//
//   GET    /v1/whoami                          any role    who the token belongs to
//   GET    /v1/programs                        any role    programmes with a rule set on chain
//   POST   /v1/receipts/verify                 any role    verify a receipt as `hearth verify-receipt`
//   GET    /v1/households/{case}/history       caseworker  members and monthly income (needs a
//                                                          consent; leaves an access record)
//   GET    /v1/access-log                      auditor     who looked at a household, with proofs
//   POST   /v1/consents, /v1/enrollments       agency      one signed record (civil affairs only)
//   GET    /v1/tokens, POST /v1/tokens         admin       principals in force; issue a token
//   DELETE /v1/tokens/{principal}              admin       revoke a principal's token
//
// Reads run at the node's head. History, like a check, needs a Consent of the household
// valid at the head's block time (named by ?consent=, or else the newest valid one) and
// answers only after its AccessRecord (purpose history_read, receipt_hash = the suite hash
// of the exact response body) is durable in the outbox; its id is in the
// `Hearth-Access-Record` header. Errors are JSON {"error", "message"}: 400 bad_request
// (malformed JSON or query, unknown fields or parameters, wrong types, months out of range,
// invalid case numbers), 404 unknown_household (no declaration on chain), 409 consent, 403
// forbidden (a record of another agency), 409 exists / 404 not_found (tokens), 503
// unavailable (observer, no pseudonym key, empty chain, outbox failure).
// Thread-safety: handlers run on the server's handler threads and use Node's thread-safe
// methods only.
#pragma once

#include <cstddef>
#include <cstdint>

#include "hearth/api/http_server.h"
#include "hearth/node/node.h"

namespace hearth::node {

inline constexpr uint32_t kHistoryMonthsMax = 120;
inline constexpr size_t kAccessLogRecordsMax = 10'000;
inline constexpr size_t kReceiptBodyBytesMax = 64u << 20;
inline constexpr size_t kTokenBodyBytesMax = 4096;

// Registers the routes above on `server`. `node` must outlive the server.
void RegisterHouseholdRoutes(api::HttpServer& server, Node& node);

}  // namespace hearth::node
