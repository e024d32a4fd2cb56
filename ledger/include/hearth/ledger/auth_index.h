// auth_index.h: the authenticated index of DESIGN.md "Completeness": a versioned sparse Merkle
// map from a 32-byte key (the suite hash of an encoded index key; this file does not know
// key semantics) to the hash chain of the ids of every transaction filed under that key, in
// log order, with proofs of presence and absence against the root of any past version.
//
// Value of a key (IndexValue): (count, head), head = v_count where
//   v_0 = 32 zero bytes,  v_k = H(v_{k-1} ‖ id_k)                         (IndexChainStep)
// A key with no transactions is absent from the map (never stored with count 0).
//
// Tree hashing (H = SHA-256 for ed25519-sha256, SM3 for sm2-sm3; prefixes 0x02/0x03 are
// distinct from the Merkle log's 0x00/0x01). Key bits are numbered 0..255 from the most
// significant bit of byte 0; bit 0 selects the first branch, 0 = left, 1 = right.
//   Z            = 32 zero bytes (the empty subtree, and the root of the empty map)
//   leaf hash    = H(0x02 ‖ key[32] ‖ u64 LE count ‖ head[32])            (IndexLeafHash)
//   node hash    = H(0x03 ‖ left[32] ‖ right[32])                         (IndexNodeHash)
//   S(p), p a bit prefix of length d:  Z if no key starts with p; the leaf hash of k if k is
//   the only key starting with p; otherwise node hash(S(p‖0), S(p‖1)).   root = S("")
// So a single-key subtree collapses into its leaf, and the hash of a map is independent of
// insertion order and of how it is stored ("compact sparse Merkle tree", as in Diem's JMT).
//
// Proof (IndexProof) for `key` against a root: the siblings S(key[0..i) ‖ !key_i) for
// i = 0..d-1 (root to leaf order) and a terminal at depth d: kPresent (the leaf of `key`
// itself, value supplied by the verifier), kEmpty (Z), or kOtherLeaf (the leaf of another
// key that shares key's first d bits, with its value). Canonical encoding (IndexProof::Encode):
//   u8 0x01 (proof format version) ‖ u8 terminal (0 present, 1 empty, 2 other leaf)
//   ‖ [terminal 2: other key[32] ‖ u64 LE other count ‖ other head[32]]
//   ‖ u32 LE sibling count d (<= 256) ‖ d × sibling[32]
// Verification (VerifyIndexProof) recomputes the root bottom-up and also requires: the
// terminal matches the claim (present / absent), a claimed or other value has count >= 1,
// the other key differs from `key` and agrees with it on bits 0..d-1, and the deepest
// sibling (index d-1) is not Z (a canonical tree never has a leaf or Z beside an empty
// sibling: it would have collapsed).
//
// Storage (all keys start with the caller's `key_prefix`; the index owns every key under it):
//   meta  prefix ‖ 'm'                         -> u8 1 ‖ u8 suite ‖ u8 has_versions
//                                                 ‖ u64 LE first_version ‖ u64 LE last_version
//   root  prefix ‖ 'r' ‖ u64 BE version        -> root[32] ‖ u64 LE version of the root page
//   page  prefix ‖ 'p' ‖ u64 BE version ‖ u16 BE depth ‖ ceil(depth/8) path bytes
//   list  prefix ‖ 'l' ‖ key[32] ‖ u64 BE seq  -> id[32] ‖ [location]  (seq 0-based, log order)
//     location (when the update carried one): u64 LE height ‖ u32 LE position
//     ‖ u64 LE log_index of the transaction (52 bytes in all; 32 without). It is not part
//     of any hash: a reader that follows it checks the transaction it finds against the id.
//     The height must be the version the entry is applied at, which lets a reader take a
//     key's list at a version from the entries alone (CommittedListUpTo), without a walk.
// Pages (Jellyfish-style, with this binary hashing): a page stores four tree levels below
// a position at a depth d that is a multiple of 4 (the first d key bits, later bits zero),
// as its terminals left to right: the leaves whose collapsed position lies at relative
// depth 0..4, and the child pages at relative depth 4 (subtrees with >= 2 keys). Value:
//   u8 0x04 ‖ u8 n (1..16) ‖ n × (u8 r ‖ u8 bits ‖ u8 kind ‖ payload)
//     r = relative depth 0..4, bits = the r key bits after d (first bit highest), kind 0x02
//     leaf: key[32] ‖ u64 LE count ‖ head[32]; kind 0x04 child page (r = 4 only):
//     hash[32] ‖ u64 LE version of the child page.
// A page exists for the root (a root page holding one leaf at r = 0 is a one-key map) and
// for every subtree at a depth multiple of 4 holding >= 2 keys. The page's hash, recomputed
// from its terminals on every read, must equal its parent's pointer (else Corruption naming
// the storage key), so a proof reads about log16(n) pages, not log2(n) nodes.
// Pages are immutable and addressed by (version written, position), as Aptos's Jellyfish
// Merkle tree: a block rewrites only the pages on the paths it changes, and a child
// pointer is (hash, version). Every version's root is kept, so a proof against any past
// root (a checkpoint's) can be made at any time. Keys sort by version, so each block's
// pages are appended in key order. The list at an old version is the first `count`
// entries of the current list (lists only grow).
// Retention, by design: every version's pages are kept, because receipts and audits are
// proved against past checkpoints and must stay provable (disk grows with the pages each
// block rewrites; memory does not, see PERFORMANCE.md "Node memory"). Should a deployment
// ever prune versions < p, a page written at version v is stale from the version that
// rewrites its position, so a stale-page index (u64 BE stale_since ‖ page key) written with
// each block would find the pages with stale_since <= p; list entries are never stale.
//
// Write discipline (kv.h): ApplyBlock stages pages, list entries, the root and the meta in
// memory; reads see staged state; FlushTo puts them into the caller's batch; MarkFlushed
// after the batch is durable; DiscardStaged if it was not. Several blocks may be staged.
//
// Thread-safety: const methods may run concurrently with each other (the page cache is
// guarded by a mutex); ApplyBlock, Open, FlushTo, MarkFlushed and DiscardStaged need
// exclusive access (the store serialises them). The KvReader must stay valid and show
// the committed state.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "hearth/base/bytes.h"
#include "hearth/base/status.h"
#include "hearth/ledger/crypto.h"
#include "hearth/ledger/kv.h"
#include "hearth/ledger/tx_location.h"

