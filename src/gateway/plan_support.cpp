#include "gateway/plan_support.hpp"

#include "config/config.hpp"
#include "routing/explain.hpp"

namespace tollbooth::gateway {

Days utc_day(std::int64_t unix_ms) noexcept {
  constexpr std::int64_t kDay = 86'400'000;
  return static_cast<Days>(unix_ms >= 0 ? unix_ms / kDay : (unix_ms - kDay + 1) / kDay);
}

Error no_eligible_route(const routing::Catalog& catalog, const routing::Plan& plan,
                        std::int64_t now_ms, std::int64_t& retry_after_s) {
  using routing::Rule;
  bool request_problem = !plan.rejected().empty();
  std::string list;
  for (const auto& r : plan.rejected()) {
    request_problem &= r.rule == Rule::lacks_capability || r.rule == Rule::over_context_window ||
                       r.rule == Rule::declined_capability || r.rule == Rule::declined_model;
    if (!list.empty()) list += "; ";
    list += catalog.route(r.route).label + ": " + routing::rejection_text(catalog, plan, r, now_ms);
  }
  const std::string& model = plan.model()->name;
  retry_after_s = 0;
  if (std::int64_t at = plan.retry_at_ms(); at > 0) {
    retry_after_s = std::max<std::int64_t>(1, (at - now_ms + 999) / 1000);
    return make_error(ErrorKind::unavailable,
                      "model `" + model +
                          "` is unavailable: its routes' circuit breakers are open (" + list + ")",
                      {}, "circuit_open");
  }
  if (plan.refused_for_price()) {
    return make_error(ErrorKind::unavailable,
                      "model `" + model +
                          "` has no route with a price in force, and billing.unpriced is refuse: "
                          "a route without a price is not used (" +
                          list + ")",
                      {}, "no_priced_route");
  }
  bool elsewhere = !plan.rejected().empty();
  for (const auto& r : plan.rejected()) elsewhere &= r.rule == Rule::conversation_elsewhere;
  if (elsewhere) {
    return make_error(ErrorKind::invalid_request,
                      "model `" + model + "` has no route at provider " +
                          std::string(plan.pinned_provider()) +
                          ", where the conversation of previous_response_id lives (" + list + ")",
                      "previous_response_id", "conversation_elsewhere");
  }
  if (request_problem) {
    return make_error(ErrorKind::invalid_request,
                      "model `" + model +
                          "` cannot serve this request: no route offers what it "
                          "needs (" +
                          list + ")",
                      "model", "capability_not_available");
  }
  return make_error(ErrorKind::unavailable,
                    "model `" + model + "` has no route that may serve now (" + list + ")", {},
                    "no_route_available");
}

}  // namespace tollbooth::gateway
