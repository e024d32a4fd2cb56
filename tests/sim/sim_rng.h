// sim_rng.h: the simulator's only source of randomness — xoshiro256** (Blackman & Vigna)
// seeded through splitmix64, so one 64-bit seed fixes a whole run. No std::random_device,
// no clocks: the same seed replays the same run step for step.
// Thread-safety: an Rng is used by one thread.
#pragma once

#include <cstdint>

#include "hearth/base/check.h"

namespace hearth::sim {

inline uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

class Rng {
 public:
  explicit Rng(uint64_t seed) {
    uint64_t sm = seed;
    for (uint64_t& w : s_) w = SplitMix64(&sm);
  }

  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, bound). REQUIRES: bound > 0. (Modulo bias is negligible for our bounds.)
  uint64_t Below(uint64_t bound) {
    HEARTH_CHECK(bound > 0);
    return Next() % bound;
  }
  // Uniform in [lo, hi]. REQUIRES: lo <= hi.
  uint64_t Range(uint64_t lo, uint64_t hi) {
    HEARTH_CHECK(lo <= hi);
    return lo + Below(hi - lo + 1);
  }
  // True with probability per_mille / 1000.
  bool Chance(uint32_t per_mille) { return Below(1000) < per_mille; }
  // A child generator for an independent stream (e.g. one per replica).
  Rng Fork() { return Rng(Next()); }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace hearth::sim
