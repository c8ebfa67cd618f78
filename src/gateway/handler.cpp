#include "gateway/handler.hpp"

#include "api/openai/models.hpp"
#include "core/text.hpp"
#include "gateway/plan_support.hpp"
#include "gateway/route_table.hpp"
#include "routing/explain.hpp"
#include "server/client_conn.hpp"
#include "server/request_target.hpp"
#include "server/worker.hpp"

namespace tollbooth {

namespace http = beast::http;

namespace {

constexpr std::string_view kJson = "application/json";

Awaitable<void> wrong_method(ClientConn& c, std::string_view allowed) {
  std::string allow = "Allow: " + std::string(allowed) + "\r\n";
  co_await c.respond_error(
      make_error(ErrorKind::method_not_allowed, "this endpoint accepts " + std::string(allowed)),
      allow);
}

Awaitable<void> models(ClientConn& c, const HttpRequest& req, std::string_view path) {
  const auto& cfg = c.worker.config;
  if (path == "/v1/models") {
    co_await c.respond(200, kJson, openai::models_list_body(cfg, c.worker.started_unix));
    co_return;
  }
  auto id = path.substr(std::string_view("/v1/models/").size());
  auto body = openai::model_body(cfg, id, c.worker.started_unix);
  if (body.empty()) {
    co_await c.respond_error(make_error(
        ErrorKind::not_found, "The model `" + excerpt_client_text(id) + "` does not exist", "model",
        "model_not_found"));
    co_return;
  }
  // Callers allowed to see routing get the model's routing facts (which clouds sell it, their
  // capabilities, windows, contracts and prices) under `tollbooth`; the rest stays OpenAI's.
  const auto& catalog = c.worker.routes.catalog();
  if (const auto* model = catalog.find(id);
      model && gateway::may_see_routing(cfg, req[http::field::authorization])) {
    body.pop_back();  // the closing brace of the model object
    body += R"(,"tollbooth":)";
    body += routing::model_facts_json(catalog, *model, gateway::utc_day(gateway::unix_now_ms()));
    body += '}';
  }
  co_await c.respond(200, kJson, body);
}

}  // namespace

Awaitable<void> handle_request(ClientConn& c, const HttpRequest& req) {
  auto method = req.method();
  auto target_path = tollbooth::target_path(req.target());
  if (!target_path) {
    co_await c.respond_error(make_error(ErrorKind::invalid_request,
                                        "the request target must be a path such as "
                                        "/v1/chat/completions, or an http(s) URL"));
    co_return;
  }
  std::string_view path = *target_path;
  if (path == "/v1/chat/completions") {
    if (method != http::verb::post) {
      co_await wrong_method(c, "POST");
      co_return;
    }
    {
      co_await handle_chat(c, req);
      co_return;
    }
  }
  if (path == "/v1/models" || path.starts_with("/v1/models/")) {
    if (method != http::verb::get) {
      co_await wrong_method(c, "GET");
      co_return;
    }
    {
      co_await models(c, req, path);
      co_return;
    }
  }
  if (path == "/healthz") {
    {
      co_await c.respond(200, kJson, R"({"status":"ok"})");
      co_return;
    }
  }
  if (path == "/readyz") {
    if (c.worker.draining) {
      co_await c.respond(503, kJson, R"({"status":"draining"})");
      co_return;
    }
    {
      co_await c.respond(200, kJson, R"({"status":"ready"})");
      co_return;
    }
  }
  co_await c.respond_error(
      make_error(ErrorKind::not_found,
                 "no such endpoint: " + excerpt_client_text(req.method_string(), 16) + " " +
                     excerpt_client_text(path, 256),
                 {}, "unknown_url"));
}

}  // namespace tollbooth
