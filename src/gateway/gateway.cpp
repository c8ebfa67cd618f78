#include "gateway/gateway.hpp"

#include <random>

#include "api/openai/errors.hpp"
#include "config/config.hpp"
#include "core/text.hpp"
#include "gateway/access_log.hpp"
#include "gateway/endpoints.hpp"
#include "gateway/route_table.hpp"
#include "server/client_conn.hpp"
#include "server/request_target.hpp"
#include "server/worker.hpp"

namespace tollbooth::gateway {

namespace http = beast::http;

namespace {

constexpr std::string_view kJson = "application/json";

// Who may call an endpoint. Every endpoint is open today; keys and scopes (a later version)
// check this before the handler runs.
enum class Scope : std::uint8_t { none, chat, models, admin };

using EndpointFn = Awaitable<void> (*)(Gateway&, ClientConn&, const HttpRequest&,
                                       std::string_view path);

struct Endpoint {
  http::verb method;
  std::string_view path;
  bool prefix;  // `path` is a prefix ("/v1/models/" + id)
  Front front;
  Scope scope;
  EndpointFn handle;
};

Awaitable<void> healthz(Gateway&, ClientConn& c, const HttpRequest&, std::string_view) {
  co_await c.respond(200, kJson, R"({"status":"ok"})");
}

Awaitable<void> readyz(Gateway& g, ClientConn& c, const HttpRequest&, std::string_view) {
  if (g.worker.draining)
    co_await c.respond(503, kJson, R"({"status":"draining"})");
  else
    co_await c.respond(200, kJson, R"({"status":"ready"})");
}

// The table every request is dispatched by: the first entry whose path matches; a path that
// matches with another method is a 405 naming the allowed one.
constexpr Endpoint kEndpoints[] = {
    {http::verb::post, "/v1/chat/completions", false, Front::chat_completions, Scope::chat,
     &chat_completions},
    {http::verb::get, "/v1/models", false, Front::models, Scope::models, &models},
    {http::verb::get, "/v1/models/", true, Front::models, Scope::models, &models},
    {http::verb::get, "/healthz", false, Front::health, Scope::none, &healthz},
    {http::verb::get, "/readyz", false, Front::health, Scope::none, &readyz},
};

bool matches(const Endpoint& e, std::string_view path) noexcept {
  return e.prefix ? path.starts_with(e.path) && path.size() > e.path.size() : path == e.path;
}

}  // namespace

Gateway::Gateway(Worker& w, const RouteTable& r, BatchSink* access_log)
    : worker(w),
      routes(r),
      config(r.config()),
      clock(w.clock),
      pool(w.io.get_executor(), w.clock),
      plan_in_words(access_log != nullptr),
      random_state_(std::random_device{}() ^ (static_cast<std::uint64_t>(w.index) << 32)) {
  if (access_log) {
    access_log_ = std::make_unique<AccessLog>(*access_log, w.io.get_executor(), clock);
    observers_.push_back(access_log_.get());
  }
}

Gateway::~Gateway() = default;

void Gateway::stopped() noexcept {
  if (access_log_) access_log_->flush();
}

std::uint64_t Gateway::random() noexcept {
  std::uint64_t z = (random_state_ += 0x9e3779b97f4a7c15ULL);  // splitmix64
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

Awaitable<void> Gateway::handle(ClientConn& c, const HttpRequest& req) {
  auto target_path = tollbooth::target_path(req.target());
  if (!target_path) {
    co_await c.respond_error(make_error(ErrorKind::invalid_request,
                                        "the request target must be a path such as "
                                        "/v1/chat/completions, or an http(s) URL"));
    co_return;
  }
  const std::string_view path = *target_path;
  const Endpoint* wrong_method = nullptr;
  for (const Endpoint& e : kEndpoints) {
    if (!matches(e, path)) continue;
    if (e.method != req.method()) {
      wrong_method = &e;
      continue;
    }
    c.outcome.front = e.front;
    co_await e.handle(*this, c, req, path);
    co_return;
  }
  if (wrong_method) {
    std::string allow = "Allow: " + std::string(http::to_string(wrong_method->method)) + "\r\n";
    c.outcome.front = wrong_method->front;
    co_await c.respond_error(
        make_error(ErrorKind::method_not_allowed,
                   "this endpoint accepts " + std::string(http::to_string(wrong_method->method))),
        allow);
    co_return;
  }
  co_await c.respond_error(
      make_error(ErrorKind::not_found,
                 "no such endpoint: " + excerpt_client_text(req.method_string(), 16) + " " +
                     excerpt_client_text(path, kClientPathExcerptBytes),
                 {}, "unknown_url"));
}

void Gateway::finished(const RequestOutcome& outcome) noexcept {
  for (OutcomeObserver* o : observers_) o->on_outcome(outcome);
}

std::string Gateway::error_body(const Error& error) const {
  return openai::error_body(error);
}

}  // namespace tollbooth::gateway
