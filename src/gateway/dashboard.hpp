#pragma once
// The operator's dashboard (/ui/): the files ui/build.mjs bundled, embedded at build time by
// cmake/embed_assets.cmake. They hold no data: the page asks for an admin key and calls the
// admin API and /metrics with it, so the files are served without one.
#include <span>
#include <string_view>

namespace tollbooth::gateway {

struct DashboardAsset {
  std::string_view name;  // "index.html", "app.js", ...
  std::string_view content_type;
  std::string_view bytes;
  std::string_view etag;  // quoted, a hash of the bytes
};

// Every embedded file (the generated dashboard_assets.cpp).
std::span<const DashboardAsset> dashboard_assets() noexcept;

// The asset `/ui/<name>` names ("" for index.html), or null.
const DashboardAsset* find_dashboard_asset(std::string_view name) noexcept;

}  // namespace tollbooth::gateway
