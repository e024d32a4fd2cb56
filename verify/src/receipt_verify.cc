// VerifyReceipt: the offline receipt verifier (receipt.h; the steps, in this order, in
// docs/RECEIPT.md "Verification"). Trusts nothing but the genesis Trust.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "hearth/json/json_fields.h"
#include "hearth/ledger/auth_index.h"
#include "hearth/ledger/merkle.h"
#include "hearth/verify/evidence.h"
#include "hearth/verify/receipt.h"
#include "receipt_internal.h"

namespace hearth::verify {

namespace {

using json = nlohmann::json;
using receipt_internal::EvidenceItem;
using receipt_internal::IndexItem;
using receipt_internal::ReceiptParts;

struct ParsedIndex {
  IndexKey key;
  Hash32 key_hash;
  std::vector<Hash32> ids;
  IndexProof proof;
};

// Everything the verifier reads by type; the rest is compared against the rebuilt receipt.
struct Parsed {
  CheckRequest request;
  BlockHeader header;
  Bytes header_bytes;
  Bytes certificate_bytes;
  CommitCertificate certificate;
  TxSetEvidence set;                                // the evidence, filed by IndexKeysOf
  std::vector<const LoggedTx*> txs;                 // the same, log order (owned by set)
  std::vector<Hash32> proof_nodes;                  // receipt.proof_nodes
  std::vector<std::vector<Hash32>> proofs;          // inclusion proof of txs[i], resolved
  std::unordered_map<Hash32, size_t> tx_pos;        // id -> position in txs
  std::vector<ParsedIndex> index;
  std::unordered_map<Hash32, size_t> index_pos;     // key hash -> position in index
  Hash32 receipt_hash;                              // H(body_canonical): what was signed
  uint16_t signer = 0;
  Bytes signature;
  std::string body_canonical;  // canonical JSON of the receipt without "signature": the signed text
};

std::string At(std::string_view path, size_t i) {
  return std::string(path) + "[" + std::to_string(i) + "]";
}

Result<std::vector<Hash32>> HashArray(const json& v, const std::string& path, size_t max) {
  if (!v.is_array()) return Status::VerifyFailed(path + ": expected an array");
  if (v.size() > max) {
    return Status::VerifyFailed(path + ": " + std::to_string(v.size()) + " elements exceed " +
                                std::to_string(max));
  }
  std::vector<Hash32> out;
  out.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string()) return Status::VerifyFailed(At(path, i) + ": expected a hex string");
    Result<Hash32> h = Hash32::FromHex(v[i].get_ref<const std::string&>());
    if (!h.ok()) return h.status().Annotate(At(path, i));
    out.push_back(*h);
  }
  return out;
}

// An evidence item's inclusion proof: positions in receipt.proof_nodes (format 3). Whether
// the table is exactly the distinct nodes in first-use order is checked when the rebuilt
// receipt is compared (step 8).
Result<std::vector<Hash32>> ProofFromTable(const json& v, std::span<const Hash32> nodes,
                                           const std::string& path) {
  if (!v.is_array()) return Status::VerifyFailed(path + ": expected an array");
  if (v.size() > merkle::kProofHashesMax) {
    return Status::VerifyFailed(path + ": " + std::to_string(v.size()) + " elements exceed " +
                                std::to_string(merkle::kProofHashesMax));
  }
  std::vector<Hash32> out;
  out.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_number_unsigned()) {
      return Status::VerifyFailed(At(path, i) + ": expected a position in receipt.proof_nodes");
    }
    const uint64_t at = v[i].get<uint64_t>();
    if (at >= nodes.size()) {
      return Status::VerifyFailed(At(path, i) + ": position " + std::to_string(at) +
                                  " is not below the " + std::to_string(nodes.size()) +
                                  " entries of receipt.proof_nodes");
    }
    out.push_back(nodes[at]);
  }
  return out;
}

