// POST /v1/responses: the Responses front. It inspects the body once (model, stream, the
// request facts routing needs, `responses_api` among them), finds the model, and supplies each
// attempt's translator; the flow does the rest (keys, limits, budgets, planning, fallback,
// billing), as for chat. The body reaches OpenAI and Azure routes as it is (model spliced);
// Bedrock routes get it through the chat translator (providers/responses_via_chat).
// State (docs/responses.md, "State"): a response asked to be stored is kept in the store before
// its answer ends (AnswerKeeper); a `previous_response_id` is looked up there, for the caller's
// key only, and either pins the plan to the provider that keeps the conversation or has its
// history spelled out into the request for a route that keeps none.
// GET /v1/responses is a WebSocket upgrade (Codex CLI tries one first): refused with 426.
#include <cstring>
#include <optional>
#include <variant>

#include <spdlog/spdlog.h>

#include <boost/beast/core/string.hpp>

#include "api/openai/chat_request.hpp"
#include "api/openai/errors.hpp"
#include "api/openai/responses_chat.hpp"
#include "api/openai/responses_request.hpp"
#include "api/openai/responses_state.hpp"
#include "config/config.hpp"
#include "core/buffer_budget.hpp"
#include "core/text.hpp"
#include "gateway/access_source.hpp"
#include "gateway/billing.hpp"
#include "gateway/caller.hpp"
#include "gateway/endpoints.hpp"
#include "gateway/flow.hpp"
#include "gateway/gateway.hpp"
#include "gateway/relay.hpp"
#include "gateway/route_table.hpp"
#include "gateway/store_call.hpp"
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

// Whether route `r` passes the Responses body through to an upstream that keeps its own
// responses (OpenAI, Azure), rather than translating it for one that keeps none.
bool passed_through(const ResolvedRoute& r) noexcept {
  return r.provider->kind != ProviderKind::bedrock && !r.provider->responses_via_chat;
}

// What a request continuing a kept conversation becomes (load_conversation()).
struct Continuation {
  std::string previous_id;  // the request's previous_response_id
  std::string provider;     // not empty: the conversation lives there; the plan is pinned to it
  std::string body;         // not empty: the request with its history spelled out
  std::optional<openai::ChatInspection> facts;  // `body`'s
};

// The kept response the request continues, read for the caller's key: where it lives, or its
// history. An Error to answer when it is not there (a key reads only its own: another key's
// response is "not found" too), its conversation is broken or too long, or the store failed.
Awaitable<Result<Ok>> load_conversation(Gateway& g, const Caller& caller, std::string_view body,
                                        const openai::ChatInspection& facts, Continuation& out) {
  using Status = ResponseLookup::Status;
  out.previous_id = facts.previous_response_id;
  const std::size_t max_bytes = g.config.server.max_body_bytes;
  std::string key(caller.key_id());
  std::string id = out.previous_id;
  auto start = [&g, &key, &id, max_bytes](auto done) {
    g.access_source.find_response(std::move(key), std::move(id), max_bytes, std::move(done));
  };
  ResponseLookup found = co_await on_store_thread<ResponseLookup>(g, start);
  const std::string shown = excerpt_client_text(out.previous_id, 80);
  switch (found.status) {
    case Status::found: break;
    case Status::not_found:
      co_return make_error(ErrorKind::invalid_request,
                           "Previous response with id '" + shown + "' not found.",
                           "previous_response_id", "previous_response_not_found");
    case Status::broken:
      co_return make_error(ErrorKind::invalid_request,
                           "Previous response with id '" + shown + "' continues response '" +
                               excerpt_client_text(found.missing, 80) +
                               "', which has expired or was deleted: the conversation cannot be "
                               "rebuilt",
                           "previous_response_id", "previous_response_not_found");
    case Status::too_long:
      co_return make_error(ErrorKind::invalid_request,
                           "the conversation of previous_response_id '" + shown +
                               "' is longer than a request may be (server.max_body_bytes)",
                           "previous_response_id", "conversation_too_long");
    case Status::store_failed:
      co_return make_error(ErrorKind::unavailable,
                           "the gateway's store cannot be read right now, so previous_response_id "
                           "cannot be looked up; retry shortly",
                           {}, "store_unavailable");
  }
  if (!found.chain.front().provider.empty()) {
    out.provider = found.chain.front().provider;
    co_return Ok{};
  }
  std::vector<openai::KeptTurn> turns;
  turns.reserve(found.chain.size());
  for (auto it = found.chain.rbegin(); it != found.chain.rend(); ++it)
    turns.push_back(openai::KeptTurn{it->input_items, it->response});
  // The oldest turn lives upstream only when the chain stopped there: a pinned conversation
  // is never spelled out, so every turn here is the gateway's.
  auto continued = openai::continue_conversation(body, turns, max_bytes);
  if (!continued) co_return std::move(continued).error();
  out.body = std::move(continued.value());
  auto again = openai::inspect_responses_request(out.body);
  if (!again) co_return std::move(again).error();
  out.facts = std::move(again.value());
  co_return Ok{};
}

