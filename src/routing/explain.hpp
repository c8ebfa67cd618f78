#pragma once
// Plans and the catalog as text: for `tollbooth route --explain` (lines), the access log (one
// compact line), the `x-tollbooth-plan` response header, `tollbooth models` and the
// `tollbooth` facts of GET /v1/models/{id}. Only called when a plan is shown, never to decide.
#include <cstdint>
#include <string>
#include <vector>

#include "routing/catalog.hpp"
#include "routing/planner.hpp"

namespace tollbooth::routing {

// "first_refusal", "ordered", ...
std::string_view placement_name(Placement p) noexcept;
// "before_available_from", "lacks_capability", ...
std::string_view rule_name(Rule r) noexcept;

// Human text for one rejection of `plan`: "lacks capability vision",
// "after license_until 2032-12-31 (contract microsoft)", "breaker open for 12s more",
// "unpriced on 2027-01-15: its first price takes effect on 2027-02-01 (billing.unpriced: ...)".
std::string rejection_text(const Catalog& catalog, const Plan& plan, const Rejection& r,
                           std::int64_t now_ms);

// One line per route: the eligible ones in plan order (numbered, with the price in force on
// the plan's day; for strategy commitment_burn followed by a line with the contract's burn
// against its pro-rata target: "microsoft burned $12.5 of $40 due by 2027-01-15: $27.5 behind"),
// then the others with the rule that kept them out, after a heading naming the model, its
// strategy and the needs.
std::vector<std::string> explain_lines(const Catalog& catalog, const Plan& plan,
                                       std::int64_t now_ms);

// The x-tollbooth-plan value: label=placement;... then label=skip:rule(detail);...
// e.g. "azure-east=first_refusal;bedrock-us=skip:before_available_from(2026-12-01)". A route
// placed by commitment_burn carries its contract's burn and target in USD:
// "azure-east=commitment_burn(microsoft:12.5/40)" ("?" when the burn is not known), or
// "openai=commitment_burn(-)" without a commitment in force.
// Visible ASCII only, no commas, so it is one header field.
std::string plan_header(const Catalog& catalog, const Plan& plan, std::int64_t now_ms);
// The same, appended to `out` (the request path reuses its buffers).
void append_plan_header(std::string& out, const Catalog& catalog, const Plan& plan,
                        std::int64_t now_ms);

// The access log's routing fields (the line already names the model):
// "needs=vision plan=<plan_header>".
std::string plan_log_line(const Catalog& catalog, const Plan& plan, std::int64_t now_ms);
void append_plan_log_line(std::string& out, const Catalog& catalog, const Plan& plan,
                          std::int64_t now_ms);

// One model's routing facts as a JSON object (the `tollbooth` field of GET /v1/models/{id}):
// context_window, capabilities, strategy and per route its capabilities, window (and whether
// `today` is inside it), contract, the price in force on `today` after the discount
// (`price_usd`, with its effective_from and source; null when unpriced) and every dated list
// price (`price_history`); USD per million tokens as decimal strings so no precision is lost.
std::string model_facts_json(const Catalog& catalog, const CatalogModel& model, Days today);

// `tollbooth models`: per public model, the routes that sell it, each with the price in force
// on `today` and the prices still to come.
std::string catalog_text(const Catalog& catalog, Days today);

// Basis points as a percentage: 1'250 -> "12.5".
std::string format_percent(BasisPoints bp);

// The price of `route` in force on `day`, after its contract's discount:
// "$1.125/$9 per Mtok in/out (10% off $1.25/$10) from 2025-08-07"; "unpriced" when none.
std::string price_text(const CatalogRoute& route, Days day);

}  // namespace tollbooth::routing
