// libFuzzer target: DecodeTxBody (transaction.h): rejected, or re-encodes to the same bytes.
// Seeds: tests/fuzz/corpus/tx_body/.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "hearth/base/check.h"
#include "hearth/ledger/transaction.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hearth::Result<hearth::TxBody> body = hearth::DecodeTxBody(hearth::ByteView(data, size));
  if (!body.ok()) return 0;
  const hearth::Bytes again = hearth::EncodeTxBody(*body);
  HEARTH_CHECK(again.size() == size && std::equal(again.begin(), again.end(), data));
  return 0;
}
