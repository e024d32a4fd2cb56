// libFuzzer target: DecodeBlock (block.h): rejected, or a block whose header agrees with its
// transactions and whose encoding is exactly the input. Seeds: tests/fuzz/corpus/block/.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "hearth/base/check.h"
#include "hearth/ledger/block.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hearth::Result<hearth::Block> b = hearth::DecodeBlock(hearth::ByteView(data, size));
  if (!b.ok()) return 0;
  HEARTH_CHECK(hearth::Validate(*b).ok());
  const hearth::Bytes again = hearth::EncodeBlock(*b);
  HEARTH_CHECK(again.size() == size && std::equal(again.begin(), again.end(), data));
  return 0;
}
