// Tests of the pure RFC 9162 functions (merkle.h): RFC 6962 known answers, every
// (index, size) and (size1, size2) up to 64 against the naive recursion, strict verifiers.
#include "hearth/ledger/merkle.h"

#include <catch2/catch.hpp>
#include <bit>
#include <random>
#include <string>
#include <vector>

#include "ledger/merkle_naive.h"

namespace hearth {
namespace {

using merkle::ConsistencyProof;
using merkle::InclusionProof;
using merkle::VerifyConsistency;
using merkle::VerifyInclusion;

Hash32 H(std::string_view hex) { return Hash32::FromHex(hex).value(); }

// RFC 6962 test leaves and roots (transparency-dev/merkle proof/verify_test.go @02194e9a,
// google/certificate-transparency cpp/merkletree/merkle_tree_test.cc).
const char* const kLeafData[] = {"",         "00",       "10",
                                 "2021",     "3031",     "40414243",
                                 "5051525354555657", "606162636465666768696a6b6c6d6e6f"};
const char* const kRoots[] = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};
const char* const kEmptyRoot = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::vector<Hash32> RfcLeaves() {
  std::vector<Hash32> out;
  for (const char* d : kLeafData) {
    out.push_back(merkle::LeafHash(Suite::kEd25519Sha256, FromHex(d).value()));
  }
  return out;
}

struct ProofVector {
  uint64_t a, b;  // (index, size) or (size1, size2); 0-based index
  std::vector<const char*> proof;
};

const ProofVector kInclusionVectors[] = {
    {0, 1, {}},
    {0, 8,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {5, 8,
     {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2, 3, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
    {1, 5,
     {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
};

const ProofVector kConsistencyVectors[] = {
    {1, 1, {}},
    {1, 8,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {6, 8,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2, 5,
     {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
    {6, 7,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
};

std::vector<Hash32> Hashes(const std::vector<const char*>& hex) {
  std::vector<Hash32> out;
  for (const char* h : hex) out.push_back(H(h));
  return out;
}

TEST_CASE("RFC 6962 hashing known answers") {
  const Suite s = Suite::kEd25519Sha256;
  CHECK(merkle::EmptyRoot(s).Hex() == kEmptyRoot);
  CHECK(merkle::RootOf(s, {}).Hex() == kEmptyRoot);
  // Empty leaf differs from empty tree (domain separation).
  CHECK(merkle::LeafHash(s, ByteView()).Hex() == kRoots[0]);
  CHECK(merkle::LeafHash(s, AsBytes("L123456")).Hex() ==
        "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56");
  // A node hash is not the leaf hash of the concatenation, and depends on order.
  Hash32 a = merkle::LeafHash(s, AsBytes("Hello")), b = merkle::LeafHash(s, AsBytes("World"));
  Bytes concat(a.bytes.begin(), a.bytes.end());
  concat.insert(concat.end(), b.bytes.begin(), b.bytes.end());
  CHECK(merkle::NodeHash(s, a, b) != merkle::LeafHash(s, concat));
  CHECK(merkle::NodeHash(s, a, b) != merkle::NodeHash(s, b, a));
  CHECK(merkle::NodeHash(s, a, b) == test::NaiveNode(s, a, b));
}

TEST_CASE("RFC 6962 roots at every size 1..8") {
  const Suite s = Suite::kEd25519Sha256;
  std::vector<Hash32> leaves = RfcLeaves();
  for (size_t n = 1; n <= 8; ++n) {
    INFO("size " << n);
    std::span<const Hash32> prefix(leaves.data(), n);
    CHECK(merkle::RootOf(s, prefix).Hex() == kRoots[n - 1]);
    CHECK(test::NaiveMth(s, prefix).Hex() == kRoots[n - 1]);
    auto subtree = [&](int level, uint64_t index) -> Result<Hash32> {
      return test::NaiveMth(s, prefix.subspan(index << level, uint64_t{1} << level));
    };
    CHECK(merkle::RootFromSubtrees(s, n, subtree)->Hex() == kRoots[n - 1]);
  }
}

TEST_CASE("RFC 6962 inclusion and consistency proof known answers") {
  const Suite s = Suite::kEd25519Sha256;
  std::vector<Hash32> leaves = RfcLeaves();
  for (const ProofVector& v : kInclusionVectors) {
    INFO("inclusion index " << v.a << " size " << v.b);
    std::vector<Hash32> want = Hashes(v.proof);
    auto got = InclusionProof(s, leaves, v.a, v.b);
    REQUIRE(got.ok());
    CHECK(*got == want);
    CHECK(VerifyInclusion(s, leaves[v.a], v.a, v.b, H(kRoots[v.b - 1]), want).ok());
  }
  for (const ProofVector& v : kConsistencyVectors) {
    INFO("consistency " << v.a << " -> " << v.b);
    std::vector<Hash32> want = Hashes(v.proof);
    auto got = ConsistencyProof(s, leaves, v.a, v.b);
    REQUIRE(got.ok());
    CHECK(*got == want);
    CHECK(VerifyConsistency(s, v.a, H(kRoots[v.a - 1]), v.b, H(kRoots[v.b - 1]), want).ok());
  }
}

// Flips one bit of one element; the verifier must reject it.
std::vector<Hash32> Flip(std::vector<Hash32> proof, size_t element, size_t byte, int bit) {
  proof[element].bytes[byte] ^= static_cast<uint8_t>(1u << bit);
  return proof;
}

void CheckInclusionTampering(Suite s, std::span<const Hash32> leaves, uint64_t i, uint64_t n,
                             const std::vector<Hash32>& proof, std::mt19937_64& rng) {
  const Hash32 root = test::NaiveMth(s, leaves.first(n));
  const Hash32& leaf = leaves[i];
  for (size_t e = 0; e < proof.size(); ++e) {
    size_t rb = rng() % 32;
    int rbit = static_cast<int>(rng() % 8);
    for (auto [byte, bit] : {std::pair<size_t, int>{0, 0}, {31, 7}, {rb, rbit}}) {
      INFO("element " << e << " byte " << byte << " bit " << bit);
      CHECK(VerifyInclusion(s, leaf, i, n, root, Flip(proof, e, byte, bit)).code() ==
            Code::kVerifyFailed);
    }
  }
  std::vector<Hash32> longer = proof;
  longer.push_back(root);
  CHECK(VerifyInclusion(s, leaf, i, n, root, longer).code() == Code::kVerifyFailed);
  longer.insert(longer.begin(), root);
  longer.pop_back();
  CHECK(VerifyInclusion(s, leaf, i, n, root, longer).code() == Code::kVerifyFailed);
  if (!proof.empty()) {
    std::vector<Hash32> shorter(proof.begin(), proof.end() - 1);
    CHECK(VerifyInclusion(s, leaf, i, n, root, shorter).code() == Code::kVerifyFailed);
    shorter.assign(proof.begin() + 1, proof.end());
    CHECK(VerifyInclusion(s, leaf, i, n, root, shorter).code() == Code::kVerifyFailed);
  }
  Hash32 wrong_leaf = leaf;
  wrong_leaf.bytes[5] ^= 0x40;
  CHECK(VerifyInclusion(s, wrong_leaf, i, n, root, proof).code() == Code::kVerifyFailed);
  CHECK(VerifyInclusion(s, leaf, i, n, merkle::EmptyRoot(s), proof).code() ==
        Code::kVerifyFailed);
  // Wrong index or size: accepted exactly when the verifier would hash identically.
  const std::string shape = test::NaivePathShape(i, n);
  const std::pair<uint64_t, uint64_t> probes[] = {
      {i - 1, n}, {i + 1, n}, {i ^ 1, n}, {i ^ 2, n}, {i, n - 1}, {i, n + 1}, {i, n * 2}, {i, n / 2}};
  for (auto [pi, pn] : probes) {
    if (pi == i && pn == n) continue;
    INFO("probe index " << pi << " size " << pn);
    Status st = VerifyInclusion(s, leaf, pi, pn, root, proof);
    if (pi >= pn) {
      CHECK(st.code() == Code::kInvalidArgument);
    } else {
      CHECK(st.ok() == (test::NaivePathShape(pi, pn) == shape));
      if (!st.ok()) CHECK(st.code() == Code::kVerifyFailed);
    }
  }
}

void CheckConsistencyTampering(Suite s, std::span<const Hash32> leaves, uint64_t m, uint64_t n,
                               const std::vector<Hash32>& proof, std::mt19937_64& rng) {
  const Hash32 r1 = test::NaiveMth(s, leaves.first(m));
  const Hash32 r2 = test::NaiveMth(s, leaves.first(n));
  for (size_t e = 0; e < proof.size(); ++e) {
    size_t rb = rng() % 32;
    int rbit = static_cast<int>(rng() % 8);
    for (auto [byte, bit] : {std::pair<size_t, int>{0, 4}, {31, 0}, {rb, rbit}}) {
      INFO("element " << e << " byte " << byte << " bit " << bit);
      CHECK(VerifyConsistency(s, m, r1, n, r2, Flip(proof, e, byte, bit)).code() ==
            Code::kVerifyFailed);
    }
  }
  for (const Hash32& extra : {r1, r2}) {
    std::vector<Hash32> longer = proof;
    longer.push_back(extra);
    CHECK(VerifyConsistency(s, m, r1, n, r2, longer).code() == Code::kVerifyFailed);
    longer.pop_back();
    longer.insert(longer.begin(), extra);
    CHECK(VerifyConsistency(s, m, r1, n, r2, longer).code() == Code::kVerifyFailed);
  }
  if (!proof.empty()) {
    std::vector<Hash32> shorter(proof.begin(), proof.end() - 1);
    CHECK(VerifyConsistency(s, m, r1, n, r2, shorter).code() == Code::kVerifyFailed);
    shorter.assign(proof.begin() + 1, proof.end());
    CHECK(VerifyConsistency(s, m, r1, n, r2, shorter).code() == Code::kVerifyFailed);
  }
  if (m != n) {
    CHECK(VerifyConsistency(s, m, r2, n, r1, proof).code() == Code::kVerifyFailed);  // swapped
    CHECK(VerifyConsistency(s, m, r1, n, r1, proof).code() == Code::kVerifyFailed);
  }
  CHECK(VerifyConsistency(s, m, merkle::EmptyRoot(s), n, r2, proof).code() ==
        Code::kVerifyFailed);
  const std::string shape = test::NaiveProofShape(m, n);
  const std::pair<uint64_t, uint64_t> probes[] = {{m - 1, n}, {m + 1, n}, {m ^ 1, n},
                                                  {m ^ 2, n}, {m, n - 1}, {m, n + 1},
                                                  {m, n * 2}, {m, n / 2}};
  for (auto [pm, pn] : probes) {
    if (pm == m && pn == n) continue;
    INFO("probe size1 " << pm << " size2 " << pn);
    Status st = VerifyConsistency(s, pm, r1, pn, r2, proof);
    if (pm == 0 || pm > pn) {
      CHECK(st.code() == Code::kInvalidArgument);
    } else {
      bool same = test::NaiveProofShape(pm, pn) == shape && (pm != pn || r1 == r2);
      CHECK(st.ok() == same);
      if (!st.ok()) CHECK(st.code() == Code::kVerifyFailed);
    }
  }
}

// Proofs for every pair up to size_max equal the naive recursion and verify; the tampering
// probes run for trees up to tamper_size_max.
void CheckAllPairs(Suite s, uint64_t size_max, uint64_t tamper_size_max, uint64_t seed) {
  INFO("suite " << SuiteName(s) << " seed " << seed);
  std::mt19937_64 rng(seed);
  std::vector<Hash32> leaves = test::TestLeaves(s, size_max, seed);
  for (uint64_t n = 1; n <= size_max; ++n) {
    std::span<const Hash32> prefix(leaves.data(), n);
    const Hash32 root = test::NaiveMth(s, prefix);
    REQUIRE(merkle::RootOf(s, prefix) == root);
    for (uint64_t i = 0; i < n; ++i) {
      INFO("inclusion index " << i << " size " << n);
      auto proof = InclusionProof(s, leaves, i, n);
      REQUIRE(proof.ok());
      REQUIRE(*proof == test::NaivePath(s, i, prefix));
      REQUIRE(proof->size() == merkle::InclusionProofLength(i, n));
      REQUIRE(VerifyInclusion(s, leaves[i], i, n, root, *proof).ok());
      if (n <= tamper_size_max) CheckInclusionTampering(s, leaves, i, n, *proof, rng);
    }
    for (uint64_t m = 1; m <= n; ++m) {
      INFO("consistency " << m << " -> " << n);
      auto proof = ConsistencyProof(s, leaves, m, n);
      REQUIRE(proof.ok());
      REQUIRE(*proof == test::NaiveProof(s, m, prefix));
      REQUIRE(proof->size() == merkle::ConsistencyProofLength(m, n));
      const Hash32 r1 = test::NaiveMth(s, prefix.first(m));
      REQUIRE(VerifyConsistency(s, m, r1, n, root, *proof).ok());
      if (n <= tamper_size_max) CheckConsistencyTampering(s, leaves, m, n, *proof, rng);
    }
  }
}

TEST_CASE("every (index, size) and (size1, size2) up to 64 matches the RFC recursion, SHA-256") {
  CheckAllPairs(Suite::kEd25519Sha256, 64, 64, 0x5eed0001);
}

TEST_CASE("every (index, size) and (size1, size2) up to 64 matches the RFC recursion, SM3") {
  CheckAllPairs(Suite::kSm2Sm3, 64, 32, 0x5eed0002);
}

// An EdgeMemo shared by every proof and root of a tree (and carried across sizes, which must
// reset it) changes no result, and really saves work: the second pass over a size makes
// fewer subtree calls than the first.
TEST_CASE("an edge memo shared across proofs gives the proofs of the RFC recursion") {
  for (Suite s : {Suite::kEd25519Sha256, Suite::kSm2Sm3}) {
    INFO("suite " << SuiteName(s));
    const uint64_t size_max = 100;
    std::vector<Hash32> leaves = test::TestLeaves(s, size_max, 0x5eed0003);
    uint64_t calls = 0;
    auto subtree = [&](int level, uint64_t index) -> Result<Hash32> {
      ++calls;
      return test::NaiveMth(s, std::span<const Hash32>(leaves).subspan(index << level, uint64_t{1} << level));
    };
    merkle::EdgeMemo memo;
    // Sizes out of order, each visited twice, so a memo for one size meets proofs of another.
    for (uint64_t n : {uint64_t{100}, uint64_t{77}, uint64_t{100}, uint64_t{63}, uint64_t{64}, uint64_t{1},
                       uint64_t{77}, uint64_t{99}}) {
      INFO("size " << n);
      std::span<const Hash32> prefix(leaves.data(), n);
      const Hash32 root = test::NaiveMth(s, prefix);
      CHECK(*merkle::RootFromSubtrees(s, n, subtree, &memo) == root);
      uint64_t first_pass = 0, second_pass = 0;
      for (int pass = 0; pass < 2; ++pass) {
        calls = 0;
        for (uint64_t i = 0; i < n; ++i) {
          auto proof = merkle::InclusionProofFromSubtrees(s, i, n, subtree, &memo);
          REQUIRE(proof.ok());
          REQUIRE(*proof == test::NaivePath(s, i, prefix));
        }
        for (uint64_t m = 1; m <= n; ++m) {
          auto proof = merkle::ConsistencyProofFromSubtrees(s, m, n, subtree, &memo);
          REQUIRE(proof.ok());
          REQUIRE(*proof == test::NaiveProof(s, m, prefix));
        }
        (pass == 0 ? first_pass : second_pass) = calls;
      }
      // Every size above 1 has edge ranges (perfect ones too), so the memo is this size's.
      if (n > 1) CHECK(memo.size == n);
      CHECK(memo.ranges.size() <= 7);  // at most one edge range per level
      // Without a memo, each proof reads or folds the edge ranges' subtrees again; with one,
      // only the one-leaf tree (no proof has a sibling) saves nothing.
      uint64_t unmemoised = 0;
      calls = 0;
      for (uint64_t i = 0; i < n; ++i) REQUIRE(merkle::InclusionProofFromSubtrees(s, i, n, subtree).ok());
      for (uint64_t m = 1; m <= n; ++m) REQUIRE(merkle::ConsistencyProofFromSubtrees(s, m, n, subtree).ok());
      unmemoised = calls;
      if (n > 1) {
        CHECK(second_pass < unmemoised);
      } else {
        CHECK(second_pass == unmemoised);
      }
      CHECK(second_pass <= first_pass);
    }
  }
}

// The RFC 6962 leaves hashed with SM3, computed with an independent RFC 9162 transcription
// over python3 hashlib's SM3 (documented in FORMAT.md "Merkle log").
const char* const kSm3Roots[] = {
    "2daef60e7a0b8f5e024c81cd2ab3109f2b4f155cf83adeb2ae5532f74a157fdf",
    "0b990fe0c7ad70f1bf1a1262f2c7908ea48146b14253a6db99f2917ab1f5cc4d",
    "209ec96a210d662a964772680e8544d18cab7b88ffec3e00962220349b56ea56",
    "28e4e307ef6d2d0c62d84b11ef96e835efe490f35b93c8f024ecfe38c8dd4377",
    "bb10c996aeebbcdc69be3715fc847344de77442d37a5ab8213da9f41785b103b",
    "8723c1ab1f82ddfba4a3733ac0c80d936d9f4c208c7dbc8cc81ca9fff8584f66",
    "bd36c22a1ac6ff4308e0c3cc1a85bf0ffa30538ec60a55c70413ab15d45db4d2",
    "bc48ba7a709184b5f2a631e1adeb8dc2a0d4c018c1d6cc89b5664fe154c93b38",
};

TEST_CASE("SM3 roots of the RFC 6962 leaves at every size 1..8") {
  std::vector<Hash32> leaves;
  for (const char* d : kLeafData) leaves.push_back(merkle::LeafHash(Suite::kSm2Sm3, FromHex(d).value()));
  for (size_t n = 1; n <= 8; ++n) {
    INFO("size " << n);
    CHECK(merkle::RootOf(Suite::kSm2Sm3, std::span(leaves).first(n)).Hex() == kSm3Roots[n - 1]);
  }
}

TEST_CASE("SM3 trees differ from SHA-256 trees") {
  CHECK(merkle::LeafHash(Suite::kSm2Sm3, ByteView()) !=
        merkle::LeafHash(Suite::kEd25519Sha256, ByteView()));
  CHECK(merkle::EmptyRoot(Suite::kSm2Sm3) == SuiteHash(Suite::kSm2Sm3, ByteView()));
  // SM3("") from GB/T 32905 implementations.
  CHECK(merkle::EmptyRoot(Suite::kSm2Sm3).Hex() ==
        "1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b");
}

TEST_CASE("verifier policy: parameters, sizes and exact messages") {
  const Suite s = Suite::kEd25519Sha256;
  std::vector<Hash32> leaves = RfcLeaves();
  const Hash32 r4 = H(kRoots[3]);
  const Hash32 r8 = H(kRoots[7]);
  // index < size
  CHECK(VerifyInclusion(s, leaves[0], 0, 0, r4, {}).code() == Code::kInvalidArgument);
  CHECK(VerifyInclusion(s, leaves[0], 4, 4, r4, {}).code() == Code::kInvalidArgument);
  CHECK(VerifyInclusion(s, leaves[0], 0, merkle::kTreeSizeMax + 1, r4, {}).code() ==
        Code::kInvalidArgument);
  // Consistency from size 0 is undefined, even with equal roots and an empty proof.
  CHECK(VerifyConsistency(s, 0, merkle::EmptyRoot(s), 0, merkle::EmptyRoot(s), {}).code() ==
        Code::kInvalidArgument);
  CHECK(VerifyConsistency(s, 0, merkle::EmptyRoot(s), 8, r8, {}).code() ==
        Code::kInvalidArgument);
  CHECK(ConsistencyProof(s, leaves, 0, 8).status().code() == Code::kInvalidArgument);
  CHECK(ConsistencyProof(s, leaves, 5, 4).status().code() == Code::kInvalidArgument);
  CHECK(VerifyConsistency(s, 5, r8, 4, r4, {}).code() == Code::kInvalidArgument);
  // m -> m: empty proof, equal roots.
  CHECK(VerifyConsistency(s, 4, r4, 4, r4, {}).ok());
  CHECK(VerifyConsistency(s, 4, r4, 4, r8, {}).code() == Code::kVerifyFailed);
  std::vector<Hash32> one = {r4};
  Status st = VerifyConsistency(s, 4, r4, 4, r4, one);
  CHECK(st.code() == Code::kVerifyFailed);
  CHECK(st.message() == "proof too long: got 1, want 0");
  CHECK(ConsistencyProof(s, leaves, 4, 4)->empty());
  // Lengths are checked before hashing.
  auto proof = InclusionProof(s, leaves, 0, 8).value();
  proof.push_back(r8);
  st = VerifyInclusion(s, leaves[0], 0, 8, r8, proof);
  CHECK(st.message() == "proof too long: got 4, want 3");
  proof.resize(2);
  st = VerifyInclusion(s, leaves[0], 0, 8, r8, proof);
  CHECK(st.message() == "proof too short: got 2, want 3");
  // A root mismatch names both roots.
  st = VerifyInclusion(s, leaves[1], 0, 8, r8, InclusionProof(s, leaves, 0, 8).value());
  CHECK(st.code() == Code::kVerifyFailed);
  CHECK(st.message().rfind("root mismatch", 0) == 0);
  // Proofs against sizes beyond the given leaves.
  CHECK(InclusionProof(s, leaves, 0, 9).status().code() == Code::kOutOfRange);
  CHECK(ConsistencyProof(s, leaves, 1, 9).status().code() == Code::kOutOfRange);
  CHECK(InclusionProof(s, leaves, 8, 8).status().code() == Code::kInvalidArgument);
}

TEST_CASE("proof lengths at the edges of the supported size") {
  const uint64_t max = merkle::kTreeSizeMax;
  CHECK(merkle::InclusionProofLength(0, max) == 48);
  CHECK(merkle::InclusionProofLength(max - 1, max) == 48);
  CHECK(merkle::InclusionProofLength(max - 1, max - 1 + 1) == 48);
  CHECK(merkle::InclusionProofLength(max - 2, max - 1) == 47);  // 2^48-1 leaves: border nodes
  CHECK(merkle::ConsistencyProofLength(max - 1, max) <= merkle::kProofHashesMax);
  CHECK(merkle::ConsistencyProofLength(1, max) == 48);
  for (uint64_t n = 1; n <= 300; ++n) {
    for (uint64_t m = 1; m <= n; ++m) {
      REQUIRE(merkle::ConsistencyProofLength(m, n) <= merkle::kProofHashesMax);
    }
  }
}

}  // namespace
}  // namespace hearth