Status ParseRequest(const json& root, Parsed& p) {
  JsonFields top(root, "receipt");
  const json* req = nullptr;
  HEARTH_RETURN_IF_ERROR(top.Object("request", &req));
  JsonFields f(*req, "receipt.request");
  CheckRequest& r = p.request;
  HEARTH_RETURN_IF_ERROR(f.Hash("household", &r.household));
  const json* members = nullptr;
  HEARTH_RETURN_IF_ERROR(f.Array("members", &members));
  HEARTH_ASSIGN_OR_RETURN(r.members, HashArray(*members, "receipt.request.members", kMembersMax));
  std::string programme;
  HEARTH_RETURN_IF_ERROR(f.Str("programme", &programme));
  Result<Programme> prog = ParseProgramme(programme);
  if (!prog.ok()) return prog.status().Annotate("receipt.request.programme");
  r.programme = *prog;
  HEARTH_RETURN_IF_ERROR(f.U32("as_of", &r.as_of));
  HEARTH_RETURN_IF_ERROR(CheckMonth("receipt.request.as_of", r.as_of));
  HEARTH_RETURN_IF_ERROR(f.Hash("consent", &r.consent));
  return f.Finish();
}

// Step 2: the checkpoint, its certificate against the genesis node keys and f.
Status ParseCheckpoint(const json& root, const Trust& trust, Parsed& p) {
  JsonFields top(root, "receipt");
  const json* cp = nullptr;
  HEARTH_RETURN_IF_ERROR(top.Object("checkpoint", &cp));
  JsonFields f(*cp, "receipt.checkpoint");
  HEARTH_RETURN_IF_ERROR(f.Hex("header", 1, kBlockHeaderBytesMax, &p.header_bytes));
  HEARTH_RETURN_IF_ERROR(f.Hex("certificate", 1, kCertificateBytesMax, &p.certificate_bytes));
  Result<BlockHeader> header = DecodeBlockHeader(p.header_bytes);
  if (!header.ok()) return header.status().Annotate("receipt.checkpoint.header");
  p.header = std::move(*header);
  Result<CommitCertificate> cert = DecodeCertificate(p.certificate_bytes);
  if (!cert.ok()) return cert.status().Annotate("receipt.checkpoint.certificate");
  p.certificate = std::move(*cert);
  if (p.header.suite != trust.suite || p.header.chain_id != trust.chain_id) {
    return Status::VerifyFailed("receipt.checkpoint.header: block of another chain or suite");
  }
  if (p.certificate.height != p.header.height || p.certificate.block_hash != BlockHash(p.header)) {
    return Status::VerifyFailed("receipt.checkpoint.header: is not the block the certificate "
                                "commits (height or block hash differs)");
  }
  std::vector<PublicKey> node_keys;
  for (const TrustMember& m : trust.members) node_keys.push_back(m.node_key);
  Status commit = VerifyCommit(p.header, p.certificate, node_keys, trust.f);
  if (!commit.ok()) return commit.Annotate("receipt.checkpoint.certificate");
  // The readable copies are checked against the rebuilt receipt (step 7); read them here
  // so that unknown members are reported now.
  for (const char* key : {"height", "time_ms", "log_size"}) {
    uint64_t ignored = 0;
    HEARTH_RETURN_IF_ERROR(f.U64(key, &ignored));
  }
  for (const char* key : {"block_hash", "log_root", "index_root"}) {
    Hash32 ignored;
    HEARTH_RETURN_IF_ERROR(f.Hash(key, &ignored));
  }
  return f.Finish();
}

