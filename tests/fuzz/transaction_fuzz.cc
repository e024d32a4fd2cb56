// libFuzzer target: Transaction::Decode (transaction.h). Any input must either be rejected
// with a Status or decode to a transaction whose encoding is exactly the input (only
// canonical bytes decode), whose id is the suite hash of its body, and whose index keys
// are computable. Seeds: tests/fuzz/corpus/transaction/.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "hearth/base/check.h"
#include "hearth/ledger/index_keys.h"
#include "hearth/ledger/transaction.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hearth::ByteView in(data, size);
  hearth::Result<hearth::Transaction> tx = hearth::Transaction::Decode(in);
  if (!tx.ok()) return 0;
  const hearth::Bytes again = tx->Encode();
  HEARTH_CHECK(again.size() == size && std::equal(again.begin(), again.end(), data));
  HEARTH_CHECK(tx->id() == hearth::SuiteHash(tx->suite(), tx->body_bytes()));
  HEARTH_CHECK(!hearth::IndexKeysOf(tx->suite(), *tx).empty());
  return 0;
}
