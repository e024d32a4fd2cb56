// libFuzzer target: consensus::DecodeMessage (consensus/messages.h) on arbitrary bytes. A
// decoded message must re-encode to exactly the input (the wire form is canonical: one
// message, one byte string), and decoding the re-encoding must give the same message.
// Seeds: tests/fuzz/corpus/consensus_message/ (one of each message type).
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "hearth/base/check.h"
#include "hearth/consensus/messages.h"

namespace {
// Larger than any seed, small enough that the value-size limit is reachable.
constexpr size_t kValueBytesMax = size_t{1} << 20;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const hearth::ByteView in(data, size);
  hearth::Result<hearth::consensus::Message> m =
      hearth::consensus::DecodeMessage(in, kValueBytesMax);
  if (!m.ok()) return 0;
  const hearth::Bytes again = hearth::consensus::EncodeMessage(*m);
  HEARTH_CHECK_MSG(again.size() == size && std::equal(again.begin(), again.end(), data),
                   "a decoded consensus message does not re-encode to its input");
  hearth::Result<hearth::consensus::Message> m2 =
      hearth::consensus::DecodeMessage(again, kValueBytesMax);
  HEARTH_CHECK(m2.ok() && *m2 == *m);
  return 0;
}
