#pragma once
// What happened to one request, typed: filled by the server (the request line, status, bytes,
// times) and by the gateway (model, facts, plan, each attempt, usage, the serving route), and
// handed to observers once, at the single exit every request passes through (served, refused
// before routing, failed, the client gone, an exception). The access log is one observer;
// budgets, the ledger and metrics are others.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/capability.hpp"
#include "core/cost.hpp"
#include "core/error.hpp"
#include "core/money.hpp"
#include "core/usage.hpp"

namespace tollbooth {

// Which front (API) a request came in on.
enum class Front : std::uint8_t {
  none,              // refused before dispatch, or an unknown endpoint
  chat_completions,  // POST /v1/chat/completions
  responses,         // POST /v1/responses (and GET, refused: no WebSocket)
  embeddings,        // POST /v1/embeddings
  models,            // GET /v1/models[/{id}]
  health,            // /healthz, /readyz
  admin,             // /admin/v1/...
  metrics,           // GET /metrics
  dashboard,         // GET /ui/... (the dashboard's files)
};
std::string_view front_name(Front f) noexcept;

// Why a request stopped before its answer was complete.
enum class Abort : std::uint8_t {
  none,
  client_gone,  // the client closed or reset its connection (status 499, nothing sent)
  shutdown,     // drain_timeout: the gateway cut what was still in flight
};

// How one attempt on one route ended.
enum class AttemptEnd : std::uint8_t {
  served,          // the client has its answer (success, or the upstream's 4xx passed through)
  failed,          // nothing reached the client and no upstream began an answer: next route
  refused,         // the route could not carry the request (a translation 400), nothing sent
  failed_final,    // the upstream began a 2xx answer and then failed: never re-sent
  failed_in_band,  // failed after the stream started: reported in-band
  aborted,         // the client went away, or the drain cut the request
};
std::string_view attempt_end_name(AttemptEnd e) noexcept;

// Why the gateway itself refused a request, for the metrics: the limits' and budgets' refusals
// and the gateway's own overload, apart from every other error it answers.
enum class GatewayRefusal : std::uint8_t {
  none,                // not refused by the gateway (or refused for another reason)
  rate_limit,          // rate_limit_exceeded: a key's or team's rpm, tpm or max_parallel
  budget,              // budget_exceeded: a key's or team's hard budget
  limits_unavailable,  // rate_limit_unavailable / budget_unavailable: Redis out of reach
  ledger_backlog,      // the ledger's writer has fallen behind
};
// The refusal an error code says ("rate_limit_exceeded" → rate_limit), none for any other.
GatewayRefusal refusal_of(std::string_view error_code) noexcept;
std::string_view refusal_name(GatewayRefusal r) noexcept;

// What an attempt's usage costs, is charged and owes its contract (gateway/billing.hpp): the
// figures the budget settles, the ledger keeps, the access log and the metrics count, and the
// terms they were made at (the ledger row keeps them).
struct AttemptBill {
  bool priced = false;  // a price was in force (else all 0)
  Money cost = 0;
  Money charge = 0;
  Money toll_due = 0;  // before the revenue share's cap
  TokenPrices prices;  // the list prices in force
  std::int32_t discount_bp = 0;
  std::int32_t markup_bp = 0;
  Money toll_cap_micros = -1;  // -1: no cap
  Money commitment_burn = 0;
  bool in_commitment = false;  // the day was inside the contract's commitment period
};

struct AttemptRecord {
  std::uint32_t route = 0;    // the routing catalog's RouteId
  std::string_view provider;  // config name; lives as long as the config
  AttemptEnd end = AttemptEnd::failed;
  int upstream_status = 0;                // 0 when the upstream never answered
  ErrorKind error = ErrorKind::internal;  // when it did not serve
  std::string message;                    // when it did not serve: what went wrong, with the detail
  std::int64_t ttfb_us = 0;               // request sent → response head
  std::int64_t latency_ms = 0;            // request arrival → this attempt's end
  // Its request starting upstream (connect included) → the attempt's end: the upstream's part of
  // the request's time (a stream's writes to the client included).
  std::int64_t upstream_us = 0;
  bool reused_connection = false;  // answered on a pooled connection (not a new one)
  // What the upstream reported (usage.reported), or, for a stream the client left, an
  // estimate of what was delivered (usage.reported false, tokens set); all 0 when neither.
  Usage usage;
  // Its bill, made once when the attempt is recorded (`billed`), when it has usage.
  bool billed = false;
  AttemptBill bill;
};

struct RequestOutcome {
  using Steady = std::chrono::steady_clock::time_point;

  // The server's part.
  // The gateway's id of the request: unique in the process's run, the ledger's and the
  // translated answers' (chatcmpl-/resp_ ids). The answer's x-request-id, unless the client
  // sent its own.
  std::string_view request_id;
  // The client's x-request-id when it sent a usable one (1 to 64 of A-Z a-z 0-9 . _ : -):
  // answered back as x-request-id and logged beside request_id, so a client's id finds the
  // request in the log; never used as a key (a client may send the same id twice).
  std::string_view client_request_id;
  GatewayRefusal refusal = GatewayRefusal::none;  // set when the gateway answers its own error
  std::string_view method;                        // the client's bytes: excerpt before showing
  std::string_view target;
  int status = 0;  // sent to the client; 499 when the client left first
  Abort abort = Abort::none;
  std::uint64_t bytes_in = 0;   // request body
  std::uint64_t bytes_out = 0;  // response body and framing, as written
  Steady received{};            // first byte of the request
  Steady first_byte{};          // first byte of the response (epoch when none)
  Steady done{};
  std::int64_t received_unix_ms = 0;

  // The gateway's part.
  Front front = Front::none;
  // The config generation the request is served on (a reload starts the next); 0 when it was
  // refused before the gateway took it.
  std::uint64_t config_generation = 0;
  std::string key_id;          // the caller's virtual key, when it presented one (never the secret)
  std::string team;            // that key's team, if any
  std::int32_t markup_bp = 0;  // that team's markup on cost, basis points
  std::string model;           // as the client named it (client text)
  bool stream = false;
  CapabilitySet needs{};
  std::uint32_t estimated_input_tokens = 0;
  std::uint32_t max_output_tokens = 0;
  std::string plan;  // the plan in words ("needs=... plan=..."), when the access log is on
  std::vector<AttemptRecord> attempts;
  std::string_view route;  // provider that served; empty when none did
  Usage usage;             // of the serving attempt
  // Set by the relay while it writes the serving attempt's last bytes, before the flow records
  // that attempt: its route, so the settle that runs before those bytes (AnswerEndHook) bills
  // it with `usage`. Cleared when the attempt is recorded.
  bool answer_unrecorded = false;
  std::uint32_t answer_route = 0;
  // That attempt's charge when the relay billed it already (for x-tollbooth-cost), so the
  // settle does not price the same usage again; -1: not billed yet.
  Money answer_charge = -1;

  // Clears for the next request on the connection, keeping the capacity of its buffers.
  void reset() noexcept;
};

// Receives every request's outcome once, on the worker's thread, when the request is complete.
// The views in the outcome are valid only during the call: copy what is kept.
class OutcomeObserver {
 public:
  virtual ~OutcomeObserver() = default;
  virtual void on_outcome(const RequestOutcome& outcome) noexcept = 0;
};

}  // namespace tollbooth