class ResponsesFront final : public FrontRequest, public AnswerKeeper {
 public:
  // `body` and `facts`: what goes upstream (the client's request, or it with its history);
  // `own_body`: the client's request, whose input items are this turn's. `keep`: the response
  // is to be kept (its `store` is not false, and there is a store).
  ResponsesFront(Gateway& g, ClientConn& c, const HttpRequest& req, std::string_view body,
                 const openai::ChatInspection& facts, std::string_view own_body, bool keep,
                 std::string_view key, std::string_view previous_id)
      : g_(g),
        c_(c),
        body_(body),
        facts_(facts),
        own_body_(own_body),
        keep_(keep),
        key_(key),
        previous_id_(previous_id),
        headers_(forwarded_headers(req)) {
    constexpr std::string_view kPrefix = "resp_";
    const std::string_view id =
        c.outcome.request_id.substr(0, sizeof response_id_ - kPrefix.size());
    std::memcpy(response_id_, kPrefix.data(), kPrefix.size());
    std::memcpy(response_id_ + kPrefix.size(), id.data(), id.size());
    response_id_size_ = kPrefix.size() + id.size();
  }

  AnswerKeeper* keeper() noexcept override { return keep_ ? this : nullptr; }

  // Keeps the response (completed or incomplete) in the store before its answer ends, so the
  // client can read or continue it the moment it has it. A response that cannot be kept is
  // still answered; continuing it will say it was not found.
  Awaitable<void> keep(const ResolvedRoute& r, std::string_view answer, bool stream) override {
    // No conditional expression of temporaries here: GCC 12 destroys them wrongly in a
    // coroutine (the gateway aborted with free(): invalid pointer).
    std::optional<std::string> response;
    if (stream)
      response = openai::terminal_response(answer);
    else
      response.emplace(answer);
    if (!response) co_return;
    auto facts = openai::response_facts(*response);
    if (!facts || (facts->status != "completed" && facts->status != "incomplete")) co_return;
    // An id no request could name (an upstream's empty or outlandish one) is not kept: it could
    // never be continued, and one bad record must not fail the batch it is written with.
    bool nameable = !facts->id.empty() && facts->id.size() <= 256;
    for (char ch : facts->id) nameable &= ch > ' ' && ch < 0x7f;
    if (!nameable) co_return;
    const std::int64_t now = g_.clock.unix_ms();
    StoredResponse record;
    record.key = std::string(key_);
    record.id = std::move(facts->id);
    record.created_ms = now;
    record.expires_ms = now + g_.config.store.responses_retention.count();
    record.previous_id = std::string(previous_id_);
    if (passed_through(r)) record.provider = r.provider->name;
    record.input_items = openai::input_items_json(own_body_);
    record.response = std::move(*response);
    // The record is a copy of the answer and the request, held until the store has it: it
    // counts against server.max_buffered_bytes like any answer held, so a slow store and large
    // answers cannot grow the gateway past it (the response is then answered, not kept).
    BufferCharge held(g_.worker.buffers);
    if (!held.hold(record.response.size() + record.input_items.size())) {
      spdlog::warn("request {}: its response was not kept: server.max_buffered_bytes is in use",
                   c_.outcome.request_id);
      co_return;
    }
    const bool kept = co_await on_store_thread<bool>(g_, [this, &record](auto done) {
      g_.access_source.keep_response(std::move(record), std::move(done));
    });
    if (!kept) spdlog::warn("request {}: its response was not kept", c_.outcome.request_id);
  }

