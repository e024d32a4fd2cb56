#include "id_filter.h"

#include <cstring>

#include "hearth/base/check.h"

namespace hearth::store_internal {
namespace {

uint64_t Word(const Hash32& id, size_t offset) {
  uint64_t w = 0;
  std::memcpy(&w, id.bytes.data() + offset, sizeof w);
  return w;
}

}  // namespace

IdFilter::Stage::Stage(size_t cap)
    : capacity(cap),
      blocks((cap * kBitsPerId + 511) / 512),
      words(new std::atomic<uint64_t>[blocks * kWordsPerBlock]) {
  for (size_t i = 0; i < blocks * kWordsPerBlock; ++i) words[i].store(0, std::memory_order_relaxed);
}

void IdFilter::Probes(const Hash32& id, size_t blocks, size_t* block,
                      std::array<uint16_t, kProbes>* bits) {
  static_assert(sizeof(Hash32{}.bytes) >= 24);
  // The block: the first word's top 32 bits scaled into [0, blocks) (blocks < 2^32, checked
  // when the stage is made).
  *block = static_cast<size_t>(((Word(id, 0) >> 32) * blocks) >> 32);
  // kProbes bit positions of 9 bits each from the next two words.
  const uint64_t a = Word(id, 8);
  const uint64_t b = Word(id, 16);
  for (int i = 0; i < kProbes; ++i) {
    const uint64_t w = i < 7 ? a >> (9 * i) : b;
    (*bits)[static_cast<size_t>(i)] = static_cast<uint16_t>(w & 511);
  }
}

void IdFilter::Add(const Hash32& id) {
  size_t n = stage_count_.load(std::memory_order_relaxed);
  if (n == 0 || in_newest_ >= stages_[n - 1]->capacity) {
    HEARTH_CHECK(n < kStagesMax);
    const size_t capacity = n == 0 ? kFirstCapacity : stages_[n - 1]->capacity * kGrowth;
    HEARTH_CHECK(capacity * kBitsPerId / 512 < (uint64_t{1} << 32));
    stages_[n] = std::make_unique<Stage>(capacity);
    stage_count_.store(n + 1, std::memory_order_release);
    ++n;
    in_newest_ = 0;
  }
  Stage& s = *stages_[n - 1];
  size_t block = 0;
  std::array<uint16_t, kProbes> bits{};
  Probes(id, s.blocks, &block, &bits);
  std::atomic<uint64_t>* words = &s.words[block * kWordsPerBlock];
  for (uint16_t bit : bits) {
    words[bit >> 6].fetch_or(uint64_t{1} << (bit & 63), std::memory_order_relaxed);
  }
  ++in_newest_;
  added_.fetch_add(1, std::memory_order_relaxed);
}

bool IdFilter::MayContain(const Hash32& id) const {
  const size_t n = stage_count_.load(std::memory_order_acquire);
  std::array<uint16_t, kProbes> bits{};
  for (size_t k = 0; k < n; ++k) {
    const Stage& s = *stages_[k];
    size_t block = 0;
    Probes(id, s.blocks, &block, &bits);
    const std::atomic<uint64_t>* words = &s.words[block * kWordsPerBlock];
    bool all = true;
    for (uint16_t bit : bits) {
      if ((words[bit >> 6].load(std::memory_order_relaxed) & (uint64_t{1} << (bit & 63))) == 0) {
        all = false;
        break;
      }
    }
    if (all) return true;
  }
  return false;
}

size_t IdFilter::bytes() const {
  const size_t n = stage_count_.load(std::memory_order_acquire);
  size_t total = 0;
  for (size_t k = 0; k < n; ++k) total += stages_[k]->blocks * kWordsPerBlock * sizeof(uint64_t);
  return total;
}

}  // namespace hearth::store_internal
