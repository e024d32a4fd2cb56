// receipt.h: the signed, self-contained receipt of an eligibility check, and its offline
// verifier (DESIGN.md "Verify"; every field, the canonical form and the verification steps
// in docs/RECEIPT.md).
//
// A receipt is one JSON object: the request (ids only, never raw ID numbers), the decision,
// reasons and figures, the rule set, the household declaration and consent, the checkpoint
// (block header and commit certificate), the evidence (every transaction filed under every
// index key the check read, each with its RFC 9162 inclusion proof as positions in the
// receipt's table of proof nodes), the index entries
// (each key's full id list and its proof against the checkpoint's index root), the signer
// (genesis member index) and the signature of that member's node key over
//   SigningBytes("hearth/receipt/v2", chain_id, H(CanonicalJson(receipt without "signature"))).
//
// Canonical JSON (CanonicalJson): the value serialised with object keys in ascending byte
// order, no whitespace, integers in plain decimal, no floats anywhere, strings as
// nlohmann::json dump(-1, ' ', ensure_ascii = false) writes them (UTF-8 as is; `"` and `\`
// escaped; \b \f \n \r \t; other control characters \u00XX lower-case hex).
//
// Contract:
//  - BuildReceipt / RunCheck produce receipts that VerifyReceipt accepts with the same trust.
//  - VerifyReceipt trusts nothing but `trust` (genesis). Every failure, malformed input
//    included, is VerifyFailed whose message starts with the path of the field at fault,
//    e.g. "receipt.evidence[3].inclusion_proof: ...". It re-runs the check from the
//    receipt's evidence, restricted to exactly the index keys the receipt proves, and
//    requires the whole receipt (except the signature) to equal the one the recomputed
//    check gives, so nothing in it is unchecked.
// Thread-safety: pure functions of their inputs (RunCheck reads the store, which may be
// shared). BuildReceipt writes the canonical text directly (no intermediate JSON tree) and
// shares a thread-safe memo of each rule set's canonical text across calls.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "hearth/base/bytes.h"
#include "hearth/base/status.h"
#include "hearth/ledger/block.h"
#include "hearth/ledger/crypto.h"
#include "hearth/ledger/store.h"
#include "hearth/verify/engine.h"
#include "hearth/verify/store_evidence.h"

