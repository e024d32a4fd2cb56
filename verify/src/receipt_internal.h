// receipt_internal.h: what the receipt builder and verifier share. The verifier rebuilds the
// receipt from its recomputed result and the evidence it checked with the same ReceiptBody
// the builder uses, and compares (DiffJson), so both sides agree field by field by
// construction. Thread-safety: pure functions.
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

// Every member of the receipt except "signature". InvalidArgument when the rule set tx the
// result names is not in `evidence` or its JSON does not parse.
Result<nlohmann::json> ReceiptBody(const ReceiptParts& parts);

// OK when `got` equals `want`; else VerifyFailed "<path>: ..." at the first difference
// (objects by key in byte order: unknown and missing members named; arrays element-wise).
Status DiffJson(const nlohmann::json& got, const nlohmann::json& want, const std::string& path);

// Lower-case hex of a hash list, as a JSON array.
nlohmann::json HashList(std::span<const Hash32> hashes);

}  // namespace hearth::verify::receipt_internal
