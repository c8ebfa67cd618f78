#pragma once
// The request flow every front shares: plan the model's routes (routing/planner: rules,
// contracts, breakers, strategy), try the candidates in plan order through the one relay, with
// retries, and give the client the first answer that works or the error that says why none
// did. A front (chat completions, Responses; embeddings next) inspects its request,
// finds the model, and supplies each attempt's translator; the rest is here. I/O header.
#include "api/openai/chat_request.hpp"
#include "core/result.hpp"
#include "routing/planner.hpp"
#include "server/handler.hpp"

namespace tollbooth {

class ClientConn;
class Translator;
struct ResolvedModel;
struct ResolvedRoute;

namespace gateway {

class AnswerKeeper;
class Gateway;
struct Caller;

// One request of a front, as the flow sees it.
class FrontRequest {
 public:
  virtual ~FrontRequest() = default;
  // The I/O an attempt on route `r` needs before its translator can be made (downloading the
  // images of a route with fetch_images), when it needs any: prepare() is awaited only when
  // needs_io() says so, so most attempts cost no coroutine frame here. An Error refuses the
  // route as translator_for's does.
  virtual bool needs_io(const ResolvedRoute& r) const noexcept = 0;
  virtual Awaitable<Result<Ok>> prepare(const ResolvedRoute& r) = 0;
  // The translator for one attempt on route `r` (after prepare(r) when needs_io(r)), made in
  // the front's own storage (valid until the next call). An Error refuses this route for this
  // request: not retryable when it is the request's fault (a parameter this route cannot
  // carry), retryable otherwise; the next route may try.
  virtual Result<Translator*> translator_for(const ResolvedRoute& r) = 0;
  // What sees a successful answer before its end reaches the client (relay.hpp), if anything:
  // the Responses front keeps its responses.
  virtual AnswerKeeper* keeper() noexcept { return nullptr; }
};

// Checks the caller may use `model` and admits it against its rate limits, then plans `model`
// for `input` (its needs, token estimates; now, random and the caller's regions are set here)
// and runs the attempts. Writes the plan header for callers allowed to see it, records every
// attempt in c.outcome, and always answers the client (unless it has gone), with errors shown
// as the caller may see them.
Awaitable<void> run_flow(Gateway& g, ClientConn& c, const HttpRequest& req,
                         const ResolvedModel& model, routing::PlanInput input, FrontRequest& front,
                         Caller& caller);

// What every model front (chat, Responses, embeddings) does once it has read its body into
// `facts`, before run_flow: the outcome's model and request facts, the caller's model list (403
// for a model it may not use, known or not: a 404 would tell it which models exist), the
// model's routes (404 model_not_found). The model, or the error to answer; `input` gets the
// facts' needs and estimates. A plain function, not a coroutine: a frame more per request was
// 500 instructions (bench/instructions).
Result<const ResolvedModel*> find_model(Gateway& g, ClientConn& c,
                                        const openai::ChatInspection& facts, const Caller& caller,
                                        routing::PlanInput& input);

}  // namespace gateway
}  // namespace tollbooth
