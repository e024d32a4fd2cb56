// block.h: block headers, blocks, commit certificates and precommit signatures
// (DESIGN.md "Chain, log and authenticated index"; every byte in docs/FORMAT.md).
//
// Wire forms:
//   header      = u8 0x01 ‖ u8 version(=1) ‖ u8 suite ‖ text chain_id ‖ u64 height
//                 ‖ prev_hash(32) ‖ u64 time_ms ‖ u16 proposer ‖ u32 tx_count ‖ tx_root(32)
//                 ‖ u64 log_size ‖ log_root(32) ‖ index_root(32)
//   block hash  = SuiteHash(suite, u8 15 ‖ "hearth/block/v1" ‖ header)
//   block       = u8 0x02 ‖ u8 version(=1) ‖ u32 len ‖ header ‖ u32 count
//                 ‖ count × (u32 len ‖ transaction)
//   certificate = u8 0x03 ‖ u8 version(=1) ‖ u64 height ‖ u32 round ‖ block_hash(32)
//                 ‖ u32 count ‖ count × (u16 member ‖ u32 len ‖ signature)
//   precommit   = signature over SigningBytes("hearth/precommit/v1", chain_id,
//                 u64 height ‖ u32 round ‖ block_hash)
//   tx_root     = RFC 9162 MTH over the block's tx ids in block order
//                 (leaf = H(0x00 ‖ id), node = H(0x01 ‖ l ‖ r), empty = H("")).
//
// Contract:
//  - Heights start at 1; the header at height 1 has prev_hash = the genesis hash (given by
//    the caller), every later one the block hash of its parent. log_size, log_root and
//    index_root are the global log and authenticated index *after* this block.
//  - proposer is the proposing member's index in the genesis member list.
//  - Decode accepts only canonical bytes and validates: a decoded Block's header agrees with
//    its body (tx_count, tx_root, suite and chain id of every tx) and holds no tx id twice.
//    Signatures of transactions are NOT checked by decode (callers know the keys).
//  - A certificate's votes are sorted by member index, unique, 1..kCertificateVotesMax.
// Thread-safety: values and pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "hearth/base/bytes.h"
#include "hearth/base/status.h"
#include "hearth/ledger/crypto.h"
#include "hearth/ledger/transaction.h"

namespace hearth {

inline constexpr uint8_t kBlockHeaderTag = 0x01;
inline constexpr uint8_t kBlockTag = 0x02;
inline constexpr uint8_t kCertificateTag = 0x03;
inline constexpr uint8_t kBlockVersion = 1;
inline constexpr uint8_t kCertificateVersion = 1;

inline constexpr size_t kBlockTxsMax = 16'384;
inline constexpr size_t kBlockBytesMax = 8 * 1024 * 1024;
inline constexpr size_t kBlockHeaderBytesMax = 512;
inline constexpr size_t kCertificateVotesMax = 256;
inline constexpr size_t kCertificateBytesMax = 64 * 1024;

inline constexpr std::string_view kBlockHashContext = "hearth/block/v1";
inline constexpr std::string_view kPrecommitContext = "hearth/precommit/v1";

struct BlockHeader {
  Suite suite = Suite::kEd25519Sha256;
  std::string chain_id;
  uint64_t height = 0;   // >= 1
  Hash32 prev_hash;
  uint64_t time_ms = 0;  // unix ms in [kTimeMsMin, kTimeMsMax)
  uint16_t proposer = 0;  // member index in genesis
  uint32_t tx_count = 0;  // <= kBlockTxsMax
  Hash32 tx_root;
  uint64_t log_size = 0;  // >= tx_count
  Hash32 log_root;
  Hash32 index_root;
  friend bool operator==(const BlockHeader&, const BlockHeader&) = default;
};

Status Validate(const BlockHeader& h);
// REQUIRES: Validate(h).ok().
Bytes EncodeBlockHeader(const BlockHeader& h);
Result<BlockHeader> DecodeBlockHeader(ByteView bytes);
// SuiteHash(h.suite, u8 len ‖ kBlockHashContext ‖ EncodeBlockHeader(h)).
Hash32 BlockHash(const BlockHeader& h);

// RFC 9162 MTH of tx ids (leaf data = the 32-byte id).
Hash32 TxRoot(Suite suite, std::span<const Hash32> tx_ids);
Hash32 TxRoot(Suite suite, std::span<const Transaction> txs);

struct Block {
  BlockHeader header;
  std::vector<Transaction> txs;
  friend bool operator==(const Block&, const Block&) = default;
};

// Header valid, header.tx_count/tx_root match txs, every tx has header's suite and chain
// id, no tx id twice, encoded size <= kBlockBytesMax.
Status Validate(const Block& b);
// REQUIRES: Validate(b).ok().
Bytes EncodeBlock(const Block& b);
Result<Block> DecodeBlock(ByteView bytes);

struct Vote {
  uint16_t member = 0;
  Bytes signature;  // 1..kSignatureBytesMax bytes
  friend bool operator==(const Vote&, const Vote&) = default;
};

struct CommitCertificate {
  uint64_t height = 0;  // >= 1
  uint32_t round = 0;
  Hash32 block_hash;
  std::vector<Vote> votes;  // sorted by member, unique, 1..kCertificateVotesMax
  friend bool operator==(const CommitCertificate&, const CommitCertificate&) = default;
};

Status Validate(const CommitCertificate& c);
// REQUIRES: Validate(c).ok().
Bytes EncodeCertificate(const CommitCertificate& c);
Result<CommitCertificate> DecodeCertificate(ByteView bytes);

// The message of a precommit: u64 height ‖ u32 round ‖ block_hash (44 bytes). The signed
// bytes are SigningBytes(kPrecommitContext, chain_id, this).
Bytes PrecommitSigningMessage(uint64_t height, uint32_t round, const Hash32& block_hash);
Result<Bytes> SignPrecommit(const PrivateKey& key, std::string_view chain_id, uint64_t height,
                            uint32_t round, const Hash32& block_hash);
Status VerifyPrecommit(const PublicKey& key, std::string_view chain_id, uint64_t height,
                       uint32_t round, const Hash32& block_hash, ByteView signature);

// OK when `cert` is valid and holds at least 2f+1 votes, each from a distinct member index
// < members.size() whose key verifies the precommit for (height, round, block_hash).
// Every vote must verify (a certificate carrying a bad vote is rejected as a whole).
// InvalidArgument for a malformed certificate or when members.size() < 3f+1;
// VerifyFailed for too few votes, an out-of-range member or a bad signature.
Status VerifyCertificate(const CommitCertificate& cert, std::string_view chain_id,
                         std::span<const PublicKey> members, uint32_t f);
// VerifyCertificate plus: cert.height == header.height and cert.block_hash ==
// BlockHash(header); chain id taken from the header.
Status VerifyCommit(const BlockHeader& header, const CommitCertificate& cert,
                    std::span<const PublicKey> members, uint32_t f);

}  // namespace hearth
