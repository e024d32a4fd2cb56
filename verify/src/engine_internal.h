// engine_internal.h: pieces of the check engine shared by engine.cc (reads, signer
// authority) and engine_eval.cc (evidence, figures, conditions). Not a public interface.
// Thread-safety: one evaluation, one thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hearth/verify/engine.h"

namespace hearth::verify::engine_internal {

// YYYYMM <-> months since year 0 (REQUIRES a valid month / an ordinal of one).
uint32_t MonthOrdinal(uint32_t m);
uint32_t MonthFromOrdinal(uint32_t o);
// "1234.56" (fen as yuan with two decimals).
std::string Yuan(int64_t fen);
// Floor division toward minus infinity. REQUIRES b > 0.
int64_t FloorDiv(int64_t a, int64_t b);

// Reads index keys through the EvidenceSource, once each, recording first-read order and
// checking that each list is in strictly increasing log order.
class Reader {
 public:
  Reader(EvidenceSource& source, std::vector<IndexKey>* keys_read)
      : source_(source), keys_read_(keys_read) {}
  Result<std::vector<const LoggedTx*>> Read(const IndexKey& key);

 private:
  EvidenceSource& source_;
  std::vector<IndexKey>* keys_read_;
  std::map<Bytes, std::vector<const LoggedTx*>> cache_;
};

// Which agency, if any, a transaction's signer speaks for at the transaction's log position:
// genesis issuer keys are active from the start; KeyEvents (filed under the key, signed by
// the owning agency's genesis node key) add and revoke, each taking effect for transactions
// after it in the log. A transaction of another chain or suite has no agency.
class KeyBook {
 public:
  KeyBook(const Trust& trust, Reader& reader);
  Result<std::optional<Agency>> AgencyAt(const LoggedTx& lt);
  // The key events of lt's signer that precede lt (what its authority rests on).
  std::vector<const LoggedTx*> EventsBefore(const LoggedTx& lt) const;
  bool IsMemberAgency(Agency a) const;

 private:
  struct History {
    bool genesis = false;
    std::optional<Agency> owner;
    std::vector<const LoggedTx*> events;  // accepted KeyEvents, log order
  };
  bool Envelope(const LoggedTx& lt) const;
  std::optional<Agency> NodeAgency(const Hash32& signer) const;
  Result<const History*> HistoryOf(const Hash32& key_id);

  const Trust& trust_;
  Reader& reader_;
  std::map<Hash32, History> histories_;
};

}  // namespace hearth::verify::engine_internal
