// POST /v1/chat/completions: the chat front. It inspects the body once (model, stream, the
// request facts routing needs), finds the model, and supplies each attempt's translator
// (providers/chat_translators.hpp, by the route's provider kind); the flow does the rest.
#include <cstring>
#include <optional>

#include "api/openai/chat_request.hpp"
#include "config/config.hpp"
#include "core/text.hpp"
#include "gateway/billing.hpp"
#include "gateway/endpoints.hpp"
#include "gateway/flow.hpp"
#include "gateway/gateway.hpp"
#include "gateway/image_fetch.hpp"
#include "gateway/route_table.hpp"
#include "providers/bedrock_request.hpp"
#include "providers/chat_translators.hpp"
#include "server/client_conn.hpp"
#include "server/worker.hpp"
#include "upstream/pool.hpp"

namespace tollbooth::gateway {

namespace {

class ChatFront final : public FrontRequest {
 public:
  ChatFront(Gateway& g, ClientConn& c, std::string_view body, const openai::ChatInspection& facts)
      : g_(g), c_(c), body_(body), facts_(facts) {
    // "chatcmpl-" and the request id, in place: a std::string of this length would be a heap
    // allocation per request.
    constexpr std::string_view kPrefix = "chatcmpl-";
    const std::string_view id =
        c.outcome.request_id.substr(0, sizeof response_id_ - kPrefix.size());
    std::memcpy(response_id_, kPrefix.data(), kPrefix.size());
    std::memcpy(response_id_ + kPrefix.size(), id.data(), id.size());
    response_id_size_ = kPrefix.size() + id.size();
  }

  bool needs_io(const ResolvedRoute& r) const noexcept override { return r.route->fetch_images; }

  Awaitable<Result<Ok>> prepare(const ResolvedRoute& r) override {
    storage_.emplace<std::monostate>();  // the last attempt's translator refers to images_
    images_.clear();
    auto fetched = co_await fetch_images(g_, c_, r, body_);
    if (!fetched) co_return std::move(fetched).error();
    images_ = std::move(fetched.value());
    co_return Ok{};
  }

  Result<Translator*> translator_for(const ResolvedRoute& r) override {
    storage_.emplace<std::monostate>();           // the last attempt's translator refers to input_
    if (!r.route->fetch_images) images_.clear();  // prepare() fetched them for this route
    // The usage chunk's `cost`: the same bill as x-tollbooth-cost, the budget and the ledger.
    pricer_.emplace(g_.routes.catalog(), r.id, days_from_unix_ms(c_.outcome.received_unix_ms),
                    c_.outcome.markup_bp);
    input_.emplace(ChatInput{*r.provider, r.target->endpoint, *r.route, body_, facts_,
                             g_.clock.unix_ms(), std::string_view(response_id_, response_id_size_),
                             &g_.signer, r.aws_auth.get(), images_, &*pricer_});
    return &make_chat_translator(*input_, g_.config.server, storage_);
  }

 private:
  Gateway& g_;
  ClientConn& c_;
  std::string_view body_;
  const openai::ChatInspection& facts_;
  char response_id_[64];  // the request id is at most 47 bytes (ClientConn::request_id)
  std::size_t response_id_size_ = 0;
  std::vector<bedrock::FetchedImage> images_;
  std::optional<AttemptPricer> pricer_;
  std::optional<ChatInput> input_;
  AnyChatTranslator storage_;
};

}  // namespace

Awaitable<void> chat_completions(Gateway& g, ClientConn& c, const HttpRequest& req,
                                 std::string_view, Caller& caller) {
  const std::string& body = req.body();
  auto facts = openai::inspect_chat_request(body);
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
  ChatFront front(g, c, body, *facts);
  co_await run_flow(g, c, req, *model.value(), input, front, caller);
}

}  // namespace tollbooth::gateway
