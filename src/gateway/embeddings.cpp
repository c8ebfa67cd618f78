// POST /v1/embeddings: the Embeddings front. The body is read once (model, the inputs, the
// estimate), the model found, and each attempt gets its translator (providers/embeddings):
// OpenAI and Azure take the body as it is, Bedrock gets Titan v2 through InvokeModel. Keys,
// limits, budgets, planning, fallback and the ledger are the flow's, as for chat.
#include <optional>
#include <variant>

#include "api/openai/embeddings.hpp"
#include "config/config.hpp"
#include "core/text.hpp"
#include "gateway/endpoints.hpp"
#include "gateway/flow.hpp"
#include "gateway/gateway.hpp"
#include "gateway/route_table.hpp"
#include "providers/embeddings.hpp"
#include "server/client_conn.hpp"
#include "server/request.hpp"
#include "server/worker.hpp"

namespace tollbooth::gateway {

namespace {

class EmbeddingsFront final : public FrontRequest {
 public:
  EmbeddingsFront(Gateway& g, std::string_view body, const openai::EmbeddingsInspection& facts)
      : g_(g), body_(body), facts_(facts) {}

  bool needs_io(const ResolvedRoute&) const noexcept override { return false; }
  Awaitable<Result<Ok>> prepare(const ResolvedRoute&) override { co_return Ok{}; }

  Result<Translator*> translator_for(const ResolvedRoute& r) override {
    storage_.emplace<std::monostate>();
    input_.emplace(EmbeddingsInput{*r.provider, r.target->endpoint, *r.route, body_, facts_,
                                   g_.clock.unix_ms(), &g_.signer, r.aws_auth.get()});
    if (r.provider->kind == ProviderKind::bedrock)
      return &storage_.emplace<BedrockEmbeddings>(*input_);
    return &storage_.emplace<OpenAiWireEmbeddings>(*input_);
  }

 private:
  Gateway& g_;
  std::string_view body_;
  const openai::EmbeddingsInspection& facts_;
  std::optional<EmbeddingsInput> input_;
  std::variant<std::monostate, OpenAiWireEmbeddings, BedrockEmbeddings> storage_;
};

}  // namespace

Awaitable<void> embeddings(Gateway& g, ClientConn& c, const HttpRequest& req, std::string_view,
                           Caller& caller) {
  const std::string& body = req.body();
  auto facts = openai::inspect_embeddings_request(body);
  if (!facts) {
    co_await c.respond_error(facts.error());
    co_return;
  }
  routing::PlanInput input;
  auto model = find_model(g, c, facts->facts, caller, input);
  if (!model) {
    co_await c.respond_error(model.error());
    co_return;
  }
  input.has_output = false;  // nothing to reserve for an answer: a vector has no output tokens
  EmbeddingsFront front(g, body, *facts);
  co_await run_flow(g, c, req, *model.value(), input, front, caller);
}

}  // namespace tollbooth::gateway
