// Block headers and blocks (block.h; docs/FORMAT.md "Blocks"). Certificates: certificate.cc.
#include "hearth/ledger/block.h"

#include <algorithm>
#include <string>

#include "hearth/ledger/merkle.h"

namespace hearth {

namespace {

Status CheckBlockTxs(const Block& b) {
  const BlockHeader& h = b.header;
  if (b.txs.size() != h.tx_count) {
    return Status::InvalidArgument("block: header.tx_count " + std::to_string(h.tx_count) +
                                   " but the body holds " + std::to_string(b.txs.size()));
  }
  std::vector<Hash32> ids;
  ids.reserve(b.txs.size());
  for (size_t i = 0; i < b.txs.size(); ++i) {
    const Transaction& tx = b.txs[i];
    if (tx.suite() != h.suite || tx.body().chain_id != h.chain_id) {
      return Status::InvalidArgument("block.txs[" + std::to_string(i) +
                                     "]: suite or chain id differs from the header's");
    }
    ids.push_back(tx.id());
  }
  if (TxRoot(h.suite, ids) != h.tx_root) {
    return Status::InvalidArgument("block: header.tx_root does not match the transactions");
  }
  std::sort(ids.begin(), ids.end());
  if (std::adjacent_find(ids.begin(), ids.end()) != ids.end()) {
    return Status::InvalidArgument("block: a transaction id appears twice");
  }
  return Status::Ok();
}

}  // namespace

// The same RFC 9162 tree as the global log (merkle.h), over this block's ids only.
Hash32 TxRoot(Suite suite, std::span<const Hash32> tx_ids) {
  std::vector<Hash32> leaves;
  leaves.reserve(tx_ids.size());
  for (const Hash32& id : tx_ids) leaves.push_back(merkle::LeafHash(suite, id.view()));
  return merkle::RootOf(suite, leaves);
}

Hash32 TxRoot(Suite suite, std::span<const Transaction> txs) {
  std::vector<Hash32> ids;
  ids.reserve(txs.size());
  for (const Transaction& tx : txs) ids.push_back(tx.id());
  return TxRoot(suite, ids);
}

Status Validate(const BlockHeader& h) {
  if (!SuiteFromByte(static_cast<uint8_t>(h.suite)).ok()) {
    return Status::InvalidArgument("header.suite: unknown suite value " +
                                   std::to_string(static_cast<uint8_t>(h.suite)));
  }
  HEARTH_RETURN_IF_ERROR(ValidateChainId(h.chain_id).Annotate("header"));
  if (h.height == 0) return Status::InvalidArgument("header.height: heights start at 1");
  HEARTH_RETURN_IF_ERROR(CheckTimeMs("header.time_ms", h.time_ms));
  if (h.tx_count > kBlockTxsMax) {
    return Status::InvalidArgument("header.tx_count: " + std::to_string(h.tx_count) +
                                   " exceeds maximum " + std::to_string(kBlockTxsMax));
  }
  if (h.log_size < h.tx_count) {
    return Status::InvalidArgument("header.log_size: " + std::to_string(h.log_size) +
                                   " is smaller than tx_count " + std::to_string(h.tx_count));
  }
  return Status::Ok();
}

Bytes EncodeBlockHeader(const BlockHeader& h) {
  HEARTH_CHECK(Validate(h).ok());
  Writer w(256);
  w.U8(kBlockHeaderTag);
  w.U8(kBlockVersion);
  w.U8(static_cast<uint8_t>(h.suite));
  w.Str(h.chain_id);
  w.U64(h.height);
  w.Hash(h.prev_hash);
  w.U64(h.time_ms);
  w.U16(h.proposer);
  w.U32(h.tx_count);
  w.Hash(h.tx_root);
  w.U64(h.log_size);
  w.Hash(h.log_root);
  w.Hash(h.index_root);
  return w.Take();
}

Result<BlockHeader> DecodeBlockHeader(ByteView bytes) {
  if (bytes.size() > kBlockHeaderBytesMax) {
    return Status::InvalidArgument("header: " + std::to_string(bytes.size()) +
                                   " bytes exceeds maximum " +
                                   std::to_string(kBlockHeaderBytesMax));
  }
  Reader r(bytes, "header");
  uint8_t tag = 0, version = 0, suite = 0;
  HEARTH_RETURN_IF_ERROR(r.U8("tag", &tag));
  if (tag != kBlockHeaderTag) return r.Error("tag", "not a block header tag: " + std::to_string(tag));
  HEARTH_RETURN_IF_ERROR(r.U8("version", &version));
  if (version != kBlockVersion) return r.Error("version", "unknown version " + std::to_string(version));
  HEARTH_RETURN_IF_ERROR(r.U8("suite", &suite));
  auto s = SuiteFromByte(suite);
  if (!s.ok()) return r.Error("suite", s.status().message());
  BlockHeader h;
  h.suite = *s;
  HEARTH_RETURN_IF_ERROR(r.Str("chain_id", kChainIdBytesMax, &h.chain_id));
  HEARTH_RETURN_IF_ERROR(r.U64("height", &h.height));
  HEARTH_RETURN_IF_ERROR(r.Hash("prev_hash", &h.prev_hash));
  HEARTH_RETURN_IF_ERROR(r.U64("time_ms", &h.time_ms));
  HEARTH_RETURN_IF_ERROR(r.U16("proposer", &h.proposer));
  HEARTH_RETURN_IF_ERROR(r.U32("tx_count", &h.tx_count));
  HEARTH_RETURN_IF_ERROR(r.Hash("tx_root", &h.tx_root));
  HEARTH_RETURN_IF_ERROR(r.U64("log_size", &h.log_size));
  HEARTH_RETURN_IF_ERROR(r.Hash("log_root", &h.log_root));
  HEARTH_RETURN_IF_ERROR(r.Hash("index_root", &h.index_root));
  HEARTH_RETURN_IF_ERROR(r.Finish());
  HEARTH_RETURN_IF_ERROR(Validate(h));
  return h;
}

Hash32 BlockHash(const BlockHeader& h) {
  const Bytes header = EncodeBlockHeader(h);
  const uint8_t len = static_cast<uint8_t>(kBlockHashContext.size());
  return SuiteHashParts(h.suite, {ByteView(&len, 1), AsBytes(kBlockHashContext), header});
}

Status Validate(const Block& b) {
  HEARTH_RETURN_IF_ERROR(Validate(b.header));
  HEARTH_RETURN_IF_ERROR(CheckBlockTxs(b));
  size_t total = 2 + 4 + EncodeBlockHeader(b.header).size() + 4;
  for (const Transaction& tx : b.txs) total += 4 + tx.EncodedSize();
  if (total > kBlockBytesMax) {
    return Status::InvalidArgument("block: encoded size " + std::to_string(total) +
                                   " exceeds maximum " + std::to_string(kBlockBytesMax));
  }
  return Status::Ok();
}

Bytes EncodeBlock(const Block& b) {
  HEARTH_CHECK(Validate(b).ok());
  const Bytes header = EncodeBlockHeader(b.header);
  size_t total = 2 + 4 + header.size() + 4;
  for (const Transaction& tx : b.txs) total += 4 + tx.EncodedSize();
  Writer w(total);
  w.U8(kBlockTag);
  w.U8(kBlockVersion);
  w.Blob(header);
  w.Count(b.txs.size());
  for (const Transaction& tx : b.txs) w.Blob(tx.Encode());
  return w.Take();
}

Result<Block> DecodeBlock(ByteView bytes) {
  if (bytes.size() > kBlockBytesMax) {
    return Status::InvalidArgument("block: " + std::to_string(bytes.size()) +
                                   " bytes exceeds maximum " + std::to_string(kBlockBytesMax));
  }
  Reader r(bytes, "block");
  uint8_t tag = 0, version = 0;
  HEARTH_RETURN_IF_ERROR(r.U8("tag", &tag));
  if (tag != kBlockTag) return r.Error("tag", "not a block tag: " + std::to_string(tag));
  HEARTH_RETURN_IF_ERROR(r.U8("version", &version));
  if (version != kBlockVersion) return r.Error("version", "unknown version " + std::to_string(version));
  Bytes header_bytes;
  HEARTH_RETURN_IF_ERROR(r.Blob("header", kBlockHeaderBytesMax, &header_bytes));
  Block b;
  HEARTH_ASSIGN_OR_RETURN(b.header, DecodeBlockHeader(header_bytes));
  size_t n = 0;
  // A transaction is at least a 4-byte length prefix plus a few dozen bytes.
  HEARTH_RETURN_IF_ERROR(r.Count("txs", kBlockTxsMax, 4, &n));
  b.txs.reserve(n);
  Bytes tx_bytes;
  for (size_t i = 0; i < n; ++i) {
    const size_t at = r.offset();
    HEARTH_RETURN_IF_ERROR(r.Blob("tx", kTransactionBytesMax, &tx_bytes));
    auto tx = Transaction::Decode(tx_bytes);
    if (!tx.ok()) {
      return Status::InvalidArgument("block.txs[" + std::to_string(i) + "] at offset " +
                                     std::to_string(at) + ": " + tx.status().message());
    }
    b.txs.push_back(std::move(tx).value());
  }
  HEARTH_RETURN_IF_ERROR(r.Finish());
  HEARTH_RETURN_IF_ERROR(CheckBlockTxs(b));
  return b;
}

}  // namespace hearth
