#include "access/records.hpp"

#include <array>

namespace tollbooth::access {
namespace {

// Indexed by the enum's value, so a new scope without a name fails to compile (size check).
constexpr std::array<std::string_view, kScopeCount> kScopeNames = {
    "chat", "responses", "embeddings", "models", "routing:explain", "admin", "metrics",
};

}  // namespace

std::string_view budget_period_name(BudgetPeriod p) noexcept {
  switch (p) {
    case BudgetPeriod::day: return "day";
    case BudgetPeriod::week: return "week";
    case BudgetPeriod::month: return "month";
    case BudgetPeriod::total: return "total";
  }
  return "month";
}

std::optional<BudgetPeriod> parse_budget_period(std::string_view name) noexcept {
  for (auto p : {BudgetPeriod::day, BudgetPeriod::week, BudgetPeriod::month, BudgetPeriod::total})
    if (name == budget_period_name(p)) return p;
  return std::nullopt;
}

std::string_view scope_name(Scope s) noexcept {
  auto i = static_cast<std::size_t>(s);
  return i < kScopeNames.size() ? kScopeNames[i] : std::string_view{};
}

std::optional<Scope> parse_scope(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kScopeNames.size(); ++i) {
    if (kScopeNames[i] == name) return static_cast<Scope>(i);
  }
  return std::nullopt;
}

}  // namespace tollbooth::access
