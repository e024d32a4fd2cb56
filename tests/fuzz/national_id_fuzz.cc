// libFuzzer target: NormaliseNationalId and PseudonymKey::Parse (national_id.h). A valid ID
// normalises to 18 characters with a matching check character, and is a fixed point of
// normalisation; no error message contains 6 consecutive characters of the input.
// Seeds: tests/fuzz/corpus/national_id/.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "hearth/base/check.h"
#include "hearth/ledger/national_id.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  hearth::Result<std::string> id = hearth::NormaliseNationalId(in, 20250101);
  if (id.ok()) {
    HEARTH_CHECK(id->size() == hearth::kNationalIdLength);
    HEARTH_CHECK(hearth::NationalIdCheckChar(std::string_view(*id).substr(0, 17)) == (*id)[17]);
    HEARTH_CHECK(*hearth::NormaliseNationalId(*id) == *id);
  } else if (size >= 6) {
    const std::string& m = id.status().message();
    for (size_t i = 0; i + 6 <= size && i < 64; ++i) {
      const std::string_view run = in.substr(i, 6);
      bool digits = run.find_first_not_of("0123456789Xx") == std::string_view::npos;
      HEARTH_CHECK(!digits || m.find(run) == std::string::npos);
    }
  }
  hearth::Result<hearth::PseudonymKey> key = hearth::PseudonymKey::Parse(in);
  if (key.ok()) HEARTH_CHECK(key->bytes().size() == hearth::kPseudonymKeyBytes);
  return 0;
}