namespace hearth {

// Key bits (256) and so the most siblings in a proof.
inline constexpr size_t kIndexKeyBits = 256;
inline constexpr size_t kIndexProofSiblingsMax = kIndexKeyBits;
// Largest encoded proof: 2 + 72 + 4 + 256 * 32 bytes.
inline constexpr size_t kIndexProofBytesMax = 2 + 72 + 4 + kIndexProofSiblingsMax * 32;
// Most (key, id) updates in one ApplyBlock, and most ids one List call returns.
inline constexpr size_t kIndexBlockUpdatesMax = size_t{1} << 22;
inline constexpr uint64_t kIndexListIdsMax = uint64_t{1} << 20;
inline constexpr uint8_t kIndexProofFormat = 1;
inline constexpr uint8_t kIndexLeafTag = 0x02;
inline constexpr uint8_t kIndexNodeTag = 0x03;

struct IndexValue {
  uint64_t count = 0;  // number of ids filed under the key
  Hash32 head;         // v_count
  friend bool operator==(const IndexValue&, const IndexValue&) = default;
};

// One transaction filed under one key. A block's updates are given in log order.
// `location` (optional, height 0 = none) is stored beside the id; when given, its height
// must be the version of the ApplyBlock (InvalidArgument otherwise).
struct IndexUpdate {
  IndexUpdate() = default;
  IndexUpdate(const Hash32& k, const Hash32& id, const TxLocation& at = TxLocation())
      : key(k), tx_id(id), location(at) {}
  Hash32 key;
  Hash32 tx_id;
  TxLocation location;
};

// One entry of a key's list: the id and where the transaction is stored (height 0 when the
// entry was written without a location).
struct IndexListEntry {
  Hash32 id;
  TxLocation location;
  friend bool operator==(const IndexListEntry&, const IndexListEntry&) = default;
};

// v_k from v_{k-1} and id_k.
Hash32 IndexChainStep(Suite suite, const Hash32& prev, const Hash32& id);
// The value of a list of ids; nullopt (absent) for an empty list.
std::optional<IndexValue> IndexValueOf(Suite suite, std::span<const Hash32> ids);
Hash32 IndexLeafHash(Suite suite, const Hash32& key, const IndexValue& value);
Hash32 IndexNodeHash(Suite suite, const Hash32& left, const Hash32& right);
// Bit i (0 = most significant bit of byte 0) of key. REQUIRES: i < 256.
int IndexKeyBit(const Hash32& key, size_t i);

struct IndexProof {
  enum class Terminal : uint8_t { kPresent = 0, kEmpty = 1, kOtherLeaf = 2 };
  Terminal terminal = Terminal::kEmpty;
  Hash32 other_key;          // kOtherLeaf only (zero otherwise, not encoded)
  IndexValue other_value;    // kOtherLeaf only
  std::vector<Hash32> siblings;  // siblings[i] at depth i, root to leaf

