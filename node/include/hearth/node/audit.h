// audit.h: the chain export file, fetching it from a node, and the offline audit of a whole
// chain trusting nothing but genesis (DESIGN.md "Verify": `hearth audit verify`).
//
// Export file (docs/FORMAT.md "Chain export file"; integers little-endian):
//   file   = "HEARTHCX" (8 bytes) ‖ u8 version (1) ‖ genesis hash (32) ‖ u64 first_height
//            ‖ u64 count ‖ count × record
//   record = u32 len ‖ block (EncodeBlock) ‖ u32 len ‖ certificate (EncodeCertificate)
// Readers check first_height >= 1, count <= kExportBlocksMax, count × 8 <= the bytes left,
// each length against kBlockBytesMax / kCertificateBytesMax and the bytes left before
// allocating, and that nothing follows the last record.
//
// Audit (AuditChain): for heights first..last in order (first must be 1):
//   - the block and its certificate decode (canonical codec, block.h);
//   - header height = position in the file, suite and chain id = genesis, prev_hash = the
//     previous block's hash (genesis hash for height 1), proposer < n, time not before the
//     parent's (genesis time for height 1);
//   - the certificate is for this block and verifies: VerifyCommit against the genesis
//     node keys and f;
//   - no transaction id appears twice in the chain; every transaction obeys the chain rules
//     (chain_rules.h KeyRegistry, applied in log order exactly as a node does) and its
//     signature verifies with the key the rules found;
//   - the header's log size and log root equal the RFC 9162 log of every id so far, and its
//     index root equals the authenticated index (auth_index.h, in memory) after the block.
// Work is a bounded pipeline on a pool of `threads` threads, the caller included
// (audit_verify.cc): decoding, certificates, block hashes, leaf and index-key hashing run in
// parallel a few blocks ahead (at most 2 per thread and 64 MiB of records); duplicate ids,
// chain rules, the log frontier and the index run on the caller's thread in log order, so
// the key state each transaction is judged against is the one at its log position; the
// transaction signatures then run in parallel (at most 4096 queued per thread, 65536 in all).
// The first problem in log order is reported: Status VerifyFailed "height H: ..." (with
// "tx I (id …)" where a transaction is at fault), or "file: ..." for the file header. Other
// codes: IOError / NotFound for an unreadable file. A corrupted file never crashes, hangs
// or drives an allocation beyond the limits above.
//
// Thread-safety: the functions share no state; each AuditChain call owns its threads.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hearth/base/bytes.h"
#include "hearth/base/status.h"
#include "hearth/node/genesis.h"

namespace hearth::node {

inline constexpr std::string_view kExportMagic = "HEARTHCX";
inline constexpr uint8_t kExportVersion = 1;
// magic ‖ version ‖ genesis hash ‖ first_height ‖ count.
inline constexpr size_t kExportHeaderBytes = 8 + 1 + 32 + 8 + 8;
// Most blocks in one export file.
inline constexpr uint64_t kExportBlocksMax = uint64_t{1} << 40;

// One block and its certificate, as canonical bytes (not decoded here).
struct ExportRecord {
  Bytes block;
  Bytes certificate;
  friend bool operator==(const ExportRecord&, const ExportRecord&) = default;
};

struct ChainExport {
  Hash32 genesis_hash;
  uint64_t first_height = 1;
  std::vector<ExportRecord> records;  // heights first_height, first_height + 1, ...
  friend bool operator==(const ChainExport&, const ChainExport&) = default;
};

// The file bytes. REQUIRES: records within the limits above, first_height >= 1.
Bytes EncodeExport(const ChainExport& e);
// Structure only (header, lengths, counts, no trailing bytes); blocks are not decoded.
// VerifyFailed naming the place ("file: ..." or "height H: ...").
Result<ChainExport> ReadExport(ByteView bytes);

// Writes an export file record by record (the count is patched in at Finish), into a
// temporary file beside `path` that Finish fsyncs and renames over `path`. A writer dropped
// before Finish removes its temporary file.
class ExportWriter {
 public:
  static Result<std::unique_ptr<ExportWriter>> Create(const std::string& path,
                                                      const Hash32& genesis_hash,
                                                      uint64_t first_height);
  ~ExportWriter();
  ExportWriter(const ExportWriter&) = delete;
  ExportWriter& operator=(const ExportWriter&) = delete;

  // InvalidArgument when a length exceeds its limit.
  Status Append(ByteView block, ByteView certificate);
  Status Finish();
  uint64_t count() const { return count_; }
  uint64_t bytes() const { return bytes_; }

 private:
  ExportWriter() = default;
  std::string path_, tmp_path_;
  int fd_ = -1;
  uint64_t count_ = 0, bytes_ = 0;
  bool finished_ = false;
};
// EncodeExport written with ExportWriter.
Status WriteExport(const std::string& path, const ChainExport& e);

// ---- Fetching an export from a node (GET /v1/blocks?from=&to=) ----

struct ExportFetchOptions {
  std::string base_url;     // "https://127.0.0.1:port"
  std::string ca_cert_pem;  // the node's API certificate (https)
  std::string token;        // bearer token of any principal
  Hash32 genesis_hash;      // written into the file header
  uint64_t from = 1;
  uint64_t to = 0;          // 0: the node's head when the export starts
  std::string out;          // the export file
  uint64_t request_timeout_ms = 60'000;
};

struct ExportFetchSummary {
  uint64_t first_height = 0, last_height = 0, blocks = 0, file_bytes = 0;
};

// Fetches heights from..to in ranges of at most kBlocksPerRangeMax and writes the file.
// Each answer is checked for shape only (heights consecutive, hex, lengths, block and
// certificate decode with the expected height); verification is AuditChain's job.
// Unavailable when the node cannot be reached; VerifyFailed / FailedPrecondition when it
// refuses or answers something unexpected; InvalidArgument for from > to, or a range past
// the node's head.
Result<ExportFetchSummary> ExportFromNode(const ExportFetchOptions& o);

// ---- Audit ----

struct AuditSummary {
  uint64_t blocks = 0;
  uint64_t transactions = 0;
  // Transactions per kind, index = kind byte - 0x11 (attestation .. keyevent).
  std::array<uint64_t, 7> by_kind{};
  uint64_t signatures = 0;      // transaction signatures and precommit votes verified
  uint64_t revoked_signer = 0;  // records signed by a key revoked earlier in the log
  uint64_t log_size = 0;
  Hash32 log_root, index_root, head_hash;
  unsigned threads = 0;
  double seconds = 0;  // wall time of the audit (reading included)
  // CPU time the threads spent verifying signatures (transactions and certificates): with
  // the process's CPU time it splits the audit's cost into signatures and everything else.
  double signature_cpu_seconds = 0;
};

// `threads` 0 = std::thread::hardware_concurrency(). See the contract above.
Result<AuditSummary> AuditChain(const Genesis& genesis, ByteView export_bytes, unsigned threads);
// The same streaming from a file (only one block is held in memory per worker in flight).
Result<AuditSummary> AuditChainFile(const Genesis& genesis, const std::string& path,
                                    unsigned threads);

}  // namespace hearth::node
