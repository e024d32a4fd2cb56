// TrustFromGenesis (trust.h).
#include "hearth/node/trust.h"

namespace hearth::node {

verify::Trust TrustFromGenesis(const Genesis& g) {
  verify::Trust t;
  t.chain_id = g.chain_id;
  t.suite = g.suite;
  t.f = g.f;
  t.genesis_hash = GenesisHash(g);
  t.members.reserve(g.members.size());
  for (const GenesisMember& m : g.members) {
    t.members.push_back(verify::TrustMember{m.agency, m.node_key, m.issuer_keys});
  }
  return t;
}

}  // namespace hearth::node
