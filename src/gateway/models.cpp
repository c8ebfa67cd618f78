// GET /v1/models and /v1/models/{id}: the config's public models in OpenAI's shape; callers
// allowed to see routing get the model's routing facts under `tollbooth`.
#include "api/openai/models.hpp"
#include "core/text.hpp"
#include "gateway/caller.hpp"
#include "gateway/endpoints.hpp"
#include "gateway/gateway.hpp"
#include "gateway/plan_support.hpp"
#include "gateway/route_table.hpp"
#include "routing/explain.hpp"
#include "server/client_conn.hpp"
#include "server/worker.hpp"

namespace tollbooth::gateway {

namespace http = beast::http;

Awaitable<void> models(Gateway& g, ClientConn& c, const HttpRequest&, std::string_view path,
                       Caller& caller) {
  constexpr std::string_view kJson = "application/json";
  const auto& cfg = g.config;
  const long long created = g.worker.started_unix;
  // A key limited to some models sees only those.
  std::function<bool(std::string_view)> allowed;
  if (caller.principal)
    allowed = [&](std::string_view m) { return caller.principal->may_use_model(m); };
  if (path == "/v1/models") {
    co_await c.respond(200, kJson, openai::models_list_body(cfg, created, allowed));
    co_return;
  }
  auto id = path.substr(std::string_view("/v1/models/").size());
  // Checked before the model is looked up: a 404 would tell a restricted key what exists.
  if (auto refused = check_model(caller, id)) {
    co_await c.respond_error(*refused);
    co_return;
  }
  auto body = openai::model_body(cfg, id, created);
  if (body.empty()) {
    co_await c.respond_error(make_error(
        ErrorKind::not_found, "The model `" + excerpt_client_text(id) + "` does not exist", "model",
        "model_not_found"));
    co_return;
  }
  // Callers allowed to see routing get the model's routing facts (which clouds sell it, their
  // capabilities, windows, contracts and prices) under `tollbooth`; the rest stays OpenAI's.
  const auto& catalog = g.routes.catalog();
  if (const auto* model = catalog.find(id); model && caller.sees_routing) {
    body.pop_back();  // the closing brace of the model object
    body += R"(,"tollbooth":)";
    body += routing::model_facts_json(catalog, *model, utc_day(g.clock.unix_ms()));
    body += '}';
  }
  co_await c.respond(200, kJson, body);
}

}  // namespace tollbooth::gateway