// Step 3: every evidence item decodes, is of this chain, in strictly increasing log order,
// and is included in the checkpoint's log.
Status ParseEvidence(const json& root, const Trust& trust, Parsed& p) {
  JsonFields top(root, "receipt");
  const json* nodes = nullptr;
  HEARTH_RETURN_IF_ERROR(top.Array("proof_nodes", &nodes));
  HEARTH_ASSIGN_OR_RETURN(p.proof_nodes,
                          HashArray(*nodes, "receipt.proof_nodes", kCheckTxsMax * merkle::kProofHashesMax));
  const json* list = nullptr;
  HEARTH_RETURN_IF_ERROR(top.Array("evidence", &list));
  if (list->size() > kCheckTxsMax) {
    return Status::VerifyFailed("receipt.evidence: more than " + std::to_string(kCheckTxsMax) +
                                " items");
  }
  p.txs.reserve(list->size());
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string path = At("receipt.evidence", i);
    if (!(*list)[i].is_object()) return Status::VerifyFailed(path + ": expected an object");
    JsonFields f((*list)[i], path);
    Hash32 id;
    uint64_t log_index = 0;
    Bytes tx_bytes;
    const json* proof_json = nullptr;
    HEARTH_RETURN_IF_ERROR(f.Hash("id", &id));
    HEARTH_RETURN_IF_ERROR(f.U64("log_index", &log_index));
    HEARTH_RETURN_IF_ERROR(f.Hex("tx", 1, kTransactionBytesMax, &tx_bytes));
    HEARTH_RETURN_IF_ERROR(f.Array("inclusion_proof", &proof_json));
    HEARTH_RETURN_IF_ERROR(f.Finish());
    Result<Transaction> tx = Transaction::Decode(tx_bytes);
    if (!tx.ok()) return tx.status().Annotate(path + ".tx");
    if (tx->id() != id) return Status::VerifyFailed(path + ".id: is not the id of .tx");
    if (tx->suite() != trust.suite || tx->body().chain_id != trust.chain_id) {
      return Status::VerifyFailed(path + ".tx: transaction of another chain or suite");
    }
    if (i > 0 && log_index <= p.txs.back()->log_index) {
      return Status::VerifyFailed(path + ".log_index: not above the previous item's (the "
                                         "evidence is in strictly increasing log order)");
    }
    if (log_index >= p.header.log_size) {
      return Status::VerifyFailed(path + ".log_index: " + std::to_string(log_index) +
                                  " is not below the checkpoint's log size " +
                                  std::to_string(p.header.log_size));
    }
    HEARTH_ASSIGN_OR_RETURN(std::vector<Hash32> proof,
                            ProofFromTable(*proof_json, p.proof_nodes, path + ".inclusion_proof"));
    Status inc = merkle::VerifyInclusion(trust.suite, merkle::LeafHash(trust.suite, id.view()),
                                         log_index, p.header.log_size, p.header.log_root, proof);
    if (!inc.ok()) return inc.Annotate(path + ".inclusion_proof");
    HEARTH_RETURN_IF_ERROR(p.set.Add(LoggedTx{std::move(*tx), log_index}).Annotate(path));
    p.tx_pos.emplace(id, p.txs.size());
    p.txs.push_back(p.set.Find(id));
    p.proofs.push_back(std::move(proof));
  }
  return Status::Ok();
}

// Step 4 for one entry: the full list under the key, proven against the index root; every
// id is an evidence item filed under the key, in log order.
Status CheckIndexEntry(const Trust& trust, const Parsed& p, const ParsedIndex& e,
                       const std::string& path, std::vector<bool>& accounted) {
  Status s = VerifyIndexEntry(trust.suite, p.header.index_root, e.key_hash, e.ids, e.proof);
  if (!s.ok()) return s.Annotate(path + ".proof");
  uint64_t prev = 0;
  for (size_t j = 0; j < e.ids.size(); ++j) {
    auto it = p.tx_pos.find(e.ids[j]);
    if (it == p.tx_pos.end()) {
      return Status::VerifyFailed(At(path + ".ids", j) + ": transaction " + e.ids[j].Hex() +
                                  " is not in receipt.evidence");
    }
    const LoggedTx& t = *p.txs[it->second];
    if (j > 0 && t.log_index <= prev) {
      return Status::VerifyFailed(At(path + ".ids", j) + ": not in log order");
    }
    prev = t.log_index;
    const std::vector<IndexKey> keys = IndexKeysOf(t.tx);
    if (std::find(keys.begin(), keys.end(), e.key) == keys.end()) {
      return Status::VerifyFailed(At(path + ".ids", j) + ": transaction is not filed under " +
                                  e.key.ToString());
    }
    accounted[it->second] = true;
  }
  return Status::Ok();
}

