#include "token_admin.h"

#include <algorithm>
#include <filesystem>

#include "hearth/json/json_fields.h"
#include "hearth/node/files.h"

namespace hearth::node {

namespace {
constexpr size_t kOverlayBytesMax = 4 << 20;
constexpr uint64_t kDayMs = 86'400'000;
}  // namespace

Result<std::unique_ptr<TokenAdmin>> TokenAdmin::Open(const nlohmann::json& config_tokens, std::string overlay_path) {
  std::unique_ptr<TokenAdmin> a(new TokenAdmin());
  a->path_ = std::move(overlay_path);
  HEARTH_ASSIGN_OR_RETURN(a->store_, api::TokenStore::FromJson(config_tokens));
  a->overlay_ = {{"issued", nlohmann::json::object()}, {"revoked", nlohmann::json::array()}};
  std::error_code ec;
  if (!std::filesystem::exists(a->path_, ec)) return a;
  HEARTH_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(a->path_, kOverlayBytesMax));
  const std::string where = "tokens overlay " + a->path_;
  Result<nlohmann::json> parsed = hearth::ParseJsonStrict(text, "overlay", kOverlayBytesMax, 4);
  if (!parsed.ok()) return parsed.status().Annotate(where);
  if (!parsed->is_object()) return Status::InvalidArgument(where + ": expected a JSON object");
  hearth::JsonFields f(*parsed, "overlay");
  const nlohmann::json* issued = nullptr;
  const nlohmann::json* revoked = nullptr;
  Status st = f.Object("issued", &issued);
  if (st.ok()) st = f.Array("revoked", &revoked);
  if (st.ok()) st = f.Finish();
  if (!st.ok()) return st.Annotate(where);
  for (size_t i = 0; i < revoked->size(); ++i) {
    const nlohmann::json& n = (*revoked)[i];
    if (!n.is_string()) return Status::InvalidArgument(where + ": overlay.revoked[" + std::to_string(i) + "]: expected a string");
    (void)a->store_.Remove(n.get<std::string>());  // a name no longer in node.json: nothing to remove
  }
  // Validates every entry the way node.json's are validated.
  Result<api::TokenStore> extra = api::TokenStore::FromJson(*issued);
  if (!extra.ok()) return extra.status().Annotate(where + ": overlay.issued");
  for (const api::Principal& p : extra->Principals()) {
    HEARTH_ASSIGN_OR_RETURN(Hash32 h, Hash32::FromHex((*issued)[p.name]["token_sha256"].get<std::string>()));
    Status add = a->store_.Add(p, h);
    if (!add.ok()) return add.Annotate(where + ": overlay.issued." + p.name);
  }
  a->overlay_ = std::move(*parsed);
  return a;
}

std::vector<TokenAdmin::Listed> TokenAdmin::List() const {
  std::lock_guard lock(mu_);
  std::vector<Listed> out;
  for (const api::Principal& p : store_.Principals()) out.push_back({p, overlay_["issued"].contains(p.name)});
  return out;
}

Status TokenAdmin::WriteOverlay(const nlohmann::json& overlay) const {
  return ReplaceFile(path_, overlay.dump(2) + "\n", 0600);
}

Result<TokenAdmin::Issued> TokenAdmin::Issue(const std::string& name, api::Role role, std::optional<Agency> agency,
                                             uint32_t ttl_days, uint64_t now_ms) {
  HEARTH_RETURN_IF_ERROR(api::CheckPrincipalName("principal", name));
  if (ttl_days == 0 || ttl_days > kTokenTtlDaysMax) {
    return Status::InvalidArgument("ttl_days: expected 1.." + std::to_string(kTokenTtlDaysMax));
  }
  if ((role == api::Role::kAgency || role == api::Role::kCaseworker) && !agency) {
    return Status::InvalidArgument("agency: the " + std::string(api::RoleName(role)) + " role needs an agency");
  }
  std::lock_guard lock(mu_);
  if (store_.Find(name)) return Status::AlreadyExists("principal " + name + " exists; revoke it first");
  HEARTH_ASSIGN_OR_RETURN(api::MintedToken minted, api::MintToken());
  api::Principal p{name, role, agency, now_ms + uint64_t{ttl_days} * kDayMs};
  nlohmann::json next = overlay_;
  next["issued"][name] = api::TokenEntryJson(minted.token_sha256, role, agency, p.expires_ms);
  HEARTH_RETURN_IF_ERROR(store_.Add(p, minted.token_sha256).Annotate("issue"));
  Status written = WriteOverlay(next);
  if (!written.ok()) {
    HEARTH_CHECK(store_.Remove(name).ok());
    return written;
  }
  overlay_ = std::move(next);
  return Issued{std::move(minted.token), p.expires_ms};
}

Status TokenAdmin::Revoke(const std::string& name) {
  std::lock_guard lock(mu_);
  if (!store_.Find(name)) return Status::NotFound("no principal named " + name);
  nlohmann::json next = overlay_;
  if (next["issued"].contains(name)) {
    next["issued"].erase(name);
  } else {
    next["revoked"].push_back(name);
  }
  HEARTH_RETURN_IF_ERROR(WriteOverlay(next));
  HEARTH_CHECK(store_.Remove(name).ok());
  overlay_ = std::move(next);
  return Status::Ok();
}

}  // namespace hearth::node
