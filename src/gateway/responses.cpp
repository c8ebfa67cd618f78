// POST /v1/responses: the Responses front. It inspects the body once (model, stream, the
// request facts routing needs, `responses_api` among them), finds the model, and supplies each
// attempt's translator; the flow does the rest (keys, limits, budgets, planning, fallback,
// billing), as for chat. The body reaches OpenAI and Azure routes as it is (model spliced);
// Bedrock routes get it through the chat translator (providers/responses_via_chat).
// GET /v1/responses is a WebSocket upgrade (Codex CLI tries one first): refused with 426.
#include <cstring>
#include <optional>
#include <variant>

#include <boost/beast/core/string.hpp>

#include "api/openai/chat_request.hpp"
#include "api/openai/errors.hpp"
#include "api/openai/responses_chat.hpp"
#include "api/openai/responses_request.hpp"
#include "config/config.hpp"
#include "core/text.hpp"
#include "gateway/billing.hpp"
#include "gateway/endpoints.hpp"
#include "gateway/flow.hpp"
#include "gateway/gateway.hpp"
#include "gateway/route_table.hpp"
#include "providers/openai_responses.hpp"
#include "providers/responses_via_chat.hpp"
#include "server/client_conn.hpp"
#include "server/request.hpp"
#include "server/worker.hpp"

namespace tollbooth::gateway {

namespace {

// The headers of a Responses request that go to an OpenAI or Azure upstream as they came: the
// ones Codex CLI sends to tie a turn to its session (the upstream's prompt cache and its own
// logs use them). Nothing else of the client's head reaches an upstream.
bool forwarded_header(std::string_view name) noexcept {
  static constexpr std::string_view kNames[] = {
      "session_id",          "session-id",        "conversation_id", "thread-id",
      "x-client-request-id", "x-openai-subagent", "originator"};
  for (std::string_view n : kNames)
    if (boost::beast::iequals(name, n)) return true;
  return name.size() > 8 && boost::beast::iequals(name.substr(0, 8), "x-codex-");
}

// "Name: value\r\n" for each forwarded header: at most 16, names under 64 bytes and values
// under 1 KiB (a session id is a UUID; anything larger is not one and stays here).
std::string forwarded_headers(const HttpRequest& req) {
  std::string out;
  int count = 0;
  for (std::size_t i = 0; i < req.field_count() && count < 16; ++i) {
    const HttpRequest::Field f = req.field(i);
    if (f.name_string.size() >= 64 || f.value.size() >= 1024 || !forwarded_header(f.name_string))
      continue;
    out.append(f.name_string).append(": ").append(f.value).append("\r\n");
    ++count;
  }
  return out;
}

class ResponsesFront final : public FrontRequest {
 public:
  ResponsesFront(Gateway& g, ClientConn& c, const HttpRequest& req, std::string_view body,
                 const openai::ChatInspection& facts)
      : g_(g), c_(c), body_(body), facts_(facts), headers_(forwarded_headers(req)) {
    constexpr std::string_view kPrefix = "resp_";
    const std::string_view id =
        c.outcome.request_id.substr(0, sizeof response_id_ - kPrefix.size());
    std::memcpy(response_id_, kPrefix.data(), kPrefix.size());
    std::memcpy(response_id_ + kPrefix.size(), id.data(), id.size());
    response_id_size_ = kPrefix.size() + id.size();
  }

  bool needs_io(const ResolvedRoute&) const noexcept override { return false; }
  Awaitable<Result<Ok>> prepare(const ResolvedRoute&) override { co_return Ok{}; }

  Result<Translator*> translator_for(const ResolvedRoute& r) override {
    storage_.emplace<std::monostate>();  // the last attempt's translator refers to input_
    pricer_.emplace(g_.routes.catalog(), r.id, days_from_unix_ms(c_.outcome.received_unix_ms),
                    c_.outcome.markup_bp);
    input_.emplace(ChatInput{*r.provider,
                             r.target->endpoint,
                             *r.route,
                             body_,
                             facts_,
                             g_.clock.unix_ms(),
                             std::string_view(response_id_, response_id_size_),
                             &g_.signer,
                             r.aws_auth.get(),
                             {},
                             &*pricer_,
                             headers_});
    if (r.provider->kind != ProviderKind::bedrock && !r.provider->responses_via_chat)
      return &storage_.emplace<OpenAiWireResponses>(*input_);
    // Bedrock, and servers with chat only (`responses: chat`): through the route's chat
    // translator (for Bedrock: Converse, SigV4), the request bridged to chat and the answer back.
    // What this route cannot carry (a built-in tool) is the request's 400.
    auto bridge = openai::responses_to_chat(body_, r.route->provider, r.route->drop_unsupported);
    if (!bridge) return std::move(bridge).error();
    auto chat_facts = openai::inspect_chat_request(bridge.value().chat_body);
    if (!chat_facts) return std::move(chat_facts).error();
    return &storage_.emplace<ResponsesViaChat>(*input_, g_.config.server, std::move(bridge.value()),
                                               std::move(chat_facts.value()));
  }

 private:
  Gateway& g_;
  ClientConn& c_;
  std::string_view body_;
  const openai::ChatInspection& facts_;
  char response_id_[64];  // the request id is at most 47 bytes (ClientConn::request_id)
  std::size_t response_id_size_ = 0;
  std::string headers_;  // forwarded_headers(): for OpenAI and Azure upstreams
  std::optional<AttemptPricer> pricer_;
  std::optional<ChatInput> input_;
  std::variant<std::monostate, OpenAiWireResponses, ResponsesViaChat> storage_;
};

}  // namespace

Awaitable<void> responses(Gateway& g, ClientConn& c, const HttpRequest& req, std::string_view,
                          Caller& caller) {
  const std::string& body = req.body();
  auto facts = openai::inspect_responses_request(body);
  if (!facts) {
    co_await c.respond_error(facts.error());
    co_return;
  }
  routing::PlanInput input;
  auto model = find_model(g, c, *facts, caller, input);
  if (!model) {
    co_await c.respond_error(model.error());
    co_return;
  }
  ResponsesFront front(g, c, req, body, *facts);
  co_await run_flow(g, c, req, *model.value(), input, front, caller);
}

Awaitable<void> responses_websocket(Gateway&, ClientConn& c, const HttpRequest& req,
                                    std::string_view, Caller&) {
  // 426 is the answer after which Codex CLI (0.171) goes on over HTTP at once; 400 would fail
  // its turn, and 401/404/405 make it retry the upgrade for seconds (docs/codex.md).
  const bool upgrade = !req[boost::beast::http::field::upgrade].empty();
  Error e = make_error(
      ErrorKind::invalid_request,
      upgrade ? "WebSocket is not served here: POST /v1/responses over HTTP (streamed with SSE)"
              : "GET /v1/responses is not served: POST /v1/responses creates a response",
      {}, "websocket_not_supported");
  const std::string body = openai::error_body(e);
  co_await c.respond(426, "application/json", body);
}

}  // namespace tollbooth::gateway