Status ParseIndex(const json& root, const Trust& trust, Parsed& p) {
  JsonFields top(root, "receipt");
  const json* list = nullptr;
  HEARTH_RETURN_IF_ERROR(top.Array("index", &list));
  if (list->size() > kCheckKeysMax) {
    return Status::VerifyFailed("receipt.index: more than " + std::to_string(kCheckKeysMax) +
                                " keys");
  }
  std::vector<bool> accounted(p.txs.size(), false);
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string path = At("receipt.index", i);
    if (!(*list)[i].is_object()) return Status::VerifyFailed(path + ": expected an object");
    JsonFields f((*list)[i], path);
    Bytes key_bytes, proof_bytes;
    std::string name;
    const json* ids = nullptr;
    HEARTH_RETURN_IF_ERROR(f.Hex("key", 1, kIndexKeyBytesMax, &key_bytes));
    HEARTH_RETURN_IF_ERROR(f.Str("name", &name));
    HEARTH_RETURN_IF_ERROR(f.Array("ids", &ids));
    HEARTH_RETURN_IF_ERROR(f.Hex("proof", 1, kIndexProofBytesMax, &proof_bytes));
    HEARTH_RETURN_IF_ERROR(f.Finish());
    ParsedIndex e;
    Result<IndexKey> key = DecodeIndexKey(key_bytes);
    if (!key.ok()) return key.status().Annotate(path + ".key");
    e.key = *key;
    e.key_hash = IndexKeyHash(trust.suite, e.key);
    if (name != e.key.ToString()) return Status::VerifyFailed(path + ".name: is not the key's name");
    if (p.index_pos.count(e.key_hash) != 0) return Status::VerifyFailed(path + ".key: listed twice");
    HEARTH_ASSIGN_OR_RETURN(e.ids, HashArray(*ids, path + ".ids", p.txs.size()));
    Result<IndexProof> proof = IndexProof::Decode(proof_bytes);
    if (!proof.ok()) return proof.status().Annotate(path + ".proof");
    e.proof = std::move(*proof);
    HEARTH_RETURN_IF_ERROR(CheckIndexEntry(trust, p, e, path, accounted));
    p.index_pos.emplace(e.key_hash, p.index.size());
    p.index.push_back(std::move(e));
  }
  for (size_t i = 0; i < accounted.size(); ++i) {
    if (!accounted[i]) {
      return Status::VerifyFailed(At("receipt.evidence", i) +
                                  ": not filed under any key in receipt.index");
    }
  }
  return Status::Ok();
}

// Step 5: every transaction's signature. The key of a signer id is a genesis node or issuer
// key, or the key a KeyEvent in the evidence names (a key id is the hash of the raw key, so
// any key with that id is the signer's key; whether it was authorised at the transaction's
// log position is the engine's question, answered in step 6).
Status CheckSignatures(const Trust& trust, const Parsed& p) {
  std::unordered_map<Hash32, PublicKey> keys;
  for (const TrustMember& m : trust.members) {
    keys.emplace(m.node_key.Id(), m.node_key);
    for (const PublicKey& k : m.issuer_keys) keys.emplace(k.Id(), k);
  }
  for (size_t i = 0; i < p.txs.size(); ++i) {
    const Transaction& tx = p.txs[i]->tx;
    if (tx.kind() != TxKind::kKeyEvent) continue;
    const KeyEvent& ke = PayloadAs<KeyEvent>(tx);
    Result<PublicKey> key = PublicKey::FromRaw(ke.key_suite, ke.key_raw);
    if (!key.ok()) return key.status().Annotate(At("receipt.evidence", i) + ".tx.key_raw");
    keys.emplace(key->Id(), *key);
  }
  // The signatures are checked in batches of kSignatureBatchMax in evidence order, and the
  // first problem is reported as a check one by one would: an earlier batch is clean when
  // a later one is looked at, and a bad one ends the work (a receipt with one bad signature
  // among thousands costs one batch of single checks, not all of them).
  for (size_t begin = 0; begin < p.txs.size(); begin += kSignatureBatchMax) {
    const size_t end = std::min(p.txs.size(), begin + kSignatureBatchMax);
    std::vector<const Transaction*> txs;
    std::vector<const PublicKey*> tx_keys;
    std::vector<size_t> signed_at(end - begin, SIZE_MAX);
    for (size_t i = begin; i < end; ++i) {
      const Transaction& tx = p.txs[i]->tx;
      auto it = keys.find(tx.body().signer);
      if (it == keys.end()) continue;
      signed_at[i - begin] = txs.size();
      txs.push_back(&tx);
      tx_keys.push_back(&it->second);
    }
    const std::vector<Status> verified = Transaction::VerifySignatures(txs, tx_keys);
    for (size_t i = begin; i < end; ++i) {
      const Transaction& tx = p.txs[i]->tx;
      if (signed_at[i - begin] == SIZE_MAX) {
        return Status::VerifyFailed(At("receipt.evidence", i) + ".tx: signer " +
                                    tx.body().signer.Hex() +
                                    " is neither a genesis key nor a key of a KeyEvent in the evidence");
      }
      const Status& st = verified[signed_at[i - begin]];
      if (!st.ok()) return st.Annotate(At("receipt.evidence", i) + ".tx: signature");
    }
  }
  return Status::Ok();
}

