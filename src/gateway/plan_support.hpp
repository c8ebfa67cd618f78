#pragma once
// What the chat flow needs around the routing planner: the clock and the
// answer when no route is eligible. Kept apart so chat.cpp stays one flat flow.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "routing/planner.hpp"

namespace tollbooth {

struct Config;

namespace gateway {

// The UTC day of a Unix time in milliseconds (contract windows are whole UTC days).
Days utc_day(std::int64_t unix_ms) noexcept;

// The answer when the plan has no candidate. An open breaker is 503 with `retry_after_s` set.
// A route kept out only for want of a price (billing.unpriced: refuse) is 503 no_priced_route.
// Every route held out by its capabilities (lacks, context window, declines) is the request's
// problem: 400 naming what is missing. Otherwise (windows, regions) 503. The message names
// each route and the rule that kept it out.
Error no_eligible_route(const routing::Catalog& catalog, const routing::Plan& plan,
                        std::int64_t now_ms, std::int64_t& retry_after_s);

}  // namespace gateway
}  // namespace tollbooth
