// index_keys.h: the keys under which a committed transaction is filed in the
// authenticated index (DESIGN.md "Chain, log and authenticated index"; the map itself is
// auth_index.h).
//
// Keys (docs/FORMAT.md "Index keys"):
//   subject-month  u8 0x01 ‖ subject(32) ‖ u32 month   attestations, one per month covered
//   household      u8 0x02 ‖ household(32)             declarations, consents, enrollments
//   issuer key     u8 0x03 ‖ key id(32)                key events (the key added/revoked)
//   programme      u8 0x04 ‖ u8 programme              rule sets
//   access log     u8 0x05 ‖ household(32)             access records (who looked)
// Access records have a key of their own so that a check, which reads the household key,
// never carries the household's whole access history in its receipt; the access log is
// read (and proven complete) on its own.
//   key hash       = SuiteHash(suite, u8 19 ‖ "hearth/index-key/v1" ‖ encoded key)
//
// Contract: IndexKeysOf returns each key once, in a fixed order (attestation months
// ascending); at most kIndexKeysPerTxMax = kAttestationMonthsMax keys per transaction.
// Thread-safety: values and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hearth/base/bytes.h"
#include "hearth/base/status.h"
#include "hearth/ledger/categories.h"
#include "hearth/ledger/crypto.h"
#include "hearth/ledger/records.h"

namespace hearth {

class Transaction;

inline constexpr std::string_view kIndexKeyContext = "hearth/index-key/v1";
inline constexpr size_t kIndexKeysPerTxMax = kAttestationMonthsMax;
inline constexpr size_t kIndexKeyBytesMax = 1 + 32 + 4;

enum class IndexKeyKind : uint8_t {
  kSubjectMonth = 0x01,
  kHousehold = 0x02,
  kIssuerKey = 0x03,
  kProgramme = 0x04,
  kAccessLog = 0x05,
};

struct IndexKey {
  IndexKeyKind kind = IndexKeyKind::kSubjectMonth;
  Hash32 id;          // subject, household (also kAccessLog) or key id (zero for kProgramme)
  uint32_t month = 0;  // kSubjectMonth only (0 otherwise)
  Programme programme = Programme::kDibao;  // kProgramme only (kDibao otherwise)

  static IndexKey SubjectMonth(const Hash32& subject, uint32_t month);
  static IndexKey Household(const Hash32& household);
  static IndexKey IssuerKey(const Hash32& key_id);
  static IndexKey AccessLog(const Hash32& household);
  static IndexKey ForProgramme(Programme programme);

  // Human-readable, e.g. "subject-month:<hex>:202401", for errors and the CLI.
  std::string ToString() const;
  friend bool operator==(const IndexKey&, const IndexKey&) = default;
};

Bytes EncodeIndexKey(const IndexKey& key);
Result<IndexKey> DecodeIndexKey(ByteView bytes);
Hash32 IndexKeyHash(Suite suite, const IndexKey& key);

// The keys a transaction is filed under (see the table above).
std::vector<IndexKey> IndexKeysOf(const Transaction& tx);
// Their hashes IndexKeyHash(suite, key), in the same order (what auth_index.h files under).
std::vector<Hash32> IndexKeysOf(Suite suite, const Transaction& tx);

}  // namespace hearth
