#pragma once
// The endpoints the gateway serves, each a function of the gateway, one request and who is
// asking; and the checks around them (gateway/auth.cpp). I/O header: include only from gateway
// .cpp files.
#include <optional>
#include <string_view>

#include "access/budget.hpp"
#include "access/records.hpp"
#include "core/error.hpp"
#include "server/handler.hpp"

namespace tollbooth {
class ClientConn;
namespace routing {
class Plan;
}
namespace gateway {
class Gateway;
struct Caller;

// POST /v1/chat/completions (chat.cpp).
Awaitable<void> chat_completions(Gateway& g, ClientConn& c, const HttpRequest& req,
                                 std::string_view path, Caller& caller);
// POST /v1/responses (responses.cpp).
Awaitable<void> responses(Gateway& g, ClientConn& c, const HttpRequest& req, std::string_view path,
                          Caller& caller);
// GET /v1/responses (responses.cpp): a WebSocket upgrade, refused with 426 so that Codex CLI
// goes on over HTTP at once.
Awaitable<void> responses_websocket(Gateway& g, ClientConn& c, const HttpRequest& req,
                                    std::string_view path, Caller& caller);
// GET /v1/responses/{id}, GET /v1/responses/{id}/input_items, DELETE /v1/responses/{id}
// (kept_responses.cpp): the caller's kept responses.
Awaitable<void> kept_response(Gateway& g, ClientConn& c, const HttpRequest& req,
                              std::string_view path, Caller& caller);
// POST /v1/embeddings (embeddings.cpp).
Awaitable<void> embeddings(Gateway& g, ClientConn& c, const HttpRequest& req, std::string_view path,
                           Caller& caller);
// GET /v1/models and /v1/models/{id} (models.cpp).
Awaitable<void> models(Gateway& g, ClientConn& c, const HttpRequest& req, std::string_view path,
                       Caller& caller);
// /admin/v1/... (admin_api.cpp): keys, teams, the audit log, run on the store's thread.
Awaitable<void> admin_api(Gateway& g, ClientConn& c, const HttpRequest& req, std::string_view path,
                          Caller& caller);

// Who is asking (auth.cpp): fills `caller` from the request's Authorization or api-key header,
// the snapshot and the auth mode, and checks it holds `needed`. An Error (401 or 403) refuses
// the request.
std::optional<Error> identify(Gateway& g, const HttpRequest& req, access::Scope needed,
                              Caller& caller);

// Whether the caller may use `model` (its key's and team's model lists): a 403 naming the rule
// when not. Every front checks through here before planning, so no route skips it.
std::optional<Error> check_model(const Caller& caller, std::string_view model);

// Admits the request against its key's and team's rate limits, reserving `tokens` against tpm.
// Appends the x-ratelimit-* headers to the answer's headers; a 429 (with Retry-After in
// `extra_headers`) when a limit says no.
// The local limiter's admission (no suspension, no coroutine frame on the request path).
std::optional<Error> admit(Gateway& g, ClientConn& c, Caller& caller, std::int64_t tokens,
                           std::string& extra_headers);
// With store.redis, a limited key's counters are Redis's (counts_in_redis): admit_shared asks
// it; while it cannot be reached, store.redis_failure decides (fail_closed: a 503 naming it).
bool counts_in_redis(Gateway& g, const Caller& caller) noexcept;
Awaitable<std::optional<Error>> admit_shared(Gateway& g, ClientConn& c, Caller& caller,
                                             std::int64_t tokens, std::string& extra_headers);

// Reserves the request's worst case (`input_tokens` and `output_tokens` at the most expensive
// candidate of `plan`, after discount and markup) against its key's and team's budgets; a 429
// `budget_exceeded` naming the budget, what is spent and reserved, the limit and when it resets.
std::optional<Error> admit_budget(Gateway& g, ClientConn& c, Caller& caller,
                                  const routing::Plan& plan, std::int64_t input_tokens,
                                  std::int64_t output_tokens, std::string& extra_headers);

// With store.redis, budgets are Redis's: the same reservation, asked of the shared counters;
// while Redis cannot be reached, store.redis_failure decides (fail_closed: a 503 naming it).
Awaitable<std::optional<Error>> admit_budget_shared(Gateway& g, ClientConn& c, Caller& caller,
                                                    const routing::Plan& plan,
                                                    std::int64_t input_tokens,
                                                    std::int64_t output_tokens,
                                                    std::string& extra_headers);

// The soft limit's event (a log line): a budget's spend reached its soft_percent.
void log_soft_crossing(const access::SoftCrossing& crossing);

// Right before the answer's last bytes (Gateway::handle's AnswerEndHook), or after the endpoint
// when it wrote none: corrects the tpm reservation with the usage the upstream reported and
// frees the max_parallel slot; settles the budget reservation to the request's charge (the sum
// of its attempts' bills: a fallback after a partial answer pays both).
void settle(Gateway& g, ClientConn& c, Caller& caller) noexcept;

// The error as this caller may see it: callers without routing:explain get the message without
// the gateway's insides (routes, providers, what a cloud said).
Error for_caller(const Caller& caller, Error e);

}  // namespace gateway
}  // namespace tollbooth
