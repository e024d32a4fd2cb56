// format_doc_proofs.h: the worked examples of docs/FORMAT.md sections 10 (Merkle log
// proofs) and 11 (authenticated index proofs), registered with format_doc.h's registry.
// Included once, by format_doc_test.cc. Every value is computed by the production code
// and every proof is verified before it is printed.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "hearth/ledger/auth_index.h"
#include "hearth/ledger/kv.h"
#include "hearth/ledger/merkle.h"
#include "hearth/ledger/merkle_log.h"
#include "ledger/format_doc.h"

namespace hearth::formatdoc {

// Tx ids of the example log: SHA-256("hearth example tx i"), i = 0..6.
inline std::vector<Hash32> ExampleLogIds() {
  std::vector<Hash32> ids;
  for (int i = 0; i < 7; ++i) {
    ids.push_back(SuiteHash(Suite::kEd25519Sha256, AsBytes("hearth example tx " + std::to_string(i))));
  }
  return ids;
}

inline std::string HashLines(const std::vector<Hash32>& hashes) {
  std::string out = "```\n";
  for (const Hash32& h : hashes) out += h.Hex() + "\n";
  if (hashes.empty()) out += "(no hashes)\n";
  return out + "```\n";
}

inline const Register kLogProofs("log-proofs", [] {
  constexpr Suite kSuite = Suite::kEd25519Sha256;
  const std::vector<Hash32> ids = ExampleLogIds();
  MemKv kv;
  MerkleLog log(kSuite, &kv, "L");
  REQUIRE(log.Open().ok());
  std::string md = "A log of 7 leaves (suite ed25519-sha256). Leaf data = tx id i = "
                   "SHA-256(\"hearth example tx i\"):\n\n| index | tx id | leaf hash |\n|---:|---|---|\n";
  std::vector<Hash32> leaves;
  for (size_t i = 0; i < ids.size(); ++i) {
    leaves.push_back(merkle::LeafHash(kSuite, ids[i].view()));
    REQUIRE(log.Append(leaves.back()).ok());
    md += "| " + std::to_string(i) + " | " + Tick(ids[i].Hex()) + " | " + Tick(leaves.back().Hex()) + " |\n";
  }
  const Hash32 root4 = *log.RootAt(4);
  const Hash32 root7 = log.Root();
  REQUIRE(root7 == merkle::RootOf(kSuite, leaves));
  md += "\n- root at size 4 = " + Tick(root4.Hex()) + "\n- root at size 7 = " + Tick(root7.Hex()) + "\n\n";

  const std::vector<Hash32> incl = *log.InclusionProof(5, 7);
  REQUIRE(merkle::VerifyInclusion(kSuite, leaves[5], 5, 7, root7, incl).ok());
  md += "Inclusion proof of leaf 5 in the tree of size 7 (" + std::to_string(incl.size()) +
        " hashes, leaf to root: leaf 4, then node(6), then the root of leaves 0–3):\n\n" + HashLines(incl);
  md += "\nFolding: r = leaf 5; index 5 is odd so r = node(p0, r); then index 2 (= 5>>1) is even and "
        "not the last so r = node(r, p1); then index 1 is odd so r = node(p2, r) = root at size 7.\n\n";

  const std::vector<Hash32> cons = *log.ConsistencyProof(4, 7);
  REQUIRE(merkle::VerifyConsistency(kSuite, 4, root4, 7, root7, cons).ok());
  md += "Consistency proof from size 4 to size 7 (" + std::to_string(cons.size()) +
        " hashes; size 4 is a power of two, so its root is not repeated in the proof):\n\n" + HashLines(cons);
  md += "\nCommand-line check of the inclusion proof:\n\n```\nhearth log verify-inclusion --leaf-hash " +
        leaves[5].Hex() + " \\\n  --index 5 --size 7 --root " + root7.Hex() + " \\\n  --proof ";
  for (size_t i = 0; i < incl.size(); ++i) md += (i ? "," : "") + incl[i].Hex();
  return md + "\nok\n```\n";
});

inline Hash32 KeyWithFirstByte(uint8_t b) {
  Hash32 k;
  k.bytes[0] = b;
  return k;
}

inline std::string IndexProofMarkdown(const IndexProof& proof) {
  const Bytes enc = proof.Encode();
  std::string md = "Encoded (" + std::to_string(enc.size()) + " bytes):\n\n" + HexBlock(enc);
  REQUIRE(IndexProof::Decode(enc).ok());
  REQUIRE(*IndexProof::Decode(enc) == proof);
  return md;
}

inline const Register kIndexProofs("index-proofs", [] {
  constexpr Suite kSuite = Suite::kEd25519Sha256;
  const Hash32 k1 = KeyWithFirstByte(0x00), k2 = KeyWithFirstByte(0x80), absent = KeyWithFirstByte(0x40);
  Hash32 id;
  id.bytes.fill(0x11);
  MemKv kv;
  AuthIndex index(kSuite, &kv, "I");
  REQUIRE(index.Open().ok());
  const std::vector<IndexUpdate> updates = {{k1, id}, {k2, id}, {k1, id}};
  const Hash32 root = *index.ApplyBlock(0, updates);

  std::string md = "Version 0 files, in log order, id = `11`×32 under k1 = `00`×32, the same id under "
                   "k2 = `80` ‖ `00`×31, and again under k1. k1 and k2 differ in bit 0, so the root is a "
                   "node over their two leaves.\n\n";
  const IndexLookup p1 = *index.Prove(k1, 0);
  REQUIRE(p1.value.has_value());
  const std::vector<Hash32> list1 = *index.List(k1, p1.value->count);
  REQUIRE(VerifyIndexEntry(kSuite, root, k1, list1, p1.proof).ok());
  const IndexValue v2 = *IndexValueOf(kSuite, std::vector<Hash32>{id});
  md += "- v_1 of k1 = SHA-256(`00`×32 ‖ id) = " + Tick(IndexChainStep(kSuite, Hash32{}, id).Hex()) + "\n";
  md += "- k1: count " + std::to_string(p1.value->count) + ", head v_2 = " + Tick(p1.value->head.Hex()) + "\n";
  md += "- leaf(k1) = " + Tick(IndexLeafHash(kSuite, k1, *p1.value).Hex()) + "\n";
  md += "- leaf(k2) = " + Tick(IndexLeafHash(kSuite, k2, v2).Hex()) + "\n";
  md += "- root = node(leaf(k1), leaf(k2)) = " + Tick(root.Hex()) + "\n\n";
  md += "Proof that k1 is present (one sibling, leaf(k2)). " + IndexProofMarkdown(p1.proof);

  const IndexLookup pa = *index.Prove(absent, 0);
  REQUIRE(!pa.value.has_value());
  REQUIRE(VerifyIndexEntry(kSuite, root, absent, {}, pa.proof).ok());
  md += "\nProof that k = `40` ‖ `00`×31 is absent: its bit 0 is 0, so its path ends at k1's leaf, "
        "which the proof shows with k1's key and value. " + IndexProofMarkdown(pa.proof);
  return md;
});

}  // namespace hearth::formatdoc
