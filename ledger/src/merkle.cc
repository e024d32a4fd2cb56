// RFC 9162 §2.1: tree hash, proof generation from perfect subtree hashes, verification.
#include "hearth/ledger/merkle.h"

#include <algorithm>
#include <array>
#include <bit>
#include <string>

#include "hearth/base/check.h"

namespace hearth::merkle {

namespace {

constexpr uint8_t kLeafPrefix = 0x00;
constexpr uint8_t kNodePrefix = 0x01;

// Largest power of two strictly smaller than n. REQUIRES: n >= 2.
uint64_t SplitPoint(uint64_t n) {
  HEARTH_CHECK(n >= 2);
  return std::bit_floor(n - 1);
}

// MTH(D[start : start+count]). REQUIRES: count >= 1 and start a multiple of the smallest
// power of two >= count, which holds for every range the RFC recursion visits; the range
// then splits into the perfect subtrees given by the bits of count, folded right to left.
Result<Hash32> RangeHash(Suite suite, uint64_t start, uint64_t count, const SubtreeFn& subtree) {
  HEARTH_CHECK(count >= 1);
  std::array<Hash32, kLevelMax + 1> pieces;
  size_t n = 0;
  uint64_t offset = start;
  for (int level = kLevelMax; level >= 0; --level) {
    uint64_t width = uint64_t{1} << level;
    if ((count & width) == 0) continue;
    HEARTH_CHECK(offset % width == 0);
    HEARTH_ASSIGN_OR_RETURN(pieces[n], subtree(level, offset >> level));
    ++n;
    offset += width;
  }
  HEARTH_CHECK(n >= 1);
  Hash32 acc = pieces[n - 1];
  for (size_t i = n - 1; i > 0; --i) acc = NodeHash(suite, pieces[i - 1], acc);
  return acc;
}

// MTH(D[start:end]), a range the RFC recursion over D[size] visits: perfect, or ending at
// the right edge (once the walk leaves the edge, every range is a power of two). Edge
// ranges go through `memo` when given.
Result<Hash32> WalkRangeHash(Suite suite, uint64_t start, uint64_t end, uint64_t size,
                             const SubtreeFn& subtree, EdgeMemo* memo) {
  HEARTH_CHECK(start < end && end <= size);
  const uint64_t count = end - start;
  HEARTH_CHECK(std::has_single_bit(count) || end == size);
  // A perfect range inside the tree is one subtree call: nothing to save. A perfect range on
  // the right edge is memoised too: every proof at this size visits it, and reading it
  // would replace the tile a caller's tile memo holds for the proof's own path.
  if (memo == nullptr || (std::has_single_bit(count) && end != size)) {
    return RangeHash(suite, start, count, subtree);
  }
  if (memo->size != size) {
    memo->size = size;
    memo->ranges.clear();
  }
  for (const auto& [s, h] : memo->ranges) {
    if (s == start) return h;
  }
  HEARTH_ASSIGN_OR_RETURN(Hash32 h, RangeHash(suite, start, count, subtree));
  HEARTH_CHECK(memo->ranges.size() <= kLevelMax);  // at most one edge range per level
  memo->ranges.emplace_back(start, h);
  return h;
}

Status CheckSize(uint64_t size, const char* what) {
  if (size > kTreeSizeMax) {
    return Status::InvalidArgument(std::string(what) + " " + std::to_string(size) +
                                   " exceeds the maximum tree size 2^48");
  }
  return Status::Ok();
}

Status CheckInclusionParams(uint64_t index, uint64_t size) {
  HEARTH_RETURN_IF_ERROR(CheckSize(size, "size"));
  if (index >= size) {
    return Status::InvalidArgument("index " + std::to_string(index) + " is not below size " +
                                   std::to_string(size));
  }
  return Status::Ok();
}

Status CheckConsistencyParams(uint64_t size1, uint64_t size2) {
  HEARTH_RETURN_IF_ERROR(CheckSize(size2, "size2"));
  if (size1 == 0) {
    return Status::InvalidArgument("consistency from size 0 is undefined (size1 must be >= 1)");
  }
  if (size1 > size2) {
    return Status::InvalidArgument("size1 " + std::to_string(size1) + " exceeds size2 " +
                                   std::to_string(size2));
  }
  return Status::Ok();
}

Status CheckLength(size_t got, size_t want) {
  if (got == want) return Status::Ok();
  return Status::VerifyFailed(std::string(got > want ? "proof too long" : "proof too short") +
                              ": got " + std::to_string(got) + ", want " + std::to_string(want));
}

// Perfect subtree hash straight from the leaves (reference path: O(2^level)).
Hash32 PerfectFromLeaves(Suite suite, std::span<const Hash32> leaves, int level, uint64_t index) {
  if (level == 0) return leaves[index];
  return NodeHash(suite, PerfectFromLeaves(suite, leaves, level - 1, 2 * index),
                  PerfectFromLeaves(suite, leaves, level - 1, 2 * index + 1));
}

SubtreeFn LeavesSubtreeFn(Suite suite, std::span<const Hash32> leaves) {
  return [suite, leaves](int level, uint64_t index) -> Result<Hash32> {
    HEARTH_CHECK(((index + 1) << level) <= leaves.size());
    return PerfectFromLeaves(suite, leaves, level, index);
  };
}

}  // namespace

Hash32 LeafHash(Suite suite, ByteView leaf_data) {
  const uint8_t prefix = kLeafPrefix;
  return SuiteHashParts(suite, {ByteView(&prefix, 1), leaf_data});
}

Hash32 NodeHash(Suite suite, const Hash32& left, const Hash32& right) {
  // One contiguous 65-byte input: one digest update instead of three.
  std::array<uint8_t, 1 + 2 * Hash32::kSize> buf;
  buf[0] = kNodePrefix;
  std::copy(left.bytes.begin(), left.bytes.end(), buf.begin() + 1);
  std::copy(right.bytes.begin(), right.bytes.end(), buf.begin() + 1 + Hash32::kSize);
  return SuiteHash(suite, ByteView(buf.data(), buf.size()));
}

Hash32 EmptyRoot(Suite suite) { return SuiteHash(suite, ByteView()); }

Hash32 RootOf(Suite suite, std::span<const Hash32> leaf_hashes) {
  if (leaf_hashes.empty()) return EmptyRoot(suite);
  HEARTH_CHECK(leaf_hashes.size() <= kTreeSizeMax);
  // The right frontier: stack[l] is the newest complete subtree of level l.
  std::array<Hash32, kLevelMax + 1> stack;
  uint64_t n = 0;
  for (const Hash32& leaf : leaf_hashes) {
    Hash32 h = leaf;
    int level = 0;
    for (uint64_t i = n; (i & 1) != 0; i >>= 1, ++level) h = NodeHash(suite, stack[level], h);
    stack[level] = h;
    ++n;
  }
  int low = std::countr_zero(n);
  Hash32 acc = stack[low];
  for (int level = low + 1; level <= kLevelMax; ++level) {
    if ((n >> level) & 1) acc = NodeHash(suite, stack[level], acc);
  }
  return acc;
}

size_t InclusionProofLength(uint64_t index, uint64_t size) {
  HEARTH_CHECK(index < size);
  // Levels where the path to `index` and the path to the last leaf differ have a perfect
  // sibling each (inner); above them, one sibling per set bit left in index (border).
  int inner = static_cast<int>(std::bit_width(index ^ (size - 1)));
  return static_cast<size_t>(inner + std::popcount(index >> inner));
}

size_t ConsistencyProofLength(uint64_t size1, uint64_t size2) {
  HEARTH_CHECK(size1 >= 1 && size1 <= size2);
  if (size1 == size2) return 0;
  // The proof is the inclusion path of the subtree ending at size1 (seen at the level of
  // its lowest set bit), plus that subtree itself unless size1 is a power of two.
  int level = std::countr_zero(size1);
  uint64_t index = (size1 - 1) >> level;
  uint64_t size = ((size2 - 1) >> level) + 1;
  return InclusionProofLength(index, size) + (index == 0 ? 0 : 1);
}

Result<Hash32> RootFromSubtrees(Suite suite, uint64_t size, const SubtreeFn& subtree,
                                EdgeMemo* memo) {
  HEARTH_RETURN_IF_ERROR(CheckSize(size, "size"));
  if (size == 0) return EmptyRoot(suite);
  return WalkRangeHash(suite, 0, size, size, subtree, memo);
}

Result<std::vector<Hash32>> InclusionProofFromSubtrees(Suite suite, uint64_t index, uint64_t size,
                                                       const SubtreeFn& subtree, EdgeMemo* memo) {
  HEARTH_RETURN_IF_ERROR(CheckInclusionParams(index, size));
  // PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n]) if m < k, else PATH(m-k, D[k:n]) : MTH(D[0:k]).
  // Walked top-down, so the siblings come out root-first and are reversed at the end.
  std::vector<Hash32> proof;
  proof.reserve(InclusionProofLength(index, size));
  uint64_t start = 0, count = size, m = index;
  while (count > 1) {
    uint64_t k = SplitPoint(count);
    if (m < k) {
      HEARTH_ASSIGN_OR_RETURN(Hash32 sibling,
                              WalkRangeHash(suite, start + k, start + count, size, subtree, memo));
      proof.push_back(sibling);
      count = k;
    } else {
      HEARTH_ASSIGN_OR_RETURN(Hash32 sibling, RangeHash(suite, start, k, subtree));
      proof.push_back(sibling);
      start += k;
      m -= k;
      count -= k;
    }
  }
  std::reverse(proof.begin(), proof.end());
  HEARTH_CHECK(proof.size() == InclusionProofLength(index, size));
  return proof;
}

Result<std::vector<Hash32>> ConsistencyProofFromSubtrees(Suite suite, uint64_t size1,
                                                         uint64_t size2, const SubtreeFn& subtree,
                                                         EdgeMemo* memo) {
  HEARTH_RETURN_IF_ERROR(CheckConsistencyParams(size1, size2));
  // SUBPROOF(m, D[n], b): {} if m == n and b; {MTH(D[n])} if m == n and not b;
  // SUBPROOF(m, D[0:k], b) : MTH(D[k:n]) if m <= k; SUBPROOF(m-k, D[k:n], false) : MTH(D[0:k]).
  std::vector<Hash32> siblings;
  uint64_t start = 0, count = size2, m = size1;
  bool whole = true;  // b: the subtree is the old tree itself, whose root the verifier has
  while (m != count) {
    uint64_t k = SplitPoint(count);
    if (m <= k) {
      HEARTH_ASSIGN_OR_RETURN(Hash32 sibling,
                              WalkRangeHash(suite, start + k, start + count, size2, subtree, memo));
      siblings.push_back(sibling);
      count = k;
    } else {
      HEARTH_ASSIGN_OR_RETURN(Hash32 sibling, RangeHash(suite, start, k, subtree));
      siblings.push_back(sibling);
      start += k;
      m -= k;
      count -= k;
      whole = false;
    }
  }
  std::vector<Hash32> proof;
  proof.reserve(siblings.size() + 1);
  if (!whole) {
    HEARTH_ASSIGN_OR_RETURN(Hash32 seed,
                            WalkRangeHash(suite, start, start + count, size2, subtree, memo));
    proof.push_back(seed);
  }
  proof.insert(proof.end(), siblings.rbegin(), siblings.rend());
  HEARTH_CHECK(proof.size() == ConsistencyProofLength(size1, size2));
  return proof;
}

Result<std::vector<Hash32>> InclusionProof(Suite suite, std::span<const Hash32> leaf_hashes,
                                           uint64_t index, uint64_t size) {
  if (size > leaf_hashes.size()) {
    return Status::OutOfRange("size " + std::to_string(size) + " exceeds the " +
                              std::to_string(leaf_hashes.size()) + " leaves given");
  }
  return InclusionProofFromSubtrees(suite, index, size, LeavesSubtreeFn(suite, leaf_hashes));
}

Result<std::vector<Hash32>> ConsistencyProof(Suite suite, std::span<const Hash32> leaf_hashes,
                                             uint64_t size1, uint64_t size2) {
  if (size2 > leaf_hashes.size()) {
    return Status::OutOfRange("size2 " + std::to_string(size2) + " exceeds the " +
                              std::to_string(leaf_hashes.size()) + " leaves given");
  }
  return ConsistencyProofFromSubtrees(suite, size1, size2, LeavesSubtreeFn(suite, leaf_hashes));
}

Status VerifyInclusion(Suite suite, const Hash32& leaf_hash, uint64_t index, uint64_t size,
                       const Hash32& root, std::span<const Hash32> proof) {
  HEARTH_RETURN_IF_ERROR(CheckInclusionParams(index, size));
  HEARTH_RETURN_IF_ERROR(CheckLength(proof.size(), InclusionProofLength(index, size)));
  // RFC 9162 §2.1.3.2, step by step.
  uint64_t fn = index, sn = size - 1;
  Hash32 r = leaf_hash;
  for (const Hash32& p : proof) {
    if (sn == 0) return Status::VerifyFailed("proof too long: path passes the root");
    if ((fn & 1) != 0 || fn == sn) {
      r = NodeHash(suite, p, r);
      if ((fn & 1) == 0) {
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = NodeHash(suite, r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return Status::VerifyFailed("proof too short: path ends below the root");
  if (r != root) {
    return Status::VerifyFailed("root mismatch: proof gives " + r.Hex() + ", expected " +
                                root.Hex());
  }
  return Status::Ok();
}

Status VerifyConsistency(Suite suite, uint64_t size1, const Hash32& root1, uint64_t size2,
                         const Hash32& root2, std::span<const Hash32> proof) {
  HEARTH_RETURN_IF_ERROR(CheckConsistencyParams(size1, size2));
  HEARTH_RETURN_IF_ERROR(CheckLength(proof.size(), ConsistencyProofLength(size1, size2)));
  if (size1 == size2) {
    if (root1 != root2) return Status::VerifyFailed("root mismatch: equal sizes, different roots");
    return Status::Ok();
  }
  // RFC 9162 §2.1.4.2, step by step; step 2 (prepend first_hash when size1 is a power of
  // two) is done by seeding from root1 instead of copying the path.
  bool power_of_two = std::has_single_bit(size1);
  std::span<const Hash32> rest = power_of_two ? proof : proof.subspan(1);
  const Hash32& seed = power_of_two ? root1 : proof[0];
  uint64_t fn = size1 - 1, sn = size2 - 1;
  while ((fn & 1) != 0) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash32 fr = seed, sr = seed;
  for (const Hash32& c : rest) {
    if (sn == 0) return Status::VerifyFailed("proof too long: path passes the root");
    if ((fn & 1) != 0 || fn == sn) {
      fr = NodeHash(suite, c, fr);
      sr = NodeHash(suite, c, sr);
      if ((fn & 1) == 0) {
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      sr = NodeHash(suite, sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return Status::VerifyFailed("proof too short: path ends below the root");
  if (fr != root1) {
    return Status::VerifyFailed("root1 mismatch: proof gives " + fr.Hex() + ", expected " +
                                root1.Hex());
  }
  if (sr != root2) {
    return Status::VerifyFailed("root2 mismatch: proof gives " + sr.Hex() + ", expected " +
                                root2.Hex());
  }
  return Status::Ok();
}

}  // namespace hearth::merkle
