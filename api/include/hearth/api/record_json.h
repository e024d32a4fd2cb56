// record_json.h: the JSON form of a signed transaction (docs/API.md "Records as JSON"), used
// by POST /v1/records, GET /v1/tx/{id} and `hearth synth` (NDJSON, one record per line).
//
// Form: one flat object. Envelope "kind", "suite", "chain_id", "signer", "issued_at_ms",
// "nonce"; then the payload's fields under their records.h names; then "signature". Ids,
// hashes, keys and the signature are lowercase hex (input accepts either case); months are
// YYYYMM integers; amounts integer fen ("amount_fen"); categories, programmes, agencies,
// purposes, actions and suites their text codes; attributes an object of string -> string;
// optional fields omitted when absent (never null). Alternative input form:
// {"tx": "<hex of Transaction::Encode()>"}.
//
// Contract:
//  - TransactionFromJson is strict: unknown fields, wrong JSON types, floats or strings where
//    integers belong, negative or too-large numbers, null, bad hex and missing fields are
//    InvalidArgument naming the field ("attestation.amount_fen: expected an integer, got a
//    float"). Envelope fields are named "transaction.<field>". The result passed the ledger's
//    Validate and Transaction::FromParts (limits, canonical order, chain id syntax).
//  - The signature is NOT checked (the caller knows the signer's key), and the chain id is
//    not compared with the local chain (the caller does it).
//  - TransactionFromJson(TransactionToJson(tx)) == tx with identical bytes, for every kind.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "hearth/base/status.h"
#include "hearth/ledger/records.h"
#include "hearth/ledger/transaction.h"

namespace hearth::api {

// Longest JSON text of one record: a RuleSet's 64 KiB of rules JSON, escaped, fits.
inline constexpr size_t kRecordJsonBytesMax = 512 * 1024;
// A record nests two levels (the record, then "attributes" or "members").
inline constexpr size_t kRecordJsonDepthMax = 4;

Result<Transaction> TransactionFromJson(const nlohmann::json& j);
// Parses JSON text (InvalidArgument "record: malformed JSON at byte N: ..." when it is not
// JSON, has duplicate keys or exceeds kRecordJsonBytesMax), then TransactionFromJson.
Result<Transaction> ParseRecordLine(std::string_view line);

nlohmann::json TransactionToJson(const Transaction& tx);
// Compact JSON text with the fields in the documented order (envelope, payload, signature),
// no trailing newline: one NDJSON line.
std::string TransactionToJsonText(const Transaction& tx);
// {"tx": "<hex of tx.Encode()>"}.
nlohmann::json TransactionToHexJson(const Transaction& tx);

// Text codes of the two small enumerations records.h leaves to its users.
std::string_view AccessPurposeName(AccessPurpose p);  // "eligibility_check", "history_read"
Result<AccessPurpose> ParseAccessPurpose(std::string_view name);
std::string_view KeyActionName(KeyAction a);          // "add", "revoke"
Result<KeyAction> ParseKeyAction(std::string_view name);

}  // namespace hearth::api
