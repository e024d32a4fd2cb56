// The pure half of the authenticated index: hashing, the proof codec and the verifiers
// (auth_index.h documents every byte).
#include <array>
#include <string>

#include "auth_index_store.h"
#include "hearth/base/codec.h"
#include "hearth/ledger/auth_index.h"

namespace hearth {

namespace {

std::array<uint8_t, 8> U64Le(uint64_t v) {
  std::array<uint8_t, 8> out{};
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<uint8_t>(v >> (8 * i));
  return out;
}

}  // namespace

Hash32 IndexChainStep(Suite suite, const Hash32& prev, const Hash32& id) {
  return SuiteHashParts(suite, {prev.view(), id.view()});
}

std::optional<IndexValue> IndexValueOf(Suite suite, std::span<const Hash32> ids) {
  if (ids.empty()) return std::nullopt;
  IndexValue v;
  for (const Hash32& id : ids) v.head = IndexChainStep(suite, v.head, id);
  v.count = ids.size();
  return v;
}

Hash32 IndexLeafHash(Suite suite, const Hash32& key, const IndexValue& value) {
  const uint8_t tag = kIndexLeafTag;
  const auto count = U64Le(value.count);
  return SuiteHashParts(suite, {ByteView(&tag, 1), key.view(), ByteView(count.data(), count.size()),
                                value.head.view()});
}

Hash32 IndexNodeHash(Suite suite, const Hash32& left, const Hash32& right) {
  const uint8_t tag = kIndexNodeTag;
  return SuiteHashParts(suite, {ByteView(&tag, 1), left.view(), right.view()});
}

int IndexKeyBit(const Hash32& key, size_t i) {
  HEARTH_CHECK(i < kIndexKeyBits);
  return (key.bytes[i / 8] >> (7 - i % 8)) & 1;
}

Bytes IndexProof::Encode() const {
  HEARTH_CHECK(siblings.size() <= kIndexProofSiblingsMax);
  Writer w(2 + 72 + 4 + siblings.size() * Hash32::kSize);
  w.U8(kIndexProofFormat);
  w.U8(static_cast<uint8_t>(terminal));
  if (terminal == Terminal::kOtherLeaf) {
    w.Hash(other_key);
    w.U64(other_value.count);
    w.Hash(other_value.head);
  }
  w.Count(siblings.size());
  for (const Hash32& s : siblings) w.Hash(s);
  return w.Take();
}

Result<IndexProof> IndexProof::Decode(ByteView bytes) {
  if (bytes.size() > kIndexProofBytesMax) {
    return Status::InvalidArgument("index_proof: " + std::to_string(bytes.size()) +
                                   " bytes exceeds the maximum " +
                                   std::to_string(kIndexProofBytesMax));
  }
  Reader r(bytes, "index_proof");
  IndexProof p;
  uint8_t format = 0;
  HEARTH_RETURN_IF_ERROR(r.U8("format", &format));
  if (format != kIndexProofFormat) {
    return r.Error("format", "unknown format " + std::to_string(format));
  }
  uint8_t terminal = 0;
  HEARTH_RETURN_IF_ERROR(r.U8("terminal", &terminal));
  if (terminal > static_cast<uint8_t>(Terminal::kOtherLeaf)) {
    return r.Error("terminal", "unknown terminal " + std::to_string(terminal));
  }
  p.terminal = static_cast<Terminal>(terminal);
  if (p.terminal == Terminal::kOtherLeaf) {
    HEARTH_RETURN_IF_ERROR(r.Hash("other_key", &p.other_key));
    HEARTH_RETURN_IF_ERROR(r.U64("other_count", &p.other_value.count));
    HEARTH_RETURN_IF_ERROR(r.Hash("other_head", &p.other_value.head));
  }
  size_t n = 0;
  HEARTH_RETURN_IF_ERROR(r.Count("siblings", kIndexProofSiblingsMax, Hash32::kSize, &n));
  p.siblings.resize(n);
  for (size_t i = 0; i < n; ++i) {
    HEARTH_RETURN_IF_ERROR(r.Hash("siblings[" + std::to_string(i) + "]", &p.siblings[i]));
  }
  HEARTH_RETURN_IF_ERROR(r.Finish());
  return p;
}

Status VerifyIndexProof(Suite suite, const Hash32& root, const Hash32& key,
                        const std::optional<IndexValue>& claimed, const IndexProof& proof) {
  const size_t depth = proof.siblings.size();
  if (depth > kIndexProofSiblingsMax) {
    return Status::VerifyFailed("index proof: " + std::to_string(depth) + " siblings (max 256)");
  }
  Hash32 h;  // S(key[0..depth)), from the terminal
  switch (proof.terminal) {
    case IndexProof::Terminal::kPresent:
      if (!claimed) return Status::VerifyFailed("index proof: proves presence, claim is absence");
      if (claimed->count == 0) return Status::VerifyFailed("index proof: claimed count is 0");
      h = IndexLeafHash(suite, key, *claimed);
      break;
    case IndexProof::Terminal::kEmpty:
      if (claimed) return Status::VerifyFailed("index proof: proves absence, claim is presence");
      break;  // h stays Z
    case IndexProof::Terminal::kOtherLeaf:
      if (claimed) return Status::VerifyFailed("index proof: proves absence, claim is presence");
      if (proof.other_key == key) {
        return Status::VerifyFailed("index proof: the other leaf has the queried key");
      }
      if (proof.other_value.count == 0) {
        return Status::VerifyFailed("index proof: the other leaf has count 0");
      }
      if (!index_internal::SharePrefix(proof.other_key, key, depth)) {
        return Status::VerifyFailed("index proof: the other leaf is off the key's path");
      }
      h = IndexLeafHash(suite, proof.other_key, proof.other_value);
      break;
    default:
      return Status::VerifyFailed("index proof: unknown terminal");
  }
  if (depth > 0 && proof.siblings[depth - 1].IsZero()) {
    return Status::VerifyFailed("index proof: deepest sibling is empty (non-canonical)");
  }
  for (size_t i = depth; i-- > 0;) {
    h = IndexKeyBit(key, i) ? IndexNodeHash(suite, proof.siblings[i], h)
                            : IndexNodeHash(suite, h, proof.siblings[i]);
  }
  if (h != root) return Status::VerifyFailed("index proof: root mismatch");
  return Status::Ok();
}

Status VerifyIndexList(Suite suite, std::span<const Hash32> ids,
                       const std::optional<IndexValue>& value) {
  const std::optional<IndexValue> got = IndexValueOf(suite, ids);
  if (!value) {
    if (got) {
      return Status::VerifyFailed("index list: " + std::to_string(ids.size()) +
                                  " ids for an absent key");
    }
    return Status::Ok();
  }
  if (!got) return Status::VerifyFailed("index list: empty list for a present key");
  if (got->count != value->count) {
    return Status::VerifyFailed("index list: " + std::to_string(got->count) +
                                " ids, value count " + std::to_string(value->count));
  }
  if (got->head != value->head) {
    return Status::VerifyFailed("index list: ids do not chain to the value head");
  }
  return Status::Ok();
}

Status VerifyIndexEntry(Suite suite, const Hash32& root, const Hash32& key,
                        std::span<const Hash32> ids, const IndexProof& proof) {
  return VerifyIndexProof(suite, root, key, IndexValueOf(suite, ids), proof);
}

}  // namespace hearth