// The evidence source of the re-run: TxSetEvidence over the receipt's transactions,
// answering only the keys the receipt proves, and only with exactly their proven lists.
class ReceiptSource : public EvidenceSource {
 public:
  explicit ReceiptSource(Parsed& p) : p_(p) {
    std::vector<IndexKey> keys;
    for (const ParsedIndex& e : p.index) keys.push_back(e.key);
    p.set.RestrictTo(keys);
  }
  Result<std::vector<const LoggedTx*>> Filed(const IndexKey& key) override {
    const Hash32 hash = IndexKeyHash(p_.header.suite, key);
    auto it = p_.index_pos.find(hash);
    if (it == p_.index_pos.end()) {
      return Status::VerifyFailed("receipt.index: lacks the key " + key.ToString() +
                                  ", which the check reads");
    }
    HEARTH_ASSIGN_OR_RETURN(std::vector<const LoggedTx*> filed, p_.set.Filed(key));
    const std::vector<Hash32>& ids = p_.index[it->second].ids;
    bool same = filed.size() == ids.size();
    for (size_t i = 0; same && i < ids.size(); ++i) same = filed[i]->tx.id() == ids[i];
    if (!same) {
      return Status::VerifyFailed(At("receipt.index", it->second) +
                                  ".ids: differ from the evidence filed under the key");
    }
    return filed;
  }

 private:
  Parsed& p_;
};

Status ParseHeaderFields(const json& root, const Trust& trust, Parsed& p) {
  if (!root.is_object()) return Status::VerifyFailed("receipt: not a JSON object");
  JsonFields f(root, "receipt");
  uint32_t format = 0;
  HEARTH_RETURN_IF_ERROR(f.U32("format", &format));
  if (format != kReceiptFormat) {
    return Status::VerifyFailed(
        "receipt.format: " + std::to_string(format) + " is not " + std::to_string(kReceiptFormat) +
        (format == 1 ? " (format 1 receipts, signed over the whole text, were issued only by "
                       "development builds and are no longer accepted)"
         : format == 2 ? " (format 2 receipts, which wrote out every inclusion proof's hashes, "
                         "were issued only by development builds and are no longer accepted)"
                       : ""));
  }
  std::string chain_id, suite;
  Hash32 genesis_hash;
  HEARTH_RETURN_IF_ERROR(f.Str("chain_id", &chain_id));
  if (chain_id != trust.chain_id) {
    return Status::VerifyFailed("receipt.chain_id: \"" + chain_id + "\" is not the genesis chain \"" +
                                trust.chain_id + "\"");
  }
  HEARTH_RETURN_IF_ERROR(f.Str("suite", &suite));
  if (suite != SuiteName(trust.suite)) {
    return Status::VerifyFailed("receipt.suite: is not the genesis suite " +
                                std::string(SuiteName(trust.suite)));
  }
  HEARTH_RETURN_IF_ERROR(f.Hash("genesis_hash", &genesis_hash));
  if (genesis_hash != trust.genesis_hash) {
    return Status::VerifyFailed("receipt.genesis_hash: is not the hash of the trusted genesis");
  }
  uint64_t signer = 0;
  if (trust.members.empty()) return Status::VerifyFailed("receipt.signer: genesis has no members");
  HEARTH_RETURN_IF_ERROR(f.Uint("signer", trust.members.size() - 1, &signer));
  p.signer = static_cast<uint16_t>(signer);
  HEARTH_RETURN_IF_ERROR(f.Hex("signature", 1, kSignatureBytesMax, &p.signature));
  return Status::Ok();
}

