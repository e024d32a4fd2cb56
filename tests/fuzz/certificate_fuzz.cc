// libFuzzer target: DecodeCertificate (block.h): rejected, or re-encodes to the same bytes;
// verification of a decoded certificate against fixed keys never crashes.
// Seeds: tests/fuzz/corpus/certificate/.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "hearth/base/check.h"
#include "hearth/ledger/block.h"

namespace {
const std::vector<hearth::PublicKey>& Members() {
  static const std::vector<hearth::PublicKey> keys = [] {
    std::vector<hearth::PublicKey> out;
    for (uint8_t i = 0; i < 4; ++i) {
      uint8_t seed[32] = {i};
      out.push_back(hearth::PrivateKey::Ed25519FromSeed(hearth::ByteView(seed, 32))
                        .value()
                        .public_key());
    }
    return out;
  }();
  return keys;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hearth::Result<hearth::CommitCertificate> c =
      hearth::DecodeCertificate(hearth::ByteView(data, size));
  if (!c.ok()) return 0;
  const hearth::Bytes again = hearth::EncodeCertificate(*c);
  HEARTH_CHECK(again.size() == size && std::equal(again.begin(), again.end(), data));
  hearth::Status s = hearth::VerifyCertificate(*c, "hearth-example", Members(), 1);
  s.IgnoreError();  // only the absence of crashes is asserted here
  return 0;
}
