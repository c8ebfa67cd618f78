#pragma once
// The OpenAI Chat Completions front over an OpenAI-wire upstream (OpenAI, Azure OpenAI, any
// compatible server): the client's bytes forwarded with only the model and include_usage
// spliced (openai_openai / openai_azure build the head), the answer passed back as it is. A
// stream is relayed event by event: Azure's empty prompt-filter prelude is dropped, and the
// usage chunk the gateway asked for is read and hidden from a client that did not ask for it;
// a client that asked for it gets it with `"cost"` spliced into its usage object when the
// input has a pricer (every other byte of the chunk as the upstream sent it).
#include <optional>

#include "api/openai/sse.hpp"
#include "providers/translator.hpp"

namespace tollbooth {

class OpenAiWireChat final : public Translator {
 public:
  explicit OpenAiWireChat(const ChatInput& in) : in_(in) {}

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
  const ChatInput& in_;
  openai::SseParser sse_;
  Usage usage_;
  std::optional<Error> error_;
  bool done_ = false;
};

}  // namespace tollbooth
