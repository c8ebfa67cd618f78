#include "gateway/dashboard.hpp"

namespace tollbooth::gateway {

const DashboardAsset* find_dashboard_asset(std::string_view name) noexcept {
  if (name.empty()) name = "index.html";
  for (const DashboardAsset& a : dashboard_assets())
    if (a.name == name) return &a;
  return nullptr;
}

}  // namespace tollbooth::gateway
