// merkle.h: the Merkle tree hash, proofs and verifiers of RFC 9162 §2.1, over a suite hash.
//
// Hashing (RFC 9162 §2.1.1, H = SHA-256 for ed25519-sha256, SM3 for sm2-sm3):
//   MTH({})      = H("")                                  (EmptyRoot)
//   leaf hash    = H(0x00 ‖ leaf data)                     (LeafHash)
//   node hash    = H(0x01 ‖ left ‖ right)                  (NodeHash)
//   MTH(D[n])    = H(0x01 ‖ MTH(D[0:k]) ‖ MTH(D[k:n])), k the largest power of two < n.
// Leaf indices are 0-based. A *perfect subtree* (level l, index i) is the subtree over
// leaves [i·2^l, (i+1)·2^l); level 0 holds the leaf hashes. Every MTH of a prefix, and
// every element of an inclusion or consistency proof, is a fold of O(log n) perfect
// subtree hashes, which is what lets MerkleLog (merkle_log.h) prove from storage.
//
// Verification policy (strict, FORMAT.md "Merkle log"):
//  - index < size, 0 < size1 <= size2, sizes <= kTreeSizeMax, else InvalidArgument;
//  - the proof length must equal the exact length the RFC algorithm produces for these
//    parameters (computed up front), else VerifyFailed "proof too long/short: got a, want b";
//  - every element is a Hash32 (32 bytes; parsers reject other lengths before this API);
//  - consistency from size 0 is refused as undefined (InvalidArgument);
//  - consistency from m to m needs an empty proof and holds only when root1 == root2.
// Results: OK, VerifyFailed (the reason in the message), or InvalidArgument.
//
// Thread-safety: pure functions; any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <utility>
#include <vector>

#include "hearth/base/bytes.h"
#include "hearth/base/status.h"
#include "hearth/ledger/crypto.h"

namespace hearth::merkle {

// Largest tree size accepted anywhere (2^48 leaves; levels 0..48).
inline constexpr uint64_t kTreeSizeMax = uint64_t{1} << 48;
inline constexpr int kLevelMax = 48;
// Longest possible proof for trees up to kTreeSizeMax (inclusion <= 48, consistency <= 2·48+1).
inline constexpr size_t kProofHashesMax = 2 * kLevelMax + 1;

Hash32 LeafHash(Suite suite, ByteView leaf_data);
Hash32 NodeHash(Suite suite, const Hash32& left, const Hash32& right);
Hash32 EmptyRoot(Suite suite);

// MTH over the given leaf hashes (EmptyRoot for none). O(n) hashes.
Hash32 RootOf(Suite suite, std::span<const Hash32> leaf_hashes);

// Exact proof lengths of RFC 9162 PATH / PROOF for valid parameters
// (REQUIRES: index < size; 0 < size1 <= size2).
size_t InclusionProofLength(uint64_t index, uint64_t size);
size_t ConsistencyProofLength(uint64_t size1, uint64_t size2);

// The hash of the perfect subtree (level, index); called only for subtrees that lie
// wholly inside the tree size asked about. Errors are passed through unchanged.
using SubtreeFn = std::function<Result<Hash32>(int level, uint64_t index)>;

// The RFC recursion over D[size] meets two kinds of ranges: perfect subtrees (one `subtree`
// call) and ranges D[start:size] that end at the tree's right edge, whose hash folds up to
// popcount(size - start) perfect subtrees. Only the edge ranges cost node hashes, and the
// same few (at most one per level) recur in every proof at that size: a receipt proves
// ~100 leaves against one checkpoint size. An EdgeMemo keeps their hashes for one tree size
// (perfect edge ranges too: they cost a subtree call each, which for MerkleLog may mean
// fetching an edge tile in place of the proof's own).
// It must only be shared between calls over the same tree (same leaves below `size`): a
// memo is keyed by size alone. Not thread-safe; callers serialise its use.
struct EdgeMemo {
  uint64_t size = 0;                                 // the tree size of `ranges`; 0 = empty
  std::vector<std::pair<uint64_t, Hash32>> ranges;  // (start, MTH(D[start:size]))
};

// MTH(D[size]) / PATH(index, D[size]) / PROOF(size1, D[size2]) from perfect subtree hashes,
// O(log n) calls of `subtree`. InvalidArgument for impossible parameters (index >= size,
// size1 == 0, size1 > size2, sizes over kTreeSizeMax). PROOF(m, D[m]) is empty. With a
// memo, edge-range hashes for this size are taken from it and added to it (a memo for
// another size is cleared first); the result is the same as without one.
Result<Hash32> RootFromSubtrees(Suite suite, uint64_t size, const SubtreeFn& subtree,
                                EdgeMemo* memo = nullptr);
Result<std::vector<Hash32>> InclusionProofFromSubtrees(Suite suite, uint64_t index,
                                                       uint64_t size, const SubtreeFn& subtree,
                                                       EdgeMemo* memo = nullptr);
Result<std::vector<Hash32>> ConsistencyProofFromSubtrees(Suite suite, uint64_t size1,
                                                         uint64_t size2, const SubtreeFn& subtree,
                                                         EdgeMemo* memo = nullptr);

// The same over a full in-memory leaf-hash list (reference; used by tests and the CLI).
// `size` may be smaller than leaf_hashes.size() (a proof against an older tree);
// OutOfRange when it is larger. O(n) hashes per call.
Result<std::vector<Hash32>> InclusionProof(Suite suite, std::span<const Hash32> leaf_hashes,
                                           uint64_t index, uint64_t size);
Result<std::vector<Hash32>> ConsistencyProof(Suite suite, std::span<const Hash32> leaf_hashes,
                                             uint64_t size1, uint64_t size2);

// RFC 9162 §2.1.3.2: that leaf_hash is leaf `index` of the tree of `size` leaves with `root`.
Status VerifyInclusion(Suite suite, const Hash32& leaf_hash, uint64_t index, uint64_t size,
                       const Hash32& root, std::span<const Hash32> proof);
// RFC 9162 §2.1.4.2: that the tree (size1, root1) is a prefix of the tree (size2, root2).
Status VerifyConsistency(Suite suite, uint64_t size1, const Hash32& root1, uint64_t size2,
                         const Hash32& root2, std::span<const Hash32> proof);

}  // namespace hearth::merkle
