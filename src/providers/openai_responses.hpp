#pragma once
// The OpenAI Responses front over an OpenAI-wire upstream (OpenAI, Azure OpenAI): the client's
// bytes forwarded with only `model` spliced, to `{base}/responses` (OpenAI), or
// `{endpoint}/openai/v1/responses` / `{endpoint}/openai/responses?api-version=V` (Azure, the
// model being the deployment), and the answer passed back as it is. A stream is relayed event
// by event; its terminal event's usage is read. A stream that ends without a terminal event, or
// that the gateway gives up on, ends with a `response.failed` event (Codex ignores bare `error`
// events and waits for a terminal one).
#include <optional>
#include <string>

#include "api/openai/sse.hpp"
#include "providers/translator.hpp"

namespace tollbooth {

// The upstream request of a Responses body on an OpenAI or Azure provider.
void build_responses_request(const ProviderConfig& provider, const Endpoint& endpoint,
                             const RouteConfig& route, std::string_view client_body,
                             const openai::ChatInspection& facts, UpstreamRequest& out);

// DELETE of a response an OpenAI or Azure provider keeps (`id` as the response named it):
// `{base}/responses/{id}`, `{endpoint}/openai/v1/responses/{id}` or
// `{endpoint}/openai/responses/{id}?api-version=V`, with the provider's key, no body. The id is
// percent-encoded as a path segment.
void build_responses_delete(const ProviderConfig& provider, const Endpoint& endpoint,
                            std::string_view id, UpstreamRequest& out);

class OpenAiWireResponses final : public Translator {
 public:
  // `in.facts` from openai::inspect_responses_request; `in.response_id` names the response in
  // a `response.failed` the gateway writes before the upstream named it.
  explicit OpenAiWireResponses(const ChatInput& in) : in_(in) {}

  Result<Ok> build(UpstreamRequest& out) override;
  BodyPlan plan(const ResponseHead& head) const override;
  Reply whole(const ResponseHead& head, std::string_view body) override;

  void feed(std::string_view bytes, std::string& out) override;
  void end(std::string& out) override;
  void fail(Error error, std::string& out) override;
  bool done() const noexcept override { return done_; }
  const Error* error() const noexcept override { return error_ ? &*error_ : nullptr; }
  Usage usage() const noexcept override { return usage_; }
  std::size_t pending_bytes() const noexcept override { return sse_.pending_bytes(); }

 private:
  void end_failed(Error error, std::string& out);

  const ChatInput& in_;
  openai::SseParser sse_;
  Usage usage_;
  std::optional<Error> error_;
  std::string response_id_;  // the upstream's, from response.created
  long long sequence_ = -1;  // the last sequence_number relayed
  bool terminal_ = false;    // a response.completed / incomplete / failed was relayed
  bool done_ = false;
};

}  // namespace tollbooth
