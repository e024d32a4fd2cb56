// Key builders and record codecs of the block store (layout in store.h).
#include <string>

#include "hearth/base/codec.h"
#include "store_internal.h"

namespace hearth::store_internal {
namespace {

void PutBigEndian(std::string* out, uint64_t v, int width) {
  for (int i = width - 1; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

std::string ToString(const Bytes& b) { return std::string(b.begin(), b.end()); }

}  // namespace

std::string HeightKey(uint8_t prefix, uint64_t height) {
  std::string key(1, static_cast<char>(prefix));
  PutBigEndian(&key, height, 8);
  return key;
}

uint32_t TxKeyPosition(std::string_view key) {
  HEARTH_CHECK(key.size() == kTxKeyBytes);
  uint32_t v = 0;
  for (size_t i = kHeightKeyBytes; i < kTxKeyBytes; ++i) v = (v << 8) | static_cast<uint8_t>(key[i]);
  return v;
}

std::string EncodeMeta(const StoreMeta& meta) {
  Writer w;
  w.U8(kRecordVersion);
  w.U8(static_cast<uint8_t>(meta.suite));
  w.Str(meta.chain_id);
  w.Hash(meta.genesis_hash);
  return ToString(w.bytes());
}

Result<StoreMeta> DecodeMeta(std::string_view bytes) {
  Reader r(AsBytes(bytes), "store_meta");
  StoreMeta meta;
  uint8_t version = 0;
  uint8_t suite_byte = 0;
  HEARTH_RETURN_IF_ERROR(r.U8("version", &version));
  if (version != kRecordVersion) return r.Error("version", "unknown version " + std::to_string(version));
  HEARTH_RETURN_IF_ERROR(r.U8("suite", &suite_byte));
  HEARTH_ASSIGN_OR_RETURN(meta.suite, SuiteFromByte(suite_byte));
  HEARTH_RETURN_IF_ERROR(r.Str("chain_id", kChainIdBytesMax, &meta.chain_id));
  HEARTH_RETURN_IF_ERROR(r.Hash("genesis_hash", &meta.genesis_hash));
  HEARTH_RETURN_IF_ERROR(r.Finish());
  return meta;
}

std::string EncodeHead(const ChainHead& head) {
  Writer w;
  w.U8(kRecordVersion);
  w.U64(head.height);
  w.Hash(head.block_hash);
  w.U64(head.log_size);
  w.Hash(head.log_root);
  w.Hash(head.index_root);
  return ToString(w.bytes());
}

Result<ChainHead> DecodeHead(std::string_view bytes) {
  Reader r(AsBytes(bytes), "store_head");
  ChainHead head;
  uint8_t version = 0;
  HEARTH_RETURN_IF_ERROR(r.U8("version", &version));
  if (version != kRecordVersion) return r.Error("version", "unknown version " + std::to_string(version));
  HEARTH_RETURN_IF_ERROR(r.U64("height", &head.height));
  HEARTH_RETURN_IF_ERROR(r.Hash("block_hash", &head.block_hash));
  HEARTH_RETURN_IF_ERROR(r.U64("log_size", &head.log_size));
  HEARTH_RETURN_IF_ERROR(r.Hash("log_root", &head.log_root));
  HEARTH_RETURN_IF_ERROR(r.Hash("index_root", &head.index_root));
  HEARTH_RETURN_IF_ERROR(r.Finish());
  if (head.height == 0) return r.Error("height", "a stored head is at height >= 1");
  return head;
}

std::string EncodeLocation(const TxLocation& location) {
  Writer w;
  w.U8(kRecordVersion);
  w.U64(location.height);
  w.U32(location.position);
  w.U64(location.log_index);
  return ToString(w.bytes());
}

Result<TxLocation> DecodeLocation(std::string_view bytes) {
  Reader r(AsBytes(bytes), "tx_location");
  TxLocation location;
  uint8_t version = 0;
  HEARTH_RETURN_IF_ERROR(r.U8("version", &version));
  if (version != kRecordVersion) return r.Error("version", "unknown version " + std::to_string(version));
  HEARTH_RETURN_IF_ERROR(r.U64("height", &location.height));
  HEARTH_RETURN_IF_ERROR(r.U32("position", &location.position));
  HEARTH_RETURN_IF_ERROR(r.U64("log_index", &location.log_index));
  HEARTH_RETURN_IF_ERROR(r.Finish());
  if (location.height == 0) return r.Error("height", "a committed tx is at height >= 1");
  return location;
}

std::string ShortHex(const Hash32& h) { return h.Hex().substr(0, 12) + "…"; }

Status StoredValueError(const Status& s, std::string_view what) {
  HEARTH_CHECK(!s.ok());
  if (s.code() == Code::kIOError || s.code() == Code::kCorruption) return s.Annotate(what);
  if (s.code() == Code::kNotFound) return Status::Corruption(std::string(what) + ": missing");
  return Status::Corruption(std::string(what) + ": " + s.message());
}

}  // namespace hearth::store_internal

namespace hearth {

using store_internal::HeightKey;

std::string BlockStore::HeaderKey(uint64_t height) { return HeightKey(store_internal::kHeaderPrefix, height); }
std::string BlockStore::CertificateKey(uint64_t height) {
  return HeightKey(store_internal::kCertificatePrefix, height);
}
std::string BlockStore::TxKey(uint64_t height, uint32_t position) {
  std::string key = HeightKey(store_internal::kTxPrefix, height);
  for (int i = 3; i >= 0; --i) key.push_back(static_cast<char>((position >> (8 * i)) & 0xFF));
  return key;
}
std::string BlockStore::TxIndexKey(const Hash32& tx_id) {
  std::string key(1, static_cast<char>(store_internal::kTxIndexPrefix));
  key.append(reinterpret_cast<const char*>(tx_id.bytes.data()), tx_id.bytes.size());
  return key;
}
std::string BlockStore::MetaKey() { return std::string(1, static_cast<char>(store_internal::kMetaPrefix)); }
std::string BlockStore::HeadKey() { return std::string(1, static_cast<char>(store_internal::kHeadPrefix)); }

}  // namespace hearth
