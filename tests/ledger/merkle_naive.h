// merkle_naive.h: RFC 9162 §2.1 transcribed literally (recursive MTH, PATH, PROOF/SUBPROOF),
// sharing no code with ledger/src/merkle.cc except the suite hash, so tests compare two
// independent readings of the RFC. Slow on purpose (O(n log n) per call).
// Also the "shape" of a proof: which side each element joins on. Two parameter sets with
// the same shape make the verifier perform identical hashing, so a proof made for one
// verifies for the other; that is the exact oracle for "wrong index/size" probes.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "hearth/base/bytes.h"
#include "hearth/ledger/crypto.h"

namespace hearth::test {

inline Hash32 NaiveNode(Suite suite, const Hash32& l, const Hash32& r) {
  const uint8_t one = 0x01;
  return SuiteHashParts(suite, {ByteView(&one, 1), l.view(), r.view()});
}

inline Hash32 NaiveLeaf(Suite suite, ByteView data) {
  const uint8_t zero = 0x00;
  return SuiteHashParts(suite, {ByteView(&zero, 1), data});
}

// Largest power of two strictly less than n (n >= 2).
inline uint64_t NaiveK(uint64_t n) {
  uint64_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

// MTH over leaf hashes.
inline Hash32 NaiveMth(Suite suite, std::span<const Hash32> d) {
  if (d.empty()) return SuiteHash(suite, ByteView());
  if (d.size() == 1) return d[0];
  size_t k = NaiveK(d.size());
  return NaiveNode(suite, NaiveMth(suite, d.first(k)), NaiveMth(suite, d.subspan(k)));
}

inline std::vector<Hash32> NaivePath(Suite suite, uint64_t m, std::span<const Hash32> d) {
  if (d.size() <= 1) return {};
  size_t k = NaiveK(d.size());
  std::vector<Hash32> p;
  if (m < k) {
    p = NaivePath(suite, m, d.first(k));
    p.push_back(NaiveMth(suite, d.subspan(k)));
  } else {
    p = NaivePath(suite, m - k, d.subspan(k));
    p.push_back(NaiveMth(suite, d.first(k)));
  }
  return p;
}

inline std::vector<Hash32> NaiveSubproof(Suite suite, uint64_t m, std::span<const Hash32> d,
                                         bool b) {
  if (m == d.size()) {
    if (b) return {};
    return {NaiveMth(suite, d)};
  }
  size_t k = NaiveK(d.size());
  std::vector<Hash32> p;
  if (m <= k) {
    p = NaiveSubproof(suite, m, d.first(k), b);
    p.push_back(NaiveMth(suite, d.subspan(k)));
  } else {
    p = NaiveSubproof(suite, m - k, d.subspan(k), false);
    p.push_back(NaiveMth(suite, d.first(k)));
  }
  return p;
}

inline std::vector<Hash32> NaiveProof(Suite suite, uint64_t m, std::span<const Hash32> d) {
  return NaiveSubproof(suite, m, d, true);
}

// Inclusion shape: per element bottom-up, 'L' if the sibling is on the left, 'R' if right.
inline std::string NaivePathShape(uint64_t m, uint64_t n) {
  if (n <= 1) return "";
  uint64_t k = NaiveK(n);
  if (m < k) return NaivePathShape(m, k) + "R";
  return NaivePathShape(m - k, n - k) + "L";
}

// Consistency shape: 'O' the old root is the seed (not in the proof), 'S' the first element
// is the seed, then per element 'R' (right sibling: new root only) or 'L' (left sibling:
// old and new root).
inline std::string NaiveProofShape(uint64_t m, uint64_t n, bool b = true) {
  if (m == n) return b ? "O" : "S";
  uint64_t k = NaiveK(n);
  if (m <= k) return NaiveProofShape(m, k, b) + "R";
  return NaiveProofShape(m - k, n - k, false) + "L";
}

// Deterministic distinct leaf hashes.
inline std::vector<Hash32> TestLeaves(Suite suite, uint64_t n, uint64_t seed) {
  std::vector<Hash32> out;
  out.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    uint8_t data[16];
    for (int b = 0; b < 8; ++b) {
      data[b] = static_cast<uint8_t>(i >> (8 * b));
      data[8 + b] = static_cast<uint8_t>(seed >> (8 * b));
    }
    out.push_back(NaiveLeaf(suite, ByteView(data, sizeof(data))));
  }
  return out;
}

}  // namespace hearth::test
