// commit_block.h: commits test transactions as the next block of a BlockStore with a real
// commit certificate (precommits of the first three of four node keys: a 2f+1 quorum), as
// the verify tests' chains need. Header time: time_base_ms + height × 1000 ms; proposer:
// height mod 4.
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "hearth/ledger/block.h"
#include "hearth/ledger/crypto.h"
#include "hearth/ledger/store.h"
#include "hearth/ledger/transaction.h"

namespace hearth::testing {

// REQUIRES: node_keys.size() >= 3.
inline void CommitBlockWithQuorum(BlockStore& store, Suite suite, const std::string& chain_id,
                                  std::span<const PrivateKey> node_keys, uint64_t time_base_ms,
                                  std::vector<Transaction> txs) {
  REQUIRE(node_keys.size() >= 3);
  auto roots = store.PreviewRoots(txs);
  INFO(roots.status().ToString());
  REQUIRE(roots.ok());
  Block b;
  b.header = {suite, chain_id, roots->height, roots->prev_hash, time_base_ms + roots->height * 1000,
              static_cast<uint16_t>(roots->height % 4), static_cast<uint32_t>(txs.size()), roots->tx_root,
              roots->log_size, roots->log_root, roots->index_root};
  b.txs = std::move(txs);
  CommitCertificate c;
  c.height = b.header.height;
  c.block_hash = BlockHash(b.header);
  for (uint16_t m = 0; m < 3; ++m) {
    auto sig = SignPrecommit(node_keys[m], chain_id, c.height, c.round, c.block_hash);
    REQUIRE(sig.ok());
    c.votes.push_back({m, *sig});
  }
  Status s = store.CommitBlock(b, c);
  INFO(s.ToString());
  REQUIRE(s.ok());
}

}  // namespace hearth::testing
