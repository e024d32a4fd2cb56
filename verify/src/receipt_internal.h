// receipt_internal.h: what the receipt builder and verifier share. The verifier rebuilds the
// receipt from its recomputed result and the evidence it checked with the same writer the
// builder uses (WriteReceiptBody) and compares the canonical texts, so both sides agree by
// construction; on a difference it rebuilds the reference tree (ReceiptBody) to name the
// first differing field (DiffJson). Thread-safety: pure functions (WriteReceiptBody shares a
// thread-safe memo of the rule set's canonical text).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "hearth/base/bytes.h"
#include "hearth/base/status.h"
#include "hearth/ledger/auth_index.h"
#include "hearth/ledger/block.h"
#include "hearth/ledger/index_keys.h"
#include "hearth/ledger/transaction.h"
#include "hearth/verify/engine.h"

namespace hearth::verify::receipt_internal {

struct EvidenceItem {
  const Transaction* tx = nullptr;
  uint64_t log_index = 0;
  std::span<const Hash32> inclusion_proof;
};

struct IndexItem {
  const IndexKey* key = nullptr;
  std::span<const Hash32> ids;
  const IndexProof* proof = nullptr;
};

struct ReceiptParts {
  const Trust* trust = nullptr;
  const CheckRequest* request = nullptr;
  const CheckResult* result = nullptr;
  const BlockHeader* header = nullptr;
  ByteView header_bytes;
  ByteView certificate_bytes;
  std::vector<EvidenceItem> evidence;  // log order
  std::vector<IndexItem> index;        // result->keys_read order
  uint16_t signer = 0;
};

// Format 3's proof-node table (docs/RECEIPT.md "proof_nodes"): every distinct hash of the
// evidence's inclusion proofs, in order of first use (evidence in order, each proof leaf side
// first), and each item's proof as positions in `nodes`. The proofs of one checkpoint share
// most of their upper nodes (a sample check: 606 distinct hashes in 2 340), so the table
// carries each once.
struct ProofTable {
  std::vector<Hash32> nodes;
  std::vector<uint32_t> refs;  // every item's positions, concatenated in evidence order
  std::vector<size_t> ends;    // ends[i]: one past evidence[i]'s last position in refs
  std::span<const uint32_t> Refs(size_t i) const {
    const size_t begin = i == 0 ? 0 : ends[i - 1];
    return std::span<const uint32_t>(refs).subspan(begin, ends[i] - begin);
  }
};
ProofTable MakeProofTable(std::span<const EvidenceItem> evidence);

// Every member of the receipt except "signature", as an nlohmann tree: the reference form of
// the body. InvalidArgument when the rule set tx the result names is not in `evidence` or its
// JSON does not parse.
Result<nlohmann::json> ReceiptBody(const ReceiptParts& parts);

// The same body's canonical text written directly into one buffer, without building the
// tree: byte for byte CanonicalJson(*ReceiptBody(parts)) (receipt_writer_test holds the two
// together over many receipts; keys are checked to come in canonical order as they are
// written). `*signature_at` is the offset in `*out` where the member
// `"signature":"<hex>",` belongs (just before "signer"). Any non-OK status means "use
// ReceiptBody": it gives the exact error (a rule set missing from the evidence, a string that
// is not valid UTF-8), which this writer does not try to reproduce.
Status WriteReceiptBody(const ReceiptParts& parts, std::string* out, size_t* signature_at);

// Appends `s` as a JSON string exactly as CanonicalJson writes it. False for invalid UTF-8
// (`out` then holds part of it).
bool AppendJsonString(std::string_view s, std::string& out);
// Decimal integers as CanonicalJson writes them.
void AppendInt(int64_t v, std::string& out);
void AppendUint(uint64_t v, std::string& out);
// Lower-case hex of `b`.
void AppendHex(ByteView b, std::string& out);

// CanonicalJson(value, root), plus the byte range [*begin, *end) that the top-level member
// `key` takes in it, with one separating comma, so that the text without that range is the
// canonical JSON of `value` without the member. *begin == *end when there is no such member
// (or `value` is not an object). Errors as CanonicalJson's.
Result<std::string> CanonicalJsonMemberRange(const nlohmann::json& value, std::string_view root,
                                             std::string_view key, size_t* begin, size_t* end);

// OK when `got` equals `want`; else VerifyFailed "<path>: ..." at the first difference
// (objects by key in byte order: unknown and missing members named; arrays element-wise).
Status DiffJson(const nlohmann::json& got, const nlohmann::json& want, const std::string& path);

// Lower-case hex of a hash list, as a JSON array.
nlohmann::json HashList(std::span<const Hash32> hashes);

}  // namespace hearth::verify::receipt_internal
