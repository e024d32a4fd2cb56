// Fuzz target: arbitrary bytes decoded as an index proof (auth_index.h). Decoding must never
// crash; a decoded proof must re-encode to the same bytes (one canonical form); and
// verification against a fixed two-key map must never accept a false claim (soundness
// oracle: the truth of every candidate key is known). The same bytes, stored as the root
// page of an index, must be read as Corruption or a valid page, never crash (page decoding
// and the slot computation face damaged storage).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "hearth/base/check.h"
#include "hearth/base/codec.h"
#include "hearth/ledger/auth_index.h"

using namespace hearth;

namespace {

struct Map {
  Hash32 k1, k2, k3;
  IndexValue v1, v2;
  Hash32 root;
};

const Map& TheMap() {
  static const Map m = [] {
    Map out;
    out.k2.bytes[0] = 0x80;
    out.k3.bytes[0] = 0x40;  // absent, on k1's side of the root
    Hash32 id;
    id.bytes.fill(0x11);
    const Hash32 ids[] = {id, id};
    out.v1 = *IndexValueOf(Suite::kEd25519Sha256, ids);
    out.v2 = *IndexValueOf(Suite::kEd25519Sha256, std::span(ids, 1));
    out.root = IndexNodeHash(Suite::kEd25519Sha256,
                             IndexLeafHash(Suite::kEd25519Sha256, out.k1, out.v1),
                             IndexLeafHash(Suite::kEd25519Sha256, out.k2, out.v2));
    return out;
  }();
  return m;
}

void CheckSound(const Hash32& key, const std::optional<IndexValue>& truth,
                const IndexProof& proof) {
  const Map& m = TheMap();
  const Suite s = Suite::kEd25519Sha256;
  // The claim "absent", the true value and wrong values: only the truth may verify.
  const std::optional<IndexValue> claims[] = {
      std::nullopt, m.v1, m.v2, proof.other_value,
      IndexValue{proof.other_value.count, m.v1.head}};
  for (const auto& claim : claims) {
    if (VerifyIndexProof(s, m.root, key, claim, proof).ok()) {
      HEARTH_CHECK_MSG(claim == truth, "index proof verified a false claim");
    }
  }
}

// The valid proofs of the map, as bytes: k1 present (sibling leaf(k2)), k3 absent (other
// leaf k1). Mutating them reaches the verification paths that random bytes cannot.
Bytes ValidProof(bool absent) {
  const Map& m = TheMap();
  IndexProof p;
  p.terminal = absent ? IndexProof::Terminal::kOtherLeaf : IndexProof::Terminal::kPresent;
  if (absent) {
    p.other_key = m.k1;
    p.other_value = m.v1;
  }
  p.siblings.push_back(IndexLeafHash(Suite::kEd25519Sha256, m.k2, m.v2));
  return p.Encode();
}

void Check(ByteView bytes);

// The bytes as the root page of version 0 of an index whose root record names `root`.
void CheckStoredPage(ByteView bytes) {
  MemKv kv;
  AuthIndex probe(Suite::kEd25519Sha256, &kv, "x");
  Writer meta;
  meta.U8(1);
  meta.U8(static_cast<uint8_t>(Suite::kEd25519Sha256));
  meta.U8(1);
  meta.U64(0);
  meta.U64(0);
  kv.Put(probe.MetaKey(), AsChars(meta.bytes()));
  Writer root;
  root.Hash(TheMap().root);
  root.U64(0);
  kv.Put(probe.RootKey(0), AsChars(root.bytes()));
  kv.Put(probe.PageKey(0, 0, Hash32()), AsChars(bytes));
  AuthIndex idx(Suite::kEd25519Sha256, &kv, "x", AuthIndex::Options{0});
  const Status s = idx.Open();
  HEARTH_CHECK_MSG(s.code() == Code::kCorruption || s.ok(), "stored page: not corruption");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The oracle is not vacuous: the unmutated proofs verify the truth.
  static const bool valid_proofs_verify = [] {
    const Map& m = TheMap();
    const Suite s = Suite::kEd25519Sha256;
    HEARTH_CHECK(VerifyIndexProof(s, m.root, m.k1, m.v1, *IndexProof::Decode(ValidProof(false)))
                     .ok());
    HEARTH_CHECK(VerifyIndexProof(s, m.root, m.k3, std::nullopt,
                                  *IndexProof::Decode(ValidProof(true)))
                     .ok());
    return true;
  }();
  (void)valid_proofs_verify;
  Check(ByteView(data, size));
  CheckStoredPage(ByteView(data, size));
  // The input also XORed into a valid proof (first byte picks which one).
  if (size > 0) {
    Bytes mutated = ValidProof(data[0] & 1);
    for (size_t i = 1; i < size && i - 1 < mutated.size(); ++i) mutated[i - 1] ^= data[i];
    Check(mutated);
  }
  return 0;
}

namespace {

void Check(ByteView bytes) {
  const uint8_t* data = bytes.data();
  const size_t size = bytes.size();
  Result<IndexProof> proof = IndexProof::Decode(bytes);
  if (!proof.ok()) return;
  const Bytes again = proof->Encode();
  HEARTH_CHECK_MSG(again.size() == size && std::equal(again.begin(), again.end(), data),
                   "index proof decoding is not canonical");
  const Map& m = TheMap();
  CheckSound(m.k1, m.v1, *proof);
  CheckSound(m.k2, m.v2, *proof);
  CheckSound(m.k3, std::nullopt, *proof);
  // Any key, taken from the proof itself: the map holds only k1 and k2.
  const Hash32 any = proof->siblings.empty() ? proof->other_key : proof->siblings[0];
  if (any != m.k1 && any != m.k2) CheckSound(any, std::nullopt, *proof);
}

}  // namespace