  Bytes Encode() const;
  // Strict: unknown format or terminal, sibling count > 256, truncated input or trailing
  // bytes are InvalidArgument naming the field and offset ("index_proof.siblings: ...").
  static Result<IndexProof> Decode(ByteView bytes);
  friend bool operator==(const IndexProof&, const IndexProof&) = default;
};

// OK when `proof` shows that, in the map with root `root`, `key` has value `*claimed`
// (claimed present) or is absent (claimed == nullopt). VerifyFailed with the reason
// otherwise. Pure.
Status VerifyIndexProof(Suite suite, const Hash32& root, const Hash32& key,
                        const std::optional<IndexValue>& claimed, const IndexProof& proof);
// OK when `ids` hash-chain to `value` (count == ids.size() and the same head), or when ids is
// empty and value is nullopt. VerifyFailed otherwise. Pure.
Status VerifyIndexList(Suite suite, std::span<const Hash32> ids,
                       const std::optional<IndexValue>& value);
// Completeness in one call: `ids` is the full list filed under `key` in the map with root
// `root` (an empty list proves the key absent). Pure.
Status VerifyIndexEntry(Suite suite, const Hash32& root, const Hash32& key,
                        std::span<const Hash32> ids, const IndexProof& proof);

// What Prove returns: the value at the version (nullopt when absent) and its proof.
struct IndexLookup {
  std::optional<IndexValue> value;
  IndexProof proof;
};

// Counters for benchmarks and tests (cumulative since construction).
struct IndexStats {
  uint64_t nodes_hashed = 0;   // node and leaf hashes computed by ApplyBlock
  uint64_t pages_written = 0;  // page records staged
  uint64_t page_reads = 0;     // page records read from the KvReader (cache misses)
  uint64_t cache_hits = 0;
  // The same two by page level (a page at depth d is at level d / 4; the root page is level
  // 0), up to the deepest level with a nonzero count.
  std::vector<uint64_t> page_reads_by_level;
  std::vector<uint64_t> cache_hits_by_level;
};

class AuthIndex {
 public:
  struct Options {
    // Decoded committed pages kept in memory, up to ~2.5 KB each. The top four page
    // levels (4369 positions, when cache_pages_max >= 4 × that) sit in a table indexed by
    // position holding the newest version seen, so walks at the last version pass them
    // without lookups; deeper and older pages sit in a two-generation ~LRU map.
    // 0 disables caching.
    size_t cache_pages_max = size_t{1} << 16;
  };

  // REQUIRES: committed != nullptr and outlives this object.
  AuthIndex(Suite suite, const KvReader* committed, std::string key_prefix);
  AuthIndex(Suite suite, const KvReader* committed, std::string key_prefix, Options options);
  ~AuthIndex();
  AuthIndex(const AuthIndex&) = delete;
  AuthIndex& operator=(const AuthIndex&) = delete;

  // Loads the meta record (one read). Corruption when it is malformed or names another
  // suite. An absent meta is an empty index with no versions.
  // REQUIRES: called once, before anything else.
  Status Open();

