#include "core/capability.hpp"

#include <array>

namespace tollbooth {
namespace {
constexpr std::array<std::string_view, kCapabilityCount> kNames = {
    "tools",       "parallel_tools", "vision",        "json_schema",
    "json_object", "reasoning",      "responses_api", "long_context"};
}  // namespace

std::string_view capability_name(Capability c) noexcept {
  return kNames[static_cast<std::size_t>(c)];
}

std::optional<Capability> capability_from_name(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kNames.size(); ++i)
    if (kNames[i] == name) return static_cast<Capability>(i);
  return std::nullopt;
}

std::string capability_list(CapabilitySet set) {
  std::string out;
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (!set.has(static_cast<Capability>(i))) continue;
    if (!out.empty()) out += ", ";
    out += kNames[i];
  }
  return out.empty() ? "none" : out;
}

}  // namespace tollbooth
