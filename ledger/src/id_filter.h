// id_filter.h: a Bloom filter over transaction ids that grows with the chain, in front of the
// block store's tx index. "Is this id committed?" is asked for every transaction a node admits
// and again for every transaction of every block it stages, and the answer is almost always
// no. A LevelDB read answers no only after a binary search in the index block of one table per
// level (its Bloom filter is consulted after that search), ~2 µs; this filter answers most of
// them in well under 0.1 µs from memory, and a "maybe" still goes to the tx index.
//
// Invariant kept by BlockStore: every id that has a tx index entry was added here before the
// entry was written (at Open, from a scan of the index; at commit, before the batch is
// written). So MayContain(id) == false proves that no index entry exists; a true answer is
// checked against the index. An id added for a commit that then failed only costs a read.
//
// Layout: stages of cache-line blocks (512 bits), each stage sized for its capacity at
// kBitsPerId bits per id; when the newest stage is full a new one four times larger is added,
// so a filter of n ids holds at most ~4/3 n x kBitsPerId bits (1.5 MB per 10^6 ids at 12 bits)
// and has at most ~log4(n / kFirstCapacity) + 1 stages. An id picks one block per stage from its
// first 8 bytes and kProbes bits in it from the next 16; ids are hash outputs, so their bytes
// are already uniform (a crafted id can only cause false positives, i.e. extra reads).
// False-positive rate per full stage ~0.5 % (12 bits, 8 probes, blocked).
//
// Thread-safety: Add from one thread at a time (the store's commit lock); MayContain from
// any thread, concurrently with Add (atomic words; stages are published with release order).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "hearth/base/bytes.h"

namespace hearth::store_internal {

class IdFilter {
 public:
  static constexpr size_t kFirstCapacity = size_t{1} << 16;
  static constexpr size_t kBitsPerId = 12;
  static constexpr int kProbes = 8;
  static constexpr size_t kGrowth = 4;
  static constexpr size_t kStagesMax = 24;  // 2^16 x 4^23 ids: never reached

  IdFilter() = default;
  IdFilter(const IdFilter&) = delete;
  IdFilter& operator=(const IdFilter&) = delete;

  void Add(const Hash32& id);
  bool MayContain(const Hash32& id) const;
  // Ids added, and bytes of filter held.
  size_t size() const { return added_.load(std::memory_order_relaxed); }
  size_t bytes() const;

 private:
  static constexpr size_t kWordsPerBlock = 8;  // 512 bits
  struct Stage {
    explicit Stage(size_t capacity);
    size_t capacity;
    size_t blocks;
    std::unique_ptr<std::atomic<uint64_t>[]> words;
  };
  static void Probes(const Hash32& id, size_t blocks, size_t* block, std::array<uint16_t, kProbes>* bits);

  std::array<std::unique_ptr<Stage>, kStagesMax> stages_;
  std::atomic<size_t> stage_count_{0};
  size_t in_newest_ = 0;  // ids added to the newest stage (writer only)
  std::atomic<size_t> added_{0};
};

}  // namespace hearth::store_internal