  bool needs_io(const ResolvedRoute&) const noexcept override { return false; }
  Awaitable<Result<Ok>> prepare(const ResolvedRoute&) override { co_return Ok{}; }

  Result<Translator*> translator_for(const ResolvedRoute& r) override {
    storage_.emplace<std::monostate>();  // the last attempt's translator refers to input_
    pricer_.emplace(g_.routes.catalog(), r.id, days_from_unix_ms(c_.outcome.received_unix_ms),
                    c_.outcome.markup_bp);
    // Reasoning items carry encrypted_content that only the organisation that made it can
    // read: the request's first provider is taken for it, and a fallback to another provider
    // that is passed the body gets it without them (translated routes drop them anyway).
    std::string_view body = body_;
    const openai::ChatInspection* facts = &facts_;
    if (first_provider_.empty()) first_provider_ = r.provider->name;
    if (passed_through(r) && r.provider->name != first_provider_) {
      if (!fallback_checked_) {
        fallback_checked_ = true;
        if (auto stripped = openai::without_reasoning(body_)) {
          auto again = openai::inspect_responses_request(*stripped);
          if (!again) return std::move(again).error();
          fallback_body_ = std::move(*stripped);
          fallback_facts_ = std::move(again.value());
        }
      }
      if (fallback_facts_) {
        body = fallback_body_;
        facts = &*fallback_facts_;
      }
    }
    input_.emplace(ChatInput{*r.provider,
                             r.target->endpoint,
                             *r.route,
                             body,
                             *facts,
                             g_.clock.unix_ms(),
                             std::string_view(response_id_, response_id_size_),
                             &g_.signer,
                             r.aws_auth.get(),
                             {},
                             &*pricer_,
                             headers_});
    if (passed_through(r)) return &storage_.emplace<OpenAiWireResponses>(*input_);
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
  std::string_view own_body_;
  bool keep_;
  std::string_view key_;
  std::string_view previous_id_;
  char response_id_[64];  // the request id is at most 47 bytes (ClientConn::request_id)
  std::size_t response_id_size_ = 0;
  std::string headers_;  // forwarded_headers(): for OpenAI and Azure upstreams
  std::optional<AttemptPricer> pricer_;
  std::optional<ChatInput> input_;
  std::variant<std::monostate, OpenAiWireResponses, ResponsesViaChat> storage_;
  std::string_view first_provider_;  // the provider of the request's first attempt (config)
  bool fallback_checked_ = false;
  std::string fallback_body_;  // the body without reasoning items, when it had any
  std::optional<openai::ChatInspection> fallback_facts_;
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
  // Without a store nothing is kept, and a previous_response_id goes to the upstream as it
  // came (a translated route refuses it: it keeps no state).
  const bool stateful = g.access_source.keeps_responses();
  Continuation continued;
  if (stateful && !facts->previous_response_id.empty()) {
    Result<Ok> ok = co_await load_conversation(g, caller, body, *facts, continued);
    if (!ok) {
      co_await c.respond_error(ok.error());
      co_return;
    }
  }
  const std::string_view sent = continued.body.empty() ? std::string_view(body) : continued.body;
  const openai::ChatInspection& sent_facts = continued.facts ? *continued.facts : *facts;
  routing::PlanInput input;
  auto model = find_model(g, c, sent_facts, caller, input);
  if (!model) {
    co_await c.respond_error(model.error());
    co_return;
  }
  input.pinned_provider = continued.provider;
  ResponsesFront front(g, c, req, sent, sent_facts, body, stateful && facts->store, caller.key_id(),
                       continued.previous_id);
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
