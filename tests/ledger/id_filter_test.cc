// The committed-id Bloom filter in front of the block store's tx index (ledger/src/id_filter.h):
// no false negatives across its stage growth, a false-positive rate near its design, and
// readers concurrent with the one writer see every id published before they look.
#include <atomic>
#include <catch2/catch.hpp>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "../ledger/src/id_filter.h"
#include "hearth/ledger/crypto.h"

namespace hearth::testing {
namespace {

using store_internal::IdFilter;

Hash32 RandomId(std::mt19937_64& rng) {
  Hash32 h;
  for (size_t i = 0; i < Hash32::kSize; i += 8) {
    const uint64_t w = rng();
    std::memcpy(h.bytes.data() + i, &w, 8);
  }
  return h;
}

TEST_CASE("every added id is found, across stages, and unknown ids rarely are") {
  std::mt19937_64 rng(20261201);
  IdFilter f;
  CHECK_FALSE(f.MayContain(RandomId(rng)));  // empty: no stage, nothing found
  CHECK(f.bytes() == 0);
  // 1 + 4 + 16 first capacities: three stages.
  const size_t n = IdFilter::kFirstCapacity * 5 + 1000;
  std::vector<Hash32> ids;
  ids.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    ids.push_back(RandomId(rng));
    f.Add(ids.back());
  }
  CHECK(f.size() == n);
  for (const Hash32& id : ids) REQUIRE(f.MayContain(id));
  // Three stages at 12 bits per id of their capacity: 21 x 2^16 x 12 / 8 bytes.
  CHECK(f.bytes() == (IdFilter::kFirstCapacity * 21 * IdFilter::kBitsPerId) / 8);

  size_t positives = 0;
  const size_t probes = 200000;
  for (size_t i = 0; i < probes; ++i) positives += f.MayContain(RandomId(rng)) ? 1 : 0;
  const double rate = static_cast<double>(positives) / probes;
  INFO("false-positive rate " << rate);
  CHECK(rate < 0.02);  // ~0.5 % per full stage, the newest stage a quarter full
}

TEST_CASE("ids of real hashes: found after adding, and a near miss is not") {
  IdFilter f;
  std::vector<Hash32> ids;
  for (int i = 0; i < 1000; ++i) {
    ids.push_back(SuiteHash(Suite::kEd25519Sha256, AsBytes("tx " + std::to_string(i))));
    f.Add(ids.back());
  }
  for (const Hash32& id : ids) CHECK(f.MayContain(id));
  size_t positives = 0;
  for (int i = 1000; i < 11000; ++i) {
    positives += f.MayContain(SuiteHash(Suite::kEd25519Sha256, AsBytes("tx " + std::to_string(i)))) ? 1 : 0;
  }
  CHECK(positives < 10);  // 1 000 ids in a 65 536-id stage: nearly empty
}

TEST_CASE("a reader concurrent with the writer finds every id published to it") {
  std::mt19937_64 rng(7);
  const size_t n = IdFilter::kFirstCapacity * 2;  // the writer adds a stage meanwhile
  std::vector<Hash32> ids;
  for (size_t i = 0; i < n; ++i) ids.push_back(RandomId(rng));
  IdFilter f;
  std::atomic<size_t> published{0};
  std::atomic<size_t> missing{0};
  std::thread reader([&] {
    size_t checked = 0;
    while (checked < n) {
      const size_t upto = published.load(std::memory_order_acquire);
      for (; checked < upto; ++checked) {
        if (!f.MayContain(ids[checked])) missing.fetch_add(1);
      }
    }
  });
  for (size_t i = 0; i < n; ++i) {
    f.Add(ids[i]);
    published.store(i + 1, std::memory_order_release);
  }
  reader.join();
  CHECK(missing.load() == 0);
}

}  // namespace
}  // namespace hearth::testing
