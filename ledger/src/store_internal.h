// store_internal.h: key builders and record codecs of the block store (layout in store.h).
// Private to ledger/src/store*.cc. Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hearth/base/bytes.h"
#include "hearth/base/status.h"
#include "hearth/ledger/crypto.h"
#include "hearth/ledger/store.h"

namespace hearth::store_internal {

inline constexpr uint8_t kMetaPrefix = 0x01;
inline constexpr uint8_t kHeadPrefix = 0x02;
inline constexpr uint8_t kHeaderPrefix = 0x03;
inline constexpr uint8_t kTxPrefix = 0x04;
inline constexpr uint8_t kCertificatePrefix = 0x05;
inline constexpr uint8_t kTxIndexPrefix = 0x06;
inline constexpr uint8_t kLogPrefix = 0x07;
inline constexpr uint8_t kIndexPrefix = 0x08;
// Version byte leading the store's own records (meta, head, tx location).
inline constexpr uint8_t kRecordVersion = 1;
// Lengths of keys that carry a height (and a position).
inline constexpr size_t kHeightKeyBytes = 1 + 8;
inline constexpr size_t kTxKeyBytes = 1 + 8 + 4;

struct StoreMeta {
  Suite suite = Suite::kEd25519Sha256;
  std::string chain_id;
  Hash32 genesis_hash;
};

std::string HeightKey(uint8_t prefix, uint64_t height);
// The position of a tx key; REQUIRES key.size() == kTxKeyBytes.
uint32_t TxKeyPosition(std::string_view key);

std::string EncodeMeta(const StoreMeta& meta);
Result<StoreMeta> DecodeMeta(std::string_view bytes);
std::string EncodeHead(const ChainHead& head);
Result<ChainHead> DecodeHead(std::string_view bytes);
std::string EncodeLocation(const TxLocation& location);
Result<TxLocation> DecodeLocation(std::string_view bytes);

// The first 12 hex digits and an ellipsis: enough to tell two hashes apart in a message.
std::string ShortHex(const Hash32& h);
// A stored value that failed to decode (or a required key that is absent, or a checksum
// failure) as Corruption "<what>: <message>"; IOError stays IOError.
Status StoredValueError(const Status& s, std::string_view what);

}  // namespace hearth::store_internal

namespace hearth {

// What StageLocked staged for a block (store_commit.cc).
struct BlockStore::Staged {
  std::vector<Hash32> ids;
  uint64_t first_log_index = 0;
};

// The last PreviewRoots, still staged in the log and the index.
struct BlockStore::Preview {
  uint64_t height = 0;
  Hash32 tx_root;
  Staged staged;
  BlockRoots roots;
};

}  // namespace hearth