// Steps 6-8: re-run the check, compare the whole receipt with the rebuilt one, and check the
// node signature over the canonical JSON.
Result<CheckResult> Recompute(const json& root, const Trust& trust, Parsed& p) {
  ReceiptSource source(p);
  p.request.checkpoint_time_ms = p.header.time_ms;
  Result<CheckResult> result = Evaluate(trust, p.request, source);
  if (!result.ok()) {
    if (result.status().code() == Code::kVerifyFailed) return result.status();
    return Status::VerifyFailed("receipt.request: the check cannot be re-run from the evidence: " +
                                result.status().message());
  }
  for (size_t i = 0; i < p.index.size(); ++i) {
    const auto& read = result->keys_read;
    if (std::find(read.begin(), read.end(), p.index[i].key) == read.end()) {
      return Status::VerifyFailed(At("receipt.index", i) + ": the key " +
                                  p.index[i].key.ToString() + " is not read by the check");
    }
  }
  ReceiptParts parts;
  parts.trust = &trust;
  parts.request = &p.request;
  parts.result = &*result;
  parts.header = &p.header;
  parts.header_bytes = p.header_bytes;
  parts.certificate_bytes = p.certificate_bytes;
  parts.signer = p.signer;
  for (size_t i = 0; i < p.txs.size(); ++i) {
    parts.evidence.push_back(EvidenceItem{&p.txs[i]->tx, p.txs[i]->log_index, p.proofs[i]});
  }
  for (const IndexKey& key : result->keys_read) {
    const ParsedIndex& e = p.index[p.index_pos.at(IndexKeyHash(trust.suite, key))];
    parts.index.push_back(IndexItem{&e.key, e.ids, &e.proof});
  }
  // The rebuilt body by the builder's own writer: equal canonical texts mean equal values.
  // Otherwise the reference tree names the first differing field.
  std::string rebuilt_text;
  size_t signature_at = 0;
  const Status written = receipt_internal::WriteReceiptBody(parts, &rebuilt_text, &signature_at);
  if (!written.ok() || rebuilt_text != p.body_canonical) {
    Result<json> rebuilt = receipt_internal::ReceiptBody(parts);
    if (!rebuilt.ok()) return Status::VerifyFailed(rebuilt.status().message());
    json body = root;
    body.erase("signature");
    HEARTH_RETURN_IF_ERROR(receipt_internal::DiffJson(body, *rebuilt, "receipt"));
    if (written.ok()) {  // equal values, different texts: the writer and the tree disagree
      return Status::VerifyFailed("receipt: the rebuilt receipt's text differs from its value "
                                  "(a fault in the verifier, not in the receipt)");
    }
  }
  const PublicKey& node_key = trust.members[p.signer].node_key;
  Status sig = VerifyReceiptSignature(node_key, trust.chain_id, p.receipt_hash, p.signature);
  if (!sig.ok()) {
    return Status::VerifyFailed("receipt.signature: does not verify with the node key of member " +
                                std::to_string(p.signer) + ": " + sig.message());
  }
  return result;
}

Result<VerifiedReceipt> VerifyAll(std::string_view text, const Trust& trust) {
  HEARTH_ASSIGN_OR_RETURN(json root,
                          ParseJsonStrict(text, "receipt", kReceiptBytesMax, kReceiptDepthMax));
  Parsed p;
  // Rejects floats anywhere, by path; the text without "signature" is what was signed.
  size_t signature_begin = 0, signature_end = 0;
  Result<std::string> canonical = receipt_internal::CanonicalJsonMemberRange(
      root, "receipt", "signature", &signature_begin, &signature_end);
  if (!canonical.ok()) return canonical.status();
  p.body_canonical = std::move(canonical).value();
  p.body_canonical.erase(signature_begin, signature_end - signature_begin);
  const Hash32 receipt_hash = ReceiptBodyHash(trust.suite, p.body_canonical);
  p.receipt_hash = receipt_hash;
  HEARTH_RETURN_IF_ERROR(ParseHeaderFields(root, trust, p));
  HEARTH_RETURN_IF_ERROR(ParseRequest(root, p));
  HEARTH_RETURN_IF_ERROR(ParseCheckpoint(root, trust, p));
  HEARTH_RETURN_IF_ERROR(ParseEvidence(root, trust, p));
  HEARTH_RETURN_IF_ERROR(ParseIndex(root, trust, p));
  HEARTH_RETURN_IF_ERROR(CheckSignatures(trust, p));
  HEARTH_ASSIGN_OR_RETURN(CheckResult result, Recompute(root, trust, p));
  return VerifiedReceipt{p.request, std::move(result), p.header, p.signer, receipt_hash};
}

}  // namespace

Result<VerifiedReceipt> VerifyReceiptDetailed(std::string_view text, const Trust& trust) {
  Result<VerifiedReceipt> r = VerifyAll(text, trust);
  if (r.ok() || r.status().code() == Code::kVerifyFailed) return r;
  // Malformed input is a failed verification too, with the same message (it names the field).
  return Status::VerifyFailed(r.status().message());
}

Status VerifyReceipt(std::string_view text, const Trust& trust) {
  return VerifyReceiptDetailed(text, trust).status();
}

}  // namespace hearth::verify
