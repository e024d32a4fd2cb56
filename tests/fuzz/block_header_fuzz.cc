// libFuzzer target: DecodeBlockHeader (block.h): rejected, or re-encodes to the same bytes
// and hashes. Seeds: tests/fuzz/corpus/block_header/.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "hearth/base/check.h"
#include "hearth/ledger/block.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hearth::Result<hearth::BlockHeader> h = hearth::DecodeBlockHeader(hearth::ByteView(data, size));
  if (!h.ok()) return 0;
  const hearth::Bytes again = hearth::EncodeBlockHeader(*h);
  HEARTH_CHECK(again.size() == size && std::equal(again.begin(), again.end(), data));
  (void)hearth::BlockHash(*h);
  return 0;
}