  Suite suite() const { return suite_; }
  // Last applied version (staged included); nullopt before the first ApplyBlock.
  std::optional<uint64_t> last_version() const;
  std::optional<uint64_t> committed_last_version() const;
  bool has_staged() const;

  // Applies one block: `updates` in log order (a key may repeat; its ids chain in order).
  // The first version may be any number; each later one must be last_version() + 1
  // (FailedPrecondition otherwise). InvalidArgument past kIndexBlockUpdatesMax. Touches
  // each changed path once (keys sorted, subtries rebuilt bottom-up). Returns the new root.
  Result<Hash32> ApplyBlock(uint64_t version, std::span<const IndexUpdate> updates);

  // Root after the last applied version (Z before any).
  Hash32 Root() const;
  // Root after `version`; NotFound for a version never applied.
  Result<Hash32> RootAt(uint64_t version) const;
  // Value of `key` at the last version / at `version` (nullopt when absent).
  Result<std::optional<IndexValue>> Get(const Hash32& key) const;
  Result<std::optional<IndexValue>> Get(const Hash32& key, uint64_t version) const;
  // The first `count` ids filed under `key` (the whole list at any version whose value has
  // this count). OutOfRange when fewer are stored, InvalidArgument past kIndexListIdsMax.
  Result<std::vector<Hash32>> List(const Hash32& key, uint64_t count) const;
  // The same for a count read from the index itself (the key's value at some version, so
  // never more than is stored): skips List's check against the current value, one page walk
  // fewer. A missing entry is then Corruption (storage lost it).
  Result<std::vector<Hash32>> ListKnownCount(const Hash32& key, uint64_t count) const;
  // The same entries with their locations.
  Result<std::vector<IndexListEntry>> ListEntries(const Hash32& key, uint64_t count) const;
  // The list of `key` at `version` read from the committed list entries alone: entries in
  // order while they exist and carry a location with height <= version. No page walk and no
  // proof; the result is not checked against the key's value (for readers that trust their
  // own store and re-check each transaction against its id). Reads only the KvReader, so
  // it may run concurrently with ApplyBlock, FlushTo and MarkFlushed.
  // REQUIRES: version <= the last version whose batch is durable.
  // FailedPrecondition when an entry has no location (written before locations were kept):
  // the caller falls back to the value and ListEntries. InvalidArgument past
  // kIndexListIdsMax entries; Corruption for a malformed entry or a location below an
  // earlier entry's.
  Result<std::vector<IndexListEntry>> CommittedListUpTo(const Hash32& key,
                                                        uint64_t version) const;
  // Value and proof of `key` against RootAt(version).
  Result<IndexLookup> Prove(const Hash32& key, uint64_t version) const;
  // The same from committed state alone, with *root set to the version's root: no staged
  // page or root is consulted, so it may run concurrently with ApplyBlock, FlushTo,
  // MarkFlushed and DiscardStaged (readers proving at a checkpoint need no lock of the
  // store's). NotFound for a version not committed (none staged counts).
  // REQUIRES: root != nullptr.
  Result<IndexLookup> ProveCommitted(const Hash32& key, uint64_t version, Hash32* root) const;

  // Puts every staged write into `batch`. Does not change this object (may be repeated).
  Status FlushTo(KvWriter* batch) const;
  // The batch FlushTo filled is durable: staged state becomes committed.
  void MarkFlushed();
  // The batch failed or was dropped: back to the committed state.
  void DiscardStaged();

  // Safe on any thread, beside the writer (relaxed counts).
  IndexStats stats() const;

  // Storage keys, for the store's checks and for tests that corrupt values.
  std::string MetaKey() const;
  std::string RootKey(uint64_t version) const;
  std::string ListKey(const Hash32& key, uint64_t seq) const;
  // The page at `depth` under the first `depth` bits of `path`, written at `version`.
  // REQUIRES: depth % 4 == 0, depth <= 252.
  std::string PageKey(uint64_t version, size_t depth, const Hash32& path) const;

 private:
  struct Impl;
  Suite suite_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hearth