namespace hearth::verify {

// Format 3: the node signs the suite hash of the canonical body (docs/RECEIPT.md section 3,
// context unchanged since format 2), and the evidence's inclusion proofs are positions in one
// table of distinct proof nodes (`proof_nodes`). Formats 1 (whole body signed) and 2 (each
// proof's hashes written out) were issued only by development builds and are refused by name.
inline constexpr uint32_t kReceiptFormat = 3;
inline constexpr std::string_view kReceiptContext = "hearth/receipt/v2";
// Largest receipt text accepted, and deepest JSON nesting (a rule set nests inside).
inline constexpr size_t kReceiptBytesMax = size_t{64} << 20;
inline constexpr size_t kReceiptDepthMax = 64;

// The canonical text of `value` (see above). InvalidArgument naming the path of a float
// ("receipt.x.y: floating-point number") or of invalid UTF-8.
Result<std::string> CanonicalJson(const nlohmann::json& value, std::string_view root = "receipt");

// Sets receipt["signature"] to the hex signature of `key` over the canonical JSON of every
// other member (erasing any old signature first); returns the receipt hash it signed
// (ReceiptBodyHash). REQUIRES: receipt.is_object().
Result<Hash32> SignReceiptJson(nlohmann::json& receipt, const PrivateKey& key,
                               std::string_view chain_id);

// The receipt hash: H(canonical text of every member except "signature"), H the suite hash.
// It is what the node signs and what an access record's receipt_hash names.
Hash32 ReceiptBodyHash(Suite suite, std::string_view canonical_body);
// The receipt's node signature: `key` signs SigningBytes(kReceiptContext, chain_id,
// receipt_hash). Signing the hash, not the ~240 KB body, saves Ed25519's two SHA-512 passes
// over it (about a fifth of a receipt's CPU).
Result<Bytes> SignReceiptHash(const PrivateKey& key, std::string_view chain_id,
                              const Hash32& receipt_hash);
Status VerifyReceiptSignature(const PublicKey& key, std::string_view chain_id,
                              const Hash32& receipt_hash, ByteView signature);

// CPU time of the calling thread (CLOCK_THREAD_CPUTIME_ID, nanoseconds) spent in each part
// of RunCheck: what a node exports per phase (docs/NODE.md "Checks"), so that where a
// check's time goes is measured on the server itself, free of the other processes that
// share its cores. RunCheck reads the clock six times.
struct CheckCpu {
  uint64_t evidence_ns = 0;   // the checkpoint opened, then Evaluate: index walks with their
                              // proofs, lists, transactions, the engine
  uint64_t proofs_ns = 0;     // the inclusion proofs of the evidence (Merkle log tiles)
  uint64_t text_ns = 0;       // the receipt's canonical JSON text
  uint64_t signature_ns = 0;  // its hash and the node's signature
};
// The calling thread's CPU time so far, in nanoseconds (0 if the clock is unavailable).
uint64_t ThreadCpuNs();

// The receipt of `result`, a check of `request` evaluated over `evidence` (whose reads it
// records), at the checkpoint (header, certificate) of evidence.height(), signed by
// genesis member `member` with its node key `signer`. The text is the receipt's canonical
// JSON (signature included) and a newline. InvalidArgument when the header or certificate
// is not the evidence's checkpoint, or a key the result lists was not read through
// `evidence`. When receipt_hash is not null it is set to the hash the node signed
// (= ReceiptHash(suite, text), computed once while building).
// When cpu is not null, the calling thread's CPU time of the receipt's three parts is added
// to its proofs_ns, text_ns and signature_ns.
Result<std::string> BuildReceipt(const Trust& trust, const CheckRequest& request,
                                 const CheckResult& result, StoreEvidence& evidence,
                                 const BlockHeader& header, const CommitCertificate& certificate,
                                 const PrivateKey& signer, uint16_t member,
                                 Hash32* receipt_hash = nullptr, CheckCpu* cpu = nullptr);

// For tests: the canonical text of the body (every member except "signature") of the
// receipt BuildReceipt makes from the same arguments, built the reference way (an nlohmann
// tree, then CanonicalJson) instead of by the direct writer BuildReceipt uses. The two must
// give the same bytes (tests/verify/receipt_writer_test.cc).
Result<std::string> TEST_ReceiptBodyViaTree(const Trust& trust, const CheckRequest& request,
                                            const CheckResult& result, StoreEvidence& evidence,
                                            const BlockHeader& header,
                                            const CommitCertificate& certificate, uint16_t member);

struct CheckOutcome {
  CheckResult result;
  std::string receipt;
  // ReceiptHash(suite, receipt), the hash BuildReceipt signed (no second pass, no parse):
  // what the check's access record names.
  Hash32 receipt_hash;
  CheckCpu cpu;
};
// Evaluates `request` at block `height` of `store` (request.checkpoint_time_ms is set to
// that block's time) and builds its receipt. Errors of Evaluate and of the store pass
// through unchanged.
Result<CheckOutcome> RunCheck(const BlockStore& store, uint64_t height, const Trust& trust,
                              CheckRequest request, const PrivateKey& signer, uint16_t member);

// What a verified receipt says (for the CLI and the console).
struct VerifiedReceipt {
  CheckRequest request;  // checkpoint_time_ms = the checkpoint's block time
  CheckResult result;    // the recomputed result (equal to what the receipt reports)
  BlockHeader checkpoint;
  uint16_t signer = 0;
  Hash32 receipt_hash;   // ReceiptHash(suite, text): the hash the signature verified over
};
// Verifies `text` (docs/RECEIPT.md "Verification"), VerifyFailed naming the field otherwise.
Result<VerifiedReceipt> VerifyReceiptDetailed(std::string_view text, const Trust& trust);
Status VerifyReceipt(std::string_view text, const Trust& trust);

// ReceiptBodyHash of the receipt `text` (any layout: it is parsed and made canonical, its
// "signature" left out): what an access record's receipt_hash names. InvalidArgument for
// text that is not a JSON object without floats.
Result<Hash32> ReceiptHash(Suite suite, std::string_view text);

}  // namespace hearth::verify
