#pragma once
// The planner: for one request and one model, which routes may serve it, in which order, and
// why each other route may not. Pure: everything it depends on (the date, the time, a random
// value, health) is passed in. No allocation: a Plan holds fixed arrays and is reused.
//
// Rules, in the order they are applied to each route (docs/routing.md):
//   0. pinned:   the request continues a conversation that lives at another provider
//                (a Responses `previous_response_id` an upstream keeps)
//   1. window:   today before available_from, or after until / license_until
//   2. region:   the caller's allowed regions do not match the provider's region or residency
//   3. cannot:   the route lacks a needed capability (or the request exceeds the context window)
//   4. declines: the route's contract declines this model, or a needed capability
//   5. unpriced: no price is in force today and billing.unpriced is refuse
//   6. health:   the route's circuit breaker is open
// Then the eligible routes are ordered: first-refusal contract routes first, then the rest,
// each group by the model's strategy. For commitment_burn the planner reads the catalog's burn
// table (atomics, routing/burn.hpp) as it finds it, and the plan keeps what it read.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <span>
#include <string>
#include <type_traits>

#include "routing/burn.hpp"
#include "routing/catalog.hpp"
#include "routing/health.hpp"

namespace tollbooth::routing {

struct PlanInput {
  CapabilitySet needs;
  std::uint32_t estimated_input_tokens = 0;
  std::uint32_t max_output_tokens = 0;  // 0 = not given
  bool has_output = true;               // false: the answer has no output tokens (embeddings)
  Days today = 0;                       // the UTC day (windows, prices)
  std::int64_t now_ms = 0;              // Unix ms (breakers)
  std::uint64_t random = 0;             // for strategy: weighted
  // Glob patterns ("us-*", "eu"); a route is allowed when one matches its provider's region or
  // residency label. Empty = every route.
  std::span<const std::string> allowed_regions;
  // Not empty: only routes of this provider may serve (the request continues a conversation
  // that lives there). The string outlives the plan's use.
  std::string_view pinned_provider;
};

// Why a route was placed where it is.
enum class Placement : std::uint8_t {
  first_refusal,  // its contract has first refusal
  ordered,
  weighted,
  least_cost,
  least_latency,
  commitment_burn,
};

// Why a route was not eligible.
enum class Rule : std::uint8_t {
  conversation_elsewhere,  // the conversation lives at Plan::pinned_provider()
  before_available_from,   // date = the first eligible day
  after_until,             // date = the last eligible day (route's or contract's until)
  after_license_until,     // date = the contract's license_until
  region_not_allowed,
  lacks_capability,     // capabilities = what it cannot serve
  over_context_window,  // tokens = input + output, model's context_window exceeded
  declined_model,       // contract = who declines
  declined_capability,  // capabilities = what is declined, contract = who declines
  unpriced,             // date = the day without a price in force (billing.unpriced: refuse)
  breaker_open,         // open_until_ms = when a probe may go
};

struct Candidate {
  RouteId route = 0;
  Placement placed_by = Placement::ordered;
};

struct Rejection {
  RouteId route = 0;
  Rule rule = Rule::lacks_capability;
  CapabilitySet capabilities;
  Days date = 0;
  std::int64_t open_until_ms = 0;
  std::uint64_t tokens = 0;
  int contract = -1;
};

class Plan {
 public:
  const CatalogModel* model() const noexcept { return model_; }
  CapabilitySet needs() const noexcept { return needs_; }  // long_context added when over window
  Days today() const noexcept { return today_; }           // the UTC day it was made for
  std::span<const Candidate> candidates() const noexcept {
    return {std::launder(reinterpret_cast<const Candidate*>(candidates_)), n_cand_};
  }
  std::span<const Rejection> rejected() const noexcept {
    return {std::launder(reinterpret_cast<const Rejection*>(rejected_)), n_rej_};
  }
  bool empty() const noexcept { return n_cand_ == 0; }
  // strategy commitment_burn: what candidate `i`'s contract had burned of its commitment when
  // the plan was made (its standing follows from the contract and the plan's day), as the order
  // used it. kBurnUnknown when no store was read, and for the other strategies.
  Money burned(std::size_t i) const noexcept {
    if (!by_burn_) return kBurnUnknown;
    Money m;
    std::memcpy(&m, burned_ + i * sizeof(Money), sizeof(Money));
    return m;
  }
  // When no route is eligible and some were refused only by an open breaker: the earliest time
  // one of them admits a request again (answer 503 with Retry-After). 0 otherwise.
  std::int64_t retry_at_ms() const noexcept;
  // When no route is eligible and some route was kept out only for want of a price (it passed
  // every rule before; billing.unpriced: refuse): pricing it would serve the request.
  bool refused_for_price() const noexcept;
  // PlanInput::pinned_provider, for explaining conversation_elsewhere.
  std::string_view pinned_provider() const noexcept { return pinned_; }

 private:
  friend void plan(const Catalog&, const CatalogModel&, const PlanInput&, const Health*,
                   Plan&) noexcept;
  const CatalogModel* model_ = nullptr;
  CapabilitySet needs_;
  Days today_ = 0;
  std::string_view pinned_;
  std::size_t n_cand_ = 0;
  std::size_t n_rej_ = 0;
  bool by_burn_ = false;  // burned_ holds n_cand_ figures
  // Storage for the entries, which plan() constructs as it writes them (n_cand_ and n_rej_ say
  // how many): a Plan is made for every request, and value-initializing all of them up front
  // (std::array<...>{}) cost about as much as planning itself.
  static_assert(std::is_trivially_copyable_v<Candidate> && std::is_trivially_copyable_v<Rejection>);
  static_assert(std::is_trivially_destructible_v<Candidate> &&
                std::is_trivially_destructible_v<Rejection>);
  alignas(Candidate) std::byte candidates_[sizeof(Candidate) * kMaxRoutesPerModel];
  alignas(Rejection) std::byte rejected_[sizeof(Rejection) * kMaxRoutesPerModel];
  alignas(Money) std::byte burned_[sizeof(Money) * kMaxRoutesPerModel];  // see burned()
};

// Fills `out` (overwriting it). `health` may be null: every breaker closed, no latency samples.
void plan(const Catalog& catalog, const CatalogModel& model, const PlanInput& input,
          const Health* health, Plan& out) noexcept;

}  // namespace tollbooth::routing
