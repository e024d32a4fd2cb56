// trust.h: what a genesis file tells the check engine and the receipt verifier
// (verify::Trust, engine.h): chain id, suite, f, genesis hash and, per member in genesis
// order, its agency, node key and genesis issuer keys. verify/ does not read genesis files;
// the node and the CLI build its Trust here.
// Thread-safety: a pure function.
#pragma once

#include "hearth/node/genesis.h"
#include "hearth/verify/engine.h"

namespace hearth::node {

// REQUIRES: `g` is valid (as from ParseGenesis). genesis_hash is GenesisHash(g).
verify::Trust TrustFromGenesis(const Genesis& g);

}  // namespace hearth::node
