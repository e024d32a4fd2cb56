// libFuzzer target: DecodeIndexKey (index_keys.h): rejected, or re-encodes to the same bytes.
// Seeds: tests/fuzz/corpus/index_key/.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "hearth/base/check.h"
#include "hearth/ledger/index_keys.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hearth::Result<hearth::IndexKey> k = hearth::DecodeIndexKey(hearth::ByteView(data, size));
  if (!k.ok()) return 0;
  const hearth::Bytes again = hearth::EncodeIndexKey(*k);
  HEARTH_CHECK(again.size() == size && std::equal(again.begin(), again.end(), data));
  return 0;
}
