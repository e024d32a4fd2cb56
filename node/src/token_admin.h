// token_admin.h (private to node/): the node's API principals at run time — the tokens of
// node.json plus those an admin issued or revoked through the API (`hearth token`).
//
// node.json's "tokens" stay as written (the operator's file). What admins change is kept
// in <data_dir>/tokens-issued.json (0600, hashes only, replaced atomically and synced):
//   {"issued": {"<principal>": {TokenStore entry}}, "revoked": ["<config principal>", ...]}
// The principals in force are node.json's minus "revoked", plus "issued".
//
// Contract:
//  - Issue mints a token (tokens.h MintToken), writes the overlay file, then adds the
//    principal; the token text is returned once and never stored. AlreadyExists when a
//    principal of that name is in force; InvalidArgument for a bad name, role/agency or ttl.
//  - Revoke writes the overlay, then removes the principal: requests after it returns are
//    refused (401). NotFound for a name not in force.
//  - When the overlay cannot be written the call fails with IOError and nothing changes.
//  - Open fails (naming the file and field) on an overlay that does not parse; a missing
//    overlay file means no changes.
// Thread-safety: every method from any thread; admin calls are serialised.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hearth/api/tokens.h"
#include "hearth/base/status.h"

namespace hearth::node {

inline constexpr uint32_t kTokenTtlDaysMax = 3650;

class TokenAdmin {
 public:
  static Result<std::unique_ptr<TokenAdmin>> Open(const nlohmann::json& config_tokens, std::string overlay_path);

  // What the API server authenticates against (lives as long as this object).
  api::TokenStore* store() { return &store_; }

  struct Listed {
    api::Principal principal;
    bool issued = false;  // false: from node.json
  };
  std::vector<Listed> List() const;

  struct Issued {
    std::string token;
    uint64_t expires_ms = 0;
  };
  Result<Issued> Issue(const std::string& name, api::Role role, std::optional<Agency> agency, uint32_t ttl_days,
                       uint64_t now_ms);
  Status Revoke(const std::string& name);

 private:
  TokenAdmin() = default;
  Status WriteOverlay(const nlohmann::json& overlay) const;

  mutable std::mutex mu_;  // serialises Issue/Revoke and guards overlay_
  std::string path_;
  nlohmann::json overlay_;  // {"issued": {...}, "revoked": [...]}
  api::TokenStore store_;
};

}  // namespace hearth::node
