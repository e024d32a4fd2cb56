// Index keys of committed transactions (index_keys.h; docs/FORMAT.md "Index keys").
#include "hearth/ledger/index_keys.h"

#include <string>

#include "hearth/ledger/transaction.h"

namespace hearth {

IndexKey IndexKey::SubjectMonth(const Hash32& subject, uint32_t month) {
  IndexKey k;
  k.kind = IndexKeyKind::kSubjectMonth;
  k.id = subject;
  k.month = month;
  return k;
}

IndexKey IndexKey::Household(const Hash32& household) {
  IndexKey k;
  k.kind = IndexKeyKind::kHousehold;
  k.id = household;
  return k;
}

IndexKey IndexKey::AccessLog(const Hash32& household) {
  IndexKey k;
  k.kind = IndexKeyKind::kAccessLog;
  k.id = household;
  return k;
}

IndexKey IndexKey::IssuerKey(const Hash32& key_id) {
  IndexKey k;
  k.kind = IndexKeyKind::kIssuerKey;
  k.id = key_id;
  return k;
}

IndexKey IndexKey::ForProgramme(Programme programme) {
  IndexKey k;
  k.kind = IndexKeyKind::kProgramme;
  k.programme = programme;
  return k;
}

std::string IndexKey::ToString() const {
  switch (kind) {
    case IndexKeyKind::kSubjectMonth:
      return "subject-month:" + id.Hex() + ":" + std::to_string(month);
    case IndexKeyKind::kHousehold: return "household:" + id.Hex();
    case IndexKeyKind::kIssuerKey: return "issuer-key:" + id.Hex();
    case IndexKeyKind::kProgramme: return "programme:" + std::string(ProgrammeCode(programme));
    case IndexKeyKind::kAccessLog: return "access-log:" + id.Hex();
  }
  return "unknown";
}

Bytes EncodeIndexKey(const IndexKey& key) {
  Writer w(kIndexKeyBytesMax);
  w.U8(static_cast<uint8_t>(key.kind));
  switch (key.kind) {
    case IndexKeyKind::kSubjectMonth:
      HEARTH_CHECK(IsValidMonth(key.month));
      w.Hash(key.id);
      w.U32(key.month);
      break;
    case IndexKeyKind::kHousehold:
    case IndexKeyKind::kIssuerKey:
    case IndexKeyKind::kAccessLog:
      w.Hash(key.id);
      break;
    case IndexKeyKind::kProgramme:
      HEARTH_CHECK(ProgrammeFromWire(static_cast<uint8_t>(key.programme)).ok());
      w.U8(static_cast<uint8_t>(key.programme));
      break;
  }
  return w.Take();
}

Result<IndexKey> DecodeIndexKey(ByteView bytes) {
  Reader r(bytes, "index_key");
  uint8_t tag = 0;
  HEARTH_RETURN_IF_ERROR(r.U8("tag", &tag));
  IndexKey k;
  switch (tag) {
    case static_cast<uint8_t>(IndexKeyKind::kSubjectMonth): {
      k.kind = IndexKeyKind::kSubjectMonth;
      HEARTH_RETURN_IF_ERROR(r.Hash("subject", &k.id));
      HEARTH_RETURN_IF_ERROR(r.U32("month", &k.month));
      if (!IsValidMonth(k.month)) return r.Error("month", "not a valid YYYYMM month");
      break;
    }
    case static_cast<uint8_t>(IndexKeyKind::kHousehold):
    case static_cast<uint8_t>(IndexKeyKind::kIssuerKey):
    case static_cast<uint8_t>(IndexKeyKind::kAccessLog):
      k.kind = static_cast<IndexKeyKind>(tag);
      HEARTH_RETURN_IF_ERROR(r.Hash("id", &k.id));
      break;
    case static_cast<uint8_t>(IndexKeyKind::kProgramme): {
      k.kind = IndexKeyKind::kProgramme;
      uint8_t p = 0;
      HEARTH_RETURN_IF_ERROR(r.U8("programme", &p));
      auto programme = ProgrammeFromWire(p);
      if (!programme.ok()) return r.Error("programme", programme.status().message());
      k.programme = *programme;
      break;
    }
    default:
      return r.Error("tag", "unknown index key tag " + std::to_string(tag));
  }
  HEARTH_RETURN_IF_ERROR(r.Finish());
  return k;
}

Hash32 IndexKeyHash(Suite suite, const IndexKey& key) {
  const Bytes encoded = EncodeIndexKey(key);
  const uint8_t len = static_cast<uint8_t>(kIndexKeyContext.size());
  return SuiteHashParts(suite, {ByteView(&len, 1), AsBytes(kIndexKeyContext), encoded});
}

std::vector<IndexKey> IndexKeysOf(const Transaction& tx) {
  std::vector<IndexKey> keys;
  const TxPayload& p = tx.body().payload;
  if (const auto* a = std::get_if<Attestation>(&p)) {
    // Valid attestations cover at most kAttestationMonthsMax months (records.h).
    const uint32_t n = MonthsBetweenInclusive(a->first_month, a->last_month);
    HEARTH_CHECK(n <= kIndexKeysPerTxMax);
    keys.reserve(n);
    uint32_t m = a->first_month;
    for (uint32_t i = 0; i < n; ++i) {
      keys.push_back(IndexKey::SubjectMonth(a->subject, m));
      if (i + 1 < n) m = NextMonth(m);
    }
  } else if (const auto* h = std::get_if<HouseholdDeclaration>(&p)) {
    keys.push_back(IndexKey::Household(h->household));
  } else if (const auto* c = std::get_if<Consent>(&p)) {
    keys.push_back(IndexKey::Household(c->household));
  } else if (const auto* e = std::get_if<Enrollment>(&p)) {
    keys.push_back(IndexKey::Household(e->household));
  } else if (const auto* ar = std::get_if<AccessRecord>(&p)) {
    keys.push_back(IndexKey::AccessLog(ar->household));
  } else if (const auto* rs = std::get_if<RuleSet>(&p)) {
    keys.push_back(IndexKey::ForProgramme(rs->programme));
  } else if (const auto* ke = std::get_if<KeyEvent>(&p)) {
    keys.push_back(IndexKey::IssuerKey(ke->KeyId()));
  }
  HEARTH_CHECK(!keys.empty());
  return keys;
}

std::vector<Hash32> IndexKeysOf(Suite suite, const Transaction& tx) {
  std::vector<IndexKey> keys = IndexKeysOf(tx);
  std::vector<Hash32> out;
  out.reserve(keys.size());
  for (const IndexKey& k : keys) out.push_back(IndexKeyHash(suite, k));
  return out;
}

}  // namespace hearth
